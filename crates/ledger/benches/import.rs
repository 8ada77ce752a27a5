//! Ledger import figures: dry run (read + map + check) and import into a real encrypted
//! store, for 10,000 and 50,000 invented residents in one xlsx (about three per
//! household), with time and peak memory (VmHWM, reset before each phase).
//!
//! `cargo bench -p wangge-ledger --bench import`; `WANGGE_BENCH_SIZES=10000` picks sizes.
//! Goals for 10,000 rows: dry run ≤ 3 s, import ≤ 60 s, peak ≤ 200 MB.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chrono::NaiveDate;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rust_xlsxwriter::Workbook;
use wangge_core::import::{GridAssignment, run_import};
use wangge_core::{DbKey, GridCode, Store, StoreConfig};
use wangge_ledger::dry_run_bytes;

fn ledger(residents: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(42);
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    s.set_name("居民台账").unwrap();
    s.merge_range(
        0,
        0,
        0,
        9,
        "某社区居民台账",
        &rust_xlsxwriter::Format::new(),
    )
    .unwrap();
    let header = [
        "姓名",
        "性别",
        "公民身份号码",
        "与户主关系",
        "手机号码",
        "楼栋",
        "单元",
        "房号",
        "人户状态",
        "特殊人群",
    ];
    for (c, h) in header.iter().enumerate() {
        s.write_string(1, c as u16, *h).unwrap();
    }
    let mut seen = HashSet::new();
    let mut row = 2u32;
    let mut k = 0usize;
    while ((row - 2) as usize) < residents {
        let id = wangge_core::demo::invented_id_number(&mut rng, 1940 + (k % 80) as i32);
        k += 1;
        if !seen.insert(id.clone()) {
            continue;
        }
        let i = (row - 2) as usize;
        let household = i / 3;
        let sex = if (id.as_bytes()[16] - b'0') % 2 == 1 {
            "男"
        } else {
            "女"
        };
        s.write_string(row, 0, format!("居民{i}")).unwrap();
        s.write_string(row, 1, sex).unwrap();
        s.write_string(row, 2, &id).unwrap();
        s.write_string(
            row,
            3,
            if i.is_multiple_of(3) {
                "户主"
            } else {
                "子女"
            },
        )
        .unwrap();
        s.write_string(row, 4, format!("139{:08}", i)).unwrap();
        s.write_string(row, 5, format!("{}", household / 48 + 1))
            .unwrap();
        s.write_string(row, 6, format!("{}", household / 16 % 3 + 1))
            .unwrap();
        s.write_string(
            row,
            7,
            format!("{}0{}", household % 16 / 2 + 1, household % 2 + 1),
        )
        .unwrap();
        s.write_string(row, 8, "人户一致").unwrap();
        if i.is_multiple_of(10) {
            s.write_string(row, 9, "党员").unwrap();
        }
        row += 1;
    }
    book.save_to_buffer().unwrap()
}

fn reset_peak() {
    // Linux: "5" resets VmHWM to the current RSS.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("WANGGE_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,50000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let grid = GridCode::parse("110105001001001").unwrap();
    for n in sizes {
        let bytes = ledger(n);
        println!("ledger of {n} residents: {} KB xlsx", bytes.len() / 1024);

        reset_peak();
        let t = Instant::now();
        let ledger = dry_run_bytes(&bytes, None, Some(&grid), today).unwrap();
        let dry = t.elapsed();
        let dry_peak = peak_mb();
        let r = &ledger.report;
        assert_eq!((r.resident_count, r.problems.len()), (n, 0));
        println!(
            "  dry run: {:.2} s, peak RSS {:.0} MB ({} households, {} residents)",
            dry.as_secs_f64(),
            dry_peak,
            r.household_count,
            r.resident_count
        );

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(
            &dir.path().join("bench.db"),
            &DbKey::generate(),
            StoreConfig::default(),
        )
        .unwrap();
        let store = Mutex::new(store);
        let cancel = AtomicBool::new(false);
        reset_peak();
        let t = Instant::now();
        let sum = run_import(
            &store,
            &ledger.plan,
            &GridAssignment::all_to(&grid),
            &mut |_| {},
            &cancel,
        )
        .unwrap();
        let import = t.elapsed();
        assert_eq!(sum.residents_added as usize, n);
        println!(
            "  import: {:.1} s ({:.1} ms/household), peak RSS {:.0} MB",
            import.as_secs_f64(),
            import.as_secs_f64() * 1000.0 / f64::from(sum.households_created.max(1)),
            peak_mb()
        );

        reset_peak();
        let t = Instant::now();
        let again = run_import(
            &store,
            &ledger.plan,
            &GridAssignment::all_to(&grid),
            &mut |_| {},
            &cancel,
        )
        .unwrap();
        assert_eq!(again.residents_added, 0);
        println!(
            "  re-import (nothing changes): {:.1} s, peak RSS {:.0} MB",
            t.elapsed().as_secs_f64(),
            peak_mb()
        );
    }
}
