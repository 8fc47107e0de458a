//! Contests and their rounds: who may create and take them, starting a round attempt, the
//! board write after each attempt, and the finaliser that stores a round's results.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{attempts, contests, quizzes, round_results, rounds};
use futures_util::future::BoxFuture;
use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    access, banks, boards,
    engine::{self, AttemptView, Completion, StartRules},
};
use crate::{
    auth::{AuthUser, Caller},
    domain::{
        banks::nfc,
        course::{Audience, Review},
        paper::{self, DrawRule, Purpose},
        ranking::{self, Entry, PrizeRule, RankingRule},
        text,
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store::{self, Tx},
};

/// The kind of quiz a round owns.
pub const ROUND_QUIZ: &str = "contest_round";

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
    /// `upcoming`, `open`, `closed` or `finalised`.
    pub state: String,
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
pub fn state_of(r: &rounds::Model, now: DateTime<Utc>) -> &'static str {
    if r.finalised_at.is_some() {
        "finalised"
    } else if now < r.opens_at {
        "upcoming"
    } else if now < r.closes_at {
        "open"
    } else {
        "closed"
    }
}

fn json<T: Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(|e| ApiError::Internal(e.into()))
}

pub fn audience_of(c: &contests::Model) -> Audience {
    access::audience(&c.audience_categories, &c.audience_units)
}

pub fn ranking_of(c: &contests::Model) -> RankingRule {
    serde_json::from_str(&c.ranking_rule).unwrap_or_default()
}

fn prizes_of(c: &contests::Model) -> PrizeRule {
    serde_json::from_str(&c.prize_rule).unwrap_or_else(|_| no_prizes())
}

async fn owner_unit(state: &AppState, id: i32) -> ApiResult<entity::units::Model> {
    store::units::find(&state.db, id)
        .await?
        .ok_or_else(|| Code::UnknownUnit.field("owner_unit_id"))
}

async fn managed(state: &AppState, actor: &Caller, id: i32) -> ApiResult<contests::Model> {
    let c = store::contests::contest(&state.db, id)
        .await?
        .ok_or_else(not_found)?;
    let unit = owner_unit(state, c.owner_unit_id).await?;
    actor.require(actor.may_act_within(&unit))?;
    Ok(c)
}

fn check_prizes(p: &PrizeRule) -> ApiResult<()> {
    if p.max_share_percent > 100 || p.tiers.iter().any(|t| t.name.trim().is_empty()) {
        return Err(Code::InvalidPrizes.field("prizes"));
    }
    Ok(())
}

pub async fn create(state: &AppState, actor: &Caller, new: NewContest) -> ApiResult<ContestView> {
    if !crate::domain::banks::valid_slug(&new.slug) {
        return Err(Code::InvalidSlug.field("slug"));
    }
    let title = text::clean(&new.title);
    if title.chars().count() < 3 {
        return Err(Code::InvalidTitle.field("title"));
    }
    check_prizes(&new.prizes)?;
    let unit = owner_unit(state, new.owner_unit_id).await?;
    actor.require(actor.may_act_within(&unit))?;
    let now = state.clock.now();
    let c = store::contests::insert_contest(
        &state.db,
        contests::ActiveModel {
            slug: Set(new.slug),
            title: Set(title),
            description: Set(nfc(&new.description)),
            owner_unit_id: Set(unit.id),
            audience_categories: Set(json(&new.audience.categories)?),
            audience_units: Set(json(&new.audience.units)?),
            ranking_rule: Set(json(&new.ranking)?),
            prize_rule: Set(json(&new.prizes)?),
            one_prize_per_person: Set(new.one_prize_per_person),
            created_by: Set(Some(actor.id)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(contest_id = c.id, actor = %actor.id, "contest created");
    view(state, actor.id, c).await
}

pub async fn change(
    state: &AppState,
    actor: &Caller,
    id: i32,
    ch: ContestChange,
) -> ApiResult<ContestView> {
    let c = managed(state, actor, id).await?;
    // Once a round has opened, participants play by the announced rules: the ranking (and so
    // the live board's score encoding) and the prizes no longer change.
    // Compared as rules, not as stored text: the same rule written with other key order (or
    // by an older version) is no change.
    let ranking_changes = ch.ranking.as_ref().is_some_and(|r| *r != ranking_of(&c));
    let prizes_change = ch.prizes.as_ref().is_some_and(|p| *p != prizes_of(&c));
    if (ranking_changes || prizes_change)
        && store::contests::has_opened(&state.db, c.id, state.clock.now()).await?
    {
        return Err(ApiError::from(Code::ContestFrozen));
    }
    let mut row: contests::ActiveModel = c.into();
    if let Some(t) = ch.title {
        row.title = Set(text::clean(&t));
    }
    if let Some(d) = ch.description {
        row.description = Set(nfc(&d));
    }
    if let Some(a) = ch.audience {
        row.audience_categories = Set(json(&a.categories)?);
        row.audience_units = Set(json(&a.units)?);
    }
    if let Some(r) = ch.ranking {
        row.ranking_rule = Set(json(&r)?);
    }
    if let Some(p) = ch.prizes {
        check_prizes(&p)?;
        row.prize_rule = Set(json(&p)?);
    }
    if let Some(one) = ch.one_prize_per_person {
        row.one_prize_per_person = Set(one);
    }
    row.updated_at = Set(state.clock.now());
    let c = store::contests::update_contest(&state.db, row).await?;
    state.questions.forget_rounds(None);
    view(state, actor.id, c).await
}

async fn check_draw(state: &AppState, draw: &[DrawRule]) -> ApiResult<()> {
    if draw.is_empty() || draw.iter().any(|r| r.count == 0) {
        return Err(Code::InvalidDraw.field("draw"));
    }
    let slugs: Vec<String> = draw.iter().map(|r| r.bank.clone()).collect();
    let pools = state.questions.pools(&state.db, &slugs).await?;
    paper::check_rules(draw, &pools)
        .map_err(|e| Code::InvalidDraw.field_with("draw", format!("Không đủ câu hỏi: {e}")))?;
    banks::claim_for(state, draw, Purpose::Contest).await
}

/// Attempts per participant: 1 to 100, or 0 for unlimited.
const MAX_ATTEMPTS: u32 = 100;

fn attempts_allowed(n: u32) -> ApiResult<i32> {
    if n > MAX_ATTEMPTS {
        return Err(Code::InvalidAttemptsAllowed.field_with(
            "attempts_allowed",
            format!("Số lượt làm bài phải từ 1 đến {MAX_ATTEMPTS} (0: không giới hạn)"),
        ));
    }
    Ok(i32::try_from(n).unwrap_or(0))
}

fn check_window(opens: DateTime<Utc>, closes: DateTime<Utc>, minutes: u32) -> ApiResult<()> {
    if closes <= opens {
        return Err(Code::InvalidWindow.field("closes_at"));
    }
    if !(1..=600).contains(&minutes) {
        return Err(Code::InvalidTimeLimit.field("time_limit_minutes"));
    }
    Ok(())
}

pub async fn add_round(
    state: &AppState,
    actor: &Caller,
    contest_id: i32,
    new: NewRound,
) -> ApiResult<RoundView> {
    let c = managed(state, actor, contest_id).await?;
    check_window(new.opens_at, new.closes_at, new.time_limit_minutes)?;
    let allowed = attempts_allowed(new.attempts_allowed)?;
    check_draw(state, &new.draw).await?;
    let now = state.clock.now();
    let title = text::clean(&new.title);
    let r = store::contests::insert_round(
        &state.db,
        quizzes::ActiveModel {
            title: Set(format!("{} — {title}", c.title)),
            kind: Set(ROUND_QUIZ.to_owned()),
            course_id: Set(None),
            draw_rules: Set(json(&new.draw)?),
            time_limit_secs: Set(i32::try_from(new.time_limit_minutes * 60).unwrap_or(i32::MAX)),
            pass_mark: Set(0),
            attempts_allowed: Set(allowed),
            review: Set(Review::Never.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
        rounds::ActiveModel {
            contest_id: Set(c.id),
            title: Set(title),
            opens_at: Set(new.opens_at),
            closes_at: Set(new.closes_at),
            prediction_question: Set(new
                .prediction_question
                .map(|q| nfc(&q))
                .filter(|q| !q.is_empty())),
            finalise_started_at: Set(None),
            finalised_at: Set(None),
            true_figure: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    tracing::info!(round_id = r.id, contest_id = c.id, "round created");
    round_view(state, actor.id, r, now).await
}

/// Changes a round. Once it has opened its rules are frozen: only the title and a later
/// closing time may still change.
pub async fn change_round(
    state: &AppState,
    actor: &Caller,
    id: i32,
    ch: RoundChange,
) -> ApiResult<RoundView> {
    let r = store::contests::round(&state.db, id)
        .await?
        .ok_or_else(round_not_found)?;
    managed(state, actor, r.contest_id).await?;
    let now = state.clock.now();
    // A round that has closed never re-opens: its participants are done, its board final.
    if now >= r.closes_at && ch.closes_at.is_some_and(|c| c != r.closes_at) {
        return Err(ApiError::from(Code::RoundClosed));
    }
    let allowed = ch.attempts_allowed.map(attempts_allowed).transpose()?;
    let opened = now >= r.opens_at;
    let touches_rules = ch.opens_at.is_some()
        || ch.draw.is_some()
        || ch.time_limit_minutes.is_some()
        || ch.attempts_allowed.is_some()
        || ch.prediction_question.is_some()
        || ch.closes_at.is_some_and(|c| c < r.closes_at);
    if opened && touches_rules {
        return Err(ApiError::from(Code::RoundFrozen));
    }
    let quiz = store::courses::quiz(&state.db, r.quiz_id)
        .await?
        .ok_or_else(round_not_found)?;
    let opens = ch.opens_at.unwrap_or(r.opens_at);
    let closes = ch.closes_at.unwrap_or(r.closes_at);
    let minutes = ch
        .time_limit_minutes
        .unwrap_or(u32::try_from(quiz.time_limit_secs / 60).unwrap_or(1));
    check_window(opens, closes, minutes)?;
    if let Some(draw) = &ch.draw {
        check_draw(state, draw).await?;
    }
    let mut q: quizzes::ActiveModel = quiz.into();
    if let Some(draw) = &ch.draw {
        q.draw_rules = Set(json(draw)?);
    }
    q.time_limit_secs = Set(i32::try_from(minutes * 60).unwrap_or(i32::MAX));
    if let Some(n) = allowed {
        q.attempts_allowed = Set(n);
    }
    q.updated_at = Set(now);
    store::courses::update_quiz(&state.db, q).await?;
    let mut row: rounds::ActiveModel = r.into();
    if let Some(t) = ch.title {
        row.title = Set(text::clean(&t));
    }
    row.opens_at = Set(opens);
    row.closes_at = Set(closes);
    if let Some(p) = ch.prediction_question {
        row.prediction_question = Set(Some(nfc(&p)).filter(|q| !q.is_empty()));
    }
    row.updated_at = Set(now);
    let r = store::contests::update_round(&state.db, row).await?;
    state.questions.forget_rounds(Some(r.id));
    state.questions.forget_quiz(r.quiz_id);
    round_view(state, actor.id, r, now).await
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
    let rules: Vec<DrawRule> = serde_json::from_str(&quiz.draw_rules).unwrap_or_default();
    let used = store::attempts::of_user(&state.db, user, quiz.id)
        .await?
        .len() as i32;
    Ok(RoundView {
        id: r.id,
        contest_id: r.contest_id,
        number: r.number,
        state: state_of(&r, now).to_owned(),
        title: r.title,
        opens_at: r.opens_at,
        closes_at: r.closes_at,
        questions: rules.iter().map(|x| x.count).sum(),
        time_limit_minutes: quiz.time_limit_secs / 60,
        attempts_allowed: quiz.attempts_allowed,
        attempts_used: used,
        attempts_left: (quiz.attempts_allowed > 0).then(|| (quiz.attempts_allowed - used).max(0)),
        prediction_question: r.prediction_question,
    })
}

async fn view(state: &AppState, user: Uuid, c: contests::Model) -> ApiResult<ContestView> {
    let now = state.clock.now();
    let mut rounds = Vec::new();
    for r in store::contests::rounds_of(&state.db, c.id).await? {
        rounds.push(round_view(state, user, r, now).await?);
    }
    Ok(ContestView {
        audience: audience_of(&c),
        ranking: ranking_of(&c),
        prizes: prizes_of(&c),
        id: c.id,
        slug: c.slug,
        title: c.title,
        description: c.description,
        owner_unit_id: c.owner_unit_id,
        one_prize_per_person: c.one_prize_per_person,
        rounds,
    })
}

/// The facts audience rules need about the caller.
struct Person {
    actor: Caller,
    unit_id: Option<i32>,
    may_manage: bool,
}

async fn person(state: &AppState, auth: AuthUser) -> ApiResult<Person> {
    let actor = Caller::load(&state.db, auth.id).await?;
    Ok(Person {
        unit_id: actor.unit_id,
        may_manage: actor.is_admin || !actor.organizes.is_empty(),
        actor,
    })
}

async fn in_audience(state: &AppState, p: &Person, c: &contests::Model) -> ApiResult<bool> {
    if p.may_manage {
        return Ok(true);
    }
    access::admits(state, &p.actor, &audience_of(c)).await
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
    c: &contests::Model,
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
    let rules: Vec<DrawRule> = serde_json::from_str(&quiz.draw_rules).unwrap_or_default();
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
    let facts = state
        .questions
        .round(&state.db, round_id)
        .await?
        .ok_or_else(round_not_found)?;
    let (r, c) = (&facts.0, &facts.1);
    let p = person(state, auth).await?;
    let quiz = state
        .questions
        .quiz(&state.db, r.quiz_id)
        .await?
        .ok_or_else(round_not_found)?;
    let practice = insider(state, &p.actor, c, &quiz).await?;
    let admitted = practice || access::admits(state, &p.actor, &audience_of(c)).await?;
    if !admitted {
        return Err(ApiError::from(Code::NotInAudience));
    }
    let now = state.clock.now();
    if state_of(r, now) != "open" {
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
    fn follows(&self, _: &quizzes::Model, attempt: &attempts::Model) -> bool {
        !attempt.practice
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
    let Some(facts) = state.questions.round_of_quiz(&state.db, quiz.id).await? else {
        return Ok(());
    };
    let (r, c) = (&facts.0, &facts.1);
    let score = boards::live_score(
        ranking_of(&c).time_mode,
        a.correct,
        a.duration_ms,
        a.submitted_at,
        r.opens_at,
    );
    if let Err(e) = state
        .boards
        .record(&boards::board_key(r.id), &a.user_id.to_string(), score)
        .await
    {
        tracing::warn!(round_id = r.id, error = %e, "board write failed; the board is rebuilt when the store answers");
        state.stale_boards.mark(r.id);
    }
    Ok(())
}

fn entry_of(a: &attempts::Model) -> Option<Entry> {
    Some(Entry {
        user_id: a.user_id,
        unit_id: a.unit_id,
        correct: u32::try_from(a.correct?).ok()?,
        total: u32::try_from(a.total).ok()?,
        duration_ms: a.duration_ms.unwrap_or(0),
        started_at: a.started_at,
        submitted_at: a.submitted_at?,
        prediction: a.prediction,
        attempts_used: 1,
    })
}

/// Computes and stores a closed round's final results: closes what is still open, takes each
/// participant's best attempt, ranks with the contest's full tie-break chain (the prediction's
/// true figure is known now), allocates the prizes. Idempotent and safe with several instances:
/// a lease on the round lets one finaliser work, and results are replaced in one transaction.
/// Returns whether this call stored the results.
pub async fn finalise(state: &AppState, round_id: i32) -> ApiResult<bool> {
    let r = store::contests::round(&state.db, round_id)
        .await?
        .ok_or_else(round_not_found)?;
    let now = state.clock.now();
    // An attempt cut at the close still takes saves and its submit (with the prediction)
    // for the grace period; finalising earlier would close it with less than it sent.
    if r.finalised_at.is_some() || now < r.closes_at + engine::grace(state) {
        return Ok(false);
    }
    if !store::contests::lease_round(&state.db, r.id, now, now - LEASE).await? {
        return Ok(false);
    }
    let c = store::contests::contest(&state.db, r.contest_id)
        .await?
        .ok_or_else(round_not_found)?;
    let quiz = store::courses::quiz(&state.db, r.quiz_id)
        .await?
        .ok_or_else(round_not_found)?;
    for open in store::attempts::open_of_quiz(&state.db, quiz.id).await? {
        engine::close_expired(state, &RoundEnd(state), open, &quiz).await?;
    }
    let mut by_user: HashMap<Uuid, Vec<Entry>> = HashMap::new();
    let mut attempt_of: HashMap<(Uuid, DateTime<Utc>), Uuid> = HashMap::new();
    for a in store::attempts::finished_of_quiz(&state.db, quiz.id)
        .await?
        .into_iter()
        .filter(|a| !a.practice)
    {
        if let Some(e) = entry_of(&a) {
            attempt_of.insert((a.user_id, e.submitted_at), a.id);
            by_user.entry(a.user_id).or_default().push(e);
        }
    }
    let entries: Vec<Entry> = by_user
        .values()
        .filter_map(|v| ranking::best_attempt(v, ranking_of(&c).time_mode, r.opens_at))
        .collect();
    let rule = ranking_of(&c);
    let truth = ranking::true_figure(&entries, rule.prediction_target);
    let ranked = ranking::rank(entries, &rule, r.opens_at);
    let earlier: HashSet<Uuid> = if c.one_prize_per_person {
        let ids: Vec<i32> = store::contests::rounds_of(&state.db, c.id)
            .await?
            .iter()
            .filter(|x| x.id != r.id)
            .map(|x| x.id)
            .collect();
        store::contests::winners(&state.db, &ids)
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let awards: HashMap<Uuid, String> = ranking::award(&ranked, &prizes_of(&c), &earlier)
        .into_iter()
        .map(|a| (a.user_id, a.tier))
        .collect();
    let people = boards::people(
        state,
        &ranked.iter().map(|x| x.entry.user_id).collect::<Vec<_>>(),
    )
    .await?;
    let rows = ranked
        .iter()
        .map(|x| {
            let who = people.get(&x.entry.user_id);
            round_results::ActiveModel {
                round_id: Set(r.id),
                rank: Set(i32::try_from(x.rank).unwrap_or(i32::MAX)),
                user_id: Set(x.entry.user_id),
                attempt_id: Set(attempt_of
                    .get(&(x.entry.user_id, x.entry.submitted_at))
                    .copied()
                    .unwrap_or_default()),
                unit_id: Set(x.entry.unit_id),
                unit_name: Set(who.and_then(|p| p.unit_name.clone())),
                display_name: Set(
                    who.map_or_else(|| "Ẩn danh".to_owned(), |p| p.display_name.clone())
                ),
                correct: Set(i32::try_from(x.entry.correct).unwrap_or(0)),
                total: Set(i32::try_from(x.entry.total).unwrap_or(0)),
                duration_ms: Set(x.entry.duration_ms),
                time_ms: Set(x.time_ms),
                prediction: Set(x.entry.prediction),
                prediction_error: Set(x.prediction_error),
                attempts_used: Set(i32::try_from(x.entry.attempts_used).unwrap_or(0)),
                submitted_at: Set(x.entry.submitted_at),
                prize: Set(awards.get(&x.entry.user_id).cloned()),
                ..Default::default()
            }
        })
        .collect();
    store::contests::store_results(&state.db, r.id, rows, truth, now).await?;
    tracing::info!(
        round_id = r.id,
        participants = ranked.len(),
        true_figure = truth,
        prizes = awards.len(),
        "round finalised"
    );
    Ok(true)
}

/// How long a finaliser holds a round; a round whose finalising failed (or whose finaliser
/// died) is retried once its lease is this old.
const LEASE: Duration = Duration::minutes(10);

/// Finalises every round that has closed (and whose grace period has passed). A round that
/// fails is logged and left to a later pass (its lease goes stale); the others go on. Returns
/// how many this call finalised; fails only when the rounds cannot be listed.
pub async fn finalise_due(state: &AppState) -> ApiResult<usize> {
    let now = state.clock.now();
    let mut n = 0;
    for r in store::contests::rounds_to_finalise(&state.db, now - engine::grace(state), now - LEASE)
        .await?
    {
        match finalise(state, r.id).await {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(round_id = r.id, error = %e, "finalising the round failed; retried once its lease is stale");
            }
        }
    }
    Ok(n)
}
