//! Contests and their rounds: the shared types and views. Administration (creating and
//! changing contests and rounds) is in `admin`, taking part (lists, starting a round attempt,
//! the board write after each attempt) in `participation`, and the finaliser that stores a
//! round's results in `finaliser`.

mod admin;
mod finaliser;
mod participation;

pub use admin::{add_round, change, change_round, create};
pub use finaliser::{finalise, finalise_due};
pub use participation::{RoundEnd, get, list, on_attempt_finished, start};

use chrono::{DateTime, Utc};
use entity::rounds;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    boards::{self, ContestScope, UnitBoard},
    quizzes,
};
use crate::{
    auth::AuthUser,
    domain::{
        course::Audience,
        paper::DrawRule,
        ranking::{PrizeRule, RankingRule},
        round::RoundState,
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

pub use crate::store::contests::Contest;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContest {
    /// Stable slug.
    /// Lower-case ASCII letters, digits and `-`, e.g. `tu-hao-viet-nam-2026`.
    #[schema(pattern = "^[a-z0-9-]{1,64}$")]
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The unit that runs the contest; its organizers (and those above) manage it.
    pub owner_unit_id: i32,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub ranking: RankingRule,
    #[serde(default = "no_prizes")]
    pub prizes: PrizeRule,
    /// One individual prize per person across the contest's rounds.
    #[serde(default)]
    pub one_prize_per_person: bool,
}

fn no_prizes() -> PrizeRule {
    PrizeRule {
        tiers: Vec::new(),
        max_share_percent: 0,
        min_correct: 0,
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContestChange {
    pub title: Option<String>,
    pub description: Option<String>,
    pub audience: Option<Audience>,
    pub ranking: Option<RankingRule>,
    pub prizes: Option<PrizeRule>,
    pub one_prize_per_person: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    pub title: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub draw: Vec<DrawRule>,
    pub time_limit_minutes: u32,
    /// Attempts per participant in this round (the best counts), at most 100; 0: unlimited.
    #[schema(maximum = 100)]
    pub attempts_allowed: u32,
    /// E.g. "Có bao nhiêu người trả lời đúng tất cả các câu hỏi của tuần này?"
    #[serde(default)]
    pub prediction_question: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundChange {
    pub title: Option<String>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub draw: Option<Vec<DrawRule>>,
    pub time_limit_minutes: Option<u32>,
    /// At most 100; 0: unlimited.
    #[schema(maximum = 100)]
    pub attempts_allowed: Option<u32>,
    pub prediction_question: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundView {
    pub id: i32,
    pub contest_id: i32,
    pub number: i32,
    pub title: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub state: RoundState,
    pub questions: u32,
    pub time_limit_minutes: i32,
    /// 0: unlimited.
    pub attempts_allowed: i32,
    /// For the caller: attempts made and left (None when unlimited).
    pub attempts_used: i32,
    pub attempts_left: Option<i32>,
    pub prediction_question: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContestView {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub owner_unit_id: i32,
    pub audience: Audience,
    pub ranking: RankingRule,
    pub prizes: PrizeRule,
    pub one_prize_per_person: bool,
    pub rounds: Vec<RoundView>,
}

fn not_found() -> ApiError {
    ApiError::from(Code::ContestNotFound)
}

fn round_not_found() -> ApiError {
    ApiError::from(Code::RoundNotFound)
}

/// A round's state at `now`.
pub fn state_of(r: &rounds::Model, now: DateTime<Utc>) -> RoundState {
    RoundState::at(r.opens_at, r.closes_at, r.finalised_at.is_some(), now)
}

async fn owner_unit(state: &AppState, id: i32) -> ApiResult<entity::units::Model> {
    store::units::find(&state.db, id)
        .await?
        .ok_or_else(|| Code::UnknownUnit.field("owner_unit_id"))
}

async fn round_view(
    state: &AppState,
    user: Uuid,
    r: rounds::Model,
    now: DateTime<Utc>,
) -> ApiResult<RoundView> {
    let quiz = store::courses::quiz(&state.db, r.quiz_id)
        .await?
        .ok_or_else(round_not_found)?;
    let facts = quizzes::facts(state, &quiz, user).await?;
    Ok(RoundView {
        id: r.id,
        contest_id: r.contest_id,
        number: r.number,
        state: state_of(&r, now),
        title: r.title,
        opens_at: r.opens_at,
        closes_at: r.closes_at,
        questions: facts.questions,
        time_limit_minutes: facts.time_limit_minutes,
        attempts_allowed: facts.attempts_allowed,
        attempts_used: facts.attempts_used,
        attempts_left: facts.attempts_left,
        prediction_question: r.prediction_question,
    })
}

async fn view(state: &AppState, user: Uuid, c: Contest) -> ApiResult<ContestView> {
    let now = state.clock.now();
    let mut rounds = Vec::new();
    for r in store::contests::rounds_of(&state.db, c.id).await? {
        rounds.push(round_view(state, user, r, now).await?);
    }
    Ok(ContestView {
        audience: c.audience,
        ranking: c.ranking,
        prizes: c.prizes,
        id: c.id,
        slug: c.slug,
        title: c.title,
        description: c.description,
        owner_unit_id: c.owner_unit_id,
        one_prize_per_person: c.one_prize_per_person,
        rounds,
    })
}

/// The unit board of a contest the caller may see (see [`boards::unit_board`]).
///
/// Fails with 404 when the contest is not there for the caller, or the round is not the
/// contest's.
pub async fn unit_board(
    state: &AppState,
    auth: AuthUser,
    id: i32,
    round_id: Option<i32>,
    level: Option<usize>,
) -> ApiResult<UnitBoard> {
    let c = get(state, auth, id).await?;
    boards::unit_board(state, &scope(&c), round_id, level).await
}

/// The scope of a unit board of contest `c`, as its caller saw it.
pub fn scope(c: &ContestView) -> ContestScope {
    ContestScope {
        id: c.id,
        owner_unit_id: c.owner_unit_id,
        rounds: c.rounds.iter().map(|r| r.id).collect(),
    }
}
