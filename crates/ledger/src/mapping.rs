//! Which column holds what: proposed from the header row's names and synonyms, shown to
//! the user, and taken back (corrected or not) as an explicit [`Mapping`] value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wangge_core::ErrorCode;

use crate::error::{LedgerError, Result};
use crate::read::{Sheet, Workbook};

/// Rows at the top of a sheet searched for the header (title rows come first).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// What a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// 姓名.
    Name,
    /// 性别.
    Sex,
    /// 身份证号码 / 公民身份号码.
    IdNumber,
    /// 出生日期.
    BirthDate,
    /// 民族 (kept in the notes).
    Ethnicity,
    /// 与户主关系.
    Relation,
    /// 联系电话 / 手机号码.
    Phone,
    /// 户籍地址 (kept in the notes).
    RegisteredAddress,
    /// 现住址 / 居住地址 (the household's address when there are no 楼栋/房号 columns).
    CurrentAddress,
    /// 小区.
    Estate,
    /// 楼栋.
    Building,
    /// 单元.
    Unit,
    /// 门牌号 / 房号 / 房屋编号.
    Room,
    /// 人户状态 / 户籍类别.
    Status,
    /// 重点人员类别 / 特殊人群 / 人员类别.
    Tags,
    /// 备注.
    Notes,
}

impl Field {
    /// Header names that mean this field (compared without spaces, `*` and brackets).
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Name => &["姓名", "居民姓名", "人员姓名", "成员姓名"],
            Field::Sex => &["性别"],
            Field::IdNumber => &[
                "身份证号码",
                "公民身份号码",
                "身份证号",
                "身份证",
                "证件号码",
                "公民身份证号码",
            ],
            Field::BirthDate => &["出生日期", "出生年月", "出生年月日", "生日"],
            Field::Ethnicity => &["民族"],
            Field::Relation => &["与户主关系", "与户主的关系", "关系", "家庭关系"],
            Field::Phone => &[
                "联系电话",
                "手机号码",
                "手机号",
                "手机",
                "电话",
                "联系方式",
                "电话号码",
            ],
            Field::RegisteredAddress => &["户籍地址", "户籍地", "户口所在地", "户籍所在地"],
            Field::CurrentAddress => &[
                "现住址",
                "居住地址",
                "现居住地址",
                "现居地址",
                "实际居住地址",
                "住址",
            ],
            Field::Estate => &["小区", "小区名称", "小区名"],
            Field::Building => &["楼栋", "楼栋号", "楼号", "栋", "幢"],
            Field::Unit => &["单元", "单元号"],
            Field::Room => &["门牌号", "房号", "房屋编号", "房间号", "室", "户号"],
            Field::Status => &["人户状态", "户籍类别", "人口类型", "居住类型", "人口类别"],
            Field::Tags => &[
                "重点人员类别",
                "特殊人群",
                "人员类别",
                "重点人群",
                "重点人员",
                "人群类别",
            ],
            Field::Notes => &["备注", "说明"],
        }
    }

    /// Every field, in column order of a typical ledger.
    pub const ALL: [Field; 16] = [
        Field::Name,
        Field::Sex,
        Field::IdNumber,
        Field::BirthDate,
        Field::Ethnicity,
        Field::Relation,
        Field::Phone,
        Field::RegisteredAddress,
        Field::CurrentAddress,
        Field::Estate,
        Field::Building,
        Field::Unit,
        Field::Room,
        Field::Status,
        Field::Tags,
        Field::Notes,
    ];

    /// The field a header text names, if any.
    pub fn of_header(text: &str) -> Option<Field> {
        let key = normalise(text);
        Field::ALL
            .into_iter()
            .find(|f| f.synonyms().iter().any(|s| *s == key))
    }
}

fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊' | ':' | '：'))
        .take_while(|c| !matches!(c, '(' | '（'))
        .collect()
}

/// Column letters as Excel shows them: 0 → `A`, 26 → `AA`.
pub fn column_letter(col: usize) -> String {
    let mut n = col + 1;
    let mut out = vec![];
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A column letter back to its 0-based index.
pub fn column_index(letter: &str) -> Option<usize> {
    let l = letter.trim();
    if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let n = l.bytes().fold(0usize, |n, b| {
        n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    Some(n - 1)
}

/// One sheet's mapping: where its header is and which column holds which field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetMapping {
    /// The sheet's name.
    pub sheet: String,
    /// The header's row number (1-based); data starts below it.
    pub header_row: u32,
    /// Field → column letter.
    pub columns: BTreeMap<Field, String>,
}

/// Which sheets are read and how. Sheets not listed (extra sheets) are not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// The sheets read, in the file's order.
    pub sheets: Vec<SheetMapping>,
}

/// A mapping with column indexes, checked against the workbook.
pub(crate) struct Resolved<'a> {
    pub sheet: &'a Sheet,
    pub header_row: u32,
    pub columns: BTreeMap<Field, usize>,
}

impl Mapping {
    /// Proposes a mapping: in each sheet, the first of the top rows that names a name
    /// column and at least two other known fields is the header.
    pub fn propose(book: &Workbook) -> Result<Mapping> {
        let sheets: Vec<SheetMapping> = book.sheets.iter().filter_map(propose_sheet).collect();
        if sheets.is_empty() {
            return Err(LedgerError::new(
                ErrorCode::NoHeaderRow,
                "no sheet has a header row with a 姓名 column",
            ));
        }
        Ok(Mapping { sheets })
    }

    pub(crate) fn resolve<'a>(&self, book: &'a Workbook) -> Result<Vec<Resolved<'a>>> {
        let bad = |m: String| LedgerError::new(ErrorCode::BadMapping, m);
        if self.sheets.is_empty() {
            return Err(bad("the mapping reads no sheet".into()));
        }
        let mut out = vec![];
        for m in &self.sheets {
            let sheet = book
                .sheets
                .iter()
                .find(|s| s.name == m.sheet)
                .ok_or_else(|| bad(format!("the file has no sheet {:?}", m.sheet)))?;
            let mut columns = BTreeMap::new();
            for (field, letter) in &m.columns {
                let col = column_index(letter)
                    .filter(|c| *c < crate::read::MAX_COLS)
                    .ok_or_else(|| bad(format!("{letter:?} is not a column letter")))?;
                columns.insert(*field, col);
            }
            if !columns.contains_key(&Field::Name) {
                return Err(bad(format!("sheet {:?}: no 姓名 column", m.sheet)));
            }
            out.push(Resolved {
                sheet,
                header_row: m.header_row,
                columns,
            });
        }
        Ok(out)
    }
}

fn propose_sheet(sheet: &Sheet) -> Option<SheetMapping> {
    for row in sheet.rows.iter().take(HEADER_SEARCH_ROWS) {
        let mut columns = BTreeMap::new();
        for (col, cell) in row.cells.iter().enumerate() {
            if let Some(f) = Field::of_header(&cell.to_text()) {
                columns.entry(f).or_insert_with(|| column_letter(col));
            }
        }
        if columns.contains_key(&Field::Name) && columns.len() >= 3 {
            return Some(SheetMapping {
                sheet: sheet.name.clone(),
                header_row: row.number,
                columns,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_round_trip() {
        for (i, l) in [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA")] {
            assert_eq!(column_letter(i), l);
            assert_eq!(column_index(l), Some(i));
        }
        assert_eq!(column_index("a"), Some(0));
        assert_eq!(column_index("1"), None);
    }

    #[test]
    fn headers_are_known_by_their_synonyms() {
        assert_eq!(Field::of_header("公民身份号码"), Some(Field::IdNumber));
        assert_eq!(Field::of_header(" *姓 名 "), Some(Field::Name));
        assert_eq!(Field::of_header("手机号码(必填)"), Some(Field::Phone));
        assert_eq!(Field::of_header("房屋编号"), Some(Field::Room));
        assert_eq!(Field::of_header("特殊人群"), Some(Field::Tags));
        assert_eq!(Field::of_header("工作单位"), None);
    }
}
