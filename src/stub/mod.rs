//! Stub backends that stand in for SAP (and later bizplay) in tests and in `bizsap demo`.
