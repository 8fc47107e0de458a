//! Creating and changing contests and their rounds (organizers of the owning unit, admins).
//! Each use case is one transaction; the caches this process holds are told after the commit.

use chrono::{DateTime, Utc};

use super::{
    Contest, ContestChange, ContestView, NewContest, NewRound, RoundChange, RoundView, not_found,
    owner_unit, round_not_found, round_view, view,
};
use crate::{
    auth::Caller,
    domain::{
        banks::nfc,
        paper::{self, DrawRule, Purpose},
        ranking::PrizeRule,
        text,
        time::vn_today,
    },
    error::{ApiError, ApiResult, Code},
    services::banks,
    state::AppState,
    store::{
        self,
        contests::{ContestPatch, RoundPatch, RoundQuiz},
    },
};

async fn managed(state: &AppState, actor: &Caller, id: i32) -> ApiResult<Contest> {
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
        &store::contests::NewContest {
            slug: new.slug,
            title,
            description: nfc(&new.description),
            owner_unit_id: unit.id,
            audience: new.audience,
            ranking: new.ranking,
            prizes: new.prizes,
            one_prize_per_person: new.one_prize_per_person,
            created_by: Some(actor.id),
        },
        now,
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
    let ranking_changes = ch.ranking.as_ref().is_some_and(|r| *r != c.ranking);
    let prizes_change = ch.prizes.as_ref().is_some_and(|p| *p != c.prizes);
    let tx = store::begin(&state.db).await?;
    if (ranking_changes || prizes_change)
        && store::contests::has_opened(&tx, c.id, state.clock.now()).await?
    {
        return Err(ApiError::from(Code::ContestFrozen));
    }
    if let Some(p) = &ch.prizes {
        check_prizes(p)?;
    }
    let patch = ContestPatch {
        title: ch.title.map(|t| text::clean(&t)),
        description: ch.description.map(|d| nfc(&d)),
        audience: ch.audience,
        ranking: ch.ranking,
        prizes: ch.prizes,
        one_prize_per_person: ch.one_prize_per_person,
    };
    let c = store::contests::update_contest(&tx, c.id, &patch, state.clock.now()).await?;
    tx.commit().await?;
    // Round facts hold the contest (audience, owner; boards measure time by its rule):
    // forget the rounds held with the old one.
    state.rounds.forget_all();
    view(state, actor.id, c).await
}

/// Checks that the rules draw from banks with enough questions valid on every day the round
/// is open (from `opens` to `closes`, Vietnam time); the claim of the banks for contests is
/// made within the use case's transaction ([`banks::claim_in`]).
async fn check_draw(
    state: &AppState,
    draw: &[DrawRule],
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
) -> ApiResult<()> {
    if draw.is_empty() || draw.iter().any(|r| r.count == 0) {
        return Err(Code::InvalidDraw.field("draw"));
    }
    let slugs: Vec<String> = draw.iter().map(|r| r.bank.clone()).collect();
    let pools = state.questions.pools(&state.db, &slugs).await?;
    let first = vn_today(opens.max(state.clock.now()));
    let days = paper::critical_days(&pools, first, vn_today(closes).max(first));
    paper::check_rules(draw, &pools, &days)
        .map_err(|e| Code::InvalidDraw.field_with("draw", format!("Không đủ câu hỏi: {e}")))?;
    Ok(())
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
    check_draw(state, &new.draw, new.opens_at, new.closes_at).await?;
    let now = state.clock.now();
    let title = text::clean(&new.title);
    let round = store::contests::NewRound {
        contest_id: c.id,
        quiz: RoundQuiz {
            title: format!("{} — {title}", c.title),
            draw: new.draw,
            time_limit_secs: i32::try_from(new.time_limit_minutes * 60).unwrap_or(i32::MAX),
            attempts_allowed: allowed,
        },
        title,
        opens_at: new.opens_at,
        closes_at: new.closes_at,
        prediction_question: new
            .prediction_question
            .map(|q| nfc(&q))
            .filter(|q| !q.is_empty()),
    };
    let tx = store::begin(&state.db).await?;
    banks::claim_in(&tx, &round.quiz.draw, Purpose::Contest).await?;
    let r = store::contests::insert_round(&tx, &round, now).await?;
    tx.commit().await?;
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
        check_draw(state, draw, opens, closes).await?;
    }
    let patch = RoundPatch {
        title: ch.title.map(|t| text::clean(&t)),
        opens_at: Some(opens),
        closes_at: Some(closes),
        prediction_question: ch
            .prediction_question
            .map(|p| Some(nfc(&p)).filter(|q| !q.is_empty())),
        time_limit_secs: Some(i32::try_from(minutes * 60).unwrap_or(i32::MAX)),
        attempts_allowed: allowed,
        draw: ch.draw,
    };
    let tx = store::begin(&state.db).await?;
    if let Some(draw) = &patch.draw {
        banks::claim_in(&tx, draw, Purpose::Contest).await?;
    }
    let r = store::contests::update_round(&tx, &r, &patch, now).await?;
    tx.commit().await?;
    state.rounds.forget_round(r.id);
    state.questions.attempts.forget_quiz(r.quiz_id);
    round_view(state, actor.id, r, now).await
}
