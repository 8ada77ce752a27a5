//! [`FieldError`]: a validation failure of one field, and [`ErrorCode`]: every stable code
//! an error can carry to the app's UI.
//!
//! Both sides validate with the same functions ([`crate::scope`], [`crate::access`]), so a
//! code the relay refuses is the code the device refuses, with the same error. The relay's
//! admin API answers with the same field errors, so the codes live here, once: the app
//! exports [`ErrorCode`] to TypeScript and its Chinese table is typed by it, so a code
//! without Chinese text fails the UI's type check.

use serde::Serialize;

use crate::code_enum;

code_enum! {
    /// Every code the app's UI can receive: in a [`FieldError`], as an error's code (core's
    /// `CoreError::code()`, the photo pipeline's, the app shell's), as the sync engine's
    /// last link failure, or from enrollment. Serialised as its snake_case code.
    pub enum ErrorCode {
        // Validation: FieldError.code.
        /// A required field was empty.
        RequiredField = "required_field",
        /// Longer than the field allows.
        TooLong = "too_long",
        /// Not an 18-character 身份证号 of a known province.
        InvalidIdNumber = "invalid_id_number",
        /// The birth date inside the ID number is not a real past date.
        IdNumberBadDate = "id_number_bad_date",
        /// The ID number's GB 11643 check character does not match.
        IdNumberBadCheck = "id_number_bad_check",
        /// Not a mobile or landline number.
        InvalidPhone = "invalid_phone",
        /// Keypad text that is not a temperature.
        InvalidTemperature = "invalid_temperature",
        /// A temperature outside 34.0–43.0 °C.
        TemperatureOutOfRange = "temperature_out_of_range",
        /// Not a 15-digit grid code.
        InvalidGridCode = "invalid_grid_code",
        /// Not a statistical division code.
        InvalidDivisionCode = "invalid_division_code",
        /// Neither a grid nor a division code.
        InvalidScopeCode = "invalid_scope_code",
        /// Scopes that do not fit the role (a member needs one grid, …).
        ScopeWrongLevel = "scope_wrong_level",
        /// An unknown role.
        InvalidRole = "invalid_role",
        /// A need (微心愿) that is empty or too long.
        InvalidNeed = "invalid_need",
        /// A journal item that is empty, too long or spans lines.
        InvalidItem = "invalid_item",
        /// Coordinates outside the earth.
        InvalidGps = "invalid_gps",
        /// A photo reference that is not a SHA-256.
        InvalidPhotoRef = "invalid_photo_ref",
        /// A report references a photo this device does not hold.
        PhotoMissing = "photo_missing",
        /// A field name the record does not have.
        UnknownField = "unknown_field",
        /// A value that does not fit its field.
        InvalidValue = "invalid_value",
        /// A report status step that cannot be added.
        InvalidStatus = "invalid_status",
        /// A rating outside 1–5.
        InvalidRating = "invalid_rating",

        // Core: CoreError::code().
        /// Input refused: the error's field errors say why.
        Invalid = "invalid",
        /// A record or document that is not on this device.
        NotFound = "not_found",
        /// The database key does not open the database.
        WrongKey = "wrong_key",
        /// The key material is unusable.
        BadKey = "bad_key",
        /// The database was written by a newer app.
        SchemaTooNew = "schema_too_new",
        /// A document or change failed to decode or apply.
        DocumentError = "document_error",
        /// Stored data that does not follow the schema.
        CorruptRecord = "corrupt_record",
        /// SQLite failed.
        StorageError = "storage_error",
        /// A file could not be read or written.
        IoError = "io_error",

        // The photo pipeline: MediaError::code() (also blob checks in the store).
        /// An empty file.
        EmptyFile = "empty_file",
        /// A file over the size cap.
        FileTooLarge = "file_too_large",
        /// An image format the pipeline does not take (HEIC, …).
        UnsupportedFormat = "unsupported_format",
        /// Not an image at all.
        NotAnImage = "not_an_image",
        /// More pixels than the pipeline decodes (a decompression bomb).
        ImageTooLarge = "image_too_large",
        /// A truncated image file.
        TruncatedImage = "truncated_image",
        /// A corrupt image file.
        CorruptImage = "corrupt_image",
        /// The image file could not be read.
        ReadFailed = "read_failed",
        /// The pipeline's settings are unusable.
        InvalidSettings = "invalid_settings",
        /// The evidence JPEG could not be encoded.
        EncodeFailed = "encode_failed",

        // The app shell: AppError.code.
        /// The device is already enrolled.
        AlreadyEnrolled = "already_enrolled",
        /// The device has no grid yet (neither enrolled nor a demo).
        NoGrid = "no_grid",
        /// `device.json` is unreadable.
        BadDeviceFile = "bad_device_file",
        /// A command's request body is not what it takes.
        InvalidBody = "invalid_body",
        /// The app itself failed (a worker thread died).
        Internal = "internal",
        /// A code this build does not know (from a newer relay, say).
        Unknown = "unknown",

        // The sync engine: SyncView.lastError.
        /// No connection to the relay could be made.
        ConnectFailed = "connect_failed",
        /// Connecting and joining took too long.
        ConnectTimeout = "connect_timeout",
        /// The relay does not know this device, or revoked it.
        Unauthorized = "unauthorized",
        /// The relay refused the connection.
        Refused = "refused",
        /// The relay broke the sync protocol.
        Protocol = "protocol",
        /// The relay address is unusable.
        BadUrl = "bad_url",
        /// The device token cannot be sent.
        BadToken = "bad_token",
        /// The local store failed during sync.
        Store = "store",
        /// The relay reported an error.
        RelayError = "relay_error",
        /// The link dropped mid-sync.
        LinkDropped = "link_dropped",
        /// The relay's TLS certificate is not one this device trusts (not signed by the
        /// enrollment's CA or a public root, not for this host, expired, or a key that is
        /// not pinned).
        TlsUntrusted = "tls_untrusted",
        /// The relay's certificate is not signed by the enrollment's CA (or a public root).
        TlsUnknownIssuer = "tls_unknown_issuer",
        /// The relay's certificate is not for the host the device connects to.
        TlsWrongHost = "tls_wrong_host",
        /// The relay's certificate is expired or not valid yet.
        TlsExpired = "tls_expired",
        /// The relay's key is not one the enrollment pinned.
        TlsNotPinned = "tls_not_pinned",
        /// The TLS handshake with the relay failed (not TLS on the other end).
        TlsFailed = "tls_failed",
        /// Plain http:// to another machine, which the enrollment did not allow.
        PlainNotAllowed = "plain_not_allowed",
        /// A request to the relay could not be built.
        BadRequest = "bad_request",
        /// No connection for photo transfers.
        PhotoConnectFailed = "photo_connect_failed",
        /// Connecting for photo transfers took too long.
        PhotoConnectTimeout = "photo_connect_timeout",
        /// The link dropped during a photo transfer.
        PhotoLinkDropped = "photo_link_dropped",
        /// A photo transfer took too long.
        PhotoTimeout = "photo_timeout",
        /// The relay broke the photo upload protocol.
        PhotoProtocol = "photo_protocol",
        /// The relay failed a photo transfer.
        PhotoRelayError = "photo_relay_error",
        /// The relay's copy of a photo did not match its checksum.
        PhotoChecksum = "photo_checksum",
        /// The relay forgot an upload in progress.
        PhotoUploadGone = "photo_upload_gone",

        // Enrollment: which side is wrong.
        /// The relay address is not a usable URL.
        EnrollBadUrl = "enroll_bad_url",
        /// The relay's TLS certificate is not one this device trusts.
        EnrollUntrusted = "enroll_untrusted",
        /// Enrolling: the relay's certificate is not signed by a trusted CA.
        EnrollTlsUnknownIssuer = "enroll_tls_unknown_issuer",
        /// Enrolling: the relay's certificate is not for that host.
        EnrollTlsWrongHost = "enroll_tls_wrong_host",
        /// Enrolling: the relay's certificate is expired or not valid yet.
        EnrollTlsExpired = "enroll_tls_expired",
        /// Enrolling: the relay's key is not one the link pinned.
        EnrollTlsNotPinned = "enroll_tls_not_pinned",
        /// The TLS handshake with the relay failed.
        EnrollTlsFailed = "enroll_tls_failed",
        /// A typed plain http:// address of another machine (only an enrollment link that
        /// allows it may use one).
        EnrollPlainNotAllowed = "enroll_plain_not_allowed",
        /// Nothing answered at the relay address.
        EnrollUnreachable = "enroll_unreachable",
        /// The relay did not answer in time.
        EnrollTimeout = "enroll_timeout",
        /// The enrollment code is unknown, used or expired.
        EnrollCodeInvalid = "enroll_code_invalid",
        /// The relay's storage is failing; try again later.
        EnrollRelayUnavailable = "enroll_relay_unavailable",
        /// The relay refused the enrollment for another reason.
        EnrollRefused = "enroll_refused",
        /// The relay's answer is not an enrollment.
        EnrollBadAnswer = "enroll_bad_answer",
        /// Too many enrollment attempts from this address; try again in a while.
        EnrollRateLimited = "enroll_rate_limited",

        // The enrollment link (wangge_schema::enroll_link): what is wrong with it.
        /// Not a Wangge enrollment link.
        EnrollLinkNotWangge = "enroll_link_not_wangge",
        /// A link version this build does not read (a newer relay's).
        EnrollLinkVersion = "enroll_link_version",
        /// The link has no relay address.
        EnrollLinkNoRelay = "enroll_link_no_relay",
        /// The link has no enrollment code.
        EnrollLinkNoCode = "enroll_link_no_code",
        /// The link's enrollment code is malformed.
        EnrollLinkBadCode = "enroll_link_bad_code",
        /// The link's relay address is not usable.
        EnrollLinkBadRelay = "enroll_link_bad_relay",
        /// The link's certificate or key pin is malformed.
        EnrollLinkBadAnchor = "enroll_link_bad_anchor",
        /// The link points at plain http:// on another machine without allowing it.
        EnrollLinkPlain = "enroll_link_plain",
        /// No QR code was found in the image.
        EnrollQrNotFound = "enroll_qr_not_found",
        /// The image could not be read (not an image, too large).
        EnrollQrBadImage = "enroll_qr_bad_image",

        // Why a document kept on this device waits instead of syncing (SyncView.waiting).
        /// The relay does not take documents of its kind yet (an older relay).
        WaitingUnknownKind = "waiting_unknown_kind",
        /// Its changes show no kind and scope.
        WaitingNoMeta = "waiting_no_meta",
        /// Its scope is not a grid or division code.
        WaitingBadScope = "waiting_bad_scope",
        /// This device may not write in its scope (a grid it no longer works in).
        WaitingScopeForbidden = "waiting_scope_forbidden",
        /// This device's role may not write documents of its kind.
        WaitingKindForbidden = "waiting_kind_forbidden",
        /// The connection syncs as many documents as the relay allows; it goes next.
        WaitingTooMany = "waiting_too_many",
        /// The relay is busy with this device's other new documents; it goes next.
        WaitingBusy = "waiting_busy",
        /// Too large for the relay to take while it is being created.
        WaitingTooLarge = "waiting_too_large",
        /// An event step this device's user may not write (the relay refused it).
        WaitingStepForbidden = "waiting_step_forbidden",
        /// The relay refused a notice or receipt record written as another user.
        WaitingRecordForbidden = "waiting_record_forbidden",
        /// A notice or campaign this user may not act on (not theirs, not for them).
        NotYours = "not_yours",
        /// The relay does not say why.
        WaitingOther = "waiting_other",
        /// The relay does not take it and does not say why (an older relay).
        WaitingUnavailable = "waiting_unavailable",

        // Ledger import (导入台账): a row's problem, or why a file was refused.
        /// An ID number Excel stored as a number: its last digits are lost (`1.10105E+17`).
        IdNumberRounded = "id_number_rounded",
        /// The same ID number on an earlier row of the file.
        DuplicateIdNumber = "duplicate_id_number",
        /// The birth date column disagrees with the ID number.
        BirthDateMismatch = "birth_date_mismatch",
        /// The sex column disagrees with the ID number.
        SexMismatch = "sex_mismatch",
        /// A 重点人群 category this app does not know.
        UnknownTag = "unknown_tag",
        /// A relation to the head this app does not know.
        UnknownRelation = "unknown_relation",
        /// A residence status (人户状态) this app does not know.
        UnknownStatus = "unknown_status",
        /// Not a date.
        InvalidDate = "invalid_date",
        /// Not a sex (男/女).
        InvalidSex = "invalid_sex",
        /// A row whose address gives neither a building and room nor a street and number.
        AddressMissing = "address_missing",
        /// A file that is not a spreadsheet (or an empty one).
        NotASpreadsheet = "not_a_spreadsheet",
        /// A password-protected workbook.
        FileEncrypted = "file_encrypted",
        /// A compressed workbook that expands far beyond any real ledger (a zip bomb).
        FileExpandsTooMuch = "file_expands_too_much",
        /// More rows than one import takes.
        TooManyRows = "too_many_rows",
        /// A text file in neither UTF-8 nor GBK.
        UnreadableText = "unreadable_text",
        /// No sheet has a header row with a name column.
        NoHeaderRow = "no_header_row",
        /// A sheet of the workbook could not be read.
        SheetUnreadable = "sheet_unreadable",
        /// A mapping names a column or sheet the file does not have.
        BadMapping = "bad_mapping",
    }
}

impl ErrorCode {
    /// The code of `code`, or [`ErrorCode::Unknown`] for one this build does not know.
    pub fn of(code: &str) -> Self {
        Self::from_code(code).unwrap_or(ErrorCode::Unknown)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.code() == *other
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.code()
    }
}

/// A field-level validation failure: which field, a stable code, and a developer message.
///
/// The UI shows Chinese text keyed by `code`; `message` is English for logs and tests and
/// never contains the value that was refused (it may be personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {code}: {message}")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    /// The form field, in the record's own field names (`id_number`, `phone`, …).
    pub field: &'static str,
    /// Stable machine code (`invalid_id_number`, `temperature_out_of_range`, …).
    pub code: ErrorCode,
    /// What was wrong, without the refused value.
    pub message: String,
}

impl FieldError {
    /// A failure of `field` with `code`.
    pub fn new(field: &'static str, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }

    /// `field` is required and was empty.
    pub fn required(field: &'static str) -> Self {
        Self::new(field, ErrorCode::RequiredField, "is required")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_distinct_snake_case_and_parses_back() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            let s = c.code();
            assert!(
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert!(seen.insert(s), "{s} twice");
            assert_eq!(ErrorCode::from_code(s), Some(*c));
        }
    }

    #[test]
    fn a_code_serialises_as_its_string_and_an_unknown_one_reads_as_unknown() {
        let e = FieldError::required("name");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "required_field");
        assert_eq!(json["field"], "name");
        assert_eq!(ErrorCode::of("from_a_newer_relay"), ErrorCode::Unknown);
        assert_eq!(ErrorCode::of("link_dropped"), ErrorCode::LinkDropped);
        assert_eq!(ErrorCode::InvalidPhone, "invalid_phone");
    }
}
