//! A contest round: what it is, the button to take part, and its live board (the top of the
//! board, my place, my unit's standing), which the pages' script refreshes without reloading
//! from `/vong-thi/{id}/bang` (the board section alone).

use actix_web::{HttpResponse, get, http::StatusCode, web};
use maud::{Markup, html};

use super::{PageError, csrf, html_scripted, layout, session::PageCaller};
use crate::{
    auth::Caller,
    domain::{round::RoundState, time::vn_offset, unit::path_ids},
    error::ApiError,
    services::{
        boards::{self, Board, MyPlace, UnitBoard},
        contests::{self, ContestView, RoundView},
        rounds,
    },
    state::AppState,
};

/// Entries at the top of the board shown.
const TOP: u64 = 10;
/// Units of the unit standing shown (besides the caller's own).
const TOP_UNITS: usize = 5;
/// Seconds between two refreshes of the board by the script.
const REFRESH_SECS: u32 = 20;

/// A round as the caller may see it (404 outside the audience), with its contest and the
/// board section's parts.
struct Shown {
    contest: ContestView,
    /// The round's position in `contest.rounds`.
    at: usize,
    standing: Standing,
}

impl Shown {
    async fn load(state: &AppState, caller: &Caller, id: i32) -> Result<Shown, PageError> {
        let facts = rounds::existing(state, id).await?;
        let contest = contests::get(state, caller.auth(), facts.round.contest_id).await?;
        let at = contest
            .rounds
            .iter()
            .position(|r| r.id == id)
            .ok_or_else(|| ApiError::from(crate::error::Code::RoundNotFound))?;
        let standing = standing(state, caller, &contest, id).await;
        Ok(Shown {
            contest,
            at,
            standing,
        })
    }

    fn round(&self) -> &RoundView {
        // `at` was found in `contest.rounds` by `load`.
        &self.contest.rounds[self.at]
    }
}

/// What the board section shows; a part the board's store cannot give now is left out, so
/// the page still opens (the round and its button matter more).
struct Standing {
    top: Option<Board>,
    me: Option<MyPlace>,
    units: Option<std::sync::Arc<UnitBoard>>,
}

async fn standing(
    state: &AppState,
    caller: &Caller,
    contest: &ContestView,
    round: i32,
) -> Standing {
    let who = caller.auth();
    let scope = contests::scope(contest);
    let (top, me, units) = tokio::join!(
        boards::page(state, who, round, 0, TOP),
        boards::me(state, who, round),
        boards::recent_unit_board(state, &scope, Some(round), None),
    );
    for e in [top.as_ref().err(), me.as_ref().err(), units.as_ref().err()]
        .into_iter()
        .flatten()
    {
        tracing::warn!(round_id = round, error = %e, "a part of the round's board is not shown");
    }
    Standing {
        top: top.ok(),
        me: me.ok(),
        units: units.ok(),
    }
}

fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

fn board(
    round: &RoundView,
    caller: &Caller,
    s: &Standing,
    now: chrono::DateTime<chrono::Utc>,
) -> Markup {
    // The caller's unit as the unit board rolls it up: its ancestor at the board's level.
    let my_unit = |level: usize| {
        caller
            .unit_path
            .as_deref()
            .and_then(|p| path_ids(p).get(level - 1).copied())
    };
    html! {
        section #bang aria-labelledby="bang-xep-hang" data-src={ "/vong-thi/" (round.id) "/bang" } data-refresh=(REFRESH_SECS) {
            h2 #bang-xep-hang { "Bảng xếp hạng" }
            p.sub { "Cập nhật lúc " (now.with_timezone(&vn_offset()).format("%H:%M:%S")) " · tự làm mới sau mỗi " (REFRESH_SECS) " giây" }
            @match &s.me {
                Some(MyPlace { entry: Some(e), total_participants, .. }) => {
                    p.card.mine { "Bạn đang xếp hạng " strong { (e.rank) } " trên " (total_participants) " người: đúng " (e.correct) "/" (e.total) " câu trong " (clock(e.duration_ms)) "." }
                }
                Some(MyPlace { total_participants, .. }) => {
                    p.note { "Bạn chưa có bài nộp trong vòng này. Đã có " (total_participants) " người tham gia." }
                }
                None => {}
            }
            @match &s.top {
                Some(b) if !b.entries.is_empty() => {
                    div.scroll {
                        table {
                            caption.sub { "Những người dẫn đầu (tên đã được che một phần)" }
                            thead { tr { th.n scope="col" { "Hạng" } th scope="col" { "Người dự thi" } th.n scope="col" { "Đúng" } th.n scope="col" { "Thời gian" } } }
                            tbody {
                                @for e in &b.entries {
                                    tr {
                                        td.n { (e.rank) }
                                        th scope="row" { (e.display_name) @if let Some(u) = &e.unit_name { span.sub { (u) } } }
                                        td.n { (e.correct) "/" (e.total) }
                                        td.n { (clock(e.duration_ms)) }
                                    }
                                }
                            }
                        }
                    }
                }
                Some(_) => { p.note { "Chưa có ai nộp bài." } }
                None => { p.note.err { "Bảng xếp hạng tạm thời chưa xem được; trang sẽ thử lại." } }
            }
            @if let Some(u) = &s.units {
                @let mine = my_unit(u.level);
                @let place = u.by_participants.iter().position(|r| Some(r.unit_id) == mine);
                h3 { "Các đơn vị theo số người tham gia" }
                @if let (Some(i), Some(row)) = (place, place.and_then(|i| u.by_participants.get(i))) {
                    p.card.mine { "Đơn vị của bạn, " strong { (row.unit_name) } ", đứng thứ " strong { (i + 1) } " trên " (u.by_participants.len()) " đơn vị với " (row.participants) " người tham gia." }
                }
                ol.units {
                    @for row in u.by_participants.iter().take(TOP_UNITS) {
                        li.mine[Some(row.unit_id) == mine] { (row.unit_name) ": " (row.participants) " người" }
                    }
                }
            }
        }
    }
}

#[get("/vong-thi/{id}")]
pub async fn round_page(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.0;
    let shown = Shown::load(&state, &caller, id.into_inner()).await?;
    let (contest, round) = (&shown.contest, shown.round());
    let now = state.clock.now();
    let (name, token) = layout::who(&state, &caller).await?;
    let nav = layout::Nav {
        name: &name,
        csrf: &token,
    };
    let vn = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&vn_offset())
            .format("%H:%M %d/%m/%Y")
            .to_string()
    };
    let body = layout::page_scripted(
        &format!("{} — {}", contest.title, round.title),
        Some(&nav),
        html! {
            p.sub { a href="/" { "← Trang chủ" } }
            section.card aria-labelledby="vong" {
                h2 #vong { "Vòng " (round.number) ": " (round.title) }
                dl {
                    dt { "Thời gian mở" } dd { "Từ " (vn(round.opens_at)) " đến " (vn(round.closes_at)) " (giờ Việt Nam)" }
                    dt { "Đề thi" } dd { (round.questions) " câu, " (round.time_limit_minutes) " phút" }
                    dt { "Số lượt" }
                    dd {
                        @match round.attempts_left {
                            Some(n) => { "Đã làm " (round.attempts_used) ", còn " (n) " lượt" }
                            None => { "Không giới hạn (lượt tốt nhất được tính)" }
                        }
                    }
                }
                @match round.state {
                    RoundState::Open => {
                        form method="post" action={ "/vong-thi/" (round.id) "/bat-dau" } {
                            input type="hidden" name=(csrf::FIELD) value=(token);
                            button type="submit" {
                                @if round.attempts_left == Some(0) { "Làm tiếp bài đang làm" } @else { "Vào thi" }
                            }
                        }
                        p.note {
                            @if round.attempts_left == Some(0) { "Bạn đã dùng hết số lượt; chỉ bài còn đang làm dở (nếu có) được mở lại." }
                            @else { "Nếu đang có bài làm dở, bạn sẽ làm tiếp bài đó, trên bất kỳ thiết bị nào." }
                        }
                    }
                    RoundState::Upcoming => { p.note { "Vòng thi chưa mở." } }
                    _ => { p.note { "Vòng thi đã đóng." } }
                }
            }
            (board(round, &caller, &shown.standing, now))
        },
    );
    Ok(html_scripted(StatusCode::OK, body))
}

/// The board section alone, for the script's refresh.
#[get("/vong-thi/{id}/bang")]
pub async fn board_fragment(
    state: web::Data<AppState>,
    caller: PageCaller,
    id: web::Path<i32>,
) -> Result<HttpResponse, PageError> {
    let caller = caller.0;
    let shown = Shown::load(&state, &caller, id.into_inner()).await?;
    let board = board(shown.round(), &caller, &shown.standing, state.clock.now());
    let body = html! {
        (maud::DOCTYPE)
        html lang="vi" { head { meta charset="utf-8"; title { "Bảng xếp hạng" } } body { (board) } }
    };
    Ok(html_scripted(StatusCode::OK, body.into_string()))
}
