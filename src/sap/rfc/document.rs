//! One delivery as RFC calls: the BAPI parameters filled by field name, SAP's return
//! messages read back, and what an RFC error means for the document.

use std::fmt;

use sapnwrfc_sys::{DataContainer, ErrorGroup, Function, ReturnCode, RfcError};

use crate::pipeline::{Delivery, SendOutcome};
use crate::posting::PostingKind;
use crate::sap::bapi::{DocumentPost, DocumentReversal, Fields, Sender};

pub const POST: &str = "BAPI_ACC_DOCUMENT_POST";
pub const REVERSE: &str = "BAPI_ACC_DOCUMENT_REV_POST";
pub const COMMIT: &str = "BAPI_TRANSACTION_COMMIT";
pub const ROLLBACK: &str = "BAPI_TRANSACTION_ROLLBACK";

/// Messages that mean "try again later": another user or job holds a lock SAP needs. Matched
/// on class and number, as texts depend on the logon language.
const TRANSIENT: [(&str, &str); 2] = [
    // Number range object locked (the stub's lock fault answers with it, too).
    ("NR", "751"),
    // The enqueue server's "object requested is currently locked by user ...".
    ("MC", "601"),
];

/// The call a delivery becomes.
#[derive(Debug)]
pub enum Request {
    Post(DocumentPost),
    Reverse(DocumentReversal),
}

impl Request {
    /// The parameters of the delivery; a reversal without the SAP key of its original is
    /// refused here, as SAP could not know what to reverse.
    pub fn new(delivery: &Delivery, sender: &Sender) -> Result<Request, SendOutcome> {
        let posting = &delivery.posting;
        if posting.kind != PostingKind::Reversal {
            return Ok(Request::Post(DocumentPost::new(posting, sender)));
        }
        match delivery.original_sap_key.as_deref().map(str::trim) {
            Some(key) if !key.is_empty() => Ok(Request::Reverse(DocumentReversal::new(
                posting, key, sender,
            ))),
            _ => Err(SendOutcome::Rejected {
                messages: "The reversal was not sent: the SAP document number of the original \
                           is not known, so there is nothing to reverse in SAP"
                    .to_owned(),
            }),
        }
    }

    pub fn function_name(&self) -> &'static str {
        match self {
            Request::Post(_) => POST,
            Request::Reverse(_) => REVERSE,
        }
    }

    /// Sets every field of the request on the function, by SAP's field names.
    pub fn fill(&self, function: &mut Function) -> Result<(), RfcError> {
        match self {
            Request::Post(post) => {
                set_structure(function, "DOCUMENTHEADER", &post.documentheader)?;
                append_rows(function, "ACCOUNTGL", &post.accountgl)?;
                append_rows(function, "ACCOUNTPAYABLE", &post.accountpayable)?;
                append_rows(function, "ACCOUNTTAX", &post.accounttax)?;
                append_rows(function, "CURRENCYAMOUNT", &post.currencyamount)
            }
            Request::Reverse(reversal) => {
                set_structure(function, "REVERSAL", &reversal.reversal)?;
                function.set_value("BUS_ACT", &reversal.bus_act)
            }
        }
    }
}

fn set_structure(function: &mut Function, name: &str, fields: &Fields) -> Result<(), RfcError> {
    let mut structure = function.structure(name)?;
    fields
        .0
        .iter()
        .try_for_each(|(field, value)| structure.set_value(field, value))
}

fn append_rows(function: &mut Function, name: &str, rows: &[Fields]) -> Result<(), RfcError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut table = function.table(name)?;
    for fields in rows {
        let mut row = table.append_row()?;
        for (field, value) in &fields.0 {
            row.set_value(field, value)?;
        }
    }
    Ok(())
}

/// One BAPIRET2 row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BapiMessage {
    /// `S`, `E`, `W`, `I` or `A`.
    pub kind: String,
    /// The message class, e.g. `RW`.
    pub class: String,
    pub number: String,
    pub text: String,
}

impl BapiMessage {
    fn read(row: &impl DataContainer) -> Result<BapiMessage, RfcError> {
        Ok(BapiMessage {
            kind: row.value("TYPE")?,
            class: row.value("ID")?,
            number: row.value("NUMBER")?,
            text: row.value("MESSAGE")?,
        })
    }

    pub fn is_error(&self) -> bool {
        matches!(self.kind.as_str(), "E" | "A")
    }

    /// A lock or another condition that passes by itself.
    pub fn is_transient(&self) -> bool {
        let number = self.number.trim_start_matches('0');
        TRANSIENT
            .iter()
            .any(|(class, known)| self.class == *class && known.trim_start_matches('0') == number)
    }
}

impl fmt::Display for BapiMessage {
    /// `E RW 609 Error in document: BKPFF $ BSPCLNT100`, as SAP's message log shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.kind, self.class, self.number, self.text
        )
    }
}

/// Messages one per line.
pub fn format_messages(messages: &[BapiMessage]) -> String {
    let lines: Vec<String> = messages.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// The rows of a RETURN table.
pub fn return_table(function: &mut Function) -> Result<Vec<BapiMessage>, RfcError> {
    let mut table = function.table("RETURN")?;
    let mut messages = Vec::with_capacity(table.len()?);
    for index in 0..table.len()? {
        messages.push(BapiMessage::read(&table.row(index)?)?);
    }
    Ok(messages)
}

/// A RETURN structure; `None` when it is blank, as after a successful commit.
pub fn return_structure(function: &mut Function) -> Result<Option<BapiMessage>, RfcError> {
    let message = BapiMessage::read(&function.structure("RETURN")?)?;
    let blank = message.kind.is_empty() && message.class.is_empty() && message.text.is_empty();
    Ok((!blank).then_some(message))
}

/// What an RFC error says about the call it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// SAP refused the bridge itself (logon, authentication, RFC authorisation): the
    /// function did not run, and nothing else will until a person acts.
    Refused,
    /// The function raised an ABAP message (`RFC_ABAP_MESSAGE`): SAP refused the work.
    Message(BapiMessage),
    /// The call does not fit the function's interface or the data its fields hold.
    Interface,
    /// The connection was closed before the call: it was not sent.
    NotSent,
    /// The connection broke, the call was cancelled or the system dumped: the session is
    /// gone, and whatever the call did before that is unknown.
    Lost,
}

impl Cause {
    pub fn of(error: &RfcError) -> Cause {
        let refused_groups = [
            ErrorGroup::LogonFailure,
            ErrorGroup::ExternalAuthorizationFailure,
            ErrorGroup::ExternalAuthenticationFailure,
            ErrorGroup::CryptolibFailure,
        ];
        if refused_groups.contains(&error.group()) || lacks_rfc_authorisation(error) {
            return Cause::Refused;
        }
        match error.code() {
            ReturnCode::LogonFailure
            | ReturnCode::AuthorizationFailure
            | ReturnCode::AuthenticationFailure
            | ReturnCode::CryptolibFailure => Cause::Refused,
            ReturnCode::InvalidHandle => Cause::NotSent,
            ReturnCode::AbapMessage => match error.abap_message() {
                Some(abap) => Cause::Message(BapiMessage {
                    kind: abap.kind.clone(),
                    class: abap.class.clone(),
                    number: abap.number.clone(),
                    text: error.message().to_owned(),
                }),
                None => Cause::Lost,
            },
            ReturnCode::AbapException
            | ReturnCode::AbapClassException
            | ReturnCode::InvalidParameter
            | ReturnCode::ConversionFailure
            | ReturnCode::CodepageConversionFailure
            | ReturnCode::BufferTooSmall
            | ReturnCode::NotFound => Cause::Interface,
            _ => Cause::Lost,
        }
    }
}

/// SAP checks authorisation object S_RFC before a function module runs and answers a
/// missing one with a system failure naming it.
fn lacks_rfc_authorisation(error: &RfcError) -> bool {
    let message = error.message().to_ascii_lowercase();
    error.code() == ReturnCode::AbapRuntimeFailure
        && (error.key() == "RFC_NO_AUTHORITY" || message.contains("no rfc authorization"))
}

/// What a failed call before the commit means for the document: nothing was committed.
pub fn before_commit(function: &str, error: &RfcError, timed_out: bool) -> SendOutcome {
    let reason = describe(function, error, timed_out);
    match Cause::of(error) {
        Cause::Refused => SendOutcome::Fatal { reason },
        Cause::Message(message) if message.is_transient() => SendOutcome::Retry {
            reason: message.to_string(),
        },
        Cause::Message(message) => SendOutcome::Rejected {
            messages: message.to_string(),
        },
        Cause::Interface => SendOutcome::Rejected { messages: reason },
        Cause::NotSent | Cause::Lost => SendOutcome::Retry { reason },
    }
}

/// What a failed commit means: unless it surely did not run, it may have committed.
pub fn during_commit(error: &RfcError, timed_out: bool) -> SendOutcome {
    let reason = describe(COMMIT, error, timed_out);
    match Cause::of(error) {
        Cause::Refused => SendOutcome::Fatal { reason },
        Cause::NotSent => SendOutcome::Retry {
            reason: format!("{reason}; the pending posting was discarded with the session"),
        },
        _ => SendOutcome::InDoubt { reason },
    }
}

/// A failure for logs and the journal: which call, what the library said.
pub fn describe(function: &str, error: &RfcError, timed_out: bool) -> String {
    match timed_out {
        true => format!("{function} gave no answer in time and was cancelled: {error}"),
        false => format!("{function} failed: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use sapnwrfc_sys::ffi::RfcErrorInfo;

    use super::*;

    fn message(kind: &str, class: &str, number: &str) -> BapiMessage {
        BapiMessage {
            kind: kind.into(),
            class: class.into(),
            number: number.into(),
            text: "text".into(),
        }
    }

    fn error(code: ReturnCode) -> RfcError {
        RfcError::local(code, "KEY", "what the library said")
    }

    fn abap_message(class: &str, number: &str) -> RfcError {
        let mut info = RfcErrorInfo {
            code: ReturnCode::AbapMessage.raw(),
            group: ErrorGroup::AbapApplicationFailure.raw(),
            ..Default::default()
        };
        for (field, text) in [
            (&mut info.abap_msg_class[..], class),
            (&mut info.abap_msg_type[..], "E"),
            (&mut info.abap_msg_number[..], number),
            (&mut info.message[..], "Posting period 003 2026 is not open"),
        ] {
            for (slot, unit) in field.iter_mut().zip(text.encode_utf16()) {
                *slot = unit;
            }
        }
        RfcError::from_info(0, &info)
    }

    #[test]
    fn messages_print_as_sap_shows_them_and_locks_are_transient() {
        let lead = BapiMessage {
            text: "Error in document: BKPFF $ STBCLNT100".into(),
            ..message("E", "RW", "609")
        };
        let lock = message("E", "NR", "751");
        assert_eq!(
            format_messages(&[lead.clone(), lock.clone()]),
            "E RW 609 Error in document: BKPFF $ STBCLNT100\nE NR 751 text"
        );
        assert!(lead.is_error() && !lead.is_transient());
        assert!(lock.is_transient());
        assert!(message("E", "MC", "601").is_transient());
        assert!(!message("S", "RW", "605").is_error());
        assert!(message("A", "F5", "201").is_error());
    }

    #[test]
    fn failures_before_the_commit_never_leave_a_document_in_doubt() {
        let lost = before_commit(POST, &error(ReturnCode::CommunicationFailure), false);
        assert!(matches!(lost, SendOutcome::Retry { .. }), "{lost:?}");
        let cancelled = before_commit(POST, &error(ReturnCode::Canceled), true);
        let SendOutcome::Retry { reason } = cancelled else {
            panic!("{cancelled:?}")
        };
        assert!(reason.contains("cancelled"), "{reason}");
        let logon = before_commit(POST, &error(ReturnCode::LogonFailure), false);
        assert!(matches!(logon, SendOutcome::Fatal { .. }), "{logon:?}");
        let interface = before_commit(POST, &error(ReturnCode::ConversionFailure), false);
        assert!(matches!(interface, SendOutcome::Rejected { .. }));

        let closed = before_commit(POST, &abap_message("F5", "201"), false);
        assert_eq!(
            closed,
            SendOutcome::Rejected {
                messages: "E F5 201 Posting period 003 2026 is not open".into()
            }
        );
        let locked = before_commit(POST, &abap_message("NR", "751"), false);
        assert!(matches!(locked, SendOutcome::Retry { .. }), "{locked:?}");
    }

    #[test]
    fn a_commit_without_an_answer_is_in_doubt_unless_it_was_never_sent() {
        for code in [
            ReturnCode::CommunicationFailure,
            ReturnCode::Canceled,
            ReturnCode::AbapRuntimeFailure,
            ReturnCode::ConversionFailure,
        ] {
            let outcome = during_commit(&error(code), false);
            assert!(matches!(outcome, SendOutcome::InDoubt { .. }), "{code:?}");
        }
        let closed = during_commit(&error(ReturnCode::InvalidHandle), false);
        assert!(matches!(closed, SendOutcome::Retry { .. }), "{closed:?}");
        let unauthorised = RfcError::local(
            ReturnCode::AbapRuntimeFailure,
            "RFC_ERROR_SYSTEM_FAILURE",
            "User BIZSAP has no RFC authorization for function group BAPT.",
        );
        let outcome = during_commit(&unauthorised, false);
        assert!(matches!(outcome, SendOutcome::Fatal { .. }), "{outcome:?}");
    }
}
