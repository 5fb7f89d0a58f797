//! The C types of the SDK's interface, as the stub exports it: `SAP_UC` is a UTF-16 code
//! unit, handles are opaque pointers, and every struct is `#[repr(C)]` with its size
//! checked against the real header's at compile time.
//!
//! The stub declares these itself instead of sharing `sapnwrfc-sys`'s declarations: it
//! stands where SAP's library stands, and a layout mistake on one side should show up in
//! the tests that join the two, not cancel out.

use std::ffi::c_void;
use std::mem::size_of;

pub type SapUc = u16;
pub type RfcRc = i32;
pub type Handle = *mut c_void;

/// `RFCTYPE` values.
pub mod rfc_type {
    pub const CHAR: i32 = 0;
    pub const DATE: i32 = 1;
    pub const BCD: i32 = 2;
    pub const TIME: i32 = 3;
    pub const TABLE: i32 = 5;
    pub const NUM: i32 = 6;
    pub const INT: i32 = 8;
    pub const INT2: i32 = 9;
    pub const INT1: i32 = 10;
    pub const STRUCTURE: i32 = 17;
}

/// `RFC_DIRECTION` values.
pub mod direction {
    pub const IMPORT: i32 = 1;
    pub const EXPORT: i32 = 2;
    pub const CHANGING: i32 = 3;
    pub const TABLES: i32 = 7;
}

#[repr(C)]
pub struct RfcErrorInfo {
    pub code: RfcRc,
    pub group: i32,
    pub key: [SapUc; 128],
    pub message: [SapUc; 512],
    pub abap_msg_class: [SapUc; 21],
    pub abap_msg_type: [SapUc; 2],
    pub abap_msg_number: [SapUc; 4],
    pub abap_msg_v1: [SapUc; 51],
    pub abap_msg_v2: [SapUc; 51],
    pub abap_msg_v3: [SapUc; 51],
    pub abap_msg_v4: [SapUc; 51],
}

#[repr(C)]
pub struct RfcConnectionParameter {
    pub name: *const SapUc,
    pub value: *const SapUc,
}

#[repr(C)]
pub struct RfcFieldDesc {
    pub name: [SapUc; 31],
    pub rfc_type: i32,
    pub nuc_length: u32,
    pub nuc_offset: u32,
    pub uc_length: u32,
    pub uc_offset: u32,
    pub decimals: u32,
    pub type_desc_handle: Handle,
    pub extended_description: *mut c_void,
}

#[repr(C)]
pub struct RfcParameterDesc {
    pub name: [SapUc; 31],
    pub rfc_type: i32,
    pub direction: i32,
    pub nuc_length: u32,
    pub uc_length: u32,
    pub decimals: u32,
    pub type_desc_handle: Handle,
    pub default_value: [SapUc; 31],
    pub parameter_text: [SapUc; 80],
    pub optional: u8,
    pub extended_description: *mut c_void,
}

#[repr(C)]
pub struct RfcAttributes {
    pub dest: [SapUc; 65],
    pub host: [SapUc; 101],
    pub partner_host: [SapUc; 101],
    pub sys_number: [SapUc; 3],
    pub sys_id: [SapUc; 9],
    pub client: [SapUc; 4],
    pub user: [SapUc; 13],
    pub language: [SapUc; 3],
    pub trace: [SapUc; 2],
    pub iso_language: [SapUc; 3],
    pub codepage: [SapUc; 5],
    pub partner_codepage: [SapUc; 5],
    pub rfc_role: [SapUc; 2],
    pub kind: [SapUc; 2],
    pub partner_type: [SapUc; 2],
    pub rel: [SapUc; 5],
    pub partner_rel: [SapUc; 5],
    pub kernel_rel: [SapUc; 5],
    pub cpic_conv_id: [SapUc; 9],
    pub prog_name: [SapUc; 129],
    pub partner_bytes_per_char: [SapUc; 2],
    pub partner_system_codepage: [SapUc; 5],
    pub partner_ip: [SapUc; 16],
    pub partner_ipv6: [SapUc; 46],
    pub reserved: [SapUc; 17],
}

const _: () = assert!(size_of::<RfcErrorInfo>() == 1752);
const _: () = assert!(size_of::<RfcConnectionParameter>() == 16);
const _: () = assert!(size_of::<RfcFieldDesc>() == 104);
const _: () = assert!(size_of::<RfcParameterDesc>() == 328);
const _: () = assert!(size_of::<RfcAttributes>() == 1118);
