//! What a file is, decided from its bytes before any parser sees it: an xlsx (a zip,
//! checked against decompression bombs), an xls or a password-protected workbook (an OLE
//! compound file), CSV text (UTF-8 or GBK), or not a spreadsheet at all.

use std::io::Cursor;

use wangge_core::ErrorCode;

use crate::error::{LedgerError, Result};

/// Largest file accepted (bytes).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest total the entries of an xlsx may declare uncompressed (bytes).
pub const MAX_UNZIPPED_BYTES: u64 = 512 * 1024 * 1024;
/// Largest compression ratio of one sizeable entry (real sheets compress ~10–20×).
pub const MAX_RATIO: u64 = 200;
/// Entries an xlsx may have.
pub const MAX_ENTRIES: usize = 10_000;

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Office Open XML workbook.
    Xlsx,
    /// Excel 97–2003 binary workbook.
    Xls,
    /// Comma-separated text.
    Csv,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Decides the format of `bytes`, refusing bombs, encrypted workbooks and non-spreadsheets.
pub fn sniff(bytes: &[u8]) -> Result<Format> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LedgerError::new(
            ErrorCode::TooManyRows,
            format!("file larger than {} MB", MAX_FILE_BYTES >> 20),
        ));
    }
    if bytes.starts_with(ZIP_MAGIC) {
        check_zip(bytes)?;
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(CFB_MAGIC) {
        // An encrypted xlsx is an OLE file holding an `EncryptedPackage` stream; its
        // directory names are UTF-16LE.
        let needle: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
            return Err(encrypted());
        }
        return Ok(Format::Xls);
    }
    if looks_like_text(bytes) {
        return Ok(Format::Csv);
    }
    Err(LedgerError::new(
        ErrorCode::NotASpreadsheet,
        "not an xlsx, xls or csv file",
    ))
}

pub(crate) fn encrypted() -> LedgerError {
    LedgerError::new(
        ErrorCode::FileEncrypted,
        "the workbook is password-protected; save it without a password first",
    )
}

fn bomb(msg: String) -> LedgerError {
    LedgerError::new(ErrorCode::FileExpandsTooMuch, msg)
}

/// Reads the zip's central directory only (nothing is decompressed): the declared sizes
/// must stay bounded, in total and per entry.
fn check_zip(bytes: &[u8]) -> Result<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        LedgerError::new(
            ErrorCode::NotASpreadsheet,
            format!("a zip file that cannot be read: {e}"),
        )
    })?;
    if archive.len() > MAX_ENTRIES {
        return Err(bomb(format!("{} entries in the workbook", archive.len())));
    }
    let mut total: u64 = 0;
    let mut has_workbook = false;
    for i in 0..archive.len() {
        let meta = archive.by_index_raw(i).map_err(|e| {
            LedgerError::new(
                ErrorCode::NotASpreadsheet,
                format!("a zip entry that cannot be read: {e}"),
            )
        })?;
        if meta.encrypted() {
            return Err(encrypted());
        }
        let (size, packed) = (meta.size(), meta.compressed_size());
        total = total.saturating_add(size);
        if total > MAX_UNZIPPED_BYTES {
            return Err(bomb(format!(
                "the workbook expands to more than {} MB",
                MAX_UNZIPPED_BYTES >> 20
            )));
        }
        if size > 1024 * 1024 && size / packed.max(1) > MAX_RATIO {
            return Err(bomb(format!(
                "an entry expands {}× (more than {MAX_RATIO}×)",
                size / packed.max(1)
            )));
        }
        has_workbook |= meta.name().is_ok_and(|n| n == "xl/workbook.xml");
    }
    if !has_workbook {
        return Err(LedgerError::new(
            ErrorCode::NotASpreadsheet,
            "a zip file without a workbook (not an xlsx)",
        ));
    }
    Ok(())
}

/// Text (UTF-8 or GBK): no NUL bytes and few control characters in the first 8 KiB.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.is_empty() {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
        .count();
    !head.contains(&0) && controls * 100 <= head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Not a real encrypted workbook (nothing here writes one): an OLE header and a
    /// directory entry named `EncryptedPackage`, which is what the check looks for.
    fn ole_with_stream(name: &str) -> Vec<u8> {
        let mut b = CFB_MAGIC.to_vec();
        b.resize(512, 0);
        b.extend(name.encode_utf16().flat_map(u16::to_le_bytes));
        b.resize(2048, 0);
        b
    }

    #[test]
    fn an_ole_file_with_an_encrypted_package_is_a_password_protected_workbook() {
        let e = sniff(&ole_with_stream("EncryptedPackage")).unwrap_err();
        assert_eq!(e.code, ErrorCode::FileEncrypted);
        assert_eq!(sniff(&ole_with_stream("Workbook")).unwrap(), Format::Xls);
    }

    #[test]
    fn binary_bytes_are_not_text() {
        assert!(!looks_like_text(&[0x89, b'P', b'N', b'G', 0, 0]));
        assert!(looks_like_text("姓名,电话\r\n".as_bytes()));
    }
}
