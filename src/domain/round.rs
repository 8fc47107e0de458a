//! A contest round's state, from its window and whether its results are stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a round stands at a moment: before its window, in it, after it, or with its final
/// results stored (which only happens after it closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    Upcoming,
    Open,
    Closed,
    Finalised,
}

impl RoundState {
    /// The state at `now` of a round open from `opens_at` (inclusive) to `closes_at`
    /// (exclusive), finalised when `finalised` says so.
    pub fn at(
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
        finalised: bool,
        now: DateTime<Utc>,
    ) -> Self {
        if finalised {
            RoundState::Finalised
        } else if now < opens_at {
            RoundState::Upcoming
        } else if now < closes_at {
            RoundState::Open
        } else {
            RoundState::Closed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_round_is_open_from_its_opening_up_to_but_not_at_its_close() {
        let opens = Utc::now();
        let closes = opens + Duration::hours(1);
        let at = |t| RoundState::at(opens, closes, false, t);
        assert_eq!(at(opens - Duration::seconds(1)), RoundState::Upcoming);
        assert_eq!(at(opens), RoundState::Open);
        assert_eq!(at(closes), RoundState::Closed);
        assert_eq!(
            RoundState::at(opens, closes, true, opens),
            RoundState::Finalised
        );
        assert_eq!(
            serde_json::to_string(&RoundState::Finalised).unwrap(),
            "\"finalised\""
        );
    }
}
