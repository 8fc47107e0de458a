//! Certificates as holders, organizers and anyone with a phone camera meet them: issued once
//! per achievement, seen by the right people only, verified in public (facts, status,
//! signature), revoked and re-issued without losing the old one, downloaded in bulk.

use std::io::Read;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use soiduong::{
    certificates::{
        credential, pdf,
        signing::{self, KeyList},
    },
    services::contests,
};

use crate::{
    exports::finished,
    helpers::{TestApp, error_code, spawn_app},
    leaderboard::open_round,
};

/// A course of one lesson to read (no quiz, no final test): reading it completes the course.
fn reading_course() -> Value {
    let mut course = crate::courses::reading_course();
    course["course"]["title"] = json!("Nghị quyết Đại hội Đoàn toàn quốc");
    course
}

struct Course {
    id: i64,
    lesson_path: String,
}

async fn stored_course(app: &TestApp) -> Course {
    let admin = app.admin().await;
    let res = app
        .post("/api/v1/courses", Some(&admin.token), &reading_course())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let course: Value = res.json().await.unwrap();
    Course {
        id: course["id"].as_i64().unwrap(),
        lesson_path: format!(
            "/api/v1/lessons/{}/complete",
            course["lessons"][0]["id"].as_i64().unwrap()
        ),
    }
}

/// A member of `unit` who completed the course, and their one certificate.
async fn certified(app: &TestApp, course: &Course, unit: i64) -> (String, Value) {
    let member = app.member(unit).await;
    let res = app
        .post(&course.lesson_path, Some(&member.token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mine: Vec<Value> = app
        .get("/api/v1/me/certificates", Some(&member.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    (member.token, mine[0].clone())
}

async fn published_keys(app: &TestApp) -> KeyList {
    let res = app
        .get("/.well-known/soiduong-certificates.pub", None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn verify_json(app: &TestApp, code: &str) -> reqwest::Response {
    app.get(&format!("/api/v1/certificates/verify/{code}"), None)
        .await
}

#[tokio::test]
async fn completing_a_course_issues_one_signed_certificate_to_its_holder() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let unit = app.unit_id("Đoàn phường Mỹ Bình").await;
    let (token, cert) = certified(&app, &course, unit).await;
    // Completing again (a retry) issues nothing new.
    app.post(&course.lesson_path, Some(&token), &json!({}))
        .await;
    assert_eq!(app.count_rows("certificates", None).await, 1);

    assert_eq!(cert["status"], "valid");
    assert_eq!(cert["holder"], "Trần Thị Bích Ngọc");
    assert_eq!(cert["holder_unit"], "Đoàn phường Mỹ Bình");
    assert_eq!(cert["issuer"], "Tỉnh Đoàn An Giang");
    assert_eq!(cert["achievement"]["kind"], "course");
    assert_eq!(
        cert["description"],
        "Đã hoàn thành khóa học «Nghị quyết Đại hội Đoàn toàn quốc»"
    );
    let code = cert["code"].as_str().unwrap();
    assert_eq!(code.len(), 17, "XXXX-XXXX-XXXX-XX: {code}");
    assert!(
        cert["verify_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/verify/{}", code.replace('-', "")))
    );

    let keys = published_keys(&app).await;
    let facts = cert["signed_facts"].as_str().unwrap();
    let key_id = cert["key_id"].as_str().unwrap();
    let signature = cert["signature"].as_str().unwrap();
    assert!(signing::verify(
        &keys.keys,
        key_id,
        facts.as_bytes(),
        signature
    ));
    // One changed byte of the signed facts and the signature no longer holds.
    let forged = facts.replace("Trần Thị Bích Ngọc", "Trần Thị Bích Ngọt");
    assert!(!signing::verify(
        &keys.keys,
        key_id,
        forged.as_bytes(),
        signature
    ));
    let mut bytes = facts.as_bytes().to_vec();
    for i in 0..bytes.len() {
        bytes[i] ^= 1;
        assert!(
            !signing::verify(&keys.keys, key_id, &bytes, signature),
            "byte {i}"
        );
        bytes[i] ^= 1;
    }
}

#[tokio::test]
async fn the_certificate_is_issued_with_the_completion_or_neither_is_recorded() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    app.fail_writes_to("certificates", "INSERT").await;
    let res = app
        .post(&course.lesson_path, Some(&member.token), &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count_rows("course_completions", None).await, 0);
    assert_eq!(app.count_rows("lesson_progress", None).await, 0);
}

#[tokio::test]
async fn anyone_with_the_code_sees_the_facts_and_the_status_and_revocation_shows() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let unit = app.unit_id("Đoàn phường Mỹ Bình").await;
    let (_, cert) = certified(&app, &course, unit).await;
    let code = cert["code"].as_str().unwrap();

    // Typed the way people type: lower case, no dashes.
    let res = verify_json(&app, &code.replace('-', "").to_lowercase()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "valid");
    assert_eq!(v["holder"], "Trần Thị Bích Ngọc");
    assert_eq!(v["holder_unit"], "Đoàn phường Mỹ Bình");
    assert_eq!(v["signed_facts"], cert["signed_facts"]);
    let page = app.get(&format!("/verify/{code}"), None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Trần Thị Bích Ngọc"), "{html}");
    assert!(html.contains("hợp lệ"), "{html}");

    let organizer = app
        .organizer(unit, app.unit_id("Thành Đoàn Long Xuyên").await)
        .await;
    let path = format!(
        "/api/v1/certificates/{}/revoke",
        cert["id"].as_str().unwrap()
    );
    let res = app
        .post(
            &path,
            Some(&organizer.token),
            &json!({ "reason": "Cấp nhầm người" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            &path,
            Some(&organizer.token),
            &json!({ "reason": "Lần nữa" }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "certificate_not_valid"
    );

    let v: Value = verify_json(&app, code).await.json().await.unwrap();
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["reason"], "Cấp nhầm người");
    assert!(v["revoked_at"].is_string());
    let html = app
        .get(&format!("/verify/{code}"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("thu hồi"), "{html}");
    assert!(html.contains("Cấp nhầm người"), "{html}");
}

#[tokio::test]
async fn unknown_and_misread_codes_are_not_found_and_lookups_are_rate_limited() {
    let app = spawn_app().await;
    // A well-formed code nobody holds, a misread check symbol, junk, and something huge.
    for code in [
        "0000-0000-0000-00",
        "0000-0000-0000-01",
        "abc",
        &"Z".repeat(5000),
    ] {
        let res = verify_json(&app, code).await;
        assert_eq!(
            error_code(res, StatusCode::NOT_FOUND).await,
            "certificate_not_found",
            "{code}"
        );
    }
    let page = app.get("/verify/0000-0000-0000-00", None).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("Không tìm thấy"));
    let mut limited = false;
    for _ in 0..70 {
        let res = verify_json(&app, "0000-0000-0000-00").await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().contains_key("retry-after"));
            limited = true;
            break;
        }
    }
    assert!(limited, "60 lookups a minute per address at most");
    let page = app.get("/verify/0000-0000-0000-00", None).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn only_the_holder_and_the_organizers_above_them_see_a_certificate() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let my_binh = app.unit_id("Đoàn phường Mỹ Bình").await;
    let (holder, cert) = certified(&app, &course, my_binh).await;
    let id = cert["id"].as_str().unwrap();
    let path = format!("/api/v1/certificates/{id}");

    let stranger = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let elsewhere = app
        .organizer(my_binh, app.unit_id("Thành Đoàn Châu Đốc").await)
        .await;
    let above = app
        .organizer(my_binh, app.unit_id("Thành Đoàn Long Xuyên").await)
        .await;
    for token in [&stranger.token, &elsewhere.token] {
        for p in [
            path.clone(),
            format!("{path}.pdf"),
            format!("{path}/credential.json"),
        ] {
            let res = app.get(&p, Some(token)).await;
            assert_eq!(
                error_code(res, StatusCode::NOT_FOUND).await,
                "certificate_not_found",
                "{p}"
            );
        }
    }
    for token in [&holder, &above.token] {
        assert_eq!(app.get(&path, Some(token)).await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.get(&path, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The holder sees it but cannot revoke or re-issue it.
    let res = app
        .post(
            &format!("{path}/revoke"),
            Some(&holder),
            &json!({ "reason": "Không thích" }),
        )
        .await;
    assert_eq!(error_code(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .post(&format!("{path}/reissue"), Some(&holder), &json!({}))
        .await;
    assert_eq!(error_code(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .post(
            &format!("{path}/revoke"),
            Some(&above.token),
            &json!({ "reason": "x" }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "invalid_reason"
    );
}

#[tokio::test]
async fn a_reissue_supersedes_the_old_certificate_which_stays_verifiable() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let unit = app.unit_id("Đoàn phường Mỹ Bình").await;
    let (holder, old) = certified(&app, &course, unit).await;
    let organizer = app
        .organizer(unit, app.unit_id("Thành Đoàn Long Xuyên").await)
        .await;
    // The holder corrects their name first; the re-issue carries the new one.
    let res = app
        .patch(
            "/api/v1/me",
            Some(&holder),
            &json!({ "full_name": "Trần Thị Bích Ngọc Anh" }),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let path = format!(
        "/api/v1/certificates/{}/reissue",
        old["id"].as_str().unwrap()
    );
    let res = app
        .post(
            &path,
            Some(&organizer.token),
            &json!({ "reason": "Sửa họ tên" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let new: Value = res.json().await.unwrap();
    assert_ne!(new["code"], old["code"]);
    assert_eq!(new["seq"], 2);
    assert_eq!(new["holder"], "Trần Thị Bích Ngọc Anh");
    assert_eq!(new["holder_unit"], "Đoàn phường Mỹ Bình");
    let res = app.post(&path, Some(&organizer.token), &json!({})).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "certificate_not_valid"
    );

    let v: Value = verify_json(&app, old["code"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "superseded");
    assert_eq!(v["superseded_by"], new["code"]);
    assert_eq!(
        v["holder"], "Trần Thị Bích Ngọc",
        "the old facts stay as signed"
    );
    let mine: Vec<Value> = app
        .get("/api/v1/me/certificates", Some(&holder))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(app.count_rows("certificates", None).await, 2);
}

#[tokio::test]
async fn issuing_by_hand_needs_an_achievement_and_no_valid_certificate() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let unit = app.unit_id("Đoàn phường Mỹ Bình").await;
    let organizer = app
        .organizer(unit, app.unit_id("Thành Đoàn Long Xuyên").await)
        .await;
    let learner = app.member(unit).await;
    let body = json!({ "user_id": learner.id, "course_id": course.id });
    let res = app
        .post("/api/v1/certificates", Some(&organizer.token), &body)
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "not_eligible"
    );
    app.post(&course.lesson_path, Some(&learner.token), &json!({}))
        .await;
    let res = app
        .post("/api/v1/certificates", Some(&organizer.token), &body)
        .await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "certificate_exists"
    );
    let mine: Vec<Value> = app
        .get("/api/v1/me/certificates", Some(&learner.token))
        .await
        .json()
        .await
        .unwrap();
    let id = mine[0]["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/certificates/{id}/revoke"),
        Some(&organizer.token),
        &json!({ "reason": "Thu hồi để cấp lại" }),
    )
    .await;
    let res = app
        .post("/api/v1/certificates", Some(&organizer.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let issued: Value = res.json().await.unwrap();
    assert_eq!(issued["seq"], 2);
    assert_eq!(issued["status"], "valid");
    // Outside the organizer's subtree, and malformed bodies.
    let stranger = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app
        .post(
            "/api/v1/certificates",
            Some(&organizer.token),
            &json!({ "user_id": stranger.id, "course_id": course.id }),
        )
        .await;
    assert_eq!(error_code(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .post(
            "/api/v1/certificates",
            Some(&organizer.token),
            &json!({ "user_id": learner.id, "course_id": course.id, "round_id": 1 }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::BAD_REQUEST).await,
        "invalid_body",
        "a course or a round, not both"
    );
}

#[tokio::test]
async fn the_pdf_is_small_and_carries_the_signed_facts_for_offline_checks() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let (token, cert) = certified(&app, &course, app.unit_id("Đoàn phường Mỹ Bình").await).await;
    let res = app
        .get(
            &format!("/api/v1/certificates/{}.pdf", cert["id"].as_str().unwrap()),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    assert!(bytes.len() <= 30 * 1024, "{} bytes", bytes.len());
    let inside = pdf::embedded(&bytes).expect("the signed facts are embedded");
    assert_eq!(
        inside.facts,
        cert["signed_facts"].as_str().unwrap().as_bytes()
    );
    let keys = published_keys(&app).await;
    let key_id = cert["key_id"].as_str().unwrap();
    assert!(signing::verify(
        &keys.keys,
        key_id,
        &inside.facts,
        &inside.signature
    ));
    let mut forged = inside.facts.clone();
    forged[10] ^= 0x20;
    assert!(!signing::verify(
        &keys.keys,
        key_id,
        &forged,
        &inside.signature
    ));
}

#[tokio::test]
async fn the_portable_credential_verifies_with_the_published_key() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let (token, cert) = certified(&app, &course, app.unit_id("Đoàn phường Mỹ Bình").await).await;
    let res = app
        .get(
            &format!(
                "/api/v1/certificates/{}/credential.json",
                cert["id"].as_str().unwrap()
            ),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["type"].to_string().contains("OpenBadgeCredential"));
    let keys = published_keys(&app).await;
    let key = signing::parse_public_key(&keys.keys[0].public_key).unwrap();
    assert!(credential::verify_credential(&doc, &key));
    let mut forged = doc.clone();
    forged["credentialSubject"]["name"] = json!("Người Khác");
    assert!(!credential::verify_credential(&forged, &key));
}

/// Five participants of a round with two prizes (one first, two second): the winners get
/// certificates when the round is finalised, once; minors' names are masked in public.
#[tokio::test]
async fn finalising_a_round_certifies_its_prize_winners_once() {
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let my_binh = app.unit_id("Đoàn phường Mỹ Bình").await;
    let r = open_round(&app, province, json!({}), 1).await;
    let mut tokens = Vec::new();
    for (name, correct, ms) in [
        ("Nguyễn Văn An", 4, 10_000),
        ("Lê Thị Bình", 3, 10_000),
        ("Võ Minh Châu", 3, 20_000),
        ("Phạm Thị Dung", 1, 10_000),
        ("Đặng Văn Em", 0, 10_000),
    ] {
        let (id, token) = app.participant(name, my_binh).await;
        finished(&app, r.round, id, my_binh, correct, ms).await;
        tokens.push(token);
    }
    app.clock.advance(Duration::hours(7));
    assert!(
        contests::finalise(&app.state, r.round as i32)
            .await
            .unwrap()
    );
    assert_eq!(app.count_rows("certificates", None).await, 3);
    // A second run (or a retry) issues nothing.
    assert!(
        !contests::finalise(&app.state, r.round as i32)
            .await
            .unwrap()
    );
    assert_eq!(app.count_rows("certificates", None).await, 3);

    let mine: Vec<Value> = app
        .get("/api/v1/me/certificates", Some(&tokens[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let c = &mine[0];
    assert_eq!(c["kind"], "contest_award");
    assert_eq!(c["achievement"]["prize"], "Giải Nhất");
    assert_eq!(c["achievement"]["rank"], 1);
    assert_eq!(c["achievement"]["contest"], "Tự hào Việt Nam");
    assert_eq!(
        c["holder"], "Nguyễn Văn An",
        "the holder sees the full name"
    );
    for t in &tokens[3..] {
        let none: Vec<Value> = app
            .get("/api/v1/me/certificates", Some(t))
            .await
            .json()
            .await
            .unwrap();
        assert!(none.is_empty());
    }
    // The participants were born in 2009: minors, masked in public, no signed name exposed.
    let v: Value = verify_json(&app, c["code"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["holder"], "Nguyễn V. A.");
    assert_eq!(v["holder_masked"], true);
    assert!(v["signed_facts"].is_null());
    let html = app
        .get(&format!("/verify/{}", c["code"].as_str().unwrap()), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Nguyễn Văn An"));
    // The contest's organizers hand the prizes out: the round's archive holds the three.
    let admin = app.admin().await;
    let zip = app
        .get(
            &format!("/api/v1/rounds/{}/certificates.zip", r.round),
            Some(&admin.token),
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert!(zip.starts_with(b"PK"), "{}", String::from_utf8_lossy(&zip));
    let names = zip_names(&zip);
    assert_eq!(names.iter().filter(|n| n.ends_with(".pdf")).count(), 3);
}

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut content = Vec::new();
        f.read_to_end(&mut content).unwrap();
        if name.ends_with(".pdf") {
            assert!(content.starts_with(b"%PDF"));
        }
        names.push(name);
    }
    names
}

#[tokio::test]
async fn organizers_download_their_subtrees_certificates_as_one_zip() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let my_binh = app.unit_id("Đoàn phường Mỹ Bình").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    for unit in [my_binh, my_binh, vinh_te] {
        certified(&app, &course, unit).await;
    }
    let long_xuyen = app
        .organizer(my_binh, app.unit_id("Thành Đoàn Long Xuyên").await)
        .await;
    let path = format!("/api/v1/courses/{}/certificates.zip", course.id);
    let res = app.get(&path, Some(&long_xuyen.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let names = zip_names(&res.bytes().await.unwrap());
    assert_eq!(names.iter().filter(|n| n.ends_with(".pdf")).count(), 2);
    assert!(names.contains(&"danh-sach.csv".to_owned()));

    let admin = app.admin().await;
    let names = zip_names(
        &app.get(&path, Some(&admin.token))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(names.iter().filter(|n| n.ends_with(".pdf")).count(), 3);

    let member = app.member(my_binh).await;
    let res = app.get(&path, Some(&member.token)).await;
    assert_eq!(error_code(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .get("/api/v1/courses/9999/certificates.zip", Some(&admin.token))
        .await;
    assert_eq!(
        error_code(res, StatusCode::NOT_FOUND).await,
        "course_not_found"
    );
    // A round's archive holds its prize winners' certificates (none here: no round).
    let res = app
        .get("/api/v1/rounds/9999/certificates.zip", Some(&admin.token))
        .await;
    assert_eq!(
        error_code(res, StatusCode::NOT_FOUND).await,
        "round_not_found"
    );
}

#[tokio::test]
async fn the_personal_export_lists_certificates_and_erasure_masks_the_public_name() {
    let app = spawn_app().await;
    let course = stored_course(&app).await;
    let (token, cert) = certified(&app, &course, app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let export: Value = app
        .get("/api/v1/me/export", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(export["certificates"][0]["code"], cert["code"]);

    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let v: Value = verify_json(&app, cert["code"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "valid", "the achievement stays true");
    assert_eq!(v["holder"], "Trần T. B. N.");
    assert_eq!(v["holder_masked"], true);
    assert!(v["signed_facts"].is_null());
}
