//! The home page: a welcome when logged out; my courses, open rounds and certificates when in.

use actix_web::{HttpResponse, get, http::StatusCode, web};
use chrono::{DateTime, Utc};
use maud::html;

use super::{PageError, html as page_response, layout, session::MaybeCaller};
use crate::{
    domain::round::RoundState,
    services::{certificates, contests, courses},
    state::AppState,
};

/// "còn 2 ngày 3 giờ", "còn 45 phút": how long until `end`.
pub fn time_left(now: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let minutes = (end - now).num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("còn {mins} phút"),
        (0, h) => format!("còn {h} giờ {mins} phút"),
        (d, h) => format!("còn {d} ngày {h} giờ"),
    }
}

#[get("/")]
pub async fn home(state: web::Data<AppState>, who: MaybeCaller) -> Result<HttpResponse, PageError> {
    let Some(caller) = who.0 else {
        let body = layout::page(
            "Chào mừng đến với Soi Đường",
            None,
            html! {
                p { "Học lý luận chính trị, kỹ năng số và lịch sử; tham gia các cuộc thi tìm hiểu của Đoàn; nhận chứng nhận có mã xác thực." }
                p { a.btn href="/dang-nhap" { "Đăng nhập" } " " a.btn.alt href="/dang-ky" { "Đăng ký tài khoản" } }
            },
        );
        return Ok(page_response(StatusCode::OK, body));
    };
    let now = state.clock.now();
    let mut my_courses = Vec::new();
    for c in courses::list(&state, &caller).await? {
        let progress = courses::progress(&state, &caller, c.id).await?;
        my_courses.push((c, progress));
    }
    let auth = caller.auth();
    let rounds: Vec<_> = contests::list(&state, auth)
        .await?
        .into_iter()
        .flat_map(|c| {
            let title = c.title;
            c.rounds
                .into_iter()
                .filter(|r| r.state == RoundState::Open)
                .map(move |r| (title.clone(), r))
        })
        .collect();
    let certificates = certificates::mine(&state, &caller).await?;
    let (name, token) = layout::who(&state, &caller).await?;
    let body = layout::page(
        &format!("Xin chào, {name}"),
        Some(&layout::Nav {
            name: &name,
            csrf: &token,
        }),
        html! {
            section aria-labelledby="khoa-hoc" {
                h2 #khoa-hoc { "Khóa học của tôi" }
                @if my_courses.is_empty() { p.note { "Chưa có khóa học nào dành cho bạn." } }
                @for (c, p) in &my_courses {
                    article.card {
                        h3 { a href={ "/khoa-hoc/" (c.id) } { (c.title) } }
                        p { (c.description) }
                        p {
                            @if p.completed { strong.done { "✓ Đã hoàn thành" } }
                            @else { "Đã học " (p.lessons_completed) "/" (p.lessons_total) " bài" }
                        }
                        progress max=(p.lessons_total.max(1)) value=(p.lessons_completed) aria-label={ "Tiến độ " (c.title) } {}
                    }
                }
            }
            section aria-labelledby="cuoc-thi" {
                h2 #cuoc-thi { "Cuộc thi đang mở" }
                @if rounds.is_empty() { p.note { "Hiện không có vòng thi nào đang mở." } }
                @for (contest, r) in &rounds {
                    article.card {
                        h3 { a href={ "/vong-thi/" (r.id) } { (contest) " — " (r.title) } }
                        p {
                            (time_left(now, r.closes_at))
                            " · "
                            @match r.attempts_left {
                                Some(n) => { "còn " (n) " lượt làm bài" }
                                None => { "không giới hạn lượt" }
                            }
                            " · " (r.questions) " câu, " (r.time_limit_minutes) " phút"
                        }
                        p { a.btn href={ "/vong-thi/" (r.id) } { "Vào vòng thi" } }
                    }
                }
            }
            section aria-labelledby="chung-nhan" {
                h2 #chung-nhan { "Chứng nhận của tôi" }
                @if certificates.is_empty() { p.note { "Bạn chưa có chứng nhận nào." } }
                @for cert in &certificates {
                    article.card {
                        h3 { (cert.description) }
                        p { "Mã " code { (cert.code) } " · cấp ngày " (cert.issued_on.format("%d/%m/%Y")) }
                        p {
                            a.btn href={ "/chung-nhan/" (cert.id) ".pdf" } { "Tải bản PDF" }
                            " "
                            a.btn.alt href={ "/verify/" (cert.code) } { "Trang xác thực" }
                        }
                    }
                }
            }
        },
    );
    Ok(page_response(StatusCode::OK, body))
}
