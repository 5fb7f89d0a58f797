//! IDoc XML: postings as ACC_DOCUMENT03 IDocs, and the reader that checks them on arrival.
//!
//! # Wire format
//!
//! One request body is one XML document without namespace, named after the basic type, holding
//! one IDoc per posting:
//!
//! ```text
//!   <ACC_DOCUMENT03>
//!     <IDOC BEGIN="1">
//!       <EDI_DC40 SEGMENT="1">  control record: partners, types, ARCKEY message id
//!       <E1BPACHE09 SEGMENT="1">  header (BAPIACHE09)            exactly once
//!       <E1BPACGL09 SEGMENT="1">  G/L lines (BAPIACGL09)         0..n
//!       <E1BPACAP09 SEGMENT="1">  vendor lines (BAPIACAP09)      0..n
//!       <E1BPACTX09 SEGMENT="1">  tax lines (BAPIACTX09)         0..n
//!       <E1BPACCR09 SEGMENT="1">  amounts per item (BAPIACCR09)  1..n
//!     </IDOC>
//!     <IDOC BEGIN="1"> ...
//!   </ACC_DOCUMENT03>
//! ```
//!
//! Segments are flat children of `IDOC`, fields are child elements with text, and both follow
//! the order of the definition. The segments are filled from [`crate::sap::bapi`], the same
//! structures the RFC transport passes to BAPI_ACC_DOCUMENT_POST, so the two transports send the
//! same document field for field: dates `YYYYMMDD`, item numbers NUMC 10, account numbers in
//! ALPHA form, amounts with a decimal point and the currency's decimals, credits with a leading
//! minus (ABAP reads a leading or a trailing sign; the leading one is also what RFC sends).
//!
//! # Definitions and validation
//!
//! [`schema::IdocSchema`] holds the control record and segment definitions: field order,
//! lengths, required fields and fixed values. The bridge's own definition is
//! `idoc-schemas/ACC_DOCUMENT03.txt`, built into the binary; a customer's WE60 XML schema export
//! loads into the same structure. Lengths count characters as a Unicode SAP system does (UTF-16
//! code units), so a value the writer accepts fits the field in SAP.
//!
//! The writer checks every IDoc against the definition before it writes a byte of it, so a
//! packet never holds a half-written IDoc; the reader applies the same checks on arrival. Both
//! name the IDoc by its position in the packet, the segment by its number in the IDoc (as
//! SAP's SEGNUM counts) and the field, which is what a status record needs.
//!
//! # Message id: recognising a resend
//!
//! SAP's exactly-once IDoc inbound recognises a message by the id in ARCKEY, written as
//! `urn:sap.com:msgid=<id>`. The id takes the shape of a GUID, the form SAP's own message ids
//! have. The posting key is sixteen ASCII characters, exactly a GUID's 128 bits, so the id *is*
//! the key, written as a GUID:
//!
//! ```text
//!   posting key   B  Z  9  F  N  7  8  6  6  H  1  W  0  F  0  1
//!   message id    425a3946-4e37-3836-3648-315730463031
//! ```
//!
//! The same posting gets the same id on every resend, whatever the packet, its position or
//! DOCNUM; a changed record gets a new revision, so a new key and a new id; and the key can be
//! read back from the id without a lookup table ([`MessageId::posting_key`]).
//!
//! # Reversals
//!
//! ACC_DOCUMENT is the IDoc form of BAPI_ACC_DOCUMENT_POST only: BAPI_ACC_DOCUMENT_REV_POST,
//! which needs nothing but the original's object key, has no IDoc counterpart here, and the
//! amounts segment E1BPACCR09 is mandatory, so a header-only IDoc cannot be sent. A reversal
//! therefore travels as a complete document: E1BPACHE09 names the original in OBJ_KEY_R
//! (BELNR + BUKRS + GJAHR, with OBJ_TYPE BKPFF) and carries REASON_REV, and the items mirror
//! the original's with every amount and tax base negated, so the pair nets to zero line by line.
//! The header keeps the reversal's own key in REF_DOC_NO, so an in-doubt reversal is found in
//! SAP the same way as any other document. Building it needs the original posting and its SAP
//! object key, which the journal holds at delivery time ([`writer::Idoc::reversal`]). The
//! ledger is right however the receiving system links the pair, since the mirrored document
//! nets the original to zero; that it marks the original as reversed is to be seen in the
//! first test against that system.
//!
//! # Reading safely
//!
//! The reader accepts only what an IDoc packet can contain. It refuses any DOCTYPE, so no entity
//! can ever be declared, and with it any reference other than the five predefined entities and
//! character references; it refuses a body over its size limit and any element deeper than
//! root / IDOC / segment / field.
//!
//! # Sending
//!
//! [`http::IdocTarget`] POSTs packets to SAP's ICF service `/sap/bc/idoc_xml` and polls each
//! IDoc's status by message id until SAP has posted (53) or refused (51) it; its documentation
//! says what each answer and status means for exactly-once delivery.

pub mod http;
pub mod reader;
pub mod schema;
pub mod writer;

use std::fmt;

use quick_xml::events::BytesRef;

use crate::posting::PostingKey;

pub use http::{IdocTarget, IdocTargetError};
pub use reader::{LayoutProblem, ReadError, ReadIdoc, ReadLimits, ReadSegment, read_packet};
pub use schema::{FieldDef, IdocSchema, SchemaError, SegmentDef};
pub use writer::{Idoc, IdocError, IdocPartners, IdocWriter, Packet, PacketWriter, Segment};

/// Prefix of a message id in ARCKEY, as SAP's exactly-once IDoc inbound expects it.
pub const MSGID_PREFIX: &str = "urn:sap.com:msgid=";

/// Name of the control record segment.
pub const CONTROL_RECORD: &str = "EDI_DC40";

/// `MESTYP` of accounting documents.
pub const MESSAGE_TYPE: &str = "ACC_DOCUMENT";

/// The id an IDoc carries in ARCKEY, without the `urn:sap.com:msgid=` prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(String);

impl MessageId {
    /// The id of the IDoc posting `key`: the key's sixteen bytes written as a GUID.
    pub fn for_posting(key: &PostingKey) -> MessageId {
        let mut id = String::with_capacity(36);
        for (index, byte) in key.as_str().bytes().enumerate() {
            if matches!(index, 4 | 6 | 8 | 10) {
                id.push('-');
            }
            id.push(char::from(HEX[usize::from(byte >> 4)]));
            id.push(char::from(HEX[usize::from(byte & 15)]));
        }
        MessageId(id)
    }

    /// The id in an ARCKEY value; `None` without the prefix or with nothing after it.
    pub fn from_arckey(arckey: &str) -> Option<MessageId> {
        let id = arckey.strip_prefix(MSGID_PREFIX)?;
        (!id.is_empty()).then(|| MessageId(id.to_owned()))
    }

    /// The ARCKEY value: prefix and id.
    pub fn arckey(&self) -> String {
        format!("{MSGID_PREFIX}{}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The posting key the id was made from; `None` for an id another sender made.
    pub fn posting_key(&self) -> Option<String> {
        let digits: Vec<u8> = self.0.bytes().filter(|&b| b != b'-').collect();
        let hyphens_in_place = self.0.len() == 36
            && self
                .0
                .char_indices()
                .all(|(index, c)| (c == '-') == matches!(index, 8 | 13 | 18 | 23));
        if digits.len() != 32 || !hyphens_in_place {
            return None;
        }
        let key: String = digits
            .chunks(2)
            .map(|pair| {
                let high = hex_value(pair[0])?;
                let low = hex_value(pair[1])?;
                let byte = high << 4 | low;
                byte.is_ascii_alphanumeric().then_some(char::from(byte))
            })
            .collect::<Option<String>>()?;
        // Every posting key starts with B and its purpose; a GUID from elsewhere rarely does.
        (key.starts_with("BZ") || key.starts_with("BR")).then_some(key)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// Where in a packet a problem is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// Position of the IDoc in its packet, from 1.
    pub idoc: Option<usize>,
    /// `EDI_DC40` for the control record, else the data segment's type.
    pub segment: Option<String>,
    /// Position of a data segment in its IDoc, from 1, as SEGNUM counts; none for the control
    /// record.
    pub segment_number: Option<usize>,
    pub field: Option<String>,
}

impl Location {
    pub(crate) fn idoc(idoc: usize) -> Location {
        Location {
            idoc: Some(idoc),
            ..Location::default()
        }
    }

    pub(crate) fn segment(mut self, name: &str, number: Option<usize>) -> Location {
        self.segment = Some(name.to_owned());
        self.segment_number = number;
        self
    }

    pub(crate) fn field(mut self, field: Option<String>) -> Location {
        self.field = field;
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(idoc) = self.idoc {
            parts.push(format!("IDoc {idoc}"));
        }
        match (&self.segment, self.segment_number) {
            (Some(name), Some(number)) => parts.push(format!("segment {number} {name}")),
            (Some(name), None) if name == CONTROL_RECORD => {
                parts.push(format!("control record {name}"));
            }
            (Some(name), None) => parts.push(format!("segment {name}")),
            (None, _) => {}
        }
        if let Some(field) = &self.field {
            parts.push(format!("field {field}"));
        }
        if parts.is_empty() {
            f.write_str("packet")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// A rule of the IDoc definition that a segment or a field breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("the definition has no segment {0}")]
    UnknownSegment(String),
    #[error("{segment} follows {after}, but the definition puts it before")]
    SegmentOutOfOrder { segment: String, after: String },
    #[error("more than {max} {segment} segments")]
    TooManySegments { segment: String, max: u32 },
    #[error("{segment} must occur at least {min} times, found {found}")]
    TooFewSegments {
        segment: String,
        min: u32,
        found: u32,
    },
    #[error("the definition of {segment} has no field {field}")]
    UnknownField { segment: String, field: String },
    #[error("{field} follows {after}, but the definition puts it before")]
    FieldOutOfOrder { field: String, after: String },
    #[error("{0} occurs twice")]
    DuplicateField(String),
    #[error("{length} characters, more than the field's {max}")]
    TooLong { length: usize, max: usize },
    #[error("\"{value}\" is not allowed; expected {}", allowed.join(" or "))]
    NotAllowed { value: String, allowed: Vec<String> },
    #[error("required field {0} is missing or empty")]
    MissingField(String),
    #[error("character U+{0:04X} cannot be carried in XML")]
    BadCharacter(u32),
}

/// Whether XML 1.0 can carry `c` at all, escaped or not.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// What an `&...;` reference in XML text stands for.
pub(crate) enum Reference {
    Char(char),
    /// Neither a predefined entity nor a character reference: nothing may declare one here.
    Unknown(String),
    /// A character reference to a number that is no character XML can carry.
    Invalid(String),
}

/// Resolves the five predefined entities and character references, and nothing else.
pub(crate) fn resolve_reference(reference: &BytesRef<'_>) -> Reference {
    let name = String::from_utf8_lossy(reference).into_owned();
    match name.as_str() {
        "amp" => return Reference::Char('&'),
        "lt" => return Reference::Char('<'),
        "gt" => return Reference::Char('>'),
        "quot" => return Reference::Char('"'),
        "apos" => return Reference::Char('\''),
        _ => {}
    }
    match reference.resolve_char_ref() {
        Ok(Some(c)) if is_xml_char(c) => Reference::Char(c),
        Ok(Some(_)) | Err(_) => Reference::Invalid(name),
        Ok(None) => Reference::Unknown(name),
    }
}

/// The line (from 1) of byte `offset` in `text`.
pub(crate) fn line_at(text: &[u8], offset: u64) -> usize {
    let end = usize::try_from(offset).map_or(text.len(), |offset| offset.min(text.len()));
    text[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posting::KeyPurpose;

    const RECORD: &str = "2148612345/9410123456781234/20261103/412";

    #[test]
    fn the_message_id_is_the_posting_key_written_as_a_guid() {
        let key = PostingKey::derive(KeyPurpose::Posting, RECORD, 1);
        let id = MessageId::for_posting(&key);
        assert_eq!(key.as_str(), "BZ9FN7866H1W0F01");
        // Ids are stored in SAP; a change of form would make every resend look new.
        assert_eq!(id.as_str(), "425a3946-4e37-3836-3648-315730463031");
        assert_eq!(id.posting_key().as_deref(), Some(key.as_str()));
        assert_eq!(id, MessageId::for_posting(&key));
    }

    #[test]
    fn the_arckey_fits_its_seventy_characters_and_reads_back() {
        let key = PostingKey::derive(KeyPurpose::Reversal, RECORD, 35);
        let id = MessageId::for_posting(&key);
        let arckey = id.arckey();
        assert!(arckey.starts_with("urn:sap.com:msgid="));
        assert!(arckey.len() <= 70, "{arckey}");
        assert_eq!(MessageId::from_arckey(&arckey), Some(id));
    }

    #[test]
    fn ids_of_other_senders_are_kept_but_name_no_posting() {
        let id = MessageId::from_arckey("urn:sap.com:msgid=0050569F-1B2C-1EDB-A2C3-000000000001");
        assert_eq!(id.as_ref().and_then(MessageId::posting_key), None);
        assert!(id.is_some());
        assert_eq!(MessageId::from_arckey("msgid=abc"), None);
        assert_eq!(MessageId::from_arckey("urn:sap.com:msgid="), None);
    }

    #[test]
    fn locations_read_as_a_person_would_say_them() {
        let at = Location::idoc(2)
            .segment("E1BPACGL09", Some(3))
            .field(Some("GL_ACCOUNT".into()));
        assert_eq!(
            at.to_string(),
            "IDoc 2, segment 3 E1BPACGL09, field GL_ACCOUNT"
        );
        let control = Location::idoc(1).segment(CONTROL_RECORD, None);
        assert_eq!(control.to_string(), "IDoc 1, control record EDI_DC40");
        assert_eq!(Location::default().to_string(), "packet");
    }
}
