//! What the library-level tests share: where the built libraries are, scratch directories,
//! and a small system speaking the stub's wire protocol with a few test functions.
//!
//! The system here is not the stub SAP engine; it answers just enough (logon, a function
//! that echoes every type, one that hangs, ABAP exceptions and messages) to exercise the
//! library and the wrapper over a real socket.

#![allow(dead_code)]

use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use sapnwrfc::protocol::{
    AbapMessage, Direction, Failure, FieldSpec, FieldType, FunctionDescription,
    ParameterDescription, Parameters, Reply, Request, Row, Scalar, SystemInfo, TypeDescription,
    Value, group, rc, read_frame, write_frame,
};
use sapnwrfc_sys::{ConnectionParams, Library};

pub const USER: &str = "BIZSAP";
pub const PASSWORD: &str = "stub-password";
pub const SYSTEM_ID: &str = "TST";

/// The directory cargo put the test binary in, and with it the dependencies' shared objects.
pub fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    exe.parent()
        .expect("the test binary is in a directory")
        .to_path_buf()
}

/// The stub library, loaded through the real loader.
pub fn stub_library() -> Arc<Library> {
    let library = Library::load(deps_dir());
    Arc::new(library.unwrap_or_else(|error| panic!("stub library: {error}")))
}

/// A fresh, empty directory, removed when dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(purpose: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("sapnwrfc-sys-{purpose}-{}-{unique}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir is writable");
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A system on a free loopback port.
pub struct TestSystem {
    pub port: u16,
    invokes: Arc<Mutex<Vec<(String, Parameters)>>>,
    hung: Mutex<mpsc::Receiver<TcpStream>>,
}

impl TestSystem {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = listener.local_addr().expect("bound").port();
        let invokes = Arc::new(Mutex::new(Vec::new()));
        let (hung_tx, hung_rx) = mpsc::channel();
        let recorded = invokes.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (recorded, hung_tx) = (recorded.clone(), hung_tx.clone());
                thread::spawn(move || serve(stream, &recorded, &hung_tx));
            }
        });
        Self {
            port,
            invokes,
            hung: Mutex::new(hung_rx),
        }
    }

    /// Logon parameters for this system, reached through an explicit gateway port.
    pub fn params(&self) -> ConnectionParams {
        ConnectionParams::new()
            .set("ashost", "127.0.0.1")
            .set("gwserv", self.port.to_string())
            .set("client", "100")
            .set("user", USER)
            .set("passwd", PASSWORD)
            .set("lang", "EN")
    }

    /// The calls of Z_ECHO the system received, with their parameters as sent.
    pub fn invokes(&self) -> Vec<(String, Parameters)> {
        self.invokes.lock().unwrap().clone()
    }

    /// The server side of a connection whose call of Z_HANG is waiting for an answer.
    pub fn hung_call(&self) -> TcpStream {
        let hung = self.hung.lock().unwrap();
        hung.recv_timeout(Duration::from_secs(10))
            .expect("a call of Z_HANG arrives")
    }
}

/// Kills the server side of a connection, as a crashed system would.
pub fn kill(stream: &TcpStream) {
    stream.shutdown(Shutdown::Both).expect("socket shuts down");
}

fn serve(
    mut stream: TcpStream,
    invokes: &Mutex<Vec<(String, Parameters)>>,
    hung: &mpsc::Sender<TcpStream>,
) {
    let Ok(Request::Open(logon)) = read_frame::<Request>(&mut stream) else {
        return;
    };
    if logon.user != USER || logon.password != PASSWORD {
        let refused = Failure::logon("Name or password is incorrect (repeat logon)");
        let _ = write_frame(&mut stream, &Reply::Failed(refused));
        return;
    }
    let info = SystemInfo {
        system_id: SYSTEM_ID.into(),
        host: "testhost".into(),
        client: logon.client.clone(),
        user: logon.user.to_uppercase(),
        language: "E".into(),
        release: "750".into(),
        kernel_release: "753".into(),
    };
    if write_frame(&mut stream, &Reply::Opened(info)).is_err() {
        return;
    }

    loop {
        let Ok(request) = read_frame::<Request>(&mut stream) else {
            return;
        };
        let (reply, last) = match request {
            Request::Describe { function } => match describe(&function) {
                Some(desc) => (Reply::Described(desc), false),
                None => {
                    let message = format!("Function module {function} not found");
                    (
                        Reply::Failed(Failure::abap_exception("FU_NOT_FOUND", message)),
                        false,
                    )
                }
            },
            Request::Invoke {
                function,
                parameters,
            } => match function.as_str() {
                "Z_ECHO" => {
                    invokes.lock().unwrap().push((function, parameters.clone()));
                    (
                        Reply::Returned {
                            parameters: echo(parameters),
                        },
                        false,
                    )
                }
                "Z_HANG" => {
                    let _ = hung.send(stream.try_clone().expect("socket clones"));
                    // Wait, answering nothing, until the test kills the connection.
                    while read_frame::<Request>(&mut stream).is_ok() {}
                    return;
                }
                "Z_EXCEPTION" => {
                    let failure = Failure::abap_exception("NOTHING_FOUND", "No entry found");
                    (Reply::Failed(failure), false)
                }
                "Z_MESSAGE" => (Reply::Failed(abap_message()), true),
                other => {
                    let message = format!("Function {other} not found");
                    (
                        Reply::Failed(Failure::abap_runtime("CALL_FUNCTION_NOT_FOUND", message)),
                        true,
                    )
                }
            },
            Request::Ping => (Reply::Pong, false),
            Request::ResetContext => (Reply::Reset, false),
            Request::Close | Request::Open(_) => return,
        };
        if write_frame(&mut stream, &reply).is_err() || last {
            return;
        }
    }
}

fn abap_message() -> Failure {
    Failure {
        code: rc::ABAP_MESSAGE,
        group: group::ABAP_APPLICATION_FAILURE,
        key: "ZFI042".into(),
        message: "Posting period 013 2026 is not open".into(),
        abap_message: Some(Box::new(AbapMessage {
            class: "ZFI".into(),
            kind: "E".into(),
            number: "042".into(),
            v1: "013".into(),
            v2: "2026".into(),
            ..AbapMessage::default()
        })),
    }
}

/// ZROW: one field of each type the bridge uses.
pub fn zrow() -> TypeDescription {
    let spec = |name, field_type, length, decimals| FieldSpec {
        name,
        field_type,
        length,
        decimals,
    };
    TypeDescription::lay_out(
        "ZROW",
        [
            spec("TYPE", FieldType::Char, 1, 0),
            spec("AMOUNT", FieldType::Bcd, 12, 4),
            spec("ROW", FieldType::Int, 4, 0),
            spec("DATE", FieldType::Date, 8, 0),
            spec("ITEMNO", FieldType::Num, 10, 0),
            spec("TEXT", FieldType::Char, 50, 0),
        ],
    )
}

fn describe(function: &str) -> Option<FunctionDescription> {
    let scalar = ParameterDescription::scalar;
    let amount = |name, direction| ParameterDescription {
        decimals: 4,
        ..scalar(name, direction, FieldType::Bcd, 12)
    };
    let parameters = match function {
        "Z_ECHO" => vec![
            scalar("I_TEXT", Direction::Import, FieldType::Char, 20),
            scalar("I_ITEMNO", Direction::Import, FieldType::Num, 10),
            scalar("I_DATE", Direction::Import, FieldType::Date, 8),
            scalar("I_COUNT", Direction::Import, FieldType::Int, 4),
            amount("I_AMOUNT", Direction::Import),
            ParameterDescription::structured("I_ROW", Direction::Import, zrow()),
            scalar("E_TEXT", Direction::Export, FieldType::Char, 20),
            scalar("E_ITEMNO", Direction::Export, FieldType::Num, 10),
            scalar("E_DATE", Direction::Export, FieldType::Date, 8),
            scalar("E_COUNT", Direction::Export, FieldType::Int, 4),
            amount("E_AMOUNT", Direction::Export),
            ParameterDescription::structured("E_ROW", Direction::Export, zrow()),
            ParameterDescription::structured("T_ROWS", Direction::Tables, zrow()),
        ],
        "Z_HANG" | "Z_EXCEPTION" | "Z_MESSAGE" | "Z_MISSING" => Vec::new(),
        _ => return None,
    };
    Some(FunctionDescription {
        name: function.to_owned(),
        parameters,
    })
}

/// Exports mirror the imports; the table comes back with one more row.
fn echo(imports: Parameters) -> Parameters {
    let mut exports = Parameters::new();
    for (name, value) in &imports {
        if let Some(field) = name.strip_prefix("I_") {
            exports.insert(format!("E_{field}"), value.clone());
        }
    }
    let mut rows = match imports.get("T_ROWS") {
        Some(Value::Table(rows)) => rows.clone(),
        _ => Vec::new(),
    };
    let count = rows.len() as i64;
    let extra: Row = [
        ("TYPE".to_owned(), Scalar::text("S")),
        ("TEXT".to_owned(), Scalar::text("echoed")),
        ("ROW".to_owned(), Scalar::Int(count)),
        ("AMOUNT".to_owned(), Scalar::text("0.5000")),
    ]
    .into();
    rows.push(extra);
    exports.insert("T_ROWS".into(), Value::Table(rows));
    exports
}
