//! Interoperability: an independent automerge-repo implementation (the Rust `samod`
//! crate) enrolls like any device, connects to the real relay with its token, and syncs a
//! household document with a Wangge device running the sync engine, both ways. A document
//! outside its scope is unavailable to it, exactly like an unknown one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ROOT, ReadDoc, Value};
use futures_util::{SinkExt, StreamExt};
use samod::{BackoffConfig, DialError, Dialer, Repo, Transport};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wangge_core::*;
use wangge_relay::admin;

use crate::helpers::*;

const WITHIN: Duration = Duration::from_secs(30);
const GRID_B: &str = "110105001001002";

/// Dials the relay's `/v1/sync` with the device token as a bearer header, and hands
/// samod the binary frames.
struct RelayDialer {
    url: String,
    token: String,
}

impl Dialer for RelayDialer {
    type Error = std::convert::Infallible;

    fn url(&self) -> samod::Url {
        samod::Url::parse(&self.url).unwrap()
    }

    fn connect(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Transport, DialError<Self::Error>>> + Send>> {
        let (url, token) = (self.url.clone(), self.token.clone());
        Box::pin(async move {
            let mut req = url.into_client_request().map_err(DialError::transient)?;
            req.headers_mut().insert(
                "Authorization",
                format!("Bearer {token}")
                    .parse()
                    .map_err(DialError::transient)?,
            );
            let (ws, _) = tokio_tungstenite::connect_async(req)
                .await
                .map_err(DialError::transient)?;
            let (sink, stream) = ws.split();
            let stream = stream
                .filter_map(|m| async move {
                    match m {
                        Ok(WsMessage::Binary(b)) => Some(Ok(b.to_vec())),
                        Ok(WsMessage::Close(_)) => None,
                        Ok(_) => None,
                        Err(e) => Some(Err(e)),
                    }
                })
                .boxed();
            let sink = Box::pin(sink.with(|b: Vec<u8>| async move {
                Ok::<_, tokio_tungstenite::tungstenite::Error>(WsMessage::Binary(b.into()))
            }));
            Ok(Transport::new(stream, sink))
        })
    }
}

/// A samod repo enrolled at the relay as a member of `grid`, connected.
async fn samod_peer(relay: &TestRelay, grid: &str) -> Repo {
    let enrolled = relay.enroll_member(grid).await;
    let repo = Repo::build_tokio()
        .with_peer_id(samod::PeerId::from(enrolled.peer_id.as_str()))
        .load()
        .await;
    let dialer = RelayDialer {
        url: format!("ws://{}/v1/sync", relay.addr),
        token: enrolled.token.clone(),
    };
    let handle = repo
        .dial(BackoffConfig::default(), Arc::new(dialer))
        .unwrap();
    timeout(WITHIN, handle.established())
        .await
        .expect("samod connects in time")
        .expect("samod completes the handshake with the relay");
    repo
}

fn root_str(doc: &Automerge, key: &str) -> Option<String> {
    match doc.get(ROOT, key).ok()?? {
        (Value::Scalar(s), _) => s.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The names of the residents in a household document, read with plain automerge.
fn resident_names(doc: &Automerge) -> Vec<String> {
    let Some((Value::Object(ObjType::Map), residents)) = doc.get(ROOT, "residents").unwrap() else {
        return vec![];
    };
    let mut names: Vec<String> = doc
        .keys(&residents)
        .filter_map(|k| match doc.get(&residents, &k).ok()?? {
            (Value::Object(ObjType::Map), r) => match doc.get(&r, "name").ok()?? {
                (Value::Scalar(s), _) => s.as_str().map(str::to_owned),
                (Value::Object(ObjType::Text), t) => doc.text(&t).ok(),
                _ => None,
            },
            _ => None,
        })
        .collect();
    names.sort();
    names
}

fn samod_id(id: HouseholdId) -> samod::DocumentId {
    DocumentId::from_uuid(id.0).to_string().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_samod_peer_syncs_a_household_with_a_wangge_device_through_the_relay() {
    let relay = spawn_relay().await;
    {
        let mut s = relay.store();
        admin::add_grid(s.as_mut(), GRID_B, "grid b").unwrap();
    }
    // The Wangge device creates a household in grid A and syncs it.
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let h = a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("301")).unwrap();
        s.add_resident(h, &person("王芳", Relation::Head)).unwrap();
        h
    });
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;

    // A member of grid B syncs a household of their own grid.
    let mut b = TestDevice::new(&relay, GRID_B).await;
    let hb = b.with(|s| {
        s.create_household(&GridCode::parse(GRID_B).unwrap(), &flat("901"))
            .unwrap()
    });
    b.start(&relay.url(), fast());
    b.wait_synced(WITHIN).await;

    // The samod peer, a member of grid A, finds A's household by id.
    let repo = samod_peer(&relay, GRID_A).await;
    let handle = timeout(WITHIN, repo.find(samod_id(h)))
        .await
        .expect("find answers in time")
        .unwrap()
        .expect("the household is available to a member of its grid");
    let (kind, scope, names) =
        handle.with_document(|d| (root_str(d, "kind"), root_str(d, "scope"), resident_names(d)));
    assert_eq!(kind.as_deref(), Some("household"));
    assert_eq!(scope.as_deref(), Some(GRID_A));
    assert_eq!(names, vec!["王芳".to_owned()]);

    // The samod peer edits the household's notes; the Wangge device sees the edit.
    handle.with_document(|d| {
        let mut tx = d.transaction();
        let (_, household) = tx.get(ROOT, "household").unwrap().unwrap();
        match tx.get(&household, "notes").unwrap() {
            Some((Value::Object(ObjType::Text), notes)) => {
                tx.update_text(&notes, "独居老人,每周回访").unwrap()
            }
            other => panic!("notes is not text: {other:?}"),
        }
        tx.commit();
    });
    eventually(WITHIN, "the samod edit reaches the Wangge device", || {
        a.with(|s| s.household(h).unwrap().notes == "独居老人,每周回访")
    })
    .await;

    // And the other way: a Wangge edit reaches the samod peer's open document.
    a.with(|s| {
        s.add_resident(h, &person("李小明", Relation::Child))
            .unwrap();
    });
    a.engine.as_ref().unwrap().nudge();
    let mut wait = 0;
    while handle.with_document(|d| resident_names(d)).len() < 2 {
        wait += 1;
        assert!(wait < 300, "the Wangge edit did not reach the samod peer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        handle.with_document(|d| resident_names(d)),
        vec!["李小明".to_owned(), "王芳".to_owned()]
    );
    let heads = handle.with_document(|d| {
        let mut h = d.get_heads();
        h.sort();
        h
    });
    let doc = DocumentId::from_uuid(h.0);
    eventually(WITHIN, "samod, the device and the relay converge", || {
        a.with(|s| device_heads_of(s, &doc)) == heads
            && relay_heads_of(&relay, &doc).as_ref() == Some(&heads)
    })
    .await;

    // Grid B's household is unavailable to the samod peer, as an unknown id is.
    let out_of_scope = timeout(WITHIN, repo.find(samod_id(hb)))
        .await
        .expect("find answers in time")
        .unwrap();
    assert!(out_of_scope.is_none(), "grid B's doc is refused");
    let unknown = timeout(WITHIN, repo.find(samod_id(HouseholdId::new())))
        .await
        .expect("find answers in time")
        .unwrap();
    assert!(unknown.is_none());
    // Nothing reached grid B's household: the relay holds what B synced.
    let doc_b = DocumentId::from_uuid(hb.0);
    assert_eq!(
        relay_heads_of(&relay, &doc_b),
        Some(b.with(|s| device_heads_of(s, &doc_b)))
    );

    repo.stop().await;
    relay.stop().await;
}

/// A household document as a third-party automerge tool writes it by hand: the root
/// fields, the household's own fields in the layout Wangge reads, no residents yet. The
/// first change carries no `kind` or `scope`; the second adds them (the relay must wait
/// for them rather than refuse).
fn household_by_hand(grid: &str) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put_object(ROOT, "household", ObjType::Map).unwrap();
    tx.put_object(ROOT, "residents", ObjType::Map).unwrap();
    tx.commit();
    let mut tx = doc.transaction();
    tx.put(ROOT, "kind", "household").unwrap();
    tx.put(ROOT, "scope", grid).unwrap();
    tx.commit();
    doc
}

/// Fills the household's own fields once its id (the document's) is known.
fn fill_household(doc: &mut Automerge, id: HouseholdId, grid: &str) {
    let mut tx = doc.transaction();
    let Some((Value::Object(ObjType::Map), h)) = tx.get(ROOT, "household").unwrap() else {
        panic!("no household map");
    };
    for (k, v) in [
        ("id", id.to_string()),
        ("grid", grid.to_owned()),
        ("address_kind", "flat".to_owned()),
        ("estate", "幸福小区".to_owned()),
        ("building", "9".to_owned()),
        ("unit", "1".to_owned()),
        ("room", "101".to_owned()),
    ] {
        tx.put(&h, k, v).unwrap();
    }
    tx.put(&h, "head", automerge::ScalarValue::Null).unwrap();
    tx.put_object(&h, "tags", ObjType::Map).unwrap();
    tx.put(&h, "needs_home_visit", false).unwrap();
    let notes = tx.put_object(&h, "notes", ObjType::Text).unwrap();
    tx.splice_text(&notes, 0, 0, "由外部工具录入").unwrap();
    tx.put(&h, "last_visit_at", automerge::ScalarValue::Null)
        .unwrap();
    tx.put(&h, "last_visit_purpose", automerge::ScalarValue::Null)
        .unwrap();
    tx.commit();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_samod_peer_creates_a_household_that_a_wangge_device_lists() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;

    let repo = samod_peer(&relay, GRID_A).await;
    let handle = timeout(WITHIN, repo.create(household_by_hand(GRID_A)))
        .await
        .expect("create answers in time")
        .expect("samod creates the document");
    let doc = DocumentId::from_bytes(handle.document_id().as_bytes()).unwrap();
    let id = HouseholdId(uuid::Uuid::from_bytes(*doc.as_bytes()));
    handle.with_document(|d| fill_household(d, id, GRID_A));

    eventually(WITHIN, "the relay registers the household", || {
        relay
            .store()
            .doc(&doc)
            .unwrap()
            .is_some_and(|r| r.scope.as_str() == GRID_A)
    })
    .await;
    eventually(WITHIN, "the Wangge device lists the household", || {
        a.with(|s| {
            s.households_of_grid(&grid_a())
                .unwrap()
                .iter()
                .any(|h| h.id == id && h.address == "幸福小区9栋1单元101室")
        })
    })
    .await;
    assert_eq!(a.with(|s| s.household(id).unwrap().notes), "由外部工具录入");
    repo.stop().await;
    relay.stop().await;
}
