//! A stand-in for SAP's `libsapucum`: the UTF-16 (`SAP_UC`) string functions that programs
//! built against SAP's NetWeaver RFC SDK import beside `libsapnwrfc`.
//!
//! These are the five that node-rfc's prebuilt addon imports, with the C library's semantics
//! of their 8-bit namesakes over 16-bit units. Every pointer must be valid as for those
//! functions (NUL-terminated strings, a destination large enough); that is the safety
//! requirement of each, stated here once.

#![allow(non_snake_case, clippy::missing_safety_doc)]
#![warn(clippy::undocumented_unsafe_blocks)]

use std::ffi::{c_int, c_void};

/// `SAP_UC` on Linux and macOS: a UTF-16 code unit.
pub type SapUc = u16;

unsafe extern "C" {
    fn fwrite(ptr: *const c_void, size: usize, count: usize, stream: *mut c_void) -> usize;
}

/// `strlen` over `SAP_UC`s.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlenU16(text: *const SapUc) -> usize {
    let mut length = 0;
    // SAFETY: the caller passes a NUL-terminated string; the loop stops at the NUL.
    while unsafe { *text.add(length) } != 0 {
        length += 1;
    }
    length
}

/// `strcmp` over `SAP_UC`s: the sign of the first difference, as unsigned units.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strcmpU16(left: *const SapUc, right: *const SapUc) -> c_int {
    let mut index = 0;
    loop {
        // SAFETY: both strings are NUL-terminated, and the loop stops at either NUL.
        let (a, b) = unsafe { (*left.add(index), *right.add(index)) };
        if a != b || a == 0 {
            return c_int::from(a) - c_int::from(b);
        }
        index += 1;
    }
}

/// `strcpy` over `SAP_UC`s; returns the destination.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strcpyU16(target: *mut SapUc, source: *const SapUc) -> *mut SapUc {
    // SAFETY: `source` is NUL-terminated and `target` holds it and its NUL.
    unsafe {
        let length = strlenU16(source);
        std::ptr::copy(source, target, length + 1);
    }
    target
}

/// `strncpy` over `SAP_UC`s: at most `count` units, the rest of them filled with NULs, and
/// no terminator when the source is `count` units or longer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strncpyU16(
    target: *mut SapUc,
    source: *const SapUc,
    count: usize,
) -> *mut SapUc {
    let mut index = 0;
    // SAFETY: `target` holds `count` units; `source` is read up to its NUL or `count`.
    unsafe {
        while index < count && *source.add(index) != 0 {
            *target.add(index) = *source.add(index);
            index += 1;
        }
        while index < count {
            *target.add(index) = 0;
            index += 1;
        }
    }
    target
}

/// `fprintf` with a `SAP_UC` format, written to the stream as UTF-8.
///
/// Declared with the two fixed arguments only: the C ABIs this library is built for pass
/// them in the same registers whether or not the call is variadic, and any further arguments
/// are not read. `%%` prints `%`; other directives are printed as written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fprintfU16(stream: *mut c_void, format: *const SapUc) -> c_int {
    if stream.is_null() || format.is_null() {
        return -1;
    }
    // SAFETY: `format` is NUL-terminated.
    let units = unsafe { std::slice::from_raw_parts(format, strlenU16(format)) };
    let text = String::from_utf16_lossy(units).replace("%%", "%");
    // SAFETY: `stream` is an open `FILE*`, and the bytes are valid for the call.
    let written = unsafe { fwrite(text.as_ptr().cast(), 1, text.len(), stream) };
    match written == text.len() {
        true => c_int::try_from(written).unwrap_or(c_int::MAX),
        false => -1,
    }
}

// Each function in the version node `libsapucum.so`, which `build.rs` defines.
#[cfg(target_os = "linux")]
std::arch::global_asm!(
    ".symver strlenU16, strlenU16@@libsapucum.so",
    ".symver strcmpU16, strcmpU16@@libsapucum.so",
    ".symver strcpyU16, strcpyU16@@libsapucum.so",
    ".symver strncpyU16, strncpyU16@@libsapucum.so",
    ".symver fprintfU16, fprintfU16@@libsapucum.so",
);

#[cfg(test)]
mod tests {
    use super::*;

    fn units(text: &str) -> Vec<SapUc> {
        text.encode_utf16().chain([0]).collect()
    }

    #[test]
    fn lengths_and_comparisons_follow_the_c_library() {
        let (a, b) = (units("회계"), units("회계전표"));
        // SAFETY: both are NUL-terminated.
        unsafe {
            assert_eq!(strlenU16(a.as_ptr()), 2);
            assert!(strcmpU16(a.as_ptr(), b.as_ptr()) < 0);
            assert_eq!(strcmpU16(b.as_ptr(), b.as_ptr()), 0);
        }
    }

    #[test]
    fn copies_terminate_or_pad_as_strcpy_and_strncpy_do() {
        let source = units("RFC");
        let mut target = [0xFFFFu16; 6];
        // SAFETY: `target` holds six units, more than the source and its NUL.
        unsafe { strcpyU16(target.as_mut_ptr(), source.as_ptr()) };
        assert_eq!(&target[..4], &source[..]);
        let mut target = [0xFFFFu16; 6];
        // SAFETY: `target` holds the six units written.
        unsafe { strncpyU16(target.as_mut_ptr(), source.as_ptr(), 6) };
        assert_eq!(target, [82, 70, 67, 0, 0, 0]);
        let mut target = [0xFFFFu16; 3];
        // SAFETY: `target` holds the two units written.
        unsafe { strncpyU16(target.as_mut_ptr(), source.as_ptr(), 2) };
        assert_eq!(target, [82, 70, 0xFFFF]);
    }
}
