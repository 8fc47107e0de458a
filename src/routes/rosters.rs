//! Rosters and members: organizers upload their unit's member list and keep it true; people
//! confirm the record that is theirs.

use actix_multipart::Multipart;
use actix_web::{get, patch, post, web};

use crate::{
    auth::Caller,
    domain::roster::MAX_ROSTER_BYTES,
    error::{ApiResult, ErrorBody},
    routes::upload,
    services::rosters::{
        self as service, Claim, Member, MemberChange, MemberListParams, RosterSummary, UploadParams,
    },
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(upload_roster)
        .service(list_members)
        .service(change_member)
        .service(my_roster)
        .service(confirm_roster);
}

/// Upload a unit's member roster (multipart, one `file` part: Excel `.xlsx` or `.csv` in
/// UTF-8, at most 5 MB and 20,000 rows) in the layout the units' spreadsheets already have:
/// a header row with `Họ và tên`, `Ngày sinh`, `Số điện thoại`, `Đối tượng`, `Ngày kết nạp`,
/// `Đơn vị` (matched without regard to case or diacritics). With `dry_run=true` nothing is
/// written and the answer shows what would change. Otherwise the whole file applies in one
/// transaction, or nothing does: members are added and updated, and members of the covered
/// units no longer listed are marked as left (their history stays).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "rosters",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id"), UploadParams),
    request_body(content_type = "multipart/form-data", description = "One file"),
    responses(
        (status = 200, body = RosterSummary),
        (status = 403, body = ErrorBody),
        (status = 413, description = "A file over 5 MB", body = ErrorBody),
        (status = 422, description = "`roster_rejected`: `error.details.errors` lists file, line, column and what is wrong; `unsupported_file`", body = ErrorBody),
        (status = 429, description = "Every parsing slot is busy; retry after `Retry-After` seconds", body = ErrorBody),
    )
)]
#[post("/units/{id}/roster")]
async fn upload_roster(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    params: web::Query<UploadParams>,
    form: Multipart,
) -> ApiResult<web::Json<RosterSummary>> {
    let mut files = upload::read_files(
        form,
        upload::Caps {
            files: 1,
            file_bytes: MAX_ROSTER_BYTES,
            request_bytes: MAX_ROSTER_BYTES + 64 * 1024,
        },
    )
    .await?;
    let (name, bytes) = files.remove(0);
    Ok(web::Json(
        service::upload(&state, &caller, *id, name, bytes, params.dry_run).await?,
    ))
}

/// The members of a unit and every unit below it, in Vietnamese name order (organizers of
/// the subtree and admins).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "rosters",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id"), MemberListParams),
    responses((status = 200, body = Vec<Member>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/units/{id}/members")]
async fn list_members(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    params: web::Query<MemberListParams>,
) -> ApiResult<web::Json<Vec<Member>>> {
    Ok(web::Json(
        service::list(&state, &caller, *id, params.include_left).await?,
    ))
}

/// Record that a member left (day and reason), or take it back with `left_on: null`.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "rosters",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Member id")),
    request_body = MemberChange,
    responses((status = 200, body = Member), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/members/{id}")]
async fn change_member(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    body: web::Json<MemberChange>,
) -> ApiResult<web::Json<Member>> {
    Ok(web::Json(
        service::change(&state, &caller, *id, body.into_inner()).await?,
    ))
}

/// The roster records matching my phone (or already mine): confirm the one that is me.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "rosters",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Claim>), (status = 401, body = ErrorBody))
)]
#[get("/me/roster")]
async fn my_roster(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<Vec<Claim>>> {
    Ok(web::Json(service::claims(&state, &caller).await?))
}

/// Confirm a roster record as mine: my unit and categories become the roster's, and my
/// completions count for that unit.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "rosters",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Member id")),
    responses((status = 200, body = Claim), (status = 404, body = ErrorBody))
)]
#[post("/me/roster/{id}/confirm")]
async fn confirm_roster(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<Claim>> {
    Ok(web::Json(service::confirm(&state, &caller, *id).await?))
}
