//! A course, a lesson (with "mark as read"), and a certificate's PDF for its holder.

use actix_web::{
    HttpResponse, get,
    http::{StatusCode, header},
    post,
    web::{self, Form, Path},
};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    PageError, csrf, html as page_response, layout, markdown, see_other, session::PageCaller,
};
use crate::{
    services::{
        certificates,
        courses::{self, QuizInfo},
    },
    state::AppState,
};

/// A quiz's facts and the button that starts it (or resumes the attempt in progress).
fn quiz_facts(q: &QuizInfo, token: &str) -> Markup {
    let used_up = q.attempts_allowed > 0 && q.attempts_used >= q.attempts_allowed;
    html! {
        dl {
            dt { "Số câu hỏi" } dd { (q.questions) }
            dt { "Thời gian" } dd { (q.time_limit_minutes) " phút" }
            dt { "Điểm đạt" } dd { (q.pass_mark) "%" }
            dt { "Số lượt" }
            dd {
                @if q.attempts_allowed == 0 { "Không giới hạn" }
                @else { "Đã làm " (q.attempts_used) "/" (q.attempts_allowed) }
            }
            @if q.passed { dt { "Kết quả" } dd.done { "✓ Đã đạt" } }
        }
        form method="post" action={ "/bai-kiem-tra/" (q.id) "/bat-dau" } {
            input type="hidden" name=(csrf::FIELD) value=(token);
            button type="submit" {
                @if used_up { "Mở bài đang làm dở" }
                @else { "Làm bài" }
            }
        }
        @if used_up { p.note { "Bạn đã dùng hết số lượt; chỉ bài còn đang làm dở (nếu có) được mở lại." } }
    }
}

#[get("/khoa-hoc/{id}")]
pub async fn course_page(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<i32>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.0;
    let c = courses::get(&state, &caller, id.into_inner()).await?;
    let done = c
        .lessons
        .iter()
        .filter(|l| l.completed_at.is_some())
        .count();
    let (name, token) = layout::who(&state, &caller).await?;
    let nav = layout::Nav {
        name: &name,
        csrf: &token,
    };
    let body = layout::page(
        &c.title,
        Some(&nav),
        html! {
            p { (c.description) }
            p {
                @if c.completed_at.is_some() { strong.done { "✓ Đã hoàn thành khóa học" } }
                @else { "Đã học " (done) "/" (c.lessons.len()) " bài" }
            }
            h2 { "Các bài học" }
            ol.lessons {
                @for l in &c.lessons {
                    li {
                        a href={ "/bai-hoc/" (l.id) } { (l.title) }
                        " "
                        span.sub {
                            (l.estimated_minutes) " phút"
                            @if l.completed_at.is_some() { " · " span.done { "✓ đã học" } }
                            @if l.quiz_id.is_some() { " · có bài ôn tập" }
                        }
                    }
                }
            }
            @if let Some(test) = &c.final_test {
                h2 { "Bài kiểm tra cuối khóa: " (test.title) }
                (quiz_facts(test, &token))
            }
        },
    );
    Ok(page_response(StatusCode::OK, body))
}

#[get("/bai-hoc/{id}")]
pub async fn lesson_page(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<i32>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.0;
    let l = courses::lesson(&state, &caller, id.into_inner()).await?;
    let course = courses::get(&state, &caller, l.course_id).await?;
    let at = course.lessons.iter().position(|x| x.id == l.summary.id);
    let previous = at
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| course.lessons.get(i));
    let next = at.and_then(|i| course.lessons.get(i + 1));
    let (name, token) = layout::who(&state, &caller).await?;
    let nav = layout::Nav {
        name: &name,
        csrf: &token,
    };
    let body = layout::page(
        &l.summary.title,
        Some(&nav),
        html! {
            p.sub { a href={ "/khoa-hoc/" (course.id) } { (course.title) } " · Bài " (l.summary.position) " · " (l.summary.estimated_minutes) " phút" }
            article.lesson { (PreEscaped(markdown::render(&l.body))) }
            @if let Some(quiz) = &l.quiz {
                section.card aria-labelledby="on-tap" {
                    h2 #on-tap { "Bài ôn tập: " (quiz.title) }
                    (quiz_facts(quiz, &token))
                    p.note { "Bài học được ghi nhận là đã học khi bạn đạt bài ôn tập." }
                }
            } @else if l.summary.completed_at.is_some() {
                p.done { "✓ Bạn đã học bài này." }
            } @else {
                form method="post" action={ "/bai-hoc/" (l.summary.id) "/da-hoc" } {
                    input type="hidden" name=(csrf::FIELD) value=(token);
                    button type="submit" { "Đánh dấu đã học" }
                }
            }
            nav.pager aria-label="Chuyển bài" {
                @if let Some(p) = previous { a.btn.alt href={ "/bai-hoc/" (p.id) } rel="prev" { "← " (p.title) } }
                @if let Some(n) = next { a.btn.alt href={ "/bai-hoc/" (n.id) } rel="next" { (n.title) " →" } }
            }
        },
    );
    Ok(page_response(StatusCode::OK, body))
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

impl CsrfForm {
    /// The form token as sent.
    pub fn token(&self) -> &str {
        &self.csrf
    }
}

#[post("/bai-hoc/{id}/da-hoc")]
pub async fn complete(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<i32>,
    form: Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.checked(&state, &form.csrf)?;
    let id = id.into_inner();
    courses::complete_lesson(&state, &caller, id).await?;
    Ok(see_other(&format!("/bai-hoc/{id}")))
}

/// The PDF of one of my certificates (the API's `GET /certificates/{id}.pdf`, on the session).
#[get("/chung-nhan/{id}.pdf")]
pub async fn certificate_pdf(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let (code, bytes) = certificates::pdf(&state, &caller.0, id.into_inner()).await?;
    // No page CSP here: browsers' built-in PDF viewers do not run under `default-src 'none'`.
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"chung-nhan-{code}.pdf\""),
        ))
        .body(bytes))
}
