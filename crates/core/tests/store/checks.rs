//! `record_checks` answers per row: the valid rows of a household are saved in one change,
//! each refused row comes back with its problems, and nothing else is touched.

use wangge_core::*;

use crate::helpers::*;

fn reading(resident: ResidentId, temperature: &str) -> CheckInput {
    CheckInput {
        resident,
        temperature: temperature.into(),
        method: Method::InPerson,
    }
}

#[test]
fn a_slip_on_one_row_saves_the_others_and_names_the_row() {
    let mut t = store_as("m1");
    let (_, a, b) = chen_household(&mut t.store);
    let today = t.store.today();
    let out = t
        .store
        .record_checks(Slot::Morning, &[reading(a, "38.2"), reading(b, "45")])
        .unwrap();
    let saved: Vec<_> = out
        .saved
        .iter()
        .map(|c| (c.row, c.resident, c.tenths, c.fever))
        .collect();
    assert_eq!(saved, [(0, a, 382, true)]);
    assert_eq!(
        out.saved[0].id,
        TemperatureCheck::id_for(a, today, Slot::Morning)
    );
    let refused: Vec<_> = out
        .refused
        .iter()
        .map(|r| (r.row, r.resident, r.error.field, r.error.code))
        .collect();
    assert_eq!(
        refused,
        [(1, b, "temperature", ErrorCode::TemperatureOutOfRange)]
    );
    // The fever is recorded although its neighbour's reading was refused.
    let fevers = t.store.fever_list(&grid_a(), today).unwrap();
    assert_eq!(fevers.iter().map(|f| f.resident).collect::<Vec<_>>(), [a]);
    assert_eq!(t.store.checks_of_day(&grid_a(), today).unwrap().len(), 1);
}

#[test]
fn saving_the_corrected_row_again_adds_only_that_row() {
    let mut t = store_as("m1");
    let (_, a, b) = chen_household(&mut t.store);
    let rows = [reading(a, "36.5"), reading(b, "3")];
    t.store.record_checks(Slot::Morning, &rows).unwrap();
    let day_doc = checks_doc(&t.store);
    let changes = t.store.doc_changes(&day_doc).unwrap().len();
    let out = t
        .store
        .record_checks(Slot::Morning, &[reading(b, "36.8")])
        .unwrap();
    assert!(out.refused.is_empty());
    assert_eq!(t.store.doc_changes(&day_doc).unwrap().len(), changes + 1);
    let today = t.store.today();
    let mut rows: Vec<_> = t
        .store
        .checks_of_day(&grid_a(), today)
        .unwrap()
        .iter()
        .map(|r| (r.resident, r.tenths))
        .collect();
    rows.sort();
    let mut want = vec![(a, 365), (b, 368)];
    want.sort();
    assert_eq!(rows, want);
}

#[test]
fn a_batch_with_every_row_refused_writes_nothing_and_says_why_for_each() {
    let mut t = store_as("m1");
    let (_, a, _) = chen_household(&mut t.store);
    let stranger = ResidentId(uuid::Uuid::new_v4());
    let docs = t.store.doc_ids().unwrap().len();
    let out = t
        .store
        .record_checks(
            Slot::Afternoon,
            &[
                reading(a, "abc"),
                reading(stranger, "36.5"),
                reading(stranger, ""),
            ],
        )
        .unwrap();
    assert!(out.saved.is_empty());
    let refused: Vec<_> = out
        .refused
        .iter()
        .map(|r| (r.row, r.error.field, r.error.code))
        .collect();
    assert_eq!(
        refused,
        [
            (0, "temperature", ErrorCode::InvalidTemperature),
            (1, "resident", ErrorCode::NotFound),
            (2, "temperature", ErrorCode::RequiredField),
            (2, "resident", ErrorCode::NotFound),
        ]
    );
    assert_eq!(
        t.store.doc_ids().unwrap().len(),
        docs,
        "no day document made"
    );
}

#[test]
fn an_empty_batch_is_invalid() {
    let mut t = store_as("m1");
    let e = t.store.record_checks(Slot::Morning, &[]).unwrap_err();
    assert_eq!(problems(&e), [("checks", ErrorCode::RequiredField)]);
}

#[test]
fn save_and_next_walks_the_grid_in_address_order_to_households_still_due_and_wraps() {
    let mut t = store_as("m1");
    let mut home = |room: &str, name: &str, grid: GridCode| {
        let h = t
            .store
            .create_household(&grid, &flat("3", "2", room))
            .unwrap();
        let r = t
            .store
            .add_resident(h, &person(name, Relation::Head))
            .unwrap();
        (h, r)
    };
    let (h1, r1) = home("501", "林一", grid_a());
    let (h2, r2) = home("502", "林二", grid_a());
    let (h3, r3) = home("503", "林三", grid_a());
    // Another grid's household is never next.
    let (hb, _) = home("504", "林四", grid_b());
    let next = |t: &TestStore, from: HouseholdId, slot: Slot| {
        t.store.next_household_due(&[], Some(from), slot).unwrap()
    };
    let first = |t: &TestStore, grids: &[GridCode]| {
        t.store
            .next_household_due(grids, None, Slot::Morning)
            .unwrap()
    };
    assert_eq!(first(&t, &[grid_a()]), Some(h1));
    assert_eq!(
        first(&t, &[grid_b(), grid_a()]),
        Some(hb),
        "grid by grid, in order"
    );
    assert_eq!(first(&t, &[]), None);
    assert_eq!(next(&t, h1, Slot::Morning), Some(h2));
    t.store
        .record_checks(Slot::Morning, &[reading(r2, "36.5")])
        .unwrap();
    assert_eq!(next(&t, h1, Slot::Morning), Some(h3), "502 is done");
    assert_eq!(
        next(&t, h1, Slot::Afternoon),
        Some(h2),
        "not in the afternoon"
    );
    assert_eq!(
        next(&t, h3, Slot::Morning),
        Some(h1),
        "from the last, back to the top"
    );
    t.store
        .record_checks(Slot::Morning, &[reading(r1, "36.6"), reading(r3, "36.7")])
        .unwrap();
    assert_eq!(next(&t, h3, Slot::Morning), None, "the grid is done");
    assert_eq!(first(&t, &[grid_a()]), None);
    let unknown = HouseholdId(uuid::Uuid::from_u128(7));
    assert_eq!(
        t.store
            .next_household_due(&[], Some(unknown), Slot::Morning)
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );
}
