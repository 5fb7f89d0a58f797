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

use std::collections::HashMap;
use std::ffi::c_uint;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// An open RFC connection.
pub struct Connection {
    lib: Arc<Library>,
    /// NULL once closed, by [`close`](Self::close) or by the library after an error.
    handle: RfcConnectionHandle,
    closed_by: Option<RfcError>,
    descriptions: HashMap<String, Arc<FunctionDesc>>,
}

// SAFETY: the SDK allows a connection to be used from any thread, one call at a time;
// every method that uses the handle takes `&mut self`, and the type is not `Sync`.
unsafe impl Send for Connection {}

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
        Ok(Self {
            lib: lib.clone(),
            handle,
            closed_by: None,
            descriptions: HashMap::new(),
        })
    }

    /// False once closed, by [`close`](Self::close) or by the library after an error.
    pub fn is_open(&self) -> bool {
        !self.handle.is_null()
    }

    /// The error after which the library closed the connection, if it did.
    pub fn closed_by(&self) -> Option<&RfcError> {
        self.closed_by.as_ref()
    }

    pub fn library(&self) -> &Arc<Library> {
        &self.lib
    }

    fn live(&self) -> Result<RfcConnectionHandle, RfcError> {
        if self.is_open() {
            return Ok(self.handle);
        }
        let reason = match &self.closed_by {
            Some(error) => format!("closed by the RFC library after: {error}"),
            None => "closed".to_owned(),
        };
        let message = format!("The connection is {reason}; open a new one");
        Err(RfcError::local(
            ReturnCode::InvalidHandle,
            "RFC_INVALID_HANDLE",
            message,
        ))
    }

    /// Passes a result through, forgetting the handle when the error closed it.
    fn track<T>(&mut self, result: Result<T, RfcError>) -> Result<T, RfcError> {
        let closing = result
            .as_ref()
            .err()
            .filter(|error| error.closes_connection() || error.code() == ReturnCode::InvalidHandle);
        if let Some(error) = closing {
            self.handle = std::ptr::null_mut();
            self.closed_by = Some(error.clone());
        }
        result
    }

    /// Checks that the system answers.
    pub fn ping(&mut self) -> Result<(), RfcError> {
        let handle = self.live()?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `info` is writable.
        let rc = unsafe { (self.lib.api().ping)(handle, &mut info) };
        self.track(RfcError::check(rc, &info))
    }

    /// Ends the user session in the system (discarding uncommitted work) and starts a fresh
    /// one on the same connection, as a pool does before lending it out again.
    pub fn reset_server_context(&mut self) -> Result<(), RfcError> {
        let handle = self.live()?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `info` is writable.
        let rc = unsafe { (self.lib.api().reset_server_context)(handle, &mut info) };
        self.track(RfcError::check(rc, &info))
    }

    /// Both ends of the connection: system id, client, user, releases ...
    pub fn attributes(&mut self) -> Result<Attributes, RfcError> {
        let handle = self.live()?;
        let mut raw = RfcAttributes::default();
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `raw` and `info` are writable.
        let rc = unsafe { (self.lib.api().get_connection_attributes)(handle, &mut raw, &mut info) };
        self.track(RfcError::check(rc, &info))?;
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
        let handle = self.live()?;
        let function = UcString::new(name)?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle is open; `function` is NUL-terminated; `info` is writable. The
        // library caches the description; it is never destroyed here.
        let desc =
            unsafe { (self.lib.api().get_function_desc)(handle, function.as_ptr(), &mut info) };
        if desc.is_null() {
            let error = RfcError::from_info(ReturnCode::UnknownError.raw(), &info);
            return self.track(Err(error));
        }
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
        let handle = self.live()?;
        if !Arc::ptr_eq(&self.lib, function.library()) {
            let message = "The function was created through another RFC library";
            return Err(RfcError::invalid_parameter(message));
        }
        let mut info = RfcErrorInfo::default();
        // SAFETY: the connection is open and the function container live, both of this
        // library; `&mut` on both keeps other threads away for the call.
        let rc = unsafe { (self.lib.api().invoke)(handle, function.raw(), &mut info) };
        self.track(RfcError::check(rc, &info))
    }

    /// Logs off and closes the connection.
    pub fn close(mut self) -> Result<(), RfcError> {
        self.close_handle()
    }

    fn close_handle(&mut self) -> Result<(), RfcError> {
        let handle = std::mem::replace(&mut self.handle, std::ptr::null_mut());
        if handle.is_null() {
            return Ok(());
        }
        let mut info = RfcErrorInfo::default();
        // SAFETY: the handle was open and is forgotten before the call, so it is closed
        // exactly once.
        let rc = unsafe { (self.lib.api().close_connection)(handle, &mut info) };
        RfcError::check(rc, &info)
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
