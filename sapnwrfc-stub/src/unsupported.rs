//! Functions of SAP's library that the stub system has no counterpart for: the RFC server
//! role, throughput statistics and SNC. They exist so that a program linked against the
//! SDK (node-rfc's addon imports all of them) loads and runs its client path; each answers
//! `RFC_NOT_SUPPORTED` with a message naming what is missing, and returns NULL where SAP's
//! function returns a handle. Nothing here touches the caller's other arguments.

#![allow(non_snake_case, clippy::missing_safety_doc)]

use std::ffi::c_uint;

use crate::exports::{call, call_for_handle};
use crate::ffi::{Handle, RfcConnectionParameter, RfcErrorInfo, RfcRc};
use crate::protocol::{Failure, rc};

/// `RFC_UNSIGNED_LONG`, the counters of a throughput handle.
type UnsignedLong = u64;

fn not_supported(feature: &str) -> Failure {
    let message = format!(
        "{feature} is not supported by the stub RFC library; it serves the client role only"
    );
    Failure::external(rc::NOT_SUPPORTED, "RFC_NOT_SUPPORTED", message)
}

/// # Safety
///
/// `info` is NULL or a writable `RFC_ERROR_INFO`.
unsafe fn refuse(feature: &str, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: forwarded from the caller.
    unsafe { call(info, || Err(not_supported(feature))) }
}

/// # Safety
///
/// `info` is NULL or a writable `RFC_ERROR_INFO`.
unsafe fn refuse_handle(feature: &str, info: *mut RfcErrorInfo) -> Handle {
    // SAFETY: forwarded from the caller.
    unsafe { call_for_handle(info, || Err(not_supported(feature))) }
}

const SERVER: &str = "The RFC server role (RfcCreateServer, RfcLaunchServer, server functions)";
const THROUGHPUT: &str = "Throughput monitoring";

// ---------------------------------------------------------------------------------------------
// Server role

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcCreateServer(
    _params: *const RfcConnectionParameter,
    _count: c_uint,
    info: *mut RfcErrorInfo,
) -> Handle {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse_handle(SERVER, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcLaunchServer(_server: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(SERVER, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcShutdownServer(
    _server: Handle,
    _timeout: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(SERVER, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDestroyServer(_server: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(SERVER, info) }
}

/// `context` is an `RFC_SERVER_CONTEXT`, which only a server-side connection has.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetServerContext(
    _conn: Handle,
    _context: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(SERVER, info) }
}

/// The two callbacks are C function pointers; they are never called.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcInstallGenericServerFunction(
    _server_function: Handle,
    _description_provider: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(SERVER, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcInstallAuthorizationCheckHandler(
    _handler: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(SERVER, info) }
}

// ---------------------------------------------------------------------------------------------
// SNC

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcLoadCryptoLibrary(
    _path: *const u16,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    let feature = "SNC (RfcLoadCryptoLibrary)";
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(feature, info) }
}

// ---------------------------------------------------------------------------------------------
// Throughput

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcCreateThroughput(info: *mut RfcErrorInfo) -> Handle {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse_handle(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDestroyThroughput(
    _throughput: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcResetThroughput(
    _throughput: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetThroughputOnConnection(
    _conn: Handle,
    _throughput: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetThroughputFromConnection(
    _conn: Handle,
    info: *mut RfcErrorInfo,
) -> Handle {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse_handle(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcRemoveThroughputFromConnection(
    _conn: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetNumberOfCalls(
    _throughput: Handle,
    _value: *mut UnsignedLong,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetTotalTime(
    _throughput: Handle,
    _value: *mut UnsignedLong,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetSerializationTime(
    _throughput: Handle,
    _value: *mut UnsignedLong,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetDeserializationTime(
    _throughput: Handle,
    _value: *mut UnsignedLong,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetApplicationTime(
    _throughput: Handle,
    _value: *mut UnsignedLong,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetSentBytes(
    _throughput: Handle,
    _value: *mut UnsignedLong,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetReceivedBytes(
    _throughput: Handle,
    _value: *mut UnsignedLong,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the exports module.
    unsafe { refuse(THROUGHPUT, info) }
}

// The functions' versions in the shared object; see `build.rs`.
#[cfg(target_os = "linux")]
std::arch::global_asm!(include_str!(concat!(
    env!("OUT_DIR"),
    "/symver_unsupported.s"
)));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uc;

    #[test]
    fn unsupported_functions_answer_not_supported_with_a_message() {
        // SAFETY: RFC_ERROR_INFO is plain integers and arrays; all zeros is valid.
        let mut info: RfcErrorInfo = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is writable; no other argument is read.
        let handle = unsafe { RfcCreateThroughput(&mut info) };
        assert!(handle.is_null());
        assert_eq!(info.code, rc::NOT_SUPPORTED);
        assert!(uc::decode(&info.message).contains("Throughput"));
        // SAFETY: a NULL error info is allowed.
        let code = unsafe { RfcLaunchServer(std::ptr::null_mut(), std::ptr::null_mut()) };
        assert_eq!(code, rc::NOT_SUPPORTED);
    }
}
