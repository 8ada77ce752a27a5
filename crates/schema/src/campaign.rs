//! Roster campaigns (专项任务): a campaign over every resident or household of chosen grids
//! (全员核酸, 物资发放 …), ticked off by the grids' members, offline, several at once.
//!
//! Split by writer like notices ([`crate::notice`]):
//!
//! - a **campaign document** (kind `campaign`, the campaign's random id) holds the campaign
//!   as its creator (a community or a centre) wrote it under the root `campaign` key, and
//!   `closed` once ended. Only its creator writes it; it is read downward like a notice,
//!   so it reaches the members of the grids under its unit.
//! - a **results document** per campaign and grid (kind `campaign_results`, id derived from
//!   both, byte-identical genesis) holds one tick per person or household under `ticks`,
//!   keyed by the resident's or household's id. Two members ticking different people
//!   offline both keep theirs; two ticking the same person leave one tick for that person
//!   (never two), the later write winning. Each tick names the member who wrote it, and
//!   the relay checks that every tick a change adds or changes names its writer
//!   ([`check_results`]); none is removed.

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wangge_proto::DocumentId;

use crate::access::Role;
use crate::code_enum;
use crate::genesis::period_doc_id;
use crate::kind::DocKind;
use crate::record::{RecordError, fields_of, parse, records, root_record, write_map};
use crate::root::root_str;
use crate::scope::{GridCode, ScopeCode};

/// Root key of the campaign record.
pub const CAMPAIGN: &str = "campaign";
/// Root key of the closing record.
pub const CLOSED: &str = "closed";
/// Root map of a results document: subject id → tick.
pub const TICKS: &str = "ticks";
/// Root key of a results document naming its campaign.
pub const CAMPAIGN_ID_KEY: &str = "campaign_id";

/// The answer code of a resident away (外出): what the present-and-away tallies count.
pub const AWAY: &str = "away";

/// The longest title (characters).
pub const MAX_TITLE: usize = 60;
/// The longest note on a tick (characters).
pub const MAX_NOTE: usize = 200;
/// The most answers a campaign offers.
pub const MAX_OPTIONS: usize = 8;

code_enum! {
    /// Whom a campaign counts.
    pub enum Subject {
        /// Every resident (全员核酸).
        Residents = "residents",
        /// Every household (物资发放).
        Households = "households",
    }
}

code_enum! {
    /// What a tick must carry as proof.
    pub enum Proof {
        /// Nothing beyond the answer.
        None = "none",
        /// A photo, or the resident's signature drawn on the screen (an image too).
        PhotoOrSignature = "photo_or_signature",
    }
}

/// One answer a member can give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AnswerOption {
    /// Stable code (`tested`, `away` …).
    pub code: String,
    /// What the member sees (已检测, 外出 …).
    pub label: String,
    /// Whether it counts as reached (完成).
    pub done: bool,
    /// Whether it is an exception that needs a reason (外出, 免检 …).
    pub needs_note: bool,
    /// Whether it needs a photo or the resident's signature (a delivery).
    #[serde(default)]
    pub needs_proof: bool,
}

/// A campaign as its creator wrote it: never changed once started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Campaign {
    /// Its id (the campaign document's).
    pub id: Uuid,
    /// The creating user.
    pub creator: Uuid,
    /// Their role.
    pub creator_role: Role,
    /// The unit it runs in (its document's scope).
    pub unit: String,
    /// Title.
    pub title: String,
    /// What to do.
    pub text: String,
    /// Residents or households.
    pub subject: Subject,
    /// The answers, in the order offered.
    pub options: Vec<AnswerOption>,
    /// The answer one tap gives (the common one).
    pub common: String,
    /// Proof a done tick carries.
    pub proof: Proof,
    /// The grids it runs in, in code order; empty: every grid under `unit`.
    pub grids: Vec<String>,
    /// When started (creator's clock, unix milliseconds).
    pub started_ms: i64,
    /// Due by.
    pub due_ms: i64,
}

impl Campaign {
    /// The answer with `code`.
    pub fn option(&self, code: &str) -> Option<&AnswerOption> {
        self.options.iter().find(|o| o.code == code)
    }

    /// Whether it runs in `grid`.
    pub fn runs_in(&self, grid: &GridCode) -> bool {
        if self.grids.is_empty() {
            ScopeCode::parse(&self.unit).is_ok_and(|u| u.covers(grid.scope()))
        } else {
            self.grids.iter().any(|g| g == grid.as_str())
        }
    }
}

/// One person's or household's tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Tick {
    /// The answer's code.
    pub answer: String,
    /// When (the member's clock).
    pub at_ms: i64,
    /// The member who ticked.
    pub by: Uuid,
    /// A reason (for an exception) or remark.
    pub note: String,
    /// Photos, or the drawn signature (SHA-256 of each image).
    pub photos: Vec<String>,
}

/// The closing of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CampaignClosed {
    /// When.
    pub at_ms: i64,
}

/// The results document of `campaign` for `grid`.
pub fn results_doc_id(campaign: Uuid, grid: &GridCode) -> DocumentId {
    period_doc_id(
        DocKind::CampaignResults,
        &format!("{campaign}/{}", grid.as_str()),
    )
}

/// The two campaigns the seed platforms run most, as templates.
pub fn template(subject: Subject) -> (Vec<AnswerOption>, &'static str, Proof) {
    let o = |code: &str, label: &str, done: bool, needs_note: bool| AnswerOption {
        code: code.into(),
        label: label.into(),
        done,
        needs_note,
        needs_proof: false,
    };
    match subject {
        Subject::Residents => (
            vec![
                o("done", "已完成", true, false),
                o("not_yet", "未完成", false, false),
                o(AWAY, "外出", false, true),
                o("exempt", "豁免", true, true),
            ],
            "done",
            Proof::None,
        ),
        Subject::Households => (
            vec![
                AnswerOption {
                    needs_proof: true,
                    ..o("delivered", "已送达", true, false)
                },
                o("absent", "无人在家", false, false),
                o("declined", "婉拒", true, true),
            ],
            "delivered",
            Proof::PhotoOrSignature,
        ),
    }
}

/// Writes the campaign into a new campaign document.
pub fn write_campaign(tx: &mut impl Transactable, c: &Campaign) -> Result<(), RecordError> {
    if tx.get(automerge::ROOT, CAMPAIGN)?.is_some() {
        return Err(RecordError::Duplicate(c.id.to_string()));
    }
    let obj = tx.put_object(automerge::ROOT, CAMPAIGN, automerge::ObjType::Map)?;
    write_map(tx, &obj, &fields_of(c)?)?;
    Ok(())
}

/// Ends a campaign.
pub fn write_closed(tx: &mut impl Transactable, c: &CampaignClosed) -> Result<(), RecordError> {
    let obj = tx.put_object(automerge::ROOT, CLOSED, automerge::ObjType::Map)?;
    write_map(tx, &obj, &fields_of(c)?)?;
    Ok(())
}

/// Writes the tick of `subject` (a new one replaces the one before, as one record).
pub fn write_tick(tx: &mut impl Transactable, subject: Uuid, t: &Tick) -> Result<(), RecordError> {
    let map = crate::record::root_map(tx, TICKS)?;
    let obj = tx.put_object(&map, subject.to_string().as_str(), automerge::ObjType::Map)?;
    write_map(tx, &obj, &fields_of(t)?)?;
    Ok(())
}

/// What a campaign document holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredCampaign {
    /// The campaign, if there and readable.
    pub campaign: Option<Campaign>,
    /// The closing, if ended.
    pub closed: Option<CampaignClosed>,
}

/// Reads a campaign document.
pub fn read_campaign(doc: &impl ReadDoc) -> StoredCampaign {
    StoredCampaign {
        campaign: parse(root_record(doc, CAMPAIGN)),
        closed: parse(root_record(doc, CLOSED)),
    }
}

/// What a results document holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredResults {
    /// The campaign it belongs to.
    pub campaign: Option<Uuid>,
    /// One tick per subject (those that parse).
    pub ticks: Vec<(Uuid, Tick)>,
}

/// Reads a results document.
pub fn read_results(doc: &impl ReadDoc) -> StoredResults {
    StoredResults {
        campaign: root_str(doc, CAMPAIGN_ID_KEY).and_then(|s| Uuid::parse_str(&s).ok()),
        ticks: records(doc, TICKS)
            .into_iter()
            .filter_map(|(k, v)| Some((Uuid::parse_str(&k).ok()?, parse(v)?)))
            .collect(),
    }
}

/// The tick of `subject` (a record key of [`TICKS`]), if there and readable.
pub fn tick_of(doc: &impl ReadDoc, subject: &str) -> Option<Tick> {
    parse(crate::record::record_at(doc, TICKS, subject))
}

/// Why the relay refuses a change to a campaign or results document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CampaignRefusal {
    /// The campaign names another creator, or another user writes it.
    #[error("the campaign is another user's")]
    NotCreator,
    /// The campaign as started was changed.
    #[error("the campaign as started was changed")]
    Rewritten,
    /// A tick added or changed names another member, or one was removed.
    #[error("a tick is another member's")]
    NotOwnTick,
    /// A record that does not parse.
    #[error("a record is unreadable")]
    Unreadable,
}

impl CampaignRefusal {
    /// A stable code for logs.
    pub fn code(self) -> &'static str {
        match self {
            CampaignRefusal::NotCreator => "not_creator",
            CampaignRefusal::Rewritten => "rewritten",
            CampaignRefusal::NotOwnTick => "not_own_tick",
            CampaignRefusal::Unreadable => "unreadable",
        }
    }
}

/// Whether `user` may turn the campaign document `before` (`None`: new) into `after`.
pub fn check_campaign(
    user: Uuid,
    before: Option<&impl ReadDoc>,
    after: &impl ReadDoc,
) -> Result<(), CampaignRefusal> {
    let now = root_record(after, CAMPAIGN);
    let c: Campaign = parse(now.clone()).ok_or(CampaignRefusal::Unreadable)?;
    if c.creator != user {
        return Err(CampaignRefusal::NotCreator);
    }
    let old = before.and_then(|b| root_record(b, CAMPAIGN));
    if old.is_some() && old != now {
        return Err(CampaignRefusal::Rewritten);
    }
    if root_record(after, CLOSED).is_some_and(|c| parse::<CampaignClosed>(Some(c)).is_none()) {
        return Err(CampaignRefusal::Unreadable);
    }
    Ok(())
}

/// Whether `user` may turn the results document `before` (`None`: new) into `after`:
/// every tick added or changed names the user and parses; none is removed.
pub fn check_results(
    user: Uuid,
    before: Option<&impl ReadDoc>,
    after: &impl ReadDoc,
) -> Result<(), CampaignRefusal> {
    let old = before.map(|b| records(b, TICKS)).unwrap_or_default();
    let now = records(after, TICKS);
    if old.keys().any(|k| !now.contains_key(k)) {
        return Err(CampaignRefusal::NotOwnTick);
    }
    for (k, v) in &now {
        if old.get(k) == Some(v) {
            continue;
        }
        if Uuid::parse_str(k).is_err() {
            return Err(CampaignRefusal::Unreadable);
        }
        let t: Tick = parse(v.clone()).ok_or(CampaignRefusal::Unreadable)?;
        if t.by != user {
            return Err(CampaignRefusal::NotOwnTick);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::genesis;
    use automerge::{ActorId, Automerge};

    const GRID: &str = "110105001001001";

    fn campaign(creator: Uuid) -> Campaign {
        let (options, common, proof) = template(Subject::Residents);
        Campaign {
            id: Uuid::new_v4(),
            creator,
            creator_role: Role::Centre,
            unit: "110105001".into(),
            title: "全员核酸".into(),
            text: "今日18时前完成".into(),
            subject: Subject::Residents,
            options,
            common: common.into(),
            proof,
            grids: vec![],
            started_ms: 1,
            due_ms: 10_000,
        }
    }

    fn results(c: Uuid) -> Automerge {
        let grid = GridCode::parse(GRID).unwrap();
        let attr = c.to_string();
        genesis(
            &results_doc_id(c, &grid),
            DocKind::CampaignResults,
            grid.scope(),
            &[(CAMPAIGN_ID_KEY, attr.as_str())],
        )
        .unwrap()
    }

    fn edit(
        doc: &Automerge,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) -> Automerge {
        let mut d = doc.fork().with_actor(ActorId::random());
        let mut tx = d.transaction();
        f(&mut tx);
        tx.commit();
        d
    }

    fn tick(by: Uuid, answer: &str, at_ms: i64) -> Tick {
        Tick {
            answer: answer.into(),
            at_ms,
            by,
            note: String::new(),
            photos: vec![],
        }
    }

    #[test]
    fn a_campaign_is_written_once_by_its_creator() {
        let me = Uuid::new_v4();
        let c = campaign(me);
        let doc = edit(
            &genesis(
                &DocumentId::from_uuid(c.id),
                DocKind::Campaign,
                &ScopeCode::parse("110105001").unwrap(),
                &[],
            )
            .unwrap(),
            |tx| write_campaign(tx, &c).unwrap(),
        );
        assert_eq!(read_campaign(&doc).campaign, Some(c.clone()));
        assert_eq!(check_campaign(me, None::<&Automerge>, &doc), Ok(()));
        assert_eq!(
            check_campaign(Uuid::new_v4(), None::<&Automerge>, &doc),
            Err(CampaignRefusal::NotCreator)
        );
        let ended = edit(&doc, |tx| {
            write_closed(tx, &CampaignClosed { at_ms: 5 }).unwrap()
        });
        assert_eq!(check_campaign(me, Some(&doc), &ended), Ok(()));
        assert!(c.runs_in(&GridCode::parse(GRID).unwrap()));
        assert!(!c.runs_in(&GridCode::parse("110105002001001").unwrap()));
    }

    #[test]
    fn concurrent_ticks_keep_one_per_person_and_each_names_its_writer() {
        let c = Uuid::new_v4();
        let doc = results(c);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let (p1, p2, p3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let da = edit(&doc, |tx| {
            write_tick(tx, p1, &tick(a, "done", 10)).unwrap();
            write_tick(tx, p2, &tick(a, "done", 11)).unwrap();
        });
        let db = edit(&doc, |tx| {
            write_tick(tx, p2, &tick(b, "away", 12)).unwrap();
            write_tick(tx, p3, &tick(b, "done", 13)).unwrap();
        });
        assert_eq!(check_results(a, Some(&doc), &da), Ok(()));
        assert_eq!(
            check_results(a, Some(&doc), &db),
            Err(CampaignRefusal::NotOwnTick)
        );
        let mut merged = da.clone();
        merged.merge(&mut db.clone()).unwrap();
        let mut other = db.clone();
        other.merge(&mut da.clone()).unwrap();
        let ticks = read_results(&merged).ticks;
        assert_eq!(ticks.len(), 3, "p2 once, not twice");
        assert_eq!(
            ticks,
            read_results(&other).ticks,
            "the same in either order"
        );
        assert_eq!(read_results(&merged).campaign, Some(c));
    }
}
