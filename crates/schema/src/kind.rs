//! Document kinds and the maps at each kind's root.

use crate::code_enum;

code_enum! {
    /// What a document holds. Every document's root map carries its kind as `kind`.
    pub enum DocKind {
        /// One household and its residents.
        Household = "household",
        /// Which households a grid has.
        GridIndex = "grid_index",
        /// A grid's temperature checks for one local day.
        Checks = "checks",
        /// A member's visits and collected needs in one grid for one month.
        Visits = "visits",
        /// A member's journal in one grid for one month.
        Journal = "journal",
        /// One report, as its author wrote it.
        Report = "report",
        /// One report's dispatch and status history, written by the centre and handler.
        Dispatch = "dispatch",
        /// A notice (通知, 寻人), as its sender wrote it ([`crate::notice`]).
        Notice = "notice",
        /// One grid's receipts (回执) and clues for one notice, written by its recipients.
        Receipts = "receipts",
        /// A roster campaign (专项任务), as its creator started it ([`crate::campaign`]).
        Campaign = "campaign",
        /// One grid's ticks for one campaign, written by the grid's members.
        CampaignResults = "campaign_results",
    }
}

impl DocKind {
    /// The maps at the root of a document of this kind (its genesis creates them).
    pub fn collections(self) -> &'static [&'static str] {
        match self {
            DocKind::Household => &["household", "residents"],
            DocKind::GridIndex => &["households"],
            DocKind::Checks => &["checks"],
            DocKind::Visits => &["visits", "needs"],
            DocKind::Journal => &["entries"],
            DocKind::Report => &["report"],
            DocKind::Dispatch => &["events"],
            DocKind::Notice => &["reminders"],
            DocKind::Receipts => &["receipts", "clues"],
            DocKind::Campaign => &[],
            DocKind::CampaignResults => &["ticks"],
        }
    }

    /// The codes of every kind, as a relay announces what it accepts.
    pub fn codes() -> impl Iterator<Item = &'static str> {
        Self::ALL.iter().map(|k| k.code())
    }

    /// Whether documents of this kind are read downward as well: by everyone whose scope
    /// lies under the document's (a notice reaches the grids under the unit it is sent
    /// in), not only by those whose scope covers it.
    pub fn read_downward(self) -> bool {
        matches!(self, DocKind::Notice | DocKind::Campaign)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_by_code_and_unknown_codes_are_none() {
        for k in DocKind::ALL {
            assert_eq!(DocKind::from_code(k.code()), Some(*k));
            assert!(!k.collections().is_empty() || *k == DocKind::Campaign);
        }
        assert_eq!(DocKind::from_code("survey"), None);
        assert_eq!(DocKind::codes().count(), DocKind::ALL.len());
    }
}
