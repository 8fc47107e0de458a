use reqwest::{StatusCode, header};

use crate::helpers::spawn_app;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn header_of(res: &reqwest::Response, name: header::HeaderName) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The `?v=` URL of the asset at `path` in the page.
fn hashed_url(html: &str, path: &str) -> String {
    let at = html
        .find(&format!("{path}?v="))
        .unwrap_or_else(|| panic!("{path} not linked"));
    let end = html[at..].find('"').unwrap();
    html[at..at + end].to_owned()
}

#[tokio::test]
async fn the_dashboard_is_html_under_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let res = app.get("/dashboard", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header_of(&res, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header_of(&res, header::CONTENT_SECURITY_POLICY), CSP);
    assert_eq!(header_of(&res, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header_of(&res, header::REFERRER_POLICY), "no-referrer");
    assert_eq!(header_of(&res, header::CACHE_CONTROL), "no-cache");
    let html = res.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(!html.contains("style=") && !html.contains("<style"));
}

#[tokio::test]
async fn the_page_names_its_assets_by_content_hash_and_they_are_cached_for_a_year() {
    let app = spawn_app().await;
    let html = app.get("/dashboard", None).await.text().await.unwrap();
    for (path, content_type) in [
        ("/assets/soiduong.css", "text/css"),
        ("/assets/dashboard.js", "text/javascript"),
    ] {
        let url = hashed_url(&html, path);
        let version = url.rsplit("?v=").next().unwrap();
        assert_eq!(version.len(), 12, "{url}");
        assert!(version.chars().all(|c| c.is_ascii_hexdigit()), "{url}");

        let res = app.get(&url, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        assert!(
            header_of(&res, header::CONTENT_TYPE).starts_with(content_type),
            "{url}"
        );
        assert_eq!(
            header_of(&res, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header_of(&res, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(header_of(&res, header::CONTENT_SECURITY_POLICY), CSP);
        let etag = header_of(&res, header::ETAG);
        assert_eq!(etag, format!("\"{version}\""));
        let body = res.bytes().await.unwrap();
        assert!(!body.is_empty());

        let again = app
            .client
            .get(format!("{}{url}", app.address))
            .header(header::IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{url}");
    }
}

#[tokio::test]
async fn the_verification_page_still_inlines_the_shared_stylesheet() {
    let app = spawn_app().await;
    let css = app
        .get("/assets/soiduong.css", None)
        .await
        .text()
        .await
        .unwrap();
    let res = app.get("/verify/7K2QM9XD4HRTV1", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("<style>{css}</style>")));
    assert!(!html.contains("/assets/"));
}
