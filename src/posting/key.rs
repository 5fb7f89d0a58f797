//! The posting key: a deterministic name for one document, carried in `REF_DOC_NO`.
//!
//! The key is what lets the bridge ask SAP "did this document arrive?" after a crash or a
//! lost reply, so it must be derived only from what identifies the document, never from a
//! clock or a counter: the record key and its revision. It has to fit XBLNR (16 characters)
//! and be searchable there, so it is plain ASCII:
//!
//! ```text
//!   B Z 7 K 3 Q 0 M 9 X 4 T 2 A 0 1
//!   │ │ └───── 12 × base32 ─────┘ └┴─ revision, base 36 (01 … ZZ)
//!   │ └─ Z: a posting, R: a reversal
//!   └─ bizsap
//! ```
//!
//! The twelve middle characters are 60 bits of a 64-bit FNV-1a hash of the record key; the
//! birthday bound puts the first collision beyond a billion records per prefix.

use std::fmt;

/// Largest revision the two-character suffix can carry.
pub const MAX_REVISION: u32 = 36 * 36 - 1;

const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE36: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A document's posting key, 16 ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostingKey(String);

/// What a key names: the document posting a record, or the reversal of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    Posting,
    Reversal,
}

impl PostingKey {
    /// Derives the key for `record_key` (its canonical text) at `revision` (1-based).
    ///
    /// # Panics
    ///
    /// When `revision` is 0 or above [`MAX_REVISION`]; the journal never hands out either.
    pub fn derive(purpose: KeyPurpose, record_key: &str, revision: u32) -> PostingKey {
        assert!(
            (1..=MAX_REVISION).contains(&revision),
            "revision {revision} out of range"
        );
        let mut key = String::with_capacity(16);
        key.push('B');
        key.push(match purpose {
            KeyPurpose::Posting => 'Z',
            KeyPurpose::Reversal => 'R',
        });
        let hash = fnv1a64(record_key.as_bytes());
        for shift in (0..12).rev() {
            key.push(BASE32[((hash >> (shift * 5 + 4)) & 31) as usize] as char);
        }
        key.push(BASE36[(revision / 36) as usize] as char);
        key.push(BASE36[(revision % 36) as usize] as char);
        PostingKey(key)
    }

    /// Reads a key back from its text, as stored in the journal or in SAP.
    pub fn parse(text: &str) -> Option<PostingKey> {
        let valid = text.len() == 16
            && (text.starts_with("BZ") || text.starts_with("BR"))
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        valid.then(|| PostingKey(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = "2148612345/9410123456781234/20261103/412";

    #[test]
    fn key_is_sixteen_ascii_characters_and_stable() {
        let key = PostingKey::derive(KeyPurpose::Posting, RECORD, 1);
        assert_eq!(key.as_str().len(), 16);
        assert!(key.as_str().is_ascii());
        assert!(key.as_str().starts_with("BZ"));
        assert!(key.as_str().ends_with("01"));
        // The key is stored in SAP; a change of algorithm would orphan every posted document.
        assert_eq!(key, PostingKey::derive(KeyPurpose::Posting, RECORD, 1));
        assert_eq!(key.as_str(), "BZ9FN7866H1W0F01");
    }

    #[test]
    fn revision_and_purpose_change_the_key() {
        let first = PostingKey::derive(KeyPurpose::Posting, RECORD, 1);
        let second = PostingKey::derive(KeyPurpose::Posting, RECORD, 2);
        let reversal = PostingKey::derive(KeyPurpose::Reversal, RECORD, 1);
        assert_ne!(first, second);
        assert_eq!(first.as_str()[..14], second.as_str()[..14]);
        assert!(reversal.as_str().starts_with("BR"));
        assert_eq!(
            PostingKey::derive(KeyPurpose::Posting, RECORD, 37).as_str()[14..],
            *"11"
        );
    }

    #[test]
    fn different_records_get_different_keys() {
        let keys: std::collections::HashSet<_> = (0..10_000)
            .map(|seq| {
                let record = format!("2148612345/9410123456781234/20261103/{seq}");
                PostingKey::derive(KeyPurpose::Posting, &record, 1)
            })
            .collect();
        assert_eq!(keys.len(), 10_000);
    }
}
