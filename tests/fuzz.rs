//! Fuzzing every file parser (and the reader of certificate PDFs) on stable Rust: proptest over arbitrary bytes and over
//! structure-aware inputs (valid files mutated with each format's own syntax, deep nesting,
//! floods of one token, workbooks with huge dimensions, zip members that lie).
//!
//! Each case asserts that the parser returns (no panic, no abort), that a refusal stays within
//! the caps (at most 50 errors and a count line, short messages, each naming the file), that
//! an accepted file stays within the question cap, and that the process's peak memory stays
//! bounded. `FUZZ_CASES` sets the number of cases per generator (default 8, so that a plain
//! `cargo test` stays fast; CI runs many more in release mode). Failures are saved by proptest
//! under `proptest-regressions/` and replayed first; the crashers found by hand are the seed
//! tests at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use proptest::prelude::*;
use soiduong::{
    domain::{
        banks::{FileError, limits},
        course,
    },
    services::banks::{self, shipped},
};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        max_shrink_iters: 512,
        ..ProptestConfig::default()
    }
}

/// Peak resident memory of this process, when the platform tells.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Inputs here are at most a few MB and the whole run peaks at ~30 MB (release) to ~50 MB
/// (debug, every generator in parallel); a parser that goes past this is unbounded.
const PEAK_RSS_LIMIT: u64 = 256 * 1024 * 1024;

fn assert_memory_bounded() {
    if let Some(peak) = peak_rss_bytes() {
        assert!(
            peak < PEAK_RSS_LIMIT,
            "peak RSS {} MB",
            peak / (1024 * 1024)
        );
    }
}

fn assert_errors_bounded(name: &str, errors: &[FileError]) {
    assert!(!errors.is_empty(), "a refusal says why");
    assert!(
        errors.len() <= limits::MAX_ERRORS_PER_FILE + 1,
        "{} errors",
        errors.len()
    );
    for e in errors {
        assert_eq!(e.file, name);
        assert!(
            e.message.chars().count() <= limits::MAX_MESSAGE_CHARS + 1,
            "a message of {} characters",
            e.message.chars().count()
        );
    }
    let body = serde_json::to_string(errors).unwrap();
    assert!(body.len() < 128 * 1024, "{} bytes of errors", body.len());
}

/// Any bank file, through the same entry point as an upload.
fn check_bank(name: &str, bytes: &[u8]) {
    match banks::parse(name, bytes) {
        Ok((bank, rejected)) => {
            assert!(!bank.questions.is_empty());
            assert!(bank.questions.len() <= limits::MAX_QUESTIONS);
            assert!(rejected.len() <= limits::MAX_ERRORS_PER_FILE + 1);
            for q in &bank.questions {
                assert!(!limits::has_control_char(&q.stem));
                assert!(q.stem.len() <= limits::MAX_FIELD_BYTES);
            }
        }
        Err(errors) => assert_errors_bounded(name, &errors),
    }
    assert_memory_bounded();
}

fn check_course(name: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Err(e) = course::parse_file(name, &text) {
        assert_errors_bounded(name, &[e]);
    }
    assert_memory_bounded();
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn course_sample() -> Vec<u8> {
    shipped::COURSES
        .first()
        .map(|(_, text)| text.as_bytes().to_vec())
        .unwrap_or_default()
}

/// One edit of a file: insert a token of the format's syntax, delete or duplicate a span,
/// or overwrite a byte. Positions are fractions of the length, so they apply to any file.
#[derive(Clone, Debug)]
enum Edit {
    Insert(f64, usize, u8),
    Delete(f64, u16),
    Duplicate(f64, u16, u8),
    Byte(f64, u8),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (0.0..1.0f64, any::<usize>(), 1..40u8).prop_map(|(p, t, n)| Edit::Insert(p, t, n)),
        (0.0..1.0f64, any::<u16>()).prop_map(|(p, n)| Edit::Delete(p, n)),
        (0.0..1.0f64, 1..2000u16, 1..20u8).prop_map(|(p, n, k)| Edit::Duplicate(p, n, k)),
        (0.0..1.0f64, any::<u8>()).prop_map(|(p, b)| Edit::Byte(p, b)),
    ];
    prop::collection::vec(edit, 1..8)
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit], tokens: &[&[u8]]) -> Vec<u8> {
    let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len);
    for e in edits {
        let len = bytes.len();
        match *e {
            Edit::Insert(p, t, n) => {
                let i = at(p, len);
                let token = tokens[t % tokens.len()];
                let insert: Vec<u8> = token.repeat(usize::from(n));
                bytes.splice(i..i, insert);
            }
            Edit::Delete(p, n) => {
                let i = at(p, len);
                let j = (i + usize::from(n)).min(len);
                bytes.drain(i..j);
            }
            Edit::Duplicate(p, n, k) => {
                let i = at(p, len);
                let j = (i + usize::from(n)).min(len);
                let span = bytes[i..j].repeat(usize::from(k));
                bytes.splice(j..j, span);
            }
            Edit::Byte(p, b) => {
                if len > 0 {
                    let i = at(p, len - 1);
                    bytes[i] = b;
                }
            }
        }
    }
    bytes
}

const YAML_TOKENS: &[&[u8]] = &[
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b": ",
    b"\n",
    b"\n  ",
    b"? ",
    b"&a ",
    b"*a",
    b"!!str ",
    b"|\n",
    b">-\n",
    b"\"",
    b"'",
    b"\\",
    b"#",
    b"---\n",
    b"...\n",
    b"\t",
    b"\0",
    b"\xc3",
    b"\"\\0\"",
    b"questions:",
    b"options:",
    b"- text: x\n",
    b"correct: true",
    b"difficulty: 300",
    b"lessons:",
    b"draw:",
    b"count: 4294967296",
];
const GIFT_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"\n\n",
    b"::",
    b"=",
    b"~",
    b"#",
    b"####",
    b"%50%",
    b"%-100%",
    b"\\",
    b"->",
    b"{T}",
    b"{#1:0}",
    b"$CATEGORY: a/b",
    b"//",
    b"[html]",
    b"\0",
    b"\x1b",
    b"\xe1\xba",
];
const AIKEN_TOKENS: &[&[u8]] = &[
    b"\n",
    b"A. x\n",
    b"B) y\n",
    b"ANSWER: A\n",
    b"ANSWER: Z\n",
    b"ANSWER :",
    b"\n\n",
    b"\0",
    b"Z. ",
    b"\r\n",
];
const BINARY_TOKENS: &[&[u8]] = &[
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"\xff\xff\xff\xff",
    b"\0\0\0\0",
    b"<row>",
    b"</sheetData>",
    b"XFD1048576",
];

/// A workbook with `cells` (row, column, text) on its first sheet.
fn workbook(cells: &[(u32, u16, String)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (r, c, t) in cells {
        sheet.write_string(*r, *c, t).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// A zip of `members`, deflated.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in members {
        out.start_file(*name, opts).unwrap();
        out.write_all(content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Nested collections in any mix of YAML's block and flow styles.
fn nesting() -> impl Strategy<Value = String> {
    let open = prop::sample::select(vec!["- ", "[", "{a: ", "- [", "? ", "- a: ", "\n  - "]);
    (prop::collection::vec(open, 0..3000), "[a-z]{0,3}").prop_map(|(opens, leaf)| {
        let mut s = String::from("questions:\n");
        for o in &opens {
            s.push_str(o);
        }
        s.push_str(&leaf);
        for o in opens.iter().rev() {
            match *o {
                "[" | "- [" => s.push(']'),
                "{a: " => s.push('}'),
                _ => {}
            }
        }
        s.push('\n');
        s
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_break_a_parser(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        for name in ["b.yaml", "b.gift", "b.txt", "b.xlsx"] {
            check_bank(name, &bytes);
        }
        check_course("k.yaml", &bytes);
    }

    #[test]
    fn arbitrary_text_never_breaks_a_parser(text in "\\PC{0,2000}") {
        for name in ["b.yaml", "b.gift", "b.txt"] {
            check_bank(name, text.as_bytes());
        }
        check_course("k.yaml", text.as_bytes());
    }

    #[test]
    fn mutated_yaml_banks_and_courses_are_handled(e in edits()) {
        check_bank("thu-nghiem.yaml", &apply(fixture("thu-nghiem.yaml"), &e, YAML_TOKENS));
        check_course("khoa-hoc.yaml", &apply(course_sample(), &e, YAML_TOKENS));
    }

    #[test]
    fn mutated_gift_files_are_handled(e in edits()) {
        check_bank("ngan-hang.gift", &apply(fixture("ngan-hang.gift"), &e, GIFT_TOKENS));
    }

    #[test]
    fn mutated_aiken_files_are_handled(e in edits()) {
        check_bank("ngan-hang.txt", &apply(fixture("ngan-hang-aiken.txt"), &e, AIKEN_TOKENS));
    }

    #[test]
    fn mutated_workbooks_are_handled(e in edits()) {
        check_bank("ngan-hang.xlsx", &apply(fixture("ngan-hang-excel.xlsx"), &e, BINARY_TOKENS));
    }

    #[test]
    fn deep_nesting_is_refused_or_read(text in nesting()) {
        check_bank("sau.yaml", text.as_bytes());
        check_course("sau.yaml", text.replace("questions:", "lessons:").as_bytes());
    }

    #[test]
    fn token_floods_give_small_answers(
        tokens in prop::collection::vec(prop::sample::select(GIFT_TOKENS.to_vec()), 1..4),
        repeat in 1..60_000usize,
    ) {
        let unit: Vec<u8> = tokens.concat();
        let flood = unit.repeat(repeat.min(limits::MAX_TEXT_BYTES / unit.len().max(1) + 10));
        check_bank("lu.gift", &flood);
        check_bank("lu.txt", &flood);
    }

    #[test]
    fn workbooks_with_huge_dimensions_are_refused_or_read(
        cells in prop::collection::vec(
            (
                prop_oneof![0..20u32, 0..1_048_576u32, Just(1_048_575u32)],
                prop_oneof![0..10u16, 0..16_384u16, Just(16_383u16)],
                "[a-zA-Z0-9 ]{0,12}",
            ),
            0..6,
        ),
    ) {
        check_bank("lon.xlsx", &workbook(&cells));
    }

    #[test]
    fn zip_members_that_lie_about_their_size_are_refused(
        size in 1..200_000usize,
        declared in any::<u32>(),
        which in 0..2usize,
    ) {
        let content = vec![b'<'; size];
        let mut bytes = zip_of(&[("xl/workbook.xml", &content)]);
        let lie = declared.to_le_bytes();
        if which == 0 {
            bytes[22..26].copy_from_slice(&lie);
        }
        if let Some(cd) = bytes.windows(4).position(|w| w == [0x50, 0x4b, 0x01, 0x02]) {
            bytes[cd + 24..cd + 28].copy_from_slice(&lie);
        }
        check_bank("noi-doi.xlsx", &bytes);
    }
}

// The crashers, kept as seeds: each aborted the process or answered with megabytes once.

#[test]
fn seed_sparse_workbook_at_a1_and_xfd1048576() {
    let bytes = workbook(&[(0, 0, "stem".into()), (1_048_575, 16_383, "x".into())]);
    let e = banks::parse("thua.xlsx", &bytes).unwrap_err();
    assert!(e[0].message.contains("XFD1048576"), "{e:?}");
    assert_memory_bounded();
}

#[test]
fn seed_five_thousand_nested_block_sequences() {
    let text = format!("questions:\n{}x\n", "- ".repeat(5_000));
    check_bank("sau.yaml", text.as_bytes());
    let e = banks::parse("sau.yaml", text.as_bytes()).unwrap_err();
    assert!(e[0].message.contains("quá sâu"), "{e:?}");
    check_course(
        "sau.yaml",
        text.replace("questions:", "lessons:").as_bytes(),
    );
}

#[test]
fn seed_deep_flow_collections() {
    for depth in [33, 200, 100_000] {
        let text = format!("bank: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        check_bank("sau.yaml", text.as_bytes());
        check_course("sau.yaml", text.as_bytes());
    }
}

#[test]
fn seed_a_megabyte_of_open_braces() {
    let flood = "{\n\n".repeat(1024 * 1024 / 3);
    let e = banks::parse("lu.gift", flood.as_bytes()).unwrap_err();
    assert_eq!(e.len(), limits::MAX_ERRORS_PER_FILE + 1);
    check_bank("lu.gift", flood.as_bytes());
}

#[test]
fn seed_zip_bomb_member() {
    let big = vec![b' '; (limits::MAX_ZIP_MEMBER_BYTES + 1) as usize];
    let bytes = zip_of(&[("xl/worksheets/sheet1.xml", &big)]);
    let e = banks::parse("bom.xlsx", &bytes).unwrap_err();
    assert!(e[0].message.contains("giải nén"), "{e:?}");
    assert_memory_bounded();
}

#[test]
fn seed_nul_bytes_in_every_text_format() {
    for name in ["b.yaml", "b.gift", "b.txt"] {
        let e = banks::parse(name, "Câu hỏi\0?\nA. x\nB. y\nANSWER: A\n".as_bytes()).unwrap_err();
        assert_eq!((e[0].line, e[0].column), (1, 8), "{name}: {e:?}");
    }
    let e = course::parse_file("k.yaml", "course:\n  id: \u{0}\n").unwrap_err();
    assert_eq!(e.line, 2);
}

// ── Certificate PDFs, as `soiduong verify-certificate FILE.pdf` reads them ─────────────────

mod certificate_pdfs {
    use proptest::prelude::*;
    use soiduong::{
        certificates::{
            pdf::{self, Printed},
            signing::{self, Signer},
        },
        domain::certificate::Facts,
    };

    fn signed() -> (Signer, Vec<u8>, Vec<u8>) {
        let signer = Signer::new([9; 32], &[]);
        let facts = Facts {
            holder: "Nguyễn Thị Ánh Dương".into(),
            key_id: signer.key_id().to_owned(),
            ..Facts::example()
        };
        let canonical = facts.canonical();
        let signature = signer.sign(&canonical);
        let bytes = pdf::render(&Printed {
            facts: &facts,
            signature: &signature,
            verify_url: "https://soiduong.vn/verify/7K2QM9XD4HRTVW",
            status_note: None,
        })
        .unwrap();
        (signer, canonical, bytes)
    }

    proptest! {
        #![proptest_config(super::config())]

        #[test]
        fn arbitrary_bytes_carry_no_certificate_or_one_that_does_not_verify(
            bytes in prop::collection::vec(any::<u8>(), 0..8192),
            marker in any::<bool>(),
        ) {
            let mut bytes = bytes;
            if marker {
                bytes.splice(0..0, b"SOIDUONG-CERT-V1:".iter().copied());
            }
            let signer = Signer::new([9; 32], &[]);
            if let Some(e) = pdf::embedded(&bytes) {
                prop_assert!(!signing::verify(signer.keys(), signer.key_id(), &e.facts, &e.signature));
            }
        }

        /// A real certificate with bytes changed anywhere: embedded facts that differ from
        /// the signed ones never verify.
        #[test]
        fn an_edited_certificate_verifies_only_with_its_facts_untouched(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let (signer, canonical, mut bytes) = signed();
            for (at, b) in &edits {
                let i = at.index(bytes.len());
                bytes[i] = *b;
            }
            if let Some(e) = pdf::embedded(&bytes)
                && e.facts != canonical
            {
                prop_assert!(!signing::verify(signer.keys(), signer.key_id(), &e.facts, &e.signature));
            }
        }
    }
}

// ── The indicator catalogue: the shipped YAML mutated, and indicators as the API takes them ──

mod indicator_catalogue {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use soiduong::domain::{
        banks::FileError,
        indicators::{
            Catalogue, Group, Indicator, Measure,
            catalogue::{self, check_indicator},
        },
        person::Category,
    };

    const SHIPPED: &str = include_str!("../question-banks/indicators/chi-tieu-311.yaml");

    const TOKENS: &[&[u8]] = &[
        b"- ",
        b"[",
        b"]",
        b"{",
        b"}",
        b": ",
        b"\n",
        b"\n    ",
        b"&a ",
        b"*a",
        b"!!float ",
        b">-\n",
        b"\"",
        b"#",
        b"\0",
        b"\xe2\x80\x8b",
        b"phases:",
        b"indicators:",
        b"groups: []",
        b"- key: x\n",
        b"\"2025\": ",
        b"\"2099\": 1",
        b"NaN",
        b"1e309",
        b"-1",
        b"categories: [child, child]",
        b"measure: reported_count",
        b"per: ",
        b"courses: [a, a]",
        b"first_year: 2031",
    ];

    fn assert_refusal_explained(errors: &[FileError]) {
        super::assert_errors_bounded("c.yaml", errors);
        for e in errors {
            assert!(!e.message.trim().is_empty(), "{e:?}");
        }
    }

    fn check(text: &str) {
        match Catalogue::parse("c.yaml", text) {
            Ok(c) => {
                assert!(
                    c.check().is_empty(),
                    "an accepted catalogue passes its own check"
                );
                assert!(c.indicators.len() <= catalogue::MAX_INDICATORS);
            }
            Err(errors) => assert_refusal_explained(&errors),
        }
        super::assert_memory_bounded();
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("Thanh niên".to_owned()),
            "\\PC{0,40}",
            "[a-z0-9.-]{0,8}",
        ]
    }

    fn target() -> impl Strategy<Value = f64> {
        prop_oneof![
            0.0..=1.0f64,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.5),
            any::<f64>()
        ]
    }

    fn map<V: std::fmt::Debug>(
        value: impl Strategy<Value = V>,
    ) -> impl Strategy<Value = BTreeMap<String, V>> {
        prop::collection::btree_map(
            prop::sample::select(vec!["2025".to_owned(), "2030".to_owned(), "x".to_owned()]),
            value,
            0..4,
        )
    }

    fn indicator() -> impl Strategy<Value = Indicator> {
        let group = (
            text(),
            text(),
            prop::collection::vec(prop::sample::select(Category::ALL.to_vec()), 0..4),
            map(target()),
        )
            .prop_map(|(key, title, categories, targets)| Group {
                key,
                title,
                categories,
                targets,
            });
        let measure = prop::sample::select(vec![
            Measure::CourseCompletion,
            Measure::ReportedRate,
            Measure::ReportedCount,
        ]);
        (
            (text(), map(text()), text(), map(text()), measure),
            (text(), text(), prop::option::of(text())),
            prop::collection::vec(text(), 0..3),
            prop::collection::vec(group, 0..23),
        )
            .prop_map(
                |(
                    (key, codes, title, wording, measure),
                    (counted, method, per),
                    courses,
                    groups,
                )| {
                    Indicator {
                        key,
                        codes,
                        title,
                        wording,
                        measure,
                        counted,
                        method,
                        per,
                        courses,
                        groups,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(super::config())]

        #[test]
        fn arbitrary_text_never_breaks_the_catalogue_parser(text in "\\PC{0,2000}") {
            check(&text);
        }

        #[test]
        fn mutated_shipped_catalogues_are_handled(e in super::edits()) {
            let bytes = super::apply(SHIPPED.as_bytes().to_vec(), &e, TOKENS);
            check(&String::from_utf8_lossy(&bytes));
        }

        /// Whatever an API body holds, the check answers with messages, and an indicator it
        /// accepts keeps every rule the report relies on.
        #[test]
        fn indicators_from_the_api_are_checked_without_panic(ind in indicator()) {
            let shipped = Catalogue::shipped().unwrap();
            let mut ind = ind;
            ind.normalise();
            let problems = check_indicator(&ind, &shipped.phases);
            for (path, message) in &problems {
                prop_assert!(!path.is_empty() && !message.trim().is_empty());
            }
            if problems.is_empty() {
                prop_assert!(!ind.groups.is_empty() && ind.groups.len() <= catalogue::MAX_GROUPS);
                for g in &ind.groups {
                    for p in &shipped.phases {
                        let t = g.targets[&p.key];
                        prop_assert!(t.is_finite() && t >= 0.0);
                        prop_assert!(ind.measure == Measure::ReportedCount || t <= 1.0);
                    }
                    prop_assert_eq!(g.categories.is_empty(), !ind.measure.measured());
                }
                prop_assert_eq!(ind.per.is_some(), ind.measure == Measure::ReportedCount);
            }
        }
    }

    #[test]
    fn seed_the_shipped_catalogue_parses() {
        let c = Catalogue::parse("c.yaml", SHIPPED).unwrap();
        assert_eq!(c, Catalogue::shipped().unwrap());
    }
}

// ── Member rosters (CSV and XLSX), as an organizer uploads them ──────────────────────────────

mod rosters {
    use std::collections::HashSet;

    use chrono::NaiveDate;
    use proptest::prelude::*;
    use soiduong::domain::{
        person::Category,
        phone::Phone,
        roster::{self, MAX_ROSTER_ROWS, RosterRow, UnitRef},
    };
    use unicode_normalization::UnicodeNormalization;

    /// Parses and checks the answer's shape: a refusal within the caps, each error with a
    /// message; accepted rows within the row cap and as the row type promises.
    fn check(name: &str, bytes: &[u8]) -> Result<Vec<RosterRow>, ()> {
        let result = roster::parse(name, bytes);
        match &result {
            Ok(rows) => {
                assert!(rows.len() <= MAX_ROSTER_ROWS);
                for r in rows {
                    assert!(r.line >= 1);
                    assert!(!r.full_name.is_empty());
                    assert!(!r.categories.is_empty());
                    let mut sorted = r.categories.clone();
                    sorted.sort();
                    sorted.dedup();
                    assert_eq!(sorted, r.categories);
                }
            }
            Err(errors) => {
                super::assert_errors_bounded(name, errors);
                for e in errors {
                    assert!(!e.message.trim().is_empty(), "{e:?}");
                }
            }
        }
        super::assert_memory_bounded();
        result.map_err(|_| ())
    }

    const TOKENS: &[&str] = &[
        "Họ và tên",
        "Ho ten",
        "Ngày sinh",
        "SĐT",
        "Số điện thoại",
        "Đối tượng",
        "Ngày kết nạp",
        "Ngày vào Đoàn",
        "Đơn vị",
        "STT",
        ",",
        ";",
        "\t",
        "\"",
        "\"\"",
        "\n",
        "\r\n",
        "\u{feff}",
        "20/01/2001",
        "31/02/2001",
        "1.1.1899",
        "2001-01-20",
        "0912345678",
        "912345678",
        "+84 912 345 678",
        "đoàn viên",
        "cán bộ Đoàn, Hội, Đội",
        "thanh niên",
        "hội viên",
        "+",
        "/",
        "thiếu nhi",
        "bí thư",
        "12",
        "Chi đoàn 1",
        "Nguyễn Văn An",
        "\u{200b}",
        "\u{0}",
    ];

    fn csvish() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(TOKENS.to_vec()).prop_map(str::to_owned),
                1 => "\\PC{0,12}",
            ],
            0..400,
        )
        .prop_map(|parts| parts.concat())
    }

    #[derive(Clone, Debug)]
    struct Person {
        name: Vec<&'static str>,
        birth: Option<(NaiveDate, usize)>,
        phone: Option<(u32, usize)>,
        categories: Vec<(Category, usize)>,
        separator: &'static str,
        admitted: Option<(NaiveDate, usize)>,
        unit: Option<UnitRef>,
        nfd: bool,
    }

    const WORDS: &[&str] = &[
        "Nguyễn", "Trần", "Lê", "Phạm", "Thị", "Văn", "Ánh", "Dương", "Hoàng", "Đức", "Ngọc", "Mỹ",
        "Phương", "Ưng", "Quỳnh", "O'Neil", "Jean-Luc", "H.",
    ];
    const UNITS: &[&str] = &[
        "Chi đoàn 1",
        "Liên đội Kim Đồng",
        "Đoàn trường THPT Lê Lợi",
        "Khu phố 3",
    ];

    fn spellings(c: Category) -> &'static [&'static str] {
        match c {
            Category::Cadre => &["cán bộ", "Cán bộ Đoàn, Hội, Đội", "CÁN BỘ ĐOÀN"],
            Category::Member => &["đoàn viên", "Đoàn viên", "doan vien"],
            Category::NewMember => &["đoàn viên mới", "Đoàn viên mới kết nạp"],
            Category::AssociationMember => &["hội viên", "Hội viên"],
            Category::Youth => &["thanh niên", "Thanh Niên"],
            Category::Child => &["thiếu nhi", "thiếu niên", "nhi đồng", "đội viên"],
        }
    }

    fn day() -> impl Strategy<Value = (NaiveDate, usize)> {
        (1900..=2100i32, 1..=12u32, 1..=28u32, 0..5usize)
            .prop_map(|(y, m, d, form)| (NaiveDate::from_ymd_opt(y, m, d).unwrap(), form))
    }

    fn person() -> impl Strategy<Value = Person> {
        (
            prop::collection::vec(prop::sample::select(WORDS.to_vec()), 2..5),
            prop::option::of(day()),
            prop::option::of((
                prop::sample::select(vec![3u32, 5, 7, 8, 9]),
                0..100_000_000u32,
                0..4usize,
            )),
            prop::sample::subsequence(Category::ALL.to_vec(), 1..=6)
                .prop_flat_map(|cs| {
                    let n = cs.len();
                    (Just(cs), prop::collection::vec(0..4usize, n))
                })
                .prop_map(|(cs, forms)| cs.into_iter().zip(forms).collect::<Vec<_>>())
                .prop_shuffle(),
            prop::sample::select(vec![", ", ";", " / ", " + ", ","]),
            prop::option::of(day()),
            prop::option::of(prop_oneof![
                (0..1_000_000i32).prop_map(UnitRef::Id),
                prop::sample::select(UNITS.to_vec()).prop_map(|u| UnitRef::Name(u.to_owned())),
            ]),
            any::<bool>(),
        )
            .prop_map(
                |(name, birth, phone, categories, separator, admitted, unit, nfd)| Person {
                    name,
                    birth,
                    phone: phone.map(|(lead, rest, form)| (lead * 100_000_000 + rest, form)),
                    categories,
                    separator,
                    admitted,
                    unit,
                    nfd,
                },
            )
    }

    fn date_text((d, form): (NaiveDate, usize)) -> String {
        let f = match form {
            0 => "%d/%m/%Y",
            1 => "%-d/%-m/%Y",
            2 => "%d-%m-%Y",
            3 => "%d.%m.%Y",
            _ => "%Y-%m-%d",
        };
        d.format(f).to_string()
    }

    fn phone_text((national, form): (u32, usize)) -> String {
        let n = format!("{national:09}");
        match form {
            0 => format!("0{n}"),
            1 => format!("+84 {} {} {}", &n[..3], &n[3..6], &n[6..]),
            2 => n,
            _ => format!("0{}.{}.{}", &n[..3], &n[3..6], &n[6..]),
        }
    }

    /// The columns: (header spellings, the cell of a person).
    type Column = (&'static [&'static str], fn(&Person) -> String);

    const COLUMNS: [Column; 7] = [
        (&["STT"], |_| "1".to_owned()),
        (
            &["Họ và tên", "HỌ VÀ TÊN", "Họ tên", "ho va ten"],
            |p| {
                let name = format!("  {}  ", p.name.join("   "));
                if p.nfd { name.nfd().collect() } else { name }
            },
        ),
        (&["Ngày sinh", "NGÀY SINH"], |p| {
            p.birth.map(date_text).unwrap_or_default()
        }),
        (&["Số điện thoại", "SĐT", "Điện thoại"], |p| {
            p.phone.map(phone_text).unwrap_or_default()
        }),
        (&["Đối tượng", "DOI TUONG"], |p| {
            p.categories
                .iter()
                .map(|(c, form)| {
                    let s = spellings(*c);
                    s[form % s.len()]
                })
                .collect::<Vec<_>>()
                .join(p.separator)
        }),
        (&["Ngày kết nạp", "Ngày vào Đoàn"], |p| {
            p.admitted.map(date_text).unwrap_or_default()
        }),
        (&["Đơn vị"], |p| match &p.unit {
            None => String::new(),
            Some(UnitRef::Id(id)) => id.to_string(),
            Some(UnitRef::Name(n)) => n.clone(),
        }),
    ];

    proptest! {
        #![proptest_config(super::config())]

        #[test]
        fn arbitrary_bytes_never_break_the_roster_parser(
            bytes in prop::collection::vec(any::<u8>(), 0..4096),
        ) {
            let _ = check("ds.csv", &bytes);
            let _ = check("ds.xlsx", &bytes);
        }

        #[test]
        fn csv_like_text_never_breaks_the_roster_parser(text in csvish()) {
            let _ = check("ds.csv", text.as_bytes());
        }

        #[test]
        fn mutated_roster_workbooks_are_handled(e in super::edits()) {
            let cells: Vec<(u32, u16, String)> = [
                "Họ và tên", "Ngày sinh", "Số điện thoại", "Đối tượng", "Nguyễn Văn An",
                "20/01/2001", "0912345678", "đoàn viên",
            ]
            .iter()
            .enumerate()
            .map(|(i, t)| ((i / 4) as u32, (i % 4) as u16, (*t).to_owned()))
            .collect();
            let bytes = super::apply(super::workbook(&cells), &e, super::BINARY_TOKENS);
            let _ = check("ds.xlsx", &bytes);
        }

        /// Rows written from valid values, in any column order, spelling and delimiter, read
        /// back as the same rows.
        #[test]
        fn valid_rosters_written_as_csv_read_back_the_same(
            people in prop::collection::vec(person(), 0..30),
            order in Just((0..COLUMNS.len()).collect::<Vec<_>>()).prop_shuffle(),
            spelling in prop::collection::vec(0..4usize, COLUMNS.len()),
            delimiter in prop::sample::select(vec![b',', b';', b'\t']),
            titles in 0..=3usize,
            bom in any::<bool>(),
            crlf in any::<bool>(),
        ) {
            let mut out = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            for t in 0..titles {
                out.write_record([format!("DANH SÁCH {t}")]).unwrap();
            }
            out.write_record(order.iter().map(|&c| {
                let names = COLUMNS[c].0;
                names[spelling[c] % names.len()]
            }))
            .unwrap();
            let mut seen = HashSet::new();
            let mut expected = Vec::new();
            for (i, p) in people.iter().enumerate() {
                let mut p = p.clone();
                if let Some((n, _)) = p.phone && !seen.insert(n) {
                    p.phone = None;
                }
                out.write_record(order.iter().map(|&c| (COLUMNS[c].1)(&p))).unwrap();
                let mut categories: Vec<Category> = p.categories.iter().map(|(c, _)| *c).collect();
                categories.sort();
                expected.push(RosterRow {
                    line: titles + 2 + i,
                    full_name: p.name.join(" "),
                    birth_date: p.birth.map(|(d, _)| d),
                    phone: p.phone.map(|(n, _)| Phone::parse(&format!("0{n:09}")).unwrap()),
                    categories,
                    admitted_on: p.admitted.map(|(d, _)| d),
                    unit: p.unit.clone(),
                });
            }
            let mut bytes = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
            bytes.extend(out.into_inner().unwrap());
            let rows = check("ds.csv", &bytes);
            prop_assert_eq!(rows, Ok(expected), "{}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn seed_a_quote_that_never_closes() {
        let _ = check(
            "ds.csv",
            "Họ và tên,Đối tượng\n\"Lê Thị Hoa,thanh niên\n".as_bytes(),
        );
        let _ = check("ds.csv", b"\xef\xbb\xbf");
        let _ = check("ds.xlsx", b"");
    }
}

// ── Content that stays true: the new bank fields, the replaced-documents list, the detector ──

mod content {
    use proptest::prelude::*;
    use soiduong::domain::{
        banks::yaml,
        content::{cites, document_key, replaced::Replacements, similar},
    };

    /// A bank of one question carrying the given values for the new fields, as YAML text.
    fn bank(family: &str, from: &str, until: &str, documents: &[String]) -> String {
        let docs: Vec<String> = documents.iter().map(|d| format!("{d:?}")).collect();
        format!(
            "bank:\n  id: b\n  title: B\n  documents: [{}]\nquestions:\n  - id: q\n    type: true_false\n    stem: S\n    answer: true\n    explanation: E\n    source: Luật số 1/2020/QH14, Điều 1\n    family: {family:?}\n    valid_from: {from:?}\n    valid_until: {until:?}\n",
            docs.join(", ")
        )
    }

    proptest! {
        #![proptest_config(super::config())]

        /// Whatever the values, the parse returns: accepted values are what was written
        /// (dates in order, the family a slug, at most 16 distinct documents), refused ones are
        /// explained at a line.
        #[test]
        fn new_question_fields_are_checked_or_refused_at_their_line(
            family in "\\PC{0,20}",
            from in prop_oneof!["20[0-9]{2}-[01][0-9]-[0-3][0-9]", "\\PC{0,12}"],
            until in prop_oneof!["20[0-9]{2}-[01][0-9]-[0-3][0-9]", "\\PC{0,12}"],
            documents in prop::collection::vec("[0-9]{1,4}/[0-9]{4}/[A-ZĐ-]{2,8}|\\PC{0,70}", 0..20),
        ) {
            match yaml::parse("b.yaml", &bank(&family, &from, &until, &documents)) {
                Ok(b) => {
                    let q = &b.questions[0];
                    if let (Some(f), Some(u)) = (q.validity.from, q.validity.until) {
                        prop_assert!(f <= u);
                    }
                    prop_assert!(q.family.as_deref().is_some_and(soiduong::domain::banks::valid_slug));
                    prop_assert!(q.documents.len() <= 16);
                    let keys: std::collections::HashSet<_> = q.documents.iter().map(|d| document_key(d)).collect();
                    prop_assert_eq!(keys.len(), q.documents.len());
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    prop_assert!(errors.iter().all(|e| e.file == "b.yaml" && !e.message.is_empty()));
                }
            }
        }

        /// A number is cited by any text that holds it between separators, and by no text
        /// that holds it only inside a longer number.
        #[test]
        fn document_citations_are_whole_numbers(n in 1u32..2000, y in 1990u32..2040, body in "[A-Z]{2,4}[0-9]{0,2}", before in "\\PC{0,20}", after in "\\PC{0,20}") {
            let number = format!("{n}/{y}/{body}");
            let sep = |s: &str| !s.chars().last().is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '-');
            let text = format!("{before} {number} {after}");
            prop_assert!(cites(&text, &number));
            let longer = format!("{before} 9{number}");
            prop_assert!(!cites(&longer, &number) || sep(&before) && longer.matches(&number).count() > 1);
        }

        /// The replaced-documents list parser returns on any text.
        #[test]
        fn replaced_lists_never_break_the_parser(text in "\\PC{0,600}") {
            let _ = Replacements::parse("x.yaml", &format!("replaced:\n{text}"));
            let _ = Replacements::parse("x.yaml", &text);
        }

        /// Scores are symmetric and between 0 and 1, and a question is a near-duplicate of a
        /// copy of itself.
        #[test]
        fn near_duplicate_scores_are_symmetric_and_bounded(a in "\\PC{1,120}", b in "\\PC{1,120}") {
            let parse = |stem: &str| {
                let text = format!("bank: {{ id: b, title: B }}\nquestions:\n  - id: q\n    type: true_false\n    stem: {stem:?}\n    answer: true\n    explanation: E\n    source: S\n");
                yaml::parse("b.yaml", &text).ok().map(|b| b.questions[0].clone())
            };
            if let (Some(x), Some(y)) = (parse(&a), parse(&b)) {
                let (o1, j1) = similar::scores(&x, &y);
                let (o2, j2) = similar::scores(&y, &x);
                prop_assert!((o1 - o2).abs() < 1e-9 && (j1 - j2).abs() < 1e-9);
                prop_assert!((0.0..=1.0).contains(&o1) && (0.0..=1.0).contains(&j1) && j1 <= o1);
                let (o, j) = similar::scores(&x, &x);
                prop_assert!(o == 1.0 && j == 1.0);
            }
        }
    }
}
