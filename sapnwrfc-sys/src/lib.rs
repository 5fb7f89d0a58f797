//! Bindings to the SAP NetWeaver RFC SDK (`libsapnwrfc`), resolved at run time.
//!
//! The SDK is proprietary and is never linked or shipped with bizsap. The customer installs it
//! next to SAP's other client software and points bizsap at its directory; this crate opens
//! the library from there. Until the loader lands, the crate carries the facts every later
//! part shares: the file names of the library on each platform and the SDK's return codes,
//! which are kept as raw integers because newer SDKs add values.

// TODO(#5): loader, `#[repr(C)]` types, the safe connection wrapper and the stub library.

/// File name of the RFC library on this platform, as SAP ships it.
pub const LIBRARY_FILE: &str = if cfg!(windows) {
    "sapnwrfc.dll"
} else if cfg!(target_os = "macos") {
    "libsapnwrfc.dylib"
} else {
    "libsapnwrfc.so"
};

/// `RFC_RC`: the return code of every SDK call, kept raw.
pub type RfcRc = i32;

/// `RFC_OK`: the call succeeded.
pub const RFC_OK: RfcRc = 0;
/// `RFC_COMMUNICATION_FAILURE`: the connection broke or could not be opened.
pub const RFC_COMMUNICATION_FAILURE: RfcRc = 1;
/// `RFC_LOGON_FAILURE`: user, password or client rejected by the system.
pub const RFC_LOGON_FAILURE: RfcRc = 2;
/// `RFC_ABAP_RUNTIME_FAILURE`: the called function module dumped.
pub const RFC_ABAP_RUNTIME_FAILURE: RfcRc = 3;
/// `RFC_ABAP_MESSAGE`: the function module raised an ABAP message.
pub const RFC_ABAP_MESSAGE: RfcRc = 4;
/// `RFC_ABAP_EXCEPTION`: the function module raised a classic exception.
pub const RFC_ABAP_EXCEPTION: RfcRc = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_file_names_follow_sap_conventions() {
        assert!(LIBRARY_FILE.contains("sapnwrfc"));
        if cfg!(target_os = "linux") {
            assert_eq!(LIBRARY_FILE, "libsapnwrfc.so");
        }
    }
}
