//! Return messages (BAPIRET2) and the catalogue of messages the stub answers with.
//!
//! Each check of the posting engine answers with one message of the catalogue below. Most are
//! modelled on the message SAP gives for the same problem, with its class and number, so that a
//! bridge's error handling meets the numbers it will meet in production. The texts are the
//! stub's own wording of SAP's short texts; SAP's exact texts vary by release and language.
//! Messages of class `ZSTUB` have no SAP counterpart in a BAPI answer: SAP refuses those
//! inputs elsewhere (in the RFC layer, on a screen) or the stub simplifies.

use serde::{Deserialize, Serialize};

use super::call::Structure;
use super::metadata::sap_length;

/// Severity of a return message (BAPIRET2-TYPE).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageType {
    #[serde(rename = "S")]
    Success,
    #[serde(rename = "E")]
    Error,
    #[serde(rename = "W")]
    Warning,
    #[serde(rename = "I")]
    Info,
    #[serde(rename = "A")]
    Abort,
}

impl MessageType {
    pub fn letter(self) -> &'static str {
        match self {
            MessageType::Success => "S",
            MessageType::Error => "E",
            MessageType::Warning => "W",
            MessageType::Info => "I",
            MessageType::Abort => "A",
        }
    }

    pub fn from_letter(letter: &str) -> Option<Self> {
        match letter {
            "S" => Some(MessageType::Success),
            "E" => Some(MessageType::Error),
            "W" => Some(MessageType::Warning),
            "I" => Some(MessageType::Info),
            "A" => Some(MessageType::Abort),
            _ => None,
        }
    }
}

/// One message of the catalogue: class, number and text with placeholders `&1`..`&4`.
#[derive(Debug, PartialEq, Eq)]
pub struct MessageDef {
    pub class: &'static str,
    pub number: u16,
    pub text: &'static str,
    /// Whether the class and number are SAP's own for this problem.
    pub modelled_on_sap: bool,
}

const fn sap(class: &'static str, number: u16, text: &'static str) -> MessageDef {
    MessageDef {
        class,
        number,
        text,
        modelled_on_sap: true,
    }
}

const fn stub(number: u16, text: &'static str) -> MessageDef {
    MessageDef {
        class: "ZSTUB",
        number,
        text,
        modelled_on_sap: false,
    }
}

pub const NO_HEADER: MessageDef = sap("RW", 1, "No document header was transferred");
pub const NO_ITEMS: MessageDef = sap("RW", 2, "No line items were transferred");
pub const NO_CURRENCY_ROW: MessageDef = sap(
    "RW",
    3,
    "No currency information was transferred for line item &1",
);
pub const REFERENCE_INITIAL: MessageDef =
    sap("RW", 4, "Object type &1 needs a reference key (OBJ_KEY)");
pub const ITEM_REPEATED: MessageDef = sap("RW", 14, "Line item &1 was entered more than once");
pub const CURRENCY_ROW_REPEATED: MessageDef = sap(
    "RW",
    18,
    "Currency type &2 of line item &1 was entered more than once",
);
pub const NO_DOCUMENT_CURRENCY: MessageDef = sap(
    "RW",
    21,
    "FI/CO line item &1 without transaction currency information",
);
pub const UNBALANCED: MessageDef = sap(
    "RW",
    22,
    "FI/CO interface: balance in transaction currency &2 &3",
);
pub const POSTED: MessageDef = sap("RW", 605, "Document posted successfully: &1 &2 &3");
pub const DOCUMENT_ERROR: MessageDef = sap("RW", 609, "Error in document: &1 &2 &3");
pub const CHECKED: MessageDef = sap("RW", 614, "Document check - no errors");
pub const VENDOR_NOT_IN_COMPANY_CODE: MessageDef =
    sap("F5", 104, "Vendor &1 is not defined in company code &2");
pub const PERIOD_CLOSED: MessageDef = sap("F5", 201, "Posting period &1 &2 is not open");
pub const ACCOUNT_NOT_IN_CHART: MessageDef = sap(
    "F5",
    507,
    "G/L account &1 is not defined in chart of accounts &2",
);
pub const REQUIRED_FOR_ACCOUNT: MessageDef = sap(
    "F5",
    808,
    "Field &1 is a required field for G/L account &2 &3",
);
pub const COMPANY_CODE_UNKNOWN: MessageDef = sap("FH", 1, "Company code &1 not defined");
pub const DOCUMENT_NOT_FOUND: MessageDef = sap("FF", 3, "Document &1 &2 &3 does not exist");
pub const TAX_CODE_UNKNOWN: MessageDef = sap("FF", 101, "Tax code &1 is not defined");
pub const TAX_INCORRECT: MessageDef = sap(
    "FF",
    707,
    "Tax entered incorrectly (code &1, amount &2), correct: &3 &4",
);
pub const CO_OBJECT_REQUIRED: MessageDef = sap(
    "KI",
    235,
    "Account &1 requires an assignment to a CO object",
);
pub const COST_CENTRE_UNKNOWN: MessageDef =
    sap("KI", 248, "Cost center &1/&2 does not exist on &3");
pub const COST_CENTRE_LOCKED: MessageDef = sap(
    "KI",
    260,
    "Cost center &1/&2 is blocked against direct postings on &3",
);
pub const TOO_MANY_DECIMALS: MessageDef = sap(
    "S&",
    42,
    "Amount &1 has more decimal places than currency &2 allows (&3)",
);
pub const POSTING_FAILED: MessageDef = sap("S&", 101, "Posting could not be carried out");
pub const REQUIRED_FIELD: MessageDef = sap("00", 55, "Fill in all required entry fields: &1-&2");
pub const OBJECT_LOCKED: MessageDef =
    sap("NR", 751, "Object requested is currently locked by user &1");
pub const UNKNOWN_FIELD: MessageDef = stub(1, "Field &2 does not exist in &1");
pub const VALUE_TOO_LONG: MessageDef = stub(
    2,
    "Value of &1-&2 is &3 characters long; the field holds &4",
);
pub const VALUE_INVALID: MessageDef = stub(3, "Value '&3' is not valid for &1-&2 (type &4)");
pub const BUSINESS_PLACE_UNKNOWN: MessageDef =
    stub(4, "Business place &1 is not defined for company code &2");
pub const ALREADY_REVERSED: MessageDef = stub(
    5,
    "Document &1 &2 &3 has already been reversed by document &4",
);
pub const CURRENCY_ROW_WITHOUT_ITEM: MessageDef = stub(
    6,
    "Currency information for item &1 belongs to no line item",
);
pub const NO_TAX_ACCOUNT: MessageDef = stub(7, "No tax account is defined for tax code &1");
pub const NOT_A_TAX_ACCOUNT: MessageDef = stub(8, "Account &1 is not a tax account");
pub const CROSS_COMPANY: MessageDef = stub(
    9,
    "Line item &1 is for company code &2; cross-company postings are not modelled",
);
pub const NUMBER_RANGE_EXHAUSTED: MessageDef = stub(
    10,
    "Number range for company code &1, fiscal year &2 is exhausted",
);

/// Every message the stub can answer with.
pub const CATALOGUE: [&MessageDef; 36] = [
    &NO_HEADER,
    &NO_ITEMS,
    &NO_CURRENCY_ROW,
    &REFERENCE_INITIAL,
    &ITEM_REPEATED,
    &CURRENCY_ROW_REPEATED,
    &NO_DOCUMENT_CURRENCY,
    &UNBALANCED,
    &POSTED,
    &DOCUMENT_ERROR,
    &CHECKED,
    &VENDOR_NOT_IN_COMPANY_CODE,
    &PERIOD_CLOSED,
    &ACCOUNT_NOT_IN_CHART,
    &REQUIRED_FOR_ACCOUNT,
    &COMPANY_CODE_UNKNOWN,
    &DOCUMENT_NOT_FOUND,
    &TAX_CODE_UNKNOWN,
    &TAX_INCORRECT,
    &CO_OBJECT_REQUIRED,
    &COST_CENTRE_UNKNOWN,
    &COST_CENTRE_LOCKED,
    &TOO_MANY_DECIMALS,
    &POSTING_FAILED,
    &REQUIRED_FIELD,
    &OBJECT_LOCKED,
    &UNKNOWN_FIELD,
    &VALUE_TOO_LONG,
    &VALUE_INVALID,
    &BUSINESS_PLACE_UNKNOWN,
    &ALREADY_REVERSED,
    &CURRENCY_ROW_WITHOUT_ITEM,
    &NO_TAX_ACCOUNT,
    &NOT_A_TAX_ACCOUNT,
    &CROSS_COMPANY,
    &NUMBER_RANGE_EXHAUSTED,
];

/// One return message, as BAPIRET2 carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BapiReturn {
    pub kind: MessageType,
    pub id: String,
    pub number: u16,
    pub message: String,
    pub vars: [String; 4],
    /// Input parameter the message is about (e.g. `ACCOUNTGL`), blank for the document.
    pub parameter: String,
    /// 1-based row of that parameter's table, 0 for none.
    pub row: i32,
    pub field: String,
    pub system: String,
}

/// BAPIRET2 lengths the answer is cut to, in UTF-16 units.
const MESSAGE_LEN: usize = 220;
const VAR_LEN: usize = 50;

impl BapiReturn {
    /// A message of the catalogue with its variables filled in.
    pub fn new(kind: MessageType, def: &MessageDef, vars: &[&str]) -> Self {
        let mut filled: [String; 4] = Default::default();
        for (slot, value) in filled.iter_mut().zip(vars) {
            *slot = cut(value, VAR_LEN);
        }
        Self {
            kind,
            id: def.class.to_owned(),
            number: def.number,
            message: cut(&render(def.text, &filled), MESSAGE_LEN),
            vars: filled,
            parameter: String::new(),
            row: 0,
            field: String::new(),
            system: String::new(),
        }
    }

    pub fn error(def: &MessageDef, vars: &[&str]) -> Self {
        Self::new(MessageType::Error, def, vars)
    }

    pub fn success(def: &MessageDef, vars: &[&str]) -> Self {
        Self::new(MessageType::Success, def, vars)
    }

    /// Points the message at an input parameter, its row (1-based) and field.
    pub fn at(mut self, parameter: &str, row: usize, field: &str) -> Self {
        self.parameter = parameter.to_owned();
        self.row = i32::try_from(row).unwrap_or(i32::MAX);
        self.field = field.to_owned();
        self
    }

    /// Whether the message stops a posting (TYPE E or A).
    pub fn is_error(&self) -> bool {
        matches!(self.kind, MessageType::Error | MessageType::Abort)
    }

    /// Class and number as SAP writes them, e.g. `RW 609`.
    pub fn code(&self) -> String {
        format!("{} {:03}", self.id, self.number)
    }

    /// The generic BAPIRET2 structure, every field present.
    pub fn to_structure(&self) -> Structure {
        let mut row = Structure::new();
        row.insert("TYPE".into(), self.kind.letter().into());
        row.insert("ID".into(), self.id.clone());
        row.insert("NUMBER".into(), format!("{:03}", self.number));
        row.insert("MESSAGE".into(), self.message.clone());
        row.insert("LOG_NO".into(), String::new());
        row.insert("LOG_MSG_NO".into(), "000000".into());
        for (i, var) in self.vars.iter().enumerate() {
            row.insert(format!("MESSAGE_V{}", i + 1), var.clone());
        }
        row.insert("PARAMETER".into(), self.parameter.clone());
        row.insert("ROW".into(), self.row.to_string());
        row.insert("FIELD".into(), self.field.clone());
        row.insert("SYSTEM".into(), self.system.clone());
        row
    }

    /// Reads a BAPIRET2 structure; `None` for a blank one (SAP's "no message").
    pub fn from_structure(row: &Structure) -> Option<Self> {
        let get = |name: &str| {
            row.get(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let kind = MessageType::from_letter(&get("TYPE"))?;
        let vars = [
            get("MESSAGE_V1"),
            get("MESSAGE_V2"),
            get("MESSAGE_V3"),
            get("MESSAGE_V4"),
        ];
        Some(Self {
            kind,
            id: get("ID"),
            number: get("NUMBER").parse().unwrap_or(0),
            message: get("MESSAGE"),
            vars,
            parameter: get("PARAMETER"),
            row: get("ROW").parse().unwrap_or(0),
            field: get("FIELD"),
            system: get("SYSTEM"),
        })
    }

    /// A BAPIRET2 structure with every field blank: what a successful commit returns.
    pub fn blank_structure() -> Structure {
        super::metadata::BAPIRET2
            .fields
            .iter()
            .map(|field| {
                let blank = match field.name {
                    "NUMBER" => "000",
                    "LOG_MSG_NO" => "000000",
                    "ROW" => "0",
                    _ => "",
                };
                (field.name.to_owned(), blank.to_owned())
            })
            .collect()
    }
}

impl std::fmt::Display for BapiReturn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.kind.letter(), self.code(), self.message)
    }
}

fn render(text: &str, vars: &[String; 4]) -> String {
    let mut out = text.to_owned();
    for (i, var) in vars.iter().enumerate() {
        out = out.replace(&format!("&{}", i + 1), var);
    }
    out
}

/// Cuts `text` to `max` UTF-16 units without splitting a character.
fn cut(text: &str, max: usize) -> String {
    if sap_length(text) <= max {
        return text.to_owned();
    }
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= max
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_fill_the_text_and_the_v_fields() {
        let msg = BapiReturn::error(&VENDOR_NOT_IN_COMPANY_CODE, &["300001", "1000"]).at(
            "ACCOUNTPAYABLE",
            1,
            "VENDOR_NO",
        );
        assert_eq!(
            msg.message,
            "Vendor 300001 is not defined in company code 1000"
        );
        assert_eq!(msg.code(), "F5 104");

        let row = msg.to_structure();
        assert_eq!(row["TYPE"], "E");
        assert_eq!(row["NUMBER"], "104");
        assert_eq!(row["MESSAGE_V1"], "300001");
        assert_eq!(row["MESSAGE_V3"], "");
        assert_eq!(row["ROW"], "1");
        assert_eq!(BapiReturn::from_structure(&row), Some(msg));
    }

    #[test]
    fn a_blank_structure_is_no_message() {
        let blank = BapiReturn::blank_structure();
        assert_eq!(
            blank.len(),
            crate::stub::sap::metadata::BAPIRET2.fields.len()
        );
        assert_eq!(BapiReturn::from_structure(&blank), None);
    }

    #[test]
    fn long_variables_are_cut_on_character_boundaries() {
        let long = "가".repeat(60);
        let msg = BapiReturn::error(&UNKNOWN_FIELD, &[&long, "X"]);
        assert_eq!(msg.vars[0].chars().count(), 50);
    }

    #[test]
    fn the_catalogue_has_no_two_messages_with_one_number() {
        let mut seen = std::collections::BTreeSet::new();
        for def in CATALOGUE {
            seen.insert((def.class, def.number));
        }
        assert_eq!(seen.len(), CATALOGUE.len());
    }
}
