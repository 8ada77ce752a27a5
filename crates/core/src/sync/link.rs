//! [`LinkError`]: why the WebSocket link to the relay could not be made or went down.

use super::tls::Distrust;

/// Why a sync connection failed or ended. Each has a stable [`LinkError::code`] the UI
/// maps to Chinese text (it reaches the UI as [`super::SyncStatus::last_error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The relay address cannot be used.
    #[error("the relay address is not usable")]
    BadUrl,
    /// The relay's TLS certificate is not one this device trusts, and why.
    #[error("the relay's certificate is not trusted ({0:?})")]
    Untrusted(super::tls::Distrust),
    /// The TLS handshake failed otherwise.
    #[error("the TLS handshake with the relay failed")]
    TlsFailed,
    /// Plain `http://` to another machine, which the enrollment did not allow.
    #[error("plain http:// to another machine is not allowed")]
    PlainNotAllowed,
    /// The device token cannot go in a header.
    #[error("the device token cannot be sent")]
    BadToken,
    /// No WebSocket connection could be made (nothing listening, no route, DNS).
    #[error("no connection to the relay")]
    ConnectFailed,
    /// Connecting and joining took longer than allowed.
    #[error("connecting to the relay took too long")]
    ConnectTimeout,
    /// The relay does not know this device's token, or revoked it.
    #[error("the relay does not accept this device")]
    Unauthorized,
    /// The relay answered `join` with an error.
    #[error("the relay refused the connection")]
    Refused,
    /// The relay sent something that is not the protocol.
    #[error("the relay broke the sync protocol")]
    Protocol,
    /// The link closed or failed while syncing.
    #[error("the link to the relay dropped")]
    LinkDropped,
    /// The relay sent an `error` and closes the connection.
    #[error("the relay reported an error")]
    RelayError,
    /// The local store failed (or refused what the relay sent).
    #[error("the local store failed during sync")]
    Store,
}

impl LinkError {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            LinkError::BadUrl => "bad_url",
            LinkError::Untrusted(why) => match why {
                Distrust::UnknownIssuer => "tls_unknown_issuer",
                Distrust::WrongHost => "tls_wrong_host",
                Distrust::Expired => "tls_expired",
                Distrust::NotPinned => "tls_not_pinned",
                Distrust::Other => "tls_untrusted",
            },
            LinkError::TlsFailed => "tls_failed",
            LinkError::PlainNotAllowed => "plain_not_allowed",
            LinkError::BadToken => "bad_token",
            LinkError::ConnectFailed => "connect_failed",
            LinkError::ConnectTimeout => "connect_timeout",
            LinkError::Unauthorized => "unauthorized",
            LinkError::Refused => "refused",
            LinkError::Protocol => "protocol",
            LinkError::LinkDropped => "link_dropped",
            LinkError::RelayError => "relay_error",
            LinkError::Store => "store",
        }
    }

    /// Every link error, in a stable order.
    pub const ALL: &'static [LinkError] = &[
        LinkError::BadUrl,
        LinkError::Untrusted(Distrust::UnknownIssuer),
        LinkError::Untrusted(Distrust::WrongHost),
        LinkError::Untrusted(Distrust::Expired),
        LinkError::Untrusted(Distrust::NotPinned),
        LinkError::Untrusted(Distrust::Other),
        LinkError::TlsFailed,
        LinkError::PlainNotAllowed,
        LinkError::BadToken,
        LinkError::ConnectFailed,
        LinkError::ConnectTimeout,
        LinkError::Unauthorized,
        LinkError::Refused,
        LinkError::Protocol,
        LinkError::LinkDropped,
        LinkError::RelayError,
        LinkError::Store,
    ];
}

impl From<super::tls::ConnectError> for LinkError {
    fn from(e: super::tls::ConnectError) -> Self {
        use super::tls::ConnectError as C;
        match e {
            C::Unreachable => LinkError::ConnectFailed,
            C::Untrusted(why) => LinkError::Untrusted(why),
            C::Handshake => LinkError::TlsFailed,
            C::PlainNotAllowed => LinkError::PlainNotAllowed,
            C::Timeout => LinkError::ConnectTimeout,
        }
    }
}

impl From<crate::CoreError> for LinkError {
    fn from(_: crate::CoreError) -> Self {
        LinkError::Store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_are_the_ones_the_ui_knows_and_distinct() {
        let codes: Vec<&str> = LinkError::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(
            codes,
            [
                "bad_url",
                "tls_unknown_issuer",
                "tls_wrong_host",
                "tls_expired",
                "tls_not_pinned",
                "tls_untrusted",
                "tls_failed",
                "plain_not_allowed",
                "bad_token",
                "connect_failed",
                "connect_timeout",
                "unauthorized",
                "refused",
                "protocol",
                "link_dropped",
                "relay_error",
                "store"
            ]
        );
        for e in LinkError::ALL {
            assert!(
                crate::ErrorCode::from_code(e.code()).is_some(),
                "{} is not one of the UI's codes",
                e.code()
            );
        }
    }
}
