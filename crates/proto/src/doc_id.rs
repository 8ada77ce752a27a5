//! Document ids in automerge-repo form: base58check of a 16-byte UUID.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A document id: 16 bytes, shown as base58check like automerge-repo's `DocumentId`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// Why a string or byte slice is not a document id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentIdError {
    /// Not valid base58check (bad alphabet or checksum).
    #[error("document id is not valid base58check")]
    BadEncoding,
    /// Decoded to something other than 16 bytes.
    #[error("document id must be 16 bytes, got {0}")]
    WrongLength(usize),
}

impl DocumentId {
    /// A fresh random id (UUID v4).
    pub fn random() -> Self {
        Self(*Uuid::new_v4().as_bytes())
    }

    /// The id for a UUID.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(*uuid.as_bytes())
    }

    /// The raw 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The id as a UUID.
    pub fn to_uuid(&self) -> Uuid {
        Uuid::from_bytes(self.0)
    }

    /// Parses raw bytes (as sent by peers that encode ids as binary).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DocumentIdError> {
        let arr: [u8; 16] = bytes
            .try_into()
            .map_err(|_| DocumentIdError::WrongLength(bytes.len()))?;
        Ok(Self(arr))
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = DocumentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Longest valid form is ~26 characters; refuse anything far longer before decoding.
        if s.len() > 64 {
            return Err(DocumentIdError::BadEncoding);
        }
        let bytes = bs58::decode(s)
            .with_check(None)
            .into_vec()
            .map_err(|_| DocumentIdError::BadEncoding)?;
        Self::from_bytes(&bytes)
    }
}

impl serde::Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_base58check() {
        let id = DocumentId::random();
        let s = id.to_string();
        assert_eq!(s.parse::<DocumentId>(), Ok(id));
    }

    #[test]
    fn a_corrupted_checksum_is_refused() {
        let mut s = DocumentId::random().to_string();
        let last = s.pop().map(|c| if c == '2' { '3' } else { '2' });
        s.extend(last);
        assert_eq!(s.parse::<DocumentId>(), Err(DocumentIdError::BadEncoding));
    }

    #[test]
    fn wrong_length_is_refused() {
        let s = bs58::encode([1u8; 8]).with_check().into_string();
        assert_eq!(
            s.parse::<DocumentId>(),
            Err(DocumentIdError::WrongLength(8))
        );
    }
}
