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

#[test]
fn the_campaign_workbook_opens_with_completion_and_the_list_of_who_is_open() {
    use wangge_core::{
        Campaign, CampaignRole, CampaignView, Completion, Role, RosterItem, Subject, Tick,
        UnitCompletion,
    };
    let (options, common, proof) =
        wangge_core::wangge_schema::campaign::template(Subject::Residents);
    let fig = |total, done, exceptions| Completion {
        total,
        done,
        exceptions,
        open: total - done,
    };
    let view = CampaignView {
        campaign: Campaign {
            id: uuid::Uuid::new_v4(),
            creator: uuid::Uuid::new_v4(),
            creator_role: Role::ChiefLeader,
            unit: "110105001001".into(),
            title: "全员核酸".into(),
            text: String::new(),
            subject: Subject::Residents,
            options,
            common: common.into(),
            proof,
            grids: vec![],
            started_ms: 0,
            due_ms: 1,
        },
        unit_name: Some("幸福社区".into()),
        role: CampaignRole::Creator,
        closed: false,
        by_grid: vec![
            UnitCompletion {
                code: "110105001001001".into(),
                name: Some("第一网格".into()),
                completion: fig(4, 3, 1),
            },
            UnitCompletion {
                code: "110105001001002".into(),
                name: None,
                completion: fig(0, 0, 0),
            },
        ],
        by_community: vec![UnitCompletion {
            code: "110105001001".into(),
            name: Some("幸福社区".into()),
            completion: fig(4, 3, 1),
        }],
        total: fig(4, 3, 1),
    };
    let away = RosterItem {
        subject: uuid::Uuid::new_v4().to_string(),
        household: uuid::Uuid::new_v4().to_string(),
        name: "居民甲".into(),
        initials: "jmj".into(),
        pinyin: "juminjia".into(),
        address: "幸福小区1栋1单元101".into(),
        grid: "110105001001001".into(),
        tick: Some(Tick {
            answer: "away".into(),
            at_ms: 1_764_550_800_000,
            by: uuid::Uuid::new_v4(),
            note: "在外地上学".into(),
            photos: vec![],
        }),
        done: false,
    };
    let bytes = wangge_ledger::export::campaign_workbook(&view, &[away]).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["按网格", "按社区", "未完成及例外"]);
    let grid = book.worksheet_range("按网格").unwrap();
    let cell = |r: u32, c: u32| grid.get_value((r, c)).cloned();
    assert_eq!(cell(3, 0), Some(Data::String("第一网格".into())));
    assert_eq!(cell(3, 2), Some(Data::Float(3.0)));
    assert_eq!(cell(3, 5), Some(Data::Float(0.75)));
    assert_eq!(
        cell(4, 0),
        Some(Data::String("110105001001002".into())),
        "no name: the code"
    );
    assert!(
        matches!(cell(4, 5), None | Some(Data::Empty)),
        "nothing to do: no rate"
    );
    assert_eq!(cell(5, 0), Some(Data::String("合计".into())));
    let list = book.worksheet_range("未完成及例外").unwrap();
    let row: Vec<String> = (0..6)
        .map(|c| list.get_value((1, c)).unwrap().to_string())
        .collect();
    assert_eq!(
        row,
        [
            "第一网格",
            "幸福小区1栋1单元101",
            "居民甲",
            "外出",
            "在外地上学",
            "2025-12-01 09:00"
        ]
    );
}
