//! The public verification page (`GET /verify/{code}`): what a phone shows after scanning the
//! QR code on a certificate.
//!
//! A verdict alone would let an edited paper pass, so the page states every signed fact for
//! the reader to compare with the paper. It is one small self-contained document: the shared
//! stylesheet inlined, no script, no font or image from anywhere (the page must work on a poor
//! connection and must not tell third parties who checks whose certificate). Every value from
//! the database goes through [`escape`]. The HTTP status (200, or 404 for `None`) is the route's business.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::domain::certificate::{Status, Verification};
// The shared stylesheet (`src/web/style.css`), inlined so the page stays one request. Its
// `overflow-wrap:anywhere` lets long codes, signatures and unbroken names wrap, so nothing
// scrolls sideways at 360 px.
use crate::web::STYLE;

/// Where the published public keys are (see `certificates::signing`).
pub const PUBLIC_KEY_PATH: &str = "/.well-known/soiduong-certificates.pub";

/// At most this many characters of a typed code are echoed back on the not-found page, so a
/// pasted essay cannot make the page large.
const ECHO_LIMIT: usize = 40;

/// The verification page for `v`, or the not-found page (`None`) echoing the code as typed.
pub fn page(v: Option<&Verification>, code_typed: &str) -> String {
    let mut body = String::with_capacity(4096);
    match v {
        None => not_found(&mut body, code_typed),
        Some(v) => found(&mut body, v),
    }
    let title = match v {
        None => "Không tìm thấy chứng nhận",
        Some(v) => verdict(&v.status),
    };
    document(title, &body)
}

/// The page shown when the lookup could not be made (too many lookups from one address, the
/// database down): the error's Vietnamese message, no facts.
pub fn unavailable(message: &str) -> String {
    let body = format!(
        "<section class=\"v nf\" role=\"status\">\n<h1>Chưa tra cứu được</h1>\n<p>{}</p>\n</section>\n",
        escape(message)
    );
    document("Chưa tra cứu được", &body)
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n<title>{title} — Soi Đường</title>\n\
<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
<p class=\"site\">Soi Đường · Tra cứu chứng nhận</p>\n{body}</main>\n</body>\n</html>\n"
    )
}

fn verdict(status: &Status) -> &'static str {
    match status {
        Status::Valid => "Chứng nhận hợp lệ",
        Status::Revoked { .. } => "Chứng nhận đã bị thu hồi",
        Status::Superseded { .. } => "Chứng nhận đã được thay thế",
    }
}

fn found(out: &mut String, v: &Verification) {
    let (class, detail) = match &v.status {
        Status::Valid => (
            "ok",
            "Chứng nhận do Soi Đường cấp, còn hiệu lực. Hãy so sánh từng thông tin dưới đây với \
             bản giấy: nếu có chỗ khác, bản giấy đã bị sửa."
                .to_owned(),
        ),
        Status::Revoked { revoked_at, reason } => (
            "rev",
            format!(
                "Lý do: {}.<br>Ngày thu hồi: {}. Chứng nhận này không còn giá trị.",
                escape(reason.trim_end_matches('.')),
                vn_date(vn_day(*revoked_at))
            ),
        ),
        Status::Superseded {
            superseded_at,
            superseded_by,
        } => {
            let href: String = superseded_by
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (
                "sup",
                format!(
                    "Ngày {} đã cấp lại bằng chứng nhận mới: <a href=\"/verify/{href}\">{}</a>. \
                     Chứng nhận này không còn giá trị; hãy dùng chứng nhận mới.",
                    vn_date(vn_day(*superseded_at)),
                    escape(superseded_by)
                ),
            )
        }
    };
    let _ = write!(
        out,
        "<section class=\"v {class}\" role=\"status\">\n<h1>{}</h1>\n<p>{detail}</p>\n</section>\n",
        verdict(&v.status)
    );
    out.push_str("<section class=\"card\">\n<h2>Thông tin được chứng nhận</h2>\n<dl>\n");
    let unit = v.holder_unit.as_deref().unwrap_or("—");
    let issued = vn_date(v.issued_on);
    for (term, value) in [
        ("Họ và tên", v.holder.as_str()),
        ("Đơn vị", unit),
        ("Nội dung chứng nhận", v.description.as_str()),
        ("Ngày cấp", issued.as_str()),
        ("Đơn vị cấp", v.issuer.as_str()),
        ("Mã chứng nhận", v.code.as_str()),
    ] {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{}</dd>", escape(value));
    }
    out.push_str("</dl>\n</section>\n");
    if v.holder_masked {
        out.push_str(
            "<p class=\"note\">Để bảo vệ thông tin cá nhân (người nhận chưa đủ 18 tuổi khi được \
             cấp, hoặc đã xóa tài khoản), họ tên được viết tắt trên trang công khai; họ tên đầy đủ \
             in trên bản giấy, và tệp PDF kiểm tra được ngoại tuyến.</p>\n",
        );
    }
    let _ = write!(
        out,
        "<section class=\"card\">\n<h2>Kiểm tra ngoại tuyến</h2>\n\
<p>Các thông tin trên được ký số Ed25519 bằng khóa <code>{key}</code>. Khóa công khai được \
công bố tại <a href=\"{PUBLIC_KEY_PATH}\"><code>{PUBLIC_KEY_PATH}</code></a>; lệnh \
<code>soiduong verify-certificate {code}</code> kiểm tra chữ ký mà không cần kết nối.</p>\n\
<p>Chữ ký: <code>{sig}</code></p>\n</section>\n",
        key = escape(&v.key_id),
        code = escape(&v.code),
        sig = escape(&v.signature),
    );
}

fn not_found(out: &mut String, code_typed: &str) {
    let shown: String = code_typed.trim().chars().take(ECHO_LIMIT).collect();
    let ellipsis = if code_typed.trim().chars().count() > ECHO_LIMIT {
        "…"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<section class=\"v nf\" role=\"status\">\n<h1>Không tìm thấy chứng nhận</h1>\n\
<p>Không có chứng nhận nào mang mã <code>{}{ellipsis}</code>.</p>\n</section>\n\
<section class=\"card\">\n<p>Hãy kiểm tra lại mã in trên chứng nhận: mã gồm 14 ký tự (chữ số \
và chữ cái in hoa), thường viết thành nhóm như <code>7K2Q-M9XD-4HRT-VW</code>. Chữ O được \
hiểu là số 0, chữ I và L là số 1.</p>\n<p>Nếu mã đúng mà vẫn không tìm thấy, chứng nhận có \
thể là giả; hãy liên hệ đơn vị cấp.</p>\n</section>\n",
        escape(&shown)
    );
}

/// The calendar day in Vietnam (UTC+7 all year, no daylight saving) of an instant.
fn vn_day(at: DateTime<Utc>) -> NaiveDate {
    (at.naive_utc() + TimeDelta::hours(7)).date()
}

/// Vietnamese date order, dd/mm/yyyy.
fn vn_date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// HTML-escapes text for element content and double- or single-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::certificate::Achievement;
    use chrono::TimeZone;

    fn verification(status: Status) -> Verification {
        let achievement = Achievement::Course {
            course_id: 1,
            course: "Lý luận chính trị".into(),
        };
        Verification {
            status,
            code: "7K2Q-M9XD-4HRT-V0".into(),
            holder: "Nguyễn Thị Ánh".into(),
            holder_masked: false,
            holder_unit: Some("Đoàn phường Núi Sam".into()),
            description: achievement.describe(),
            achievement,
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            issuer: "Tỉnh Đoàn An Giang".into(),
            key_id: "ed25519-0123456789abcdef".into(),
            signature: "A".repeat(86),
            signed_facts: None,
        }
    }

    fn revoked() -> Status {
        Status::Revoked {
            // 20:00 UTC on 4 Dec is already 5 Dec in Vietnam.
            revoked_at: Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap(),
            reason: "Cấp nhầm người".into(),
        }
    }

    fn superseded() -> Status {
        Status::Superseded {
            superseded_at: Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap(),
            superseded_by: "ABCD-EFGH-JKMN-P1".into(),
        }
    }

    #[test]
    fn a_valid_certificate_shows_the_green_verdict_and_every_fact() {
        let html = page(Some(&verification(Status::Valid)), "7K2QM9XD4HRTV0");
        assert!(html.contains("class=\"v ok\""));
        assert!(html.contains("<h1>Chứng nhận hợp lệ</h1>"));
        for text in [
            "<dt>Họ và tên</dt><dd>Nguyễn Thị Ánh</dd>",
            "<dt>Đơn vị</dt><dd>Đoàn phường Núi Sam</dd>",
            "<dt>Nội dung chứng nhận</dt><dd>Đã hoàn thành khóa học «Lý luận chính trị»</dd>",
            "<dt>Ngày cấp</dt><dd>30/11/2026</dd>",
            "<dt>Đơn vị cấp</dt><dd>Tỉnh Đoàn An Giang</dd>",
            "<dt>Mã chứng nhận</dt><dd>7K2Q-M9XD-4HRT-V0</dd>",
            "/.well-known/soiduong-certificates.pub",
            "ed25519-0123456789abcdef",
        ] {
            assert!(html.contains(text), "missing {text}");
        }
        assert!(html.starts_with("<!doctype html>\n<html lang=\"vi\">"));
        assert!(html.contains("name=\"viewport\""));
        assert!(!html.contains("viết tắt"));
    }

    #[test]
    fn a_revoked_certificate_shows_the_reason_and_the_vietnamese_day() {
        let html = page(Some(&verification(revoked())), "7K2QM9XD4HRTV0");
        assert!(html.contains("class=\"v rev\""));
        assert!(html.contains("<h1>Chứng nhận đã bị thu hồi</h1>"));
        assert!(html.contains("Lý do: Cấp nhầm người."));
        assert!(html.contains("Ngày thu hồi: 05/12/2026"));
        assert!(!html.contains("Chứng nhận hợp lệ"));
        assert!(html.contains("<dd>Nguyễn Thị Ánh</dd>"));
    }

    #[test]
    fn a_superseded_certificate_links_to_its_replacement() {
        let html = page(Some(&verification(superseded())), "7K2QM9XD4HRTV0");
        assert!(html.contains("class=\"v sup\""));
        assert!(html.contains("<h1>Chứng nhận đã được thay thế</h1>"));
        assert!(html.contains("<a href=\"/verify/ABCD-EFGH-JKMN-P1\">ABCD-EFGH-JKMN-P1</a>"));
        assert!(html.contains("Ngày 01/12/2026"));
        assert!(!html.contains("Chứng nhận hợp lệ"));
    }

    #[test]
    fn an_unknown_code_shows_not_found_and_no_facts() {
        let html = page(None, "7k2q-m9xd-4hrt-v1");
        assert!(html.contains("class=\"v nf\""));
        assert!(html.contains("<h1>Không tìm thấy chứng nhận</h1>"));
        assert!(html.contains("<code>7k2q-m9xd-4hrt-v1</code>"));
        assert!(!html.contains("<dl>"));
        let long = page(None, &"A".repeat(5000));
        assert!(long.contains(&format!("<code>{}…</code>", "A".repeat(ECHO_LIMIT))));
        assert!(long.len() < 10 * 1024);
    }

    #[test]
    fn markup_in_any_value_comes_out_escaped() {
        let mut v = verification(Status::Revoked {
            revoked_at: Utc.with_ymd_and_hms(2026, 12, 4, 1, 0, 0).unwrap(),
            reason: "<img src=x onerror=alert(1)>".into(),
        });
        v.holder = "<script>alert('x')</script>".into();
        v.holder_unit = Some("A & B \"C\"".into());
        let html = page(Some(&v), "\"><script>");
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("<dd>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</dd>"));
        assert!(html.contains("<dd>A &amp; B &quot;C&quot;</dd>"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        let missing = page(None, "\"><script>alert(1)</script>");
        assert!(!missing.contains("<script>"));
        assert!(missing.contains("&quot;&gt;&lt;script&gt;"));
    }

    #[test]
    fn a_masked_name_is_explained() {
        let mut v = verification(Status::Valid);
        v.holder = "Nguyễn T. Á.".into();
        v.holder_masked = true;
        let html = page(Some(&v), "");
        assert!(html.contains("<dd>Nguyễn T. Á.</dd>"));
        assert!(html.contains("họ tên được viết tắt"));
    }

    #[test]
    fn every_page_is_self_contained_and_under_10_kb() {
        let mut long = verification(revoked());
        long.holder = "Tôn Nữ Thị Phương Hoàng Yến ".repeat(4);
        long.issuer = "Ban Thường vụ Tỉnh Đoàn An Giang ".repeat(4);
        for html in [
            page(Some(&verification(Status::Valid)), ""),
            page(Some(&long), ""),
            page(Some(&verification(superseded())), ""),
            page(None, "X"),
        ] {
            assert!(html.len() < 10 * 1024, "{} bytes", html.len());
            assert!(!html.contains("<script"));
            assert!(!html.contains("http://") && !html.contains("https://"));
            assert!(html.contains("overflow-wrap:anywhere"));
        }
    }

    /// Writes the four pages for the headless-browser check (`.ci/check_verify_page.py`) when
    /// `VERIFY_PAGE_DIR` names a folder; otherwise only checks they render.
    #[test]
    fn pages_for_the_browser_check() {
        let pages = [
            ("valid.html", page(Some(&verification(Status::Valid)), "")),
            ("revoked.html", page(Some(&verification(revoked())), "")),
            (
                "superseded.html",
                page(Some(&verification(superseded())), ""),
            ),
            ("notfound.html", page(None, &"7K2QM9XD4HRTV1".repeat(3))),
        ];
        assert!(pages.iter().all(|(_, html)| html.ends_with("</html>\n")));
        if let Ok(dir) = std::env::var("VERIFY_PAGE_DIR") {
            for (name, html) in pages {
                std::fs::write(std::path::Path::new(&dir).join(name), html).unwrap();
            }
        }
    }
}
