//! The unit board of a contest: units by participants, absolute and per member.

use std::{collections::HashMap, sync::Arc, time::Duration};

use moka::sync::Cache;
use tokio::sync::OnceCell;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::ranking,
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitRow {
    pub unit_id: i32,
    pub unit_name: String,
    pub participants: u32,
    pub members: u32,
    /// Participants per thousand members.
    pub rate_permille: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitBoard {
    pub contest_id: i32,
    pub round_id: Option<i32>,
    /// Depth in the unit tree the figures are rolled up to (1 = the root).
    pub level: usize,
    pub by_participants: Vec<UnitRow>,
    pub by_rate: Vec<UnitRow>,
}

/// The contest a unit board is asked for, as its caller (who checked the audience) saw it.
#[derive(Debug, Clone)]
pub struct ContestScope {
    pub id: i32,
    pub owner_unit_id: i32,
    /// Its rounds' ids.
    pub rounds: Vec<i32>,
}

/// Units by participants, absolute and per member, rolled up to one level of the tree. A
/// participant counts once, in the unit they belonged to when they took part. Members are the
/// unit's declared member count, or else the accounts registered in its subtree.
pub async fn unit_board(
    state: &AppState,
    c: &ContestScope,
    round_id: Option<i32>,
    level: Option<usize>,
) -> ApiResult<UnitBoard> {
    let contest_id = c.id;
    let rounds: Vec<i32> = match round_id {
        Some(id) if c.rounds.contains(&id) => vec![id],
        Some(_) => {
            return Err(Code::RoundNotFound.with("Vòng thi không thuộc cuộc thi này"));
        }
        None => c.rounds.clone(),
    };
    let owner = store::units::find(&state.db, c.owner_unit_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::UnitNotFound))?;
    let level = level
        .unwrap_or(crate::domain::unit::path_ids(&owner.path).len() + 1)
        .max(1);
    let units = store::units::list(&state.db, true).await?;
    let by_id: HashMap<i32, &entity::units::Model> = units.iter().map(|u| (u.id, u)).collect();
    let roll_up = |unit: i32| -> Option<i32> {
        let ids = crate::domain::unit::path_ids(&by_id.get(&unit)?.path);
        ids.get(level - 1).copied()
    };

    let mut seen: HashMap<Uuid, i32> = HashMap::new();
    for rid in rounds {
        let Some(r) = store::contests::round(&state.db, rid).await? else {
            continue;
        };
        for (user, unit) in store::contests::participations(&state.db, r.quiz_id).await? {
            if let Some(u) = unit.and_then(roll_up) {
                seen.entry(user).or_insert(u);
            }
        }
    }
    let mut participants: HashMap<i32, u32> = HashMap::new();
    for unit in seen.values() {
        *participants.entry(*unit).or_default() += 1;
    }
    let registered = store::users::count_by_unit(&state.db).await?;
    let mut members: HashMap<i32, u32> = HashMap::new();
    for (unit, n) in registered {
        if let Some(top) = roll_up(unit) {
            *members.entry(top).or_default() += n;
        }
    }
    let tallies: Vec<ranking::UnitTally> = units
        .iter()
        .filter(|u| {
            crate::domain::unit::path_ids(&u.path).len() == level
                && crate::domain::unit::in_subtree(&u.path, &owner.path)
        })
        .map(|u| ranking::UnitTally {
            unit_id: u.id,
            participants: participants.get(&u.id).copied().unwrap_or(0),
            members: u
                .member_count
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or_else(|| members.get(&u.id).copied().unwrap_or(0)),
        })
        .collect();
    let (a, b) = ranking::unit_standings(&tallies);
    let row = |s: ranking::UnitStanding| UnitRow {
        unit_name: by_id
            .get(&s.unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        unit_id: s.unit_id,
        participants: s.participants,
        members: s.members,
        rate_permille: s.rate_permille,
    };
    Ok(UnitBoard {
        contest_id,
        round_id,
        level,
        by_participants: a.into_iter().map(row).collect(),
        by_rate: b.into_iter().map(row).collect(),
    })
}

/// Unit boards of the participant pages, held this long: the board is an aggregate over every
/// participation of the contest, too heavy to count on each page view of a busy round.
const RECENT_TTL: Duration = Duration::from_secs(30);
/// Contest, round and level combinations held at once.
const RECENT: u64 = 2_000;

/// Unit boards as they were at most [`RECENT_TTL`] ago, per contest, round and level. Each
/// entry is a cell filled once: the phones that miss it together wait for one computation
/// instead of each running their own.
pub struct RecentUnitBoards(Cache<RecentKey, Arc<OnceCell<Arc<UnitBoard>>>>);

/// A contest, a round of it (or all of them), a level of units (or the leaves).
type RecentKey = (i32, Option<i32>, Option<usize>);

impl Default for RecentUnitBoards {
    fn default() -> Self {
        RecentUnitBoards(
            Cache::builder()
                .max_capacity(RECENT)
                .time_to_live(RECENT_TTL)
                .build(),
        )
    }
}

/// [`unit_board`], from the recent ones when computed in the last [`RECENT_TTL`] (the pages'
/// unit standing; the API counts afresh).
///
/// Fails as [`unit_board`] does; a failure is not kept, so the next caller tries again.
pub async fn recent_unit_board(
    state: &AppState,
    c: &ContestScope,
    round_id: Option<i32>,
    level: Option<usize>,
) -> ApiResult<Arc<UnitBoard>> {
    let cell = state
        .unit_boards
        .0
        .get_with((c.id, round_id, level), || Arc::new(OnceCell::new()));
    let board = cell
        .get_or_try_init(|| async {
            Ok::<_, ApiError>(Arc::new(unit_board(state, c, round_id, level).await?))
        })
        .await?;
    Ok(board.clone())
}
