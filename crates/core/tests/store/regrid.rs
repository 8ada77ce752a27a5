use wangge_core::*;

use crate::helpers::*;

#[test]
fn households_moved_from_grid_a_to_c_keep_their_history_and_list_under_c() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("7", "1", "702"))
        .unwrap();
    let r = t
        .store
        .add_resident(h, &person("吴大姐", Relation::Head))
        .unwrap();
    t.store
        .record_visit(&VisitInput {
            household: h,
            purpose: VisitPurpose::PublicService,
            notes: "代办医保".into(),
            needs: vec![],
        })
        .unwrap();
    t.store
        .record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: r,
                temperature: "36.6".into(),
                method: Method::InPerson,
            }],
        )
        .unwrap();
    let changes_before = t.store.doc_changes(&DocumentId::from_uuid(h.0)).unwrap();

    t.store.move_household(h, &grid_c()).unwrap();

    assert!(t.store.households_of_grid(&grid_a()).unwrap().is_empty());
    let under_c = t.store.households_of_grid(&grid_c()).unwrap();
    assert_eq!(under_c.len(), 1);
    assert_eq!(
        under_c[0].days_since_visit,
        Some(0),
        "last visit travels with the household"
    );
    assert_eq!(t.store.grid_index(&grid_a()).unwrap(), []);
    assert_eq!(t.store.grid_index(&grid_c()).unwrap(), [h]);
    // Same document: every earlier change is still in its history.
    let changes_after = t.store.doc_changes(&DocumentId::from_uuid(h.0)).unwrap();
    assert!(changes_before.iter().all(|c| changes_after.contains(c)));
    assert_eq!(changes_after.len(), changes_before.len() + 1);
    // The check stays where it was done (grid A's day), the resident searches under C.
    assert_eq!(
        t.store
            .checks_of_day(&grid_a(), t.store.today())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.store
            .search_residents("吴", &[grid_c()], 10)
            .unwrap()
            .len(),
        1
    );
    // And it all holds after a reopen.
    let mut t = t.reopen();
    assert_eq!(t.store.household(h).unwrap().grid, grid_c());
}
