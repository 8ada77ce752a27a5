//! The relay serving TLS itself (`[tls]`), and devices trusting it by what their enrollment
//! link carries (the deployment's CA, or key pins): enrollment over https, sync over wss and
//! photo uploads over https; a certificate the device does not trust stops enrollment and
//! sync with codes of their own and sends nothing; a renewed certificate is served without
//! a restart. Certificates are made here (rcgen), for `localhost`.

use std::path::PathBuf;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::CertificateDer;
use wangge_core::sync::tls::spki_pin;
use wangge_core::sync::{EnrollError, SyncConfig, enroll_with_link, transport_of};
use wangge_core::*;
use wangge_relay::admin;
use wangge_relay::config::{PhotosConfig, TlsConfig};
use wangge_schema::RelayUrl;
use wangge_schema::enroll_link::{EnrollLink, TrustAnchor};

use crate::helpers::*;
use crate::photos::{camera_jpeg, file_report_with};

const WITHIN: Duration = Duration::from_secs(30);

/// A certificate authority of the tests' own, and the files of the relay's certificates.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self {
            dir: tempfile::tempdir().unwrap(),
            ca,
        }
    }

    fn ca_der(&self) -> Vec<u8> {
        self.ca.der().to_vec()
    }

    /// A new key and certificate for `localhost`, written as `relay.crt` (the chain) and
    /// `relay.key`; its SPKI pin.
    fn issue(&self) -> [u8; 32] {
        self.issue_with(|_| {})
    }

    /// [`Pki::issue`] with the certificate's parameters changed by `tweak`.
    fn issue_with(&self, tweak: impl FnOnce(&mut CertificateParams)) -> [u8; 32] {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        tweak(&mut params);
        let cert = params.signed_by(&key, &self.ca).unwrap();
        let chain = format!("{}{}", cert.pem(), self.ca.pem());
        // Written whole, then moved into place, as a renewal tool does.
        let tmp = self.dir.path().join("new.tmp");
        std::fs::write(&tmp, key.serialize_pem()).unwrap();
        std::fs::rename(&tmp, self.key_file()).unwrap();
        std::fs::write(&tmp, chain).unwrap();
        std::fs::rename(&tmp, self.cert_file()).unwrap();
        spki_pin(&CertificateDer::from(cert.der().to_vec())).unwrap()
    }

    fn cert_file(&self) -> PathBuf {
        self.dir.path().join("relay.crt")
    }

    fn key_file(&self) -> PathBuf {
        self.dir.path().join("relay.key")
    }
}

/// The relay on 127.0.0.1:0 serving TLS with `pki`'s certificate, holding grid A.
async fn tls_relay(pki: &Pki, dir: &tempfile::TempDir) -> TestRelay {
    let database = format!("sqlite:{}", dir.path().join("relay.db").display());
    let tls = TlsConfig {
        cert_file: pki.cert_file(),
        key_file: pki.key_file(),
        reload_seconds: 1,
    };
    let relay = start_relay_with(
        &database,
        PhotosConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
        |c| c.tls = Some(tls),
    )
    .await;
    relay.with_store(seed_grid_a);
    relay
}

/// An enrollment link to the relay by its name, with a fresh code for a new member of
/// grid A, trusting `trust`.
fn link(relay: &TestRelay, trust: TrustAnchor) -> EnrollLink {
    let user = relay
        .with_store(|s| admin::add_user(s, "测试用户", "member", &[GRID_A.to_owned()]).unwrap());
    let code = relay.with_store(|s| admin::enroll_code(s, user, 1).unwrap().expose().to_owned());
    let url = RelayUrl::parse(&format!("https://localhost:{}", relay.addr.port())).unwrap();
    EnrollLink {
        trust,
        ..EnrollLink::new(url, code)
    }
}

fn enroll_code(e: CoreError) -> &'static str {
    match e {
        CoreError::Enroll(e) => e.code().code(),
        other => panic!("expected an enrollment error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_trusting_the_deployments_ca_enrolls_syncs_and_uploads_over_tls() {
    let pki = Pki::new("某区政务外网测试CA");
    pki.issue();
    let dir = tempfile::tempdir().unwrap();
    let relay = tls_relay(&pki, &dir).await;
    let link = link(&relay, TrustAnchor::Ca(pki.ca_der()));
    let enrolled = enroll_with_link(&link).await.unwrap();
    let mut a = TestDevice::from_enrollment(enrolled);
    let h = a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("901")).unwrap();
        s.add_resident(h, &person("钱多多", Relation::Head))
            .unwrap();
        h
    });
    let (_, photos) = file_report_with(
        &a,
        &[camera_jpeg(800, 600, 21, false)],
        &wangge_core::photos::Settings::default(),
    );
    a.start(
        &link.relay.base(),
        SyncConfig {
            transport: transport_of(&link),
            ..fast()
        },
    );
    let mut rx = a.engine.as_ref().unwrap().status();
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let st = rx.borrow_and_update().clone();
        if st.synced && st.photos_pending == 0 {
            assert_eq!(st.encrypted, Some(true), "{st:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not synced over TLS: {st:?}"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), rx.changed()).await;
    }
    let doc = DocumentId::from_uuid(h.0);
    assert_eq!(
        relay_heads_of(&relay, &doc),
        Some(a.with(|s| device_heads_of(s, &doc)))
    );
    assert_eq!(photos.len(), 1);
    assert_eq!(
        relay.store().blob_count().unwrap(),
        1,
        "the photo went up over https"
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_the_device_does_not_trust_stops_enrollment_and_sync_and_sends_nothing() {
    let pki = Pki::new("本单位CA");
    let pin = pki.issue();
    let other = Pki::new("别处的CA");
    let dir = tempfile::tempdir().unwrap();
    let relay = tls_relay(&pki, &dir).await;
    // Another CA, the public web roots, a pin of another key, a name that is not the
    // certificate's: each its own clear refusal.
    for (trust, code) in [
        (TrustAnchor::Ca(other.ca_der()), "enroll_tls_unknown_issuer"),
        (TrustAnchor::System, "enroll_tls_unknown_issuer"),
        (TrustAnchor::Pins(vec![[7; 32]]), "enroll_tls_not_pinned"),
    ] {
        let e = enroll_with_link(&link(&relay, trust.clone()))
            .await
            .unwrap_err();
        assert_eq!(enroll_code(e), code, "{trust:?}");
    }
    let mut by_ip = link(&relay, TrustAnchor::Ca(pki.ca_der()));
    by_ip.relay = RelayUrl::parse(&format!("https://127.0.0.1:{}", relay.addr.port())).unwrap();
    let e = enroll_with_link(&by_ip).await.unwrap_err();
    assert_eq!(
        enroll_code(e),
        "enroll_tls_wrong_host",
        "hostnames are always checked"
    );
    // Pinned keys are checked for the host name too.
    let mut pinned_by_ip = link(&relay, TrustAnchor::Pins(vec![pin]));
    pinned_by_ip.relay = by_ip.relay.clone();
    let e = enroll_with_link(&pinned_by_ip).await.unwrap_err();
    assert_eq!(enroll_code(e), "enroll_tls_wrong_host");
    // Plain HTTP at the TLS port is a failed handshake, not a trust problem.
    let plain = wangge_core::sync::enroll(&format!("http://127.0.0.1:{}", relay.addr.port()), "X")
        .await
        .unwrap_err();
    assert_ne!(enroll_code(plain), "enroll_untrusted");

    // A device enrolled properly whose engine is given another CA: nothing leaves it.
    let good = link(&relay, TrustAnchor::Ca(pki.ca_der()));
    let mut a = TestDevice::from_enrollment(enroll_with_link(&good).await.unwrap());
    let h = a.with(|s| s.create_household(&grid_a(), &flat("902")).unwrap());
    let wrong = EnrollLink {
        trust: TrustAnchor::Ca(other.ca_der()),
        ..good.clone()
    };
    a.start(
        &good.relay.base(),
        SyncConfig {
            transport: transport_of(&wrong),
            ..fast()
        },
    );
    let rx = a.engine.as_ref().unwrap().status();
    eventually(
        WITHIN,
        "the engine reports the untrusted certificate",
        || rx.borrow().last_error == Some("tls_unknown_issuer"),
    )
    .await;
    assert!(!rx.borrow().online);
    assert_eq!(relay_heads_of(&relay, &DocumentId::from_uuid(h.0)), None);
    drop(a);
    // An expired certificate from the right CA, served after a renewal gone wrong.
    pki.issue_with(|p| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    });
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        match enroll_with_link(&link(&relay, TrustAnchor::Ca(pki.ca_der()))).await {
            Err(CoreError::Enroll(e)) if e.code().code() == "enroll_tls_expired" => break,
            other => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "not refused as expired: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_served_without_a_restart_and_pinned_devices_follow_the_rotation()
{
    let pki = Pki::new("轮换测试CA");
    let old = pki.issue();
    let dir = tempfile::tempdir().unwrap();
    let relay = tls_relay(&pki, &dir).await;
    // A device syncing over TLS, pinning the key in use only: its open connection must
    // outlive the renewal.
    let pinned = link(&relay, TrustAnchor::Pins(vec![old]));
    let mut a = TestDevice::from_enrollment(enroll_with_link(&pinned).await.unwrap());
    a.start(
        &pinned.relay.base(),
        SyncConfig {
            transport: transport_of(&pinned),
            ..fast()
        },
    );
    a.wait_synced(WITHIN).await;
    // The pins a link carries: the key in use and the next one. The next key is made
    // ahead; here it is the one the renewal brings.
    let next_key_pin = pki.issue();
    // Within the reload interval the relay presents the new key: a device pinning only
    // it gets in, one pinning only the old key no longer does.
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        match enroll_with_link(&link(&relay, TrustAnchor::Pins(vec![next_key_pin]))).await {
            Ok(_) => break,
            Err(CoreError::Enroll(EnrollError::Untrusted(_))) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the renewal was not picked up"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let e = enroll_with_link(&link(&relay, TrustAnchor::Pins(vec![old])))
        .await
        .unwrap_err();
    assert_eq!(enroll_code(e), "enroll_tls_not_pinned");
    // The connection opened before the renewal is still the one in use, and carries a
    // record saved now.
    let h = a.with(|s| s.create_household(&grid_a(), &flat("904")).unwrap());
    let doc = DocumentId::from_uuid(h.0);
    eventually(
        WITHIN,
        "a record saved after the renewal reaches the relay",
        || relay_heads_of(&relay, &doc) == Some(a.with(|s| device_heads_of(s, &doc))),
    )
    .await;
    let st = a.engine.as_ref().unwrap().status().borrow().clone();
    assert_eq!((st.online, st.connections), (true, 1), "{st:?}");
    let both = enroll_with_link(&link(&relay, TrustAnchor::Pins(vec![old, next_key_pin]))).await;
    assert!(
        both.is_ok(),
        "a link with both pins rides the rotation: {both:?}"
    );
    // A broken file in place of the certificate keeps the one in use.
    std::fs::write(pki.cert_file(), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let still = enroll_with_link(&link(&relay, TrustAnchor::Pins(vec![next_key_pin]))).await;
    assert!(
        still.is_ok(),
        "a bad renewal keeps the certificate in use: {still:?}"
    );
    relay.stop().await;
}

/// The shipped nginx TLS site file with its ports, certificate paths and upstream on
/// loopback and `pki`'s files.
fn render_tls_site(pki: &Pki, relay_port: u16, https: u16, http: u16) -> String {
    const SITE: &str = include_str!("../../../sync-server/deploy/nginx-tls.conf");
    for needle in [
        "listen 443 ssl;",
        "listen 80;",
        "server 127.0.0.1:3030;",
        "/etc/wangge/tls/relay.crt",
        "/etc/wangge/tls/relay.key",
        "proxy_request_buffering off;",
    ] {
        assert!(
            SITE.contains(needle),
            "the shipped TLS site file lost {needle:?}"
        );
    }
    SITE.replace("listen 443 ssl;", &format!("listen 127.0.0.1:{https} ssl;"))
        .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
        .replace(
            "server 127.0.0.1:3030;",
            &format!("server 127.0.0.1:{relay_port};"),
        )
        .replace(
            "/etc/wangge/tls/relay.crt",
            &pki.cert_file().display().to_string(),
        )
        .replace(
            "/etc/wangge/tls/relay.key",
            &pki.key_file().display().to_string(),
        )
}

/// The common deployment: nginx with the shipped site file terminates TLS in front of a
/// plain relay on loopback. Enrollment, the WebSocket upgrade and a resumable photo upload
/// all pass through it encrypted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_shipped_nginx_tls_site_a_device_enrolls_syncs_and_uploads() {
    let pki = Pki::new("反向代理测试CA");
    pki.issue();
    let relay = spawn_relay().await;
    let https = crate::cluster::free_port();
    let site = render_tls_site(&pki, relay.addr.port(), https, crate::cluster::free_port());
    let _nginx = crate::cluster::Nginx::with_site(&site, https).await;
    let user = relay
        .with_store(|s| admin::add_user(s, "测试用户", "member", &[GRID_A.to_owned()]).unwrap());
    let code = relay.with_store(|s| admin::enroll_code(s, user, 1).unwrap().expose().to_owned());
    let link = EnrollLink {
        trust: TrustAnchor::Ca(pki.ca_der()),
        ..EnrollLink::new(
            RelayUrl::parse(&format!("https://localhost:{https}")).unwrap(),
            code,
        )
    };
    let mut a = TestDevice::from_enrollment(enroll_with_link(&link).await.unwrap());
    let h = a.with(|s| s.create_household(&grid_a(), &flat("903")).unwrap());
    // Large enough for several chunks: each PATCH streams through nginx unbuffered.
    file_report_with(
        &a,
        &[camera_jpeg(1600, 1200, 22, true)],
        &wangge_core::photos::Settings {
            max_output_bytes: None,
            ..wangge_core::photos::Settings::default()
        },
    );
    a.start(
        &link.relay.base(),
        SyncConfig {
            transport: transport_of(&link),
            ..fast()
        },
    );
    let rx = a.engine.as_ref().unwrap().status();
    eventually(
        WITHIN,
        "synced, the photo uploaded, through nginx over TLS",
        || {
            let st = rx.borrow();
            st.synced && st.photos_pending == 0
        },
    )
    .await;
    assert_eq!(rx.borrow().encrypted, Some(true));
    let doc = DocumentId::from_uuid(h.0);
    assert_eq!(
        relay_heads_of(&relay, &doc),
        Some(a.with(|s| device_heads_of(s, &doc)))
    );
    assert_eq!(relay.store().blob_count().unwrap(), 1);
    relay.stop().await;
}
