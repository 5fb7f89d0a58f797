//! The safe wrapper and the stub library together, against a test system on a real socket:
//! logon, metadata, every value type both ways, and the failures a bridge must survive.

mod common;

use std::thread;

use common::{PASSWORD, ScratchDir, TestSystem, USER, kill, stub_library};
use sapnwrfc::protocol::{Scalar, Value};
use sapnwrfc_sys::ffi::{RFC_OK, RfcConnectionParameter, RfcErrorInfo};
use sapnwrfc_sys::uc::{self, UcString};
use sapnwrfc_sys::{
    Connection, ConnectionParams, DataContainer, Direction, ErrorGroup, ReturnCode, RfcType,
};

#[test]
fn values_reach_the_system_in_sap_formats_and_come_back() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();
    let mut echo = connection.function("Z_ECHO").unwrap();

    echo.set_chars("I_TEXT", "회식비 🍜").unwrap();
    echo.set_num("I_ITEMNO", "1").unwrap();
    echo.set_date("I_DATE", "20260315").unwrap();
    echo.set_int("I_COUNT", -42).unwrap();
    echo.set_decimal("I_AMOUNT", "-55000").unwrap();
    {
        let mut row = echo.structure("I_ROW").unwrap();
        row.set_values([
            ("TYPE", "E"),
            ("AMOUNT", "1234.5"),
            ("ROW", "7"),
            ("DATE", "20260101"),
        ])
        .unwrap();
    }
    {
        let mut rows = echo.table("T_ROWS").unwrap();
        rows.append_row()
            .unwrap()
            .set_value("ITEMNO", "0000000010")
            .unwrap();
        rows.append_row()
            .unwrap()
            .set_value("TEXT", "second")
            .unwrap();
    }
    connection.invoke(&mut echo).unwrap();

    let (_, sent) = system.invokes().pop().expect("the system saw the call");
    let text = |scalar: &str| Value::Scalar(Scalar::text(scalar));
    assert_eq!(sent["I_TEXT"], text("회식비 🍜"));
    assert_eq!(sent["I_ITEMNO"], text("0000000001"));
    assert_eq!(sent["I_DATE"], text("20260315"));
    assert_eq!(sent["I_COUNT"], Value::Scalar(Scalar::Int(-42)));
    assert_eq!(sent["I_AMOUNT"], text("-55000.0000"));
    let Value::Structure(row) = &sent["I_ROW"] else {
        panic!("I_ROW is not a structure")
    };
    assert_eq!(row["AMOUNT"], Scalar::text("1234.5000"));
    assert_eq!(row["ROW"], Scalar::Int(7));
    assert!(
        !row.contains_key("TEXT"),
        "fields never set stay initial and are not sent"
    );
    assert!(
        !sent.contains_key("E_TEXT"),
        "exporting parameters are not sent"
    );

    assert_eq!(echo.chars("E_TEXT").unwrap(), "회식비 🍜");
    assert_eq!(echo.num("E_ITEMNO").unwrap(), "0000000001");
    assert_eq!(echo.date("E_DATE").unwrap(), "20260315");
    assert_eq!(echo.int("E_COUNT").unwrap(), -42);
    assert_eq!(echo.decimal("E_AMOUNT").unwrap(), "-55000.0000");
    assert_eq!(echo.value("E_COUNT").unwrap(), "-42");

    let row = echo.structure("E_ROW").unwrap().values().unwrap();
    let row: Vec<(&str, &str)> = row.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let expected = [
        ("TYPE", "E"),
        ("AMOUNT", "1234.5000"),
        ("ROW", "7"),
        ("DATE", "20260101"),
        ("ITEMNO", "0000000000"),
        ("TEXT", ""),
    ];
    assert_eq!(row, expected);

    let mut rows = echo.table("T_ROWS").unwrap();
    assert_eq!(rows.len().unwrap(), 3);
    assert_eq!(rows.row(0).unwrap().num("ITEMNO").unwrap(), "0000000010");
    let last = rows.row(2).unwrap();
    assert_eq!(last.chars("TEXT").unwrap(), "echoed");
    assert_eq!(last.int("ROW").unwrap(), 2);
    assert_eq!(last.decimal("AMOUNT").unwrap(), "0.5000");
    assert_eq!(last.date("DATE").unwrap(), "00000000");
}

#[test]
fn a_second_call_with_the_same_container_starts_from_fresh_exports() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();
    let mut echo = connection.function("Z_ECHO").unwrap();

    echo.set_chars("I_TEXT", "first").unwrap();
    connection.invoke(&mut echo).unwrap();
    assert_eq!(echo.chars("E_TEXT").unwrap(), "first");

    echo.set_active("I_TEXT", false).unwrap();
    connection.invoke(&mut echo).unwrap();
    assert_eq!(
        echo.chars("E_TEXT").unwrap(),
        "",
        "an inactive parameter is not sent"
    );
    assert_eq!(
        echo.table("T_ROWS").unwrap().len().unwrap(),
        2,
        "tables keep their rows"
    );
}

#[test]
fn function_descriptions_come_from_the_system() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();

    let desc = connection.function_desc("Z_ECHO").unwrap();
    assert_eq!(desc.name, "Z_ECHO");
    let amount = desc.parameter("I_AMOUNT").unwrap();
    assert_eq!(amount.rfc_type, RfcType::Bcd);
    assert_eq!(amount.direction, Direction::Import);
    assert_eq!(
        (amount.nuc_length, amount.uc_length, amount.decimals),
        (12, 12, 4)
    );
    let text = desc.parameter("E_TEXT").unwrap();
    assert_eq!(
        (text.rfc_type, text.direction),
        (RfcType::Char, Direction::Export)
    );
    assert_eq!((text.nuc_length, text.uc_length), (20, 40));

    let rows = desc.parameter("T_ROWS").unwrap();
    assert_eq!(
        (rows.rfc_type, rows.direction),
        (RfcType::Table, Direction::Tables)
    );
    let row = rows.type_desc.as_ref().expect("a table has a row type");
    assert_eq!(row.name, "ZROW");
    let field = |name| row.field(name).unwrap();
    assert_eq!(
        (field("AMOUNT").nuc_offset, field("AMOUNT").uc_offset),
        (1, 2)
    );
    assert_eq!(
        (field("ROW").rfc_type, field("ROW").uc_offset),
        (RfcType::Int, 16)
    );
    assert_eq!(field("ITEMNO").rfc_type, RfcType::Num);
    assert_eq!(row.uc_length, common::zrow().uc_length);

    let error = connection.function("Z_UNKNOWN").unwrap_err();
    assert_eq!(error.code(), ReturnCode::AbapException);
    assert_eq!(error.key(), "FU_NOT_FOUND");
    connection
        .ping()
        .expect("an unknown function leaves the connection open");
}

#[test]
fn values_that_do_not_fit_are_refused_before_anything_is_sent() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();
    let mut echo = connection.function("Z_ECHO").unwrap();

    let conversion = ReturnCode::ConversionFailure;
    assert_eq!(
        echo.set_chars("I_TEXT", &"가".repeat(21))
            .unwrap_err()
            .code(),
        conversion
    );
    assert_eq!(
        echo.set_num("I_ITEMNO", "12a").unwrap_err().code(),
        conversion
    );
    assert_eq!(
        echo.set_decimal("I_AMOUNT", "1.23456").unwrap_err().code(),
        conversion
    );
    assert_eq!(
        echo.set_decimal("I_AMOUNT", "55,000").unwrap_err().code(),
        conversion
    );
    assert_eq!(
        echo.set_date("I_DATE", "2026-3-1").unwrap_err().code(),
        conversion
    );
    assert_eq!(
        echo.set_value("I_COUNT", "many").unwrap_err().code(),
        conversion
    );

    let unknown = echo.set_chars("I_NOPE", "x").unwrap_err();
    assert_eq!(unknown.code(), ReturnCode::InvalidParameter);
    assert_eq!(unknown.group(), ErrorGroup::ExternalRuntimeFailure);
    assert!(unknown.message().contains("I_NOPE"), "{unknown}");
    assert!(system.invokes().is_empty());
}

#[test]
fn a_wrong_password_is_a_logon_failure() {
    let (library, system) = (stub_library(), TestSystem::start());
    let params = system.params().set("passwd", "wrong");

    let error = Connection::open(&library, &params).unwrap_err();
    assert_eq!(error.code(), ReturnCode::LogonFailure);
    assert_eq!(error.group(), ErrorGroup::LogonFailure);
    assert!(error.is_logon_failure() && !error.is_communication_failure());
    assert!(error.message().contains("password is incorrect"), "{error}");
}

#[test]
fn a_system_that_is_down_is_a_communication_failure() {
    let library = stub_library();
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let params = ConnectionParams::new()
        .set("ashost", "127.0.0.1")
        .set("gwserv", closed_port.to_string())
        .set("user", USER)
        .set("passwd", PASSWORD);

    let error = Connection::open(&library, &params).unwrap_err();
    assert_eq!(error.code(), ReturnCode::CommunicationFailure);
    assert_eq!(error.group(), ErrorGroup::CommunicationFailure);
    assert!(
        error.message().contains(&closed_port.to_string()),
        "{error}"
    );
}

#[test]
fn a_system_killed_mid_call_closes_the_connection() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();
    let mut hang = connection.function("Z_HANG").unwrap();

    let caller = thread::spawn(move || {
        let outcome = connection.invoke(&mut hang);
        (connection, outcome)
    });
    kill(&system.hung_call());
    let (mut connection, outcome) = caller.join().unwrap();

    let error = outcome.unwrap_err();
    assert_eq!(error.code(), ReturnCode::CommunicationFailure);
    assert!(error.closes_connection());
    assert!(!connection.is_open());
    let later = connection.ping().unwrap_err();
    assert_eq!(later.code(), ReturnCode::InvalidHandle);
    assert!(later.message().contains("open a new one"), "{later}");
}

#[test]
fn a_canceller_breaks_off_a_hanging_call_and_leaves_idle_connections_alone() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();
    let canceller = connection.canceller();
    assert_eq!(canceller.cancel(), Ok(false), "no call in progress");
    connection
        .ping()
        .expect("an idle connection is not cancelled");

    let mut hang = connection.function("Z_HANG").unwrap();
    let caller = thread::spawn(move || {
        let outcome = connection.invoke(&mut hang);
        (connection, outcome)
    });
    let _server_side = system.hung_call();
    assert_eq!(canceller.cancel(), Ok(true));
    let (mut connection, outcome) = caller.join().unwrap();

    let error = outcome.unwrap_err();
    assert_eq!(error.code(), ReturnCode::Canceled);
    assert!(!connection.is_open());
    assert_eq!(
        canceller.cancel(),
        Ok(false),
        "the connection is already closed"
    );
    let later = connection.ping().unwrap_err();
    assert_eq!(later.code(), ReturnCode::InvalidHandle);
    connection
        .close()
        .expect("closing a cancelled connection is a no-op");
}

#[test]
fn a_hanging_call_does_not_hold_up_other_connections() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut hanging = Connection::open(&library, &system.params()).unwrap();
    let mut hang = hanging.function("Z_HANG").unwrap();
    let caller = thread::spawn(move || hanging.invoke(&mut hang));
    let server_side = system.hung_call();

    let mut other = Connection::open(&library, &system.params()).unwrap();
    let mut echo = other.function("Z_ECHO").unwrap();
    echo.set_int("I_COUNT", 5).unwrap();
    other.invoke(&mut echo).unwrap();
    assert_eq!(echo.int("E_COUNT").unwrap(), 5);

    kill(&server_side);
    assert!(caller.join().unwrap().is_err());
}

#[test]
fn abap_exceptions_keep_the_connection_and_abap_messages_close_it() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();

    let mut raising = connection.function("Z_EXCEPTION").unwrap();
    let error = connection.invoke(&mut raising).unwrap_err();
    assert_eq!(error.code(), ReturnCode::AbapException);
    assert_eq!(error.group(), ErrorGroup::AbapApplicationFailure);
    assert_eq!(error.key(), "NOTHING_FOUND");
    connection
        .ping()
        .expect("the connection stays open after an ABAP exception");

    let mut failing = connection.function("Z_MESSAGE").unwrap();
    let error = connection.invoke(&mut failing).unwrap_err();
    assert_eq!(error.code(), ReturnCode::AbapMessage);
    let message = error
        .abap_message()
        .expect("the ABAP message fields are filled");
    assert_eq!(
        (message.class.as_str(), message.kind.as_str()),
        ("ZFI", "E")
    );
    assert_eq!(message.number, "042");
    assert_eq!(message.variables, ["013", "2026", "", ""].map(String::from));
    assert!(!connection.is_open());
    assert_eq!(connection.closed_by(), Some(&error));
}

#[test]
fn a_destination_is_read_from_the_ini_directory() {
    let (library, system) = (stub_library(), TestSystem::start());
    let dir = ScratchDir::new("ini");
    let ini = format!(
        "# test systems\nDEST=OTHER\nASHOST=192.0.2.1\nSYSNR=00\n\n\
         DEST=TST\nASHOST=127.0.0.1\nGWSERV={}\nCLIENT=100\nUSER={USER}\n",
        system.port
    );
    std::fs::write(dir.path().join("sapnwrfc.ini"), ini).unwrap();

    let params = ConnectionParams::destination("TST", Some(dir.path())).set("passwd", PASSWORD);
    let mut connection = Connection::open(&library, &params).unwrap();
    let attributes = connection.attributes().unwrap();
    assert_eq!(attributes.dest, "TST");
    assert_eq!(attributes.system_id, common::SYSTEM_ID);
    assert_eq!(
        (attributes.client.as_str(), attributes.user.as_str()),
        ("100", USER)
    );
    assert_eq!(attributes.partner_release, "750");

    let unknown = ConnectionParams::destination("NONE", Some(dir.path()));
    let error = Connection::open(&library, &unknown).unwrap_err();
    assert_eq!(error.code(), ReturnCode::InvalidParameter);
    assert!(error.message().contains("DEST=NONE"), "{error}");
}

#[test]
fn the_context_can_be_reset_between_borrowers() {
    let (library, system) = (stub_library(), TestSystem::start());
    let mut connection = Connection::open(&library, &system.params()).unwrap();

    connection.reset_server_context().unwrap();
    connection.ping().unwrap();
    connection.close().unwrap();
}

/// Calls through the raw API: what the safe wrapper protects against must still be safe.
#[test]
fn raw_handles_are_invalid_after_close_and_error_info_may_be_null() {
    let (library, system) = (stub_library(), TestSystem::start());
    let api = library.api();
    let pairs: Vec<(UcString, UcString)> = system
        .params()
        .iter()
        .map(|(name, value)| (UcString::new(name).unwrap(), UcString::new(value).unwrap()))
        .collect();
    let params: Vec<RfcConnectionParameter> = pairs
        .iter()
        .map(|(name, value)| RfcConnectionParameter {
            name: name.as_ptr(),
            value: value.as_ptr(),
        })
        .collect();
    let mut info = RfcErrorInfo {
        code: 99,
        ..Default::default()
    };

    // SAFETY: the parameters live in `pairs` during the call; `info` is writable.
    let handle = unsafe { (api.open_connection)(params.as_ptr(), params.len() as u32, &mut info) };
    assert!(!handle.is_null());
    assert_eq!(info.code, RFC_OK, "error info is reset on success");

    let name = UcString::new("Z_ECHO").unwrap();
    // SAFETY: live handles, NUL-terminated name; a NULL error info is allowed.
    let function = unsafe {
        let desc = (api.get_function_desc)(handle, name.as_ptr(), std::ptr::null_mut());
        (api.create_function)(desc, std::ptr::null_mut())
    };
    assert!(!function.is_null());

    // SAFETY: the handle is open; a NULL error info is allowed.
    assert_eq!(
        unsafe { (api.close_connection)(handle, std::ptr::null_mut()) },
        RFC_OK
    );
    // SAFETY: a closed handle must be answered, not dereferenced; `info` is writable.
    let rc = unsafe { (api.invoke)(handle, function, &mut info) };
    assert_eq!(ReturnCode::from_raw(rc), ReturnCode::InvalidHandle);
    assert_eq!(info.code, rc);
    assert_eq!(uc::decode(&info.key), "RFC_INVALID_HANDLE");

    // SAFETY: the function is live, then destroyed; the second call must be refused.
    unsafe {
        assert_eq!(
            (api.destroy_function)(function, std::ptr::null_mut()),
            RFC_OK
        );
        let rc = (api.destroy_function)(function, &mut info);
        assert_eq!(ReturnCode::from_raw(rc), ReturnCode::InvalidHandle);
    }
}

#[test]
fn connections_on_different_threads_call_at_once() {
    let (library, system) = (stub_library(), TestSystem::start());
    let params = system.params();

    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (library, params) = (library.clone(), params.clone());
            thread::spawn(move || {
                let mut connection = Connection::open(&library, &params).unwrap();
                for call in 0..5 {
                    let mut echo = connection.function("Z_ECHO").unwrap();
                    let value = worker * 100 + call;
                    echo.set_int("I_COUNT", value).unwrap();
                    connection.invoke(&mut echo).unwrap();
                    assert_eq!(echo.int("E_COUNT").unwrap(), value);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(system.invokes().len(), 20);
}
