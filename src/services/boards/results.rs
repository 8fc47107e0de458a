//! A round's final results as stored by the finaliser, and their export with contact details.

use std::collections::HashMap;

use entity::{round_results, rounds};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{AuthUser, Caller},
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultRow {
    pub rank: i32,
    pub display_name: String,
    pub unit_name: Option<String>,
    pub correct: i32,
    pub total: i32,
    pub duration_ms: i64,
    /// The time the ranking used (duration, or since the round opened).
    pub time_ms: i64,
    pub prediction: Option<i64>,
    pub prediction_error: Option<i64>,
    pub attempts_used: i32,
    pub prize: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Results {
    pub round_id: i32,
    pub finalised_at: chrono::DateTime<chrono::Utc>,
    /// The true figure the prediction question asked for.
    pub true_figure: Option<i64>,
    pub participants: usize,
    pub entries: Vec<ResultRow>,
    pub prizes: Vec<ResultRow>,
}

async fn stored(
    state: &AppState,
    _auth: AuthUser,
    round_id: i32,
) -> ApiResult<(rounds::Model, Vec<round_results::Model>)> {
    // Fresh from the database, not the board's round cache: results appear the moment the
    // finaliser stores them. Like the boards, results show masked names to any logged-in user.
    let r = store::contests::round(&state.db, round_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::RoundNotFound))?;
    if r.finalised_at.is_none() {
        return Err(ApiError::from(Code::ResultsNotReady));
    }
    let rows = store::contests::results(&state.db, r.id).await?;
    Ok((r, rows))
}

pub async fn results(state: &AppState, auth: AuthUser, round_id: i32) -> ApiResult<Results> {
    let (r, rows) = stored(state, auth, round_id).await?;
    let shown = |x: &round_results::Model| ResultRow {
        rank: x.rank,
        display_name: x.display_name.clone(),
        unit_name: x.unit_name.clone(),
        correct: x.correct,
        total: x.total,
        duration_ms: x.duration_ms,
        time_ms: x.time_ms,
        prediction: x.prediction,
        prediction_error: x.prediction_error,
        attempts_used: x.attempts_used,
        prize: x.prize.clone(),
    };
    Ok(Results {
        round_id: r.id,
        finalised_at: r.finalised_at.unwrap_or_default(),
        true_figure: r.true_figure,
        participants: rows.len(),
        prizes: rows
            .iter()
            .filter(|x| x.prize.is_some())
            .map(shown)
            .collect(),
        entries: rows.iter().map(shown).collect(),
    })
}

/// The final results with contact details, for the organizers who must reach the winners.
///
/// Every row is there (the ranking stays true), but phone and e-mail only for the people the
/// caller is responsible for: participants whose unit is in a subtree the caller organizes
/// (admins: everyone), and the prize winners for the organizers of the contest's owning unit
/// (or above), who hand out the prizes. A district that runs a province-wide contest does
/// not get the phones of the other districts' members.
pub async fn export_rows(
    state: &AppState,
    auth: AuthUser,
    round_id: i32,
) -> ApiResult<(String, Vec<Vec<String>>)> {
    let (r, rows) = stored(state, auth, round_id).await?;
    let c = store::contests::contest(&state.db, r.contest_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::ContestNotFound))?;
    let actor = Caller::load(&state.db, auth.id).await?;
    let owner = store::units::find(&state.db, c.owner_unit_id).await?;
    let runs_contest = owner.as_ref().is_some_and(|u| actor.may_act_within(u));
    actor.require(runs_contest)?;
    let ids: Vec<Uuid> = rows.iter().map(|x| x.user_id).collect();
    let users: HashMap<Uuid, entity::users::Model> = store::users::find_many(&state.db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let unit_ids: Vec<i32> = users.values().filter_map(|u| u.unit_id).collect();
    let units: HashMap<i32, entity::units::Model> = store::units::find_by_ids(&state.db, &unit_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    // The person's unit now: an organizer answers for the people of their subtree today.
    let in_my_subtree = |u: &entity::users::Model| {
        u.unit_id
            .and_then(|id| units.get(&id))
            .is_some_and(|unit| actor.may_act_within(unit))
    };
    let may_contact = |x: &round_results::Model, u: &entity::users::Model| {
        u.deleted_at.is_none()
            && (actor.is_admin || in_my_subtree(u) || (x.prize.is_some() && runs_contest))
    };
    let header = [
        "Hạng",
        "Họ và tên",
        "Đơn vị",
        "Số câu đúng",
        "Tổng số câu",
        "Thời gian (giây)",
        "Dự đoán",
        "Sai số dự đoán",
        "Giải",
        "Điện thoại",
        "E-mail",
    ];
    let mut out = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for x in &rows {
        let u = users.get(&x.user_id);
        let contact = u.filter(|u| may_contact(x, u));
        out.push(vec![
            x.rank.to_string(),
            u.map_or_else(|| x.display_name.clone(), |u| u.full_name.clone()),
            x.unit_name.clone().unwrap_or_default(),
            x.correct.to_string(),
            x.total.to_string(),
            format!("{:.3}", x.time_ms as f64 / 1000.0),
            x.prediction.map(|p| p.to_string()).unwrap_or_default(),
            x.prediction_error
                .map(|p| p.to_string())
                .unwrap_or_default(),
            x.prize.clone().unwrap_or_default(),
            contact.and_then(|u| u.phone.clone()).unwrap_or_default(),
            contact.and_then(|u| u.email.clone()).unwrap_or_default(),
        ]);
    }
    Ok((format!("ket-qua-{}-vong-{}", c.slug, r.number), out))
}
