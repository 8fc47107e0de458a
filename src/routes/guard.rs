//! Checks every request passes before a handler sees it.
//!
//! - Text may not hold NUL: PostgreSQL refuses it in `text` columns (the request would end in a
//!   500 half-way through a use case) and SQLite would store a string that breaks exports later.
//!   A NUL in a JSON string is refused with 422 `nul_character`, in the query string with 400,
//!   in the path with 404.
//! - A JSON number is a number: `17640.0` and `17640` are the same value (RFC 8259 has one
//!   number type), but serde refuses the first for an integer field. Integral numbers written
//!   with a fraction or an exponent are rewritten as integers before the body is parsed, so a
//!   client that sends every number as a float (JavaScript does, for computed values) is served.

use actix_web::{
    Error, HttpMessage,
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue},
    middleware::Next,
    web::{self, Bytes, BytesMut},
};
use futures_util::StreamExt;

use crate::{
    error::{ApiError, Code},
    state::AppState,
};

/// The middleware (wired in `startup.rs`).
///
/// Fails only when the request body cannot be read from the connection.
pub async fn guard<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if req.path().contains("%00") {
        return Ok(refuse(req, not_found()));
    }
    if req.query_string().contains("%00") {
        return Ok(refuse(
            req,
            Code::InvalidQuery.with("Tham số truy vấn không được chứa ký tự NUL (%00)"),
        ));
    }
    if is_json(&req) {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(256 * 1024, |s| s.settings.json_limit);
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit {
                return Ok(refuse(req, ApiError::from(Code::PayloadTooLarge)));
            }
            body.extend_from_slice(&chunk);
        }
        let body = match canonical_json(&body) {
            Err(NulInText) => return Ok(refuse(req, nul_in_body())),
            Ok(Some(rewritten)) => Bytes::from(rewritten),
            Ok(None) => body.freeze(),
        };
        if let Ok(len) = HeaderValue::from_str(&body.len().to_string()) {
            req.headers_mut().insert(CONTENT_LENGTH, len);
        }
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn refuse<B>(req: ServiceRequest, err: ApiError) -> ServiceResponse<EitherBody<B>> {
    req.error_response(err).map_into_right_body()
}

fn not_found() -> ApiError {
    ApiError::from(Code::NotFound)
}

fn nul_in_body() -> ApiError {
    Code::NulCharacter
        .with("Dữ liệu gửi lên chứa ký tự NUL (\\u0000), là ký tự không được phép trong văn bản")
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        })
}

/// A JSON string held an escaped NUL (`\u0000`) or a raw NUL byte.
#[derive(Debug, PartialEq, Eq)]
pub struct NulInText;

/// Scans a JSON text once: fails on a NUL inside a string; returns the text with integral
/// numbers written as integers when any was written otherwise (`None` when nothing changes).
/// Text that is not JSON passes through untouched; the JSON extractor reports it.
pub fn canonical_json(input: &[u8]) -> Result<Option<Vec<u8>>, NulInText> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'"' => i = string_end(input, i + 1)?,
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < input.len()
                    && matches!(input[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    i += 1;
                }
                let token = &input[start..i];
                if token.iter().any(|b| matches!(b, b'.' | b'e' | b'E'))
                    && let Some(int) = integral(token)
                {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(input.len()));
                    out.extend_from_slice(&input[copied..start]);
                    out.extend_from_slice(int.as_bytes());
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    Ok(out.map(|mut out| {
        out.extend_from_slice(&input[copied..]);
        out
    }))
}

/// The index just past the string that starts at `i` (after its opening quote).
fn string_end(input: &[u8], mut i: usize) -> Result<usize, NulInText> {
    while i < input.len() {
        match input[i] {
            b'"' => return Ok(i + 1),
            0 => return Err(NulInText),
            b'\\' => {
                if input.get(i + 1) == Some(&b'u') && input.get(i + 2..i + 6) == Some(b"0000") {
                    return Err(NulInText);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    Ok(i)
}

/// `17640.0` → `17640`, `1e3` → `1000`; `None` for a number with a fraction or beyond 2^53
/// (where a double no longer holds every integer).
fn integral(token: &[u8]) -> Option<String> {
    let value: f64 = std::str::from_utf8(token).ok()?.parse().ok()?;
    let exact = 9_007_199_254_740_992.0;
    (value.is_finite() && value.fract() == 0.0 && value.abs() <= exact)
        .then(|| format!("{}", value as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> Result<String, NulInText> {
        canonical_json(s.as_bytes())
            .map(|o| o.map_or_else(|| s.to_owned(), |v| String::from_utf8(v).unwrap()))
    }

    #[test]
    fn integral_floats_become_integers() {
        assert_eq!(
            canon(r#"{"into": -2147483648.0, "n": [1.0, 2.5, 3e2]}"#).unwrap(),
            r#"{"into": -2147483648, "n": [1, 2.5, 300]}"#
        );
        assert_eq!(canon(r#"{"a": 1}"#).unwrap(), r#"{"a": 1}"#);
        assert_eq!(canonical_json(br#"{"a": 1, "b": "x"}"#), Ok(None));
    }

    #[test]
    fn numbers_inside_strings_are_text() {
        assert_eq!(canonical_json(br#"{"a": "1.0", "b": "\"2.0"}"#), Ok(None));
    }

    #[test]
    fn escaped_nul_is_refused_but_an_escaped_backslash_is_not() {
        assert_eq!(canon(r#"{"name": "a\u0000b"}"#), Err(NulInText));
        assert_eq!(
            canon(r#"{"name": "a\\u0000b"}"#).unwrap(),
            r#"{"name": "a\\u0000b"}"#
        );
        assert_eq!(canonical_json(b"{\"a\": \"x\0\"}"), Err(NulInText));
    }

    proptest! {
        /// The rewrite never changes what the JSON means.
        #[test]
        fn rewriting_keeps_the_value(v in proptest::collection::vec(-1.0e6f64..1.0e6, 0..8), s in "\\PC{0,12}") {
            let rounded: Vec<f64> = v.iter().map(|x| x.round()).collect();
            let doc = serde_json::json!({ "v": v, "r": rounded, "s": s });
            let text = serde_json::to_string(&doc).unwrap();
            let out = canon(&text).unwrap();
            let back: serde_json::Value = serde_json::from_str(&out).unwrap();
            // serde_json's default float parsing is not exact: compare with the original text
            // parsed the same way.
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            let as_f64 = |d: &serde_json::Value, k: &str| -> Vec<f64> {
                d[k].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
            };
            prop_assert_eq!(as_f64(&back, "v"), as_f64(&doc, "v"));
            prop_assert_eq!(as_f64(&back, "r"), as_f64(&doc, "r"));
            prop_assert_eq!(&back["s"], &doc["s"]);
            for x in back["r"].as_array().unwrap() {
                prop_assert!(x.is_i64() || x.is_u64());
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = canonical_json(&bytes);
        }
    }
}
