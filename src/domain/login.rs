//! What a person logs in with: a phone number or an e-mail address.

use unicode_normalization::UnicodeNormalization;

use super::phone::{Phone, PhoneError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    Phone(Phone),
    Email(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("Địa chỉ e-mail không hợp lệ")]
    Email,
    #[error(transparent)]
    Phone(#[from] PhoneError),
}

/// NFC-normalises (so an address typed with combining marks is the same account as its
/// composed form), lower-cases and checks an e-mail address: one `@`, a non-empty local part, a domain with a
/// dot, no spaces, at most 254 characters.
pub fn parse_email(input: &str) -> Result<String, LoginError> {
    let email: String = input.trim().to_lowercase().nfc().collect();
    let (local, domain) = email.split_once('@').ok_or(LoginError::Email)?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email)
    } else {
        Err(LoginError::Email)
    }
}

impl Login {
    /// Anything with an `@` is read as an e-mail address, anything else as a phone number.
    pub fn parse(input: &str) -> Result<Self, LoginError> {
        if input.contains('@') {
            parse_email(input).map(Login::Email)
        } else {
            Ok(Login::Phone(Phone::parse(input)?))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Login::Phone(p) => p.as_str(),
            Login::Email(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_normalised() {
        assert_eq!(
            Login::parse(" An.Nguyen@Example.VN ").unwrap().as_str(),
            "an.nguyen@example.vn"
        );
        assert_eq!(
            Login::parse("0912.345.678").unwrap().as_str(),
            "+84912345678"
        );
        assert_eq!(
            Login::parse("Nga\u{323}\u{302}n@example.vn").unwrap(),
            Login::parse("ngận@example.vn").unwrap(),
            "NFD and NFC are one address"
        );
        assert!(Login::parse("an@@example.vn").is_err());
        assert!(Login::parse("an@example").is_err());
    }
}
