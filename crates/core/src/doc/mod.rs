//! Documents: which automerge document holds which records, and how records are read from
//! and written to them. Nothing outside `doc` and `store` touches automerge.
//!
//! Every document's root carries `kind` and `scope` (the grid code whose people may read
//! it); the relay relies on both. What a document is (its kind, root fields, genesis, id)
//! is the schema's ([`wangge_schema`]), shared with the relay. Records sit in maps keyed by
//! id under named collections; an event's steps sit in its dispatch document's `steps`
//! map ([`steps`]).

mod codec;
pub(crate) mod steps;

pub(crate) use codec::{
    collection, conflicts, force_put, kind_of, read_collection, read_fields, record_obj, root_str,
    scope_of, write_fields,
};
pub use wangge_schema::DocKind;
pub(crate) use wangge_schema::{genesis, period_doc_id};
