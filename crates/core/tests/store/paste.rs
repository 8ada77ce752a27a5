//! Readings pasted as text are matched to the residents of the member's grids on a real
//! store: by name, by sound, by room; two who fit, nobody, a missing or bad reading and a
//! resident named twice come back with their problem, and nothing is saved until the
//! member saves the ready ones.

use wangge_core::views::{PasteProblem, PastedReadings};
use wangge_core::*;

use crate::helpers::*;

fn seeded() -> (TestStore, Vec<ResidentId>) {
    let mut t = store_as("m1");
    let mut ids = vec![];
    let h1 = t
        .store
        .create_household(&grid_a(), &flat("3", "2", "501"))
        .unwrap();
    for (name, rel) in [("张三", Relation::Head), ("李四", Relation::Spouse)] {
        ids.push(t.store.add_resident(h1, &person(name, rel)).unwrap());
    }
    let h2 = t
        .store
        .create_household(&grid_a(), &flat("3", "2", "502"))
        .unwrap();
    ids.push(
        t.store
            .add_resident(h2, &person("王五", Relation::Head))
            .unwrap(),
    );
    let h3 = t
        .store
        .create_household(&grid_a(), &flat("4", "1", "501"))
        .unwrap();
    ids.push(
        t.store
            .add_resident(h3, &person("张三", Relation::Head))
            .unwrap(),
    );
    // Another grid's resident is not the member's to match.
    let h4 = t
        .store
        .create_household(&grid_b(), &flat("9", "1", "101"))
        .unwrap();
    ids.push(
        t.store
            .add_resident(h4, &person("赵六", Relation::Head))
            .unwrap(),
    );
    (t, ids)
}

fn outcome(p: &PastedReadings) -> Vec<(String, Option<ResidentId>, Option<PasteProblem>)> {
    p.readings
        .iter()
        .map(|r| {
            (
                r.text.clone(),
                r.resident.as_ref().map(|h| h.resident),
                r.problem,
            )
        })
        .collect()
}

#[test]
fn each_piece_finds_its_resident_or_says_why_not_and_the_ready_ones_save_in_one_go() {
    let (mut t, ids) = seeded();
    let [zhang_a, li, wang, zhang_b, zhao] = ids[..] else {
        panic!("five residents")
    };
    let text =
        "3栋501 张三 36.5，李肆 37.6\n3-2-502 36.6\n张三 36.4\n赵六 36.5\n王五 正常\n4-1-501 45.1";
    let before = t.store.checks_of_day(&grid_a(), t.store.today()).unwrap();
    let p = t.store.match_pasted_readings(&[grid_a()], text).unwrap();
    assert_eq!(
        outcome(&p),
        [
            ("3栋501 张三 36.5".into(), Some(zhang_a), None),
            ("李肆 37.6".into(), Some(li), None),
            ("3-2-502 36.6".into(), Some(wang), None),
            ("张三 36.4".into(), None, Some(PasteProblem::Ambiguous)),
            ("赵六 36.5".into(), None, Some(PasteProblem::NotFound)),
            ("王五".into(), Some(wang), Some(PasteProblem::NoReading)),
            (
                "4-1-501 45.1".into(),
                Some(zhang_b),
                Some(PasteProblem::BadReading)
            ),
        ]
    );
    assert_eq!((p.ready, p.problems), (3, 4));
    let r = &p.readings;
    assert_eq!(
        r[0].resident.as_ref().unwrap().matched,
        store::MatchKind::Name
    );
    assert_eq!(
        r[1].resident.as_ref().unwrap().matched,
        store::MatchKind::Pinyin
    );
    assert_eq!(
        r[2].resident.as_ref().unwrap().matched,
        store::MatchKind::Address
    );
    assert_eq!((r[1].tenths, r[1].fever), (Some(376), true));
    let mut two: Vec<_> = r[3].candidates.iter().map(|c| c.resident).collect();
    two.sort();
    let mut want = vec![zhang_a, zhang_b];
    want.sort();
    assert_eq!(two, want, "both 张三 offered, neither picked");
    assert!(r[4].candidates.iter().all(|c| c.resident != zhao));
    // Matching saved nothing.
    assert_eq!(
        t.store.checks_of_day(&grid_a(), t.store.today()).unwrap(),
        before
    );

    // The member saves the ready ones as reported readings: one batch.
    let checks: Vec<CheckInput> = r
        .iter()
        .filter(|r| r.problem.is_none())
        .map(|r| CheckInput {
            resident: r.resident.as_ref().unwrap().resident,
            temperature: r.reading.clone().unwrap(),
            method: Method::Reported,
        })
        .collect();
    let out = t.store.record_checks(Slot::Morning, &checks).unwrap();
    assert!(out.refused.is_empty());
    let mut saved: Vec<_> = t
        .store
        .checks_of_day(&grid_a(), t.store.today())
        .unwrap()
        .iter()
        .map(|c| (c.resident, c.tenths, c.fever))
        .collect();
    saved.sort();
    let mut want = vec![(zhang_a, 365, false), (li, 376, true), (wang, 366, false)];
    want.sort();
    assert_eq!(saved, want);
}

#[test]
fn a_resident_named_twice_is_held_back_unless_the_readings_agree() {
    let (t, ids) = seeded();
    let p = t
        .store
        .match_pasted_readings(&[grid_a()], "王五 36.5 李四 36.6\n王五 36.8\n李四 36.6")
        .unwrap();
    let problems: Vec<_> = p.readings.iter().map(|r| r.problem).collect();
    assert_eq!(
        problems,
        [
            Some(PasteProblem::Repeated),
            None,
            Some(PasteProblem::Repeated),
            Some(PasteProblem::Repeated),
        ]
    );
    assert_eq!(p.readings[1].resident.as_ref().unwrap().resident, ids[1]);
    assert_eq!(p.ready, 1);
}

#[test]
fn text_too_long_is_refused_whole_and_no_grid_matches_nobody() {
    let (t, _) = seeded();
    let long = "张三 36.5\n".repeat(3000);
    let e = t
        .store
        .match_pasted_readings(&[grid_a()], &long)
        .unwrap_err();
    assert_eq!(problems(&e), [("text", ErrorCode::TooLong)]);
    let p = t.store.match_pasted_readings(&[], "王五 36.5").unwrap();
    assert_eq!(p.readings[0].problem, Some(PasteProblem::NotFound));
}
