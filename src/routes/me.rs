use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};

use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    services::accounts::{self, Me, PersonalExport, ProfileChange},
    startup::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_me)
        .service(patch_me)
        .service(export_me)
        .service(delete_me);
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

/// Change the profile; a password change needs `current_password` and ends other sessions.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "me",
    security(("bearer" = [])),
    request_body = ProfileChange,
    responses((status = 200, body = Me), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/me")]
async fn patch_me(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: web::Json<ProfileChange>,
) -> ApiResult<web::Json<Me>> {
    let address = super::auth::client_address(&req, state.settings.trust_proxy);
    Ok(web::Json(
        accounts::update_me(&state, user.id, body.into_inner(), &address).await?,
    ))
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
