//! The sync page and badge: the engine's [`SyncStatus`] as the UI shows it. Which failures
//! mean "no signal" (offline) and which are errors, how far a round has got, and why
//! documents kept on this device wait, are decided here.

use chrono::{DateTime, Utc};
use serde::Serialize;
use wangge_proto::RefusalReason;
use wangge_schema::ErrorCode;

use crate::sync::{SyncStatus, WAIT_UNAVAILABLE};

/// Link failures that only mean "no connection right now" (shown as offline, not error).
const NO_CONNECTION: &[ErrorCode] = &[
    ErrorCode::ConnectFailed,
    ErrorCode::ConnectTimeout,
    ErrorCode::LinkDropped,
];

/// The sync badge's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyncState {
    /// Not enrolled: nothing to sync with.
    Off,
    /// No link to the relay right now.
    Offline,
    /// Connected, exchanging changes.
    Syncing,
    /// Everything on this device is at the relay (documents that wait aside).
    Synced,
    /// The relay refused this device or the link failed for a reason other than no signal.
    Error,
}

/// Documents kept on this device that wait, for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Waiting {
    /// Why they wait (a `waiting_*` code).
    pub reason: ErrorCode,
    /// How many.
    pub count: usize,
}

/// `sync://status` and `sync_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncView {
    /// The badge state.
    pub state: SyncState,
    /// Connected and joined.
    pub online: bool,
    /// Documents not yet in sync with the relay.
    pub docs_pending: usize,
    /// Documents kept here that the relay does not take now; they are offered again on
    /// the next connection, nothing of them is lost.
    pub docs_waiting: usize,
    /// Those, by reason.
    pub waiting: Vec<Waiting>,
    /// Photos waiting to upload.
    pub photos_pending: usize,
    /// Bytes of photos waiting to upload.
    pub photo_bytes_pending: u64,
    /// When everything was last in sync.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure's code (`connect_failed`, `unauthorized`, …).
    pub last_error: Option<ErrorCode>,
    /// Percent of the current sync round done, while syncing.
    pub progress: Option<u8>,
    /// Whether the link to the relay is encrypted (TLS); `None` before the first
    /// connection. A plain link (loopback, or allowed by the enrollment) shows as such.
    pub encrypted: Option<bool>,
    /// When the directory (units by name) was last fetched; a page that names units reads
    /// it again when this moves (it can arrive after the documents' round).
    pub directory_at: Option<DateTime<Utc>>,
}

impl SyncView {
    /// The view when sync is off (not enrolled).
    pub fn off() -> Self {
        Self {
            state: SyncState::Off,
            online: false,
            docs_pending: 0,
            docs_waiting: 0,
            waiting: vec![],
            photos_pending: 0,
            photo_bytes_pending: 0,
            last_success: None,
            last_error: None,
            progress: None,
            encrypted: None,
            directory_at: None,
        }
    }
}

/// The UI's code for a wait reason (the engine's [`crate::sync::wait_code`]).
pub fn waiting_code(wait_code: &str) -> ErrorCode {
    if wait_code == WAIT_UNAVAILABLE {
        return ErrorCode::WaitingUnavailable;
    }
    match RefusalReason::parse(wait_code) {
        RefusalReason::UnknownKind => ErrorCode::WaitingUnknownKind,
        RefusalReason::NoMeta => ErrorCode::WaitingNoMeta,
        RefusalReason::BadScope => ErrorCode::WaitingBadScope,
        RefusalReason::ScopeForbidden => ErrorCode::WaitingScopeForbidden,
        RefusalReason::KindForbidden => ErrorCode::WaitingKindForbidden,
        RefusalReason::TooMany => ErrorCode::WaitingTooMany,
        RefusalReason::Busy => ErrorCode::WaitingBusy,
        RefusalReason::TooLarge => ErrorCode::WaitingTooLarge,
        RefusalReason::StepForbidden => ErrorCode::WaitingStepForbidden,
        RefusalReason::RecordForbidden => ErrorCode::WaitingRecordForbidden,
        RefusalReason::Other => ErrorCode::WaitingOther,
    }
}

/// Follows one sync round to report its progress: the views of successive statuses.
#[derive(Debug, Default)]
pub struct SyncRound {
    most_pending: usize,
    most_photo_bytes: u64,
}

impl SyncRound {
    /// The view of an engine status.
    pub fn view(&mut self, s: &SyncStatus) -> SyncView {
        let last_error = s.last_error.map(ErrorCode::of);
        let state = if !s.online {
            match last_error {
                Some(code) if !NO_CONNECTION.contains(&code) => SyncState::Error,
                _ => SyncState::Offline,
            }
        } else if s.synced {
            SyncState::Synced
        } else {
            SyncState::Syncing
        };
        let progress = match state {
            SyncState::Syncing => {
                self.most_pending = self.most_pending.max(s.docs_pending);
                self.most_photo_bytes = self.most_photo_bytes.max(s.photo_bytes_pending);
                // Documents first (they go first); then the photos' bytes.
                let pct = if s.docs_pending > 0 || s.photo_bytes_pending == 0 {
                    let done = self.most_pending - s.docs_pending;
                    (done * 100).checked_div(self.most_pending).unwrap_or(0)
                } else {
                    let done = self.most_photo_bytes - s.photo_bytes_pending;
                    usize::try_from((done * 100) / self.most_photo_bytes.max(1)).unwrap_or(0)
                };
                Some(u8::try_from(pct.min(100)).unwrap_or(100))
            }
            SyncState::Synced => {
                self.most_pending = 0;
                self.most_photo_bytes = 0;
                Some(100)
            }
            _ => {
                self.most_pending = 0;
                self.most_photo_bytes = 0;
                None
            }
        };
        SyncView {
            state,
            online: s.online,
            docs_pending: s.docs_pending,
            docs_waiting: s.docs_waiting,
            waiting: s
                .waiting_reasons
                .iter()
                .map(|(code, count)| Waiting {
                    reason: waiting_code(code),
                    count: *count,
                })
                .collect(),
            photos_pending: s.photos_pending,
            photo_bytes_pending: s.photo_bytes_pending,
            last_success: s.last_success,
            last_error,
            progress,
            encrypted: s.encrypted,
            directory_at: s.directory_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(online: bool, synced: bool, pending: usize, err: Option<&'static str>) -> SyncStatus {
        SyncStatus {
            online,
            synced,
            docs_pending: pending,
            last_error: err,
            ..Default::default()
        }
    }

    #[test]
    fn no_signal_is_offline_but_a_refusal_is_an_error() {
        let mut r = SyncRound::default();
        assert_eq!(
            r.view(&status(false, false, 0, None)).state,
            SyncState::Offline
        );
        assert_eq!(
            r.view(&status(false, false, 0, Some("connect_failed")))
                .state,
            SyncState::Offline
        );
        assert_eq!(
            r.view(&status(false, false, 0, Some("unauthorized"))).state,
            SyncState::Error
        );
    }

    #[test]
    fn a_round_reports_progress_until_synced() {
        let mut r = SyncRound::default();
        let v = r.view(&status(true, false, 4, None));
        assert_eq!((v.state, v.progress), (SyncState::Syncing, Some(0)));
        let v = r.view(&status(true, false, 1, None));
        assert_eq!(v.progress, Some(75));
        let v = r.view(&status(true, true, 0, None));
        assert_eq!((v.state, v.progress), (SyncState::Synced, Some(100)));
    }

    #[test]
    fn photos_show_as_pending_and_their_bytes_drive_progress_after_the_documents() {
        let mut r = SyncRound::default();
        let photos = |docs: usize, bytes: u64| SyncStatus {
            online: true,
            docs_pending: docs,
            photos_pending: usize::from(bytes > 0),
            photo_bytes_pending: bytes,
            ..Default::default()
        };
        let v = r.view(&photos(2, 400_000));
        assert_eq!((v.photos_pending, v.photo_bytes_pending), (1, 400_000));
        assert_eq!(v.progress, Some(0));
        assert_eq!(r.view(&photos(0, 400_000)).progress, Some(0));
        let v = r.view(&photos(0, 100_000));
        assert_eq!((v.state, v.progress), (SyncState::Syncing, Some(75)));
    }

    #[test]
    fn waiting_documents_show_beside_synced_with_their_reasons() {
        let mut s = status(true, true, 0, None);
        s.docs_waiting = 3;
        s.waiting_reasons.insert("unknown-kind", 2);
        s.waiting_reasons.insert(WAIT_UNAVAILABLE, 1);
        let v = SyncRound::default().view(&s);
        assert_eq!(v.state, SyncState::Synced);
        assert_eq!(v.docs_waiting, 3);
        assert_eq!(
            v.waiting,
            vec![
                Waiting {
                    reason: ErrorCode::WaitingUnavailable,
                    count: 1
                },
                Waiting {
                    reason: ErrorCode::WaitingUnknownKind,
                    count: 2
                },
            ]
        );
    }

    #[test]
    fn every_refusal_reason_and_the_plain_unavailable_have_a_waiting_code() {
        for r in RefusalReason::ALL {
            assert_ne!(waiting_code(r.as_str()), ErrorCode::WaitingOther, "{r}");
        }
        assert_eq!(waiting_code("from-a-newer-relay"), ErrorCode::WaitingOther);
        assert_eq!(
            waiting_code(WAIT_UNAVAILABLE),
            ErrorCode::WaitingUnavailable
        );
    }
}
