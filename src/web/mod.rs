//! The organizer dashboard (`GET /dashboard`) and the assets the browser pages share.
//!
//! Plain HTML, one stylesheet and one small script, embedded in the binary so a release is one
//! file and no build step stands between an edit and a page. The page talks to `/api/v1` with
//! the same bearer tokens as any other client; nothing here reads the database.
//!
//! Assets are cached for a year: their URLs carry `?v=` and the first 12 hex digits of their
//! SHA-256, computed once at start, so a new build changes the URL and never serves a stale
//! file. The page itself is `no-cache`, so it always names the current assets.

use std::sync::OnceLock;

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::header::{self, HeaderValue},
    web,
};
use sha2::{Digest, Sha256};

pub mod pages;

/// The one stylesheet of the browser pages. The certificate verification page inlines it (it
/// must stay a single request); the dashboard links it.
pub const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("dashboard.js");
/// The participant pages' script: the live paper (autosave, offline queue, countdown) and the
/// live board.
pub const PAGES_SCRIPT: &str = include_str!("pages.js");
const PAGE: &str = include_str!("dashboard.html");

pub const STYLE_PATH: &str = "/assets/soiduong.css";
pub const SCRIPT_PATH: &str = "/assets/dashboard.js";
pub const PAGES_SCRIPT_PATH: &str = "/assets/pages.js";

/// Nothing but this origin: no inline script or style, no third party, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard)
        .service(stylesheet)
        .service(script_asset)
        .service(pages_script_asset)
        .configure(pages::configure);
}

/// The first 12 hex digits of the SHA-256 of `content`: the asset's version in its URL.
pub fn version(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Versions {
    style: String,
    script: String,
    pages_script: String,
    page: String,
}

fn versions() -> &'static Versions {
    static V: OnceLock<Versions> = OnceLock::new();
    V.get_or_init(|| {
        let style = version(STYLE);
        let script = version(SCRIPT);
        let page = PAGE
            .replace("{{STYLE_URL}}", &format!("{STYLE_PATH}?v={style}"))
            .replace("{{SCRIPT_URL}}", &format!("{SCRIPT_PATH}?v={script}"));
        Versions {
            style,
            script,
            pages_script: version(PAGES_SCRIPT),
            page,
        }
    })
}

/// The dashboard page's HTML, with the hashed asset URLs.
pub fn page() -> &'static str {
    &versions().page
}

/// The stylesheet's URL with its version.
pub fn style_url() -> String {
    format!("{STYLE_PATH}?v={}", versions().style)
}

/// The pages' script's URL with its version.
pub fn pages_script_url() -> String {
    format!("{PAGES_SCRIPT_PATH}?v={}", versions().pages_script)
}

fn secured(res: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    secured_with(res, CSP)
}

/// The security headers of every browser page, with the page's own policy.
pub(crate) fn secured_with(
    mut res: actix_web::HttpResponseBuilder,
    csp: &'static str,
) -> actix_web::HttpResponseBuilder {
    res.insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    res
}

#[get("/dashboard")]
async fn dashboard() -> HttpResponse {
    secured(HttpResponse::Ok())
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page())
}

#[get("/assets/soiduong.css")]
async fn stylesheet(req: HttpRequest) -> HttpResponse {
    asset(&req, "text/css; charset=utf-8", STYLE, &versions().style)
}

#[get("/assets/dashboard.js")]
async fn script_asset(req: HttpRequest) -> HttpResponse {
    asset(
        &req,
        "text/javascript; charset=utf-8",
        SCRIPT,
        &versions().script,
    )
}

#[get("/assets/pages.js")]
async fn pages_script_asset(req: HttpRequest) -> HttpResponse {
    asset(
        &req,
        "text/javascript; charset=utf-8",
        PAGES_SCRIPT,
        &versions().pages_script,
    )
}

/// An embedded asset, or 304 when the browser already holds this version.
fn asset(req: &HttpRequest, content_type: &str, body: &'static str, version: &str) -> HttpResponse {
    let etag = format!("\"{version}\"");
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = secured(if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    });
    res.insert_header((header::CACHE_CONTROL, IMMUTABLE));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        res.insert_header((header::ETAG, value));
    }
    if fresh {
        res.finish()
    } else {
        res.content_type(content_type).body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_the_hashed_assets_and_holds_no_inline_code() {
        let html = page();
        assert!(html.contains(&format!("{STYLE_PATH}?v={}", version(STYLE))));
        assert!(html.contains(&format!("{SCRIPT_PATH}?v={}", version(SCRIPT))));
        assert!(!html.contains("{{"));
        assert!(!html.contains("style="));
        assert!(!html.contains("<style"));
        assert!(!html.contains("<script>"));
        for handler in [
            "onclick=",
            "onsubmit=",
            "onload=",
            "onchange=",
            "javascript:",
        ] {
            assert!(!html.contains(handler), "inline handler {handler}");
        }
    }

    #[test]
    fn a_version_is_12_hex_digits_and_follows_the_content() {
        let v = version("a");
        assert_eq!(v.len(), 12);
        assert!(v.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(v, version("b"));
    }

    #[test]
    fn the_scripts_never_write_markup_from_data() {
        for script in [SCRIPT, PAGES_SCRIPT] {
            assert!(!script.contains("innerHTML"));
            assert!(!script.contains("outerHTML"));
            assert!(!script.contains("insertAdjacentHTML"));
            assert!(!script.contains("document.write"));
            assert!(!script.contains("eval("));
            assert!(script.contains("'use strict'"));
        }
    }

    #[test]
    fn the_three_files_stay_small() {
        let total = STYLE.len() + SCRIPT.len() + PAGE.len();
        assert!(total < 60 * 1024, "{total} bytes");
    }
}
