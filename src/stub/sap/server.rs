//! The stub's network side: an HTTP server with the inspection API tests use, started from
//! the command line or in-process.
//!
//! | route | what it does |
//! | --- | --- |
//! | `GET /stub/documents` | committed documents with their items |
//! | `GET /stub/totals` | document count and balances per account and vendor |
//! | `POST /stub/reset` | empties the ledger and disarms every fault |
//! | `GET /stub/faults` | armed faults and the seed |
//! | `POST /stub/faults` | arms one fault rule or an array of them |
//! | `DELETE /stub/faults` | disarms every fault |
//! | `POST /stub/calls` | runs function calls in one session, for trying the stub by hand |
//!
//! Nothing here needs authentication except `/stub/calls`, which logs on like a transport.

use std::io;
use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::call::{FunctionCall, Parameters};
use super::engine::{Logon, LogonError, StubSap};
use super::faults::FaultRule;
use super::master_data::UserKind;
use crate::stub::serve::Served;

/// The HTTP application: the inspection API under `/stub`.
pub fn router(sap: StubSap) -> Router {
    // TODO(#4): mount the IDoc XML inbound (`/sap/bc/idoc_xml`) here.
    Router::new()
        .route("/stub/documents", get(documents))
        .route("/stub/totals", get(totals))
        .route("/stub/reset", post(reset))
        .route(
            "/stub/faults",
            get(faults).post(arm_faults).delete(disarm_faults),
        )
        .route("/stub/calls", post(calls))
        .with_state(sap)
}

/// A running stub SAP server. Dropping it stops the listeners too; [`shutdown`] also waits
/// for them to finish.
///
/// [`shutdown`]: StubSapServer::shutdown
pub struct StubSapServer {
    sap: StubSap,
    http: Served,
}

impl StubSapServer {
    /// Binds `listen` and serves until shut down.
    pub async fn start(listen: SocketAddr, sap: StubSap) -> io::Result<Self> {
        let http = Served::start(listen, router(sap.clone())).await?;
        // TODO(#5): start the RFC listener beside the HTTP one, on its own port.
        Ok(Self { sap, http })
    }

    /// Binds a free port on the loopback interface, for tests.
    pub async fn start_local(sap: StubSap) -> io::Result<Self> {
        Self::start(SocketAddr::from(([127, 0, 0, 1], 0)), sap).await
    }

    /// Address of the HTTP listener.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.addr()
    }

    pub fn sap(&self) -> &StubSap {
        &self.sap
    }

    /// Stops accepting, lets open requests finish, and waits for the listeners.
    pub async fn shutdown(self) -> io::Result<()> {
        self.http.shutdown().await
    }
}

/// A JSON error answer: `{"error": "..."}`.
fn error(status: StatusCode, message: impl ToString) -> Response {
    let body = serde_json::json!({ "error": message.to_string() });
    (status, Json(body)).into_response()
}

async fn documents(State(sap): State<StubSap>) -> Response {
    Json(sap.documents()).into_response()
}

async fn totals(State(sap): State<StubSap>) -> Response {
    Json(sap.totals()).into_response()
}

async fn reset(State(sap): State<StubSap>) -> Response {
    match sap.reset() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err),
    }
}

async fn faults(State(sap): State<StubSap>) -> Response {
    Json(sap.faults()).into_response()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(FaultRule),
    Many(Vec<FaultRule>),
}

async fn arm_faults(State(sap): State<StubSap>, Json(body): Json<OneOrMany>) -> Response {
    let rules = match body {
        OneOrMany::One(rule) => vec![rule],
        OneOrMany::Many(rules) => rules,
    };
    match sap.arm_faults(rules) {
        Ok(()) => Json(sap.faults()).into_response(),
        Err(err) => error(StatusCode::UNPROCESSABLE_ENTITY, err),
    }
}

async fn disarm_faults(State(sap): State<StubSap>) -> Response {
    sap.disarm_faults();
    Json(sap.faults()).into_response()
}

/// Calls run by hand: one session, the calls in order, the session ended afterwards (so
/// anything not committed is discarded).
#[derive(Deserialize)]
struct CallsRequest {
    user: String,
    password: String,
    #[serde(default = "rfc")]
    channel: UserKind,
    calls: Vec<FunctionCall>,
}

fn rfc() -> UserKind {
    UserKind::Rfc
}

#[derive(Serialize)]
struct CallResult {
    function: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<Parameters>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<CallFailure>,
}

#[derive(Serialize)]
struct CallFailure {
    kind: &'static str,
    message: String,
}

async fn calls(State(sap): State<StubSap>, Json(request): Json<CallsRequest>) -> Response {
    let logon = Logon {
        user: &request.user,
        password: &request.password,
        channel: request.channel,
    };
    let mut session = match sap.open_session(&logon) {
        Ok(session) => session,
        Err(err @ LogonError::Failed { .. }) => return error(StatusCode::UNAUTHORIZED, err),
        Err(err @ LogonError::Refused) => return error(StatusCode::SERVICE_UNAVAILABLE, err),
    };

    let mut results = Vec::new();
    for call in &request.calls {
        let function = call.function.clone();
        match session.call(call).await {
            Ok(parameters) => {
                results.push(CallResult {
                    function,
                    parameters: Some(parameters),
                    error: None,
                });
            }
            Err(err) => {
                let error = CallFailure {
                    kind: err.kind(),
                    message: err.to_string(),
                };
                results.push(CallResult {
                    function,
                    parameters: None,
                    error: Some(error),
                });
                break;
            }
        }
    }
    Json(results).into_response()
}
