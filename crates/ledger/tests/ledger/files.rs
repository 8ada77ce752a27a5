//! Dry runs of the corpus: the exact households, residents and problems, row by row.

use wangge_core::ErrorCode;
use wangge_ledger::{DryRun, Field, Format, dry_run_bytes};

use crate::corpus::*;

fn problems(r: &DryRun) -> Vec<(&str, u32, Option<&str>, ErrorCode)> {
    r.problems
        .iter()
        .map(|p| (p.sheet.as_str(), p.row, p.column.as_deref(), p.code))
        .collect()
}

#[test]
fn an_xlsx_with_title_blank_rows_and_three_kinds_of_dates_reports_each_problem_by_row() {
    let p = people(13, 1);
    let bytes = ledger_xlsx(&main_lines(&p));
    let ledger = dry_run_bytes(&bytes, None, None, today()).unwrap();
    let r = &ledger.report;
    assert_eq!(r.format, Format::Xlsx);
    assert_eq!(r.sheet_names, ["填表说明", "居民台账"]);
    assert_eq!(r.mapping.sheets.len(), 1, "the extra sheet is not read");
    let m = &r.mapping.sheets[0];
    assert_eq!((m.sheet.as_str(), m.header_row), ("居民台账", 3));
    assert_eq!(m.columns[&Field::IdNumber], "C");
    assert_eq!(m.columns[&Field::Room], "J");
    let s = "居民台账";
    assert_eq!(
        problems(r),
        [
            (s, 8, Some("C"), ErrorCode::IdNumberRounded),
            (s, 9, Some("C"), ErrorCode::IdNumberBadCheck),
            (s, 10, Some("C"), ErrorCode::DuplicateIdNumber),
            (s, 11, Some("G"), ErrorCode::InvalidPhone),
            (s, 12, Some("L"), ErrorCode::UnknownTag),
            (s, 13, Some("A"), ErrorCode::RequiredField),
            (s, 14, Some("D"), ErrorCode::BirthDateMismatch),
            (s, 15, Some("B"), ErrorCode::SexMismatch),
        ]
    );
    assert_eq!((r.rows_read, r.rows_left_out), (14, 8));
    assert_eq!((r.household_count, r.resident_count), (3, 6));
    let rows: Vec<Vec<u32>> = r
        .households
        .iter()
        .map(|h| h.residents.iter().map(|x| x.row).collect())
        .collect();
    assert_eq!(rows, [vec![4, 5, 7], vec![16, 17], vec![18]]);
    assert_eq!(r.households[0].address, "3栋1单元101室");
    let plan = &ledger.plan;
    assert_eq!(
        plan.households[2].residents[0].tags,
        [wangge_core::Tag::LivingAlone, wangge_core::Tag::Dibao].into()
    );
    assert!(plan.households[0].residents[0].notes.contains("民族:汉族"));
}

#[test]
fn the_report_masks_every_id_number_phone_and_name() {
    let p = people(13, 1);
    let bytes = ledger_xlsx(&main_lines(&p));
    let r = dry_run_bytes(&bytes, None, None, today()).unwrap().report;
    let json = serde_json::to_string(&r).unwrap();
    for x in &p {
        assert!(!json.contains(&x.id), "an ID number is shown unmasked");
        assert!(!json.contains(&x.id[6..14]), "a birth date is shown");
        assert!(!json.contains(&x.phone), "a phone is shown unmasked");
        assert!(!json.contains(&x.name), "a name is shown unmasked");
    }
    let dup = &r.problems[2];
    assert_eq!(
        dup.id_number.as_deref(),
        Some(wangge_core::mask::mask_id_number(&p[0].id).as_str())
    );
    assert_eq!(r.problems[3].phone.as_deref(), Some("*******"));
}

#[test]
fn a_corrected_mapping_is_what_the_rows_are_read_with() {
    let p = people(13, 1);
    let bytes = ledger_xlsx(&main_lines(&p));
    let proposed = dry_run_bytes(&bytes, None, None, today())
        .unwrap()
        .report
        .mapping;
    // The user says column L (特殊人群) is not to be read.
    let mut m = proposed.clone();
    m.sheets[0].columns.remove(&Field::Tags);
    let json = serde_json::to_string(&m).unwrap();
    let back: wangge_ledger::Mapping = serde_json::from_str(&json).unwrap();
    let r = dry_run_bytes(&bytes, Some(back), None, today())
        .unwrap()
        .report;
    assert!(!r.problems.iter().any(|x| x.code == ErrorCode::UnknownTag));
    assert_eq!(
        r.resident_count, 7,
        "row 12 is clean without its tag column"
    );
    // A mapping naming a sheet the file lacks is refused.
    let mut bad = proposed;
    bad.sheets[0].sheet = "别的表".into();
    let e = dry_run_bytes(&bytes, Some(bad), None, today()).unwrap_err();
    assert_eq!(e.code, ErrorCode::BadMapping);
}

#[test]
fn a_utf8_csv_and_the_same_csv_in_gbk_give_the_same_report() {
    let p = people(4, 2);
    let text = ledger_csv(&p);
    let utf8 = dry_run_bytes(text.as_bytes(), None, None, today())
        .unwrap()
        .report;
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK, not UTF-8");
    let gbk = dry_run_bytes(&gbk, None, None, today()).unwrap().report;
    assert_eq!(utf8, gbk);
    assert_eq!(utf8.format, Format::Csv);
    assert_eq!(utf8.mapping.sheets[0].header_row, 2);
    assert_eq!(
        problems(&utf8),
        [("CSV", 6, Some("C"), ErrorCode::IdNumberRounded)]
    );
    let rows: Vec<(String, Vec<u32>)> = utf8
        .households
        .iter()
        .map(|h| {
            (
                h.address.clone(),
                h.residents.iter().map(|x| x.row).collect(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("帽儿胡同12号".to_owned(), vec![3, 4]),
            ("帽儿胡同14号".to_owned(), vec![7])
        ]
    );
}

#[test]
fn a_csv_with_a_bom_reads_like_one_without() {
    let p = people(4, 2);
    let text = ledger_csv(&p);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let a = dry_run_bytes(text.as_bytes(), None, None, today())
        .unwrap()
        .report;
    let b = dry_run_bytes(&bom, None, None, today()).unwrap().report;
    assert_eq!(a, b);
}

#[test]
fn a_ledger_without_a_name_column_has_no_header_row() {
    let e =
        dry_run_bytes("编号,地址,电话\n1,某处,1\n".as_bytes(), None, None, today()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoHeaderRow);
}

#[test]
fn a_value_merged_down_over_a_household_reaches_each_of_its_rows() {
    let p = people(2, 3);
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    for (c, h) in ["姓名", "公民身份号码", "与户主关系", "现住址"]
        .iter()
        .enumerate()
    {
        s.write_string(0, c as u16, *h).unwrap();
    }
    s.write_string(1, 0, &p[0].name).unwrap();
    s.write_string(1, 1, &p[0].id).unwrap();
    s.write_string(1, 2, "户主").unwrap();
    s.write_string(2, 0, &p[1].name).unwrap();
    s.write_string(2, 1, &p[1].id).unwrap();
    s.write_string(2, 2, "配偶").unwrap();
    s.merge_range(
        1,
        3,
        2,
        3,
        "东风新村2栋3单元401室",
        &rust_xlsxwriter::Format::new(),
    )
    .unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let r = dry_run_bytes(&bytes, None, None, today()).unwrap().report;
    assert!(r.problems.is_empty(), "{:?}", problems(&r));
    assert_eq!(r.household_count, 1);
    assert_eq!(r.households[0].address, "东风新村2栋3单元401室");
    assert_eq!(r.households[0].residents.len(), 2);
}
