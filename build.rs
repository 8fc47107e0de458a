//! Embeds the shipped question banks and course definitions, so the binary serves them
//! wherever it runs (the embedded default imports them at first start).

use std::{env, fmt::Write, fs, path::Path};

fn list(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("question-banks");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed={}", root.join("courses").display());
    let mut out = String::new();
    for (name, dir) in [("BANKS", root.clone()), ("COURSES", root.join("courses"))] {
        let _ = writeln!(out, "pub const {name}: &[(&str, &str)] = &[");
        for path in list(&dir) {
            println!("cargo:rerun-if-changed={path}");
            let file = Path::new(&path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let _ = writeln!(out, "    ({file:?}, include_str!({path:?})),");
        }
        let _ = writeln!(out, "];");
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("shipped.rs");
    if let Err(e) = fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
