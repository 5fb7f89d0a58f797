//! Connections to an SAP system: open, call function modules, close.
//!
//! A [`Connection`] is one RFC connection and so one user session in the system: a BAPI's
//! pending work and the BAPI_TRANSACTION_COMMIT that makes it final must run on the same
//! connection. It is `Send` but not `Sync`, and every call takes `&mut self`, so it serves
//! one call at a time whichever thread has it.
//!
//! When the library reports an error after which it has closed the connection itself
//! (communication failure, ABAP message, short dump, cancel), the connection remembers that
//! and answers every later call with `RFC_INVALID_HANDLE` without touching the library: the
//! SDK reuses handle values, so an old handle may by then belong to another connection.
//!
//! # Cancelling from another thread
//!
//! `RfcCancel` is the one SDK function meant to be called on a connection while another
//! thread's call is using it: it breaks the call off and closes the connection. A
//! [`Canceller`] does that. The handle lives behind a mutex that the connection, its
//! cancellers and closing all share, together with whether a call is in progress:
//!
//! * a cancel acts only while a call is in progress, takes the handle out under the lock and
//!   forgets it, so the handle is closed exactly once, by the cancel or by a close, never
//!   both, and never used again after either;
//! * the call, when it returns, finds that it was cancelled and marks the connection closed,
//!   even when the library had already finished it successfully: the result stands, but the
//!   connection is gone, and with it the user session.
//!
//! The lock is not held during the call itself (a cancel must get it then). A cancel that
//! comes in the instant between a call taking the handle and entering the library closes the
//! handle before the library sees it; a caller that cancels only calls running for some
//! time, as a call timeout does, never meets that instant in practice.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::c_uint;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::container::Function;
use crate::error::RfcError;
use crate::ffi::{
    ReturnCode, RfcAttributes, RfcConnectionHandle, RfcConnectionParameter, RfcErrorInfo,
    RfcFunctionDescHandle,
};
use crate::loader::Library;
use crate::metadata::{self, FunctionDesc};
use crate::uc::{self, UcString};

/// Parameters whose values never appear in `Debug` output.
const SECRETS: [&str; 4] = ["passwd", "mysapsso2", "x509cert", "extiddata"];

/// Logon parameters, passed to the SDK as they are: `ashost`/`sysnr` for an application
/// server, `mshost`/`msserv`/`sysid`/`group` for load balancing, `saprouter`, the `snc_*`
/// parameters, `client`, `user`, `passwd`, `lang`, or `dest` for an entry of `sapnwrfc.ini`.
/// Names are case-insensitive; a name set twice keeps the last value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnectionParams {
    entries: Vec<(String, String)>,
    ini_dir: Option<PathBuf>,
}

impl ConnectionParams {
    pub fn new() -> Self {
        Self::default()
    }

    /// An entry of `sapnwrfc.ini`, read from `ini_dir` (or where the SDK looks by default:
    /// the working directory). Parameters set as well complete the entry.
    pub fn destination(dest: &str, ini_dir: Option<&Path>) -> Self {
        let params = Self {
            entries: Vec::new(),
            ini_dir: ini_dir.map(Path::to_path_buf),
        };
        params.set("dest", dest)
    }

    pub fn set(mut self, name: &str, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    pub fn insert(&mut self, name: &str, value: impl Into<String>) {
        let name = name.to_ascii_lowercase();
        self.entries.retain(|(known, _)| *known != name);
        self.entries.push((name, value.into()));
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let found = self.entries.iter().find(|(known, _)| *known == name);
        found.map(|(_, value)| value.as_str())
    }

    pub fn ini_dir(&self) -> Option<&Path> {
        self.ini_dir.as_deref()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
}

impl fmt::Debug for ConnectionParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.iter() {
            match SECRETS.contains(&name) {
                true => map.entry(&name, &"***"),
                false => map.entry(&name, &value),
            };
        }
        map.finish()?;
        if let Some(dir) = &self.ini_dir {
            write!(f, " (ini directory {})", dir.display())?;
        }
        Ok(())
    }
}

/// What a connection knows about both ends (`RFC_ATTRIBUTES`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    pub dest: String,
    pub host: String,
    pub partner_host: String,
    pub system_number: String,
    pub system_id: String,
    pub client: String,
    pub user: String,
    pub language: String,
    pub iso_language: String,
    pub codepage: String,
    pub partner_codepage: String,
    /// `C` for a client connection.
    pub rfc_role: String,
    /// `3` for an ABAP system.
    pub partner_type: String,
    pub release: String,
    pub partner_release: String,
    pub kernel_release: String,
}

/// The handle and whether a call is using it, shared by a connection and its cancellers.
struct HandleState {
    /// NULL once closed: by [`Connection::close`], by a cancel, or by the library after an
    /// error.
    handle: RfcConnectionHandle,
    /// A call is in the library (or about to enter it).
    in_call: bool,
    /// A cancel broke off the call in progress.
    canceled: bool,
}

// SAFETY: the handle is an opaque token the SDK lets any thread use, one call at a time
// (and `RfcCancel` during a call); the mutex around this state and `&mut Connection` for
// every call keep to that.
unsafe impl Send for HandleState {}

type SharedHandle = Arc<Mutex<HandleState>>;

fn lock(shared: &SharedHandle) -> MutexGuard<'_, HandleState> {
    // Every update is a plain assignment, so a panic while locked leaves it consistent.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An open RFC connection.
pub struct Connection {
    lib: Arc<Library>,
    shared: SharedHandle,
    closed_by: Option<RfcError>,
    descriptions: HashMap<String, Arc<FunctionDesc>>,
    /// Not `Sync`: one thread at a time has the connection, as the SDK requires.
    _not_sync: PhantomData<Cell<()>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("open", &self.is_open())
            .field("closed_by", &self.closed_by)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens a connection and logs on.
    pub fn open(lib: &Arc<Library>, params: &ConnectionParams) -> Result<Self, RfcError> {
        if let Some(dir) = params.ini_dir() {
            lib.set_ini_dir(dir)?;
        }
        let owned = params
            .iter()
            .map(|(name, value)| Ok((UcString::new(name)?, UcString::new(value)?)))
            .collect::<Result<Vec<_>, RfcError>>()?;
        let raw: Vec<RfcConnectionParameter> = owned
            .iter()
            .map(|(name, value)| RfcConnectionParameter {
                name: name.as_ptr(),
                value: value.as_ptr(),
            })
            .collect();
        let count = c_uint::try_from(raw.len()).unwrap_or(c_uint::MAX);

        let mut info = RfcErrorInfo::default();
        // SAFETY: `raw` holds `count` entries whose strings live in `owned` until after the
        // call; `info` is writable.
        let handle = unsafe { (lib.api().open_connection)(raw.as_ptr(), count, &mut info) };
        if handle.is_null() {
            return Err(RfcError::from_info(ReturnCode::UnknownError.raw(), &info));
        }
        let state = HandleState {
            handle,
            in_call: false,
            canceled: false,
        };
        Ok(Self {
            lib: lib.clone(),
            shared: Arc::new(Mutex::new(state)),
            closed_by: None,
            descriptions: HashMap::new(),
            _not_sync: PhantomData,
        })
    }

    /// False once closed: by [`close`](Self::close), by a cancel, or by the library after an
    /// error.
    pub fn is_open(&self) -> bool {
        !lock(&self.shared).handle.is_null()
    }

    /// A handle for breaking off this connection's calls from another thread.
    pub fn canceller(&self) -> Canceller {
        Canceller {
            lib: self.lib.clone(),
            shared: self.shared.clone(),
        }
    }

    /// The error after which the library closed the connection, if it did.
    pub fn closed_by(&self) -> Option<&RfcError> {
        self.closed_by.as_ref()
    }

    pub fn library(&self) -> &Arc<Library> {
        &self.lib
    }

    /// Starts a call: the open handle, marked in use so that a cancel can break the call off.
    /// Every `begin` is followed by [`finish`](Self::finish).
    fn begin(&self) -> Result<RfcConnectionHandle, RfcError> {
        let mut state = lock(&self.shared);
        if state.handle.is_null() {
            drop(state);
            return Err(self.closed_error());
        }
        state.in_call = true;
        state.canceled = false;
        Ok(state.handle)
    }

    /// Ends a call and passes its result through, forgetting the handle when the error or a
    /// cancel closed the connection.
    fn finish<T>(&mut self, result: Result<T, RfcError>) -> Result<T, RfcError> {
        let mut state = lock(&self.shared);
        state.in_call = false;
        let canceled = std::mem::take(&mut state.canceled);
        let closing = match &result {
            Err(error)
                if error.closes_connection() || error.code() == ReturnCode::InvalidHandle =>
            {
                Some(error.clone())
            }
            // The call got through before the cancel took effect; the connection is gone all
            // the same.
            _ if canceled => Some(RfcError::local(
                ReturnCode::Canceled,
                "RFC_CANCELED",
                "The connection was canceled after the call",
            )),
            _ => None,
        };
        if let Some(error) = closing {
            // Closed by the library or by the cancel: nothing is left to close here.
            state.handle = std::ptr::null_mut();
            drop(state);
            self.closed_by = Some(error);
        }
        result
    }

    fn closed_error(&self) -> RfcError {
        let reason = match &self.closed_by {
            Some(error) => format!("closed by the RFC library after: {error}"),
            None => "closed".to_owned(),
        };
        let message = format!("The connection is {reason}; open a new one");
        RfcError::local(ReturnCode::InvalidHandle, "RFC_INVALID_HANDLE", message)
    }

    /// Checks that the system answers.
    pub fn ping(&mut self) -> Result<(), RfcError> {
        let handle = self.begin()?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `info` is writable.
        let rc = unsafe { (self.lib.api().ping)(handle, &mut info) };
        self.finish(RfcError::check(rc, &info))
    }

    /// Ends the user session in the system (discarding uncommitted work) and starts a fresh
    /// one on the same connection, as a pool does before lending it out again.
    pub fn reset_server_context(&mut self) -> Result<(), RfcError> {
        let handle = self.begin()?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `info` is writable.
        let rc = unsafe { (self.lib.api().reset_server_context)(handle, &mut info) };
        self.finish(RfcError::check(rc, &info))
    }

    /// Both ends of the connection: system id, client, user, releases ...
    pub fn attributes(&mut self) -> Result<Attributes, RfcError> {
        let handle = self.begin()?;
        let mut raw = RfcAttributes::default();
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `raw` and `info` are writable.
        let rc = unsafe { (self.lib.api().get_connection_attributes)(handle, &mut raw, &mut info) };
        self.finish(RfcError::check(rc, &info))?;
        Ok(Attributes {
            dest: uc::decode(&raw.dest),
            host: uc::decode(&raw.host),
            partner_host: uc::decode(&raw.partner_host),
            system_number: uc::decode(&raw.sys_number),
            system_id: uc::decode(&raw.sys_id),
            client: uc::decode(&raw.client),
            user: uc::decode(&raw.user),
            language: uc::decode(&raw.language),
            iso_language: uc::decode(&raw.iso_language),
            codepage: uc::decode(&raw.codepage),
            partner_codepage: uc::decode(&raw.partner_codepage),
            rfc_role: uc::decode(&raw.rfc_role),
            partner_type: uc::decode(&raw.partner_type),
            release: uc::decode(&raw.rel),
            partner_release: uc::decode(&raw.partner_rel),
            kernel_release: uc::decode(&raw.kernel_rel),
        })
    }

    fn describe(
        &mut self,
        name: &str,
    ) -> Result<(RfcFunctionDescHandle, Arc<FunctionDesc>), RfcError> {
        let function = UcString::new(name)?;
        let handle = self.begin()?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `function` is NUL-terminated; `info` is writable. The
        // library caches the description; it is never destroyed here.
        let desc =
            unsafe { (self.lib.api().get_function_desc)(handle, function.as_ptr(), &mut info) };
        let found = match desc.is_null() {
            true => Err(RfcError::from_info(ReturnCode::UnknownError.raw(), &info)),
            false => Ok(()),
        };
        self.finish(found)?;
        if let Some(known) = self.descriptions.get(name) {
            return Ok((desc, known.clone()));
        }
        // SAFETY: `desc` was just returned by the library and stays in its cache.
        let read = Arc::new(unsafe { metadata::read_function(self.lib.api(), desc)? });
        self.descriptions.insert(name.to_owned(), read.clone());
        Ok((desc, read))
    }

    /// A function module's interface, from the system's repository.
    pub fn function_desc(&mut self, name: &str) -> Result<Arc<FunctionDesc>, RfcError> {
        self.describe(name).map(|(_, desc)| desc)
    }

    /// A new, empty container for calling `name`.
    pub fn function(&mut self, name: &str) -> Result<Function, RfcError> {
        let (desc_handle, desc) = self.describe(name)?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: `desc_handle` is a cached description of this library; `info` is writable.
        let handle = unsafe { (self.lib.api().create_function)(desc_handle, &mut info) };
        if handle.is_null() {
            return Err(RfcError::from_info(ReturnCode::UnknownError.raw(), &info));
        }
        // SAFETY: a new container of this library, described by `desc`, owned by no one.
        Ok(unsafe { Function::from_raw(self.lib.clone(), handle, desc) })
    }

    /// Calls the function module in the system. `Ok` means the call ran; a BAPI's business
    /// errors are in its RETURN parameter.
    pub fn invoke(&mut self, function: &mut Function) -> Result<(), RfcError> {
        if !Arc::ptr_eq(&self.lib, function.library()) {
            let message = "The function was created through another RFC library";
            return Err(RfcError::invalid_parameter(message));
        }
        let handle = self.begin()?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the connection is open and the function container live, both of this
        // library; `&mut` on both keeps other threads away for the call, except a
        // canceller's `RfcCancel`, which the SDK allows meanwhile.
        let rc = unsafe { (self.lib.api().invoke)(handle, function.raw(), &mut info) };
        self.finish(RfcError::check(rc, &info))
    }

    /// Logs off and closes the connection.
    pub fn close(mut self) -> Result<(), RfcError> {
        self.close_handle()
    }

    fn close_handle(&mut self) -> Result<(), RfcError> {
        let mut state = lock(&self.shared);
        let handle = std::mem::replace(&mut state.handle, std::ptr::null_mut());
        if handle.is_null() {
            return Ok(());
        }
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle was open and is forgotten under the lock a cancel takes too, so
        // it is closed exactly once.
        let rc = unsafe { (self.lib.api().close_connection)(handle, &mut info) };
        RfcError::check(rc, &info)
    }
}

/// Breaks off a connection's call from another thread (`RfcCancel`), e.g. when it takes
/// longer than a timeout. Cheap to clone; it does not keep the connection open.
#[derive(Clone)]
pub struct Canceller {
    lib: Arc<Library>,
    shared: SharedHandle,
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared);
        f.debug_struct("Canceller")
            .field("open", &!state.handle.is_null())
            .field("in_call", &state.in_call)
            .finish()
    }
}

impl Canceller {
    /// Cancels the call in progress: the library breaks it off (it returns `RFC_CANCELED`)
    /// and closes the connection, ending the user session and any uncommitted work in it.
    /// `Ok(false)` when no call was in progress or the connection is closed: an idle
    /// connection is left alone.
    pub fn cancel(&self) -> Result<bool, RfcError> {
        let mut state = lock(&self.shared);
        if !state.in_call || state.handle.is_null() {
            return Ok(false);
        }
        // Forgotten before the call: whatever the library answers, the handle is not used
        // or closed again.
        let handle = std::mem::replace(&mut state.handle, std::ptr::null_mut());
        state.canceled = true;
        let mut info = RfcErrorInfo::default();
        // SAFETY: RfcCancel is meant to be called while another thread's call uses the
        // handle. The handle is open: it is taken under the lock that closing and the end of
        // every call hold too, and no one else can close it after this.
        let rc = unsafe { (self.lib.api().cancel)(handle, &mut info) };
        RfcError::check(rc, &info).map(|()| true)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // A close that fails leaves nothing to clean up: the library dropped the connection.
        let _ = self.close_handle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_case_insensitive_and_secrets_stay_hidden() {
        let params = ConnectionParams::new()
            .set("ASHOST", "sap.example")
            .set("sysnr", "00")
            .set("PASSWD", "s3cret")
            .set("ashost", "sap2.example");
        assert_eq!(params.get("AsHost"), Some("sap2.example"));
        assert_eq!(params.iter().count(), 3);
        let debug = format!("{params:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("sap2.example"), "{debug}");
    }

    #[test]
    fn a_destination_keeps_its_ini_directory() {
        let params = ConnectionParams::destination("STB", Some(Path::new("/etc/bizsap")));
        assert_eq!(params.get("dest"), Some("STB"));
        assert_eq!(params.ini_dir(), Some(Path::new("/etc/bizsap")));
    }
}
