//! Statistics over derived events for a period: [`stats`].
//!
//! A period is `[from_ms, to_ms)`. Every figure is computed from the events as derived
//! now (an event reopened by 不满意 after the period no longer counts as closed in it).
//! "Due" is the handling deadline ([`crate::deadline::due`]) of the accept or dispatch
//! now standing; "delayed due" adds the approved delays.
//!
//! | figure | definition |
//! |---|---|
//! | `reports` 上报数 | events filed in the period |
//! | `accepted` 受理数 | of `reports`, those accepted or dispatched before the period's end |
//! | `due` 应结案数 | events whose due (without delays) falls in the period |
//! | `deferred` 缓办数 | of `due`, those not closed by the period's end whose delayed due is at or after it |
//! | `closed` 结案数 | of `due`, those closed before the period's end |
//! | 结案率 | `closed ÷ (due − deferred)` |
//! | `closed_on_time` 按期结案数 | of `closed`, those whose standing 办结 is at or before the delayed due |
//! | 按期结案率 | `closed_on_time ÷ closed` |
//! | `overdue` 超期数 | events with a deadline, not closed by the period's end, whose delayed due is before it and that have no 办结 standing at or before that due |
//! | `closed_in_period` | events closed in the period |
//! | `reworked` | of `closed_in_period`, those with at least one failed check (返工) |
//! | 返工率 | `reworked ÷ closed_in_period` |
//! | `visits` 回访数 | ratings recorded in the period (an event rated twice counts twice) |
//! | `satisfied` | of `visits`, 满意 and 基本满意 |
//! | 满意率 | `satisfied ÷ visits` |
//! | `median_handling_ms` | median over `closed_in_period` of closing time minus first acceptance, in wall-clock milliseconds; with an even count, the mean of the two middle values rounded down |
//!
//! Groups: by top-level category code, by grid code and by community (a grid code's first 12
//! digits), each with the same figures; a group's median is over its own events.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::category::top_of;
use crate::deadline::due;
use crate::machine::EventState;
use crate::step::Rating;

/// A period `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The first instant in it.
    pub from_ms: i64,
    /// The first instant after it.
    pub to_ms: i64,
}

impl Period {
    fn contains(&self, ms: i64) -> bool {
        self.from_ms <= ms && ms < self.to_ms
    }
}

/// A rate as its two counts, so that nothing is lost to rounding.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    /// Above the line.
    pub numerator: u32,
    /// Below the line.
    pub denominator: u32,
}

impl Ratio {
    /// The rate, none when the denominator is zero.
    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| f64::from(self.numerator) / f64::from(self.denominator))
    }
}

/// The figures of one group (see the module docs for each definition).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// 上报数.
    pub reports: u32,
    /// 受理数.
    pub accepted: u32,
    /// 应结案数.
    pub due: u32,
    /// 缓办数.
    pub deferred: u32,
    /// 结案数.
    pub closed: u32,
    /// 按期结案数.
    pub closed_on_time: u32,
    /// 超期数.
    pub overdue: u32,
    /// Events closed in the period.
    pub closed_in_period: u32,
    /// Of those, reworked at least once.
    pub reworked: u32,
    /// 回访数.
    pub visits: u32,
    /// 满意 + 基本满意.
    pub satisfied: u32,
    /// Median handling time of the events closed in the period.
    pub median_handling_ms: Option<i64>,
}

impl Figures {
    /// 结案率 = 结案 ÷ (应结案 − 缓办).
    pub fn closure_rate(&self) -> Ratio {
        Ratio {
            numerator: self.closed,
            denominator: self.due.saturating_sub(self.deferred),
        }
    }

    /// 按期结案率 = 按期结案 ÷ 结案.
    pub fn on_time_rate(&self) -> Ratio {
        Ratio {
            numerator: self.closed_on_time,
            denominator: self.closed,
        }
    }

    /// 返工率 = reworked ÷ closed in the period.
    pub fn rework_rate(&self) -> Ratio {
        Ratio {
            numerator: self.reworked,
            denominator: self.closed_in_period,
        }
    }

    /// 满意率 = (满意 + 基本满意) ÷ 回访.
    pub fn satisfaction_rate(&self) -> Ratio {
        Ratio {
            numerator: self.satisfied,
            denominator: self.visits,
        }
    }
}

/// The figures of a period, in total and by group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Every event.
    pub total: Figures,
    /// By top-level category code.
    pub by_category: BTreeMap<String, Figures>,
    /// By grid code.
    pub by_grid: BTreeMap<String, Figures>,
    /// By community code (the grids' first 12 digits).
    pub by_community: BTreeMap<String, Figures>,
}

#[derive(Default)]
struct Tally {
    figures: Figures,
    handling: Vec<i64>,
}

impl Tally {
    fn add(&mut self, one: &Figures, handling: Option<i64>) {
        let f = &mut self.figures;
        f.reports += one.reports;
        f.accepted += one.accepted;
        f.due += one.due;
        f.deferred += one.deferred;
        f.closed += one.closed;
        f.closed_on_time += one.closed_on_time;
        f.overdue += one.overdue;
        f.closed_in_period += one.closed_in_period;
        f.reworked += one.reworked;
        f.visits += one.visits;
        f.satisfied += one.satisfied;
        self.handling.extend(handling);
    }

    fn finish(mut self) -> Figures {
        self.handling.sort_unstable();
        let n = self.handling.len();
        self.figures.median_handling_ms = match n {
            0 => None,
            _ if n % 2 == 1 => Some(self.handling[n / 2]),
            _ => Some((self.handling[n / 2 - 1] + self.handling[n / 2]).div_euclid(2)),
        };
        self.figures
    }
}

/// One event's contribution: each count 0 or 1 (ratings: how many), and its handling time.
fn one(e: &EventState, period: Period, calendar: &Calendar) -> Option<(Figures, Option<i64>)> {
    let report = e.report.as_ref()?;
    let end = period.to_ms;
    let flag = |b: bool| u32::from(b);
    let closed_by_end = e.closed_at_ms.is_some_and(|t| t < end);
    let mut f = Figures {
        reports: flag(period.contains(report.filed_at_ms)),
        ..Figures::default()
    };
    f.accepted = flag(f.reports == 1 && e.accepted_at_ms.is_some_and(|t| t < end));
    if let Some(deadline) = e.deadline {
        let base = due(deadline.start_ms, deadline.limit, calendar, 0).ok();
        let delayed = due(
            deadline.start_ms,
            deadline.limit,
            calendar,
            deadline.extension_days,
        )
        .ok();
        if let (Some(base), Some(delayed)) = (base, delayed) {
            let finished_in_time = e.finished_at_ms.is_some_and(|t| t <= delayed);
            if period.contains(base) {
                f.due = 1;
                f.deferred = flag(!closed_by_end && delayed >= end);
                f.closed = flag(closed_by_end);
                f.closed_on_time = flag(closed_by_end && finished_in_time);
            }
            f.overdue = flag(!closed_by_end && delayed < end && !finished_in_time);
        }
    }
    let closed_in = e.closed_at_ms.is_some_and(|t| period.contains(t));
    f.closed_in_period = flag(closed_in);
    f.reworked = flag(closed_in && e.reworks > 0);
    for r in e.ratings.iter().filter(|r| period.contains(r.at_ms)) {
        f.visits += 1;
        f.satisfied += flag(r.rating != Rating::Unsatisfied);
    }
    let handling = match (closed_in, e.closed_at_ms, e.accepted_at_ms) {
        (true, Some(closed), Some(accepted)) => Some(closed - accepted),
        _ => None,
    };
    Some((f, handling))
}

/// Digits of a community's code at the head of its grids' codes.
const COMMUNITY_DIGITS: usize = 12;

/// The figures of `events` for `period`, deadlines on `calendar`.
pub fn stats<'a>(
    events: impl IntoIterator<Item = &'a EventState>,
    period: Period,
    calendar: &Calendar,
) -> Stats {
    let mut total = Tally::default();
    let mut by_category: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_grid: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_community: BTreeMap<String, Tally> = BTreeMap::new();
    for e in events {
        let (Some(report), Some((f, handling))) = (&e.report, one(e, period, calendar)) else {
            continue;
        };
        total.add(&f, handling);
        let category = top_of(&report.category).to_string();
        by_category.entry(category).or_default().add(&f, handling);
        by_grid
            .entry(report.grid.clone())
            .or_default()
            .add(&f, handling);
        let community = report.grid.get(..COMMUNITY_DIGITS).unwrap_or(&report.grid);
        by_community
            .entry(community.to_owned())
            .or_default()
            .add(&f, handling);
    }
    Stats {
        total: total.finish(),
        by_category: by_category
            .into_iter()
            .map(|(k, t)| (k, t.finish()))
            .collect(),
        by_grid: by_grid.into_iter().map(|(k, t)| (k, t.finish())).collect(),
        by_community: by_community
            .into_iter()
            .map(|(k, t)| (k, t.finish()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;
    use crate::deadline::Limit;
    use crate::fixture::{GRID, OTHER_GRID};
    use crate::machine::{Deadline, RatingRecord, Report, State};
    use crate::step::Severity;

    const HOUR: i64 = 3_600_000;

    fn cal() -> Calendar {
        Calendar::builtin().expect("built-in calendar parses")
    }

    /// A local instant in 2026.
    fn t(m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        let date = NaiveDate::from_ymd_opt(2026, m, d).expect("a real date");
        cal().instant(date, hh * 60 + mm)
    }

    struct Ev {
        grid: &'static str,
        category: &'static str,
        filed: i64,
        accepted: Option<i64>,
        extension_days: u32,
        finished: Option<i64>,
        closed: Option<i64>,
        reworks: u32,
        ratings: Vec<(Rating, i64)>,
    }

    impl Ev {
        fn new(grid: &'static str, category: &'static str, filed: i64) -> Self {
            Ev {
                grid,
                category,
                filed,
                accepted: None,
                extension_days: 0,
                finished: None,
                closed: None,
                reworks: 0,
                ratings: vec![],
            }
        }

        /// Every deadline here is three working days from the acceptance.
        fn build(self) -> EventState {
            EventState {
                report: Some(Report {
                    author: Uuid::from_u128(1),
                    grid: self.grid.into(),
                    category: self.category.into(),
                    severity: Severity::Normal,
                    filed_at_ms: self.filed,
                }),
                state: Some(if self.closed.is_some() {
                    State::Closed
                } else {
                    State::InProgress
                }),
                accepted_at_ms: self.accepted,
                deadline: self.accepted.map(|start_ms| Deadline {
                    start_ms,
                    limit: Limit::WorkingDays(3),
                    extension_days: self.extension_days,
                }),
                finished_at_ms: self.finished,
                closed_at_ms: self.closed,
                reworks: self.reworks,
                ratings: self
                    .ratings
                    .into_iter()
                    .map(|(rating, at_ms)| RatingRecord { rating, at_ms })
                    .collect(),
                ..EventState::default()
            }
        }
    }

    /// The fixture, March 2026. Deadlines (three working days after the acceptance day):
    /// - E1 grid A safety: accepted Mon 2 Mar 09:00, due Thu 5 Mar 17:30; finished
    ///   4 Mar 10:00, closed 4 Mar 15:00 (handling 54 h); rated 满意 6 Mar.
    /// - E2 grid B safety: accepted Mon 9 Mar 09:00, due Thu 12 Mar 17:30; finished late
    ///   13 Mar 10:00 after one failed check, closed 13 Mar 16:00 (103 h); rated 基本满意.
    /// - E3 grid B dispute: accepted Mon 16 Mar 09:00, due Thu 19 Mar 17:30; 10 days of
    ///   delay move it to Thu 2 Apr 17:30 (20, 23–27, 30, 31 Mar, 1, 2 Apr): 缓办.
    /// - E4 grid B dispute: accepted Mon 23 Mar, due Thu 26 Mar 17:30; nothing done: 超期.
    /// - E5 grid A safety: accepted Mon 30 Mar, due Thu 2 Apr: not due in March.
    /// - E6 grid B dispute: filed 31 Mar, not accepted.
    /// - E7 grid A safety: filed and accepted Thu 26 Feb 09:00; Fri 27, Sat 28 (调休上班)
    ///   and Mon 2 Mar are its three days: due 2 Mar 17:30, in March. Finished 2 Mar 11:00,
    ///   closed 3 Mar 10:00 (5 days 1 h = 121 h).
    /// - E8 grid A safety: accepted 2 Mar 09:00, due 5 Mar 17:30; closed 3 Mar, then
    ///   rated 不满意 4 Mar and reopened (no standing 办结, not closed): 超期.
    fn fixture() -> Vec<EventState> {
        let e1 = Ev {
            accepted: Some(t(3, 2, 9, 0)),
            finished: Some(t(3, 4, 10, 0)),
            closed: Some(t(3, 4, 15, 0)),
            ratings: vec![(Rating::Satisfied, t(3, 6, 10, 0))],
            ..Ev::new(GRID, "safety.fire", t(3, 2, 8, 0))
        };
        let e2 = Ev {
            accepted: Some(t(3, 9, 9, 0)),
            finished: Some(t(3, 13, 10, 0)),
            closed: Some(t(3, 13, 16, 0)),
            reworks: 1,
            ratings: vec![(Rating::Fair, t(3, 16, 10, 0))],
            ..Ev::new(OTHER_GRID, "safety.gas", t(3, 9, 8, 0))
        };
        let e3 = Ev {
            accepted: Some(t(3, 16, 9, 0)),
            extension_days: 10,
            ..Ev::new(OTHER_GRID, "dispute.neighbour", t(3, 16, 8, 0))
        };
        let e4 = Ev {
            accepted: Some(t(3, 23, 9, 0)),
            ..Ev::new(OTHER_GRID, "dispute.family", t(3, 23, 8, 0))
        };
        let e5 = Ev {
            accepted: Some(t(3, 30, 9, 0)),
            ..Ev::new(GRID, "safety.fire", t(3, 30, 8, 0))
        };
        let e6 = Ev::new(OTHER_GRID, "dispute.neighbour", t(3, 31, 10, 0));
        let e7 = Ev {
            accepted: Some(t(2, 26, 9, 0)),
            finished: Some(t(3, 2, 11, 0)),
            closed: Some(t(3, 3, 10, 0)),
            ..Ev::new(GRID, "safety.fire", t(2, 26, 8, 0))
        };
        let e8 = Ev {
            accepted: Some(t(3, 2, 9, 0)),
            ratings: vec![(Rating::Unsatisfied, t(3, 4, 9, 0))],
            ..Ev::new(GRID, "safety.fire", t(3, 2, 8, 0))
        };
        [e1, e2, e3, e4, e5, e6, e7, e8]
            .into_iter()
            .map(Ev::build)
            .collect()
    }

    fn march() -> Period {
        Period {
            from_ms: t(3, 1, 0, 0),
            to_ms: t(4, 1, 0, 0),
        }
    }

    fn ratio(numerator: u32, denominator: u32) -> Ratio {
        Ratio {
            numerator,
            denominator,
        }
    }

    #[test]
    fn the_march_totals_match_the_hand_count() {
        let s = stats(&fixture(), march(), &cal());
        let f = &s.total;
        // Filed in March: E1–E6, E8 (E7 was filed in February).
        assert_eq!(f.reports, 7);
        // Of those, accepted: all but E6.
        assert_eq!(f.accepted, 6);
        // Due in March: E1, E2, E3, E4, E7, E8 (E5 is due 2 Apr, E6 has no deadline).
        assert_eq!(f.due, 6);
        // Deferred: E3 only.
        assert_eq!(f.deferred, 1);
        // Closed: E1, E2, E7; 结案率 = 3 ÷ (6 − 1) = 60 %.
        assert_eq!(f.closure_rate(), ratio(3, 5));
        assert_eq!(f.closure_rate().value(), Some(0.6));
        // On time: E1 and E7 (E2 finished a day late): 2 ÷ 3.
        assert_eq!(f.on_time_rate(), ratio(2, 3));
        // Overdue at the end of March: E4 and E8 (E3's delayed due and E5's are in April).
        assert_eq!(f.overdue, 2);
        // Closed in March: E1, E2, E7; reworked: E2: 1 ÷ 3.
        assert_eq!(f.rework_rate(), ratio(1, 3));
        // Visits: E1 满意, E2 基本满意, E8 不满意: (1 + 1) ÷ 3.
        assert_eq!(f.satisfaction_rate(), ratio(2, 3));
        // Handling: E1 54 h, E2 103 h, E7 121 h: the median is 103 h.
        assert_eq!(f.median_handling_ms, Some(103 * HOUR));
    }

    #[test]
    fn the_march_figures_by_grid_match_the_hand_count() {
        let s = stats(&fixture(), march(), &cal());
        // Grid A holds E1, E5, E7, E8.
        let a = &s.by_grid[GRID];
        assert_eq!((a.reports, a.accepted, a.due, a.deferred), (3, 3, 3, 0));
        // Closed E1, E7 of due E1, E7, E8: 2 ÷ 3; both on time.
        assert_eq!(a.closure_rate(), ratio(2, 3));
        assert_eq!(a.on_time_rate(), ratio(2, 2));
        assert_eq!(a.overdue, 1);
        assert_eq!(a.rework_rate(), ratio(0, 2));
        assert_eq!(a.satisfaction_rate(), ratio(1, 2));
        // E1 54 h and E7 121 h: the mean of the two middle values, 87.5 h.
        assert_eq!(a.median_handling_ms, Some(87 * HOUR + HOUR / 2));
        // Grid B holds E2, E3, E4, E6.
        let b = &s.by_grid[OTHER_GRID];
        assert_eq!((b.reports, b.accepted, b.due, b.deferred), (4, 3, 3, 1));
        // Closed E2 of due E2, E3, E4 less deferred E3: 1 ÷ 2.
        assert_eq!(b.closure_rate(), ratio(1, 2));
        assert_eq!(b.on_time_rate(), ratio(0, 1));
        assert_eq!(b.overdue, 1);
        assert_eq!(b.rework_rate(), ratio(1, 1));
        assert_eq!(b.satisfaction_rate(), ratio(1, 1));
        assert_eq!(b.median_handling_ms, Some(103 * HOUR));
        // Both grids are one community's: its line adds them up, its median is over all.
        let c = &s.by_community["110105001001"];
        assert_eq!(s.by_community.len(), 1);
        assert_eq!(
            (c.reports, c.due, c.closed),
            (a.reports + b.reports, a.due + b.due, a.closed + b.closed)
        );
        assert_eq!(c.median_handling_ms, s.total.median_handling_ms);
        assert_eq!(c, &s.total);
    }

    #[test]
    fn the_march_figures_by_category_match_the_hand_count() {
        let s = stats(&fixture(), march(), &cal());
        assert_eq!(
            s.by_category.keys().collect::<Vec<_>>(),
            ["dispute", "safety"]
        );
        // Safety: E1, E2, E5, E7, E8.
        let safety = &s.by_category["safety"];
        assert_eq!((safety.reports, safety.due, safety.overdue), (4, 4, 1));
        assert_eq!(safety.closure_rate(), ratio(3, 4));
        assert_eq!(safety.satisfaction_rate(), ratio(2, 3));
        // Dispute: E3, E4, E6: none closed of due E3, E4 less deferred E3.
        let dispute = &s.by_category["dispute"];
        assert_eq!((dispute.reports, dispute.accepted, dispute.due), (3, 2, 2));
        assert_eq!(dispute.closure_rate(), ratio(0, 1));
        assert_eq!(dispute.on_time_rate().value(), None);
        assert_eq!(dispute.median_handling_ms, None);
    }

    #[test]
    fn figures_from_derived_steps_count_a_closed_event() {
        use crate::fixture::{
            Chain, community, dept, escalate, file, finish, leader, member, to_dept, verify,
        };
        let mut e = Chain::new();
        e.ok(member(), file())
            .ok(leader(), escalate())
            .ok(community(), to_dept());
        e.ok(dept(), finish()).ok(community(), verify());
        // The chain's clock runs 1 s per step from the epoch: a period around it.
        let s = stats(
            [&e.state],
            Period {
                from_ms: 0,
                to_ms: 10_000,
            },
            &cal(),
        );
        assert_eq!(
            (s.total.reports, s.total.accepted, s.total.closed_in_period),
            (1, 1, 1)
        );
        // Accepted at 3 s, closed at 5 s.
        assert_eq!(s.total.median_handling_ms, Some(2_000));
    }
}
