//! Login bursts against the real server binary, run as its own process so its memory can be
//! read alone: (a) 200 concurrent logins of unknown phones, (b) a round opening where N people
//! (2,000 by default) register and log in, C (64) in flight. Prints the server's peak RSS
//! (`VmHWM`) after each phase and its RSS once idle, next to the time of one argon2 hash
//! measured in this process (only ratios survive noisy machines). Run with
//!
//! ```sh
//! cargo bench --bench login_burst                 # BENCH_N=2000 BENCH_C=64 BENCH_BURST=200
//! ```
//!
//! The server runs in the embedded mode (SQLite, in-memory limiter) in a temporary folder,
//! behind a "trusted proxy" so each simulated person has their own address, as in a round
//! opening where people log in from their own phones. `BENCH_SERVER_BIN` runs another build
//! (e.g. an older commit) for a before/after comparison.
//!
//! Measured on 2 shared cores (one argon2 hash: 44.5 ms): at 00da3bb (blocking pool, a fresh
//! 19 MiB per hash) (a) peaked at 3,839 MiB in 9.0 s and (b) with only 500 people at
//! 19,349 MiB, never returned; with the bounded pool (a) peaks at 72.7 MiB in 3.9 s and (b)
//! with 2,000 people at 75.7 MiB (26 people/s, 0.85 hash times a person).

// A bench, like a test, stops loudly at the first broken step.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::zombie_processes)]

mod common;

use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use common::{env_num, memory, statuses};
use serde_json::{Value, json};

struct Server {
    child: Child,
    base: String,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start_server() -> Server {
    let bin = std::env::var("BENCH_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_soiduong").to_owned());
    let dir = std::env::temp_dir().join(format!("soiduong-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SOIDUONG_DATA_DIR", &dir)
        .env("SOIDUONG_BIND", format!("127.0.0.1:{port}"))
        .env("SOIDUONG_TRUST_PROXY", "1")
        .env("SOIDUONG_SEED_DEMO", "1")
        .env("SOIDUONG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cannot start the server binary");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Server { child, base, dir };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start within a minute");
}

fn print_memory(pid: u32) {
    let (hwm, rss) = memory(pid);
    println!("    server peak RSS {hwm:.1} MiB, RSS after {rss:.1} MiB");
}

fn address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

#[tokio::main]
async fn main() {
    let n = env_num("BENCH_N", 2000);
    let c = env_num("BENCH_C", 64);
    let burst = env_num("BENCH_BURST", 200);

    let t = Instant::now();
    let _ = soiduong::auth::password::hash("mot-mat-khau-bat-ky".into()).await;
    let hash_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!("baseline: one argon2id hash (19 MiB, t=2) in this process: {hash_ms:.1} ms");

    let server = start_server().await;
    let pid = server.child.id();
    let (hwm, rss) = memory(pid);
    println!("server started: peak {hwm:.1} MiB, now {rss:.1} MiB");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(burst.max(c))
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let base = server.base.clone();

    // (a) Unknown phones, all at once.
    let (counts, wall) = statuses(burst, burst, |i| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .post(format!("{base}/api/v1/auth/login"))
                .header("X-Forwarded-For", address(i))
                .json(&json!({ "login": format!("09{:08}", 10_000_000 + i), "password": "khong-dung-dau" }))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    })
    .await;
    println!(
        "(a) {burst} concurrent unknown logins: {wall:.1} s ({:.1} hash times per login), statuses {counts:?}",
        wall * 1000.0 / hash_ms / burst as f64
    );
    print_memory(pid);

    // (b) A round opening: register, log in, read the profile.
    let units: Vec<Value> = client
        .get(format!("{base}/api/v1/units"))
        .send()
        .await
        .expect("units")
        .json()
        .await
        .expect("units json");
    let unit_ids: Arc<Vec<i64>> = Arc::new(units.iter().filter_map(|u| u["id"].as_i64()).collect());
    let (counts, wall) = statuses(n, c, |i| {
        let (client, base, units) = (client.clone(), base.clone(), unit_ids.clone());
        async move {
            let phone = format!("098{:07}", i);
            let addr = address(100_000 + i);
            let reg = client
                .post(format!("{base}/api/v1/auth/register"))
                .header("X-Forwarded-For", &addr)
                .json(&json!({
                    "full_name": "Nguyễn Văn Thử",
                    "phone": phone,
                    "password": "mat-khau-du-dai",
                    "birth_date": "2001-02-03",
                    "unit_id": units[i % units.len().max(1)],
                    "categories": ["youth"],
                }))
                .send()
                .await;
            match reg {
                Ok(r) if r.status().as_u16() == 201 => {}
                Ok(r) => return r.status().as_u16(),
                Err(_) => return 0,
            }
            let Ok(res) = client
                .post(format!("{base}/api/v1/auth/login"))
                .header("X-Forwarded-For", &addr)
                .json(&json!({ "login": phone, "password": "mat-khau-du-dai" }))
                .send()
                .await
            else {
                return 0;
            };
            if res.status().as_u16() != 200 {
                return res.status().as_u16();
            }
            let Ok(tokens) = res.json::<Value>().await else {
                return 1;
            };
            let token = tokens["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            client
                .get(format!("{base}/api/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    })
    .await;
    println!(
        "(b) {n} people register + log in + read /me, {c} in flight: {wall:.1} s, {:.0} people/s ({:.2} hash times per person), statuses {counts:?}",
        n as f64 / wall,
        wall * 1000.0 / hash_ms / n as f64
    );
    print_memory(pid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (hwm, rss) = memory(pid);
    println!("idle 2 s later: peak {hwm:.1} MiB, RSS {rss:.1} MiB (target: peak <= 150 MiB)");
}
