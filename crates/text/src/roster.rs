//! Finding who a pasted piece means in a grid's roster: the exact name first, then the
//! name's sound (pinyin: a homophone picked by the input method, or pinyin typed), then the
//! room. One person or nobody: two who fit are [`Found::Ambiguous`], never a pick.

use std::collections::HashMap;

use crate::paste::Piece;
use crate::pinyin_keys;

/// One resident of the roster, as the caller knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// 姓名.
    pub name: String,
    /// Their household: an index the caller chooses (same number, same household).
    pub household: usize,
    /// The household's address as one line (`阳光小区3栋2单元501室`).
    pub address: String,
}

/// How a piece found its person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The name as written.
    Name,
    /// The name's pinyin (a homophone, or pinyin or its initials typed).
    Pinyin,
    /// The room, with one resident in it.
    Room,
}

/// Who a piece means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// This person (an index into the roster).
    One(usize, By),
    /// More than one fits: these.
    Ambiguous(Vec<usize>),
    /// Nobody fits; these live at the room the piece gives, or carry its name elsewhere.
    Nobody(Vec<usize>),
    /// The piece names nobody (a reading alone).
    NoPerson,
}

/// Most candidates listed for a piece that fits nobody or many.
pub const MAX_CANDIDATES: usize = 12;

/// A roster indexed for finding: by name, by full pinyin, by initials, by room.
pub struct Roster<'a> {
    people: &'a [Person],
    by_name: HashMap<&'a str, Vec<usize>>,
    by_pinyin: HashMap<String, Vec<usize>>,
    by_initials: HashMap<String, Vec<usize>>,
    /// Each household's address as its number groups (`3栋2单元501室` → 3, 2, 501).
    rooms: HashMap<usize, Vec<String>>,
}

impl<'a> Roster<'a> {
    /// Indexes `people`.
    pub fn new(people: &'a [Person]) -> Self {
        let mut r = Roster {
            people,
            by_name: HashMap::new(),
            by_pinyin: HashMap::new(),
            by_initials: HashMap::new(),
            rooms: HashMap::new(),
        };
        for (i, p) in people.iter().enumerate() {
            r.by_name.entry(p.name.trim()).or_default().push(i);
            let (initials, full) = pinyin_keys(&p.name);
            if !full.is_empty() {
                r.by_pinyin.entry(full).or_default().push(i);
            }
            if initials.chars().count() >= 2 {
                r.by_initials.entry(initials).or_default().push(i);
            }
            r.rooms
                .entry(p.household)
                .or_insert_with(|| number_groups(&p.address));
        }
        r
    }

    /// The person at `index`.
    pub fn person(&self, index: usize) -> Option<&'a Person> {
        self.people.get(index)
    }

    /// Who `piece` means.
    pub fn find(&self, piece: &Piece) -> Found {
        let at_room = |i: &usize| {
            piece.room.is_empty()
                || self
                    .rooms
                    .get(&self.people[*i].household)
                    .is_some_and(|g| fits_room(g, &piece.room))
        };
        let Some(name) = piece.name.as_deref() else {
            if piece.room.is_empty() {
                return Found::NoPerson;
            }
            let there: Vec<usize> = (0..self.people.len()).filter(|i| at_room(i)).collect();
            return match there.as_slice() {
                [one] => Found::One(*one, By::Room),
                [] => Found::Nobody(vec![]),
                _ => Found::Ambiguous(capped(there)),
            };
        };
        let han = !name.is_ascii();
        let mut named_elsewhere = vec![];
        let tries: [(Option<&Vec<usize>>, By); 2] = if han {
            let (_, full) = pinyin_keys(name);
            [
                (self.by_name.get(name), By::Name),
                (self.by_pinyin.get(&full), By::Pinyin),
            ]
        } else {
            let lower = name.to_lowercase();
            [
                (self.by_pinyin.get(&lower), By::Pinyin),
                (self.by_initials.get(&lower), By::Pinyin),
            ]
        };
        for (list, by) in tries {
            let Some(list) = list else { continue };
            let fits: Vec<usize> = list.iter().copied().filter(|i| at_room(i)).collect();
            match fits.as_slice() {
                [one] => return Found::One(*one, by),
                [] => named_elsewhere.extend(list.iter().copied()),
                _ => return Found::Ambiguous(capped(fits)),
            }
        }
        // Nobody by that name at that room: who lives there, and who has the name elsewhere.
        let mut candidates: Vec<usize> = if piece.room.is_empty() {
            vec![]
        } else {
            (0..self.people.len()).filter(|i| at_room(i)).collect()
        };
        for i in named_elsewhere {
            if !candidates.contains(&i) {
                candidates.push(i);
            }
        }
        Found::Nobody(capped(candidates))
    }
}

/// Whether a pasted room (`3栋501` → 3, 501) fits an address's number groups (3, 2, 501):
/// the same last number (the room or house number), the others in order, any left out.
pub fn fits_room(address: &[String], room: &[String]) -> bool {
    let (Some(last), Some(want)) = (address.last(), room.last()) else {
        return false;
    };
    if last != want {
        return false;
    }
    let mut rest = address[..address.len() - 1].iter();
    room[..room.len() - 1]
        .iter()
        .all(|g| rest.by_ref().any(|a| a == g))
}

fn capped(mut v: Vec<usize>) -> Vec<usize> {
    v.truncate(MAX_CANDIDATES);
    v
}

/// The number groups of an address, leading zeros dropped: `阳光2期3栋2单元0501室` →
/// 2, 3, 2, 501 (what [`fits_room`] compares).
pub fn number_groups(address: &str) -> Vec<String> {
    let narrow: String = address
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    narrow
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(|g| {
            let t = g.trim_start_matches('0');
            if t.is_empty() { "0" } else { t }.to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paste::parse;

    fn people() -> Vec<Person> {
        let p = |name: &str, household: usize, address: &str| Person {
            name: name.to_owned(),
            household,
            address: address.to_owned(),
        };
        vec![
            p("张三", 0, "阳光小区3栋2单元501室"),
            p("李四", 0, "阳光小区3栋2单元501室"),
            p("王五", 1, "阳光小区3栋2单元502室"),
            p("张三", 2, "阳光小区4栋1单元501室"),
            p("赵六", 3, "帽儿胡同12号"),
            p("钱七", 4, "阳光小区4栋1单元302室"),
        ]
    }

    fn find(roster: &Roster<'_>, text: &str) -> Found {
        let pieces = parse(text).expect("short");
        assert_eq!(pieces.len(), 1, "{text}");
        roster.find(&pieces[0])
    }

    #[test]
    fn the_name_then_its_sound_then_the_room() {
        let people = people();
        let r = Roster::new(&people);
        assert_eq!(find(&r, "王五 36.5"), Found::One(2, By::Name));
        assert_eq!(
            find(&r, "赵留 36.5"),
            Found::One(4, By::Pinyin),
            "a homophone"
        );
        assert_eq!(find(&r, "qianqi 36.5"), Found::One(5, By::Pinyin));
        assert_eq!(find(&r, "qq 36.5"), Found::One(5, By::Pinyin));
        assert_eq!(find(&r, "3-2-502 36.5"), Found::One(2, By::Room));
        assert_eq!(find(&r, "12号 36.5"), Found::One(4, By::Room));
    }

    #[test]
    fn two_who_fit_are_ambiguous_and_the_room_settles_it() {
        let people = people();
        let r = Roster::new(&people);
        assert_eq!(find(&r, "张三 36.5"), Found::Ambiguous(vec![0, 3]));
        assert_eq!(find(&r, "3栋501 张三 36.5"), Found::One(0, By::Name));
        assert_eq!(find(&r, "4-1-501 张三 36.5"), Found::One(3, By::Name));
        assert_eq!(find(&r, "501 36.5"), Found::Ambiguous(vec![0, 1, 3]));
        assert_eq!(find(&r, "3-2-501 36.5"), Found::Ambiguous(vec![0, 1]));
    }

    #[test]
    fn nobody_fits_lists_who_lives_there_and_who_has_the_name() {
        let people = people();
        let r = Roster::new(&people);
        assert_eq!(find(&r, "孙八 36.5"), Found::Nobody(vec![]));
        assert_eq!(find(&r, "302 孙八 36.5"), Found::Nobody(vec![5]));
        assert_eq!(find(&r, "302 王五 36.5"), Found::Nobody(vec![5, 2]));
        assert_eq!(find(&r, "999 36.5"), Found::Nobody(vec![]));
        assert_eq!(find(&r, "36.5"), Found::NoPerson);
    }

    #[test]
    fn a_room_fits_with_parts_left_out_but_never_out_of_order() {
        let g = number_groups("阳光小区3栋2单元501室");
        let fits = |room: &[&str]| {
            let room: Vec<String> = room.iter().map(|s| (*s).to_owned()).collect();
            fits_room(&g, &room)
        };
        assert!(fits(&["501"]) && fits(&["3", "501"]) && fits(&["2", "501"]));
        assert!(fits(&["3", "2", "501"]));
        assert!(!fits(&["2", "3", "501"]) && !fits(&["502"]) && !fits(&["3"]) && !fits(&[]));
    }

    #[test]
    fn address_number_groups_drop_leading_zeros() {
        assert_eq!(
            number_groups("阳光2期3栋2单元0501室"),
            ["2", "3", "2", "501"]
        );
        assert_eq!(number_groups("帽儿胡同"), Vec::<String>::new());
    }
}
