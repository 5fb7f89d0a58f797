//! `SAP_UC` strings: UTF-16 code units, NUL-terminated where the SDK says so.

use crate::ffi::SapUc;

/// Longest NUL-terminated string the stub reads from a caller: a name, a connection
/// parameter. Anything longer is a missing terminator.
const MAX_TERMINATED: usize = 64 * 1024;

pub fn encode(text: &str) -> Vec<SapUc> {
    text.encode_utf16().collect()
}

/// Text of UTF-16 units, up to the first NUL; unpaired surrogates become U+FFFD.
pub fn decode(units: &[SapUc]) -> String {
    let end = units
        .iter()
        .position(|&unit| unit == 0)
        .unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

/// Copies `text` into a fixed `SAP_UC[N]` field, cut to leave room for the NUL.
pub fn fill(field: &mut [SapUc], text: &str) {
    let room = field.len().saturating_sub(1);
    let mut written = 0;
    for (slot, unit) in field.iter_mut().zip(text.encode_utf16().take(room)) {
        *slot = unit;
        written += 1;
    }
    field[written..].fill(0);
}

/// Reads a NUL-terminated string; `None` for a NULL pointer or a missing terminator.
///
/// # Safety
///
/// `ptr` is NULL or points to readable `SAP_UC`s up to a NUL or for `MAX_TERMINATED` units.
pub unsafe fn read_terminated(ptr: *const SapUc) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    let mut units = Vec::new();
    while units.len() < MAX_TERMINATED {
        // SAFETY: the caller promises readable units up to the terminator, and the loop
        // stops at the terminator.
        let unit = unsafe { *ptr.add(units.len()) };
        if unit == 0 {
            return Some(String::from_utf16_lossy(&units));
        }
        units.push(unit);
    }
    None
}

/// The units of a buffer the caller passed with its length; NULL is empty only when the
/// length is zero.
///
/// # Safety
///
/// `ptr` is NULL or points to `length` readable units.
pub unsafe fn read_counted<'a>(ptr: *const SapUc, length: u32) -> Option<&'a [SapUc]> {
    match (ptr.is_null(), length) {
        (true, 0) => Some(&[]),
        (true, _) => None,
        // SAFETY: the caller promises `length` readable units at `ptr`.
        (false, _) => Some(unsafe { std::slice::from_raw_parts(ptr, length as usize) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_fields_are_cut_and_terminated() {
        let mut field = [0xFFFFu16; 4];
        fill(&mut field, "회계전표");
        assert_eq!(decode(&field), "회계전");
        assert_eq!(field[3], 0);
        fill(&mut field, "A");
        assert_eq!(field, [u16::from(b'A'), 0, 0, 0]);
    }

    #[test]
    fn terminated_strings_are_read_up_to_the_nul() {
        let units: Vec<u16> = "RFC_PING\0junk".encode_utf16().collect();
        // SAFETY: `units` holds a NUL within its bounds.
        let text = unsafe { read_terminated(units.as_ptr()) };
        assert_eq!(text.as_deref(), Some("RFC_PING"));
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { read_terminated(std::ptr::null()) }, None);
    }
}
