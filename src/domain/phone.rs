//! Vietnamese phone numbers, normalised to one form (E.164, `+84…`).

use std::fmt;

/// A Vietnamese phone number in E.164 form, e.g. `+84912345678`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Số điện thoại chỉ được chứa chữ số, dấu cách, dấu chấm, gạch ngang hoặc dấu +")]
    BadCharacter,
    #[error("Số điện thoại không đúng định dạng số Việt Nam (ví dụ 0912 345 678)")]
    BadShape,
}

impl Phone {
    /// Accepts the forms people type: `0912345678`, `0912 345 678`, `0912.345.678`,
    /// `+84912345678`, `84912345678`, `(+84) 912-345-678`, `0084912345678`.
    ///
    /// Fails on anything that is not a 9-digit mobile number (prefix 3, 5, 7, 8 or 9 after the
    /// trunk 0) or a 10-digit landline (prefix 2) once the country or trunk prefix is removed.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let mut digits = String::with_capacity(input.len());
        let mut plus = false;
        for c in input.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' | '\u{a0}' => {}
                '+' if digits.is_empty() && !plus => plus = true,
                _ => return Err(PhoneError::BadCharacter),
            }
        }
        let national = if plus {
            digits.strip_prefix("84").ok_or(PhoneError::BadShape)?
        } else if let Some(rest) = digits.strip_prefix("0084") {
            rest
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else if digits.len() == 11 || digits.len() == 12 {
            digits.strip_prefix("84").ok_or(PhoneError::BadShape)?
        } else {
            return Err(PhoneError::BadShape);
        };
        let national = national.strip_prefix('0').unwrap_or(national);
        let ok = match national.as_bytes().first() {
            Some(b'3' | b'5' | b'7' | b'8' | b'9') => national.len() == 9,
            Some(b'2') => national.len() == 10,
            _ => false,
        };
        if !ok {
            return Err(PhoneError::BadShape);
        }
        Ok(Phone(format!("+84{national}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_forms_normalise_to_one() {
        for form in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "0912-345-678",
            "+84912345678",
            "+84 912 345 678",
            "84912345678",
            "(+84) 912.345.678",
            "0084912345678",
            "+840912345678",
            " 0912345678 ",
        ] {
            assert_eq!(
                Phone::parse(form).unwrap().as_str(),
                "+84912345678",
                "{form}"
            );
        }
    }

    #[test]
    fn landlines_keep_their_area_code() {
        assert_eq!(
            Phone::parse("0296 3852 123").unwrap().as_str(),
            "+842963852123"
        );
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for bad in [
            "",
            "091234567",
            "09123456789",
            "0112345678",
            "12345",
            "+1 202 555 0100",
        ] {
            assert_eq!(Phone::parse(bad), Err(PhoneError::BadShape), "{bad}");
        }
        for bad in ["0912abc678", "0912/345/678", "091+2345678"] {
            assert_eq!(Phone::parse(bad), Err(PhoneError::BadCharacter), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_mobile_number_round_trips(prefix in prop::sample::select(vec!['3','5','7','8','9']), rest in "[0-9]{8}") {
            let local = format!("0{prefix}{rest}");
            let e164 = Phone::parse(&local).unwrap();
            prop_assert_eq!(Phone::parse(e164.as_str()).unwrap(), e164.clone());
            prop_assert_eq!(Phone::parse(&e164.as_str()[1..]).unwrap(), e164);
        }
    }
}
