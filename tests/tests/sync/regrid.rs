//! Re-gridding on the relay (`wangge-relay admin move-household`), seen through real
//! device stores and the real relay: the schema's move changes the household and both
//! grids' indexes, the relay pushes them to the devices that read them, the new grid's
//! member lists the household with its history, and the old grid's member no longer does.

use std::time::Duration;

use wangge_core::*;
use wangge_relay::admin;

use crate::helpers::*;

const WITHIN: Duration = Duration::from_secs(30);

fn grid_b() -> GridCode {
    GridCode::parse(GRID_B).unwrap()
}

fn listed(d: &TestDevice, grid: &GridCode) -> Vec<HouseholdId> {
    d.with(|s| s.households_of_grid(grid).unwrap())
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_moved_on_the_relay_lists_under_its_new_grid_and_leaves_the_old_one() {
    let relay = spawn_relay().await;
    {
        let mut s = relay.store();
        admin::add_grid(s.as_mut(), GRID_B, "grid b").unwrap();
    }
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let (moving, staying) = a.with(|s| {
        let h = s.create_household(&grid_a(), &flat("301")).unwrap();
        let r = s
            .add_resident(h, &person("周建国", Relation::Head))
            .unwrap();
        s.record_visit(&VisitInput {
            household: h,
            purpose: VisitPurpose::PublicService,
            notes: "代办医保".into(),
            needs: vec![],
        })
        .unwrap();
        s.record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: r,
                temperature: "36.6".into(),
                method: Method::InPerson,
            }],
        )
        .unwrap();
        let other = s.create_household(&grid_a(), &flat("302")).unwrap();
        (h, other)
    });
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    let mut b = TestDevice::new(&relay, GRID_B).await;
    b.start(&relay.url(), fast());
    b.wait_synced(WITHIN).await;
    assert!(listed(&b, &grid_b()).is_empty());

    {
        let mut s = relay.store();
        admin::move_household(s.as_mut(), &moving.0.to_string(), GRID_B).unwrap();
    }

    // Pushed to both connected devices, without a reconnect.
    // The household and grid B's index are two documents, arriving in their own messages:
    // wait for both before reading them together.
    eventually(WITHIN, "grid B's member lists the moved household", || {
        listed(&b, &grid_b()) == [moving]
            && b.with(|s| s.grid_index(&grid_b()).unwrap()) == [moving]
    })
    .await;
    eventually(WITHIN, "grid A's member no longer lists it", || {
        listed(&a, &grid_a()) == [staying]
            && a.with(|s| s.grid_index(&grid_a()).unwrap()) == [staying]
    })
    .await;
    // History travels with the household: its resident and last visit.
    b.with(|s| {
        let h = s.household(moving).unwrap();
        assert_eq!(h.grid, grid_b());
        assert_eq!(h.head_name(), Some("周建国"));
        assert!(h.last_visit.is_some(), "the last visit travels with it");
        assert_eq!(s.grid_index(&grid_b()).unwrap(), [moving]);
        assert!(s.search_residents("周", &[grid_b()], 10).unwrap().len() == 1);
    });
    // The work done before the move stays where it was done: grid A's day of checks.
    a.with(|s| {
        assert_eq!(s.checks_of_day(&grid_a(), s.today()).unwrap().len(), 1);
        assert!(
            s.search_residents("周", &[grid_a()], 10)
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.grid_index(&grid_a()).unwrap(), [staying]);
    });

    // A restart of A's app: it does not offer the household it can no longer write (the
    // relay refuses nothing), and it still lists only what stayed.
    a.restart().await;
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    let status = a.engine.as_ref().unwrap().status().borrow().clone();
    assert_eq!(status.unavailable, 0, "{status:?}");
    assert_eq!(listed(&a, &grid_a()), [staying]);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_moved_on_a_leaders_device_syncs_to_both_grids() {
    let relay = spawn_relay().await;
    {
        let mut s = relay.store();
        admin::add_grid(s.as_mut(), GRID_B, "grid b").unwrap();
    }
    let mut leader =
        TestDevice::from_enrollment(relay.enroll_user("leader", &[GRID_A, GRID_B]).await);
    let h = leader.with(|s| s.create_household(&grid_a(), &flat("501")).unwrap());
    leader.start(&relay.url(), fast());
    leader.wait_synced(WITHIN).await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    assert_eq!(listed(&a, &grid_a()), [h]);
    let mut b = TestDevice::new(&relay, GRID_B).await;
    b.start(&relay.url(), fast());
    b.wait_synced(WITHIN).await;

    // The device's move is the same schema edit the relay makes.
    leader.with(|s| s.move_household(h, &grid_b()).unwrap());
    leader.engine.as_ref().unwrap().nudge();
    eventually(WITHIN, "grid B's member lists it", || {
        listed(&b, &grid_b()) == [h]
    })
    .await;
    eventually(WITHIN, "grid A's member lets it go", || {
        listed(&a, &grid_a()).is_empty()
    })
    .await;
    assert_eq!(
        relay
            .store()
            .doc(&DocumentId::from_uuid(h.0))
            .unwrap()
            .unwrap()
            .scope
            .as_str(),
        GRID_B
    );
    relay.stop().await;
}
