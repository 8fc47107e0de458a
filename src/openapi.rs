//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder, Schema,
        path::{Operation, ParameterIn},
        schema::ArrayItems,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::{error, routes, services};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Soi Đường API",
        description = "Học lý luận chính trị, thi trực tuyến và chứng nhận cho Đoàn TNCS Hồ Chí Minh. \
                       Every error body is `{\"error\":{\"code\",\"message\"}}` with a Vietnamese message. \
                       Text never holds NUL (U+0000): a body with one is refused with 422 `nul_character`. \
                       A JSON number is read by value: `17640.0` is the integer 17640."
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
        routes::banks::content_report,
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
        routes::certificates::my_certificates,
        routes::certificates::get_certificate,
        routes::certificates::pdf,
        routes::certificates::credential,
        routes::certificates::revoke,
        routes::certificates::reissue,
        routes::certificates::issue,
        routes::certificates::round_zip,
        routes::certificates::course_zip,
        routes::certificates::verify_json,
        routes::certificates::verify_page,
        routes::certificates::public_keys,
        routes::rosters::upload_roster,
        routes::rosters::list_members,
        routes::rosters::change_member,
        routes::rosters::my_roster,
        routes::rosters::confirm_roster,
        routes::stats::catalogue,
        routes::stats::add_indicator,
        routes::stats::link_courses,
        routes::stats::years,
        routes::stats::set_year,
        routes::stats::indicator_report,
        routes::stats::course_stats,
        routes::stats::contest_stats,
        routes::stats::submit_report,
        routes::stats::submissions,
        routes::stats::unit_report,
        routes::stats::unlock_report,
        routes::ops::healthz,
        routes::ops::readyz,
        routes::ops::metrics,
        routes::ops::openapi_json,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail, services::accounts::Roles, services::accounts::SessionRecord)),
    modifiers(&BearerAuth, &CommonResponses, &Refinements),
    tags(
        (name = "auth", description = "Đăng ký, đăng nhập, phiên"),
        (name = "me", description = "Tài khoản của tôi"),
        (name = "certificates", description = "Chứng nhận: cấp, thu hồi, cấp lại, xác thực"),
        (name = "units", description = "Cây đơn vị"),
        (name = "question-banks", description = "Ngân hàng câu hỏi"),
        (name = "courses", description = "Khóa học, bài học, tiến độ"),
        (name = "attempts", description = "Làm bài: bắt đầu, lưu, nộp"),
        (name = "contests", description = "Cuộc thi, vòng thi, bảng xếp hạng, kết quả"),
        (name = "rosters", description = "Danh sách đoàn viên của đơn vị"),
        (name = "statistics", description = "Thống kê, chỉ tiêu, báo cáo năm"),
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

/// The answers every operation of a kind can give, stated once instead of on each handler so
/// that the document says what the service does: 401 where a token is required, 400 for a query
/// string or body that cannot be read, 404 for an unknown id, 413/415 for bodies, 503 when the
/// database does not answer.
struct CommonResponses;

impl CommonResponses {
    fn add(op: &mut Operation, status: &str, description: &str) {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build(),
                )
            });
    }

    fn apply(op: &mut Operation) {
        let has = |op: &Operation, place: ParameterIn| {
            op.parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == place)
        };
        if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
            Self::add(
                op,
                "401",
                "Chưa đăng nhập, hoặc phiên đã hết hạn (`unauthorized`, `token_expired`, …)",
            );
        }
        if has(op, ParameterIn::Path) {
            Self::add(
                op,
                "404",
                "Không có đối tượng này (`…_not_found`, `not_found`)",
            );
        }
        if has(op, ParameterIn::Query) {
            Self::add(op, "400", "Tham số truy vấn không hợp lệ (`invalid_query`)");
        }
        if op.request_body.is_some() {
            Self::add(
                op,
                "400",
                "Thân yêu cầu không đọc được (`malformed_json`, `invalid_body`, `invalid_upload`)",
            );
            Self::add(op, "413", "Thân yêu cầu quá lớn (`payload_too_large`)");
            Self::add(
                op,
                "415",
                "Kiểu nội dung không được hỗ trợ (`unsupported_media_type`)",
            );
            Self::add(
                op,
                "422",
                "Dữ liệu vi phạm một quy tắc (`field` chỉ ra trường sai; `nul_character`, …)",
            );
        }
        if op.tags.iter().flatten().any(|t| t == "operations") {
            return;
        }
        Self::add(
            op,
            "503",
            "Cơ sở dữ liệu tạm thời không trả lời (`service_unavailable`)",
        );
    }
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                Self::apply(op);
            }
        }
    }
}

/// Rules the derive cannot attach where they belong: bounds on the items of an array.
struct Refinements;

impl Modify for Refinements {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        // A draw rule's difficulties are 1, 2 or 3 (`domain::paper::DrawRule`).
        if let Some(RefOr::T(Schema::Object(rule))) = components.schemas.get_mut("DrawRule")
            && let Some(RefOr::T(Schema::Array(list))) = rule.properties.get_mut("difficulty")
            && let ArrayItems::RefOrSchema(item) = &mut list.items
            && let RefOr::T(Schema::Object(item)) = item.as_mut()
        {
            item.minimum = Some(1.into());
            item.maximum = Some(3.into());
        }
    }
}
