//! Text that people type: stored NFC, trimmed, inner whitespace collapsed.

use unicode_normalization::UnicodeNormalization;

/// NFC-normalises, trims and collapses runs of whitespace to one space.
pub fn clean(input: &str) -> String {
    let nfc: String = input.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form two texts are compared in when case, diacritics and punctuation should not
/// matter ("Đoàn xã Mỹ Hòa" = "doan xa my hoa", "Họ và tên:" = "ho va ten"): lower case, tone
/// and vowel marks removed, đ as d, anything but letters and digits as one space.
pub fn fold(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.nfd() {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Characters that hide or reorder what people read: control characters (NUL among them),
/// zero-width marks and bidirectional overrides. None belongs in a one-line text shown to
/// others (a unit's name, a reason).
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// Whether a one-line text holds a hidden character (see [`is_hidden`]).
pub fn has_hidden(s: &str) -> bool {
    s.chars().any(is_hidden)
}

/// A person's full name, e.g. "Nguyễn Thị Ánh Dương".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Họ và tên phải có từ 2 đến 100 ký tự")]
    Length,
    #[error("Họ và tên chỉ được chứa chữ cái, dấu cách, dấu gạch ngang, dấu chấm hoặc dấu nháy")]
    Character,
}

impl FullName {
    /// Fails when the cleaned name is shorter than 2 or longer than 100 characters, or holds
    /// anything but letters (any script, any diacritic), spaces and `-`, `.`, `'`.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let name = clean(input);
        let len = name.chars().count();
        if !(2..=100).contains(&len) {
            return Err(NameError::Length);
        }
        let allowed = |c: char| {
            c.is_alphabetic() || matches!(c, ' ' | '-' | '.' | '\'' | '\u{300}'..='\u{36f}')
        };
        if !name.chars().all(allowed) {
            return Err(NameError::Character);
        }
        Ok(FullName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The public form of a name on boards: the family name, then initials ("Nguyễn Văn An" →
/// "Nguyễn V. A."). Minors take part in contests; a board never shows a full given name.
pub fn mask_name(full_name: &str) -> String {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    let initial = |w: &str| {
        w.chars()
            .next()
            .map(|c| format!("{}.", c.to_uppercase()))
            .unwrap_or_default()
    };
    match words.as_slice() {
        [] => "Ẩn danh".to_owned(),
        [only] => initial(only),
        [family, rest @ ..] => {
            let mut out = (*family).to_owned();
            for w in rest {
                out.push(' ');
                out.push_str(&initial(w));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_marks_and_spacing() {
        assert_eq!(fold("  Đoàn xã  Mỹ Hòa "), "doan xa my hoa");
        assert_eq!(fold("NGÀY KẾT NẠP"), "ngay ket nap");
        assert_eq!(
            fold("Ngày kết nạp"),
            fold("Nga\u{300}y kê\u{301}t na\u{323}p")
        );
    }

    #[test]
    fn hidden_characters_are_found_in_one_line_texts() {
        assert!(has_hidden("Đoàn xã\u{0}Mỹ Hòa"));
        assert!(has_hidden("Núi Sam\u{202e}"));
        assert!(has_hidden("a\u{200b}b"));
        assert!(!has_hidden("Đoàn phường Núi Sam"));
    }

    #[test]
    fn masked_names_keep_the_family_name_and_initials() {
        assert_eq!(mask_name("Nguyễn Văn An"), "Nguyễn V. A.");
        assert_eq!(mask_name("Trần Thị Bích Ngọc"), "Trần T. B. N.");
        assert_eq!(mask_name("Ánh"), "Á.");
        assert_eq!(mask_name("  "), "Ẩn danh");
        assert_eq!(mask_name("Đặng ánh"), "Đặng Á.");
    }

    #[test]
    fn decomposed_input_is_stored_composed() {
        // "Nguyễn" typed with combining marks (NFD), as some Android keyboards send it.
        let nfd = "Nguye\u{302}\u{303}n  Thi\u{323}   A\u{301}nh";
        let name = FullName::parse(nfd).unwrap();
        assert_eq!(name.as_str(), "Nguyễn Thị Ánh");
        assert_eq!(name.as_str().chars().count(), 14);
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(FullName::parse(" A "), Err(NameError::Length));
        assert_eq!(FullName::parse(&"a".repeat(101)), Err(NameError::Length));
        assert_eq!(
            FullName::parse("Lê Văn <script>"),
            Err(NameError::Character)
        );
        assert_eq!(FullName::parse("Trần 123"), Err(NameError::Character));
    }
}
