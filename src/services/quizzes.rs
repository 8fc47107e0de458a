//! What a participant is told about a quiz before and between attempts ("quiz facts"): how
//! many questions, how long, how many attempts used and left, whether one passed. Course
//! lessons, course tests and contest rounds show the same facts, computed here once.

use entity::quizzes;
use uuid::Uuid;

use crate::{error::ApiResult, state::AppState, store};

/// The facts of one quiz for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizFacts {
    /// Questions on a paper: the sum of the draw rules' counts.
    pub questions: u32,
    pub time_limit_minutes: i32,
    /// 0: unlimited.
    pub attempts_allowed: i32,
    pub attempts_used: i32,
    /// None when unlimited.
    pub attempts_left: Option<i32>,
    pub passed: bool,
}

/// Questions on a paper of `quiz`. Fails when its draw rules do not decode.
pub fn questions(quiz: &quizzes::Model) -> ApiResult<u32> {
    Ok(store::courses::draw_rules(quiz)?
        .iter()
        .map(|r| r.count)
        .sum())
}

/// The facts of `quiz` for `user` (one read: the user's attempts at it).
///
/// Fails when the database does, or when the quiz's draw rules do not decode.
pub async fn facts(state: &AppState, quiz: &quizzes::Model, user: Uuid) -> ApiResult<QuizFacts> {
    let tries = store::attempts::of_user(&state.db, user, quiz.id).await?;
    let used = i32::try_from(tries.len()).unwrap_or(i32::MAX);
    Ok(QuizFacts {
        questions: questions(quiz)?,
        time_limit_minutes: quiz.time_limit_secs / 60,
        attempts_allowed: quiz.attempts_allowed,
        attempts_used: used,
        attempts_left: (quiz.attempts_allowed > 0).then(|| (quiz.attempts_allowed - used).max(0)),
        passed: tries.iter().any(|a| a.passed == Some(true)),
    })
}
