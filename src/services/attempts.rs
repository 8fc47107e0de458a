//! The attempt engine: start (or resume) a frozen paper, autosave, submit, read, and close
//! expired attempts. The server is the only clock.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{attempts, quizzes};
use rand::SeedableRng;
use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{courses, pool::Version};
use crate::{
    auth::{AuthUser, Caller},
    domain::{
        banks::QuestionKind,
        course::Review,
        paper::{self, Answers, DrawRule, PaperItem},
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store::{self, attempts::Finish},
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
    pub closed_by: String,
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
    /// `open`, `submitted` or `closed`.
    pub state: String,
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

fn paper_of(a: &attempts::Model) -> ApiResult<Vec<PaperItem>> {
    serde_json::from_str(&a.paper)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("attempt {} paper: {e}", a.id)))
}

/// The question versions of a paper (from the cache; one query for those not in it).
async fn versions_of(
    state: &AppState,
    items: &[PaperItem],
) -> ApiResult<HashMap<i32, std::sync::Arc<Version>>> {
    let ids: Vec<i32> = items.iter().map(|i| i.version_id).collect();
    state.questions.versions(&state.db, &ids).await
}

fn answers_of(a: &attempts::Model) -> Answers {
    serde_json::from_str(&a.answers).unwrap_or_default()
}

fn closed() -> ApiError {
    ApiError::from(Code::AttemptClosed)
}

fn not_found() -> ApiError {
    ApiError::from(Code::AttemptNotFound)
}

async fn quiz(state: &AppState, id: i32) -> ApiResult<quizzes::Model> {
    store::courses::quiz(&state.db, id)
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

/// Starts an attempt at a course quiz, or returns the open one (resume on any device).
/// Returns whether a new attempt was made. Fails when the quiz is not for this person, when
/// its attempts are used up, or when its banks cannot fill the paper.
pub async fn start(
    state: &AppState,
    auth: AuthUser,
    quiz_id: i32,
) -> ApiResult<(AttemptView, bool)> {
    let quiz = quiz(state, quiz_id).await?;
    let profile = courses::may_take(state, auth, &quiz).await?;
    let rules = StartRules {
        unit_id: profile.unit_id,
        not_after: None,
        exhausted_code: Code::AttemptsExhausted,
        practice: false,
    };
    start_quiz(state, auth, &quiz, rules).await
}

/// Starts (or resumes) an attempt at a quiz the caller has already authorised.
pub async fn start_quiz(
    state: &AppState,
    auth: AuthUser,
    quiz: &quizzes::Model,
    limits: StartRules,
) -> ApiResult<(AttemptView, bool)> {
    let now = state.clock.now();
    let mut previous = store::attempts::of_user(&state.db, auth.id, quiz.id).await?;
    if let Some(open) = previous
        .iter_mut()
        .find(|a| a.state == store::attempts::OPEN)
    {
        if paper::open_at(now, open.deadline, grace(state)) {
            return Ok((view(state, open.clone(), quiz, now).await?, false));
        }
        close_expired(state, open.clone(), quiz).await?;
        *open = store::attempts::find(&state.db, open.id)
            .await?
            .ok_or_else(not_found)?;
    }
    let used = previous.len() as i32;
    if quiz.attempts_allowed > 0 && used >= quiz.attempts_allowed {
        return Err(limits.exhausted_code.with(format!(
            "Bạn đã dùng hết {} lượt làm bài",
            quiz.attempts_allowed
        )));
    }

    let rules: Vec<DrawRule> = serde_json::from_str(&quiz.draw_rules)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("quiz {} rules: {e}", quiz.id)))?;
    let slugs: Vec<String> = rules.iter().map(|r| r.bank.clone()).collect();
    let pools = state.questions.pools(&state.db, &slugs).await?;
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let drawn = paper::draw(&rules, &pools, &mut rng).map_err(|e| {
        tracing::error!(quiz_id = quiz.id, error = %e, "paper cannot be drawn");
        Code::PaperUnavailable.with(format!("Chưa thể tạo đề: {e}"))
    })?;
    let versions = state.questions.versions(&state.db, &drawn).await?;
    let items: Vec<PaperItem> = drawn
        .iter()
        .filter_map(|id| versions.get(id))
        .map(|v| PaperItem {
            version_id: v.id,
            order: paper::shuffle_options(v.kind, v.options.len(), &mut rng),
        })
        .collect();

    let full = now + Duration::seconds(i64::from(quiz.time_limit_secs));
    let deadline = limits.not_after.map_or(full, |cap| full.min(cap));
    let row = attempts::ActiveModel {
        id: Set(Uuid::new_v4()),
        quiz_id: Set(quiz.id),
        user_id: Set(auth.id),
        attempt_no: Set(used + 1),
        state: Set(store::attempts::OPEN.to_owned()),
        unit_id: Set(limits.unit_id),
        started_at: Set(now),
        deadline: Set(deadline),
        paper: Set(serde_json::to_string(&items).map_err(|e| ApiError::Internal(e.into()))?),
        answers: Set("{}".to_owned()),
        revision: Set(0),
        submitted_at: Set(None),
        closed_by: Set(None),
        correct: Set(None),
        total: Set(items.len() as i32),
        duration_ms: Set(None),
        passed: Set(None),
        idempotency_key: Set(None),
        prediction: Set(None),
        practice: Set(limits.practice),
        updated_at: Set(now),
        effects_pending: Set(false),
    };
    match store::attempts::insert(&state.db, row).await? {
        store::attempts::Inserted::Ok(a) => {
            tracing::info!(attempt_id = %a.id, quiz_id = quiz.id, user_id = %auth.id, attempt_no = a.attempt_no, "attempt started");
            Ok((view(state, *a, quiz, now).await?, true))
        }
        store::attempts::Inserted::Duplicate => {
            // A second tap raced this one: resume whatever won.
            let open = store::attempts::of_user(&state.db, auth.id, quiz.id)
                .await?
                .into_iter()
                .find(|a| a.state == store::attempts::OPEN)
                .ok_or_else(|| ApiError::from(Code::AttemptConflict))?;
            Ok((view(state, open, quiz, now).await?, false))
        }
    }
}

/// How long after its deadline an attempt still takes saves and a submit.
pub(crate) fn grace(state: &AppState) -> Duration {
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
pub async fn get(state: &AppState, auth: AuthUser, id: Uuid) -> ApiResult<AttemptView> {
    let mut attempt = store::attempts::find(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let quiz = quiz(state, attempt.quiz_id).await?;
    let now = state.clock.now();
    if attempt.state == store::attempts::OPEN
        && !paper::open_at(now, attempt.deadline, grace(state))
    {
        close_expired(state, attempt.clone(), &quiz).await?;
        attempt = store::attempts::find(&state.db, id)
            .await?
            .ok_or_else(not_found)?;
    }
    if attempt.user_id == auth.id {
        return view(state, attempt, &quiz, now).await;
    }
    let actor = Caller::load(&state.db, auth.id).await?;
    let unit = match attempt.unit_id {
        Some(u) => store::units::find(&state.db, u).await?,
        None => None,
    };
    let allowed = actor.is_admin || unit.as_ref().is_some_and(|u| actor.may_act_within(u));
    if !allowed || attempt.state == store::attempts::OPEN {
        return Err(not_found());
    }
    let mut v = view(state, attempt, &quiz, now).await?;
    v.questions.clear();
    v.answers.clear();
    v.review = None;
    Ok(v)
}

/// Autosave: merges the answers (last write per question wins) in one conditional update.
pub async fn save(
    state: &AppState,
    auth: AuthUser,
    id: Uuid,
    req: SaveRequest,
) -> ApiResult<SaveResult> {
    let attempt = owned(state, auth, id).await?;
    let now = state.clock.now();
    if attempt.state != store::attempts::OPEN {
        return Err(closed());
    }
    if !paper::open_at(now, attempt.deadline, grace(state)) {
        let quiz = quiz(state, attempt.quiz_id).await?;
        close_expired(state, attempt, &quiz).await?;
        return Err(closed());
    }
    if let Some(r) = req.revision
        && r != attempt.revision
    {
        return Err(ApiError::from(Code::StaleRevision));
    }
    let items = paper_of(&attempt)?;
    let versions = versions_of(state, &items).await?;
    let mut answers = answers_of(&attempt);
    for a in req.answers {
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
        if ids.is_empty() {
            answers.remove(&a.question_id);
        } else {
            answers.insert(a.question_id, ids);
        }
    }
    let json = serde_json::to_string(&answers).map_err(|e| ApiError::Internal(e.into()))?;
    if !store::attempts::save_answers(&state.db, id, attempt.revision, json, now).await? {
        let fresh = store::attempts::find(&state.db, id)
            .await?
            .ok_or_else(not_found)?;
        return Err(if fresh.state == store::attempts::OPEN {
            Code::StaleRevision.with("Bài làm vừa được lưu từ một yêu cầu khác; hãy gửi lại")
        } else {
            closed()
        });
    }
    Ok(SaveResult {
        revision: attempt.revision + 1,
        server_now: now,
        deadline: attempt.deadline,
    })
}

/// Grades and records the attempt. With an `Idempotency-Key`, a repeat returns the first
/// result and changes nothing; a second submit without the same key is a 409.
pub async fn submit(
    state: &AppState,
    auth: AuthUser,
    id: Uuid,
    key: Option<String>,
    prediction: Option<i64>,
) -> ApiResult<AttemptView> {
    let attempt = owned(state, auth, id).await?;
    let quiz = quiz(state, attempt.quiz_id).await?;
    let now = state.clock.now();
    if attempt.state != store::attempts::OPEN {
        return repeat_or_conflict(state, attempt, &quiz, key, now).await;
    }
    if !paper::open_at(now, attempt.deadline, grace(state)) {
        close_expired(state, attempt, &quiz).await?;
        return Err(closed());
    }
    let (grade, passed) = grade(state, &attempt, &quiz).await?;
    let won = store::attempts::finish(
        &state.db,
        id,
        Finish {
            state: store::attempts::SUBMITTED,
            closed_by: "submit",
            at: now,
            correct: grade.correct as i32,
            passed,
            duration_ms: paper::time_taken(attempt.started_at, now, attempt.deadline)
                .num_milliseconds(),
            idempotency_key: key.clone(),
            prediction,
        },
    )
    .await?;
    let fresh = store::attempts::find(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    if !won {
        return repeat_or_conflict(state, fresh, &quiz, key, now).await;
    }
    tracing::info!(attempt_id = %id, correct = grade.correct, total = grade.total, passed, "attempt submitted");
    effects(state, &fresh, &quiz).await?;
    view(state, fresh, &quiz, now).await
}

/// Runs what follows the end of an attempt and records that it is done. On failure the
/// attempt stays marked (by the statement that ended it): a retried submit with the same key
/// and the sweeper run it again until it succeeds. Each effect is idempotent.
async fn effects(
    state: &AppState,
    attempt: &attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    if let Err(e) = finished(state, attempt, quiz).await {
        tracing::warn!(attempt_id = %attempt.id, error = %e, "effects of an ended attempt failed; they are retried");
        return Err(e);
    }
    store::attempts::effects_done(&state.db, attempt.id).await
}

/// What follows the end of an attempt: lesson and course progress, or the round's board.
async fn finished(
    state: &AppState,
    attempt: &attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    if quiz.kind == super::contests::ROUND_QUIZ {
        super::contests::on_attempt_finished(state, attempt, quiz).await
    } else {
        courses::on_attempt_finished(state, attempt, quiz).await
    }
}

async fn repeat_or_conflict(
    state: &AppState,
    attempt: attempts::Model,
    quiz: &quizzes::Model,
    key: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<AttemptView> {
    match (key, &attempt.idempotency_key) {
        (Some(k), Some(stored)) if &k == stored => {
            // The first submit may have failed after it was recorded: finish its work now.
            if attempt.effects_pending {
                effects(state, &attempt, quiz).await?;
            }
            view(state, attempt, quiz, now).await
        }
        _ if attempt.closed_by.as_deref() == Some("deadline") => Err(closed()),
        _ => Err(ApiError::from(Code::AlreadySubmitted)),
    }
}

async fn grade(
    state: &AppState,
    attempt: &attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<(paper::Grade, bool)> {
    let items = paper_of(attempt)?;
    let versions = versions_of(state, &items).await?;
    let keys: HashMap<i32, paper::Key> = versions.iter().map(|(id, v)| (*id, v.key())).collect();
    let grade = paper::grade(&items, &answers_of(attempt), &keys);
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
    attempt: attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    let (grade, passed) = grade(state, &attempt, quiz).await?;
    let won = store::attempts::finish(
        &state.db,
        attempt.id,
        Finish {
            state: store::attempts::CLOSED,
            closed_by: "deadline",
            at: attempt.deadline,
            correct: grade.correct as i32,
            passed,
            duration_ms: (attempt.deadline - attempt.started_at).num_milliseconds(),
            idempotency_key: None,
            prediction: None,
        },
    )
    .await?;
    if won {
        tracing::info!(attempt_id = %attempt.id, correct = grade.correct, "attempt closed at its deadline");
        if let Some(fresh) = store::attempts::find(&state.db, attempt.id).await? {
            effects(state, &fresh, quiz).await?;
        }
    }
    Ok(())
}

/// How long an ended attempt's effects are left to the request that ended it before the
/// sweeper retries them.
const EFFECTS_RETRY_AFTER: Duration = Duration::seconds(30);

/// Closes every open attempt past deadline + grace, and retries the effects of ended attempts
/// that failed (see [`effects`]). Returns how many attempts it closed. One attempt that fails
/// does not hold up the others: it is logged and tried again at the next sweep.
pub async fn sweep(state: &AppState) -> ApiResult<usize> {
    let now = state.clock.now();
    let expired = store::attempts::expired(&state.db, now - grace(state), 500).await?;
    let mut quizzes: HashMap<i32, quizzes::Model> = HashMap::new();
    let mut closed = 0;
    for attempt in expired {
        let id = attempt.id;
        let outcome = async {
            let quiz = cached_quiz(state, &mut quizzes, attempt.quiz_id).await?;
            close_expired(state, attempt, &quiz).await
        }
        .await;
        match outcome {
            Ok(()) => closed += 1,
            Err(e) => {
                tracing::warn!(attempt_id = %id, error = %e, "sweeper could not close an attempt")
            }
        }
    }
    let pending =
        store::attempts::effects_pending(&state.db, now - EFFECTS_RETRY_AFTER, 200).await?;
    for attempt in pending {
        let id = attempt.id;
        let outcome = async {
            let quiz = cached_quiz(state, &mut quizzes, attempt.quiz_id).await?;
            effects(state, &attempt, &quiz).await
        }
        .await;
        if outcome.is_ok() {
            tracing::info!(attempt_id = %id, "effects of an ended attempt done on retry");
        }
    }
    Ok(closed)
}

async fn cached_quiz(
    state: &AppState,
    cache: &mut HashMap<i32, quizzes::Model>,
    id: i32,
) -> ApiResult<quizzes::Model> {
    if let Some(q) = cache.get(&id) {
        return Ok(q.clone());
    }
    let q = quiz(state, id).await?;
    cache.insert(id, q.clone());
    Ok(q)
}

async fn view(
    state: &AppState,
    a: attempts::Model,
    quiz: &quizzes::Model,
    now: DateTime<Utc>,
) -> ApiResult<AttemptView> {
    let items = paper_of(&a)?;
    let versions = versions_of(state, &items).await?;
    let answers = answers_of(&a);
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
    let finished = a.state != store::attempts::OPEN;
    let result = match (finished, a.correct, a.submitted_at) {
        (true, Some(correct), Some(at)) => Some(AttemptResult {
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
            closed_by: a.closed_by.clone().unwrap_or_default(),
        }),
        _ => None,
    };
    let review = (finished && Review::parse(&quiz.review) == Review::AfterSubmit)
        .then(|| review(&items, &versions, &answers));
    Ok(AttemptView {
        attempt_id: a.id,
        quiz_id: a.quiz_id,
        attempt_no: a.attempt_no,
        state: a.state,
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
    versions: &HashMap<i32, std::sync::Arc<Version>>,
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
