//! Resident search: name substring (1 character up), pinyin initials or full pinyin
//! (`zs`, `zhangs` → 张三), phone tail, ID tail, address substring.
//!
//! Substrings use a table of 1- and 2-character grams, so even a one-character query is an
//! index lookup; longer queries look up their rarest bigram and filter with `instr`.
//! Tails use the reversed number with a prefix range.

use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::error::Result;
use crate::model::mask::{mask_id_number, mask_phone};
use crate::model::{GridCode, HouseholdId, ResidentId};

/// Why a resident matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MatchKind {
    /// Name contains the query.
    Name,
    /// Pinyin initials or full pinyin start with the query.
    Pinyin,
    /// Phone ends with the query.
    PhoneTail,
    /// ID number ends with the query.
    IdTail,
    /// Address contains the query.
    Address,
}

/// A search result: masked numbers only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResidentHit {
    /// The resident.
    pub resident: ResidentId,
    /// Their household.
    pub household: HouseholdId,
    /// Their grid.
    pub grid: String,
    /// 姓名.
    pub name: String,
    /// The household's address.
    pub address: String,
    /// Phone, masked.
    pub phone_masked: Option<String>,
    /// ID number, masked.
    pub id_masked: Option<String>,
    /// Tags (codes).
    pub tags: Vec<String>,
    /// Why it matched.
    pub matched: MatchKind,
}

/// 1- and 2-character grams of `s`, lower-cased, whitespace dropped.
pub(crate) fn grams(s: &str) -> Vec<String> {
    let chars: Vec<char> = s
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut out: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    out.sort();
    out.dedup();
    out
}

/// ` AND r.grid IN ('…', …)` for `grids` (grid codes are digits only), or nothing when
/// `grids` is empty.
pub(crate) fn grid_filter(grids: &[GridCode]) -> String {
    if grids.is_empty() {
        return String::new();
    }
    let list: Vec<String> = grids.iter().map(|g| format!("'{}'", g.as_str())).collect();
    format!(" AND r.grid IN ({})", list.join(","))
}

pub(crate) fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

pub(crate) const HIT_COLUMNS: &str =
    "r.id, r.household_id, r.grid, r.name, h.address, r.phone_rev, r.id_rev, r.tags";

impl Store {
    /// Searches residents (moved-out ones excluded) in `grids`, or in every grid on the
    /// device when `grids` is empty. At most `limit` hits.
    #[tracing::instrument(skip_all, fields(len = query.chars().count(), grids = grids.len()))]
    pub fn search_residents(
        &self,
        query: &str,
        grids: &[GridCode],
        limit: usize,
    ) -> Result<Vec<ResidentHit>> {
        let q = query.trim().to_lowercase();
        if q.is_empty() || limit == 0 {
            return Ok(vec![]);
        }
        let grid_filter = grid_filter(grids);
        let mut hits: Vec<ResidentHit> = vec![];
        let lim = limit as i64;
        let base = format!(
            "SELECT {HIT_COLUMNS} FROM residents r JOIN households h ON h.id = r.household_id WHERE r.moved_out = 0{grid_filter}"
        );
        let is_digits = q.bytes().all(|b| b.is_ascii_digit() || b == b'x')
            && q.bytes()
                .take(q.len().saturating_sub(1))
                .all(|b| b.is_ascii_digit());
        if is_digits {
            let rev = reversed(&q.to_uppercase());
            let hi = format!("{rev}~");
            if !q.contains('x') {
                self.collect_hits(
                    &format!("{base} AND r.phone_rev >= ?1 AND r.phone_rev < ?2 LIMIT ?3"),
                    params![rev, hi, lim],
                    MatchKind::PhoneTail,
                    &mut hits,
                )?;
            }
            self.collect_hits(
                &format!("{base} AND r.id_rev >= ?1 AND r.id_rev < ?2 LIMIT ?3"),
                params![rev, hi, lim],
                MatchKind::IdTail,
                &mut hits,
            )?;
        } else if q.bytes().all(|b| b.is_ascii_lowercase()) {
            let hi = format!("{q}~");
            self.collect_hits(
                &format!("{base} AND r.initials >= ?1 AND r.initials < ?2 LIMIT ?3"),
                params![q, hi, lim],
                MatchKind::Pinyin,
                &mut hits,
            )?;
            self.collect_hits(
                &format!("{base} AND r.pinyin >= ?1 AND r.pinyin < ?2 LIMIT ?3"),
                params![q, hi, lim],
                MatchKind::Pinyin,
                &mut hits,
            )?;
        }
        if !is_digits || q.len() < 4 {
            let key = self.rarest_gram(&q, "resident_grams")?;
            self.collect_hits(
                &format!("{base} AND r.id IN (SELECT resident_id FROM resident_grams WHERE gram = ?1) AND instr(lower(r.name), ?2) > 0 LIMIT ?3"),
                params![key, q, lim],
                MatchKind::Name,
                &mut hits,
            )?;
            let key = self.rarest_gram(&q, "household_grams")?;
            self.collect_hits(
                &format!("{base} AND r.household_id IN (SELECT household_id FROM household_grams WHERE gram = ?1) AND instr(lower(h.address), ?2) > 0 LIMIT ?3"),
                params![key, q, lim],
                MatchKind::Address,
                &mut hits,
            )?;
        }
        hits.truncate(limit);
        Ok(hits)
    }

    /// The gram of `q` with the fewest postings (the query itself when ≤ 2 characters).
    fn rarest_gram(&self, q: &str, table: &str) -> Result<String> {
        let chars: Vec<char> = q.chars().filter(|c| !c.is_whitespace()).collect();
        if chars.len() <= 2 {
            return Ok(chars.iter().collect());
        }
        let col = if table == "resident_grams" {
            "resident_id"
        } else {
            "household_id"
        };
        let mut best = (i64::MAX, String::new());
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT {col} FROM {table} WHERE gram = ?1 LIMIT 5000)"
        ))?;
        for w in chars.windows(2) {
            let g: String = w.iter().collect();
            let n: i64 = stmt.query_row([&g], |r| r.get(0))?;
            if n < best.0 {
                best = (n, g);
            }
        }
        Ok(best.1)
    }

    pub(crate) fn collect_hits(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
        kind: MatchKind,
        hits: &mut Vec<ResidentHit>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt.query_map(p, |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        for row in rows {
            let (rid, hid, grid, name, address, phone_rev, id_rev, tags) = row?;
            let resident = ResidentId(uuid_from(&rid)?);
            if hits.iter().any(|h| h.resident == resident) {
                continue;
            }
            hits.push(ResidentHit {
                resident,
                household: HouseholdId(uuid_from(&hid)?),
                grid,
                name,
                address,
                phone_masked: phone_rev.map(|p| mask_phone(&reversed(&p))),
                id_masked: id_rev.map(|i| mask_id_number(&reversed(&i))),
                tags: tags
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                matched: kind,
            });
        }
        Ok(())
    }
}

pub(crate) fn uuid_from(b: &[u8]) -> Result<uuid::Uuid> {
    uuid::Uuid::from_slice(b).map_err(|e| crate::error::CoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_cover_single_characters_and_pairs() {
        assert_eq!(grams("张三丰"), ["三", "三丰", "丰", "张", "张三"]);
    }
}
