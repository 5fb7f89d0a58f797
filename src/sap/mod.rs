//! Delivery to SAP: the BAPI form of a posting that both transports share.
//!
//! RFC calls BAPI_ACC_DOCUMENT_POST with these tables; the ACC_DOCUMENT IDoc carries the same
//! structures as segments (E1BPACHE09 is BAPIACHE09, and so on). Building them in one place
//! means both transports send the same document, field for field.

pub mod bapi;
pub mod idoc;
