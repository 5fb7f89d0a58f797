//! bizplay
