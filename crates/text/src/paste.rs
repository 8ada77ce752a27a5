//! Readings pasted as text, cut into pieces: who (a name, its pinyin, a room) and the
//! reading, one piece per person, many per line.
//!
//! What members paste comes from phone calls and WeChat groups: `张三 36.5，李四 36.8`,
//! `3-501 王五 36.6`, `1、赵六体温36.7℃`, full-width digits, names glued to their
//! readings. The cutting never guesses: a reading is a number that looks like one
//! (`36.5`, or a whole `34`–`43`), a piece without a reading is kept as such, and a second
//! reading after a person starts a piece with nobody in it. Whether a reading is a valid
//! temperature, and who the person is, are judged later ([`crate::roster`] and the store).

use crate::roster::number_groups;

/// Longest text accepted, in characters (a grid's day many times over).
pub const MAX_CHARS: usize = 20_000;

/// The text is longer than [`MAX_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    /// Characters in the text.
    pub chars: usize,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pasted text has {} characters, at most {MAX_CHARS} are read",
            self.chars
        )
    }
}

impl std::error::Error for TooLong {}

/// One person's part of the pasted text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Piece {
    /// 1-based line of the text.
    pub line: u32,
    /// The piece as pasted (from its first to its last token).
    pub text: String,
    /// A name in Han characters (`张三`, `买买提·艾力`) or Latin letters (`zhangsan`, `zs`).
    pub name: Option<String>,
    /// A room as its number groups: `3栋2单元501室`, `3-2-501` → `["3", "2", "501"]`.
    pub room: Vec<String>,
    /// The reading as pasted, units dropped (`36.5℃` → `36.5`).
    pub reading: Option<String>,
}

impl Piece {
    /// Whether the piece names anyone (a name or a room).
    pub fn has_person(&self) -> bool {
        self.name.is_some() || !self.room.is_empty()
    }
}

/// Cuts pasted text into pieces, in text order.
pub fn parse(text: &str) -> Result<Vec<Piece>, TooLong> {
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(TooLong { chars });
    }
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        parse_line(n, line, &mut out);
    }
    Ok(out)
}

/// Words around readings that say nothing about who or how warm.
const NOISE: &[&str] = &[
    "体温", "温度", "测温", "正常", "已测", "今天", "今日", "上午", "下午", "早上", "晚上",
];

/// Suffixes that make a number something else (a date, a time, an age, a count): dropped.
const OTHER_UNITS: &[&str] = &["月", "日", "点", "时", "分", "岁", "人", "次", "年"];

/// Suffixes that make a number a part of a room.
const ROOM_UNITS: &[&str] = &["号楼", "单元", "栋", "幢", "室", "号", "楼", "层", "户"];

/// Suffixes that make a number a reading.
const TEMP_UNITS: &[&str] = &["℃", "°C", "°c", "°", "度"];

#[derive(Debug)]
enum Kind {
    Name(String),
    Room(Vec<String>),
    Reading(String),
}

#[derive(Debug)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Full-width forms as their ASCII letters (one char for one char, so positions hold).
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '。' => '.',
        _ => c,
    }
}

fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2EBEF}')
}

/// The middle dot of transcribed names (买买提·艾力), in its usual spellings.
fn is_name_dot(c: char) -> bool {
    matches!(c, '·' | '•' | '‧' | '・')
}

fn starts_with_at(chars: &[char], at: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(k, w)| chars.get(at + k) == Some(&w))
}

fn tokens(chars: &[char]) -> Vec<Token> {
    let mut out = vec![];
    let mut i = 0;
    // An enumeration at the start of the line: `1、`, `2.`, `3)`.
    let first = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(0);
    let mut j = first;
    while j < chars.len() && chars[j].is_ascii_digit() {
        j += 1;
    }
    if j > first
        && j - first <= 3
        && matches!(chars.get(j), Some('、' | '.' | ')' | '）' | ']'))
        && !chars.get(j + 1).is_some_and(char::is_ascii_digit)
    {
        i = j + 1;
    }
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            let mut dots = 0;
            let mut dashes = false;
            while i < chars.len() {
                let d = chars[i];
                let joins_next = chars.get(i + 1).is_some_and(char::is_ascii_digit);
                if d.is_ascii_digit() {
                    i += 1;
                } else if d == '.' && joins_next && !dashes {
                    dots += 1;
                    i += 1;
                } else if matches!(d, '-' | '—' | '–' | '_' | '/' | '#') && joins_next && dots == 0
                {
                    dashes = true;
                    i += 1;
                } else {
                    break;
                }
            }
            let number: String = chars[start..i].iter().collect();
            // A time of day (`8:30`) or a number counting something else: not a room.
            if i - start <= 2
                && chars.get(i) == Some(&':')
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            {
                i += 2;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                continue;
            }
            if let Some(u) = OTHER_UNITS.iter().find(|u| starts_with_at(chars, i, u)) {
                i += u.chars().count();
                continue;
            }
            if let Some(u) = ROOM_UNITS.iter().find(|u| starts_with_at(chars, i, u)) {
                i += u.chars().count();
                out.push(Token {
                    kind: Kind::Room(number_groups(&number)),
                    start,
                    end: i,
                });
                continue;
            }
            let unit = TEMP_UNITS.iter().find(|u| starts_with_at(chars, i, u));
            if let Some(u) = unit {
                i += u.chars().count();
            }
            let whole: Option<u32> = number.parse().ok();
            let reading = unit.is_some()
                || dots == 1
                || (!dashes && whole.is_some_and(|w| (34..=43).contains(&w)));
            // `36.5.1` is no room either: kept as a reading, so that it is refused as one.
            let kind = if reading || dots > 1 {
                Kind::Reading(number)
            } else {
                Kind::Room(number_groups(&number))
            };
            out.push(Token {
                kind,
                start,
                end: i,
            });
        } else if is_han(c) {
            let start = i;
            while i < chars.len()
                && (is_han(chars[i])
                    || (is_name_dot(chars[i])
                        && chars.get(i + 1).copied().is_some_and(is_han)
                        && i > start))
            {
                i += 1;
            }
            push_name(&mut out, &chars[start..i], start);
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            out.push(Token {
                kind: Kind::Name(word),
                start,
                end: i,
            });
        } else {
            i += 1;
        }
    }
    out
}

/// A run of Han characters without the noise words at its ends; nothing when only noise.
fn push_name(out: &mut Vec<Token>, run: &[char], start: usize) {
    let mut a = 0;
    let mut b = run.len();
    loop {
        let before = (a, b);
        for w in NOISE {
            let n = w.chars().count();
            if b - a >= n && starts_with_at(run, a, w) {
                a += n;
            }
            if b - a >= n && starts_with_at(run, b - n, w) {
                b -= n;
            }
        }
        if (a, b) == before {
            break;
        }
    }
    if a < b {
        out.push(Token {
            kind: Kind::Name(run[a..b].iter().collect()),
            start: start + a,
            end: start + b,
        });
    }
}

fn parse_line(line: u32, text: &str, out: &mut Vec<Piece>) {
    let original: Vec<char> = text.chars().collect();
    let chars: Vec<char> = original.iter().copied().map(narrow).collect();
    let mut piece = Piece {
        line,
        ..Piece::default()
    };
    let mut span: Option<(usize, usize)> = None;
    let flush = |piece: &mut Piece, span: &mut Option<(usize, usize)>, out: &mut Vec<Piece>| {
        if let Some((a, b)) = span.take() {
            piece.text = original[a..b].iter().collect::<String>().trim().to_owned();
            out.push(std::mem::replace(
                piece,
                Piece {
                    line,
                    ..Piece::default()
                },
            ));
        }
    };
    for t in tokens(&chars) {
        match t.kind {
            Kind::Name(n) => {
                if piece.name.is_some() || piece.reading.is_some() {
                    flush(&mut piece, &mut span, out);
                }
                piece.name = Some(n);
            }
            // Room parts apart (`5号楼 0101`) are one room.
            Kind::Room(g) => piece.room.extend(g),
            Kind::Reading(r) => {
                if piece.reading.is_some() {
                    flush(&mut piece, &mut span, out);
                }
                piece.reading = Some(r);
            }
        }
        span = Some(match span {
            Some((a, _)) => (a, t.end),
            None => (t.start, t.end),
        });
        if piece.reading.is_some() {
            flush(&mut piece, &mut span, out);
        }
    }
    flush(&mut piece, &mut span, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str) -> Vec<(Option<&str>, Vec<&str>, Option<&str>)> {
        // Leaks are fine in a test: the pieces are compared as plain tuples.
        let pieces: &'static [Piece] = Box::leak(parse(text).expect("short").into_boxed_slice());
        pieces
            .iter()
            .map(|p| {
                (
                    p.name.as_deref(),
                    p.room.iter().map(String::as_str).collect(),
                    p.reading.as_deref(),
                )
            })
            .collect()
    }

    #[test]
    fn names_and_readings_many_per_line_in_the_usual_spellings() {
        assert_eq!(
            cut("张三 36.5，李四 36.8、王五：37.4℃\n赵六体温36.7度 钱七36"),
            vec![
                (Some("张三"), vec![], Some("36.5")),
                (Some("李四"), vec![], Some("36.8")),
                (Some("王五"), vec![], Some("37.4")),
                (Some("赵六"), vec![], Some("36.7")),
                (Some("钱七"), vec![], Some("36")),
            ]
        );
    }

    #[test]
    fn rooms_in_their_spellings_join_into_one_and_go_with_the_name() {
        assert_eq!(
            cut("3栋2单元501室 孙八 36.6\n3-2-502 36.4\n1203 周九 36.9\n5号楼 0101 吴十 36.2"),
            vec![
                (Some("孙八"), vec!["3", "2", "501"], Some("36.6")),
                (None, vec!["3", "2", "502"], Some("36.4")),
                (Some("周九"), vec!["1203"], Some("36.9")),
                (Some("吴十"), vec!["5", "101"], Some("36.2")),
            ]
        );
    }

    #[test]
    fn full_width_digits_enumerations_pinyin_and_transcribed_names() {
        assert_eq!(
            cut("1、张三 ３６．５\n2. zhangsan 36.6\n3) 买买提·艾力 36.7"),
            vec![
                (Some("张三"), vec![], Some("36.5")),
                (Some("zhangsan"), vec![], Some("36.6")),
                (Some("买买提·艾力"), vec![], Some("36.7")),
            ]
        );
    }

    #[test]
    fn nothing_is_guessed_a_missing_reading_and_a_second_one_stay_apart() {
        assert_eq!(
            cut("张三 正常\n李四 36.5 36.8\n36.9\n王五 45.2"),
            vec![
                (Some("张三"), vec![], None),
                (Some("李四"), vec![], Some("36.5")),
                (None, vec![], Some("36.8")),
                (None, vec![], Some("36.9")),
                (Some("王五"), vec![], Some("45.2")),
            ]
        );
        let p = parse("李四 36.5 36.8").expect("short");
        assert_eq!(p[0].text, "李四 36.5");
        assert_eq!(p[1].text, "36.8");
        assert_eq!(p[1].line, 1);
    }

    #[test]
    fn times_dates_and_counts_are_not_rooms() {
        assert_eq!(
            cut("8:30 张三 36.5\n12月3日 李四 36.6 共2人"),
            vec![
                (Some("张三"), vec![], Some("36.5")),
                (Some("李四"), vec![], Some("36.6")),
                (Some("共"), vec![], None),
            ]
        );
    }

    #[test]
    fn text_over_the_limit_is_refused_whole() {
        let long = "张三 36.5\n".repeat(MAX_CHARS / 4);
        assert_eq!(
            parse(&long),
            Err(TooLong {
                chars: long.chars().count()
            })
        );
        assert_eq!(parse("").expect("empty"), vec![]);
    }

    proptest::proptest! {
        #[test]
        fn any_text_cuts_into_pieces_that_come_from_it(text in "\\PC{0,200}") {
            let pieces = parse(&text).expect("short");
            let lines = text.lines().count();
            for p in pieces {
                proptest::prop_assert!(p.line as usize >= 1 && p.line as usize <= lines);
                proptest::prop_assert!(text.lines().nth(p.line as usize - 1).is_some_and(|l| l.contains(&p.text)));
                proptest::prop_assert!(p.has_person() || p.reading.is_some());
            }
        }
    }
}
