//! The RFC target: documents posted with BAPI_ACC_DOCUMENT_POST (or _REV_POST) and
//! BAPI_TRANSACTION_COMMIT through SAP's RFC library, which is loaded at run time.
//!
//! # Pool
//!
//! [`RfcTarget`] runs N worker threads, each owning one connection, so a connection serves
//! one call at a time as the SDK requires and the async runtime never waits on SAP. Work
//! arrives over one queue: [`deliver`](Target::deliver) puts every document of a batch on it
//! and awaits the answers in the batch's order, so up to N documents are in SAP at once. A
//! worker opens its connection when it first needs one, adding the password to the logon
//! parameters only for that call, and opens a new one after the library closed the old one
//! (communication failure, short dump, cancel). Each connection is one user session and
//! holds a dialog work process while a call runs; N is sized with the Basis team.
//!
//! # One document
//!
//! ```text
//!   POST / REV_POST ──E or A in RETURN──▶ ROLLBACK ──▶ Rejected, or Retry for a lock
//!        │ no error
//!        ▼
//!   COMMIT (WAIT = X) ──E or A in RETURN──▶ Rejected (the update failed, nothing kept)
//!        │ blank RETURN
//!        ▼
//!   Posted: OBJ_KEY (BELNR + BUKRS + GJAHR) and the RW 605 line
//! ```
//!
//! POST and COMMIT run on the same connection: the posting is pending in that user session
//! until the commit, and a commit in any other session would commit nothing. A worker never
//! reconnects between the two; if the connection is gone by then, so is the posting. Every
//! document ends with COMMIT, ROLLBACK or the connection closed, so the next document on the
//! connection starts with nothing pending.
//!
//! # What a failure means
//!
//! What matters is whether SAP may have committed. Before COMMIT was sent nothing can exist
//! in SAP: the pending posting dies with its session. Once COMMIT was sent without an answer,
//! it may have run.
//!
//! | failure | before COMMIT was sent | during COMMIT |
//! | --- | --- | --- |
//! | E or A in RETURN | Rejected with SAP's messages (a lock: Retry) | Rejected |
//! | logon, missing RFC authorisation | Fatal | Fatal |
//! | connection lost, call timed out, short dump | Retry | InDoubt |
//! | connection already closed, call not sent | Retry | Retry |
//! | ABAP message raised (`RFC_ABAP_MESSAGE`) | Rejected (a lock: Retry) | InDoubt |
//! | interface mismatch (parameter, conversion) | Rejected | InDoubt |
//! | a reversal without the original's SAP key | Rejected, nothing sent | — |
//!
//! A failure to open a connection is Fatal when SAP refused the logon or the parameters are
//! wrong, and Retry when the system could not be reached.
//!
//! # Timeouts
//!
//! Every call runs under a watchdog: a call that has not returned after the call timeout is
//! broken off from the watchdog's thread with `RfcCancel`, which closes the connection (and
//! ends the session). A POST cut off that way is retried; a COMMIT cut off is in doubt, as
//! SAP may finish it after the connection is gone. The worker opens a new connection for
//! its next document.
//!
//! # Lookup
//!
//! After an unanswered COMMIT, [`lookup`](Target::lookup) asks SAP with RFC_READ_TABLE on
//! BKPF: `BUKRS = '<company>' AND XBLNR = '<posting key>'`, reading BUKRS, BELNR, GJAHR and
//! STBLG. For a document the earliest matching row is the answer: a reversal copies the
//! original's reference, so the original and its reversal both match. For a reversal, whose
//! own key SAP cannot hold, the original's row is read by the original's posting key, and its
//! STBLG names the reversal document.

mod document;
mod lookup;
mod pool;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use sapnwrfc_sys::{ConnectionParams, Library, LoadError};
use tokio::sync::oneshot;

use crate::config::RfcConfig;
use crate::pipeline::{Delivery, SendOutcome, Target};
use crate::posting::Posting;
use crate::sap::bapi::Sender;
use crate::secret::Secret;

use pool::{Job, Pool};

/// The logon timeout's range in SAP's library.
const LOGON_TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(3600));

/// How the RFC target connects and posts.
#[derive(Debug, Clone)]
pub struct RfcSettings {
    /// The SDK's `lib` directory, or the library file itself.
    pub library: PathBuf,
    /// Logon parameters as SAP names them (`ashost`, `sysnr`, `client`, `user`, `lang`,
    /// `dest`, `mshost`, `group`, `snc_*` ...), passed to the library unchanged. A `passwd`
    /// here is ignored: the password comes from [`password`](Self::password).
    pub parameters: BTreeMap<String, String>,
    pub password: Secret,
    /// Connections, each owned by one worker thread; at least 1.
    pub connections: usize,
    /// Longest time one call may take before it is cancelled.
    pub call_timeout: Duration,
    /// `USERNAME` and logical system of the documents.
    pub sender: Sender,
    /// The directory of `sapnwrfc.ini`, for connections opened with `dest`.
    pub ini_dir: Option<PathBuf>,
}

impl RfcSettings {
    /// The settings of a configuration file's `[sap.rfc]`, with the sender of the documents.
    pub fn from_config(config: &RfcConfig, sender: Sender) -> RfcSettings {
        RfcSettings {
            library: config.library_dir.clone(),
            parameters: config.parameters.clone(),
            password: config.password.clone(),
            connections: config.connections,
            call_timeout: config.call_timeout,
            sender,
            ini_dir: config.ini_dir.clone(),
        }
    }
}

/// Why the RFC target could not start.
#[derive(Debug, thiserror::Error)]
pub enum RfcTargetError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot start an RFC worker thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("cannot use [sap.rfc] ini_dir: {0}")]
    IniDir(#[source] sapnwrfc_sys::RfcError),
}

/// Posts documents into SAP over RFC through a pool of connections.
pub struct RfcTarget {
    jobs: mpsc::Sender<Job>,
    connections: usize,
    _pool: Pool,
}

impl std::fmt::Debug for RfcTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RfcTarget")
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl RfcTarget {
    /// Loads the RFC library and starts the workers; connections open when first needed, so
    /// a wrong password shows up as [`SendOutcome::Fatal`] on the first document.
    pub fn new(settings: RfcSettings) -> Result<RfcTarget, RfcTargetError> {
        let library = match settings.library.is_file() {
            true => Library::load_file(&settings.library)?,
            false => Library::load(&settings.library)?,
        };
        let library = Arc::new(library);
        if let Some(dir) = &settings.ini_dir {
            library.set_ini_dir(dir).map_err(RfcTargetError::IniDir)?;
        }
        let (low, high) = LOGON_TIMEOUT_RANGE;
        let logon_timeout = settings.call_timeout.clamp(low, high);
        if let Err(error) = library.set_logon_timeout(logon_timeout) {
            tracing::warn!(error = %error, "Cannot set the RFC logon timeout; the SDK's applies.");
        }

        let mut params = ConnectionParams::new();
        for (name, value) in &settings.parameters {
            if !name.eq_ignore_ascii_case("passwd") {
                params.insert(name, value.as_str());
            }
        }
        let connections = settings.connections.max(1);
        tracing::info!(
            connections,
            library = %library.path().display(),
            version = %library.version(),
            "RFC target started."
        );
        let shared = pool::Shared {
            library,
            params,
            password: settings.password,
            sender: settings.sender,
            call_timeout: settings.call_timeout,
        };
        let (jobs, queue) = mpsc::channel();
        let pool = Pool::start(shared, connections, queue).map_err(RfcTargetError::Thread)?;
        Ok(RfcTarget {
            jobs,
            connections,
            _pool: pool,
        })
    }

    /// Connections (and worker threads) of the pool.
    pub fn connections(&self) -> usize {
        self.connections
    }
}

impl Target for RfcTarget {
    fn deliver(&self, batch: Vec<Delivery>) -> impl Future<Output = Vec<SendOutcome>> {
        let jobs = self.jobs.clone();
        async move {
            let mut answers = Vec::with_capacity(batch.len());
            for delivery in batch {
                let (reply, answer) = oneshot::channel();
                let queued = jobs
                    .send(Job::Deliver {
                        delivery: Box::new(delivery),
                        reply,
                    })
                    .is_ok();
                answers.push(queued.then_some(answer));
            }
            let mut outcomes = Vec::with_capacity(answers.len());
            for answer in answers {
                let outcome = match answer {
                    None => SendOutcome::Retry {
                        reason: "the RFC target is shut down; nothing was sent".to_owned(),
                    },
                    Some(answer) => answer.await.unwrap_or_else(|_| SendOutcome::InDoubt {
                        reason: "the RFC worker stopped without an answer".to_owned(),
                    }),
                };
                outcomes.push(outcome);
            }
            outcomes
        }
    }

    fn lookup(&self, posting: &Posting) -> impl Future<Output = Result<Option<String>, String>> {
        let jobs = self.jobs.clone();
        let posting = Box::new(posting.clone());
        async move {
            let (reply, answer) = oneshot::channel();
            jobs.send(Job::Lookup { posting, reply })
                .map_err(|_| "the RFC target is shut down".to_owned())?;
            answer
                .await
                .map_err(|_| "the RFC worker stopped without an answer".to_owned())?
        }
    }
}
