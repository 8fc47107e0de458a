//! Creating and changing contests and their rounds (organizers of the owning unit, admins).

use chrono::{DateTime, Utc};
use entity::{contests, quizzes, rounds};
use sea_orm::ActiveValue::Set;

use super::{
    ContestChange, ContestView, NewContest, NewRound, ROUND_QUIZ, RoundChange, RoundView, json,
    not_found, owner_unit, prizes_of, ranking_of, round_not_found, round_view, view,
};
use crate::{
    auth::Caller,
    domain::{
        banks::nfc,
        course::Review,
        paper::{self, DrawRule, Purpose},
        ranking::PrizeRule,
        text,
    },
    error::{ApiError, ApiResult, Code},
    services::banks,
    state::AppState,
    store,
};

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
    round_view(state, actor.id, r, now).await
}
