//! First run: the enrollment form, checked before the device asks the relay.

use wangge_schema::RelayUrl;

use crate::error::{CoreError, ErrorCode, FieldError, Result};

/// The enrollment form as typed: the relay's address and the one-time code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollForm {
    /// The relay's base URL, trimmed (`http://host:port`).
    pub relay_url: String,
    /// The one-time code, trimmed.
    pub code: String,
}

impl EnrollForm {
    /// Checks both fields at once: each is required, and the address must be a relay URL.
    pub fn parse(relay_url: &str, code: &str) -> Result<Self> {
        let (relay_url, code) = (relay_url.trim(), code.trim());
        let mut problems = vec![];
        if relay_url.is_empty() {
            problems.push(FieldError::required("relay_url"));
        } else if RelayUrl::parse(relay_url).is_err() {
            problems.push(FieldError::new(
                "relay_url",
                ErrorCode::BadUrl,
                "not an http:// or https:// address",
            ));
        }
        if code.is_empty() {
            problems.push(FieldError::required("code"));
        }
        CoreError::check(problems)?;
        Ok(Self {
            relay_url: relay_url.to_owned(),
            code: code.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fields_are_trimmed_and_every_problem_comes_back_at_once() {
        let f = EnrollForm::parse(" http://127.0.0.1:8080 ", " ABCD-1234 ").unwrap();
        assert_eq!(f.relay_url, "http://127.0.0.1:8080");
        assert_eq!(f.code, "ABCD-1234");
        let e = EnrollForm::parse(" ", "").unwrap_err();
        let got: Vec<_> = e.problems().iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            got,
            [
                ("relay_url", ErrorCode::RequiredField),
                ("code", ErrorCode::RequiredField)
            ]
        );
        let e = EnrollForm::parse("not a url", "x").unwrap_err();
        assert_eq!(e.problems()[0].code, ErrorCode::BadUrl);
    }
}
