//! A round opening against the real server binary, run as its own process so that its memory
//! is its own: N participants register and log in, then each starts an attempt, autosaves
//! its 30 answers in S saves, submits and reads the board, C at a time. Run with
//!
//! ```sh
//! psql postgres://postgres@127.0.0.1:5432/postgres -c 'drop database if exists bench' -c 'create database bench'
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench BENCH_REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo bench --bench round_opening          # BENCH_N=2000 BENCH_C=64 by default
//! ```
//!
//! Without the two variables it runs on SQLite and the in-memory board. It prints, per step,
//! requests, req/s, p50 and p99 and (PostgreSQL) the database round trips per request; the
//! writes per second (saves + submits over the burst's wall time) next to a `pgbench` upsert
//! run at the same client count in the same run, and their ratio; the start p99 under the
//! burst against the start p50 at steady state (one participant at a time, measured first),
//! and against the start p50 within the burst (the tail ratio at the same load); the start's
//! p50 and p99 as the server's own histogram (`/metrics`) times them over the burst, to tell
//! time in the handler from time outside it; and the server's peak RSS (`VmHWM`) through the
//! whole run, registration included.
//!
//! Round trips are counted by a small proxy between a second server process and PostgreSQL,
//! run before the timed phases on a participant at a time: every simple query (`Q`), every
//! `Sync` (`S`) and `Flush` (`H`) the client sends is one wait for the database. BEGIN,
//! COMMIT and the pool's liveness pings are counted like any statement. A trip that only
//! prepares a statement (`Parse`/`Describe` then `Sync`, no `Execute`: sqlx's first use of a
//! statement on a connection) is left out and its number printed, so the figures are the
//! steady state's. `BENCH_TRACE=1` prints, per step of the counted participants, its round
//! trips and the statements prepared in it. The timed server talks to PostgreSQL directly.
//!
//! `BENCH_REGISTER=direct` inserts the accounts in the database instead of registering them
//! over HTTP (fast, for quick comparisons; the RSS then leaves registration out).
//! `BENCH_SERVER_BIN` runs another build of the server. `BENCH_SAVES` (1 to 30, default 2:
//! fifteen answers a save) sets the saves per participant; `BENCH_SAVES=30` saves each answer
//! on its own, as the web app's script does at each tap. `SOIDUONG_GROUP_SAVES=false` is
//! passed on to the server (autosaves one statement each, for comparison).

// A bench, like a test, stops loudly at the first broken step.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::zombie_processes)]

mod common;

use common::{env_num, memory, percentile};
use std::{
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use soiduong::{
    auth::{Caller, JwtKeys},
    clock::SystemClock,
    config::{Secret, Settings},
    domain::person::Category,
    services::{banks, contests, seed},
    state::AppState,
    store,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
};
use uuid::Uuid;

const SECRET: &str = "bench-secret-bench-secret-bench-secret";
const PASSWORD: &str = "mat-khau-du-dai";

fn bank() -> String {
    let mut s = String::from("bank:\n  id: vong-thi\n  title: Ngân hàng vòng thi\nquestions:\n");
    for i in 0..300 {
        s.push_str(&format!(
            "  - id: q{i}\n    type: single\n    stem: Câu {i}?\n    options:\n      - text: Đúng {i}\n        correct: true\n      - text: Sai {i}\n      - text: Sai nữa {i}\n      - text: Sai hẳn {i}\n    explanation: Vì thế.\n    source: Tài liệu\n"
        ));
    }
    s
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Prints one step; returns its p50 and p99.
fn line(name: &str, v: Vec<f64>, wall: f64, trips: Option<f64>) -> (f64, f64) {
    let v = sorted(v);
    let (p50, p99) = (percentile(&v, 0.5), percentile(&v, 0.99));
    let trips = trips.map_or_else(|| "-".to_owned(), |t| format!("{t:.1}"));
    println!(
        "{name:<18} {:>6} req {:>7.0} req/s  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  db round trips/req {trips:>4}",
        v.len(),
        v.len() as f64 / wall,
    );
    (p50, p99)
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_server(dir: &std::path::Path, db: Option<&str>, redis: Option<&str>) -> Server {
    let bin = std::env::var("BENCH_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_soiduong").to_owned());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SOIDUONG_DATA_DIR", dir)
        .env("SOIDUONG_JWT_SECRET", SECRET)
        .env("SOIDUONG_BIND", format!("127.0.0.1:{port}"))
        .env("SOIDUONG_TRUST_PROXY", "1")
        .env("SOIDUONG_SEED_DEMO", "0")
        .env("SOIDUONG_LOG", "warn")
        .env(
            "SOIDUONG_REDIS_PREFIX",
            format!("bench:{}:", Uuid::new_v4().simple()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(url) = db {
        cmd.env("DATABASE_URL", url)
            .env("DATABASE_MAX_CONNECTIONS", "8");
    }
    if let Some(url) = redis {
        cmd.env("REDIS_URL", url);
    }
    if let Ok(v) = std::env::var("SOIDUONG_GROUP_SAVES") {
        cmd.env("SOIDUONG_GROUP_SAVES", v);
    }
    let child = cmd.spawn().expect("cannot start the server binary");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Server { child, base };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start within a minute");
}

/// Counts the round trips in the client's side of the PostgreSQL wire protocol: `Q` (simple
/// query), `S` (sync) and `H` (flush) messages. A trip that carried no `Execute` and no simple
/// query (only `Parse`/`Describe`: sqlx preparing a statement on a connection for the first
/// time) is counted apart, so that the steady-state figure leaves preparation out. With
/// `log`, the text of every statement is kept (for `BENCH_TRACE`).
struct WireCounter {
    typed: bool,
    header: Vec<u8>,
    skip: usize,
    /// The message being read whole (`P` or `Q`), and how much of it is still to come.
    body: Option<(u8, Vec<u8>, usize)>,
    executes: bool,
}

/// What the proxy counts: round trips that ran something, those that only prepared, and
/// (when tracing) the statements seen.
#[derive(Default)]
struct Wire {
    trips: AtomicU64,
    prepares: AtomicU64,
    log: Option<std::sync::Mutex<Vec<String>>>,
}

impl Wire {
    fn note(&self, kind: u8, body: &[u8]) {
        let Some(log) = &self.log else { return };
        // Parse: name\0 query\0 …; Query: query\0.
        let text = if kind == b'P' {
            body.splitn(3, |b| *b == 0).nth(1).unwrap_or_default()
        } else {
            body.split(|b| *b == 0).next().unwrap_or_default()
        };
        let text = String::from_utf8_lossy(text);
        let short: String = text.chars().take(160).collect();
        log.lock().unwrap().push(format!(
            "{} {short}",
            if kind == b'P' { "parse" } else { "query" }
        ));
    }
}

impl WireCounter {
    fn feed(&mut self, mut bytes: &[u8], wire: &Wire) {
        while !bytes.is_empty() {
            if let Some((kind, body, left)) = &mut self.body {
                let n = (*left).min(bytes.len());
                body.extend_from_slice(&bytes[..n]);
                *left -= n;
                bytes = &bytes[n..];
                if *left == 0 {
                    wire.note(*kind, body);
                    self.body = None;
                }
                continue;
            }
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            // Untyped start-up messages: length (4) then a code (4); typed: type (1) + length (4).
            let want = if self.typed { 5 } else { 8 };
            let n = (want - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.header.len() < want {
                continue;
            }
            if self.typed {
                let kind = self.header[0];
                let len = u32::from_be_bytes(self.header[1..5].try_into().unwrap()) as usize;
                let rest = len.saturating_sub(4);
                match kind {
                    b'E' => self.executes = true,
                    b'Q' => {
                        wire.trips.fetch_add(1, Ordering::Relaxed);
                        self.executes = false;
                    }
                    b'S' | b'H' => {
                        let counter = if self.executes {
                            &wire.trips
                        } else {
                            &wire.prepares
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                        self.executes = false;
                    }
                    _ => {}
                }
                if matches!(kind, b'P' | b'Q') && wire.log.is_some() && rest > 0 {
                    self.body = Some((kind, Vec::with_capacity(rest), rest));
                } else {
                    self.skip = rest;
                }
            } else {
                let len = u32::from_be_bytes(self.header[0..4].try_into().unwrap()) as usize;
                let code = u32::from_be_bytes(self.header[4..8].try_into().unwrap());
                // 196608 is protocol 3.0's StartupMessage; SSL/GSS requests come before it.
                self.typed = code == 196_608;
                self.skip = len.saturating_sub(8);
            }
            self.header.clear();
        }
    }
}

/// A proxy to PostgreSQL at `upstream` that counts round trips. Returns its address.
async fn counting_proxy(upstream: String, wire: Arc<Wire>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, wire) = (upstream.clone(), wire.clone());
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let mut counter = WireCounter {
                    typed: false,
                    header: Vec::new(),
                    skip: 0,
                    body: None,
                    executes: false,
                };
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match cr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    counter.feed(&buf[..n], &wire);
                    if sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// `postgres://user@host:port/db` → (`host:port`, the URL through `proxy` without TLS).
fn through(url: &str, proxy: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth_host, db) = rest.split_once('/').unwrap_or((rest, "postgres"));
    let (user, host) = auth_host
        .rsplit_once('@')
        .unwrap_or(("postgres", auth_host));
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    let db = db.split('?').next().unwrap_or(db);
    (
        host,
        format!("postgres://{user}@{proxy}/{db}?sslmode=disable"),
    )
}

/// A person's token and a distinct client address.
#[derive(Clone)]
struct Person {
    token: String,
    address: String,
}

fn address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

/// Registers and logs in `count` people over HTTP (`first` numbers them), `c` at a time.
async fn register(
    client: &reqwest::Client,
    base: &str,
    units: &[i32],
    first: usize,
    count: usize,
    c: usize,
) -> Vec<Person> {
    let gate = Arc::new(Semaphore::new(c));
    let mut tasks = Vec::with_capacity(count);
    for i in first..first + count {
        let (client, base, gate) = (client.clone(), base.to_owned(), gate.clone());
        let unit = units[i % units.len()];
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let phone = format!("097{i:07}");
            let addr = address(i);
            let res = client
                .post(format!("{base}/api/v1/auth/register"))
                .header("X-Forwarded-For", &addr)
                .json(&json!({ "full_name": "Nguyễn Văn Thử", "phone": phone,
                    "password": PASSWORD, "birth_date": "2001-02-03", "unit_id": unit,
                    "categories": ["youth"] }))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            assert_eq!(
                status,
                201,
                "register: {}",
                res.text().await.unwrap_or_default()
            );
            let tokens: Value = client
                .post(format!("{base}/api/v1/auth/login"))
                .header("X-Forwarded-For", &addr)
                .json(&json!({ "login": phone, "password": PASSWORD }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            Person {
                token: tokens["access_token"].as_str().unwrap().to_owned(),
                address: addr,
            }
        }));
    }
    let mut out = Vec::with_capacity(count);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Inserts `count` accounts in the database and issues their tokens here.
async fn insert_people(state: &AppState, units: &[i32], first: usize, count: usize) -> Vec<Person> {
    let keys = JwtKeys::new(&Secret::new(SECRET));
    let mut out = Vec::with_capacity(count);
    for i in first..first + count {
        let id = Uuid::new_v4();
        let user = store::users::insert(
            &state.db,
            store::users::NewUser {
                id,
                full_name: format!("Người Thi Số {i}"),
                phone: None,
                email: Some(format!("{id}@bench.vn")),
                password_hash: "x".into(),
                birth_date: None,
                unit_id: Some(units[i % units.len()]),
                admitted_on: None,
                guardian_consent: false,
                is_admin: false,
                categories: vec![Category::Youth],
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let token = keys
            .issue_at(
                id,
                false,
                user.token_generation,
                chrono::Utc::now(),
                Duration::from_secs(7200),
            )
            .unwrap();
        out.push(Person {
            token,
            address: address(i),
        });
    }
    out
}

/// A participant's steps: the start, `saves` autosaves, the submit, a board page.
#[derive(Clone, Copy)]
struct Steps {
    saves: usize,
}

impl Steps {
    const START: usize = 0;

    fn len(self) -> usize {
        self.saves + 3
    }
    fn saves(self) -> std::ops::RangeInclusive<usize> {
        1..=self.saves
    }
    fn submit(self) -> usize {
        self.saves + 1
    }
    fn board(self) -> usize {
        self.saves + 2
    }
    fn name(self, k: usize) -> String {
        match k {
            0 => "start attempt".into(),
            k if k == self.submit() => "submit".into(),
            k if k == self.board() => "board page (20)".into(),
            k => format!("autosave {k}"),
        }
    }
}

/// One participant's round: start, the saves, submit, a board page. Returns each step's time
/// in ms and, with a counter, its database round trips.
async fn participant(
    client: &reqwest::Client,
    base: &str,
    round: i32,
    p: &Person,
    steps: Steps,
    trips: Option<&Wire>,
) -> (Vec<f64>, Vec<u64>) {
    let mut times = vec![0f64; steps.len()];
    let mut counts = vec![0u64; steps.len()];
    let mut step = |k: usize, t: Instant, before: u64| {
        times[k] = t.elapsed().as_secs_f64() * 1e3;
        if let Some(w) = trips {
            counts[k] = w.trips.load(Ordering::SeqCst) - before;
            if let Some(log) = &w.log {
                let seen = std::mem::take(&mut *log.lock().unwrap());
                println!("[trace] {}: {} round trips", steps.name(k), counts[k]);
                for q in seen {
                    println!("[trace]   {q}");
                }
            }
        }
    };
    let now = || trips.map_or(0, |w| w.trips.load(Ordering::SeqCst));
    let (t, b) = (Instant::now(), now());
    let res = client
        .post(format!("{base}/api/v1/rounds/{round}/attempts"))
        .bearer_auth(&p.token)
        .header("X-Forwarded-For", &p.address)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "start: {}", res.status());
    // Only what the next steps need is decoded, so that the load generator, which shares the
    // cores with the server, spends as little of them as it can.
    let view: Started = res.json().await.unwrap();
    step(Steps::START, t, b);
    let (attempt, qs) = (view.attempt_id, view.questions);
    for k in steps.saves() {
        // Save k holds its share of the answers: all of them over the `saves` saves.
        let chunk = &qs[(k - 1) * qs.len() / steps.saves..k * qs.len() / steps.saves];
        let answers: Vec<Value> = chunk
            .iter()
            .map(|q| json!({ "question_id": q.id, "option_ids": ["a"] }))
            .collect();
        let (t, b) = (Instant::now(), now());
        let res = client
            .put(format!("{base}/api/v1/attempts/{attempt}/answers"))
            .bearer_auth(&p.token)
            .header("X-Forwarded-For", &p.address)
            .json(&json!({ "answers": answers }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "save: {}", res.status());
        res.bytes().await.unwrap();
        step(k, t, b);
    }
    let (t, b) = (Instant::now(), now());
    let res = client
        .post(format!("{base}/api/v1/attempts/{attempt}/submit"))
        .bearer_auth(&p.token)
        .header("X-Forwarded-For", &p.address)
        .header("Idempotency-Key", "bench")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "submit: {}", res.status());
    // Each body read to its end, so that the connection goes back to the pool.
    res.bytes().await.unwrap();
    step(steps.submit(), t, b);
    let (t, b) = (Instant::now(), now());
    let res = client
        .get(format!("{base}/api/v1/rounds/{round}/leaderboard?limit=20"))
        .bearer_auth(&p.token)
        .header("X-Forwarded-For", &p.address)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "board: {}", res.status());
    res.bytes().await.unwrap();
    step(steps.board(), t, b);
    (times, counts)
}

/// What a participant reads of a started attempt.
#[derive(serde::Deserialize)]
struct Started {
    attempt_id: String,
    questions: Vec<Shown>,
}

#[derive(serde::Deserialize)]
struct Shown {
    id: i64,
}

/// Runs everyone's round, `c` at a time. Returns the times per step and the wall time.
async fn run(
    client: &reqwest::Client,
    base: &str,
    round: i32,
    people: Vec<Person>,
    c: usize,
    steps: Steps,
) -> (Vec<Vec<f64>>, f64) {
    let gate = Arc::new(Semaphore::new(c));
    let began = Instant::now();
    let mut tasks = Vec::with_capacity(people.len());
    for p in people {
        let (client, base, gate) = (client.clone(), base.to_owned(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            participant(&client, &base, round, &p, steps, None).await.0
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    (out, began.elapsed().as_secs_f64())
}

fn column(rows: &[Vec<f64>], ks: impl IntoIterator<Item = usize> + Clone) -> Vec<f64> {
    rows.iter()
        .flat_map(|r| ks.clone().into_iter().map(|k| r[k]))
        .collect()
}

/// The start's route as `/metrics` names it.
const START_ROUTE: &str = "/api/v1/rounds/{id}/attempts";

/// The server's latency histogram for POST `route`: (bucket bound in seconds, requests within
/// it), from `/metrics` (readable from loopback).
async fn served(client: &reqwest::Client, base: &str, route: &str) -> Vec<(f64, u64)> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix =
        format!("http_request_duration_seconds_bucket{{method=\"POST\",route=\"{route}\",le=\"");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            let (le, count) = rest.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.parse().ok()?))
        })
        .collect()
}

/// The requests of a histogram since an earlier reading of it.
fn since(now: Vec<(f64, u64)>, before: &[(f64, u64)]) -> Vec<(f64, u64)> {
    now.into_iter()
        .map(|(le, n)| {
            let earlier = before.iter().find(|(b, _)| *b == le).map_or(0, |(_, n)| *n);
            (le, n - earlier)
        })
        .collect()
}

/// The smallest bucket bound that holds the fraction `q` of the requests.
fn bucket_of(h: &[(f64, u64)], q: f64) -> Option<f64> {
    let total = h.iter().map(|(_, n)| *n).max()?;
    h.iter()
        .find(|(_, n)| *n as f64 >= q * total as f64)
        .map(|(le, _)| *le)
        .filter(|_| total > 0)
}

/// `pgbench` upserts (`INSERT … ON CONFLICT DO UPDATE` on a 10,000-row table), `clients` at a
/// time for 10 s, on the bench database. Returns the transactions per second.
fn pgbench_upsert(url: &str, clients: usize) -> Option<f64> {
    let script = std::env::temp_dir().join(format!("upsert-{}.sql", Uuid::new_v4().simple()));
    std::fs::write(
        &script,
        "\\set id random(1, 10000)\nINSERT INTO bench_upsert (id, n) VALUES (:id, 1) ON CONFLICT (id) DO UPDATE SET n = bench_upsert.n + 1;\n",
    )
    .ok()?;
    let psql = |sql: &str| Command::new("psql").args([url, "-qc", sql]).output();
    psql("create table if not exists bench_upsert (id int primary key, n bigint not null)").ok()?;
    let out = Command::new("pgbench")
        .args(["-n", "-f"])
        .arg(&script)
        .args(["-c", &clients.to_string(), "-j", "2", "-T", "10", url])
        .output()
        .ok()?;
    let _ = psql("drop table if exists bench_upsert");
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find(|l| l.starts_with("tps"))?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

#[tokio::main]
async fn main() {
    let n = env_num("BENCH_N", 2000);
    let c = env_num("BENCH_C", 64);
    let steady = env_num("BENCH_STEADY", 100);
    let probe = env_num("BENCH_PROBE", 20);
    let steps = Steps {
        saves: env_num("BENCH_SAVES", 2).clamp(1, 30),
    };
    let direct = std::env::var("BENCH_REGISTER").is_ok_and(|v| v == "direct");
    let db_url = std::env::var("BENCH_DATABASE_URL").ok();
    let redis_url = std::env::var("BENCH_REDIS_URL").ok();
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

    // Set-up in this process: units, the bank, a contest with a round for the timed run and
    // one for counting round trips.
    let dir = std::env::temp_dir().join(format!("soiduong-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut settings = Settings::embedded(dir.clone(), Secret::new(SECRET));
    settings.import_shipped_banks = false;
    if let Some(url) = &db_url {
        settings.database_url = url.clone();
    }
    let state = AppState::connect(settings, Arc::new(SystemClock))
        .await
        .unwrap();
    seed::seed_if_empty(&state).await.unwrap();
    let system = Caller::system();
    let summary = banks::import_file(
        &state,
        &system,
        banks::ImportTarget::default(),
        "vong-thi.yaml",
        bank().as_bytes(),
    )
    .await
    .unwrap();
    assert!(
        summary.added == 300 || summary.unchanged == 300,
        "bank: {:?}",
        summary.errors
    );
    let units: Vec<i32> = store::units::list(&state.db, false)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    let contest = contests::create(
        &state,
        &system,
        serde_json::from_value(
            json!({ "slug": format!("bench-{}", Uuid::new_v4().simple()),
            "title": "Đo tải", "owner_unit_id": units[0] }),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let now = chrono::Utc::now();
    let mut rounds = Vec::new();
    for title in ["Tuần 1", "Đếm lượt"] {
        let r = contests::add_round(
            &state,
            &system,
            contest.id,
            serde_json::from_value(json!({ "title": title, "opens_at": now - chrono::Duration::minutes(1),
                "closes_at": now + chrono::Duration::hours(2), "draw": [{ "bank": "vong-thi", "count": 30 }],
                "time_limit_minutes": 20, "attempts_allowed": 2 }))
            .unwrap(),
        )
        .await
        .unwrap();
        rounds.push(r.id);
    }
    let (round, count_round) = (rounds[0], rounds[1]);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(c.max(8))
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();

    // Round trips per request: a server behind the counting proxy, one participant at a time
    // (the first warms the caches and is left out).
    let mut trips_per_step: Option<Vec<f64>> = None;
    if let Some(url) = &db_url {
        let trace = std::env::var("BENCH_TRACE").is_ok();
        let wire = Arc::new(Wire {
            log: trace.then(Default::default),
            ..Wire::default()
        });
        let (upstream, _) = through(url, "");
        let proxy = counting_proxy(upstream, wire.clone()).await;
        let (_, proxied) = through(url, &proxy);
        let server = start_server(&dir, Some(&proxied), redis_url.as_deref()).await;
        let people = insert_people(&state, &units, 900_000, probe + 1).await;
        let mut sums = vec![0u64; steps.len()];
        let mut prepares = 0;
        for (i, p) in people.iter().enumerate() {
            if i == 1 {
                prepares = wire.prepares.load(Ordering::SeqCst);
            }
            let (_, counts) =
                participant(&client, &server.base, count_round, p, steps, Some(&wire)).await;
            if i > 0 {
                for (sum, count) in sums.iter_mut().zip(counts) {
                    *sum += count;
                }
            }
        }
        trips_per_step = Some(sums.iter().map(|s| *s as f64 / probe as f64).collect());
        println!(
            "round trips counted without statement preparation: {} preparation-only trips (Parse/Describe + Sync) were left out over the {probe} counted participants",
            wire.prepares.load(Ordering::SeqCst) - prepares
        );
        drop(server);
    }

    // The timed server: registration, steady state, then the burst.
    let server = start_server(&dir, db_url.as_deref(), redis_url.as_deref()).await;
    let pid = server.child.id();
    let base = server.base.clone();
    let t = Instant::now();
    let mut people = if direct {
        insert_people(&state, &units, 0, n + steady).await
    } else {
        register(&client, &base, &units, 0, n + steady, c).await
    };
    let reg_wall = t.elapsed().as_secs_f64();
    let (hwm_reg, _) = memory(pid);
    let burst_people = people.split_off(steady);

    let (steady_rows, steady_wall) = run(&client, &base, round, people, 1, steps).await;
    let served_before = served(&client, &base, START_ROUTE).await;
    let (rows, wall) = run(&client, &base, round, burst_people, c, steps).await;
    let served_burst = since(served(&client, &base, START_ROUTE).await, &served_before);
    let (hwm, rss) = memory(pid);

    let board: Value = client
        .get(format!("{base}/api/v1/rounds/{round}/leaderboard?limit=1"))
        .bearer_auth(&insert_people(&state, &units, 950_000, 1).await[0].token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        board["total_participants"].as_u64(),
        Some((n + steady) as u64),
        "the board holds everyone"
    );

    println!(
        "\nRound opening: {n} participants, {c} at a time, 30 of 300 questions saved in {} autosaves each, on {backend}, server as its own process",
        steps.saves
    );
    println!(
        "registration: {} people {} in {reg_wall:.1} s; server peak RSS after it {hwm_reg:.1} MiB",
        n + steady,
        if direct {
            "inserted in the database (not over HTTP)"
        } else {
            "registered + logged in over HTTP"
        }
    );
    let trips = |ks: &[usize]| {
        trips_per_step
            .as_ref()
            .map(|t| ks.iter().map(|k| t[*k]).sum::<f64>() / ks.len() as f64)
    };
    let saves: Vec<usize> = steps.saves().collect();
    let report = |rows: &[Vec<f64>], wall: f64| {
        let start = line(
            &steps.name(Steps::START),
            column(rows, [Steps::START]),
            wall,
            trips(&[Steps::START]),
        );
        line("autosave", column(rows, steps.saves()), wall, trips(&saves));
        for k in [steps.submit(), steps.board()] {
            line(&steps.name(k), column(rows, [k]), wall, trips(&[k]));
        }
        start
    };
    println!("steady state, 1 in flight ({steady} participants, {steady_wall:.1} s):");
    let (steady_start_p50, _) = report(&steady_rows, steady_wall);
    println!("burst, {c} in flight ({n} participants, {wall:.1} s):");
    let (burst_start_p50, burst_start_p99) = report(&rows, wall);
    println!(
        "{:<18} {n:>6} participants in {wall:.1} s = {:.0} participants/s",
        "whole round",
        n as f64 / wall
    );
    let writes = (steps.saves + 1) as f64 * n as f64 / wall;
    println!("writes (saves + submits): {writes:.0} /s over the burst's wall time");
    println!(
        "start p99 under the burst / steady-state start p50: {burst_start_p99:.2} / {steady_start_p50:.2} ms = {:.1}× (target ≤ 10)",
        burst_start_p99 / steady_start_p50
    );
    println!(
        "start tail under the burst, p99 / p50, both at {c} in flight: {burst_start_p99:.2} / {burst_start_p50:.2} ms = {:.1}×",
        burst_start_p99 / burst_start_p50
    );
    if let (Some(p50), Some(p99)) = (
        bucket_of(&served_burst, 0.5),
        bucket_of(&served_burst, 0.99),
    ) {
        println!(
            "start as the server times it (its histogram, over the burst): p50 ≤ {:.0} ms, p99 ≤ {:.0} ms; the rest of the client's time is spent outside the server's handler (the client, the network stack, waiting for a worker)",
            p50 * 1e3,
            p99 * 1e3
        );
    }
    if let Some(url) = &db_url {
        match pgbench_upsert(url, c) {
            Some(tps) => println!(
                "baseline pgbench upsert, -c {c} -j 2 -T 10, same server: {tps:.0} tps; writes/s ÷ pgbench = {:.2} (target ≥ 0.3)",
                writes / tps
            ),
            None => println!("baseline pgbench: not available"),
        }
    }
    println!(
        "server peak RSS through the run (VmHWM): {hwm:.1} MiB, RSS now {rss:.1} MiB (target: peak ≤ 150 MiB)"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}
