//! [`LinkError`]: why the WebSocket link to the relay could not be made or went down.

/// Why a sync connection failed or ended. Each has a stable [`LinkError::code`] the UI
/// maps to Chinese text (it reaches the UI as [`super::SyncStatus::last_error`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The relay address cannot be used.
    #[error("the relay address is not usable")]
    BadUrl,
    /// The relay address is `https://`/`wss://`, which this build does not speak yet.
    #[error("TLS relay addresses are not supported yet")]
    TlsUnsupported,
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
            LinkError::TlsUnsupported => "tls_unsupported",
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
        LinkError::TlsUnsupported,
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
                "tls_unsupported",
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
