//! The statistics workbook, written and read back with calamine as Excel would open it.

use calamine::{Data, Reader, Xlsx};
use wangge_core::views::{StatsRow, StatsView};
use wangge_core::wangge_events::Figures;
use wangge_ledger::export::{STATS_COLUMNS, stats_workbook};

fn row(code: &str, name: &str, f: Figures) -> StatsRow {
    StatsRow {
        code: code.into(),
        name: name.into(),
        closure: f.closure_rate(),
        on_time: f.on_time_rate(),
        rework: f.rework_rate(),
        satisfaction: f.satisfaction_rate(),
        figures: f,
    }
}

fn figures(reports: u32, due: u32, closed: u32, visits: u32, satisfied: u32) -> Figures {
    Figures {
        reports,
        accepted: reports,
        due,
        closed,
        closed_on_time: closed,
        closed_in_period: closed,
        visits,
        satisfied,
        median_handling_ms: (closed > 0).then_some(90 * 60_000),
        ..Figures::default()
    }
}

#[test]
fn the_statistics_workbook_opens_with_numbers_rates_and_totals_in_place() {
    let a = figures(3, 2, 1, 1, 1);
    let b = figures(1, 0, 0, 0, 0);
    let total = figures(4, 2, 1, 1, 1);
    let view = StatsView {
        from: "2026-11-01".into(),
        to: "2026-11-30".into(),
        total: row("", "合计", total.clone()),
        by_grid: vec![
            row("110105001001001", "110105001001001", a.clone()),
            row("110105001001002", "110105001001002", b),
        ],
        by_community: vec![row("110105001001", "幸福社区", total.clone())],
        by_category: vec![row("safety", "安全隐患", total)],
    };
    let bytes = stats_workbook(&view).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["按网格", "按社区", "按类别"]);
    let grid = book.worksheet_range("按网格").unwrap();
    assert_eq!(
        grid.get_value((0, 0)),
        Some(&Data::String(
            "事件统计（按网格）2026-11-01 至 2026-11-30".into()
        ))
    );
    let head: Vec<String> = (0..15)
        .map(|c| grid.get_value((2, c)).unwrap().to_string())
        .collect();
    assert_eq!(head[0], "网格");
    assert_eq!(&head[1..], STATS_COLUMNS);
    let cell = |r: u32, c: u32| grid.get_value((r, c)).cloned();
    // Grid A: 3 filed, 1 of 2 due closed (50 %), 90 minutes to handle.
    assert_eq!(cell(3, 0), Some(Data::String("110105001001001".into())));
    assert_eq!(cell(3, 1), Some(Data::Float(3.0)));
    assert_eq!(cell(3, 6), Some(Data::Float(0.5)));
    assert_eq!(cell(3, 13), Some(Data::Float(1.0)));
    assert_eq!(cell(3, 14), Some(Data::Float(1.5)));
    // Grid B had nothing due: its rates are blank, never a 0 % it did not earn.
    assert!(matches!(cell(4, 6), None | Some(Data::Empty)));
    assert!(matches!(cell(4, 14), None | Some(Data::Empty)));
    // The total closes the sheet.
    assert_eq!(cell(5, 0), Some(Data::String("合计".into())));
    assert_eq!(cell(5, 1), Some(Data::Float(4.0)));
    let community = book.worksheet_range("按社区").unwrap();
    assert_eq!(
        community.get_value((3, 0)),
        Some(&Data::String("幸福社区".into()))
    );
    assert_eq!(community.get_value((3, 1)), Some(&Data::Float(4.0)));
    let by_category = book.worksheet_range("按类别").unwrap();
    assert_eq!(
        by_category.get_value((3, 0)),
        Some(&Data::String("安全隐患".into()))
    );
}
