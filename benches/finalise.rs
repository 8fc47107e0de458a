//! What issuing certificates adds to the finaliser: rounds of N participants each (10,000 by
//! default), in this order: a warm-up round, a round without prizes, a round with 300 prize
//! winners, another round without prizes. The mean of the two prize-less rounds is the
//! baseline measured in the same run; the prize round also signs and stores 300 certificates
//! in the same transaction. A second run over the prize round must issue nothing. Run with
//!
//! ```sh
//! cargo bench --bench finalise                       # SQLite in memory
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench cargo bench --bench finalise
//! ```
//!
//! `BENCH_N` sets the participants per round.

// A bench, like a test, stops loudly at the first broken step.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::{sync::Arc, time::Instant};

use chrono::{Duration, Utc};
use common::env_num;
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
use serde_json::json;
use soiduong::{
    auth::Caller,
    clock::{Clock, ManualClock},
    config::{Secret, Settings},
    services::{banks, contests, seed},
    state::AppState,
    store,
};
use uuid::Uuid;

fn bank() -> String {
    let mut s = String::from("bank:\n  id: chung-ket\n  title: Ngân hàng chung kết\nquestions:\n");
    for i in 0..40 {
        s.push_str(&format!(
            "  - id: q{i}\n    type: single\n    stem: Câu {i}?\n    options:\n      - text: Đúng {i}\n        correct: true\n      - text: Sai {i}\n    explanation: Vì thế.\n    source: Tài liệu\n"
        ));
    }
    s
}

#[tokio::main]
async fn main() {
    let n = env_num("BENCH_N", 10_000);
    let dir = std::env::temp_dir().join(format!("soiduong-bench-{}", Uuid::new_v4().simple()));
    let mut settings =
        Settings::embedded(dir, Secret::new("bench-secret-bench-secret-bench-secret"));
    settings.import_shipped_banks = false;
    settings.database_url =
        std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    let backend = if settings.is_sqlite() {
        "SQLite (in memory)"
    } else {
        "PostgreSQL"
    };
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let state = AppState::connect(settings, clock.clone()).await.unwrap();
    seed::seed_if_empty(&state).await.unwrap();
    let system = Caller::system();
    let summary = banks::import_file(
        &state,
        &system,
        banks::ImportTarget::default(),
        "chung-ket.yaml",
        bank().as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(summary.added, 40, "bank: {:?}", summary.errors);
    let units: Vec<i32> = store::units::list(&state.db, false)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    let now = clock.now();
    let mut rounds = Vec::new();
    let prizes = json!({ "tiers": [{ "name": "Giải Nhất", "count": 10 }, { "name": "Giải Nhì", "count": 40 },
                                   { "name": "Giải Ba", "count": 100 }, { "name": "Giải Khuyến khích", "count": 150 }] });
    let none = json!({ "tiers": [] });
    for (slug, prizes) in [
        ("khoi-dong", &none),
        ("khong-giai", &none),
        ("co-giai", &prizes),
        ("khong-giai-nua", &none),
    ] {
        let contest = contests::create(
            &state,
            &system,
            serde_json::from_value(
                json!({ "slug": format!("{slug}-{}", Uuid::new_v4().simple()),
                "title": "Tự hào Việt Nam", "owner_unit_id": units[0], "prizes": prizes }),
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let round = contests::add_round(
            &state,
            &system,
            contest.id,
            serde_json::from_value(json!({ "title": "Chung kết", "opens_at": now - Duration::minutes(1),
                "closes_at": now + Duration::hours(1), "draw": [{ "bank": "chung-ket", "count": 20 }],
                "time_limit_minutes": 20, "attempts_allowed": 1 }))
            .unwrap(),
        )
        .await
        .unwrap();
        let r = store::contests::round(&state.db, round.id)
            .await
            .unwrap()
            .unwrap();
        rounds.push((r.id, r.quiz_id));
    }

    let prepared = Instant::now();
    let people: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    for (chunk_no, chunk) in people.chunks(500).enumerate() {
        let rows = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| entity::users::ActiveModel {
                id: Set(*id),
                full_name: Set(format!("Người dự thi số {}", chunk_no * 500 + i)),
                phone: Set(None),
                email: Set(Some(format!("{}@bench.vn", id.simple()))),
                password_hash: Set(None),
                birth_date: Set(Some("2001-02-03".parse().unwrap())),
                unit_id: Set(Some(units[(chunk_no * 500 + i) % units.len()])),
                admitted_on: Set(None),
                guardian_consent: Set(false),
                is_admin: Set(false),
                deleted_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                token_generation: Set(0),
            });
        entity::users::Entity::insert_many(rows)
            .exec_without_returning(&state.db)
            .await
            .unwrap();
    }
    for &(_, quiz) in &rounds {
        for (chunk_no, chunk) in people.chunks(500).enumerate() {
            let rows = chunk.iter().enumerate().map(|(i, user)| {
                let k = chunk_no * 500 + i;
                let submitted = now + Duration::seconds((k % 1800) as i64);
                let ms = 60_000 + (k as i64 * 7919) % 1_000_000;
                entity::attempts::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    quiz_id: Set(quiz),
                    user_id: Set(*user),
                    attempt_no: Set(1),
                    state: Set("submitted".into()),
                    unit_id: Set(Some(units[k % units.len()])),
                    started_at: Set(submitted - Duration::milliseconds(ms)),
                    deadline: Set(submitted + Duration::minutes(5)),
                    paper: Set("[]".into()),
                    answers: Set("{}".into()),
                    revision: Set(0),
                    submitted_at: Set(Some(submitted)),
                    closed_by: Set(Some("submit".into())),
                    correct: Set(Some((k % 21) as i32)),
                    total: Set(20),
                    duration_ms: Set(Some(ms)),
                    passed: Set(Some(false)),
                    idempotency_key: Set(None),
                    prediction: Set(None),
                    updated_at: Set(submitted),
                    ..Default::default()
                }
            });
            entity::attempts::Entity::insert_many(rows)
                .exec_without_returning(&state.db)
                .await
                .unwrap();
        }
    }
    println!(
        "{backend}: {n} participants in each of four rounds, prepared in {:.1} s",
        prepared.elapsed().as_secs_f64()
    );

    clock.advance(Duration::hours(2));
    let mut took = Vec::new();
    for &(round, _) in &rounds {
        let before = entity::certificates::Entity::find()
            .count(&state.db)
            .await
            .unwrap();
        let t = Instant::now();
        assert!(contests::finalise(&state, round).await.unwrap());
        let secs = t.elapsed().as_secs_f64();
        let issued = entity::certificates::Entity::find()
            .count(&state.db)
            .await
            .unwrap()
            - before;
        took.push((secs, issued));
    }
    let again = Instant::now();
    assert!(!contests::finalise(&state, rounds[2].0).await.unwrap());
    let total = entity::certificates::Entity::find()
        .count(&state.db)
        .await
        .unwrap();
    let base = (took[1].0 + took[3].0) / 2.0;
    let base_issued = took[0].1 + took[1].1 + took[3].1;
    let (with, issued) = took[2];
    println!("warm-up finalise: {:.3} s", took[0].0);
    println!(
        "finalise without prizes (baseline, mean of two): {base:>7.3} s ({:.3} s, {:.3} s), {base_issued} certificates",
        took[1].0, took[3].0
    );
    println!("finalise with 300 prize winners: {with:>7.3} s, {issued} certificates");
    println!(
        "certificates add {:.3} s ({:.2}× the baseline), {:.2} ms a certificate",
        with - base,
        with / base,
        (with - base) * 1000.0 / issued.max(1) as f64
    );
    println!(
        "second finaliser run: {:.3} s, issued {} (certificates in all: {total})",
        again.elapsed().as_secs_f64(),
        total - base_issued - issued
    );
    assert_eq!(
        total,
        base_issued + issued,
        "a second run must issue nothing"
    );
}
