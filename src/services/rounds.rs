//! The facts about a round that the boards and the attempt engine need: the round, its
//! number of questions and how its contest measures time. Read through the round cache, so a
//! board read or a submit costs no query for them; shared by `contests` and `boards` so that
//! neither reaches into the other.

use std::sync::Arc;

use entity::rounds;

pub use super::caches::RoundFacts;
use super::quizzes;
use crate::{
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

/// Reads the facts of `round` from the database (the quiz and the contest) and caches them.
///
/// Fails when the database does, when the quiz's draw rules or the contest's ranking rule
/// do not decode, or (404 `round_not_found`) when the round's quiz or contest is gone.
async fn load(state: &AppState, round: rounds::Model) -> ApiResult<Arc<RoundFacts>> {
    let quiz = store::courses::quiz(&state.db, round.quiz_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::RoundNotFound))?;
    let contest = store::contests::contest(&state.db, round.contest_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::RoundNotFound))?;
    let facts = Arc::new(RoundFacts {
        questions: quizzes::questions(&quiz)?,
        time_mode: contest.ranking.time_mode,
        contest: Arc::new(contest),
        round,
    });
    state.rounds.insert(facts.clone());
    Ok(facts)
}

/// The facts of round `id`, from the cache or the database; `None` when there is no such
/// round. Fails as [`load`] does.
pub async fn facts(state: &AppState, id: i32) -> ApiResult<Option<Arc<RoundFacts>>> {
    if let Some(hit) = state.rounds.get(id) {
        return Ok(Some(hit));
    }
    match store::contests::round(&state.db, id).await? {
        Some(r) => Ok(Some(load(state, r).await?)),
        None => Ok(None),
    }
}

/// [`facts`], failing with 404 `round_not_found` when there is no such round.
pub async fn existing(state: &AppState, id: i32) -> ApiResult<Arc<RoundFacts>> {
    facts(state, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::RoundNotFound))
}

/// The facts of the round that owns `quiz`; `None` when no round does. Fails as [`load`]
/// does.
pub async fn of_quiz(state: &AppState, quiz: i32) -> ApiResult<Option<Arc<RoundFacts>>> {
    if let Some(id) = state.rounds.round_of_quiz(quiz) {
        return facts(state, id).await;
    }
    match store::contests::round_by_quiz(&state.db, quiz).await? {
        Some(r) => Ok(Some(load(state, r).await?)),
        None => Ok(None),
    }
}
