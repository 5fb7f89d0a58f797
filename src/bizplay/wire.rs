//! bizplay's 0411A record exactly as the gateway sends it.
//!
//! Field names are the API's own. Every field is optional and unknown fields are ignored,
//! because bizplay leaves fields out, sends `null`, and adds fields between versions. Text
//! fields also accept numbers (a `SEQ` of `412` instead of `"412"`); amounts are kept as the
//! raw JSON text so that a number is never read through a float.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A text field: a JSON string, number or boolean, kept as text. `null` becomes `None`
/// through the surrounding `Option`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a number")
            }

            fn visit_str<E>(self, value: &str) -> Result<Text, E> {
                Ok(Text(value.to_owned()))
            }

            fn visit_u64<E>(self, value: u64) -> Result<Text, E> {
                Ok(Text(value.to_string()))
            }

            fn visit_i64<E>(self, value: i64) -> Result<Text, E> {
                Ok(Text(value.to_string()))
            }

            fn visit_bool<E>(self, value: bool) -> Result<Text, E> {
                Ok(Text(if value { "Y" } else { "N" }.to_owned()))
            }
        }

        deserializer.deserialize_any(Visitor)
    }
}

/// An amount as raw JSON: `"33000"`, `33000`, `33000.00`. Parsed later, exactly.
pub type Amount = Box<RawValue>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(non_snake_case)]
pub struct Record {
    pub BIZ_NO: Option<Text>,
    pub CARD_NO: Option<Text>,
    pub APV_DT: Option<Text>,
    pub SEQ: Option<Text>,
    pub APV_NO: Option<Text>,
    pub APV_CAN_YN: Option<Text>,
    pub APV_CAN_DT: Option<Text>,
    pub BANK_CD: Option<Text>,
    pub CARD_TYPE: Option<Text>,
    pub MEST_NM: Option<Text>,
    pub MEST_BIZ_NO: Option<Text>,
    pub MEST_TAXT_TYP_INFO: Option<Text>,
    pub BUY_SUM: Option<Amount>,
    pub SPLY_AMT: Option<Amount>,
    pub VAT_AMT: Option<Amount>,
    pub SRV_FEE: Option<Amount>,
    pub OVRS_USE_YN: Option<Text>,
    pub CURR_CD: Option<Text>,
    pub CURR_AMT: Option<Amount>,
    pub TRAN_KIND_CD: Option<Text>,
    pub TRAN_KIND_NM: Option<Text>,
    pub ERP_CODE: Option<Text>,
    pub TRAN_KIND_ERP_CO_CD: Option<Text>,
    pub DEDCT_YN: Option<Text>,
    pub PROC_STS: Option<Text>,
    pub APPR_STS: Option<Text>,
    pub LST_APRV_DATE: Option<Text>,
    pub USER_NM: Option<Text>,
    pub USER_EMP_CD: Option<Text>,
    pub DEPT_NM: Option<Text>,
    pub DEPT_ERP_CD: Option<Text>,
    pub R_USER_NM: Option<Text>,
    pub R_EMP_ERP_CD: Option<Text>,
    pub R_DEPT_NM: Option<Text>,
    pub R_DEPT_ERP_CD: Option<Text>,
    pub SUMMARY: Option<Text>,
    pub SETL_SCHE_DT: Option<Text>,
    pub LST_MOD_DT: Option<Text>,
    pub APPR_SEQ_NO: Option<Text>,
    pub SPLIT_LIST: Option<Vec<Split>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
#[allow(non_snake_case)]
pub struct Split {
    pub TRAN_KIND_CD_ERP_CD: Option<Text>,
    pub TRAN_KIND_NM: Option<Text>,
    pub SPL_AMT: Option<Amount>,
    pub SPL_SPLY_AMT: Option<Amount>,
    pub SPL_VAT_AMT: Option<Amount>,
    pub SPL_DEDCT_YN: Option<Text>,
    pub BGT_DVSN_ERP_CD: Option<Text>,
    pub MEMO: Option<Text>,
}

/// The gateway's response envelope. Records stay raw so that one malformed record cannot
/// spoil the page.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct Response {
    #[serde(default)]
    pub RESULT_CD: Option<Text>,
    #[serde(default)]
    pub RESULT_MG: Option<Text>,
    #[serde(default)]
    pub NEXT_KEY: Option<Text>,
    #[serde(default)]
    pub RES_DATA: Option<Vec<Box<RawValue>>>,
}
