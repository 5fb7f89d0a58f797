//! The SDK's C types: `#[repr(C)]` structs with their sizes checked at compile time, opaque
//! handles, and the SDK's enums kept as raw integers.
//!
//! `RFC_RC`, `RFC_ERROR_GROUP`, `RFCTYPE` and `RFC_DIRECTION` are C enums, and newer SDKs add
//! values to them; a Rust enum holding a value it does not list is undefined behaviour. So
//! the structs and function signatures carry `i32`, and [`ReturnCode`], [`ErrorGroup`],
//! [`RfcType`] and [`Direction`] name the known values afterwards, with an `Other` variant
//! for the rest.

use std::ffi::c_void;
use std::marker::{PhantomData, PhantomPinned};
use std::mem::size_of;

/// One UTF-16 code unit in native byte order (`SAP_UC`).
pub type SapUc = u16;
/// `RFC_RC`, raw.
pub type RfcRc = i32;
/// `RFC_ERROR_GROUP`, raw.
pub type RfcErrorGroup = i32;
/// `RFCTYPE`, raw.
pub type RfcTypeCode = i32;
/// `RFC_DIRECTION`, raw.
pub type RfcDirection = i32;

macro_rules! opaque_handle {
    ($(#[$doc:meta])* $target:ident, $handle:ident) => {
        $(#[$doc])*
        #[repr(C)]
        pub struct $target {
            _opaque: [u8; 0],
            _not_send_sync_or_unpin: PhantomData<(*mut u8, PhantomPinned)>,
        }
        $(#[$doc])*
        pub type $handle = *mut $target;
    };
}

opaque_handle!(
    /// `RFC_CONNECTION_HANDLE`.
    RfcConnection,
    RfcConnectionHandle
);
opaque_handle!(
    /// `RFC_FUNCTION_DESC_HANDLE`.
    RfcFunctionDesc,
    RfcFunctionDescHandle
);
opaque_handle!(
    /// `RFC_TYPE_DESC_HANDLE`.
    RfcTypeDesc,
    RfcTypeDescHandle
);
opaque_handle!(
    /// `DATA_CONTAINER_HANDLE`: a function, structure or table; the SDK's
    /// `RFC_FUNCTION_HANDLE`, `RFC_STRUCTURE_HANDLE` and `RFC_TABLE_HANDLE` are all this type.
    RfcDataContainer,
    DataContainerHandle
);

/// `RFC_ERROR_INFO`: filled by every call.
#[repr(C)]
#[derive(Clone)]
pub struct RfcErrorInfo {
    pub code: RfcRc,
    pub group: RfcErrorGroup,
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

impl Default for RfcErrorInfo {
    fn default() -> Self {
        Self {
            code: 0,
            group: 0,
            key: [0; 128],
            message: [0; 512],
            abap_msg_class: [0; 21],
            abap_msg_type: [0; 2],
            abap_msg_number: [0; 4],
            abap_msg_v1: [0; 51],
            abap_msg_v2: [0; 51],
            abap_msg_v3: [0; 51],
            abap_msg_v4: [0; 51],
        }
    }
}

/// `RFC_CONNECTION_PARAMETER`: a name and a value, both NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RfcConnectionParameter {
    pub name: *const SapUc,
    pub value: *const SapUc,
}

/// `RFC_FIELD_DESC`: one field of a structure.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RfcFieldDesc {
    pub name: [SapUc; 31],
    pub rfc_type: RfcTypeCode,
    pub nuc_length: u32,
    pub nuc_offset: u32,
    pub uc_length: u32,
    pub uc_offset: u32,
    pub decimals: u32,
    pub type_desc_handle: RfcTypeDescHandle,
    pub extended_description: *mut c_void,
}

impl Default for RfcFieldDesc {
    fn default() -> Self {
        Self {
            name: [0; 31],
            rfc_type: 0,
            nuc_length: 0,
            nuc_offset: 0,
            uc_length: 0,
            uc_offset: 0,
            decimals: 0,
            type_desc_handle: std::ptr::null_mut(),
            extended_description: std::ptr::null_mut(),
        }
    }
}

/// `RFC_PARAMETER_DESC`: one parameter of a function.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RfcParameterDesc {
    pub name: [SapUc; 31],
    pub rfc_type: RfcTypeCode,
    pub direction: RfcDirection,
    pub nuc_length: u32,
    pub uc_length: u32,
    pub decimals: u32,
    pub type_desc_handle: RfcTypeDescHandle,
    pub default_value: [SapUc; 31],
    pub parameter_text: [SapUc; 80],
    pub optional: u8,
    pub extended_description: *mut c_void,
}

impl Default for RfcParameterDesc {
    fn default() -> Self {
        Self {
            name: [0; 31],
            rfc_type: 0,
            direction: 0,
            nuc_length: 0,
            uc_length: 0,
            decimals: 0,
            type_desc_handle: std::ptr::null_mut(),
            default_value: [0; 31],
            parameter_text: [0; 80],
            optional: 0,
            extended_description: std::ptr::null_mut(),
        }
    }
}

/// `RFC_ATTRIBUTES`: what a connection knows about both ends.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
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

impl Default for RfcAttributes {
    fn default() -> Self {
        // A struct of `SAP_UC` arrays only: the all-zero value is every string empty.
        Self {
            dest: [0; 65],
            host: [0; 101],
            partner_host: [0; 101],
            sys_number: [0; 3],
            sys_id: [0; 9],
            client: [0; 4],
            user: [0; 13],
            language: [0; 3],
            trace: [0; 2],
            iso_language: [0; 3],
            codepage: [0; 5],
            partner_codepage: [0; 5],
            rfc_role: [0; 2],
            kind: [0; 2],
            partner_type: [0; 2],
            rel: [0; 5],
            partner_rel: [0; 5],
            kernel_rel: [0; 5],
            cpic_conv_id: [0; 9],
            prog_name: [0; 129],
            partner_bytes_per_char: [0; 2],
            partner_system_codepage: [0; 5],
            partner_ip: [0; 16],
            partner_ipv6: [0; 46],
            reserved: [0; 17],
        }
    }
}

const _: () = assert!(size_of::<RfcErrorInfo>() == 1752);
const _: () = assert!(size_of::<RfcConnectionParameter>() == 16);
const _: () = assert!(size_of::<RfcFieldDesc>() == 104);
const _: () = assert!(size_of::<RfcParameterDesc>() == 328);
const _: () = assert!(size_of::<RfcAttributes>() == 1118);
const _: () = assert!(std::mem::offset_of!(RfcFieldDesc, rfc_type) == 64);
const _: () = assert!(std::mem::offset_of!(RfcParameterDesc, default_value) == 96);
const _: () = assert!(std::mem::offset_of!(RfcParameterDesc, optional) == 318);
const _: () = assert!(std::mem::offset_of!(RfcErrorInfo, abap_msg_class) == 1288);

/// `RFC_OK`, the one return code every caller tests for.
pub const RFC_OK: RfcRc = 0;

/// Declares an enum over known raw values with an `Other` variant for the rest.
macro_rules! raw_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this crate does not know, as a newer SDK may report.
            Other(i32),
        }

        impl $name {
            pub fn from_raw(raw: i32) -> Self {
                match raw {
                    $($value => $name::$variant,)*
                    other => $name::Other(other),
                }
            }

            pub fn raw(self) -> i32 {
                match self {
                    $($name::$variant => $value,)*
                    $name::Other(raw) => raw,
                }
            }
        }
    };
}

raw_enum!(
    /// `RFC_RC`.
    ReturnCode {
        Ok = 0,
        CommunicationFailure = 1,
        LogonFailure = 2,
        AbapRuntimeFailure = 3,
        AbapMessage = 4,
        AbapException = 5,
        Closed = 6,
        Canceled = 7,
        Timeout = 8,
        MemoryInsufficient = 9,
        VersionMismatch = 10,
        InvalidProtocol = 11,
        SerializationFailure = 12,
        InvalidHandle = 13,
        Retry = 14,
        ExternalFailure = 15,
        Executed = 16,
        NotFound = 17,
        NotSupported = 18,
        IllegalState = 19,
        InvalidParameter = 20,
        CodepageConversionFailure = 21,
        ConversionFailure = 22,
        BufferTooSmall = 23,
        TableMoveBof = 24,
        TableMoveEof = 25,
        StartSapguiFailure = 26,
        AbapClassException = 27,
        UnknownError = 28,
        AuthorizationFailure = 29,
        AuthenticationFailure = 30,
        CryptolibFailure = 31,
        IoFailure = 32,
        LockingFailure = 33,
    }
);

raw_enum!(
    /// `RFC_ERROR_GROUP`: who failed, and so what a caller can do about it.
    ErrorGroup {
        Ok = 0,
        AbapApplicationFailure = 1,
        AbapRuntimeFailure = 2,
        LogonFailure = 3,
        CommunicationFailure = 4,
        ExternalRuntimeFailure = 5,
        ExternalApplicationFailure = 6,
        ExternalAuthorizationFailure = 7,
        ExternalAuthenticationFailure = 8,
        CryptolibFailure = 9,
        LockingFailure = 10,
    }
);

raw_enum!(
    /// `RFCTYPE`: the type of a parameter or field.
    RfcType {
        Char = 0,
        Date = 1,
        Bcd = 2,
        Time = 3,
        Byte = 4,
        Table = 5,
        Num = 6,
        Float = 7,
        Int = 8,
        Int2 = 9,
        Int1 = 10,
        Null = 14,
        AbapObject = 16,
        Structure = 17,
        Decf16 = 23,
        Decf34 = 24,
        XmlData = 28,
        String = 29,
        XString = 30,
        Int8 = 31,
        UtcLong = 32,
        UtcSecond = 33,
        UtcMinute = 34,
        DtDay = 35,
        DtWeek = 36,
        DtMonth = 37,
        TSecond = 38,
        TMinute = 39,
        CDay = 40,
        Box = 41,
        GenericBox = 42,
    }
);

raw_enum!(
    /// `RFC_DIRECTION` of a function parameter.
    Direction {
        Import = 1,
        Export = 2,
        Changing = 3,
        Tables = 7,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_survive_the_round_trip() {
        assert_eq!(ReturnCode::from_raw(1), ReturnCode::CommunicationFailure);
        assert_eq!(ReturnCode::from_raw(34), ReturnCode::Other(34));
        assert_eq!(ReturnCode::Other(34).raw(), 34);
        assert_eq!(RfcType::from_raw(36), RfcType::DtWeek);
        assert_eq!(RfcType::from_raw(37).raw(), 37);
        assert_eq!(ErrorGroup::from_raw(3), ErrorGroup::LogonFailure);
        assert_eq!(Direction::from_raw(7), Direction::Tables);
        assert_eq!(Direction::from_raw(4), Direction::Other(4));
    }
}
