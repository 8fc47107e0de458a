use std::sync::Arc;

use actix_web::web;
use chrono::Utc;
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use soiduong::{
    clock::ManualClock,
    config::{Secret, Settings},
    domain::person::Category,
    services::accounts,
    startup::Application,
    state::AppState,
    store,
};
use uuid::Uuid;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: web::Data<AppState>,
    cleanup: Cleanup,
}

/// What to drop when a test ends: its PostgreSQL database and its Redis keys.
#[derive(Default)]
struct Cleanup {
    postgres: Option<(String, String)>,
    redis: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let cleanup = std::mem::take(&mut self.cleanup);
        if cleanup.postgres.is_none() && cleanup.redis.is_none() {
            return;
        }
        // Drop runs inside the test's runtime; do the async cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Some((admin_url, name)) = cleanup.postgres
                    && let Ok(db) = Database::connect(admin_url).await
                {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = db.execute_unprepared(&sql).await;
                }
                if let Some((url, prefix)) = cleanup.redis
                    && let Ok(client) = redis::Client::open(url)
                    && let Ok(mut conn) = client.get_multiplexed_async_connection().await
                {
                    let keys: Vec<String> = redis::cmd("KEYS")
                        .arg(format!("{prefix}*"))
                        .query_async(&mut conn)
                        .await
                        .unwrap_or_default();
                    if !keys.is_empty() {
                        let _: Result<i64, _> =
                            redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
                    }
                }
            });
        })
        .join();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the real app on port 0 with `adjust` applied to the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::embedded(
        std::env::temp_dir().join("soiduong-tests"),
        Secret::new(format!("test-secret-{}", Uuid::new_v4())),
    );
    settings.bind = "127.0.0.1:0".into();
    settings.database_url = "sqlite::memory:".into();
    settings.database_max_connections = 4;
    settings.seed_demo_if_empty = true;
    // Most tests bring their own small bank; the course tests turn this on.
    settings.import_shipped_banks = false;
    let mut cleanup = Cleanup::default();

    if let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") {
        let name = format!("soiduong_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("TEST_DATABASE_URL does not answer");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("cannot create the test database");
        admin.close().await.ok();
        settings.database_url = replace_database(&admin_url, &name);
        cleanup.postgres = Some((admin_url, name));
    }
    if let Ok(redis_url) = std::env::var("TEST_REDIS_URL") {
        let prefix = format!("test:{}:", Uuid::new_v4().simple());
        settings.redis_url = Some(redis_url.clone());
        settings.redis_prefix = prefix.clone();
        cleanup.redis = Some((redis_url, prefix));
    }
    adjust(&mut settings);

    let clock = Arc::new(ManualClock::new(Utc::now()));
    let app = Application::build_with_clock(settings, clock.clone(), Some(1))
        .await
        .expect("the app does not start");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        state,
        cleanup,
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

pub struct Account {
    pub id: Uuid,
    pub login: String,
    pub password: String,
    pub token: String,
    pub refresh: String,
}

#[allow(dead_code)] // each helper is used by some test files, not all
impl TestApp {
    /// Makes every `op` (`INSERT`, `UPDATE` or `DELETE`) on `table` fail from now on, with a
    /// trigger in this test's own database: the way to show that a use case whose later write
    /// fails leaves nothing of its earlier writes.
    pub async fn fail_writes_to(&self, table: &str, op: &str) {
        let db = &self.state.db;
        let name = format!("fail_{table}_{}", op.to_lowercase());
        let sql = match db.get_database_backend() {
            sea_orm::DbBackend::Sqlite => format!(
                "CREATE TRIGGER {name} BEFORE {op} ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
            ),
            _ => format!(
                "CREATE OR REPLACE FUNCTION soiduong_injected_failure() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
                 CREATE TRIGGER {name} BEFORE {op} ON {table} FOR EACH ROW \
                 EXECUTE FUNCTION soiduong_injected_failure();"
            ),
        };
        db.execute_unprepared(&sql)
            .await
            .expect("cannot install the failure trigger");
    }

    /// Counts the rows of `table` (optionally `WHERE condition`), read straight from the
    /// database.
    pub async fn count_rows(&self, table: &str, condition: Option<&str>) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let db = &self.state.db;
        let sql = match condition {
            Some(c) => format!("SELECT COUNT(*) AS n FROM {table} WHERE {c}"),
            None => format!("SELECT COUNT(*) AS n FROM {table}"),
        };
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("count query")
            .expect("one row");
        row.try_get::<i64>("", "n").expect("count")
    }

    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use soiduong::clock::Clock;
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(reqwest::Method::POST, path, token, body).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(reqwest::Method::PATCH, path, token, body).await
    }

    pub async fn register(&self, body: &Value) -> Response {
        self.post("/api/v1/auth/register", None, body).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({ "login": login, "password": password }),
        )
        .await
    }

    /// The service's OpenAPI document.
    pub async fn openapi(&self) -> Value {
        let res = self.get("/api-docs/openapi.json", None).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// The question banks `token` may read.
    pub async fn banks(&self, token: &str) -> Vec<Value> {
        let res = self.get("/api/v1/question-banks", Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// The question bank `id` with its items, as `token` reads it.
    pub async fn bank(&self, token: &str, id: impl std::fmt::Display) -> Value {
        let res = self
            .get(&format!("/api/v1/question-banks/{id}"), Some(token))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// The caller's own profile (`GET /api/v1/me`).
    pub async fn profile(&self, token: &str) -> Value {
        let res = self.get("/api/v1/me", Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Trades `refresh_token` for a new pair of tokens.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// Ends the session of `refresh_token`.
    pub async fn logout(&self, refresh_token: &str) -> Response {
        self.post(
            "/api/v1/auth/logout",
            None,
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// Uploads files to the bank import endpoint.
    pub async fn upload(&self, token: &str, files: &[(&str, Vec<u8>)]) -> Response {
        self.upload_to("/api/v1/question-banks/import", token, files)
            .await
    }

    /// Uploads files as `file` parts of a multipart form to `path`.
    pub async fn upload_to(&self, path: &str, token: &str, files: &[(&str, Vec<u8>)]) -> Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads the test bank (`thu-nghiem.yaml`, 12 questions, no purpose) as `token`.
    pub async fn upload_test_bank(&self, token: &str) -> Response {
        self.upload(token, &[("thu-nghiem.yaml", fixture("thu-nghiem.yaml"))])
            .await
    }

    /// The admin imports the test bank (12 questions, no purpose).
    pub async fn import_test_bank(&self, admin: &Account) {
        let res = self.upload_test_bank(&admin.token).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    /// `admin` creates the contest `body`; 201 and the contest.
    pub async fn create_contest(&self, admin: &Account, body: &Value) -> Value {
        let res = self
            .post("/api/v1/contests", Some(&admin.token), body)
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        res.json().await.unwrap()
    }

    /// `admin` adds the round `body` to the contest whose id is `contest`; 201 and the round.
    pub async fn create_round(&self, admin: &Account, contest: &Value, body: &Value) -> Value {
        let res = self
            .post(
                &format!("/api/v1/contests/{contest}/rounds"),
                Some(&admin.token),
                body,
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        res.json().await.unwrap()
    }

    /// A contest called `title` owned by the province (Tỉnh Đoàn An Giang), created by `admin`.
    pub async fn province_contest(&self, admin: &Account, slug: &str, title: &str) -> Value {
        let province = self.unit_id("Tỉnh Đoàn An Giang").await;
        self.create_contest(
            admin,
            &json!({ "slug": slug, "title": title, "owner_unit_id": province }),
        )
        .await
    }

    /// A province contest (see `province_contest`) with one round open for the next six hours:
    /// 4 single-answer questions of the test bank, 10 minutes, one attempt. Returns the round id.
    pub async fn open_test_round(&self, admin: &Account, slug: &str, title: &str) -> i64 {
        let contest = self.province_contest(admin, slug, title).await;
        let body = open_round_body(self.clock_now(), 1);
        self.create_round(admin, &contest["id"], &body).await["id"]
            .as_i64()
            .unwrap()
    }

    /// The holder of `token` starts an attempt at the round `round`.
    pub async fn start_attempt(&self, token: &str, round: impl std::fmt::Display) -> Response {
        self.post(
            &format!("/api/v1/rounds/{round}/attempts"),
            Some(token),
            &json!({}),
        )
        .await
    }

    /// An access token for `id` (not an admin), valid for a day, issued without a login.
    pub fn token_for(&self, id: Uuid) -> String {
        self.state
            .jwt
            .issue(
                id,
                false,
                self.clock_now(),
                std::time::Duration::from_secs(86_400),
            )
            .unwrap()
    }

    /// A youth participant of `unit` (born 2009-04-30) made directly in the store (no password
    /// hashing), with a token.
    pub async fn participant(&self, name: &str, unit: i64) -> (Uuid, String) {
        let id = Uuid::new_v4();
        store::users::insert(
            &self.state.db,
            store::users::NewUser {
                id,
                full_name: name.to_owned(),
                phone: Some(format!("+8491{:07}", id.as_u128() % 10_000_000)),
                email: Some(format!("{}@example.vn", id.simple())),
                password_hash: "x".into(),
                birth_date: Some("2009-04-30".parse().unwrap()),
                unit_id: Some(unit as i32),
                admitted_on: None,
                guardian_consent: true,
                is_admin: false,
                categories: vec![Category::Youth],
            },
            self.clock_now(),
        )
        .await
        .unwrap();
        (id, self.token_for(id))
    }

    /// The id of the demo unit called `name`.
    pub async fn unit_id(&self, name: &str) -> i64 {
        let units: Vec<Value> = self.get("/api/v1/units", None).await.json().await.unwrap();
        units
            .iter()
            .find(|u| u["name"] == name)
            .unwrap_or_else(|| panic!("no unit named {name}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// Registers an adult member of `unit_id` and logs them in.
    pub async fn member(&self, unit_id: i64) -> Account {
        let login = format!("{}@example.vn", Uuid::new_v4().simple());
        let password = "mật-khẩu-đủ-dài".to_owned();
        let res = self
            .register(&json!({
                "full_name": "Trần Thị Bích Ngọc",
                "email": login,
                "password": password,
                "birth_date": "2000-05-19",
                "unit_id": unit_id,
                "categories": ["member", "youth"],
            }))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        let id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        self.logged_in(id, login, password).await
    }

    /// Creates an admin through the same code path as `soiduong create-admin` and logs in.
    pub async fn admin(&self) -> Account {
        let login = format!("admin-{}@example.vn", Uuid::new_v4().simple());
        let password = "quan-tri-vien-2026".to_owned();
        let (id, _) = accounts::create_admin(&self.state, &login, password.clone())
            .await
            .unwrap();
        self.logged_in(id, login, password).await
    }

    /// A member of `unit_id` made organizer of `organizes` by an admin, over the API.
    pub async fn organizer(&self, unit_id: i64, organizes: i64) -> Account {
        let admin = self.admin().await;
        let person = self.member(unit_id).await;
        let res = self
            .post(
                &format!("/api/v1/units/{organizes}/organizers"),
                Some(&admin.token),
                &json!({ "user_id": person.id }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        person
    }

    async fn logged_in(&self, id: Uuid, login: String, password: String) -> Account {
        let res = self.login(&login, &password).await;
        assert_eq!(res.status(), StatusCode::OK);
        let tokens: Value = res.json().await.unwrap();
        Account {
            id,
            login,
            password,
            token: tokens["access_token"].as_str().unwrap().to_owned(),
            refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// A round "Tuần 1" open from a minute before `now` for six hours: 4 single-answer questions
/// of the test bank, 10 minutes a try, `attempts` tries.
pub fn open_round_body(now: chrono::DateTime<Utc>, attempts: u32) -> Value {
    json!({ "title": "Tuần 1", "opens_at": now - chrono::Duration::minutes(1),
            "closes_at": now + chrono::Duration::hours(6),
            "draw": [{ "bank": "thu-nghiem", "tags": ["mot-dap-an"], "count": 4 }],
            "time_limit_minutes": 10, "attempts_allowed": attempts })
}

/// The row of a submitted attempt, numbered `attempt_no`, at `quiz_id` by `user` of `unit`:
/// `correct` of 4 right in `ms` milliseconds, submitted at `submitted`. For tests that write
/// attempts straight to the database.
pub fn submitted_attempt(
    quiz_id: i32,
    user: Uuid,
    attempt_no: i32,
    unit: i32,
    submitted: chrono::DateTime<Utc>,
    (correct, ms): (i32, i64),
) -> entity::attempts::ActiveModel {
    use sea_orm::ActiveValue::Set;
    entity::attempts::ActiveModel {
        id: Set(Uuid::new_v4()),
        quiz_id: Set(quiz_id),
        user_id: Set(user),
        attempt_no: Set(attempt_no),
        state: Set("submitted".into()),
        unit_id: Set(Some(unit)),
        started_at: Set(submitted - chrono::Duration::milliseconds(ms)),
        deadline: Set(submitted + chrono::Duration::minutes(5)),
        paper: Set("[]".into()),
        answers: Set("{}".into()),
        revision: Set(0),
        submitted_at: Set(Some(submitted)),
        closed_by: Set(Some("submit".into())),
        correct: Set(Some(correct)),
        total: Set(4),
        duration_ms: Set(Some(ms)),
        passed: Set(Some(false)),
        idempotency_key: Set(None),
        prediction: Set(None),
        updated_at: Set(submitted),
        ..Default::default()
    }
}

/// The bytes of `tests/fixtures/{name}`.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Asserts the common error body and returns its `code`.
pub async fn error_code(res: Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    let message = body["error"]["message"].as_str().expect("error.message");
    assert!(!message.is_empty());
    body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned()
}

#[test]
fn database_name_is_replaced_in_urls() {
    assert_eq!(
        replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        replace_database("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
}

/// A throwaway redis-server on a free port.
pub struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    pub fn start() -> Option<OwnRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut r = OwnRedis { port, child: None };
        r.restart();
        r.child.is_some().then_some(r)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok();
        if child.is_some() {
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        self.child = child;
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Redis connection and a fresh key prefix for a driver suite (leaderboards, limiters), when
/// `TEST_REDIS_URL` is set; each suite runs on the in-memory driver as well.
pub async fn test_redis() -> Option<(redis::aio::ConnectionManager, String)> {
    let url = std::env::var("TEST_REDIS_URL").ok()?;
    let client = redis::Client::open(url).expect("TEST_REDIS_URL is not a Redis URL");
    let conn = redis::aio::ConnectionManager::new(client)
        .await
        .expect("TEST_REDIS_URL does not answer");
    Some((conn, format!("test:{}:", Uuid::new_v4().simple())))
}
