//! Bulk download: every certificate of a round or a course within the caller's subtree as one
//! ZIP (a PDF each and a list `danh-sach.csv`), written as it is read — a page of certificates
//! at a time, each PDF sent on as soon as it is rendered — so that neither the server nor the
//! shell command ever holds the whole archive.

use std::{
    collections::HashMap,
    io::Write,
    sync::{Arc, Mutex},
};

use tokio::sync::mpsc;
use uuid::Uuid;
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use super::{facts_of, printed_code, render, status_of, successor_codes};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store::{self, certificates::Scope},
};

/// Certificates read from the database at a time.
const PAGE: usize = 100;

/// The certificates of `scope` the caller may download, in issue order: all of them for an
/// admin, those of the units in the caller's subtrees for an organizer.
///
/// Fails with 404 when the round or course does not exist, 403 when the caller organizes
/// nothing.
pub async fn select(state: &AppState, caller: &Caller, scope: Scope) -> ApiResult<Vec<Uuid>> {
    let exists = match scope {
        Scope::Round(id) => store::contests::round(&state.db, id).await?.is_some(),
        Scope::Course(id) => store::courses::find(&state.db, id).await?.is_some(),
    };
    if !exists {
        return Err(match scope {
            Scope::Round(_) => Code::RoundNotFound.into(),
            Scope::Course(_) => Code::CourseNotFound.into(),
        });
    }
    if caller.is_admin {
        return store::certificates::ids_of(&state.db, scope, None).await;
    }
    caller.require(!caller.organizes.is_empty())?;
    let mut units = Vec::new();
    for path in &caller.organizes {
        units.extend(store::units::subtree_ids(&state.db, path).await?);
    }
    units.sort_unstable();
    units.dedup();
    store::certificates::ids_of(&state.db, scope, Some(&units)).await
}

/// The archive's bytes as they are written; drained after each file.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    fn take(&self) -> std::io::Result<Vec<u8>> {
        let mut buf = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("zip buffer poisoned"))?;
        Ok(std::mem::take(&mut *buf))
    }
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("zip buffer poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn zip_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("writing the certificates archive: {e}"))
}

/// Writes the ZIP of `ids` chunk by chunk into `out`; `progress` hears how many certificates
/// are done after each one. Stops quietly when the receiver is gone (a download cancelled).
///
/// Fails when the database does not answer or a PDF cannot be rendered.
pub async fn write_zip(
    state: &AppState,
    ids: &[Uuid],
    out: &mpsc::Sender<Vec<u8>>,
    mut progress: impl FnMut(usize),
) -> ApiResult<()> {
    let sink = Sink::default();
    let mut zip = ZipWriter::new_stream(sink.clone());
    // PDFs are compressed already.
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .unix_permissions(0o644);
    let mut list = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    list.write_record([
        "Mã chứng nhận",
        "Họ và tên",
        "Đơn vị",
        "Nội dung",
        "Ngày cấp",
        "Đơn vị cấp",
        "Trạng thái",
        "Tệp",
    ])
    .map_err(zip_error)?;
    let mut done = 0;
    for page in ids.chunks(PAGE) {
        let mut rows: HashMap<Uuid, _> = store::certificates::find_many(&state.db, page)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let models: Vec<_> = page.iter().filter_map(|id| rows.remove(id)).collect();
        let codes = successor_codes(&state.db, &models).await?;
        for m in &models {
            let status = status_of(m, &codes);
            let f = facts_of(m)?;
            let pdf = render(state, m, &status).await?;
            let code = printed_code(&m.code);
            let file = format!("{code}.pdf");
            zip.start_file(file.as_str(), options).map_err(zip_error)?;
            zip.write_all(&pdf).map_err(zip_error)?;
            list.write_record([
                code.as_str(),
                &f.holder,
                f.holder_unit.as_deref().unwrap_or(""),
                &f.achievement.describe(),
                &f.issued_on.format("%d/%m/%Y").to_string(),
                &f.issuer,
                &status.describe(),
                &file,
            ])
            .map_err(zip_error)?;
            if out.send(sink.take().map_err(zip_error)?).await.is_err() {
                return Ok(());
            }
            done += 1;
            progress(done);
        }
    }
    let list = list.into_inner().map_err(zip_error)?;
    zip.start_file(
        "danh-sach.csv",
        options.compression_method(CompressionMethod::Deflated),
    )
    .map_err(zip_error)?;
    zip.write_all(&list).map_err(zip_error)?;
    zip.finish().map_err(zip_error)?;
    // A receiver gone now has nothing left to miss.
    let _ = out.send(sink.take().map_err(zip_error)?).await;
    Ok(())
}
