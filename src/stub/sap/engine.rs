//! The posting engine of the stub SAP system: sessions, the accounting BAPIs, commit and
//! rollback, reversal, and the table read a caller uses to find a document again.
//!
//! # Why it is built this way
//!
//! Exactly-once delivery into SAP is hard because of three facts this engine reproduces:
//! a posting is only *pending* until the caller commits in the same session; a session can
//! end at any moment, taking pending work with it; and a commit can succeed while its reply
//! is lost. A stub that posted on the spot would hide every bug in a bridge's handling of
//! these, so this one keeps the states apart.
//!
//! # States of a document
//!
//! ```text
//!          POST / REV_POST             COMMIT              REV_POST + COMMIT
//!   input ──────────────────▶ pending ──────────▶ committed ───────────────────▶ reversed
//!                                │                (visible)
//!                                └── ROLLBACK, session end, failed update: discarded
//! ```
//!
//! * **pending** lives in its [`Session`] only: no other session, no table read and no
//!   inspection call sees it. Its document number is already drawn, as SAP answers POST with
//!   the object key; a discarded posting leaves a gap in the number range.
//! * **committed** documents are in the shared [`Ledger`], visible to everyone, and kept in
//!   the state file when there is one.
//! * **reversed** is a committed document another committed document mirrors; its
//!   `reversed_by` names the reversal, and BKPF-STBLG of each names the other.
//!
//! # Invariants
//!
//! * Every committed document balances to zero per currency; the checks refuse any other.
//! * A document is reversed at most once: REV_POST refuses a reversed original, and the
//!   commit checks again, because another session may have committed a reversal meanwhile.
//! * A commit is all or nothing: every pending document of the session becomes committed, or
//!   none does (failed update, state file not writable).
//! * A session after a communication failure is closed: its pending work is gone and every
//!   further call fails, as an RFC connection is after `RFC_COMMUNICATION_FAILURE`.
//!
//! Transports (the RFC server, the IDoc XML inbound) map one connection to one [`Session`]
//! and forward calls in the generic [`FunctionCall`] shape; faults come back as typed
//! [`CallError`]s for them to turn into their own failures.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::call::{FunctionCall, Parameters, Value};
use super::faults::{FaultInjector, FaultKind, FaultPoint, FaultRule, FaultRuleError, FaultsView};
use super::ledger::{Document, Ledger, StateError, StateFile, Totals};
use super::master_data::{MasterData, UserKind};
use super::messages::{self as msg, BapiReturn};
use super::metadata::{self, Direction, FunctionDesc, ParamType};
use super::posting::{self, BKPFF, CheckedDocument};
use super::read_table::read_table;

/// The user SAP names in the lock message an injected lock error answers with.
const LOCKING_USER: &str = "FI_BATCH";

/// How the stub system starts.
#[derive(Clone, Debug, Default)]
pub struct StubOptions {
    /// Seed of the fault generator.
    pub seed: u64,
    /// Keeps the ledger in this file across restarts; `None` keeps it in memory only.
    pub state_file: Option<PathBuf>,
}

/// Credentials a transport opens a session with.
#[derive(Clone, Copy, Debug)]
pub struct Logon<'a> {
    pub user: &'a str,
    pub password: &'a str,
    /// The channel the transport serves; the user must be defined for it.
    pub channel: UserKind,
}

/// Why a session was not opened.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LogonError {
    /// Unknown user, wrong password or a user of another channel; SAP does not say which.
    #[error("Name or password is incorrect (repeat logon) for user {user}")]
    Failed { user: String },
    /// An injected fault: the server refuses new connections.
    #[error("connection refused (injected fault)")]
    Refused,
}

/// A fault injected into a call, for the transport to turn into its own failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InjectedFault {
    /// Nothing was posted and the session is lost (RFC: `RFC_COMMUNICATION_FAILURE`; HTTP:
    /// a 5xx answer).
    #[error("communication failure before the posting (injected fault); nothing was posted")]
    CommunicationFailure,
    /// The commit went through but its reply was lost, and the session with it.
    #[error("reply lost after a successful commit (injected fault); the documents are committed")]
    ReplyLost,
}

/// Why a call produced no answer.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// RFC: `RFC_ABAP_RUNTIME_FAILURE` (CALL_FUNCTION_NOT_FOUND).
    #[error("function module {0} does not exist in the stub")]
    FunctionNotFound(String),
    /// A parameter or field the function does not have, or a value of the wrong kind.
    /// RFC: `RFC_INVALID_PARAMETER`.
    #[error("parameter {parameter}: {reason}")]
    InvalidParameter { parameter: String, reason: String },
    /// A classic ABAP exception of the function, e.g. `TABLE_NOT_AVAILABLE`.
    /// RFC: `RFC_ABAP_EXCEPTION` with `key`.
    #[error("{key}: {message}")]
    AbapException { key: &'static str, message: String },
    #[error(transparent)]
    Fault(#[from] InjectedFault),
    /// The session was lost earlier. RFC: `RFC_INVALID_HANDLE`.
    #[error("the session was closed by an earlier communication failure")]
    SessionClosed,
}

impl CallError {
    /// A short name of the failure, for JSON answers and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::FunctionNotFound(_) => "function_not_found",
            CallError::InvalidParameter { .. } => "invalid_parameter",
            CallError::AbapException { .. } => "abap_exception",
            CallError::Fault(InjectedFault::CommunicationFailure) => "communication_failure",
            CallError::Fault(InjectedFault::ReplyLost) => "reply_lost",
            CallError::SessionClosed => "session_closed",
        }
    }
}

/// The stub SAP system: master data, ledger and faults, shared by every session.
/// Cloning is cheap and shares the system.
#[derive(Clone)]
pub struct StubSap {
    shared: Arc<Shared>,
}

struct Shared {
    master: MasterData,
    state: Mutex<State>,
    next_session: AtomicU64,
}

struct State {
    ledger: Ledger,
    faults: FaultInjector,
    state_file: Option<StateFile>,
}

impl std::fmt::Debug for StubSap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StubSap").finish_non_exhaustive()
    }
}

impl StubSap {
    /// Starts the system, reading the ledger from the state file when there is one.
    pub fn new(master: MasterData, options: StubOptions) -> Result<Self, StateError> {
        let state_file = options.state_file.map(StateFile::new);
        let ledger = match &state_file {
            Some(file) => file.load()?,
            None => Ledger::default(),
        };
        let state = State {
            ledger,
            faults: FaultInjector::new(options.seed),
            state_file,
        };
        let shared = Shared {
            master,
            state: Mutex::new(state),
            next_session: AtomicU64::new(1),
        };
        Ok(Self {
            shared: Arc::new(shared),
        })
    }

    pub fn master_data(&self) -> &MasterData {
        &self.shared.master
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic in one session must not take the stub down for the others.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a session for one connection of a transport.
    pub fn open_session(&self, logon: &Logon<'_>) -> Result<Session, LogonError> {
        if self.state().faults.fire(FaultPoint::Logon).is_some() {
            tracing::info!(user = logon.user, "Injected fault: logon refused.");
            return Err(LogonError::Refused);
        }
        let name = logon.user.trim().to_uppercase();
        let valid = self.shared.master.users.get(&name).is_some_and(|user| {
            user.kind == logon.channel && user.password_matches(logon.password)
        });
        if !valid {
            tracing::debug!(user = %name, "Logon failed.");
            return Err(LogonError::Failed { user: name });
        }
        let id = self.shared.next_session.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(session = id, user = %name, "Session opened.");
        Ok(Session {
            id,
            user: name,
            sap: self.clone(),
            pending: Vec::new(),
            closed: false,
        })
    }

    /// Every committed document, in posting order.
    pub fn documents(&self) -> Vec<Document> {
        self.state().ledger.documents().to_vec()
    }

    pub fn totals(&self) -> Totals {
        self.state().ledger.totals()
    }

    /// Empties the ledger and the number ranges and disarms every fault.
    pub fn reset(&self) -> Result<(), StateError> {
        let mut state = self.state();
        state.ledger = Ledger::default();
        state.faults.reset();
        if let Some(file) = &state.state_file {
            file.save(&state.ledger)?;
        }
        tracing::info!("Stub SAP reset.");
        Ok(())
    }

    pub fn arm_fault(&self, rule: FaultRule) -> Result<(), FaultRuleError> {
        self.arm_faults(vec![rule])
    }

    /// Arms every rule, or none when one of them is invalid.
    pub fn arm_faults(&self, rules: Vec<FaultRule>) -> Result<(), FaultRuleError> {
        self.state().faults.arm_all(rules.clone())?;
        for rule in rules {
            tracing::info!(fault = ?rule, "Fault armed.");
        }
        Ok(())
    }

    /// Disarms every fault, leaving the ledger as it is.
    pub fn disarm_faults(&self) {
        self.state().faults.clear();
        tracing::info!("Faults disarmed.");
    }

    pub fn faults(&self) -> FaultsView {
        self.state().faults.view()
    }
}

/// A posting waiting for its session's commit.
#[derive(Clone, Debug)]
struct Pending {
    document: Document,
    /// (AWTYP, AWKEY) of the document this one reverses.
    reverses: Option<(String, String)>,
}

/// One logged-on conversation, as a transport maps one connection. Postings stay pending in
/// it until committed; dropping the session discards them.
pub struct Session {
    id: u64,
    user: String,
    sap: StubSap,
    pending: Vec<Pending>,
    closed: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user", &self.user)
            .field("pending", &self.pending.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let discarded = self.pending.len();
            tracing::debug!(
                session = self.id,
                discarded,
                "Session ended; pending work discarded."
            );
        }
    }
}

impl Session {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// Postings waiting for a commit.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Whether an earlier communication failure closed the session.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Starts a fresh user context on the same logon, as `RfcResetServerContext` does:
    /// pending work is discarded. It is no new logon, so no logon fault applies.
    pub fn reset(&mut self) {
        if !self.pending.is_empty() {
            let discarded = self.pending.len();
            tracing::debug!(
                session = self.id,
                discarded,
                "Context reset; pending work discarded."
            );
        }
        self.pending.clear();
    }

    /// Calls one function module. Business errors are answered in RETURN; an `Err` means
    /// the call itself failed.
    pub async fn call(&mut self, call: &FunctionCall) -> Result<Parameters, CallError> {
        if self.closed {
            return Err(CallError::SessionClosed);
        }
        let desc = metadata::function(&call.function)
            .ok_or_else(|| CallError::FunctionNotFound(call.function.clone()))?;
        check_parameters(desc, &call.parameters)?;

        let delay = self.sap.state().faults.latency();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }

        let result = self.dispatch(desc, &call.parameters);
        if let Err(CallError::Fault(fault)) = &result {
            tracing::info!(session = self.id, fault = %fault, "Injected fault: session lost.");
            self.closed = true;
            self.pending.clear();
        }
        result
    }

    fn dispatch(
        &mut self,
        desc: &FunctionDesc,
        params: &Parameters,
    ) -> Result<Parameters, CallError> {
        match desc.name {
            "BAPI_ACC_DOCUMENT_CHECK" => Ok(self.check(params)),
            "BAPI_ACC_DOCUMENT_POST" => self.post(params),
            "BAPI_ACC_DOCUMENT_REV_POST" => self.reverse(params),
            "BAPI_TRANSACTION_COMMIT" => self.commit(params),
            "BAPI_TRANSACTION_ROLLBACK" => Ok(self.rollback()),
            "RFC_READ_TABLE" => read_table(&self.sap.state().ledger, params),
            "RFC_PING" => Ok(Parameters::new()),
            other => Err(CallError::FunctionNotFound(other.to_owned())),
        }
    }

    fn check(&self, params: &Parameters) -> Parameters {
        let master = self.sap.master_data();
        match posting::check_document(master, params, &self.user) {
            Ok(_) => answer_return(vec![BapiReturn::success(&msg::CHECKED, &[])]),
            Err(errors) => refused(posting::lead_message(params, master), errors),
        }
    }

    /// The faults that apply before a posting; `Ok(None)` when none fired.
    fn posting_fault(&self, lead: &BapiReturn) -> Result<Option<Parameters>, CallError> {
        match self.sap.state().faults.fire(FaultPoint::Posting) {
            Some(FaultKind::FailBeforePosting) => Err(InjectedFault::CommunicationFailure.into()),
            Some(FaultKind::LockError) => {
                tracing::info!(session = self.id, "Injected fault: lock error.");
                let locked = BapiReturn::error(&msg::OBJECT_LOCKED, &[LOCKING_USER]);
                Ok(Some(rejection(lead.clone(), vec![locked])))
            }
            _ => Ok(None),
        }
    }

    fn post(&mut self, params: &Parameters) -> Result<Parameters, CallError> {
        let master = self.sap.master_data();
        let lead = posting::lead_message(params, master);
        if let Some(answer) = self.posting_fault(&lead)? {
            return Ok(answer);
        }

        let checked = match posting::check_document(master, params, &self.user) {
            Ok(checked) => checked,
            Err(errors) => return Ok(rejection(lead, errors)),
        };
        let company = &master.company_codes[&checked.header.company_code];
        let number = self
            .sap
            .state()
            .ledger
            .next_number(company, checked.fiscal_year);
        let Some(number) = number else {
            let vars = [company.code.as_str(), &checked.fiscal_year.to_string()];
            let exhausted = BapiReturn::error(&msg::NUMBER_RANGE_EXHAUSTED, &vars);
            return Ok(rejection(lead, vec![exhausted]));
        };

        let document = numbered(checked, number);
        tracing::debug!(session = self.id, sap_key = %document.obj_key, "Document pending.");
        let answer = posted(&document);
        self.pending.push(Pending {
            document,
            reverses: None,
        });
        Ok(answer)
    }

    fn reverse(&mut self, params: &Parameters) -> Result<Parameters, CallError> {
        let master = self.sap.master_data();
        let empty = Default::default();
        let request = params.structure("REVERSAL").unwrap_or(&empty);
        let field = |name: &str| request.get(name).map_or("", |value| value.trim_end());
        let obj_type = Some(field("OBJ_TYPE"))
            .filter(|t| !t.is_empty())
            .unwrap_or(BKPFF);
        let obj_sys = Some(field("OBJ_SYS")).filter(|s| !s.is_empty());
        let obj_sys = obj_sys.unwrap_or(&master.system.logical_system);
        let own_key = if obj_type == BKPFF {
            "$"
        } else {
            field("OBJ_KEY")
        };
        let lead = BapiReturn::error(&msg::DOCUMENT_ERROR, &[obj_type, own_key, obj_sys]);
        if let Some(answer) = self.posting_fault(&lead)? {
            return Ok(answer);
        }

        let mut errors = Vec::new();
        posting::field_problems("REVERSAL", 0, &metadata::BAPIACREV, request, &mut errors);
        let key_r = field("OBJ_KEY_R");
        if key_r.is_empty() {
            let required = BapiReturn::error(&msg::REQUIRED_FIELD, &["REVERSAL", "OBJ_KEY_R"]);
            errors.push(required.at("REVERSAL", 0, "OBJ_KEY_R"));
        }
        if obj_type != BKPFF && own_key.is_empty() {
            let initial = BapiReturn::error(&msg::REFERENCE_INITIAL, &[obj_type]);
            errors.push(initial.at("REVERSAL", 0, "OBJ_KEY"));
        }
        if !errors.is_empty() {
            return Ok(rejection(lead, errors));
        }

        let request = ReversalRequest {
            obj_type,
            obj_key: (obj_type != BKPFF).then(|| own_key.to_owned()),
            obj_sys: obj_sys.to_owned(),
            key_r: key_r.to_owned(),
            company_code: field("COMP_CODE").to_owned(),
            posting_date: field("PSTNG_DATE").to_owned(),
        };
        match self.prepare_reversal(&request) {
            Ok(pending) => {
                let answer = posted(&pending.document);
                let sap_key = &pending.document.obj_key;
                tracing::debug!(session = self.id, sap_key = %sap_key, "Reversal pending.");
                self.pending.push(pending);
                Ok(answer)
            }
            Err(error) => Ok(rejection(lead, vec![*error])),
        }
    }

    /// Finds the original and builds its mirror document, numbered.
    fn prepare_reversal(&self, request: &ReversalRequest<'_>) -> Result<Pending, Box<BapiReturn>> {
        let master = self.sap.master_data();
        let mut state = self.sap.state();
        let original = state
            .ledger
            .find(request.obj_type, &request.key_r)
            .filter(|original| {
                request.company_code.is_empty() || request.company_code == original.company_code
            })
            .ok_or_else(|| {
                let [belnr, bukrs, gjahr] = split_key(request.obj_type, &request.key_r);
                let vars = [belnr, bukrs, gjahr];
                let message = BapiReturn::error(&msg::DOCUMENT_NOT_FOUND, &vars);
                Box::new(message.at("REVERSAL", 0, "OBJ_KEY_R"))
            })?
            .clone();

        let reversed_here = self.pending.iter().find(|pending| {
            pending
                .reverses
                .as_ref()
                .is_some_and(|(_, key)| key == &original.obj_key)
        });
        let reversed_by = match (&original.reversed_by, reversed_here) {
            (Some(_), _) => Some(original.reverse_number.clone()),
            (None, Some(pending)) => Some(pending.document.number.clone()),
            (None, None) => None,
        };
        if let Some(by) = reversed_by {
            let vars = [
                &original.number,
                &original.company_code,
                &original.fiscal_year,
                &by,
            ];
            let vars = vars.map(String::as_str);
            let message = BapiReturn::error(&msg::ALREADY_REVERSED, &vars);
            return Err(Box::new(message.at("REVERSAL", 0, "OBJ_KEY_R")));
        }

        let posting_date = match request.posting_date.as_str() {
            "" => original.posting_date.clone(),
            date => date.to_owned(),
        };
        let Some(date) = metadata::parse_dats(&posting_date) else {
            let vars = ["REVERSAL", "PSTNG_DATE"];
            let message = BapiReturn::error(&msg::REQUIRED_FIELD, &vars);
            return Err(Box::new(message.at("REVERSAL", 0, "PSTNG_DATE")));
        };
        let company = &master.company_codes[&original.company_code];
        let (year, period) = (date.year(), date.month() as u8);
        if !company.is_period_open(year, period) {
            let vars = [format!("{period:03}"), year.to_string()];
            let message =
                BapiReturn::error(&msg::PERIOD_CLOSED, &vars.each_ref().map(|v| v.as_str()));
            return Err(Box::new(message.at("REVERSAL", 0, "PSTNG_DATE")));
        }

        let Some(number) = state.ledger.next_number(company, year) else {
            let vars = [company.code.clone(), year.to_string()];
            let vars = vars.each_ref().map(String::as_str);
            let exhausted = BapiReturn::error(&msg::NUMBER_RANGE_EXHAUSTED, &vars);
            return Err(Box::new(exhausted));
        };
        let fiscal_year = format!("{year:04}");
        let obj_key = request
            .obj_key
            .clone()
            .unwrap_or_else(|| format!("{number}{}{fiscal_year}", company.code));

        let mut items = original.items.clone();
        for item in &mut items {
            item.amount = -item.amount;
            item.tax_base = item.tax_base.map(|base| -base);
        }
        let document = Document {
            obj_type: request.obj_type.to_owned(),
            obj_key,
            obj_sys: request.obj_sys.clone(),
            company_code: original.company_code.clone(),
            number,
            fiscal_year,
            doc_type: original.doc_type.clone(),
            posting_date,
            document_date: original.document_date.clone(),
            reference: original.reference.clone(),
            header_text: original.header_text.clone(),
            user: self.user.clone(),
            reverse_number: original.number.clone(),
            reversed_by: None,
            reverses: Some(original.obj_key.clone()),
            items,
        };
        let reverses = Some((original.obj_type, original.obj_key));
        Ok(Pending { document, reverses })
    }

    fn commit(&mut self, params: &Parameters) -> Result<Parameters, CallError> {
        let wait = params
            .scalar("WAIT")
            .is_some_and(|wait| !wait.trim().is_empty());
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(commit_answer(None));
        }

        let mut state = self.sap.state();
        let fault = state.faults.fire(FaultPoint::Commit);
        let injected = fault == Some(FaultKind::UpdateFailure);
        if injected {
            tracing::info!(session = self.id, "Injected fault: update failed.");
        }
        if injected || state.apply(&pending).is_err() {
            let failed = BapiReturn::error(&msg::POSTING_FAILED, &[]);
            // Without WAIT the caller does not wait for the update and hears nothing of it.
            return Ok(commit_answer(wait.then_some(failed)));
        }
        for pending in &pending {
            let sap_key = &pending.document.obj_key;
            tracing::debug!(session = self.id, sap_key = %sap_key, "Document committed.");
        }
        match fault {
            Some(FaultKind::LoseReplyAfterCommit) => Err(InjectedFault::ReplyLost.into()),
            _ => Ok(commit_answer(None)),
        }
    }

    fn rollback(&mut self) -> Parameters {
        self.pending.clear();
        commit_answer(None)
    }
}

impl State {
    /// Commits pending documents all at once, or none of them.
    fn apply(&mut self, pending: &[Pending]) -> Result<(), UpdateFailed> {
        let mut reversed_now = Vec::new();
        for reversal in pending.iter().filter_map(|p| p.reverses.as_ref()) {
            let original = self.ledger.find(&reversal.0, &reversal.1);
            let still_open = original.is_some_and(|doc| doc.reversed_by.is_none());
            if !still_open || reversed_now.contains(&reversal) {
                // Another session reversed the document after this one's REV_POST.
                return Err(UpdateFailed);
            }
            reversed_now.push(reversal);
        }

        let committed_before = self.ledger.documents().len();
        for pending in pending {
            self.ledger.append(pending.document.clone());
            if let Some((obj_type, obj_key)) = &pending.reverses {
                self.ledger
                    .mark_reversed(obj_type, obj_key, &pending.document);
            }
        }
        let Some(file) = &self.state_file else {
            return Ok(());
        };
        if let Err(error) = file.save(&self.ledger) {
            tracing::error!(error = %error, "Commit not durable; documents discarded.");
            self.ledger.truncate(committed_before);
            return Err(UpdateFailed);
        }
        Ok(())
    }
}

/// The update of a commit failed; nothing of it was kept.
struct UpdateFailed;

struct ReversalRequest<'a> {
    obj_type: &'a str,
    obj_key: Option<String>,
    obj_sys: String,
    key_r: String,
    company_code: String,
    posting_date: String,
}

/// Checks parameter names and kinds against the interface, as the RFC layer would. Field
/// problems of functions without a RETURN table are refused here too; the BAPIs answer
/// them in RETURN instead.
fn check_parameters(desc: &FunctionDesc, params: &Parameters) -> Result<(), CallError> {
    let has_return_table = desc
        .param("RETURN")
        .is_some_and(|param| matches!(param.param_type, ParamType::Table(_)));
    for (name, value) in params.iter() {
        let invalid = |reason: String| CallError::InvalidParameter {
            parameter: name.to_owned(),
            reason,
        };
        let Some(param) = desc.param(name) else {
            return Err(invalid(format!("{} has no parameter {name}", desc.name)));
        };
        if param.direction == Direction::Export {
            // The RFC layer does not send exporting parameters to the server.
            continue;
        }
        let rows = match (param.param_type, value) {
            (ParamType::Scalar(field), Value::Scalar(text)) => {
                field
                    .check(text)
                    .map_err(|_| invalid(format!("'{text}' does not fit {field:?}")))?;
                continue;
            }
            (ParamType::Structure(desc), Value::Structure(row)) => {
                (desc, std::slice::from_ref(row))
            }
            (ParamType::Table(desc), Value::Table(rows)) => (desc, rows.as_slice()),
            (expected, value) => {
                let expected = match expected {
                    ParamType::Scalar(_) => "scalar",
                    ParamType::Structure(_) => "structure",
                    ParamType::Table(_) => "table",
                };
                return Err(invalid(format!("is a {expected}, not a {}", value.kind())));
            }
        };
        if has_return_table {
            continue;
        }
        let (structure, rows) = rows;
        if let Some(problem) = rows.iter().flat_map(|row| structure.check(row)).next() {
            let reason = match problem.desc {
                None => format!("{} has no field {}", structure.name, problem.field),
                Some(_) => format!("value of {} does not fit the field", problem.field),
            };
            return Err(invalid(reason));
        }
    }
    Ok(())
}

/// The document a checked posting becomes with its number.
fn numbered(checked: CheckedDocument, number: String) -> Document {
    let header = checked.header;
    let fiscal_year = format!("{:04}", checked.fiscal_year);
    let obj_key = header
        .obj_key
        .unwrap_or_else(|| format!("{number}{}{fiscal_year}", header.company_code));
    Document {
        obj_type: header.obj_type,
        obj_key,
        obj_sys: header.obj_sys,
        company_code: header.company_code,
        number,
        fiscal_year,
        doc_type: header.doc_type,
        posting_date: header.posting_date,
        document_date: header.document_date,
        reference: header.reference,
        header_text: header.header_text,
        user: header.user,
        reverse_number: String::new(),
        reversed_by: None,
        reverses: None,
        items: checked.items,
    }
}

/// Splits a BKPFF object key into BELNR, BUKRS and GJAHR for messages; other keys are shown
/// whole.
fn split_key<'k>(obj_type: &str, key: &'k str) -> [&'k str; 3] {
    match (obj_type, key.len(), key.is_ascii()) {
        (BKPFF, 18, true) => [&key[0..10], &key[10..14], &key[14..18]],
        _ => [key, "", ""],
    }
}

fn answer_return(messages: Vec<BapiReturn>) -> Parameters {
    let rows = messages.iter().map(BapiReturn::to_structure).collect();
    Parameters::new().with_table("RETURN", rows)
}

/// A refused document: the lead message, then the details.
fn refused(lead: BapiReturn, errors: Vec<BapiReturn>) -> Parameters {
    answer_return(std::iter::once(lead).chain(errors).collect())
}

/// A refused posting: the messages, and the reference as far as the header gave it, as SAP
/// exports it (`$` for a key not yet assigned).
fn rejection(lead: BapiReturn, errors: Vec<BapiReturn>) -> Parameters {
    let [obj_type, obj_key, obj_sys, _] = lead.vars.clone();
    refused(lead, errors)
        .with_scalar("OBJ_TYPE", &obj_type)
        .with_scalar("OBJ_KEY", &obj_key)
        .with_scalar("OBJ_SYS", &obj_sys)
}

fn posted(document: &Document) -> Parameters {
    let vars = [
        document.obj_type.as_str(),
        &document.obj_key,
        &document.obj_sys,
    ];
    answer_return(vec![BapiReturn::success(&msg::POSTED, &vars)])
        .with_scalar("OBJ_TYPE", &document.obj_type)
        .with_scalar("OBJ_KEY", &document.obj_key)
        .with_scalar("OBJ_SYS", &document.obj_sys)
}

fn commit_answer(message: Option<BapiReturn>) -> Parameters {
    let row = message.map_or_else(BapiReturn::blank_structure, |message| {
        message.to_structure()
    });
    Parameters::new().with_structure("RETURN", row)
}
