//! Phone numbers: mainland mobiles (11 digits, 1[3-9]…) and landlines (0area-number).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, FieldError};

/// A validated phone number, normalised: mobiles as 11 digits, landlines as `0AA-NNNNNNNN`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Accepts spaces and dashes inside; refuses anything else.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let err = |m: &str| FieldError::new("phone", ErrorCode::InvalidPhone, m);
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::required("phone"));
        }
        let trimmed = trimmed.strip_prefix("+86").unwrap_or(trimmed);
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        {
            return Err(err("only digits, spaces and dashes are allowed"));
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) {
            return Ok(Self(digits));
        }
        if b.first() == Some(&b'0') && (10..=12).contains(&b.len()) {
            // Area codes are 3 digits for 010/02x, else 4.
            let area_len = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
            let local = &digits[area_len..];
            if (7..=8).contains(&local.len()) {
                return Ok(Self(format!("{}-{local}", &digits[..area_len])));
            }
        }
        Err(err("not a mainland mobile or landline number"))
    }

    /// The full number. Show [`Phone::masked`] unless the role needs it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****1234`.
    pub fn masked(&self) -> String {
        crate::model::mask::mask_phone(&self.0)
    }

    /// The digits only (for tail search).
    pub fn digits(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl TryFrom<String> for Phone {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Self::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(v: Phone) -> String {
        v.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_normalised() {
        assert_eq!(
            Phone::parse("138 1234-1234").unwrap().as_str(),
            "13812341234"
        );
        assert_eq!(
            Phone::parse("+8613812341234").unwrap().as_str(),
            "13812341234"
        );
    }

    #[test]
    fn landlines_keep_their_area_code() {
        assert_eq!(
            Phone::parse("010-62345678").unwrap().as_str(),
            "010-62345678"
        );
        assert_eq!(
            Phone::parse("0755 12345678").unwrap().as_str(),
            "0755-12345678"
        );
    }

    #[test]
    fn bad_phones_are_refused() {
        for s in [
            "12812341234",
            "1381234123",
            "138123412345",
            "phone",
            "138-abcd-1234",
        ] {
            assert_eq!(Phone::parse(s).unwrap_err().code, "invalid_phone", "{s}");
        }
        assert_eq!(Phone::parse(" ").unwrap_err().code, "required_field");
    }
}
