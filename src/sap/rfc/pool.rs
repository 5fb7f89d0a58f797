//! The worker threads of the RFC target, each with one connection and a watchdog that
//! cancels a call running past the timeout.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sapnwrfc_sys::{
    Canceller, Connection, ConnectionParams, DataContainer, Function, Library, ReturnCode, RfcError,
};
use tokio::sync::oneshot;

use super::document::{self, BapiMessage, Cause, Request};
use super::lookup::{self, Query};
use crate::pipeline::{Delivery, SendOutcome};
use crate::posting::Posting;
use crate::sap::bapi::Sender;
use crate::secret::Secret;

/// Work for a worker, with where its answer goes.
pub enum Job {
    Deliver {
        delivery: Box<Delivery>,
        reply: oneshot::Sender<SendOutcome>,
    },
    Lookup {
        posting: Box<Posting>,
        reply: oneshot::Sender<Result<Option<String>, String>>,
    },
}

/// What every worker shares.
pub struct Shared {
    pub library: Arc<Library>,
    /// Logon parameters without the password.
    pub params: ConnectionParams,
    pub password: Secret,
    pub sender: Sender,
    pub call_timeout: Duration,
}

/// The running workers. Dropping the target's queue sender ends them: each finishes its
/// job, closes its connection and stops its watchdog.
pub struct Pool {
    _workers: Vec<JoinHandle<()>>,
}

type Queue = Arc<Mutex<mpsc::Receiver<Job>>>;

impl Pool {
    pub fn start(
        shared: Shared,
        connections: usize,
        queue: mpsc::Receiver<Job>,
    ) -> std::io::Result<Pool> {
        let shared = Arc::new(shared);
        let reachable = Arc::new(AtomicBool::new(true));
        let queue: Queue = Arc::new(Mutex::new(queue));
        let mut workers = Vec::with_capacity(connections);
        for id in 1..=connections {
            let watchdog = Watchdog::start(id)?;
            let worker = Worker {
                id,
                shared: shared.clone(),
                reachable: reachable.clone(),
                connection: None,
                watchdog,
            };
            let queue = queue.clone();
            let thread = thread::Builder::new()
                .name(format!("bizsap-rfc-{id}"))
                .spawn(move || worker.run(&queue))?;
            workers.push(thread);
        }
        Ok(Pool { _workers: workers })
    }
}

/// A call that failed, and whether the watchdog cut it off.
struct CallFailure {
    error: RfcError,
    timed_out: bool,
}

struct Worker {
    id: usize,
    shared: Arc<Shared>,
    /// Whether the last logon attempt of any worker reached SAP; logged when it changes.
    reachable: Arc<AtomicBool>,
    connection: Option<Connection>,
    watchdog: Arc<Watchdog>,
}

impl Worker {
    fn run(mut self, queue: &Queue) {
        loop {
            // Only the worker waiting for a job holds the lock; the others wait for it.
            let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
            let Ok(job) = job else { break };
            match job {
                Job::Deliver { delivery, reply } => {
                    let outcome = catch_unwind(AssertUnwindSafe(|| self.deliver(&delivery)));
                    let outcome = outcome.unwrap_or_else(|_| {
                        self.connection = None;
                        SendOutcome::InDoubt {
                            reason: "the RFC worker failed while sending".to_owned(),
                        }
                    });
                    let _ = reply.send(outcome);
                }
                Job::Lookup { posting, reply } => {
                    let answer = catch_unwind(AssertUnwindSafe(|| self.lookup(&posting)));
                    let answer = answer.unwrap_or_else(|_| {
                        self.connection = None;
                        Err("the RFC worker failed while asking SAP".to_owned())
                    });
                    let _ = reply.send(answer);
                }
            }
        }
        if let Some(connection) = self.connection.take() {
            let _ = connection.close();
        }
        self.watchdog.stop();
    }

    /// The worker's connection, opened when there is none. Only a job's first step may
    /// open one: a new connection is a new session, without the work of the old one.
    fn connect(&mut self) -> Result<&mut Connection, SendOutcome> {
        if self.connection.as_ref().is_some_and(Connection::is_open) {
            return Ok(self.connection.as_mut().expect("checked just above"));
        }
        self.connection = None;
        let mut params = self.shared.params.clone();
        params.insert("passwd", self.shared.password.expose());
        let opened = Connection::open(&self.shared.library, &params);
        drop(params);
        match opened {
            Ok(connection) => {
                if !self.reachable.swap(true, Ordering::Relaxed) {
                    tracing::info!(worker = self.id, "SAP is reachable again over RFC.");
                }
                tracing::debug!(worker = self.id, "RFC connection opened.");
                Ok(self.connection.insert(connection))
            }
            Err(error)
                if error.is_communication_failure() || error.code() == ReturnCode::Timeout =>
            {
                if self.reachable.swap(false, Ordering::Relaxed) {
                    tracing::warn!(error = %error, "SAP is not reachable over RFC.");
                }
                let reason = format!("SAP not reachable: {error}");
                Err(SendOutcome::Retry { reason })
            }
            Err(error) => {
                let reason = match error.is_logon_failure() {
                    true => format!("SAP refused the logon: {error}"),
                    false => format!("cannot open an RFC connection: {error}"),
                };
                Err(SendOutcome::Fatal { reason })
            }
        }
    }

    /// A function's container, its interface read from the system; never reconnects.
    fn function(&mut self, name: &str) -> Result<Function, CallFailure> {
        self.with_watchdog(|connection| connection.function(name))
    }

    /// Calls the function on the current connection; never reconnects.
    fn call(&mut self, function: &mut Function) -> Result<(), CallFailure> {
        self.with_watchdog(|connection| connection.invoke(function))
    }

    fn with_watchdog<T>(
        &mut self,
        call: impl FnOnce(&mut Connection) -> Result<T, RfcError>,
    ) -> Result<T, CallFailure> {
        let Some(connection) = self.connection.as_mut() else {
            let error = RfcError::local(
                ReturnCode::InvalidHandle,
                "RFC_INVALID_HANDLE",
                "The connection was closed before the call",
            );
            return Err(CallFailure {
                error,
                timed_out: false,
            });
        };
        self.watchdog
            .arm(connection.canceller(), self.shared.call_timeout);
        let result = call(connection);
        let timed_out = self.watchdog.disarm();

        if !connection.is_open() {
            match (timed_out, connection.closed_by()) {
                (true, _) => tracing::warn!(
                    worker = self.id,
                    timeout_secs = self.shared.call_timeout.as_secs_f64(),
                    "RFC call cancelled after the timeout; the connection will be reopened."
                ),
                (false, Some(error)) => tracing::warn!(
                    worker = self.id,
                    error = %error,
                    "RFC connection lost; it will be reopened."
                ),
                (false, None) => {}
            }
            self.connection = None;
        }
        result.map_err(|error| CallFailure { error, timed_out })
    }

    fn deliver(&mut self, delivery: &Delivery) -> SendOutcome {
        let key = delivery.posting.key.as_str();
        let outcome = self.send(delivery);
        match &outcome {
            SendOutcome::Posted { sap_key, .. } => {
                tracing::debug!(posting_key = key, sap_key, "Document posted over RFC.")
            }
            SendOutcome::Rejected { messages } => {
                tracing::debug!(posting_key = key, messages, "SAP refused the document.")
            }
            SendOutcome::Retry { reason }
            | SendOutcome::InDoubt { reason }
            | SendOutcome::Fatal { reason } => {
                tracing::debug!(posting_key = key, error = reason, "RFC send failed.")
            }
        }
        outcome
    }

    fn send(&mut self, delivery: &Delivery) -> SendOutcome {
        let request = match Request::new(delivery, &self.shared.sender) {
            Ok(request) => request,
            Err(refused) => return refused,
        };
        if let Err(outcome) = self.connect() {
            return outcome;
        }

        let name = request.function_name();
        let mut post = match self.function(name) {
            Ok(function) => function,
            Err(failure) => return unusable_function(name, &failure),
        };
        if let Err(error) = request.fill(&mut post) {
            let messages = format!("The document does not fit {name} of this system: {error}");
            return SendOutcome::Rejected { messages };
        }
        if let Err(failure) = self.call(&mut post) {
            self.roll_back();
            return document::before_commit(name, &failure.error, failure.timed_out);
        }
        let (messages, sap_key) = match read_post(&mut post) {
            Ok(read) => read,
            Err(error) => {
                // Without RETURN nobody knows whether SAP refused; discard the posting.
                self.roll_back();
                let reason = format!("cannot read the answer of {name}: {error}");
                return SendOutcome::Retry { reason };
            }
        };
        if messages.iter().any(BapiMessage::is_error) {
            self.roll_back();
            let text = document::format_messages(&messages);
            return match messages.iter().any(BapiMessage::is_transient) {
                true => SendOutcome::Retry { reason: text },
                false => SendOutcome::Rejected { messages: text },
            };
        }

        let outcome = self.commit(&messages, sap_key);
        match outcome {
            SendOutcome::Posted { sap_key, messages } if is_temporary(&sap_key) => {
                self.find_committed(delivery, messages)
            }
            outcome => outcome,
        }
    }

    /// BAPI_TRANSACTION_COMMIT with WAIT on the connection that holds the posting.
    fn commit(&mut self, messages: &[BapiMessage], sap_key: String) -> SendOutcome {
        let mut commit = match self.function(document::COMMIT) {
            Ok(function) => function,
            // No commit was sent; the pending posting ends with the session.
            Err(failure) => {
                self.roll_back();
                return document::before_commit(document::COMMIT, &failure.error, false);
            }
        };
        if let Err(error) = commit.set_value("WAIT", "X") {
            self.roll_back();
            let reason = format!("cannot set WAIT of {}: {error}", document::COMMIT);
            return SendOutcome::Fatal { reason };
        }
        if let Err(failure) = self.call(&mut commit) {
            return document::during_commit(&failure.error, failure.timed_out);
        }
        match document::return_structure(&mut commit) {
            Ok(None) => SendOutcome::Posted {
                sap_key,
                messages: document::format_messages(messages),
            },
            Ok(Some(message)) if message.is_error() => {
                // The update failed and kept nothing; ROLLBACK clears what the BAPI buffered.
                self.roll_back();
                SendOutcome::Rejected {
                    messages: message.to_string(),
                }
            }
            Ok(Some(_)) => SendOutcome::Posted {
                sap_key,
                messages: document::format_messages(messages),
            },
            Err(error) => SendOutcome::InDoubt {
                reason: format!("cannot read the answer of {}: {error}", document::COMMIT),
            },
        }
    }

    /// A commit succeeded but POST answered no final key (late number assignment): the
    /// document is found by its reference, on the same connection.
    fn find_committed(&mut self, delivery: &Delivery, messages: String) -> SendOutcome {
        match self.lookup(&delivery.posting) {
            Ok(Some(sap_key)) => SendOutcome::Posted { sap_key, messages },
            Ok(None) => SendOutcome::InDoubt {
                reason: "SAP committed but named no document number, and none was found by \
                         the reference"
                    .to_owned(),
            },
            Err(error) => SendOutcome::InDoubt {
                reason: format!("SAP committed but named no document number: {error}"),
            },
        }
    }

    /// BAPI_TRANSACTION_ROLLBACK, so the next document finds the session clean. When it
    /// fails the connection is closed instead, which discards the session all the same.
    fn roll_back(&mut self) {
        if self.connection.is_none() {
            return;
        }
        let rolled_back = self
            .function(document::ROLLBACK)
            .and_then(|mut rollback| self.call(&mut rollback));
        if let Err(failure) = rolled_back {
            tracing::debug!(
                worker = self.id,
                error = %failure.error,
                "Rollback failed; closing the connection instead."
            );
            if let Some(connection) = self.connection.take() {
                let _ = connection.close();
            }
        }
    }

    fn lookup(&mut self, posting: &Posting) -> Result<Option<String>, String> {
        let query = Query::new(posting)?;
        self.connect().map_err(|outcome| match outcome {
            SendOutcome::Retry { reason } | SendOutcome::Fatal { reason } => reason,
            other => format!("{other:?}"),
        })?;
        let failed = |failure: CallFailure| -> String {
            let error = &failure.error;
            let reason = document::describe(lookup::READ_TABLE, error, failure.timed_out);
            match error.key() {
                "NOT_AUTHORIZED" => {
                    format!("{reason}; the RFC user needs S_TABU_DIS or S_TABU_NAM to read BKPF")
                }
                _ => reason,
            }
        };
        let mut read = self.function(lookup::READ_TABLE).map_err(failed)?;
        query
            .fill(&mut read)
            .map_err(|error| format!("cannot fill {}: {error}", lookup::READ_TABLE))?;
        self.call(&mut read).map_err(failed)?;
        let rows = lookup::read_rows(&mut read).map_err(|error| {
            format!("cannot read the answer of {}: {error}", lookup::READ_TABLE)
        })?;
        Ok(query.answer(&rows))
    }
}

/// The RETURN rows of a POST and its OBJ_KEY.
fn read_post(post: &mut Function) -> Result<(Vec<BapiMessage>, String), RfcError> {
    let messages = document::return_table(post)?;
    let sap_key = post.value("OBJ_KEY")?;
    Ok((messages, sap_key))
}

/// An object key that is not the document's: blank, or SAP's `$` placeholder.
fn is_temporary(sap_key: &str) -> bool {
    let key = sap_key.trim();
    key.is_empty() || key.starts_with('$')
}

/// The BAPI's interface could not be read: nothing was sent.
fn unusable_function(name: &str, failure: &CallFailure) -> SendOutcome {
    let reason = document::describe(name, &failure.error, failure.timed_out);
    match Cause::of(&failure.error) {
        Cause::Lost | Cause::NotSent => SendOutcome::Retry { reason },
        // A system without the function, or a user who may not read its interface: no
        // document can be posted until that is fixed.
        _ => SendOutcome::Fatal {
            reason: format!("{reason} (is {name} available to the RFC user?)"),
        },
    }
}

/// Cancels a call of one worker that runs past its deadline, from its own thread.
struct Watchdog {
    state: Mutex<WatchState>,
    wake: Condvar,
}

#[derive(Default)]
struct WatchState {
    armed: Option<(Instant, Canceller)>,
    fired: bool,
    stopped: bool,
}

impl Watchdog {
    fn start(worker: usize) -> std::io::Result<Arc<Watchdog>> {
        let watchdog = Arc::new(Watchdog {
            state: Mutex::new(WatchState::default()),
            wake: Condvar::new(),
        });
        let watching = watchdog.clone();
        thread::Builder::new()
            .name(format!("bizsap-rfc-{worker}-watchdog"))
            .spawn(move || watching.watch())?;
        Ok(watchdog)
    }

    fn lock(&self) -> MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn arm(&self, canceller: Canceller, timeout: Duration) {
        let mut state = self.lock();
        state.armed = Some((Instant::now() + timeout, canceller));
        state.fired = false;
        self.wake.notify_one();
    }

    /// Ends the watch of a call; whether it cancelled the call.
    fn disarm(&self) -> bool {
        let mut state = self.lock();
        state.armed = None;
        std::mem::take(&mut state.fired)
    }

    fn stop(&self) {
        self.lock().stopped = true;
        self.wake.notify_one();
    }

    fn watch(&self) {
        let mut state = self.lock();
        while !state.stopped {
            let Some((deadline, _)) = &state.armed else {
                state = self
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            let now = Instant::now();
            if now < *deadline {
                let wait = *deadline - now;
                let waited = self.wake.wait_timeout(state, wait);
                state = waited.unwrap_or_else(PoisonError::into_inner).0;
                continue;
            }
            // Cancelled under the lock: the worker cannot end the watch meanwhile, and a
            // call that already returned is not cancelled (the canceller checks that).
            if let Some((_, canceller)) = state.armed.take() {
                state.fired = matches!(canceller.cancel(), Ok(true));
            }
        }
    }
}
