use wangge_core::*;

use crate::helpers::*;

fn seeded() -> TestStore {
    let mut t = store_as("m1");
    let h1 = t
        .store
        .create_household(&grid_a(), &flat("3", "2", "501"))
        .unwrap();
    let mut p = person("张三", Relation::Head);
    p.phone = "13800001234".into();
    p.id_number = id_number("19800101", 21);
    t.store.add_resident(h1, &p).unwrap();
    t.store
        .add_resident(h1, &person("李四", Relation::Spouse))
        .unwrap();
    let h2 = t
        .store
        .create_household(
            &grid_b(),
            &HouseholdInput {
                address: Address::Street {
                    street: "帽儿胡同".into(),
                    number: "12".into(),
                },
                tags: vec![],
                needs_home_visit: true,
                notes: String::new(),
            },
        )
        .unwrap();
    let mut p = person("张三丰", Relation::Head);
    p.phone = "13900005678".into();
    t.store.add_resident(h2, &p).unwrap();
    t
}

fn names(hits: &[search_hit::Hit]) -> Vec<String> {
    let mut v: Vec<String> = hits.iter().map(|h| h.name.clone()).collect();
    v.sort();
    v
}

mod search_hit {
    pub type Hit = wangge_core::store::ResidentHit;
}

#[test]
fn one_or_two_characters_of_a_name_find_residents() {
    let t = seeded();
    assert_eq!(
        names(&t.store.search_residents("张", &[], 10).unwrap()),
        ["张三", "张三丰"]
    );
    assert_eq!(
        names(&t.store.search_residents("三丰", &[], 10).unwrap()),
        ["张三丰"]
    );
    assert_eq!(
        names(&t.store.search_residents("张三丰", &[], 10).unwrap()),
        ["张三丰"]
    );
    assert_eq!(
        names(&t.store.search_residents("四", &[], 10).unwrap()),
        ["李四"]
    );
    assert!(t.store.search_residents("王", &[], 10).unwrap().is_empty());
}

#[test]
fn pinyin_initials_and_full_pinyin_find_residents() {
    let t = seeded();
    assert_eq!(
        names(&t.store.search_residents("zs", &[], 10).unwrap()),
        ["张三", "张三丰"]
    );
    assert_eq!(
        names(&t.store.search_residents("zsf", &[], 10).unwrap()),
        ["张三丰"]
    );
    assert_eq!(
        names(&t.store.search_residents("lis", &[], 10).unwrap()),
        ["李四"]
    );
}

#[test]
fn phone_and_id_tails_find_residents_with_masked_numbers() {
    let t = seeded();
    let hits = t.store.search_residents("1234", &[], 10).unwrap();
    assert_eq!(names(&hits), ["张三"]);
    assert_eq!(hits[0].phone_masked.as_deref(), Some("138****1234"));
    assert_eq!(hits[0].matched, store::MatchKind::PhoneTail);
    let id = id_number("19800101", 21);
    let hits = t.store.search_residents(&id[14..], &[], 10).unwrap();
    assert!(
        hits.iter()
            .any(|h| h.name == "张三" && h.matched == store::MatchKind::IdTail)
    );
    assert_eq!(
        hits[0].id_masked.as_deref().map(|s| s.contains("********")),
        Some(true)
    );
}

#[test]
fn address_substrings_and_grid_filters_work() {
    let t = seeded();
    assert_eq!(
        names(&t.store.search_residents("帽儿", &[], 10).unwrap()),
        ["张三丰"]
    );
    assert_eq!(
        names(&t.store.search_residents("2单元501", &[], 10).unwrap()),
        ["张三", "李四"]
    );
    assert_eq!(
        names(&t.store.search_residents("张", &[grid_a()], 10).unwrap()),
        ["张三"]
    );
    assert_eq!(t.store.search_residents("张", &[], 1).unwrap().len(), 1);
}
