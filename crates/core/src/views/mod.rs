//! What the app's screens show, built in core: the household page with personal numbers
//! masked (PIPL), the resident form's values, a day's checks, fevers and visits across a
//! member's grids, the report page, photo progress. The app shell only calls these and
//! sends the result; it holds no rule of its own.
//!
//! # Layout
//!
//! - [`household`]: [`HouseholdView`] (residents masked, concurrent edits to settle) and
//!   the resident form's unmasked values.
//! - [`day`]: reads of one local day (today when no day is given) over a household or a
//!   member's grids.
//! - [`paste`]: readings pasted as text, matched to the grid's residents for one save.
//! - [`report`]: [`ReportView`], a report with its history and the photos not here yet.
//! - [`stats`]: [`StatsView`], a period's event statistics (统计) by grid and category.
//! - [`photo`]: [`PhotoProgress`] of the evidence pipeline, a stored photo's bytes.
//! - [`sync`]: [`SyncView`], the sync badge and page: offline or error, a round's
//!   progress, documents that wait and why.

mod day;
mod household;
mod paste;
mod photo;
mod report;
mod stats;
mod sync;

pub use household::{ConflictView, HouseholdDetail, HouseholdView, ResidentView};
pub use paste::{PasteProblem, PastedReading, PastedReadings};
pub use photo::{PhotoProgress, PhotoStage};
pub use report::ReportView;
pub use stats::{StatsRow, StatsView};
pub use sync::{SyncRound, SyncState, SyncView, Waiting, waiting_code};

/// Most resident search hits a screen shows.
pub const SEARCH_HITS: usize = 50;
