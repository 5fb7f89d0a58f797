//! A shared library that reports itself as an old RFC SDK and exports nothing else, so the
//! loader's tests can check that every missing function is named in one error.

#![allow(non_snake_case)]
#![warn(clippy::undocumented_unsafe_blocks)]

use std::ffi::c_uint;

/// `SAP_UC` text of the version, NUL-terminated.
static VERSION_TEXT: [u16; 9] = ascii(b"7200.0.3\0");

const fn ascii<const N: usize>(bytes: &[u8; N]) -> [u16; N] {
    let mut units = [0u16; N];
    let mut index = 0;
    while index < N {
        units[index] = bytes[index] as u16;
        index += 1;
    }
    units
}

/// `RfcGetVersion`, reporting SDK 7.20 patch level 3.
///
/// # Safety
///
/// Each pointer is NULL or writable, as the SDK documents.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetVersion(
    major: *mut c_uint,
    minor: *mut c_uint,
    patch_level: *mut c_uint,
) -> *const u16 {
    for (target, value) in [(major, 7200), (minor, 0), (patch_level, 3)] {
        if !target.is_null() {
            // SAFETY: non-null, and writable by the caller's promise.
            unsafe { target.write(value) };
        }
    }
    VERSION_TEXT.as_ptr()
}
