//! Stub backends that stand in for SAP and bizplay in tests and in `bizsap demo`.

pub mod bizplay;
pub mod landscape;
pub mod sap;
