//! Certificates: the facts a certificate states, the short code printed on it, and the
//! canonical bytes its Ed25519 signature covers. No I/O here; keys live in `crate::certificates::signing`.
//!
//! The signed facts are exactly what a reader compares with the paper: who (name and unit as
//! at issuance), what (a course, or a contest round with rank and prize), when, and who issued
//! it. Their canonical encoding is the JSON Canonicalization Scheme (RFC 8785) of [`Facts`],
//! the same scheme the portable credential's `eddsa-jcs-2022` proof uses, so one verifier
//! library serves both. The status (valid, revoked, superseded) changes over time and is not
//! signed; the verification page and JSON report it next to the facts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The format of [`Facts`]; bumped if a field is ever added, so old signatures keep verifying.
pub const FACTS_VERSION: u8 = 1;

/// The `type` every signed facts object carries, so a signature over them cannot be replayed
/// as a signature over anything else this service signs.
pub const FACTS_TYPE: &str = "soiduong-certificate";

/// What a certificate certifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Achievement {
    /// A course completed.
    Course { course_id: i32, course: String },
    /// A prize (or a rank) in a contest round.
    ContestAward {
        contest_id: i32,
        contest: String,
        round_id: i32,
        round: String,
        rank: i32,
        prize: Option<String>,
    },
}

impl Achievement {
    /// The key that makes automatic issuance happen once per achievement and person.
    pub fn key(&self, holder: Uuid) -> String {
        match self {
            Self::Course { course_id, .. } => format!("course:{course_id}:{holder}"),
            Self::ContestAward { round_id, .. } => format!("round:{round_id}:{holder}"),
        }
    }

    /// One line in Vietnamese: what the holder achieved.
    pub fn describe(&self) -> String {
        match self {
            Self::Course { course, .. } => format!("Đã hoàn thành khóa học «{course}»"),
            Self::ContestAward {
                contest,
                round,
                rank,
                prize,
                ..
            } => match prize {
                Some(p) => format!("Đạt {p} — {round}, cuộc thi «{contest}» (hạng {rank})"),
                None => format!("Đạt hạng {rank} — {round}, cuộc thi «{contest}»"),
            },
        }
    }
}

/// The signed facts of one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Facts {
    /// Always [`FACTS_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Always [`FACTS_VERSION`] for certificates issued by this version.
    pub version: u8,
    pub id: Uuid,
    /// The code in its canonical form (no separators), see [`Code`].
    pub code: String,
    /// The holder's full name as at issuance (NFC).
    pub holder: String,
    /// The holder's unit as at issuance.
    pub holder_unit: Option<String>,
    pub achievement: Achievement,
    /// The day of issuance (Vietnam's calendar day).
    pub issued_on: NaiveDate,
    /// The unit that issues the certificate.
    pub issuer: String,
    /// The id of the key that signed it (see the published key list).
    pub key_id: String,
}

impl Facts {
    /// Example facts — a course completed by Nguyễn Thị Ánh of Đoàn phường Núi Sam, issued by
    /// Tỉnh Đoàn An Giang on 30/11/2026, key `k1` — for tests, fuzzing and benches to vary
    /// (`Facts { holder: …, ..Facts::example() }`).
    pub fn example() -> Facts {
        Facts {
            kind: FACTS_TYPE.into(),
            version: FACTS_VERSION,
            id: Uuid::nil(),
            code: "7K2QM9XD4HRTV0".into(),
            holder: "Nguyễn Thị Ánh".into(),
            holder_unit: Some("Đoàn phường Núi Sam".into()),
            achievement: Achievement::Course {
                course_id: 1,
                course: "Lý luận chính trị".into(),
            },
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default(),
            issuer: "Tỉnh Đoàn An Giang".into(),
            key_id: "k1".into(),
        }
    }

    /// The bytes the signature covers: RFC 8785 canonical JSON of the facts.
    pub fn canonical(&self) -> Vec<u8> {
        canonical_json(self)
    }
}

/// RFC 8785 (JCS) canonical JSON of any serialisable value. Serialising our own plain data
/// (strings, integers, dates) cannot fail; an empty object stands in if it ever did.
pub fn canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_jcs::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

/// Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or typed from paper
/// cannot be mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Random symbols in a code: 13 × 5 = 65 bits, so guessing one of a million issued codes
/// takes about 2^45 tries (and the verify endpoints are rate limited).
const RANDOM_SYMBOLS: usize = 13;

/// A certificate's short code: 13 random Crockford base-32 symbols and one check symbol,
/// printed in groups of four (`7K2Q-M9XD-4HRT-VW`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Code(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a code has 14 symbols")]
    Length,
    #[error("a code uses the symbols 0–9 and A–Z without I, L, O, U")]
    Symbol,
    #[error("the check symbol does not match: a symbol was misread")]
    Check,
}

impl Code {
    /// A fresh code from 65 random bits.
    pub fn generate(rng: &mut impl rand::RngCore) -> Self {
        let mut symbols: Vec<u8> = (0..RANDOM_SYMBOLS)
            .map(|_| ALPHABET[(rng.next_u32() % 32) as usize])
            .collect();
        symbols.push(check_symbol(&symbols));
        Self(String::from_utf8_lossy(&symbols).into_owned())
    }

    /// Reads a code as people type it: any case, with or without dashes and spaces, O for 0
    /// and I or L for 1. Fails on a wrong length, a symbol outside the alphabet or a check
    /// symbol that does not match (a misread symbol is caught before any lookup).
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let mut symbols = Vec::with_capacity(RANDOM_SYMBOLS + 1);
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if symbols.len() > RANDOM_SYMBOLS {
                return Err(CodeError::Length);
            }
            let b = u8::try_from(c).map_err(|_| CodeError::Symbol)?;
            if !ALPHABET.contains(&b) {
                return Err(CodeError::Symbol);
            }
            symbols.push(b);
        }
        if symbols.len() != RANDOM_SYMBOLS + 1 {
            return Err(CodeError::Length);
        }
        if check_symbol(&symbols[..RANDOM_SYMBOLS]) != symbols[RANDOM_SYMBOLS] {
            return Err(CodeError::Check);
        }
        Ok(Self(String::from_utf8_lossy(&symbols).into_owned()))
    }

    /// The canonical form, as stored and signed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The printed form, in groups of four.
    pub fn display(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 3);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }
}

/// Weighted sum of the symbol values modulo 31 (a prime), weights 1, 2, …: catches every
/// single misread symbol and every swap of two neighbours but 0↔Z.
fn check_symbol(symbols: &[u8]) -> u8 {
    let sum: usize = symbols
        .iter()
        .enumerate()
        .map(|(i, s)| (i + 1) * ALPHABET.iter().position(|a| a == s).unwrap_or(0))
        .sum();
    ALPHABET[sum % 31]
}

/// Where a certificate stands now (not signed: it changes over time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Valid,
    Revoked {
        revoked_at: DateTime<Utc>,
        reason: String,
    },
    /// Replaced by a re-issued certificate (`superseded_by` is its printed code).
    Superseded {
        superseded_at: DateTime<Utc>,
        superseded_by: String,
    },
}

impl Status {
    /// One line in Vietnamese, as lists and the command line print it.
    pub fn describe(&self) -> String {
        match self {
            Self::Valid => "Hợp lệ".into(),
            Self::Revoked { revoked_at, reason } => format!(
                "Đã thu hồi ngày {}: {reason}",
                super::time::vn_today(*revoked_at).format("%d/%m/%Y")
            ),
            Self::Superseded { superseded_by, .. } => {
                format!("Đã được thay thế bởi chứng nhận {superseded_by}")
            }
        }
    }
}

/// What anyone holding a code may see: the certified facts to compare with the paper, the
/// status, and the signature. Built by the certificates service; shown as the public page
/// (`GET /verify/{code}`) and as JSON (`GET /api/v1/certificates/verify/{code}`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Verification {
    #[serde(flatten)]
    pub status: Status,
    /// The printed form of the code.
    pub code: String,
    /// The holder as shown in public: the full name, or its masked form (a minor at issuance,
    /// or a holder who erased their account).
    pub holder: String,
    /// True when `holder` is masked.
    pub holder_masked: bool,
    pub holder_unit: Option<String>,
    pub achievement: Achievement,
    /// One line in Vietnamese (see [`Achievement::describe`]).
    pub description: String,
    pub issued_on: NaiveDate,
    pub issuer: String,
    pub key_id: String,
    /// Ed25519 signature (base64url) over `signed_facts`.
    pub signature: String,
    /// The exact signed bytes (RFC 8785 JSON), so anyone can check the signature with the
    /// published key. Left out when the holder is masked: the full name is on the paper,
    /// whose embedded copy of the facts verifies offline.
    pub signed_facts: Option<String>,
}

/// What is shown for a certificate's holder in public output: the full name as signed, or its
/// masked form when the certificate is masked (a minor at issuance, or a holder who erased
/// their account); the paper and the holder's own view keep the full name.
pub fn public_holder(full_name: &str, masked: bool) -> String {
    if masked {
        super::text::mask_name(full_name)
    } else {
        full_name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn facts() -> Facts {
        Facts::example()
    }

    #[test]
    fn canonical_form_sorts_keys_and_keeps_vietnamese_as_utf8() {
        let text = String::from_utf8(facts().canonical()).unwrap();
        assert!(text.starts_with(
            r#"{"achievement":{"course":"Lý luận chính trị","course_id":1,"kind":"course"},"code":"#
        ));
        assert!(text.contains(r#""holder":"Nguyễn Thị Ánh""#));
        assert!(text.ends_with(r#""type":"soiduong-certificate","version":1}"#));
    }

    #[test]
    fn generated_codes_parse_back_in_any_printed_form() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let code = Code::generate(&mut rng);
            assert_eq!(code.as_str().len(), 14);
            assert_eq!(Code::parse(code.as_str()), Ok(code.clone()));
            assert_eq!(Code::parse(&code.display()), Ok(code.clone()));
            assert_eq!(
                Code::parse(&code.display().to_lowercase()),
                Ok(code.clone())
            );
        }
    }

    #[test]
    fn every_single_misread_symbol_is_caught() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let code = Code::generate(&mut rng);
        let bytes = code.as_str().as_bytes();
        for i in 0..bytes.len() {
            for &other in ALPHABET {
                if other == bytes[i] {
                    continue;
                }
                let mut changed = bytes.to_vec();
                changed[i] = other;
                let changed = String::from_utf8(changed).unwrap();
                assert_eq!(Code::parse(&changed), Err(CodeError::Check), "{changed}");
            }
        }
    }

    #[test]
    fn look_alike_letters_are_read_as_digits_and_bad_input_is_refused() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let code = loop {
            let c = Code::generate(&mut rng);
            if c.as_str().contains('0') && c.as_str().contains('1') {
                break c;
            }
        };
        let typed = code.as_str().replace('0', "o").replace('1', "L");
        assert_eq!(Code::parse(&typed), Ok(code));
        assert_eq!(Code::parse("ABC"), Err(CodeError::Length));
        assert_eq!(Code::parse(&"A".repeat(200)), Err(CodeError::Length));
        assert_eq!(Code::parse("7K2QM9XD4HRTVU"), Err(CodeError::Symbol));
        assert_eq!(Code::parse("7K2QM9XD4HRTVĐ"), Err(CodeError::Symbol));
    }

    proptest::proptest! {
        /// Whatever arrives in a verify URL is read or refused, never a panic.
        #[test]
        fn any_typed_code_is_read_or_refused(s in "\\PC{0,64}") {
            let _ = Code::parse(&s);
        }

        /// A code that reads prints and reads back as itself.
        #[test]
        fn a_code_that_reads_prints_back_the_same(s in "[0-9A-Za-z -]{10,20}") {
            if let Ok(c) = Code::parse(&s) {
                proptest::prop_assert_eq!(Code::parse(&c.display()), Ok(c));
            }
        }
    }

    #[test]
    fn minors_are_masked_in_public() {
        assert_eq!(public_holder("Nguyễn Văn An", true), "Nguyễn V. A.");
        assert_eq!(public_holder("Nguyễn Văn An", false), "Nguyễn Văn An");
    }
}
