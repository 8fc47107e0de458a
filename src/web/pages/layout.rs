//! The one layout of the participant pages.

use maud::{DOCTYPE, Markup, html};

use super::{PageError, csrf};
use crate::{auth::Caller, services::accounts, state::AppState};

/// What the header of a logged-in page needs: the person's name and their form token.
///
/// Fails when the database does not answer.
pub async fn who(state: &AppState, caller: &Caller) -> Result<(String, String), PageError> {
    let name = accounts::me(state, caller.id).await?.full_name;
    Ok((name, csrf::for_caller(state, caller)))
}

/// The logged-in person as the header shows them, with the token of the logout form.
pub struct Nav<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
}

/// A whole page: `title` is the `h1` and the document title; `content` follows it in `main`.
pub fn page(title: &str, nav: Option<&Nav<'_>>, content: Markup) -> String {
    document(title, nav, content, None)
}

/// [`page`] with the pages' script (served with [`super::html_scripted`]).
pub fn page_scripted(title: &str, nav: Option<&Nav<'_>>, content: Markup) -> String {
    document(title, nav, content, Some(&crate::web::pages_script_url()))
}

fn document(title: &str, nav: Option<&Nav<'_>>, content: Markup, script: Option<&str>) -> String {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Soi Đường" }
                // No favicon request (a 404 on every first visit): the same empty icon as the
                // dashboard.
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(crate::web::style_url());
                @if let Some(src) = script { script src=(src) defer {} }
            }
            body {
                a.skip href="#noi-dung" { "Bỏ qua, đến nội dung chính" }
                header.top {
                    a.brand href="/" { "Soi Đường" }
                    @if let Some(nav) = nav {
                        span.who { (nav.name) }
                        form method="post" action="/dang-xuat" {
                            input type="hidden" name="_csrf" value=(nav.csrf);
                            button.alt type="submit" { "Đăng xuất" }
                        }
                    } @else {
                        nav aria-label="Tài khoản" {
                            a href="/dang-nhap" { "Đăng nhập" }
                            " · "
                            a href="/dang-ky" { "Đăng ký" }
                        }
                    }
                }
                main #noi-dung {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
    .into_string()
}

/// A page that only explains why nothing else is shown.
pub fn problem(title: &str, message: &str) -> String {
    page(
        title,
        None,
        html! {
            p.err role="alert" { (message) }
            p { a.btn href="/" { "Về trang chủ" } }
        },
    )
}
