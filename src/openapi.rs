//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::{error, routes, services};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Soi Đường API",
        description = "Học lý luận chính trị, thi trực tuyến và chứng nhận cho Đoàn TNCS Hồ Chí Minh. \
                       Every error body is `{\"error\":{\"code\",\"message\"}}` with a Vietnamese message."
    ),
    paths(
        routes::auth::register,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::me::get_me,
        routes::me::patch_me,
        routes::me::export_me,
        routes::me::delete_me,
        routes::me::my_membership_requests,
        routes::me::unit_membership_requests,
        routes::me::approve_membership_request,
        routes::me::reject_membership_request,
        routes::units::list_units,
        routes::units::get_unit,
        routes::units::create_unit,
        routes::units::change_unit,
        routes::units::merge_unit,
        routes::units::list_organizers,
        routes::units::appoint_organizer,
        routes::units::dismiss_organizer,
        routes::banks::import,
        routes::banks::list,
        routes::banks::detail,
        routes::courses::list,
        routes::courses::create,
        routes::courses::detail,
        routes::courses::progress,
        routes::courses::lesson,
        routes::courses::complete_lesson,
        routes::courses::start_attempt,
        routes::attempts::get_attempt,
        routes::attempts::save,
        routes::attempts::submit,
        routes::contests::list,
        routes::contests::create,
        routes::contests::detail,
        routes::contests::change,
        routes::contests::add_round,
        routes::contests::change_round,
        routes::contests::start,
        routes::contests::leaderboard,
        routes::contests::leaderboard_me,
        routes::contests::unit_leaderboard,
        routes::contests::results,
        routes::ops::healthz,
        routes::ops::readyz,
        routes::ops::metrics,
        routes::ops::openapi_json,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail, services::accounts::Roles, services::accounts::SessionRecord)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Đăng ký, đăng nhập, phiên"),
        (name = "me", description = "Tài khoản của tôi"),
        (name = "units", description = "Cây đơn vị"),
        (name = "question-banks", description = "Ngân hàng câu hỏi"),
        (name = "courses", description = "Khóa học, bài học, tiến độ"),
        (name = "attempts", description = "Làm bài: bắt đầu, lưu, nộp"),
        (name = "contests", description = "Cuộc thi, vòng thi, bảng xếp hạng, kết quả"),
        (name = "operations", description = "Vận hành"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}
