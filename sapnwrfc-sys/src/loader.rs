//! Opening `libsapnwrfc` at run time and resolving the functions bizsap calls.
//!
//! # Why at run time
//!
//! The SAP NetWeaver RFC SDK is proprietary: bizsap may not ship it, and most installations
//! never need it (the IDoc transport needs no SDK). Linking against it would make the SDK a
//! build requirement everywhere and the binary fail to start wherever it is missing. Instead
//! the customer installs the SDK from SAP and names its `lib` directory; [`Library::load`]
//! opens `libsapnwrfc.so`, `sapnwrfc.dll` or `libsapnwrfc.dylib` from there by absolute path,
//! so neither the search path nor the working directory decides which copy runs.
//!
//! # Required and optional functions
//!
//! Every function the safe wrapper calls is *required* and resolved when the library is
//! loaded, not at first use: a library that lacks one fails at start-up, while an operator is
//! watching, instead of in the middle of a posting. All missing functions are collected and
//! reported in one [`LoadError::MissingSymbols`], with the library's version when it has
//! `RfcGetVersion`, so one look tells whether the SDK is too old or not the SDK at all.
//!
//! Functions SAP added after SDK 7.50 patch level 7 (such as `RfcSetGlobalLogonTimeout`) are
//! *optional*: they are resolved when present, and the wrapper works without them.
//! [`Library::missing_optional`] lists the absent ones for a diagnosis.
//!
//! # Companion libraries
//!
//! On Linux and macOS the SDK's `libsapnwrfc` needs `libsapucum` from the same directory, and
//! `libsapucum` opens the ICU libraries itself, looking in `LD_LIBRARY_PATH`. When
//! `libsapucum` is present it is opened first by absolute path, so `libsapnwrfc` finds it
//! already loaded; ICU still has to be on the library path when the process starts. On
//! Windows the DLL is loaded with `LOAD_WITH_ALTERED_SEARCH_PATH`, so Windows looks for its
//! companions in the DLL's own directory.
//!
//! # Threading
//!
//! A [`Library`] is immutable once loaded and may be shared by any number of threads. The
//! SDK's rules are about what is done through it: a connection serves one call at a time
//! (the safe wrapper's `Connection` is `Send` but not `Sync`, and its calls take `&mut self`),
//! different connections may be used on different threads at once, and data containers are
//! plain memory owned by whoever created them. A few settings are global to the process and
//! so are on `Library`: the `sapnwrfc.ini` directory and the logon timeout.
//!
//! The library is never unloaded while anything that came from it is alive: connections and
//! function containers hold an `Arc<Library>`.

use std::ffi::{c_int, c_uint};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::LIBRARY_FILE;
use crate::error::RfcError;
use crate::ffi::{
    DataContainerHandle, RfcAttributes, RfcConnectionHandle, RfcConnectionParameter, RfcErrorInfo,
    RfcFieldDesc, RfcFunctionDescHandle, RfcParameterDesc, RfcRc, RfcTypeDescHandle, SapUc,
};
use crate::uc::{self, UcString};

/// File name of SAP's Unicode support library, which `libsapnwrfc` needs beside it.
const COMPANION_FILE: &str = if cfg!(target_os = "macos") {
    "libsapucum.dylib"
} else {
    "libsapucum.so"
};

/// Declares the SDK functions as typed fields of [`Api`], and how to resolve them.
macro_rules! sdk_functions {
    (
        required { $($field:ident = $symbol:ident($($arg:ty),* $(,)?) -> $ret:ty;)* }
        optional { $($ofield:ident = $osymbol:ident($($oarg:ty),* $(,)?) -> $oret:ty;)* }
    ) => {
        /// The SDK's functions, resolved from the loaded library. Calling one is `unsafe`:
        /// the caller keeps the SDK's contract for its arguments.
        #[derive(Clone, Copy)]
        #[allow(clippy::type_complexity)]
        pub struct Api {
            $(#[doc = concat!("`", stringify!($symbol), "`")]
            pub $field: unsafe extern "system" fn($($arg),*) -> $ret,)*
            $(#[doc = concat!("`", stringify!($osymbol), "`, when the SDK has it")]
            pub $ofield: Option<unsafe extern "system" fn($($oarg),*) -> $oret>,)*
        }

        /// Functions the library must export.
        pub const REQUIRED_SYMBOLS: &[&str] = &[$(stringify!($symbol)),*];
        /// Functions used when the library exports them.
        pub const OPTIONAL_SYMBOLS: &[&str] = &[$(stringify!($osymbol)),*];

        impl Api {
            /// Resolves every function; the names of the missing required ones on failure,
            /// and of the missing optional ones on success.
            ///
            /// # Safety
            ///
            /// The library's symbols of these names must be the SDK's functions with these
            /// signatures.
            unsafe fn resolve(
                library: &libloading::Library,
            ) -> Result<(Api, Vec<&'static str>), Vec<&'static str>> {
                let mut missing = Vec::new();
                $(
                    let name = concat!(stringify!($symbol), "\0").as_bytes();
                    // SAFETY: the caller vouches for the symbol's type.
                    let symbol = unsafe {
                        library.get::<unsafe extern "system" fn($($arg),*) -> $ret>(name)
                    };
                    let $field = symbol.map(|symbol| *symbol).ok();
                    if $field.is_none() {
                        missing.push(stringify!($symbol));
                    }
                )*
                let mut absent = Vec::new();
                $(
                    let name = concat!(stringify!($osymbol), "\0").as_bytes();
                    // SAFETY: the caller vouches for the symbol's type.
                    let symbol = unsafe {
                        library.get::<unsafe extern "system" fn($($oarg),*) -> $oret>(name)
                    };
                    let $ofield = symbol.map(|symbol| *symbol).ok();
                    if $ofield.is_none() {
                        absent.push(stringify!($osymbol));
                    }
                )*
                let api = Api {
                    $($field: match $field {
                        Some(function) => function,
                        None => return Err(missing),
                    },)*
                    $($ofield,)*
                };
                Ok((api, absent))
            }
        }
    };
}

type Info = *mut RfcErrorInfo;
type Uc = *const SapUc;
type UcOut = *mut SapUc;
type Conn = RfcConnectionHandle;
type Data = DataContainerHandle;
type FuncDesc = RfcFunctionDescHandle;
type TypeDesc = RfcTypeDescHandle;

sdk_functions! {
    required {
        get_version = RfcGetVersion(*mut c_uint, *mut c_uint, *mut c_uint) -> Uc;
        get_rc_as_string = RfcGetRcAsString(RfcRc) -> Uc;
        set_ini_path = RfcSetIniPath(Uc, Info) -> RfcRc;
        open_connection = RfcOpenConnection(*const RfcConnectionParameter, c_uint, Info) -> Conn;
        close_connection = RfcCloseConnection(Conn, Info) -> RfcRc;
        ping = RfcPing(Conn, Info) -> RfcRc;
        cancel = RfcCancel(Conn, Info) -> RfcRc;
        reset_server_context = RfcResetServerContext(Conn, Info) -> RfcRc;
        get_connection_attributes =
            RfcGetConnectionAttributes(Conn, *mut RfcAttributes, Info) -> RfcRc;
        invoke = RfcInvoke(Conn, Data, Info) -> RfcRc;
        get_function_desc = RfcGetFunctionDesc(Conn, Uc, Info) -> FuncDesc;
        get_function_name = RfcGetFunctionName(FuncDesc, UcOut, Info) -> RfcRc;
        get_parameter_count = RfcGetParameterCount(FuncDesc, *mut c_uint, Info) -> RfcRc;
        get_parameter_desc_by_index =
            RfcGetParameterDescByIndex(FuncDesc, c_uint, *mut RfcParameterDesc, Info) -> RfcRc;
        get_type_name = RfcGetTypeName(TypeDesc, UcOut, Info) -> RfcRc;
        get_field_count = RfcGetFieldCount(TypeDesc, *mut c_uint, Info) -> RfcRc;
        get_field_desc_by_index =
            RfcGetFieldDescByIndex(TypeDesc, c_uint, *mut RfcFieldDesc, Info) -> RfcRc;
        get_type_length = RfcGetTypeLength(TypeDesc, *mut c_uint, *mut c_uint, Info) -> RfcRc;
        create_function = RfcCreateFunction(FuncDesc, Info) -> Data;
        destroy_function = RfcDestroyFunction(Data, Info) -> RfcRc;
        set_parameter_active = RfcSetParameterActive(Data, Uc, c_int, Info) -> RfcRc;
        get_structure = RfcGetStructure(Data, Uc, *mut Data, Info) -> RfcRc;
        get_table = RfcGetTable(Data, Uc, *mut Data, Info) -> RfcRc;
        append_new_row = RfcAppendNewRow(Data, Info) -> Data;
        get_row_count = RfcGetRowCount(Data, *mut c_uint, Info) -> RfcRc;
        move_to = RfcMoveTo(Data, c_uint, Info) -> RfcRc;
        get_current_row = RfcGetCurrentRow(Data, Info) -> Data;
        delete_all_rows = RfcDeleteAllRows(Data, Info) -> RfcRc;
        set_chars = RfcSetChars(Data, Uc, Uc, c_uint, Info) -> RfcRc;
        set_num = RfcSetNum(Data, Uc, Uc, c_uint, Info) -> RfcRc;
        set_string = RfcSetString(Data, Uc, Uc, c_uint, Info) -> RfcRc;
        set_date = RfcSetDate(Data, Uc, Uc, Info) -> RfcRc;
        set_int = RfcSetInt(Data, Uc, c_int, Info) -> RfcRc;
        get_chars = RfcGetChars(Data, Uc, UcOut, c_uint, Info) -> RfcRc;
        get_num = RfcGetNum(Data, Uc, UcOut, c_uint, Info) -> RfcRc;
        get_string = RfcGetString(Data, Uc, UcOut, c_uint, *mut c_uint, Info) -> RfcRc;
        get_date = RfcGetDate(Data, Uc, UcOut, Info) -> RfcRc;
        get_int = RfcGetInt(Data, Uc, *mut c_int, Info) -> RfcRc;
    }
    optional {
        set_global_logon_timeout = RfcSetGlobalLogonTimeout(c_uint, Info) -> RfcRc;
        set_maximum_cpic_conversations = RfcSetMaximumCpicConversations(c_uint, Info) -> RfcRc;
        cleanup = RfcCleanup() -> RfcRc;
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

/// The SDK's version, as `RfcGetVersion` reports it (e.g. 7500, 0, 44).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdkVersion {
    pub major: u32,
    pub minor: u32,
    pub patch_level: u32,
    /// The library's own version text.
    pub text: String,
}

impl fmt::Display for SdkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            major,
            minor,
            patch_level,
            text,
        } = self;
        write!(f, "{major}.{minor} patch level {patch_level}")?;
        match text.is_empty() {
            true => Ok(()),
            false => write!(f, " (\"{text}\")"),
        }
    }
}

/// Why the RFC library could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "the SAP NetWeaver RFC SDK is not installed at {}: the file does not exist; install \
         the SDK from SAP and configure the directory that holds {LIBRARY_FILE}",
        path.display()
    )]
    NotFound { path: PathBuf },
    #[error("cannot load {}: {source}{hint}", path.display(), hint = open_hint())]
    Open {
        path: PathBuf,
        #[source]
        source: libloading::Error,
    },
    #[error(
        "{} ({}) lacks {} of the functions bizsap needs: {}; install SAP NetWeaver RFC SDK 7.50 \
         (patch level 7 or newer)",
        path.display(),
        version.as_ref().map_or("version unknown".to_owned(), ToString::to_string),
        missing.len(),
        missing.join(", ")
    )]
    MissingSymbols {
        path: PathBuf,
        version: Option<SdkVersion>,
        missing: Vec<&'static str>,
    },
}

fn open_hint() -> &'static str {
    if cfg!(windows) {
        " (the SDK's other DLLs must be in the same directory, and the Visual C++ 2013 \
         runtime installed)"
    } else {
        " (libsapucum and the ICU libraries must be in the same directory, and that directory \
         on LD_LIBRARY_PATH when bizsap starts)"
    }
}

/// The loaded RFC library.
pub struct Library {
    api: Api,
    path: PathBuf,
    version: SdkVersion,
    missing_optional: Vec<&'static str>,
    /// The `sapnwrfc.ini` directory last given to the SDK, which holds one for the process.
    ini_dir: Mutex<Option<PathBuf>>,
    // Declared after `api`, and the main library before its companions: fields drop in
    // order, so nothing points into a library that is already closed.
    _library: libloading::Library,
    _companions: Vec<libloading::Library>,
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("missing_optional", &self.missing_optional)
            .finish_non_exhaustive()
    }
}

impl Library {
    /// Opens [`LIBRARY_FILE`] from `dir`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        let dir = dir.as_ref();
        let companion = dir.join(COMPANION_FILE);
        let companions = match !cfg!(windows) && companion.is_file() {
            true => vec![open_companion(&companion)?],
            false => Vec::new(),
        };
        Self::open(&dir.join(LIBRARY_FILE), companions)
    }

    /// Opens the library from an explicit file.
    pub fn load_file(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Self::open(path.as_ref(), Vec::new())
    }

    fn open(path: &Path, companions: Vec<libloading::Library>) -> Result<Self, LoadError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        if !path.exists() {
            return Err(LoadError::NotFound { path });
        }
        let library = open_library(&path)?;

        // SAFETY: the file is SAP's RFC library (or one with its interface), whose exported
        // functions have the signatures declared in `sdk_functions!`.
        let resolved = unsafe { Api::resolve(&library) };
        let (api, missing_optional) = match resolved {
            Ok(resolved) => resolved,
            Err(missing) => {
                // SAFETY: as above; `RfcGetVersion` takes three output pointers.
                let version = unsafe { version_if_present(&library) };
                return Err(LoadError::MissingSymbols {
                    path,
                    version,
                    missing,
                });
            }
        };

        // SAFETY: `get_version` was resolved from the loaded library.
        let version = unsafe { read_version(api.get_version) };
        Ok(Self {
            api,
            path,
            version,
            missing_optional,
            ini_dir: Mutex::new(None),
            _library: library,
            _companions: companions,
        })
    }

    /// The resolved functions, for calls the safe wrapper does not offer.
    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The library file, as an absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn version(&self) -> &SdkVersion {
        &self.version
    }

    /// Optional functions this library does not export.
    pub fn missing_optional(&self) -> &[&'static str] {
        &self.missing_optional
    }

    /// Makes the SDK read `sapnwrfc.ini` from `dir` (for connections opened with `dest`).
    /// The setting is global to the process; a directory already set is not set again.
    pub fn set_ini_dir(&self, dir: &Path) -> Result<(), RfcError> {
        let mut current = self.ini_dir.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_deref() == Some(dir) {
            return Ok(());
        }
        let text = dir.to_str().ok_or_else(|| {
            RfcError::invalid_parameter(format!("{} is not valid Unicode", dir.display()))
        })?;
        let path = UcString::new(text).map_err(RfcError::from)?;
        let mut info = RfcErrorInfo::default();
        // SAFETY: `path` is NUL-terminated and outlives the call; `info` is writable.
        let rc = unsafe { (self.api.set_ini_path)(path.as_ptr(), &mut info) };
        RfcError::check(rc, &info)?;
        *current = Some(dir.to_owned());
        Ok(())
    }

    /// Sets how long a logon may take (1 s to 1 h); `Ok(false)` when this SDK cannot (it is
    /// older than the function) and keeps its default of 60 s.
    pub fn set_logon_timeout(&self, timeout: Duration) -> Result<bool, RfcError> {
        let Some(set_timeout) = self.api.set_global_logon_timeout else {
            return Ok(false);
        };
        let seconds = c_uint::try_from(timeout.as_secs()).unwrap_or(c_uint::MAX);
        let mut info = RfcErrorInfo::default();
        // SAFETY: resolved from the loaded library; `info` is writable.
        let rc = unsafe { set_timeout(seconds, &mut info) };
        RfcError::check(rc, &info)?;
        Ok(true)
    }

    /// The SDK's name of a return code, e.g. `RFC_LOGON_FAILURE`.
    pub fn return_code_name(&self, code: RfcRc) -> String {
        // SAFETY: the SDK returns a static NUL-terminated string for any value.
        unsafe { uc::decode_terminated((self.api.get_rc_as_string)(code)) }
    }
}

#[cfg(unix)]
fn open_library(path: &Path) -> Result<libloading::Library, LoadError> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    // RTLD_NOW: a library whose own dependencies cannot be satisfied fails here, with the
    // dynamic linker's message, rather than at its first call.
    // SAFETY: loading runs the library's initialisers; the SDK's are side-effect free
    // setup, and the path is the one the operator configured.
    let library = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) };
    library.map(Into::into).map_err(|source| LoadError::Open {
        path: path.to_owned(),
        source,
    })
}

#[cfg(windows)]
fn open_library(path: &Path) -> Result<libloading::Library, LoadError> {
    use libloading::os::windows::{LOAD_WITH_ALTERED_SEARCH_PATH, Library};
    // SAFETY: as on Unix; the flag makes Windows resolve the DLL's companions from its own
    // directory.
    let library = unsafe { Library::load_with_flags(path, LOAD_WITH_ALTERED_SEARCH_PATH) };
    library.map(Into::into).map_err(|source| LoadError::Open {
        path: path.to_owned(),
        source,
    })
}

#[cfg(unix)]
fn open_companion(path: &Path) -> Result<libloading::Library, LoadError> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
    // SAFETY: as for the main library; global, so `libsapnwrfc` resolves against it.
    let library = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) };
    library.map(Into::into).map_err(|source| LoadError::Open {
        path: path.to_owned(),
        source,
    })
}

#[cfg(windows)]
fn open_companion(path: &Path) -> Result<libloading::Library, LoadError> {
    open_library(path)
}

type GetVersion = unsafe extern "system" fn(*mut c_uint, *mut c_uint, *mut c_uint) -> Uc;

/// # Safety
///
/// `get_version` is the SDK's `RfcGetVersion`.
unsafe fn read_version(get_version: GetVersion) -> SdkVersion {
    let (mut major, mut minor, mut patch_level) = (0, 0, 0);
    // SAFETY: the three pointers are to locals; the result is a static string.
    let text = unsafe {
        let text = get_version(&mut major, &mut minor, &mut patch_level);
        uc::decode_terminated(text)
    };
    SdkVersion {
        major,
        minor,
        patch_level,
        text,
    }
}

/// # Safety
///
/// An `RfcGetVersion` the library exports is the SDK's.
unsafe fn version_if_present(library: &libloading::Library) -> Option<SdkVersion> {
    // SAFETY: the caller vouches for the symbol's type.
    let symbol = unsafe { library.get::<GetVersion>(b"RfcGetVersion\0") }.ok()?;
    // SAFETY: as above.
    Some(unsafe { read_version(*symbol) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_symbol_is_listed_once() {
        let mut all: Vec<_> = REQUIRED_SYMBOLS.iter().chain(OPTIONAL_SYMBOLS).collect();
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count);
        assert!(REQUIRED_SYMBOLS.contains(&"RfcInvoke"));
        assert!(OPTIONAL_SYMBOLS.contains(&"RfcSetGlobalLogonTimeout"));
    }

    #[test]
    fn a_missing_symbol_error_names_version_and_functions() {
        let error = LoadError::MissingSymbols {
            path: PathBuf::from("/opt/nwrfcsdk/lib/libsapnwrfc.so"),
            version: Some(SdkVersion {
                major: 7200,
                minor: 0,
                patch_level: 3,
                text: String::new(),
            }),
            missing: vec!["RfcInvoke", "RfcPing"],
        };
        let text = error.to_string();
        assert!(text.contains("7200.0 patch level 3"), "{text}");
        assert!(text.contains("lacks 2 of the functions bizsap needs: RfcInvoke, RfcPing"));
    }
}
