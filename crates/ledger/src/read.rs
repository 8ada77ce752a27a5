//! Reading a file into sheets of rows, bounded: at most [`MAX_ROWS`] rows of at most
//! [`MAX_COLS`] columns, whatever the file claims. xlsx sheets are streamed cell by cell
//! (a million-row sheet stops at the limit without being loaded); CSV is read record by
//! record after decoding UTF-8 or GBK.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xls, Xlsx, XlsxError};
use wangge_core::ErrorCode;

use crate::cell::Cell;
use crate::error::{LedgerError, Result};
use crate::sniff::{Format, encrypted, sniff};

/// Rows (not blank) one file may have, over all its sheets.
pub const MAX_ROWS: usize = 100_000;
/// Columns read per row; anything to the right is ignored.
pub const MAX_COLS: usize = 64;

/// A row as the spreadsheet shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The 1-based row number Excel shows.
    pub number: u32,
    /// Cells from column A.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell in 0-based column `col`.
    pub fn get(&self, col: usize) -> &Cell {
        self.cells.get(col).unwrap_or(&Cell::Empty)
    }
}

/// A sheet: its name and its non-blank rows in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's name (`CSV` for a CSV file).
    pub name: String,
    /// Non-blank rows.
    pub rows: Vec<Row>,
}

/// A whole file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Workbook {
    /// What it was.
    pub format: Format,
    /// Its sheets in order.
    pub sheets: Vec<Sheet>,
}

/// Reads `bytes` (a whole file), refusing what [`sniff`] refuses and what is too large.
pub fn read(bytes: &[u8]) -> Result<Workbook> {
    let format = sniff(bytes)?;
    let sheets = match format {
        Format::Xlsx => read_xlsx(bytes)?,
        Format::Xls => read_xls(bytes)?,
        Format::Csv => vec![read_csv(bytes)?],
    };
    if sheets.iter().all(|s| s.rows.is_empty()) {
        return Err(LedgerError::new(
            ErrorCode::NotASpreadsheet,
            "the file has no rows",
        ));
    }
    Ok(Workbook { format, sheets })
}

fn too_many() -> LedgerError {
    LedgerError::new(
        ErrorCode::TooManyRows,
        format!("more than {MAX_ROWS} rows; split the ledger into smaller files"),
    )
}

/// Collects cells into rows, counting against the limit.
struct Rows {
    rows: Vec<Row>,
    budget: usize,
}

impl Rows {
    fn put(&mut self, row: u32, col: u32, cell: Cell) -> Result<()> {
        if cell.is_empty() || col as usize >= MAX_COLS {
            return Ok(());
        }
        let number = row + 1;
        if self.rows.last().is_none_or(|r| r.number != number) {
            if self.budget == 0 {
                return Err(too_many());
            }
            self.budget -= 1;
            self.rows.push(Row {
                number,
                cells: vec![],
            });
        }
        if let Some(r) = self.rows.last_mut() {
            let col = col as usize;
            if r.cells.len() <= col {
                r.cells.resize(col + 1, Cell::Empty);
            }
            r.cells[col] = cell;
        }
        Ok(())
    }
}

fn sheet_error(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::new(
        ErrorCode::SheetUnreadable,
        format!("a sheet cannot be read: {e}"),
    )
}

fn from_ref(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::text(s),
        DataRef::SharedString(s) => Cell::text(s),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => dt
            .as_datetime()
            .map(|t| Cell::Date(t.date()))
            .unwrap_or(Cell::Number(dt.as_f64())),
        DataRef::DateTimeIso(s) => Cell::text(s),
        DataRef::DurationIso(_) | DataRef::Error(_) | DataRef::Empty => Cell::Empty,
    }
}

fn from_data(d: &Data) -> Cell {
    match d {
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::text(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|t| Cell::Date(t.date()))
            .unwrap_or(Cell::Number(dt.as_f64())),
        Data::DateTimeIso(s) => Cell::text(s),
        Data::DurationIso(_) | Data::Error(_) | Data::Empty => Cell::Empty,
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Sheet>> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        XlsxError::Password => encrypted(),
        e => LedgerError::new(
            ErrorCode::NotASpreadsheet,
            format!("not a readable xlsx: {e}"),
        ),
    })?;
    let mut budget = MAX_ROWS;
    let mut out = vec![];
    for name in book.sheet_names() {
        let mut rows = Rows {
            rows: vec![],
            budget,
        };
        {
            let mut cells = book.worksheet_cells_reader(&name).map_err(sheet_error)?;
            while let Some(c) = cells.next_cell().map_err(sheet_error)? {
                let (r, col) = c.get_position();
                rows.put(r, col, from_ref(c.get_value()))?;
            }
        }
        // Merged cells hold their value in the top-left cell only: a value merged down
        // over a household's rows (an address, say) is copied to each row it covers.
        if let Ok(merged) = book.merge_cells_by_sheet_name(&name) {
            fill_merged(&mut rows.rows, &merged);
        }
        budget = rows.budget;
        out.push(Sheet {
            name,
            rows: rows.rows,
        });
    }
    Ok(out)
}

/// Copies a vertically merged region's value down into its other rows that are present.
fn fill_merged(rows: &mut [Row], merged: &[calamine::Dimensions]) {
    for m in merged {
        let (top, left) = m.start;
        let (bottom, _) = m.end;
        if bottom == top || left as usize >= MAX_COLS {
            continue;
        }
        let Ok(first) = rows.binary_search_by_key(&(top + 1), |r| r.number) else {
            continue;
        };
        let value = rows[first].get(left as usize).clone();
        for r in rows[first + 1..]
            .iter_mut()
            .take_while(|r| r.number <= bottom + 1)
        {
            if r.get(left as usize).is_empty() {
                if r.cells.len() <= left as usize {
                    r.cells.resize(left as usize + 1, Cell::Empty);
                }
                r.cells[left as usize] = value.clone();
            }
        }
    }
}

fn read_xls(bytes: &[u8]) -> Result<Vec<Sheet>> {
    let mut book = Xls::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsError::Password => encrypted(),
        e => LedgerError::new(
            ErrorCode::NotASpreadsheet,
            format!("not a readable xls: {e}"),
        ),
    })?;
    let mut budget = MAX_ROWS;
    let mut out = vec![];
    for name in book.sheet_names() {
        // An xls sheet has at most 65,536 rows: loading one whole is bounded.
        let range = book.worksheet_range(&name).map_err(sheet_error)?;
        let mut rows = Rows {
            rows: vec![],
            budget,
        };
        for (r, c, d) in range.used_cells() {
            let (r0, c0) = range.start().unwrap_or((0, 0));
            rows.put(r0 + r as u32, c0 + c as u32, from_data(d))?;
        }
        budget = rows.budget;
        out.push(Sheet {
            name,
            rows: rows.rows,
        });
    }
    Ok(out)
}

/// UTF-8 (with or without BOM) when it decodes as such, else GBK (what Excel on Chinese
/// Windows writes); a file that is neither is refused.
fn decode(bytes: &[u8]) -> Result<String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(body) {
        return Ok(s.to_owned());
    }
    let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(body);
    if had_errors {
        return Err(LedgerError::new(
            ErrorCode::UnreadableText,
            "the text is neither UTF-8 nor GBK",
        ));
    }
    Ok(text.into_owned())
}

fn read_csv(bytes: &[u8]) -> Result<Sheet> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Rows {
        rows: vec![],
        budget: MAX_ROWS,
    };
    let mut record = csv::StringRecord::new();
    // Line numbers from byte offsets: the reader skips blank lines without counting them.
    let (mut line, mut counted) = (1u32, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(LedgerError::new(
                    ErrorCode::NotASpreadsheet,
                    format!("not readable as CSV: {e}"),
                ));
            }
        }
        // The record's first line, 1-based like Excel's row number when it opens the file.
        // The position is where the reader began, before the blank lines it skipped.
        let mut at = record.position().map_or(counted, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        let skipped = text.as_bytes().get(counted..at).unwrap_or_default();
        line += skipped.iter().filter(|&&b| b == b'\n').count() as u32;
        counted = at.max(counted);
        for (col, field) in record.iter().enumerate() {
            rows.put(line - 1, col as u32, Cell::text(field))?;
        }
    }
    Ok(Sheet {
        name: "CSV".to_owned(),
        rows: rows.rows,
    })
}
