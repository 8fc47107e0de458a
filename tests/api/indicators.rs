//! Rosters and the indicator report as organizers meet them: a roster uploaded (previewed
//! first), people who confirm the record that is theirs, completions in the year, a merge in
//! the middle of it, the figures units report, and every number checked against a count
//! made by hand.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, error_code, spawn_app};

const YEAR: i32 = 2026;

/// A person on the roster who registers, confirms their record and logs in.
async fn registered(app: &TestApp, name: &str, phone: &str, unit: i64, birth: &str) -> Account {
    let password = "mật-khẩu-đủ-dài".to_owned();
    let res = app
        .register(&json!({
            "full_name": name,
            "phone": phone,
            "password": password,
            "birth_date": birth,
            "unit_id": unit,
            "categories": ["member"],
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
    let res = app.login(phone, &password).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.unwrap();
    Account {
        id,
        login: phone.to_owned(),
        password,
        token: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
    }
}

async fn confirm_roster_record(app: &TestApp, person: &Account) -> Value {
    let claims: Value = app
        .get("/api/v1/me/roster", Some(&person.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claims.as_array().unwrap().len(), 1, "{claims}");
    let id = claims[0]["member_id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/me/roster/{id}/confirm"),
            Some(&person.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn roster_csv(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(
        "\u{feff}STT;Họ và tên;Ngày sinh;Số điện thoại;Đối tượng;Ngày kết nạp;Đơn vị\n",
    );
    for (i, r) in rows.iter().enumerate() {
        text.push_str(&format!("{};{r}\n", i + 1));
    }
    text.into_bytes()
}

async fn upload_roster(
    app: &TestApp,
    token: &str,
    unit: i64,
    csv: Vec<u8>,
    dry_run: bool,
) -> reqwest::Response {
    app.upload_to(
        &format!("/api/v1/units/{unit}/roster?dry_run={dry_run}"),
        token,
        &[("danh-sach-doan-vien.csv", csv)],
    )
    .await
}

/// The completion summary the reports count holds `rows` rows, each as a recount from the
/// members and completions gives it.
async fn summary_is_exact(app: &TestApp, rows: i64) {
    assert_eq!(app.count_rows("completion_facts", None).await, rows);
    assert_eq!(
        soiduong::store::facts::mismatches(&app.state.db)
            .await
            .unwrap(),
        0,
        "the summary differs from a recount"
    );
}

/// The catalogue's key of the indicator with `code` in the 2030 phase.
async fn indicator_key(app: &TestApp, token: &str, code: &str) -> String {
    let cat: Value = app
        .get("/api/v1/indicators", Some(token))
        .await
        .json()
        .await
        .unwrap();
    cat["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["codes"]["2030"] == code)
        .unwrap_or_else(|| panic!("no indicator {code}"))["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no row {code} in {report}"))
}

fn figures(group: &Value) -> (u64, u64) {
    (
        group["numerator"].as_u64().unwrap(),
        group["denominator"].as_u64().unwrap(),
    )
}

fn group<'a>(row: &'a Value, key: &str) -> &'a Value {
    row["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {row}"))
}

fn group_with_category<'a>(row: &'a Value, catalogue_row: &Value, category: &str) -> &'a Value {
    let key = catalogue_row["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| {
            g["categories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == category)
        })
        .unwrap_or_else(|| panic!("no group for {category}"))["key"]
        .as_str()
        .unwrap()
        .to_owned();
    group(row, &key)
}

#[tokio::test]
async fn the_indicator_report_counts_rosters_completions_merges_and_reports_as_by_hand() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let nui_sam = app.unit_id("Đoàn phường Núi Sam").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let chau_phu = app.unit_id("Đoàn phường Châu Phú A").await;
    let school = app.unit_id("Đoàn trường THPT Thủ Khoa Nghĩa").await;
    let organizer = app.organizer(district, district).await;

    // The year counts completions and members through its end.
    let res = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/indicator-years/{YEAR}"),
            Some(&admin.token),
            &json!({ "phase": "2030", "from": "2026-01-01", "to": "2026-12-31",
                     "cutoff": "2026-12-31", "deadline": "2026-12-15" }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    // A course linked to 2.6 (digital skills and cyber safety, split targets).
    let res = app
        .post(
            "/api/v1/courses",
            Some(&admin.token),
            &crate::courses::reading_course(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let course: Value = res.json().await.unwrap();
    let complete = format!(
        "/api/v1/lessons/{}/complete",
        course["lessons"][0]["id"].as_i64().unwrap()
    );
    let key_26 = indicator_key(&app, &admin.token, "2.6").await;
    let res = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/indicators/{key_26}/courses"),
            Some(&admin.token),
            &json!({ "course_ids": [course["id"]] }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    // The district's roster: eight people, four of whom never register.
    let csv = roster_csv(&[
        // A: cadre and member (two categories), registers and completes.
        "Nguyễn Văn An;01/02/1995;0912000001;cán bộ, đoàn viên;;Đoàn phường Núi Sam",
        // B: member, never registers.
        "Trần Thị Bình;02/03/2001;;Đoàn viên;;Đoàn phường Núi Sam",
        // C: youth, registers and completes.
        "Lê Văn Cường;03/04/2003;0912000003;thanh niên;;Đoàn xã Vĩnh Tế",
        // D: youth, registers, does not complete.
        "Phạm Thị Dung;04/05/2004;0912000004;Thanh niên;;DOAN XA VINH TE",
        // E: child, never registers; their unit merges into Núi Sam mid-year.
        "Hoàng Văn Em;05/06/2012;;thiếu nhi;;Đoàn phường Châu Phú A",
        // F: new member, registers and completes; unit merges too.
        "Vũ Thị Phương;06/07/2006;0912000006;đoàn viên mới;15/03/2026;Đoàn phường Châu Phú A",
        // G: member who leaves before the cut-off: not counted.
        "Đặng Văn Giang;07/08/2000;0912000007;đoàn viên;;Đoàn xã Vĩnh Tế",
        // H: association member (hội viên), never registers.
        "Bùi Thị Hoa;08/09/2001;;hội viên;;Đoàn xã Vĩnh Tế",
    ]);
    let res = upload_roster(&app, &organizer.token, district, csv.clone(), true).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let preview: Value = res.json().await.unwrap();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["added"].as_array().unwrap().len(), 8);
    assert_eq!(
        app.count_rows("members", None).await,
        0,
        "a preview writes nothing"
    );

    let res = upload_roster(&app, &organizer.token, district, csv, false).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.count_rows("members", None).await, 8);

    let a = registered(&app, "Nguyễn Văn An", "0912000001", nui_sam, "1995-02-01").await;
    let c = registered(&app, "Lê Văn Cường", "0912000003", vinh_te, "2003-04-03").await;
    let d = registered(&app, "Phạm Thị Dung", "0912000004", vinh_te, "2004-05-04").await;
    let f = registered(&app, "Vũ Thị Phương", "0912000006", chau_phu, "2006-07-06").await;
    for p in [&a, &c, &d, &f] {
        confirm_roster_record(&app, p).await;
    }
    // Someone who declared Vĩnh Tế themselves, on no roster: shown apart.
    let _self_declared = registered(&app, "Ngô Thị Hà", "0912000009", vinh_te, "2002-01-01").await;

    for p in [&a, &c, &f] {
        let res = app.post(&complete, Some(&p.token), &json!({})).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
    }
    summary_is_exact(&app, 3).await;

    // G leaves on 1 June.
    let members: Value = app
        .get(
            &format!("/api/v1/units/{district}/members"),
            Some(&organizer.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let g = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["full_name"] == "Đặng Văn Giang")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = app
        .patch(
            &format!("/api/v1/members/{g}"),
            Some(&organizer.token),
            &json!({ "left_on": "2026-06-01", "left_reason": "Chuyển công tác" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    summary_is_exact(&app, 3).await;

    // Châu Phú A merges into Núi Sam mid-year.
    let res = app
        .post(
            &format!("/api/v1/units/{chau_phu}/merge"),
            Some(&admin.token),
            &json!({ "into": nui_sam }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    summary_is_exact(&app, 3).await;

    // Figures for 2.7 (connected pages): the district 3 of 4, Núi Sam 1 of 2.
    let key_27 = indicator_key(&app, &admin.token, "2.7").await;
    for (unit, n, of) in [(district, 3, 4), (nui_sam, 1, 2)] {
        let res = app
            .post(
                "/api/v1/indicator-reports",
                Some(&organizer.token),
                &json!({ "unit_id": unit, "year": YEAR, "figures": [
                    { "indicator": key_27, "numerator": n, "denominator": of,
                      "evidence": "https://facebook.com/doan" }
                ] }),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
    }

    let report: Value = app
        .get(
            &format!("/api/v1/stats/indicators?unit_id={district}&year={YEAR}"),
            Some(&organizer.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["unit_id"], district);
    assert_eq!(report["year"], YEAR);
    assert_eq!(report["phase"], "2030");
    // Hà, and the organizer (registered in the district, on no roster).
    assert_eq!(report["self_declared"], 2);

    // 2.6 by hand: people A, B, C, D, E, F, H (G left); done A, C, F.
    let cat: Value = app
        .get("/api/v1/indicators", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    let cat_26 = cat["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key_26.as_str())
        .unwrap()
        .clone();
    let r26 = row(&report, "2.6");
    assert_eq!(r26["measured"], true);
    assert_eq!(figures(group(r26, "overall")), (3, 7));
    // A counts as a cadre and as a member (two categories), once overall.
    let cadres = group_with_category(r26, &cat_26, "cadre");
    assert_eq!(figures(cadres), (1, 1));
    assert_eq!(cadres["target"], 1.0);
    assert_eq!(cadres["met"], true);
    let members = group_with_category(r26, &cat_26, "member");
    assert_eq!(figures(members), (2, 4), "A, B, F and H; A and F done");
    assert_eq!(members["met"], false);
    let youth = group_with_category(r26, &cat_26, "youth");
    assert_eq!(figures(youth), (1, 2));
    let children = group_with_category(r26, &cat_26, "child");
    assert_eq!(figures(children), (0, 1));
    assert_eq!(group(r26, "overall")["met"], false);
    assert_eq!(group(r26, "overall")["rate"], 3.0 / 7.0);

    // Per child unit: the merged unit's people count under Núi Sam.
    let child = |id: i64| {
        r26["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["unit_id"] == id)
            .cloned()
    };
    assert!(
        child(chau_phu).is_none(),
        "a merged unit has no row of its own"
    );
    assert_eq!(
        figures(&child(nui_sam).unwrap()),
        (2, 4),
        "A, B, E, F; A and F done"
    );
    assert_eq!(
        figures(&child(vinh_te).unwrap()),
        (1, 3),
        "C, D and H; C done"
    );
    assert_eq!(figures(&child(school).unwrap()), (0, 0));
    let lagging: Vec<i64> = r26["lagging"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["unit_id"].as_i64().unwrap())
        .collect();
    assert!(
        lagging.contains(&nui_sam) && lagging.contains(&vinh_te),
        "{lagging:?}"
    );
    assert!(!lagging.contains(&school), "nobody counted is not lagging");

    // 2.3 (political theory for new members): F is the one new member; the reading course is
    // not linked to it, so nobody completed it.
    let r23 = row(&report, "2.3");
    assert_eq!(figures(group(r23, "overall")), (0, 1));

    // 2.7 rolls up the units' reports: 3 + 1 of 4 + 2.
    let r27 = row(&report, "2.7");
    assert_eq!(r27["measured"], false);
    assert_eq!(figures(group(r27, "overall")), (4, 6));
    assert_eq!(r27["reports"]["submitted"], 2);

    // The province's report (read by a scan, not through the unit index) counts the same.
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let whole: Value = app
        .get(
            &format!("/api/v1/stats/indicators?unit_id={province}&year={YEAR}"),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(figures(group(row(&whole, "2.6"), "overall")), (3, 7));
    let district_row = row(&whole, "2.6")["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit_id"] == district)
        .cloned()
        .unwrap();
    assert_eq!(figures(&district_row), (3, 7));

    // Núi Sam's own report sees only its subtree.
    let own: Value = app
        .get(
            &format!("/api/v1/stats/indicators?unit_id={nui_sam}&year={YEAR}"),
            Some(&organizer.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(figures(group(row(&own, "2.6"), "overall")), (2, 4));
    assert_eq!(figures(group(row(&own, "2.7"), "overall")), (1, 2));

    // Who has reported.
    let subs: Value = app
        .get(
            &format!("/api/v1/indicator-reports?unit_id={district}&year={YEAR}"),
            Some(&organizer.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs["submitted"], 2);
    let state_of = |id: i64| {
        subs["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_id"] == id)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state_of(district), "submitted");
    assert_eq!(state_of(vinh_te), "pending");
}

#[tokio::test]
async fn an_organizer_of_one_district_gets_403_for_another_districts_report_in_every_format() {
    let app = spawn_app().await;
    let chau_doc = app.unit_id("Thành Đoàn Châu Đốc").await;
    let long_xuyen = app.unit_id("Thành Đoàn Long Xuyên").await;
    let my_binh = app.unit_id("Đoàn phường Mỹ Bình").await;
    let organizer = app.organizer(chau_doc, chau_doc).await;
    for unit in [long_xuyen, my_binh] {
        for format in [
            "",
            "&format=json",
            "&format=csv",
            "&format=xlsx",
            "&format=pdf",
        ] {
            for path in [
                format!("/api/v1/stats/indicators?unit_id={unit}&year={YEAR}{format}"),
                format!("/api/v1/indicator-reports?unit_id={unit}&year={YEAR}{format}"),
            ] {
                let res = app.get(&path, Some(&organizer.token)).await;
                assert_eq!(
                    error_code(res, StatusCode::FORBIDDEN).await,
                    "forbidden",
                    "{path}"
                );
            }
        }
        let res = app
            .get(
                &format!("/api/v1/indicator-reports/{unit}/{YEAR}"),
                Some(&organizer.token),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = app
            .post(
                "/api/v1/indicator-reports",
                Some(&organizer.token),
                &json!({ "unit_id": unit, "year": YEAR, "figures": [] }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = upload_roster(&app, &organizer.token, unit, roster_csv(&[]), true).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_roster_with_a_bad_row_names_the_row_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let csv = roster_csv(&[
        "Nguyễn Văn An;01/02/1995;0912000001;đoàn viên;;",
        "Trần Thị Bình;31/02/2001;;đoàn viên;;",
        "Lê Văn Cường;03/04/2003;;phi hành gia;;",
        "Phạm Thị Dung;04/05/2004;;đoàn viên;;Đoàn xã Không Có",
    ]);
    let res = upload_roster(&app, &admin.token, district, csv, false).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "roster_rejected");
    let errors = body["error"]["details"]["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert!(lines.contains(&3) && lines.contains(&4), "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e["file"] == "danh-sach-doan-vien.csv"),
        "{errors:?}"
    );
    assert_eq!(app.count_rows("members", None).await, 0);
}

#[tokio::test]
async fn uploading_a_roster_again_updates_and_marks_who_left() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let first = roster_csv(&[
        "Nguyễn Văn An;01/02/1995;0912000001;đoàn viên;;",
        "Trần Thị Bình;02/03/2001;0912000002;đoàn viên;;",
    ]);
    let res = upload_roster(&app, &admin.token, unit, first, false).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = roster_csv(&[
        "Nguyễn Văn An;01/02/1995;0912000001;cán bộ;;",
        "Lê Văn Cường;03/04/2003;0912000003;thanh niên;;",
    ]);
    let res = upload_roster(&app, &admin.token, unit, second.clone(), true).await;
    let preview: Value = res.json().await.unwrap();
    assert_eq!(preview["added"].as_array().unwrap().len(), 1);
    assert_eq!(preview["updated"].as_array().unwrap().len(), 1);
    assert_eq!(preview["updated"][0]["fields"], json!(["categories"]));
    assert_eq!(preview["left"].as_array().unwrap().len(), 1);
    assert_eq!(preview["left"][0]["full_name"], "Trần Thị Bình");
    let res = upload_roster(&app, &admin.token, unit, second, false).await;
    assert_eq!(res.status(), StatusCode::OK);
    let all: Value = app
        .get(
            &format!("/api/v1/units/{unit}/members?include_left=true"),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3, "who left keeps their record");
    let binh = all
        .iter()
        .find(|m| m["full_name"] == "Trần Thị Bình")
        .unwrap();
    assert!(binh["left_on"].is_string());
    assert!(
        binh["left_reason"]
            .as_str()
            .unwrap()
            .contains("danh-sach-doan-vien.csv")
    );
    // In Vietnamese alphabetical order: Lê, Nguyễn, Trần.
    let names: Vec<&str> = all
        .iter()
        .map(|m| m["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lê Văn Cường", "Nguyễn Văn An", "Trần Thị Bình"]);
}

#[tokio::test]
async fn a_report_is_locked_after_its_deadline_until_an_admin_unlocks_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let organizer = app.organizer(unit, unit).await;
    let key = indicator_key(&app, &admin.token, "2.9").await;
    // 2025's report was due on 15 October 2025: the clock is past it.
    let body = json!({ "unit_id": unit, "year": 2025, "figures": [ { "indicator": key, "numerator": 3 } ] });
    let res = app
        .post("/api/v1/indicator-reports", Some(&organizer.token), &body)
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "report_locked");

    // With a later deadline the organizer may submit; back at the real one it locks again
    // until an admin unlocks it.
    let res = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/indicator-years/2025",
            Some(&admin.token),
            &json!({ "phase": "2025", "from": "2024-10-01", "to": "2025-09-30",
                     "cutoff": "2025-09-30", "deadline": "2099-10-15" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post("/api/v1/indicator-reports", Some(&organizer.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["editable"], true);
    let res = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/indicator-years/2025",
            Some(&admin.token),
            &json!({ "phase": "2025", "from": "2024-10-01", "to": "2025-09-30",
                     "cutoff": "2025-09-30", "deadline": "2025-10-15" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post("/api/v1/indicator-reports", Some(&organizer.token), &body)
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "report_locked");
    let id = saved["id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/indicator-reports/{id}/unlock"),
            Some(&organizer.token),
            &json!({ "until": "2099-01-01" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "only admins unlock");
    let res = app
        .post(
            &format!("/api/v1/indicator-reports/{id}/unlock"),
            Some(&admin.token),
            &json!({ "until": "2099-01-01" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post("/api/v1/indicator-reports", Some(&organizer.token), &body)
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // A measured indicator is not reported; a rate needs its denominator.
    for figures in [
        json!([{ "indicator": indicator_key(&app, &admin.token, "2.3").await, "numerator": 1, "denominator": 2 }]),
        json!([{ "indicator": indicator_key(&app, &admin.token, "2.7").await, "numerator": 5 }]),
        json!([{ "indicator": indicator_key(&app, &admin.token, "2.7").await, "numerator": 5, "denominator": 4 }]),
        json!([{ "indicator": "khong-co", "numerator": 1 }]),
    ] {
        let res = app
            .post(
                "/api/v1/indicator-reports",
                Some(&organizer.token),
                &json!({ "unit_id": unit, "year": 2025, "figures": figures }),
            )
            .await;
        assert_eq!(
            error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            "invalid_figures"
        );
    }
}

#[tokio::test]
async fn an_organizers_approval_makes_a_counted_member_and_erasure_keeps_the_count_without_the_name()
 {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let home = app.unit_id("Đoàn phường Núi Sam").await;
    let organizer = app.organizer(unit, unit).await;
    let person = app.member(home).await;
    let res = app
        .patch(
            "/api/v1/me",
            Some(&person.token),
            &json!({ "unit_id": unit }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let me: Value = res.json().await.unwrap();
    let request = me["pending_change"]["id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/membership-requests/{request}/approve"),
            Some(&organizer.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let members: Value = app
        .get(
            &format!("/api/v1/units/{unit}/members"),
            Some(&organizer.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(members[0]["source"], "organizer");
    assert_eq!(members[0]["registered"], true);

    let res = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/me",
            Some(&person.token),
            &json!({}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let members: Value = app
        .get(
            &format!("/api/v1/units/{unit}/members"),
            Some(&organizer.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members.as_array().unwrap().len(), 1, "still counted");
    assert_ne!(members[0]["full_name"], "Trần Thị Bích Ngọc");
    assert!(members[0]["phone"].is_null() && members[0]["birth_date"].is_null());
}

#[tokio::test]
async fn a_confirmed_member_follows_the_roster_to_another_unit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let nui_sam = app.unit_id("Đoàn phường Núi Sam").await;
    let first = roster_csv(&["Nguyễn Văn An;01/02/1995;0912000001;đoàn viên;;Đoàn xã Vĩnh Tế"]);
    let res = upload_roster(&app, &admin.token, district, first, false).await;
    assert_eq!(res.status(), StatusCode::OK);
    let person = registered(&app, "Nguyễn Văn An", "0912000001", nui_sam, "1995-02-01").await;
    let claim = confirm_roster_record(&app, &person).await;
    assert_eq!(claim["unit_id"], vinh_te);
    assert_eq!(app.profile(&person.token).await["unit"]["id"], vinh_te);
    // They complete a course: the summary holds it under Vĩnh Tế.
    let res = app
        .post(
            "/api/v1/courses",
            Some(&admin.token),
            &crate::courses::reading_course(),
        )
        .await;
    let course: Value = res.json().await.unwrap();
    let complete = format!(
        "/api/v1/lessons/{}/complete",
        course["lessons"][0]["id"].as_i64().unwrap()
    );
    let res = app.post(&complete, Some(&person.token), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    summary_is_exact(&app, 1).await;

    let second =
        roster_csv(&["Nguyễn Văn An;01/02/1995;0912000001;cán bộ, đoàn viên;;Đoàn phường Núi Sam"]);
    let res = upload_roster(&app, &admin.token, district, second, false).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The roster moved them (and made them a cadre): the summary follows.
    summary_is_exact(&app, 1).await;
    let me = app.profile(&person.token).await;
    assert_eq!(me["unit"]["id"], nui_sam);
    assert_eq!(me["categories"], json!(["cadre", "member"]));
}

#[tokio::test]
async fn a_large_subtree_and_an_indicator_of_two_courses_count_each_person_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let vinh_te = app.unit_id("Đoàn xã Vĩnh Tế").await;
    // Ten more communes make the district a large part of the tree: it is read by its path,
    // not through the unit indexes.
    let mut communes = Vec::new();
    for i in 1..=10 {
        let res = app
            .post(
                "/api/v1/units",
                Some(&admin.token),
                &json!({ "name": format!("Đoàn xã Mới {i}"), "kind": "commune", "parent_id": district }),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        communes.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let res = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/indicator-years/{YEAR}"),
            Some(&admin.token),
            &json!({ "phase": "2030", "from": "2026-01-01", "to": "2026-12-31",
                     "cutoff": "2026-12-31", "deadline": "2026-12-15" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Two courses count for 2.6.
    let mut lessons = Vec::new();
    let mut ids = Vec::new();
    for slug in ["doc-hieu", "doc-hieu-them"] {
        let mut body = crate::courses::reading_course();
        body["course"]["id"] = json!(slug);
        let res = app.post("/api/v1/courses", Some(&admin.token), &body).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        let course: Value = res.json().await.unwrap();
        ids.push(course["id"].clone());
        lessons.push(format!(
            "/api/v1/lessons/{}/complete",
            course["lessons"][0]["id"].as_i64().unwrap()
        ));
    }
    let key = indicator_key(&app, &admin.token, "2.6").await;
    let res = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/indicators/{key}/courses"),
            Some(&admin.token),
            &json!({ "course_ids": ids }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = roster_csv(&[
        &format!(
            "Nguyễn Văn An;01/02/1995;0912000001;đoàn viên;;{}",
            communes[0]
        ),
        "Trần Thị Bình;02/03/2001;;đoàn viên;;Đoàn xã Vĩnh Tế",
    ]);
    let res = upload_roster(&app, &admin.token, district, csv, false).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let an = registered(&app, "Nguyễn Văn An", "0912000001", vinh_te, "1995-02-01").await;
    confirm_roster_record(&app, &an).await;
    for lesson in &lessons {
        let res = app.post(lesson, Some(&an.token), &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    summary_is_exact(&app, 2).await;
    let report: Value = app
        .get(
            &format!("/api/v1/stats/indicators?unit_id={district}&year={YEAR}"),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let r26 = row(&report, "2.6");
    assert_eq!(
        figures(group(r26, "overall")),
        (1, 2),
        "two completions, one person"
    );
    let first = r26["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit_id"] == communes[0])
        .unwrap();
    assert_eq!(figures(first), (1, 1));
}
