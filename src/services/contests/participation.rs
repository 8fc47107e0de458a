//! Taking part: the contests a participant may see, starting a round attempt, and the board
//! write after each attempt.

use entity::{attempts, quizzes};
use futures_util::future::BoxFuture;

use super::{Contest, ContestView, not_found, owner_unit, round_not_found, state_of, view};
use crate::{
    auth::{AuthUser, Caller},
    domain::round::RoundState,
    error::{ApiError, ApiResult, Code},
    services::{
        access, banks, boards,
        engine::{self, AttemptView, Completion, StartRules},
        rounds,
    },
    state::AppState,
    store::{self, Tx},
};

/// The facts audience rules need about the caller.
struct Person {
    actor: std::sync::Arc<Caller>,
    unit_id: Option<i32>,
    may_manage: bool,
}

async fn person(state: &AppState, auth: AuthUser) -> ApiResult<Person> {
    // The profile the extractor has just read (the cache), not a second read.
    let actor = Caller::cached(state, auth.id).await?;
    Ok(Person {
        unit_id: actor.unit_id,
        may_manage: actor.is_admin || !actor.organizes.is_empty(),
        actor,
    })
}

async fn in_audience(state: &AppState, p: &Person, c: &Contest) -> ApiResult<bool> {
    if p.may_manage {
        return Ok(true);
    }
    access::admits(state, &p.actor, &c.audience).await
}

pub async fn list(state: &AppState, auth: AuthUser) -> ApiResult<Vec<ContestView>> {
    let p = person(state, auth).await?;
    let mut out = Vec::new();
    for c in store::contests::contests(&state.db).await? {
        if in_audience(state, &p, &c).await? {
            out.push(view(state, auth.id, c).await?);
        }
    }
    Ok(out)
}

pub async fn get(state: &AppState, auth: AuthUser, id: i32) -> ApiResult<ContestView> {
    let p = person(state, auth).await?;
    let c = store::contests::contest(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    if !in_audience(state, &p, &c).await? {
        return Err(not_found());
    }
    view(state, auth.id, c).await
}

/// Whether the caller knows (or may know) the round's keys: admins, those who manage the
/// contest, and those who can read a bank the round draws from. They may play, but only a
/// practice attempt that is never ranked.
async fn insider(
    state: &AppState,
    actor: &Caller,
    c: &Contest,
    quiz: &quizzes::Model,
) -> ApiResult<bool> {
    if actor.is_admin {
        return Ok(true);
    }
    if actor.organizes.is_empty() {
        return Ok(false);
    }
    if owner_unit(state, c.owner_unit_id)
        .await
        .is_ok_and(|u| actor.may_act_within(&u))
    {
        return Ok(true);
    }
    let rules = store::courses::draw_rules(quiz)?;
    banks::reads_any(state, actor, &rules).await
}

/// Starts (or resumes) an attempt in a round: the round must be open, the caller in the
/// audience, with attempts left. An attempt never runs past the round's close. Someone who
/// can know the keys (see `insider`) gets a practice attempt, kept off every board and result.
pub async fn start(
    state: &AppState,
    auth: AuthUser,
    round_id: i32,
) -> ApiResult<(AttemptView, bool)> {
    let facts = rounds::existing(state, round_id).await?;
    let r = &facts.round;
    // The contest's audience and owner come with the round's facts (held a few seconds).
    let c = &*facts.contest;
    let p = person(state, auth).await?;
    let quiz = state
        .questions
        .attempts
        .quiz(&state.db, r.quiz_id)
        .await?
        .ok_or_else(round_not_found)?;
    let practice = insider(state, &p.actor, c, &quiz).await?;
    let admitted = practice || access::admits(state, &p.actor, &c.audience).await?;
    if !admitted {
        return Err(ApiError::from(Code::NotInAudience));
    }
    let now = state.clock.now();
    if state_of(r, now) != RoundState::Open {
        return Err(Code::RoundNotOpen.with(format!(
            "Vòng thi chưa mở hoặc đã đóng (mở từ {} đến {}, giờ Việt Nam)",
            r.opens_at
                .with_timezone(&crate::domain::time::vn_offset())
                .format("%H:%M %d/%m/%Y"),
            r.closes_at
                .with_timezone(&crate::domain::time::vn_offset())
                .format("%H:%M %d/%m/%Y")
        )));
    }
    if practice {
        tracing::info!(round_id = r.id, user_id = %auth.id, "practice attempt: the caller can read the round's keys");
    }
    engine::start_quiz(
        state,
        &RoundEnd(state),
        auth,
        &quiz,
        StartRules {
            unit_id: p.unit_id,
            not_after: Some(r.closes_at),
            exhausted_code: Code::NoAttemptsLeft,
            practice,
        },
    )
    .await
}

/// What the end of an attempt in a round means: nothing more in the database (the attempt
/// row is the record), then the board, after the commit.
pub struct RoundEnd<'s>(pub &'s AppState);

impl Completion for RoundEnd<'_> {
    fn records(&self, _: &quizzes::Model) -> bool {
        false
    }

    fn record<'a>(
        &'a self,
        _: &'a Tx,
        _: &'a attempts::Model,
        _: &'a quizzes::Model,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Practice attempts never go on a board.
    fn follows(&self, _: &quizzes::Model, practice: bool) -> bool {
        !practice
    }

    fn after<'a>(
        &'a self,
        attempt: &'a attempts::Model,
        quiz: &'a quizzes::Model,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(on_attempt_finished(self.0, attempt, quiz))
    }
}

/// After an attempt in a round ends: the board keeps the participant's best (`ZADD … GT`).
/// The database already holds the attempt, so a board that cannot be written now is healed by
/// the rebuild; the participant's submit still succeeds.
pub async fn on_attempt_finished(
    state: &AppState,
    a: &attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    if a.practice {
        return Ok(());
    }
    let Some(round) = rounds::of_quiz(state, quiz.id).await? else {
        return Ok(());
    };
    let finished = boards::Finished {
        user_id: a.user_id,
        correct: a.correct,
        duration_ms: a.duration_ms,
        submitted_at: a.submitted_at,
    };
    boards::record(state, &round, finished).await;
    Ok(())
}
