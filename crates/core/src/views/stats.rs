//! [`StatsView`]: the statistics screen (统计) and its spreadsheet, the figures of a
//! period in total, by grid and by top-level category, each with its four rates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use wangge_events::{Figures, Ratio};

use crate::error::Result;
use crate::store::{Store, category_name};

/// One line of the statistics: a group's figures and rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatsRow {
    /// The grid or category code (empty for the total).
    pub code: String,
    /// What the screen calls it: 合计, the category's Chinese name, or the grid's name from
    /// the directory (its code until the directory has it).
    pub name: String,
    /// The counts.
    pub figures: Figures,
    /// 结案率.
    pub closure: Ratio,
    /// 按期结案率.
    pub on_time: Ratio,
    /// 返工率.
    pub rework: Ratio,
    /// 满意率.
    pub satisfaction: Ratio,
}

impl StatsRow {
    fn new(code: &str, name: String, figures: Figures) -> Self {
        StatsRow {
            code: code.to_owned(),
            name,
            closure: figures.closure_rate(),
            on_time: figures.on_time_rate(),
            rework: figures.rework_rate(),
            satisfaction: figures.satisfaction_rate(),
            figures,
        }
    }
}

/// The statistics of local days `from` through `to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatsView {
    /// The first day, `YYYY-MM-DD`.
    pub from: String,
    /// The last day, `YYYY-MM-DD`.
    pub to: String,
    /// Every event this device's party covers.
    pub total: StatsRow,
    /// By grid, in code order.
    pub by_grid: Vec<StatsRow>,
    /// By community, in code order (named by the directory).
    pub by_community: Vec<StatsRow>,
    /// By top-level category, in code order.
    pub by_category: Vec<StatsRow>,
}

impl Store {
    /// Rows of units by code, each named as the directory names it (its code until the
    /// directory has it).
    fn named_rows(&self, by_code: BTreeMap<String, Figures>) -> Result<Vec<StatsRow>> {
        by_code
            .into_iter()
            .map(|(code, f)| {
                let name = self.unit_name(&code)?.unwrap_or_else(|| code.clone());
                Ok(StatsRow::new(&code, name, f))
            })
            .collect()
    }

    /// The statistics screen for local days `from` through `to` ([`Store::event_stats`]).
    pub fn stats_view(&self, from: NaiveDate, to: NaiveDate) -> Result<StatsView> {
        let stats = self.event_stats(Store::stats_period(from, to)?)?;
        Ok(StatsView {
            from: from.to_string(),
            to: to.to_string(),
            total: StatsRow::new("", "合计".into(), stats.total),
            by_grid: self.named_rows(stats.by_grid)?,
            by_community: self.named_rows(stats.by_community)?,
            by_category: stats
                .by_category
                .into_iter()
                .map(|(code, f)| StatsRow::new(&code, category_name(&code), f))
                .collect(),
        })
    }
}
