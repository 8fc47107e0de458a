use reqwest::StatusCode;
use serde_json::Value;
use soiduong::services::banks;

use crate::helpers::{error_code, fixture, spawn_app};

/// The item called `key` of a bank read with its items.
fn item<'a>(detail: &'a Value, key: &str) -> &'a Value {
    detail["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["key"] == key)
        .unwrap_or_else(|| panic!("no item {key}"))
}

#[tokio::test]
async fn organizers_import_a_yaml_bank_and_read_it_with_keys() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app.upload_test_bank(&admin.token).await;
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

    let list: Vec<Value> = app.banks(&admin.token).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["questions"], 12);
    let detail: Value = app.bank(&admin.token, &list[0]["id"]).await;
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
    let res = app.upload_test_bank(&member.token).await;
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

    let list: Vec<Value> = app.banks(&admin.token).await;
    assert_eq!(
        (list[0]["questions"].as_u64(), list[0]["retired"].as_u64()),
        (Some(11), Some(1))
    );
    let detail: Value = app.bank(&admin.token, &list[0]["id"]).await;
    let q1 = item(&detail, "tn-001");
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
    let list: Vec<Value> = app.banks(&admin.token).await;
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
    let list: Vec<Value> = app.banks(&admin.token).await;
    let excel = list
        .iter()
        .find(|b| b["slug"] == "ngan-hang-excel")
        .unwrap();
    let detail: Value = app.bank(&admin.token, &excel["id"]).await;
    let multi = item(&detail, "x-2");
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
        // The banks of the two indicator courses hold 45 and 48; the others 60 and more.
        assert!(
            bank.questions.len() >= 40,
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

/// The error body of a refused upload, with its size in bytes.
async fn refused(res: reqwest::Response) -> (Value, usize) {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    (body, text.len())
}

/// The service still answers after a hostile upload.
async fn still_serves(app: &crate::helpers::TestApp, token: &str) {
    let res = app.get("/api/v1/question-banks", Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// A workbook with `cells` (row, column, text) on its first sheet.
fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (r, c, t) in cells {
        sheet.write_string(*r, *c, *t).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[tokio::test]
async fn a_sparse_workbook_is_refused_by_name_and_the_service_keeps_serving() {
    // Cells only at A1 and XFD1048576: calamine once sized a 512 GiB range from it and the
    // process aborted (issue 7, finding 1).
    let app = spawn_app().await;
    let admin = app.admin().await;
    let bytes = workbook(&[(0, 0, "stem"), (1_048_575, 16_383, "x")]);
    assert!(bytes.len() < 8_000);
    let res = app.upload(&admin.token, &[("thua-thot.xlsx", bytes)]).await;
    let (body, _) = refused(res).await;
    assert_eq!(body["error"]["code"], "bank_rejected");
    let error = &body["error"]["details"][0]["errors"][0];
    assert_eq!(error["file"], "thua-thot.xlsx");
    assert!(
        error["message"].as_str().unwrap().contains("XFD1048576"),
        "{error}"
    );
    still_serves(&app, &admin.token).await;
}

#[tokio::test]
async fn deeply_nested_yaml_is_refused_and_the_service_keeps_serving() {
    // `questions:` and 5,000 × "- " (10 KB) overflowed a worker's stack (finding 2).
    let app = spawn_app().await;
    let admin = app.admin().await;
    let text = format!("questions:\n{}x\n", "- ".repeat(5_000));
    let res = app
        .upload(&admin.token, &[("sau.yaml", text.into_bytes())])
        .await;
    let (body, _) = refused(res).await;
    let errors = body["error"]["details"][0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0]["file"].as_str(), errors[0]["line"].as_u64()),
        (Some("sau.yaml"), Some(2))
    );
    assert!(errors[0]["message"].as_str().unwrap().contains("quá sâu"));
    still_serves(&app, &admin.token).await;
}

#[tokio::test]
async fn a_flood_of_broken_gift_items_gives_a_small_answer_with_the_count() {
    // 1 MB of "{\n\n" once answered with a 102 MB error list (finding 3).
    let app = spawn_app().await;
    let admin = app.admin().await;
    let flood = "{\n\n".repeat(1024 * 1024 / 3);
    let res = app
        .upload(&admin.token, &[("lu.gift", flood.into_bytes())])
        .await;
    let (body, size) = refused(res).await;
    assert!(size < 32 * 1024, "the error body is {size} bytes");
    let errors = body["error"]["details"][0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 51, "fifty errors and the count");
    let last = errors[50]["message"].as_str().unwrap();
    assert!(last.contains("tổng cộng 5001 lỗi"), "{last}");
    assert_eq!(errors[50]["more"], 4951);
    assert_eq!(
        body["error"]["details"][0]["rejected"], 5001,
        "the summary counts every problem, listed or not"
    );
    still_serves(&app, &admin.token).await;
}

#[tokio::test]
async fn more_than_ten_files_in_one_request_are_refused_before_any_is_imported() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let good = fixture("ngan-hang-aiken.txt");
    let files: Vec<(String, Vec<u8>)> = (0..11)
        .map(|i| (format!("bank-{i}.txt"), good.clone()))
        .collect();
    let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let res = app.upload(&admin.token, &files).await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "too_many_files"
    );
    let list: Vec<Value> = app.banks(&admin.token).await;
    assert!(list.is_empty(), "nothing of the request was imported");
    // Ten are fine.
    let res = app.upload(&admin.token, &files[..10]).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_upload_over_twenty_megabytes_is_refused_with_413() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let nine_mb = vec![b'x'; 9 * 1024 * 1024];
    let files: Vec<(&str, Vec<u8>)> = (0..3).map(|_| ("lon.txt", nine_mb.clone())).collect();
    let res = app.upload(&admin.token, &files).await;
    assert_eq!(
        error_code(res, StatusCode::PAYLOAD_TOO_LARGE).await,
        "payload_too_large"
    );
    still_serves(&app, &admin.token).await;
}

#[tokio::test]
async fn a_form_field_that_is_not_a_file_counts_against_the_request_limit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // 21 MB in a plain text field: skipped as "not a file" before, and read without a limit.
    let form = reqwest::multipart::Form::new()
        .text("ghi-chu", "x".repeat(21 * 1024 * 1024))
        .part(
            "file",
            reqwest::multipart::Part::bytes(fixture("thu-nghiem.yaml"))
                .file_name("thu-nghiem.yaml"),
        );
    let res = app
        .client
        .post(app.url("/api/v1/question-banks/import"))
        .bearer_auth(&admin.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res, StatusCode::PAYLOAD_TOO_LARGE).await,
        "payload_too_large"
    );
    still_serves(&app, &admin.token).await;
}

#[tokio::test]
async fn a_zip_bomb_sheet_is_refused_before_it_is_inflated() {
    use std::io::Write;
    // A valid header, then 400,000 rows of one cell: ~22 MB of sheet XML in a few hundred KB.
    // Read whole, it cost GBs and answered with two errors a row (finding 3).
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>stem</t></is></c><c r="B1" t="inlineStr"><is><t>A</t></is></c><c r="C1" t="inlineStr"><is><t>B</t></is></c><c r="D1" t="inlineStr"><is><t>correct</t></is></c></row>"#,
    );
    for r in 2..400_002 {
        xml.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x</t></is></c></row>"#
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    let workbook_xml = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let root_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in [
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook_xml.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", xml.as_bytes()),
    ] {
        zip.start_file(name, opts).unwrap();
        zip.write_all(content).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 2 * 1024 * 1024, "{} bytes", bytes.len());

    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app.upload(&admin.token, &[("bom.xlsx", bytes)]).await;
    let (body, size) = refused(res).await;
    assert!(size < 4 * 1024, "the error body is {size} bytes");
    let errors = body["error"]["details"][0]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "bom.xlsx");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("giải nén"),
        "{errors:?}"
    );
    still_serves(&app, &admin.token).await;
}

#[tokio::test]
async fn a_nul_byte_in_a_gift_file_is_refused_with_its_line_and_column() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let text = "::Q1:: Thủ đô? {=Hà Nội ~Huế}\n\n::Q2:: Câu\0 hỏi {=a ~b}\n";
    let res = app
        .upload(&admin.token, &[("nul.gift", text.as_bytes().to_vec())])
        .await;
    let (body, _) = refused(res).await;
    let error = &body["error"]["details"][0]["errors"][0];
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(3), Some(11))
    );
    assert!(
        error["message"].as_str().unwrap().contains("U+0000"),
        "{error}"
    );
    still_serves(&app, &admin.token).await;
}

#[tokio::test]
async fn a_bank_file_imports_whole_or_not_at_all() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // The bank's version bump is the import's last write.
    app.fail_writes_to("question_banks", "UPDATE").await;
    let res = app.upload_test_bank(&admin.token).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    for table in ["question_banks", "questions", "question_versions"] {
        assert_eq!(app.count_rows(table, None).await, 0, "{table}");
    }
}
