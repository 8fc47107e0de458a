//! How long starting an attempt takes with a 300-question bank: drawing 30 questions by rule,
//! shuffling, freezing the paper in one insert. Run with `cargo bench --bench start_attempt`;
//! set `BENCH_DATABASE_URL=postgres://…/db` to measure on PostgreSQL (an empty database).
//!
//! The numbers are reported next to a baseline measured in the same run on the same pool
//! (`SELECT 1`), because these machines are noisy: the ratio is what to compare.

mod common;

use common::percentile;
use std::{sync::Arc, time::Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use soiduong::{
    auth::AuthUser,
    auth::Caller,
    clock::SystemClock,
    config::{Secret, Settings},
    domain::{
        course::CourseFile,
        paper::{self, DrawRule},
        person::Category,
    },
    services::{attempts, banks, courses},
    state::AppState,
    store,
};
use uuid::Uuid;

const QUESTIONS: usize = 300;
const STARTS: usize = 400;

fn bank_yaml() -> String {
    let mut s = String::from("bank:\n  id: do-tai\n  title: Ngân hàng đo tải\nquestions:\n");
    for i in 0..QUESTIONS {
        s.push_str(&format!(
            "  - id: q{i}\n    type: single\n    difficulty: {}\n    tags: [chu-de-{}]\n    stem: Câu hỏi số {i}?\n    options:\n      - text: Đúng {i}\n        correct: true\n      - text: Sai một {i}\n      - text: Sai hai {i}\n      - text: Sai ba {i}\n    explanation: Vì vậy.\n    source: Tài liệu đo tải\n",
            i % 3 + 1,
            i % 5
        ));
    }
    s
}

fn report(name: &str, mut samples: Vec<f64>, baseline: f64) {
    samples.sort_by(f64::total_cmp);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    println!(
        "{name:<34} mean {mean:>8.3} ms  p50 {:>8.3} ms  p95 {:>8.3} ms  = {:>6.1}× SELECT 1",
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        mean / baseline
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("soiduong-bench-{}", Uuid::new_v4().simple()));
    let mut settings = Settings::embedded(
        dir.clone(),
        Secret::new("bench-secret-bench-secret-bench-secret"),
    );
    settings.database_url =
        std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    let backend = if settings.is_sqlite() {
        "SQLite (in memory)"
    } else {
        "PostgreSQL"
    };
    let state = AppState::connect(settings, Arc::new(SystemClock)).await?;
    soiduong::services::seed::seed_demo(&state).await?;
    let summary = banks::import_file(
        &state,
        &Caller::system(),
        banks::ImportTarget::default(),
        "do-tai.yaml",
        bank_yaml().as_bytes(),
    )
    .await?;
    anyhow::ensure!(
        summary.added as usize == QUESTIONS,
        "bank import failed: {:?}",
        summary.errors
    );

    let admin = accounts_admin(&state).await?;
    let def: CourseFile = serde_json::from_value(json!({
        "course": { "id": "do-tai", "title": "Đo tải" },
        "lessons": [{ "id": "bai-1", "title": "Bài 1", "body": "Nội dung",
            "quiz": { "title": "Kiểm tra", "time_limit_minutes": 30, "pass_mark": 50,
                      "draw": [{ "bank": "do-tai", "tags": ["chu-de-0", "chu-de-1"], "count": 10 },
                               { "bank": "do-tai", "difficulty": [2, 3], "count": 10 },
                               { "bank": "do-tai", "count": 10 }] } }]
    }))?;
    let course = courses::create(&state, &admin, def)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let quiz = course.lessons[0]
        .quiz_id
        .ok_or_else(|| anyhow::anyhow!("no quiz"))?;

    let unit = store::units::list(&state.db, false)
        .await?
        .last()
        .map(|u| u.id);
    let mut users = Vec::with_capacity(STARTS);
    for i in 0..STARTS {
        let id = Uuid::new_v4();
        store::users::insert(
            &state.db,
            store::users::NewUser {
                id,
                full_name: format!("Người đo {i}"),
                phone: None,
                email: Some(format!("{id}@bench.vn")),
                password_hash: "x".into(),
                birth_date: None,
                unit_id: unit,
                admitted_on: None,
                guardian_consent: false,
                is_admin: false,
                categories: vec![Category::Member],
            },
            chrono::Utc::now(),
        )
        .await?;
        users.push(AuthUser {
            id,
            is_admin: false,
        });
    }

    // Baseline: one trivial round trip on the same pool.
    let mut base = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        state
            .db
            .query_one_raw(Statement::from_string(
                state.db.get_database_backend(),
                "SELECT 1",
            ))
            .await?;
        base.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    base.sort_by(f64::total_cmp);
    let baseline = base.iter().sum::<f64>() / base.len() as f64;

    // Warm the pool cache once, as a running server has it.
    attempts::start(&state, users[0], quiz)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut starts = Vec::with_capacity(STARTS);
    for user in &users[1..] {
        let t = Instant::now();
        let (view, _) = attempts::start(&state, *user, quiz)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        starts.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(view.questions.len(), 30);
    }

    let mut resumes = Vec::with_capacity(100);
    for user in &users[1..101] {
        let t = Instant::now();
        attempts::start(&state, *user, quiz)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        resumes.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    let pools = state
        .questions
        .pools(&state.db, &["do-tai".to_owned()])
        .await?;
    let rules: Vec<DrawRule> = serde_json::from_value(json!([
        { "bank": "do-tai", "tags": ["chu-de-0", "chu-de-1"], "count": 10 },
        { "bank": "do-tai", "difficulty": [2, 3], "count": 10 },
        { "bank": "do-tai", "count": 10 }
    ]))?;
    let mut rng = rand::rng();
    let mut draws = Vec::new();
    for _ in 0..2000 {
        let t = Instant::now();
        let today = soiduong::domain::time::vn_today(chrono::Utc::now());
        let drawn =
            paper::draw(&rules, &pools, today, &mut rng).map_err(|e| anyhow::anyhow!("{e}"))?;
        draws.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(drawn.len(), 30);
    }

    println!(
        "\nStarting an attempt: 30 questions drawn by 3 rules from a {QUESTIONS}-question bank, on {backend}"
    );
    println!(
        "{:<34} mean {baseline:>8.3} ms  p50 {:>8.3} ms",
        "baseline: SELECT 1",
        percentile(&base, 0.5)
    );
    report("start (new attempt)", starts, baseline);
    report("start again (resume)", resumes, baseline);
    report("draw only (pure, no I/O)", draws, baseline);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

async fn accounts_admin(state: &AppState) -> anyhow::Result<Caller> {
    let id = Uuid::new_v4();
    store::users::insert(
        &state.db,
        store::users::NewUser {
            id,
            full_name: "Quản trị đo tải".into(),
            phone: None,
            email: Some("admin@bench.vn".into()),
            password_hash: "x".into(),
            birth_date: None,
            unit_id: None,
            admitted_on: None,
            guardian_consent: false,
            is_admin: true,
            categories: vec![Category::Cadre],
        },
        chrono::Utc::now(),
    )
    .await?;
    Ok(Caller::load(&state.db, id).await?)
}
