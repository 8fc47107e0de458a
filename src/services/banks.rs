//! Importing question banks from files (YAML, GIFT, Aiken, Excel) and reading them.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use entity::units;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::{
    domain::{
        banks::{self, BankDef, FileError, OptionDef, QuestionKind, limits},
        paper::{self, DrawRule, PoolEntry, Purpose},
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store::{self, banks::Bank},
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
    /// Imported, but to be reviewed: questions resting on a replaced legal document (see
    /// `question-banks/legal/van-ban-thay-the.yaml`).
    #[serde(default)]
    pub warnings: Vec<FileError>,
}

impl ImportSummary {
    /// A file refused whole, with its problems.
    pub fn failed(file: &str, errors: Vec<FileError>) -> Self {
        ImportSummary {
            file: file.to_owned(),
            bank: None,
            added: 0,
            updated: 0,
            unchanged: 0,
            retired: 0,
            rejected: u32::try_from(banks::problem_count(&errors)).unwrap_or(u32::MAX),
            failed: true,
            errors,
            warnings: Vec::new(),
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
            more: 0,
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
                more: 0,
            }]);
        }
    };
    if !banks::valid_slug(&bank.slug) {
        return Err(vec![FileError {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: "Tên tệp phải cho ra một mã ngân hàng hợp lệ (chữ cái, số)".into(),
            more: 0,
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
            more: 0,
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

/// Where an upload goes (query of `POST /question-banks/import`).
#[derive(Debug, Default, Clone, Copy, Deserialize, IntoParams)]
pub struct ImportTarget {
    /// The unit that owns a new bank (within the caller's subtree); default: the topmost unit
    /// the caller organizes. A bank that exists keeps its owner.
    pub unit_id: Option<i32>,
}

/// Imports one file as `actor`, whole or not at all.
///
/// Fails as [`import_upload`] does.
pub async fn import_file(
    state: &AppState,
    actor: &Caller,
    target: ImportTarget,
    file: &str,
    bytes: &[u8],
) -> ApiResult<ImportSummary> {
    import_all(state, actor, target, &[(file, bytes)])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an import of one file said nothing")))
}

/// Imports an upload's files: every file is parsed and cleared before any is written, so a
/// file the caller may not import (403) or that a running round still needs (409) leaves the
/// whole upload unwritten. The files are then written in one transaction: the upload lands
/// whole or not at all.
///
/// Fails as [`prepare`] does, and when the database does.
pub async fn import_upload(
    state: &AppState,
    actor: &Caller,
    target: ImportTarget,
    files: Vec<(String, Vec<u8>)>,
) -> ApiResult<Vec<ImportSummary>> {
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
        .collect();
    import_all(state, actor, target, &files).await
}

async fn import_all(
    state: &AppState,
    actor: &Caller,
    target: ImportTarget,
    files: &[(&str, &[u8])],
) -> ApiResult<Vec<ImportSummary>> {
    let scope = Scope::load(state).await?;
    let mut prepared = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        prepared.push(prepare(state, &scope, actor, target, name, bytes).await?);
    }
    // Every read is done: the transaction holds the (single SQLite) connection only to write.
    let tx = store::begin(&state.db).await?;
    let mut summaries = Vec::with_capacity(prepared.len());
    for p in prepared {
        summaries.push(apply(&tx, state.clock.now(), p).await?);
    }
    tx.commit().await?;
    state.questions.banks_changed();
    for s in summaries.iter().filter(|s| !s.failed) {
        tracing::info!(bank = ?s.bank, added = s.added, updated = s.updated, retired = s.retired, "bank imported");
    }
    Ok(summaries)
}

/// A file parsed and cleared for import, or refused with its errors.
pub enum Prepared {
    Refused(ImportSummary),
    Ready {
        file: String,
        def: BankDef,
        rejected: Vec<FileError>,
        owner: Option<i32>,
    },
}

/// Parses a file and checks, writing nothing, that `actor` may import it. A file with any error
/// comes back `Refused` with every error. Fails with 403 when the bank exists outside the
/// caller's subtree or `unit_id` lies outside it, and with 409 `bank_in_use` when the new
/// content would leave an open or upcoming round unable to draw its paper, or would change the
/// purpose of a bank in use.
pub async fn prepare(
    state: &AppState,
    scope: &Scope,
    actor: &Caller,
    target: ImportTarget,
    file: &str,
    bytes: &[u8],
) -> ApiResult<Prepared> {
    let (def, rejected) = match super::imports::parse(file, bytes).await? {
        Ok(ok) => ok,
        Err(errors) => return Ok(Prepared::Refused(ImportSummary::failed(file, errors))),
    };
    let existing = store::banks::by_slugs(&state.db, std::slice::from_ref(&def.slug))
        .await?
        .pop();
    let owner = match &existing {
        Some(b) => {
            actor.require(scope.may_read(actor, b))?;
            b.unit_id
        }
        None => Some(scope.owner_for_new(actor, target.unit_id)?),
    };
    if let Some(b) = &existing {
        guard_rounds(state, b, &def).await?;
    }
    Ok(Prepared::Ready {
        file: file.to_owned(),
        def,
        rejected,
        owner,
    })
}

/// Writes a prepared file within the upload's transaction and says what changed.
///
/// Fails when the database does.
async fn apply(tx: &store::Tx, now: DateTime<Utc>, prepared: Prepared) -> ApiResult<ImportSummary> {
    let (file, def, rejected, owner) = match prepared {
        Prepared::Refused(summary) => return Ok(summary),
        Prepared::Ready {
            file,
            def,
            rejected,
            owner,
        } => (file, def, rejected, owner),
    };
    let (bank, counts) = store::banks::apply(tx, &def, &file, now, owner).await?;
    let mut warnings = replaced_warnings(&file, &def);
    warnings.extend(near_duplicate_warnings(tx, &file, &def).await?);
    Ok(ImportSummary {
        file,
        bank: Some(bank.slug),
        added: counts.added,
        updated: counts.updated,
        unchanged: counts.unchanged,
        retired: counts.retired,
        rejected: u32::try_from(banks::problem_count(&rejected)).unwrap_or(u32::MAX),
        failed: false,
        errors: rejected,
        warnings,
    })
}

/// A warning for every question of the file that is a near-duplicate of another question (of
/// the file, or live in another bank) outside its family, at its line. Reads the other banks'
/// live questions within the import's transaction.
async fn near_duplicate_warnings(
    tx: &store::Tx,
    file: &str,
    def: &BankDef,
) -> ApiResult<Vec<FileError>> {
    use crate::domain::content::similar::{Item, near_duplicates};
    let mut others: Vec<(String, Vec<banks::QuestionDef>)> = Vec::new();
    for b in store::banks::list(tx).await? {
        if b.slug == def.slug {
            continue;
        }
        let live = store::banks::live_questions(tx, b.id).await?;
        others.push((b.slug, live.iter().map(|(k, v)| v.to_def(k)).collect()));
    }
    let mut items: Vec<Item> = def
        .questions
        .iter()
        .map(|question| Item {
            bank: &def.slug,
            question,
        })
        .collect();
    let own = items.len();
    for (slug, questions) in &others {
        items.extend(questions.iter().map(|question| Item {
            bank: slug,
            question,
        }));
    }
    Ok(near_duplicates(&items)
        .into_iter()
        .filter(|p| !p.same_family && p.a < own)
        .map(|p| {
            let (q, other) = (items[p.a].question, &items[p.b]);
            FileError {
                file: file.to_owned(),
                line: q.line,
                column: 0,
                message: format!(
                    "Câu hỏi \"{}\" gần trùng với câu \"{}\" của ngân hàng \"{}\" (trùng {:.0}% số từ): nếu cố ý, hãy đặt cùng một family để hai câu không vào chung một đề; nếu không, hãy sửa một trong hai",
                    q.key,
                    other.question.key,
                    other.bank,
                    p.jaccard * 100.0
                ),
                more: 0,
            }
        })
        .collect())
}

/// A warning for every question resting on a replaced legal document, at its line.
pub fn replaced_warnings(file: &str, def: &BankDef) -> Vec<FileError> {
    let list = crate::domain::content::replaced::Replacements::shipped();
    def.questions
        .iter()
        .flat_map(|q| {
            list.findings(q).into_iter().map(|f| FileError {
                file: file.to_owned(),
                line: q.line,
                column: 0,
                message: f.message(&q.key),
                more: 0,
            })
        })
        .collect()
}

/// Imports the shipped banks (then the shipped courses). Fails when a shipped file is broken,
/// which the test suite rules out.
pub async fn import_shipped(state: &AppState) -> ApiResult<Vec<ImportSummary>> {
    let mut out = Vec::new();
    let system = Caller::system();
    for (name, text) in shipped::BANKS {
        let summary = import_file(
            state,
            &system,
            ImportTarget::default(),
            name,
            text.as_bytes(),
        )
        .await?;
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
    /// The unit whose organizers (and those above) read and change the bank.
    pub unit_id: Option<i32>,
    /// `contest`, `practice`, or none yet (the first round or course that draws decides).
    pub purpose: Option<Purpose>,
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
pub fn require_staff(actor: &Caller) -> ApiResult<()> {
    actor.require(actor.is_admin || !actor.organizes.is_empty())
}

/// The banks the caller may read: admins all, organizers those of their subtrees.
pub async fn list(state: &AppState, actor: &Caller) -> ApiResult<Vec<BankInfo>> {
    require_staff(actor)?;
    let scope = Scope::load(state).await?;
    let counts = store::banks::question_counts(&state.db).await?;
    Ok(store::banks::list(&state.db)
        .await?
        .into_iter()
        .filter(|b| scope.may_read(actor, b))
        .map(|b| {
            let (live, retired) = counts.get(&b.id).copied().unwrap_or_default();
            info(b, live, retired)
        })
        .collect())
}

fn info(b: store::banks::Bank, questions: u32, retired: u32) -> BankInfo {
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
        unit_id: b.unit_id,
        purpose: b.purpose,
    }
}

pub async fn get(state: &AppState, actor: &Caller, id: i32) -> ApiResult<BankDetail> {
    require_staff(actor)?;
    let bank = store::banks::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::BankNotFound))?;
    actor.require(Scope::load(state).await?.may_read(actor, &bank))?;
    let live = store::banks::live_questions(&state.db, bank.id).await?;
    let counts = store::banks::question_counts(&state.db).await?;
    let retired = counts.get(&bank.id).map_or(0, |c| c.1);
    let items = live
        .into_iter()
        .map(|(key, v)| QuestionWithKey {
            id: v.id,
            key,
            version: v.version,
            kind: v.kind,
            options: v.options.into_iter().map(KeyedOption::from).collect(),
            tags: v.tags,
            stem: v.stem,
            explanation: v.explanation,
            source: v.source,
            difficulty: v.difficulty,
        })
        .collect::<Vec<_>>();
    Ok(BankDetail {
        bank: info(bank, items.len() as u32, retired),
        items,
    })
}

/// Who owns which bank: a bank belongs to a unit (a bank without one, to the root unit).
pub struct Scope {
    units: HashMap<i32, units::Model>,
    root: Option<units::Model>,
}

impl Scope {
    /// Fails when the database does not answer.
    pub async fn load(state: &AppState) -> ApiResult<Scope> {
        let all = store::units::list(&state.db, true).await?;
        let root = all
            .iter()
            .filter(|u| u.parent_id.is_none() && u.merged_into_id.is_none())
            .min_by_key(|u| u.id)
            .cloned();
        Ok(Scope {
            units: all.into_iter().map(|u| (u.id, u)).collect(),
            root,
        })
    }

    fn unit_of(&self, b: &Bank) -> Option<&units::Model> {
        match b.unit_id {
            Some(id) => self.units.get(&id),
            None => self.root.as_ref(),
        }
    }

    /// Admins, and organizers of the bank's unit or a unit above it: they see its keys.
    pub fn may_read(&self, actor: &Caller, b: &Bank) -> bool {
        actor.is_admin || self.unit_of(b).is_some_and(|u| actor.may_act_within(u))
    }

    /// The owner of a bank the caller creates: `wanted` when it lies in the caller's
    /// subtree, else the topmost unit the caller organizes (the root unit for admins).
    fn owner_for_new(&self, actor: &Caller, wanted: Option<i32>) -> ApiResult<i32> {
        if let Some(id) = wanted {
            let unit = self
                .units
                .get(&id)
                .ok_or_else(|| Code::UnknownUnit.field("unit_id"))?;
            actor.require(actor.may_act_within(unit))?;
            return Ok(unit.id);
        }
        let topmost = actor
            .organizes
            .iter()
            .min_by_key(|p| (p.len(), (*p).clone()))
            .and_then(|p| self.units.values().find(|u| &u.path == p));
        match (topmost, &self.root) {
            (Some(u), _) => Ok(u.id),
            (None, Some(root)) if actor.is_admin => Ok(root.id),
            // A fresh database (the command line before any unit exists): say what to do.
            (None, None) if actor.is_admin => Err(Code::UnknownUnit.with(
                "Chưa có đơn vị nào để làm chủ ngân hàng: hãy tạo đơn vị gốc (hoặc chạy `soiduong seed-demo`) rồi nhập lại",
            )),
            _ => Err(ApiError::forbidden()),
        }
    }
}

fn bank_in_use(message: String) -> ApiError {
    Code::BankInUse.with(message)
}

/// Refuses an import that an open or upcoming round could not survive: its draw rules must
/// still be satisfiable by the questions the file keeps, and a bank in use keeps its purpose.
async fn guard_rounds(state: &AppState, bank: &Bank, def: &BankDef) -> ApiResult<()> {
    let changes_purpose = def
        .purpose
        .is_some_and(|p| bank.purpose.is_some_and(|q| q != p));
    let now = state.clock.now();
    let mut rules_in_use: Vec<Vec<DrawRule>> = Vec::new();
    for r in store::contests::live_rounds(&state.db, now).await? {
        if let Some(q) = store::courses::quiz(&state.db, r.quiz_id).await? {
            let rules = store::courses::draw_rules(&q)?;
            if rules.iter().any(|x| x.bank == bank.slug) {
                rules_in_use.push(rules);
            }
        }
    }
    if changes_purpose && !rules_in_use.is_empty() {
        return Err(bank_in_use(format!(
            "Ngân hàng \"{}\" đang được một vòng thi sử dụng: không thể đổi mục đích",
            bank.slug
        )));
    }
    if changes_purpose && def.purpose == Some(Purpose::Contest) {
        // A practice bank whose keys lessons have shown cannot become a sealed contest bank.
        let used_by_courses = store::banks::drawn_from_by_other_than(
            &state.db,
            &bank.slug,
            entity::quizzes::QuizKind::ContestRound,
        )
        .await?;
        if used_by_courses {
            return Err(bank_in_use(format!(
                "Ngân hàng \"{}\" đang phục vụ bài ôn tập: không thể chuyển thành ngân hàng cuộc thi",
                bank.slug
            )));
        }
    }
    if rules_in_use.is_empty() {
        return Ok(());
    }
    let next: Arc<Vec<PoolEntry>> = Arc::new(
        def.questions
            .iter()
            .enumerate()
            .map(|(i, q)| PoolEntry {
                // Ids no stored question has, distinct within the file.
                version_id: -(i as i32) - 1,
                question_id: -(i as i32) - 1,
                tags: q.tags.clone(),
                difficulty: q.difficulty,
                family: q.family.clone(),
                validity: q.validity,
            })
            .collect(),
    );
    let today = [crate::domain::time::vn_today(state.clock.now())];
    for rules in rules_in_use {
        let slugs: Vec<String> = rules.iter().map(|r| r.bank.clone()).collect();
        let mut pools = state.questions.pools(&state.db, &slugs).await?;
        pools.insert(bank.slug.clone(), next.clone());
        if let Err(e) = paper::check_rules(&rules, &pools, &today) {
            return Err(bank_in_use(format!(
                "Ngân hàng \"{}\" đang được một vòng thi chưa kết thúc sử dụng; tệp này làm vòng thi không đủ câu hỏi: {e}",
                bank.slug
            )));
        }
    }
    Ok(())
}

/// Checks that a quiz of this purpose may draw from every bank its rules name (a round only
/// from contest banks, a lesson or course test only from practice banks) and gives the banks
/// without a purpose this one, in its own transaction. Fails with 422
/// `bank_purpose_mismatch` naming the bank.
pub async fn claim_for(state: &AppState, rules: &[DrawRule], purpose: Purpose) -> ApiResult<()> {
    let tx = store::begin(&state.db).await?;
    claim_in(&tx, rules, purpose).await?;
    Ok(tx.commit().await?)
}

/// [`claim_for`] within the caller's transaction, so the claim lands with the quiz that
/// draws. The claim is one conditional write: two quizzes of different purposes claiming the
/// same new bank at once cannot both succeed. Fails with 422 `bank_purpose_mismatch`; the
/// caller then drops its transaction.
pub async fn claim_in(
    db: &impl store::Conn,
    rules: &[DrawRule],
    purpose: Purpose,
) -> ApiResult<()> {
    let slugs: Vec<String> = rules.iter().map(|r| r.bank.clone()).collect();
    if store::banks::claim_purpose(db, &slugs, purpose).await? {
        return Ok(());
    }
    let message = purpose_conflict(db, rules, purpose)
        .await?
        .unwrap_or_else(|| "Ngân hàng câu hỏi đã được dùng cho mục đích khác".to_owned());
    Err(Code::BankPurposeMismatch.field_with("draw", message))
}

/// Why a quiz of this purpose may not draw by these rules (a bank of the other purpose), if so.
pub async fn purpose_conflict(
    db: &impl store::Conn,
    rules: &[DrawRule],
    purpose: Purpose,
) -> ApiResult<Option<String>> {
    let mut slugs: Vec<String> = rules.iter().map(|r| r.bank.clone()).collect();
    slugs.sort();
    slugs.dedup();
    for b in store::banks::by_slugs(db, &slugs).await? {
        if let Some(other) = b.purpose
            && other != purpose
        {
            let message = match purpose {
                Purpose::Contest => format!(
                    "Ngân hàng \"{}\" dành cho ôn tập (đáp án được xem lại sau khi nộp): vòng thi không được rút câu hỏi từ đây",
                    b.slug
                ),
                Purpose::Practice => format!(
                    "Ngân hàng \"{}\" dành cho cuộc thi (đáp án được niêm phong): bài ôn tập và bài kiểm tra khóa học không được rút câu hỏi từ đây",
                    b.slug
                ),
            };
            return Ok(Some(message));
        }
    }
    Ok(None)
}

/// Whether the caller can read any bank these rules draw from (then the caller knows keys).
pub async fn reads_any(state: &AppState, actor: &Caller, rules: &[DrawRule]) -> ApiResult<bool> {
    if actor.is_admin {
        return Ok(true);
    }
    if actor.organizes.is_empty() {
        return Ok(false);
    }
    let slugs: Vec<String> = rules.iter().map(|r| r.bank.clone()).collect();
    let scope = Scope::load(state).await?;
    Ok(store::banks::by_slugs(&state.db, &slugs)
        .await?
        .iter()
        .any(|b| scope.may_read(actor, b)))
}
