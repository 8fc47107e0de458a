//! Content that stays true: families and validity in real draws, warnings for questions
//! resting on replaced documents, the content report, and checks over the shipped content.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use soiduong::{
    domain::{
        banks::QuestionDef,
        content::{
            replaced::Replacements,
            report::{self, BankContent},
        },
        person::Category,
        time::vn_today,
    },
    services::banks,
    store,
};

use crate::helpers::{error_code, spawn_app, spawn_app_with};

/// A bank of `families` families of two ("Họ N, cách hỏi 1/2"), a question that expired
/// yesterday, one valid until tomorrow, one that starts in three days, and one resting on the
/// 2018 cyber-security law.
fn dated_bank(today: chrono::NaiveDate, families: usize) -> String {
    let day = |d: i64| {
        (today + chrono::Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut s = String::from("bank:\n  id: ho-va-han\n  title: Họ và hạn\nquestions:\n");
    let q = |s: &mut String, id: &str, stem: &str, extra: &str| {
        s.push_str(&format!(
            "  - id: {id}\n    type: single\n    tags: [t]\n    stem: {stem}\n    options:\n      - {{ text: Đúng, correct: true }}\n      - {{ text: Sai }}\n    explanation: Vì vậy.\n    source: Tài liệu thử, tr. 1\n{extra}"
        ));
    };
    for f in 0..families {
        for v in 1..=2 {
            q(
                &mut s,
                &format!("h{f}-{v}"),
                &format!("Họ {f}, cách hỏi {v}?"),
                &format!("    family: ho-{f}\n"),
            );
        }
    }
    q(
        &mut s,
        "het-han",
        "Câu đã hết hạn?",
        &format!("    valid_until: {}\n", day(-1)),
    );
    q(
        &mut s,
        "sap-het",
        "Câu còn hạn đến mai?",
        &format!("    valid_until: {}\n", day(1)),
    );
    q(
        &mut s,
        "chua-den",
        "Câu chưa đến hạn?",
        &format!("    valid_from: {}\n", day(3)),
    );
    q(
        &mut s,
        "luat-cu",
        "Câu theo luật cũ?",
        "    documents: [24/2018/QH14]\n",
    );
    s
}

#[tokio::test]
async fn draws_keep_families_apart_and_skip_questions_outside_their_dates() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = vn_today(app.clock_now());
    let res = app
        .upload(
            &admin.token,
            &[("ho-va-han.yaml", dated_bank(today, 3).into_bytes())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let summaries: Vec<Value> = res.json().await.unwrap();
    let warnings = summaries[0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("116/2025/QH15")
    );
    assert!(warnings[0]["line"].as_u64().unwrap() > 0);

    // Drawable today: one of each of the 3 families, the question valid until tomorrow and
    // the one on the old law (imported, with a warning).
    let contest = app.province_contest(&admin, "ho", "Họ").await;
    let now = app.clock_now();
    let round = |count: u32, hours: i64| {
        json!({ "title": "Vòng", "opens_at": now - chrono::Duration::minutes(1),
            "closes_at": now + chrono::Duration::hours(hours),
            "draw": [{ "bank": "ho-va-han", "count": count }],
            "time_limit_minutes": 10, "attempts_allowed": 1 })
    };
    let res = app
        .post(
            &format!("/api/v1/contests/{}/rounds", contest["id"]),
            Some(&admin.token),
            &round(6, 6),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "invalid_draw"
    );
    let r = app.create_round(&admin, &contest["id"], &round(5, 6)).await;
    for i in 0..8 {
        let (_, token) = app
            .participant(&format!("Người {i}"), app.unit_id("Xã Mỹ Hòa Hưng").await)
            .await;
        let res = app.start_attempt(&token, &r["id"]).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let view: Value = res.json().await.unwrap();
        let stems: Vec<&str> = view["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["stem"].as_str().unwrap())
            .collect();
        assert_eq!(stems.len(), 5);
        let families: HashSet<&str> = stems
            .iter()
            .filter_map(|s| s.split(',').next().filter(|f| f.starts_with("Họ")))
            .collect();
        assert_eq!(families.len(), 3, "one of each family: {stems:?}");
        assert!(stems.contains(&"Câu theo luật cũ?"), "{stems:?}");
        assert!(stems.contains(&"Câu còn hạn đến mai?"), "{stems:?}");
    }

    // Open for four days, the round would find only four questions the day after tomorrow
    // (one has expired, the next starts a day later): refused.
    let res = app
        .post(
            &format!("/api/v1/contests/{}/rounds", contest["id"]),
            Some(&admin.token),
            &round(5, 96),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "invalid_draw"
    );
}

#[tokio::test]
async fn the_content_report_is_for_staff_and_lists_what_to_review() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = vn_today(app.clock_now());
    let mut text = dated_bank(today, 1);
    // A near-duplicate of "h0-1" outside its family.
    text.push_str("  - id: lap-lai\n    type: single\n    tags: [t]\n    stem: Họ 0, cách hỏi 1 nữa?\n    options:\n      - { text: Đúng, correct: true }\n      - { text: Sai }\n    explanation: Vì vậy.\n    source: Tài liệu thử, tr. 2\n");
    let res = app
        .upload(&admin.token, &[("ho-va-han.yaml", text.into_bytes())])
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let member = app.member(app.unit_id("Xã Mỹ Hòa Hưng").await).await;
    let res = app.get("/api/v1/content-report", Some(&member.token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.get("/api/v1/content-report", None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = app.get("/api/v1/content-report", Some(&admin.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["on"], json!(today.format("%Y-%m-%d").to_string()));
    let bank = r["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bank"] == "ho-va-han")
        .unwrap();
    let expiring: Vec<(&str, bool)> = bank["expiring"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["question"].as_str().unwrap(),
                e["expired"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(expiring, [("het-han", true), ("sap-het", false)]);
    assert_eq!(bank["replaced"][0]["question"], "luat-cu");
    assert_eq!(bank["replaced"][0]["reliance"], "listed");
    let pairs: Vec<(&str, &str)> = bank["near_duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["first"].as_str().unwrap(), d["second"].as_str().unwrap()))
        .collect();
    assert!(
        pairs.contains(&("ho-va-han/h0-1", "ho-va-han/lap-lai")),
        "{pairs:?}"
    );

    let res = app
        .get("/api/v1/content-report?on=2026-13-01", Some(&admin.token))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

fn shipped() -> Vec<(String, String, Vec<QuestionDef>)> {
    banks::shipped::BANKS
        .iter()
        .map(|(name, text)| {
            let (bank, rejected) =
                banks::parse(name, text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert!(rejected.is_empty(), "{name}: {rejected:?}");
            (bank.slug, bank.title, bank.questions)
        })
        .collect()
}

#[test]
fn no_shipped_question_rests_on_a_replaced_document() {
    let list = Replacements::shipped();
    assert!(list.entries.len() >= 3);
    let mut found = Vec::new();
    for (bank, _, questions) in shipped() {
        for q in &questions {
            for f in list.findings(q) {
                found.push(format!("{bank}/{}: {}", q.key, f.message(&q.key)));
            }
        }
    }
    assert!(
        found.is_empty(),
        "{} uses:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_shipped_content_has_no_near_duplicate_outside_a_family() {
    let banks = shipped();
    let content: Vec<BankContent> = banks
        .iter()
        .map(|(slug, title, questions)| BankContent {
            slug,
            title,
            questions,
        })
        .collect();
    let today = vn_today(chrono::Utc::now());
    let r = report::build(&content, Replacements::shipped(), today);
    assert_eq!(r.near_duplicates, 0, "{}", r.to_text());
    assert_eq!(r.replaced_uses, 0, "{}", r.to_text());
}

/// A specific source names a document (its number, an article, a clause) or a publication
/// (a page, a volume, a publisher, a dated issue): an agency alone is not one.
fn specific(source: &str) -> bool {
    let s = source.to_lowercase();
    let has_number = source.split_whitespace().any(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        w.contains('/') && w.chars().next().is_some_and(|c| c.is_ascii_digit())
    });
    has_number
        || [
            "điều ",
            "khoản",
            "chương",
            "tr.",
            "trang",
            "tập ",
            "nxb",
            "nhà xuất bản",
            "văn kiện",
            "điều lệ",
            "cương lĩnh",
            "hiến pháp",
            "luật ",
            "nghị quyết",
            "sách",
            "giáo trình",
            "toàn tập",
            "báo ",
            "tạp chí",
            "cẩm nang",
            "số ra",
            "bài ",
        ]
        .iter()
        .any(|k| s.contains(k))
}

#[test]
fn every_shipped_question_has_a_specific_source() {
    let mut vague = Vec::new();
    for (bank, _, questions) in shipped() {
        for q in &questions {
            if !specific(&q.source) {
                vague.push(format!("{bank}/{}: {}", q.key, q.source));
            }
        }
    }
    assert!(
        vague.is_empty(),
        "{} vague sources:\n{}",
        vague.len(),
        vague.join("\n")
    );
    assert!(!specific("Khuyến nghị của Cục An toàn thông tin"));
}

/// A person of `categories`, born on `birth`, in the demo commune, with a token.
async fn person(app: &crate::helpers::TestApp, birth: &str, categories: Vec<Category>) -> String {
    let id = uuid::Uuid::new_v4();
    let unit = app.unit_id("Xã Mỹ Hòa Hưng").await;
    store::users::insert(
        &app.state.db,
        store::users::NewUser {
            id,
            full_name: "Trần Văn Học".into(),
            phone: Some(format!("+8492{:07}", id.as_u128() % 10_000_000)),
            email: None,
            password_hash: "x".into(),
            birth_date: Some(birth.parse().unwrap()),
            unit_id: Some(unit as i32),
            admitted_on: categories
                .contains(&Category::NewMember)
                .then(|| app.clock_now().date_naive()),
            guardian_consent: true,
            is_admin: false,
            categories,
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    app.token_for(id)
}

#[tokio::test]
async fn the_indicator_courses_are_listed_for_every_group_they_count_and_their_quizzes_draw() {
    let app = spawn_app_with(|s| s.import_shipped_banks = true).await;
    let conduct = "Ứng xử văn minh trên môi trường số";
    let digital = "Kỹ năng số và an toàn trên không gian mạng";
    let people = [
        ("1990-01-01", vec![Category::Cadre]),
        ("1998-01-01", vec![Category::Member]),
        ("2008-01-01", vec![Category::NewMember, Category::Youth]),
        ("2000-01-01", vec![Category::AssociationMember]),
        ("2004-01-01", vec![Category::Youth]),
        ("2014-01-01", vec![Category::Child]),
    ];
    for (birth, categories) in people {
        let who = format!("{categories:?}");
        let token = person(&app, birth, categories).await;
        let courses: Vec<Value> = app
            .get("/api/v1/courses", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        for title in [conduct, digital] {
            let course = courses
                .iter()
                .find(|c| c["title"] == title)
                .unwrap_or_else(|| panic!("{title} is listed for {who}"));
            let detail: Value = app
                .get(&format!("/api/v1/courses/{}", course["id"]), Some(&token))
                .await
                .json()
                .await
                .unwrap();
            let lessons = detail["lessons"].as_array().unwrap();
            assert!(lessons.len() >= 5, "{title}");
            assert!(lessons.iter().all(|l| l["quiz_id"].is_i64()), "{title}");
            // The first lesson's quiz and the final test draw for this person today.
            for quiz in [&lessons[0]["quiz_id"], &detail["final_test_id"]] {
                let res = app
                    .post(&format!("/api/v1/quizzes/{quiz}/attempts"), Some(&token), &json!({}))
                    .await;
                assert!(res.status().is_success(), "{title} quiz {quiz} for {who}: {}", res.status());
            }
        }
    }

    // The catalogue counts them for indicators 1.1/2.1 and 1.6/2.6.
    let token = person(&app, "2004-01-01", vec![Category::Youth]).await;
    let catalogue: Value = app
        .get("/api/v1/indicators", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let courses: Vec<Value> = app
        .get("/api/v1/courses", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let id_of = |title: &str| courses.iter().find(|c| c["title"] == title).unwrap()["id"].clone();
    assert_eq!(catalogue["course_ids"]["quy-tac-ung-xu"], json!([id_of(conduct)]));
    assert_eq!(
        catalogue["course_ids"]["ky-nang-so-an-toan-mang"],
        json!([id_of(digital)])
    );
}
