//! Replicas edit offline and exchange changes in random order: all end identical,
//! concurrent edits of different fields both survive, and a clash on one field resolves
//! the same way everywhere with the losing value still readable.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use wangge_core::*;

use crate::helpers::*;

struct Base {
    replicas: Vec<TestStore>,
    households: Vec<HouseholdId>,
    residents: Vec<ResidentId>,
    report: ReportId,
}

fn base(n: usize) -> Base {
    let mut first = store_as("m0");
    let mut households = vec![];
    let mut residents = vec![];
    for (i, g) in [grid_a(), grid_a(), grid_b()].iter().enumerate() {
        let h = first
            .store
            .create_household(g, &flat(&format!("{}", i + 1), "1", "101"))
            .unwrap();
        households.push(h);
        residents.push(
            first
                .store
                .add_resident(h, &person(&format!("居民{i}甲"), Relation::Head))
                .unwrap(),
        );
        residents.push(
            first
                .store
                .add_resident(h, &person(&format!("居民{i}乙"), Relation::Spouse))
                .unwrap(),
        );
    }
    let report = first
        .store
        .file_report(
            &grid_a(),
            &ReportInput {
                category: Category::SafetyHazard,
                severity: Severity::Minor,
                place: "小区门口".into(),
                gps: None,
                description: "路灯不亮".into(),
                photos: vec![],
            },
        )
        .unwrap();
    let mut replicas = vec![first];
    for i in 1..n {
        let mut r = store_as(&format!("m{i}"));
        sync_into(&mut replicas[0].store, &mut r.store);
        replicas.push(r);
    }
    Base {
        replicas,
        households,
        residents,
        report,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Rename(usize, u8),
    Phone(usize, u32),
    Notes(usize, u8),
    Tag(usize, bool),
    AddResident(usize, u8),
    Check(usize, i64),
    HomeVisitFlag(usize, bool),
    ReportStatus(u8),
    Visit(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..6usize, any::<u8>()).prop_map(|(r, n)| Op::Rename(r, n)),
        (0..6usize, 0..10_000u32).prop_map(|(r, n)| Op::Phone(r, n)),
        (0..6usize, any::<u8>()).prop_map(|(r, n)| Op::Notes(r, n)),
        (0..6usize, any::<bool>()).prop_map(|(r, b)| Op::Tag(r, b)),
        (0..3usize, any::<u8>()).prop_map(|(h, n)| Op::AddResident(h, n)),
        (0..6usize, 350..420i64).prop_map(|(r, t)| Op::Check(r, t)),
        (0..3usize, any::<bool>()).prop_map(|(h, b)| Op::HomeVisitFlag(h, b)),
        (0..3u8).prop_map(Op::ReportStatus),
        (0..3usize).prop_map(Op::Visit),
    ]
}

fn resident_input(store: &mut Store, r: ResidentId) -> ResidentInput {
    let hid = store.household_of(r).unwrap();
    let res = store
        .household(hid)
        .unwrap()
        .residents
        .into_iter()
        .find(|x| x.id == r)
        .unwrap();
    ResidentInput {
        name: res.name,
        id_number: res
            .id_number
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default(),
        phone: res.phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
        relation: Some(res.relation),
        status: Some(res.status),
        tags: res.tags.into_iter().collect(),
        notes: res.notes,
    }
}

fn apply(b: &Base, store: &mut Store, op: &Op) {
    match op {
        Op::Rename(r, n) => {
            let mut i = resident_input(store, b.residents[*r]);
            i.name = format!("改名{n}");
            store.update_resident(b.residents[*r], &i).unwrap();
        }
        Op::Phone(r, n) => {
            let mut i = resident_input(store, b.residents[*r]);
            i.phone = format!("1390000{n:04}");
            store.update_resident(b.residents[*r], &i).unwrap();
        }
        Op::Notes(r, n) => {
            let mut i = resident_input(store, b.residents[*r]);
            i.notes = format!("{}备注{n};", i.notes);
            store.update_resident(b.residents[*r], &i).unwrap();
        }
        Op::Tag(r, on) => {
            let mut i = resident_input(store, b.residents[*r]);
            if *on {
                i.tags.push(Tag::Elderly);
            } else {
                i.tags.retain(|t| *t != Tag::Elderly);
            }
            store.update_resident(b.residents[*r], &i).unwrap();
        }
        Op::AddResident(h, n) => {
            store
                .add_resident(
                    b.households[*h],
                    &person(&format!("新人{n}"), Relation::Child),
                )
                .unwrap();
        }
        Op::Check(r, t) => {
            let temp = format!("{}.{}", t / 10, t % 10);
            store
                .record_checks(
                    Slot::Morning,
                    &[CheckInput {
                        resident: b.residents[*r],
                        temperature: temp,
                        method: Method::InPerson,
                    }],
                )
                .unwrap();
        }
        Op::HomeVisitFlag(h, on) => {
            let hh = store.household(b.households[*h]).unwrap();
            let input = HouseholdInput {
                address: hh.address,
                tags: hh.tags.into_iter().collect(),
                needs_home_visit: *on,
                notes: hh.notes,
            };
            store.update_household(b.households[*h], &input).unwrap();
        }
        Op::ReportStatus(s) => {
            let status = [
                ReportStatus::Dispatched,
                ReportStatus::Handling,
                ReportStatus::Closed,
            ][*s as usize];
            store
                .add_report_status(b.report, status, "处理", None, None)
                .unwrap();
        }
        Op::Visit(h) => {
            store
                .record_visit(&VisitInput {
                    household: b.households[*h],
                    purpose: VisitPurpose::InfoCollection,
                    notes: String::new(),
                    needs: vec![],
                })
                .unwrap();
        }
    }
}

/// Every change of every replica, delivered to every other replica in a random order.
fn exchange_shuffled(b: &mut Base, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut all = vec![];
    for r in &mut b.replicas {
        for (id, _, _) in r.store.doc_ids().unwrap() {
            for c in r.store.doc_changes(&id).unwrap() {
                all.push((id, c));
            }
        }
    }
    for r in &mut b.replicas {
        let mut mine = all.clone();
        mine.shuffle(&mut rng);
        for chunk in mine.chunks(3) {
            for (id, c) in chunk {
                r.store.apply_changes(id, std::slice::from_ref(c)).unwrap();
            }
        }
    }
}

type Snapshot = (
    Vec<Household>,
    Vec<store::CheckRow>,
    Vec<store::ReportRow>,
    Vec<store::HouseholdSummary>,
    Vec<(DocumentId, Vec<u8>)>,
);

fn snapshot(b: &Base, t: &mut TestStore) -> Snapshot {
    let households = b
        .households
        .iter()
        .map(|h| t.store.household(*h).unwrap())
        .collect();
    let checks = t.store.checks_of_day(&grid_a(), t.store.today()).unwrap();
    let reports = t.store.reports(&[], None).unwrap();
    let mut list = t.store.households_of_grid(&grid_a()).unwrap();
    list.extend(t.store.households_of_grid(&grid_b()).unwrap());
    let mut heads = vec![];
    for (id, _, _) in t.store.doc_ids().unwrap() {
        let mut changes = t.store.doc_changes(&id).unwrap();
        changes.sort();
        heads.push((id, changes.concat()));
    }
    (households, checks, reports, list, heads)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_whatever_the_edits_and_delivery_order(
        n in 2..=3usize,
        ops in proptest::collection::vec((0..3usize, op()), 1..14),
        seed in any::<u64>(),
    ) {
        let mut b = base(n);
        for (who, op) in &ops {
            let who = who % n;
            b.replicas[who].clock.advance(chrono::Duration::seconds(1));
            let mut store = std::mem::replace(&mut b.replicas[who].store, store_as("tmp").store);
            apply(&b, &mut store, op);
            b.replicas[who].store = store;
        }
        exchange_shuffled(&mut b, seed);
        let mut reps = std::mem::take(&mut b.replicas);
        let first = snapshot(&b, &mut reps[0]);
        for r in reps.iter_mut().skip(1) {
            let s = snapshot(&b, r);
            prop_assert_eq!(&first, &s);
        }
        // And the same after a reopen from disk.
        let r0 = reps.remove(0).reopen();
        let mut r0 = r0;
        prop_assert_eq!(&first, &snapshot(&b, &mut r0));
    }
}

#[test]
fn concurrent_edits_to_different_fields_of_one_resident_both_survive() {
    let mut b = base(2);
    let r = b.residents[0];
    let mut i = resident_input(&mut b.replicas[0].store, r);
    i.phone = "13811112222".into();
    b.replicas[0].store.update_resident(r, &i).unwrap();
    let mut i = resident_input(&mut b.replicas[1].store, r);
    i.tags = vec![Tag::Veteran];
    i.notes = "独居,需关注".into();
    b.replicas[1].store.update_resident(r, &i).unwrap();
    exchange_shuffled(&mut b, 7);
    for t in &mut b.replicas {
        let hid = t.store.household_of(r).unwrap();
        let res = t
            .store
            .household(hid)
            .unwrap()
            .residents
            .into_iter()
            .find(|x| x.id == r)
            .unwrap();
        assert_eq!(res.phone.unwrap().as_str(), "13811112222");
        assert!(res.tags.contains(&Tag::Veteran));
        assert_eq!(res.notes, "独居,需关注");
        assert!(t.store.resident_conflicts(r).unwrap().is_empty());
    }
}

#[test]
fn a_clash_on_one_field_resolves_alike_everywhere_and_the_loser_stays_readable() {
    let mut b = base(3);
    let r = b.residents[1];
    for (k, name) in ["王芳", "王方", "汪芳"].iter().enumerate() {
        let mut i = resident_input(&mut b.replicas[k].store, r);
        i.name = (*name).into();
        b.replicas[k].store.update_resident(r, &i).unwrap();
    }
    exchange_shuffled(&mut b, 42);
    let mut winners = vec![];
    for t in &mut b.replicas {
        let hid = t.store.household_of(r).unwrap();
        let name = t
            .store
            .household(hid)
            .unwrap()
            .residents
            .into_iter()
            .find(|x| x.id == r)
            .unwrap()
            .name;
        let conflicts = t.store.resident_conflicts(r).unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].field, "name");
        assert_eq!(
            conflicts[0].values[0],
            str_value(&name),
            "the shown value comes first"
        );
        let mut all: Vec<_> = conflicts[0].values.clone();
        all.sort_by_key(|v| format!("{v:?}"));
        assert_eq!(
            all,
            [str_value("汪芳"), str_value("王方"), str_value("王芳")]
        );
        winners.push(name);
    }
    assert!(winners.windows(2).all(|w| w[0] == w[1]), "{winners:?}");

    // The member picks a value on one device; after sync the conflict is gone everywhere.
    b.replicas[2]
        .store
        .resolve_resident_conflict(r, "name", &str_value("王芳"))
        .unwrap();
    exchange_shuffled(&mut b, 43);
    for t in &mut b.replicas {
        assert!(t.store.resident_conflicts(r).unwrap().is_empty());
        let hid = t.store.household_of(r).unwrap();
        let name = t
            .store
            .household(hid)
            .unwrap()
            .residents
            .into_iter()
            .find(|x| x.id == r)
            .unwrap()
            .name;
        assert_eq!(name, "王芳");
    }
    let e = b.replicas[0]
        .store
        .resolve_resident_conflict(r, "relation", &str_value("nonsense"))
        .unwrap_err();
    assert_eq!(problems(&e), [("field", ErrorCode::InvalidValue)]);
}

#[test]
fn two_devices_creating_the_same_day_of_checks_offline_share_one_document() {
    let mut b = base(2);
    let (r0, r1) = (b.residents[0], b.residents[2]);
    b.replicas[0]
        .store
        .record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: r0,
                temperature: "36.1".into(),
                method: Method::InPerson,
            }],
        )
        .unwrap();
    b.replicas[1]
        .store
        .record_checks(
            Slot::Morning,
            &[CheckInput {
                resident: r1,
                temperature: "36.2".into(),
                method: Method::InPerson,
            }],
        )
        .unwrap();
    exchange_shuffled(&mut b, 1);
    for t in &mut b.replicas {
        assert_eq!(
            t.store
                .checks_of_day(&grid_a(), t.store.today())
                .unwrap()
                .len(),
            2
        );
    }
}

#[test]
fn changes_that_are_not_automerge_are_refused_and_nothing_is_lost() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let id = DocumentId::from_uuid(h.0);
    let before = t.store.household(h).unwrap();
    let e = t
        .store
        .apply_changes(&id, &[b"garbage".to_vec()])
        .unwrap_err();
    assert_eq!(e.code(), "document_error");
    let mut real = t.store.doc_changes(&id).unwrap();
    let half = real[0].len() / 2;
    real[0].truncate(half);
    assert!(t.store.apply_changes(&id, &real).is_err());
    assert_eq!(t.store.household(h).unwrap(), before);
    let t = t.reopen();
    let mut t = t;
    assert_eq!(t.store.household(h).unwrap(), before);
}
