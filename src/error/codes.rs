//! Every refusal the API can answer with, defined once: the HTTP status, the stable code
//! clients switch on and the Vietnamese message people read. The OpenAPI document lists the
//! codes (`ErrorCode`), so a client can see every value `error.code` takes.
//!
//! A code may appear twice with different statuses when the same fact is a different kind of
//! refusal: a unit in the path that does not exist is 404, a unit named in a body is 422.

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = ($status:ident, $code:literal, $message:literal), )*) => {
        /// A refusal from the catalogue (see the module documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The HTTP status.
            pub const fn status(self) -> u16 {
                match self { $(Code::$variant => status::$status,)* }
            }

            /// The stable identifier sent as `error.code`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The default Vietnamese message.
            pub const fn message(self) -> &'static str {
                match self { $(Code::$variant => $message,)* }
            }
        }
    };
}

/// The statuses codes use, as numbers: domain code names its refusals without depending on
/// the web framework.
mod status {
    pub const BAD_REQUEST: u16 = 400;
    pub const UNAUTHORIZED: u16 = 401;
    pub const FORBIDDEN: u16 = 403;
    pub const NOT_FOUND: u16 = 404;
    pub const METHOD_NOT_ALLOWED: u16 = 405;
    pub const CONFLICT: u16 = 409;
    pub const PAYLOAD_TOO_LARGE: u16 = 413;
    pub const UNSUPPORTED_MEDIA_TYPE: u16 = 415;
    pub const UNPROCESSABLE_ENTITY: u16 = 422;
    pub const TOO_MANY_REQUESTS: u16 = 429;
    pub const INTERNAL_SERVER_ERROR: u16 = 500;
    pub const SERVICE_UNAVAILABLE: u16 = 503;
}

codes! {
    // ── Requests ────────────────────────────────────────────────────────────────────────
    MalformedJson = (BAD_REQUEST, "malformed_json", "Dữ liệu gửi lên không phải JSON hợp lệ"),
    InvalidBody = (BAD_REQUEST, "invalid_body", "Dữ liệu gửi lên không đúng cấu trúc"),
    InvalidQuery = (BAD_REQUEST, "invalid_query", "Tham số truy vấn không hợp lệ"),
    InvalidUpload = (BAD_REQUEST, "invalid_upload", "Tệp tải lên không hợp lệ"),
    InvalidIdempotencyKey = (BAD_REQUEST, "invalid_idempotency_key", "Idempotency-Key không hợp lệ"),
    NulCharacter = (UNPROCESSABLE_ENTITY, "nul_character", "Dữ liệu chứa ký tự không lưu được (NUL), vui lòng bỏ ký tự đó và gửi lại"),
    PayloadTooLarge = (PAYLOAD_TOO_LARGE, "payload_too_large", "Dữ liệu gửi lên vượt quá dung lượng cho phép"),
    UnsupportedMediaType = (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Dữ liệu phải ở dạng JSON (Content-Type: application/json)"),
    NotFound = (NOT_FOUND, "not_found", "Không tìm thấy địa chỉ được yêu cầu"),
    MethodNotAllowed = (METHOD_NOT_ALLOWED, "method_not_allowed", "Địa chỉ này không hỗ trợ phương thức này"),
    TooManyRequests = (TOO_MANY_REQUESTS, "too_many_requests", "Bạn đã thử quá nhiều lần, vui lòng thử lại sau"),
    ServerBusy = (TOO_MANY_REQUESTS, "server_busy", "Máy chủ đang bận, yêu cầu chưa được thực hiện; vui lòng thử lại sau"),
    LeaderboardUnavailable = (SERVICE_UNAVAILABLE, "leaderboard_unavailable", "Bảng xếp hạng tạm thời chưa xem được; bài làm của bạn vẫn được ghi nhận đầy đủ"),
    ServiceUnavailable = (SERVICE_UNAVAILABLE, "service_unavailable", "Hệ thống tạm thời không phục vụ được, vui lòng thử lại sau"),
    InternalError = (INTERNAL_SERVER_ERROR, "internal_error", "Đã có lỗi xảy ra ở máy chủ, vui lòng thử lại sau"),

    // ── Sessions and accounts ───────────────────────────────────────────────────────────
    Unauthenticated = (UNAUTHORIZED, "unauthenticated", "Bạn cần đăng nhập để thực hiện thao tác này"),
    InvalidToken = (UNAUTHORIZED, "invalid_token", "Mã xác thực không hợp lệ"),
    TokenExpired = (UNAUTHORIZED, "token_expired", "Phiên đăng nhập đã hết hạn, vui lòng làm mới hoặc đăng nhập lại"),
    TokenRevoked = (UNAUTHORIZED, "token_revoked", "Phiên đăng nhập đã kết thúc, vui lòng đăng nhập lại"),
    InvalidRefreshToken = (UNAUTHORIZED, "invalid_refresh_token", "Phiên đăng nhập không hợp lệ, vui lòng đăng nhập lại"),
    RefreshTokenExpired = (UNAUTHORIZED, "refresh_token_expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại"),
    InvalidCredentials = (UNAUTHORIZED, "invalid_credentials", "Tên đăng nhập hoặc mật khẩu không đúng"),
    AccountNotFound = (UNAUTHORIZED, "account_not_found", "Tài khoản không còn tồn tại"),
    Forbidden = (FORBIDDEN, "forbidden", "Bạn không có quyền thực hiện thao tác này"),
    DuplicateLogin = (CONFLICT, "duplicate_login", "Số điện thoại hoặc e-mail này đã được đăng ký"),
    LoginRequired = (UNPROCESSABLE_ENTITY, "login_required", "Cần có số điện thoại hoặc e-mail để đăng nhập"),
    WrongPassword = (UNPROCESSABLE_ENTITY, "wrong_password", "Mật khẩu hiện tại không đúng"),
    InvalidPhone = (UNPROCESSABLE_ENTITY, "invalid_phone", "Số điện thoại không hợp lệ"),
    InvalidEmail = (UNPROCESSABLE_ENTITY, "invalid_email", "E-mail không hợp lệ"),
    InvalidFullName = (UNPROCESSABLE_ENTITY, "invalid_full_name", "Họ và tên không hợp lệ"),
    WeakPassword = (UNPROCESSABLE_ENTITY, "weak_password", "Mật khẩu phải có ít nhất 8 ký tự"),
    InvalidBirthDate = (UNPROCESSABLE_ENTITY, "invalid_birth_date", "Ngày sinh không hợp lệ"),
    CategoriesRequired = (UNPROCESSABLE_ENTITY, "categories_required", "Cần chọn ít nhất một đối tượng"),
    AdmittedOnRequired = (UNPROCESSABLE_ENTITY, "admitted_on_required", "Đoàn viên mới cần có ngày kết nạp (admitted_on)"),
    InvalidAdmittedOn = (UNPROCESSABLE_ENTITY, "invalid_admitted_on", "Ngày kết nạp không hợp lệ"),
    GuardianConsentRequired = (UNPROCESSABLE_ENTITY, "guardian_consent_required", "Người dưới 16 tuổi cần có sự đồng ý của cha mẹ hoặc người giám hộ"),
    UnitRequired = (UNPROCESSABLE_ENTITY, "unit_required", "Cần chọn đơn vị để xác nhận thay đổi"),
    InvalidReason = (UNPROCESSABLE_ENTITY, "invalid_reason", "Lý do tối đa 500 ký tự, không chứa ký tự điều khiển"),
    RequestNotFound = (NOT_FOUND, "request_not_found", "Không tìm thấy yêu cầu thay đổi"),
    RequestDecided = (CONFLICT, "request_decided", "Yêu cầu này đã được xử lý hoặc đã được thay thế"),

    // ── Units ───────────────────────────────────────────────────────────────────────────
    UnitNotFound = (NOT_FOUND, "unit_not_found", "Không tìm thấy đơn vị"),
    /// A unit named in a body or a query that does not exist.
    UnknownUnit = (UNPROCESSABLE_ENTITY, "unit_not_found", "Không tìm thấy đơn vị"),
    UnitMerged = (CONFLICT, "unit_merged", "Đơn vị này đã được hợp nhất trước đó"),
    /// A merged unit named in a body.
    MergedUnit = (UNPROCESSABLE_ENTITY, "unit_merged", "Đơn vị đã được hợp nhất"),
    UnitCycle = (UNPROCESSABLE_ENTITY, "unit_cycle", "Không thể chuyển đơn vị vào chính nó hoặc vào một đơn vị cấp dưới của nó"),
    MergeIntoSelf = (UNPROCESSABLE_ENTITY, "merge_into_self", "Không thể hợp nhất một đơn vị vào chính nó"),
    InvalidKind = (UNPROCESSABLE_ENTITY, "invalid_kind", "Loại đơn vị không hợp lệ"),
    InvalidName = (UNPROCESSABLE_ENTITY, "invalid_name", "Tên đơn vị phải có từ 2 đến 200 ký tự"),
    InvalidMemberCount = (UNPROCESSABLE_ENTITY, "invalid_member_count", "Số đoàn viên không hợp lệ"),
    UserNotFound = (UNPROCESSABLE_ENTITY, "user_not_found", "Không tìm thấy người dùng"),
    OrganizerNotFound = (NOT_FOUND, "organizer_not_found", "Người này không phải cán bộ phụ trách của đơn vị"),

    // ── Banks and imports ───────────────────────────────────────────────────────────────
    BankNotFound = (NOT_FOUND, "bank_not_found", "Không tìm thấy ngân hàng câu hỏi"),
    BankRejected = (UNPROCESSABLE_ENTITY, "bank_rejected", "Có tệp không nhập được"),
    BankPurposeMismatch = (UNPROCESSABLE_ENTITY, "bank_purpose_mismatch", "Ngân hàng câu hỏi này dành cho mục đích khác"),
    BankInUse = (CONFLICT, "bank_in_use", "Ngân hàng câu hỏi đang được dùng"),
    BankSealed = (CONFLICT, "bank_sealed", "Bài ôn tập này rút câu hỏi từ ngân hàng của một cuộc thi nên tạm khóa"),
    NoFile = (UNPROCESSABLE_ENTITY, "no_file", "Chưa có tệp nào được tải lên"),
    TooManyFiles = (UNPROCESSABLE_ENTITY, "too_many_files", "Quá nhiều tệp trong một lần tải lên"),
    InvalidFileName = (UNPROCESSABLE_ENTITY, "invalid_file_name", "Tên tệp không hợp lệ"),

    // ── Courses ─────────────────────────────────────────────────────────────────────────
    CourseNotFound = (NOT_FOUND, "course_not_found", "Không tìm thấy khóa học"),
    LessonNotFound = (NOT_FOUND, "lesson_not_found", "Không tìm thấy bài học"),
    CourseRejected = (UNPROCESSABLE_ENTITY, "course_rejected", "Khóa học không nhập được"),
    InvalidCourse = (UNPROCESSABLE_ENTITY, "invalid_course", "Khóa học không hợp lệ"),
    QuizRequired = (CONFLICT, "quiz_required", "Bài học này hoàn thành khi bạn làm đạt bài kiểm tra của bài"),

    // ── Attempts ────────────────────────────────────────────────────────────────────────
    QuizNotFound = (NOT_FOUND, "quiz_not_found", "Không tìm thấy bài kiểm tra"),
    AttemptNotFound = (NOT_FOUND, "attempt_not_found", "Không tìm thấy bài làm"),
    AttemptsExhausted = (CONFLICT, "attempts_exhausted", "Bạn đã dùng hết lượt làm bài"),
    AttemptClosed = (CONFLICT, "attempt_closed", "Bài làm đã kết thúc, không thể lưu hay nộp thêm"),
    AlreadySubmitted = (CONFLICT, "already_submitted", "Bài làm này đã được nộp"),
    AttemptConflict = (CONFLICT, "attempt_conflict", "Vui lòng thử lại"),
    StaleRevision = (CONFLICT, "stale_revision", "Bài làm đã được lưu từ một thiết bị khác; hãy tải lại để tiếp tục"),
    PaperUnavailable = (CONFLICT, "paper_unavailable", "Chưa thể tạo đề"),
    UnknownQuestion = (UNPROCESSABLE_ENTITY, "unknown_question", "Câu hỏi không có trong đề này"),
    UnknownOption = (UNPROCESSABLE_ENTITY, "unknown_option", "Phương án không hợp lệ"),
    SingleChoice = (UNPROCESSABLE_ENTITY, "single_choice", "Câu hỏi chỉ chọn một phương án"),

    // ── Contests, rounds and boards ─────────────────────────────────────────────────────
    ContestNotFound = (NOT_FOUND, "contest_not_found", "Không tìm thấy cuộc thi"),
    RoundNotFound = (NOT_FOUND, "round_not_found", "Không tìm thấy vòng thi"),
    DuplicateContest = (CONFLICT, "duplicate_contest", "Mã cuộc thi này đã được dùng"),
    RoundConflict = (CONFLICT, "round_conflict", "Vòng thi vừa được thêm bởi một yêu cầu khác; hãy thử lại"),
    NotInAudience = (FORBIDDEN, "not_in_audience", "Cuộc thi này không dành cho đối tượng hoặc đơn vị của bạn"),
    NoAttemptsLeft = (CONFLICT, "no_attempts_left", "Bạn đã dùng hết lượt làm bài của vòng thi"),
    RoundNotOpen = (CONFLICT, "round_not_open", "Vòng thi chưa mở hoặc đã đóng"),
    RoundClosed = (CONFLICT, "round_closed", "Vòng thi đã đóng: không thể mở lại hay đổi thời điểm đóng"),
    RoundFrozen = (CONFLICT, "round_frozen", "Vòng thi đã mở: không thể đổi luật thi (chỉ được đổi tên hoặc lùi thời điểm đóng)"),
    ContestFrozen = (CONFLICT, "contest_frozen", "Cuộc thi đã có vòng thi mở: không thể đổi cách xếp hạng hay cơ cấu giải"),
    ResultsNotReady = (CONFLICT, "results_not_ready", "Vòng thi chưa có kết quả chung cuộc"),
    InvalidTitle = (UNPROCESSABLE_ENTITY, "invalid_title", "Tên cuộc thi cần ít nhất 3 ký tự"),
    InvalidSlug = (UNPROCESSABLE_ENTITY, "invalid_slug", "Mã cuộc thi chỉ gồm chữ thường không dấu, số và '-'"),
    InvalidWindow = (UNPROCESSABLE_ENTITY, "invalid_window", "Thời điểm đóng phải sau thời điểm mở"),
    InvalidTimeLimit = (UNPROCESSABLE_ENTITY, "invalid_time_limit", "Thời gian làm bài phải từ 1 đến 600 phút"),
    InvalidAttemptsAllowed = (UNPROCESSABLE_ENTITY, "invalid_attempts_allowed", "Số lượt làm bài không hợp lệ"),
    InvalidDraw = (UNPROCESSABLE_ENTITY, "invalid_draw", "Cần ít nhất một quy tắc rút câu hỏi với count > 0"),
    InvalidPrizes = (UNPROCESSABLE_ENTITY, "invalid_prizes", "Cơ cấu giải không hợp lệ (tên giải, tỉ lệ tối đa 0–100%)"),
    // Certificates
    CertificateNotFound = (NOT_FOUND, "certificate_not_found", "Không tìm thấy chứng nhận"),
    CertificateExists = (CONFLICT, "certificate_exists", "Thành tích này đã có chứng nhận còn hiệu lực; hãy cấp lại thay vì cấp mới"),
    CertificateNotValid = (CONFLICT, "certificate_not_valid", "Chứng nhận đã bị thu hồi hoặc đã được thay thế"),
    NotEligible = (UNPROCESSABLE_ENTITY, "not_eligible", "Người này chưa có thành tích để cấp chứng nhận (chưa hoàn thành khóa học hoặc không có kết quả ở vòng thi)"),

    // ── Rosters, indicators, statistics ─────────────────────────────────────────────────
    RosterRejected = (UNPROCESSABLE_ENTITY, "roster_rejected", "Danh sách đoàn viên có lỗi, chưa có thay đổi nào được ghi"),
    UnsupportedFile = (UNPROCESSABLE_ENTITY, "unsupported_file", "Chỉ nhận tệp Excel .xlsx hoặc .csv (UTF-8)"),
    MemberNotFound = (NOT_FOUND, "member_not_found", "Không tìm thấy đoàn viên trong danh sách"),
    IndicatorNotFound = (NOT_FOUND, "indicator_not_found", "Không tìm thấy chỉ tiêu"),
    InvalidIndicator = (UNPROCESSABLE_ENTITY, "invalid_indicator", "Chỉ tiêu không hợp lệ"),
    IndicatorExists = (CONFLICT, "indicator_exists", "Đã có chỉ tiêu với mã khóa này trong danh mục"),
    InvalidYear = (UNPROCESSABLE_ENTITY, "invalid_year", "Năm không hợp lệ hoặc không thuộc giai đoạn nào của kế hoạch"),
    InvalidPeriod = (UNPROCESSABLE_ENTITY, "invalid_period", "Khoảng thời gian không hợp lệ"),
    InvalidFigures = (UNPROCESSABLE_ENTITY, "invalid_figures", "Số liệu báo cáo không hợp lệ"),
    ReportLocked = (CONFLICT, "report_locked", "Đã quá hạn nộp báo cáo năm; báo cáo đã khóa, cần quản trị viên mở khóa để sửa"),
    ReportNotFound = (NOT_FOUND, "report_not_found", "Không tìm thấy báo cáo"),
    InvalidFormat = (UNPROCESSABLE_ENTITY, "invalid_format", "Định dạng xuất phải là csv, xlsx hoặc pdf"),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_names_one_kind_of_refusal_and_has_a_vietnamese_message() {
        let mut seen = std::collections::HashMap::new();
        for &code in Code::ALL {
            let s = code.as_str();
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert!(!code.message().is_empty());
            // The same identifier twice only with different statuses.
            if let Some(status) = seen.insert(s, code.status()) {
                assert_ne!(status, code.status(), "{s} is defined twice");
            }
        }
    }
}
