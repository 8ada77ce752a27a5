//! A bounded pre-scan of an automerge chunk, run before automerge parses it.
//!
//! automerge's storage format is columnar: each column is run-length encoded, and a
//! column may be deflated. automerge 0.12 inflates columns and compressed changes without
//! a size limit and materialises runs as it decodes them, so a few hundred bytes can ask
//! it for gigabytes (found by fuzzing: a 217-byte chunk asking for a 256 MiB vector, then
//! more). This scan walks the chunk's layout (header, column metadata, the run headers of
//! every column), inflating deflated data into a bounded buffer, and refuses a chunk whose
//! columns declare more rows than [`MAX_COLUMN_ROWS`], inflate past
//! [`MAX_INFLATED_BYTES`], or do not fit the chunk. It allocates at most one inflated
//! column at a time and reads every byte once.
//!
//! Layout (<https://alexjg.github.io/automerge-storage-docs/>): magic (4), checksum (4),
//! type (1: 0 document, 1 change, 2 compressed change, 3 bundle), length (uLEB), body. A
//! document body: actors, heads, change column metadata, op column metadata, change column
//! data, op column data, head indexes. A change body: dependencies, actor, seq, start op,
//! time, message, other actors, op column metadata, op column data, extra bytes. Column
//! metadata: a count, then (spec uLEB, length uLEB) pairs; the spec's low 3 bits are the
//! column type, bit 3 says deflated. Bundles are not part of the sync protocol and are
//! refused.

use std::io::Read;

/// Most rows one column may declare (a Wangge document holds thousands of operations;
/// two million is far beyond any).
pub const MAX_COLUMN_ROWS: u64 = 1 << 21;
/// Most bytes the deflated parts of one chunk may inflate to, together.
pub const MAX_INFLATED_BYTES: usize = 32 << 20;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const HASH_BYTES: usize = 32;
const DEFLATE_BIT: u64 = 0b1000;

/// Why a chunk is refused (for tests; callers only need yes or no).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Ends before its layout does, or a length points past the end.
    Truncated,
    /// Not a chunk of a type the sync protocol carries.
    Type,
    /// A column declares more rows than allowed.
    TooManyRows,
    /// Deflated data inflates past the limit, or is not deflate.
    Inflate,
}

/// Whether `chunk` (one whole chunk) stays within the bounds.
pub fn chunk_within_bounds(chunk: &[u8]) -> Result<(), Refused> {
    let mut r = Reader::new(chunk);
    if r.take(4)? != MAGIC {
        return Err(Refused::Truncated);
    }
    r.take(4)?;
    let kind = r.byte()?;
    let len = r.uleb_len()?;
    let body = r.take(len)?;
    let mut budget = MAX_INFLATED_BYTES;
    match kind {
        0 => document(body, &mut budget),
        1 => change(body),
        2 => {
            let inflated = inflate(body, &mut budget)?;
            change(&inflated)
        }
        _ => Err(Refused::Type),
    }
}

fn document(body: &[u8], budget: &mut usize) -> Result<(), Refused> {
    let mut r = Reader::new(body);
    let actors = r.uleb()?;
    for _ in 0..actors {
        let n = r.uleb_len()?;
        r.take(n)?;
    }
    let heads = r.uleb_len()?;
    r.take(heads.checked_mul(HASH_BYTES).ok_or(Refused::Truncated)?)?;
    let change_cols = columns_meta(&mut r)?;
    let op_cols = columns_meta(&mut r)?;
    for (spec, len) in change_cols.into_iter().chain(op_cols) {
        let data = r.take(len)?;
        column(spec, data, budget)?;
    }
    Ok(())
}

fn change(body: &[u8]) -> Result<(), Refused> {
    let mut r = Reader::new(body);
    let deps = r.uleb_len()?;
    r.take(deps.checked_mul(HASH_BYTES).ok_or(Refused::Truncated)?)?;
    let actor = r.uleb_len()?;
    r.take(actor)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    let message = r.uleb_len()?;
    r.take(message)?;
    let others = r.uleb()?;
    for _ in 0..others {
        let n = r.uleb_len()?;
        r.take(n)?;
    }
    let mut budget = 0; // a change's columns are never deflated
    for (spec, len) in columns_meta(&mut r)? {
        let data = r.take(len)?;
        column(spec, data, &mut budget)?;
    }
    Ok(())
}

/// Column metadata: (spec, byte length) pairs. The count is bounded by the bytes it needs.
fn columns_meta(r: &mut Reader<'_>) -> Result<Vec<(u64, usize)>, Refused> {
    let n = r.uleb()?;
    if n > r.left() as u64 {
        return Err(Refused::Truncated);
    }
    let mut out = Vec::new();
    for _ in 0..n {
        let spec = r.uleb()?;
        let len = r.uleb_len()?;
        out.push((spec, len));
    }
    Ok(out)
}

/// Checks one column's runs, inflating it first if its spec says so.
fn column(spec: u64, data: &[u8], budget: &mut usize) -> Result<(), Refused> {
    if spec & DEFLATE_BIT != 0 {
        let inflated = inflate(data, budget)?;
        return rows(spec & 0b111, &inflated);
    }
    rows(spec & 0b111, data)
}

/// Counts the rows a column declares, by its type.
fn rows(col_type: u64, data: &[u8]) -> Result<(), Refused> {
    let mut r = Reader::new(data);
    let mut total: u64 = 0;
    let mut add = |n: u64| -> Result<(), Refused> {
        total = total.saturating_add(n);
        if total > MAX_COLUMN_ROWS {
            Err(Refused::TooManyRows)
        } else {
            Ok(())
        }
    };
    match col_type {
        // Value: raw bytes whose lengths come from the metadata column.
        7 => Ok(()),
        // Boolean: alternating run lengths.
        4 => {
            while r.left() > 0 {
                add(r.uleb()?)?;
            }
            Ok(())
        }
        // Run-length encoded: group, actor, integer, delta, string, value metadata.
        _ => {
            while r.left() > 0 {
                let n = r.sleb()?;
                if n > 0 {
                    add(n.unsigned_abs())?;
                    value(col_type, &mut r)?;
                } else if n < 0 {
                    let literal = n.unsigned_abs();
                    add(literal)?;
                    for _ in 0..literal {
                        value(col_type, &mut r)?;
                    }
                } else {
                    add(r.uleb()?)?;
                }
            }
            Ok(())
        }
    }
}

/// Skips one value of a run-length encoded column.
fn value(col_type: u64, r: &mut Reader<'_>) -> Result<(), Refused> {
    match col_type {
        3 => r.sleb().map(|_| ()),
        5 => {
            let n = r.uleb_len()?;
            r.take(n).map(|_| ())
        }
        _ => r.uleb().map(|_| ()),
    }
}

/// Inflates raw deflate data, within what is left of the budget.
fn inflate(data: &[u8], budget: &mut usize) -> Result<Vec<u8>, Refused> {
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| Refused::Inflate)?;
    if out.len() > *budget {
        return Err(Refused::Inflate);
    }
    *budget -= out.len();
    Ok(out)
}

/// A cursor over bytes that refuses to read past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Refused> {
        let end = self.at.checked_add(n).ok_or(Refused::Truncated)?;
        let out = self.bytes.get(self.at..end).ok_or(Refused::Truncated)?;
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, Refused> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, Refused> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f)
                .checked_shl(shift)
                .ok_or(Refused::Truncated)?;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Refused::Truncated)
    }

    /// A length: must fit in what is left.
    fn uleb_len(&mut self) -> Result<usize, Refused> {
        let n = self.uleb()?;
        let n = usize::try_from(n).map_err(|_| Refused::Truncated)?;
        if n > self.left() {
            return Err(Refused::Truncated);
        }
        Ok(n)
    }

    fn sleb(&mut self) -> Result<i64, Refused> {
        let mut v: i64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift < 64 {
                v |= i64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    v |= -1i64 << shift;
                }
                return Ok(v);
            }
            if shift >= 70 {
                return Err(Refused::Truncated);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ObjType, ROOT};

    /// A document with a long text and many keys, so its columns run long and deflate.
    fn busy_doc() -> Automerge {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        let text = tx.put_object(ROOT, "notes", ObjType::Text).unwrap();
        tx.splice_text(&text, 0, 0, &"走访记录".repeat(2000))
            .unwrap();
        let map = tx.put_object(ROOT, "residents", ObjType::Map).unwrap();
        for i in 0..500 {
            tx.put(&map, format!("r{i}"), i).unwrap();
        }
        tx.commit();
        for i in 0..20 {
            let mut tx = doc.transaction();
            tx.put(ROOT, "n", i).unwrap();
            tx.commit();
        }
        doc
    }

    #[test]
    fn real_documents_and_changes_pass() {
        let doc = busy_doc();
        assert_eq!(chunk_within_bounds(&doc.save()), Ok(()));
        assert_eq!(chunk_within_bounds(&doc.save_nocompress()), Ok(()));
        for c in doc.get_changes(&[]) {
            assert_eq!(chunk_within_bounds(c.raw_bytes()), Ok(()));
        }
    }

    /// A change chunk built by hand: no deps, one actor, one op column of type integer
    /// holding `column` (the checksum is not checked by the scan).
    fn change_with_column(spec: u64, column: &[u8]) -> Vec<u8> {
        let mut body = vec![0, 1, 0xaa, 1, 1, 0, 0, 0];
        body.push(1);
        body.push(u8::try_from(spec).unwrap());
        body.push(u8::try_from(column.len()).unwrap());
        body.extend_from_slice(column);
        let mut chunk = MAGIC.to_vec();
        chunk.extend_from_slice(&[0; 4]);
        chunk.push(1);
        chunk.push(u8::try_from(body.len()).unwrap());
        chunk.extend_from_slice(&body);
        chunk
    }

    #[test]
    fn a_run_declaring_millions_of_rows_is_refused_and_a_short_one_passes() {
        // Run of 2^30 copies of the value 5: sLEB(2^30) then uLEB(5).
        let huge = [0x80, 0x80, 0x80, 0x80, 0x04, 0x05];
        assert_eq!(
            chunk_within_bounds(&change_with_column(0x12, &huge)),
            Err(Refused::TooManyRows)
        );
        let null_run = [0x00, 0x80, 0x80, 0x80, 0x80, 0x04];
        assert_eq!(
            chunk_within_bounds(&change_with_column(0x12, &null_run)),
            Err(Refused::TooManyRows)
        );
        assert_eq!(
            chunk_within_bounds(&change_with_column(0x12, &[3, 5])),
            Ok(())
        );
        // Booleans count the same way.
        assert_eq!(
            chunk_within_bounds(&change_with_column(0x14, &[0x80, 0x80, 0x80, 0x80, 0x04])),
            Err(Refused::TooManyRows)
        );
    }

    #[test]
    fn truncated_chunks_bundles_and_bad_deflate_are_refused() {
        let doc = busy_doc().save();
        for cut in [3, 9, doc.len() / 2, doc.len() - 1] {
            assert!(chunk_within_bounds(&doc[..cut]).is_err(), "cut at {cut}");
        }
        let mut bundle = change_with_column(0x12, &[3, 5]);
        bundle[8] = 3;
        assert_eq!(chunk_within_bounds(&bundle), Err(Refused::Type));
        let mut compressed = change_with_column(0x12, &[3, 5]);
        compressed[8] = 2;
        assert_eq!(chunk_within_bounds(&compressed), Err(Refused::Inflate));
    }

    #[test]
    fn a_deflate_bomb_in_a_compressed_change_is_refused() {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..40 {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 64 * 1024);
        let mut chunk = MAGIC.to_vec();
        chunk.extend_from_slice(&[0; 4]);
        chunk.push(2);
        let mut len = bomb.len();
        loop {
            let b = u8::try_from(len & 0x7f).unwrap();
            len >>= 7;
            if len == 0 {
                chunk.push(b);
                break;
            }
            chunk.push(b | 0x80);
        }
        chunk.extend_from_slice(&bomb);
        assert_eq!(chunk_within_bounds(&chunk), Err(Refused::Inflate));
    }
}
