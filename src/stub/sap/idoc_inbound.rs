//! The stub's IDoc XML inbound, shaped like SAP's ICF service `/sap/bc/idoc_xml`, and the
//! status API that tells a sender what became of each IDoc.
//!
//! # What a request goes through
//!
//! ```text
//!   logon: sap-client, Basic auth, a user of kind http      401 / 503 (refused, fault)
//!   body within the limit                                   413
//!   packet read against ACC_DOCUMENT03, no DOCTYPE          400
//!   each IDoc stored with a new DOCNUM: 50 added, 64 ready  (a known message id: not stored)
//!   each stored IDoc, in packet order, in an engine session:
//!       BAPI_ACC_DOCUMENT_POST or _REV_POST, then BAPI_TRANSACTION_COMMIT WAIT = 'X'
//!       ──▶ 53 posted, STAPA1..3 = OBJ_TYPE, OBJ_KEY, OBJ_SYS
//!       ──▶ 51 not posted, one status record per error message
//!   200 {"idocs": [{"DOCNUM", "transfer_id", "message_id", "duplicate"}]}
//! ```
//!
//! SAP answers 200 as soon as the IDocs are stored and posts them later in its inbound
//! process; the stub posts before it answers, so the statuses are final when the answer
//! arrives. The answer names DOCNUMs only, never an outcome, so a sender written against the
//! stub polls the status API exactly as it must poll a real system.
//!
//! # Exactly once
//!
//! An IDoc carrying a message id in ARCKEY (`urn:sap.com:msgid=...`) is recognised when it
//! comes again: the id is looked up and reserved under one lock at reception, so neither a
//! resend nor a concurrent request with the same IDoc can post it twice. A known id is never
//! posted again, whatever its IDoc's status; the answer names the first DOCNUM with
//! `"duplicate": true`. An IDoc without a message id is posted every time it arrives, as the
//! plain ICF service has no documented duplicate check.
//!
//! # Faults
//!
//! The engine's faults act on the postings; what the sender sees is the HTTP form of each:
//!
//! * `latency`: a slower answer, as every BAPI call waits;
//! * `refuse_connections`: 503 at logon, nothing read or stored;
//! * `fail_before_posting`, or a refused logon again after a fault ended the session: 500;
//!   the IDoc it hit and those after it in the packet are withdrawn (unknown, so a resend
//!   posts them), those before keep their status;
//! * `lose_reply_after_commit`: the IDoc is posted (53), the rest of the packet too, and
//!   then the connection is closed without an answer;
//! * `lock_error`, `update_failure`: 51 with the engine's messages.
//!
//! # Status records on a real system
//!
//! SAP has no HTTP service for IDoc statuses. A sender reads them through RFC (tables EDIDC
//! and EDIDS, e.g. with RFC_READ_TABLE) or receives them as ALEAUD audit IDocs; the status
//! API here answers the same question (DOCNUM or message id to status records) in JSON.
//!
//! # State file
//!
//! With a state file, the IDoc records and the DOCNUM counter are rewritten after each
//! change, atomically as the ledger is, so a restart keeps DOCNUM ↔ message id and a resend
//! after the restart is still recognised. The ledger has its own file; a crash between the
//! commit of a document and the write of its 53 leaves the IDoc at 64.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, HttpBody};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::call::{FunctionCall, Structure};
use super::engine::{CallError, InjectedFault, Logon, LogonError, Session, StubSap};
use super::ledger::write_atomically;
use super::master_data::UserKind;
use super::messages::{BapiReturn, MessageDef};
use super::metadata::{self, sap_length};
use crate::sap::idoc::{IdocSchema, MSGID_PREFIX, ReadError, ReadIdoc, ReadLimits, read_packet};

/// Path of the ICF service.
pub const ICF_PATH: &str = "/sap/bc/idoc_xml";

/// Largest request body the inbound reads by default: 8 MiB, thousands of documents.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 << 20;

/// How much of a body is read and discarded before an early answer (401, 413): a client
/// still sending when the server closes the connection may see a reset instead of it.
const DRAIN_LIMIT: usize = 64 << 20;

/// Length of STATXT in a status record (EDIDS), in UTF-16 units.
const STATXT_LEN: usize = 70;

/// A call the stub could not pass to the engine; only a defect of the stub leads here.
const NOT_PASSED: MessageDef = MessageDef {
    class: "ZSTUB",
    number: 100,
    text: "The IDoc could not be passed to the application: &1",
    modelled_on_sap: false,
};

/// How the inbound is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundOptions {
    /// Bodies above this many bytes are answered 413.
    pub max_body_bytes: usize,
    /// Keeps the IDoc records in this file across restarts; `None` keeps them in memory.
    pub state_file: Option<PathBuf>,
}

impl Default for InboundOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            state_file: None,
        }
    }
}

impl InboundOptions {
    /// The IDoc state file that goes with a ledger state file: `ledger.json` keeps its
    /// IDocs in `ledger.idocs.json`.
    pub fn state_file_beside(ledger: &Path) -> PathBuf {
        let stem = ledger.file_stem().unwrap_or_default().to_string_lossy();
        ledger.with_file_name(format!("{stem}.idocs.json"))
    }
}

/// Status of an inbound IDoc (EDIDS-STATUS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdocStatus {
    #[serde(rename = "50")]
    Added,
    #[serde(rename = "64")]
    ReadyForApplication,
    #[serde(rename = "53")]
    Posted,
    #[serde(rename = "51")]
    NotPosted,
}

impl IdocStatus {
    pub fn code(self) -> &'static str {
        match self {
            IdocStatus::Added => "50",
            IdocStatus::ReadyForApplication => "64",
            IdocStatus::Posted => "53",
            IdocStatus::NotPosted => "51",
        }
    }
}

/// One status record of an IDoc, with EDIDS's field names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRecord {
    #[serde(rename = "STATUS")]
    pub status: IdocStatus,
    /// When it was written, RFC 3339 in UTC.
    pub timestamp: String,
    /// Date and time in the stub's time zone, as SAP writes them in its system time.
    #[serde(rename = "LOGDAT")]
    pub date: String,
    #[serde(rename = "LOGTIM")]
    pub time: String,
    /// Type, class and number of the message the status was set with; blank without one.
    #[serde(rename = "STATYP")]
    pub message_type: String,
    #[serde(rename = "STAMID")]
    pub message_class: String,
    #[serde(rename = "STAMNO")]
    pub message_number: String,
    #[serde(rename = "STAPA1")]
    pub stapa1: String,
    #[serde(rename = "STAPA2")]
    pub stapa2: String,
    #[serde(rename = "STAPA3")]
    pub stapa3: String,
    #[serde(rename = "STAPA4")]
    pub stapa4: String,
    #[serde(rename = "STATXT")]
    pub text: String,
}

/// One received IDoc: its number, control record, status records and the messages of its
/// posting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdocRecord {
    #[serde(rename = "DOCNUM")]
    pub docnum: String,
    /// The current status: that of the last status record.
    #[serde(rename = "STATUS")]
    pub status: IdocStatus,
    /// The id in ARCKEY without its prefix; `None` when the sender set none.
    pub message_id: Option<String>,
    /// The sender's own DOCNUM in the control record, if it sent one.
    pub transfer_id: Option<String>,
    /// The control record as received, with this system's DOCNUM and client.
    pub control: BTreeMap<String, String>,
    pub statuses: Vec<StatusRecord>,
    /// The posting's return messages as BAPIRET2 rows, errors and successes alike.
    pub messages: Vec<Structure>,
}

/// What the answer says of one IDoc of the packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assignment {
    #[serde(rename = "DOCNUM")]
    pub docnum: String,
    pub transfer_id: Option<String>,
    pub message_id: Option<String>,
    /// The message id was known: nothing was stored or posted, `DOCNUM` is the first IDoc's.
    pub duplicate: bool,
}

/// The outcome of a request that was processed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// One entry per IDoc of the packet, in packet order.
    pub idocs: Vec<Assignment>,
    /// An injected fault lost the answer after a commit; the transport must not answer.
    #[serde(skip)]
    pub reply_lost: bool,
}

/// User and password from a Basic `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Reads `Basic <base64(user:password)>`; `None` for any other form.
    pub fn from_basic(authorization: &str) -> Option<Self> {
        let (scheme, encoded) = authorization.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(decode_base64(encoded.trim())?).ok()?;
        let (user, password) = decoded.split_once(':')?;
        Some(Self {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// A logged-on request: its session and the credentials to log on again after a fault.
#[derive(Debug)]
pub struct Connection {
    session: Session,
    credentials: Credentials,
}

/// Why a request was not processed, or not to its end.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// The client is part of the logon, so a wrong one fails the logon.
    #[error("Client {0} is not available in this system")]
    UnknownClient(String),
    #[error("Logon failed: the request has no Basic credentials")]
    NoCredentials,
    #[error("Logon failed: {0}")]
    Logon(#[from] LogonError),
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the request body could not be read: {0}")]
    Body(String),
    #[error("the IDoc packet was refused: {0}")]
    Unreadable(#[from] ReadError),
    #[error(
        "connection to the application lost at IDoc {position} of the packet (injected fault); \
         it and the IDocs after it were not stored"
    )]
    CommunicationFailure { position: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl InboundError {
    /// The HTTP status the transport answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            InboundError::UnknownClient(_)
            | InboundError::NoCredentials
            | InboundError::Logon(LogonError::Failed { .. }) => StatusCode::UNAUTHORIZED,
            InboundError::Logon(LogonError::Refused) => StatusCode::SERVICE_UNAVAILABLE,
            InboundError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            InboundError::Body(_) | InboundError::Unreadable(_) => StatusCode::BAD_REQUEST,
            InboundError::CommunicationFailure { .. } | InboundError::Store(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// Why the IDoc state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read IDoc state file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("IDoc state file {} is not a stub SAP IDoc store: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "IDoc state file {} has version {found}; this build reads version {STORE_VERSION}",
        path.display()
    )]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write IDoc state file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The inbound: the engine it posts through and the IDocs it has received. Cloning is cheap
/// and shares both.
#[derive(Clone)]
pub struct IdocInbound {
    shared: Arc<Shared>,
}

struct Shared {
    sap: StubSap,
    options: InboundOptions,
    store: Mutex<IdocStore>,
}

impl std::fmt::Debug for IdocInbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdocInbound")
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

impl IdocInbound {
    /// Starts the inbound, reading earlier IDocs from the state file when there is one.
    pub fn new(sap: StubSap, options: InboundOptions) -> Result<Self, StoreError> {
        let store = match &options.state_file {
            Some(path) => IdocStore::load(path)?,
            None => IdocStore::default(),
        };
        let shared = Shared {
            sap,
            options,
            store: Mutex::new(store),
        };
        Ok(Self {
            shared: Arc::new(shared),
        })
    }

    /// An inbound with the default limit, keeping its IDocs in memory.
    pub fn in_memory(sap: StubSap) -> Self {
        let shared = Shared {
            sap,
            options: InboundOptions::default(),
            store: Mutex::new(IdocStore::default()),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    pub fn sap(&self) -> &StubSap {
        &self.shared.sap
    }

    pub fn options(&self) -> &InboundOptions {
        &self.shared.options
    }

    fn store(&self) -> MutexGuard<'_, IdocStore> {
        // A panic while one request held the lock must not stop the others.
        self.shared
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Every IDoc received, in DOCNUM order.
    pub fn idocs(&self) -> Vec<IdocRecord> {
        self.store().idocs.values().cloned().collect()
    }

    /// The IDoc with this number; leading zeros may be left out.
    pub fn by_docnum(&self, docnum: &str) -> Option<IdocRecord> {
        let number = parse_docnum(docnum)?;
        self.store().idocs.get(&number).cloned()
    }

    /// The IDoc that came with this message id, given with or without its ARCKEY prefix.
    pub fn by_message_id(&self, id: &str) -> Option<IdocRecord> {
        let id = id.strip_prefix(MSGID_PREFIX).unwrap_or(id);
        let store = self.store();
        let number = store.by_message_id.get(id)?;
        store.idocs.get(number).cloned()
    }

    /// Forgets every IDoc and restarts the DOCNUMs.
    pub fn reset(&self) -> Result<(), StoreError> {
        let mut store = self.store();
        *store = IdocStore::default();
        self.save(&store)
    }

    /// Logs on as the ICF service does: the client must be this system's, the user one of
    /// kind `http`. Without `sap-client` the system's client is taken, as ICF takes its
    /// default client.
    pub fn logon(
        &self,
        client: Option<&str>,
        credentials: Option<Credentials>,
    ) -> Result<Connection, InboundError> {
        let own = &self.sap().master_data().system.client;
        if let Some(client) = client.filter(|client| client != own) {
            return Err(InboundError::UnknownClient(client.to_owned()));
        }
        let credentials = credentials.ok_or(InboundError::NoCredentials)?;
        let session = self.open_session(&credentials)?;
        Ok(Connection {
            session,
            credentials,
        })
    }

    fn open_session(&self, credentials: &Credentials) -> Result<Session, LogonError> {
        let logon = Logon {
            user: &credentials.user,
            password: &credentials.password,
            channel: UserKind::Http,
        };
        self.sap().open_session(&logon)
    }

    /// Reads a packet, stores its IDocs and posts each new one; the answer's content.
    pub async fn receive(
        &self,
        connection: Connection,
        body: &[u8],
    ) -> Result<Receipt, InboundError> {
        let limits = ReadLimits {
            max_bytes: self.options().max_body_bytes,
            ..ReadLimits::default()
        };
        let idocs = read_packet(body, IdocSchema::acc_document03(), &limits)?;
        let Reception {
            assignments,
            stored,
        } = self.store_received(&idocs)?;

        let Connection {
            session,
            credentials,
        } = connection;
        let mut session = Some(session);
        let mut reply_lost = false;
        for (done, &Stored { number, index }) in stored.iter().enumerate() {
            let applied = match self.usable_session(&mut session, &credentials) {
                Some(session) => apply(session, &idocs[index]).await,
                None => Applied::ConnectionLost,
            };
            if let Applied::ConnectionLost = applied {
                self.withdraw(&stored[done..]);
                return Err(InboundError::CommunicationFailure {
                    position: index + 1,
                });
            }
            reply_lost |= matches!(
                applied,
                Applied::Posted {
                    reply_lost: true,
                    ..
                }
            );
            self.finish(number, applied);
        }
        Ok(Receipt {
            idocs: assignments,
            reply_lost,
        })
    }

    /// The session to post in: the request's own, or a new one when a fault ended it.
    fn usable_session<'s>(
        &self,
        slot: &'s mut Option<Session>,
        credentials: &Credentials,
    ) -> Option<&'s mut Session> {
        if slot.as_ref().is_none_or(Session::is_closed) {
            *slot = self.open_session(credentials).ok();
        }
        slot.as_mut()
    }

    /// Stores every IDoc whose message id is new, with statuses 50 and 64.
    fn store_received(&self, idocs: &[ReadIdoc]) -> Result<Reception, InboundError> {
        let client = &self.sap().master_data().system.client;
        let now = Stamp::now();
        let mut store = self.store();
        let mut assignments = Vec::with_capacity(idocs.len());
        let mut stored = Vec::new();
        for (index, idoc) in idocs.iter().enumerate() {
            let message_id = idoc.message_id().map(|id| id.as_str().to_owned());
            let transfer_id = idoc
                .control_field("DOCNUM")
                .filter(|docnum| !docnum.trim().is_empty())
                .map(str::to_owned);
            let known = message_id
                .as_ref()
                .and_then(|id| store.by_message_id.get(id).copied());
            let number = known.unwrap_or_else(|| store.take_number());
            assignments.push(Assignment {
                docnum: docnum(number),
                transfer_id: transfer_id.clone(),
                message_id: message_id.clone(),
                duplicate: known.is_some(),
            });
            if known.is_some() {
                tracing::debug!(docnum = %docnum(number), "Known message id; IDoc not stored.");
                continue;
            }
            let record = received(number, idoc, client, message_id, transfer_id, &now);
            store.insert(number, record);
            stored.push(Stored { number, index });
        }
        if let Err(error) = self.save(&store) {
            for idoc in &stored {
                store.remove(idoc.number);
            }
            return Err(error.into());
        }
        Ok(Reception {
            assignments,
            stored,
        })
    }

    /// Records the outcome of a posting.
    fn finish(&self, number: u64, applied: Applied) {
        let now = Stamp::now();
        let mut store = self.store();
        let Some(record) = store.idocs.get_mut(&number) else {
            return;
        };
        match applied {
            Applied::Posted {
                reference,
                messages,
                ..
            } => {
                let posted = messages.iter().find(|message| !message.is_error());
                let mut status = now.record(IdocStatus::Posted, posted);
                [status.stapa1, status.stapa2, status.stapa3] = reference;
                status.stapa4.clear();
                record.push(status);
                record.messages = messages.iter().map(BapiReturn::to_structure).collect();
            }
            Applied::NotPosted { messages } => {
                for message in messages.iter().filter(|message| message.is_error()) {
                    record.push(now.record(IdocStatus::NotPosted, Some(message)));
                }
                if record.status != IdocStatus::NotPosted {
                    record.push(now.record(IdocStatus::NotPosted, None));
                }
                record.messages = messages.iter().map(BapiReturn::to_structure).collect();
            }
            Applied::ConnectionLost => return,
        }
        tracing::debug!(docnum = %record.docnum, status = record.status.code(), "IDoc processed.");
        if let Err(error) = self.save(&store) {
            tracing::error!(error = %error, "IDoc status not durable; a restart loses it.");
        }
    }

    /// Forgets IDocs that were stored but never reached the application.
    fn withdraw(&self, stored: &[Stored]) {
        let mut store = self.store();
        for idoc in stored {
            store.remove(idoc.number);
        }
        tracing::info!(
            withdrawn = stored.len(),
            "Injected fault: connection lost before posting; IDocs withdrawn."
        );
        if let Err(error) = self.save(&store) {
            tracing::error!(error = %error, "Withdrawal of IDocs not durable.");
        }
    }

    fn save(&self, store: &IdocStore) -> Result<(), StoreError> {
        match &self.options().state_file {
            Some(path) => store.save(path),
            None => Ok(()),
        }
    }
}

/// What reception made of a packet: the answer's assignments and the IDocs stored.
struct Reception {
    assignments: Vec<Assignment>,
    stored: Vec<Stored>,
}

/// An IDoc stored at reception: its DOCNUM and its position in the packet, from 0.
#[derive(Clone, Copy)]
struct Stored {
    number: u64,
    index: usize,
}

/// What became of one IDoc in the application.
#[derive(Debug)]
enum Applied {
    Posted {
        /// OBJ_TYPE, OBJ_KEY and OBJ_SYS as the BAPI exported them.
        reference: [String; 3],
        messages: Vec<BapiReturn>,
        reply_lost: bool,
    },
    NotPosted {
        messages: Vec<BapiReturn>,
    },
    /// Nothing was posted and the connection to the application is gone.
    ConnectionLost,
}

/// Posts one IDoc and commits it in `session`: one IDoc, one logical unit of work.
async fn apply(session: &mut Session, idoc: &ReadIdoc) -> Applied {
    let answer = match session.call(&bapi_call(idoc)).await {
        Ok(answer) => answer,
        Err(CallError::Fault(_)) => return Applied::ConnectionLost,
        Err(error) => return not_passed(&error),
    };
    let messages: Vec<BapiReturn> = answer
        .table("RETURN")
        .iter()
        .filter_map(BapiReturn::from_structure)
        .collect();
    if messages.iter().any(BapiReturn::is_error) {
        return Applied::NotPosted { messages };
    }
    let reference = ["OBJ_TYPE", "OBJ_KEY", "OBJ_SYS"]
        .map(|name| answer.scalar(name).unwrap_or_default().to_owned());

    let commit = FunctionCall::new("BAPI_TRANSACTION_COMMIT").with_scalar("WAIT", "X");
    match session.call(&commit).await {
        Ok(answer) => {
            let failed = answer
                .structure("RETURN")
                .and_then(BapiReturn::from_structure)
                .filter(BapiReturn::is_error);
            match failed {
                Some(failed) => Applied::NotPosted {
                    messages: vec![failed],
                },
                None => Applied::Posted {
                    reference,
                    messages,
                    reply_lost: false,
                },
            }
        }
        Err(CallError::Fault(InjectedFault::ReplyLost)) => Applied::Posted {
            reference,
            messages,
            reply_lost: true,
        },
        Err(CallError::Fault(InjectedFault::CommunicationFailure)) => Applied::ConnectionLost,
        Err(error) => not_passed(&error),
    }
}

fn not_passed(error: &CallError) -> Applied {
    tracing::error!(error = %error, "IDoc could not be passed to the engine.");
    let message = BapiReturn::error(&NOT_PASSED, &[&error.to_string()]);
    Applied::NotPosted {
        messages: vec![message],
    }
}

/// The BAPI call an IDoc stands for. Each segment is its BAPI structure under another name;
/// a header naming an original in OBJ_KEY_R is a reversal, whose items only mirror the
/// original, so it becomes BAPI_ACC_DOCUMENT_REV_POST, which builds that mirror itself.
fn bapi_call(idoc: &ReadIdoc) -> FunctionCall {
    let header: Structure = idoc
        .segments
        .iter()
        .find(|segment| segment.name == "E1BPACHE09")
        .map(|segment| segment.fields.iter().cloned().collect())
        .unwrap_or_default();
    let reverses = header
        .get("OBJ_KEY_R")
        .is_some_and(|key| !key.trim().is_empty());
    if reverses {
        return reversal_call(&header);
    }

    let mut tables: BTreeMap<&str, Vec<Structure>> = BTreeMap::new();
    for segment in &idoc.segments {
        let parameter = match segment.name.as_str() {
            "E1BPACGL09" => "ACCOUNTGL",
            "E1BPACAP09" => "ACCOUNTPAYABLE",
            "E1BPACTX09" => "ACCOUNTTAX",
            "E1BPACCR09" => "CURRENCYAMOUNT",
            "E1BPACEXTC" => "EXTENSION1",
            "E1BPPAREX" => "EXTENSION2",
            // The header, read above; the definition has no other segment.
            _ => continue,
        };
        let row = segment.fields.iter().cloned().collect();
        tables.entry(parameter).or_default().push(row);
    }
    let mut call =
        FunctionCall::new("BAPI_ACC_DOCUMENT_POST").with_structure("DOCUMENTHEADER", header);
    for (parameter, rows) in tables {
        call = call.with_table(parameter, rows);
    }
    call
}

fn reversal_call(header: &Structure) -> FunctionCall {
    let reversal: Structure = metadata::BAPIACREV
        .fields
        .iter()
        .filter_map(|field| {
            let value = header.get(field.name)?;
            (!value.is_empty()).then(|| (field.name.to_owned(), value.clone()))
        })
        .collect();
    let bus_act = header
        .get("BUS_ACT")
        .filter(|value| !value.trim().is_empty())
        .map_or(crate::sap::bapi::BUS_ACT_FI, String::as_str);
    FunctionCall::new("BAPI_ACC_DOCUMENT_REV_POST")
        .with_structure("REVERSAL", reversal)
        .with_scalar("BUS_ACT", bus_act)
}

/// The record of an IDoc just stored: control record with this system's number and client,
/// statuses 50 and 64.
fn received(
    number: u64,
    idoc: &ReadIdoc,
    client: &str,
    message_id: Option<String>,
    transfer_id: Option<String>,
    now: &Stamp,
) -> IdocRecord {
    let mut control: BTreeMap<String, String> = idoc.control.iter().cloned().collect();
    control.insert("DOCNUM".to_owned(), docnum(number));
    control.insert("MANDT".to_owned(), client.to_owned());
    let mut record = IdocRecord {
        docnum: docnum(number),
        status: IdocStatus::Added,
        message_id,
        transfer_id,
        control,
        statuses: Vec::new(),
        messages: Vec::new(),
    };
    record.push(now.record(IdocStatus::Added, None));
    record.push(now.record(IdocStatus::ReadyForApplication, None));
    record
}

impl IdocRecord {
    fn push(&mut self, status: StatusRecord) {
        self.status = status.status;
        self.statuses.push(status);
    }
}

/// The moment a status is written, in the forms a status record carries.
struct Stamp {
    timestamp: String,
    date: String,
    time: String,
}

impl Stamp {
    fn now() -> Self {
        let now = jiff::Timestamp::now();
        let local = now.to_zoned_datetime(jiff::tz::TimeZone::system());
        Self {
            timestamp: now.to_string(),
            date: local.strftime("%Y%m%d").to_string(),
            time: local.strftime("%H%M%S").to_string(),
        }
    }

    /// A status record; with a message, its type, class, number, variables and text.
    fn record(&self, status: IdocStatus, message: Option<&BapiReturn>) -> StatusRecord {
        let text = match (message, status) {
            (Some(message), _) => cut(&message.message, STATXT_LEN),
            (None, IdocStatus::Added) => "IDoc added".to_owned(),
            (None, IdocStatus::ReadyForApplication) => {
                "IDoc ready to be transferred to application".to_owned()
            }
            (None, IdocStatus::Posted) => "Application document posted".to_owned(),
            (None, IdocStatus::NotPosted) => "Application document not posted".to_owned(),
        };
        let [stapa1, stapa2, stapa3, stapa4] = message.map(|m| m.vars.clone()).unwrap_or_default();
        StatusRecord {
            status,
            timestamp: self.timestamp.clone(),
            date: self.date.clone(),
            time: self.time.clone(),
            message_type: message
                .map(|m| m.kind.letter().to_owned())
                .unwrap_or_default(),
            message_class: message.map(|m| m.id.clone()).unwrap_or_default(),
            message_number: message
                .map(|m| format!("{:03}", m.number))
                .unwrap_or_default(),
            stapa1,
            stapa2,
            stapa3,
            stapa4,
            text,
        }
    }
}

/// Cuts `text` to `max` UTF-16 units without splitting a character.
fn cut(text: &str, max: usize) -> String {
    if sap_length(text) <= max {
        return text.to_owned();
    }
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= max
        })
        .collect()
}

fn docnum(number: u64) -> String {
    format!("{number:016}")
}

/// A DOCNUM of up to sixteen digits, leading zeros optional.
fn parse_docnum(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.len() <= 16 && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// The received IDocs and the DOCNUM counter.
#[derive(Debug)]
struct IdocStore {
    idocs: BTreeMap<u64, IdocRecord>,
    by_message_id: HashMap<String, u64>,
    next_number: u64,
}

impl Default for IdocStore {
    fn default() -> Self {
        Self {
            idocs: BTreeMap::new(),
            by_message_id: HashMap::new(),
            next_number: 1,
        }
    }
}

const STORE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StoreSnapshot {
    version: u32,
    next_docnum: u64,
    idocs: Vec<IdocRecord>,
}

impl IdocStore {
    /// Draws the next DOCNUM; a number drawn for an IDoc later withdrawn stays unused.
    fn take_number(&mut self) -> u64 {
        let number = self.next_number;
        self.next_number += 1;
        number
    }

    fn insert(&mut self, number: u64, record: IdocRecord) {
        if let Some(id) = &record.message_id {
            self.by_message_id.insert(id.clone(), number);
        }
        self.idocs.insert(number, record);
    }

    fn remove(&mut self, number: u64) {
        let Some(record) = self.idocs.remove(&number) else {
            return;
        };
        if let Some(id) = &record.message_id {
            self.by_message_id.remove(id);
        }
    }

    /// Reads the store; an absent file is an empty store.
    fn load(path: &Path) -> Result<Self, StoreError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                let path = path.to_owned();
                return Err(StoreError::Read { path, source });
            }
        };
        let snapshot: StoreSnapshot =
            serde_json::from_str(&text).map_err(|source| StoreError::Corrupt {
                path: path.to_owned(),
                source,
            })?;
        if snapshot.version != STORE_VERSION {
            let found = snapshot.version;
            return Err(StoreError::Version {
                path: path.to_owned(),
                found,
            });
        }
        let mut store = Self {
            next_number: snapshot.next_docnum,
            ..Self::default()
        };
        for record in snapshot.idocs {
            if let Some(number) = parse_docnum(&record.docnum) {
                store.next_number = store.next_number.max(number + 1);
                store.insert(number, record);
            }
        }
        Ok(store)
    }

    fn save(&self, path: &Path) -> Result<(), StoreError> {
        let snapshot = StoreSnapshot {
            version: STORE_VERSION,
            next_docnum: self.next_number,
            idocs: self.idocs.values().cloned().collect(),
        };
        serde_json::to_vec_pretty(&snapshot)
            .map_err(std::io::Error::from)
            .and_then(|json| write_atomically(path, &json))
            .map_err(|source| StoreError::Write {
                path: path.to_owned(),
                source,
            })
    }
}

/// Decodes standard base64 with padding, as Basic authentication uses it.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let groups = text.as_bytes().chunks_exact(4);
    if !groups.remainder().is_empty() {
        return None;
    }
    let count = groups.len();
    let mut out = Vec::with_capacity(count * 3);
    for (index, chunk) in groups.enumerate() {
        let last = index + 1 == count;
        let padding = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && !last) {
            return None;
        }
        let mut group = 0u32;
        for &c in &chunk[..4 - padding] {
            group = group << 6 | value(c)?;
        }
        group <<= 6 * padding as u32;
        let decoded = [(group >> 16) as u8, (group >> 8) as u8, group as u8];
        out.extend_from_slice(&decoded[..3 - padding]);
    }
    Some(out)
}

/// The ICF service and the status API, for the stub server's router.
///
/// | route | answer |
/// | --- | --- |
/// | `POST /sap/bc/idoc_xml?sap-client=NNN` | 200 with the DOCNUMs; 400, 401, 413, 500, 503 |
/// | `GET /stub/idocs` | every IDoc record, in DOCNUM order |
/// | `GET /stub/idocs/{docnum}` | one IDoc record, or 404 |
/// | `GET /stub/idocs/by-message-id/{id}` | the IDoc that came with this message id, or 404 |
pub fn routes<S>(inbound: IdocInbound) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(ICF_PATH, post(idoc_xml))
        .route("/stub/idocs", get(list))
        .route("/stub/idocs/{docnum}", get(by_docnum))
        .route("/stub/idocs/by-message-id/{message_id}", get(by_message_id))
        .with_state(inbound)
}

#[derive(Deserialize)]
struct IcfQuery {
    #[serde(rename = "sap-client")]
    client: Option<String>,
}

async fn idoc_xml(
    State(inbound): State<IdocInbound>,
    Query(query): Query<IcfQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(Credentials::from_basic);
    let connection = match inbound.logon(query.client.as_deref(), credentials) {
        Ok(connection) => connection,
        Err(error) => {
            // Read what the client sends, so that it is not cut off before the answer.
            let _ = read_body(body, 0, DRAIN_LIMIT).await;
            return refusal(&inbound, &error);
        }
    };

    let limit = inbound.options().max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        let _ = read_body(body, 0, DRAIN_LIMIT).await;
        return refusal(&inbound, &InboundError::TooLarge { limit });
    }
    let body = match read_body(body, limit, DRAIN_LIMIT).await {
        Ok(body) => body,
        Err(error) => return refusal(&inbound, &error),
    };

    // Once received, an IDoc is posted whether or not the sender waits for the answer, as
    // SAP's inbound processing goes on after the HTTP request: a sender that gives up
    // mid-request must find the IDoc posted, never stuck at 64.
    let receiver = inbound.clone();
    let receiving = tokio::spawn(async move { receiver.receive(connection, &body).await });
    let received = match receiving.await {
        Ok(received) => received,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    };
    match received {
        Ok(receipt) if receipt.reply_lost => drop_connection(),
        Ok(receipt) => Json(receipt).into_response(),
        Err(error) => refusal(&inbound, &error),
    }
}

/// Reads the body up to `limit` bytes. A longer one is read on and discarded, up to
/// `drain`, and answered with [`InboundError::TooLarge`].
async fn read_body(body: Body, limit: usize, drain: usize) -> Result<Vec<u8>, InboundError> {
    let mut body = std::pin::pin!(body);
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|error| InboundError::Body(error.to_string()))?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            kept.extend_from_slice(data);
        } else if seen > drain {
            break;
        }
    }
    if seen > limit {
        return Err(InboundError::TooLarge { limit });
    }
    Ok(kept)
}

/// An error answer: `{"error": "..."}`, with the Basic challenge on a 401.
fn refusal(inbound: &IdocInbound, error: &InboundError) -> Response {
    let status = error.status();
    tracing::debug!(status = status.as_u16(), error = %error, "IDoc request refused.");
    let body = serde_json::json!({ "error": error.to_string() });
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let system = &inbound.sap().master_data().system;
        let realm = format!(
            "Basic realm=\"SAP NetWeaver Application Server [{}/{}]\"",
            system.system_id, system.client
        );
        if let Ok(value) = HeaderValue::from_str(&realm) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

/// Ends the connection without an answer, as when the network fails after SAP committed.
///
/// A handler cannot reach its socket; unwinding the task that serves the connection drops
/// the socket without a byte of answer. `resume_unwind` does not run the panic hook, so
/// nothing is printed, and the server's other connections are not affected. A build that
/// aborts on panic answers 502 instead, as a proxy in front of SAP would.
fn drop_connection() -> Response {
    tracing::info!("Injected fault: reply lost after commit; connection dropped.");
    #[cfg(panic = "unwind")]
    std::panic::resume_unwind(Box::new("reply lost (injected fault)"));
    #[cfg(not(panic = "unwind"))]
    {
        let body = serde_json::json!({ "error": "reply lost after commit (injected fault)" });
        (StatusCode::BAD_GATEWAY, Json(body)).into_response()
    }
}

async fn list(State(inbound): State<IdocInbound>) -> Response {
    Json(inbound.idocs()).into_response()
}

async fn by_docnum(
    State(inbound): State<IdocInbound>,
    UrlPath(docnum): UrlPath<String>,
) -> Response {
    match inbound.by_docnum(&docnum) {
        Some(record) => Json(record).into_response(),
        None => not_found(format!("IDoc {docnum} does not exist")),
    }
}

async fn by_message_id(
    State(inbound): State<IdocInbound>,
    UrlPath(message_id): UrlPath<String>,
) -> Response {
    match inbound.by_message_id(&message_id) {
        Some(record) => Json(record).into_response(),
        None => not_found(format!("no IDoc came with message id {message_id}")),
    }
}

fn not_found(message: String) -> Response {
    let body = serde_json::json!({ "error": message });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use jiff::civil::Date;
    use rust_decimal::Decimal;

    use super::*;
    use crate::posting::{
        AccountNumber, Currency, Header, Item, ItemKind, KeyPurpose, Posting, PostingKey,
        PostingKind, Reverses,
    };
    use crate::sap::bapi::Sender;
    use crate::sap::idoc::{Idoc, IdocPartners, IdocWriter};
    use crate::stub::sap::{FaultKind, FaultRule, MasterData, StubOptions};

    const EXAMPLE: &str = include_str!("../../../examples/sap-master-data.toml");
    const RECORD: &str = "2148612345/9410123456781234/20260314/7";

    fn sap() -> StubSap {
        let master = MasterData::parse(EXAMPLE, Path::new("example.toml")).unwrap();
        StubSap::new(master, StubOptions::default()).unwrap()
    }

    fn credentials() -> Credentials {
        Credentials {
            user: "BIZSAP_IDOC".into(),
            password: "stub-password".into(),
        }
    }

    fn connect(inbound: &IdocInbound) -> Connection {
        inbound.logon(Some("100"), Some(credentials())).unwrap()
    }

    fn item(item_no: u32, kind: ItemKind, amount: &str) -> Item {
        Item {
            item_no,
            kind,
            currency: Currency::krw(),
            amount: Decimal::from_str(amount).unwrap(),
            tax_code: None,
            tax_base: None,
            text: "한빛식당".into(),
            assignment: None,
        }
    }

    /// A card receipt of 55,000 won with 5,000 deductible VAT, owed to KB국민카드 (AP).
    fn receipt(revision: u32, expense_account: &str) -> Posting {
        let key = PostingKey::derive(KeyPurpose::Posting, RECORD, revision);
        let vendor = ItemKind::Vendor {
            vendor: AccountNumber::new("300001").unwrap(),
            baseline_date: None,
        };
        let expense = ItemKind::Gl {
            account: AccountNumber::new(expense_account).unwrap(),
            cost_center: AccountNumber::new("20100"),
        };
        let mut expense = item(2, expense, "50000");
        expense.tax_code = Some("V1".into());
        let mut tax = item(3, ItemKind::Tax, "5000");
        tax.tax_code = Some("V1".into());
        tax.tax_base = Some(Decimal::from(50000));
        Posting {
            header: Header {
                company_code: "1000".into(),
                doc_type: "KR".into(),
                doc_date: Date::new(2026, 3, 14).unwrap(),
                posting_date: Date::new(2026, 3, 15).unwrap(),
                reference: key.to_string(),
                text: "한빛식당".into(),
                business_place: Some("0001".into()),
            },
            key,
            record_key: RECORD.into(),
            kind: PostingKind::Ap,
            items: vec![item(1, vendor, "-55000"), expense, tax],
            reverses: None,
        }
    }

    fn reversal_of(original: &Posting) -> Posting {
        let key = PostingKey::derive(KeyPurpose::Reversal, RECORD, 1);
        Posting {
            header: Header {
                doc_type: String::new(),
                posting_date: Date::new(2026, 3, 20).unwrap(),
                reference: key.to_string(),
                ..original.header.clone()
            },
            key,
            record_key: RECORD.into(),
            kind: PostingKind::Reversal,
            items: Vec::new(),
            reverses: Some(Reverses {
                record_key: Some(RECORD.into()),
                posting_key: Some(original.key.clone()),
                approval: "9410123456781234/20260314/7".into(),
                reason: "01".into(),
            }),
        }
    }

    fn document(posting: &Posting) -> Idoc {
        Idoc::document(posting, &Sender::default()).unwrap()
    }

    fn packet(idocs: &[Idoc]) -> Vec<u8> {
        let writer = IdocWriter::new(IdocSchema::acc_document03(), IdocPartners::default());
        writer.write_packet(Vec::new(), idocs).unwrap()
    }

    fn read(idocs: &[Idoc]) -> Vec<ReadIdoc> {
        let limits = ReadLimits::default();
        read_packet(&packet(idocs), IdocSchema::acc_document03(), &limits).unwrap()
    }

    fn statuses(record: &IdocRecord) -> Vec<&str> {
        record.statuses.iter().map(|s| s.status.code()).collect()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bizsap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn basic_credentials_are_read_and_other_schemes_refused() {
        let read = Credentials::from_basic("Basic QklaU0FQX0lET0M6c3R1Yi1wYXNzd29yZA==");
        assert_eq!(read, Some(credentials()));
        let colon = Credentials::from_basic("basic dTpwOnc=").unwrap();
        assert_eq!((colon.user.as_str(), colon.password.as_str()), ("u", "p:w"));

        assert_eq!(Credentials::from_basic("Bearer QklaU0FQ"), None);
        assert_eq!(
            Credentials::from_basic("Basic YWI"),
            None,
            "padding missing"
        );
        assert_eq!(
            Credentials::from_basic("Basic YW=I"),
            None,
            "padding inside"
        );
        assert_eq!(Credentials::from_basic("Basic YWI="), None, "no colon");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
    }

    #[test]
    fn the_logon_needs_this_client_and_a_user_of_kind_http() {
        let inbound = IdocInbound::in_memory(sap());
        assert!(inbound.logon(None, Some(credentials())).is_ok());

        let error = inbound.logon(Some("200"), Some(credentials())).unwrap_err();
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            error.to_string(),
            "Client 200 is not available in this system"
        );

        let rfc_user = Credentials {
            user: "BIZSAP".into(),
            password: "stub-password".into(),
        };
        let error = inbound.logon(Some("100"), Some(rfc_user)).unwrap_err();
        assert!(matches!(
            error,
            InboundError::Logon(LogonError::Failed { .. })
        ));
        let error = inbound.logon(Some("100"), None).unwrap_err();
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn segments_become_the_bapi_tables_they_are_named_after() {
        let idocs = read(&[document(&receipt(1, "81110"))]);
        let call = bapi_call(&idocs[0]);

        assert_eq!(call.function, "BAPI_ACC_DOCUMENT_POST");
        let params = &call.parameters;
        let header = params.structure("DOCUMENTHEADER").unwrap();
        assert_eq!(header["COMP_CODE"], "1000");
        assert_eq!(header["PSTNG_DATE"], "20260315");
        assert_eq!(params.table("ACCOUNTPAYABLE")[0]["VENDOR_NO"], "0000300001");
        assert_eq!(params.table("ACCOUNTGL")[0]["GL_ACCOUNT"], "0000081110");
        assert_eq!(params.table("ACCOUNTTAX")[0]["TAX_CODE"], "V1");
        let amounts: Vec<_> = params
            .table("CURRENCYAMOUNT")
            .iter()
            .map(|row| row["AMT_DOCCUR"].as_str())
            .collect();
        assert_eq!(amounts, ["-55000", "50000", "5000"]);
    }

    #[test]
    fn a_header_naming_an_original_becomes_a_reversal_call() {
        let original = receipt(1, "81110");
        let reversal = reversal_of(&original);
        let idoc = Idoc::reversal(
            &reversal,
            &original,
            "010000000110002026",
            &Sender::default(),
        )
        .unwrap();
        let call = bapi_call(&read(&[idoc])[0]);

        assert_eq!(call.function, "BAPI_ACC_DOCUMENT_REV_POST");
        let request = call.parameters.structure("REVERSAL").unwrap();
        assert_eq!(request["OBJ_KEY_R"], "010000000110002026");
        assert_eq!(request["OBJ_TYPE"], "BKPFF");
        assert_eq!(request["PSTNG_DATE"], "20260320");
        assert_eq!(request["REASON_REV"], "01");
        assert!(!request.contains_key("DOC_TYPE"), "only BAPIACREV's fields");
        assert_eq!(call.parameters.scalar("BUS_ACT"), Some("RFBU"));
        assert!(call.parameters.table("CURRENCYAMOUNT").is_empty());
    }

    #[tokio::test]
    async fn an_idoc_is_stored_then_posted_with_50_64_53() {
        let inbound = IdocInbound::in_memory(sap());
        let idoc = document(&receipt(1, "81110"));
        let body = packet(std::slice::from_ref(&idoc));

        let receipt = inbound.receive(connect(&inbound), &body).await.unwrap();
        assert!(!receipt.reply_lost);
        let assigned = &receipt.idocs[0];
        assert_eq!(assigned.docnum, "0000000000000001");
        assert_eq!(assigned.transfer_id.as_deref(), Some("0000000000000001"));
        assert_eq!(
            assigned.message_id.as_deref(),
            Some(idoc.message_id().as_str())
        );
        assert!(!assigned.duplicate);

        let record = inbound.by_docnum("1").unwrap();
        assert_eq!(statuses(&record), ["50", "64", "53"]);
        assert_eq!(record.status, IdocStatus::Posted);
        let posted = &record.statuses[2];
        let stapa = [&posted.stapa1, &posted.stapa2, &posted.stapa3];
        assert_eq!(stapa, ["BKPFF", "010000000110002026", "BSPCLNT100"]);
        assert_eq!(
            (
                posted.message_class.as_str(),
                posted.message_number.as_str()
            ),
            ("RW", "605")
        );
        assert_eq!(record.control["MANDT"], "100");
        assert_eq!(record.control["SNDPRN"], "BIZSAP");
        assert_eq!(posted.date.len(), 8);
        assert_eq!(posted.time.len(), 6);

        let documents = inbound.sap().documents();
        assert_eq!(documents.len(), 1);
        assert_eq!(documents[0].reference, receipt_key(1));
        assert_eq!(documents[0].user, "BIZSAP_IDOC");
    }

    fn receipt_key(revision: u32) -> String {
        PostingKey::derive(KeyPurpose::Posting, RECORD, revision).to_string()
    }

    #[tokio::test]
    async fn a_known_message_id_is_answered_with_the_first_docnum_and_not_posted() {
        let inbound = IdocInbound::in_memory(sap());
        let first = document(&receipt(1, "81110"));
        let second = document(&receipt(2, "81110"));
        inbound
            .receive(connect(&inbound), &packet(std::slice::from_ref(&first)))
            .await
            .unwrap();

        // Resent beside a new IDoc, and twice in one packet.
        let body = packet(&[first.clone(), second.clone(), second]);
        let receipt = inbound.receive(connect(&inbound), &body).await.unwrap();
        let answer: Vec<_> = receipt
            .idocs
            .iter()
            .map(|a| (a.docnum.as_str(), a.duplicate))
            .collect();
        assert_eq!(
            answer,
            [
                ("0000000000000001", true),
                ("0000000000000002", false),
                ("0000000000000002", true)
            ]
        );
        assert_eq!(inbound.sap().documents().len(), 2);
        assert_eq!(inbound.idocs().len(), 2);
        let record = inbound.by_message_id(first.message_id().as_str()).unwrap();
        assert_eq!(
            statuses(&record),
            ["50", "64", "53"],
            "no status added by the resend"
        );
    }

    #[tokio::test]
    async fn a_refused_document_gets_51_with_each_error_of_the_engine() {
        let inbound = IdocInbound::in_memory(sap());
        let idoc = document(&receipt(1, "99999"));
        let body = packet(std::slice::from_ref(&idoc));
        inbound.receive(connect(&inbound), &body).await.unwrap();

        let arckey = idoc.message_id().arckey();
        let record = inbound.by_message_id(&arckey).unwrap();
        assert_eq!(statuses(&record), ["50", "64", "51", "51"]);
        let codes: Vec<_> = record.statuses[2..]
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}",
                    s.message_type, s.message_class, s.message_number
                )
            })
            .collect();
        assert_eq!(codes, ["E RW 609", "E F5 507"]);
        assert_eq!(record.statuses[3].stapa1, "0000099999");
        assert_eq!(record.messages[1]["PARAMETER"], "ACCOUNTGL");
        assert!(inbound.sap().documents().is_empty());
    }

    #[tokio::test]
    async fn a_connection_lost_before_posting_withdraws_the_rest_of_the_packet() {
        let inbound = IdocInbound::in_memory(sap());
        let idocs = [
            document(&receipt(1, "81110")),
            document(&receipt(2, "81110")),
            document(&receipt(3, "81110")),
        ];
        inbound
            .receive(connect(&inbound), &packet(&idocs[..1]))
            .await
            .unwrap();
        let fault = FaultRule::times(FaultKind::FailBeforePosting, 1);
        inbound.sap().arm_fault(fault).unwrap();

        let error = inbound
            .receive(connect(&inbound), &packet(&idocs[1..]))
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            InboundError::CommunicationFailure { position: 1 }
        ));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            inbound
                .by_message_id(idocs[1].message_id().as_str())
                .is_none()
        );
        assert!(
            inbound
                .by_message_id(idocs[2].message_id().as_str())
                .is_none()
        );
        assert_eq!(inbound.sap().documents().len(), 1);

        // Unknown, so a resend posts them; the withdrawn numbers stay unused.
        let receipt = inbound
            .receive(connect(&inbound), &packet(&idocs[1..]))
            .await
            .unwrap();
        assert_eq!(receipt.idocs[0].docnum, "0000000000000004");
        assert_eq!(inbound.sap().documents().len(), 3);
    }

    #[tokio::test]
    async fn a_restart_keeps_docnums_and_message_ids() {
        let dir = temp_dir("idoc-store");
        let options = InboundOptions {
            state_file: Some(InboundOptions::state_file_beside(&dir.join("ledger.json"))),
            ..InboundOptions::default()
        };
        assert_eq!(
            options.state_file.as_deref(),
            Some(dir.join("ledger.idocs.json").as_path())
        );
        let sap = sap();
        let idoc = document(&receipt(1, "81110"));
        let body = packet(std::slice::from_ref(&idoc));
        let before = IdocInbound::new(sap.clone(), options.clone()).unwrap();
        before.receive(connect(&before), &body).await.unwrap();
        drop(before);

        let after = IdocInbound::new(sap.clone(), options.clone()).unwrap();
        let record = after.by_message_id(idoc.message_id().as_str()).unwrap();
        assert_eq!(record.docnum, "0000000000000001");
        assert_eq!(statuses(&record), ["50", "64", "53"]);
        let resent = after.receive(connect(&after), &body).await.unwrap();
        assert!(resent.idocs[0].duplicate);
        let next = document(&receipt(2, "81110"));
        let receipt = after
            .receive(connect(&after), &packet(&[next]))
            .await
            .unwrap();
        assert_eq!(receipt.idocs[0].docnum, "0000000000000002");
        assert_eq!(sap.documents().len(), 2);
        assert!(!dir.join("ledger.idocs.json.tmp").exists());

        after.reset().unwrap();
        let empty = IdocInbound::new(sap, options.clone()).unwrap();
        assert!(empty.idocs().is_empty());

        std::fs::write(options.state_file.as_ref().unwrap(), "[").unwrap();
        let error = IdocInbound::new(self::sap(), options).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn status_texts_are_cut_to_their_seventy_characters() {
        let long = BapiReturn::error(&NOT_PASSED, &[&"가".repeat(60)]);
        let record = Stamp::now().record(IdocStatus::NotPosted, Some(&long));
        assert_eq!(sap_length(&record.text), STATXT_LEN);
        assert!(record.text.starts_with("The IDoc could not be passed"));
        let plain = Stamp::now().record(IdocStatus::Added, None);
        assert_eq!(plain.text, "IDoc added");
        assert_eq!(plain.message_class, "");
    }

    #[test]
    fn docnums_read_with_or_without_leading_zeros() {
        assert_eq!(parse_docnum("0000000000000042"), Some(42));
        assert_eq!(parse_docnum("42"), Some(42));
        assert_eq!(parse_docnum("00000000000000042"), None, "seventeen digits");
        assert_eq!(parse_docnum("4x"), None);
        assert_eq!(parse_docnum(""), None);
    }
}
