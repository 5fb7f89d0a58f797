//! The loader against real shared objects: the stub library, a missing one, an incomplete
//! one and a file that is not a library.

mod common;

use std::time::Duration;

use common::{ScratchDir, deps_dir, stub_library};
use sapnwrfc_sys::loader::{OPTIONAL_SYMBOLS, REQUIRED_SYMBOLS};
use sapnwrfc_sys::{LIBRARY_FILE, Library, LoadError, ReturnCode};

#[test]
fn the_stub_library_loads_with_every_required_function() {
    let library = stub_library();

    assert_eq!(library.path(), deps_dir().join(LIBRARY_FILE));
    let version = library.version();
    assert_eq!(
        (version.major, version.minor, version.patch_level),
        (7500, 0, 0)
    );
    assert!(version.text.contains("stub"), "{version}");
    assert_eq!(library.return_code_name(2), "RFC_LOGON_FAILURE");

    // The stub has the logon timeout of newer SDKs, but not every function added after PL7.
    let absent = library.missing_optional();
    assert!(!absent.contains(&"RfcSetGlobalLogonTimeout"), "{absent:?}");
    assert!(absent.contains(&"RfcCleanup"), "{absent:?}");
    assert!(absent.len() < OPTIONAL_SYMBOLS.len());
}

#[test]
fn the_logon_timeout_is_set_within_the_sdks_range() {
    let library = stub_library();

    assert_eq!(library.set_logon_timeout(Duration::from_secs(60)), Ok(true));
    let error = library
        .set_logon_timeout(Duration::from_secs(7200))
        .unwrap_err();
    assert_eq!(error.code(), ReturnCode::InvalidParameter);
}

#[test]
fn a_missing_library_names_the_file_it_looked_for() {
    let empty = ScratchDir::new("missing");

    let error = Library::load(empty.path()).unwrap_err();
    let LoadError::NotFound { path } = &error else {
        panic!("not NotFound: {error}")
    };
    assert_eq!(path, &empty.path().join(LIBRARY_FILE));
    let text = error.to_string();
    assert!(text.contains("not installed"), "{text}");
    assert!(text.contains(&empty.path().display().to_string()), "{text}");
}

#[test]
fn an_incomplete_library_names_every_missing_function_at_once() {
    let dir = ScratchDir::new("incomplete");
    let built = deps_dir().join(LIBRARY_FILE.replace("sapnwrfc", "sapnwrfc_incomplete"));
    std::fs::copy(&built, dir.path().join(LIBRARY_FILE)).expect("incomplete library is built");

    let error = Library::load(dir.path()).unwrap_err();
    let LoadError::MissingSymbols {
        missing, version, ..
    } = &error
    else {
        panic!("not MissingSymbols: {error}")
    };
    // It exports RfcGetVersion only.
    assert_eq!(missing.len(), REQUIRED_SYMBOLS.len() - 1);
    assert!(!missing.contains(&"RfcGetVersion"));
    assert!(missing.contains(&"RfcOpenConnection") && missing.contains(&"RfcInvoke"));
    let version = version
        .as_ref()
        .expect("the version is read when RfcGetVersion exists");
    assert_eq!((version.major, version.patch_level), (7200, 3));

    let text = error.to_string();
    assert!(text.contains("7200.0 patch level 3"), "{text}");
    assert!(
        text.contains(&format!("lacks {} of the functions", missing.len())),
        "{text}"
    );
    assert!(text.contains("RfcGetTable"), "{text}");
}

#[test]
fn a_file_that_is_not_a_library_cannot_be_opened() {
    let dir = ScratchDir::new("garbage");
    std::fs::write(dir.path().join(LIBRARY_FILE), b"not an ELF file").unwrap();

    let error = Library::load(dir.path()).unwrap_err();
    assert!(matches!(error, LoadError::Open { .. }), "{error}");
    assert!(error.to_string().contains(LIBRARY_FILE), "{error}");
}
