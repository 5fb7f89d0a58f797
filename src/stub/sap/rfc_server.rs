//! The stub system's RFC side: what the stub `libsapnwrfc` talks to.
//!
//! One accepted TCP connection is one engine [`Session`], as one RFC connection is one user
//! session in SAP: postings stay pending in it until BAPI_TRANSACTION_COMMIT on the same
//! connection, and a connection that drops takes them along. The conversation is the one
//! [`sapnwrfc::protocol`] describes: logon first, then describe, invoke, ping, reset, close.
//!
//! The function repository is the stub's dictionary ([`metadata`]): parameters, structures,
//! field types, lengths and offsets are described here, and the library builds its function
//! descriptions from them as SAP's builds them from a system's repository.
//!
//! Failures map onto what the RFC library reports:
//!
//! | engine | RFC |
//! | --- | --- |
//! | wrong user, password or client | `RFC_LOGON_FAILURE`, connection closed |
//! | refused connections (fault) | connection dropped: `RFC_COMMUNICATION_FAILURE` |
//! | classic exception (RFC_READ_TABLE) | `RFC_ABAP_EXCEPTION` with its key, session goes on |
//! | unknown function | `RFC_ABAP_RUNTIME_FAILURE` `CALL_FUNCTION_NOT_FOUND`, closed |
//! | parameter of the wrong kind | `RFC_INVALID_PARAMETER`, session goes on |
//! | lost session, lost reply (faults) | connection dropped without an answer |

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use sapnwrfc::protocol::{
    self, Direction, Failure, FieldSpec, FieldType, FrameError, FunctionDescription,
    ParameterDescription, Reply, Request, Row, Scalar, SystemInfo, TypeDescription, group, rc,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::call::{self, FunctionCall, Parameters, Value};
use super::engine::{CallError, Logon, LogonError, Session, StubSap};
use super::master_data::UserKind;
use super::metadata::{self, AbapType, FieldDesc, FunctionDesc, ParamType, StructureDesc};
use crate::serve::Served;

/// SAP release the stub reports, and that of its kernel.
const RELEASE: &str = "750";
const KERNEL_RELEASE: &str = "753";

/// Why serving one connection ended early.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("RFC connection failed: {0}")]
    Io(#[from] io::Error),
    #[error("RFC client sent a malformed frame: {0}")]
    Frame(#[from] FrameError),
}

/// Binds `listen` (port 0 picks a free port) and serves `sap` over RFC until the returned
/// listener is stopped or dropped; then open connections are dropped, as when a system goes
/// down.
pub async fn listen(listen: SocketAddr, sap: StubSap) -> io::Result<Served> {
    let listener = TcpListener::bind(listen).await?;
    Served::spawn(listener, |listener, stop| serve(listener, sap, stop))
}

/// Accepts RFC connections until `shutdown` completes, serving each on its own task. On
/// shutdown every open connection is dropped, as when the system goes down: clients see
/// `RFC_COMMUNICATION_FAILURE` and pending postings are lost.
pub async fn serve(
    listener: TcpListener,
    sap: StubSap,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, "RFC listener started.");
    let mut sessions = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    sessions.spawn(serve_peer(sap.clone(), stream, peer));
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %error, "RFC accept failed.");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    sessions.shutdown().await;
    tracing::info!(%address, "RFC listener stopped.");
    Ok(())
}

async fn serve_peer(sap: StubSap, stream: TcpStream, peer: SocketAddr) {
    if let Err(error) = serve_connection(sap, stream).await {
        tracing::debug!(%peer, error = %error, "RFC connection ended with an error.");
    }
}

/// What to do after a request.
enum Next {
    Answer(Reply),
    /// Answer, then end the session (after errors that close an RFC connection).
    AnswerAndClose(Reply),
    /// End the session without a word, as a system that crashed or lost the reply.
    Drop,
}

/// Why a logon gave no session.
enum Refused {
    /// Answer with this failure, then close.
    Answer(Failure),
    /// Close without a word, as a system that does not accept connections.
    Silently,
}

/// Serves one connection as one session, until the client closes it or a failure ends it.
pub async fn serve_connection(sap: StubSap, mut stream: TcpStream) -> Result<(), ServeError> {
    stream.set_nodelay(true)?;
    let Some(Request::Open(logon)) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let mut session = match open_session(&sap, &logon) {
        Ok(session) => session,
        Err(Refused::Answer(failure)) => {
            return write_reply(&mut stream, &Reply::Failed(failure)).await;
        }
        Err(Refused::Silently) => return Ok(()),
    };
    let opened = Reply::Opened(system_info(&sap, &session, &logon.language));
    write_reply(&mut stream, &opened).await?;

    while let Some(request) = read_request(&mut stream).await? {
        let next = match request {
            Request::Describe { function } => Next::Answer(describe(&function)),
            Request::Invoke {
                function,
                parameters,
            } => invoke(&mut session, function, parameters).await,
            Request::Ping => Next::Answer(Reply::Pong),
            Request::ResetContext => {
                // A fresh user context on the same logon: pending work is dropped.
                session.reset();
                Next::Answer(Reply::Reset)
            }
            Request::Close | Request::Open(_) => Next::Drop,
        };
        match next {
            Next::Answer(reply) => write_reply(&mut stream, &reply).await?,
            Next::AnswerAndClose(reply) => return write_reply(&mut stream, &reply).await,
            Next::Drop => return Ok(()),
        }
    }
    Ok(())
}

fn open_session(sap: &StubSap, logon: &protocol::Logon) -> Result<Session, Refused> {
    if logon.protocol != protocol::PROTOCOL_VERSION {
        let message = format!(
            "The stub system speaks protocol {}, the library {}; use matching builds",
            protocol::PROTOCOL_VERSION,
            logon.protocol
        );
        let failure = Failure::new(
            rc::VERSION_MISMATCH,
            group::COMMUNICATION_FAILURE,
            "RFC_VERSION_MISMATCH",
            message,
        );
        return Err(Refused::Answer(failure));
    }
    let client = &sap.master_data().system.client;
    if !logon.client.trim().is_empty() && logon.client.trim() != client {
        let message = format!(
            "Client {} is not available in this system",
            logon.client.trim()
        );
        return Err(Refused::Answer(Failure::logon(message)));
    }
    let credentials = Logon {
        user: &logon.user,
        password: &logon.password,
        channel: UserKind::Rfc,
    };
    match sap.open_session(&credentials) {
        Ok(session) => Ok(session),
        Err(LogonError::Failed { .. }) => {
            let refused = Failure::logon("Name or password is incorrect (repeat logon)");
            Err(Refused::Answer(refused))
        }
        Err(LogonError::Refused) => Err(Refused::Silently),
    }
}

fn system_info(sap: &StubSap, session: &Session, language: &str) -> SystemInfo {
    let system = &sap.master_data().system;
    SystemInfo {
        system_id: system.system_id.clone(),
        host: std::env::var("HOSTNAME").unwrap_or_else(|_| "bizsap-stub".to_owned()),
        client: system.client.clone(),
        user: session.user().to_owned(),
        language: sap_language(language).to_owned(),
        release: RELEASE.to_owned(),
        kernel_release: KERNEL_RELEASE.to_owned(),
    }
}

/// SAP's one-letter code of an ISO language, for the languages a bridge is likely to use.
fn sap_language(iso: &str) -> &str {
    match iso.trim().to_ascii_uppercase().as_str() {
        "" | "EN" | "E" => "E",
        "DE" | "D" => "D",
        "KO" | "3" => "3",
        "JA" | "J" => "J",
        "ZH" | "1" => "1",
        _ => "E",
    }
}

fn describe(name: &str) -> Reply {
    match metadata::function(name) {
        Some(desc) => Reply::Described(function_description(desc)),
        None => {
            let message = format!("Function module {name} does not exist in the repository");
            Reply::Failed(Failure::abap_exception("FU_NOT_FOUND", message))
        }
    }
}

async fn invoke(session: &mut Session, function: String, parameters: protocol::Parameters) -> Next {
    let call = FunctionCall {
        parameters: from_wire(parameters),
        function,
    };
    let answer = session.call(&call).await;
    let desc = metadata::function(&call.function);
    match (answer, desc) {
        (Ok(answer), Some(desc)) => Next::Answer(Reply::Returned {
            parameters: to_wire(desc, answer),
        }),
        (Ok(_), None) | (Err(CallError::FunctionNotFound(_)), _) => {
            let message = format!("Function module {} not found", call.function);
            let dump = Failure::abap_runtime("CALL_FUNCTION_NOT_FOUND", message);
            Next::AnswerAndClose(Reply::Failed(dump))
        }
        (Err(error @ CallError::InvalidParameter { .. }), _) => {
            let failure = Failure::external(
                rc::INVALID_PARAMETER,
                "RFC_INVALID_PARAMETER",
                error.to_string(),
            );
            Next::Answer(Reply::Failed(failure))
        }
        (Err(CallError::AbapException { key, message }), _) => {
            Next::Answer(Reply::Failed(Failure::abap_exception(key, message)))
        }
        (Err(CallError::Fault(_) | CallError::SessionClosed), _) => Next::Drop,
    }
}

/// Parameters as the engine takes them: every value as text.
fn from_wire(parameters: protocol::Parameters) -> Parameters {
    let row = |row: Row| -> call::Structure {
        row.into_iter()
            .map(|(name, value)| (name, value.to_text()))
            .collect()
    };
    let mut converted = Parameters::new();
    for (name, value) in parameters {
        let value = match value {
            protocol::Value::Scalar(scalar) => Value::Scalar(scalar.to_text()),
            protocol::Value::Structure(fields) => Value::Structure(row(fields)),
            protocol::Value::Table(rows) => Value::Table(rows.into_iter().map(row).collect()),
        };
        converted.set(name, value);
    }
    converted
}

/// The engine's answer for the wire: INT fields as numbers, everything else as text.
fn to_wire(desc: &FunctionDesc, answer: Parameters) -> protocol::Parameters {
    let mut converted = protocol::Parameters::new();
    for (name, value) in answer.iter() {
        let param = desc.param(name).map(|param| param.param_type);
        let value = match (value, param) {
            (Value::Scalar(text), Some(ParamType::Scalar(field))) => {
                protocol::Value::Scalar(scalar(Some(&field), text))
            }
            (Value::Scalar(text), _) => protocol::Value::Scalar(Scalar::text(text)),
            (Value::Structure(fields), param) => {
                protocol::Value::Structure(row(structure_of(param), fields))
            }
            (Value::Table(rows), param) => {
                let structure = structure_of(param);
                protocol::Value::Table(rows.iter().map(|fields| row(structure, fields)).collect())
            }
        };
        converted.insert(name.to_owned(), value);
    }
    converted
}

fn structure_of(param: Option<ParamType>) -> Option<&'static StructureDesc> {
    match param {
        Some(ParamType::Structure(structure) | ParamType::Table(structure)) => Some(structure),
        _ => None,
    }
}

fn row(structure: Option<&StructureDesc>, fields: &call::Structure) -> Row {
    let field = |name: &str| structure.and_then(|structure| structure.field(name));
    fields
        .iter()
        .map(|(name, text)| (name.clone(), scalar(field(name), text)))
        .collect()
}

fn scalar(field: Option<&FieldDesc>, text: &str) -> Scalar {
    match field.map(|field| field.abap_type) {
        Some(AbapType::Int4) => match text.trim() {
            "" => Scalar::Int(0),
            number => number
                .parse()
                .map_or_else(|_| Scalar::text(text), Scalar::Int),
        },
        _ => Scalar::text(text),
    }
}

/// A function's interface as the library describes it.
pub fn function_description(desc: &FunctionDesc) -> FunctionDescription {
    let parameters = desc
        .params
        .iter()
        .map(|param| {
            let direction = match param.direction {
                metadata::Direction::Import => Direction::Import,
                metadata::Direction::Export => Direction::Export,
                metadata::Direction::Tables => Direction::Tables,
            };
            let described = match param.param_type {
                ParamType::Scalar(field) => {
                    let (field_type, length) = field_type(&field);
                    ParameterDescription {
                        decimals: field.decimals,
                        ..ParameterDescription::scalar(param.name, direction, field_type, length)
                    }
                }
                ParamType::Structure(structure) | ParamType::Table(structure) => {
                    ParameterDescription::structured(
                        param.name,
                        direction,
                        type_description(structure),
                    )
                }
            };
            ParameterDescription {
                optional: param.optional,
                ..described
            }
        })
        .collect();
    FunctionDescription {
        name: desc.name.to_owned(),
        parameters,
    }
}

/// A structure laid out as the ABAP dictionary lays it out.
pub fn type_description(structure: &StructureDesc) -> TypeDescription {
    let specs = structure.fields.iter().map(|field| {
        let (field_type, length) = field_type(field);
        FieldSpec {
            name: field.name,
            field_type,
            length,
            decimals: field.decimals,
        }
    });
    TypeDescription::lay_out(structure.name, specs)
}

/// The RFC type of a dictionary field, and its length in characters or bytes.
fn field_type(field: &FieldDesc) -> (FieldType, u32) {
    match field.abap_type {
        AbapType::Char => (FieldType::Char, field.length),
        AbapType::Numc => (FieldType::Num, field.length),
        AbapType::Dats => (FieldType::Date, 8),
        AbapType::Bcd => (FieldType::Bcd, field.byte_length()),
        AbapType::Int4 => (FieldType::Int, 4),
    }
}

async fn read_request(stream: &mut TcpStream) -> Result<Option<Request>, ServeError> {
    let mut prefix = [0u8; 4];
    match stream.read_exact(&mut prefix).await {
        Ok(_) => {}
        // The client went away between requests: the normal end of a session.
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) if error.kind() == io::ErrorKind::ConnectionReset => return Ok(None),
        Err(error) => return Err(error.into()),
    }
    let mut body = vec![0u8; protocol::frame_length(prefix)?];
    stream.read_exact(&mut body).await?;
    Ok(Some(protocol::decode_body(&body)?))
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply) -> Result<(), ServeError> {
    stream.write_all(&protocol::encode_frame(reply)?).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream as StdStream;
    use std::path::Path;

    use sapnwrfc::protocol::{Logon as WireLogon, PROTOCOL_VERSION, read_frame, write_frame};

    use super::*;
    use crate::stub::sap::{MasterData, StubOptions};

    const EXAMPLE: &str = include_str!("../../../examples/sap-master-data.toml");

    async fn start() -> (SocketAddr, tokio::sync::oneshot::Sender<()>, StubSap) {
        let master = MasterData::parse(EXAMPLE, Path::new("example.toml")).unwrap();
        let sap = StubSap::new(master, StubOptions::default()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = sap.clone();
        tokio::spawn(serve(listener, served, async move {
            let _ = stopped.await;
        }));
        (address, stop, sap)
    }

    fn logon(password: &str) -> Request {
        logon_to("100", password)
    }

    fn logon_to(client: &str, password: &str) -> Request {
        Request::Open(WireLogon {
            protocol: PROTOCOL_VERSION,
            user: "bizsap".into(),
            password: password.into(),
            client: client.into(),
            language: "KO".into(),
            parameters: Default::default(),
        })
    }

    /// Runs a blocking client conversation: each request and the reply it got.
    async fn converse(address: SocketAddr, requests: Vec<Request>) -> Vec<Option<Reply>> {
        tokio::task::spawn_blocking(move || {
            let mut stream = StdStream::connect(address).unwrap();
            requests
                .iter()
                .map(|request| {
                    write_frame(&mut stream, request).ok()?;
                    read_frame::<Reply>(&mut stream).ok()
                })
                .collect()
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_session_logs_on_describes_and_calls() {
        let (address, _stop, _sap) = start().await;
        let commit = Request::Invoke {
            function: "BAPI_TRANSACTION_COMMIT".into(),
            parameters: [(
                "WAIT".to_owned(),
                protocol::Value::Scalar(Scalar::text("X")),
            )]
            .into(),
        };
        let describe = Request::Describe {
            function: "BAPI_ACC_DOCUMENT_POST".into(),
        };
        let replies = converse(address, vec![logon("stub-password"), describe, commit]).await;

        let Some(Reply::Opened(info)) = &replies[0] else {
            panic!("{:?}", replies[0])
        };
        assert_eq!(
            (info.system_id.as_str(), info.client.as_str()),
            ("STB", "100")
        );
        assert_eq!(
            (info.user.as_str(), info.language.as_str()),
            ("BIZSAP", "3")
        );

        let Some(Reply::Described(desc)) = &replies[1] else {
            panic!("{:?}", replies[1])
        };
        let amounts = desc
            .parameters
            .iter()
            .find(|p| p.name == "CURRENCYAMOUNT")
            .unwrap();
        assert_eq!(
            (amounts.direction, amounts.field_type),
            (Direction::Tables, FieldType::Table)
        );
        let row = amounts.structure.as_ref().unwrap();
        let amount = row.fields.iter().find(|f| f.name == "AMT_DOCCUR").unwrap();
        assert_eq!(
            (amount.field_type, amount.nuc_length, amount.decimals),
            (FieldType::Bcd, 12, 4)
        );
        let key = desc
            .parameters
            .iter()
            .find(|p| p.name == "OBJ_KEY")
            .unwrap();
        assert_eq!(
            (key.direction, key.nuc_length, key.uc_length),
            (Direction::Export, 20, 40)
        );

        let Some(Reply::Returned { parameters }) = &replies[2] else {
            panic!("{:?}", replies[2])
        };
        let protocol::Value::Structure(message) = &parameters["RETURN"] else {
            panic!("RETURN is not a structure")
        };
        assert_eq!(
            message["ROW"],
            Scalar::Int(0),
            "INT4 fields travel as numbers"
        );
        assert_eq!(message["TYPE"], Scalar::text(""));
    }

    #[tokio::test]
    async fn a_wrong_password_or_client_is_a_logon_failure() {
        let (address, _stop, _sap) = start().await;
        let replies = converse(address, vec![logon("wrong"), Request::Ping]).await;
        let Some(Reply::Failed(failure)) = &replies[0] else {
            panic!("{:?}", replies[0])
        };
        assert_eq!(
            (failure.code, failure.group),
            (rc::LOGON_FAILURE, group::LOGON_FAILURE)
        );
        assert_eq!(
            replies[1], None,
            "the connection is closed after a failed logon"
        );

        let replies = converse(address, vec![logon_to("200", "stub-password")]).await;
        let Some(Reply::Failed(failure)) = &replies[0] else {
            panic!("{:?}", replies[0])
        };
        assert!(
            failure.message.contains("Client 200"),
            "{}",
            failure.message
        );
    }

    #[tokio::test]
    async fn unknown_functions_are_an_exception_to_describe_and_a_dump_to_call() {
        let (address, _stop, _sap) = start().await;
        let describe = Request::Describe {
            function: "Z_NOPE".into(),
        };
        let call = Request::Invoke {
            function: "Z_NOPE".into(),
            parameters: Default::default(),
        };
        let replies = converse(
            address,
            vec![logon("stub-password"), describe, call, Request::Ping],
        )
        .await;

        let Some(Reply::Failed(missing)) = &replies[1] else {
            panic!("{:?}", replies[1])
        };
        assert_eq!(
            (missing.code, missing.key.as_str()),
            (rc::ABAP_EXCEPTION, "FU_NOT_FOUND")
        );
        let Some(Reply::Failed(dump)) = &replies[2] else {
            panic!("{:?}", replies[2])
        };
        assert_eq!(dump.code, rc::ABAP_RUNTIME_FAILURE);
        assert_eq!(replies[3], None, "a dump ends the session");
    }

    #[tokio::test]
    async fn a_context_reset_keeps_the_session_and_consumes_no_logon_fault() {
        let (address, _stop, sap) = start().await;
        let armed = sap.clone();
        let replies = tokio::task::spawn_blocking(move || {
            let mut stream = StdStream::connect(address).unwrap();
            let mut send = |request: &Request| {
                write_frame(&mut stream, request).unwrap();
                read_frame::<Reply>(&mut stream).unwrap()
            };
            let opened = send(&logon("stub-password"));
            // Refusing new connections must not touch the session that is already open.
            let rule = crate::stub::sap::FaultRule::times(
                crate::stub::sap::FaultKind::RefuseConnections,
                1,
            );
            armed.arm_fault(rule).unwrap();
            [opened, send(&Request::ResetContext), send(&Request::Ping)]
        })
        .await
        .unwrap();

        assert!(matches!(replies[0], Reply::Opened(_)), "{:?}", replies[0]);
        assert_eq!(replies[1], Reply::Reset);
        assert_eq!(replies[2], Reply::Pong);
        let left = sap.faults().rules;
        assert_eq!(left.len(), 1, "the refusal is still armed: {left:?}");
    }

    #[tokio::test]
    async fn a_listener_serves_until_shut_down_and_drops_its_connections() {
        let master = MasterData::parse(EXAMPLE, Path::new("example.toml")).unwrap();
        let sap = StubSap::new(master, StubOptions::default()).unwrap();
        let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0)), sap)
            .await
            .unwrap();
        let address = listener.addr();
        let mut open = tokio::net::TcpStream::connect(address).await.unwrap();
        open.write_all(&protocol::encode_frame(&logon("stub-password")).unwrap())
            .await
            .unwrap();
        let mut prefix = [0u8; 4];
        open.read_exact(&mut prefix).await.unwrap();
        let mut body = vec![0u8; protocol::frame_length(prefix).unwrap()];
        open.read_exact(&mut body).await.unwrap();

        listener.shutdown().await.unwrap();
        let mut rest = Vec::new();
        let read = open.read_to_end(&mut rest).await;
        assert!(matches!(read, Ok(0) | Err(_)), "the connection is dropped");
        assert!(tokio::net::TcpStream::connect(address).await.is_err());
    }

    #[test]
    fn structures_are_laid_out_from_the_dictionary() {
        let bapiret2 = type_description(&metadata::BAPIRET2);
        let field = |name: &str| bapiret2.fields.iter().find(|f| f.name == name).unwrap();
        assert_eq!(field("TYPE").uc_offset, 0);
        assert_eq!((field("ID").uc_offset, field("ID").uc_length), (2, 40));
        // ROW follows PARAMETER (CHAR 32) and is aligned to four bytes.
        assert_eq!(field("ROW").uc_offset % 4, 0);
        assert_eq!(field("ROW").field_type, FieldType::Int);
        assert_eq!(bapiret2.uc_length % 4, 0);
    }
}
