//! The content report over the live banks a caller may read (see `domain::content::report`):
//! what a province's content editor reviews each quarter.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::banks::{Scope, require_staff};
use crate::{
    auth::Caller,
    domain::{
        content::{
            replaced::Replacements,
            report::{self, BankContent, ContentReport},
        },
        time::vn_today,
    },
    error::ApiResult,
    state::AppState,
    store,
};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The day the report is for (default: today, Vietnam time), `YYYY-MM-DD`.
    pub on: Option<NaiveDate>,
}

/// The report over the live questions of every bank the caller may read (admins: all; an
/// organizer: the banks of their units and the units above).
pub async fn report(
    state: &AppState,
    actor: &Caller,
    on: Option<NaiveDate>,
) -> ApiResult<ContentReport> {
    require_staff(actor)?;
    let scope = Scope::load(state).await?;
    let mut banks: Vec<BankContent> = Vec::new();
    for b in store::banks::list(&state.db).await? {
        if !scope.may_read(actor, &b) {
            continue;
        }
        let questions = store::banks::live_questions(&state.db, b.id)
            .await?
            .iter()
            .map(|(key, v)| v.to_def(key))
            .collect();
        banks.push(BankContent {
            slug: b.slug,
            title: b.title,
            questions,
        });
    }
    let on = on.unwrap_or_else(|| vn_today(state.clock.now()));
    Ok(report::build(&banks, Replacements::shipped(), on))
}
