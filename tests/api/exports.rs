//! Round results: who gets which contact details in exports, cells that stay what they are,
//! and which attempt the live board and the final results count.

use std::collections::HashMap;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chrono::Duration;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::json;
use soiduong::{services::contests, store};
use uuid::Uuid;

use crate::{
    helpers::{TestApp, spawn_app, submitted_attempt},
    leaderboard::open_round,
};

/// A finished attempt written straight to the database.
pub async fn finished(app: &TestApp, round: i64, user: Uuid, unit: i64, correct: i32, ms: i64) {
    let r = store::contests::round(&app.state.db, round as i32)
        .await
        .unwrap()
        .unwrap();
    let submitted = app.clock_now() - Duration::minutes(1);
    let before = store::attempts::of_user(&app.state.db, user, r.quiz_id)
        .await
        .unwrap()
        .len();
    entity::attempts::Entity::insert(submitted_attempt(
        r.quiz_id,
        user,
        before as i32 + 1,
        unit as i32,
        submitted,
        (correct, ms),
    ))
    .exec(&app.state.db)
    .await
    .unwrap();
}

async fn export(app: &TestApp, round: i64, token: &str, format: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/rounds/{round}/results?format={format}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Full name → (prize, phone, e-mail), from the CSV.
fn contacts(csv: &str) -> HashMap<String, (String, String, String)> {
    csv.trim_start_matches('\u{feff}')
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[1].to_owned(),
                (c[8].to_owned(), c[9].to_owned(), c[10].to_owned()),
            )
        })
        .collect()
}

/// A province-wide contest run by the Châu Đốc district: five participants, two of them in
/// Châu Đốc and three in Long Xuyên; the top three win.
#[tokio::test]
async fn organizers_export_contact_details_only_for_their_subtree_and_the_winners() {
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let chau_doc = app.unit_id("Thành Đoàn Châu Đốc").await;
    let long_xuyen = app.unit_id("Thành Đoàn Long Xuyên").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let my_binh = app.unit_id("Đoàn phường Mỹ Bình").await;
    let r = open_round(&app, chau_doc, json!({}), 1).await;
    let people = [
        ("Long Xuyên Nhất", my_binh, 4, 10_000),
        ("Châu Đốc Nhì", vinh_te, 3, 10_000),
        ("Long Xuyên Nhì", my_binh, 3, 20_000),
        ("Long Xuyên Không Giải", my_binh, 1, 10_000),
        ("Châu Đốc Không Giải", vinh_te, 0, 10_000),
    ];
    for (name, unit, correct, ms) in people {
        let (id, _) = app.participant(name, unit).await;
        finished(&app, r.round, id, unit, correct, ms).await;
    }
    app.clock.advance(Duration::hours(7));
    assert!(
        contests::finalise(&app.state, r.round as i32)
            .await
            .unwrap()
    );

    let district = app.organizer(vinh_te, chau_doc).await;
    let res = export(&app, r.round, &district.token, "csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    let rows = contacts(&res.text().await.unwrap());
    assert_eq!(rows.len(), 5, "every row stays: the ranking is the ranking");
    for (name, shown) in [
        ("Long Xuyên Nhất", true),
        ("Châu Đốc Nhì", true),
        ("Long Xuyên Nhì", true),
        ("Long Xuyên Không Giải", false),
        ("Châu Đốc Không Giải", true),
    ] {
        let (prize, phone, email) = &rows[name];
        assert_eq!(
            !phone.is_empty(),
            shown,
            "{name}: phone {phone} (prize {prize})"
        );
        assert_eq!(!email.is_empty(), shown, "{name}: e-mail {email}");
        if shown {
            assert!(phone.starts_with("'+849"), "guarded phone: {phone}");
        }
    }
    assert_eq!(rows["Long Xuyên Nhất"].0, "Giải Nhất");

    // The province sees everyone's; another district may not export at all.
    let province_org = app.organizer(vinh_te, province).await;
    let res = export(&app, r.round, &province_org.token, "csv").await;
    let rows = contacts(&res.text().await.unwrap());
    assert!(
        rows.values()
            .all(|(_, phone, email)| !phone.is_empty() && !email.is_empty())
    );
    let other = app.organizer(my_binh, long_xuyen).await;
    assert_eq!(
        export(&app, r.round, &other.token, "csv").await.status(),
        StatusCode::FORBIDDEN
    );

    // The XLSX holds the same, phones as text (a number would lose the `+`).
    let res = export(&app, r.round, &district.token, "xlsx").await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut wb = open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range("Kết quả").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 6);
    let mut phones = 0;
    for row in &rows[1..] {
        assert!(
            matches!(row[0], Data::Float(_) | Data::Int(_)),
            "rank stays a number: {:?}",
            row[0]
        );
        match &row[9] {
            Data::String(p) => {
                assert!(p.starts_with("+849"), "{p}");
                phones += 1;
            }
            Data::Empty => {}
            other => panic!("a phone written as {other:?}"),
        }
    }
    assert_eq!(phones, 4);
}

/// A contest that ranks by time since the round opened: the live board and the final
/// results count the same attempt (the one submitted earliest in the round on equal
/// answers), not one each.
#[tokio::test]
async fn the_live_board_and_the_final_results_count_the_same_attempt() {
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let r = open_round(&app, province, json!({ "time_mode": "since_opening" }), 2).await;
    let (id, token) = app.participant("Phan Thị Diễm", vinh_te).await;
    // Both 3 of 4. The first took 5 minutes and ended 2 minutes ago; the second took 1
    // minute and ended just now.
    finished(&app, r.round, id, vinh_te, 3, 300_000).await;
    app.clock.advance(Duration::minutes(2));
    finished(&app, r.round, id, vinh_te, 3, 60_000).await;
    let round = store::contests::round(&app.state.db, r.round as i32)
        .await
        .unwrap()
        .unwrap();
    soiduong::services::boards::rebuild(&app.state, &[round.id])
        .await
        .unwrap();
    let live: serde_json::Value = app
        .get(
            &format!("/api/v1/rounds/{}/leaderboard", r.round),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    let live_time = live["entries"][0]["duration_ms"].as_i64().unwrap();

    app.clock.advance(Duration::hours(7));
    assert!(contests::finalise(&app.state, round.id).await.unwrap());
    let results: serde_json::Value = app
        .get(&format!("/api/v1/rounds/{}/results", r.round), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let row = &results["entries"][0];
    assert_eq!(
        row["time_ms"].as_i64().unwrap(),
        live_time,
        "{live} {results}"
    );
    assert_eq!(
        row["duration_ms"], 300_000,
        "the attempt that ended first counts"
    );
    assert_eq!(row["attempts_used"], 2);
}

/// An audience column that no longer decodes (corrupt, or written by another version) shuts
/// the contest to everyone instead of opening it to everyone.
#[tokio::test]
async fn a_contest_whose_audience_cannot_be_read_admits_nobody() {
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let r = open_round(&app, province, json!({}), 1).await;
    let (_, token) = app.participant("Võ Minh Khang", vinh_te).await;
    let path = format!("/api/v1/contests/{}", r.contest);
    assert_eq!(app.get(&path, Some(&token)).await.status(), StatusCode::OK);
    entity::contests::Entity::update_many()
        .col_expr(
            entity::contests::Column::AudienceCategories,
            Expr::value(r#"["a_category_this_version_does_not_know"]"#),
        )
        .filter(entity::contests::Column::Id.eq(r.contest as i32))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        app.get(&path, Some(&token)).await.status(),
        StatusCode::NOT_FOUND
    );
    let res = app.start_attempt(&token, r.round).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
