//! `?format=csv|xlsx|pdf` answers of the statistics endpoints (JSON by default): the same
//! figures as the JSON, as tables, rendered on the blocking pool a few at a time.

use actix_web::{HttpResponse, http::header};
use serde::Serialize;

use crate::{
    domain::indicators::{Report, SubmissionState},
    error::{ApiError, ApiResult, Code},
    reports::{self, Cell, Column, Format, Table},
    services::{
        indicators::Submissions,
        stats::{ContestStats, CourseStats},
    },
    state::AppState,
};

enum Wanted {
    Json,
    File(Format),
}

fn wanted(format: Option<&str>) -> ApiResult<Wanted> {
    match format {
        None | Some("json") => Ok(Wanted::Json),
        Some(f) => Format::parse(f)
            .map(Wanted::File)
            .ok_or_else(|| Code::InvalidFormat.field("format")),
    }
}

/// Renders on the blocking pool, within the process's render slots (shared with
/// certificates).
async fn render<F>(state: &AppState, work: F) -> ApiResult<Vec<u8>>
where
    F: FnOnce() -> Result<Vec<u8>, reports::ReportError> + Send + 'static,
{
    let _permit = state
        .renders
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    actix_web::web::block(work)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("export stopped: {e}")))?
        .map_err(|e| match e {
            reports::ReportError::TooLarge(what) => Code::PayloadTooLarge.with(format!(
                "Bảng xuất quá lớn ({what}); hãy chọn đơn vị nhỏ hơn hoặc khoảng thời gian ngắn hơn"
            )),
            e => ApiError::Internal(anyhow::anyhow!("export failed: {e}")),
        })
}

fn file(format: Format, stem: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.{}\"", format.extension()),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

async fn tables_or_json<T: Serialize>(
    state: &AppState,
    value: &T,
    format: Option<&str>,
    stem: String,
    tables: impl FnOnce() -> Vec<Table>,
) -> ApiResult<HttpResponse> {
    match wanted(format)? {
        Wanted::Json => Ok(HttpResponse::Ok().json(value)),
        Wanted::File(f) => {
            let tables = tables();
            let bytes = render(state, move || match f {
                Format::Csv => reports::csv(&tables),
                Format::Xlsx => reports::xlsx(&tables),
                Format::Pdf => reports::table_pdf(&tables),
            })
            .await?;
            Ok(file(f, &stem, bytes))
        }
    }
}

/// The indicator report: JSON, its tables as CSV or XLSX, or the annual report PDF (tables
/// and charts).
pub async fn respond_report(
    state: &AppState,
    report: Report,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    let stem = format!("chi-tieu-{}-{}", report.unit_id, report.year);
    match wanted(format)? {
        Wanted::Json => Ok(HttpResponse::Ok().json(report)),
        Wanted::File(f) => {
            let bytes = render(state, move || match f {
                Format::Csv => reports::csv(&reports::indicator_tables(&report)),
                Format::Xlsx => reports::xlsx(&reports::indicator_tables(&report)),
                Format::Pdf => reports::indicator_pdf(&report),
            })
            .await?;
            Ok(file(f, &stem, bytes))
        }
    }
}

fn col(header: &str, width: f64) -> Column {
    Column {
        header: header.to_owned(),
        width,
    }
}

fn state_text(s: SubmissionState) -> &'static str {
    match s {
        SubmissionState::Submitted => "Đã nộp",
        SubmissionState::SubmittedLate => "Nộp muộn",
        SubmissionState::Late => "Quá hạn, chưa nộp",
        SubmissionState::Pending => "Chưa nộp",
    }
}

pub async fn respond_submissions(
    state: &AppState,
    s: Submissions,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    let stem = format!("bao-cao-nam-{}-{}", s.unit_id, s.year);
    let tables = || {
        vec![Table {
            title: format!("Tình hình nộp báo cáo chỉ tiêu năm {}", s.year),
            subtitle: vec![
                format!("Hạn nộp: {}", s.deadline.format("%d/%m/%Y")),
                format!(
                    "Đã nộp: {} · Quá hạn: {} · Chưa đến hạn: {}",
                    s.submitted, s.late, s.pending
                ),
            ],
            columns: vec![
                col("Mã đơn vị", 10.0),
                col("Đơn vị", 40.0),
                col("Tình trạng", 20.0),
                col("Ngày nộp", 14.0),
            ],
            rows: s
                .units
                .iter()
                .map(|u| {
                    vec![
                        Cell::Int(i64::from(u.unit_id)),
                        Cell::Text(format!("{}{}", "  ".repeat(u.depth), u.unit_name)),
                        Cell::Text(state_text(u.state).to_owned()),
                        u.submitted_at.map_or(Cell::Text(String::new()), |t| {
                            Cell::Date(
                                t.with_timezone(&crate::domain::time::vn_offset())
                                    .date_naive(),
                            )
                        }),
                    ]
                })
                .collect(),
        }]
    };
    tables_or_json(state, &s, format, stem, tables).await
}

fn course_row(name: &str, id: i32, f: &crate::services::stats::CourseFigures) -> Vec<Cell> {
    let n = |x: u64| Cell::Int(i64::try_from(x).unwrap_or(i64::MAX));
    vec![
        Cell::Int(i64::from(id)),
        Cell::Text(name.to_owned()),
        n(f.enrolled),
        n(f.started),
        n(f.completed),
        n(f.passed),
        Cell::Rate(f.completion_rate),
        Cell::Number(f.median_hours_to_complete),
    ]
}

pub async fn respond_course(
    state: &AppState,
    s: CourseStats,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    let stem = format!("khoa-hoc-{}-{}", s.course_id, s.unit_id);
    let tables = || {
        let mut rows = vec![course_row(&s.unit_name, s.unit_id, &s.figures)];
        rows.extend(
            s.children
                .iter()
                .map(|c| course_row(&c.unit_name, c.unit_id, &c.figures)),
        );
        vec![Table {
            title: format!("Thống kê khóa học «{}»", s.course_title),
            subtitle: vec![
                format!("Đơn vị: {}", s.unit_name),
                format!(
                    "Từ {} đến {}",
                    s.from.format("%d/%m/%Y"),
                    s.to.format("%d/%m/%Y")
                ),
            ],
            columns: vec![
                col("Mã đơn vị", 10.0),
                col("Đơn vị", 40.0),
                col("Đối tượng", 12.0),
                col("Đã bắt đầu", 12.0),
                col("Hoàn thành", 12.0),
                col("Đạt", 10.0),
                col("Tỷ lệ hoàn thành", 16.0),
                col("Thời gian hoàn thành (giờ, trung vị)", 18.0),
            ],
            rows,
        }]
    };
    tables_or_json(state, &s, format, stem, tables).await
}

pub async fn respond_contest(
    state: &AppState,
    s: ContestStats,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    let stem = format!("cuoc-thi-{}-{}", s.contest_id, s.unit_id);
    let tables = || {
        let n = |x: u64| Cell::Int(i64::try_from(x).unwrap_or(i64::MAX));
        let units = Table {
            title: format!("Thống kê cuộc thi «{}»", s.contest_title),
            subtitle: vec![format!("Đơn vị: {}", s.unit_name)],
            columns: vec![
                col("Mã đơn vị", 10.0),
                col("Đơn vị", 40.0),
                col("Người dự thi", 14.0),
                col("Lượt thi", 12.0),
                col("Đoàn viên", 12.0),
                col("Tỷ lệ tham gia", 14.0),
            ],
            rows: std::iter::once((s.unit_id, &s.unit_name, &s.figures))
                .chain(
                    s.children
                        .iter()
                        .map(|c| (c.unit_id, &c.unit_name, &c.figures)),
                )
                .map(|(id, name, f)| {
                    vec![
                        Cell::Int(i64::from(id)),
                        Cell::Text(name.clone()),
                        n(f.participants),
                        n(f.attempts),
                        n(f.members),
                        Cell::Rate(f.participation_rate),
                    ]
                })
                .collect(),
        };
        let rounds = Table {
            title: "Theo vòng thi".to_owned(),
            subtitle: vec![format!("Đơn vị: {}", s.unit_name)],
            columns: vec![
                col("Mã vòng", 10.0),
                col("Vòng thi", 40.0),
                col("Người dự thi", 14.0),
                col("Lượt thi", 12.0),
            ],
            rows: s
                .rounds
                .iter()
                .map(|r| {
                    vec![
                        Cell::Int(i64::from(r.round_id)),
                        Cell::Text(r.title.clone()),
                        n(r.participants),
                        n(r.attempts),
                    ]
                })
                .collect(),
        };
        vec![units, rounds]
    };
    tables_or_json(state, &s, format, stem, tables).await
}
