//! Vietnamese alphabetical order.
//!
//! Readers expect the order of the Vietnamese alphabet — a ă â b c d đ e ê g h i k l m n o ô
//! ơ p q r s t u ư v x y — with tones as a second-level difference in the dictionary order
//! (ngang, huyền, hỏi, ngã, sắc, nặng) and case last, as in CLDR's `vi` collation. Byte or
//! code-point order puts "Đ" after "Z" and "Ấ" after "Z", which is what this avoids.

use std::cmp::Ordering;

use unicode_normalization::UnicodeNormalization;

const LETTERS: [&str; 33] = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
];

/// A key whose natural order is the Vietnamese order of the original strings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey(Vec<u32>);

fn tone_of(mark: char) -> Option<u32> {
    match mark {
        '\u{300}' => Some(1), // huyền
        '\u{309}' => Some(2), // hỏi
        '\u{303}' => Some(3), // ngã
        '\u{301}' => Some(4), // sắc
        '\u{323}' => Some(5), // nặng
        _ => None,
    }
}

fn letter_rank(base: char, modifier: Option<char>) -> Option<u32> {
    let letter = match (base, modifier) {
        ('a', Some('\u{306}')) => "ă",
        ('a', Some('\u{302}')) => "â",
        ('e', Some('\u{302}')) => "ê",
        ('o', Some('\u{302}')) => "ô",
        ('o', Some('\u{31b}')) => "ơ",
        ('u', Some('\u{31b}')) => "ư",
        ('đ', _) => "đ",
        _ => {
            let mut buf = [0u8; 4];
            return LETTERS
                .iter()
                .position(|l| *l == base.encode_utf8(&mut buf))
                .map(|p| p as u32);
        }
    };
    LETTERS.iter().position(|l| *l == letter).map(|p| p as u32)
}

/// Builds the sort key of `s`: primary letters, then tones, then case.
pub fn sort_key(s: &str) -> SortKey {
    let mut primary = Vec::with_capacity(s.len());
    let mut tones = Vec::with_capacity(s.len());
    let mut cases = Vec::with_capacity(s.len());
    // Walk NFD clusters: one base character followed by its combining marks.
    let nfd: Vec<char> = s.nfd().collect();
    let mut i = 0;
    while i < nfd.len() {
        let c = nfd[i];
        let mut j = i + 1;
        let mut modifier = None;
        let mut tone = 0;
        while j < nfd.len() && ('\u{300}'..='\u{36f}').contains(&nfd[j]) {
            match tone_of(nfd[j]) {
                Some(t) => tone = t,
                None => modifier = Some(nfd[j]),
            }
            j += 1;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        let weight = if c.is_whitespace() {
            1
        } else if let Some(d) = c.to_digit(10) {
            10 + d
        } else if let Some(rank) = letter_rank(lower, modifier) {
            100 + rank
        } else {
            1000 + c as u32
        };
        primary.push(weight);
        tones.push(tone);
        cases.push(u32::from(c != lower));
        i = j;
    }
    primary.push(0);
    primary.extend(tones);
    primary.push(0);
    primary.extend(cases);
    SortKey(primary)
}

/// Compares two strings in Vietnamese order.
pub fn compare(a: &str, b: &str) -> Ordering {
    sort_key(a).cmp(&sort_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(words: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| compare(a, b));
        v
    }

    #[test]
    fn alphabet_order_not_code_point_order() {
        assert_eq!(
            sorted(&[
                "Đức", "Dũng", "Anh", "Ánh", "Ân", "Ăn", "Bình", "Zô", "Ơn", "Ông", "Ước", "Uyên"
            ]),
            [
                "Anh", "Ánh", "Ăn", "Ân", "Bình", "Dũng", "Đức", "Ông", "Ơn", "Uyên", "Ước", "Zô"
            ]
        );
    }

    #[test]
    fn tones_in_dictionary_order() {
        assert_eq!(
            sorted(&["má", "mạ", "mã", "mà", "mả", "ma"]),
            ["ma", "mà", "mả", "mã", "má", "mạ"]
        );
    }

    #[test]
    fn letters_decide_before_tones() {
        // "à" vs "ác": the second letter decides, whatever the first tone.
        assert_eq!(sorted(&["àc", "ab"]), ["ab", "àc"]);
        assert_eq!(
            sorted(&["An Phú", "An Giang", "Anh"]),
            ["An Giang", "An Phú", "Anh"]
        );
    }

    #[test]
    fn composed_and_decomposed_input_sort_alike() {
        assert_eq!(compare("Nguyễn", "Nguye\u{302}\u{303}n"), Ordering::Equal);
    }
}
