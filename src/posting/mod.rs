//! posting
