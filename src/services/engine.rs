//! The attempt engine: start (or resume) a frozen paper, autosave, submit, read, and close
//! expired attempts. The server is the only clock.
//!
//! The engine knows nothing of courses or contests: what the end of an attempt means outside
//! it (lesson progress, a course completed, a round's board) comes in as a [`Completion`],
//! supplied by the caller (`services::attempts` dispatches by the quiz's kind). Ending an
//! attempt writes its grade and the completion's records in one transaction; what lies
//! outside the database (the board) follows the commit.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use entity::{attempts, quizzes};
use futures_util::future::BoxFuture;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::pool::{Paper, Version};
use crate::{
    auth::{AuthUser, Caller},
    domain::{
        banks::QuestionKind,
        course::Review,
        paper::{self, Answers, DrawRule, PaperItem},
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store::{
        self, Tx,
        attempts::{AnswerPatch, AttemptState, ClosedBy, Finish, Insert},
        finishes::PendingFinish,
        saves::PendingSave,
    },
};

/// After the deadline, saves and submits are still taken for this long (network delay).
pub const DEFAULT_GRACE: Duration = Duration::seconds(5);

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShownOption {
    /// The option's position as shown: `a`, `b`, `c`…
    pub id: String,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaperQuestion {
    pub id: i32,
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<ShownOption>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SavedAnswer {
    pub question_id: i32,
    pub option_ids: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptResult {
    pub correct: i32,
    pub total: i32,
    /// Percent, rounded down.
    pub score_percent: i32,
    pub passed: bool,
    pub duration_ms: i64,
    pub finished_at: DateTime<Utc>,
    /// `submit` (the participant), `deadline` (closed at or after the deadline with what was saved).
    pub closed_by: ClosedBy,
}

/// Per question, after submission, when the quiz's review policy allows.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewItem {
    pub question_id: i32,
    pub correct_option_ids: Vec<String>,
    pub chosen_option_ids: Vec<String>,
    pub is_correct: bool,
    pub explanation: String,
    pub source: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    pub attempt_id: Uuid,
    pub quiz_id: i32,
    pub attempt_no: i32,
    pub state: AttemptState,
    pub started_at: DateTime<Utc>,
    /// Absolute, UTC.
    pub deadline: DateTime<Utc>,
    pub server_now: DateTime<Utc>,
    /// Milliseconds until the deadline (0 once past).
    pub time_left_ms: i64,
    pub revision: i32,
    pub questions: Vec<PaperQuestion>,
    pub answers: Vec<SavedAnswer>,
    pub result: Option<AttemptResult>,
    pub review: Option<Vec<ReviewItem>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveRequest {
    pub answers: Vec<SavedAnswer>,
    /// The revision the client last saw; a stale one is refused with 409 `stale_revision`.
    #[serde(default)]
    pub revision: Option<i32>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The answer to a contest round's prediction question.
    #[serde(default)]
    pub prediction: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SaveResult {
    pub revision: i32,
    pub server_now: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

/// What the end of an attempt means outside the engine.
pub trait Completion: Sync {
    /// Whether ending an attempt at `quiz` writes records (in the ending transaction).
    fn records(&self, quiz: &quizzes::Model) -> bool;
    /// Writes them: called inside the transaction that ends the attempt, so that the grade
    /// and the records commit together or not at all.
    fn record<'a>(
        &'a self,
        tx: &'a Tx,
        attempt: &'a attempts::Model,
        quiz: &'a quizzes::Model,
    ) -> BoxFuture<'a, ApiResult<()>>;
    /// Whether something outside the database follows the end of an attempt at `quiz` (a
    /// round's board; not for a `practice` attempt).
    fn follows(&self, quiz: &quizzes::Model, practice: bool) -> bool;
    /// Does it, after the commit. Must be idempotent: a failure is retried (the attempt is
    /// marked by the statement that ended it until this succeeds).
    fn after<'a>(
        &'a self,
        attempt: &'a attempts::Model,
        quiz: &'a quizzes::Model,
    ) -> BoxFuture<'a, ApiResult<()>>;
}

/// The question versions of a paper (from the cache; one query for those not in it).
async fn versions_of(
    state: &AppState,
    items: &[PaperItem],
) -> ApiResult<HashMap<i32, Arc<Version>>> {
    let ids: Vec<i32> = items.iter().map(|i| i.version_id).collect();
    state.questions.versions(&state.db, &ids).await
}

fn closed() -> ApiError {
    ApiError::from(Code::AttemptClosed)
}

fn not_found() -> ApiError {
    ApiError::from(Code::AttemptNotFound)
}

fn open(a: &attempts::Model) -> bool {
    a.state == AttemptState::Open.as_str()
}

/// The quiz, held in memory for a few seconds (see `pool::QuestionCache::quiz`).
pub async fn quiz(state: &AppState, id: i32) -> ApiResult<Arc<quizzes::Model>> {
    state
        .questions
        .attempts
        .quiz(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::QuizNotFound))
}

/// How a start is constrained by what the quiz belongs to (a course lesson, a contest round).
pub struct StartRules {
    /// The unit the person belongs to now, kept on the attempt.
    pub unit_id: Option<i32>,
    /// No deadline later than this (a round's closing time).
    pub not_after: Option<DateTime<Utc>>,
    /// The error code when the attempts are used up.
    pub exhausted_code: Code,
    /// A practice attempt: never ranked (someone who can read the round's keys).
    pub practice: bool,
}

/// Draws a paper for the quiz from its banks' current pools.
async fn draw(state: &AppState, quiz: &quizzes::Model) -> ApiResult<Vec<PaperItem>> {
    let rules: Vec<DrawRule> = store::json::decode("quizzes", "draw_rules", &quiz.draw_rules)?;
    let slugs: Vec<String> = rules.iter().map(|r| r.bank.clone()).collect();
    let pools = state.questions.pools(&state.db, &slugs).await?;
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let day = crate::domain::time::vn_today(state.clock.now());
    let drawn = paper::draw(&rules, &pools, day, &mut rng).map_err(|e| {
        tracing::error!(quiz_id = quiz.id, error = %e, "paper cannot be drawn");
        Code::PaperUnavailable.with(format!("Chưa thể tạo đề: {e}"))
    })?;
    let versions = state.questions.versions(&state.db, &drawn).await?;
    Ok(drawn
        .iter()
        .filter_map(|id| versions.get(id))
        .map(|v| PaperItem {
            version_id: v.id,
            order: paper::shuffle_options(v.kind, v.options.len(), &mut rng),
        })
        .collect())
}

/// Holds the attempt's paper in memory, and its answers while it is open.
fn remember(state: &AppState, a: &attempts::Model, items: Vec<PaperItem>) -> ApiResult<Arc<Paper>> {
    let answers = if open(a) {
        Some(store::attempts::answers_of(a)?)
    } else {
        None
    };
    let paper = Paper::new(a, items, answers);
    Ok(state.questions.attempts.remember_paper(a.id, paper))
}

/// Starts (or resumes) an attempt at a quiz the caller has already authorised. Returns
/// whether a new attempt was made.
///
/// The paper is drawn first (in memory), then one statement inserts the attempt unless the
/// person has one open or none left; only then are their attempts read, to resume the open
/// one, close an expired one, or say why not.
pub async fn start_quiz(
    state: &AppState,
    c: &dyn Completion,
    auth: AuthUser,
    quiz: &quizzes::Model,
    limits: StartRules,
) -> ApiResult<(AttemptView, bool)> {
    let now = state.clock.now();
    let full = now + Duration::seconds(i64::from(quiz.time_limit_secs));
    let deadline = limits.not_after.map_or(full, |cap| full.min(cap));
    let mut drawn = Some(draw(state, quiz).await);
    for _ in 0..3 {
        if let Some(Ok(items)) = &drawn {
            let insert = Insert {
                id: Uuid::new_v4(),
                quiz_id: quiz.id,
                user_id: auth.id,
                unit_id: limits.unit_id,
                started_at: now,
                deadline,
                paper: store::attempts::encode_paper(items)?,
                total: items.len() as i32,
                practice: limits.practice,
                allowed: quiz.attempts_allowed,
            };
            if let Some(a) = state.starts.write(insert).await? {
                tracing::info!(attempt_id = %a.id, quiz_id = quiz.id, user_id = %auth.id, attempt_no = a.attempt_no, "attempt started");
                remember(state, &a, items.clone())?;
                return Ok((view(state, a, quiz, now).await?, true));
            }
        }
        // Refused, a double tap, or no paper: resume whatever is open, or say why not.
        let previous = store::attempts::of_user(&state.db, auth.id, quiz.id).await?;
        if let Some(o) = previous.iter().find(|a| open(a)) {
            if paper::open_at(now, o.deadline, grace(state)) {
                return Ok((view(state, o.clone(), quiz, now).await?, false));
            }
            close_expired(state, c, o.clone(), quiz).await?;
            continue;
        }
        if quiz.attempts_allowed > 0 && previous.len() as i32 >= quiz.attempts_allowed {
            return Err(limits.exhausted_code.with(format!(
                "Bạn đã dùng hết {} lượt làm bài",
                quiz.attempts_allowed
            )));
        }
        if let Some(Err(_)) = &drawn
            && let Some(Err(e)) = drawn.take()
        {
            return Err(e);
        }
    }
    Err(ApiError::from(Code::AttemptConflict))
}

/// How long after its deadline an attempt still takes saves and a submit.
pub fn grace(state: &AppState) -> Duration {
    Duration::from_std(state.settings.attempt_grace).unwrap_or(DEFAULT_GRACE)
}

/// Loads an attempt for its owner; anyone else gets 404 (no hint that it exists).
async fn owned(state: &AppState, auth: AuthUser, id: Uuid) -> ApiResult<attempts::Model> {
    store::attempts::find(&state.db, id)
        .await?
        .filter(|a| a.user_id == auth.id)
        .ok_or_else(not_found)
}

/// The owner sees the paper, saved answers and time left, and after the end the result (and
/// the review the quiz allows). Organizers of the unit the attempt was made in see the result
/// only. A read of an expired open attempt closes it on the spot.
pub async fn get(
    state: &AppState,
    c: &dyn Completion,
    auth: AuthUser,
    id: Uuid,
) -> ApiResult<AttemptView> {
    let mut attempt = store::attempts::find(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let quiz = quiz(state, attempt.quiz_id).await?;
    let now = state.clock.now();
    if open(&attempt) && !paper::open_at(now, attempt.deadline, grace(state)) {
        close_expired(state, c, attempt.clone(), &quiz).await?;
        attempt = store::attempts::find(&state.db, id)
            .await?
            .ok_or_else(not_found)?;
    }
    if attempt.user_id == auth.id {
        return view(state, attempt, &quiz, now).await;
    }
    let actor = Caller::cached(state, auth.id).await?;
    let unit = match attempt.unit_id {
        Some(u) => store::units::find(&state.db, u).await?,
        None => None,
    };
    let allowed = actor.is_admin || unit.as_ref().is_some_and(|u| actor.may_act_within(u));
    if !allowed || open(&attempt) {
        return Err(not_found());
    }
    let mut v = view(state, attempt, &quiz, now).await?;
    v.questions.clear();
    v.answers.clear();
    v.review = None;
    Ok(v)
}

/// The answers of a save as a patch, checked against the paper: questions on it, options
/// shown, one option unless the question takes several.
async fn patch_of(
    state: &AppState,
    items: &[PaperItem],
    answers: Vec<SavedAnswer>,
) -> ApiResult<AnswerPatch> {
    let versions = versions_of(state, items).await?;
    let mut patch = AnswerPatch::new();
    for a in answers {
        let item = items
            .iter()
            .find(|i| i.version_id == a.question_id)
            .ok_or_else(|| {
                Code::UnknownQuestion.field_with(
                    "answers",
                    format!("Câu hỏi {} không có trong đề này", a.question_id),
                )
            })?;
        let kind = versions
            .get(&item.version_id)
            .map_or(QuestionKind::Single, |v| v.kind);
        let mut ids = a.option_ids;
        ids.sort();
        ids.dedup();
        let valid = ids
            .iter()
            .all(|o| (0..item.order.len()).any(|p| paper::shown_id(p) == *o));
        if !valid {
            return Err(Code::UnknownOption.field_with(
                "answers",
                format!("Phương án không hợp lệ cho câu hỏi {}", a.question_id),
            ));
        }
        if kind != QuestionKind::Multiple && ids.len() > 1 {
            return Err(Code::SingleChoice.field_with(
                "answers",
                format!("Câu hỏi {} chỉ chọn một phương án", a.question_id),
            ));
        }
        patch.insert(a.question_id, (!ids.is_empty()).then_some(ids));
    }
    Ok(patch)
}

/// Why a save cannot be taken, checked in this order: not the caller's (404), ended or past
/// its deadline (409 `attempt_closed`, closing it on the way), a stale revision. `None` when
/// none of these holds.
async fn refusal(
    state: &AppState,
    c: &dyn Completion,
    auth: AuthUser,
    id: Uuid,
    revision: Option<i32>,
    now: DateTime<Utc>,
) -> ApiResult<Option<ApiError>> {
    let attempt = owned(state, auth, id).await?;
    if !open(&attempt) {
        return Ok(Some(closed()));
    }
    if !paper::open_at(now, attempt.deadline, grace(state)) {
        let quiz = quiz(state, attempt.quiz_id).await?;
        close_expired(state, c, attempt, &quiz).await?;
        return Ok(Some(closed()));
    }
    if revision.is_some_and(|r| r != attempt.revision) {
        return Ok(Some(ApiError::from(Code::StaleRevision)));
    }
    Ok(None)
}

/// Autosave: merges the answers (last write per question wins) in one conditional update.
/// The paper comes from memory when this process started (or read) the attempt; the checks
/// that need the row run only when the update is refused.
pub async fn save(
    state: &AppState,
    c: &dyn Completion,
    auth: AuthUser,
    id: Uuid,
    req: SaveRequest,
) -> ApiResult<SaveResult> {
    let now = state.clock.now();
    let paper = match state.questions.attempts.paper(id) {
        Some(p) => p,
        None => {
            let a = owned(state, auth, id).await?;
            let items = store::attempts::paper_of(&a)?;
            remember(state, &a, items)?
        }
    };
    if paper.user_id != auth.id {
        return Err(not_found());
    }
    let patch = match patch_of(state, &paper.items, req.answers).await {
        Ok(p) => p,
        Err(e) => {
            return Err(refusal(state, c, auth, id, req.revision, now)
                .await?
                .unwrap_or(e));
        }
    };
    let saved = state
        .saves
        .write(PendingSave {
            id,
            user: auth.id,
            revision: req.revision,
            patch: patch.clone(),
            now,
            deadline_after: now - grace(state),
        })
        .await?;
    if let Some(s) = &saved {
        paper.saved(&patch, s.revision);
    }
    match saved {
        Some(s) => Ok(SaveResult {
            revision: s.revision,
            server_now: now,
            deadline: s.deadline,
        }),
        None => Err(refusal(state, c, auth, id, req.revision, now)
            .await?
            .unwrap_or_else(|| {
                Code::StaleRevision.with("Bài làm vừa được lưu từ một yêu cầu khác; hãy gửi lại")
            })),
    }
}

/// Grades and records the attempt. With an `Idempotency-Key`, a repeat returns the first
/// result and changes nothing; a second submit without the same key is a 409.
///
/// When this process knows the attempt's answers (it started or read the attempt and made
/// its saves), it grades them without reading the row, and the end commits only if the row
/// is still open at the revision graded. Otherwise (another instance saved, the attempt
/// ended, nothing known), it reads the row and grades that.
pub async fn submit(
    state: &AppState,
    c: &dyn Completion,
    auth: AuthUser,
    id: Uuid,
    key: Option<String>,
    prediction: Option<i64>,
) -> ApiResult<AttemptView> {
    if let Some(ended) = submit_known(state, c, auth, id, &key, prediction).await? {
        state.questions.attempts.graded(true);
        return Ok(ended);
    }
    state.questions.attempts.graded(false);
    // A save between the read and the update makes the update miss: grade again.
    for _ in 0..3 {
        let attempt = owned(state, auth, id).await?;
        let quiz = quiz(state, attempt.quiz_id).await?;
        let now = state.clock.now();
        if !open(&attempt) {
            return repeat_or_conflict(state, c, attempt, &quiz, key, now).await;
        }
        if !paper::open_at(now, attempt.deadline, grace(state)) {
            close_expired(state, c, attempt, &quiz).await?;
            return Err(closed());
        }
        let items = store::attempts::paper_of(&attempt)?;
        let answers = store::attempts::answers_of(&attempt)?;
        let graded = Graded {
            items: &items,
            answers: &answers,
            revision: attempt.revision,
            started_at: attempt.started_at,
            deadline: attempt.deadline,
            practice: attempt.practice,
        };
        let ended = end_submitted(state, c, id, &quiz, graded, (key.clone(), prediction), now);
        if let Some(ended) = ended.await? {
            return Ok(ended);
        }
    }
    Err(ApiError::from(Code::AttemptConflict))
}

/// A submit from what this process knows of the attempt, without reading its row. `None`
/// when it knows too little, the attempt is past its deadline, or the row is no longer open
/// at the revision known: the caller reads the row and decides.
async fn submit_known(
    state: &AppState,
    c: &dyn Completion,
    auth: AuthUser,
    id: Uuid,
    key: &Option<String>,
    prediction: Option<i64>,
) -> ApiResult<Option<AttemptView>> {
    let Some(paper) = state.questions.attempts.paper(id) else {
        return Ok(None);
    };
    if paper.user_id != auth.id {
        return Err(not_found());
    }
    let Some(known) = paper.known() else {
        return Ok(None);
    };
    let now = state.clock.now();
    if !paper::open_at(now, paper.deadline, grace(state)) {
        return Ok(None);
    }
    let quiz = quiz(state, paper.quiz_id).await?;
    let graded = Graded {
        items: &paper.items,
        answers: &known.answers,
        revision: known.revision,
        started_at: paper.started_at,
        deadline: paper.deadline,
        practice: paper.practice,
    };
    end_submitted(state, c, id, &quiz, graded, (key.clone(), prediction), now).await
}

/// What a submit grades: the paper and the answers at a revision, with the attempt's times.
struct Graded<'a> {
    items: &'a [PaperItem],
    answers: &'a Answers,
    revision: i32,
    started_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
    practice: bool,
}

/// Grades the answers and ends the attempt as submitted at `now` (with the idempotency key
/// and the prediction), if it is still open at the revision graded. `None` when it was not.
async fn end_submitted(
    state: &AppState,
    c: &dyn Completion,
    id: Uuid,
    quiz: &quizzes::Model,
    g: Graded<'_>,
    (key, prediction): (Option<String>, Option<i64>),
    now: DateTime<Utc>,
) -> ApiResult<Option<AttemptView>> {
    let (grade, passed) = grade(state, g.items, g.answers, quiz).await?;
    let finish = Finish {
        state: AttemptState::Submitted,
        closed_by: ClosedBy::Submit,
        at: now,
        correct: grade.correct as i32,
        passed,
        duration_ms: paper::time_taken(g.started_at, now, g.deadline).num_milliseconds(),
        idempotency_key: key,
        prediction,
        revision: g.revision,
        effects_pending: c.follows(quiz, g.practice),
    };
    let Some(ended) = end(state, c, id, quiz, finish).await? else {
        return Ok(None);
    };
    tracing::info!(attempt_id = %id, correct = grade.correct, total = grade.total, passed, "attempt submitted");
    Ok(Some(view(state, ended, quiz, now).await?))
}

/// Ends the attempt if it is still open at the graded revision: the grade and the completion's
/// records in one transaction (one statement when there are no records, committed in groups on
/// PostgreSQL), then what follows outside the database. `None` when another request ended it
/// or saved first.
async fn end(
    state: &AppState,
    c: &dyn Completion,
    id: Uuid,
    quiz: &quizzes::Model,
    finish: Finish,
) -> ApiResult<Option<attempts::Model>> {
    let ended = if c.records(quiz) {
        let tx = store::begin(&state.db).await?;
        let Some(ended) = store::attempts::finish(&tx, id, finish).await? else {
            return Ok(None);
        };
        c.record(&tx, &ended, quiz).await?;
        tx.commit().await?;
        ended
    } else {
        match state.finishes.write(PendingFinish { id, finish }).await? {
            Some(ended) => ended,
            None => return Ok(None),
        }
    };
    state.questions.attempts.forget_paper(id);
    if ended.effects_pending {
        follow(state, c, &ended, quiz).await?;
    }
    Ok(Some(ended))
}

/// What follows the end outside the database, then the mark that it is done, cleared in
/// batches (see `AttemptCache::effects_done`). On failure the mark stays: a retried submit
/// with the same key and the sweeper run it again.
async fn follow(
    state: &AppState,
    c: &dyn Completion,
    attempt: &attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    if let Err(e) = c.after(attempt, quiz).await {
        tracing::warn!(attempt_id = %attempt.id, error = %e, "what follows an ended attempt failed; it is retried");
        return Err(e);
    }
    let batch = state.questions.attempts.effects_done(attempt.id);
    clear_done(state, batch).await;
    Ok(())
}

/// Clears the marks of effects done; on failure they stay, and the effects are done again by
/// the sweeper (idempotent).
async fn clear_done(state: &AppState, batch: Vec<Uuid>) {
    if let Err(e) = store::attempts::effects_done(&state.db, &batch).await {
        tracing::warn!(attempts = batch.len(), error = %e, "effects done but not marked; the sweeper does them again");
    }
}

async fn repeat_or_conflict(
    state: &AppState,
    c: &dyn Completion,
    attempt: attempts::Model,
    quiz: &quizzes::Model,
    key: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<AttemptView> {
    match (key, &attempt.idempotency_key) {
        (Some(k), Some(stored)) if &k == stored => {
            // The first submit may have failed after it was recorded: finish its work now.
            if attempt.effects_pending {
                follow(state, c, &attempt, quiz).await?;
            }
            view(state, attempt, quiz, now).await
        }
        _ if ClosedBy::of(&attempt)? == Some(ClosedBy::Deadline) => Err(closed()),
        _ => Err(ApiError::from(Code::AlreadySubmitted)),
    }
}

async fn grade(
    state: &AppState,
    items: &[PaperItem],
    answers: &Answers,
    quiz: &quizzes::Model,
) -> ApiResult<(paper::Grade, bool)> {
    let versions = versions_of(state, items).await?;
    let keys: HashMap<i32, paper::Key> = versions.iter().map(|(id, v)| (*id, v.key())).collect();
    let grade = paper::grade(items, answers, &keys);
    let passed = paper::passed(
        grade.correct,
        grade.total,
        u32::try_from(quiz.pass_mark).unwrap_or(100),
    );
    Ok((grade, passed))
}

/// Closes an open attempt past its deadline with what was saved. Safe to call from several
/// places at once: the conditional update lets one win.
pub async fn close_expired(
    state: &AppState,
    c: &dyn Completion,
    mut attempt: attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    for _ in 0..3 {
        let items = store::attempts::paper_of(&attempt)?;
        let answers = store::attempts::answers_of(&attempt)?;
        let (grade, passed) = grade(state, &items, &answers, quiz).await?;
        let finish = Finish {
            state: AttemptState::Closed,
            closed_by: ClosedBy::Deadline,
            at: attempt.deadline,
            correct: grade.correct as i32,
            passed,
            duration_ms: (attempt.deadline - attempt.started_at).num_milliseconds(),
            idempotency_key: None,
            prediction: None,
            revision: attempt.revision,
            effects_pending: c.follows(quiz, attempt.practice),
        };
        if end(state, c, attempt.id, quiz, finish).await?.is_some() {
            tracing::info!(attempt_id = %attempt.id, correct = grade.correct, "attempt closed at its deadline");
            return Ok(());
        }
        // Ended by another request, or saved in the last moment: look again.
        match store::attempts::find(&state.db, attempt.id).await? {
            Some(fresh) if open(&fresh) => attempt = fresh,
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// How long an ended attempt's effects are left to the request that ended it before the
/// sweeper retries them.
const EFFECTS_RETRY_AFTER: Duration = Duration::seconds(30);

/// Closes every open attempt past deadline + grace, and retries what follows ended attempts
/// where it failed (see [`follow`]). Returns how many attempts it closed. One attempt that
/// fails does not hold up the others: it is logged and tried again at the next sweep.
pub async fn sweep(state: &AppState, c: &dyn Completion) -> ApiResult<usize> {
    let now = state.clock.now();
    let expired = store::attempts::expired(&state.db, now - grace(state), 500).await?;
    let mut closed = 0;
    for attempt in expired {
        let id = attempt.id;
        let outcome = async {
            let quiz = quiz(state, attempt.quiz_id).await?;
            close_expired(state, c, attempt, &quiz).await
        }
        .await;
        match outcome {
            Ok(()) => closed += 1,
            Err(e) => {
                tracing::warn!(attempt_id = %id, error = %e, "sweeper could not close an attempt")
            }
        }
    }
    // Marks of effects done here first, so that they are not done again.
    store::attempts::effects_done(&state.db, &state.questions.attempts.take_done()).await?;
    let pending =
        store::attempts::effects_pending(&state.db, now - EFFECTS_RETRY_AFTER, 200).await?;
    for attempt in pending {
        let id = attempt.id;
        let outcome = async {
            let quiz = quiz(state, attempt.quiz_id).await?;
            follow(state, c, &attempt, &quiz).await
        }
        .await;
        if outcome.is_ok() {
            tracing::info!(attempt_id = %id, "what follows an ended attempt done on retry");
        }
    }
    Ok(closed)
}

async fn view(
    state: &AppState,
    a: attempts::Model,
    quiz: &quizzes::Model,
    now: DateTime<Utc>,
) -> ApiResult<AttemptView> {
    let items = store::attempts::paper_of(&a)?;
    let versions = versions_of(state, &items).await?;
    let answers = store::attempts::answers_of(&a)?;
    let questions = items
        .iter()
        .filter_map(|item| versions.get(&item.version_id).map(|v| shown(item, v)))
        .collect();
    let saved = answers
        .iter()
        .map(|(q, ids)| SavedAnswer {
            question_id: *q,
            option_ids: ids.clone(),
        })
        .collect();
    let finished = !open(&a);
    let result = match (finished, a.correct, a.submitted_at, ClosedBy::of(&a)?) {
        (true, Some(correct), Some(at), Some(closed_by)) => Some(AttemptResult {
            correct,
            total: a.total,
            score_percent: if a.total > 0 {
                correct * 100 / a.total
            } else {
                0
            },
            passed: a.passed.unwrap_or(false),
            duration_ms: a.duration_ms.unwrap_or(0),
            finished_at: at,
            closed_by,
        }),
        _ => None,
    };
    let review = (finished && quiz.review == Review::AfterSubmit)
        .then(|| review(&items, &versions, &answers));
    Ok(AttemptView {
        attempt_id: a.id,
        quiz_id: a.quiz_id,
        attempt_no: a.attempt_no,
        state: AttemptState::of(&a)?,
        started_at: a.started_at,
        deadline: a.deadline,
        server_now: now,
        time_left_ms: if finished {
            0
        } else {
            (a.deadline - now).num_milliseconds().max(0)
        },
        revision: a.revision,
        questions,
        answers: saved,
        result,
        review,
    })
}

/// A question as shown on this paper: options in the frozen order, named by position, and
/// nothing of the key.
fn shown(item: &PaperItem, v: &Version) -> PaperQuestion {
    PaperQuestion {
        id: v.id,
        kind: v.kind,
        stem: v.stem.clone(),
        options: item
            .order
            .iter()
            .enumerate()
            .filter_map(|(pos, original)| {
                v.options.get(*original as usize).map(|o| ShownOption {
                    id: paper::shown_id(pos),
                    text: o.text.clone(),
                })
            })
            .collect(),
    }
}

fn review(
    items: &[PaperItem],
    versions: &HashMap<i32, Arc<Version>>,
    answers: &Answers,
) -> Vec<ReviewItem> {
    let empty = Vec::new();
    items
        .iter()
        .filter_map(|item| {
            let v = versions.get(&item.version_id)?;
            let correct: Vec<String> = item
                .order
                .iter()
                .enumerate()
                .filter(|(_, original)| {
                    v.options
                        .get(**original as usize)
                        .is_some_and(|o| o.correct)
                })
                .map(|(pos, _)| paper::shown_id(pos))
                .collect();
            let chosen = answers.get(&item.version_id).unwrap_or(&empty).clone();
            let mut sorted = chosen.clone();
            sorted.sort();
            Some(ReviewItem {
                question_id: v.id,
                is_correct: sorted == correct,
                correct_option_ids: correct,
                chosen_option_ids: chosen,
                explanation: v.explanation.clone(),
                source: v.source.clone(),
            })
        })
        .collect()
}
