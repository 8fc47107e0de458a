use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{
    auth::Caller,
    error::{ApiResult, ErrorBody},
    services::units::{
        self, AppointRequest, MergeRequest, NewUnit, Organizer, Unit, UnitChange, UnitDetail,
    },
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_units)
        .service(get_unit)
        .service(create_unit)
        .service(change_unit)
        .service(merge_unit)
        .service(list_organizers)
        .service(appoint_organizer)
        .service(dismiss_organizer);
}

#[derive(Debug, Deserialize, IntoParams)]
struct ListQuery {
    /// Include units merged into others (default false).
    #[serde(default)]
    include_merged: bool,
}

/// Every unit as a flat list in tree order (public: people pick their unit when registering).
#[utoipa::path(context_path = "/api/v1", tag = "units", params(ListQuery), responses((status = 200, body = [Unit])))]
#[get("/units")]
async fn list_units(
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> ApiResult<web::Json<Vec<Unit>>> {
    Ok(web::Json(units::list(&state, q.include_merged).await?))
}

/// One unit with its ancestors (root first) and children.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    params(("id" = i32, Path, description = "Unit id")),
    responses((status = 200, body = UnitDetail), (status = 404, body = ErrorBody))
)]
#[get("/units/{id}")]
async fn get_unit(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> ApiResult<web::Json<UnitDetail>> {
    Ok(web::Json(units::get(&state, id.into_inner()).await?))
}

/// Create a unit under `parent_id` (admin, or an organizer of that unit or above).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    request_body = NewUnit,
    responses((status = 201, body = Unit), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/units")]
async fn create_unit(
    state: web::Data<AppState>,
    actor: Caller,
    body: web::Json<NewUnit>,
) -> ApiResult<HttpResponse> {
    let unit = units::create(&state, &actor, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(unit))
}

/// Rename, re-kind or move a unit with its subtree (admin, or an organizer of a unit above
/// it). A move under itself or its own subtree is refused (`unit_cycle`).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id")),
    request_body = UnitChange,
    responses((status = 200, body = Unit), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/units/{id}")]
async fn change_unit(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
    body: web::Json<UnitChange>,
) -> ApiResult<web::Json<Unit>> {
    Ok(web::Json(
        units::change(&state, &actor, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Merge a unit into another: members, children and organizers move to `into`; the merged
/// unit stays, marked merged, so history keeps its name.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id")),
    request_body = MergeRequest,
    responses((status = 200, body = Unit), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/units/{id}/merge")]
async fn merge_unit(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
    body: web::Json<MergeRequest>,
) -> ApiResult<web::Json<Unit>> {
    Ok(web::Json(
        units::merge(&state, &actor, id.into_inner(), body.into).await?,
    ))
}

/// The organizers of a unit (admin, or an organizer of the unit or above).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id")),
    responses((status = 200, body = [Organizer]), (status = 403, body = ErrorBody))
)]
#[get("/units/{id}/organizers")]
async fn list_organizers(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<Vec<Organizer>>> {
    Ok(web::Json(
        units::organizers(&state, &actor, id.into_inner()).await?,
    ))
}

/// Make a user an organizer of the unit (admin, or an organizer of a unit above it).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id")),
    request_body = AppointRequest,
    responses((status = 201, body = Organizer), (status = 200, description = "Already an organizer", body = Organizer), (status = 403, body = ErrorBody))
)]
#[post("/units/{id}/organizers")]
async fn appoint_organizer(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
    body: web::Json<AppointRequest>,
) -> ApiResult<HttpResponse> {
    let (organizer, created) =
        units::appoint_organizer(&state, &actor, id.into_inner(), body.user_id).await?;
    Ok(if created {
        HttpResponse::Created().json(organizer)
    } else {
        HttpResponse::Ok().json(organizer)
    })
}

/// Remove a user's organizer role on the unit.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "units",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Unit id"), ("user_id" = Uuid, Path, description = "User id")),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[delete("/units/{id}/organizers/{user_id}")]
async fn dismiss_organizer(
    state: web::Data<AppState>,
    actor: Caller,
    path: web::Path<(i32, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (unit_id, user_id) = path.into_inner();
    units::dismiss_organizer(&state, &actor, unit_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
