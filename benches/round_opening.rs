//! A round opening: N participants start an attempt, autosave twice, submit and read the board,
//! C at a time, over HTTP against the real app. Run with
//!
//! ```sh
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/bench BENCH_REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo bench --bench round_opening            # BENCH_N=2000 BENCH_C=64 by default
//! ```
//!
//! Without the two variables it runs on SQLite and the in-memory board. It prints throughput and
//! p50/p99 per step, next to `pgbench -S` and `redis-benchmark` baselines measured in the same
//! run (when those tools are installed), because only ratios survive these noisy machines.

use std::{process::Command, sync::Arc, time::Instant};

use serde_json::{Value, json};
use soiduong::{
    auth::Caller,
    clock::SystemClock,
    config::{Secret, Settings},
    domain::person::Category,
    services::{banks, contests},
    startup::Application,
    store,
};
use tokio::sync::Semaphore;
use uuid::Uuid;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bank() -> String {
    let mut s = String::from("bank:\n  id: vong-thi\n  title: Ngân hàng vòng thi\nquestions:\n");
    for i in 0..300 {
        s.push_str(&format!(
            "  - id: q{i}\n    type: single\n    stem: Câu {i}?\n    options:\n      - text: Đúng {i}\n        correct: true\n      - text: Sai {i}\n      - text: Sai nữa {i}\n      - text: Sai hẳn {i}\n    explanation: Vì thế.\n    source: Tài liệu\n"
        ));
    }
    s
}

#[derive(Default)]
struct Steps {
    start: Vec<f64>,
    save: Vec<f64>,
    submit: Vec<f64>,
    board: Vec<f64>,
}

fn line(name: &str, mut v: Vec<f64>, wall: f64) {
    v.sort_by(f64::total_cmp);
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<22} {:>8} req  {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        v.len(),
        v.len() as f64 / wall,
        p(0.5),
        p(0.99)
    );
}

fn pgbench(url: &str, clients: usize) -> Option<f64> {
    let url = url.rsplit_once('/').map(|(b, _)| format!("{b}/postgres"))?;
    Command::new("pgbench")
        .args(["-i", "-q", &url])
        .output()
        .ok()?;
    let out = Command::new("pgbench")
        .args([
            "-S",
            "-n",
            "-T",
            "5",
            "-c",
            &clients.min(16).to_string(),
            "-j",
            "2",
            &url,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let _ = Command::new("psql").args([&url, "-qc", "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers"]).output();
    text.lines()
        .find(|l| l.starts_with("tps"))?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

fn redis_benchmark(url: &str) -> Option<String> {
    let host = url.trim_start_matches("redis://").split('/').next()?;
    let (h, p) = host.split_once(':').unwrap_or((host, "6379"));
    let out = Command::new("redis-benchmark")
        .args([
            "-h", h, "-p", p, "-q", "-n", "50000", "-c", "32", "-t", "zadd,get",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // redis-benchmark redraws its progress line with CR; keep the final summaries.
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| l.rsplit(char::from(13)).next())
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    Some(lines.join("  "))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = env_num("BENCH_N", 2000);
    let c = env_num("BENCH_C", 64);
    let dir = std::env::temp_dir().join(format!("soiduong-bench-{}", Uuid::new_v4().simple()));
    let mut settings = Settings::embedded(
        dir.clone(),
        Secret::new("bench-secret-bench-secret-bench-secret"),
    );
    std::fs::create_dir_all(&dir)?;
    settings.bind = "127.0.0.1:0".into();
    settings.import_shipped_banks = false;
    settings.redis_prefix = format!("bench:{}:", Uuid::new_v4().simple());
    let db_url = std::env::var("BENCH_DATABASE_URL").ok();
    let redis_url = std::env::var("BENCH_REDIS_URL").ok();
    if let Some(url) = &db_url {
        settings.database_url = url.clone();
        settings.database_max_connections = 8;
    }
    settings.redis_url = redis_url.clone();
    let backend = format!(
        "{} + {}",
        if db_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        if redis_url.is_some() {
            "Redis"
        } else {
            "in-memory board"
        }
    );
    let app = Application::build_with_clock(settings, Arc::new(SystemClock), Some(2)).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());

    let summary = banks::import_file(
        &state,
        &Caller::system(),
        banks::ImportTarget::default(),
        "vong-thi.yaml",
        bank().as_bytes(),
    )
    .await?;
    anyhow::ensure!(summary.added == 300, "bank: {:?}", summary.errors);
    let province = store::units::list(&state.db, false)
        .await?
        .first()
        .map(|u| u.id)
        .unwrap_or(1);
    let system = Caller::system();
    let contest = contests::create(
        &state,
        &system,
        serde_json::from_value(json!({ "slug": format!("bench-{}", Uuid::new_v4().simple()), "title": "Đo tải", "owner_unit_id": province }))?,
    )
    .await?;
    let now = chrono::Utc::now();
    let round = contests::add_round(
        &state,
        &system,
        contest.id,
        serde_json::from_value(json!({ "title": "Tuần 1", "opens_at": now - chrono::Duration::minutes(1),
            "closes_at": now + chrono::Duration::hours(2), "draw": [{ "bank": "vong-thi", "count": 30 }],
            "time_limit_minutes": 20, "attempts_allowed": 2 }))?,
    )
    .await?;
    let units: Vec<i32> = store::units::list(&state.db, false)
        .await?
        .iter()
        .map(|u| u.id)
        .collect();
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let id = Uuid::new_v4();
        store::users::insert(
            &state.db,
            store::users::NewUser {
                id,
                full_name: format!("Người Thi Số {i}"),
                phone: None,
                email: Some(format!("{id}@bench.vn")),
                password_hash: "x".into(),
                birth_date: None,
                unit_id: units.get(i % units.len()).copied(),
                admitted_on: None,
                guardian_consent: false,
                is_admin: false,
                categories: vec![Category::Youth],
            },
            now,
        )
        .await?;
        tokens.push(state.jwt.issue(
            id,
            false,
            chrono::Utc::now(),
            std::time::Duration::from_secs(7200),
        )?);
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(c)
        .build()?;
    let gate = Arc::new(Semaphore::new(c));
    let began = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for token in tokens {
        let (client, base, gate) = (client.clone(), base.clone(), gate.clone());
        let round = round.id;
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let mut times = [0f64; 5];
            let t = Instant::now();
            let view: Value = client
                .post(format!("{base}/api/v1/rounds/{round}/attempts"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            times[0] = t.elapsed().as_secs_f64() * 1e3;
            let attempt = view["attempt_id"].as_str().unwrap_or_default().to_owned();
            let qs = view["questions"].as_array().cloned().unwrap_or_default();
            for (k, half) in [qs.get(..15), qs.get(15..)].into_iter().enumerate() {
                let answers: Vec<Value> = half
                    .unwrap_or_default()
                    .iter()
                    .map(|q| json!({ "question_id": q["id"], "option_ids": ["a"] }))
                    .collect();
                let t = Instant::now();
                let res = client
                    .put(format!("{base}/api/v1/attempts/{attempt}/answers"))
                    .bearer_auth(&token)
                    .json(&json!({ "answers": answers }))
                    .send()
                    .await?;
                anyhow::ensure!(res.status().is_success(), "save: {}", res.status());
                times[1 + k] = t.elapsed().as_secs_f64() * 1e3;
            }
            let t = Instant::now();
            let res = client
                .post(format!("{base}/api/v1/attempts/{attempt}/submit"))
                .bearer_auth(&token)
                .header("Idempotency-Key", "bench")
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "submit: {}", res.status());
            times[3] = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let res = client
                .get(format!("{base}/api/v1/rounds/{round}/leaderboard?limit=20"))
                .bearer_auth(&token)
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "board: {}", res.status());
            times[4] = t.elapsed().as_secs_f64() * 1e3;
            anyhow::Ok(times)
        }));
    }
    let mut steps = Steps::default();
    for t in tasks {
        let times = t.await??;
        steps.start.push(times[0]);
        steps.save.extend([times[1], times[2]]);
        steps.submit.push(times[3]);
        steps.board.push(times[4]);
    }
    let wall = began.elapsed().as_secs_f64();
    let entries = state.boards.count(&format!("round:{}", round.id)).await?;
    anyhow::ensure!(
        entries as usize == n,
        "board has {entries} entries for {n} participants"
    );

    println!(
        "\nRound opening: {n} participants, {c} at a time, 30 of 300 questions, on {backend}, 2 workers"
    );
    line("start attempt", steps.start, wall);
    line("autosave", steps.save, wall);
    line("submit", steps.submit, wall);
    line("board page (20)", steps.board, wall);
    println!(
        "{:<22} {:>8} participants in {wall:.1} s = {:.0} participants/s",
        "whole round",
        n,
        n as f64 / wall
    );
    if let Some(url) = &db_url {
        match pgbench(url, c) {
            Some(tps) => println!("baseline pgbench -S (select-only, same server): {tps:.0} tps"),
            None => println!("baseline pgbench: not available"),
        }
    }
    if let Some(url) = &redis_url {
        match redis_benchmark(url) {
            Some(text) => println!("baseline redis-benchmark: {text}"),
            None => println!("baseline redis-benchmark: not available"),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
