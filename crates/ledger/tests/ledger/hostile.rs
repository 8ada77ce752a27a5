//! Hostile files: each refused with its code before any row is read; the store keeps
//! what it had.

use std::io::Write;

use wangge_core::ErrorCode;
use wangge_ledger::{dry_run_bytes, read::MAX_ROWS};

use crate::corpus::today;
use crate::store::{count_residents, grid, open_store};

fn refused(bytes: &[u8]) -> ErrorCode {
    match dry_run_bytes(bytes, None, None, today()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.code,
    }
}

/// A zip that looks like an xlsx and expands a few hundred kilobytes into 300 MB.
fn zip_bomb() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("[Content_Types].xml", opts).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("xl/workbook.xml", opts).unwrap();
    zip.write_all(b"<workbook/>").unwrap();
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..300 {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

#[test]
fn a_zip_bomb_dressed_as_xlsx_is_refused_from_its_declared_sizes() {
    let bomb = zip_bomb();
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    assert_eq!(refused(&bomb), ErrorCode::FileExpandsTooMuch);
}

#[test]
fn a_zip_that_is_no_workbook_and_random_bytes_are_not_spreadsheets() {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file("photo.jpg", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&[0xFF, 0xD8, 0xFF]).unwrap();
    zip.finish().unwrap();
    assert_eq!(refused(&out.into_inner()), ErrorCode::NotASpreadsheet);
    let png = [
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
    ];
    assert_eq!(refused(&png), ErrorCode::NotASpreadsheet);
    assert_eq!(refused(b""), ErrorCode::NotASpreadsheet);
    // A truncated xlsx: the zip's directory is gone.
    let p = crate::corpus::people(13, 1);
    let good = crate::corpus::ledger_xlsx(&crate::corpus::main_lines(&p));
    assert_eq!(refused(&good[..good.len() / 2]), ErrorCode::NotASpreadsheet);
}

#[test]
fn a_text_file_in_neither_utf8_nor_gbk_is_refused() {
    // 0x80 alone and 0xFF are not GBK lead bytes of any valid pair here.
    let bytes = b"\xe5\xa7\x93\xe5\x90\x8d,a\n\xff\xfe\x80\x80,b\n";
    assert_eq!(refused(bytes), ErrorCode::UnreadableText);
}

#[test]
fn a_sheet_with_more_rows_than_an_import_takes_is_refused_in_xlsx_and_csv() {
    let mut csv = String::from("姓名,身份证号码,现住址\n");
    for i in 0..MAX_ROWS {
        csv.push_str(&format!("某{i},,帽儿胡同{i}号\n"));
    }
    assert_eq!(refused(csv.as_bytes()), ErrorCode::TooManyRows);

    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    s.write_string(0, 0, "姓名").unwrap();
    for r in 1..=MAX_ROWS as u32 {
        s.write_number(r, 0, f64::from(r)).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    assert_eq!(refused(&bytes), ErrorCode::TooManyRows);
}

#[test]
fn refused_files_change_nothing_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path());
    let p = crate::corpus::people(13, 1);
    let good = crate::corpus::ledger_xlsx(&crate::corpus::main_lines(&p));
    let ledger = dry_run_bytes(&good, None, Some(&grid()), today()).unwrap();
    crate::store::import(&store, &ledger.plan);
    let before = count_residents(&store);
    assert_eq!(before, 6);
    for bytes in [zip_bomb(), b"not a spreadsheet \x00\x01".to_vec()] {
        // What the app does: read and check first; only a plan is ever imported.
        assert!(dry_run_bytes(&bytes, None, Some(&grid()), today()).is_err());
    }
    assert_eq!(count_residents(&store), before);
}
