use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::{
    error::{ApiResult, ErrorBody},
    services::accounts::{self, Credentials, Me, RefreshRequest, Registration, TokenPair},
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout);
}

/// Create an account.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "auth",
    request_body = Registration,
    responses(
        (status = 201, description = "Account created", body = Me),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 409, description = "Phone or e-mail already registered (`duplicate_login`)", body = ErrorBody),
        (status = 422, description = "A rule is broken: `weak_password`, `guardian_consent_required`, `invalid_phone`, …", body = ErrorBody),
    )
)]
#[post("/auth/register")]
async fn register(
    state: web::Data<AppState>,
    body: web::Json<Registration>,
) -> ApiResult<HttpResponse> {
    let me = accounts::register(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(me))
}

/// Log in with a phone number or e-mail and a password.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, description = "Tokens", body = TokenPair),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see `Retry-After`", body = ErrorBody),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Credentials>,
) -> ApiResult<web::Json<TokenPair>> {
    let address = client_address(&req, state.settings.trust_proxy);
    Ok(web::Json(
        accounts::login(&state, body.into_inner(), &address).await?,
    ))
}

/// Exchange a refresh token for a new pair. Each refresh token works once; replaying a spent
/// one ends the whole session.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "`invalid_refresh_token` or `refresh_token_expired`", body = ErrorBody),
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    Ok(web::Json(
        accounts::refresh(&state, body.into_inner()).await?,
    ))
}

/// End the session of this refresh token.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out"))
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    accounts::logout(&state, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when the
/// service runs behind a trusted proxy (a header anyone can set must not be trusted otherwise).
pub(crate) fn client_address(req: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy && let Some(ip) = req.connection_info().realip_remote_addr() {
        return ip.to_owned();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
