//! Present and away tallies (在区人口): the residents of each grid this device holds, by
//! residence status (户籍, 常住, 流动) from the ledger, and how many are away by their
//! latest campaign answer (外出), rolled up by community and in all.

use std::collections::BTreeMap;

use rusqlite::params;
use wangge_schema::campaign::AWAY;

use super::Store;
use crate::doc::DocKind;
use crate::error::Result;
use crate::model::{PresenceRow, PresenceView, ResidenceStatus};

impl PresenceRow {
    fn new(code: &str) -> Self {
        PresenceRow {
            code: code.to_owned(),
            name: None,
            total: 0,
            registered: 0,
            long_term: 0,
            floating: 0,
            away: 0,
            present: 0,
        }
    }

    fn add(&mut self, o: &PresenceRow) {
        self.total += o.total;
        self.registered += o.registered;
        self.long_term += o.long_term;
        self.floating += o.floating;
        self.away += o.away;
        self.present += o.present;
    }
}

impl Store {
    /// The tallies of every grid in this device's ledger.
    pub fn presence(&self) -> Result<PresenceView> {
        let mut grids: BTreeMap<String, PresenceRow> = BTreeMap::new();
        {
            let mut stmt = self.conn().prepare_cached(
                "SELECT grid, status, COUNT(*) FROM residents WHERE moved_out = 0
                 GROUP BY grid, status",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (grid, status, n) = row?;
                let n = usize::try_from(n).unwrap_or(0);
                let g = grids
                    .entry(grid.clone())
                    .or_insert_with(|| PresenceRow::new(&grid));
                g.total += n;
                match status.as_deref().and_then(ResidenceStatus::from_code) {
                    Some(ResidenceStatus::Registered) => g.registered += n,
                    Some(ResidenceStatus::LongTerm) => g.long_term += n,
                    Some(ResidenceStatus::Floating) => g.floating += n,
                    None => {}
                }
            }
        }
        {
            // Away: the resident's latest tick, of any campaign, says 外出.
            let mut stmt = self.conn().prepare_cached(
                "SELECT r.grid, COUNT(*) FROM residents r
                 JOIN campaign_ticks t ON t.subject = r.id
                 WHERE r.moved_out = 0 AND t.answer = ?1
                   AND t.at_ms = (SELECT MAX(t2.at_ms) FROM campaign_ticks t2 WHERE t2.subject = r.id)
                 GROUP BY r.grid",
            )?;
            let rows = stmt.query_map(params![AWAY], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (grid, n) = row?;
                if let Some(g) = grids.get_mut(&grid) {
                    g.away = usize::try_from(n).unwrap_or(0);
                }
            }
        }
        let mut total = PresenceRow::new("");
        let mut communities: BTreeMap<String, PresenceRow> = BTreeMap::new();
        let mut by_grid = Vec::with_capacity(grids.len());
        for (code, mut g) in grids {
            g.present = g.total.saturating_sub(g.away);
            g.name = self.unit_name(&code)?;
            total.add(&g);
            let community = code.get(..12).unwrap_or(&code).to_owned();
            communities
                .entry(community.clone())
                .or_insert_with(|| PresenceRow::new(&community))
                .add(&g);
            by_grid.push(g);
        }
        let mut by_community = Vec::with_capacity(communities.len());
        for (code, mut c) in communities {
            c.name = self.unit_name(&code)?;
            by_community.push(c);
        }
        Ok(PresenceView {
            by_grid,
            by_community,
            total,
        })
    }

    /// Indexes residents' status from the household documents of a store made before the
    /// column existed.
    pub(super) fn backfill_resident_status(&mut self) -> Result<()> {
        let n = self.reindex_kind(DocKind::Household)?;
        tracing::info!(households = n, "residents' status indexed");
        Ok(())
    }
}
