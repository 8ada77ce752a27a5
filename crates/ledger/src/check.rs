//! Checking rows: each mapped row becomes a planned resident or a list of problems, with
//! core's own rules (ID numbers, phones, name length, tags, relations); rows at one
//! address form households, a second 户主 there starting another.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use wangge_core::import::{ImportPlan, PlannedHousehold, PlannedResident, RowRef};
use wangge_core::mask::{mask_id_number, mask_phone};
use wangge_core::{
    Address, ErrorCode, IdNumber, MAX_NAME_CHARS, MAX_NOTES_CHARS, Phone, Relation,
    ResidenceStatus, Sex, Tag,
};

use crate::cell::Cell;
use crate::mapping::{Field, Resolved, column_letter};
use crate::read::Row;
use crate::report::Problem;

/// The outcome of checking every row: the plan of clean rows and every problem.
pub(crate) struct Checked {
    pub plan: ImportPlan,
    pub problems: Vec<Problem>,
    pub rows_read: usize,
    pub rows_left_out: usize,
}

struct RowCheck<'a> {
    sheet: &'a str,
    row: &'a Row,
    columns: &'a std::collections::BTreeMap<Field, usize>,
    id_masked: Option<String>,
    phone_masked: Option<String>,
    problems: Vec<Problem>,
}

impl RowCheck<'_> {
    fn cell(&self, f: Field) -> &Cell {
        self.columns
            .get(&f)
            .map_or(&Cell::Empty, |c| self.row.get(*c))
    }

    fn text(&self, f: Field) -> String {
        self.cell(f).to_text()
    }

    fn problem(&mut self, f: Field, code: ErrorCode, message: impl Into<String>) {
        self.problems.push(Problem {
            sheet: self.sheet.to_owned(),
            row: self.row.number,
            column: self.columns.get(&f).map(|c| column_letter(*c)),
            field: f,
            code,
            message: message.into(),
            id_number: None,
            phone: None,
        });
    }
}

/// Checks every mapped sheet's rows below its header.
pub(crate) fn check(sheets: &[Resolved<'_>], today: NaiveDate) -> Checked {
    let mut seen: HashMap<String, (String, u32)> = HashMap::new();
    let mut problems = vec![];
    let mut residents: Vec<(Address, PlannedResident)> = vec![];
    let mut rows_read = 0;
    let mut rows_left_out = 0;
    for s in sheets {
        for row in s.sheet.rows.iter().filter(|r| r.number > s.header_row) {
            rows_read += 1;
            let mut c = RowCheck {
                sheet: &s.sheet.name,
                row,
                columns: &s.columns,
                id_masked: None,
                phone_masked: None,
                problems: vec![],
            };
            let planned = check_row(&mut c, today, &mut seen);
            if c.problems.is_empty()
                && let Some(p) = planned
            {
                residents.push(p);
                continue;
            }
            rows_left_out += 1;
            for mut p in c.problems {
                p.id_number.clone_from(&c.id_masked);
                p.phone.clone_from(&c.phone_masked);
                problems.push(p);
            }
        }
    }
    Checked {
        plan: form_households(residents),
        problems,
        rows_read,
        rows_left_out,
    }
}

fn check_row(
    c: &mut RowCheck<'_>,
    today: NaiveDate,
    seen: &mut HashMap<String, (String, u32)>,
) -> Option<(Address, PlannedResident)> {
    let name = c.text(Field::Name);
    if name.is_empty() {
        c.problem(Field::Name, ErrorCode::RequiredField, "姓名 is empty");
    } else if name.chars().count() > MAX_NAME_CHARS {
        c.problem(
            Field::Name,
            ErrorCode::TooLong,
            format!("a name has at most {MAX_NAME_CHARS} characters"),
        );
    }
    let id_number = check_id(c, today, seen);
    if let Some(birth) = non_empty(c.cell(Field::BirthDate)) {
        match birth.to_date() {
            None => c.problem(Field::BirthDate, ErrorCode::InvalidDate, "not a date"),
            Some(d) => {
                if let Some(id) = &id_number
                    && id.birth_date() != d
                {
                    c.problem(
                        Field::BirthDate,
                        ErrorCode::BirthDateMismatch,
                        "the birth date differs from the one in the ID number",
                    );
                }
            }
        }
    }
    let sex = c.text(Field::Sex);
    if !sex.is_empty() {
        match parse_sex(&sex) {
            None => c.problem(
                Field::Sex,
                ErrorCode::InvalidSex,
                "性别 is neither 男 nor 女",
            ),
            Some(s) => {
                if let Some(id) = &id_number
                    && id.sex() != s
                {
                    c.problem(
                        Field::Sex,
                        ErrorCode::SexMismatch,
                        "the sex differs from the one the ID number encodes",
                    );
                }
            }
        }
    }
    let phone_text = c.text(Field::Phone);
    let phone = if phone_text.is_empty() {
        None
    } else {
        c.phone_masked = Some(mask_phone(&phone_text));
        match Phone::parse(&phone_text) {
            Ok(p) => {
                c.phone_masked = Some(p.masked());
                Some(p)
            }
            Err(e) => {
                c.problem(Field::Phone, e.code, e.message);
                None
            }
        }
    };
    let relation = labelled(c, Field::Relation, Relation::from_label, || {
        (
            ErrorCode::UnknownRelation,
            "an unknown relation to the head",
        )
    });
    let status = labelled(c, Field::Status, ResidenceStatus::from_label, || {
        (ErrorCode::UnknownStatus, "an unknown 人户状态")
    });
    let mut tags = BTreeSet::new();
    for label in c
        .text(Field::Tags)
        .split([',', '，', '、', ';', '；', '/', ' ', '\n'])
        .filter(|l| !l.trim().is_empty() && !matches!(l.trim(), "无" | "否" | "-"))
    {
        match Tag::from_label(label) {
            Some(t) => {
                tags.insert(t);
            }
            None => c.problem(
                Field::Tags,
                ErrorCode::UnknownTag,
                format!("an unknown 重点人群 category {:?}", label.trim()),
            ),
        }
    }
    let notes = notes_of(c);
    if notes.chars().count() > MAX_NOTES_CHARS {
        c.problem(
            Field::Notes,
            ErrorCode::TooLong,
            format!("notes have at most {MAX_NOTES_CHARS} characters"),
        );
    }
    let address = address_of(c);
    let address = address?;
    Some((
        address,
        PlannedResident {
            row: RowRef {
                sheet: c.sheet.to_owned(),
                row: c.row.number,
            },
            name,
            id_number,
            phone,
            relation,
            status,
            tags,
            notes,
        },
    ))
}

fn non_empty(c: &Cell) -> Option<&Cell> {
    (!c.is_empty()).then_some(c)
}

fn check_id(
    c: &mut RowCheck<'_>,
    today: NaiveDate,
    seen: &mut HashMap<String, (String, u32)>,
) -> Option<IdNumber> {
    let cell = c.cell(Field::IdNumber).clone();
    let text = cell.to_text();
    if cell.is_empty() {
        return None;
    }
    c.id_masked = Some(mask_id_number(&text));
    // 18 digits do not fit the 15 significant digits a number cell keeps: whatever a
    // number cell shows, its last digits are gone.
    let rounded = match &cell {
        Cell::Number(_) => true,
        Cell::Text(t) => t.contains(['E', 'e']) && t.contains('+') || t.contains('.'),
        _ => false,
    };
    if rounded {
        c.problem(
            Field::IdNumber,
            ErrorCode::IdNumberRounded,
            "Excel stored the ID number as a number and lost its last digits; \
             format the column as text and enter the numbers again",
        );
        return None;
    }
    match IdNumber::parse(&text, today) {
        Err(e) => {
            c.problem(Field::IdNumber, e.code, e.message);
            None
        }
        Ok(id) => {
            c.id_masked = Some(id.masked());
            let here = (c.sheet.to_owned(), c.row.number);
            if let Some((sheet, row)) = seen.get(id.as_str()) {
                c.problem(
                    Field::IdNumber,
                    ErrorCode::DuplicateIdNumber,
                    format!("the same ID number is on row {row} of sheet {sheet:?}"),
                );
                return None;
            }
            seen.insert(id.as_str().to_owned(), here);
            Some(id)
        }
    }
}

fn parse_sex(s: &str) -> Option<Sex> {
    match s.trim() {
        "男" | "男性" | "M" | "m" | "1" => Some(Sex::Male),
        "女" | "女性" | "F" | "f" | "2" => Some(Sex::Female),
        _ => None,
    }
}

fn labelled<T>(
    c: &mut RowCheck<'_>,
    f: Field,
    parse: impl Fn(&str) -> Option<T>,
    err: impl Fn() -> (ErrorCode, &'static str),
) -> Option<T> {
    let t = c.text(f);
    if t.is_empty() {
        return None;
    }
    let v = parse(&t);
    if v.is_none() {
        let (code, msg) = err();
        c.problem(f, code, msg);
    }
    v
}

/// 备注, with 民族 and 户籍地址 kept as labelled lines (the model has no field for them).
fn notes_of(c: &RowCheck<'_>) -> String {
    let mut lines = vec![];
    for (f, label) in [
        (Field::Ethnicity, "民族"),
        (Field::RegisteredAddress, "户籍地址"),
    ] {
        let t = c.text(f);
        if !t.is_empty() {
            lines.push(format!("{label}:{t}"));
        }
    }
    let notes = c.text(Field::Notes);
    if !notes.is_empty() {
        lines.push(notes);
    }
    lines.join("\n")
}

/// The address: 楼栋 and 房号 columns (with 小区 and 单元 when given), else 现住址 read as
/// `…小区3栋2单元501室` or `…胡同12号`.
fn address_of(c: &mut RowCheck<'_>) -> Option<Address> {
    let (building, room) = (c.text(Field::Building), c.text(Field::Room));
    if !building.is_empty() && !room.is_empty() {
        return Some(Address::Flat {
            estate: c.text(Field::Estate),
            building,
            unit: c.text(Field::Unit),
            room,
        });
    }
    let line = c.text(Field::CurrentAddress);
    if let Some(a) = parse_address(&line) {
        return Some(a);
    }
    c.problem(
        Field::CurrentAddress,
        ErrorCode::AddressMissing,
        "neither 楼栋 and 房号 nor a 现住址 with a building and room or a street number",
    );
    None
}

/// `阳光小区3栋2单元501室` → flat; `帽儿胡同12号` → street.
pub(crate) fn parse_address(line: &str) -> Option<Address> {
    let s: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return None;
    }
    let building_at = ["号楼", "栋", "幢"]
        .iter()
        .filter_map(|m| s.find(m).map(|i| (i, *m)))
        .min_by_key(|(i, _)| *i);
    if let Some((bi, marker)) = building_at {
        let head = &s[..bi];
        let digits_from = head
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric())
            .last()
            .map_or(head.len(), |(i, _)| i);
        let (estate, building) = head.split_at(digits_from);
        let rest = &s[bi + marker.len()..];
        let (unit, rest) = match rest.find("单元") {
            Some(u) => (&rest[..u], &rest[u + "单元".len()..]),
            None => ("", rest),
        };
        let room = rest.trim_end_matches(['室', '号', '户']);
        if !building.is_empty() && !room.is_empty() {
            return Some(Address::Flat {
                estate: estate.to_owned(),
                building: building.to_owned(),
                unit: unit.to_owned(),
                room: room.to_owned(),
            });
        }
    }
    let body = s.strip_suffix('号')?;
    let split = body
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '-')
        .last()
        .map(|(i, _)| i)?;
    let (street, number) = body.split_at(split);
    (!street.is_empty()).then(|| Address::Street {
        street: street.to_owned(),
        number: format!("{number}号"),
    })
}

/// Rows at one address form a household, in the order of the file; a 户主 at an address
/// whose household already has one starts another household there.
fn form_households(residents: Vec<(Address, PlannedResident)>) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (address, r) in residents {
        let key = address.display();
        let is_head = r.relation == Some(Relation::Head);
        let current = at
            .get(&key)
            .copied()
            .filter(|&i| !(is_head && plan.households[i].head().is_some()));
        let i = match current {
            Some(i) => i,
            None => {
                plan.households.push(PlannedHousehold {
                    address,
                    grid: None,
                    residents: vec![],
                });
                at.insert(key, plan.households.len() - 1);
                plan.households.len() - 1
            }
        };
        let h = &mut plan.households[i];
        if is_head {
            h.residents.insert(0, r);
        } else {
            h.residents.push(r);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_from_one_line() {
        assert_eq!(
            parse_address("阳光小区3栋2单元501室"),
            Some(Address::Flat {
                estate: "阳光小区".into(),
                building: "3".into(),
                unit: "2".into(),
                room: "501".into(),
            })
        );
        assert_eq!(
            parse_address("和平里12号楼302"),
            Some(Address::Flat {
                estate: "和平里".into(),
                building: "12".into(),
                unit: String::new(),
                room: "302".into(),
            })
        );
        assert_eq!(
            parse_address("帽儿胡同12号"),
            Some(Address::Street {
                street: "帽儿胡同".into(),
                number: "12号".into(),
            })
        );
        assert_eq!(parse_address("幸福小区"), None);
        assert_eq!(parse_address(""), None);
    }
}
