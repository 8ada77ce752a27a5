//! Devices running the sync engine against the real relay.

use std::sync::Arc;
use std::time::Duration;

use wangge_core::*;

use crate::helpers::*;

const WITHIN: Duration = Duration::from_secs(30);

async fn two_members_converge(first_a: bool) {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let mut b = TestDevice::new(&relay, GRID_A).await;

    // Offline edits on both devices.
    a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("501")).unwrap();
        s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
    });
    b.with(|s| {
        let h = s.create_household(&grid_a(), &flat("502")).unwrap();
        s.add_resident(h, &person("李强", Relation::Head)).unwrap();
        s.add_resident(h, &person("李小明", Relation::Child))
            .unwrap();
    });

    let url = relay.url();
    let (x, y) = if first_a {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    x.start(&url, fast());
    x.wait_synced(WITHIN).await;
    y.start(&url, fast());
    y.wait_synced(WITHIN).await;

    // Both end with both households (the first gets the second's pushed while online).
    eventually(WITHIN, "both devices see both households", || {
        let va = a.with(view);
        va.len() == 2 && va == b.with(view)
    })
    .await;
    let v = a.with(view);
    assert_eq!(v[0].2, vec!["王芳".to_owned()]);
    assert_eq!(v[1].2, vec!["李小明".to_owned(), "李强".to_owned()]);

    // An edit while online reaches the other device after a nudge.
    a.with(|s| {
        let h = s.households_of_grid(&grid_a()).unwrap()[1].id;
        s.add_resident(h, &person("赵敏", Relation::Spouse))
            .unwrap();
    });
    a.engine.as_ref().unwrap().nudge();
    eventually(WITHIN, "the online edit arrives", || {
        b.with(view)[1].2.len() == 3
    })
    .await;
    assert_eq!(a.with(view), b.with(view));
    a.wait_synced(WITHIN).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_converge_when_a_connects_first() {
    two_members_converge(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_converge_when_b_connects_first() {
    two_members_converge(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_reconnects_after_the_relay_comes_back() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.with(|s| {
        s.create_household(&grid_a(), &flat("601")).unwrap();
    });
    // Nothing listens here: the engine backs off and reports the failure.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    a.start(&dead_url, fast());
    let mut rx = a.engine.as_ref().unwrap().status();
    eventually(WITHIN, "a connect error", || {
        rx.borrow_and_update().last_error.is_some()
    })
    .await;
    assert!(!rx.borrow().online);
    a.engine = None;
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    relay.stop().await;
}

/// Both devices sync through a proxy that cuts the first connections at random byte
/// offsets; they must still converge. `WANGGE_FAULT_SEED` replays a failing seed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_converge_through_a_cutting_proxy() {
    let seed: u64 = std::env::var("WANGGE_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("fault proxy seed: {seed} (replay with WANGGE_FAULT_SEED={seed})");
    let relay = spawn_relay().await;
    let proxy = crate::proxy::FaultProxy::start(relay.addr, seed, 8, 6000).await;
    let url = format!("http://{}", proxy.addr);
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let mut b = TestDevice::new(&relay, GRID_A).await;
    for (d, tag) in [(&a, "a"), (&b, "b")] {
        d.with(|s| {
            for i in 0..6 {
                let h = s
                    .create_household(&grid_a(), &flat(&format!("{tag}{i:02}")))
                    .unwrap();
                s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
                s.add_resident(h, &person("李小明", Relation::Child))
                    .unwrap();
            }
        });
    }
    a.start(&url, fast());
    b.start(&url, fast());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (va, vb) = (a.with(view), b.with(view));
        if va.len() == 12 && va == vb {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "seed {seed}: no convergence (a has {}, b has {}, cuts {})",
            va.len(),
            vb.len(),
            proxy.cuts.load(std::sync::atomic::Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.wait_synced(WITHIN).await;
    b.wait_synced(WITHIN).await;
    let cuts = proxy.cuts.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!("seed {seed}: converged after {cuts} cut connections");
    assert!(cuts >= 1, "seed {seed}: the proxy never cut");
    relay.stop().await;
}

/// A revoked device is cut off at once: its open connection closes, reconnects are refused
/// as unauthorized, and what it writes afterwards stays on the device, never on the relay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_cut_off_and_keeps_its_unsynced_changes() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.with(|s| {
        s.create_household(&grid_a(), &flat("701")).unwrap();
    });
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    let device: uuid::Uuid = a.enrolled.device_id;
    let mut store = relay.store();
    assert!(wangge_relay::admin::revoke_device(store.as_mut(), device).unwrap());
    let mut rx = a.engine.as_ref().unwrap().status();
    eventually(WITHIN, "the engine is refused as unauthorized", || {
        let s = rx.borrow_and_update();
        !s.online && s.last_error == Some("unauthorized")
    })
    .await;
    let h = a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("702")).unwrap();
        s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
        h
    });
    a.engine.as_ref().unwrap().nudge();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!rx.borrow().online);
    assert_eq!(a.with(view).len(), 2, "the device keeps what it wrote");
    assert!(
        relay_heads_of(&relay, &DocumentId::from_uuid(h.0)).is_none(),
        "nothing reached the relay after the revocation"
    );
    relay.stop().await;
}

/// A device using the heads summary and one speaking only the standard protocol edit
/// offline between connections; after reconnecting, both hold every edit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_and_standard_devices_converge_across_reconnects() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let mut b = TestDevice::new(&relay, GRID_A).await;
    let standard = wangge_core::sync::SyncConfig {
        heads_summary: false,
        ..fast()
    };
    let url = relay.url();
    for round in 0..3 {
        a.with(|s| {
            let h = s
                .create_household(&grid_a(), &flat(&format!("a{round}")))
                .unwrap();
            s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
            // An edit to a household both already hold.
            if round > 0 {
                let first = s.households_of_grid(&grid_a()).unwrap()[0].id;
                s.add_resident(first, &person(&format!("张{round}"), Relation::Child))
                    .unwrap();
            }
        });
        b.with(|s| {
            s.create_household(&grid_a(), &flat(&format!("b{round}")))
                .unwrap();
        });
        a.start(&url, fast());
        b.start(&url, standard.clone());
        a.wait_synced(WITHIN).await;
        b.wait_synced(WITHIN).await;
        let want = 2 * (round + 1);
        eventually(WITHIN, "both devices hold every edit", || {
            let va = a.with(view);
            va.len() == want && va == b.with(view)
        })
        .await;
        a.engine = None;
        b.engine = None;
    }
    let v = a.with(view);
    assert_eq!(v[0].2.len(), 3, "{v:?}");
    relay.stop().await;
}

/// A relay that lets the device join and then refuses it with an `error` at once, every
/// time: the device must keep trying, but back off instead of reconnecting as fast as the
/// minimum backoff allows (a refusal that lasts would otherwise cost the phone a
/// connection every 10–20 ms here, every 0.25–0.5 s with the default settings).
#[tokio::test]
async fn a_device_refused_right_after_joining_backs_off() {
    use futures_util::{SinkExt, StreamExt};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    use wangge_proto::{Message, PeerId};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let server = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                // Answer the join, then refuse.
                let Some(Ok(WsMessage::Binary(join))) = ws.next().await else {
                    return;
                };
                let Ok(Message::Join { sender_id, .. }) = Message::decode(&join) else {
                    return;
                };
                let relay = PeerId::new("fake-relay".to_owned());
                let peer = Message::Peer {
                    sender_id: relay.clone(),
                    target_id: sender_id.clone(),
                    selected_protocol_version: "1".into(),
                    peer_metadata: None,
                };
                let refusal = Message::Error {
                    message: "refused".into(),
                    sender_id: Some(relay),
                    target_id: Some(sender_id),
                };
                let _ = ws.send(WsMessage::Binary(peer.encode().into())).await;
                let _ = ws.send(WsMessage::Binary(refusal.encode().into())).await;
                let _ = ws.close(None).await;
            });
        }
    });

    let enrolled = wangge_core::sync::Enrollment {
        device_id: uuid::Uuid::from_u128(1),
        user_id: uuid::Uuid::from_u128(2),
        peer_id: "device-under-test".into(),
        relay_peer_id: "fake-relay".into(),
        token: "not-checked-by-this-relay".into(),
        role: wangge_relay::Role::Member,
        scopes: vec![GRID_A.parse().unwrap()],
    };
    let mut d = TestDevice::from_enrollment(enrolled);
    d.start(&format!("http://{addr}"), fast());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tries = accepted.load(Ordering::SeqCst);
    d.engine = None;
    server.abort();
    // fast(): backoff 20 ms doubling to 500 ms, jittered to 50–100 %: about 10–15 tries
    // in 3 s. Starting over at 20 ms after each refusal would make 150 or more.
    assert!(tries >= 3, "the device stopped trying: {tries}");
    assert!(
        tries <= 40,
        "the device did not back off: {tries} connections in 3 s"
    );
}

/// The store's change feed tells the engine: with no nudge and no periodic round in
/// sight, a record saved while connected reaches the relay on the same connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_record_reaches_the_relay_without_a_nudge_or_a_poll() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.start(
        &relay.url(),
        wangge_core::sync::SyncConfig {
            poll_interval: Duration::from_secs(3600),
            ..fast()
        },
    );
    a.wait_synced(WITHIN).await;
    let h = a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("801")).unwrap();
        s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
        h
    });
    let doc = DocumentId::from_uuid(h.0);
    eventually(WITHIN, "the saved household reaches the relay", || {
        relay_heads_of(&relay, &doc) == Some(a.with(|s| device_heads_of(s, &doc)))
    })
    .await;
    a.wait_synced(WITHIN).await;
    let st = a.engine.as_ref().unwrap().status().borrow().clone();
    assert_eq!((st.connections, st.docs_pending), (1, 0), "{st:?}");
    relay.stop().await;
}

/// Connected with nothing to sync, the engine does not wake: no retry round, no recount,
/// nothing on its status for many poll intervals (a phone's radio and CPU stay idle),
/// while a record saved afterwards still goes out at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connected_engine_stays_asleep_until_something_changes() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("802")).unwrap();
        s.add_resident(h, &person("赵敏", Relation::Head)).unwrap();
    });
    // fast(): a retry round every 200 ms while something is pending.
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    let mut rx = a.engine.as_ref().unwrap().status();
    // The last acknowledgements settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    rx.borrow_and_update();
    let before = rx.borrow().clone();
    let mut wakes = 0;
    let until = tokio::time::Instant::now() + Duration::from_secs(2);
    while tokio::time::timeout_at(until, rx.changed()).await.is_ok() {
        rx.borrow_and_update();
        wakes += 1;
    }
    assert_eq!(
        wakes, 0,
        "the status changed {wakes} times in 10 poll intervals"
    );
    assert_eq!(*rx.borrow(), before);
    let h = a.with(|s| s.create_household(&grid_a(), &flat("803")).unwrap());
    let doc = DocumentId::from_uuid(h.0);
    eventually(
        WITHIN,
        "the record saved after the quiet reaches the relay",
        || relay_heads_of(&relay, &doc) == Some(a.with(|s| device_heads_of(s, &doc))),
    )
    .await;
    relay.stop().await;
}
