//! What `bizsap run` serves for monitoring: health, readiness, Prometheus metrics and a JSON
//! status, read from the journal. Nothing here shows a secret or a card number beyond what
//! the journal's record keys hold.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /healthz` | 200 while the process runs |
//! | `GET /readyz` | 200 when the journal opens and the last pass did not stop; 503 otherwise |
//! | `GET /metrics` | documents by state, last pass time and outcome, in Prometheus text format |
//! | `GET /api/status` | the same as JSON, with the held and rejected documents and their reasons |

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::Timestamp;
use serde_json::json;

use crate::journal::Journal;
use crate::pipeline::SyncReport;

/// The outcome of the last pass, as `run` records it.
#[derive(Debug, Clone)]
pub struct LastPass {
    pub finished: Timestamp,
    /// `None` when the pass completed; the error when it stopped.
    pub error: Option<String>,
    pub report: Option<SyncReport>,
}

/// Shared between `run` and the server.
#[derive(Clone)]
pub struct Monitor {
    journal: PathBuf,
    last: Arc<Mutex<Option<LastPass>>>,
}

impl Monitor {
    pub fn new(journal: PathBuf) -> Monitor {
        Monitor {
            journal,
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// Records the outcome of a pass.
    pub fn record(&self, last: LastPass) {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(last);
    }

    fn last(&self) -> Option<LastPass> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(ready))
            .route("/metrics", get(metrics))
            .route("/api/status", get(status))
            .with_state(self.clone())
    }
}

async fn ready(State(monitor): State<Monitor>) -> Response {
    if let Err(error) = Journal::open(&monitor.journal) {
        let body = format!("journal unavailable: {error}\n");
        return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    }
    match monitor.last().and_then(|last| last.error) {
        Some(error) => {
            let body = format!("the last pass stopped: {error}\n");
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
        None => "ready\n".into_response(),
    }
}

async fn metrics(State(monitor): State<Monitor>) -> Response {
    let journal = match Journal::open(&monitor.journal) {
        Ok(journal) => journal,
        Err(error) => return (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response(),
    };
    let counts = journal.counts().unwrap_or_default();
    let mut out = String::new();
    out.push_str("# HELP bizsap_documents Documents in the journal by state.\n");
    out.push_str("# TYPE bizsap_documents gauge\n");
    for state in crate::journal::State::ALL {
        let count = counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(
            out,
            "bizsap_documents{{state=\"{}\"}} {count}",
            state.name()
        );
    }
    if let Some(last) = monitor.last() {
        out.push_str("# HELP bizsap_last_pass_timestamp_seconds When the last pass ended.\n");
        out.push_str("# TYPE bizsap_last_pass_timestamp_seconds gauge\n");
        let _ = writeln!(
            out,
            "bizsap_last_pass_timestamp_seconds {}",
            last.finished.as_second()
        );
        out.push_str("# HELP bizsap_last_pass_ok Whether the last pass completed.\n");
        out.push_str("# TYPE bizsap_last_pass_ok gauge\n");
        let _ = writeln!(
            out,
            "bizsap_last_pass_ok {}",
            u8::from(last.error.is_none())
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

async fn status(State(monitor): State<Monitor>) -> Response {
    let journal = match Journal::open(&monitor.journal) {
        Ok(journal) => journal,
        Err(error) => {
            let body = json!({"error": error.to_string()});
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
        }
    };
    let counts: serde_json::Map<String, serde_json::Value> = journal
        .counts()
        .unwrap_or_default()
        .into_iter()
        .map(|(state, count)| (state.name().to_owned(), count.into()))
        .collect();
    let problems: Vec<_> = journal
        .problems()
        .unwrap_or_default()
        .into_iter()
        .map(|row| {
            json!({
                "posting_key": row.posting_key, "record_key": row.record_key,
                "state": row.state.name(),
                "reason": row.reason.or(row.messages),
            })
        })
        .collect();
    let last = monitor.last().map(|last| {
        json!({
            "finished": last.finished.to_string(),
            "error": last.error,
            "posted": last.report.as_ref().map(|r| r.posted),
            "rejected": last.report.as_ref().map(|r| r.rejected),
            "held": last.report.as_ref().map(|r| r.held),
        })
    });
    Json(json!({"counts": counts, "problems": problems, "last_pass": last})).into_response()
}
