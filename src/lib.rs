//! bizsap: posts corporate expenses from bizplay into SAP as accounting documents.
//!
//! Data flows one way through the modules: [`bizplay`] reads the gateway's records,
//! [`mapping`] turns each record into a neutral [`posting::Posting`] by the customer's rules,
//! and the SAP targets deliver it. [`preview`] shows what would be posted without sending
//! anything. The stub SAP system in [`stub`] speaks only the wire formats a real SAP would
//! see, so it cannot hide a mapping bug.

pub mod bizplay;
pub mod config;
pub mod journal;
pub mod mapping;
pub mod net;
pub mod pipeline;
pub mod posting;
pub mod preview;
pub mod sap;
pub mod schedule;
pub mod secret;
pub mod serve;
pub mod server;
pub mod stub;
