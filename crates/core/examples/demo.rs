//! Seeds an encrypted demo store with a grid of invented residents and shows what the app's
//! screens read from it. Usage: `cargo run -p wangge-core --example demo -- <dir>`.

use std::path::PathBuf;

use wangge_core::model::{CheckInput, Method, Slot, VisitInput, VisitPurpose};
use wangge_core::{DbKey, GridCode, Store, StoreConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "demo-data".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let key_path = dir.join("demo.key");
    let key = DbKey::load_or_create_file(&key_path)?;
    println!(
        "数据库密钥文件 (key file, mode 0600): {}",
        key_path.display()
    );
    let db = dir.join("demo.db");
    let fresh = !db.exists();
    let cfg = StoreConfig {
        member: "demo-member".into(),
        ..Default::default()
    };
    let mut store = Store::open(&db, &key, cfg)?;
    let grid = GridCode::parse("110105001001001")?;
    if fresh {
        let seeded = wangge_core::demo::seed_grid(&mut store, &grid, 40, 7)?;
        let batch: Vec<CheckInput> = seeded
            .residents
            .iter()
            .take(3)
            .map(|(r, _)| CheckInput {
                resident: *r,
                temperature: "36.6".into(),
                method: Method::InPerson,
            })
            .collect();
        store.record_checks(Slot::Morning, &batch)?;
        if let Some((r, _)) = seeded.residents.get(3) {
            store.record_checks(
                Slot::Morning,
                &[CheckInput {
                    resident: *r,
                    temperature: "37.8".into(),
                    method: Method::InPerson,
                }],
            )?;
        }
        store.record_visit(&VisitInput {
            household: seeded.households[0],
            purpose: VisitPurpose::SafetyPatrol,
            notes: "检查燃气阀门".into(),
            needs: vec!["更换烟感报警器".into()],
        })?;
    }
    let list = store.households_of_grid(&grid)?;
    println!("\n网格 {grid}: {} 户", list.len());
    for h in list.iter().take(8) {
        let visit = h
            .days_since_visit
            .map_or("未走访".to_owned(), |d| format!("{d} 天前走访"));
        println!(
            "  {}  户主 {}  {} 人  {}  {}{}",
            h.address,
            h.head_name.as_deref().unwrap_or("-"),
            h.resident_count,
            h.tags.join("/"),
            visit,
            if h.needs_home_visit {
                "  红心户"
            } else {
                ""
            }
        );
    }
    for q in ["王", "zs", "1234"] {
        let hits = store.search_residents(q, &[], 3)?;
        println!("\n搜索 {q:?}: {} 条", hits.len());
        for h in hits {
            println!(
                "  {} {} {} {}",
                h.name,
                h.address,
                h.phone_masked.unwrap_or_default(),
                h.id_masked.unwrap_or_default()
            );
        }
    }
    let today = store.today();
    let s = store.day_summary(std::slice::from_ref(&grid), today)?;
    println!(
        "\n今日 {}: 测温 {}/{},发热 {},走访 {},待办事件 {}",
        s.date, s.checks_done, s.checks_due, s.fevers, s.visits, s.open_reports
    );
    println!("\n工作日志草稿:");
    for item in store.draft_journal(today)?.items {
        println!("  - {item}");
    }
    Ok(())
}
