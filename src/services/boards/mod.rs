//! Reading boards: the live board of a round (Redis or memory), the caller's place on it
//! (`live`), the unit board of a contest (`unit`), and a round's stored results and their
//! export (`results`). Names shown on boards are masked and nothing else personal leaves: no
//! phone, e-mail or birth date.

mod live;
mod results;
mod unit;

pub use live::{
    Board, BoardEntry, Finished, MyPlace, StaleBoards, ensure_board, heal, live_score, me, page,
    rebuild, rebuild_round, record,
};
pub use results::{ResultRow, Results, export_rows, results};
pub use unit::{ContestScope, RecentUnitBoards, UnitBoard, UnitRow, recent_unit_board, unit_board};

use std::{collections::HashMap, sync::Arc};

use uuid::Uuid;

use crate::{
    domain::text::mask_name,
    error::{ApiError, ApiResult, Code},
    services::caches::Shown,
    state::AppState,
    store,
};

/// The board of a round (the key's hash tag keeps a round's keys on one cluster slot).
pub fn board_key(round_id: i32) -> String {
    format!("round:{round_id}")
}

/// The shown names of these users, reading the ones not cached in one query.
pub async fn people(state: &AppState, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Arc<Shown>>> {
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    for id in ids {
        match state.names.get(id) {
            Some(s) => {
                out.insert(*id, s);
            }
            None => missing.push(*id),
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    for u in store::users::board_names(&state.db, &missing).await? {
        let shown = Arc::new(Shown {
            display_name: if u.erased {
                "Ẩn danh".to_owned()
            } else {
                mask_name(&u.full_name)
            },
            unit_name: u.unit_name,
        });
        state.names.insert(u.id, shown.clone());
        out.insert(u.id, shown);
    }
    Ok(out)
}

fn unavailable(e: anyhow::Error) -> ApiError {
    tracing::warn!(error = %e, "leaderboard backend unavailable");
    Code::LeaderboardUnavailable.into()
}
