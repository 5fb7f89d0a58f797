//! The stub SAP system: a small FI system in memory that answers the accounting BAPIs the way
//! SAP does, so that mapping bugs and delivery bugs surface in tests.
//!
//! * [`master_data`]: company codes, accounts, vendors, cost centres, tax codes, users;
//! * [`engine`]: sessions, posting, commit and rollback, reversal, table reads;
//! * [`metadata`] and [`messages`]: the interfaces served and the messages answered;
//! * [`faults`]: injected latency, refusals, lost replies and lock errors;
//! * [`server`]: the HTTP side with the inspection API, startable in-process.
//! * [`rfc_server`]: the RFC side, which the stub `libsapnwrfc` talks to.
//!
//! Transports reach the engine through the generic [`FunctionCall`] shape, one [`Session`]
//! per connection:
//!
//! ```
//! use bizsap::stub::sap::{FunctionCall, Logon, MasterData, StubOptions, StubSap, UserKind};
//! # async fn demo(master: MasterData) -> Result<(), Box<dyn std::error::Error>> {
//! let sap = StubSap::new(master, StubOptions::default())?;
//! let logon = Logon { user: "BIZSAP", password: "stub-password", channel: UserKind::Rfc };
//! let mut session = sap.open_session(&logon)?;
//! let answer = session.call(&FunctionCall::new("RFC_PING")).await?;
//! # let _ = answer;
//! # Ok(())
//! # }
//! ```

pub mod call;
pub mod engine;
pub mod faults;
pub mod idoc_inbound;
pub mod ledger;
pub mod master_data;
pub mod messages;
pub mod metadata;
mod posting;
mod read_table;
pub mod rfc_server;
pub mod server;

pub use call::{FunctionCall, Parameters, Structure, Table, Value, structure};
pub use engine::{CallError, InjectedFault, Logon, LogonError, Session, StubOptions, StubSap};
pub use faults::{FaultKind, FaultRule, FaultRuleError, FaultsView};
pub use ledger::{Document, ItemKind, LineItem, StateError, Totals};
pub use master_data::{MasterData, MasterDataError, UserKind};
pub use messages::{BapiReturn, MessageType};
pub use server::StubSapServer;

#[cfg(test)]
mod engine_tests;
