//! The finaliser: a closed round's final results, ranked and with prizes, stored once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{RoundEnd, round_not_found};
use crate::{
    domain::ranking::{self, Entry},
    error::ApiResult,
    services::{boards, certificates, engine},
    state::AppState,
    store::{
        self,
        contests::{NewResult, RankedAttempt},
    },
};

fn entry_of(a: &RankedAttempt) -> Option<Entry> {
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
/// true figure is known now), allocates the prizes and issues the winners' certificates. Idempotent and safe with several instances:
/// a lease on the round lets one finaliser work, and the results and the round's finalised
/// state are written in one transaction (all or nothing).
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
    for a in store::contests::ranked_attempts(&state.db, quiz.id).await? {
        if let Some(e) = entry_of(&a) {
            attempt_of.insert((a.user_id, e.submitted_at), a.id);
            by_user.entry(a.user_id).or_default().push(e);
        }
    }
    let rule = &c.ranking;
    let entries: Vec<Entry> = by_user
        .values()
        .filter_map(|v| ranking::best_attempt(v, rule.time_mode, r.opens_at))
        .collect();
    let truth = ranking::true_figure(&entries, rule.prediction_target);
    let ranked = ranking::rank(entries, rule, r.opens_at);
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
    let awards: HashMap<Uuid, String> = ranking::award(&ranked, &c.prizes, &earlier)
        .into_iter()
        .map(|a| (a.user_id, a.tier))
        .collect();
    let people = boards::people(
        state,
        &ranked.iter().map(|x| x.entry.user_id).collect::<Vec<_>>(),
    )
    .await?;
    let rows: Vec<NewResult> = ranked
        .iter()
        .map(|x| {
            let who = people.get(&x.entry.user_id);
            NewResult {
                rank: i32::try_from(x.rank).unwrap_or(i32::MAX),
                user_id: x.entry.user_id,
                attempt_id: attempt_of
                    .get(&(x.entry.user_id, x.entry.submitted_at))
                    .copied()
                    .unwrap_or_default(),
                unit_id: x.entry.unit_id,
                unit_name: who.and_then(|p| p.unit_name.clone()),
                display_name: who.map_or_else(|| "Ẩn danh".to_owned(), |p| p.display_name.clone()),
                correct: i32::try_from(x.entry.correct).unwrap_or(0),
                total: i32::try_from(x.entry.total).unwrap_or(0),
                duration_ms: x.entry.duration_ms,
                time_ms: x.time_ms,
                prediction: x.entry.prediction,
                prediction_error: x.prediction_error,
                attempts_used: i32::try_from(x.entry.attempts_used).unwrap_or(0),
                submitted_at: x.entry.submitted_at,
                prize: awards.get(&x.entry.user_id).cloned(),
            }
        })
        .collect();
    let tx = store::begin(&state.db).await?;
    store::contests::store_results(&tx, r.id, &rows, truth, now).await?;
    let certificates = certificates::issue_for_round(&tx, state, &c, &r, &rows, now).await?;
    tx.commit().await?;
    // Board reads show the round's state: let this process see it finalised at once.
    state.rounds.forget_round(r.id);
    tracing::info!(
        round_id = r.id,
        participants = ranked.len(),
        true_figure = truth,
        prizes = awards.len(),
        certificates,
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
