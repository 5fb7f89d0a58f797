//! The stub's network side: an HTTP server with the inspection API tests use, started from
//! the command line or in-process.
//!
//! | route | what it does |
//! | --- | --- |
//! | `GET /stub/documents` | committed documents with their items |
//! | `GET /stub/totals` | document count and balances per account and vendor |
//! | `POST /stub/reset` | empties the ledger and the IDocs, and disarms every fault |
//! | `GET /stub/faults` | armed faults and the seed |
//! | `POST /stub/faults` | arms one fault rule or an array of them |
//! | `DELETE /stub/faults` | disarms every fault |
//! | `POST /stub/calls` | runs function calls in one session, for trying the stub by hand |
//! | `POST /sap/bc/idoc_xml` | the IDoc XML inbound ([`idoc_inbound`]) |
//! | `GET /stub/idocs`, `/stub/idocs/{docnum}`, `/stub/idocs/by-message-id/{id}` | IDoc status |
//!
//! Nothing under `/stub` needs authentication except `/stub/calls`, which logs on like a
//! transport; the IDoc inbound logs on as SAP's ICF service does.
//!
//! Beside the HTTP listener, [`StubSapServer`] runs the RFC listener ([`rfc_server`]) on a
//! port of its own, as an SAP gateway listens apart from the ICM.
//!
//! [`rfc_server`]: super::rfc_server

use std::io;
use std::net::SocketAddr;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::call::{FunctionCall, Parameters};
use super::engine::{Logon, LogonError, StubSap};
use super::faults::FaultRule;
use super::idoc_inbound::{self, IdocInbound};
use super::master_data::UserKind;
use crate::serve::Served;

/// The HTTP application: the inspection API under `/stub` and the IDoc XML inbound, which
/// keeps its IDocs in memory.
pub fn router(sap: StubSap) -> Router {
    router_with(IdocInbound::in_memory(sap))
}

/// The HTTP application with an inbound set up by the caller (body limit, state file).
pub fn router_with(idocs: IdocInbound) -> Router {
    let state = ServerState {
        sap: idocs.sap().clone(),
        idocs: idocs.clone(),
    };
    Router::new()
        .route("/stub/documents", get(documents))
        .route("/stub/totals", get(totals))
        .route("/stub/reset", post(reset))
        .route(
            "/stub/faults",
            get(faults).post(arm_faults).delete(disarm_faults),
        )
        .route("/stub/calls", post(calls))
        .merge(idoc_inbound::routes(idocs))
        .with_state(state)
}

#[derive(Clone)]
struct ServerState {
    sap: StubSap,
    idocs: IdocInbound,
}

impl FromRef<ServerState> for StubSap {
    fn from_ref(state: &ServerState) -> Self {
        state.sap.clone()
    }
}

/// A running stub SAP server. Dropping it stops the listeners too; [`shutdown`] also waits
/// for them to finish.
///
/// [`shutdown`]: StubSapServer::shutdown
pub struct StubSapServer {
    sap: StubSap,
    idocs: IdocInbound,
    http: Served,
    rfc: Served,
}

impl StubSapServer {
    /// Binds `listen` for HTTP and a free port on the same interface for RFC, and serves
    /// until shut down; IDocs are kept in memory.
    pub async fn start(listen: SocketAddr, sap: StubSap) -> io::Result<Self> {
        Self::start_with(listen, IdocInbound::in_memory(sap)).await
    }

    /// Binds `listen` for HTTP and a free port on the same interface for RFC, and serves
    /// until shut down, with an inbound set up by the caller.
    pub async fn start_with(listen: SocketAddr, idocs: IdocInbound) -> io::Result<Self> {
        let rfc_listen = SocketAddr::new(listen.ip(), 0);
        Self::start_on(listen, rfc_listen, idocs).await
    }

    /// Binds `listen` for HTTP and `rfc_listen` for RFC (a gateway's port is 33NN for
    /// system number NN), and serves until shut down.
    pub async fn start_on(
        listen: SocketAddr,
        rfc_listen: SocketAddr,
        idocs: IdocInbound,
    ) -> io::Result<Self> {
        let sap = idocs.sap().clone();
        let http = Served::start(listen, router_with(idocs.clone())).await?;
        let rfc = super::rfc_server::listen(rfc_listen, sap.clone()).await?;
        Ok(Self {
            sap,
            idocs,
            http,
            rfc,
        })
    }

    /// Binds free ports on the loopback interface for both listeners, for tests.
    pub async fn start_local(sap: StubSap) -> io::Result<Self> {
        Self::start(SocketAddr::from(([127, 0, 0, 1], 0)), sap).await
    }

    /// Address of the HTTP listener.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.addr()
    }

    /// Address of the RFC listener, which the stub `libsapnwrfc` reaches with `ashost` and
    /// `sysnr` (port 33NN) or a numeric `gwserv`.
    pub fn rfc_addr(&self) -> SocketAddr {
        self.rfc.addr()
    }

    pub fn sap(&self) -> &StubSap {
        &self.sap
    }

    /// The IDoc XML inbound and the IDocs it has received.
    pub fn idocs(&self) -> &IdocInbound {
        &self.idocs
    }

    /// Stops accepting, lets open requests finish, and waits for the listeners.
    pub async fn shutdown(self) -> io::Result<()> {
        // RFC connections are dropped, as when a system goes down: their pending work is lost.
        let rfc = self.rfc.shutdown().await;
        self.http.shutdown().await.and(rfc)
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

async fn reset(State(state): State<ServerState>) -> Response {
    if let Err(err) = state.sap.reset() {
        return error(StatusCode::INTERNAL_SERVER_ERROR, err);
    }
    match state.idocs.reset() {
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
