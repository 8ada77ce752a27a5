//! Photo bytes in S3-compatible object storage (`[photos] store = "s3"`), the database
//! keeping only the blobs' metadata and the staged chunks of uploads under way.
//!
//! - `client`: [`ObjectBlobs`], the bucket behind a synchronous `put` / `get` / `exists`
//!   by content address (`<prefix>photos/<ab>/<sha256>`), and its [`S3Config`].
//! - `backed`: [`ObjectBacked`], a [`RelayStore`](super::RelayStore) over any database
//!   backend that PUTs a finished upload's bytes before recording the blob, and reads
//!   either kind of blob (bytes in the database from before, or an object).
//!
//! One implementation serves SQLite and PostgreSQL alike: the backends only record where
//! a blob's bytes are ([`BlobStore::record_object_blob`](super::BlobStore)).
//!
//! Why uploads stage in the database, not in the bucket: a tus upload is resumed by
//! whichever relay instance the load balancer picks, possibly after the one that took
//! the first part is gone; the database is what instances share and lock (an upload's row
//! serialises appends and the finish), and a chunk is durable there when the relay
//! answers. Objects are written once, whole and verified, so a half-written photo never
//! exists under a photo's name.
//!
//! The relay's HTTP side keeps its one store behind a mutex, so its handlers take these
//! steps themselves (`server::files`) and make object requests with the lock released: a
//! slow or unreachable object store (requests are bounded: 3 s to connect, 30 s each, two
//! quick retries within 10 s) delays that photo's request, not the others'.
//!
//! An object whose upload was discarded between its PUT and its row (the device's pending
//! uploads bounded meanwhile) stays in the bucket unreferenced; it is harmless, named by
//! content, and reused if the photo comes again.

mod backed;
mod client;
#[cfg(test)]
mod tests;

pub use backed::{ObjectBacked, staged_bytes_match};
pub use client::{ObjectBlobs, S3Config};
