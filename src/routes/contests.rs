use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::{AuthUser, Caller},
    error::{ApiError, ApiResult, ErrorBody},
    services::{
        attempts::AttemptView,
        boards::{self, Board, MyPlace, Results, UnitBoard},
        contests::{
            self, ContestChange, ContestView, NewContest, NewRound, RoundChange, RoundView,
        },
    },
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(detail)
        .service(change)
        .service(add_round)
        .service(change_round)
        .service(start)
        .service(leaderboard)
        .service(leaderboard_me)
        .service(unit_leaderboard)
        .service(results);
}

/// Contests the caller is in the audience of, with each round's state and the caller's
/// attempts left.
#[utoipa::path(context_path = "/api/v1", tag = "contests", security(("bearer" = [])), responses((status = 200, body = [ContestView])))]
#[get("/contests")]
async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<ContestView>>> {
    Ok(web::Json(contests::list(&state, user).await?))
}

/// Create a contest (organizers of the owning unit or above, admins).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    request_body = NewContest,
    responses((status = 201, body = ContestView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/contests")]
async fn create(
    state: web::Data<AppState>,
    actor: Caller,
    body: web::Json<NewContest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(contests::create(&state, &actor, body.into_inner()).await?))
}

/// A contest with its rounds.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Contest id")),
    responses((status = 200, body = ContestView), (status = 404, body = ErrorBody))
)]
#[get("/contests/{id}")]
async fn detail(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
) -> ApiResult<web::Json<ContestView>> {
    Ok(web::Json(
        contests::get(&state, user, id.into_inner()).await?,
    ))
}

/// Change a contest. Once any of its rounds has opened, `ranking` and `prizes` are frozen
/// (409 `contest_frozen`).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Contest id")),
    request_body = ContestChange,
    responses((status = 200, body = ContestView), (status = 403, body = ErrorBody), (status = 409, description = "`contest_frozen`", body = ErrorBody))
)]
#[patch("/contests/{id}")]
async fn change(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
    body: web::Json<ContestChange>,
) -> ApiResult<web::Json<ContestView>> {
    Ok(web::Json(
        contests::change(&state, &actor, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Add a round, numbered after the contest's last. Its draw rules are checked against the
/// banks, which must be contest banks (422 `bank_purpose_mismatch`); `attempts_allowed` is
/// 0 (unlimited) to 100 (422 `invalid_attempts_allowed`).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Contest id")),
    request_body = NewRound,
    responses((status = 201, body = RoundView), (status = 403, body = ErrorBody), (status = 409, description = "`round_conflict`: retry", body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/contests/{id}/rounds")]
async fn add_round(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
    body: web::Json<NewRound>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(contests::add_round(&state, &actor, id.into_inner(), body.into_inner()).await?))
}

/// Change a round; once open its rules are frozen (409 `round_frozen`), and once closed it
/// never re-opens (409 `round_closed`).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Round id")),
    request_body = RoundChange,
    responses((status = 200, body = RoundView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[patch("/rounds/{id}")]
async fn change_round(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
    body: web::Json<RoundChange>,
) -> ApiResult<web::Json<RoundView>> {
    Ok(web::Json(
        contests::change_round(&state, &actor, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Start (or resume) an attempt in a round: 409 `round_not_open`, 403 `not_in_audience`,
/// 409 `no_attempts_left`. Admins, the contest's organizers and whoever can read a bank the
/// round draws from get a practice attempt: never on a board, in the results or the prizes.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 201, body = AttemptView), (status = 200, body = AttemptView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody))
)]
#[post("/rounds/{id}/attempts")]
async fn start(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let (view, created) = contests::start(&state, user, id.into_inner()).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

#[derive(Debug, Deserialize, IntoParams)]
struct PageQuery {
    /// Entries per page (1–200, default 50).
    limit: Option<u32>,
    /// Entries to skip (default 0; at most 4294967295, larger is 400 `invalid_query`).
    offset: Option<u32>,
}

/// The live board of a round: masked names, units, scores. 503 `service_unavailable` while
/// the board's store is down.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Round id"), PageQuery),
    responses((status = 200, body = Board), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody))
)]
#[get("/rounds/{id}/leaderboard")]
async fn leaderboard(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<Board>> {
    Ok(web::Json(
        boards::page(
            &state,
            user,
            id.into_inner(),
            u64::from(q.offset.unwrap_or(0)),
            u64::from(q.limit.unwrap_or(50)),
        )
        .await?,
    ))
}

/// The caller's place on the live board.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Round id")),
    responses((status = 200, body = MyPlace), (status = 503, body = ErrorBody))
)]
#[get("/rounds/{id}/leaderboard/me")]
async fn leaderboard_me(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
) -> ApiResult<web::Json<MyPlace>> {
    Ok(web::Json(boards::me(&state, user, id.into_inner()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
struct UnitQuery {
    /// One round only (default: the whole contest).
    round_id: Option<i32>,
    /// Depth in the unit tree (1 = the root; default: the level below the owning unit).
    level: Option<usize>,
}

/// Units by participants, absolute and per member.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Contest id"), UnitQuery),
    responses((status = 200, body = UnitBoard))
)]
#[get("/contests/{id}/unit-leaderboard")]
async fn unit_leaderboard(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    q: web::Query<UnitQuery>,
) -> ApiResult<web::Json<UnitBoard>> {
    Ok(web::Json(
        contests::unit_board(&state, user, id.into_inner(), q.round_id, q.level).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
struct ResultsQuery {
    /// The export with contact details (organizers only); JSON without it.
    #[param(inline)]
    format: Option<ExportFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum ExportFormat {
    Json,
    Csv,
    Xlsx,
}

/// The final board and prize list of a finalised round (409 `results_not_ready` before).
/// `?format=csv|xlsx` exports them with contact details for the organizers.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "contests",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Round id"), ResultsQuery),
    responses(
        (status = 200, description = "The results (JSON), or their export (`format=csv|xlsx`)", content(
            (Results = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
#[get("/rounds/{id}/results")]
async fn results(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    q: web::Query<ResultsQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    match q.format {
        None | Some(ExportFormat::Json) => {
            Ok(HttpResponse::Ok().json(boards::results(&state, user, id).await?))
        }
        Some(format) => {
            let (name, rows) = boards::export_rows(&state, user, id).await?;
            let (bytes, mime, ext) = if format == ExportFormat::Csv {
                (
                    crate::export::csv(&rows).into_bytes(),
                    "text/csv; charset=utf-8",
                    "csv",
                )
            } else {
                (
                    crate::export::xlsx("Kết quả", &rows).map_err(ApiError::Internal)?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx",
                )
            };
            Ok(HttpResponse::Ok()
                .content_type(mime)
                .insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"{name}.{ext}\""),
                ))
                .body(bytes))
        }
    }
}
