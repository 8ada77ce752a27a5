//! Readings pasted as text (from a phone call or a WeChat group) matched to the residents
//! of the member's grids, for the member to check before one save as 自行上报 (reported).
//! Cutting and finding are `wangge_text`'s; here they meet the device's roster and the
//! temperature rules. Nothing is saved here and nothing is guessed: a piece that fits two
//! residents, nobody, or no valid reading comes back with its problem and who it could be.

use std::collections::HashMap;

use serde::Serialize;
use wangge_text::roster::{By, Found, Person, Roster};

use crate::error::{ErrorCode, FieldError, Result};
use crate::model::{Celsius, GridCode, ResidentId};
use crate::store::{MatchKind, ResidentHit, Store};

/// Why a pasted piece cannot be saved as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PasteProblem {
    /// A person without a reading (`张三 正常`).
    NoReading,
    /// A reading that is no temperature, or out of 34.0–43.0 °C.
    BadReading,
    /// A reading without a person.
    NoPerson,
    /// No resident of the grid fits (candidates: who lives at the room given, or who has
    /// the name elsewhere).
    NotFound,
    /// More than one resident fits (candidates: those).
    Ambiguous,
    /// The same resident again: with another reading (every one of them is held back), or
    /// with the same one (the first stands).
    Repeated,
}

/// One piece of the pasted text and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PastedReading {
    /// 1-based line of the text.
    pub line: u32,
    /// The piece as pasted.
    pub text: String,
    /// The reading as pasted, units dropped.
    pub reading: Option<String>,
    /// Tenths of °C when the reading is a valid temperature.
    pub tenths: Option<i64>,
    /// At or above the fever line.
    pub fever: bool,
    /// The resident it was found to be (`matched`: by name, pinyin or room/address).
    pub resident: Option<ResidentHit>,
    /// Why it cannot be saved as it stands; none when it can.
    pub problem: Option<PasteProblem>,
    /// Who it could be, for the member to pick (ambiguous or not found).
    pub candidates: Vec<ResidentHit>,
}

/// The pasted text's pieces in text order, and how many can be saved as they stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PastedReadings {
    /// Every piece, in text order.
    pub readings: Vec<PastedReading>,
    /// Pieces without a problem.
    pub ready: u32,
    /// Pieces with one.
    pub problems: u32,
}

impl Store {
    /// Cuts `text` into readings and finds each one's resident among the residents (moved-out
    /// ones excluded) of `grids`: the exact name, then its pinyin, then the room. A text
    /// over `wangge_text::paste::MAX_CHARS` characters is refused whole.
    #[tracing::instrument(skip_all, fields(chars = text.len(), grids = grids.len()))]
    pub fn match_pasted_readings(&self, grids: &[GridCode], text: &str) -> Result<PastedReadings> {
        let pieces = wangge_text::paste::parse(text)
            .map_err(|e| FieldError::new("text", ErrorCode::TooLong, e.to_string()))?;
        let hits = self.roster_hits(grids)?;
        let mut households: HashMap<_, usize> = HashMap::new();
        let people: Vec<Person> = hits
            .iter()
            .map(|h| {
                let n = households.len();
                Person {
                    name: h.name.clone(),
                    household: *households.entry(h.household).or_insert(n),
                    address: h.address.clone(),
                }
            })
            .collect();
        let roster = Roster::new(&people);
        let hit = |i: usize, kind: MatchKind| {
            let mut h = hits[i].clone();
            h.matched = kind;
            h
        };
        let mut readings: Vec<PastedReading> = pieces
            .into_iter()
            .map(|p| {
                let celsius = p.reading.as_deref().map(Celsius::parse);
                let mut r = PastedReading {
                    line: p.line,
                    text: p.text.clone(),
                    reading: p.reading.clone(),
                    tenths: celsius
                        .as_ref()
                        .and_then(|c| c.as_ref().ok())
                        .map(|c| c.tenths()),
                    fever: matches!(&celsius, Some(Ok(c)) if c.is_fever()),
                    resident: None,
                    problem: None,
                    candidates: vec![],
                };
                match roster.find(&p) {
                    Found::One(i, by) => {
                        r.resident = Some(hit(i, kind_of(by)));
                        r.problem = match celsius {
                            None => Some(PasteProblem::NoReading),
                            Some(Err(_)) => Some(PasteProblem::BadReading),
                            Some(Ok(_)) => None,
                        };
                    }
                    Found::Ambiguous(list) => {
                        r.problem = Some(PasteProblem::Ambiguous);
                        r.candidates = list.into_iter().map(|i| hit(i, MatchKind::Name)).collect();
                    }
                    Found::Nobody(list) => {
                        r.problem = Some(PasteProblem::NotFound);
                        r.candidates = list
                            .into_iter()
                            .map(|i| hit(i, MatchKind::Address))
                            .collect();
                    }
                    Found::NoPerson => r.problem = Some(PasteProblem::NoPerson),
                }
                r
            })
            .collect();
        hold_back_repeats(&mut readings);
        let problems = readings.iter().filter(|r| r.problem.is_some()).count();
        Ok(PastedReadings {
            ready: count(readings.len() - problems),
            problems: count(problems),
            readings,
        })
    }

    /// Every resident (moved-out ones excluded) of `grids`, in address order.
    fn roster_hits(&self, grids: &[GridCode]) -> Result<Vec<ResidentHit>> {
        if grids.is_empty() {
            return Ok(vec![]);
        }
        let mut hits = vec![];
        self.collect_hits(
            &format!(
                "SELECT {} FROM residents r JOIN households h ON h.id = r.household_id WHERE r.moved_out = 0{} ORDER BY h.address, r.household_id, r.name",
                crate::store::search::HIT_COLUMNS,
                crate::store::search::grid_filter(grids),
            ),
            [],
            MatchKind::Name,
            &mut hits,
        )?;
        Ok(hits)
    }
}

fn kind_of(by: By) -> MatchKind {
    match by {
        By::Name => MatchKind::Name,
        By::Pinyin => MatchKind::Pinyin,
        By::Room => MatchKind::Address,
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A resident found more than once: with different readings none is saved (which is right
/// is for the member to say); with the same reading the first stands.
fn hold_back_repeats(readings: &mut [PastedReading]) {
    let mut seen: HashMap<ResidentId, Vec<usize>> = HashMap::new();
    for (i, r) in readings.iter().enumerate() {
        if let (Some(h), None) = (&r.resident, r.problem) {
            seen.entry(h.resident).or_default().push(i);
        }
    }
    for list in seen.values().filter(|l| l.len() > 1) {
        let first = readings[list[0]].tenths;
        let same = list.iter().all(|&i| readings[i].tenths == first);
        for &i in &list[usize::from(same)..] {
            readings[i].problem = Some(PasteProblem::Repeated);
        }
    }
}
