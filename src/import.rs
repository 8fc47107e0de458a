//! `soiduong import-banks PATH…`: files or folders, with a progress bar and a summary.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use soiduong::{
    domain::{
        banks::{FileError, limits},
        content::{
            replaced::Replacements,
            report::{self, BankContent, ContentReport},
        },
        time::vn_today,
    },
    services::{
        banks::{self, Format, ImportSummary},
        courses, imports,
    },
    state::AppState,
};

fn is_course(path: &Path, text: &str) -> bool {
    path.parent().is_some_and(|p| p.ends_with("courses"))
        || text.lines().any(|l| l.starts_with("course:"))
}

fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .collect();
            inner.sort();
            let (mut dirs, plain): (Vec<_>, Vec<_>) = inner.into_iter().partition(|x| x.is_dir());
            // The indicator catalogue and the list of replaced documents live beside the banks
            // but are not banks.
            dirs.retain(|d| !d.ends_with("indicators") && !d.ends_with("legal"));
            files.extend(plain.into_iter().filter(|f| {
                f.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(Format::of)
                    .is_some()
            }));
            files.extend(collect(&dirs)?);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// Imports every file; banks first, then courses (which draw from the banks). Returns false
/// when any file was refused.
pub async fn run(state: &AppState, paths: &[PathBuf]) -> anyhow::Result<bool> {
    let files = collect(paths)?;
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summaries = Vec::new();
    let mut course_files = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        bar.set_message(name.clone());
        // The same limits as an upload: a file over the cap is refused unread.
        let size = std::fs::metadata(path)?.len();
        if size > limits::MAX_FILE_BYTES as u64 {
            summaries.push(ImportSummary::failed(
                &name,
                vec![FileError {
                    file: name.clone(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "Tệp quá lớn ({} KB, tối đa {} KB)",
                        size / 1024,
                        limits::MAX_FILE_BYTES / 1024
                    ),
                    more: 0,
                }],
            ));
            bar.inc(1);
            continue;
        }
        let bytes = std::fs::read(path)?;
        if Format::of(&name) == Some(Format::Yaml)
            && is_course(path, &String::from_utf8_lossy(&bytes))
        {
            course_files.push((name, bytes));
        } else {
            summaries.push(
                banks::import_file(
                    state,
                    &soiduong::auth::Caller::system(),
                    banks::ImportTarget::default(),
                    &name,
                    &bytes,
                )
                .await?,
            );
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    print_summaries(&summaries);
    let mut ok = summaries.iter().all(|s| !s.failed);
    for (name, bytes) in course_files {
        match courses::import_course_file(state, &name, &String::from_utf8_lossy(&bytes), None)
            .await
        {
            Ok(c) => println!("Khóa học {}: đã nhập ({name}).", c.slug),
            Err(e) => {
                ok = false;
                println!("Khóa học {name}: KHÔNG nhập được: {e}");
            }
        }
    }
    Ok(ok)
}

pub fn print_summaries(summaries: &[ImportSummary]) {
    println!(
        "{:<40} {:>6} {:>8} {:>9} {:>8} {:>8}",
        "tệp", "thêm", "sửa", "giữ nguyên", "ngừng", "từ chối"
    );
    let mut total = [0u32; 5];
    for s in summaries {
        println!(
            "{:<40} {:>6} {:>8} {:>9} {:>8} {:>8}{}",
            s.file,
            s.added,
            s.updated,
            s.unchanged,
            s.retired,
            s.rejected,
            if s.failed { "  (KHÔNG nhập)" } else { "" }
        );
        for e in &s.errors {
            println!("    {e}");
        }
        for w in &s.warnings {
            println!("    cảnh báo: {w}");
        }
        for (t, v) in total
            .iter_mut()
            .zip([s.added, s.updated, s.unchanged, s.retired, s.rejected])
        {
            *t += v;
        }
    }
    println!(
        "Tổng: thêm {}, sửa {}, giữ nguyên {}, ngừng dùng {}, từ chối {}.",
        total[0], total[1], total[2], total[3], total[4]
    );
}

/// The content report over bank files and folders (courses and other files are skipped; a
/// file that does not parse is an error naming it).
pub async fn content_report(
    paths: &[PathBuf],
    on: Option<chrono::NaiveDate>,
) -> anyhow::Result<ContentReport> {
    let mut banks: Vec<BankContent> = Vec::new();
    for path in collect(paths)? {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if std::fs::metadata(&path)?.len() > limits::MAX_FILE_BYTES as u64 {
            anyhow::bail!("{name}: tệp quá lớn");
        }
        let bytes = std::fs::read(&path)?;
        if Format::of(&name) == Some(Format::Yaml)
            && is_course(&path, &String::from_utf8_lossy(&bytes))
        {
            continue;
        }
        match imports::parse(&name, &bytes).await? {
            Ok((def, _)) => banks.push(def.into()),
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                anyhow::bail!("{name} không đọc được:\n{}", list.join("\n"));
            }
        }
    }
    let on = on.unwrap_or_else(|| vn_today(chrono::Utc::now()));
    Ok(report::build(&banks, Replacements::shipped(), on))
}
