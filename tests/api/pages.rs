//! The participant pages: forms, the cookie session, CSRF, safe lesson bodies, light pages.

use reqwest::{Client, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A browser: keeps cookies, follows no redirect.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie<'a>(all: &'a [String], name: &str) -> &'a str {
    all.iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {all:?}"))
}

fn location(res: &Response) -> &str {
    res.headers()[header::LOCATION].to_str().unwrap()
}

async fn page(b: &Client, app: &TestApp, path: &str) -> String {
    let res = b.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

async fn login_form(
    b: &Client,
    app: &TestApp,
    login: &str,
    password: &str,
    next: &str,
) -> Response {
    let html = page(b, app, "/dang-nhap").await;
    b.post(app.url("/dang-nhap"))
        .form(&[
            ("login", login),
            ("password", password),
            ("next", next),
            ("_csrf", &csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap()
}

/// A browser logged in through the form.
async fn web_login(app: &TestApp, login: &str, password: &str) -> (Client, Vec<String>) {
    let b = browser();
    let res = login_form(&b, app, login, password, "/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&res);
    (b, cookies)
}

/// An admin stores the reading course with `body` as its lesson; returns the lesson id.
async fn reading_lesson(app: &TestApp, body: &str) -> i64 {
    let admin = app.admin().await;
    let mut course = crate::courses::reading_course();
    course["lessons"][0]["body"] = json!(body);
    let res = app
        .post("/api/v1/courses", Some(&admin.token), &course)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let course: Value = res.json().await.unwrap();
    course["lessons"][0]["id"].as_i64().unwrap()
}

fn registration<'a>(csrf: &'a str, unit: &'a str, birth: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("full_name", "Nguyễn Thị Thu Hà"),
        ("phone", "0912 345 678"),
        ("password", "mật-khẩu-đủ-dài"),
        ("birth_date", birth),
        ("unit_id", unit),
        ("thanh_nien", "1"),
        ("doan_vien", "1"),
        ("tim", "Vĩnh Tế"),
        ("_csrf", csrf),
    ]
}

#[tokio::test]
async fn registering_through_the_form_opens_a_cookie_session_and_home_shows_the_courses() {
    let app = spawn_app_with(|s| s.import_shipped_banks = true).await;
    let b = browser();
    let html = page(&b, &app, "/dang-ky?tim=vinh%20te").await;
    assert!(html.contains("Đoàn xã Vĩnh Tế"), "{html}");
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await.to_string();
    let res = b
        .post(app.url("/dang-ky"))
        .form(&registration(&csrf_of(&html), &unit, "2000-05-19"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    let cookies = set_cookies(&res);
    let access = cookie(&cookies, "sd_access");
    assert!(
        access.contains("HttpOnly") && access.contains("SameSite=Lax"),
        "{access}"
    );
    let refresh = cookie(&cookies, "sd_refresh");
    assert!(
        refresh.contains("HttpOnly")
            && refresh.contains("SameSite=Strict")
            && refresh.contains("Path=/"),
        "{refresh}"
    );
    assert!(!access.contains("Secure") && !refresh.contains("Secure"));

    let home = page(&b, &app, "/").await;
    assert!(home.contains("Nguyễn Thị Thu Hà"));
    let token = app
        .login("0912345678", "mật-khẩu-đủ-dài")
        .await
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let courses: Vec<Value> = app
        .get("/api/v1/courses", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(!courses.is_empty());
    for c in &courses {
        let title = c["title"].as_str().unwrap().replace('&', "&amp;");
        assert!(home.contains(&title), "{title} missing");
    }
    assert!(home.contains("Đã học 0/"));
    assert!(
        !home.contains(
            access
                .split(';')
                .next()
                .unwrap()
                .trim_start_matches("sd_access=")
        )
    );
}

#[tokio::test]
async fn a_minor_without_guardian_consent_is_refused_by_the_form() {
    let app = spawn_app().await;
    let b = browser();
    let html = page(&b, &app, "/dang-ky?tim=Vinh+Te").await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await.to_string();
    let res = b
        .post(app.url("/dang-ky"))
        .form(&registration(&csrf_of(&html), &unit, "2014-02-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("cha mẹ hoặc người giám hộ")
    );
    assert_eq!(
        app.count_rows("users", Some("full_name = 'Nguyễn Thị Thu Hà'"))
            .await,
        0
    );
}

#[tokio::test]
async fn posts_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let lesson = reading_lesson(&app, "Nội dung.").await;
    let b = browser();
    let html = page(&b, &app, "/dang-ky?tim=Vinh+Te").await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await.to_string();
    for token in ["", "sai", &csrf_of(&html)[1..]] {
        let res = b
            .post(app.url("/dang-ky"))
            .form(&registration(token, &unit, "2000-05-19"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("Vui lòng tải lại trang"));
    }
    assert_eq!(
        app.count_rows("users", Some("full_name = 'Nguyễn Thị Thu Hà'"))
            .await,
        0
    );

    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (b, _) = web_login(&app, &member.login, &member.password).await;
    let path = format!("/bai-hoc/{lesson}");
    let html = page(&b, &app, &path).await;
    // Another browser's pre-login token is not this session's.
    let foreign = csrf_of(&page(&browser(), &app, "/dang-nhap").await);
    for token in [None, Some("sai"), Some(foreign.as_str())] {
        let mut req = b.post(app.url(&format!("{path}/da-hoc")));
        req = match token {
            Some(t) => req.form(&[("_csrf", t)]),
            None => req.form(&[("x", "1")]),
        };
        assert_eq!(req.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(app.count_rows("lesson_progress", None).await, 0);
    let res = b
        .post(app.url(&format!("{path}/da-hoc")))
        .form(&[("_csrf", csrf_of(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count_rows("lesson_progress", None).await, 1);
    assert!(page(&b, &app, &path).await.contains("Bạn đã học bài này"));
}

#[tokio::test]
async fn logging_out_revokes_the_refresh_token_and_clears_the_cookies() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (b, cookies) = web_login(&app, &member.login, &member.password).await;
    let refresh = cookie(&cookies, "sd_refresh")
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("sd_refresh=")
        .to_owned();
    let home = page(&b, &app, "/").await;
    assert!(home.contains("Đăng xuất"));
    for token in ["", "sai"] {
        let res = b
            .post(app.url("/dang-xuat"))
            .form(&[("_csrf", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    assert!(
        page(&b, &app, "/").await.contains("Đăng xuất"),
        "still logged in"
    );
    let res = b
        .post(app.url("/dang-xuat"))
        .form(&[("_csrf", csrf_of(&home))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cleared = set_cookies(&res);
    assert!(cookie(&cleared, "sd_access").contains("Max-Age=0"));
    assert!(cookie(&cleared, "sd_refresh").contains("Max-Age=0"));
    assert_eq!(
        app.refresh(&refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(page(&b, &app, "/").await.contains("Chào mừng"));
}

#[tokio::test]
async fn an_expired_access_cookie_is_renewed_quietly_with_the_refresh_cookie() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (b, first) = web_login(&app, &member.login, &member.password).await;
    let ttl = app.state.settings.access_token_ttl.as_secs() as i64;
    app.clock.advance(chrono::Duration::seconds(ttl + 60));
    let res = b.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let renewed = set_cookies(&res);
    assert_ne!(cookie(&renewed, "sd_access"), cookie(&first, "sd_access"));
    assert_ne!(cookie(&renewed, "sd_refresh"), cookie(&first, "sd_refresh"));
    assert!(res.text().await.unwrap().contains("Trần Thị Bích Ngọc"));
    // The rotated pair serves the next request without another refresh.
    let res = b.get(app.url("/")).send().await.unwrap();
    assert!(set_cookies(&res).is_empty());
    assert!(res.text().await.unwrap().contains("Trần Thị Bích Ngọc"));
}

#[tokio::test]
async fn session_cookies_are_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(|s| s.public_url = "https://soiduong.example.vn".into()).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    // A plain client: a cookie store would not send Secure cookies over http.
    let res = app.client.get(app.url("/dang-nhap")).send().await.unwrap();
    let pre = set_cookies(&res);
    let csrf_cookie = cookie(&pre, "sd_csrf").to_owned();
    assert!(csrf_cookie.contains("Secure") && csrf_cookie.contains("HttpOnly"));
    let token = csrf_of(&res.text().await.unwrap());
    let res = app
        .client
        .post(app.url("/dang-nhap"))
        .header(header::COOKIE, csrf_cookie.split(';').next().unwrap())
        .form(&[
            ("login", member.login.as_str()),
            ("password", member.password.as_str()),
            ("_csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookies = set_cookies(&res);
    assert!(cookie(&cookies, "sd_access").contains("Secure"));
    assert!(cookie(&cookies, "sd_refresh").contains("Secure"));
}

#[tokio::test]
async fn a_lesson_page_shows_raw_html_of_its_body_as_text() {
    let app = spawn_app().await;
    let lesson = reading_lesson(
        &app,
        "# Mở đầu\n\n<script>alert('x')</script>\n\nẢnh <img src=x onerror=alert(1)> và [liên kết](javascript:alert(1)).",
    )
    .await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (b, _) = web_login(&app, &member.login, &member.password).await;
    let html = page(&b, &app, &format!("/bai-hoc/{lesson}")).await;
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("<h2>Mở đầu</h2>"));
}

#[tokio::test]
async fn next_only_leads_to_a_page_of_this_site() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let html = page(
        &browser(),
        &app,
        "/dang-nhap?next=https%3A%2F%2Fevil.example%2Fx",
    )
    .await;
    assert!(!html.contains("evil.example"));
    for (next, expected) in [
        ("https://evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("/khoa-hoc/5", "/khoa-hoc/5"),
    ] {
        let res = login_form(&browser(), &app, &member.login, &member.password, next).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), expected, "{next}");
    }
}

#[tokio::test]
async fn private_pages_send_a_logged_out_visitor_to_the_login_page() {
    let app = spawn_app().await;
    for path in ["/khoa-hoc/1", "/bai-hoc/1"] {
        let res = browser().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let encoded = path.replace('/', "%2F");
        assert_eq!(location(&res), format!("/dang-nhap?next={encoded}"));
    }
}

#[tokio::test]
async fn every_page_carries_the_csp_and_weighs_under_30_kb() {
    let app = spawn_app_with(|s| s.import_shipped_banks = true).await;
    let mut paths: Vec<String> = ["/", "/dang-nhap", "/dang-ky", "/dang-ky?tim=xa"]
        .map(String::from)
        .to_vec();
    let anonymous = browser();
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (b, _) = web_login(&app, &member.login, &member.password).await;
    let courses: Vec<Value> = app
        .get("/api/v1/courses", Some(&member.token))
        .await
        .json()
        .await
        .unwrap();
    let mut private = vec!["/".to_owned()];
    for c in &courses {
        private.push(format!("/khoa-hoc/{}", c["id"]));
        let detail: Value = app
            .get(&format!("/api/v1/courses/{}", c["id"]), Some(&member.token))
            .await
            .json()
            .await
            .unwrap();
        for l in detail["lessons"].as_array().unwrap() {
            private.push(format!("/bai-hoc/{}", l["id"]));
        }
    }
    let mut largest = (0, String::new());
    for (client, path) in paths
        .drain(..)
        .map(|p| (&anonymous, p))
        .chain(private.into_iter().map(|p| (&b, p)))
    {
        let res = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(
            res.headers()[header::CONTENT_SECURITY_POLICY],
            CSP,
            "{path}"
        );
        let size = res.bytes().await.unwrap().len();
        assert!(size < 30 * 1024, "{path}: {size} bytes");
        eprintln!("{path}: {size} bytes");
        if size > largest.0 {
            largest = (size, path);
        }
    }
    eprintln!("largest: {} ({} bytes)", largest.1, largest.0);
}

const CSP_SCRIPTED: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An open round of the test bank with a prediction question; returns its id.
async fn open_round(app: &TestApp) -> i64 {
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let contest = app
        .create_contest(
            &admin,
            &json!({ "slug": "anh-sang-soi-duong", "title": "Ánh sáng soi đường", "owner_unit_id": province }),
        )
        .await;
    let mut body = crate::helpers::open_round_body(app.clock_now(), 2);
    body["prediction_question"] = json!("Có bao nhiêu người trả lời đúng tất cả các câu?");
    app.create_round(&admin, &contest["id"], &body).await["id"]
        .as_i64()
        .unwrap()
}

/// The attempt id a start (a 303 to `/lam-bai/{id}`) leads to.
fn attempt_of(res: &Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    location(res).strip_prefix("/lam-bai/").unwrap().to_owned()
}

/// `name="…" value="…"` of the first input named `name`.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The question ids of a paper page, in order (from its fieldsets).
fn question_ids(html: &str) -> Vec<String> {
    html.split("<fieldset")
        .skip(1)
        .map(|s| {
            let start = s.find("data-q=\"").unwrap() + "data-q=\"".len();
            s[start..].split('"').next().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_round_taken_through_the_pages_saves_every_tap_and_submits_once() {
    let app = spawn_app().await;
    let round = open_round(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (b, _) = web_login(&app, &member.login, &member.password).await;

    let html = page(&b, &app, &format!("/vong-thi/{round}")).await;
    assert!(
        html.contains("Bảng xếp hạng") && html.contains("Chưa có ai nộp bài"),
        "{html}"
    );
    let token = csrf_of(&html);
    let res = b
        .post(app.url(&format!("/vong-thi/{round}/bat-dau")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let id = attempt_of(&res);

    // The paper: scripted CSP, every question in the form, one shown, no key.
    let res = b
        .get(app.url(&format!("/lam-bai/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_SECURITY_POLICY], CSP_SCRIPTED);
    let html = res.text().await.unwrap();
    let questions = question_ids(&html);
    assert_eq!(questions.len(), 4, "{html}");
    assert_eq!(html.matches("<fieldset").count(), 4);
    assert_eq!(
        html.matches(" hidden").count(),
        3,
        "one question per screen"
    );
    assert!(html.contains("data-deadline=") && html.contains("data-now="));
    assert!(html.contains("Câu hỏi dự đoán"));
    for leak in ["correct", "Đáp án đúng", "explanation", "Vì thế"] {
        assert!(!html.contains(leak), "the paper shows {leak:?}");
    }
    let key = input_value(&html, "khoa");

    // A plain form post (no script): saves the whole form and moves to the next question.
    let q = |i: usize| format!("c{}", questions[i]);
    let res = b
        .post(app.url(&format!("/lam-bai/{id}")))
        .form(&[
            ("_csrf", token.as_str()),
            ("xem", "tung-cau"),
            ("cau", "1"),
            (q(0).as_str(), "a"),
            ("di", "sau"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/lam-bai/{id}?xem=tung-cau&cau=2"));

    // The script's autosave: only with the form token in its header.
    let save = |token: Option<&str>, question: &str, option: &str| {
        let mut req = b
            .post(app.url(&format!("/lam-bai/{id}/luu")))
            .json(&json!({ "answers": [{ "question_id": question.parse::<i64>().unwrap(), "option_ids": [option] }] }));
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        req.send()
    };
    let res = save(None, &questions[1], "b").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = save(Some("forged"), &questions[1], "b").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = save(Some(&token), &questions[1], "b").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert!(saved["server_now"].is_string() && saved["deadline"].is_string());
    let res = save(Some(&token), &questions[2], "z").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Someone else sees nothing of it and can save nothing into it.
    let other = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (ob, _) = web_login(&app, &other.login, &other.password).await;
    let res = ob
        .get(app.url(&format!("/lam-bai/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let other_token = csrf_of(&page(&ob, &app, &format!("/vong-thi/{round}")).await);
    let res = ob
        .post(app.url(&format!("/lam-bai/{id}/luu")))
        .header("X-CSRF-Token", other_token)
        .json(&json!({ "answers": [{ "question_id": questions[3].parse::<i64>().unwrap(), "option_ids": ["a"] }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The submit carries the whole form (taps the script had not sent yet included) and the
    // page's key; a repeat with the key changes nothing.
    let reopened = page(&b, &app, &format!("/lam-bai/{id}?xem=tat-ca")).await;
    assert!(
        reopened.contains(&format!(
            "name=\"{}\" value=\"a\" id=\"c{}-a\" checked",
            q(0),
            questions[0]
        )),
        "resumed with the saved answers"
    );
    let (q0, q1, q3) = (q(0), q(1), q(3));
    let submit = [
        ("_csrf", token.as_str()),
        ("khoa", key.as_str()),
        ("xem", "tat-ca"),
        (q0.as_str(), "a"),
        (q1.as_str(), "b"),
        (q3.as_str(), "c"),
        ("du_doan", "42"),
        ("di", "nop"),
    ];
    for _ in 0..2 {
        let res = b
            .post(app.url(&format!("/lam-bai/{id}")))
            .form(&submit)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("/lam-bai/{id}"));
    }
    let view: Value = app
        .get(&format!("/api/v1/attempts/{id}"), Some(&member.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "submitted");
    let held: Vec<(String, Value)> = view["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["question_id"].to_string(), a["option_ids"].clone()))
        .collect();
    assert_eq!(held.len(), 3, "{held:?}");
    for (i, option) in [(0, "a"), (1, "b"), (3, "c")] {
        assert!(
            held.contains(&(questions[i].clone(), json!([option]))),
            "{held:?}"
        );
    }
    let res = save(Some(&token), &questions[2], "a").await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The result, then the board with my place.
    let html = page(&b, &app, &format!("/lam-bai/{id}")).await;
    assert!(
        html.contains("Kết quả") && html.contains("/4</strong> câu"),
        "{html}"
    );
    assert!(html.contains(&format!("/vong-thi/{round}")));
    let html = page(&b, &app, &format!("/vong-thi/{round}/bang")).await;
    assert!(
        html.contains("Bạn đang xếp hạng <strong>1</strong>"),
        "{html}"
    );
    assert!(
        html.contains("Đoàn xã Vĩnh Tế"),
        "my unit's standing: {html}"
    );
    assert!(!html.contains(&member.login), "no login on the board");
}

#[tokio::test]
async fn attempt_forms_refuse_a_missing_token_and_a_start_outside_the_audience() {
    let app = spawn_app().await;
    let round = open_round(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (b, _) = web_login(&app, &member.login, &member.password).await;
    let res = b
        .post(app.url(&format!("/vong-thi/{round}/bat-dau")))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let started: Value = app
        .get("/api/v1/contests", Some(&member.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        started[0]["rounds"][0]["attempts_used"], 0,
        "a forged start starts nothing"
    );
    let token = csrf_of(&page(&b, &app, &format!("/vong-thi/{round}")).await);
    let id = attempt_of(
        &b.post(app.url(&format!("/vong-thi/{round}/bat-dau")))
            .form(&[("_csrf", token.as_str())])
            .send()
            .await
            .unwrap(),
    );
    // A second start (another phone, a double tap) resumes the same attempt.
    let again = attempt_of(
        &b.post(app.url(&format!("/vong-thi/{round}/bat-dau")))
            .form(&[("_csrf", token.as_str())])
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(id, again);
    let res = b
        .post(app.url(&format!("/lam-bai/{id}")))
        .form(&[("_csrf", "forged"), ("di", "nop")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let view: Value = app
        .get(&format!("/api/v1/attempts/{id}"), Some(&member.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["state"], "open", "a forged submit submits nothing");
    // An oversized form is refused before anything is read.
    let res = b
        .post(app.url(&format!("/lam-bai/{id}")))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("_csrf={token}&{}", "c1=a&".repeat(20_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Pages of a round that does not exist say so.
    let res = b.get(app.url("/vong-thi/999999")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
