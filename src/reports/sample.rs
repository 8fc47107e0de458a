//! A realistic report (a province union, 13 indicators, 30 child units) for tests, benches
//! and for looking at the rendered PDF.

use chrono::{NaiveDate, TimeZone, Utc};

use crate::domain::collation;
use crate::domain::indicators::report::{
    ChildFigure, GroupRow, IndicatorRow, Kind, Period, Report, ReportCoverage, Tally, count_row,
    lagging_children, met, overall_row, rate, rate_row,
};

const TITLES: [(&str, &str, Kind); 13] = [
    (
        "1.1",
        "Tỷ lệ đoàn viên được học tập, quán triệt nghị quyết của Đảng, của Đoàn",
        Kind::Rate,
    ),
    (
        "1.2",
        "Tỷ lệ cán bộ Đoàn hoàn thành chương trình lý luận chính trị",
        Kind::Rate,
    ),
    (
        "1.3",
        "Tỷ lệ thanh niên tham gia cuộc thi tìm hiểu lịch sử Đảng bộ tỉnh",
        Kind::Rate,
    ),
    (
        "2.1",
        "Số buổi sinh hoạt chủ điểm tổ chức trong năm",
        Kind::Count,
    ),
    (
        "2.2",
        "Tỷ lệ đoàn viên được đánh giá, xếp loại hằng năm",
        Kind::Rate,
    ),
    (
        "2.3",
        "Tỷ lệ đoàn viên hoàn thành khóa học “Học tập lý luận chính trị” trên nền tảng",
        Kind::Rate,
    ),
    (
        "3.1",
        "Tỷ lệ thanh niên được giới thiệu việc làm, học nghề",
        Kind::Rate,
    ),
    (
        "3.2",
        "Số công trình, phần việc thanh niên thực hiện",
        Kind::Count,
    ),
    (
        "4.1",
        "Tỷ lệ thiếu nhi được tham gia hoạt động hè",
        Kind::Rate,
    ),
    (
        "4.2",
        "Tỷ lệ đoàn viên ưu tú được giới thiệu kết nạp Đảng",
        Kind::Rate,
    ),
    ("5.1", "Tỷ lệ chi đoàn được xếp loại vững mạnh", Kind::Rate),
    (
        "5.2",
        "Tỷ lệ đoàn viên sử dụng ứng dụng “Thanh niên Việt Nam”",
        Kind::Rate,
    ),
    (
        "5.3",
        "Tỷ lệ cơ sở Đoàn tổ chức đối thoại với thanh niên",
        Kind::Rate,
    ),
];

const PLACES: [&str; 30] = [
    "Long Xuyên",
    "Châu Đốc",
    "Tân Châu",
    "An Phú",
    "Châu Phú",
    "Châu Thành",
    "Chợ Mới",
    "Phú Tân",
    "Thoại Sơn",
    "Tịnh Biên",
    "Tri Tôn",
    "Mỹ Bình",
    "Mỹ Long",
    "Mỹ Xuyên",
    "Bình Đức",
    "Mỹ Thạnh",
    "Mỹ Thới",
    "Vĩnh Mỹ",
    "Núi Sam",
    "Vĩnh Ngươn",
    "Long Sơn",
    "Long Hưng",
    "Phú Vĩnh",
    "Ô Long Vỹ",
    "Đa Phước",
    "Khánh Hòa",
    "Ba Chúc",
    "Óc Eo",
    "Ứng Hòa",
    "Ẳng Ởng",
];

/// Deterministic, so the rendered bytes and pictures stay the same between runs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A province union's 2026 report: 13 indicators (two of them counts), each with 30 child
/// units, one with a very long name and one with nobody counted.
pub fn example() -> Report {
    let mut rng = Lcg(2026);
    let mut units: Vec<(i32, String)> = PLACES
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let name = match i {
                0 => format!("Đoàn Thanh niên Cộng sản Hồ Chí Minh phường {p} thuộc thành phố"),
                _ if i % 3 == 0 => format!("Huyện đoàn {p}"),
                _ => format!("Đoàn xã {p}"),
            };
            (i as i32 + 100, name)
        })
        .collect();
    units.sort_by(|a, b| collation::compare(&a.1, &b.1));

    let indicators = TITLES
        .iter()
        .enumerate()
        .map(|(n, (code, title, kind))| {
            let target = [0.9, 0.8, 0.7, 0.95, 0.6][n % 5];
            match kind {
                Kind::Rate => rate_indicator(&mut rng, code, title, target, &units, n),
                Kind::Count => count_indicator(&mut rng, code, title, &units),
            }
        })
        .collect();

    Report {
        unit_id: 1,
        unit_name: "Tỉnh đoàn An Giang".to_owned(),
        year: 2026,
        phase: "2030".to_owned(),
        phase_title: "Nhiệm kỳ 2022–2027, định hướng đến năm 2030".to_owned(),
        period: Period {
            from: day(2026, 1, 1),
            to: day(2026, 12, 31),
            cutoff: day(2026, 12, 15),
            deadline: day(2027, 1, 15),
        },
        generated_at: Utc
            .with_ymd_and_hms(2026, 11, 30, 20, 30, 0)
            .single()
            .unwrap_or_default(),
        self_declared: 37,
        indicators,
    }
}

fn rate_indicator(
    rng: &mut Lcg,
    code: &str,
    title: &str,
    target: f64,
    units: &[(i32, String)],
    n: usize,
) -> IndicatorRow {
    let mut children = Vec::new();
    let mut overall = Tally::default();
    let mut groups = [(Tally::default(), 0.9), (Tally::default(), target)];
    for (i, (id, name)) in units.iter().enumerate() {
        let people = if i == 7 { 0 } else { 40 + rng.next(400) };
        let done = if people == 0 {
            0
        } else {
            people * (45 + rng.next(56)) / 100
        };
        let cadres = people / 10;
        let cadres_done = cadres.min(done);
        groups[0].0.add_many(true, cadres_done);
        groups[0].0.add_many(false, cadres - cadres_done);
        groups[1].0.add_many(true, done - cadres_done);
        groups[1]
            .0
            .add_many(false, people - cadres - (done - cadres_done));
        overall.add_many(true, done);
        overall.add_many(false, people - done);
        children.push(ChildFigure {
            unit_id: *id,
            unit_name: name.clone(),
            numerator: done,
            denominator: people,
            rate: rate(done, people),
            target,
            met: met(done, people, target),
        });
    }
    let rows = vec![
        rate_row("cadre", "Cán bộ Đoàn", groups[0].0, groups[0].1),
        rate_row("member", "Đoàn viên", groups[1].0, groups[1].1),
    ];
    let mut all = vec![overall_row(overall, &rows)];
    all.extend(rows);
    let lagging = lagging_children(&children);
    IndicatorRow {
        code: code.to_owned(),
        key: format!("chi-tieu-{code}"),
        title: title.to_owned(),
        measured: n == 5,
        kind: Kind::Rate,
        per: None,
        groups: all,
        lagging,
        children,
        reports: (n != 5).then_some(ReportCoverage {
            submitted: 27,
            expected: 31,
        }),
    }
}

fn count_indicator(
    rng: &mut Lcg,
    code: &str,
    title: &str,
    units: &[(i32, String)],
) -> IndicatorRow {
    let minimum = 4.0;
    let children: Vec<ChildFigure> = units
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            let value = (i != 4).then(|| rng.next(9));
            let row: GroupRow = count_row("overall", "Chung", value, minimum);
            ChildFigure {
                unit_id: *id,
                unit_name: name.clone(),
                numerator: row.numerator,
                denominator: row.denominator,
                rate: row.rate,
                target: minimum,
                met: row.met,
            }
        })
        .collect();
    let total: u64 = children.iter().map(|c| c.numerator).sum();
    IndicatorRow {
        code: code.to_owned(),
        key: format!("chi-tieu-{code}"),
        title: title.to_owned(),
        measured: false,
        kind: Kind::Count,
        per: Some("năm".to_owned()),
        groups: vec![count_row("overall", "Chung", Some(total / 30), minimum)],
        lagging: Vec::new(),
        children,
        reports: Some(ReportCoverage {
            submitted: 29,
            expected: 31,
        }),
    }
}
