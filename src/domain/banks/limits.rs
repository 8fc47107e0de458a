//! Every limit on imported files, in one place. An import must never cost more than a small,
//! known amount of memory, CPU time and response size, whatever the file holds: a 1.6 KB
//! workbook once asked for 512 GiB, a 10 KB YAML file overflowed the stack and 1 MB of GIFT
//! answered with a 102 MB error list.
//!
//! The numbers: the largest real bank we know holds ~1,000 questions of ~800 bytes; a province
//! bank for a year of weekly rounds stays under 5,000. Each cap leaves ample room above that
//! and keeps the worst case (the cap times the per-item cost of a parser) in the tens of MB.

/// Largest uploaded file (any format), in bytes. Also the CLI's limit.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// Files in one upload request; more are refused before any is parsed.
pub const MAX_FILES_PER_REQUEST: usize = 10;

/// Bytes in one upload request, all files together: two full-size files.
pub const MAX_REQUEST_BYTES: usize = 2 * MAX_FILE_BYTES;

/// Multipart parts (files and other fields) read from one request.
pub const MAX_PARTS_PER_REQUEST: usize = 2 * MAX_FILES_PER_REQUEST;

/// Largest text file (YAML, GIFT, Aiken, course YAML). 5,000 questions of 800 bytes is 4 MB;
/// parsers hold a few times their input, so this bounds them at a few tens of MB.
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;

/// Questions (or items) in one file.
pub const MAX_QUESTIONS: usize = 5_000;

/// Errors listed per file; the rest are counted in one final line. Fifty is more than anyone
/// fixes in one go, and keeps a refused file's answer to a few KB.
pub const MAX_ERRORS_PER_FILE: usize = 50;

/// Characters of one error message (messages quote the offending text).
pub const MAX_MESSAGE_CHARS: usize = 300;

/// Nesting of YAML collections. Our bank files nest 5 deep, course files 7; the loader and the
/// deserializer recurse once per level, so this also bounds the stack they use.
pub const MAX_YAML_DEPTH: usize = 32;

/// YAML nodes (scalars, sequences, mappings) in one file: about 45 per question, for 5,000
/// questions and room to spare. Each node costs ~150 bytes once loaded.
pub const MAX_YAML_NODES: usize = 300_000;

/// One text field of a question (stem, option, explanation, source), in bytes.
pub const MAX_FIELD_BYTES: usize = 16 * 1024;

/// One text field of a course file (a lesson body is Markdown and may be long), in bytes.
pub const MAX_COURSE_FIELD_BYTES: usize = 256 * 1024;

/// Rows of a spreadsheet (absolute, counted from row 1): a header, 5,000 questions and some
/// title rows above the header.
pub const MAX_SHEET_ROWS: u32 = 5_100;

/// Columns of a spreadsheet (absolute, from column A). We read 16 at most.
pub const MAX_SHEET_COLUMNS: u32 = 64;

/// Entries of an XLSX zip archive. Excel writes about a dozen.
pub const MAX_ZIP_ENTRIES: usize = 256;

/// Uncompressed size of one zip member (a sheet, the shared strings). A 5,000-row sheet of
/// inline Vietnamese text is under 8 MB.
pub const MAX_ZIP_MEMBER_BYTES: u64 = 16 * 1024 * 1024;

/// Uncompressed size of all the members of one archive.
pub const MAX_ZIP_TOTAL_BYTES: u64 = 40 * 1024 * 1024;

/// How long an upload waits for a parsing slot before it is told to come back later.
pub const IMPORT_QUEUE_WAIT_SECS: u64 = 20;

/// The `Retry-After` given when no parsing slot freed up in time.
pub const IMPORT_RETRY_AFTER_SECS: u64 = 10;

/// The first character of `text` that is a control character other than tab, line feed and
/// carriage return (NUL among them), with its line and column (1-based, in characters).
/// PostgreSQL refuses NUL in text; the others only hide things from the people who read.
pub fn first_control_char(text: &str) -> Option<(usize, usize, char)> {
    let bad = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    let offset = text.find(bad)?;
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    let c = text[offset..].chars().next().unwrap_or('\0');
    Some((line, column, c))
}

/// Whether a parsed field holds a forbidden control character.
pub fn has_control_char(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The Vietnamese message for a control character found in a file.
pub fn control_char_message(c: char) -> String {
    format!(
        "Tệp chứa ký tự điều khiển không được phép (U+{:04X}); hãy xóa ký tự này",
        c as u32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_located() {
        assert_eq!(first_control_char("ab\ncd\tef\r\n"), None);
        assert_eq!(first_control_char("ab\nc\u{0}d"), Some((2, 2, '\0')));
        assert_eq!(first_control_char("Đảng\u{7}"), Some((1, 5, '\u{7}')));
        assert!(has_control_char("x\u{1b}[31m"));
        assert!(!has_control_char("Hà Nội\n"));
    }
}
