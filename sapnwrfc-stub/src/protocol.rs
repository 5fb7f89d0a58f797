//! The wire between the stub `libsapnwrfc` and the stub SAP server.
//!
//! # Shape
//!
//! One TCP connection is one SAP session, as one RFC connection is one user session in a real
//! system: postings a BAPI leaves pending live in it until BAPI_TRANSACTION_COMMIT on the same
//! connection, and die with it when the connection drops. The library finds the server as a
//! real client finds an application server: `ashost` plus port 33NN for system number NN, or
//! an explicit numeric `gwserv` (see [`gateway_port`]).
//!
//! Every message is one frame: a four-byte big-endian length, then that many bytes of UTF-8
//! JSON. The client speaks first and the server answers each [`Request`] with exactly one
//! [`Reply`], in order:
//!
//! ```text
//! client                              server
//!   Open {user, password, client} ──▶
//!                                 ◀── Opened {system id, release ...} | Failed (then closes)
//!   Describe {function}           ──▶
//!                                 ◀── Described {parameters, structures, offsets} | Failed
//!   Invoke {function, parameters} ──▶
//!                                 ◀── Returned {parameters} | Failed | (connection dropped)
//!   Close                         ──▶ (server ends the session, discarding pending work)
//! ```
//!
//! A server that drops the connection instead of answering is what a crashed or unreachable
//! SAP system looks like; the library reports it as `RFC_COMMUNICATION_FAILURE`.
//!
//! # Why JSON frames
//!
//! The stub is a test instrument, and its wire should be readable in a packet capture or a
//! log line. JSON over a plain `std` socket needs nothing beyond serde, which both ends
//! already use, and costs microseconds beside the tens of milliseconds a posting takes in
//! SAP. A length prefix, rather than newline-delimited JSON, lets either side read a frame
//! with two exact reads and refuse an oversized one before allocating it.
//!
//! # Values
//!
//! Parameters travel by name. A scalar is a JSON string or number, a structure an object of
//! field name to scalar, and a table an array of such objects. CHAR, NUM, DATE and TIME are
//! strings; INT values are numbers; BCD values are decimal strings (`"-55000.0000"`), as
//! SAP's own bindings set them, so no amount passes through a float. Only fields the caller
//! set are sent: a field that is absent is initial.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Version of this protocol, sent with [`Logon`]; a server refuses others.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest frame either side accepts. RFC_READ_TABLE answers are the biggest messages.
pub const MAX_FRAME_BYTES: u32 = 64 * 1024 * 1024;

/// `RFC_RC` values the stub uses, as the SDK numbers them.
pub mod rc {
    pub const OK: i32 = 0;
    pub const COMMUNICATION_FAILURE: i32 = 1;
    pub const LOGON_FAILURE: i32 = 2;
    pub const ABAP_RUNTIME_FAILURE: i32 = 3;
    pub const ABAP_MESSAGE: i32 = 4;
    pub const ABAP_EXCEPTION: i32 = 5;
    pub const CLOSED: i32 = 6;
    pub const CANCELED: i32 = 7;
    pub const TIMEOUT: i32 = 8;
    pub const MEMORY_INSUFFICIENT: i32 = 9;
    pub const VERSION_MISMATCH: i32 = 10;
    pub const INVALID_PROTOCOL: i32 = 11;
    pub const SERIALIZATION_FAILURE: i32 = 12;
    pub const INVALID_HANDLE: i32 = 13;
    pub const NOT_FOUND: i32 = 17;
    pub const NOT_SUPPORTED: i32 = 18;
    pub const ILLEGAL_STATE: i32 = 19;
    pub const INVALID_PARAMETER: i32 = 20;
    pub const CONVERSION_FAILURE: i32 = 22;
    pub const BUFFER_TOO_SMALL: i32 = 23;
    pub const TABLE_MOVE_BOF: i32 = 24;
    pub const TABLE_MOVE_EOF: i32 = 25;
    pub const UNKNOWN_ERROR: i32 = 28;
}

/// `RFC_ERROR_GROUP` values, as the SDK numbers them.
pub mod group {
    pub const OK: i32 = 0;
    pub const ABAP_APPLICATION_FAILURE: i32 = 1;
    pub const ABAP_RUNTIME_FAILURE: i32 = 2;
    pub const LOGON_FAILURE: i32 = 3;
    pub const COMMUNICATION_FAILURE: i32 = 4;
    pub const EXTERNAL_RUNTIME_FAILURE: i32 = 5;
}

/// What the library sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// Log on; always the first request of a connection.
    Open(Logon),
    /// The interface of a function module, from the system's repository.
    Describe {
        function: String,
    },
    /// Call a function module with its importing, changing and tables parameters.
    Invoke {
        function: String,
        #[serde(default)]
        parameters: Parameters,
    },
    Ping,
    /// End the user context (discarding pending work) but keep the connection.
    ResetContext,
    /// End the session; the server answers nothing.
    Close,
}

/// Credentials and the other connection parameters.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Logon {
    pub protocol: u32,
    pub user: String,
    pub password: String,
    pub client: String,
    pub language: String,
    /// The remaining connection parameters (lower-case names), without secrets, so the
    /// server can show what a client asked for (SNC, saprouter ...).
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

impl fmt::Debug for Logon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logon")
            .field("protocol", &self.protocol)
            .field("user", &self.user)
            .field("client", &self.client)
            .field("language", &self.language)
            .field("parameters", &self.parameters)
            .finish_non_exhaustive()
    }
}

/// What the server answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Opened(SystemInfo),
    Described(FunctionDescription),
    Returned {
        #[serde(default)]
        parameters: Parameters,
    },
    Pong,
    Reset,
    Failed(Failure),
}

/// The system a session is logged on to, for `RfcGetConnectionAttributes` and as the key of
/// the function-description cache.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// Three-character SAP system id.
    pub system_id: String,
    pub host: String,
    pub client: String,
    /// The user as the system knows it (upper case).
    pub user: String,
    pub language: String,
    /// SAP release, e.g. `750`.
    pub release: String,
    pub kernel_release: String,
}

/// An error as the SDK reports it in `RFC_ERROR_INFO`; `code` and `group` are raw `RFC_RC`
/// and `RFC_ERROR_GROUP` values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: i32,
    pub group: i32,
    pub key: String,
    pub message: String,
    /// Boxed: most failures have none, and a small failure keeps every `Result` small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abap_message: Option<Box<AbapMessage>>,
}

/// The ABAP message (class, type, number and variables) an error carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbapMessage {
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub number: String,
    #[serde(default)]
    pub v1: String,
    #[serde(default)]
    pub v2: String,
    #[serde(default)]
    pub v3: String,
    #[serde(default)]
    pub v4: String,
}

impl Failure {
    pub fn new(code: i32, group: i32, key: &str, message: impl Into<String>) -> Self {
        let (key, message) = (key.to_owned(), message.into());
        Self {
            code,
            group,
            key,
            message,
            abap_message: None,
        }
    }

    /// User, password or client refused.
    pub fn logon(message: impl Into<String>) -> Self {
        Self::new(
            rc::LOGON_FAILURE,
            group::LOGON_FAILURE,
            "RFC_LOGON_FAILURE",
            message,
        )
    }

    /// The partner could not be reached or the connection broke.
    pub fn communication(message: impl Into<String>) -> Self {
        let key = "RFC_COMMUNICATION_FAILURE";
        Self::new(
            rc::COMMUNICATION_FAILURE,
            group::COMMUNICATION_FAILURE,
            key,
            message,
        )
    }

    /// A classic exception the function module raised; the session goes on.
    pub fn abap_exception(key: &str, message: impl Into<String>) -> Self {
        Self::new(
            rc::ABAP_EXCEPTION,
            group::ABAP_APPLICATION_FAILURE,
            key,
            message,
        )
    }

    /// A short dump in the called system; the session is over.
    pub fn abap_runtime(key: &str, message: impl Into<String>) -> Self {
        Self::new(
            rc::ABAP_RUNTIME_FAILURE,
            group::ABAP_RUNTIME_FAILURE,
            key,
            message,
        )
    }

    /// An error detected on the client side (bad parameter, wrong type, bad handle).
    pub fn external(code: i32, key: &str, message: impl Into<String>) -> Self {
        Self::new(code, group::EXTERNAL_RUNTIME_FAILURE, key, message)
    }

    /// Whether the SDK closes the connection after this error, as it does after
    /// communication failures, ABAP messages and runtime failures.
    pub fn closes_connection(&self) -> bool {
        matches!(
            self.code,
            rc::COMMUNICATION_FAILURE | rc::ABAP_RUNTIME_FAILURE | rc::ABAP_MESSAGE | rc::CANCELED
        )
    }
}

/// Type of a parameter or field, as the repository describes it; each maps to one
/// `RFCTYPE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FieldType {
    Char,
    Num,
    Date,
    Time,
    Bcd,
    Int,
    Int1,
    Int2,
    Structure,
    Table,
}

impl FieldType {
    /// Non-Unicode and Unicode byte lengths of a field of `length` characters (CHAR, NUM)
    /// or bytes (BCD); fixed types ignore `length`.
    pub fn byte_lengths(self, length: u32) -> (u32, u32) {
        match self {
            FieldType::Char | FieldType::Num => (length, 2 * length),
            FieldType::Date => (8, 16),
            FieldType::Time => (6, 12),
            FieldType::Bcd => (length, length),
            FieldType::Int => (4, 4),
            FieldType::Int2 => (2, 2),
            FieldType::Int1 => (1, 1),
            FieldType::Structure | FieldType::Table => (length, length),
        }
    }

    /// Alignment in the non-Unicode and the Unicode layout, as the ABAP dictionary aligns.
    fn alignment(self) -> (u32, u32) {
        match self {
            FieldType::Char | FieldType::Num | FieldType::Date | FieldType::Time => (1, 2),
            FieldType::Bcd | FieldType::Int1 => (1, 1),
            FieldType::Int2 => (2, 2),
            FieldType::Int => (4, 4),
            FieldType::Structure | FieldType::Table => (8, 8),
        }
    }
}

/// Direction of a function parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Direction {
    Import,
    Export,
    Changing,
    Tables,
}

/// A function module's interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionDescription {
    pub name: String,
    pub parameters: Vec<ParameterDescription>,
}

/// One parameter; `structure` describes a STRUCTURE parameter or a TABLE's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterDescription {
    pub name: String,
    pub direction: Direction,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub nuc_length: u32,
    pub uc_length: u32,
    #[serde(default)]
    pub decimals: u32,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub default_value: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure: Option<TypeDescription>,
}

impl ParameterDescription {
    /// An elementary parameter of `length` characters or bytes.
    pub fn scalar(name: &str, direction: Direction, field_type: FieldType, length: u32) -> Self {
        let (nuc_length, uc_length) = field_type.byte_lengths(length);
        Self {
            name: name.to_owned(),
            direction,
            field_type,
            nuc_length,
            uc_length,
            decimals: 0,
            optional: false,
            default_value: String::new(),
            text: String::new(),
            structure: None,
        }
    }

    /// A STRUCTURE parameter, or with [`Direction::Tables`] a table of such rows.
    pub fn structured(name: &str, direction: Direction, row: TypeDescription) -> Self {
        let field_type = match direction {
            Direction::Tables => FieldType::Table,
            _ => FieldType::Structure,
        };
        let (nuc_length, uc_length) = match field_type {
            FieldType::Table => (8, 8),
            _ => (row.nuc_length, row.uc_length),
        };
        Self {
            structure: Some(row),
            nuc_length,
            uc_length,
            ..Self::scalar(name, direction, field_type, 0)
        }
    }
}

/// A structure type: its fields with their positions in both layouts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDescription {
    pub name: String,
    pub nuc_length: u32,
    pub uc_length: u32,
    pub fields: Vec<FieldDescription>,
}

/// One field of a structure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDescription {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub nuc_length: u32,
    pub nuc_offset: u32,
    pub uc_length: u32,
    pub uc_offset: u32,
    #[serde(default)]
    pub decimals: u32,
}

/// A field as the dictionary defines it, before it is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec<'a> {
    pub name: &'a str,
    pub field_type: FieldType,
    /// Characters for CHAR and NUM, bytes for BCD; ignored for fixed-length types.
    pub length: u32,
    pub decimals: u32,
}

impl TypeDescription {
    /// Lays fields out one after another as the ABAP dictionary does: each at the next
    /// offset its alignment allows, the whole padded to its strictest alignment.
    pub fn lay_out<'a>(name: &str, specs: impl IntoIterator<Item = FieldSpec<'a>>) -> Self {
        let (mut nuc_end, mut uc_end, mut nuc_align, mut uc_align) = (0u32, 0u32, 1u32, 1u32);
        let mut fields = Vec::new();
        for spec in specs {
            let (nuc_length, uc_length) = spec.field_type.byte_lengths(spec.length);
            let (nuc_step, uc_step) = spec.field_type.alignment();
            let nuc_offset = nuc_end.next_multiple_of(nuc_step);
            let uc_offset = uc_end.next_multiple_of(uc_step);
            nuc_end = nuc_offset + nuc_length;
            uc_end = uc_offset + uc_length;
            nuc_align = nuc_align.max(nuc_step);
            uc_align = uc_align.max(uc_step);
            fields.push(FieldDescription {
                name: spec.name.to_owned(),
                field_type: spec.field_type,
                nuc_length,
                nuc_offset,
                uc_length,
                uc_offset,
                decimals: spec.decimals,
            });
        }
        Self {
            name: name.to_owned(),
            nuc_length: nuc_end.next_multiple_of(nuc_align),
            uc_length: uc_end.next_multiple_of(uc_align),
            fields,
        }
    }
}

/// Parameters of a call or of its answer, by name.
pub type Parameters = BTreeMap<String, Value>;

/// One structure or table row: field name → value.
pub type Row = BTreeMap<String, Scalar>;

/// The value of one parameter; its JSON kind says which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Scalar(Scalar),
    Structure(Row),
    Table(Vec<Row>),
}

/// An elementary value: INT types as numbers, everything else as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Int(i64),
    Text(String),
}

impl Scalar {
    pub fn text(value: impl Into<String>) -> Self {
        Scalar::Text(value.into())
    }

    /// The value as text, as an RFC layer would convert it for a character field.
    pub fn to_text(&self) -> String {
        match self {
            Scalar::Int(value) => value.to_string(),
            Scalar::Text(value) => value.clone(),
        }
    }
}

/// The port of an SAP gateway: `sapgwNN` and system number `NN` both mean 33NN; a number
/// is taken as it is, which lets tests use free ports.
pub fn gateway_port(gwserv: Option<&str>, sysnr: Option<&str>) -> Option<u16> {
    if let Some(service) = gwserv.map(str::trim).filter(|s| !s.is_empty()) {
        let lower = service.to_ascii_lowercase();
        return match lower.strip_prefix("sapgw") {
            Some(nn) => system_number_port(nn),
            None => service.parse().ok(),
        };
    }
    system_number_port(sysnr?.trim())
}

fn system_number_port(nn: &str) -> Option<u16> {
    let valid = (1..=2).contains(&nn.len()) && nn.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| 3300 + nn.parse::<u16>().unwrap_or(0))
}

/// Why a frame could not be read or written.
#[derive(Debug)]
pub enum FrameError {
    /// The peer closed the connection between frames.
    Closed,
    Io(io::Error),
    /// The length prefix exceeds [`MAX_FRAME_BYTES`].
    TooLarge(u32),
    Json(serde_json::Error),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Closed => f.write_str("connection closed by the partner"),
            FrameError::Io(error) => write!(f, "{error}"),
            FrameError::TooLarge(length) => {
                write!(f, "frame of {length} bytes exceeds {MAX_FRAME_BYTES}")
            }
            FrameError::Json(error) => write!(f, "malformed frame: {error}"),
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FrameError::Io(error) => Some(error),
            FrameError::Json(error) => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for FrameError {
    fn from(error: io::Error) -> Self {
        FrameError::Io(error)
    }
}

/// A message as one frame: length prefix and JSON body. For servers that do their own I/O.
pub fn encode_frame<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    let body = serde_json::to_vec(message).map_err(FrameError::Json)?;
    let length = u32::try_from(body.len())
        .ok()
        .filter(|&length| length <= MAX_FRAME_BYTES)
        .ok_or(FrameError::TooLarge(u32::MAX))?;
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(&body);
    Ok(frame)
}

/// The body length a frame's prefix announces, checked against [`MAX_FRAME_BYTES`].
pub fn frame_length(prefix: [u8; 4]) -> Result<usize, FrameError> {
    let length = u32::from_be_bytes(prefix);
    match length <= MAX_FRAME_BYTES {
        true => Ok(length as usize),
        false => Err(FrameError::TooLarge(length)),
    }
}

/// Parses a frame's body.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, FrameError> {
    serde_json::from_slice(body).map_err(FrameError::Json)
}

/// Writes one message as a frame.
pub fn write_frame<T: Serialize>(writer: &mut impl Write, message: &T) -> Result<(), FrameError> {
    writer.write_all(&encode_frame(message)?)?;
    writer.flush()?;
    Ok(())
}

/// Reads one frame; [`FrameError::Closed`] when the peer closed the connection cleanly
/// before it.
pub fn read_frame<T: DeserializeOwned>(reader: &mut impl Read) -> Result<T, FrameError> {
    let mut prefix = [0u8; 4];
    let mut filled = 0;
    while filled < prefix.len() {
        match reader.read(&mut prefix[filled..]) {
            Ok(0) if filled == 0 => return Err(FrameError::Closed),
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error.into()),
        }
    }
    let mut body = vec![0u8; frame_length(prefix)?];
    reader.read_exact(&mut body)?;
    decode_body(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_mark_a_clean_close() {
        let request = Request::Invoke {
            function: "BAPI_TRANSACTION_COMMIT".into(),
            parameters: Parameters::from([("WAIT".into(), Value::Scalar(Scalar::text("X")))]),
        };
        let mut wire = Vec::new();
        write_frame(&mut wire, &request).unwrap();
        write_frame(&mut wire, &Request::Ping).unwrap();
        assert_eq!(
            u32::from_be_bytes(wire[..4].try_into().unwrap()) as usize + 4,
            { encode_frame(&request).unwrap().len() }
        );

        let mut reader = wire.as_slice();
        assert_eq!(read_frame::<Request>(&mut reader).unwrap(), request);
        assert_eq!(read_frame::<Request>(&mut reader).unwrap(), Request::Ping);
        assert!(matches!(
            read_frame::<Request>(&mut reader),
            Err(FrameError::Closed)
        ));
    }

    #[test]
    fn a_truncated_or_oversized_frame_is_an_error() {
        let frame = encode_frame(&Request::Ping).unwrap();
        let mut truncated = &frame[..frame.len() - 1];
        assert!(matches!(
            read_frame::<Request>(&mut truncated),
            Err(FrameError::Io(_))
        ));

        let huge = (MAX_FRAME_BYTES + 1).to_be_bytes();
        let mut reader = &huge[..];
        assert!(matches!(
            read_frame::<Request>(&mut reader),
            Err(FrameError::TooLarge(_))
        ));
    }

    #[test]
    fn values_keep_their_json_kinds() {
        let json = r#"{"WAIT":"X","ROWCOUNT":5,"HEADER":{"AMT":"-1.50"},"RETURN":[{"ROW":1}]}"#;
        let parameters: Parameters = serde_json::from_str(json).unwrap();
        assert_eq!(parameters["WAIT"], Value::Scalar(Scalar::text("X")));
        assert_eq!(parameters["ROWCOUNT"], Value::Scalar(Scalar::Int(5)));
        let Value::Structure(header) = &parameters["HEADER"] else {
            panic!("not a structure")
        };
        assert_eq!(header["AMT"].to_text(), "-1.50");
        let Value::Table(rows) = &parameters["RETURN"] else {
            panic!("not a table")
        };
        assert_eq!(rows[0]["ROW"], Scalar::Int(1));
    }

    #[test]
    fn structures_are_laid_out_with_abap_alignment() {
        let spec = |name, field_type, length| FieldSpec {
            name,
            field_type,
            length,
            decimals: 0,
        };
        let row = TypeDescription::lay_out(
            "ZROW",
            [
                spec("TYPE", FieldType::Char, 1),
                spec("AMOUNT", FieldType::Bcd, 12),
                spec("ROW", FieldType::Int, 4),
                spec("DATE", FieldType::Date, 8),
            ],
        );
        let offsets: Vec<_> = row
            .fields
            .iter()
            .map(|f| (f.nuc_offset, f.uc_offset))
            .collect();
        // BCD is not aligned, INT4 is, and characters take two bytes in the Unicode layout.
        assert_eq!(offsets, [(0, 0), (1, 2), (16, 16), (20, 20)]);
        assert_eq!((row.nuc_length, row.uc_length), (28, 36));
    }

    #[test]
    fn gateway_ports_follow_the_system_number() {
        assert_eq!(gateway_port(None, Some("00")), Some(3300));
        assert_eq!(gateway_port(None, Some("42")), Some(3342));
        assert_eq!(gateway_port(Some("sapgw07"), Some("00")), Some(3307));
        assert_eq!(gateway_port(Some("47123"), Some("00")), Some(47123));
        assert_eq!(gateway_port(None, Some("100")), None);
        assert_eq!(gateway_port(None, None), None);
        assert_eq!(gateway_port(Some("sapgw"), None), None);
    }

    #[test]
    fn logon_debug_output_hides_the_password() {
        let logon = Logon {
            protocol: PROTOCOL_VERSION,
            user: "BIZSAP".into(),
            password: "s3cret".into(),
            client: "100".into(),
            language: "EN".into(),
            parameters: BTreeMap::new(),
        };
        assert!(!format!("{logon:?}").contains("s3cret"));
    }
}
