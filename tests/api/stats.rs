//! Course and contest statistics per child unit, and the exports of the statistics: the same
//! numbers in CSV, XLSX and PDF as in the JSON.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn json_of(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get(path, Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

fn child(stats: &Value, unit: i64) -> &Value {
    stats["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit_id"] == unit)
        .unwrap_or_else(|| panic!("no child {unit} in {stats}"))
}

#[tokio::test]
async fn course_statistics_count_enrolled_started_completed_per_child_unit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let nui_sam = app.unit_id("Đoàn phường Núi Sam").await;
    let organizer = app.organizer(district, district).await;
    let res = app
        .post(
            "/api/v1/courses",
            Some(&admin.token),
            &crate::courses::reading_course(),
        )
        .await;
    let course: Value = res.json().await.unwrap();
    let id = course["id"].as_i64().unwrap();
    let complete = format!(
        "/api/v1/lessons/{}/complete",
        course["lessons"][0]["id"].as_i64().unwrap()
    );
    let reader = app.member(vinh_te).await;
    let _idle = app.member(vinh_te).await;
    let other = app.member(nui_sam).await;
    for p in [&reader, &other] {
        let res = app.post(&complete, Some(&p.token), &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    let stats = json_of(
        &app,
        &format!("/api/v1/stats/courses/{id}?unit_id={district}"),
        &organizer.token,
    )
    .await;
    // The organizer (registered in the district) and three members are in the audience.
    assert_eq!(stats["enrolled"], 4);
    assert_eq!(stats["started"], 2);
    assert_eq!(stats["completed"], 2);
    assert_eq!(stats["passed"], 2, "no final test: every completion passes");
    assert_eq!(stats["completion_rate"], 0.5);
    assert!(stats["median_hours_to_complete"].as_f64().unwrap() < 0.01);
    let v = child(&stats, vinh_te);
    assert_eq!(
        (v["enrolled"].as_u64(), v["completed"].as_u64()),
        (Some(2), Some(1))
    );
    let n = child(&stats, nui_sam);
    assert_eq!(
        (n["enrolled"].as_u64(), n["completed"].as_u64()),
        (Some(1), Some(1))
    );

    // A period before anything happened counts nobody but the audience.
    let before = json_of(
        &app,
        &format!("/api/v1/stats/courses/{id}?unit_id={district}&from=2020-01-01&to=2020-12-31"),
        &organizer.token,
    )
    .await;
    assert_eq!(
        (before["started"].as_u64(), before["completed"].as_u64()),
        (Some(0), Some(0))
    );

    // The CSV export has the same figures, with a BOM for Excel.
    let res = app
        .get(
            &format!("/api/v1/stats/courses/{id}?unit_id={district}&format=csv"),
            Some(&organizer.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbf"));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("Đoàn xã Vĩnh Tế"), "{text}");

    // Another district's organizer sees nothing of it.
    let long_xuyen = app.unit_id("Thành Đoàn Long Xuyên").await;
    let stranger = app.organizer(long_xuyen, long_xuyen).await;
    let res = app
        .get(
            &format!("/api/v1/stats/courses/{id}?unit_id={district}"),
            Some(&stranger.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn contest_statistics_count_participants_and_attempts_per_round_and_unit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let nui_sam = app.unit_id("Đoàn phường Núi Sam").await;
    let contest = app
        .province_contest(&admin, "tu-hao", "Tự hào Việt Nam")
        .await;
    let round = app
        .create_round(
            &admin,
            &contest["id"],
            &crate::helpers::open_round_body(app.clock_now(), 1),
        )
        .await;
    let res = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/units/{vinh_te}"),
            Some(&admin.token),
            &json!({ "member_count": 4 }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    for (name, unit) in [
        ("Lê Văn Một", vinh_te),
        ("Lê Văn Hai", vinh_te),
        ("Lê Văn Ba", nui_sam),
    ] {
        let (_, token) = app.participant(name, unit).await;
        let res = app.start_attempt(&token, &round["id"]).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
    }
    let stats = json_of(
        &app,
        &format!(
            "/api/v1/stats/contests/{}?unit_id={district}",
            contest["id"]
        ),
        &admin.token,
    )
    .await;
    assert_eq!(stats["participants"], 3);
    assert_eq!(stats["attempts"], 3);
    assert_eq!(stats["rounds"][0]["participants"], 3);
    let v = child(&stats, vinh_te);
    assert_eq!(v["participants"], 2);
    assert_eq!(
        v["members"], 4,
        "the declared member count stands in for a roster"
    );
    assert_eq!(v["participation_rate"], 0.5);
    assert_eq!(child(&stats, nui_sam)["participants"], 1);

    let res = app
        .get(
            &format!(
                "/api/v1/stats/contests/{}?unit_id={district}&format=xlsx",
                contest["id"]
            ),
            Some(&admin.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let row = sheet
        .rows()
        .find(|r| r.get(1) == Some(&Data::String("Đoàn xã Vĩnh Tế".into())))
        .expect("a row for Vĩnh Tế");
    assert_eq!(row[2].as_f64(), Some(2.0));
    assert_eq!(row[5].as_f64(), Some(0.5));
}

#[tokio::test]
async fn the_indicator_report_exports_hold_the_jsons_numbers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let csv = "Họ và tên,Ngày sinh,Số điện thoại,Đối tượng,Ngày kết nạp,Đơn vị\n\
               Nguyễn Văn An,01/02/2000,0912000001,đoàn viên mới,01/03/2026,\n\
               Trần Thị Bình,02/03/2001,0912000002,đoàn viên mới,01/03/2026,\n";
    let res = app
        .upload_to(
            &format!("/api/v1/units/{unit}/roster"),
            &admin.token,
            &[("ds.csv", csv.as_bytes().to_vec())],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let path = format!("/api/v1/stats/indicators?unit_id={unit}&year=2026");
    let report = json_of(&app, &path, &admin.token).await;
    let r23 = report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "2.3")
        .unwrap();
    assert_eq!(r23["groups"][0]["denominator"], 2);

    let res = app
        .get(&format!("{path}&format=xlsx"), Some(&admin.token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".xlsx")
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let row = sheet
        .rows()
        .find(|r| r.first() == Some(&Data::String("2.3".into())))
        .expect("a row for 2.3");
    // Mã, Chỉ tiêu, Nhóm, Đạt được, Tổng số, Tỷ lệ, …
    assert_eq!(row[2], Data::String("Chung".into()), "{row:?}");
    assert_eq!(
        (row[3].as_f64(), row[4].as_f64()),
        (Some(0.0), Some(2.0)),
        "{row:?}"
    );

    let res = app
        .get(&format!("{path}&format=pdf"), Some(&admin.token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));

    let res = app
        .get(&format!("{path}&format=docx"), Some(&admin.token))
        .await;
    assert_eq!(
        crate::helpers::error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "invalid_format"
    );
}
