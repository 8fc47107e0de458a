//! Register, log in, log out.

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse, ResponseError, get,
    http::StatusCode,
    post,
    web::{self, Form, Query},
};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    PageError, csrf, html as page_response, layout, message, see_other,
    session::{self, MaybeCaller, SessionChange, local_next},
};
use crate::{
    domain::person::Category,
    error::ApiError,
    routes::auth::client_address,
    services::{
        accounts::{self, Credentials, RefreshRequest, Registration},
        units::{self, UnitMatch},
    },
    state::AppState,
};

/// Units listed for one search: enough to find one's own, small enough for a light page.
const UNIT_RESULTS: usize = 25;

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(csrf::FIELD) value=(token); }
}

/// A pre-login page's response, with the browser's CSRF cookie when it had none.
fn anonymous(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    body: impl FnOnce(&str) -> String,
) -> HttpResponse {
    let (nonce, cookie) = csrf::browser_nonce(req);
    let mut res = page_response(status, body(&csrf::for_browser(state, &nonce)));
    if let Some(c) = cookie
        && let Err(e) = res.add_cookie(&c)
    {
        tracing::warn!(error = %e, "csrf cookie not set");
    }
    res
}

fn login_body(token: &str, next: &str, login: &str, error: Option<&str>) -> String {
    layout::page(
        "Đăng nhập",
        None,
        html! {
            @if let Some(error) = error { p.err role="alert" { (error) } }
            form.card method="post" action="/dang-nhap" {
                (csrf_field(token))
                input type="hidden" name="next" value=(next);
                label for="login" { "Số điện thoại hoặc e-mail" }
                input #login name="login" type="text" autocomplete="username" required value=(login);
                label for="password" { "Mật khẩu" }
                input #password name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Đăng nhập" }
            }
            p { "Chưa có tài khoản? " a href="/dang-ky" { "Đăng ký" } }
        },
    )
}

#[get("/dang-nhap")]
pub async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: MaybeCaller,
    query: Query<NextQuery>,
) -> HttpResponse {
    let next = local_next(&query.next);
    if who.0.is_some() {
        return see_other(&next);
    }
    anonymous(&req, &state, StatusCode::OK, |t| {
        login_body(t, &next, "", None)
    })
}

#[post("/dang-nhap")]
pub async fn login_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    if !csrf::check_browser(&state, &req, &form.csrf) {
        return Err(PageError::Csrf);
    }
    let form = form.into_inner();
    let next = local_next(&form.next);
    let address = client_address(&req, state.settings.trust_proxy);
    let credentials = Credentials {
        login: form.login.clone(),
        password: form.password,
    };
    match accounts::login(&state, credentials, &address).await {
        Ok(pair) => {
            session::change(&req, SessionChange::Renewed(pair.into()));
            Ok(see_other(&next))
        }
        Err(e) if e.status_code().is_server_error() => Err(e.into()),
        Err(e) => {
            let text = message(&e);
            Ok(anonymous(&req, &state, e.status_code(), |t| {
                login_body(t, &next, &form.login, Some(&text))
            }))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    tim: String,
    #[serde(default)]
    don_vi: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    tim: String,
    doan_vien: Option<String>,
    hoi_vien: Option<String>,
    thanh_nien: Option<String>,
    thieu_nhi: Option<String>,
    guardian_consent: Option<String>,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

impl RegisterForm {
    fn categories(&self) -> Vec<Category> {
        [
            (&self.doan_vien, Category::Member),
            (&self.hoi_vien, Category::AssociationMember),
            (&self.thanh_nien, Category::Youth),
            (&self.thieu_nhi, Category::Child),
        ]
        .into_iter()
        .filter(|(on, _)| on.is_some())
        .map(|(_, c)| c)
        .collect()
    }
}

fn unit_label(m: &UnitMatch) -> String {
    if m.parents.is_empty() {
        m.unit.name.clone()
    } else {
        format!("{} — {}", m.unit.name, m.parents.join(" › "))
    }
}

fn checkbox(name: &str, label: &str, on: bool) -> Markup {
    html! {
        div.check {
            input type="checkbox" id=(name) name=(name) value="1" checked[on];
            label for=(name) { (label) }
        }
    }
}

struct RegisterView<'a> {
    form: &'a RegisterForm,
    units: &'a [UnitMatch],
    chosen: Option<i32>,
    error: Option<&'a str>,
}

fn register_body(token: &str, v: &RegisterView<'_>) -> String {
    let f = v.form;
    let fresh = f.csrf.is_empty() && f.full_name.is_empty();
    layout::page(
        "Đăng ký tài khoản",
        None,
        html! {
            @if let Some(error) = v.error { p.err role="alert" { (error) } }
            form.card method="get" action="/dang-ky" role="search" {
                h2 { "1. Tìm đơn vị của bạn" }
                label for="tim" { "Tên chi đoàn, đoàn xã, trường…" }
                input #tim name="tim" type="search" value=(f.tim);
                button.alt type="submit" { "Tìm đơn vị" }
            }
            form.card method="post" action="/dang-ky" {
                (csrf_field(token))
                input type="hidden" name="tim" value=(f.tim);
                h2 { "2. Thông tin của bạn" }
                fieldset {
                    legend { "Đơn vị" }
                    @if v.units.is_empty() {
                        p.note {
                            @if f.tim.trim().is_empty() { "Hãy tìm đơn vị ở ô phía trên trước." }
                            @else { "Không có đơn vị nào khớp với “" (f.tim) "”. Hãy thử tên ngắn hơn." }
                        }
                    }
                    @for m in v.units {
                        @let id = format!("don-vi-{}", m.unit.id);
                        div.check {
                            input type="radio" id=(id) name="unit_id" value=(m.unit.id) required checked[v.chosen == Some(m.unit.id) || v.units.len() == 1];
                            label for=(id) { (unit_label(m)) }
                        }
                    }
                }
                label for="full_name" { "Họ và tên" }
                input #full_name name="full_name" type="text" autocomplete="name" required value=(f.full_name);
                label for="phone" { "Số điện thoại" }
                input #phone name="phone" type="tel" autocomplete="tel" inputmode="tel" required value=(f.phone);
                label for="password" { "Mật khẩu (ít nhất 8 ký tự)" }
                input #password name="password" type="password" autocomplete="new-password" minlength="8" required;
                label for="birth_date" { "Ngày sinh" }
                input #birth_date name="birth_date" type="date" required value=(f.birth_date);
                fieldset {
                    legend { "Bạn là" }
                    (checkbox("doan_vien", "Đoàn viên", f.doan_vien.is_some()))
                    (checkbox("hoi_vien", "Hội viên Hội LHTN Việt Nam", f.hoi_vien.is_some()))
                    (checkbox("thanh_nien", "Thanh niên (16–30 tuổi)", f.thanh_nien.is_some() || fresh))
                    (checkbox("thieu_nhi", "Thiếu niên, nhi đồng (dưới 16 tuổi)", f.thieu_nhi.is_some()))
                }
                fieldset {
                    legend { "Nếu bạn dưới 16 tuổi" }
                    (checkbox("guardian_consent", "Cha mẹ hoặc người giám hộ của tôi đồng ý cho tôi đăng ký", f.guardian_consent.is_some()))
                }
                button type="submit" { "Đăng ký" }
            }
            p { "Đã có tài khoản? " a href="/dang-nhap" { "Đăng nhập" } }
        },
    )
}

async fn units_for(
    state: &AppState,
    search: &str,
    chosen: Option<i32>,
) -> Result<Vec<UnitMatch>, ApiError> {
    let mut found = units::search(state, search, UNIT_RESULTS).await?;
    if let Some(id) = chosen
        && !found.iter().any(|m| m.unit.id == id)
        && let Some(m) = units::described(state, id).await?
    {
        found.insert(0, m);
    }
    Ok(found)
}

#[get("/dang-ky")]
pub async fn register_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: MaybeCaller,
    query: Query<RegisterQuery>,
) -> Result<HttpResponse, PageError> {
    if who.0.is_some() {
        return Ok(see_other("/"));
    }
    let chosen = query.don_vi.trim().parse().ok();
    let units = units_for(&state, &query.tim, chosen).await?;
    let form = RegisterForm {
        tim: query.tim.clone(),
        ..RegisterForm::default()
    };
    let view = RegisterView {
        form: &form,
        units: &units,
        chosen,
        error: None,
    };
    Ok(anonymous(&req, &state, StatusCode::OK, |t| {
        register_body(t, &view)
    }))
}

#[post("/dang-ky")]
pub async fn register_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form<RegisterForm>,
) -> Result<HttpResponse, PageError> {
    if !csrf::check_browser(&state, &req, &form.csrf) {
        return Err(PageError::Csrf);
    }
    let form = form.into_inner();
    let chosen: Option<i32> = form.unit_id.trim().parse().ok();
    let outcome = match (
        chosen,
        NaiveDate::parse_from_str(form.birth_date.trim(), "%Y-%m-%d"),
    ) {
        (None, _) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Hãy chọn đơn vị của bạn.".to_owned(),
        )),
        (_, Err(_)) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Ngày sinh không hợp lệ.".to_owned(),
        )),
        (Some(unit_id), Ok(birth_date)) => {
            let registration = Registration {
                full_name: form.full_name.clone(),
                phone: Some(form.phone.clone()),
                email: None,
                password: form.password.clone(),
                birth_date,
                unit_id,
                categories: form.categories(),
                admitted_on: None,
                guardian_consent: form.guardian_consent.is_some(),
            };
            match accounts::register(&state, registration).await {
                Ok(_) => Ok(()),
                Err(e) if e.status_code().is_server_error() => return Err(e.into()),
                Err(e) => Err((e.status_code(), message(&e))),
            }
        }
    };
    if let Err((status, text)) = outcome {
        let units = units_for(&state, &form.tim, chosen).await?;
        let view = RegisterView {
            form: &form,
            units: &units,
            chosen,
            error: Some(&text),
        };
        return Ok(anonymous(&req, &state, status, |t| register_body(t, &view)));
    }
    let address = client_address(&req, state.settings.trust_proxy);
    let credentials = Credentials {
        login: form.phone.clone(),
        password: form.password,
    };
    let pair = accounts::login(&state, credentials, &address).await?;
    session::change(&req, SessionChange::Renewed(pair.into()));
    Ok(see_other("/"))
}

#[derive(Debug, Default, Deserialize)]
pub struct LogoutForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// Ends the session (the refresh token's family is revoked, as `POST /auth/logout` does) and
/// clears the cookies.
#[post("/dang-xuat")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: MaybeCaller,
    form: Form<LogoutForm>,
) -> Result<HttpResponse, PageError> {
    let valid = match &who.0 {
        Some(caller) => csrf::check_caller(&state, caller, &form.csrf),
        None => csrf::check_browser(&state, &req, &form.csrf),
    };
    if !valid {
        return Err(PageError::Csrf);
    }
    // A refresh during this request spent the cookie's token; the new one is the live one.
    let renewed = req
        .extensions()
        .get::<SessionChange>()
        .and_then(|c| match c {
            SessionChange::Renewed(pair) => Some(pair.refresh_token.clone()),
            SessionChange::Clear => None,
        });
    let refresh = renewed.or_else(|| req.cookie(session::REFRESH).map(|c| c.value().to_owned()));
    if let Some(refresh_token) = refresh {
        accounts::logout(&state, RefreshRequest { refresh_token }).await?;
    }
    session::change(&req, SessionChange::Clear);
    Ok(see_other("/"))
}
