//! Spreadsheets going out (导出): files an upper level opens in Excel or WPS and takes as
//! they are. Counts are numbers, rates are numbers shown as percentages (blank where
//! nothing was due), so the receiver can add, sort and chart them.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use wangge_core::ErrorCode;
use wangge_core::views::{StatsRow, StatsView};
use wangge_core::wangge_events::Ratio;
use wangge_core::{CampaignView, RosterItem, UnitCompletion};

use crate::error::{LedgerError, Result};

/// The columns of a statistics sheet after the group's name, in order.
pub const STATS_COLUMNS: [&str; 14] = [
    "上报数",
    "受理数",
    "应结案数",
    "缓办数",
    "结案数",
    "结案率",
    "按期结案数",
    "按期结案率",
    "超期数",
    "返工率",
    "回访数",
    "满意数",
    "满意率",
    "处置时长中位数(小时)",
];

fn xlsx(e: XlsxError) -> LedgerError {
    LedgerError::new(ErrorCode::IoError, format!("writing the workbook: {e}"))
}

struct Formats {
    title: Format,
    head: Format,
    count: Format,
    rate: Format,
    hours: Format,
    total: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            head: cell
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color("#E8F0FE"),
            count: cell.clone().set_num_format("0"),
            rate: cell.clone().set_num_format("0.0%"),
            hours: cell.clone().set_num_format("0.0"),
            total: cell.set_bold(),
        }
    }
}

fn write_ratio(sheet: &mut Worksheet, row: u32, col: u16, r: Ratio, f: &Formats) -> Result<()> {
    match r.value() {
        Some(v) => sheet.write_number_with_format(row, col, v, &f.rate),
        None => sheet.write_blank(row, col, &f.rate),
    }
    .map_err(xlsx)?;
    Ok(())
}

fn write_row(sheet: &mut Worksheet, row: u32, line: &StatsRow, f: &Formats) -> Result<()> {
    let x = &line.figures;
    let name_format = if line.code.is_empty() {
        &f.total
    } else {
        &f.count
    };
    sheet
        .write_string_with_format(row, 0, &line.name, name_format)
        .map_err(xlsx)?;
    let counts = [
        (1, x.reports),
        (2, x.accepted),
        (3, x.due),
        (4, x.deferred),
        (5, x.closed),
        (7, x.closed_on_time),
        (9, x.overdue),
        (11, x.visits),
        (12, x.satisfied),
    ];
    for (col, n) in counts {
        sheet
            .write_number_with_format(row, col, f64::from(n), &f.count)
            .map_err(xlsx)?;
    }
    write_ratio(sheet, row, 6, line.closure, f)?;
    write_ratio(sheet, row, 8, line.on_time, f)?;
    write_ratio(sheet, row, 10, line.rework, f)?;
    write_ratio(sheet, row, 13, line.satisfaction, f)?;
    match x.median_handling_ms {
        // Hours, from milliseconds: exact for any handling time a deadline allows.
        Some(ms) => sheet.write_number_with_format(row, 14, ms as f64 / 3_600_000.0, &f.hours),
        None => sheet.write_blank(row, 14, &f.hours),
    }
    .map_err(xlsx)?;
    Ok(())
}

fn stats_sheet(
    book: &mut Workbook,
    name: &str,
    first: &str,
    view: &StatsView,
    rows: &[StatsRow],
    f: &Formats,
) -> Result<()> {
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(xlsx)?;
    let title = format!("事件统计（{}）{} 至 {}", name, view.from, view.to);
    sheet
        .write_string_with_format(0, 0, &title, &f.title)
        .map_err(xlsx)?;
    sheet
        .write_string_with_format(2, 0, first, &f.head)
        .map_err(xlsx)?;
    for (i, head) in STATS_COLUMNS.iter().enumerate() {
        let col =
            u16::try_from(i + 1).map_err(|_| LedgerError::new(ErrorCode::Internal, "column"))?;
        sheet
            .write_string_with_format(2, col, *head, &f.head)
            .map_err(xlsx)?;
    }
    for (row, line) in (3u32..).zip(rows.iter().chain(std::iter::once(&view.total))) {
        write_row(sheet, row, line, f)?;
    }
    sheet.set_column_width(0, 22).map_err(xlsx)?;
    sheet.set_column_range_width(1, 14, 11).map_err(xlsx)?;
    sheet.set_freeze_panes(3, 1).map_err(xlsx)?;
    Ok(())
}

/// The statistics of `view` as an `.xlsx` file: sheets by grid, by community and by
/// category, each ending with the total.
pub fn stats_workbook(view: &StatsView) -> Result<Vec<u8>> {
    let f = Formats::new();
    let mut book = Workbook::new();
    stats_sheet(&mut book, "按网格", "网格", view, &view.by_grid, &f)?;
    stats_sheet(&mut book, "按社区", "社区", view, &view.by_community, &f)?;
    stats_sheet(&mut book, "按类别", "类别", view, &view.by_category, &f)?;
    book.save_to_buffer().map_err(xlsx)
}

/// The columns of a campaign's completion sheets after the unit's name.
pub const CAMPAIGN_COLUMNS: [&str; 5] = ["总数", "已完成", "未完成", "例外", "完成率"];

fn completion_sheet(
    book: &mut Workbook,
    name: &str,
    view: &CampaignView,
    rows: &[UnitCompletion],
    f: &Formats,
) -> Result<()> {
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(xlsx)?;
    sheet
        .write_string_with_format(
            0,
            0,
            format!("{}（{}）", view.campaign.title, name),
            &f.title,
        )
        .map_err(xlsx)?;
    sheet
        .write_string_with_format(2, 0, "单位", &f.head)
        .map_err(xlsx)?;
    for (col, head) in (1u16..).zip(CAMPAIGN_COLUMNS) {
        sheet
            .write_string_with_format(2, col, head, &f.head)
            .map_err(xlsx)?;
    }
    let total = UnitCompletion {
        code: String::new(),
        name: Some("合计".into()),
        completion: view.total,
    };
    for (row, u) in (3u32..).zip(rows.iter().chain(std::iter::once(&total))) {
        let label = u.name.clone().unwrap_or_else(|| u.code.clone());
        sheet
            .write_string_with_format(row, 0, &label, &f.total)
            .map_err(xlsx)?;
        let c = &u.completion;
        for (col, n) in (1u16..).zip([c.total, c.done, c.open, c.exceptions]) {
            sheet
                .write_number_with_format(row, col, n as f64, &f.count)
                .map_err(xlsx)?;
        }
        if c.total > 0 {
            sheet
                .write_number_with_format(row, 5, c.done as f64 / c.total as f64, &f.rate)
                .map_err(xlsx)?;
        } else {
            sheet.write_blank(row, 5, &f.rate).map_err(xlsx)?;
        }
    }
    sheet.set_column_width(0, 22).map_err(xlsx)?;
    sheet.set_column_range_width(1, 5, 10).map_err(xlsx)?;
    sheet.set_freeze_panes(3, 1).map_err(xlsx)?;
    Ok(())
}

/// A campaign as an `.xlsx` file: completion by grid and by community, each ending with
/// the total, and the list of those not reached or ticked with a reason (地址, 姓名, 情况,
/// 原因, 时间). No ID numbers or phones are written.
pub fn campaign_workbook(view: &CampaignView, open: &[RosterItem]) -> Result<Vec<u8>> {
    let f = Formats::new();
    let mut book = Workbook::new();
    completion_sheet(&mut book, "按网格", view, &view.by_grid, &f)?;
    completion_sheet(&mut book, "按社区", view, &view.by_community, &f)?;
    let sheet = book.add_worksheet();
    sheet.set_name("未完成及例外").map_err(xlsx)?;
    for (col, head) in (0u16..).zip(["网格", "地址", "姓名", "情况", "原因", "登记时间"])
    {
        sheet
            .write_string_with_format(0, col, head, &f.head)
            .map_err(xlsx)?;
    }
    let grid_names: std::collections::HashMap<&str, &str> = view
        .by_grid
        .iter()
        .filter_map(|g| Some((g.code.as_str(), g.name.as_deref()?)))
        .collect();
    for (row, item) in (1u32..).zip(open) {
        let answer = item
            .tick
            .as_ref()
            .and_then(|t| view.campaign.option(&t.answer))
            .map_or("未登记", |o| o.label.as_str());
        let grid = grid_names
            .get(item.grid.as_str())
            .copied()
            .unwrap_or(&item.grid);
        let cells = [
            grid,
            item.address.as_str(),
            item.name.as_str(),
            answer,
            item.tick.as_ref().map_or("", |t| t.note.as_str()),
        ];
        for (col, v) in (0u16..).zip(cells) {
            sheet.write_string(row, col, v).map_err(xlsx)?;
        }
        if let Some(t) = &item.tick {
            let at = chrono::DateTime::from_timestamp_millis(t.at_ms)
                .map(|d| {
                    d.with_timezone(&chrono_tz::Asia::Shanghai)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            sheet.write_string(row, 5, &at).map_err(xlsx)?;
        }
    }
    sheet.set_column_width(1, 30).map_err(xlsx)?;
    sheet.set_column_range_width(2, 5, 14).map_err(xlsx)?;
    book.save_to_buffer().map_err(xlsx)
}
