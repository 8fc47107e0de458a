//! The catalogue of indicators: shipped as YAML (`question-banks/indicators/`), extended by
//! admins through the API with the same shape, validated the same way.

use std::collections::{BTreeMap, HashMap, HashSet};

use marked_yaml::Spanned;
use serde::{Deserialize, Serialize};
use unicode_normalization::is_nfc;
use utoipa::ToSchema;

use crate::domain::{
    banks::{
        FileError, Problems, nfc, valid_slug,
        yaml::{Bounds, find_key, guard, load_error, translate},
    },
    person::Category,
    text::has_hidden,
};

/// A phase of the plan, e.g. "Chỉ tiêu đến năm 2025", applying by default to the years
/// `first_year..=last_year` (admins may map a year to another phase).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// `"2025"`, `"2030"`.
    pub key: String,
    pub title: String,
    pub first_year: i32,
    pub last_year: i32,
}

/// How an indicator gets its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Counted here: people of the groups who completed one of the indicator's courses in the
    /// period, of all people of the groups on the unit's rosters at the cut-off.
    CourseCompletion,
    /// Reported by units: a numerator and a denominator (pages connected of all pages).
    ReportedRate,
    /// Reported by units: a number against a minimum (posts per week).
    ReportedCount,
}

impl Measure {
    pub fn measured(self) -> bool {
        self == Measure::CourseCompletion
    }
}

/// A counted group of people (or, for reported indicators, of things) with its own target
/// per phase: 1.6 has cadres 90%, members 80%, youth 70%, children 70%.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Stable within the indicator, e.g. `"can-bo"`.
    pub key: String,
    pub title: String,
    /// Who is counted (course-completion indicators); empty for reported ones.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Target per phase key: a share 0–1 for rates, a minimum number for counts.
    pub targets: BTreeMap<String, f64>,
}

/// One indicator, the same across phases (1.3 in the 2025 phase is 2.3 in the 2030 one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable slug, e.g. `"ly-luan-chinh-tri"`.
    pub key: String,
    /// Its code per phase key: `{"2025": "1.3", "2030": "2.3"}`.
    pub codes: BTreeMap<String, String>,
    /// A short Vietnamese title for tables.
    pub title: String,
    /// The plan's own words per phase key.
    pub wording: BTreeMap<String, String>,
    pub measure: Measure,
    /// Who is counted, in Vietnamese.
    pub counted: String,
    /// How it is measured, in Vietnamese.
    pub method: String,
    /// For `reported_count`: what the number is counted per ("tuần", "năm").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// Course slugs whose completion counts (course-completion indicators); admins link more.
    #[serde(default)]
    pub courses: Vec<String>,
    pub groups: Vec<Group>,
}

/// The whole catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Catalogue {
    pub phases: Vec<Phase>,
    pub indicators: Vec<Indicator>,
}

impl Catalogue {
    /// The phase a year falls in by default.
    pub fn phase_of_year(&self, year: i32) -> Option<&Phase> {
        self.phases
            .iter()
            .find(|p| (p.first_year..=p.last_year).contains(&year))
    }

    pub fn phase(&self, key: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.key == key)
    }

    pub fn indicator(&self, key: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.key == key)
    }

    /// The indicator with `code` in `phase` ("2.3" in "2030").
    pub fn by_code(&self, phase: &str, code: &str) -> Option<&Indicator> {
        self.indicators
            .iter()
            .find(|i| i.codes.get(phase).is_some_and(|c| c == code))
    }
}

// ── Limits ────────────────────────────────────────────────────────────────────────────────
// The plan has 13 indicators of at most 4 groups in 2 phases; each cap leaves ample room for
// other plans while keeping a hostile file or API body to a few MB of work.

/// Largest catalogue file, in bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Indicators in one catalogue.
pub const MAX_INDICATORS: usize = 200;
/// Groups of one indicator.
pub const MAX_GROUPS: usize = 20;
/// Phases of one catalogue.
pub const MAX_PHASES: usize = 20;
/// Courses linked to one indicator by the catalogue itself.
pub const MAX_COURSES: usize = 50;
/// Characters of one text field (title, wording, counted, method, a group's title).
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Characters of a code ("1.13") or of `per` ("tuần").
pub const MAX_SHORT_CHARS: usize = 32;

/// The catalogue's nesting is 6 deep (file, indicators, indicator, groups, group, targets);
/// a node count of ~450 an indicator at the caps; a scalar of 2,000 four-byte characters.
const BOUNDS: Bounds = Bounds {
    max_bytes: MAX_FILE_BYTES,
    max_depth: 8,
    max_nodes: 120_000,
    max_scalar_bytes: 4 * MAX_TEXT_CHARS,
};

/// The catalogue shipped with the project, embedded so the binary needs no source tree.
const SHIPPED: &str = include_str!("../../../question-banks/indicators/chi-tieu-311.yaml");
const SHIPPED_NAME: &str = "indicators/chi-tieu-311.yaml";

/// One problem found by a check: the field's path (`groups[1].targets.2030`, relative to what
/// was checked) and a Vietnamese message.
pub type FieldProblem = (String, String);

// ── Checks shared by files and the API ────────────────────────────────────────────────────

/// What is wrong with one text field, if anything. The parser normalises before checking, so
/// the NFC and trimming rules only ever refuse API bodies that skipped [`Indicator::normalise`].
fn text_problem(value: &str, what: &str, max_chars: usize) -> Option<String> {
    if value.trim().is_empty() {
        return Some(format!("{what} đang để trống"));
    }
    let chars = value.chars().count();
    if chars > max_chars {
        return Some(format!(
            "{what} dài {chars} ký tự, tối đa {max_chars} ký tự"
        ));
    }
    if has_hidden(value) {
        return Some(format!(
            "{what} chứa ký tự ẩn hoặc ký tự điều khiển (như NUL, xuống dòng, ký tự định hướng)"
        ));
    }
    if value.trim() != value {
        return Some(format!("{what} có khoảng trắng thừa ở đầu hoặc cuối"));
    }
    if !is_nfc(value) {
        return Some(format!("{what} chưa được chuẩn hóa Unicode (NFC)"));
    }
    None
}

/// Checks the phases of a catalogue: at least one, keys unique slugs, titles set, each
/// phase's years ordered and after the previous phase's (phases never overlap).
pub fn check_phases(phases: &[Phase]) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    if phases.is_empty() {
        out.push((
            "phases".to_owned(),
            "Danh mục chưa có giai đoạn nào (phases)".to_owned(),
        ));
        return out;
    }
    if phases.len() > MAX_PHASES {
        out.push((
            "phases".to_owned(),
            format!(
                "Danh mục có {} giai đoạn, tối đa {MAX_PHASES}",
                phases.len()
            ),
        ));
        return out;
    }
    let mut keys = HashSet::new();
    let mut previous: Option<&Phase> = None;
    for (i, p) in phases.iter().enumerate() {
        let at = |field: &str| format!("phases[{i}].{field}");
        if !valid_slug(&p.key) {
            out.push((
                at("key"),
                format!(
                    "Mã giai đoạn \"{}\" không hợp lệ (chữ thường không dấu, số, '-')",
                    p.key
                ),
            ));
        } else if !keys.insert(p.key.as_str()) {
            out.push((at("key"), format!("Mã giai đoạn \"{}\" bị trùng", p.key)));
        }
        if let Some(m) = text_problem(
            &p.title,
            &format!("Tên giai đoạn \"{}\"", p.key),
            MAX_TEXT_CHARS,
        ) {
            out.push((at("title"), m));
        }
        if p.first_year > p.last_year {
            out.push((
                at("last_year"),
                format!(
                    "Giai đoạn \"{}\": năm kết thúc ({}) trước năm bắt đầu ({})",
                    p.key, p.last_year, p.first_year
                ),
            ));
        }
        if let Some(prev) = previous
            && p.first_year <= prev.last_year
        {
            out.push((
                at("first_year"),
                format!(
                    "Giai đoạn \"{}\" phải bắt đầu sau năm {} (năm kết thúc của giai đoạn \"{}\"): các giai đoạn xếp theo thứ tự thời gian và không chồng lên nhau",
                    p.key, prev.last_year, prev.key
                ),
            ));
        }
        previous = Some(p);
    }
    out
}

/// The keys of `map` that are not phases, as problems at `field.key`.
fn unknown_phases<V>(
    map: &BTreeMap<String, V>,
    phases: &[Phase],
    field: &str,
    what: &str,
    out: &mut Vec<FieldProblem>,
) {
    for k in map.keys() {
        if !phases.iter().any(|p| &p.key == k) {
            out.push((
                format!("{field}.{k}"),
                format!("{what} cho giai đoạn \"{k}\", nhưng danh mục không có giai đoạn này"),
            ));
        }
    }
}

/// Checks one indicator against the catalogue's phases: every rule that does not depend on the
/// other indicators (for those, [`Catalogue::clashes`]). Paths are relative to the indicator
/// (`codes.2030`, `groups[0].targets.2025`). Empty when the indicator is valid.
pub fn check_indicator(ind: &Indicator, phases: &[Phase]) -> Vec<FieldProblem> {
    let mut out: Vec<FieldProblem> = Vec::new();
    let name = format!("Chỉ tiêu \"{}\"", ind.key);
    let mut push = |path: String, message: String| out.push((path, message));

    if !valid_slug(&ind.key) {
        push(
            "key".into(),
            format!(
                "Mã chỉ tiêu \"{}\" không hợp lệ (chữ thường không dấu, số, '-', tối đa 64 ký tự)",
                ind.key
            ),
        );
    }
    for (field, value, what) in [
        ("title", &ind.title, "tên (title)"),
        ("counted", &ind.counted, "đối tượng tính (counted)"),
        ("method", &ind.method, "cách đo (method)"),
    ] {
        if let Some(m) = text_problem(value, &format!("{name}: {what}"), MAX_TEXT_CHARS) {
            push(field.into(), m);
        }
    }

    for (field, map, what, max) in [
        ("codes", &ind.codes, "mã số (codes)", MAX_SHORT_CHARS),
        (
            "wording",
            &ind.wording,
            "nội dung theo kế hoạch (wording)",
            MAX_TEXT_CHARS,
        ),
    ] {
        for p in phases {
            match map.get(&p.key) {
                None => push(
                    field.into(),
                    format!("{name}: thiếu {what} cho giai đoạn \"{}\"", p.key),
                ),
                Some(v) => {
                    if let Some(m) = text_problem(
                        v,
                        &format!("{name}: {what} của giai đoạn \"{}\"", p.key),
                        max,
                    ) {
                        push(format!("{field}.{}", p.key), m);
                    }
                }
            }
        }
    }
    let mut extra = Vec::new();
    unknown_phases(
        &ind.codes,
        phases,
        "codes",
        &format!("{name} có mã số"),
        &mut extra,
    );
    unknown_phases(
        &ind.wording,
        phases,
        "wording",
        &format!("{name} có nội dung"),
        &mut extra,
    );

    match (ind.measure, &ind.per) {
        (Measure::ReportedCount, None) => push(
            "measure".into(),
            format!(
                "{name}: loại reported_count cần trường per (số lượng tính theo gì, ví dụ \"tuần\", \"năm\")"
            ),
        ),
        (Measure::ReportedCount, Some(per)) => {
            if let Some(m) = text_problem(per, &format!("{name}: trường per"), MAX_SHORT_CHARS) {
                push("per".into(), m);
            }
        }
        (_, Some(_)) => push(
            "per".into(),
            format!("{name}: trường per chỉ dùng cho loại reported_count"),
        ),
        (_, None) => {}
    }

    if !ind.measure.measured() && !ind.courses.is_empty() {
        push(
            "courses".into(),
            format!(
                "{name}: chỉ tiêu do đơn vị báo cáo không gắn khóa học (courses phải để trống)"
            ),
        );
    } else if ind.courses.len() > MAX_COURSES {
        push(
            "courses".into(),
            format!(
                "{name} gắn {} khóa học, tối đa {MAX_COURSES}",
                ind.courses.len()
            ),
        );
    } else {
        let mut seen = HashSet::new();
        for (j, c) in ind.courses.iter().enumerate() {
            if !valid_slug(c) {
                push(
                    format!("courses[{j}]"),
                    format!(
                        "{name}: mã khóa học \"{c}\" không hợp lệ (chữ thường không dấu, số, '-')"
                    ),
                );
            } else if !seen.insert(c.as_str()) {
                push(
                    format!("courses[{j}]"),
                    format!("{name}: khóa học \"{c}\" bị lặp"),
                );
            }
        }
    }

    if ind.groups.is_empty() {
        push("groups".into(), format!("{name} chưa có nhóm nào (groups)"));
    } else if ind.groups.len() > MAX_GROUPS {
        push(
            "groups".into(),
            format!("{name} có {} nhóm, tối đa {MAX_GROUPS}", ind.groups.len()),
        );
    } else {
        let mut keys = HashSet::new();
        for (g, group) in ind.groups.iter().enumerate() {
            let at = |field: &str| format!("groups[{g}].{field}");
            let gname = format!("{name}, nhóm \"{}\"", group.key);
            if !valid_slug(&group.key) {
                push(
                    at("key"),
                    format!(
                        "{name}: mã nhóm \"{}\" không hợp lệ (chữ thường không dấu, số, '-')",
                        group.key
                    ),
                );
            } else if !keys.insert(group.key.as_str()) {
                push(
                    at("key"),
                    format!("{name}: mã nhóm \"{}\" bị trùng", group.key),
                );
            }
            if let Some(m) = text_problem(
                &group.title,
                &format!("{gname}: tên (title)"),
                MAX_TEXT_CHARS,
            ) {
                push(at("title"), m);
            }
            if ind.measure.measured() {
                if group.categories.is_empty() {
                    push(
                        at("categories"),
                        format!(
                            "{gname}: cần ít nhất một đối tượng (categories: cadre, member, new_member, association_member, youth, child)"
                        ),
                    );
                }
                let mut seen = HashSet::new();
                for (c, cat) in group.categories.iter().enumerate() {
                    if !seen.insert(*cat) {
                        push(
                            format!("groups[{g}].categories[{c}]"),
                            format!("{gname}: đối tượng \"{}\" bị lặp", category_code(*cat)),
                        );
                    }
                }
            } else if !group.categories.is_empty() {
                push(
                    at("categories"),
                    format!(
                        "{gname}: chỉ tiêu do đơn vị báo cáo không chia theo đối tượng (categories phải để trống)"
                    ),
                );
            }
            for p in phases {
                match group.targets.get(&p.key) {
                    None => push(
                        at("targets"),
                        format!("{gname}: thiếu chỉ tiêu cho giai đoạn \"{}\"", p.key),
                    ),
                    Some(t) => {
                        let path = format!("groups[{g}].targets.{}", p.key);
                        if !t.is_finite() {
                            push(
                                path,
                                format!("{gname}: chỉ tiêu giai đoạn \"{}\" phải là một số", p.key),
                            );
                        } else if ind.measure == Measure::ReportedCount {
                            if *t < 0.0 {
                                push(
                                    path,
                                    format!(
                                        "{gname}: chỉ tiêu giai đoạn \"{}\" là số lượng tối thiểu, không được âm ({t})",
                                        p.key
                                    ),
                                );
                            }
                        } else if !(0.0..=1.0).contains(t) {
                            push(
                                path,
                                format!(
                                    "{gname}: chỉ tiêu giai đoạn \"{}\" là tỷ lệ từ 0 đến 1 (0.8 là 80%), không phải {t}",
                                    p.key
                                ),
                            );
                        }
                    }
                }
            }
            unknown_phases(
                &group.targets,
                phases,
                &format!("groups[{g}].targets"),
                &format!("{gname} có chỉ tiêu"),
                &mut extra,
            );
        }
    }
    out.extend(extra);
    out
}

/// The serde name of a category ("new_member"), as files and the API spell it.
fn category_code(c: Category) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn parse_category(s: &str) -> Option<Category> {
    Category::ALL.into_iter().find(|c| category_code(*c) == s)
}

fn parse_measure(s: &str) -> Option<Measure> {
    match s {
        "course_completion" => Some(Measure::CourseCompletion),
        "reported_rate" => Some(Measure::ReportedRate),
        "reported_count" => Some(Measure::ReportedCount),
        _ => None,
    }
}

/// The key and code clashes of `ind` with `others`.
fn clashes_with(others: &[Indicator], ind: &Indicator) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    if others.iter().any(|o| o.key == ind.key) {
        out.push((
            "key".to_owned(),
            format!("Mã chỉ tiêu \"{}\" bị trùng", ind.key),
        ));
    }
    for (phase, code) in &ind.codes {
        if let Some(o) = others
            .iter()
            .find(|o| o.codes.get(phase).is_some_and(|c| c == code))
        {
            out.push((
                format!("codes.{phase}"),
                format!(
                    "Mã số \"{code}\" của giai đoạn \"{phase}\" đã dùng cho chỉ tiêu \"{}\"",
                    o.key
                ),
            ));
        }
    }
    out
}

impl Indicator {
    /// Trims and NFC-normalises every text field and key, as the file parser does; the API
    /// calls it on a body before [`check_indicator`].
    pub fn normalise(&mut self) {
        let map = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            m.iter().map(|(k, v)| (nfc(k), nfc(v))).collect()
        };
        self.key = nfc(&self.key);
        self.codes = map(&self.codes);
        self.title = nfc(&self.title);
        self.wording = map(&self.wording);
        self.counted = nfc(&self.counted);
        self.method = nfc(&self.method);
        self.per = self.per.as_deref().map(nfc);
        self.courses = self.courses.iter().map(|c| nfc(c)).collect();
        for g in &mut self.groups {
            g.key = nfc(&g.key);
            g.title = nfc(&g.title);
            g.targets = g.targets.iter().map(|(k, v)| (nfc(k), *v)).collect();
        }
    }
}

impl Catalogue {
    /// How `ind` clashes with the indicators already here: the same key, or a code another
    /// indicator has in the same phase. To check an edit of an indicator, ask a catalogue
    /// without it.
    pub fn clashes(&self, ind: &Indicator) -> Vec<FieldProblem> {
        clashes_with(&self.indicators, ind)
    }

    /// Every rule on the whole catalogue; paths from its root (`indicators[3].codes.2030`).
    pub fn check(&self) -> Vec<FieldProblem> {
        let mut out = check_phases(&self.phases);
        if self.indicators.len() > MAX_INDICATORS {
            out.push((
                "indicators".to_owned(),
                format!(
                    "Danh mục có {} chỉ tiêu, tối đa {MAX_INDICATORS}",
                    self.indicators.len()
                ),
            ));
            return out;
        }
        for (i, ind) in self.indicators.iter().enumerate() {
            let own = check_indicator(ind, &self.phases);
            let clashes = clashes_with(&self.indicators[..i], ind);
            out.extend(
                own.into_iter()
                    .chain(clashes)
                    .map(|(path, m)| (format!("indicators[{i}].{path}"), m)),
            );
        }
        out
    }

    /// The catalogue shipped with the project (`question-banks/indicators/chi-tieu-311.yaml`,
    /// embedded at build time). Fails only if that file is broken, which a unit test rules out.
    pub fn shipped() -> Result<Catalogue, Vec<FileError>> {
        Catalogue::parse(SHIPPED_NAME, SHIPPED)
    }

    /// Parses and validates a catalogue file (format: `question-banks/README.md`, "Indicator
    /// catalogue"). Text is trimmed and NFC-normalised. Fails with every problem found, each
    /// with the file, line, column and a Vietnamese message.
    pub fn parse(file: &str, text: &str) -> Result<Catalogue, Vec<FileError>> {
        let mut p = Problems::new(file);
        let empty = || Catalogue {
            phases: Vec::new(),
            indicators: Vec::new(),
        };
        if let Err((line, column, message)) = guard(text, &BOUNDS) {
            p.at(line, column, message);
            return p.into_result(empty());
        }
        let node = match marked_yaml::parse_yaml(0, text) {
            Ok(node) => node,
            Err(e) => {
                let (line, column, message) = load_error(&e, "phases, indicators");
                p.at(line, column, message);
                return p.into_result(empty());
            }
        };
        if !required_fields(&node, &mut p) {
            return p.into_result(empty());
        }
        let doc: FileY = match marked_yaml::from_node(&node) {
            Ok(doc) => doc,
            Err(e) => {
                let (line, column) = match (e.start_mark(), &*e) {
                    (Some(m), _) if m.line() > 0 => (m.line(), m.column()),
                    (_, marked_yaml::Error::UnknownFieldError(field, _, _)) => {
                        find_key(text, field)
                    }
                    _ => (0, 0),
                };
                p.at(line, column, translate(&e.to_string()));
                return p.into_result(empty());
            }
        };
        if doc.indicators.len() > MAX_INDICATORS {
            let (l, c) = pos(&doc.indicators);
            p.at(
                l,
                c,
                format!(
                    "Danh mục có {} chỉ tiêu, tối đa {MAX_INDICATORS}",
                    doc.indicators.len()
                ),
            );
            return p.into_result(empty());
        }

        let mut places = Places::default();
        places.put("phases", &doc.phases);
        let phases: Vec<Phase> = doc
            .phases
            .iter()
            .enumerate()
            .map(|(i, sp)| {
                let at = |f: &str| format!("phases[{i}].{f}");
                places.put(&format!("phases[{i}]"), sp);
                places.put(&at("key"), &sp.key);
                places.put(&at("title"), &sp.title);
                places.put(&at("first_year"), &sp.first_year);
                places.put(&at("last_year"), &sp.last_year);
                Phase {
                    key: nfc(&sp.key),
                    title: nfc(&sp.title),
                    first_year: *sp.first_year,
                    last_year: *sp.last_year,
                }
            })
            .collect();

        places.put("indicators", &doc.indicators);
        let mut indicators = Vec::with_capacity(doc.indicators.len());
        for si in doc.indicators.iter() {
            let i = indicators.len();
            if let Some(ind) = indicator(si, &format!("indicators[{i}]"), &mut places, &mut p) {
                indicators.push(ind);
            }
        }
        let catalogue = Catalogue { phases, indicators };
        for (path, message) in catalogue.check() {
            let (l, c) = places.find(&path);
            p.at(l, c, message);
        }
        p.into_result(catalogue)
    }
}

// ── The YAML file ─────────────────────────────────────────────────────────────────────────

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileY {
    phases: Spanned<Vec<Spanned<PhaseY>>>,
    indicators: Spanned<Vec<Spanned<IndicatorY>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseY {
    key: Spanned<String>,
    title: Spanned<String>,
    first_year: Spanned<i32>,
    last_year: Spanned<i32>,
}

type SpannedMap<V> = Spanned<HashMap<Spanned<String>, Spanned<V>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorY {
    key: Spanned<String>,
    codes: SpannedMap<String>,
    title: Spanned<String>,
    wording: SpannedMap<String>,
    measure: Spanned<String>,
    counted: Spanned<String>,
    method: Spanned<String>,
    #[serde(default)]
    per: Option<Spanned<String>>,
    #[serde(default)]
    courses: Option<Spanned<Vec<Spanned<String>>>>,
    groups: Spanned<Vec<Spanned<GroupY>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupY {
    key: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    categories: Option<Spanned<Vec<Spanned<String>>>>,
    targets: SpannedMap<f64>,
}

fn pos<T>(s: &Spanned<T>) -> (usize, usize) {
    s.span().start().map_or((0, 0), |m| (m.line(), m.column()))
}

/// Where each field path of the file starts, so that the checks (which speak of paths) can
/// name lines.
#[derive(Default)]
struct Places(HashMap<String, (usize, usize)>);

impl Places {
    fn put<T>(&mut self, path: &str, s: &Spanned<T>) {
        let at = pos(s);
        if at.0 > 0 {
            self.0.insert(path.to_owned(), at);
        }
    }

    /// The place of `path`, or of the nearest enclosing field that has one.
    fn find(&self, path: &str) -> (usize, usize) {
        let mut path = path;
        loop {
            if let Some(at) = self.0.get(path) {
                return *at;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return (0, 0),
            }
        }
    }
}

/// A map of the file as a sorted map of normalised keys, its places recorded.
fn map_of<V: Clone>(
    m: &SpannedMap<V>,
    path: &str,
    places: &mut Places,
    value: impl Fn(&V) -> V,
) -> BTreeMap<String, V> {
    places.put(path, m);
    m.iter()
        .map(|(k, v)| {
            let k = nfc(k);
            places.put(&format!("{path}.{k}"), v);
            (k, value(v))
        })
        .collect()
}

/// One indicator of the file, with its places under `root`; `None` (and a problem) when its
/// measure or a category is not one we know.
fn indicator(
    si: &Spanned<IndicatorY>,
    root: &str,
    places: &mut Places,
    p: &mut Problems,
) -> Option<Indicator> {
    let y = &**si;
    places.put(root, si);
    let at = |f: &str| format!("{root}.{f}");
    for (f, s) in [
        ("key", &y.key),
        ("title", &y.title),
        ("measure", &y.measure),
        ("counted", &y.counted),
        ("method", &y.method),
    ] {
        places.put(&at(f), s);
    }
    let key = nfc(&y.key);
    let mut known = true;
    let measure = parse_measure(y.measure.trim());
    if measure.is_none() {
        let (l, c) = pos(&y.measure);
        p.at(
            l,
            c,
            format!(
                "Chỉ tiêu \"{key}\": loại \"{}\" không hợp lệ (course_completion, reported_rate, reported_count)",
                *y.measure
            ),
        );
        known = false;
    }
    if let Some(per) = &y.per {
        places.put(&at("per"), per);
    }
    let courses = match &y.courses {
        Some(cs) => {
            places.put(&at("courses"), cs);
            cs.iter()
                .enumerate()
                .map(|(j, c)| {
                    places.put(&format!("{root}.courses[{j}]"), c);
                    nfc(c)
                })
                .collect()
        }
        None => Vec::new(),
    };
    places.put(&at("groups"), &y.groups);
    let mut groups = Vec::with_capacity(y.groups.len());
    for (g, sg) in y.groups.iter().enumerate() {
        let groot = format!("{root}.groups[{g}]");
        places.put(&groot, sg);
        places.put(&format!("{groot}.key"), &sg.key);
        places.put(&format!("{groot}.title"), &sg.title);
        let mut categories = Vec::new();
        if let Some(cs) = &sg.categories {
            places.put(&format!("{groot}.categories"), cs);
            for sc in cs.iter() {
                match parse_category(sc.trim()) {
                    Some(c) => {
                        places.put(&format!("{groot}.categories[{}]", categories.len()), sc);
                        categories.push(c);
                    }
                    None => {
                        let (l, c) = pos(sc);
                        p.at(
                            l,
                            c,
                            format!(
                                "Chỉ tiêu \"{key}\": đối tượng \"{}\" không hợp lệ (cadre, member, new_member, association_member, youth, child)",
                                **sc
                            ),
                        );
                        known = false;
                    }
                }
            }
        }
        groups.push(Group {
            key: nfc(&sg.key),
            title: nfc(&sg.title),
            categories,
            targets: map_of(&sg.targets, &format!("{groot}.targets"), places, |v| *v),
        });
    }
    let indicator = Indicator {
        key,
        codes: map_of(&y.codes, &at("codes"), places, |v| nfc(v)),
        title: nfc(&y.title),
        wording: map_of(&y.wording, &at("wording"), places, |v| nfc(v)),
        measure: measure?,
        counted: nfc(&y.counted),
        method: nfc(&y.method),
        per: y.per.as_deref().map(|s| nfc(s)),
        courses,
        groups,
    };
    known.then_some(indicator)
}

/// Reports every missing required field at the start of its mapping (the deserializer
/// names only the first, and without a place). False when one is missing.
fn required_fields(node: &marked_yaml::Node, p: &mut Problems) -> bool {
    const TOP: &[&str] = &["phases", "indicators"];
    const PHASE: &[&str] = &["key", "title", "first_year", "last_year"];
    const INDICATOR: &[&str] = &[
        "key", "codes", "title", "wording", "measure", "counted", "method", "groups",
    ];
    const GROUP: &[&str] = &["key", "title", "targets"];
    let mut complete = true;
    let mut check = |n: &marked_yaml::Node, fields: &[&str], what: &str| {
        let Some(m) = n.as_mapping() else { return };
        for f in fields {
            if m.get_node(f).is_none() {
                let (l, c) = n.span().start().map_or((0, 0), |s| (s.line(), s.column()));
                p.at(l, c, format!("{what}: thiếu trường bắt buộc \"{f}\""));
                complete = false;
            }
        }
    };
    check(node, TOP, "Danh mục");
    let top = node.as_mapping();
    for ph in items(top.and_then(|m| m.get_node("phases"))) {
        check(ph, PHASE, "Giai đoạn");
    }
    for ind in items(top.and_then(|m| m.get_node("indicators"))) {
        check(ind, INDICATOR, "Chỉ tiêu");
        for g in items(ind.as_mapping().and_then(|m| m.get_node("groups"))) {
            check(g, GROUP, "Nhóm");
        }
    }
    complete
}

/// The items of a sequence node, none when it is absent or not a sequence.
fn items(n: Option<&marked_yaml::Node>) -> &[marked_yaml::Node] {
    n.and_then(|n| n.as_sequence())
        .map_or(&[], |s| s.as_slice())
}

// The bank parser's error wording is private to it and speaks of banks; these speak of the
// catalogue.

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"phases:
  - key: "2025"
    title: Chỉ tiêu đến năm 2025
    first_year: 2023
    last_year: 2025
  - key: "2030"
    title: Chỉ tiêu đến năm 2030
    first_year: 2026
    last_year: 2030
indicators:
  - key: ly-luan
    codes: { "2025": "1.3", "2030": "2.3" }
    title: Lý luận chính trị
    wording:
      "2025": Trên 80% đoàn viên mới.
      "2030": 100% đoàn viên mới.
    measure: course_completion
    counted: Đoàn viên mới kết nạp
    method: Hoàn thành khóa học trong kỳ
    courses: [ly-luan-chinh-tri-doan-vien-moi]
    groups:
      - key: doan-vien-moi
        title: Đoàn viên mới kết nạp
        categories: [new_member]
        targets: { "2025": 0.8, "2030": 1.0 }
  - key: bai-viet
    codes: { "2025": "1.9", "2030": "2.9" }
    title: Bài viết
    wording:
      "2025": Ít nhất 02 bài viết mỗi tuần.
      "2030": Ít nhất 05 bài viết mỗi tuần.
    measure: reported_count
    counted: Bài viết của Tỉnh Đoàn
    method: Tỉnh Đoàn báo cáo
    per: tuần
    groups:
      - key: chung
        title: Bài viết mỗi tuần
        targets: { "2025": 2, "2030": 5 }
"#;

    fn errors(text: &str) -> Vec<FileError> {
        Catalogue::parse("c.yaml", text).unwrap_err()
    }

    /// Asserts that the edited file is refused with an error on `line` saying `needle`.
    #[track_caller]
    fn refused_at(text: &str, line: usize, needle: &str) {
        let e = errors(text);
        assert!(
            e.iter()
                .any(|e| e.line == line && e.message.contains(needle)),
            "expected line {line} saying {needle:?}, got {e:#?}"
        );
        assert!(
            e.iter()
                .all(|e| !e.message.is_empty() && e.file == "c.yaml")
        );
    }

    fn edit(from: &str, to: &str) -> String {
        assert!(GOOD.contains(from), "{from:?} is not in GOOD");
        GOOD.replacen(from, to, 1)
    }

    #[test]
    fn a_good_file_parses() {
        let c = Catalogue::parse("c.yaml", GOOD).unwrap();
        assert_eq!(c.phases.len(), 2);
        assert_eq!(c.indicators.len(), 2);
        let b = c.by_code("2030", "2.9").unwrap();
        assert_eq!(
            (b.measure, b.per.as_deref()),
            (Measure::ReportedCount, Some("tuần"))
        );
        assert_eq!(b.groups[0].targets["2030"], 5.0);
        assert!(b.groups[0].categories.is_empty() && b.courses.is_empty());
        assert_eq!(c.phase_of_year(2026).unwrap().key, "2030");
    }

    #[test]
    fn the_shipped_catalogue_holds_the_plan() {
        let c = Catalogue::shipped().unwrap();
        assert_eq!(c.indicators.len(), 13);
        assert_eq!(
            c.phases,
            vec![
                Phase {
                    key: "2025".into(),
                    title: "Chỉ tiêu đến năm 2025".into(),
                    first_year: 2023,
                    last_year: 2025
                },
                Phase {
                    key: "2030".into(),
                    title: "Chỉ tiêu đến năm 2030".into(),
                    first_year: 2026,
                    last_year: 2030
                },
            ]
        );
        for (k, ind) in c.indicators.iter().enumerate() {
            assert_eq!(ind.codes["2025"], format!("1.{}", k + 1));
            assert_eq!(ind.codes["2030"], format!("2.{}", k + 1));
            for w in ind.wording.values() {
                assert!(is_nfc(w) && !w.contains('*') && !w.contains('\n'), "{w}");
            }
        }
        // Every group's targets, (2025, 2030), as section II of the plan states them.
        let expected: [(&str, &[(f64, f64)]); 13] = [
            ("1.1", &[(0.9, 1.0), (0.8, 0.8)]),
            ("1.2", &[(0.8, 1.0)]),
            ("1.3", &[(0.8, 1.0)]),
            ("1.4", &[(0.7, 0.9)]),
            ("1.5", &[(0.8, 1.0)]),
            ("1.6", &[(0.9, 1.0), (0.8, 0.9), (0.7, 0.8), (0.7, 0.8)]),
            ("1.7", &[(0.8, 0.95)]),
            ("1.8", &[(0.8, 1.0)]),
            ("1.9", &[(2.0, 5.0)]),
            ("1.10", &[(2.0, 5.0)]),
            ("1.11", &[(0.8, 1.0)]),
            ("1.12", &[(1.0, 1.0)]),
            ("1.13", &[(0.7, 0.95)]),
        ];
        for (code, targets) in expected {
            let ind = c.by_code("2025", code).unwrap();
            let got: Vec<(f64, f64)> = ind
                .groups
                .iter()
                .map(|g| (g.targets["2025"], g.targets["2030"]))
                .collect();
            assert_eq!(got, targets, "{code}");
            let measured = ["1.1", "1.2", "1.3", "1.5", "1.6"].contains(&code);
            assert_eq!(ind.measure.measured(), measured, "{code}");
        }
        for (code, per) in [("1.9", "tuần"), ("1.10", "năm")] {
            let ind = c.by_code("2025", code).unwrap();
            assert_eq!(
                (ind.measure, ind.per.as_deref()),
                (Measure::ReportedCount, Some(per))
            );
        }
    }

    #[test]
    fn the_shipped_digital_skills_targets_are_split_as_the_plan_splits_them() {
        use Category::*;
        let c = Catalogue::shipped().unwrap();
        let ind = c.by_code("2030", "2.6").unwrap();
        assert_eq!(ind.codes["2025"], "1.6");
        let got: Vec<(Vec<Category>, f64, f64)> = ind
            .groups
            .iter()
            .map(|g| (g.categories.clone(), g.targets["2025"], g.targets["2030"]))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![Cadre], 0.9, 1.0),
                (vec![Member, NewMember, AssociationMember], 0.8, 0.9),
                (vec![Youth], 0.7, 0.8),
                (vec![Child], 0.7, 0.8),
            ]
        );
        // The line break inside 2.6 is joined.
        assert!(ind.wording["2030"].contains("80% thanh niên được tập huấn"));
    }

    #[test]
    fn the_shipped_new_member_indicator_is_the_political_theory_course() {
        let c = Catalogue::shipped().unwrap();
        let ind = c.by_code("2030", "2.3").unwrap();
        assert_eq!(ind.measure, Measure::CourseCompletion);
        assert_eq!(ind.courses, vec!["ly-luan-chinh-tri-doan-vien-moi"]);
        assert_eq!(ind.groups.len(), 1);
        assert_eq!(ind.groups[0].categories, vec![Category::NewMember]);
        assert_eq!(ind.groups[0].targets["2030"], 1.0);
        assert_eq!(ind.groups[0].targets["2025"], 0.8);
        assert!(ind.wording["2030"].starts_with("100% Đoàn viên kết nạp mới"));
    }

    #[test]
    fn phases_are_required_unique_and_ordered() {
        let no_phases = format!("phases: []\n{}", &GOOD[GOOD.find("indicators:").unwrap()..]);
        refused_at(&no_phases, 1, "chưa có giai đoạn");
        refused_at(&edit("key: \"2030\"", "key: \"2025\""), 6, "bị trùng");
        refused_at(
            &edit("last_year: 2025", "last_year: 2022"),
            5,
            "trước năm bắt đầu",
        );
        refused_at(
            &edit("first_year: 2026", "first_year: 2025"),
            8,
            "không chồng",
        );
        refused_at(
            &edit("key: \"2025\"", "key: \"Hai nghìn\""),
            2,
            "không hợp lệ",
        );
        refused_at(
            &edit("title: Chỉ tiêu đến năm 2030", "title: \"\""),
            7,
            "để trống",
        );
    }

    #[test]
    fn indicator_keys_are_unique_slugs() {
        refused_at(&edit("key: ly-luan", "key: Lý luận"), 11, "không hợp lệ");
        refused_at(&edit("key: bai-viet", "key: ly-luan"), 26, "bị trùng");
    }

    #[test]
    fn every_phase_has_a_unique_code() {
        refused_at(
            &edit("\"2030\": \"2.3\"", "\"2031\": \"2.3\""),
            12,
            "thiếu mã số",
        );
        refused_at(
            &edit("\"2030\": \"2.3\"", "\"2031\": \"2.3\""),
            12,
            "\"2031\"",
        );
        refused_at(
            &edit("\"2025\": \"1.9\"", "\"2025\": \"1.3\""),
            27,
            "đã dùng cho chỉ tiêu \"ly-luan\"",
        );
        refused_at(&edit("\"2025\": \"1.3\"", "\"2025\": \"\""), 12, "để trống");
    }

    #[test]
    fn every_phase_has_its_wording() {
        refused_at(
            &edit("      \"2030\": 100% đoàn viên mới.\n", ""),
            15,
            "thiếu nội dung",
        );
        refused_at(
            &edit("\"2025\": Ít nhất 02", "\"2024\": Ít nhất 02"),
            30,
            "\"2024\"",
        );
    }

    #[test]
    fn texts_are_set_visible_and_short() {
        refused_at(
            &edit("title: Lý luận chính trị", "title: \"\""),
            13,
            "tên (title) đang để trống",
        );
        refused_at(
            &edit("counted: Đoàn viên mới kết nạp", "counted: \" \""),
            18,
            "counted",
        );
        refused_at(
            &edit("method: Tỉnh Đoàn báo cáo", "method: \"\""),
            34,
            "method",
        );
        refused_at(
            &edit(
                "title: Lý luận chính trị",
                "title: \"Lý luận\u{200b} chính trị\"",
            ),
            13,
            "ký tự ẩn",
        );
        refused_at(
            &edit("title: Lý luận chính trị", "title: \"Lý luận\\tchính trị\""),
            13,
            "ký tự ẩn",
        );
        let long = "ệ".repeat(MAX_TEXT_CHARS + 1);
        refused_at(
            &edit("method: Tỉnh Đoàn báo cáo", &format!("method: {long}")),
            34,
            "tối đa 2000 ký tự",
        );
    }

    #[test]
    fn text_is_normalised_to_nfc() {
        let nfd = "Lý luận chính trị".chars().collect::<String>();
        let nfd: String = unicode_normalization::UnicodeNormalization::nfd(nfd.as_str()).collect();
        let c = Catalogue::parse(
            "c.yaml",
            &edit("title: Lý luận chính trị", &format!("title: \"  {nfd} \"")),
        )
        .unwrap();
        assert_eq!(c.indicators[0].title, "Lý luận chính trị");
    }

    #[test]
    fn groups_are_required_unique_and_bounded() {
        let none = edit(
            "    groups:\n      - key: chung\n        title: Bài viết mỗi tuần\n        targets: { \"2025\": 2, \"2030\": 5 }\n",
            "    groups: []\n",
        );
        refused_at(&none, 36, "chưa có nhóm");
        let twice = edit(
            "        targets: { \"2025\": 0.8, \"2030\": 1.0 }\n",
            "        targets: { \"2025\": 0.8, \"2030\": 1.0 }\n      - key: doan-vien-moi\n        title: Lần nữa\n        categories: [member]\n        targets: { \"2025\": 0.8, \"2030\": 1.0 }\n",
        );
        refused_at(&twice, 26, "mã nhóm \"doan-vien-moi\" bị trùng");
        let mut many = String::from("    groups:\n");
        for g in 0..=MAX_GROUPS {
            many.push_str(&format!(
                "      - {{ key: g{g}, title: Nhóm {g}, targets: {{ \"2025\": 1, \"2030\": 1 }} }}\n"
            ));
        }
        let many = edit(
            "    groups:\n      - key: chung\n        title: Bài viết mỗi tuần\n        targets: { \"2025\": 2, \"2030\": 5 }\n",
            &many,
        );
        refused_at(&many, 37, "tối đa 20");
    }

    #[test]
    fn every_group_has_a_target_for_every_phase() {
        refused_at(
            &edit("{ \"2025\": 0.8, \"2030\": 1.0 }", "{ \"2025\": 0.8 }"),
            25,
            "thiếu chỉ tiêu cho giai đoạn \"2030\"",
        );
        refused_at(
            &edit(
                "{ \"2025\": 2, \"2030\": 5 }",
                "{ \"2025\": 2, \"2030\": 5, \"2040\": 9 }",
            ),
            39,
            "\"2040\"",
        );
    }

    #[test]
    fn targets_are_rates_or_counts() {
        refused_at(
            &edit("\"2030\": 1.0 }", "\"2030\": 1.5 }"),
            25,
            "từ 0 đến 1",
        );
        refused_at(&edit("\"2025\": 0.8,", "\"2025\": -0.1,"), 25, "từ 0 đến 1");
        refused_at(
            &edit("\"2030\": 5 }", "\"2030\": -5 }"),
            39,
            "không được âm",
        );
        refused_at(
            &edit("\"2030\": 5 }", "\"2030\": NaN }"),
            39,
            "phải là một số",
        );
        refused_at(
            &edit("\"2030\": 5 }", "\"2030\": inf }"),
            39,
            "phải là một số",
        );
        refused_at(&edit("\"2030\": 5 }", "\"2030\": năm }"), 39, "một số");
        // A count above 1 is fine; a rate of exactly 0 or 1 too.
        Catalogue::parse("c.yaml", &edit("\"2025\": 0.8,", "\"2025\": 0,")).unwrap();
    }

    #[test]
    fn categories_belong_to_course_completion_only() {
        refused_at(
            &edit("categories: [new_member]", "categories: []"),
            24,
            "ít nhất một đối tượng",
        );
        refused_at(
            &edit(
                "categories: [new_member]",
                "categories: [new_member, youth, new_member]",
            ),
            24,
            "bị lặp",
        );
        refused_at(
            &edit("categories: [new_member]", "categories: [newmember]"),
            24,
            "đối tượng \"newmember\" không hợp lệ",
        );
        refused_at(
            &edit(
                "        title: Bài viết mỗi tuần\n",
                "        title: Bài viết mỗi tuần\n        categories: [youth]\n",
            ),
            39,
            "categories phải để trống",
        );
    }

    #[test]
    fn per_goes_with_reported_count_only() {
        refused_at(&edit("    per: tuần\n", ""), 32, "cần trường per");
        refused_at(
            &edit("    per: tuần\n", "    per: \"\"\n"),
            35,
            "per đang để trống",
        );
        refused_at(
            &edit(
                "    measure: course_completion\n",
                "    measure: course_completion\n    per: năm\n",
            ),
            18,
            "chỉ dùng cho loại reported_count",
        );
    }

    #[test]
    fn courses_are_unique_slugs_of_course_completion_indicators() {
        refused_at(
            &edit(
                "    per: tuần\n",
                "    per: tuần\n    courses: [ky-nang-so]\n",
            ),
            36,
            "courses phải để trống",
        );
        refused_at(
            &edit(
                "courses: [ly-luan-chinh-tri-doan-vien-moi]",
                "courses: [Lý luận]",
            ),
            20,
            "không hợp lệ",
        );
        refused_at(
            &edit(
                "courses: [ly-luan-chinh-tri-doan-vien-moi]",
                "courses: [a, b, a]",
            ),
            20,
            "\"a\" bị lặp",
        );
    }

    #[test]
    fn unknown_fields_measures_and_types_are_named_with_their_line() {
        refused_at(
            &edit("    per: tuần\n", "    per: tuần\n    note: x\n"),
            36,
            "\"note\" không được hỗ trợ",
        );
        refused_at(
            &edit("measure: reported_count", "measure: reported"),
            32,
            "loại \"reported\" không hợp lệ",
        );
        refused_at(&edit("first_year: 2026", "first_year: hai"), 8, "một số");
        refused_at(
            &edit("    counted: Bài viết của Tỉnh Đoàn\n", ""),
            26,
            "thiếu trường bắt buộc \"counted\"",
        );
        refused_at(
            &edit("        title: Bài viết mỗi tuần\n", ""),
            37,
            "Nhóm: thiếu trường bắt buộc \"title\"",
        );
        // The loader notices the unclosed bracket where the next mapping starts.
        refused_at(
            &edit("title: Bài viết\n", "title: [Bài viết\n"),
            30,
            "cú pháp",
        );
        refused_at("- a\n- b\n", 1, "bảng khóa–giá trị");
    }

    #[test]
    fn oversized_files_are_refused_before_loading() {
        let e = errors(&format!("{GOOD}#{}\n", "x".repeat(MAX_FILE_BYTES)));
        assert!(e[0].message.contains("quá lớn"), "{e:?}");
        let deep = format!("phases:\n{}x\n", "- ".repeat(100));
        refused_at(&deep, 2, "quá sâu");
        refused_at(&edit("per: tuần", "per: t\u{0}uần"), 35, "U+0000");

        let one = &GOOD[GOOD.find("  - key: bai-viet").unwrap()..];
        let mut many = String::from(&GOOD[..GOOD.find("indicators:").unwrap()]);
        many.push_str("indicators:\n");
        for i in 0..=MAX_INDICATORS {
            many.push_str(
                &one.replace("bai-viet", &format!("b{i}"))
                    .replace("\"1.9\"", &format!("\"1.{i}\""))
                    .replace("\"2.9\"", &format!("\"2.{i}\"")),
            );
        }
        refused_at(&many, 11, "tối đa 200");
    }

    #[test]
    fn an_indicator_from_the_api_is_checked_by_the_same_rules() {
        let c = Catalogue::parse("c.yaml", GOOD).unwrap();
        let mut ind: Indicator = serde_json::from_value(serde_json::json!({
            "key": " ky-nang-so ",
            "codes": {"2025": "1.6", "2030": "2.6"},
            "title": "Kỹ năng số",
            "wording": {"2025": "70% thanh niên.", "2030": "80% thanh niên."},
            "measure": "course_completion",
            "counted": "Thanh niên",
            "method": "Hoàn thành khóa học",
            "groups": [{"key": "thanh-nien", "title": "Thanh niên", "categories": ["youth"],
                        "targets": {"2025": 0.7, "2030": 0.8}}]
        }))
        .unwrap();
        assert_eq!(
            check_indicator(&ind, &c.phases)[0].0,
            "key",
            "not normalised yet"
        );
        ind.normalise();
        assert!(check_indicator(&ind, &c.phases).is_empty());
        assert!(c.clashes(&ind).is_empty());

        let mut bad = ind.clone();
        bad.groups[0].targets.insert("2030".into(), 80.0);
        bad.codes.insert("2025".into(), "1.3".into());
        bad.per = Some("năm".into());
        let problems = check_indicator(&bad, &c.phases);
        let paths: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["per", "groups[0].targets.2030"], "{problems:?}");
        assert_eq!(c.clashes(&bad)[0].0, "codes.2025");
        let mut with = c.clone();
        with.indicators.push(bad);
        assert!(
            with.check()
                .iter()
                .any(|(p, _)| p == "indicators[2].groups[0].targets.2030")
        );
    }
}
