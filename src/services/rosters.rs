//! Rosters: organizers upload their unit's member list, registered here or not; the people
//! listed become the denominators of the indicators. An upload is previewed (`dry_run`) or
//! applied whole in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::{members, units};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::Caller,
    domain::{
        banks::{FileError, Problems},
        members::{self as rules, Listed, categories_of},
        person::Category,
        roster::{self, RosterRow, UnitRef},
        text::{self, fold},
        time::vn_today,
    },
    error::{ApiError, ApiResult, Code},
    services::{imports, units::find_active},
    state::AppState,
    store,
};

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
pub struct UploadParams {
    /// Only show what would change; write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an upload changes (or, with `dry_run`, would change).
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterSummary {
    pub dry_run: bool,
    pub file: String,
    pub unit_id: i32,
    /// People listed in the file.
    pub rows: usize,
    pub added: Vec<ListedPerson>,
    pub updated: Vec<ChangedPerson>,
    /// Members of the covered units the file no longer lists: marked as left (history kept).
    pub left: Vec<MemberBrief>,
    /// Listed again exactly as they were.
    pub unchanged: usize,
    /// Rows matched by phone to an account here; each person confirms the match once.
    pub matched_accounts: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListedPerson {
    pub line: usize,
    pub full_name: String,
    pub unit_id: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedPerson {
    pub member_id: i32,
    pub line: usize,
    pub full_name: String,
    pub unit_id: i32,
    /// What changes: `full_name`, `birth_date`, `phone`, `categories`, `admitted_on`, `unit`.
    pub fields: Vec<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBrief {
    pub member_id: i32,
    pub full_name: String,
    pub unit_id: i32,
}

/// A member as organizers see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub id: i32,
    pub unit_id: i32,
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub categories: Vec<Category>,
    pub admitted_on: Option<NaiveDate>,
    /// `roster` or `organizer`.
    pub source: entity::members::MemberSource,
    /// Has an account here that they confirmed as theirs.
    pub registered: bool,
    pub left_on: Option<NaiveDate>,
    pub left_reason: Option<String>,
}

impl From<members::Model> for Member {
    fn from(m: members::Model) -> Self {
        Member {
            id: m.id,
            unit_id: m.unit_id,
            full_name: m.full_name,
            birth_date: m.birth_date,
            phone: m.phone,
            categories: categories_of(m.category_mask),
            admitted_on: m.admitted_on,
            source: m.source,
            registered: m.user_id.is_some() && m.confirmed_at.is_some(),
            left_on: m.left_on,
            left_reason: m.left_reason,
        }
    }
}

/// Parses, checks and reconciles a roster file for `unit_id`; with `dry_run` writes nothing.
///
/// Fails with 403 outside the caller's subtree, 422 `roster_rejected` (the errors in
/// `details`, each with file, line, column and a Vietnamese message) when any row is wrong,
/// 422 `unsupported_file` for another format, 429 when every parsing slot is busy.
pub async fn upload(
    state: &AppState,
    caller: &Caller,
    unit_id: i32,
    file: String,
    bytes: Vec<u8>,
    dry_run: bool,
) -> ApiResult<RosterSummary> {
    let unit = find_active(state, unit_id, "unit_id").await?;
    caller.require(caller.may_act_within(&unit))?;
    if roster::RosterFormat::of(&file).is_none() {
        return Err(Code::UnsupportedFile.field("file"));
    }
    let name = file.clone();
    let parsed = imports::run_bounded(move || roster::parse(&name, &bytes)).await?;
    let rows = parsed.map_err(|errors| rejected(&file, errors))?;
    let subtree = store::units::subtree(&state.db, &unit.path).await?;
    let (listed, errors) = resolve_units(&file, &unit, &subtree, rows);
    if !errors.is_empty() {
        return Err(rejected(&file, errors));
    }
    let covered: Vec<i32> = {
        let mut c: Vec<i32> = listed.iter().map(|l| l.unit_id).collect();
        c.push(unit.id);
        c.sort_unstable();
        c.dedup();
        c
    };
    let phones: Vec<String> = listed
        .iter()
        .filter_map(|l| l.row.phone.as_ref().map(|p| p.as_str().to_owned()))
        .collect();

    let tx = store::begin(&state.db).await?;
    let mut current = store::members::live_of_units(&tx, &covered).await?;
    let in_subtree: HashMap<i32, &units::Model> = subtree.iter().map(|u| (u.id, u)).collect();
    let mut outside = Problems::new(&file);
    let known: HashSet<i32> = current.iter().map(|m| m.id).collect();
    for m in store::members::live_by_phones(&tx, &phones).await? {
        if known.contains(&m.id) {
            continue;
        }
        if in_subtree.contains_key(&m.unit_id) {
            current.push(m);
        } else {
            let line = listed
                .iter()
                .find(|l| l.row.phone.as_ref().map(|p| p.as_str()) == m.phone.as_deref())
                .map_or(0, |l| l.row.line);
            outside.at(
                line,
                0,
                "Số điện thoại này đã có trong danh sách đoàn viên của một đơn vị ngoài phạm vi \
                 đơn vị tải lên; đơn vị đó cần cho người này rời danh sách trước",
            );
        }
    }
    let outside = outside.finish();
    if !outside.is_empty() {
        return Err(rejected(&file, outside));
    }
    let accounts: HashMap<String, Uuid> = store::users::accounts_by_phones(&tx, &phones)
        .await?
        .into_iter()
        .collect();
    let account_of = |row: &RosterRow| {
        row.phone
            .as_ref()
            .and_then(|p| accounts.get(p.as_str()).copied())
    };
    let snapshot: Vec<rules::Current> = current.iter().map(store::members::current).collect();
    let plan = rules::plan(listed, &snapshot, &covered);
    let by_id: HashMap<i32, &members::Model> = current.iter().map(|m| (m.id, m)).collect();

    let matched_accounts = plan
        .added
        .iter()
        .map(|l| &l.row)
        .chain(plan.updated.iter().map(|(_, l)| &l.row))
        .filter(|r| account_of(r).is_some())
        .count();
    let summary = RosterSummary {
        dry_run,
        file: file.clone(),
        unit_id: unit.id,
        rows: plan.added.len() + plan.updated.len() + plan.unchanged.len(),
        added: plan
            .added
            .iter()
            .map(|l| ListedPerson {
                line: l.row.line,
                full_name: l.row.full_name.clone(),
                unit_id: l.unit_id,
            })
            .collect(),
        updated: plan
            .updated
            .iter()
            .filter_map(|(id, l)| {
                let before = by_id.get(id)?;
                Some(ChangedPerson {
                    member_id: *id,
                    line: l.row.line,
                    full_name: l.row.full_name.clone(),
                    unit_id: l.unit_id,
                    fields: changed_fields(before, l),
                })
            })
            .collect(),
        left: plan
            .left
            .iter()
            .filter_map(|id| {
                let m = by_id.get(id)?;
                Some(MemberBrief {
                    member_id: m.id,
                    full_name: m.full_name.clone(),
                    unit_id: m.unit_id,
                })
            })
            .collect(),
        unchanged: plan.unchanged.len(),
        matched_accounts,
    };
    if dry_run {
        return Ok(summary);
    }
    let now = state.clock.now();
    let new: Vec<store::members::NewMember<'_>> = plan
        .added
        .iter()
        .map(|l| store::members::NewMember {
            unit_id: l.unit_id,
            row: &l.row,
            user_id: account_of(&l.row),
            source: entity::members::MemberSource::Roster,
        })
        .collect();
    store::members::insert_many(&tx, &new, caller.id, now).await?;
    // People who confirmed their record follow it: the roster decides their unit and
    // categories.
    let mut moved_accounts = Vec::new();
    for (id, l) in &plan.updated {
        if let Some(before) = by_id.get(id) {
            store::members::update_from_row(
                &tx,
                before,
                l.unit_id,
                &l.row,
                account_of(&l.row),
                caller.id,
                now,
            )
            .await?;
            if let (Some(user), Some(_)) = (before.user_id, before.confirmed_at) {
                store::users::set_unit(&tx, user, l.unit_id, now).await?;
                store::users::set_categories(&tx, user, &l.row.categories).await?;
                moved_accounts.push(user);
            }
        }
    }
    let today = vn_today(now);
    let reason = format!(
        "Không còn trong danh sách «{}» tải lên ngày {}",
        text::clean(&file),
        today.format("%d/%m/%Y")
    );
    store::members::mark_left(&tx, &plan.left, today, &reason, caller.id, now).await?;
    tx.commit().await?;
    for user in moved_accounts {
        state.callers.forget(user);
    }
    tracing::info!(
        unit_id = unit.id,
        actor = %caller.id,
        added = summary.added.len(),
        updated = summary.updated.len(),
        left = summary.left.len(),
        "roster uploaded"
    );
    Ok(summary)
}

fn rejected(file: &str, errors: Vec<FileError>) -> ApiError {
    let message = errors
        .iter()
        .take(3)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    Code::RosterRejected.details(
        format!("Danh sách «{file}» có lỗi, chưa có thay đổi nào được ghi: {message}"),
        serde_json::json!({ "file": file, "errors": errors }),
    )
}

/// Gives each row its unit: the uploaded one when the cell is empty, else the live unit of
/// the subtree with that id or (case and diacritics aside) that name.
fn resolve_units(
    file: &str,
    unit: &units::Model,
    subtree: &[units::Model],
    rows: Vec<RosterRow>,
) -> (Vec<Listed>, Vec<FileError>) {
    let live: Vec<&units::Model> = subtree
        .iter()
        .filter(|u| u.merged_into_id.is_none())
        .collect();
    let mut by_name: HashMap<String, Vec<i32>> = HashMap::new();
    for u in &live {
        by_name.entry(fold(&u.name)).or_default().push(u.id);
    }
    let mut problems = Problems::new(file);
    let mut listed = Vec::with_capacity(rows.len());
    for row in rows {
        let unit_id = match &row.unit {
            None => Some(unit.id),
            Some(UnitRef::Id(id)) => {
                let found = live.iter().any(|u| u.id == *id);
                if !found {
                    problems.at(
                        row.line,
                        0,
                        format!(
                            "Cột «Đơn vị»: không có đơn vị mã {id} trong «{}» và các đơn vị trực thuộc",
                            unit.name
                        ),
                    );
                }
                found.then_some(*id)
            }
            Some(UnitRef::Name(name)) => match by_name.get(&fold(name)).map(Vec::as_slice) {
                Some([id]) => Some(*id),
                Some(_) => {
                    problems.at(
                        row.line,
                        0,
                        format!(
                            "Cột «Đơn vị»: có nhiều đơn vị tên «{name}»; hãy ghi mã đơn vị thay cho tên"
                        ),
                    );
                    None
                }
                None => {
                    problems.at(
                        row.line,
                        0,
                        format!(
                            "Cột «Đơn vị»: không tìm thấy đơn vị «{name}» trong «{}» và các đơn vị trực thuộc",
                            unit.name
                        ),
                    );
                    None
                }
            },
        };
        if let Some(unit_id) = unit_id {
            listed.push(Listed { row, unit_id });
        }
    }
    (listed, problems.finish())
}

fn changed_fields(before: &members::Model, l: &Listed) -> Vec<&'static str> {
    let r = &l.row;
    let mut out = Vec::new();
    if before.full_name != r.full_name {
        out.push("full_name");
    }
    if before.birth_date != r.birth_date {
        out.push("birth_date");
    }
    if before.phone.as_deref() != r.phone.as_ref().map(|p| p.as_str()) {
        out.push("phone");
    }
    if before.category_mask != rules::category_mask(&r.categories) {
        out.push("categories");
    }
    if before.admitted_on != r.admitted_on {
        out.push("admitted_on");
    }
    if before.unit_id != l.unit_id {
        out.push("unit");
    }
    out
}

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
pub struct MemberListParams {
    /// Include members who left, with the day and reason.
    #[serde(default)]
    pub include_left: bool,
}

/// The members of a unit's subtree, in Vietnamese name order.
///
/// Fails with 403 outside the caller's subtree.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    unit_id: i32,
    include_left: bool,
) -> ApiResult<Vec<Member>> {
    let unit = crate::services::units::find(state, unit_id).await?;
    caller.require(caller.may_act_within(&unit))?;
    let ids = store::units::subtree_ids(&state.db, &unit.path).await?;
    let mut rows: Vec<Member> = store::members::page(&state.db, &ids, include_left)
        .await?
        .into_iter()
        .map(Member::from)
        .collect();
    rows.sort_by_cached_key(|m| crate::domain::collation::sort_key(&m.full_name));
    Ok(rows)
}

/// An organizer records that a member left (with the day and reason), or takes it back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    /// The day they left; `null` to take a leaving back.
    pub left_on: Option<NaiveDate>,
    #[serde(default)]
    pub left_reason: Option<String>,
}

/// Fails with 404 `member_not_found`, 403 outside the caller's subtree, 422 for a reason
/// over 500 characters or a day in the future.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    id: i32,
    change: MemberChange,
) -> ApiResult<Member> {
    let before = store::members::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::MemberNotFound))?;
    let unit = crate::services::units::find(state, before.unit_id).await?;
    if !caller.may_act_within(&unit) {
        // Outside the subtree a member does not exist.
        return Err(Code::MemberNotFound.into());
    }
    let now = state.clock.now();
    let left = match change.left_on {
        None => None,
        Some(day) => {
            if day > vn_today(now) {
                return Err(Code::InvalidPeriod
                    .field_with("left_on", "Ngày rời danh sách không được ở tương lai"));
            }
            let reason = text::clean(change.left_reason.as_deref().unwrap_or(""));
            if reason.chars().count() > 500 || text::has_hidden(&reason) {
                return Err(Code::InvalidReason.field("left_reason"));
            }
            Some((day, reason))
        }
    };
    let tx = store::begin(&state.db).await?;
    let after = store::members::set_left(&tx, &before, left, caller.id, now).await?;
    tx.commit().await?;
    Ok(after.into())
}

/// A member record a person may claim as theirs.
#[derive(Debug, Serialize, ToSchema)]
pub struct Claim {
    pub member_id: i32,
    pub unit_id: i32,
    pub unit_name: String,
    pub full_name: String,
    pub categories: Vec<Category>,
    pub confirmed: bool,
}

/// The roster records that match the caller's account by phone (or are already theirs).
pub async fn claims(state: &AppState, caller: &Caller) -> ApiResult<Vec<Claim>> {
    let user = store::users::find_live(&state.db, caller.id)
        .await?
        .ok_or_else(|| ApiError::from(Code::AccountNotFound))?;
    let found = store::members::claimable(&state.db, user.id, user.phone.as_deref()).await?;
    let unit_ids: Vec<i32> = found.iter().map(|m| m.unit_id).collect();
    let names: HashMap<i32, String> = store::units::find_by_ids(&state.db, &unit_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(found
        .into_iter()
        .map(|m| Claim {
            member_id: m.id,
            unit_name: names.get(&m.unit_id).cloned().unwrap_or_default(),
            unit_id: m.unit_id,
            full_name: m.full_name,
            categories: categories_of(m.category_mask),
            confirmed: m.confirmed_at.is_some() && m.user_id == Some(user.id),
        })
        .collect())
}

/// The person confirms a roster record is theirs: the account takes the record's unit and
/// categories (the roster, not self-declaration, decides them), and the record counts their
/// completions from now on.
///
/// Fails with 404 `member_not_found` when the record is not claimable by the caller.
pub async fn confirm(state: &AppState, caller: &Caller, member_id: i32) -> ApiResult<Claim> {
    let user = store::users::find_live(&state.db, caller.id)
        .await?
        .ok_or_else(|| ApiError::from(Code::AccountNotFound))?;
    let tx = store::begin(&state.db).await?;
    let claimable = store::members::claimable(&tx, user.id, user.phone.as_deref()).await?;
    let member = claimable
        .into_iter()
        .find(|m| m.id == member_id)
        .ok_or_else(|| ApiError::from(Code::MemberNotFound))?;
    let now = state.clock.now();
    store::members::confirm(&tx, member.id, user.id, now).await?;
    store::users::set_unit(&tx, user.id, member.unit_id, now).await?;
    store::users::set_categories(&tx, user.id, &categories_of(member.category_mask)).await?;
    tx.commit().await?;
    state.callers.forget(user.id);
    let unit_name = store::units::find(&state.db, member.unit_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    tracing::info!(user_id = %user.id, member_id, "roster record confirmed");
    Ok(Claim {
        member_id: member.id,
        unit_id: member.unit_id,
        unit_name,
        full_name: member.full_name,
        categories: categories_of(member.category_mask),
        confirmed: true,
    })
}
