//! Bindings to the SAP NetWeaver RFC SDK (`libsapnwrfc`), resolved at run time, and a safe
//! wrapper over the part bizsap uses.
//!
//! The SDK is proprietary and is never linked or shipped with bizsap. The customer installs it
//! next to SAP's other client software and points bizsap at its directory; [`Library::load`]
//! opens it from there and checks that it has every function needed (see [`loader`]).
//!
//! * [`ffi`]: the C types, with sizes checked at compile time, and the SDK's enums kept raw;
//! * [`loader`]: opening the library and resolving its functions;
//! * [`Connection`], [`Function`], [`Structure`], [`Table`]: connections, function
//!   descriptions from the system's repository, data containers, invoke;
//! * [`RfcError`]: the SDK's errors with group, key, message and ABAP message;
//! * [`uc`]: `SAP_UC` (UTF-16) strings.
//!
//! ```no_run
//! use std::sync::Arc;
//! use sapnwrfc_sys::{Connection, ConnectionParams, DataContainer, Library};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let library = Arc::new(Library::load("/usr/sap/nwrfcsdk/lib")?);
//! let params = ConnectionParams::new()
//!     .set("ashost", "sap.example.com")
//!     .set("sysnr", "00")
//!     .set("client", "100")
//!     .set("user", "BIZSAP")
//!     .set("passwd", "secret");
//! let mut connection = Connection::open(&library, &params)?;
//! let mut commit = connection.function("BAPI_TRANSACTION_COMMIT")?;
//! commit.set_chars("WAIT", "X")?;
//! connection.invoke(&mut commit)?;
//! let message = commit.structure("RETURN")?.chars("MESSAGE")?;
//! # let _ = message;
//! # Ok(())
//! # }
//! ```

#![warn(clippy::undocumented_unsafe_blocks)]

mod connection;
mod container;
mod error;
pub mod ffi;
pub mod loader;
mod metadata;
pub mod uc;

pub use connection::{Attributes, Canceller, Connection, ConnectionParams};
pub use container::{DataContainer, Function, Structure, Table};
pub use error::{AbapMessage, RfcError};
pub use ffi::{Direction, ErrorGroup, ReturnCode, RfcType};
pub use loader::{Library, LoadError, SdkVersion};
pub use metadata::{FieldDesc, FunctionDesc, ParameterDesc, TypeDesc};

/// File name of the RFC library on this platform, as SAP ships it.
pub const LIBRARY_FILE: &str = if cfg!(windows) {
    "sapnwrfc.dll"
} else if cfg!(target_os = "macos") {
    "libsapnwrfc.dylib"
} else {
    "libsapnwrfc.so"
};

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
