//! The typed domain model. Pure data and validation: no automerge, no SQL.

mod campaign;
pub(crate) mod codes;
mod event;
pub mod fields;
mod grid;
mod household;
mod id_number;
mod ids;
mod journal;
pub mod mask;
mod notice;
mod phone;
mod report;
mod resident;
mod tags;
mod temperature;
mod visit;

pub use campaign::{
    AnswerOption, Campaign, CampaignDraft, CampaignRole, CampaignRow, CampaignView, Completion,
    PresenceRow, PresenceView, Proof, RosterItem, Subject, Tick, UnitCompletion,
};
pub use event::{
    ActingParty, DeadlineView, EventDetail, StepStatus, Task, TimelineEntry, event_category,
    event_severity, user_id,
};
pub use fields::{FieldConflict, FieldValue};
pub use grid::{Division, DivisionCode, Grid, GridCode, MAX_UNIT_NAME_CHARS, Unit, UnitKind};
pub use household::{Address, Household, HouseholdInput, LastVisit};
pub use id_number::{IdNumber, Sex, check_char};
pub(crate) use ids::derived;
pub use ids::{CheckId, EventId, HouseholdId, JournalId, NeedId, ReportId, ResidentId, VisitId};
pub use journal::JournalEntry;
pub use notice::{
    Audience, Closed, Clue, ClueView, MissingPerson, Notice, NoticeDetail, NoticeDraft, NoticeRole,
    NoticeRow, NoticeSort, Priority, Receipt, ReceiptCounts, ReceiptState, RosterEntry,
};
pub use phone::Phone;
pub use report::{
    Category, Gps, Report, ReportInput, ReportStatus, Severity, StatusEvent, current_status,
    is_sha256_hex,
};
pub use resident::{
    MAX_NAME_CHARS, MAX_NOTES_CHARS, Relation, ResidenceStatus, Resident, ResidentInput,
};
pub use tags::Tag;
pub use temperature::{
    Celsius, CheckInput, CheckSaved, ChecksRecorded, FEVER_TENTHS, Method, RowError, Slot,
    TemperatureCheck, TemperatureReading,
};
pub use visit::{Need, Visit, VisitInput, VisitPurpose};
