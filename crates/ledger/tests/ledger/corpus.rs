//! Invented people and the spreadsheets they are written into. Every name, ID number and
//! phone here is made up (ID numbers by core's `invented_id_number`).

use chrono::NaiveDate;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use wangge_core::{IdNumber, Sex};

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

/// An invented person.
#[derive(Clone)]
pub struct Person {
    pub name: String,
    pub id: String,
    pub phone: String,
}

impl Person {
    pub fn birth(&self) -> NaiveDate {
        IdNumber::parse(&self.id, today()).unwrap().birth_date()
    }
    pub fn sex(&self) -> &'static str {
        match IdNumber::parse(&self.id, today()).unwrap().sex() {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
    pub fn other_sex(&self) -> &'static str {
        if self.sex() == "男" { "女" } else { "男" }
    }
}

/// `n` invented people, distinct ID numbers, deterministic for `seed`.
pub fn people(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(seed);
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    let given = ["伟", "芳", "秀英", "建国", "海燕", "子涵", "浩然", "玉兰"];
    let mut seen = std::collections::HashSet::new();
    let mut out = vec![];
    let mut i = 0usize;
    while out.len() < n {
        let id = wangge_core::demo::invented_id_number(&mut rng, 1940 + (i % 70) as i32);
        i += 1;
        if !seen.insert(id.clone()) {
            continue;
        }
        let k = out.len();
        out.push(Person {
            name: format!("{}{}", surnames[k % 8], given[(k / 8) % 8]),
            id,
            phone: format!("139{:08}", 10_000_000 + k * 7919 % 90_000_000),
        });
    }
    out
}

/// A wrong check character for `id`.
pub fn bad_check(id: &str) -> String {
    let last = id.as_bytes()[17];
    let wrong = if last == b'1' { '2' } else { '1' };
    format!("{}{wrong}", &id[..17])
}

pub const HEADER: [&str; 13] = [
    "姓名",
    "性别",
    "公民身份号码",
    "出生日期",
    "民族",
    "与户主关系",
    "手机号码",
    "楼栋",
    "单元",
    "房号",
    "人户状态",
    "特殊人群",
    "备注",
];

/// What goes in a date cell.
pub enum When {
    Date(NaiveDate),
    Serial(NaiveDate),
    Text(String),
}

/// One data row of the main corpus workbook.
pub struct Line {
    pub name: String,
    pub sex: String,
    /// The ID as text, or as a number cell (what Excel does to an unformatted column).
    pub id: Result<String, f64>,
    pub birth: When,
    pub relation: &'static str,
    pub phone: String,
    pub building: &'static str,
    pub unit: &'static str,
    pub room: &'static str,
    pub status: &'static str,
    pub tags: &'static str,
}

impl Line {
    pub fn of(
        p: &Person,
        relation: &'static str,
        at: (&'static str, &'static str, &'static str),
    ) -> Self {
        Line {
            name: p.name.clone(),
            sex: p.sex().to_owned(),
            id: Ok(p.id.clone()),
            birth: When::Date(p.birth()),
            relation,
            phone: p.phone.clone(),
            building: at.0,
            unit: at.1,
            room: at.2,
            status: "人户一致",
            tags: "",
        }
    }
}

fn serial(d: NaiveDate) -> f64 {
    (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

/// The main corpus: an extra sheet first, then a ledger with a merged title row, a blank
/// row under it, the header on row 3, and `lines` from row 4 on (`None`: a blank row).
pub fn ledger_xlsx(lines: &[Option<Line>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("填表说明").unwrap();
    notes
        .write_string(0, 0, "身份证号码请设置为文本格式")
        .unwrap();
    notes.write_string(2, 0, "联系电话填写手机号").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("居民台账").unwrap();
    let title = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 12, "幸福社区第一网格居民台账", &title)
        .unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let mut r = 3u32;
    for line in lines {
        let Some(l) = line else {
            r += 1;
            continue;
        };
        sheet.write_string(r, 0, &l.name).unwrap();
        sheet.write_string(r, 1, &l.sex).unwrap();
        match &l.id {
            Ok(s) => sheet.write_string(r, 2, s).map(drop).unwrap(),
            Err(n) => sheet.write_number(r, 2, *n).map(drop).unwrap(),
        }
        match &l.birth {
            When::Date(d) => {
                let dt = ExcelDateTime::from_ymd(d.year_u16(), d.month_u8(), d.day_u8()).unwrap();
                sheet
                    .write_datetime_with_format(r, 3, &dt, &date_fmt)
                    .unwrap();
            }
            When::Serial(d) => {
                sheet.write_number(r, 3, serial(*d)).unwrap();
            }
            When::Text(t) => {
                sheet.write_string(r, 3, t).unwrap();
            }
        }
        sheet.write_string(r, 4, "汉族").unwrap();
        sheet.write_string(r, 5, l.relation).unwrap();
        sheet.write_string(r, 6, &l.phone).unwrap();
        sheet.write_string(r, 7, l.building).unwrap();
        sheet.write_string(r, 8, l.unit).unwrap();
        sheet.write_string(r, 9, l.room).unwrap();
        sheet.write_string(r, 10, l.status).unwrap();
        if !l.tags.is_empty() {
            sheet.write_string(r, 11, l.tags).unwrap();
        }
        r += 1;
    }
    book.save_to_buffer().unwrap()
}

trait Ymd {
    fn year_u16(&self) -> u16;
    fn month_u8(&self) -> u8;
    fn day_u8(&self) -> u8;
}

impl Ymd for NaiveDate {
    fn year_u16(&self) -> u16 {
        chrono::Datelike::year(self) as u16
    }
    fn month_u8(&self) -> u8 {
        chrono::Datelike::month(self) as u8
    }
    fn day_u8(&self) -> u8 {
        chrono::Datelike::day(self) as u8
    }
}

pub const A: (&str, &str, &str) = ("3", "1", "101");
pub const B: (&str, &str, &str) = ("5", "2", "202");
pub const C: (&str, &str, &str) = ("7", "1", "301");

/// The main corpus's lines: three clean households (rows 4, 5, 7; 16, 17; 18) and one
/// problem on each of rows 8–15. Row 6 is blank.
pub fn main_lines(p: &[Person]) -> Vec<Option<Line>> {
    let mut l = vec![];
    l.push(Some(Line::of(&p[0], "户主", A))); // row 4: real date cell
    let mut spouse = Line::of(&p[1], "妻", A); // row 5: serial-number date
    spouse.birth = When::Serial(p[1].birth());
    l.push(Some(spouse));
    l.push(None); // row 6: blank
    let mut child = Line::of(&p[2], "长子", A); // row 7: text date
    let b = p[2].birth();
    child.birth = When::Text(format!(
        "{}年{}月{}日",
        chrono::Datelike::year(&b),
        chrono::Datelike::month(&b),
        chrono::Datelike::day(&b)
    ));
    l.push(Some(child));
    let mut rounded = Line::of(&p[3], "户主", B); // row 8: ID as a number
    rounded.id = Err(p[3].id[..17].parse::<f64>().unwrap() * 10.0);
    l.push(Some(rounded));
    let mut check = Line::of(&p[4], "子", B); // row 9
    check.id = Ok(bad_check(&p[4].id));
    l.push(Some(check));
    l.push(Some(Line::of(&p[0], "其他", B))); // row 10: same ID as row 4
    let mut short = Line::of(&p[5], "女", B); // row 11
    short.phone = "1391234".into();
    l.push(Some(short));
    let mut tag = Line::of(&p[6], "孙子", B); // row 12
    tag.tags = "网红";
    l.push(Some(tag));
    let mut noname = Line::of(&p[7], "其他", B); // row 13
    noname.name = String::new();
    l.push(Some(noname));
    let mut birth = Line::of(&p[8], "其他", B); // row 14
    birth.birth = When::Text("1901-02-03".into());
    l.push(Some(birth));
    let mut sex = Line::of(&p[9], "其他", B); // row 15
    sex.sex = p[9].other_sex().into();
    l.push(Some(sex));
    l.push(Some(Line::of(&p[10], "户主", B))); // row 16
    l.push(Some(Line::of(&p[11], "配偶", B))); // row 17
    let mut alone = Line::of(&p[12], "户主", C); // row 18
    alone.tags = "独居老人、低保";
    l.push(Some(alone));
    l
}

/// A CSV ledger: a title line, the header on line 2, street addresses, dates as text.
pub fn ledger_csv(p: &[Person]) -> String {
    let mut s = String::from("幸福社区居民花名册,,,,,,\n");
    s.push_str("姓名,性别,身份证号码,出生日期,联系电话,与户主关系,现住址,户籍类别,重点人员类别\n");
    let row = |x: &Person, rel: &str, addr: &str, date: String, tags: &str| {
        format!(
            "{},{},{},{},{},{},{},户籍人口,{}\n",
            x.name,
            x.sex(),
            x.id,
            date,
            x.phone,
            rel,
            addr,
            tags
        )
    };
    let ymd = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let slash = |d: NaiveDate| d.format("%Y/%-m/%-d").to_string();
    s.push_str(&row(
        &p[0],
        "户主",
        "帽儿胡同12号",
        ymd(p[0].birth()),
        "党员",
    )); // 3
    s.push_str(&row(&p[1], "配偶", "帽儿胡同12号", slash(p[1].birth()), "")); // 4
    s.push('\n'); // 5: blank
    s.push_str(&format!(
        "{},{},1.10105E+17,,,户主,帽儿胡同14号,户籍人口,\n",
        p[2].name,
        p[2].sex()
    )); // 6
    s.push_str(&row(
        &p[3],
        "户主",
        "帽儿胡同14号",
        ymd(p[3].birth()),
        "残疾二级",
    )); // 7
    s
}
