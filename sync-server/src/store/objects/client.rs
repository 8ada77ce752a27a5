//! [`ObjectBlobs`]: photo bytes in an S3 bucket by content address, behind a synchronous
//! API (the store traits are synchronous; `object_store` is async).
//!
//! The client owns a small tokio runtime of its own and blocks on it, as the PostgreSQL
//! client does: the relay calls stores from `spawn_blocking` and from its hub thread,
//! where blocking is allowed; an async worker thread must not call it (calls from one run
//! on a thread of their own). Requests are bounded: a few quick retries, then an error,
//! so an unreachable store fails an upload's finish in seconds, retryably.

use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{BackoffConfig, ClientOptions, ObjectStoreExt, PutPayload, RetryConfig};

use crate::auth::Secret;
use crate::store::StoreError;

/// How to reach the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `https://…` or, with `allow_http`, `http://…`; `None` for AWS itself.
    pub endpoint: Option<String>,
    /// The bucket (it must exist, or the server must create it on first write).
    pub bucket: String,
    /// The region (`us-east-1` suits most S3-compatible servers).
    pub region: String,
    /// Static credentials; `None` uses the instance's (AWS instance or task role).
    pub credentials: Option<(String, Secret)>,
    /// Put before every key as is (`city-a/` keeps the relay's objects in a folder).
    pub prefix: String,
    /// Plain HTTP to the endpoint (on-premises or loopback only).
    pub allow_http: bool,
}

/// One request's time limit, retries included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting is given this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Photo bytes in an S3 bucket, one object per blob at `<prefix>photos/<ab>/<sha256>`.
pub struct ObjectBlobs {
    /// `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    s3: AmazonS3,
    prefix: String,
}

impl std::fmt::Debug for ObjectBlobs {
    // The client's own `Debug` would show its configuration; show the place only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBlobs")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ObjectBlobs {
    /// Builds the client (no request is sent yet). Fails if the configuration is not one
    /// the client accepts, or the prefix cannot start an object key.
    pub fn connect(config: &S3Config) -> Result<ObjectBlobs, StoreError> {
        key_for(&config.prefix, &"0".repeat(64))?;
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_allow_http(config.allow_http)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(config.allow_http)
                    .with_timeout(REQUEST_TIMEOUT)
                    .with_connect_timeout(CONNECT_TIMEOUT),
            )
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(1),
                    base: 2.0,
                },
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
            });
        if let Some(endpoint) = &config.endpoint {
            // Path-style requests (`endpoint/bucket/key`): what on-premises servers speak.
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if let Some((id, secret)) = &config.credentials {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret.expose());
        }
        let s3 = builder.build().map_err(StoreError::object_store)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wangge-s3")
            .enable_all()
            .build()
            .map_err(StoreError::object_store)?;
        Ok(ObjectBlobs {
            runtime: Some(runtime),
            s3,
            prefix: config.prefix.clone(),
        })
    }

    /// The object key of a blob: `<prefix>photos/<first two hex digits>/<sha256>`.
    pub fn key(&self, sha256: &str) -> Result<Path, StoreError> {
        key_for(&self.prefix, sha256)
    }

    /// Stores a blob's bytes under its content address. Writing the same bytes again is
    /// harmless, so a retried or concurrent finish needs no coordination.
    pub fn put(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let key = self.key(sha256)?;
        self.block_on(async { self.s3.put(&key, PutPayload::from(bytes)).await })
            .map(|_| ())
    }

    /// A blob's bytes, or `None` if the bucket has no object for it.
    pub fn get(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.key(sha256)?;
        self.block_on(async {
            match self.s3.get(&key).await {
                Ok(got) => got.bytes().await.map(|b| Some(b.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// The bytes of a blob recorded as kept here. Its object missing is an error, not
    /// "no such photo": the bucket lost it, or this relay looks in another bucket or
    /// under another prefix.
    pub fn get_recorded(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        self.get(sha256)?.ok_or_else(|| {
            StoreError::object_store(
                "a recorded photo is missing from object storage (check the bucket and prefix)",
            )
        })
    }

    /// Whether the bucket has an object for the blob.
    pub fn exists(&self, sha256: &str) -> Result<bool, StoreError> {
        let key = self.key(sha256)?;
        self.block_on(async {
            match self.s3.head(&key).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    /// Runs a request on the client's runtime, from whichever thread calls.
    fn block_on<T: Send>(
        &self,
        request: impl Future<Output = Result<T, object_store::Error>> + Send,
    ) -> Result<T, StoreError> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError::object_store("object storage client closed"))?;
        let result = if tokio::runtime::Handle::try_current().is_ok() {
            // Inside another runtime (a `spawn_blocking` thread, or, wrongly, an async
            // worker): `block_on` could panic there, a thread of its own cannot.
            std::thread::scope(|s| s.spawn(|| runtime.block_on(request)).join())
                .map_err(|_| StoreError::object_store("the object storage thread panicked"))?
        } else {
            runtime.block_on(request)
        };
        result.map_err(StoreError::object_store)
    }
}

impl Drop for ObjectBlobs {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which an async worker (where the relay's stores may
        // be dropped) must not do.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `<prefix>photos/<ab>/<sha256>`, for a lowercase hex SHA-256 only.
fn key_for(prefix: &str, sha256: &str) -> Result<Path, StoreError> {
    let is_hash = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let Some(fan) = sha256.get(..2).filter(|_| is_hash) else {
        return Err(StoreError::Corrupt("a blob name is not a SHA-256".into()));
    };
    Path::parse(format!("{prefix}photos/{fan}/{sha256}")).map_err(|e| {
        StoreError::object_store(format!(
            "the object key prefix {prefix:?} is not usable: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "ab00000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn a_blob_key_is_its_hash_under_a_two_digit_folder() {
        assert_eq!(
            key_for("", HASH).expect("key").as_ref(),
            format!("photos/ab/{HASH}")
        );
        assert_eq!(
            key_for("city-a/", HASH).expect("key").as_ref(),
            format!("city-a/photos/ab/{HASH}")
        );
    }

    #[test]
    fn only_a_sha256_names_an_object() {
        for bad in ["", "ab", "../etc/passwd", &HASH.to_uppercase(), &HASH[1..]] {
            assert!(key_for("", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_prefix_that_cannot_start_a_key_is_refused() {
        assert!(key_for("a//b/", HASH).is_err());
    }
}
