//! The C functions the library exports, with SAP's names and parameter lists.
//!
//! Every function keeps the SDK's contract: pointers are valid for what the SDK documents
//! (NUL-terminated `SAP_UC` names, value buffers of the stated length, output structs the
//! caller owns), `errorInfo` may be NULL and is otherwise filled on every call, success
//! included, and handle-returning functions return NULL on failure. That contract is the
//! safety requirement of each function, stated here once.
//!
//! Each function is a thin shell: it reads its arguments out of raw pointers, runs the
//! operation on the registry or the session, and writes the outcome back. A panic inside
//! is caught and reported as `RFC_UNKNOWN_ERROR` rather than unwinding into C.

#![allow(non_snake_case, clippy::missing_safety_doc)]

use std::ffi::{c_int, c_uint};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use crate::container::{self, Move};
use crate::ffi::{
    Handle, RfcAttributes, RfcConnectionParameter, RfcErrorInfo, RfcFieldDesc, RfcParameterDesc,
    RfcRc, SapUc, direction, rfc_type,
};
use crate::protocol::{Direction, Failure, FieldDescription, FieldType, Reply, Request, rc};
use crate::session::{self, Connection, Params};
use crate::state::{self, invalid_parameter};
use crate::uc;
use crate::value::{self, FieldMeta};

/// What `RfcGetVersion` reports: an SDK 7.50 at patch level 0.
const VERSION: (c_uint, c_uint, c_uint) = (7500, 0, 0);

static VERSION_TEXT: LazyLock<Vec<SapUc>> =
    LazyLock::new(|| terminated("7500.0.0 (bizsap stub of the SAP NetWeaver RFC library)"));

const RC_NAMES: [&str; 34] = [
    "RFC_OK",
    "RFC_COMMUNICATION_FAILURE",
    "RFC_LOGON_FAILURE",
    "RFC_ABAP_RUNTIME_FAILURE",
    "RFC_ABAP_MESSAGE",
    "RFC_ABAP_EXCEPTION",
    "RFC_CLOSED",
    "RFC_CANCELED",
    "RFC_TIMEOUT",
    "RFC_MEMORY_INSUFFICIENT",
    "RFC_VERSION_MISMATCH",
    "RFC_INVALID_PROTOCOL",
    "RFC_SERIALIZATION_FAILURE",
    "RFC_INVALID_HANDLE",
    "RFC_RETRY",
    "RFC_EXTERNAL_FAILURE",
    "RFC_EXECUTED",
    "RFC_NOT_FOUND",
    "RFC_NOT_SUPPORTED",
    "RFC_ILLEGAL_STATE",
    "RFC_INVALID_PARAMETER",
    "RFC_CODEPAGE_CONVERSION_FAILURE",
    "RFC_CONVERSION_FAILURE",
    "RFC_BUFFER_TOO_SMALL",
    "RFC_TABLE_MOVE_BOF",
    "RFC_TABLE_MOVE_EOF",
    "RFC_START_SAPGUI_FAILURE",
    "RFC_ABAP_CLASS_EXCEPTION",
    "RFC_UNKNOWN_ERROR",
    "RFC_AUTHORIZATION_FAILURE",
    "RFC_AUTHENTICATION_FAILURE",
    "RFC_CRYPTOLIB_FAILURE",
    "RFC_IO_FAILURE",
    "RFC_LOCKING_FAILURE",
];

static RC_TEXTS: LazyLock<Vec<Vec<SapUc>>> =
    LazyLock::new(|| RC_NAMES.iter().map(|name| terminated(name)).collect());

const TYPE_NAMES: [(i32, &str); 10] = [
    (rfc_type::CHAR, "RFCTYPE_CHAR"),
    (rfc_type::DATE, "RFCTYPE_DATE"),
    (rfc_type::BCD, "RFCTYPE_BCD"),
    (rfc_type::TIME, "RFCTYPE_TIME"),
    (rfc_type::TABLE, "RFCTYPE_TABLE"),
    (rfc_type::NUM, "RFCTYPE_NUM"),
    (rfc_type::INT, "RFCTYPE_INT"),
    (rfc_type::INT2, "RFCTYPE_INT2"),
    (rfc_type::INT1, "RFCTYPE_INT1"),
    (rfc_type::STRUCTURE, "RFCTYPE_STRUCTURE"),
];

static TYPE_TEXTS: LazyLock<Vec<(i32, Vec<SapUc>)>> = LazyLock::new(|| {
    TYPE_NAMES
        .iter()
        .map(|(code, name)| (*code, terminated(name)))
        .collect()
});

static UNKNOWN_TEXT: LazyLock<Vec<SapUc>> = LazyLock::new(|| terminated("unknown"));

fn terminated(text: &str) -> Vec<SapUc> {
    let mut units = uc::encode(text);
    units.push(0);
    units
}

fn handle(id: usize) -> Handle {
    ptr::without_provenance_mut(id)
}

fn id(handle: Handle) -> usize {
    handle.addr()
}

fn rfc_type_of(field_type: FieldType) -> i32 {
    match field_type {
        FieldType::Char => rfc_type::CHAR,
        FieldType::Num => rfc_type::NUM,
        FieldType::Date => rfc_type::DATE,
        FieldType::Time => rfc_type::TIME,
        FieldType::Bcd => rfc_type::BCD,
        FieldType::Int => rfc_type::INT,
        FieldType::Int1 => rfc_type::INT1,
        FieldType::Int2 => rfc_type::INT2,
        FieldType::Structure => rfc_type::STRUCTURE,
        FieldType::Table => rfc_type::TABLE,
    }
}

fn direction_of(value: Direction) -> i32 {
    match value {
        Direction::Import => direction::IMPORT,
        Direction::Export => direction::EXPORT,
        Direction::Changing => direction::CHANGING,
        Direction::Tables => direction::TABLES,
    }
}

/// Fills the caller's error info: cleared on success, every field set on failure.
///
/// # Safety
///
/// `info` is NULL or points to a writable `RFC_ERROR_INFO`.
pub(crate) unsafe fn report(info: *mut RfcErrorInfo, failure: Option<&Failure>) -> RfcRc {
    let code = failure.map_or(rc::OK, |failure| failure.code);
    if info.is_null() {
        return code;
    }
    // SAFETY: non-null, and the caller passes a writable RFC_ERROR_INFO; all-zero bytes are
    // a valid value of this plain C struct.
    let info = unsafe {
        ptr::write_bytes(info, 0, 1);
        &mut *info
    };
    let Some(failure) = failure else { return code };
    info.code = failure.code;
    info.group = failure.group;
    uc::fill(&mut info.key, &failure.key);
    uc::fill(&mut info.message, &failure.message);
    if let Some(abap) = &failure.abap_message {
        uc::fill(&mut info.abap_msg_class, &abap.class);
        uc::fill(&mut info.abap_msg_type, &abap.kind);
        uc::fill(&mut info.abap_msg_number, &abap.number);
        uc::fill(&mut info.abap_msg_v1, &abap.v1);
        uc::fill(&mut info.abap_msg_v2, &abap.v2);
        uc::fill(&mut info.abap_msg_v3, &abap.v3);
        uc::fill(&mut info.abap_msg_v4, &abap.v4);
    }
    code
}

pub(crate) fn guarded<T>(body: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let message = format!("Internal error in the stub RFC library: {reason}");
        Err(Failure::external(
            rc::UNKNOWN_ERROR,
            "RFC_UNKNOWN_ERROR",
            message,
        ))
    })
}

/// Runs an API function that returns `RFC_RC`.
///
/// # Safety
///
/// As [`report`].
pub(crate) unsafe fn call(
    info: *mut RfcErrorInfo,
    body: impl FnOnce() -> Result<(), Failure>,
) -> RfcRc {
    let result = guarded(body);
    // SAFETY: forwarded from the caller.
    unsafe { report(info, result.as_ref().err()) }
}

/// Runs an API function that returns a handle, NULL on failure.
///
/// # Safety
///
/// As [`report`].
pub(crate) unsafe fn call_for_handle(
    info: *mut RfcErrorInfo,
    body: impl FnOnce() -> Result<usize, Failure>,
) -> Handle {
    let result = guarded(body);
    // SAFETY: forwarded from the caller.
    unsafe { report(info, result.as_ref().err()) };
    result.map_or(ptr::null_mut(), handle)
}

/// Writes an output parameter.
///
/// # Safety
///
/// `target` is NULL or valid for writes of a `T`.
pub(crate) unsafe fn put<T>(target: *mut T, value: T) -> Result<(), Failure> {
    if target.is_null() {
        return Err(invalid_parameter("An output parameter is NULL"));
    }
    // SAFETY: non-null and, by the caller's promise, valid for writes.
    unsafe { target.write(value) };
    Ok(())
}

/// Reads a NUL-terminated name.
///
/// # Safety
///
/// As [`uc::read_terminated`].
pub(crate) unsafe fn name_arg(name: *const SapUc) -> Result<String, Failure> {
    // SAFETY: forwarded from the caller.
    let name = unsafe { uc::read_terminated(name) };
    name.ok_or_else(|| invalid_parameter("A name is NULL or not NUL-terminated"))
}

/// Reads a value buffer of `length` units.
///
/// # Safety
///
/// As [`uc::read_counted`].
unsafe fn value_arg<'a>(value: *const SapUc, length: c_uint) -> Result<&'a [SapUc], Failure> {
    // SAFETY: forwarded from the caller.
    let units = unsafe { uc::read_counted(value, length) };
    units.ok_or_else(|| invalid_parameter("A value is NULL"))
}

/// Copies units into a caller's buffer of `capacity` units.
///
/// # Safety
///
/// `buffer` is NULL or valid for `capacity` writes.
unsafe fn copy_out(buffer: *mut SapUc, capacity: usize, units: &[SapUc]) -> Result<(), Failure> {
    if buffer.is_null() {
        return Err(invalid_parameter("An output buffer is NULL"));
    }
    // SAFETY: the caller's buffer holds `capacity` units.
    let target = unsafe { std::slice::from_raw_parts_mut(buffer, capacity) };
    target[..units.len()].copy_from_slice(units);
    Ok(())
}

fn too_small(needed: usize) -> Failure {
    let message = format!("Buffer too small; {needed} characters needed");
    Failure::external(rc::BUFFER_TOO_SMALL, "RFC_BUFFER_TOO_SMALL", message)
}

pub(crate) fn connection_of(conn: Handle) -> Result<Arc<Connection>, Failure> {
    state::lock().connection(id(conn))
}

/// One request on a connection. A failure that ends the session removes the handle, so
/// every later call with it is `RFC_INVALID_HANDLE`.
fn exchange(conn: Handle, connection: &Connection, request: &Request) -> Result<Reply, Failure> {
    let outcome = match connection.exchange(request) {
        Ok(Reply::Failed(failure)) => Err(failure),
        other => other,
    };
    if outcome.as_ref().is_err_and(Failure::closes_connection) {
        state::lock().connections.remove(&id(conn));
        connection.drop_socket();
    }
    outcome
}

/// A reply that does not answer the request: the two sides disagree, so the session ends.
fn end_out_of_turn(conn: Handle, connection: &Connection, reply: &Reply) -> Failure {
    state::lock().connections.remove(&id(conn));
    connection.drop_socket();
    session::out_of_turn(reply)
}

// ---------------------------------------------------------------------------------------------
// General

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetVersion(
    major: *mut c_uint,
    minor: *mut c_uint,
    patch_level: *mut c_uint,
) -> *const SapUc {
    let (v_major, v_minor, v_patch) = VERSION;
    // SAFETY: each pointer is NULL or writable, per the SDK's contract; NULL is skipped.
    unsafe {
        for (target, value) in [(major, v_major), (minor, v_minor), (patch_level, v_patch)] {
            if !target.is_null() {
                target.write(value);
            }
        }
    }
    VERSION_TEXT.as_ptr()
}

/// Obsolete in SAP's library too: initialisation happens on load.
#[unsafe(no_mangle)]
pub extern "system" fn RfcInit() -> RfcRc {
    rc::OK
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetIniPath(
    path_name: *const SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let dir = uc::read_terminated(path_name).filter(|path| !path.is_empty());
            state::lock().ini_dir = dir.map(Into::into);
            Ok(())
        })
    }
}

/// The ini file is read on every `RfcOpenConnection`, so there is nothing to reload.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcReloadIniFile(info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { call(info, || Ok(())) }
}

#[unsafe(no_mangle)]
pub extern "system" fn RfcGetRcAsString(code: RfcRc) -> *const SapUc {
    let text = usize::try_from(code)
        .ok()
        .and_then(|index| RC_TEXTS.get(index));
    text.unwrap_or(&UNKNOWN_TEXT).as_ptr()
}

#[unsafe(no_mangle)]
pub extern "system" fn RfcGetTypeAsString(type_code: c_int) -> *const SapUc {
    let text = TYPE_TEXTS.iter().find(|(code, _)| *code == type_code);
    text.map_or(UNKNOWN_TEXT.as_ptr(), |(_, text)| text.as_ptr())
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetGlobalLogonTimeout(
    seconds: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            if !(1..=3600).contains(&seconds) {
                let message = format!("Logon timeout {seconds} s is outside 1 to 3600 s");
                return Err(invalid_parameter(message));
            }
            state::lock().logon_timeout = Duration::from_secs(u64::from(seconds));
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Connections

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcOpenConnection(
    params: *const RfcConnectionParameter,
    count: c_uint,
    info: *mut RfcErrorInfo,
) -> Handle {
    // SAFETY: the SDK's contract: `params` holds `count` entries of NUL-terminated strings.
    unsafe {
        call_for_handle(info, || {
            if params.is_null() && count > 0 {
                return Err(invalid_parameter("The connection parameter array is NULL"));
            }
            let mut given = Params::default();
            for index in 0..count as usize {
                let param = &*params.add(index);
                let name = name_arg(param.name)?;
                let value = uc::read_terminated(param.value).unwrap_or_default();
                given.insert(&name, &value);
            }
            let (ini_dir, timeout) = {
                let state = state::lock();
                (state.ini_dir.clone(), state.logon_timeout)
            };
            let connection = Connection::open(given, ini_dir.as_deref(), timeout)?;
            let mut state = state::lock();
            let id = state.next_id();
            state.connections.insert(id, Arc::new(connection));
            Ok(id)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcCloseConnection(conn: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let connection = state::lock().connections.remove(&id(conn));
            let connection = connection.ok_or_else(|| state::invalid_handle("connection"))?;
            connection.close();
            Ok(())
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcIsConnectionHandleValid(
    conn: Handle,
    is_valid: *mut c_int,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let valid = state::lock().connections.contains_key(&id(conn));
            put(is_valid, c_int::from(valid))?;
            match valid {
                true => Ok(()),
                false => Err(state::invalid_handle("connection")),
            }
        })
    }
}

/// Breaks off a call in progress on another thread, and closes the connection.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcCancel(conn: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let connection = state::lock().connections.remove(&id(conn));
            let connection = connection.ok_or_else(|| state::invalid_handle("connection"))?;
            connection.cancel();
            Ok(())
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcResetServerContext(
    conn: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let connection = connection_of(conn)?;
            match exchange(conn, &connection, &Request::ResetContext)? {
                Reply::Reset => Ok(()),
                other => Err(end_out_of_turn(conn, &connection, &other)),
            }
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcPing(conn: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let connection = connection_of(conn)?;
            match exchange(conn, &connection, &Request::Ping)? {
                Reply::Pong => Ok(()),
                other => Err(end_out_of_turn(conn, &connection, &other)),
            }
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetConnectionAttributes(
    conn: Handle,
    attributes: *mut RfcAttributes,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; `attributes` is a writable RFC_ATTRIBUTES, and all-zero
    // bytes are a valid value of it.
    unsafe {
        call(info, || {
            let connection = connection_of(conn)?;
            if attributes.is_null() {
                return Err(invalid_parameter("The attributes pointer is NULL"));
            }
            ptr::write_bytes(attributes, 0, 1);
            let target = &mut *attributes;
            let system = &connection.info;
            uc::fill(&mut target.dest, &connection.dest);
            uc::fill(&mut target.host, &local_host_name());
            let partner = match system.host.is_empty() {
                true => &connection.partner_host,
                false => &system.host,
            };
            uc::fill(&mut target.partner_host, partner);
            uc::fill(&mut target.sys_number, &connection.system_number);
            uc::fill(&mut target.sys_id, &system.system_id);
            uc::fill(&mut target.client, &system.client);
            uc::fill(&mut target.user, &system.user);
            uc::fill(&mut target.language, &system.language);
            uc::fill(&mut target.iso_language, &connection.language);
            uc::fill(&mut target.codepage, "4103");
            uc::fill(&mut target.partner_codepage, "4103");
            uc::fill(&mut target.rfc_role, "C");
            uc::fill(&mut target.kind, "E");
            uc::fill(&mut target.partner_type, "3");
            uc::fill(&mut target.rel, "753");
            uc::fill(&mut target.partner_rel, &system.release);
            uc::fill(&mut target.kernel_rel, &system.kernel_release);
            uc::fill(&mut target.partner_bytes_per_char, "2");
            uc::fill(&mut target.partner_system_codepage, "4103");
            Ok(())
        })
    }
}

fn local_host_name() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned())
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcInvoke(
    conn: Handle,
    function: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let (connection, name, parameters) = {
                let state = state::lock();
                let connection = state.connection(id(conn))?;
                let (name, parameters) = container::outbound(&state, id(function))?;
                (connection, name, parameters)
            };
            let request = Request::Invoke {
                function: name,
                parameters,
            };
            match exchange(conn, &connection, &request)? {
                Reply::Returned { parameters } => {
                    container::apply(&mut state::lock(), id(function), parameters)
                }
                other => Err(end_out_of_turn(conn, &connection, &other)),
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Metadata

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetFunctionDesc(
    conn: Handle,
    function_name: *const SapUc,
    info: *mut RfcErrorInfo,
) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            let name = name_arg(function_name)?;
            let connection = connection_of(conn)?;
            let system_id = connection.info.system_id.clone();
            if let Some(cached) = state::lock().cached_function(&system_id, &name) {
                return Ok(cached);
            }
            let request = Request::Describe {
                function: name.clone(),
            };
            match exchange(conn, &connection, &request)? {
                Reply::Described(desc) if desc.name == name => {
                    Ok(state::lock().register_function(&system_id, desc))
                }
                other => Err(end_out_of_turn(conn, &connection, &other)),
            }
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetCachedFunctionDesc(
    repository_id: *const SapUc,
    function_name: *const SapUc,
    info: *mut RfcErrorInfo,
) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            let (system_id, name) = (name_arg(repository_id)?, name_arg(function_name)?);
            state::lock()
                .cached_function(&system_id, &name)
                .ok_or_else(|| {
                    let message = format!("No cached description of {name} for system {system_id}");
                    Failure::external(rc::NOT_FOUND, "RFC_NOT_FOUND", message)
                })
        })
    }
}

/// The description a function container was created from.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDescribeFunction(
    function: Handle,
    info: *mut RfcErrorInfo,
) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            let state = state::lock();
            let Some(state::Node::Function { desc, .. }) = state.nodes.get(&id(function)) else {
                return Err(state::invalid_handle("function"));
            };
            let found = state
                .functions
                .iter()
                .find(|(_, known)| Arc::ptr_eq(known, desc));
            found
                .map(|(handle, _)| *handle)
                .ok_or_else(|| state::invalid_handle("function description"))
        })
    }
}

/// Every description here comes from a repository and belongs to its cache, which SAP's
/// library refuses to destroy.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDestroyFunctionDesc(
    desc: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            state::lock().function_desc(id(desc))?;
            let message = "The function description belongs to the repository cache";
            Err(Failure::external(
                rc::ILLEGAL_STATE,
                "RFC_ILLEGAL_STATE",
                message,
            ))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDescribeType(
    container: Handle,
    info: *mut RfcErrorInfo,
) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            Ok(container::type_of(&state::lock(), id(container))?.id)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetRowType(table: Handle, info: *mut RfcErrorInfo) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            let mut state = state::lock();
            Ok(container::table(&mut state, id(table))?.ty.id)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetTypeName(
    type_desc: Handle,
    buffer: *mut SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `buffer` is an RFC_ABAP_NAME of 31 units.
    unsafe {
        call(info, || {
            let ty = state::lock().type_desc(id(type_desc))?;
            write_abap_name(buffer, &ty.desc.name)
        })
    }
}

/// Writes an `RFC_ABAP_NAME` (30 characters and a NUL).
///
/// # Safety
///
/// `buffer` is NULL or valid for 31 writes.
unsafe fn write_abap_name(buffer: *mut SapUc, name: &str) -> Result<(), Failure> {
    let mut units = [0; 31];
    uc::fill(&mut units, name);
    // SAFETY: forwarded from the caller.
    unsafe { copy_out(buffer, units.len(), &units) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetFieldCount(
    type_desc: Handle,
    count: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let ty = state::lock().type_desc(id(type_desc))?;
            put(count, ty.desc.fields.len() as c_uint)
        })
    }
}

fn field_desc(field: &FieldDescription) -> RfcFieldDesc {
    let mut desc = RfcFieldDesc {
        name: [0; 31],
        rfc_type: rfc_type_of(field.field_type),
        nuc_length: field.nuc_length,
        nuc_offset: field.nuc_offset,
        uc_length: field.uc_length,
        uc_offset: field.uc_offset,
        decimals: field.decimals,
        type_desc_handle: ptr::null_mut(),
        extended_description: ptr::null_mut(),
    };
    uc::fill(&mut desc.name, &field.name);
    desc
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetFieldDescByIndex(
    type_desc: Handle,
    index: c_uint,
    field: *mut RfcFieldDesc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; `field` is a writable RFC_FIELD_DESC.
    unsafe {
        call(info, || {
            let ty = state::lock().type_desc(id(type_desc))?;
            let found = ty.desc.fields.get(index as usize).ok_or_else(|| {
                invalid_parameter(format!("{} has no field at index {index}", ty.desc.name))
            })?;
            put(field, field_desc(found))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetFieldDescByName(
    type_desc: Handle,
    name: *const SapUc,
    field: *mut RfcFieldDesc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; `field` is a writable RFC_FIELD_DESC.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            let ty = state::lock().type_desc(id(type_desc))?;
            let found = ty
                .desc
                .fields
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| {
                    let message = format!("{} has no field {name}", ty.desc.name);
                    Failure::external(rc::NOT_FOUND, "RFC_NOT_FOUND", message)
                })?;
            put(field, field_desc(found))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetTypeLength(
    type_desc: Handle,
    nuc_length: *mut c_uint,
    uc_length: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let ty = state::lock().type_desc(id(type_desc))?;
            put(nuc_length, ty.desc.nuc_length)?;
            put(uc_length, ty.desc.uc_length)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetFunctionName(
    desc: Handle,
    buffer: *mut SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `buffer` is an RFC_ABAP_NAME of 31 units.
    unsafe {
        call(info, || {
            let desc = state::lock().function_desc(id(desc))?;
            write_abap_name(buffer, &desc.desc.name)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetParameterCount(
    desc: Handle,
    count: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let desc = state::lock().function_desc(id(desc))?;
            put(count, desc.desc.parameters.len() as c_uint)
        })
    }
}

fn parameter_desc(desc: &state::FunctionDesc, index: usize) -> RfcParameterDesc {
    let param = &desc.desc.parameters[index];
    let type_handle = desc.types[index]
        .as_ref()
        .map_or(ptr::null_mut(), |ty| handle(ty.id));
    let mut out = RfcParameterDesc {
        name: [0; 31],
        rfc_type: rfc_type_of(param.field_type),
        direction: direction_of(param.direction),
        nuc_length: param.nuc_length,
        uc_length: param.uc_length,
        decimals: param.decimals,
        type_desc_handle: type_handle,
        default_value: [0; 31],
        parameter_text: [0; 80],
        optional: u8::from(param.optional),
        extended_description: ptr::null_mut(),
    };
    uc::fill(&mut out.name, &param.name);
    uc::fill(&mut out.default_value, &param.default_value);
    uc::fill(&mut out.parameter_text, &param.text);
    out
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetParameterDescByIndex(
    desc: Handle,
    index: c_uint,
    param: *mut RfcParameterDesc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; `param` is a writable RFC_PARAMETER_DESC.
    unsafe {
        call(info, || {
            let desc = state::lock().function_desc(id(desc))?;
            if index as usize >= desc.desc.parameters.len() {
                let name = &desc.desc.name;
                return Err(invalid_parameter(format!(
                    "{name} has no parameter {index}"
                )));
            }
            put(param, parameter_desc(&desc, index as usize))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetParameterDescByName(
    desc: Handle,
    name: *const SapUc,
    param: *mut RfcParameterDesc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; `param` is a writable RFC_PARAMETER_DESC.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            let desc = state::lock().function_desc(id(desc))?;
            let (index, _) = desc.param(&name).ok_or_else(|| {
                let message = format!("{} has no parameter {name}", desc.desc.name);
                Failure::external(rc::NOT_FOUND, "RFC_NOT_FOUND", message)
            })?;
            put(param, parameter_desc(&desc, index))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Data containers

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcCreateFunction(desc: Handle, info: *mut RfcErrorInfo) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            let mut state = state::lock();
            let desc = state.function_desc(id(desc))?;
            Ok(container::create_function(&mut state, desc))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDestroyFunction(
    function: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let mut state = state::lock();
            match state.nodes.get(&id(function)) {
                Some(state::Node::Function { .. }) => {
                    state.destroy(id(function));
                    Ok(())
                }
                _ => Err(state::invalid_handle("function")),
            }
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetParameterActive(
    function: Handle,
    name: *const SapUc,
    is_active: c_int,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            container::set_active(&mut state::lock(), id(function), &name, is_active != 0)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetStructure(
    container: Handle,
    name: *const SapUc,
    structure: *mut Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            let state = state::lock();
            let child = container::child(&state, id(container), &name, FieldType::Structure)?;
            put(structure, handle(child))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetTable(
    container: Handle,
    name: *const SapUc,
    table: *mut Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            let child = container::child(&state::lock(), id(container), &name, FieldType::Table)?;
            put(table, handle(child))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcAppendNewRow(table: Handle, info: *mut RfcErrorInfo) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            container::new_row(&mut state::lock(), id(table), false)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcAppendNewRows(
    table: Handle,
    rows: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let mut state = state::lock();
            for _ in 0..rows {
                container::new_row(&mut state, id(table), false)?;
            }
            Ok(())
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcInsertNewRow(table: Handle, info: *mut RfcErrorInfo) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            container::new_row(&mut state::lock(), id(table), true)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDeleteCurrentRow(table: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            container::delete_current_row(&mut state::lock(), id(table))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcDeleteAllRows(table: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            container::delete_all_rows(&mut state::lock(), id(table))
        })
    }
}

/// # Safety
///
/// As the module's functions.
unsafe fn move_cursor(table: Handle, to: Move, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            container::move_cursor(&mut state::lock(), id(table), to)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcMoveToFirstRow(table: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { move_cursor(table, Move::First, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcMoveToLastRow(table: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { move_cursor(table, Move::Last, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcMoveToNextRow(table: Handle, info: *mut RfcErrorInfo) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { move_cursor(table, Move::Next, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcMoveToPreviousRow(
    table: Handle,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { move_cursor(table, Move::Previous, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcMoveTo(
    table: Handle,
    index: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { move_cursor(table, Move::To(index as usize), info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetRowCount(
    table: Handle,
    row_count: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let count = container::table(&mut state::lock(), id(table))?.rows.len();
            put(row_count, count as c_uint)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetCurrentRow(table: Handle, info: *mut RfcErrorInfo) -> Handle {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call_for_handle(info, || {
            container::current_row(&mut state::lock(), id(table))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Setters

/// # Safety
///
/// As the module's functions.
unsafe fn set_text(
    container: Handle,
    name: *const SapUc,
    value: *const SapUc,
    length: c_uint,
    info: *mut RfcErrorInfo,
    convert: fn(&str, FieldMeta, &[SapUc]) -> Result<value::Cell, Failure>,
) -> RfcRc {
    // SAFETY: the SDK's contract: `value` holds `length` units.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            let units = value_arg(value, length)?;
            let mut state = state::lock();
            container::set(&mut state, id(container), &name, |meta| {
                convert(&name, meta, units)
            })
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetChars(
    container: Handle,
    name: *const SapUc,
    value: *const SapUc,
    length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { set_text(container, name, value, length, info, value::from_text) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetNum(
    container: Handle,
    name: *const SapUc,
    value: *const SapUc,
    length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { set_text(container, name, value, length, info, value::from_num) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetString(
    container: Handle,
    name: *const SapUc,
    value: *const SapUc,
    length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { set_text(container, name, value, length, info, value::from_text) }
}

/// # Safety
///
/// As the module's functions; `value` holds `expected`'s 8 or 6 units.
unsafe fn set_fixed(
    container: Handle,
    name: *const SapUc,
    value: *const SapUc,
    expected: FieldType,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    let (length, _) = expected.byte_lengths(0);
    // SAFETY: the SDK's contract: RFC_DATE and RFC_TIME are 8 and 6 units.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            let units = value_arg(value, length)?;
            container::set(&mut state::lock(), id(container), &name, |meta| {
                match meta.field_type == expected {
                    true => value::from_fixed(&name, units),
                    false => Err(wrong_setter(&name, meta, expected)),
                }
            })
        })
    }
}

fn wrong_setter(name: &str, meta: FieldMeta, used: FieldType) -> Failure {
    let message = format!("Field {name} is {:?}, not {used:?}", meta.field_type);
    Failure::external(rc::CONVERSION_FAILURE, "RFC_CONVERSION_FAILURE", message)
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetDate(
    container: Handle,
    name: *const SapUc,
    date: *const SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { set_fixed(container, name, date, FieldType::Date, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetTime(
    container: Handle,
    name: *const SapUc,
    time: *const SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { set_fixed(container, name, time, FieldType::Time, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetInt(
    container: Handle,
    name: *const SapUc,
    value: c_int,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            container::set(&mut state::lock(), id(container), &name, |meta| {
                value::from_int(&name, meta, i64::from(value))
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Getters

/// # Safety
///
/// As the module's functions.
unsafe fn field_value(
    container: Handle,
    name: *const SapUc,
) -> Result<(String, FieldMeta, value::Cell), Failure> {
    // SAFETY: forwarded from the caller.
    let name = unsafe { name_arg(name)? };
    let (meta, cell) = container::get(&state::lock(), id(container), &name)?;
    Ok((name, meta, cell))
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetChars(
    container: Handle,
    name: *const SapUc,
    buffer: *mut SapUc,
    length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `buffer` holds `length` units.
    unsafe {
        call(info, || {
            let (_, meta, cell) = field_value(container, name)?;
            let mut units = value::to_chars(meta, &cell);
            let capacity = length as usize;
            if units.len() > capacity {
                if units[capacity..]
                    .iter()
                    .any(|&unit| unit != u16::from(b' '))
                {
                    return Err(too_small(units.len()));
                }
                units.truncate(capacity);
            }
            units.resize(capacity, u16::from(b' '));
            copy_out(buffer, capacity, &units)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetNum(
    container: Handle,
    name: *const SapUc,
    buffer: *mut SapUc,
    length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `buffer` holds `length` units.
    unsafe {
        call(info, || {
            let (name, meta, cell) = field_value(container, name)?;
            if meta.field_type != FieldType::Num {
                return Err(wrong_setter(&name, meta, FieldType::Num));
            }
            let digits = value::to_text(meta, &cell);
            let capacity = length as usize;
            if digits.len() > capacity {
                return Err(too_small(digits.len()));
            }
            let mut units = vec![u16::from(b'0'); capacity - digits.len()];
            units.extend_from_slice(&digits);
            copy_out(buffer, capacity, &units)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetString(
    container: Handle,
    name: *const SapUc,
    buffer: *mut SapUc,
    length: c_uint,
    string_length: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `buffer` holds `length` units.
    unsafe {
        call(info, || {
            let (_, meta, cell) = field_value(container, name)?;
            let mut units = value::to_text(meta, &cell);
            put(string_length, units.len() as c_uint)?;
            if units.len() + 1 > length as usize {
                return Err(too_small(units.len() + 1));
            }
            units.push(0);
            copy_out(buffer, length as usize, &units)
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetStringLength(
    container: Handle,
    name: *const SapUc,
    string_length: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let (_, meta, cell) = field_value(container, name)?;
            put(string_length, value::to_text(meta, &cell).len() as c_uint)
        })
    }
}

/// # Safety
///
/// As the module's functions; `buffer` holds `expected`'s 8 or 6 units.
unsafe fn get_fixed(
    container: Handle,
    name: *const SapUc,
    buffer: *mut SapUc,
    expected: FieldType,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    let (length, _) = expected.byte_lengths(0);
    // SAFETY: the SDK's contract: RFC_DATE and RFC_TIME are 8 and 6 units.
    unsafe {
        call(info, || {
            let (name, meta, cell) = field_value(container, name)?;
            if meta.field_type != expected {
                return Err(wrong_setter(&name, meta, expected));
            }
            copy_out(buffer, length as usize, &value::to_text(meta, &cell))
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetDate(
    container: Handle,
    name: *const SapUc,
    date: *mut SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { get_fixed(container, name, date, FieldType::Date, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetTime(
    container: Handle,
    name: *const SapUc,
    time: *mut SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { get_fixed(container, name, time, FieldType::Time, info) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetInt(
    container: Handle,
    name: *const SapUc,
    value: *mut c_int,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let (name, meta, cell) = field_value(container, name)?;
            let number = value::to_int(&name, meta, &cell)?;
            put(value, c_int::try_from(number).unwrap_or_default())
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetInt1(
    container: Handle,
    name: *const SapUc,
    value: *mut u8,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let (name, meta, cell) = field_value(container, name)?;
            let number = value::to_int(&name, meta, &cell)?;
            put(
                value,
                u8::try_from(number).map_err(|_| overflow(&name, number))?,
            )
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetInt2(
    container: Handle,
    name: *const SapUc,
    value: *mut i16,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let (name, meta, cell) = field_value(container, name)?;
            let number = value::to_int(&name, meta, &cell)?;
            put(
                value,
                i16::try_from(number).map_err(|_| overflow(&name, number))?,
            )
        })
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetInt8(
    container: Handle,
    name: *const SapUc,
    value: *mut i64,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let (name, meta, cell) = field_value(container, name)?;
            put(value, value::to_int(&name, meta, &cell)?)
        })
    }
}

fn overflow(name: &str, number: i64) -> Failure {
    let message = format!("The value {number} of field {name} does not fit the getter's type");
    Failure::external(rc::CONVERSION_FAILURE, "RFC_CONVERSION_FAILURE", message)
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetInt8(
    container: Handle,
    name: *const SapUc,
    value: i64,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let name = name_arg(name)?;
            container::set(&mut state::lock(), id(container), &name, |meta| {
                value::from_int(&name, meta, value)
            })
        })
    }
}

/// Reads a packed or integer field as a double, as SAP's library converts them.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetFloat(
    container: Handle,
    name: *const SapUc,
    value: *mut f64,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe {
        call(info, || {
            let (name, meta, cell) = field_value(container, name)?;
            let numeric = matches!(
                meta.field_type,
                FieldType::Bcd | FieldType::Int | FieldType::Int1 | FieldType::Int2
            );
            if !numeric {
                return Err(wrong_getter(&name, meta, "RfcGetFloat"));
            }
            let text = uc::decode(&value::to_text(meta, &cell));
            let number = text
                .parse()
                .map_err(|_| wrong_getter(&name, meta, "RfcGetFloat"))?;
            put(value, number)
        })
    }
}

fn wrong_getter(name: &str, meta: FieldMeta, call: &str) -> Failure {
    let message = format!(
        "{call} cannot be used for field {name} of type {:?}",
        meta.field_type
    );
    Failure::external(rc::CONVERSION_FAILURE, "RFC_CONVERSION_FAILURE", message)
}

/// The stub system's interfaces have no BYTE or XSTRING fields, so the raw-byte accessors
/// only check that the field exists and refuse its type.
///
/// # Safety
///
/// As the module's functions.
unsafe fn raw_bytes(container: Handle, name: *const SapUc, call_name: &str) -> Failure {
    // SAFETY: forwarded from the caller.
    match unsafe { field_value(container, name) } {
        Ok((name, meta, _)) => {
            let message = format!(
                "{call_name} cannot be used for field {name} of type {:?}; \
                 the stub system has no BYTE or XSTRING fields",
                meta.field_type
            );
            Failure::external(rc::CONVERSION_FAILURE, "RFC_CONVERSION_FAILURE", message)
        }
        Err(failure) => failure,
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetBytes(
    container: Handle,
    name: *const SapUc,
    _buffer: *mut u8,
    _length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { call(info, || Err(raw_bytes(container, name, "RfcGetBytes"))) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetBytes(
    container: Handle,
    name: *const SapUc,
    _value: *const u8,
    _length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { call(info, || Err(raw_bytes(container, name, "RfcSetBytes"))) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcGetXString(
    container: Handle,
    name: *const SapUc,
    _buffer: *mut u8,
    _length: c_uint,
    _xstring_length: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { call(info, || Err(raw_bytes(container, name, "RfcGetXString"))) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSetXString(
    container: Handle,
    name: *const SapUc,
    _value: *const u8,
    _length: c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract; see the module documentation.
    unsafe { call(info, || Err(raw_bytes(container, name, "RfcSetXString"))) }
}

// ---------------------------------------------------------------------------------------------
// Conversions

/// Copies a converted string and its NUL into a caller's buffer of `*size` units, or
/// reports the size needed in `*size`.
///
/// # Safety
///
/// `buffer` is NULL or valid for `*size` writes; `size` and `result_length` are NULL or
/// writable.
unsafe fn deliver<T: Copy + Default>(
    converted: &[T],
    buffer: *mut T,
    size: *mut c_uint,
    result_length: *mut c_uint,
) -> Result<(), Failure> {
    if size.is_null() || buffer.is_null() {
        return Err(invalid_parameter("An output buffer or its size is NULL"));
    }
    // SAFETY: non-null and writable by the caller's promise.
    let capacity = unsafe { *size } as usize;
    if converted.len() + 1 > capacity {
        // SAFETY: as above.
        unsafe { *size = (converted.len() + 1) as c_uint };
        return Err(too_small(converted.len() + 1));
    }
    // SAFETY: the buffer holds `capacity` elements, more than the string and its NUL.
    let target = unsafe { std::slice::from_raw_parts_mut(buffer, capacity) };
    target[..converted.len()].copy_from_slice(converted);
    target[converted.len()] = T::default();
    // SAFETY: forwarded from the caller.
    unsafe { put(result_length, converted.len() as c_uint) }
}

#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcUTF8ToSAPUC(
    utf8: *const u8,
    utf8_length: c_uint,
    sapuc: *mut SapUc,
    sapuc_size: *mut c_uint,
    result_length: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `utf8` holds `utf8_length` bytes.
    unsafe {
        call(info, || {
            let bytes = match (utf8.is_null(), utf8_length) {
                (true, 0) => &[][..],
                (true, _) => return Err(invalid_parameter("The UTF-8 input is NULL")),
                (false, _) => std::slice::from_raw_parts(utf8, utf8_length as usize),
            };
            let text = std::str::from_utf8(bytes).map_err(|error| {
                let message = format!("The input is not UTF-8: {error}");
                Failure::external(rc::CONVERSION_FAILURE, "RFC_CONVERSION_FAILURE", message)
            })?;
            deliver(&uc::encode(text), sapuc, sapuc_size, result_length)
        })
    }
}

/// Converts up to `sapuc_length` units, stopping early at a NUL; an unpaired surrogate
/// becomes U+FFFD.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcSAPUCToUTF8(
    sapuc: *const SapUc,
    sapuc_length: c_uint,
    utf8: *mut u8,
    utf8_size: *mut c_uint,
    result_length: *mut c_uint,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `sapuc` holds `sapuc_length` units.
    unsafe {
        call(info, || {
            let units = value_arg(sapuc, sapuc_length)?;
            deliver(uc::decode(units).as_bytes(), utf8, utf8_size, result_length)
        })
    }
}

/// ISO 639 codes and SAP's one-letter language keys (table T002).
const LANGUAGES: [(&str, &str); 22] = [
    ("EN", "E"),
    ("DE", "D"),
    ("KO", "3"),
    ("JA", "J"),
    ("ZH", "1"),
    ("ZF", "M"),
    ("FR", "F"),
    ("ES", "S"),
    ("IT", "I"),
    ("PT", "P"),
    ("NL", "N"),
    ("DA", "K"),
    ("FI", "U"),
    ("SV", "V"),
    ("NO", "O"),
    ("PL", "L"),
    ("CS", "C"),
    ("HU", "H"),
    ("RU", "R"),
    ("TR", "T"),
    ("TH", "2"),
    ("EL", "G"),
];

fn unknown_language(code: &str) -> Failure {
    let message = format!("Unknown language code '{code}'");
    Failure::external(rc::NOT_FOUND, "RFC_NOT_FOUND", message)
}

/// Writes the two-letter ISO code, without a NUL, as the SDK's `SAP_UC[2]` output.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcLanguageSapToIso(
    sap_language: *const SapUc,
    iso_language: *mut SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `sap_language` holds one unit, `iso_language` two.
    unsafe {
        call(info, || {
            let given = uc::decode(value_arg(sap_language, 1)?);
            let found = LANGUAGES.iter().find(|(_, sap)| *sap == given);
            let (iso, _) = found.ok_or_else(|| unknown_language(&given))?;
            copy_out(iso_language, 2, &uc::encode(iso))
        })
    }
}

/// Writes the one-letter SAP key, without a NUL; the ISO code may be in either case.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn RfcLanguageIsoToSap(
    iso_language: *const SapUc,
    sap_language: *mut SapUc,
    info: *mut RfcErrorInfo,
) -> RfcRc {
    // SAFETY: the SDK's contract: `iso_language` holds two units, `sap_language` one.
    unsafe {
        call(info, || {
            let given = uc::decode(value_arg(iso_language, 2)?).to_ascii_uppercase();
            let found = LANGUAGES.iter().find(|(iso, _)| *iso == given);
            let (_, sap) = found.ok_or_else(|| unknown_language(&given))?;
            copy_out(sap_language, 1, &uc::encode(sap))
        })
    }
}

// The functions' versions in the shared object; see `build.rs`.
#[cfg(target_os = "linux")]
std::arch::global_asm!(include_str!(concat!(env!("OUT_DIR"), "/symver_exports.s")));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::group;

    #[test]
    fn return_codes_have_their_sdk_names() {
        let name = |code| {
            // SAFETY: the library's static strings are NUL-terminated.
            unsafe { uc::read_terminated(RfcGetRcAsString(code)) }.unwrap()
        };
        assert_eq!(name(rc::OK), "RFC_OK");
        assert_eq!(name(rc::INVALID_HANDLE), "RFC_INVALID_HANDLE");
        assert_eq!(name(33), "RFC_LOCKING_FAILURE");
        assert_eq!(name(99), "unknown");
    }

    #[test]
    fn error_info_is_cleared_on_success_and_null_is_accepted() {
        let mut info: RfcErrorInfo = unsafe_zeroed();
        info.code = 13;
        // SAFETY: `info` is a writable RFC_ERROR_INFO.
        let code = unsafe { RfcReloadIniFile(&mut info) };
        assert_eq!((code, info.code), (rc::OK, rc::OK));
        // SAFETY: a NULL error info is allowed; the handle was never issued.
        let code = unsafe { RfcCloseConnection(handle(7), ptr::null_mut()) };
        assert_eq!(code, rc::INVALID_HANDLE);
    }

    #[test]
    fn a_stale_handle_is_invalid_not_a_crash() {
        let mut info: RfcErrorInfo = unsafe_zeroed();
        // SAFETY: `info` is a writable RFC_ERROR_INFO; the handle is a number never issued.
        let code = unsafe { RfcDestroyFunction(handle(0x7fff_0000), &mut info) };
        assert_eq!(code, rc::INVALID_HANDLE);
        assert_eq!(info.group, group::EXTERNAL_RUNTIME_FAILURE);
        assert_eq!(uc::decode(&info.key), "RFC_INVALID_HANDLE");
    }

    #[test]
    fn utf8_conversions_round_trip_and_report_the_size_needed() {
        let text = "회계 RFC";
        let mut units = [0u16; 16];
        let (mut size, mut length) = (units.len() as c_uint, 0);
        // SAFETY: the input holds its stated bytes; the buffer holds `size` units.
        let code = unsafe {
            let bytes = text.as_bytes();
            let count = bytes.len() as c_uint;
            let out = units.as_mut_ptr();
            RfcUTF8ToSAPUC(
                bytes.as_ptr(),
                count,
                out,
                &mut size,
                &mut length,
                ptr::null_mut(),
            )
        };
        assert_eq!((code, length), (rc::OK, 6));
        assert_eq!(uc::decode(&units), text);

        let mut bytes = [0u8; 8];
        let mut size = bytes.len() as c_uint;
        // SAFETY: as above; the buffer is too small on purpose.
        let code = unsafe {
            let out = bytes.as_mut_ptr();
            RfcSAPUCToUTF8(
                units.as_ptr(),
                6,
                out,
                &mut size,
                &mut length,
                ptr::null_mut(),
            )
        };
        assert_eq!((code, size), (rc::BUFFER_TOO_SMALL, 11));
    }

    #[test]
    fn language_keys_convert_both_ways() {
        let (iso, mut sap, mut back) = (uc::encode("ko"), [0u16; 1], [0u16; 2]);
        // SAFETY: the inputs hold two and one units, the outputs one and two.
        unsafe {
            let info = ptr::null_mut();
            assert_eq!(
                RfcLanguageIsoToSap(iso.as_ptr(), sap.as_mut_ptr(), info),
                rc::OK
            );
            assert_eq!(
                RfcLanguageSapToIso(sap.as_ptr(), back.as_mut_ptr(), info),
                rc::OK
            );
        }
        assert_eq!(
            (uc::decode(&sap), uc::decode(&back)),
            ("3".into(), "KO".into())
        );
    }

    fn unsafe_zeroed() -> RfcErrorInfo {
        // SAFETY: RFC_ERROR_INFO is plain integers and arrays; all zeros is valid.
        unsafe { std::mem::zeroed() }
    }
}
