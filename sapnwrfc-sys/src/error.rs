//! Errors of SDK calls, as `RFC_ERROR_INFO` reports them.

use std::fmt;

use crate::ffi::{ErrorGroup, RFC_OK, ReturnCode, RfcErrorInfo, RfcRc};
use crate::uc::{self, InteriorNul};

/// The ABAP message an error carries (`T100` class, type, number and variables), as when a
/// function module ends with `MESSAGE ... RAISING`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AbapMessage {
    pub class: String,
    /// `E`, `A`, `X` ...
    pub kind: String,
    pub number: String,
    pub variables: [String; 4],
}

/// An error reported by the RFC library: its return code, the group that says who failed,
/// a key (the ABAP exception's name for `RFC_ABAP_EXCEPTION`), a message, and the ABAP
/// message when there is one. Codes and groups are kept raw; [`code`](Self::code) and
/// [`group`](Self::group) name them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RfcError {
    code: RfcRc,
    group: i32,
    key: String,
    message: String,
    /// Boxed: most errors have none, and a small error keeps every `Result` small.
    abap_message: Option<Box<AbapMessage>>,
}

impl RfcError {
    /// `Ok` for `RFC_OK`, else the error the library wrote into `info`.
    pub fn check(rc: RfcRc, info: &RfcErrorInfo) -> Result<(), RfcError> {
        match rc {
            RFC_OK => Ok(()),
            rc => Err(Self::from_info(rc, info)),
        }
    }

    /// The error in `info`; `rc` stands in when the library left the code at zero.
    pub fn from_info(rc: RfcRc, info: &RfcErrorInfo) -> Self {
        let abap_class = uc::decode(&info.abap_msg_class);
        let abap_message = (!abap_class.trim().is_empty()).then(|| AbapMessage {
            class: abap_class.trim_end().to_owned(),
            kind: uc::decode_trimmed(&info.abap_msg_type),
            number: uc::decode_trimmed(&info.abap_msg_number),
            variables: [
                uc::decode_trimmed(&info.abap_msg_v1),
                uc::decode_trimmed(&info.abap_msg_v2),
                uc::decode_trimmed(&info.abap_msg_v3),
                uc::decode_trimmed(&info.abap_msg_v4),
            ],
        });
        let abap_message = abap_message.map(Box::new);
        Self {
            code: if info.code == RFC_OK { rc } else { info.code },
            group: info.group,
            key: uc::decode_trimmed(&info.key),
            message: uc::decode(&info.message).trim_end().to_owned(),
            abap_message,
        }
    }

    /// An error found by this crate before calling the library, in the group the SDK uses
    /// for its own client-side errors.
    pub fn local(code: ReturnCode, key: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.raw(),
            group: ErrorGroup::ExternalRuntimeFailure.raw(),
            key: key.to_owned(),
            message: message.into(),
            abap_message: None,
        }
    }

    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::local(
            ReturnCode::InvalidParameter,
            "RFC_INVALID_PARAMETER",
            message,
        )
    }

    pub fn code(&self) -> ReturnCode {
        ReturnCode::from_raw(self.code)
    }

    pub fn raw_code(&self) -> RfcRc {
        self.code
    }

    pub fn group(&self) -> ErrorGroup {
        ErrorGroup::from_raw(self.group)
    }

    pub fn raw_group(&self) -> i32 {
        self.group
    }

    /// The error key; for an ABAP exception, the exception's name.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn abap_message(&self) -> Option<&AbapMessage> {
        self.abap_message.as_deref()
    }

    /// Whether the library closed the connection with this error: after a communication
    /// failure, an ABAP message, a runtime failure (short dump) or a cancel, the handle is
    /// gone and a new connection is needed.
    pub fn closes_connection(&self) -> bool {
        matches!(
            self.code(),
            ReturnCode::CommunicationFailure
                | ReturnCode::AbapMessage
                | ReturnCode::AbapRuntimeFailure
                | ReturnCode::Canceled
        )
    }

    /// The system could not be reached or the connection broke: worth retrying later.
    pub fn is_communication_failure(&self) -> bool {
        self.code() == ReturnCode::CommunicationFailure
            || self.group() == ErrorGroup::CommunicationFailure
    }

    /// User, password or client refused: retrying will not help until the logon data is
    /// fixed.
    pub fn is_logon_failure(&self) -> bool {
        self.code() == ReturnCode::LogonFailure || self.group() == ErrorGroup::LogonFailure
    }
}

impl fmt::Display for RfcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self.message.is_empty() {
            true => "no message",
            false => &self.message,
        };
        write!(f, "{message} ({:?}", self.code())?;
        if !self.key.is_empty() {
            write!(f, ", key {}", self.key)?;
        }
        if let Some(abap) = &self.abap_message {
            write!(f, ", message {} {} {}", abap.kind, abap.class, abap.number)?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for RfcError {}

impl From<InteriorNul> for RfcError {
    fn from(error: InteriorNul) -> Self {
        Self::invalid_parameter(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(field: &mut [u16], text: &str) {
        for (slot, unit) in field.iter_mut().zip(text.encode_utf16()) {
            *slot = unit;
        }
    }

    #[test]
    fn error_info_becomes_an_error_with_its_abap_message() {
        let mut info = RfcErrorInfo {
            code: 4,
            group: 1,
            ..Default::default()
        };
        fill(&mut info.key, "RW609");
        fill(&mut info.message, "Error in document BKPFF $ STBCLNT100");
        fill(&mut info.abap_msg_class, "RW");
        fill(&mut info.abap_msg_type, "E");
        fill(&mut info.abap_msg_number, "609");
        fill(&mut info.abap_msg_v1, "BKPFF");

        let error = RfcError::check(4, &info).unwrap_err();
        assert_eq!(error.code(), ReturnCode::AbapMessage);
        assert_eq!(error.group(), ErrorGroup::AbapApplicationFailure);
        assert!(error.closes_connection());
        let abap = error.abap_message().unwrap();
        assert_eq!((abap.class.as_str(), abap.number.as_str()), ("RW", "609"));
        assert_eq!(abap.variables[0], "BKPFF");
        let text = error.to_string();
        assert!(
            text.starts_with("Error in document BKPFF $ STBCLNT100 (AbapMessage"),
            "{text}"
        );
        assert!(text.contains("message E RW 609"), "{text}");
    }

    #[test]
    fn unknown_codes_are_kept_and_ok_is_not_an_error() {
        let info = RfcErrorInfo {
            code: 40,
            group: 12,
            ..Default::default()
        };
        let error = RfcError::from_info(40, &info);
        assert_eq!(error.code(), ReturnCode::Other(40));
        assert_eq!(error.group(), ErrorGroup::Other(12));
        assert!(!error.closes_connection());
        assert!(RfcError::check(RFC_OK, &RfcErrorInfo::default()).is_ok());
    }
}
