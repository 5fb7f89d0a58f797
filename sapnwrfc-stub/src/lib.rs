//! A stand-in for SAP's `libsapnwrfc`: the same C functions, forwarding to bizsap's stub SAP
//! server instead of a real system.
//!
//! Built as a shared library, it lets the bridge's real loading and FFI code run in every
//! test and demo. It implements the part of the SDK the bridge calls, with the documented
//! signatures and behaviour: `RFC_ERROR_INFO` filled on every call and NULL accepted for it,
//! handles that stay invalid after close, `RFC_INVALID_HANDLE` instead of a crash for a stale
//! one, table cursors, and the connection closing itself after the errors that close it in
//! SAP's library.
//!
//! * [`protocol`]: the wire to the stub server, also used by the server itself;
//! * [`exports`]: the C functions;
//! * the rest is private: handles and data containers, value conversions, connections.
//!
//! A connection is found as a real client finds a system: `ashost` plus `sysnr` (the
//! gateway port 33NN), or an explicit numeric `gwserv`; `dest` reads the entry from
//! `sapnwrfc.ini`. Function descriptions come from the server, as from a system's
//! repository, and are cached per system id for the life of the process.

//! On Linux the shared object carries SAP's SONAME and puts every function in the version
//! node `libsapnwrfc.so` (see `build.rs`), so programs linked against SAP's SDK, such as
//! node-rfc's prebuilt addon, load it in place of SAP's. Its companion `libsapucum` is the
//! `sapnwrfc-ucum` crate. Functions for the server role, throughput statistics and SNC exist
//! and answer `RFC_NOT_SUPPORTED` (`unsupported`).
//!
//! The stub system's function interfaces use only CHAR, NUM, DATE, TIME, BCD and the INT
//! types, so only those have a wire form; the accessors of STRING, XSTRING, BYTE, FLOAT, INT8,
//! the DECF types and nested structures refuse a field of another type, as SAP's library
//! refuses a conversion it cannot make.

#![warn(clippy::undocumented_unsafe_blocks)]

mod container;
pub mod exports;
mod ffi;
pub mod protocol;
mod session;
mod state;
mod uc;
mod unsupported;
mod value;
