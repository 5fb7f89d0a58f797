//! The stub's data dictionary: the structures and function interfaces it serves, with SAP's
//! field names, types and lengths.
//!
//! The posting engine checks every input field against these descriptions (an unknown field or
//! an overlong value is an error, as SAP's RFC layer would not pass it on), and the RFC side
//! serves them as its function repository. Lengths of character fields count UTF-16 code
//! units, as in a Unicode SAP system: a Hangul syllable is one, an emoji two.
//!
//! The structures list the fields a bridge fills and their common neighbours, not every field
//! of the newest release. `BUSINESSPLACE` on `BAPIACGL09` follows the Korean localisation,
//! where business place is carried on G/L lines of documents without a vendor line.

use rust_decimal::Decimal;

use super::call::Structure;

/// ABAP data types the stub's interfaces use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbapType {
    /// Character field (also CUKY and UNIT, which RFC passes as characters).
    Char,
    /// Numeric text: digits only, right-aligned with leading zeros.
    Numc,
    /// Date, `YYYYMMDD`.
    Dats,
    /// Packed decimal; `length` counts digits, `decimals` the places after the point.
    Bcd,
    /// Four-byte integer.
    Int4,
}

impl AbapType {
    /// The one-letter type SAP's dictionary shows (RFC_READ_TABLE's `TYPE`).
    pub fn letter(self) -> char {
        match self {
            AbapType::Char => 'C',
            AbapType::Numc => 'N',
            AbapType::Dats => 'D',
            AbapType::Bcd => 'P',
            AbapType::Int4 => 'I',
        }
    }
}

/// One field of a structure, or a scalar parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDesc {
    pub name: &'static str,
    pub abap_type: AbapType,
    /// Characters for CHAR/NUMC/DATS, digits for BCD, bytes for INT4.
    pub length: u32,
    pub decimals: u32,
}

const fn char(name: &'static str, length: u32) -> FieldDesc {
    FieldDesc {
        name,
        abap_type: AbapType::Char,
        length,
        decimals: 0,
    }
}

const fn numc(name: &'static str, length: u32) -> FieldDesc {
    FieldDesc {
        name,
        abap_type: AbapType::Numc,
        length,
        decimals: 0,
    }
}

const fn dats(name: &'static str) -> FieldDesc {
    FieldDesc {
        name,
        abap_type: AbapType::Dats,
        length: 8,
        decimals: 0,
    }
}

const fn bcd(name: &'static str, digits: u32, decimals: u32) -> FieldDesc {
    FieldDesc {
        name,
        abap_type: AbapType::Bcd,
        length: digits,
        decimals,
    }
}

const fn int4(name: &'static str) -> FieldDesc {
    FieldDesc {
        name,
        abap_type: AbapType::Int4,
        length: 4,
        decimals: 0,
    }
}

/// What is wrong with one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueProblem {
    /// Longer than the field; `length` as SAP counts it.
    TooLong { length: usize },
    /// Not a value of the field's type.
    Invalid,
}

impl FieldDesc {
    /// Bytes the value occupies in an RFC container (a BCD field packs two digits a byte).
    pub fn byte_length(&self) -> u32 {
        match self.abap_type {
            AbapType::Bcd => self.length / 2 + 1,
            AbapType::Int4 => 4,
            _ => self.length,
        }
    }

    /// Checks one value as the RFC layer converts it into the field.
    pub fn check(&self, value: &str) -> Result<(), ValueProblem> {
        let length = sap_length(value);
        match self.abap_type {
            AbapType::Char if length > self.length as usize => {
                Err(ValueProblem::TooLong { length })
            }
            AbapType::Char => Ok(()),
            AbapType::Numc | AbapType::Dats if length > self.length as usize => {
                Err(ValueProblem::TooLong { length })
            }
            AbapType::Numc => check_digits(value.trim()),
            AbapType::Dats => check_date(value.trim()),
            AbapType::Bcd => check_decimal(value.trim(), self.length, self.decimals),
            AbapType::Int4 => match value.trim() {
                "" => Ok(()),
                text => text
                    .parse::<i32>()
                    .map(drop)
                    .map_err(|_| ValueProblem::Invalid),
            },
        }
    }
}

/// Length of a text as a Unicode SAP system counts it: UTF-16 code units.
pub fn sap_length(text: &str) -> usize {
    text.encode_utf16().count()
}

fn check_digits(text: &str) -> Result<(), ValueProblem> {
    match text.bytes().all(|b| b.is_ascii_digit()) {
        true => Ok(()),
        false => Err(ValueProblem::Invalid),
    }
}

fn check_date(text: &str) -> Result<(), ValueProblem> {
    if text.is_empty() || text == "00000000" {
        return Ok(());
    }
    parse_dats(text).map(drop).ok_or(ValueProblem::Invalid)
}

/// Parses a DATS value (`YYYYMMDD`) into a calendar date.
pub fn parse_dats(text: &str) -> Option<jiff::civil::Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = text[0..4].parse().ok()?;
    let month = text[4..6].parse().ok()?;
    let day = text[6..8].parse().ok()?;
    jiff::civil::Date::new(year, month, day).ok()
}

fn check_decimal(text: &str, digits: u32, decimals: u32) -> Result<(), ValueProblem> {
    if text.is_empty() {
        return Ok(());
    }
    let value = parse_decimal(text)
        .ok_or(ValueProblem::Invalid)?
        .normalize();
    let integer_digits = value
        .trunc()
        .abs()
        .to_string()
        .trim_start_matches('0')
        .len() as u32;
    if value.scale() > decimals || integer_digits > digits - decimals {
        return Err(ValueProblem::Invalid);
    }
    Ok(())
}

/// Parses a decimal as RFC clients send it: optional sign, digits, optional point and digits.
/// Exponents, thousands separators and blanks inside are refused.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let plain = !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && unsigned.bytes().filter(|&b| b == b'.').count() <= 1
        && unsigned.bytes().any(|b| b.is_ascii_digit());
    if !plain {
        return None;
    }
    text.parse().ok()
}

/// A dictionary structure.
#[derive(Debug)]
pub struct StructureDesc {
    pub name: &'static str,
    pub fields: &'static [FieldDesc],
}

/// One problem found in one field of a structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    /// `None` when the structure has no such field.
    pub desc: Option<FieldDesc>,
    pub problem: ValueProblem,
}

impl StructureDesc {
    pub fn field(&self, name: &str) -> Option<&FieldDesc> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// Checks every field of `row`: unknown names, overlong and malformed values.
    pub fn check(&self, row: &Structure) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        for (name, value) in row {
            let Some(desc) = self.field(name) else {
                let problem = ValueProblem::Invalid;
                problems.push(FieldProblem {
                    field: name.clone(),
                    desc: None,
                    problem,
                });
                continue;
            };
            if let Err(problem) = desc.check(value) {
                problems.push(FieldProblem {
                    field: name.clone(),
                    desc: Some(*desc),
                    problem,
                });
            }
        }
        problems
    }
}

/// Direction of a function parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Import,
    Export,
    Tables,
}

/// Type of a function parameter.
#[derive(Clone, Copy, Debug)]
pub enum ParamType {
    Scalar(FieldDesc),
    Structure(&'static StructureDesc),
    Table(&'static StructureDesc),
}

/// One parameter of a function interface.
#[derive(Clone, Copy, Debug)]
pub struct ParamDesc {
    pub name: &'static str,
    pub direction: Direction,
    pub param_type: ParamType,
    pub optional: bool,
}

/// A function module's interface.
#[derive(Debug)]
pub struct FunctionDesc {
    pub name: &'static str,
    pub params: &'static [ParamDesc],
    /// Classic ABAP exceptions the function may raise.
    pub exceptions: &'static [&'static str],
}

impl FunctionDesc {
    pub fn param(&self, name: &str) -> Option<&ParamDesc> {
        self.params.iter().find(|param| param.name == name)
    }
}

const fn import(name: &'static str, param_type: ParamType, optional: bool) -> ParamDesc {
    ParamDesc {
        name,
        direction: Direction::Import,
        param_type,
        optional,
    }
}

const fn export(name: &'static str, param_type: ParamType) -> ParamDesc {
    ParamDesc {
        name,
        direction: Direction::Export,
        param_type,
        optional: false,
    }
}

const fn table(name: &'static str, desc: &'static StructureDesc, optional: bool) -> ParamDesc {
    ParamDesc {
        name,
        direction: Direction::Tables,
        param_type: ParamType::Table(desc),
        optional,
    }
}

/// Document header of the accounting interface.
pub static BAPIACHE09: StructureDesc = StructureDesc {
    name: "BAPIACHE09",
    fields: &[
        char("OBJ_TYPE", 5),
        char("OBJ_KEY", 20),
        char("OBJ_SYS", 10),
        char("BUS_ACT", 4),
        char("USERNAME", 12),
        char("HEADER_TXT", 25),
        char("COMP_CODE", 4),
        dats("DOC_DATE"),
        dats("PSTNG_DATE"),
        dats("TRANS_DATE"),
        numc("FISC_YEAR", 4),
        numc("FIS_PERIOD", 2),
        char("DOC_TYPE", 2),
        char("REF_DOC_NO", 16),
        char("AC_DOC_NO", 10),
        char("OBJ_KEY_R", 20),
        char("REASON_REV", 2),
        char("COMPO_ACC", 4),
        char("REF_DOC_NO_LONG", 35),
        char("ACC_PRINCIPLE", 4),
        char("NEG_POSTNG", 1),
        char("OBJ_KEY_INV", 20),
        char("BILL_CATEGORY", 1),
        dats("VATDATE"),
        dats("INVOICE_REC_DATE"),
        char("PARTIAL_REV", 1),
        char("DOC_STATUS", 1),
    ],
};

/// G/L account line.
pub static BAPIACGL09: StructureDesc = StructureDesc {
    name: "BAPIACGL09",
    fields: &[
        numc("ITEMNO_ACC", 10),
        char("GL_ACCOUNT", 10),
        char("ITEM_TEXT", 50),
        char("STAT_CON", 1),
        char("LOG_PROC", 6),
        char("AC_DOC_NO", 10),
        char("REF_KEY_1", 12),
        char("REF_KEY_2", 12),
        char("REF_KEY_3", 20),
        char("ACCT_KEY", 3),
        char("ACCT_TYPE", 1),
        char("DOC_TYPE", 2),
        char("COMP_CODE", 4),
        char("BUS_AREA", 4),
        char("FUNC_AREA", 4),
        char("PLANT", 4),
        numc("FIS_PERIOD", 2),
        numc("FISC_YEAR", 4),
        dats("PSTNG_DATE"),
        dats("VALUE_DATE"),
        char("FM_AREA", 4),
        char("CUSTOMER", 10),
        char("CSHDIS_IND", 1),
        char("VENDOR_NO", 10),
        char("ALLOC_NMBR", 18),
        char("TAX_CODE", 2),
        char("TAXJURCODE", 15),
        char("EXT_OBJECT_ID", 34),
        char("BUS_SCENARIO", 16),
        char("COSTOBJECT", 12),
        char("COSTCENTER", 10),
        char("ACTTYPE", 6),
        char("PROFIT_CTR", 10),
        char("PART_PRCTR", 10),
        char("NETWORK", 12),
        char("WBS_ELEMENT", 24),
        char("ORDERID", 12),
        numc("ORDER_ITNO", 4),
        char("ACTIVITY", 4),
        char("FUND", 10),
        char("FUNDS_CTR", 16),
        char("CMMT_ITEM", 14),
        char("ASSET_NO", 12),
        char("SUB_NUMBER", 4),
        char("TRADE_ID", 6),
        char("DE_CRE_IND", 1),
        bcd("QUANTITY", 13, 3),
        char("BASE_UOM", 3),
        char("BASE_UOM_ISO", 3),
        char("MATERIAL", 18),
        numc("ITEMNO_TAX", 6),
        char("BUSINESSPLACE", 4),
        char("SECTIONCODE", 4),
    ],
};

/// Vendor line.
pub static BAPIACAP09: StructureDesc = StructureDesc {
    name: "BAPIACAP09",
    fields: &[
        numc("ITEMNO_ACC", 10),
        char("VENDOR_NO", 10),
        char("GL_ACCOUNT", 10),
        char("REF_KEY_1", 12),
        char("REF_KEY_2", 12),
        char("REF_KEY_3", 20),
        char("COMP_CODE", 4),
        char("BUS_AREA", 4),
        char("PMNTTRMS", 4),
        dats("BLINE_DATE"),
        bcd("DSCT_DAYS1", 3, 0),
        bcd("DSCT_DAYS2", 3, 0),
        bcd("NETTERMS", 3, 0),
        bcd("DSCT_PCT1", 5, 3),
        bcd("DSCT_PCT2", 5, 3),
        char("PYMT_METH", 1),
        char("PMTMTHSUPL", 2),
        char("PMNT_BLOCK", 1),
        char("SCBANK_IND", 3),
        char("SUPCOUNTRY", 3),
        char("SUPCOUNTRY_ISO", 2),
        char("BLLSRV_IND", 1),
        char("ALLOC_NMBR", 18),
        char("ITEM_TEXT", 50),
        char("PO_SUB_NO", 11),
        char("PO_CHECKDG", 2),
        char("PO_REF_NO", 11),
        char("W_TAX_CODE", 2),
        char("BUSINESSPLACE", 4),
        char("SECTIONCODE", 4),
        char("INSTR1", 2),
        char("INSTR2", 2),
        char("INSTR3", 2),
        char("INSTR4", 2),
        char("BRANCH", 10),
        char("PYMT_CUR", 5),
        bcd("PYMT_AMT", 23, 4),
        char("PYMT_CUR_ISO", 3),
        char("SP_GL_IND", 1),
        char("TAX_CODE", 2),
        dats("TAX_DATE"),
        char("TAXJURCODE", 15),
        char("ALT_PAYEE", 10),
        char("ALT_PAYEE_BANK", 4),
        char("PARTNER_BK", 4),
        char("BANK_ID", 5),
        char("PARTNER_GUID", 32),
        char("PROFIT_CTR", 10),
        char("HOUSEBANKACCTID", 5),
        char("PAYMT_REF", 30),
    ],
};

/// Tax line.
pub static BAPIACTX09: StructureDesc = StructureDesc {
    name: "BAPIACTX09",
    fields: &[
        numc("ITEMNO_ACC", 10),
        char("GL_ACCOUNT", 10),
        char("COND_KEY", 4),
        char("ACCT_KEY", 3),
        char("TAX_CODE", 2),
        bcd("TAX_RATE", 7, 3),
        dats("TAX_DATE"),
        char("TAXJURCODE", 15),
        char("TAXJURCODE_DEEP", 15),
        char("TAXJURCODE_LEVEL", 1),
        numc("ITEMNO_TAX", 6),
        char("DIRECT_TAX", 1),
    ],
};

/// Amounts of one line item in one currency type.
pub static BAPIACCR09: StructureDesc = StructureDesc {
    name: "BAPIACCR09",
    fields: &[
        numc("ITEMNO_ACC", 10),
        char("CURR_TYPE", 2),
        char("CURRENCY", 5),
        char("CURRENCY_ISO", 3),
        bcd("AMT_DOCCUR", 23, 4),
        bcd("EXCH_RATE", 9, 5),
        bcd("EXCH_RATE_V", 9, 5),
        bcd("AMT_BASE", 23, 4),
        bcd("DISC_BASE", 23, 4),
        bcd("DISC_AMT", 23, 4),
        bcd("TAX_AMT", 23, 4),
    ],
};

/// Reversal request.
pub static BAPIACREV: StructureDesc = StructureDesc {
    name: "BAPIACREV",
    fields: &[
        char("OBJ_TYPE", 5),
        char("OBJ_KEY", 20),
        char("OBJ_SYS", 10),
        char("OBJ_KEY_R", 20),
        dats("PSTNG_DATE"),
        numc("FIS_PERIOD", 2),
        char("COMP_CODE", 4),
        char("REASON_REV", 2),
        char("AC_DOC_NO", 10),
        char("ACC_PRINCIPLE", 4),
    ],
};

/// Customer extension fields (processed by a customer exit the stub does not have).
pub static BAPIACEXTC: StructureDesc = StructureDesc {
    name: "BAPIACEXTC",
    fields: &[
        char("FIELD1", 250),
        char("FIELD2", 250),
        char("FIELD3", 250),
        char("FIELD4", 250),
    ],
};

/// Extension container for BAdI fields.
pub static BAPIPAREX: StructureDesc = StructureDesc {
    name: "BAPIPAREX",
    fields: &[
        char("STRUCTURE", 30),
        char("VALUEPART1", 240),
        char("VALUEPART2", 240),
        char("VALUEPART3", 240),
        char("VALUEPART4", 240),
    ],
};

/// Return message.
pub static BAPIRET2: StructureDesc = StructureDesc {
    name: "BAPIRET2",
    fields: &[
        char("TYPE", 1),
        char("ID", 20),
        numc("NUMBER", 3),
        char("MESSAGE", 220),
        char("LOG_NO", 20),
        numc("LOG_MSG_NO", 6),
        char("MESSAGE_V1", 50),
        char("MESSAGE_V2", 50),
        char("MESSAGE_V3", 50),
        char("MESSAGE_V4", 50),
        char("PARAMETER", 32),
        int4("ROW"),
        char("FIELD", 30),
        char("SYSTEM", 10),
    ],
};

/// One line of an RFC_READ_TABLE selection.
pub static RFC_DB_OPT: StructureDesc = StructureDesc {
    name: "RFC_DB_OPT",
    fields: &[char("TEXT", 72)],
};

/// One field of an RFC_READ_TABLE answer.
pub static RFC_DB_FLD: StructureDesc = StructureDesc {
    name: "RFC_DB_FLD",
    fields: &[
        char("FIELDNAME", 30),
        numc("OFFSET", 6),
        numc("LENGTH", 6),
        char("TYPE", 1),
        char("FIELDTEXT", 60),
    ],
};

/// One line of RFC_READ_TABLE data.
pub static TAB512: StructureDesc = StructureDesc {
    name: "TAB512",
    fields: &[char("WA", 512)],
};

const HEADER: ParamDesc = import("DOCUMENTHEADER", ParamType::Structure(&BAPIACHE09), false);
const OBJ_TYPE: ParamDesc = export("OBJ_TYPE", ParamType::Scalar(char("OBJ_TYPE", 5)));
const OBJ_KEY: ParamDesc = export("OBJ_KEY", ParamType::Scalar(char("OBJ_KEY", 20)));
const OBJ_SYS: ParamDesc = export("OBJ_SYS", ParamType::Scalar(char("OBJ_SYS", 10)));
const ACCOUNTGL: ParamDesc = table("ACCOUNTGL", &BAPIACGL09, true);
const ACCOUNTPAYABLE: ParamDesc = table("ACCOUNTPAYABLE", &BAPIACAP09, true);
const ACCOUNTTAX: ParamDesc = table("ACCOUNTTAX", &BAPIACTX09, true);
const CURRENCYAMOUNT: ParamDesc = table("CURRENCYAMOUNT", &BAPIACCR09, false);
const EXTENSION1: ParamDesc = table("EXTENSION1", &BAPIACEXTC, true);
const EXTENSION2: ParamDesc = table("EXTENSION2", &BAPIPAREX, true);
const RETURN: ParamDesc = table("RETURN", &BAPIRET2, false);

/// `BAPI_ACC_DOCUMENT_CHECK`: the posting checks without posting.
pub static BAPI_ACC_DOCUMENT_CHECK: FunctionDesc = FunctionDesc {
    name: "BAPI_ACC_DOCUMENT_CHECK",
    params: &[
        HEADER,
        ACCOUNTGL,
        ACCOUNTPAYABLE,
        ACCOUNTTAX,
        CURRENCYAMOUNT,
        EXTENSION1,
        EXTENSION2,
        RETURN,
    ],
    exceptions: &[],
};

/// `BAPI_ACC_DOCUMENT_POST`: post an accounting document (pending until commit).
pub static BAPI_ACC_DOCUMENT_POST: FunctionDesc = FunctionDesc {
    name: "BAPI_ACC_DOCUMENT_POST",
    params: &[
        HEADER,
        OBJ_TYPE,
        OBJ_KEY,
        OBJ_SYS,
        ACCOUNTGL,
        ACCOUNTPAYABLE,
        ACCOUNTTAX,
        CURRENCYAMOUNT,
        EXTENSION1,
        EXTENSION2,
        RETURN,
    ],
    exceptions: &[],
};

/// `BAPI_ACC_DOCUMENT_REV_POST`: reverse a document posted through the interface.
pub static BAPI_ACC_DOCUMENT_REV_POST: FunctionDesc = FunctionDesc {
    name: "BAPI_ACC_DOCUMENT_REV_POST",
    params: &[
        import("REVERSAL", ParamType::Structure(&BAPIACREV), false),
        import("BUS_ACT", ParamType::Scalar(char("BUS_ACT", 4)), false),
        OBJ_TYPE,
        OBJ_KEY,
        OBJ_SYS,
        RETURN,
    ],
    exceptions: &[],
};

/// `BAPI_TRANSACTION_COMMIT`.
pub static BAPI_TRANSACTION_COMMIT: FunctionDesc = FunctionDesc {
    name: "BAPI_TRANSACTION_COMMIT",
    params: &[
        import("WAIT", ParamType::Scalar(char("WAIT", 1)), true),
        export("RETURN", ParamType::Structure(&BAPIRET2)),
    ],
    exceptions: &[],
};

/// `BAPI_TRANSACTION_ROLLBACK`.
pub static BAPI_TRANSACTION_ROLLBACK: FunctionDesc = FunctionDesc {
    name: "BAPI_TRANSACTION_ROLLBACK",
    params: &[export("RETURN", ParamType::Structure(&BAPIRET2))],
    exceptions: &[],
};

/// `RFC_READ_TABLE`: generic table read.
pub static RFC_READ_TABLE: FunctionDesc = FunctionDesc {
    name: "RFC_READ_TABLE",
    params: &[
        import(
            "QUERY_TABLE",
            ParamType::Scalar(char("QUERY_TABLE", 30)),
            false,
        ),
        import("DELIMITER", ParamType::Scalar(char("DELIMITER", 1)), true),
        import("NO_DATA", ParamType::Scalar(char("NO_DATA", 1)), true),
        import("ROWSKIPS", ParamType::Scalar(int4("ROWSKIPS")), true),
        import("ROWCOUNT", ParamType::Scalar(int4("ROWCOUNT")), true),
        table("OPTIONS", &RFC_DB_OPT, true),
        table("FIELDS", &RFC_DB_FLD, true),
        table("DATA", &TAB512, false),
    ],
    exceptions: &[
        "TABLE_NOT_AVAILABLE",
        "TABLE_WITHOUT_DATA",
        "OPTION_NOT_VALID",
        "FIELD_NOT_VALID",
        "NOT_AUTHORIZED",
        "DATA_BUFFER_EXCEEDED",
    ],
};

/// `RFC_PING`: answers nothing, proves the connection.
pub static RFC_PING: FunctionDesc = FunctionDesc {
    name: "RFC_PING",
    params: &[],
    exceptions: &[],
};

/// Every function the stub serves.
pub static FUNCTIONS: [&FunctionDesc; 7] = [
    &BAPI_ACC_DOCUMENT_CHECK,
    &BAPI_ACC_DOCUMENT_POST,
    &BAPI_ACC_DOCUMENT_REV_POST,
    &BAPI_TRANSACTION_COMMIT,
    &BAPI_TRANSACTION_ROLLBACK,
    &RFC_READ_TABLE,
    &RFC_PING,
];

/// Every structure the stub's functions use.
pub static STRUCTURES: [&StructureDesc; 12] = [
    &BAPIACHE09,
    &BAPIACGL09,
    &BAPIACAP09,
    &BAPIACTX09,
    &BAPIACCR09,
    &BAPIACREV,
    &BAPIACEXTC,
    &BAPIPAREX,
    &BAPIRET2,
    &RFC_DB_OPT,
    &RFC_DB_FLD,
    &TAB512,
];

/// Looks up a function interface by name.
pub fn function(name: &str) -> Option<&'static FunctionDesc> {
    FUNCTIONS.iter().copied().find(|desc| desc.name == name)
}

/// Looks up a structure by name.
pub fn structure(name: &str) -> Option<&'static StructureDesc> {
    STRUCTURES.iter().copied().find(|desc| desc.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_utf16_units() {
        let text = char("ITEM_TEXT", 3);
        assert_eq!(text.check("회식비"), Ok(()));
        assert_eq!(
            text.check("회식비용"),
            Err(ValueProblem::TooLong { length: 4 })
        );
        // An emoji takes two code units, as in SAP's own Unicode strings.
        assert_eq!(text.check("회😀"), Ok(()));
        assert_eq!(
            text.check("회식😀"),
            Err(ValueProblem::TooLong { length: 4 })
        );
    }

    #[test]
    fn amounts_fit_the_bcd_field() {
        let amount = bcd("AMT_DOCCUR", 23, 4);
        assert_eq!(amount.check("-55000.0000"), Ok(()));
        assert_eq!(amount.check("55000"), Ok(()));
        assert_eq!(amount.check("1.23456"), Err(ValueProblem::Invalid));
        assert_eq!(amount.check("55,000"), Err(ValueProblem::Invalid));
        assert_eq!(amount.check("1e5"), Err(ValueProblem::Invalid));
        assert_eq!(amount.check("1234567890123456789.0"), Ok(()));
        assert_eq!(
            amount.check("12345678901234567890"),
            Err(ValueProblem::Invalid)
        );
        assert_eq!(amount.byte_length(), 12);
    }

    #[test]
    fn dates_and_numbers_are_checked() {
        assert_eq!(dats("D").check("20260229"), Err(ValueProblem::Invalid));
        assert_eq!(dats("D").check("20280229"), Ok(()));
        assert_eq!(
            dats("D").check("2026-03-01"),
            Err(ValueProblem::TooLong { length: 10 })
        );
        assert_eq!(numc("N", 10).check("12a"), Err(ValueProblem::Invalid));
        assert_eq!(
            numc("N", 3).check("0001"),
            Err(ValueProblem::TooLong { length: 4 })
        );
        assert_eq!(int4("I").check("-3"), Ok(()));
    }

    #[test]
    fn structures_report_unknown_fields() {
        let row = crate::stub::sap::structure([("ITEMNO_ACC", "1"), ("GL_ACCT", "x")]);
        let problems = BAPIACGL09.check(&row);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "GL_ACCT");
        assert_eq!(problems[0].desc, None);
    }

    #[test]
    fn every_function_is_reachable_by_name() {
        for desc in FUNCTIONS {
            assert!(std::ptr::eq(function(desc.name).unwrap(), desc));
        }
        assert_eq!(BAPI_ACC_DOCUMENT_POST.params.len(), 11);
        assert!(BAPI_ACC_DOCUMENT_POST.param("OBJ_KEY").is_some());
        assert!(structure("BAPIRET2").unwrap().field("ROW").is_some());
    }
}
