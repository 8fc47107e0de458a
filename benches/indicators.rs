//! The indicator report at provincial scale: 1,000 units, 500,000 members on rosters (350,000
//! registered), 5,000,000 lesson progress rows and about 1.2 million course completions,
//! generated in PostgreSQL by `store::scale` (the same generator as `soiduong seed-scale`).
//! It prints the report time for the province and for one district next to a bare
//! `SELECT count(*)` over the progress table, each the median of five warm runs in the same
//! run. Targets: province ≤ 3 × count, district ≤ 0.3 × count. Run with
//!
//! ```sh
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench indicators
//! ```
//!
//! It creates (and drops afterwards) a database `bench_indicators` on that server.
//! `BENCH_MEMBERS`, `BENCH_UNITS`, `BENCH_PROGRESS` scale it down for a quick look.

// A bench, like a test, stops loudly at the first broken step.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{Datelike, Utc};
use common::env_num;
use sea_orm::{ConnectionTrait, Database, Statement};
use soiduong::{
    auth::Caller,
    clock::SystemClock,
    config::{Secret, Settings},
    domain::indicators::Measure,
    services::{indicators, seed},
    state::AppState,
    store::scale::{self, Scale},
};

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() {
    let Ok(server) = std::env::var("BENCH_DATABASE_URL") else {
        println!(
            "indicators bench: set BENCH_DATABASE_URL to a PostgreSQL server (it needs generate_series)"
        );
        return;
    };
    let admin_url = server.clone();
    let admin = Database::connect(&admin_url).await.unwrap();
    let backend = admin.get_database_backend();
    for sql in [
        "DROP DATABASE IF EXISTS bench_indicators",
        "CREATE DATABASE bench_indicators",
    ] {
        admin
            .execute_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
    let url = match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/bench_indicators"),
        None => panic!("BENCH_DATABASE_URL needs a database path"),
    };
    let dir = std::env::temp_dir().join(format!("soiduong-bench-{}", std::process::id()));
    let mut settings = Settings::embedded(
        dir.clone(),
        Secret::new("bench-secret-bench-secret-bench-secret"),
    );
    settings.import_shipped_banks = false;
    settings.database_url = url;
    let state = AppState::connect(settings, Arc::new(SystemClock))
        .await
        .unwrap();
    seed::seed_if_empty(&state).await.unwrap();
    let year = Utc::now().year();
    let size = Scale {
        units: env_num("BENCH_UNITS", 1_000) as u32,
        members: env_num("BENCH_MEMBERS", 500_000) as u32,
        registered: (env_num("BENCH_MEMBERS", 500_000) * 7 / 10) as u32,
        progress: env_num("BENCH_PROGRESS", 5_000_000) as u32,
        year,
    };
    let measured: Vec<String> = state
        .catalogue
        .indicators
        .iter()
        .filter(|i| i.measure == Measure::CourseCompletion)
        .map(|i| i.key.clone())
        .collect();
    let t = Instant::now();
    let made = scale::generate(&state.db, size, &measured).await.unwrap();
    println!(
        "generated in {:.1} s: {} units, {} members, {} progress rows, {} completions",
        t.elapsed().as_secs_f64(),
        made.units,
        made.members,
        made.progress,
        made.completions
    );

    let system = Caller::system();
    let count = || async {
        let t = Instant::now();
        state
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT count(*) FROM lesson_progress",
            ))
            .await
            .unwrap();
        t.elapsed()
    };
    let report = |unit: i32| {
        let (state, system) = (&state, &system);
        async move {
            let t = Instant::now();
            let r = indicators::report(state, system, unit, year).await.unwrap();
            (t.elapsed(), r)
        }
    };
    // Warm both, then five of each, interleaved so that noise falls on both alike.
    count().await;
    let (_, province) = report(made.root).await;
    report(made.district).await;
    let (mut counts, mut provinces, mut districts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        counts.push(count().await);
        provinces.push(report(made.root).await.0);
        districts.push(report(made.district).await.0);
    }
    let (c, p, d) = (median(counts), median(provinces), median(districts));
    let overall = |code: &str| {
        province
            .indicators
            .iter()
            .find(|i| i.code == code)
            .map(|i| (i.groups[0].numerator, i.groups[0].denominator))
    };
    println!(
        "\nIndicator report at provincial scale ({} members, {} units, {} progress rows), PostgreSQL, median of 5:",
        made.members, made.units, made.progress
    );
    println!(
        "baseline SELECT count(*) FROM lesson_progress: {:>8.1} ms",
        c.as_secs_f64() * 1e3
    );
    println!(
        "province report ({} indicators):            {:>8.1} ms = {:.2} × count (target ≤ 3)",
        province.indicators.len(),
        p.as_secs_f64() * 1e3,
        p.as_secs_f64() / c.as_secs_f64()
    );
    println!(
        "district report:                             {:>8.1} ms = {:.2} × count (target ≤ 0.3)",
        d.as_secs_f64() * 1e3,
        d.as_secs_f64() / c.as_secs_f64()
    );
    println!(
        "province 2.3 overall (done, counted): {:?}; 2.6: {:?}",
        overall("2.3"),
        overall("2.6")
    );
    drop(state);
    admin
        .execute_raw(Statement::from_string(
            backend,
            "DROP DATABASE IF EXISTS bench_indicators WITH (FORCE)",
        ))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
