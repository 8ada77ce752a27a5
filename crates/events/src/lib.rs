//! `wangge-events`: the chain of command of an event (事件), as pure code.
//!
//! A grid member files a photo-evidenced report; the grid's leader accepts it or sends it
//! up; a community or the command centre dispatches it to a grid, a member or a
//! department with a time limit; the assignee handles it, may ask for a delay or send a
//! wrong dispatch back, and reports it done with an after-photo; whoever dispatched or
//! accepted it checks it; a member or the centre asks the resident how it went. Each of
//! these is a [`Step`]; the event's state is derived from its steps, never stored, so
//! replicas that hold the same steps agree on it whatever order the steps arrived in.
//! No I/O, no storage, no automerge: the dispatch documents store the steps, this crate
//! says what they mean.
//!
//! # Example
//!
//! ```
//! use uuid::Uuid;
//! use wangge_events::{Action, Actor, Limit, Party, Severity, State, Step, StepId, derive};
//!
//! let grid = "110105001001001";
//! let member = Actor { user: Uuid::new_v4(), role: Party::Member, unit: grid.into() };
//! let leader = Actor { user: Uuid::new_v4(), role: Party::Leader, unit: grid.into() };
//! let filed = Step {
//!     id: StepId::random(),
//!     after: vec![],
//!     at_ms: 0,
//!     actor: member,
//!     action: Action::File {
//!         category: "safety.fire".into(),
//!         severity: Severity::Normal,
//!         note: "楼道堆放杂物".into(),
//!         photos: vec!["ab".repeat(32)],
//!     },
//! };
//! let accepted = Step {
//!     id: StepId::random(),
//!     after: vec![filed.id],
//!     at_ms: 60_000,
//!     actor: leader.clone(),
//!     action: Action::Accept { limit: Limit::WorkingDays(5) },
//! };
//! // Any order: the parent comes first.
//! let event = derive(&[accepted, filed]);
//! assert_eq!(event.state.state, Some(State::InProgress));
//! assert_eq!(event.state.first_responsible, Some(leader.user));
//! ```
//!
//! # Layout
//!
//! - [`codes`]: [`code_enum!`], enums stored as stable snake_case codes.
//! - [`step`]: [`Step`], [`Actor`], [`Action`] and their payloads.
//! - [`refusal`]: [`Refusal`], why a step may not be taken, with Chinese messages.
//! - [`event`]: [`EventState`], what is derived about one event, and its parts.
//! - [`form`]: [`form_of`], what each action's form asks for and requires (the machine
//!   checks a step's text and photos by it; the app's forms are built from it).
//! - [`machine`]: [`EventState`], [`check`], [`apply`], [`allowed_actions`]: the state
//!   table.
//! - [`derive`](mod@derive): [`derive()`](derive::derive), the state of a DAG of steps, with conflicts
//!   between concurrent steps surfaced and settled.
//! - [`calendar`]: [`Calendar`], working days and hours as data (2026 built in).
//! - [`deadline`]: [`Limit`], [`due`], [`mark`], the [`TimeLimits`] table.
//! - [`category`]: the two-level category list, as data.
//! - [`clock`](mod@clock): [`Clock`], the stage clock running on an event now, for the marks.
//! - [`stats`](mod@stats): figures over derived events for a period, by category and by grid.

pub mod calendar;
pub mod category;
pub mod clock;
pub mod codes;
pub mod deadline;
pub mod derive;
pub mod event;
pub mod form;
pub mod machine;
pub mod refusal;
pub mod stats;
pub mod step;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod replica_tests;

pub use calendar::{Calendar, CalendarError, WorkingHours, YearFile};
pub use category::{Categories, Category};
pub use clock::{Clock, clock};
pub use deadline::{Limit, Mark, Stage, TimeLimits, due, mark};
pub use derive::{Applied, Conflict, Derived, Settled, causal_order, derive};
pub use form::{ActionForm, PhotoNeed, TargetField, TextField, all_forms, form_of};
pub use machine::{EventState, Level, State, allowed_actions, apply, check, may, parties_for};
pub use refusal::Refusal;
pub use stats::{Figures, Period, Ratio, Stats, stats};
pub use step::{
    Action, ActionKind, Actor, Assignee, Party, Rating, Settlement, Severity, Step, StepId,
    Supervision,
};
