//! Demo and benchmark data: a grid of invented households and residents, made through the
//! same user actions the app uses. Deterministic for a given seed. Every name, ID number
//! and phone number here is invented.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::error::{CoreError, Result};
use crate::model::{
    Address, GridCode, HouseholdId, HouseholdInput, Relation, ResidenceStatus, ResidentId,
    ResidentInput, Tag,
};
use crate::store::Store;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建国", "淑珍", "玉兰", "志强", "海燕", "红梅", "国庆",
    "小红", "子涵", "浩然", "雨桐", "欣怡", "梓萱", "宇轩",
];
const ESTATES: &[&str] = &["幸福小区", "和平里", "阳光花园", "东风新村"];

/// The grid the app's offline demo seeds: an invented community in Beijing's Chaoyang
/// district.
pub const DEMO_GRID: &str = "110105001001001";
/// Households the app's offline demo seeds.
pub const DEMO_HOUSEHOLDS: usize = 24;
/// The seed of the app's offline demo (the same invented people on every device).
pub const DEMO_SEED: u64 = 7;

/// What was seeded.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Households, in creation order.
    pub households: Vec<HouseholdId>,
    /// Residents, with their household.
    pub residents: Vec<(ResidentId, HouseholdId)>,
}

/// An invented but valid ID number (GB 11643 check character computed).
pub fn invented_id_number(rng: &mut impl Rng, year: i32) -> String {
    let first17 = format!(
        "110105{year:04}{:02}{:02}{:03}",
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        rng.random_range(0..1000)
    );
    let c = crate::model::check_char(first17.as_bytes()) as char;
    format!("{first17}{c}")
}

fn name(rng: &mut impl Rng, surname: &str) -> String {
    format!("{surname}{}", GIVEN[rng.random_range(0..GIVEN.len())])
}

/// Seeds `households` households (1–5 residents each, ~3 on average) into `grid`.
pub fn seed_grid(
    store: &mut Store,
    grid: &GridCode,
    households: usize,
    seed: u64,
) -> Result<Seeded> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Seeded::default();
    let this_year = 2026;
    for i in 0..households {
        let estate = ESTATES[(seed as usize + i / 200) % ESTATES.len()];
        let address = Address::Flat {
            estate: estate.into(),
            building: format!("{}", i / 24 % 40 + 1),
            unit: format!("{}", i / 8 % 3 + 1),
            room: format!("{}0{}", i % 8 / 2 + 1, i % 2 + 1),
        };
        let elderly_alone = rng.random_bool(0.08);
        let h = store.create_household(
            grid,
            &HouseholdInput {
                address,
                tags: if rng.random_bool(0.04) {
                    vec![Tag::Dibao]
                } else {
                    vec![]
                },
                needs_home_visit: elderly_alone && rng.random_bool(0.5),
                notes: String::new(),
            },
        )?;
        out.households.push(h);
        let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
        let size = if elderly_alone {
            1
        } else {
            rng.random_range(1..=5)
        };
        for k in 0..size {
            let (relation, age) = match k {
                0 => (Relation::Head, rng.random_range(30..85)),
                1 => (Relation::Spouse, rng.random_range(30..85)),
                2 | 3 => (Relation::Child, rng.random_range(1..30)),
                _ => (Relation::Parent, rng.random_range(70..95)),
            };
            let mut tags = vec![];
            if age >= 60 {
                tags.push(Tag::Elderly);
            }
            if elderly_alone {
                tags.push(Tag::LivingAlone);
            }
            if age < 3 {
                tags.push(Tag::Infant);
            }
            if rng.random_bool(0.03) {
                tags.push(Tag::ChronicIllness);
            }
            if rng.random_bool(0.02) {
                tags.extend(Tag::disabled(rng.random_range(1..=4)));
            }
            if rng.random_bool(0.05) {
                tags.push(Tag::PartyMember);
            }
            let input = ResidentInput {
                name: {
                    let s = if k == 1 {
                        SURNAMES[rng.random_range(0..SURNAMES.len())]
                    } else {
                        surname
                    };
                    name(&mut rng, s)
                },
                id_number: invented_id_number(&mut rng, this_year - age),
                phone: if age >= 16 {
                    format!(
                        "1{}{:09}",
                        rng.random_range(3..=9),
                        rng.random_range(0..1_000_000_000u64)
                    )
                } else {
                    String::new()
                },
                relation: Some(relation),
                status: Some(if rng.random_bool(0.85) {
                    ResidenceStatus::Registered
                } else {
                    ResidenceStatus::Floating
                }),
                tags,
                notes: String::new(),
            };
            out.residents.push((store.add_resident(h, &input)?, h));
        }
    }
    Ok(out)
}

/// Seeds the app's offline demo into an empty store: [`DEMO_HOUSEHOLDS`] invented
/// households in [`DEMO_GRID`]. Returns the grid.
pub fn seed_offline_demo(store: &mut Store) -> Result<GridCode> {
    let grid: GridCode = DEMO_GRID
        .parse()
        .map_err(|e: crate::FieldError| CoreError::Corrupt(e.to_string()))?;
    seed_grid(store, &grid, DEMO_HOUSEHOLDS, DEMO_SEED)?;
    Ok(grid)
}
