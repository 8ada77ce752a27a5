//! `wangge-schema`: the contract between the Wangge device and the relay.
//!
//! Whatever both sides must agree on is written here once and both call it: what a
//! document is (its kind, the scope code in its root, its deterministic genesis), who may
//! read and write it, the shapes of the enrollment and photo-upload exchanges, the relay's
//! address, and the multi-document edits both sides perform. Pure code: no I/O, no SQLite,
//! no async.
//!
//! # Layout
//!
//! - [`error`]: [`FieldError`], the validation failure of one field, and [`ErrorCode`],
//!   every stable code an error can carry to the app's UI.
//! - [`codes`]: [`code_enum!`], enums stored as stable snake_case codes.
//! - [`scope`]: [`ScopeCode`], [`GridCode`], [`DivisionCode`]: one validation of the
//!   statistical division codes and grid codes, and the prefix tree they form.
//! - [`directory`]: the directory answer (units and people by name).
//! - [`kind`]: [`DocKind`] and the collections at each kind's root.
//! - [`root`]: reading a document's root `kind` and `scope` ([`read_meta`]).
//! - [`genesis`]: ids derived from natural keys and the byte-identical first change.
//! - [`guard`]: automerge calls guarded against hostile bytes, the strict change check.
//! - [`access`]: [`Role`], [`Principal`] and the read/write rule table.
//! - [`sync_state`]: the sync state of a peer known to hold given heads.
//! - [`enroll`]: `POST /v1/enroll` request and answer, the relay's error body.
//! - [`enroll_link`]: [`EnrollLink`], the versioned `wangge://enroll?…` link (and QR code
//!   content) that carries the relay, the one-time code and what to trust.
//! - [`tus`]: photo upload paths, versions, `Upload-Metadata` and `Upload-Checksum`.
//! - [`relay_url`]: [`RelayUrl`], the relay's address and the URLs derived from it.
//! - [`steps`]: an event's steps as its dispatch document holds them;
//!   [`step_access`]: who may write which step (the relay's check).
//! - [`campaign`]: roster campaigns and their ticks, and who may write them.
//! - [`notice`]: notices and receipts as their documents hold them, and who may write
//!   which record (the relay's check); [`record`]: records as plain automerge values.
//! - [`regrid`]: grid membership of households and [`HouseholdMove`], the same changes
//!   on the device and on the relay.

pub mod access;
pub mod campaign;
pub mod codes;
pub mod directory;
pub mod enroll;
pub mod enroll_link;
pub mod error;
pub mod genesis;
pub mod guard;
pub mod kind;
pub mod notice;
pub mod record;
pub mod regrid;
pub mod relay_url;
pub mod root;
pub mod scope;
pub mod step_access;
pub mod steps;
pub mod sync_state;
pub mod tus;

pub use access::{Principal, Role, WriteRefusal};
pub use directory::DIRECTORY_PATH;
pub use enroll::{ApiError, EnrollRequest, EnrollResponse};
pub use enroll_link::{EnrollLink, EnrollLinkError, TrustAnchor};
pub use error::{ErrorCode, FieldError};
pub use genesis::{derived, genesis, grid_index_id, period_doc_id};
pub use kind::DocKind;
pub use regrid::HouseholdMove;
pub use relay_url::{RelayUrl, RelayUrlError};
pub use root::{DocMeta, MetaError, read_meta, root_str};
pub use scope::{DivisionCode, GridCode, Level, ScopeCode};
pub use sync_state::in_sync_state;
pub use wangge_proto::DocumentId;
