//! `SAP_UC` strings: UTF-16 code units in native byte order, NUL-terminated where the SDK
//! says so.
//!
//! The SDK has its own conversion functions (`RfcUTF8ToSAPUC` ...); they are not needed, as
//! `SAP_UC` is plain UTF-16 and Rust converts it exactly. Lengths the SDK counts are code
//! units: a Hangul syllable is one, an emoji two.

use std::fmt;

use crate::ffi::SapUc;

/// Longest NUL-terminated string read from the library before giving up on a terminator.
const MAX_TERMINATED: usize = 64 * 1024;

/// A NUL-terminated `SAP_UC` string to pass to the SDK.
#[derive(Clone, PartialEq, Eq)]
pub struct UcString(Vec<SapUc>);

/// A string with a NUL inside cannot be passed as a NUL-terminated `SAP_UC` string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("text contains a NUL character at position {position}")]
pub struct InteriorNul {
    pub position: usize,
}

impl UcString {
    pub fn new(text: &str) -> Result<Self, InteriorNul> {
        let mut units = encode(text);
        if let Some(position) = units.iter().position(|&unit| unit == 0) {
            return Err(InteriorNul { position });
        }
        units.push(0);
        Ok(Self(units))
    }

    /// Pointer to the first unit; valid while `self` lives.
    pub fn as_ptr(&self) -> *const SapUc {
        self.0.as_ptr()
    }

    /// Length in code units, without the terminator.
    pub fn len(&self) -> usize {
        self.0.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for UcString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", decode(&self.0))
    }
}

/// UTF-16 units of `text`, without a terminator.
pub fn encode(text: &str) -> Vec<SapUc> {
    text.encode_utf16().collect()
}

/// Text of a buffer, up to its first NUL; unpaired surrogates become U+FFFD.
pub fn decode(units: &[SapUc]) -> String {
    let end = units
        .iter()
        .position(|&unit| unit == 0)
        .unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

/// Text of a blank-padded CHAR buffer, without its trailing blanks.
pub fn decode_trimmed(units: &[SapUc]) -> String {
    let mut text = decode(units);
    text.truncate(text.trim_end_matches(' ').len());
    text
}

/// Text of a NUL-terminated string the library returned; empty for NULL.
///
/// # Safety
///
/// `ptr` is NULL or points to readable units up to a NUL (or for 64 Ki units).
pub unsafe fn decode_terminated(ptr: *const SapUc) -> String {
    if ptr.is_null() {
        return String::new();
    }
    let mut length = 0;
    // SAFETY: the caller promises readable units up to the terminator; the loop stops there
    // or at the bound.
    while length < MAX_TERMINATED && unsafe { *ptr.add(length) } != 0 {
        length += 1;
    }
    // SAFETY: the `length` units before the terminator were just read.
    let units = unsafe { std::slice::from_raw_parts(ptr, length) };
    String::from_utf16_lossy(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_terminated_and_refuse_inner_nuls() {
        let text = UcString::new("회식비 🍜").unwrap();
        assert_eq!(text.len(), 6, "an emoji is two code units");
        // SAFETY: `text` is NUL-terminated and alive.
        assert_eq!(unsafe { decode_terminated(text.as_ptr()) }, "회식비 🍜");
        assert_eq!(UcString::new("A\0B"), Err(InteriorNul { position: 1 }));
    }

    #[test]
    fn padded_buffers_lose_their_blanks_and_tail() {
        let mut buffer = encode("KR  ");
        assert_eq!(decode_trimmed(&buffer), "KR");
        buffer.extend([0, u16::from(b'X')]);
        assert_eq!(decode(&buffer), "KR  ");
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { decode_terminated(std::ptr::null()) }, "");
    }
}
