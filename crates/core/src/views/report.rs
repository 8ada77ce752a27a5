//! The report page: what the author filed, its status history, and which of its photos
//! have not reached this device yet.

use serde::Serialize;

use crate::error::Result;
use crate::model::{Report, ReportId, StatusEvent};
use crate::store::Store;

/// The report page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    /// What the author filed.
    pub report: Report,
    /// Status history, oldest first.
    pub timeline: Vec<StatusEvent>,
    /// Photo hashes the report references that are not on this device (yet).
    pub photos_missing: Vec<String>,
}

impl Store {
    /// One report, its status history, and which of its photos are not here yet.
    pub fn report_view(&mut self, id: ReportId) -> Result<ReportView> {
        let (report, timeline) = self.report(id)?;
        let mut photos_missing = vec![];
        for h in &report.photos {
            if !self.has_blob(h)? {
                photos_missing.push(h.clone());
            }
        }
        Ok(ReportView {
            report,
            timeline,
            photos_missing,
        })
    }
}
