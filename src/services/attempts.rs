//! Attempts as the routes see them: the engine (`services::engine`) with what the end of an
//! attempt means, chosen by the quiz's kind: a course quiz records lesson progress and the
//! course's completion in the transaction that ends the attempt; a round's attempt goes on
//! the round's board after it. The engine depends on neither courses nor contests; this
//! module depends on all three, and nothing depends on it but the routes and the sweeper.

use entity::quizzes::QuizKind;
use entity::{attempts, quizzes};
use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::{
    contests::RoundEnd,
    courses,
    engine::{self, Completion, StartRules},
};
use crate::{
    auth::AuthUser,
    error::{ApiResult, Code},
    state::AppState,
    store::Tx,
};

pub use super::engine::{
    AttemptResult, AttemptView, DEFAULT_GRACE, PaperQuestion, ReviewItem, SaveRequest, SaveResult,
    SavedAnswer, ShownOption, SubmitRequest,
};
pub use crate::store::attempts::{AttemptState, ClosedBy};

/// A submit's idempotency key as the client sent it (the API's `Idempotency-Key` header, the
/// page's hidden field): 1 to 200 visible ASCII characters once trimmed, e.g. a UUID.
pub fn idempotency_key(raw: &str) -> ApiResult<String> {
    let k = raw.trim();
    if k.is_empty() || k.len() > 200 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Code::InvalidIdempotencyKey.with(
            "Idempotency-Key phải có từ 1 đến 200 ký tự ASCII nhìn thấy được (ví dụ một UUID)",
        ));
    }
    Ok(k.to_owned())
}

/// The completion of any quiz: a round's board, or a course's progress.
struct ByKind<'s>(&'s AppState, RoundEnd<'s>);

fn by_kind(state: &AppState) -> ByKind<'_> {
    ByKind(state, RoundEnd(state))
}

impl Completion for ByKind<'_> {
    fn records(&self, quiz: &quizzes::Model) -> bool {
        quiz.kind != QuizKind::ContestRound
    }

    fn record<'a>(
        &'a self,
        tx: &'a Tx,
        attempt: &'a attempts::Model,
        quiz: &'a quizzes::Model,
    ) -> BoxFuture<'a, ApiResult<()>> {
        if quiz.kind == QuizKind::ContestRound {
            self.1.record(tx, attempt, quiz)
        } else {
            Box::pin(courses::on_attempt_finished(self.0, tx, attempt, quiz))
        }
    }

    fn follows(&self, quiz: &quizzes::Model, practice: bool) -> bool {
        quiz.kind == QuizKind::ContestRound && self.1.follows(quiz, practice)
    }

    fn after<'a>(
        &'a self,
        attempt: &'a attempts::Model,
        quiz: &'a quizzes::Model,
    ) -> BoxFuture<'a, ApiResult<()>> {
        self.1.after(attempt, quiz)
    }
}

/// Starts an attempt at a course quiz, or returns the open one (resume on any device).
/// Returns whether a new attempt was made. Fails when the quiz is not for this person, when
/// its attempts are used up, or when its banks cannot fill the paper.
pub async fn start(
    state: &AppState,
    auth: AuthUser,
    quiz_id: i32,
) -> ApiResult<(AttemptView, bool)> {
    let quiz = engine::quiz(state, quiz_id).await?;
    let profile = courses::may_take(state, auth, &quiz).await?;
    let rules = StartRules {
        unit_id: profile.unit_id,
        not_after: None,
        exhausted_code: Code::AttemptsExhausted,
        practice: false,
    };
    engine::start_quiz(state, &by_kind(state), auth, &quiz, rules).await
}

/// See [`engine::get`].
pub async fn get(state: &AppState, auth: AuthUser, id: Uuid) -> ApiResult<AttemptView> {
    engine::get(state, &by_kind(state), auth, id).await
}

/// See [`engine::save`].
pub async fn save(
    state: &AppState,
    auth: AuthUser,
    id: Uuid,
    req: SaveRequest,
) -> ApiResult<SaveResult> {
    engine::save(state, &by_kind(state), auth, id, req).await
}

/// See [`engine::submit`].
pub async fn submit(
    state: &AppState,
    auth: AuthUser,
    id: Uuid,
    key: Option<String>,
    prediction: Option<i64>,
) -> ApiResult<AttemptView> {
    engine::submit(state, &by_kind(state), auth, id, key, prediction).await
}

/// See [`engine::sweep`].
pub async fn sweep(state: &AppState) -> ApiResult<usize> {
    engine::sweep(state, &by_kind(state)).await
}

/// What a quiz belongs to, for the pages' links back from an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The quiz that completes lesson `lesson_id` of course `course_id`.
    Lesson { lesson_id: i32, course_id: i32 },
    /// The final test of course `course_id`.
    FinalTest { course_id: i32 },
    /// The paper of a contest round, with the question participants answer with a number.
    Round {
        round_id: i32,
        contest_id: i32,
        prediction_question: Option<String>,
    },
}

/// The quiz `quiz_id` (from the cache) and what it belongs to.
///
/// Fails with 404 `quiz_not_found` when there is no such quiz or its lesson, course or round
/// is gone, or when the database does not answer.
pub async fn origin(
    state: &AppState,
    quiz_id: i32,
) -> ApiResult<(std::sync::Arc<quizzes::Model>, Origin)> {
    let quiz = engine::quiz(state, quiz_id).await?;
    let gone = || crate::error::ApiError::from(Code::QuizNotFound);
    let origin = match quiz.kind {
        QuizKind::ContestRound => {
            let facts = super::rounds::of_quiz(state, quiz_id)
                .await?
                .ok_or_else(gone)?;
            Origin::Round {
                round_id: facts.round.id,
                contest_id: facts.round.contest_id,
                prediction_question: facts.round.prediction_question.clone(),
            }
        }
        QuizKind::FinalTest => Origin::FinalTest {
            course_id: quiz.course_id.ok_or_else(gone)?,
        },
        QuizKind::LessonQuiz => {
            let lesson = crate::store::courses::lesson_by_quiz(&state.db, quiz_id)
                .await?
                .ok_or_else(gone)?;
            Origin::Lesson {
                lesson_id: lesson.id,
                course_id: lesson.course_id,
            }
        }
    };
    Ok((quiz, origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idempotency_key_is_one_to_two_hundred_visible_ascii_characters() {
        assert_eq!(
            idempotency_key("  3f2a-9c  ").ok().as_deref(),
            Some("3f2a-9c")
        );
        assert_eq!(
            idempotency_key(&"k".repeat(200)).ok().map(|k| k.len()),
            Some(200)
        );
        for bad in ["", "   ", "có dấu", "a b", "tab\there", &"k".repeat(201)] {
            let e = idempotency_key(bad).err();
            assert_eq!(
                e.as_ref().map(|e| e.code()),
                Some(Code::InvalidIdempotencyKey.as_str()),
                "{bad:?}"
            );
        }
    }
}
