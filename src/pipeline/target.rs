//! What the pipeline needs from a transport to SAP.

use std::future::Future;

use crate::posting::Posting;

/// One document to send. A reversal carries the document it reverses as that was posted
/// (the IDoc transport mirrors its items) and that document's SAP key.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub posting: Posting,
    pub original: Option<Posting>,
    pub original_sap_key: Option<String>,
}

impl Delivery {
    /// A document that reverses nothing.
    pub fn document(posting: Posting) -> Delivery {
        Delivery {
            posting,
            original: None,
            original_sap_key: None,
        }
    }
}

/// What became of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// SAP posted and committed the document as `sap_key` (BELNR + BUKRS + GJAHR).
    Posted { sap_key: String, messages: String },
    /// SAP refused the document with these messages; it waits for a person.
    Rejected { messages: String },
    /// The send failed before SAP could post (connection refused, lock, HTTP 5xx): send
    /// again later with the same key.
    Retry { reason: String },
    /// The request may have reached SAP but no answer came: ask before sending again.
    InDoubt { reason: String },
    /// SAP refused the bridge itself (logon, authorisation): nothing can succeed.
    Fatal { reason: String },
}

/// A transport to SAP.
pub trait Target {
    /// Sends the documents, as many at once as the transport allows, and says what became
    /// of each, in order.
    fn deliver(&self, batch: Vec<Delivery>) -> impl Future<Output = Vec<SendOutcome>>;

    /// Whether SAP holds a document with this posting's key: its SAP key, or `None`.
    fn lookup(&self, posting: &Posting) -> impl Future<Output = Result<Option<String>, String>>;
}
