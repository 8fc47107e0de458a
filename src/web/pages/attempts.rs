//! Taking a lesson quiz, a final test or a contest round from the pages: start (or resume),
//! the paper, saving, submitting, and the result with its review.
//!
//! The paper is one form holding every question, so it works without script: each button
//! saves what the form holds and goes where it says (another question, the whole paper, the
//! submit). In "one question per screen" the other questions are in the form but `hidden`.
//! The script (`src/web/pages.js`, served as `/assets/pages.js`) makes it live: each tap is
//! saved at once (`POST /lam-bai/{id}/luu`), taps made offline wait in the browser (and
//! survive a reload) until the connection returns, the countdown runs on the server's clock
//! (`data-now`, `data-deadline`; every save answers with the server's time again), and the
//! deadline submits what the form holds. A submit carries a key made with the page, so a
//! retry after a lost answer returns the first result.

use std::collections::HashMap;

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::StatusCode,
    post,
    web::{self, Form, Json, Path, Query},
};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    PageError, csrf, html as page_response, html_scripted, layout,
    lessons::CsrfForm,
    see_other,
    session::{MaybeCaller, PageCaller},
};
use crate::{
    auth::AuthUser,
    domain::{banks::QuestionKind, time::vn_offset},
    error::{ApiError, Code},
    services::{
        attempts::{self, AttemptState, AttemptView, ClosedBy, Origin, SaveRequest, SavedAnswer},
        contests,
    },
    state::AppState,
};

/// A paper form's body at most: 400 questions of several options fit in a tenth of it.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// Fields of a paper form at most.
const MAX_FIELDS: usize = 2_000;
/// The header the script sends its form token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the paper is shown: one question per screen (its index), or all on one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    One(usize),
    All,
}

impl Layout {
    /// From the page's query (`xem=tat-ca`, or `cau=N` counted from 1), for `n` questions.
    fn of(xem: Option<&str>, cau: Option<usize>, n: usize) -> Layout {
        match xem {
            Some("tat-ca") => Layout::All,
            _ => Layout::One(cau.unwrap_or(1).clamp(1, n.max(1)) - 1),
        }
    }

    fn location(self, id: Uuid) -> String {
        match self {
            Layout::All => format!("/lam-bai/{id}?xem=tat-ca"),
            Layout::One(i) => format!("/lam-bai/{id}?xem=tung-cau&cau={}", i + 1),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    xem: Option<String>,
    cau: Option<usize>,
}

/// "14:35 30/11/2026" in Vietnam time.
fn vn_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&vn_offset())
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// "3 phút 05 giây".
fn duration(ms: i64) -> String {
    let s = (ms.max(0) + 500) / 1000;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, sec) => format!("{sec} giây"),
        (0, m, sec) => format!("{m} phút {sec:02} giây"),
        (h, m, _) => format!("{h} giờ {m:02} phút"),
    }
}

fn started(view: &AttemptView) -> HttpResponse {
    see_other(&format!("/lam-bai/{}", view.attempt_id))
}

/// Starts (or resumes, on any phone) an attempt at a lesson quiz or a final test.
#[post("/bai-kiem-tra/{id}/bat-dau")]
pub async fn start_quiz(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<i32>,
    form: Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.checked(&state, form.token())?;
    let (view, _) = attempts::start(&state, caller.auth(), id.into_inner()).await?;
    Ok(started(&view))
}

/// Starts (or resumes) an attempt in a contest round.
#[post("/vong-thi/{id}/bat-dau")]
pub async fn start_round(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<i32>,
    form: Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.checked(&state, form.token())?;
    let (view, _) = contests::start(&state, caller.auth(), id.into_inner()).await?;
    Ok(started(&view))
}

/// The paper while the attempt is open; its result (and review) once it has ended.
#[get("/lam-bai/{id}")]
pub async fn attempt_page(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<Uuid>,
    shown: Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.0;
    let view = attempts::get(&state, caller.auth(), id.into_inner()).await?;
    let (quiz, origin) = attempts::origin(&state, view.quiz_id).await?;
    let (name, token) = layout::who(&state, &caller).await?;
    let nav = layout::Nav {
        name: &name,
        csrf: &token,
    };
    if view.state == AttemptState::Open {
        let at = Layout::of(shown.xem.as_deref(), shown.cau, view.questions.len());
        let body =
            layout::page_scripted(&quiz.title, Some(&nav), paper(&view, &origin, at, &token));
        return Ok(html_scripted(StatusCode::OK, body));
    }
    let body = layout::page(
        &format!("Kết quả: {}", quiz.title),
        Some(&nav),
        result(&view, &origin, quiz.pass_mark),
    );
    Ok(page_response(StatusCode::OK, body))
}

/// Where the participant came from, as a line above the paper or the result.
fn context(origin: &Origin) -> Markup {
    html! {
        @match origin {
            Origin::Lesson { lesson_id, .. } => { a href={ "/bai-hoc/" (lesson_id) } { "← Về bài học" } }
            Origin::FinalTest { course_id } => { a href={ "/khoa-hoc/" (course_id) } { "← Về khóa học" } }
            Origin::Round { round_id, .. } => { a href={ "/vong-thi/" (round_id) } { "← Về vòng thi" } }
        }
    }
}

fn answered(view: &AttemptView) -> HashMap<i32, &[String]> {
    view.answers
        .iter()
        .map(|a| (a.question_id, a.option_ids.as_slice()))
        .collect()
}

fn paper(view: &AttemptView, origin: &Origin, at: Layout, token: &str) -> Markup {
    let n = view.questions.len();
    let saved = answered(view);
    let done = view
        .questions
        .iter()
        .filter(|q| saved.get(&q.id).is_some_and(|a| !a.is_empty()))
        .count();
    let current = match at {
        Layout::One(i) => Some(i),
        Layout::All => None,
    };
    let key = Uuid::new_v4();
    html! {
        p.sub { (context(origin)) " · Lần làm thứ " (view.attempt_no) " · " (n) " câu" }
        div.clock {
            p #dong-ho role="timer" aria-live="off" { "Hạn nộp: " (vn_time(view.deadline)) " (giờ Việt Nam)" }
            p #trang-thai .status role="status" aria-live="polite" {}
        }
        nav.modes aria-label="Cách xem đề" {
            @if current.is_some() {
                span aria-current="page" { "Từng câu một" }
                " · "
                a href={ "/lam-bai/" (view.attempt_id) "?xem=tat-ca" } { "Tất cả trên một trang" }
            } @else {
                a href={ "/lam-bai/" (view.attempt_id) "?xem=tung-cau" } { "Từng câu một" }
                " · "
                span aria-current="page" { "Tất cả trên một trang" }
            }
        }
        form #bai-lam method="post" action={ "/lam-bai/" (view.attempt_id) }
            data-attempt=(view.attempt_id)
            data-deadline=(view.deadline.to_rfc3339())
            data-now=(view.server_now.to_rfc3339()) {
            input type="hidden" name=(csrf::FIELD) value=(token);
            input type="hidden" name="khoa" value=(key);
            input type="hidden" name="xem" value=(if current.is_some() { "tung-cau" } else { "tat-ca" });
            input type="hidden" name="cau" value=(current.map_or(1, |i| i + 1));
            @for (i, q) in view.questions.iter().enumerate() {
                @let chosen = saved.get(&q.id).copied().unwrap_or_default();
                fieldset.question #{ "cau-" (i + 1) } data-q=(q.id) tabindex="-1" hidden[current.is_some_and(|c| c != i)] {
                    legend { span.sub { "Câu " (i + 1) "/" (n) } (q.stem) }
                    p.sub {
                        @if q.kind == QuestionKind::Multiple { "Chọn tất cả các đáp án đúng" }
                        @else { "Chọn một đáp án" }
                    }
                    @for o in &q.options {
                        @let input_id = format!("c{}-{}", q.id, o.id);
                        div.check.option {
                            input type=(if q.kind == QuestionKind::Multiple { "checkbox" } else { "radio" })
                                name={ "c" (q.id) } value=(o.id) id=(input_id)
                                checked[chosen.contains(&o.id)];
                            label for=(input_id) { strong { (o.id.to_uppercase()) "." } " " (o.text) }
                        }
                    }
                }
            }
            @if let Some(i) = current {
                nav.pager aria-label="Chuyển câu" {
                    button.alt type="submit" name="di" value="truoc" disabled[i == 0] { "← Câu trước" }
                    button.alt type="submit" name="di" value="sau" disabled[i + 1 >= n] { "Câu sau →" }
                }
                details.jump {
                    summary { "Chọn câu (đã trả lời " span.done-count { (done) } "/" (n) ")" }
                    div.grid {
                        @for (k, q) in view.questions.iter().enumerate() {
                            button.alt.answered[saved.get(&q.id).is_some_and(|a| !a.is_empty())]
                                type="submit" name="di" value={ "cau-" (k + 1) } data-q=(q.id)
                                aria-current=[(k == i).then_some("step")]
                                aria-label={ "Câu " (k + 1) } { (k + 1) }
                        }
                    }
                }
            } @else {
                button.alt type="submit" name="di" value="luu" { "Lưu bài làm" }
            }
            section.card.submit aria-labelledby="nop-bai" {
                h2 #nop-bai { "Nộp bài" }
                p { "Đã trả lời " span.done-count { (done) } "/" (n) " câu. Bài được tự nộp khi hết giờ." }
                @if let Origin::Round { prediction_question: Some(question), .. } = origin {
                    label for="du-doan" { "Câu hỏi dự đoán: " (question) }
                    input #du-doan type="number" name="du_doan" inputmode="numeric" min="0" max="1000000000" step="1";
                }
                button type="submit" name="di" value="nop" { "Nộp bài" }
            }
        }
        noscript { p.note { "Trình duyệt đang tắt JavaScript: câu trả lời được lưu khi bạn bấm một nút của bài làm; đồng hồ không tự chạy." } }
    }
}

fn result(view: &AttemptView, origin: &Origin, pass_mark: i32) -> Markup {
    let Some(r) = &view.result else {
        return html! { p.note { "Bài làm đã kết thúc." } p { (context(origin)) } };
    };
    let stems: HashMap<i32, &attempts::PaperQuestion> =
        view.questions.iter().map(|q| (q.id, q)).collect();
    let round = matches!(origin, Origin::Round { .. });
    html! {
        p.sub { (context(origin)) " · Lần làm thứ " (view.attempt_no) }
        section.card.result aria-labelledby="ket-qua" {
            h2 #ket-qua { "Kết quả" }
            p.score { "Đúng " strong { (r.correct) "/" (r.total) } " câu (" (r.score_percent) "%)" }
            @if !round {
                @if r.passed { p.done { strong { "✓ Đạt" } } }
                @else { p.err { strong { "Chưa đạt" } " (cần từ " (pass_mark) "% trở lên)" } }
            }
            p { "Thời gian làm bài: " (duration(r.duration_ms)) " · nộp lúc " (vn_time(r.finished_at)) }
            @if r.closed_by == ClosedBy::Deadline {
                p.note { "Hết giờ: bài được nộp tự động với các câu trả lời đã lưu." }
            }
            @if let Origin::Round { round_id, .. } = origin {
                p { a.btn href={ "/vong-thi/" (round_id) } { "Xem bảng xếp hạng" } }
            }
        }
        @match &view.review {
            Some(items) => {
                h2 { "Xem lại bài làm" }
                ol.review {
                    @for (k, item) in items.iter().enumerate() {
                        li.card {
                            @if let Some(q) = stems.get(&item.question_id) {
                                p { span.sub { "Câu " (k + 1) } strong { (q.stem) } }
                                ul.plain {
                                    @for o in &q.options {
                                        @let right = item.correct_option_ids.contains(&o.id);
                                        @let mine = item.chosen_option_ids.contains(&o.id);
                                        li.right[right].wrong[mine && !right] {
                                            (o.id.to_uppercase()) ". " (o.text)
                                            @if right { " " span.badge.met { "Đáp án đúng" } }
                                            @if mine { " " span.badge.none { "Bạn chọn" } }
                                        }
                                    }
                                }
                            }
                            p {
                                @if item.is_correct { strong.done { "✓ Đúng" } }
                                @else if item.chosen_option_ids.is_empty() { strong.err { "Chưa trả lời" } }
                                @else { strong.err { "✗ Sai" } }
                            }
                            @if !item.explanation.is_empty() { p { (item.explanation) } }
                            @if !item.source.is_empty() { p.sub { "Nguồn: " (item.source) } }
                        }
                    }
                }
            }
            None => {
                @if round { p.note { "Đáp án và lời giải được công bố theo thể lệ của cuộc thi." } }
            }
        }
    }
}

/// The fields of a paper form: the answers per question (`c{id}`, repeated for a multiple
/// choice), and the rest by name.
#[derive(Debug, Default)]
struct PaperForm {
    answers: HashMap<i32, Vec<String>>,
    fields: HashMap<String, String>,
}

impl PaperForm {
    fn parse(body: &[u8]) -> Result<PaperForm, ApiError> {
        if body.len() > MAX_FORM_BYTES {
            return Err(Code::PayloadTooLarge.into());
        }
        let mut form = PaperForm::default();
        for (i, (k, v)) in url::form_urlencoded::parse(body).enumerate() {
            if i >= MAX_FIELDS {
                return Err(Code::PayloadTooLarge.into());
            }
            match k.strip_prefix('c').and_then(|q| q.parse::<i32>().ok()) {
                Some(q) => form.answers.entry(q).or_default().push(v.into_owned()),
                None => {
                    form.fields.insert(k.into_owned(), v.into_owned());
                }
            }
        }
        Ok(form)
    }

    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Saves what the form holds (every question of the paper: one left blank is cleared), then
/// goes where its button says: another question, the whole paper, or the submit.
#[post("/lam-bai/{id}")]
pub async fn paper_form(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = PaperForm::parse(&body)?;
    let caller = caller.checked(&state, form.field(csrf::FIELD))?;
    let who = caller.auth();
    let view = attempts::get(&state, who, id).await?;
    if view.state != AttemptState::Open {
        return Ok(see_other(&format!("/lam-bai/{id}")));
    }
    let answers = view
        .questions
        .iter()
        .map(|q| SavedAnswer {
            question_id: q.id,
            option_ids: form.answers.get(&q.id).cloned().unwrap_or_default(),
        })
        .collect();
    let request = SaveRequest {
        answers,
        revision: None,
    };
    match attempts::save(&state, who, id, request).await {
        Ok(_) => {}
        // Ended meanwhile (the deadline, another phone's submit): its result is the answer.
        Err(e) if e.code() == Code::AttemptClosed.as_str() => {
            return Ok(see_other(&format!("/lam-bai/{id}")));
        }
        Err(e) => return Err(e.into()),
    }
    let n = view.questions.len();
    let here = Layout::of(Some(form.field("xem")), form.field("cau").parse().ok(), n);
    let go = form.field("di");
    let next = match (go, here) {
        ("nop", _) => return submit(&state, who, id, &form).await,
        ("truoc", Layout::One(i)) => Layout::One(i.saturating_sub(1)),
        ("sau", Layout::One(i)) => Layout::One((i + 1).min(n.saturating_sub(1))),
        (other, _) => match other.strip_prefix("cau-").and_then(|k| k.parse().ok()) {
            Some(k) => Layout::of(Some("tung-cau"), Some(k), n),
            None => here,
        },
    };
    Ok(see_other(&next.location(id)))
}

async fn submit(
    state: &AppState,
    who: AuthUser,
    id: Uuid,
    form: &PaperForm,
) -> Result<HttpResponse, PageError> {
    // A page without a usable key (script off, an old page) submits without one.
    let key = attempts::idempotency_key(form.field("khoa")).ok();
    let prediction = match form.field("du_doan").trim() {
        "" => None,
        p => Some(p.parse::<i64>().map_err(|_| {
            Code::InvalidBody.field_with("du_doan", "Câu trả lời dự đoán phải là một số nguyên")
        })?),
    };
    match attempts::submit(state, who, id, key, prediction).await {
        Ok(_) => {}
        // Already ended (a repeat, the deadline): the result page says how. Any other refusal
        // (a concurrent save, say) is shown as such, not taken for the end.
        Err(e)
            if e.code() == Code::AlreadySubmitted.as_str()
                || e.code() == Code::AttemptClosed.as_str() => {}
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/lam-bai/{id}")))
}

/// The script's autosave: the answers tapped since the last save, as the API's
/// `PUT /attempts/{id}/answers` takes them, with the form token in `X-CSRF-Token`. Answers
/// with the server's time and the deadline (the countdown's clock); refusals are the API's
/// JSON errors (401 without a session, 403 with a wrong token, 409 once the attempt ended).
#[post("/lam-bai/{id}/luu")]
pub async fn autosave(
    state: web::Data<AppState>,
    who: MaybeCaller,
    req: HttpRequest,
    id: Path<Uuid>,
    body: Json<SaveRequest>,
) -> Result<HttpResponse, ApiError> {
    let caller = who.0.ok_or_else(|| ApiError::from(Code::Unauthenticated))?;
    let token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !csrf::check_caller(&state, &caller, token) {
        return Err(Code::Forbidden.with("Phiên biểu mẫu không hợp lệ; hãy tải lại trang"));
    }
    let saved = attempts::save(&state, caller.auth(), id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_stays_on_the_paper() {
        assert_eq!(Layout::of(None, None, 10), Layout::One(0));
        assert_eq!(Layout::of(Some("tung-cau"), Some(4), 10), Layout::One(3));
        assert_eq!(Layout::of(Some("tung-cau"), Some(0), 10), Layout::One(0));
        assert_eq!(Layout::of(Some("tung-cau"), Some(99), 10), Layout::One(9));
        assert_eq!(Layout::of(Some("tat-ca"), Some(3), 10), Layout::All);
        assert_eq!(Layout::of(Some("x"), None, 0), Layout::One(0));
    }

    #[test]
    fn a_paper_form_groups_answers_by_question_and_is_bounded() {
        let f = PaperForm::parse(b"_csrf=t&c12=a&c12=c&c7=b&di=nop&du_doan=42").unwrap();
        assert_eq!(f.answers[&12], vec!["a", "c"]);
        assert_eq!(f.answers[&7], vec!["b"]);
        assert_eq!(f.field("di"), "nop");
        assert_eq!(f.field("missing"), "");
        let many = "c1=a&".repeat(MAX_FIELDS + 1);
        assert!(PaperForm::parse(many.as_bytes()).is_err());
        assert!(PaperForm::parse(&vec![b'a'; MAX_FORM_BYTES + 1]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_form_body_is_read_or_refused_within_its_bounds(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096)) {
            if let Ok(f) = PaperForm::parse(&body) {
                let fields = f.fields.len() + f.answers.values().map(Vec::len).sum::<usize>();
                proptest::prop_assert!(fields <= MAX_FIELDS);
            }
        }
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(4_400), "4 giây");
        assert_eq!(duration(185_000), "3 phút 05 giây");
        assert_eq!(duration(3_720_000), "1 giờ 02 phút");
    }
}
