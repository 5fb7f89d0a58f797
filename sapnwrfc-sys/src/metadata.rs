//! Function interfaces from the system's repository, read once into plain Rust values.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::RfcError;
use crate::ffi::{
    Direction, RfcErrorInfo, RfcFieldDesc, RfcFunctionDescHandle, RfcParameterDesc, RfcType,
    RfcTypeDescHandle,
};
use crate::loader::Api;
use crate::uc;

/// How deep structures may nest before the description is taken for a cycle.
const MAX_NESTING: usize = 16;

/// A function module's interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionDesc {
    pub name: String,
    pub parameters: Vec<ParameterDesc>,
}

impl FunctionDesc {
    pub fn parameter(&self, name: &str) -> Option<&ParameterDesc> {
        self.parameters.iter().find(|param| param.name == name)
    }
}

/// One parameter. Lengths are in bytes: `nuc_length` in a non-Unicode system, `uc_length`
/// in a Unicode one (a CHAR 10 is 10 and 20).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterDesc {
    pub name: String,
    pub direction: Direction,
    pub rfc_type: RfcType,
    pub nuc_length: u32,
    pub uc_length: u32,
    pub decimals: u32,
    pub optional: bool,
    pub default_value: String,
    pub text: String,
    /// The structure of a STRUCTURE parameter, or the row of a TABLE parameter.
    pub type_desc: Option<Arc<TypeDesc>>,
}

/// A structure type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDesc {
    pub name: String,
    pub nuc_length: u32,
    pub uc_length: u32,
    pub fields: Vec<FieldDesc>,
}

impl TypeDesc {
    pub fn field(&self, name: &str) -> Option<&FieldDesc> {
        self.fields.iter().find(|field| field.name == name)
    }
}

/// One field of a structure, with its place in both layouts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDesc {
    pub name: String,
    pub rfc_type: RfcType,
    pub nuc_length: u32,
    pub nuc_offset: u32,
    pub uc_length: u32,
    pub uc_offset: u32,
    pub decimals: u32,
    /// The type of a nested structure or table field.
    pub type_desc: Option<Arc<TypeDesc>>,
}

/// What reading or writing a field needs to know about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldMeta {
    pub rfc_type: RfcType,
    pub nuc_length: u32,
    pub uc_length: u32,
}

impl From<&ParameterDesc> for FieldMeta {
    fn from(param: &ParameterDesc) -> Self {
        let (rfc_type, nuc_length, uc_length) = (param.rfc_type, param.nuc_length, param.uc_length);
        Self {
            rfc_type,
            nuc_length,
            uc_length,
        }
    }
}

impl From<&FieldDesc> for FieldMeta {
    fn from(field: &FieldDesc) -> Self {
        let (rfc_type, nuc_length, uc_length) = (field.rfc_type, field.nuc_length, field.uc_length);
        Self {
            rfc_type,
            nuc_length,
            uc_length,
        }
    }
}

/// Reads a function description the library returned.
///
/// # Safety
///
/// `handle` is a live function description of the library `api` came from.
pub(crate) unsafe fn read_function(
    api: &Api,
    handle: RfcFunctionDescHandle,
) -> Result<FunctionDesc, RfcError> {
    let mut info = RfcErrorInfo::default();
    let mut name = [0u16; 31];
    // SAFETY: `name` is an RFC_ABAP_NAME buffer of 31 units; `info` is writable.
    let rc = unsafe { (api.get_function_name)(handle, name.as_mut_ptr(), &mut info) };
    RfcError::check(rc, &info)?;

    let mut count = 0;
    // SAFETY: `count` and `info` are writable.
    let rc = unsafe { (api.get_parameter_count)(handle, &mut count, &mut info) };
    RfcError::check(rc, &info)?;

    let mut types = HashMap::new();
    let mut parameters = Vec::with_capacity(count as usize);
    for index in 0..count {
        let mut raw = RfcParameterDesc::default();
        // SAFETY: `raw` is a writable RFC_PARAMETER_DESC; `index` is below the count.
        let rc = unsafe { (api.get_parameter_desc_by_index)(handle, index, &mut raw, &mut info) };
        RfcError::check(rc, &info)?;
        // SAFETY: the type handle comes from this live description.
        let type_desc = unsafe { read_type_once(api, raw.type_desc_handle, &mut types, 0)? };
        parameters.push(ParameterDesc {
            name: uc::decode(&raw.name),
            direction: Direction::from_raw(raw.direction),
            rfc_type: RfcType::from_raw(raw.rfc_type),
            nuc_length: raw.nuc_length,
            uc_length: raw.uc_length,
            decimals: raw.decimals,
            optional: raw.optional != 0,
            default_value: uc::decode(&raw.default_value),
            text: uc::decode(&raw.parameter_text),
            type_desc,
        });
    }
    Ok(FunctionDesc {
        name: uc::decode(&name),
        parameters,
    })
}

type TypeCache = HashMap<usize, Arc<TypeDesc>>;

/// Reads a type description, once per handle; `None` for a NULL handle.
///
/// # Safety
///
/// `handle` is NULL or a live type description of the library `api` came from.
unsafe fn read_type_once(
    api: &Api,
    handle: RfcTypeDescHandle,
    types: &mut TypeCache,
    depth: usize,
) -> Result<Option<Arc<TypeDesc>>, RfcError> {
    if handle.is_null() {
        return Ok(None);
    }
    if let Some(known) = types.get(&handle.addr()) {
        return Ok(Some(known.clone()));
    }
    if depth > MAX_NESTING {
        let message = format!("Structures nest deeper than {MAX_NESTING} levels");
        return Err(RfcError::invalid_parameter(message));
    }
    // SAFETY: forwarded from the caller.
    let ty = Arc::new(unsafe { read_type(api, handle, types, depth)? });
    types.insert(handle.addr(), ty.clone());
    Ok(Some(ty))
}

/// # Safety
///
/// As [`read_type_once`], with a non-NULL handle.
unsafe fn read_type(
    api: &Api,
    handle: RfcTypeDescHandle,
    types: &mut TypeCache,
    depth: usize,
) -> Result<TypeDesc, RfcError> {
    let mut info = RfcErrorInfo::default();
    let mut name = [0u16; 31];
    let (mut count, mut nuc_length, mut uc_length) = (0, 0, 0);
    // SAFETY: the buffers and counters are writable locals of the sizes the SDK expects.
    unsafe {
        let rc = (api.get_type_name)(handle, name.as_mut_ptr(), &mut info);
        RfcError::check(rc, &info)?;
        let rc = (api.get_field_count)(handle, &mut count, &mut info);
        RfcError::check(rc, &info)?;
        let rc = (api.get_type_length)(handle, &mut nuc_length, &mut uc_length, &mut info);
        RfcError::check(rc, &info)?;
    }

    let mut fields = Vec::with_capacity(count as usize);
    for index in 0..count {
        let mut raw = RfcFieldDesc::default();
        // SAFETY: `raw` is a writable RFC_FIELD_DESC; `index` is below the count.
        let rc = unsafe { (api.get_field_desc_by_index)(handle, index, &mut raw, &mut info) };
        RfcError::check(rc, &info)?;
        // SAFETY: the nested handle comes from this live description.
        let nested = unsafe { read_type_once(api, raw.type_desc_handle, types, depth + 1)? };
        fields.push(FieldDesc {
            name: uc::decode(&raw.name),
            rfc_type: RfcType::from_raw(raw.rfc_type),
            nuc_length: raw.nuc_length,
            nuc_offset: raw.nuc_offset,
            uc_length: raw.uc_length,
            uc_offset: raw.uc_offset,
            decimals: raw.decimals,
            type_desc: nested,
        });
    }
    Ok(TypeDesc {
        name: uc::decode(&name),
        nuc_length,
        uc_length,
        fields,
    })
}
