//! Notices over the real relay: a notice sent in a street reaches the members of its
//! grids with its photo, and nothing else above a member's grid opens to it.

use automerge::ActorId;
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::notice::{Audience, Notice, NoticeSort, Priority, read_notice, write_notice};
use wangge_schema::{DocKind, Role, ScopeCode, genesis};

use crate::helpers::*;
use crate::uploads::{Tus, photo, sha_hex};

/// The centre's notice to grid A with one photo, as its device makes it.
fn notice_doc(sender: Uuid, photo_sha: &str) -> (DocumentId, automerge::Automerge, Notice) {
    let n = Notice {
        id: Uuid::new_v4(),
        sender,
        sender_role: Role::Centre,
        sender_unit: STREET.into(),
        sort: NoticeSort::Notice,
        priority: Priority::Normal,
        title: "垃圾分类宣传".into(),
        text: "请各网格张贴海报。".into(),
        photos: vec![photo_sha.to_owned()],
        grids: vec![GRID_A.into()],
        audience: Audience::All,
        sent_ms: 1_795_000_000_000,
        ack_by_ms: None,
        person: None,
    };
    let id = DocumentId::from_uuid(n.id);
    let street = ScopeCode::parse(STREET).unwrap();
    let mut doc = genesis(&id, DocKind::Notice, &street, &[]).unwrap();
    doc.set_actor(ActorId::random());
    let mut tx = doc.transaction();
    write_notice(&mut tx, &n).unwrap();
    tx.commit();
    (id, doc, n)
}

#[tokio::test]
async fn a_street_notice_and_its_photo_reach_its_grids_and_open_nothing_else_above_them() {
    let relay = spawn_relay().await;
    let mut centre = relay.device("centre", &[STREET]).await;
    let mut member_a = relay.device("member", &[GRID_A]).await;
    let member_b = relay.device("member", &[GRID_B]).await;
    let mut far = relay.device("member", &[GRID_C]).await;
    let chief = relay.device("chief-leader", &[COMMUNITY]).await;

    // The centre uploads the notice's photo in its own unit and sends the notice there.
    let poster = photo(60, 1500);
    let sha = sha_hex(&poster);
    let tc = Tus::new(&relay, &centre);
    assert_eq!(tc.upload(&poster, STREET).await.status, 204);
    let (id, doc, n) = notice_doc(centre.enrolled.user_id, &sha);
    centre.docs.insert(id, doc);
    centre.connect().await.unwrap();
    centre.sync().await;
    assert!(relay.store().doc(&id).unwrap().is_some(), "registered");

    // The grid's member is pushed the notice and downloads its photo; the other street's
    // member neither.
    member_a.connect().await.unwrap();
    member_a.sync().await;
    let got = member_a.docs.get(&id).map(read_notice);
    assert_eq!(got.and_then(|s| s.notice), Some(n));
    let ta = Tus::new(&relay, &member_a);
    assert_eq!(ta.get(&sha).await.body, poster);
    far.connect().await.unwrap();
    far.sync().await;
    assert!(!far.docs.contains_key(&id));
    assert_eq!(Tus::new(&relay, &far).get(&sha).await.status, 404);

    // Only the notice's unit opens, and only exactly: another grid's photo under the
    // street, and a photo of a unit above the grid without a notice, stay closed.
    let other_grid = photo(61, 1500);
    let tb = Tus::new(&relay, &member_b);
    assert_eq!(tb.upload(&other_grid, GRID_B).await.status, 204);
    assert_eq!(ta.get(&sha_hex(&other_grid)).await.status, 404);
    let community = photo(62, 1500);
    let tchief = Tus::new(&relay, &chief);
    assert_eq!(tchief.upload(&community, COMMUNITY).await.status, 204);
    assert_eq!(ta.get(&sha_hex(&community)).await.status, 404);
    // Reading a notice above its grid lets the member upload nothing there.
    let r = ta.create(800, &sha_hex(&photo(63, 800)), STREET).await;
    assert_eq!(r.status, 403);

    // A clue's photo goes up in the member's grid (its receipts document's scope): the
    // sender downloads it.
    let clue = photo(64, 1500);
    assert_eq!(ta.upload(&clue, GRID_A).await.status, 204);
    assert_eq!(tc.get(&sha_hex(&clue)).await.body, clue);
    relay.stop().await;
}
