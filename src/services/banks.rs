//! Importing question banks from files (YAML, GIFT, Aiken, Excel) and reading them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::access::Actor;
use crate::{
    domain::banks::{self, BankDef, FileError, OptionDef, QuestionKind, limits},
    error::{ApiError, ApiResult},
    startup::AppState,
    store,
};

/// The banks and courses shipped in `question-banks/`, embedded at build time.
pub mod shipped {
    include!(concat!(env!("OUT_DIR"), "/shipped.rs"));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Gift,
    Aiken,
    Spreadsheet,
}

impl Format {
    /// By file extension: `.yaml`/`.yml`, `.gift`, `.txt` (Aiken), `.xlsx`/`.xls`/`.ods`.
    pub fn of(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "gift" => Some(Format::Gift),
            "txt" | "aiken" => Some(Format::Aiken),
            "xlsx" | "xls" | "xlsm" | "ods" => Some(Format::Spreadsheet),
            _ => None,
        }
    }
}

/// What one file's import did.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ImportSummary {
    pub file: String,
    /// The bank's slug, when the file could be read.
    pub bank: Option<String>,
    pub added: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub retired: u32,
    /// Questions (or items) not imported; `errors` says where and why.
    pub rejected: u32,
    /// True when the file was refused whole (nothing of it imported).
    pub failed: bool,
    pub errors: Vec<FileError>,
}

impl ImportSummary {
    fn failed(file: &str, errors: Vec<FileError>) -> Self {
        ImportSummary {
            file: file.to_owned(),
            bank: None,
            added: 0,
            updated: 0,
            unchanged: 0,
            retired: 0,
            rejected: errors.len() as u32,
            failed: true,
            errors,
        }
    }
}

/// Parses a file of any supported format. Returns the bank and the items rejected without
/// failing the file (unsupported GIFT question types); fails with every error otherwise.
pub fn parse(file: &str, bytes: &[u8]) -> Result<(BankDef, Vec<FileError>), Vec<FileError>> {
    let refuse = |line: usize, column: usize, message: String| {
        vec![FileError {
            file: file.to_owned(),
            line,
            column,
            message,
        }]
    };
    if bytes.len() > limits::MAX_FILE_BYTES {
        return Err(refuse(
            0,
            0,
            format!(
                "Tệp quá lớn ({} KB, tối đa {} KB)",
                bytes.len() / 1024,
                limits::MAX_FILE_BYTES / 1024
            ),
        ));
    }
    let text = || {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| refuse(1, 0, "Tệp không phải văn bản UTF-8".into()))?;
        if text.len() > limits::MAX_TEXT_BYTES {
            return Err(refuse(
                0,
                0,
                format!(
                    "Tệp quá lớn ({} KB, tối đa {} KB); hãy chia thành nhiều tệp",
                    text.len() / 1024,
                    limits::MAX_TEXT_BYTES / 1024
                ),
            ));
        }
        if let Some((line, column, c)) = limits::first_control_char(text) {
            return Err(refuse(line, column, limits::control_char_message(c)));
        }
        Ok(text)
    };
    let (mut bank, rejected) = match Format::of(file) {
        Some(Format::Yaml) => (banks::yaml::parse(file, text()?)?, Vec::new()),
        Some(Format::Gift) => {
            let parsed = banks::gift::parse(file, text()?)?;
            (parsed.bank, parsed.rejected)
        }
        Some(Format::Aiken) => (banks::aiken::parse(file, text()?)?, Vec::new()),
        Some(Format::Spreadsheet) => (banks::xlsx::parse(file, bytes)?, Vec::new()),
        None => {
            return Err(vec![FileError {
                file: file.to_owned(),
                line: 0,
                column: 0,
                message:
                    "Định dạng tệp không được hỗ trợ (dùng .yaml, .gift, .txt theo Aiken, .xlsx)"
                        .into(),
            }]);
        }
    };
    if !banks::valid_slug(&bank.slug) {
        return Err(vec![FileError {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: "Tên tệp phải cho ra một mã ngân hàng hợp lệ (chữ cái, số)".into(),
        }]);
    }
    if limits::has_control_char(&bank.title) || limits::has_control_char(&bank.description) {
        return Err(refuse(
            0,
            0,
            "Tên hoặc mô tả ngân hàng chứa ký tự điều khiển không được phép".into(),
        ));
    }
    if bank.questions.is_empty() {
        return Err(vec![FileError {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: "Tệp không có câu hỏi nào nhập được".into(),
        }]);
    }
    let fallback_source = format!("Tệp {file}");
    for q in &mut bank.questions {
        if q.source.is_empty() {
            q.source = fallback_source.clone();
        }
    }
    Ok((bank, rejected))
}

/// Imports one file; a file with any error imports nothing and says why.
pub async fn import_file(state: &AppState, file: &str, bytes: &[u8]) -> ApiResult<ImportSummary> {
    let (def, rejected) = match super::imports::parse(file, bytes).await? {
        Ok(ok) => ok,
        Err(errors) => return Ok(ImportSummary::failed(file, errors)),
    };
    let (bank, counts) = store::banks::apply(&state.db, &def, file, state.clock.now()).await?;
    tracing::info!(bank = %bank.slug, version = bank.version, added = counts.added, updated = counts.updated, retired = counts.retired, "bank imported");
    Ok(ImportSummary {
        file: file.to_owned(),
        bank: Some(bank.slug),
        added: counts.added,
        updated: counts.updated,
        unchanged: counts.unchanged,
        retired: counts.retired,
        rejected: rejected.len() as u32,
        failed: false,
        errors: rejected,
    })
}

/// Imports the shipped banks (then the shipped courses). Fails when a shipped file is broken,
/// which the test suite rules out.
pub async fn import_shipped(state: &AppState) -> ApiResult<Vec<ImportSummary>> {
    let mut out = Vec::new();
    for (name, text) in shipped::BANKS {
        let summary = import_file(state, name, text.as_bytes()).await?;
        if summary.failed {
            let first = summary
                .errors
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(ApiError::Internal(anyhow::anyhow!(
                "shipped bank {name} is invalid: {first}"
            )));
        }
        out.push(summary);
    }
    for (name, text) in shipped::COURSES {
        super::courses::import_course_file(state, name, text, None).await?;
    }
    Ok(out)
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct BankInfo {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Bumped by every import that changed a question.
    pub version: i32,
    pub questions: u32,
    pub retired: u32,
    pub origin: String,
    pub updated_at: DateTime<Utc>,
}

/// A question with its key, for organizers.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct QuestionWithKey {
    pub id: i32,
    pub key: String,
    pub version: i32,
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<KeyedOption>,
    pub explanation: String,
    pub source: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct KeyedOption {
    pub id: String,
    pub text: String,
    pub correct: bool,
}

impl From<OptionDef> for KeyedOption {
    fn from(o: OptionDef) -> Self {
        KeyedOption {
            id: o.id,
            text: o.text,
            correct: o.correct,
        }
    }
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct BankDetail {
    #[serde(flatten)]
    pub bank: BankInfo,
    pub items: Vec<QuestionWithKey>,
}

/// Banks hold answer keys: only admins and organizers may read or change them.
pub fn require_staff(actor: &Actor) -> ApiResult<()> {
    actor.require(actor.is_admin || !actor.organizes.is_empty())
}

pub async fn list(state: &AppState, actor: &Actor) -> ApiResult<Vec<BankInfo>> {
    require_staff(actor)?;
    let counts = store::banks::question_counts(&state.db).await?;
    Ok(store::banks::list(&state.db)
        .await?
        .into_iter()
        .map(|b| {
            let (live, retired) = counts.get(&b.id).copied().unwrap_or_default();
            info(b, live, retired)
        })
        .collect())
}

fn info(b: entity::question_banks::Model, questions: u32, retired: u32) -> BankInfo {
    BankInfo {
        id: b.id,
        slug: b.slug,
        title: b.title,
        description: b.description,
        version: b.version,
        questions,
        retired,
        origin: b.origin,
        updated_at: b.updated_at,
    }
}

pub async fn get(state: &AppState, actor: &Actor, id: i32) -> ApiResult<BankDetail> {
    require_staff(actor)?;
    let bank = store::banks::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("bank_not_found", "Không tìm thấy ngân hàng câu hỏi"))?;
    let live = store::banks::live_questions(&state.db, bank.id).await?;
    let counts = store::banks::question_counts(&state.db).await?;
    let retired = counts.get(&bank.id).map_or(0, |c| c.1);
    let items = live
        .into_iter()
        .map(|(q, v)| QuestionWithKey {
            id: v.id,
            key: q.key,
            version: v.version,
            kind: QuestionKind::parse(&v.kind).unwrap_or(QuestionKind::Single),
            options: store::banks::options_of(&v)
                .into_iter()
                .map(KeyedOption::from)
                .collect(),
            tags: store::banks::tags_of(&v),
            stem: v.stem,
            explanation: v.explanation,
            source: v.source,
            difficulty: u8::try_from(v.difficulty).unwrap_or(1),
        })
        .collect::<Vec<_>>();
    Ok(BankDetail {
        bank: info(bank, items.len() as u32, retired),
        items,
    })
}
