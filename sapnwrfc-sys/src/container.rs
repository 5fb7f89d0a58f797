//! Data containers: a function's parameters, its structures and its tables, with typed
//! setters and getters.
//!
//! A [`Function`] owns its container and destroys it when dropped. [`Structure`] and
//! [`Table`] borrow their function mutably, because the SDK owns their handles through it:
//! they cannot outlive it, and nothing else can touch the function meanwhile.
//!
//! Values go in and out as text, the way SAP's own bindings pass them: CHAR and NUM as
//! characters, DATE as `YYYYMMDD`, INT as `i32`, and BCD (amounts) as decimal strings through
//! `RfcSetString`/`RfcGetString`, so an amount never passes through a float.
//! [`DataContainer::set_value`] and [`DataContainer::value`] choose the call from the field's
//! type, for code that fills structures from field name and value pairs.

use std::ffi::{c_int, c_uint};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::RfcError;
use crate::ffi::{DataContainerHandle, ReturnCode, RfcErrorInfo, RfcType};
use crate::loader::Library;
use crate::metadata::{FieldMeta, FunctionDesc, TypeDesc};
use crate::uc::{self, UcString};

/// A function container: the parameters of one call of a function module.
pub struct Function {
    lib: Arc<Library>,
    handle: DataContainerHandle,
    desc: Arc<FunctionDesc>,
}

// SAFETY: a function container is plain memory the SDK allocated for this value alone; the
// SDK allows it to be used from any thread, one at a time, which `&mut self` on every
// mutation and the absence of `Sync` ensure.
unsafe impl Send for Function {}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.desc.name)
            .finish_non_exhaustive()
    }
}

impl Function {
    /// Takes ownership of a container the library created.
    ///
    /// # Safety
    ///
    /// `handle` is a live function container of `lib`, described by `desc`, and owned by
    /// no one else.
    pub(crate) unsafe fn from_raw(
        lib: Arc<Library>,
        handle: DataContainerHandle,
        desc: Arc<FunctionDesc>,
    ) -> Self {
        Self { lib, handle, desc }
    }

    pub(crate) fn library(&self) -> &Arc<Library> {
        &self.lib
    }

    pub(crate) fn raw(&self) -> DataContainerHandle {
        self.handle
    }

    pub fn name(&self) -> &str {
        &self.desc.name
    }

    pub fn desc(&self) -> &Arc<FunctionDesc> {
        &self.desc
    }

    /// A STRUCTURE parameter.
    pub fn structure(&mut self, name: &str) -> Result<Structure<'_>, RfcError> {
        let ty = self.type_of(name)?;
        // SAFETY: `self.handle` is live while `self` is borrowed.
        let handle = unsafe { child(&self.lib, self.handle, name, ChildKind::Structure)? };
        Ok(Structure {
            lib: &self.lib,
            handle,
            ty,
            _parent: PhantomData,
        })
    }

    /// A TABLE parameter.
    pub fn table(&mut self, name: &str) -> Result<Table<'_>, RfcError> {
        let ty = self.type_of(name)?;
        // SAFETY: `self.handle` is live while `self` is borrowed.
        let handle = unsafe { child(&self.lib, self.handle, name, ChildKind::Table)? };
        Ok(Table {
            lib: &self.lib,
            handle,
            ty,
            _parent: PhantomData,
        })
    }

    /// Whether a parameter is sent with the call (and, for the system, requested back).
    pub fn set_active(&mut self, name: &str, active: bool) -> Result<(), RfcError> {
        let name = UcString::new(name)?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is live; `name` is NUL-terminated and outlives the call.
        let rc = unsafe {
            let set_active = self.lib.api().set_parameter_active;
            set_active(self.handle, name.as_ptr(), c_int::from(active), &mut info)
        };
        RfcError::check(rc, &info)
    }

    fn type_of(&self, name: &str) -> Result<Arc<TypeDesc>, RfcError> {
        let param = self
            .desc
            .parameter(name)
            .ok_or_else(|| no_field(&self.desc.name, name))?;
        param.type_desc.clone().ok_or_else(|| {
            RfcError::invalid_parameter(format!("{} is not a structure or table", param.name))
        })
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        // SAFETY: the handle is live and owned by `self`; the SDK accepts a NULL error info.
        unsafe { (self.lib.api().destroy_function)(self.handle, std::ptr::null_mut()) };
    }
}

/// A structure: a STRUCTURE parameter or a table row.
pub struct Structure<'a> {
    lib: &'a Library,
    handle: DataContainerHandle,
    ty: Arc<TypeDesc>,
    _parent: PhantomData<&'a mut Function>,
}

impl Structure<'_> {
    pub fn type_desc(&self) -> &TypeDesc {
        &self.ty
    }

    /// Every field and its value as text, in the structure's order.
    pub fn values(&self) -> Result<Vec<(String, String)>, RfcError> {
        let fields = self.ty.fields.iter();
        fields
            .map(|field| Ok((field.name.clone(), self.value(&field.name)?)))
            .collect()
    }

    /// Sets fields from name and value pairs, each with the call its type needs.
    pub fn set_values<'v>(
        &mut self,
        values: impl IntoIterator<Item = (&'v str, &'v str)>,
    ) -> Result<(), RfcError> {
        values
            .into_iter()
            .try_for_each(|(name, value)| self.set_value(name, value))
    }
}

/// A table parameter: rows of one structure type, with the SDK's cursor.
pub struct Table<'a> {
    lib: &'a Library,
    handle: DataContainerHandle,
    ty: Arc<TypeDesc>,
    _parent: PhantomData<&'a mut Function>,
}

impl Table<'_> {
    pub fn row_type(&self) -> &TypeDesc {
        &self.ty
    }

    pub fn len(&self) -> Result<usize, RfcError> {
        let mut count: c_uint = 0;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is live while the parent function is borrowed.
        let rc = unsafe { (self.lib.api().get_row_count)(self.handle, &mut count, &mut info) };
        RfcError::check(rc, &info)?;
        Ok(count as usize)
    }

    pub fn is_empty(&self) -> Result<bool, RfcError> {
        Ok(self.len()? == 0)
    }

    /// Appends an empty row and returns it.
    pub fn append_row(&mut self) -> Result<Structure<'_>, RfcError> {
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is live while the parent function is borrowed.
        let row = unsafe { (self.lib.api().append_new_row)(self.handle, &mut info) };
        self.row_structure(row, &info)
    }

    /// The row at `index` (from 0).
    pub fn row(&mut self, index: usize) -> Result<Structure<'_>, RfcError> {
        let index = c_uint::try_from(index).unwrap_or(c_uint::MAX);
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is live while the parent function is borrowed.
        let row = unsafe {
            let rc = (self.lib.api().move_to)(self.handle, index, &mut info);
            RfcError::check(rc, &info)?;
            (self.lib.api().get_current_row)(self.handle, &mut info)
        };
        self.row_structure(row, &info)
    }

    /// Removes every row.
    pub fn clear(&mut self) -> Result<(), RfcError> {
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is live while the parent function is borrowed.
        let rc = unsafe { (self.lib.api().delete_all_rows)(self.handle, &mut info) };
        RfcError::check(rc, &info)
    }

    /// Every row's fields and values as text.
    pub fn rows(&mut self) -> Result<Vec<Vec<(String, String)>>, RfcError> {
        (0..self.len()?)
            .map(|index| self.row(index)?.values())
            .collect()
    }

    fn row_structure(
        &self,
        row: DataContainerHandle,
        info: &RfcErrorInfo,
    ) -> Result<Structure<'_>, RfcError> {
        if row.is_null() {
            return Err(RfcError::from_info(ReturnCode::UnknownError.raw(), info));
        }
        let ty = self.ty.clone();
        Ok(Structure {
            lib: self.lib,
            handle: row,
            ty,
            _parent: PhantomData,
        })
    }
}

mod sealed {
    use super::*;

    /// What the shared accessors need from a container.
    pub trait Access {
        fn lib(&self) -> &Library;
        fn handle(&self) -> DataContainerHandle;
        /// The container's name, for messages.
        fn owner(&self) -> &str;
        fn meta(&self, name: &str) -> Option<FieldMeta>;
    }
}

impl sealed::Access for Function {
    fn lib(&self) -> &Library {
        &self.lib
    }

    fn handle(&self) -> DataContainerHandle {
        self.handle
    }

    fn owner(&self) -> &str {
        &self.desc.name
    }

    fn meta(&self, name: &str) -> Option<FieldMeta> {
        self.desc.parameter(name).map(FieldMeta::from)
    }
}

impl sealed::Access for Structure<'_> {
    fn lib(&self) -> &Library {
        self.lib
    }

    fn handle(&self) -> DataContainerHandle {
        self.handle
    }

    fn owner(&self) -> &str {
        &self.ty.name
    }

    fn meta(&self, name: &str) -> Option<FieldMeta> {
        self.ty.field(name).map(FieldMeta::from)
    }
}

fn no_field(owner: &str, name: &str) -> RfcError {
    RfcError::invalid_parameter(format!("{owner} has no field or parameter {name}"))
}

fn conversion(message: String) -> RfcError {
    RfcError::local(
        ReturnCode::ConversionFailure,
        "RFC_CONVERSION_FAILURE",
        message,
    )
}

/// Setters and getters of a function's scalar parameters or a structure's fields.
pub trait DataContainer: sealed::Access {
    /// A CHAR field (also CUKY, UNIT and other character types).
    fn set_chars(&mut self, name: &str, value: &str) -> Result<(), RfcError> {
        set_text(self, name, value, Setter::Chars)
    }

    /// A NUM (NUMC) field: digits only.
    fn set_num(&mut self, name: &str, digits: &str) -> Result<(), RfcError> {
        set_text(self, name, digits, Setter::Num)
    }

    /// A DATE field, `YYYYMMDD`; empty sets the initial date `00000000`.
    fn set_date(&mut self, name: &str, date: &str) -> Result<(), RfcError> {
        let date = if date.is_empty() { "00000000" } else { date };
        let units = uc::encode(date);
        if units.len() != 8 {
            let owner = self.owner();
            return Err(conversion(format!(
                "{owner}-{name}: '{date}' is not YYYYMMDD"
            )));
        }
        let name = UcString::new(name)?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is live while `self` is borrowed; `units` holds the 8 units the
        // SDK reads; `name` is NUL-terminated.
        let rc = unsafe {
            (self.lib().api().set_date)(self.handle(), name.as_ptr(), units.as_ptr(), &mut info)
        };
        RfcError::check(rc, &info)
    }

    /// An INT, INT2 or INT1 field.
    fn set_int(&mut self, name: &str, value: i32) -> Result<(), RfcError> {
        let name = UcString::new(name)?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is live while `self` is borrowed; `name` is NUL-terminated.
        let rc =
            unsafe { (self.lib().api().set_int)(self.handle(), name.as_ptr(), value, &mut info) };
        RfcError::check(rc, &info)
    }

    /// A BCD (packed decimal) field from a decimal string such as `-55000.0000`.
    fn set_decimal(&mut self, name: &str, decimal: &str) -> Result<(), RfcError> {
        set_text(self, name, decimal, Setter::String)
    }

    /// Any field from text, converted by the library (`RfcSetString`).
    fn set_string(&mut self, name: &str, value: &str) -> Result<(), RfcError> {
        set_text(self, name, value, Setter::String)
    }

    /// Any elementary field from text, with the call its type needs.
    fn set_value(&mut self, name: &str, value: &str) -> Result<(), RfcError> {
        let meta = self
            .meta(name)
            .ok_or_else(|| no_field(self.owner(), name))?;
        match meta.rfc_type {
            RfcType::Char => self.set_chars(name, value),
            RfcType::Num => self.set_num(name, value),
            RfcType::Date => self.set_date(name, value),
            RfcType::Int | RfcType::Int2 | RfcType::Int1 => {
                let number = match value.trim() {
                    "" => 0,
                    text => text.parse().map_err(|_| {
                        conversion(format!(
                            "{}-{name}: '{value}' is not an integer",
                            self.owner()
                        ))
                    })?,
                };
                self.set_int(name, number)
            }
            _ => self.set_string(name, value),
        }
    }

    /// A CHAR field without its trailing blanks.
    fn chars(&self, name: &str) -> Result<String, RfcError> {
        let length = self.meta(name).map_or(0, |meta| meta.nuc_length);
        get_fixed(self, name, length as usize, Getter::Chars)
            .map(|units| uc::decode_trimmed(&units))
    }

    /// A NUM field's digits.
    fn num(&self, name: &str) -> Result<String, RfcError> {
        let length = self.meta(name).map_or(0, |meta| meta.nuc_length);
        get_fixed(self, name, length as usize, Getter::Num).map(|units| uc::decode(&units))
    }

    /// A DATE field, `YYYYMMDD` (`00000000` when initial).
    fn date(&self, name: &str) -> Result<String, RfcError> {
        get_fixed(self, name, 8, Getter::Date).map(|units| uc::decode(&units))
    }

    /// An INT, INT2 or INT1 field.
    fn int(&self, name: &str) -> Result<i32, RfcError> {
        let name = UcString::new(name)?;
        let (mut value, mut info) = (0, RfcErrorInfo::default());
        // SAFETY: the handle is live while `self` is borrowed; `value` is writable.
        let rc = unsafe {
            (self.lib().api().get_int)(self.handle(), name.as_ptr(), &mut value, &mut info)
        };
        RfcError::check(rc, &info)?;
        Ok(value)
    }

    /// A BCD field as a decimal string, e.g. `-55000.0000`.
    fn decimal(&self, name: &str) -> Result<String, RfcError> {
        self.string(name)
    }

    /// Any field as the library converts it to text (`RfcGetString`).
    fn string(&self, name: &str) -> Result<String, RfcError> {
        let hint = self
            .meta(name)
            .map_or(0, |meta| 2 * meta.uc_length.max(meta.nuc_length));
        get_string(self, name, hint as usize + 8)
    }

    /// Any elementary field as text, with the call its type needs: CHAR without trailing
    /// blanks, NUM and DATE as their characters, INT as a number, the rest as the library
    /// converts it.
    fn value(&self, name: &str) -> Result<String, RfcError> {
        let meta = self
            .meta(name)
            .ok_or_else(|| no_field(self.owner(), name))?;
        match meta.rfc_type {
            RfcType::Char => self.chars(name),
            RfcType::Num => self.num(name),
            RfcType::Date => self.date(name),
            RfcType::Int | RfcType::Int2 | RfcType::Int1 => Ok(self.int(name)?.to_string()),
            _ => self.string(name),
        }
    }
}

impl DataContainer for Function {}
impl DataContainer for Structure<'_> {}

#[derive(Clone, Copy)]
enum ChildKind {
    Structure,
    Table,
}

/// # Safety
///
/// `parent` is a live container of `lib`.
unsafe fn child(
    lib: &Library,
    parent: DataContainerHandle,
    name: &str,
    kind: ChildKind,
) -> Result<DataContainerHandle, RfcError> {
    let name = UcString::new(name)?;
    let mut child = std::ptr::null_mut();
    let mut info = RfcErrorInfo::default();
    let get = match kind {
        ChildKind::Structure => lib.api().get_structure,
        ChildKind::Table => lib.api().get_table,
    };
    // SAFETY: forwarded from the caller; `child` and `info` are writable.
    let rc = unsafe { get(parent, name.as_ptr(), &mut child, &mut info) };
    RfcError::check(rc, &info)?;
    Ok(child)
}

#[derive(Clone, Copy)]
enum Setter {
    Chars,
    Num,
    String,
}

fn set_text<C: DataContainer + ?Sized>(
    container: &mut C,
    name: &str,
    value: &str,
    setter: Setter,
) -> Result<(), RfcError> {
    let api = container.lib().api();
    let set = match setter {
        Setter::Chars => api.set_chars,
        Setter::Num => api.set_num,
        Setter::String => api.set_string,
    };
    let units = uc::encode(value);
    let length = c_uint::try_from(units.len())
        .map_err(|_| conversion(format!("{name}: value of {} characters", units.len())))?;
    let name = UcString::new(name)?;
    let mut info = RfcErrorInfo::default();
    // SAFETY: the handle is live while `container` is borrowed; `units` holds `length`
    // units; `name` is NUL-terminated.
    let rc = unsafe {
        set(
            container.handle(),
            name.as_ptr(),
            units.as_ptr(),
            length,
            &mut info,
        )
    };
    RfcError::check(rc, &info)
}

#[derive(Clone, Copy)]
enum Getter {
    Chars,
    Num,
    Date,
}

fn get_fixed<C: DataContainer + ?Sized>(
    container: &C,
    name: &str,
    length: usize,
    getter: Getter,
) -> Result<Vec<u16>, RfcError> {
    let api = container.lib().api();
    let name = UcString::new(name)?;
    let mut buffer = vec![0u16; length.max(1)];
    let mut info = RfcErrorInfo::default();
    let handle = container.handle();
    // SAFETY: the handle is live while `container` is borrowed; `buffer` holds the number
    // of units passed (RFC_DATE is 8); `name` is NUL-terminated.
    let rc = unsafe {
        match getter {
            Getter::Chars => {
                let capacity = buffer.len() as c_uint;
                (api.get_chars)(
                    handle,
                    name.as_ptr(),
                    buffer.as_mut_ptr(),
                    capacity,
                    &mut info,
                )
            }
            Getter::Num => {
                let capacity = buffer.len() as c_uint;
                (api.get_num)(
                    handle,
                    name.as_ptr(),
                    buffer.as_mut_ptr(),
                    capacity,
                    &mut info,
                )
            }
            Getter::Date => {
                buffer.resize(8, 0);
                (api.get_date)(handle, name.as_ptr(), buffer.as_mut_ptr(), &mut info)
            }
        }
    };
    RfcError::check(rc, &info)?;
    Ok(buffer)
}

fn get_string<C: DataContainer + ?Sized>(
    container: &C,
    name: &str,
    first_capacity: usize,
) -> Result<String, RfcError> {
    let api = container.lib().api();
    let name = UcString::new(name)?;
    let mut capacity = first_capacity.max(1);
    // The second round has the length the first reported; a third would mean the value
    // changed in between, which cannot happen on a container borrowed here.
    for _ in 0..2 {
        let mut buffer = vec![0u16; capacity];
        let (mut length, mut info): (c_uint, _) = (0, RfcErrorInfo::default());
        // SAFETY: the handle is live while `container` is borrowed; `buffer` holds
        // `capacity` units; `name` is NUL-terminated.
        let rc = unsafe {
            let capacity = capacity as c_uint;
            let get = api.get_string;
            get(
                container.handle(),
                name.as_ptr(),
                buffer.as_mut_ptr(),
                capacity,
                &mut length,
                &mut info,
            )
        };
        match ReturnCode::from_raw(rc) {
            ReturnCode::BufferTooSmall => capacity = length as usize + 1,
            _ => {
                RfcError::check(rc, &info)?;
                return Ok(uc::decode(&buffer[..(length as usize).min(buffer.len())]));
            }
        }
    }
    let message = format!("{}: value kept growing", container.owner());
    Err(RfcError::local(
        ReturnCode::BufferTooSmall,
        "RFC_BUFFER_TOO_SMALL",
        message,
    ))
}
