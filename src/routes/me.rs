use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use crate::{
    auth::{AuthUser, Caller},
    error::{ApiResult, ErrorBody},
    services::{
        accounts::{self, Me, PersonalExport, ProfileChange},
        membership::{self, MembershipRequest, Rejection},
    },
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_me)
        .service(patch_me)
        .service(export_me)
        .service(delete_me)
        .service(my_membership_requests)
        .service(unit_membership_requests)
        .service(approve_membership_request)
        .service(reject_membership_request);
}

/// The logged-in user's account.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody))
)]
#[get("/me")]
async fn get_me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<Me>> {
    Ok(web::Json(accounts::me(&state, user.id).await?))
}

/// Change the profile; a password change needs `current_password` (throttled like logins)
/// and ends every session, this one included. A change of unit, or adding or removing a
/// staff-assigned category (`cadre`, `new_member`), is not applied: it becomes a membership
/// request that an organizer of the receiving unit approves (202, see `pending_change`).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "me",
    security(("bearer" = [])),
    request_body = ProfileChange,
    responses(
        (status = 200, description = "Changed", body = Me),
        (status = 202, description = "Changed, and a membership request waits (`pending_change`)", body = Me),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many wrong current passwords; see `Retry-After`", body = ErrorBody),
    )
)]
#[patch("/me")]
async fn patch_me(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: web::Json<ProfileChange>,
) -> ApiResult<HttpResponse> {
    let address = super::auth::client_address(&req, state.settings.trust_proxy);
    let updated = accounts::update_me(&state, user.id, body.into_inner(), &address).await?;
    Ok(if updated.pending {
        HttpResponse::Accepted().json(updated.me)
    } else {
        HttpResponse::Ok().json(updated.me)
    })
}

/// Everything the platform keeps about the logged-in user, as JSON.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = PersonalExport), (status = 401, body = ErrorBody))
)]
#[get("/me/export")]
async fn export_me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let export = accounts::export(&state, user.id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"soiduong-du-lieu-ca-nhan.json\"",
        ))
        .json(export))
}

/// Erase the logged-in user's personal data. An anonymised stub stays so statistics stay true.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "me",
    security(("bearer" = [])),
    responses((status = 204, description = "Erased"), (status = 401, body = ErrorBody))
)]
#[delete("/me")]
async fn delete_me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    accounts::erase(&state, user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The logged-in user's membership requests (changes of unit or staff-assigned category),
/// newest first.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = [MembershipRequest]), (status = 401, body = ErrorBody))
)]
#[get("/me/membership-requests")]
async fn my_membership_requests(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<MembershipRequest>>> {
    Ok(web::Json(membership::mine(&state, user.id).await?))
}

/// Pending membership requests into this unit and its subtree (organizers of the unit or
/// above, and admins), oldest first.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id")),
    responses(
        (status = 200, body = [MembershipRequest]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/units/{id}/membership-requests")]
async fn unit_membership_requests(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<Vec<MembershipRequest>>> {
    Ok(web::Json(
        membership::pending_for_unit(&state, &actor, id.into_inner()).await?,
    ))
}

/// Approve a membership request: the person moves to the unit and takes or drops the
/// categories. Organizers of the receiving unit or above, and admins; never one's own.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Request id")),
    responses(
        (status = 200, body = MembershipRequest),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`request_decided` or `unit_merged`", body = ErrorBody),
    )
)]
#[post("/membership-requests/{id}/approve")]
async fn approve_membership_request(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<MembershipRequest>> {
    Ok(web::Json(
        membership::decide(&state, &actor, id.into_inner(), true, None).await?,
    ))
}

/// Reject a membership request, with a reason shown to the person.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Request id")),
    request_body = Rejection,
    responses(
        (status = 200, body = MembershipRequest),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 409, description = "`request_decided`", body = ErrorBody),
        (status = 422, description = "`invalid_reason`", body = ErrorBody),
    )
)]
#[post("/membership-requests/{id}/reject")]
async fn reject_membership_request(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
    body: web::Json<Rejection>,
) -> ApiResult<web::Json<MembershipRequest>> {
    let reason = Some(body.into_inner().reason);
    Ok(web::Json(
        membership::decide(&state, &actor, id.into_inner(), false, reason).await?,
    ))
}
