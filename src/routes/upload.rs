//! Reading uploaded files from a multipart form within caps, before anything is parsed.

use actix_multipart::Multipart;
use futures_util::StreamExt;

use crate::{
    domain::banks::limits,
    error::{ApiError, ApiResult, Code},
};

/// Longest file name accepted (it names the bank or roster and appears in every message).
pub const MAX_NAME_CHARS: usize = 200;

/// The caps of one kind of upload.
#[derive(Clone, Copy)]
pub struct Caps {
    pub files: usize,
    pub file_bytes: usize,
    pub request_bytes: usize,
}

/// Reads every part of the form: the file parts (name without folders, bytes), the other
/// parts read and dropped within the same byte cap. An oversized request is refused before
/// any file of it is parsed.
///
/// Fails with 413 `payload_too_large` past the caps, 422 `too_many_files`, `invalid_file_name`,
/// `invalid_upload` (a broken form) or `no_file`.
pub async fn read_files(mut form: Multipart, caps: Caps) -> ApiResult<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut total = 0usize;
    let mut parts = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(broken)?;
        parts += 1;
        if parts > 2 * caps.files {
            return Err(too_many_files(caps.files));
        }
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned());
        let Some(name) = name else {
            while let Some(chunk) = field.next().await {
                total += chunk.map_err(broken)?.len();
                if total > caps.request_bytes {
                    return Err(ApiError::from(Code::PayloadTooLarge));
                }
            }
            continue;
        };
        if files.len() == caps.files {
            return Err(too_many_files(caps.files));
        }
        if name.chars().count() > MAX_NAME_CHARS || limits::has_control_char(&name) {
            return Err(Code::InvalidFileName.field_with(
                "file",
                format!(
                    "Tên tệp phải dài tối đa {MAX_NAME_CHARS} ký tự và không chứa ký tự điều khiển"
                ),
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(broken)?;
            if bytes.len() + chunk.len() > caps.file_bytes
                || total + chunk.len() > caps.request_bytes
            {
                return Err(ApiError::from(Code::PayloadTooLarge));
            }
            total += chunk.len();
            bytes.extend_from_slice(&chunk);
        }
        files.push((name, bytes));
    }
    if files.is_empty() {
        return Err(Code::NoFile.field("file"));
    }
    Ok(files)
}

fn broken(e: actix_multipart::MultipartError) -> ApiError {
    Code::InvalidUpload.with(format!("Tệp tải lên không hợp lệ: {e}"))
}

fn too_many_files(max: usize) -> ApiError {
    Code::TooManyFiles.field_with(
        "file",
        format!("Mỗi lần chỉ nhập tối đa {max} tệp; hãy chia thành nhiều lần"),
    )
}
