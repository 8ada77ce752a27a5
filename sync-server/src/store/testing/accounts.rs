//! The [`AccountStore`] suite: divisions, grids, users, enrollment, devices, revocation
//! and admin changes.

use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::Role;

use super::{COMMUNITY, DISTRICT, GRID_A, GRID_B, GRID_C, OTHER_COMMUNITY, STREET, code};
use crate::store::{AccountStore, AdminLogEntry, NewDevice, StoreError};

/// Runs every [`AccountStore`] case, each on a fresh store from `make`.
pub fn run_accounts_suite(mut make: impl FnMut() -> Box<dyn AccountStore>) {
    run_cases!(
        "accounts",
        make,
        [
            divisions_are_added_once,
            a_grid_code_is_not_a_division,
            grids_need_their_community,
            grids_are_added_once,
            the_directory_lists_the_units_a_scope_covers_with_their_names,
            the_people_under_a_scope_are_the_users_whose_every_scope_it_covers,
            the_people_come_in_id_order_and_limited,
            users_keep_their_name_role_and_scopes,
            an_unknown_user_is_none,
            enrollment_codes_need_an_existing_user,
            an_enrollment_code_registers_its_device,
            an_enrollment_code_is_single_use,
            an_enrollment_code_expires_at_its_deadline,
            an_enrollment_code_hash_is_added_once,
            a_redemption_that_cannot_register_the_device_leaves_the_code_unused,
            unknown_tokens_and_devices_do_not_authenticate,
            a_revoked_device_no_longer_authenticates,
            revoking_one_device_leaves_the_users_others,
            admin_changes_name_their_documents_once_in_order,
            every_admin_change_grows_the_generation,
            the_admin_log_lists_what_was_done_inside_a_division_newest_first,
        ]
    );
}

/// A community with grids A and B, and a member of grid A.
fn seed(store: &mut dyn AccountStore) -> Uuid {
    store
        .add_division(&code(COMMUNITY), "community")
        .expect("add division");
    store.add_grid(&code(GRID_A), "grid a").expect("add grid a");
    store.add_grid(&code(GRID_B), "grid b").expect("add grid b");
    store
        .add_user("member", Role::Member, &[code(GRID_A)])
        .expect("add user")
}

fn new_device(token_hash: &str) -> NewDevice {
    NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: token_hash.to_owned(),
        label: "test".to_owned(),
    }
}

/// Enrolls a device for `user` with a fresh code; returns it.
fn enroll(store: &mut dyn AccountStore, user: Uuid, code_hash: &str, token: &str) -> NewDevice {
    store
        .add_enrollment_code(user, code_hash, i64::MAX)
        .expect("add code");
    let device = new_device(token);
    store
        .redeem_enrollment_code(code_hash, 0, &device)
        .expect("redeem")
        .expect("redeemable");
    device
}

fn divisions_are_added_once(store: &mut dyn AccountStore) {
    assert!(!store.division_exists(&code(STREET)).expect("query"));
    store.add_division(&code(STREET), "street").expect("add");
    store
        .add_division(&code(DISTRICT), "district")
        .expect("add");
    assert!(store.division_exists(&code(STREET)).expect("query"));
    assert!(store.division_exists(&code(DISTRICT)).expect("query"));
    assert!(
        !store.division_exists(&code(COMMUNITY)).expect("query"),
        "a division under an existing one does not exist by itself"
    );
    assert!(matches!(
        store.add_division(&code(STREET), "again"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(store.division_exists(&code(STREET)).expect("query"));
}

fn a_grid_code_is_not_a_division(store: &mut dyn AccountStore) {
    assert!(matches!(
        store.add_division(&code(GRID_A), "grid"),
        Err(StoreError::NotFound(_))
    ));
    assert!(!store.division_exists(&code(GRID_A)).expect("query"));
    assert!(!store.grid_exists(&code(GRID_A)).expect("query"));
}

fn grids_need_their_community(store: &mut dyn AccountStore) {
    store.add_division(&code(STREET), "street").expect("add");
    assert!(
        matches!(
            store.add_grid(&code(GRID_A), "grid a"),
            Err(StoreError::NotFound(_))
        ),
        "the street exists, the community does not"
    );
    assert!(!store.grid_exists(&code(GRID_A)).expect("query"));
    store
        .add_division(&code(OTHER_COMMUNITY), "other")
        .expect("add");
    assert!(matches!(
        store.add_grid(&code(GRID_A), "grid a"),
        Err(StoreError::NotFound(_))
    ));
    assert!(
        matches!(
            store.add_grid(&code(COMMUNITY), "not a grid"),
            Err(StoreError::NotFound(_))
        ),
        "a division code is not a grid"
    );
    assert!(!store.grid_exists(&code(COMMUNITY)).expect("query"));
    store
        .add_division(&code(COMMUNITY), "community")
        .expect("add");
    store.add_grid(&code(GRID_A), "grid a").expect("add grid");
    assert!(store.grid_exists(&code(GRID_A)).expect("query"));
    assert!(!store.grid_exists(&code(GRID_B)).expect("query"));
    assert!(
        !store.division_exists(&code(GRID_A)).expect("query"),
        "a grid is not a division"
    );
}

fn grids_are_added_once(store: &mut dyn AccountStore) {
    seed(store);
    assert!(matches!(
        store.add_grid(&code(GRID_A), "again"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(store.grid_exists(&code(GRID_A)).expect("query"));
}

fn the_directory_lists_the_units_a_scope_covers_with_their_names(store: &mut dyn AccountStore) {
    seed(store);
    let (street, cgj, cgjx) = (
        code(STREET),
        code(&format!("{STREET}-cgj")),
        code(&format!("{STREET}-cgjx")),
    );
    store.add_division(&street, "街道").expect("street");
    store.add_division(&cgj, "城管科").expect("department");
    store.add_division(&cgjx, "城管二科").expect("department");
    store
        .add_division(&code(OTHER_COMMUNITY), "别的社区")
        .expect("other");
    let names = |scopes: &[wangge_schema::ScopeCode], limit| -> Vec<(String, String)> {
        store
            .units_under(scopes, limit)
            .expect("query")
            .into_iter()
            .map(|(c, n)| (c.as_str().to_owned(), n))
            .collect()
    };
    let pair = |c: &str, n: &str| (c.to_owned(), n.to_owned());
    assert_eq!(
        names(std::slice::from_ref(&street), 100),
        [
            pair(STREET, "街道"),
            pair(&format!("{STREET}-cgj"), "城管科"),
            pair(&format!("{STREET}-cgjx"), "城管二科"),
            pair(COMMUNITY, "community"),
            pair(GRID_A, "grid a"),
            pair(GRID_B, "grid b"),
        ]
    );
    // A department sees itself, not its neighbour whose code its own begins.
    assert_eq!(
        names(std::slice::from_ref(&cgj), 100),
        [pair(&format!("{STREET}-cgj"), "城管科")]
    );
    assert_eq!(names(&[code(GRID_A)], 100), [pair(GRID_A, "grid a")]);
    assert_eq!(names(&[code(GRID_A), code(COMMUNITY)], 100).len(), 3);
    assert_eq!(names(std::slice::from_ref(&street), 2).len(), 2);
}

fn the_people_under_a_scope_are_the_users_whose_every_scope_it_covers(
    store: &mut dyn AccountStore,
) {
    let member_a = seed(store);
    let (street, cgj, cgjx) = (
        code(STREET),
        code(&format!("{STREET}-cgj")),
        code(&format!("{STREET}-cgjx")),
    );
    let other_grid = code(&format!("{OTHER_COMMUNITY}001"));
    let mut add = |name: &str, role, scopes: &[wangge_schema::ScopeCode]| {
        store.add_user(name, role, scopes).expect("add user")
    };
    let member_b = add("乙", Role::Member, &[code(GRID_B)]);
    let leader_ab = add("网格长", Role::Leader, &[code(GRID_B), code(GRID_A)]);
    let leader_far = add(
        "两处网格长",
        Role::Leader,
        &[code(GRID_A), other_grid.clone()],
    );
    let chief = add("总网格长", Role::ChiefLeader, &[code(COMMUNITY)]);
    let centre = add("指挥中心", Role::Centre, std::slice::from_ref(&street));
    let dept = add("城管科", Role::Department, std::slice::from_ref(&cgj));
    let deptx = add("城管二科", Role::Department, std::slice::from_ref(&cgjx));
    let district = add("区中心", Role::Centre, &[code(DISTRICT)]);
    let far = add("远处", Role::Member, &[other_grid]);
    let people = |store: &dyn AccountStore, scopes: &[wangge_schema::ScopeCode]| {
        let mut ids: Vec<Uuid> = store
            .users_under(scopes, 100)
            .expect("query")
            .iter()
            .map(|u| u.id)
            .collect();
        let listed = ids.clone();
        ids.sort();
        assert_eq!(listed, ids, "in id order");
        ids
    };
    let sorted = |mut ids: Vec<Uuid>| {
        ids.sort();
        ids
    };
    assert_eq!(
        people(store, &[code(COMMUNITY)]),
        sorted(vec![member_a, member_b, leader_ab, chief]),
        "not a leader with a grid elsewhere, not the street's centre"
    );
    assert_eq!(
        people(store, std::slice::from_ref(&street)),
        sorted(vec![
            member_a, member_b, leader_ab, chief, centre, dept, deptx
        ])
    );
    assert_eq!(
        people(store, &[code(GRID_A)]),
        vec![member_a],
        "a leader of two grids lies under neither alone"
    );
    assert_eq!(
        people(store, &[code(GRID_A), code(GRID_B)]),
        sorted(vec![member_a, member_b, leader_ab])
    );
    assert_eq!(
        people(store, std::slice::from_ref(&cgj)),
        vec![dept],
        "a department covers itself, not the neighbour its code begins"
    );
    assert_eq!(
        people(store, &[code(DISTRICT)]),
        sorted(vec![
            member_a, member_b, leader_ab, leader_far, chief, centre, dept, deptx, district, far
        ])
    );
    assert!(people(store, &[code(GRID_C)]).is_empty());
    assert!(people(store, &[]).is_empty());
    // Each comes whole: name, role, every scope once in code order.
    let listed = store
        .users_under(&[code(GRID_A), code(GRID_B)], 100)
        .expect("q");
    let leader = listed.iter().find(|u| u.id == leader_ab).expect("leader");
    assert_eq!(leader.name, "网格长");
    assert_eq!(leader.principal.role, Role::Leader);
    assert_eq!(leader.principal.scopes, vec![code(GRID_A), code(GRID_B)]);
    assert_eq!(
        store
            .users_under(&[code(COMMUNITY), code(GRID_A)], 100)
            .expect("q")
            .len(),
        4,
        "each once"
    );
}

fn the_people_come_in_id_order_and_limited(store: &mut dyn AccountStore) {
    let first = seed(store);
    let mut all = vec![first];
    for n in 0..4 {
        let grid = if n % 2 == 0 { GRID_A } else { GRID_B };
        all.push(
            store
                .add_user(&format!("成员{n}"), Role::Member, &[code(grid)])
                .expect("add"),
        );
    }
    all.sort();
    for limit in 0..=5 {
        let got: Vec<Uuid> = store
            .users_under(&[code(GRID_B), code(GRID_A)], limit)
            .expect("query")
            .iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(got, &all[..limit], "the first {limit} by id");
    }
    assert_eq!(
        store
            .users_under(&[code(COMMUNITY)], 6)
            .expect("query")
            .len(),
        5
    );
}

fn users_keep_their_name_role_and_scopes(store: &mut dyn AccountStore) {
    seed(store);
    let leader = store
        .add_user(
            "网格长 甲",
            Role::Leader,
            &[code(GRID_B), code(GRID_A), code(GRID_B)],
        )
        .expect("add leader");
    let namesake = store
        .add_user("网格长 甲", Role::Centre, &[code(COMMUNITY)])
        .expect("add namesake");
    assert_ne!(leader, namesake, "every user gets a fresh id");
    let u = store.user(leader).expect("query").expect("leader exists");
    assert_eq!(u.id, leader);
    assert_eq!(u.name, "网格长 甲");
    assert_eq!(u.principal.role, Role::Leader);
    assert_eq!(
        u.principal.scopes,
        vec![code(GRID_A), code(GRID_B)],
        "scopes once each, in code order"
    );
    let n = store
        .user(namesake)
        .expect("query")
        .expect("namesake exists");
    assert_eq!(n.principal.role, Role::Centre);
    assert_eq!(n.principal.scopes, vec![code(COMMUNITY)]);
}

fn an_unknown_user_is_none(store: &mut dyn AccountStore) {
    seed(store);
    assert!(store.user(Uuid::new_v4()).expect("query").is_none());
}

fn enrollment_codes_need_an_existing_user(store: &mut dyn AccountStore) {
    seed(store);
    assert!(matches!(
        store.add_enrollment_code(Uuid::new_v4(), "h", i64::MAX),
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .redeem_enrollment_code("h", 0, &new_device("tok"))
            .expect("redeem")
            .is_none(),
        "nothing was stored for the unknown user"
    );
}

fn an_enrollment_code_registers_its_device(store: &mut dyn AccountStore) {
    let user = seed(store);
    store
        .add_enrollment_code(user, "h", 1000)
        .expect("add code");
    let d = new_device("tok");
    let got = store
        .redeem_enrollment_code("h", 999, &d)
        .expect("redeem")
        .expect("redeemable");
    assert_eq!(got, store.user(user).expect("query").expect("user"));
    let auth = store.authenticate("tok").expect("auth").expect("device");
    assert_eq!(auth.device_id, d.device_id);
    assert_eq!(auth.user.id, user);
    assert_eq!(auth.user.principal.scopes, vec![code(GRID_A)]);
    assert_eq!(store.device(d.device_id).expect("query"), Some(auth));
}

fn an_enrollment_code_is_single_use(store: &mut dyn AccountStore) {
    let user = seed(store);
    store
        .add_enrollment_code(user, "h", 1000)
        .expect("add code");
    store
        .redeem_enrollment_code("h", 10, &new_device("tok1"))
        .expect("redeem")
        .expect("redeemable");
    let second = new_device("tok2");
    assert!(
        store
            .redeem_enrollment_code("h", 10, &second)
            .expect("redeem")
            .is_none()
    );
    assert!(store.authenticate("tok2").expect("auth").is_none());
    assert!(store.device(second.device_id).expect("query").is_none());
    assert!(store.authenticate("tok1").expect("auth").is_some());
}

fn an_enrollment_code_expires_at_its_deadline(store: &mut dyn AccountStore) {
    let user = seed(store);
    store
        .add_enrollment_code(user, "h", 1000)
        .expect("add code");
    assert!(
        store
            .redeem_enrollment_code("h", 1000, &new_device("late"))
            .expect("redeem")
            .is_none(),
        "valid until its deadline, exclusive"
    );
    assert!(
        store
            .redeem_enrollment_code("h", 5000, &new_device("later"))
            .expect("redeem")
            .is_none()
    );
    assert!(store.authenticate("late").expect("auth").is_none());
    // A refused redemption does not use the code up.
    assert!(
        store
            .redeem_enrollment_code("h", 999, &new_device("in-time"))
            .expect("redeem")
            .is_some()
    );
    assert!(
        store
            .redeem_enrollment_code("unknown", 0, &new_device("other"))
            .expect("redeem")
            .is_none()
    );
}

fn an_enrollment_code_hash_is_added_once(store: &mut dyn AccountStore) {
    let user = seed(store);
    let other = store
        .add_user("other", Role::Member, &[code(GRID_B)])
        .expect("add user");
    store
        .add_enrollment_code(user, "h", 1000)
        .expect("add code");
    assert!(
        store.add_enrollment_code(other, "h", 2000).is_err(),
        "a code names one user"
    );
    let got = store
        .redeem_enrollment_code("h", 0, &new_device("tok"))
        .expect("redeem")
        .expect("redeemable");
    assert_eq!(got.id, user, "the first user keeps the code");
}

fn a_redemption_that_cannot_register_the_device_leaves_the_code_unused(
    store: &mut dyn AccountStore,
) {
    let user = seed(store);
    let first = enroll(store, user, "h1", "tok");
    store
        .add_enrollment_code(user, "h2", 1000)
        .expect("add code");
    let same_token = new_device("tok");
    assert!(
        store.redeem_enrollment_code("h2", 0, &same_token).is_err(),
        "two devices cannot hold one token"
    );
    let same_id = NewDevice {
        device_id: first.device_id,
        ..new_device("tok-b")
    };
    assert!(
        store.redeem_enrollment_code("h2", 0, &same_id).is_err(),
        "a device id is registered once"
    );
    assert!(store.authenticate("tok-b").expect("auth").is_none());
    let auth = store.authenticate("tok").expect("auth").expect("first");
    assert_eq!(auth.device_id, first.device_id);
    assert!(
        store
            .redeem_enrollment_code("h2", 0, &new_device("tok-c"))
            .expect("redeem")
            .is_some(),
        "the failed redemptions did not use the code"
    );
}

fn unknown_tokens_and_devices_do_not_authenticate(store: &mut dyn AccountStore) {
    let user = seed(store);
    enroll(store, user, "h", "tok");
    assert!(store.authenticate("tok-unknown").expect("auth").is_none());
    assert!(
        store.authenticate("h").expect("auth").is_none(),
        "a code hash is not a token"
    );
    assert!(store.device(Uuid::new_v4()).expect("query").is_none());
}

fn a_revoked_device_no_longer_authenticates(store: &mut dyn AccountStore) {
    let user = seed(store);
    let d = enroll(store, user, "h", "tok");
    let g0 = store.admin_generation().expect("generation");
    assert!(store.revoke_device(d.device_id).expect("revoke"));
    let g1 = store.admin_generation().expect("generation");
    assert!(g1 > g0, "running relays must notice");
    assert!(store.authenticate("tok").expect("auth").is_none());
    assert!(store.device(d.device_id).expect("query").is_none());
    assert!(
        store.revoke_device(d.device_id).expect("revoke again"),
        "a revoked device still exists"
    );
    assert!(store.authenticate("tok").expect("auth").is_none());
    assert!(!store.revoke_device(Uuid::new_v4()).expect("revoke unknown"));
    assert!(store.user(user).expect("query").is_some(), "the user stays");
}

fn revoking_one_device_leaves_the_users_others(store: &mut dyn AccountStore) {
    let user = seed(store);
    let phone = enroll(store, user, "h1", "tok-phone");
    let tablet = enroll(store, user, "h2", "tok-tablet");
    assert!(store.revoke_device(phone.device_id).expect("revoke"));
    let auth = store
        .authenticate("tok-tablet")
        .expect("auth")
        .expect("tablet");
    assert_eq!(auth.device_id, tablet.device_id);
    assert!(store.device(tablet.device_id).expect("query").is_some());
}

fn sorted(mut ids: Vec<DocumentId>) -> Vec<DocumentId> {
    ids.sort();
    ids
}

fn admin_changes_name_their_documents_once_in_order(store: &mut dyn AccountStore) {
    let g0 = store.admin_generation().expect("generation");
    assert!(store.admin_changes_since(g0).expect("since").is_empty());
    let (a, b, c) = (
        DocumentId::random(),
        DocumentId::random(),
        DocumentId::random(),
    );
    store.record_admin_change(&[c, a, a]).expect("record");
    let g1 = store.admin_generation().expect("generation");
    assert!(g1 > g0);
    store.record_admin_change(&[b, c]).expect("record");
    let g2 = store.admin_generation().expect("generation");
    assert!(g2 > g1);
    assert_eq!(
        store.admin_changes_since(g0).expect("since"),
        sorted(vec![a, b, c]),
        "each document once, in id order"
    );
    assert_eq!(
        store.admin_changes_since(g1).expect("since"),
        sorted(vec![b, c]),
        "only changes after the generation"
    );
    assert!(store.admin_changes_since(g2).expect("since").is_empty());
    assert_eq!(
        store.admin_changes_since(g0 - 1).expect("since"),
        sorted(vec![a, b, c])
    );
}

fn every_admin_change_grows_the_generation(store: &mut dyn AccountStore) {
    let user = seed(store);
    let d = enroll(store, user, "h", "tok");
    let g0 = store.admin_generation().expect("generation");
    store.record_admin_change(&[]).expect("record nothing");
    let g1 = store.admin_generation().expect("generation");
    assert!(g1 > g0, "a change without documents still counts");
    assert!(store.admin_changes_since(g0).expect("since").is_empty());
    store.revoke_device(d.device_id).expect("revoke");
    let g2 = store.admin_generation().expect("generation");
    assert!(g2 > g1);
    assert!(
        store.admin_changes_since(g1).expect("since").is_empty(),
        "a revocation names no documents"
    );
    let doc = DocumentId::random();
    store.record_admin_change(&[doc]).expect("record");
    assert_eq!(store.admin_changes_since(g2).expect("since"), vec![doc]);
    assert_eq!(
        store.admin_generation().expect("generation"),
        store.admin_generation().expect("generation"),
        "reading the generation does not change it"
    );
}

fn the_admin_log_lists_what_was_done_inside_a_division_newest_first(store: &mut dyn AccountStore) {
    let user = Uuid::new_v4();
    let device = Uuid::new_v4();
    let entry = |at_ms: i64, action: &str, scope: &str, by: Option<(Uuid, Uuid)>| AdminLogEntry {
        id: Uuid::new_v4(),
        at_ms,
        user: by.map(|b| b.0),
        device: by.map(|b| b.1),
        action: action.to_owned(),
        scope: code(scope),
        target: scope.to_owned(),
    };
    let entries = [
        entry(1_000, "add_grid", GRID_A, Some((user, device))),
        entry(2_000, "add_user", GRID_B, None),
        entry(3_000, "add_grid", OTHER_COMMUNITY, Some((user, device))),
        entry(4_000, "add_division", COMMUNITY, Some((user, device))),
    ];
    for e in &entries {
        store.log_admin_action(e).expect("log");
    }
    let inside = store.admin_log(&code(COMMUNITY), 10).expect("read log");
    assert_eq!(
        inside,
        vec![entries[3].clone(), entries[1].clone(), entries[0].clone()],
        "the community's entries, newest first, the other community's left out"
    );
    assert_eq!(
        store
            .admin_log(&code(COMMUNITY), 2)
            .expect("read log")
            .len(),
        2,
        "the limit holds"
    );
    assert_eq!(
        store.admin_log(&code(STREET), 10).expect("read log").len(),
        3
    );
    assert_eq!(
        store
            .admin_log(&code(DISTRICT), 10)
            .expect("read log")
            .len(),
        4
    );
    assert_eq!(
        store.admin_log(&code(GRID_B), 10).expect("read log"),
        vec![entries[1].clone()]
    );
    assert!(
        store.log_admin_action(&entries[0]).is_err(),
        "an entry is logged once"
    );
}
