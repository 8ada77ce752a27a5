//! Photo uploads over tus 1.0 (creation, checksum) and scoped downloads.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use wangge_relay::admin;

use crate::helpers::*;

pub(crate) struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub fn offset(&self) -> Option<u64> {
        self.header("upload-offset").and_then(|v| v.parse().ok())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on a fresh connection. With `cut_after`, only that many body
/// bytes are sent before the connection is closed (no response is read).
pub(crate) async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
    cut_after: Option<usize>,
) -> Option<Resp> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes()).await.expect("write head");
    if let Some(n) = cut_after {
        s.write_all(&body[..n]).await.expect("write part");
        s.flush().await.expect("flush");
        drop(s);
        return None;
    }
    s.write_all(body).await.expect("write body");
    let mut out = Vec::new();
    timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("response in time")
        .expect("read");
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Resp {
        status,
        headers,
        body: out[split + 4..].to_vec(),
    })
}

pub(crate) fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A tus client for one device.
pub(crate) struct Tus {
    addr: SocketAddr,
    token: String,
}

impl Tus {
    pub fn new(relay: &TestRelay, device: &Device) -> Self {
        Self {
            addr: relay.addr,
            token: device.enrolled.token.clone(),
        }
    }

    fn auth(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Authorization", format!("Bearer {}", self.token)),
            ("Tus-Resumable", "1.0.0".into()),
        ]
    }

    async fn options(&self) -> Resp {
        request(self.addr, "OPTIONS", "/v1/files", &self.auth(), b"", None)
            .await
            .expect("response")
    }

    pub async fn create(&self, length: u64, sha256: &str, scope: &str) -> Resp {
        let mut h = self.auth();
        h.push(("Upload-Length", length.to_string()));
        h.push((
            "Upload-Metadata",
            format!(
                "filename {},sha256 {},scope {}",
                BASE64.encode("IMG_0001.jpg"),
                BASE64.encode(sha256),
                BASE64.encode(scope)
            ),
        ));
        request(self.addr, "POST", "/v1/files", &h, b"", None)
            .await
            .expect("response")
    }

    pub async fn head(&self, location: &str) -> Resp {
        request(self.addr, "HEAD", location, &self.auth(), b"", None)
            .await
            .expect("response")
    }

    fn patch_headers(&self, offset: u64, checksum: Option<&[u8]>) -> Vec<(&'static str, String)> {
        let mut h = self.auth();
        h.push(("Content-Type", "application/offset+octet-stream".into()));
        h.push(("Upload-Offset", offset.to_string()));
        if let Some(bytes) = checksum {
            h.push((
                "Upload-Checksum",
                format!("sha256 {}", BASE64.encode(Sha256::digest(bytes))),
            ));
        }
        h
    }

    pub async fn patch(&self, location: &str, offset: u64, chunk: &[u8]) -> Resp {
        let h = self.patch_headers(offset, Some(chunk));
        request(self.addr, "PATCH", location, &h, chunk, None)
            .await
            .expect("response")
    }

    /// Sends a PATCH but cuts the connection after `n` body bytes.
    async fn patch_cut(&self, location: &str, offset: u64, chunk: &[u8], n: usize) {
        let h = self.patch_headers(offset, None);
        request(self.addr, "PATCH", location, &h, chunk, Some(n)).await;
    }

    pub async fn get(&self, sha256: &str) -> Resp {
        let h = vec![("Authorization", format!("Bearer {}", self.token))];
        request(
            self.addr,
            "GET",
            &format!("/v1/blobs/{sha256}"),
            &h,
            b"",
            None,
        )
        .await
        .expect("response")
    }

    /// Creates an upload and sends it in one chunk; returns the final PATCH response.
    pub async fn upload(&self, bytes: &[u8], scope: &str) -> Resp {
        let sha = sha_hex(bytes);
        let created = self.create(len(bytes), &sha, scope).await;
        assert_eq!(created.status, 201, "create: {}", created.text());
        let loc = created.header("location").expect("location").to_owned();
        self.patch(&loc, 0, bytes).await
    }
}

pub(crate) fn len(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap()
}

pub(crate) fn photo(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| u8::try_from(i % 251).unwrap() ^ seed)
        .collect()
}

#[tokio::test]
async fn options_advertises_tus_with_creation_and_sha256() {
    let relay = spawn_relay().await;
    let dev = relay.device("member", &[GRID_A]).await;
    let r = Tus::new(&relay, &dev).options().await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("tus-version"), Some("1.0.0"));
    assert_eq!(r.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(r.header("tus-extension"), Some("creation,checksum"));
    assert_eq!(r.header("tus-checksum-algorithm"), Some("sha256"));
    assert_eq!(r.header("tus-max-size"), Some("16777216"));
    relay.stop().await;
}

#[tokio::test]
async fn an_upload_in_chunks_survives_a_cut_and_resumes() {
    let relay = spawn_relay().await;
    let dev = relay.device("member", &[GRID_A]).await;
    let tus = Tus::new(&relay, &dev);
    let bytes = photo(7, 300_000);
    let sha = sha_hex(&bytes);
    let created = tus.create(len(&bytes), &sha, GRID_A).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.offset(), Some(0));
    let loc = created.header("location").unwrap().to_owned();
    assert!(loc.starts_with("/v1/files/"));

    let r = tus.patch(&loc, 0, &bytes[..100_000]).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.offset(), Some(100_000));
    // The second chunk is cut off after 150 kB: the connection dies.
    tus.patch_cut(&loc, 100_000, &bytes[100_000..], 150_000)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // HEAD tells where to resume: what arrived before the cut is kept.
    let h = tus.head(&loc).await;
    assert_eq!(h.status, 200);
    assert_eq!(h.header("upload-length"), Some("300000"));
    assert_eq!(h.header("cache-control"), Some("no-store"));
    let at = h.offset().unwrap();
    assert!(
        (100_000 + 64 * 1024..=250_000).contains(&at),
        "the received part of the cut chunk is persisted: {at}"
    );
    let i = usize::try_from(at).unwrap();
    // The wrong offset is refused.
    let r = tus.patch(&loc, 100_000, &bytes[100_000..]).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.offset(), Some(at));
    // A chunk with a wrong checksum is discarded (460).
    let h = tus.patch_headers(at, Some(b"something else"));
    let r = request(relay.addr, "PATCH", &loc, &h, &bytes[i..i + 10_000], None)
        .await
        .unwrap();
    assert_eq!(r.status, 460, "{}", r.text());
    assert_eq!(tus.head(&loc).await.offset(), Some(at));
    // Resume in two more chunks.
    let r = tus.patch(&loc, at, &bytes[i..i + 10_000]).await;
    assert_eq!((r.status, r.offset()), (204, Some(at + 10_000)));
    let r = tus.patch(&loc, at + 10_000, &bytes[i + 10_000..]).await;
    assert_eq!((r.status, r.offset()), (204, Some(300_000)), "{}", r.text());
    assert_eq!(tus.head(&loc).await.offset(), Some(300_000));

    let got = tus.get(&sha).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, bytes);
    assert_eq!(relay.store().blob_count().unwrap(), 1);
    relay.stop().await;
}

#[tokio::test]
async fn the_same_bytes_twice_are_stored_once() {
    let relay = spawn_relay().await;
    let a1 = relay.device("member", &[GRID_A]).await;
    let a2 = relay.device("member", &[GRID_A]).await;
    let bytes = photo(1, 5000);
    let sha = sha_hex(&bytes);
    let r = Tus::new(&relay, &a1).upload(&bytes, GRID_A).await;
    assert_eq!(r.status, 204, "{}", r.text());
    // Another device of the same grid: the upload is reported complete at creation.
    let tus2 = Tus::new(&relay, &a2);
    let created = tus2.create(len(&bytes), &sha, GRID_A).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.offset(), Some(len(&bytes)));
    let loc = created.header("location").unwrap().to_owned();
    assert_eq!(tus2.head(&loc).await.offset(), Some(len(&bytes)));
    assert_eq!(relay.store().blob_count().unwrap(), 1);
    assert_eq!(tus2.get(&sha).await.body, bytes);
    relay.stop().await;
}

#[tokio::test]
async fn a_wrong_hash_is_rejected_and_nothing_is_stored() {
    let relay = spawn_relay().await;
    let dev = relay.device("member", &[GRID_A]).await;
    let tus = Tus::new(&relay, &dev);
    let bytes = photo(2, 4000);
    let claimed = sha_hex(b"a different photo");
    let created = tus.create(len(&bytes), &claimed, GRID_A).await;
    assert_eq!(created.status, 201);
    let loc = created.header("location").unwrap().to_owned();
    let r = tus.patch(&loc, 0, &bytes).await;
    assert_eq!(r.status, 460);
    assert!(r.text().contains("sha256_mismatch"), "{}", r.text());
    assert_eq!(tus.head(&loc).await.status, 404, "the upload is discarded");
    assert_eq!(relay.store().blob_count().unwrap(), 0);
    assert_eq!(tus.get(&claimed).await.status, 404);
    assert_eq!(tus.get(&sha_hex(&bytes)).await.status, 404);
    // The relay keeps serving: a good upload still works.
    assert_eq!(tus.upload(&bytes, GRID_A).await.status, 204);
    relay.stop().await;
}

#[tokio::test]
async fn uploads_past_the_cap_are_refused() {
    let relay = spawn_relay().await;
    let dev = relay.device("member", &[GRID_A]).await;
    let tus = Tus::new(&relay, &dev);
    let r = tus
        .create(16 * 1024 * 1024 + 1, &sha_hex(b"big"), GRID_A)
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    // A chunk past the declared length is refused too.
    let created = tus.create(10, &sha_hex(b"0123456789"), GRID_A).await;
    let loc = created.header("location").unwrap().to_owned();
    let r = tus.patch(&loc, 0, b"0123456789ab").await;
    assert_eq!(r.status, 413);
    assert_eq!(tus.head(&loc).await.offset(), Some(0));
    assert_eq!(relay.store().blob_count().unwrap(), 0);
    // The relay keeps serving others: another device's upload goes through.
    let other = relay.device("member", &[GRID_A]).await;
    let bytes = photo(3, 2000);
    assert_eq!(
        Tus::new(&relay, &other).upload(&bytes, GRID_A).await.status,
        204
    );
    assert_eq!(tus.get(&sha_hex(&bytes)).await.body, bytes);
    relay.stop().await;
}

#[tokio::test]
async fn the_centre_fetches_photos_of_every_grid_in_its_division_only() {
    let relay = spawn_relay().await;
    let a = relay.device("member", &[GRID_A]).await;
    let b = relay.device("member", &[GRID_B]).await;
    let c = relay.device("member", &[GRID_C]).await;
    let centre = relay.device("centre", &[STREET]).await;
    let (pa, pb, pc) = (photo(40, 1500), photo(41, 1500), photo(42, 1500));
    assert_eq!(Tus::new(&relay, &a).upload(&pa, GRID_A).await.status, 204);
    assert_eq!(Tus::new(&relay, &b).upload(&pb, GRID_B).await.status, 204);
    assert_eq!(Tus::new(&relay, &c).upload(&pc, GRID_C).await.status, 204);
    let tc = Tus::new(&relay, &centre);
    assert_eq!(tc.get(&sha_hex(&pa)).await.body, pa);
    assert_eq!(tc.get(&sha_hex(&pb)).await.body, pb);
    assert_eq!(tc.get(&sha_hex(&pc)).await.status, 404, "other street");
    // A dispatch photo goes to a grid of the division, not beyond it.
    assert_eq!(tc.upload(&photo(43, 800), GRID_B).await.status, 204);
    let r = tc.create(800, &sha_hex(&photo(44, 800)), GRID_C).await;
    assert_eq!(r.status, 403);
    relay.stop().await;
}

#[tokio::test]
async fn bad_tus_requests_are_refused() {
    let relay = spawn_relay().await;
    let dev = relay.device("member", &[GRID_A]).await;
    let tus = Tus::new(&relay, &dev);
    let created = tus.create(4, &sha_hex(b"abcd"), GRID_A).await;
    let loc = created.header("location").unwrap().to_owned();
    // No Tus-Resumable.
    let h = vec![("Authorization", format!("Bearer {}", tus.token))];
    let r = request(relay.addr, "HEAD", &loc, &h, b"", None)
        .await
        .unwrap();
    assert_eq!(r.status, 412);
    // Wrong content type.
    let mut h = tus.auth();
    h.push(("Upload-Offset", "0".into()));
    let r = request(relay.addr, "PATCH", &loc, &h, b"abcd", None)
        .await
        .unwrap();
    assert_eq!(r.status, 415);
    // Missing metadata.
    let mut h = tus.auth();
    h.push(("Upload-Length", "4".into()));
    let r = request(relay.addr, "POST", "/v1/files", &h, b"", None)
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    // Unknown upload ids and someone else's upload.
    assert_eq!(tus.head("/v1/files/not-a-uuid").await.status, 404);
    let other = relay.device("member", &[GRID_A]).await;
    assert_eq!(Tus::new(&relay, &other).head(&loc).await.status, 404);
    relay.stop().await;
}

#[tokio::test]
async fn a_member_of_a_cannot_upload_to_or_download_from_b() {
    let relay = spawn_relay().await;
    let a = relay.device("member", &[GRID_A]).await;
    let b = relay.device("member", &[GRID_B]).await;
    let leader = relay.device("leader", &[GRID_A, GRID_B]).await;
    let (ta, tb, tl) = (
        Tus::new(&relay, &a),
        Tus::new(&relay, &b),
        Tus::new(&relay, &leader),
    );
    let pa = photo(10, 3000);
    let pb = photo(11, 3000);
    assert_eq!(ta.upload(&pa, GRID_A).await.status, 204);
    assert_eq!(tb.upload(&pb, GRID_B).await.status, 204);

    // Upload to B: 403, whether or not the photo exists.
    let r = ta.create(len(&pb), &sha_hex(&pb), GRID_B).await;
    assert_eq!(r.status, 403);
    let r2 = ta.create(10, &sha_hex(b"nothing"), GRID_B).await;
    assert_eq!((r2.status, r2.text()), (r.status, r.text()));
    // Download of B's photo: 404 exactly like an unknown hash.
    let got = ta.get(&sha_hex(&pb)).await;
    let unknown = ta.get(&sha_hex(b"nothing")).await;
    assert_eq!(got.status, 404);
    assert_eq!((got.status, got.text()), (unknown.status, unknown.text()));
    assert_eq!(ta.get(&sha_hex(&pa)).await.body, pa);

    // The leader of A and B downloads both.
    assert_eq!(tl.get(&sha_hex(&pa)).await.body, pa);
    assert_eq!(tl.get(&sha_hex(&pb)).await.body, pb);
    assert_eq!(tl.upload(&photo(12, 100), GRID_B).await.status, 204);
    relay.stop().await;
}

#[tokio::test]
async fn a_photo_in_a_is_not_revealed_to_a_b_member_who_names_its_hash() {
    let relay = spawn_relay().await;
    let a = relay.device("member", &[GRID_A]).await;
    let b = relay.device("member", &[GRID_B]).await;
    let (ta, tb) = (Tus::new(&relay, &a), Tus::new(&relay, &b));
    let bytes = photo(20, 20_000);
    let sha = sha_hex(&bytes);
    assert_eq!(ta.upload(&bytes, GRID_A).await.status, 204);

    // B names the hash: the answer is that of a brand-new photo.
    let created = tb.create(len(&bytes), &sha, GRID_B).await;
    let fresh = tb.create(100, &sha_hex(b"fresh"), GRID_B).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.offset(), Some(0), "no hint that A has it");
    assert_eq!(fresh.offset(), Some(0));
    let loc = created.header("location").unwrap().to_owned();
    assert_eq!(tb.head(&loc).await.offset(), Some(0));
    assert_eq!(tb.get(&sha).await.status, 404);
    // Wrong bytes under that name are refused and do not link anything.
    let r = tb.patch(&loc, 0, &photo(21, 20_000)).await;
    assert_eq!(r.status, 460);
    assert_eq!(tb.get(&sha).await.status, 404);
    // Sending the real bytes links the existing blob to B; still stored once.
    let r = tb.upload(&bytes, GRID_B).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(tb.get(&sha).await.body, bytes);
    assert_eq!(relay.store().blob_count().unwrap(), 1);
    relay.stop().await;
}

#[tokio::test]
async fn a_revoked_or_missing_token_is_refused() {
    let relay = spawn_relay().await;
    let dev = relay.device("member", &[GRID_A]).await;
    let tus = Tus::new(&relay, &dev);
    let bytes = photo(30, 1000);
    let created = tus.create(len(&bytes), &sha_hex(&bytes), GRID_A).await;
    let loc = created.header("location").unwrap().to_owned();
    assert_eq!(tus.patch(&loc, 0, &bytes[..500]).await.status, 204);

    let r = request(relay.addr, "OPTIONS", "/v1/files", &[], b"", None)
        .await
        .unwrap();
    assert_eq!(r.status, 401);

    let mut store = relay.store();
    assert!(admin::revoke_device(store.as_mut(), dev.enrolled.device_id).unwrap());
    assert_eq!(tus.options().await.status, 401);
    assert_eq!(tus.head(&loc).await.status, 401);
    assert_eq!(tus.patch(&loc, 500, &bytes[500..]).await.status, 401);
    assert_eq!(
        tus.create(len(&bytes), &sha_hex(&bytes), GRID_A)
            .await
            .status,
        401
    );
    assert_eq!(tus.get(&sha_hex(&bytes)).await.status, 401);
    assert_eq!(relay.store().blob_count().unwrap(), 0);
    relay.stop().await;
}
