//! `soiduong export-certificates` and `soiduong verify-certificate`.

use std::{io::Write, path::Path};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use soiduong::{
    auth::Caller,
    certificates::{
        pdf,
        signing::{self, KeyList, PublishedKey, Signer},
    },
    config::Settings,
    domain::certificate::{Code, Facts},
    services::certificates::{self, export},
    state::{self, AppState},
    store::{self, certificates::Scope},
};

/// Writes every certificate of a round or a course (of one unit's subtree, or all) into one
/// ZIP at `out`, with a progress bar. Returns how many certificates it holds.
pub async fn export_to(
    state: &AppState,
    scope: Scope,
    unit: Option<i32>,
    out: &Path,
) -> anyhow::Result<usize> {
    let caller = match unit {
        None => Caller::system(),
        Some(id) => {
            let u = store::units::find(&state.db, id)
                .await?
                .with_context(|| format!("no unit {id}"))?;
            Caller {
                is_admin: false,
                organizes: vec![u.path],
                ..Caller::system()
            }
        }
    };
    let ids = export::select(state, &caller, scope).await?;
    let bar = ProgressBar::new(ids.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} chứng nhận {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Written beside the target, then renamed: an interrupted export leaves no half archive.
    let partial = out.with_extension("zip.part");
    let mut file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let writer = async {
        let result = export::write_zip(state, &ids, &tx, |n| bar.set_position(n as u64)).await;
        drop(tx);
        result
    };
    let reader = async {
        while let Some(chunk) = rx.recv().await {
            file.write_all(&chunk)?;
        }
        file.sync_all()
    };
    let (written, read) = tokio::join!(writer, reader);
    written?;
    read.with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    bar.finish_and_clear();
    Ok(ids.len())
}

/// Reads the keys to verify with: a published key list (JSON), one public key (base64url or
/// `did:key`), or — with no file — this installation's own keys.
fn keys(settings: &Settings, file: Option<&Path>) -> anyhow::Result<Vec<PublishedKey>> {
    let Some(file) = file else {
        return Ok(Signer::from_settings(settings)?.keys().to_vec());
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    if let Ok(list) = serde_json::from_str::<KeyList>(&text) {
        return Ok(list.keys);
    }
    let key = signing::parse_public_key(&text)
        .with_context(|| format!("{} holds no public key", file.display()))?;
    // One bare key: it verifies whatever key id the certificate names.
    Ok(vec![PublishedKey {
        id: String::new(),
        algorithm: "Ed25519".into(),
        public_key: base64_url(key.as_bytes()),
        did: signing::did_key(&key),
        current: true,
    }])
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The largest file `verify-certificate` reads.
const MAX_PDF: u64 = 16 * 1024 * 1024;

/// Checks a certificate offline: a PDF (its embedded copy of the signed facts) or a code
/// (looked up in this installation's database), against the published keys. Prints the
/// signed facts; returns whether the signature holds.
pub async fn verify(
    settings: &Settings,
    target: &str,
    keys_file: Option<&Path>,
) -> anyhow::Result<bool> {
    let mut keys = keys(settings, keys_file)?;
    let path = Path::new(target);
    let (facts, signature, status) = if path.is_file() {
        // A certificate is ~25 KB; anything far larger is not one, and is not read whole.
        let size = std::fs::metadata(path)?.len();
        if size > MAX_PDF {
            bail!(
                "{} is {size} bytes: not a Soi Đường certificate",
                path.display()
            );
        }
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let Some(e) = pdf::embedded(&bytes) else {
            bail!(
                "{} is not a Soi Đường certificate (no signed facts inside)",
                path.display()
            );
        };
        (e.facts, e.signature, None)
    } else {
        let code = Code::parse(target).map_err(|e| anyhow::anyhow!("{target}: {e}"))?;
        let db = state::open_database(settings).await?;
        let Some(m) = store::certificates::by_code(&db, code.as_str()).await? else {
            bail!("no certificate has the code {}", code.display());
        };
        let status = certificates::stored_status(&db, &m).await?.describe();
        (m.facts.into_bytes(), m.signature, Some(status))
    };
    let parsed: Facts = serde_json::from_slice(&facts).context("the signed facts are not JSON")?;
    // A bare key stands for whatever key the facts name.
    for k in &mut keys {
        if k.id.is_empty() {
            k.id = parsed.key_id.clone();
        }
    }
    let ok = signing::verify(&keys, &parsed.key_id, &facts, &signature);
    println!(
        "Mã chứng nhận: {}",
        Code::parse(&parsed.code).map_or(parsed.code.clone(), |c| c.display())
    );
    println!("Họ và tên:     {}", parsed.holder);
    println!(
        "Đơn vị:        {}",
        parsed.holder_unit.as_deref().unwrap_or("—")
    );
    println!("Nội dung:      {}", parsed.achievement.describe());
    println!("Ngày cấp:      {}", parsed.issued_on.format("%d/%m/%Y"));
    println!("Đơn vị cấp:    {}", parsed.issuer);
    println!("Khóa ký:       {}", parsed.key_id);
    if let Some(s) = status {
        println!("Trạng thái:    {s}");
    }
    if ok {
        println!("Chữ ký hợp lệ: các thông tin trên đúng như khi cấp.");
    } else {
        println!("CHỮ KÝ KHÔNG HỢP LỆ: thông tin đã bị sửa hoặc không do khóa đã công bố ký.");
    }
    Ok(ok)
}
