//! The participant web app: server-rendered pages under `/` on the services the API uses.
//!
//! Every page works as plain HTML forms and links, so it loads fast on a weak connection and
//! needs no build step; the paper and the round's board also run one small script of this
//! origin (`web/pages.js`) that keeps them live while the connection comes and goes. The session is the API's own token pair, held in
//! `HttpOnly` cookies (`session`); every form that changes state carries a CSRF token
//! (`csrf`); every page is sent with a strict Content-Security-Policy and `no-store`.

use std::fmt;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
    web,
};

use crate::error::ApiError;

mod attempts;
mod auth;
pub mod csrf;
mod home;
mod layout;
mod lessons;
pub mod markdown;
mod rounds;
pub mod session;

pub use session::{MaybeCaller, PageCaller, session_cookies};

/// Pages load nothing but this origin's stylesheet; no script at all; no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages that must keep working while the connection drops (the paper, the live board)
/// also run this origin's script and talk to this origin only.
pub const CSP_SCRIPTED: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home::home)
        .service(auth::login_page)
        .service(auth::login_submit)
        .service(auth::register_page)
        .service(auth::register_submit)
        .service(auth::logout)
        .service(lessons::course_page)
        .service(lessons::lesson_page)
        .service(lessons::complete)
        .service(lessons::certificate_pdf)
        .service(attempts::start_quiz)
        .service(attempts::start_round)
        .service(attempts::attempt_page)
        .service(attempts::paper_form)
        .service(attempts::autosave)
        .service(rounds::round_page)
        .service(rounds::board_fragment);
}

/// An HTML page with the pages' headers: personal content, so never stored by a cache.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    page_with(status, body, CSP)
}

/// [`html`] for a page that runs the pages' script ([`CSP_SCRIPTED`]).
pub fn html_scripted(status: StatusCode, body: String) -> HttpResponse {
    page_with(status, body, CSP_SCRIPTED)
}

fn page_with(status: StatusCode, body: String, csp: &'static str) -> HttpResponse {
    crate::web::secured_with(HttpResponse::build(status), csp)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A 303 to `location` (a local path), so a POST is followed by a GET.
pub fn see_other(location: &str) -> HttpResponse {
    crate::web::secured_with(HttpResponse::SeeOther(), CSP)
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Why a page is not shown: a refusal of a service, no session (to the login page), or a
/// state-changing request without a valid CSRF token.
#[derive(Debug)]
pub enum PageError {
    Api(ApiError),
    Login { next: String },
    Csrf,
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(e)
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::Api(e) => write!(f, "{e}"),
            PageError::Login { .. } => f.write_str("login required"),
            PageError::Csrf => f.write_str("invalid csrf token"),
        }
    }
}

/// What a person is told about a refusal: the catalogue's Vietnamese message, never the
/// cause of a 5xx.
pub fn message(e: &ApiError) -> String {
    match e {
        ApiError::Refused { .. } => e.to_string(),
        ApiError::TooManyRequests { .. } | ApiError::Busy { .. } => {
            "Có quá nhiều yêu cầu. Vui lòng đợi một lúc rồi thử lại.".to_owned()
        }
        ApiError::MethodNotAllowed { .. } => "Thao tác này không được hỗ trợ.".to_owned(),
        ApiError::Unavailable(_) | ApiError::Internal(_) => {
            "Hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút.".to_owned()
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Api(e) => e.status_code(),
            PageError::Login { .. } => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::Login { next } => see_other(&session::login_location(next)),
            PageError::Csrf => html(
                StatusCode::FORBIDDEN,
                layout::problem(
                    "Phiên biểu mẫu không hợp lệ",
                    "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. Vui lòng tải lại trang rồi thử lại.",
                ),
            ),
            PageError::Api(e) => {
                if e.status_code().is_server_error() {
                    tracing::error!(error = %e, "page failed");
                }
                let title = if e.status_code() == StatusCode::NOT_FOUND {
                    "Không tìm thấy"
                } else {
                    "Không thực hiện được"
                };
                html(e.status_code(), layout::problem(title, &message(e)))
            }
        }
    }
}
