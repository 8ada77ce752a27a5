//! One cell's value as the ledger reads it, and dates in the shapes offices write them.

use chrono::{Datelike, NaiveDate};

/// A cell: text (trimmed), a number, a date (a date-formatted cell), a boolean, or empty.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing there.
    Empty,
    /// Text, trimmed.
    Text(String),
    /// A number cell (Excel keeps 15 significant digits).
    Number(f64),
    /// A cell formatted as a date.
    Date(NaiveDate),
    /// TRUE / FALSE.
    Bool(bool),
}

impl Cell {
    /// Text from a string cell: trimmed, empty as [`Cell::Empty`].
    pub fn text(s: &str) -> Cell {
        let t = s.trim();
        if t.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(t.to_owned())
        }
    }

    /// Whether nothing is there.
    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The cell as text: whole numbers without a decimal point, dates as `YYYY-MM-DD`.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => format!("{n}"),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }

    /// The cell as a date: a date cell, an Excel serial number (days since 1899-12-30), an
    /// 8-digit `20260105`, or text `2026/1/5`, `2026-01-05`, `2026.1.5`, `2026年1月5日`
    /// (a time after the date is ignored).
    pub fn to_date(&self) -> Option<NaiveDate> {
        match self {
            Cell::Date(d) => Some(*d),
            Cell::Number(n) if n.fract() == 0.0 && (19_000_101.0..=21_001_231.0).contains(n) => {
                yyyymmdd(&format!("{}", *n as i64))
            }
            Cell::Number(n) if (1.0..=2_958_465.0).contains(n) => {
                let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
                base.checked_add_days(chrono::Days::new(n.floor() as u64))
            }
            Cell::Text(s) => parse_date_text(s),
            _ => None,
        }
    }
}

fn yyyymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

/// Dates as text: `2026/1/5`, `2026-01-05`, `2026.1.5`, `2026年1月5日`, `20260105`.
pub fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let date_part = s.split([' ', 'T']).next().unwrap_or(s);
    if let Some(d) = yyyymmdd(date_part) {
        return Some(d);
    }
    let unified: String = date_part
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' | '-' => '-',
            '日' | '号' => ' ',
            c => c,
        })
        .collect();
    let mut parts = unified.trim().split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let num = |p: &str| -> Option<u32> {
        (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let year = num(y)?;
    if y.len() != 4 {
        return None;
    }
    let d = NaiveDate::from_ymd_opt(year as i32, num(m)?, num(d)?)?;
    (d.year() >= 1900).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_are_read_in_every_shape_offices_write() {
        let want = Some(ymd(2026, 1, 5));
        for s in [
            "2026/1/5",
            "2026-01-05",
            "2026年1月5日",
            "2026.1.5",
            "20260105",
            "2026/1/5 0:00:00",
        ] {
            assert_eq!(Cell::text(s).to_date(), want, "{s}");
        }
        assert_eq!(Cell::Number(46027.0).to_date(), want, "serial number");
        assert_eq!(Cell::Number(20260105.0).to_date(), want);
        assert_eq!(Cell::Date(ymd(2026, 1, 5)).to_date(), want);
    }

    #[test]
    fn non_dates_are_none() {
        for s in ["2026/2/30", "明天", "26/1/5", "2026-1", "2026-1-5-1"] {
            assert_eq!(Cell::text(s).to_date(), None, "{s}");
        }
        assert_eq!(Cell::Number(-3.0).to_date(), None);
    }

    #[test]
    fn whole_numbers_read_as_text_without_a_decimal_point() {
        assert_eq!(Cell::Number(13812345678.0).to_text(), "13812345678");
        assert_eq!(Cell::Number(2.5).to_text(), "2.5");
    }
}
