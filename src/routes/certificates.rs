//! Certificates: the holder's and the organizers' API, the public verification (page and
//! JSON, rate limited), the published keys, the bulk ZIP.

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use uuid::Uuid;

use crate::{
    auth::Caller,
    certificates::{page, signing::KeyList},
    domain::certificate::Verification,
    error::{ApiError, ApiResult, Code, ErrorBody},
    services::certificates::{
        self as service, CertificateView, IssueByHand, Reissue, Revoke, export,
    },
    state::AppState,
    store::certificates::Scope,
};

/// The API under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // The static and suffixed paths go before `/certificates/{id}`, which would take them.
    cfg.service(my_certificates)
        .service(verify_json)
        .service(round_zip)
        .service(course_zip)
        .service(issue)
        .service(pdf)
        .service(credential)
        .service(revoke)
        .service(reissue)
        .service(get_certificate);
}

/// The public paths outside `/api/v1`.
pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(verify_page).service(public_keys);
}

/// The logged-in person's certificates, newest first.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<CertificateView>), (status = 401, body = ErrorBody))
)]
#[get("/me/certificates")]
async fn my_certificates(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<Vec<CertificateView>>> {
    Ok(web::Json(service::mine(&state, &caller).await?))
}

/// One certificate: its holder, and the organizers of the holder's unit (or above).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Certificate id")),
    responses((status = 200, body = CertificateView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/certificates/{id}")]
async fn get_certificate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<CertificateView>> {
    Ok(web::Json(service::get(&state, &caller, *id).await?))
}

/// The certificate as a PDF (A4 landscape, with its QR code), same access as the certificate.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Certificate id")),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/certificates/{id}.pdf")]
async fn pdf(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (code, bytes) = service::pdf(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"chung-nhan-{code}.pdf\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// The certificate as an Open Badges 3.0 `AchievementCredential` (a W3C Verifiable
/// Credential) with an Ed25519 Data Integrity proof (`eddsa-jcs-2022`), verifiable without
/// this service: the proof's verification method is a `did:key`.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Certificate id")),
    responses(
        (status = 200, description = "The credential (JSON-LD)", body = Object),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/certificates/{id}/credential.json")]
async fn credential(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let doc = service::credential(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/ld+json")
        .json(doc))
}

/// Revokes a certificate, with a reason shown on the verification page. Organizers of the
/// holder's unit (or above).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Certificate id")),
    request_body = Revoke,
    responses(
        (status = 200, body = CertificateView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Revoked or superseded already", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[post("/certificates/{id}/revoke")]
async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<Revoke>,
) -> ApiResult<web::Json<CertificateView>> {
    Ok(web::Json(
        service::revoke(&state, &caller, *id, &body).await?,
    ))
}

/// Re-issues a certificate (with the holder's current name): a new certificate and code; the
/// old one is marked superseded by it. Organizers of the holder's unit (or above).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Certificate id")),
    request_body(content = Option<Reissue>, description = "Optional: `{ \"reason\" }`"),
    responses(
        (status = 201, body = CertificateView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Superseded already", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[post("/certificates/{id}/reissue")]
async fn reissue(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Option<web::Json<Reissue>>,
) -> ApiResult<HttpResponse> {
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let view = service::reissue(&state, &caller, *id, &body).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Issues a certificate by hand for a person of the caller's subtree, for a course they
/// completed or a finalised round they have a result in, when no valid certificate exists.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    request_body = IssueByHand,
    responses(
        (status = 201, body = CertificateView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A valid certificate exists: re-issue it instead", body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[post("/certificates")]
async fn issue(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<IssueByHand>,
) -> ApiResult<HttpResponse> {
    let view = service::issue_by_hand(&state, &caller, &body).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Every certificate of a finalised round in the caller's subtree, as one ZIP (a PDF each and
/// `danh-sach.csv`), streamed as it is rendered. Organizers and admins.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Round id")),
    responses(
        (status = 200, description = "The ZIP", content_type = "application/zip", body = Vec<u8>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/rounds/{id}/certificates.zip")]
async fn round_zip(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    zip_response(
        state,
        &caller,
        Scope::Round(id),
        format!("chung-nhan-vong-{id}.zip"),
    )
    .await
}

/// Every certificate of a course in the caller's subtree, as one ZIP (a PDF each and
/// `danh-sach.csv`), streamed as it is rendered. Organizers and admins.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Course id")),
    responses(
        (status = 200, description = "The ZIP", content_type = "application/zip", body = Vec<u8>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/courses/{id}/certificates.zip")]
async fn course_zip(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    zip_response(
        state,
        &caller,
        Scope::Course(id),
        format!("chung-nhan-khoa-hoc-{id}.zip"),
    )
    .await
}

/// The ZIP of `scope`, written by a task as the client reads it: the archive is never whole
/// in memory, and a client that goes away stops the rendering.
async fn zip_response(
    state: web::Data<AppState>,
    caller: &Caller,
    scope: Scope,
    name: String,
) -> ApiResult<HttpResponse> {
    let ids = export::select(&state, caller, scope).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        if let Err(e) = export::write_zip(&state, &ids, &tx, |_| {}).await {
            // The client sees a cut archive (it fails to open), never a silent partial one.
            tracing::error!(error = %e, "certificate archive stopped");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(body))
}

/// Public: the certified facts, the status and the signature of the certificate with this
/// code (any case, dashes optional). Rate limited per client address.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "certificates",
    params(("code" = String, Path, description = "The code printed on the certificate")),
    responses(
        (status = 200, body = Verification),
        (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)
    )
)]
#[get("/certificates/verify/{code}")]
async fn verify_json(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> ApiResult<web::Json<Verification>> {
    let address = super::auth::client_address(&req, state.settings.trust_proxy);
    service::admit_lookup(&state, &address).await?;
    service::verify(&state, &code)
        .await?
        .map(web::Json)
        .ok_or_else(|| ApiError::from(Code::CertificateNotFound))
}

/// Public: the verification page a certificate's QR code leads to (HTML, Vietnamese).
#[utoipa::path(
    tag = "certificates",
    params(("code" = String, Path, description = "The code printed on the certificate")),
    responses(
        (status = 200, description = "The page", content_type = "text/html"),
        (status = 404, description = "No such certificate (the page says so)", content_type = "text/html"),
        (status = 429, description = "Too many lookups from this address", content_type = "text/html")
    )
)]
#[get("/verify/{code}")]
async fn verify_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
) -> HttpResponse {
    let address = super::auth::client_address(&req, state.settings.trust_proxy);
    let found = match service::admit_lookup(&state, &address).await {
        Ok(()) => service::verify(&state, &code).await,
        Err(e) => Err(e),
    };
    let (mut res, html) = match found {
        Ok(Some(v)) => (HttpResponse::Ok(), page::page(Some(&v), &code)),
        Ok(None) => (HttpResponse::NotFound(), page::page(None, &code)),
        Err(e) => {
            let mut res = HttpResponse::build(actix_web::ResponseError::status_code(&e));
            if let ApiError::TooManyRequests { retry_after_secs } = e {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            (res, page::unavailable(&e.message()))
        }
    };
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(html)
}

/// Public: the keys certificates are signed with, the current one first; retired keys stay
/// listed so that certificates they signed keep verifying.
#[utoipa::path(
    tag = "certificates",
    responses((status = 200, body = KeyList))
)]
#[get("/.well-known/soiduong-certificates.pub")]
async fn public_keys(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(state.signer.key_list(&state.settings.issuer_name))
}
