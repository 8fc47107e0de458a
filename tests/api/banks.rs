use reqwest::StatusCode;
use serde_json::Value;
use soiduong::services::banks;

use crate::helpers::{error_code, fixture, spawn_app};

#[tokio::test]
async fn organizers_import_a_yaml_bank_and_read_it_with_keys() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .upload(
            &admin.token,
            &[("thu-nghiem.yaml", fixture("thu-nghiem.yaml"))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let summary: Vec<Value> = res.json().await.unwrap();
    assert_eq!(summary[0]["bank"], "thu-nghiem");
    assert_eq!(
        (
            summary[0]["added"].as_u64(),
            summary[0]["rejected"].as_u64()
        ),
        (Some(12), Some(0))
    );

    let list: Vec<Value> = app
        .get("/api/v1/question-banks", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["questions"], 12);
    let detail: Value = app
        .get(
            &format!("/api/v1/question-banks/{}", list[0]["id"]),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let first = &detail["items"][0];
    assert_eq!(first["key"], "tn-001");
    assert!(
        first["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["correct"] == true)
    );
    assert!(
        first["explanation"]
            .as_str()
            .unwrap()
            .starts_with("Giải thích")
    );
}

#[tokio::test]
async fn participants_never_reach_the_banks() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app
        .upload(
            &member.token,
            &[("thu-nghiem.yaml", fixture("thu-nghiem.yaml"))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/question-banks", Some(&member.token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/question-banks/1", Some(&member.token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/question-banks", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn reimport_is_idempotent_edits_make_versions_and_removals_retire() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let original = fixture("thu-nghiem.yaml");
    app.upload(&admin.token, &[("thu-nghiem.yaml", original.clone())])
        .await;
    let again: Vec<Value> = app
        .upload(&admin.token, &[("thu-nghiem.yaml", original.clone())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again[0]["added"].as_u64(), again[0]["unchanged"].as_u64()),
        (Some(0), Some(12))
    );

    let text = String::from_utf8(original).unwrap();
    let edited = text.replace(
        "Câu hỏi một đáp án số 1?",
        "Câu hỏi một đáp án số 1 (đã sửa)?",
    );
    // Drop the last question (tn-012 is a true/false block of 7 lines at the end).
    let cut = edited.find("  - id: tn-012").unwrap();
    let edited = edited[..cut].to_owned();
    let res: Vec<Value> = app
        .upload(&admin.token, &[("thu-nghiem.yaml", edited.into_bytes())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res[0]["updated"], 1);
    assert_eq!(res[0]["retired"], 1);
    assert_eq!(res[0]["unchanged"], 10);

    let list: Vec<Value> = app
        .get("/api/v1/question-banks", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (list[0]["questions"].as_u64(), list[0]["retired"].as_u64()),
        (Some(11), Some(1))
    );
    let detail: Value = app
        .get(
            &format!("/api/v1/question-banks/{}", list[0]["id"]),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let q1 = detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["key"] == "tn-001")
        .unwrap();
    assert_eq!(q1["version"], 2);
}

#[tokio::test]
async fn a_bank_with_an_error_in_line_37_is_rejected_with_that_line_and_nothing_imported() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let text = String::from_utf8(fixture("thu-nghiem.yaml")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Line 37 holds the options of question tn-003; a misspelt field there breaks the file.
    assert_eq!(lines[36], "    options:");
    lines[36] = "    choices:".to_owned();
    let broken = lines.join("\n");
    let res = app
        .upload(&admin.token, &[("thu-nghiem.yaml", broken.into_bytes())])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bank_rejected");
    let errors = body["error"]["details"][0]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["file"], "thu-nghiem.yaml");
    assert_eq!(errors[0]["line"], 37, "{errors:?}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("thu-nghiem.yaml:37")
    );
    let list: Vec<Value> = app
        .get("/api/v1/question-banks", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing of the file was imported");
}

#[tokio::test]
async fn gift_aiken_and_excel_files_import() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .upload(
            &admin.token,
            &[
                ("ngan-hang.gift", fixture("ngan-hang.gift")),
                ("ngan-hang-aiken.txt", fixture("ngan-hang-aiken.txt")),
                ("ngan-hang-excel.xlsx", fixture("ngan-hang-excel.xlsx")),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let s: Vec<Value> = res.json().await.unwrap();
    assert_eq!(
        (s[0]["added"].as_u64(), s[0]["rejected"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        s[0]["errors"][0]["line"], 13,
        "the matching question is reported with its line"
    );
    assert_eq!(s[1]["added"], 2);
    assert_eq!(s[2]["added"], 3);
    let list: Vec<Value> = app
        .get("/api/v1/question-banks", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    let excel = list
        .iter()
        .find(|b| b["slug"] == "ngan-hang-excel")
        .unwrap();
    let detail: Value = app
        .get(
            &format!("/api/v1/question-banks/{}", excel["id"]),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    let multi = detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["key"] == "x-2")
        .unwrap();
    assert_eq!(multi["type"], "multiple");
    assert_eq!(multi["options"].as_array().unwrap().len(), 3);
    assert_eq!(multi["tags"], serde_json::json!(["dia-ly", "bien-gioi"]));
}

#[tokio::test]
async fn unknown_formats_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .upload(&admin.token, &[("banks.pdf", b"%PDF".to_vec())])
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "bank_rejected"
    );
}

#[test]
fn the_shipped_banks_parse_with_no_rejection() {
    let mut total = 0;
    for (name, text) in banks::shipped::BANKS {
        let (bank, rejected) =
            banks::parse(name, text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(rejected.is_empty(), "{name}: {rejected:?}");
        assert!(
            bank.questions.len() >= 60,
            "{name} has only {} questions",
            bank.questions.len()
        );
        for q in &bank.questions {
            assert!(
                !q.source.is_empty() && !q.explanation.is_empty(),
                "{name}: {}",
                q.key
            );
        }
        total += bank.questions.len();
    }
    assert!(
        banks::shipped::BANKS.len() >= 6,
        "at least six shipped banks"
    );
    assert!(total >= 400, "{total} shipped questions");
}
