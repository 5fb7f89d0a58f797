//! bizplay's OPEN API: the 0411A response and the expense records it carries.
//!
//! A page is read in two steps. The envelope (`RESULT_CD`, `RESULT_MG`, `NEXT_KEY`,
//! `RES_DATA`) must parse, or the whole response is unusable. Each record is then read on its
//! own, so a malformed record becomes one [`RecordError`] and the rest of the page goes on.

pub mod client;
pub mod record;
mod wire;

pub use record::{
    Amounts, Evidence, ExpenseRecord, ForeignAmount, MerchantTaxType, Person, RecordError,
    RecordKey, SplitLine, Usage,
};

/// `RESULT_CD` of a successful call.
pub const RESULT_OK: &str = "00000000";

/// One page of a 0411A response.
#[derive(Debug)]
pub struct Page {
    /// `NEXT_KEY`; `None` on the last page.
    pub next_key: Option<String>,
    /// Every record of `RES_DATA` in order, read or refused.
    pub records: Vec<Result<ExpenseRecord, RecordError>>,
    /// Each record's JSON exactly as received, in the same order.
    pub raw: Vec<String>,
}

/// A response that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error("the response is not a bizplay gateway response: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("bizplay answered {code}: {message}")]
    Gateway { code: String, message: String },
}

/// Reads a 0411A response body.
pub fn parse_0411a(body: &str) -> Result<Page, ResponseError> {
    let response: wire::Response = serde_json::from_str(body).map_err(ResponseError::Malformed)?;
    let code = response.RESULT_CD.map(|t| t.0).unwrap_or_default();
    if code.trim() != RESULT_OK {
        let message = response.RESULT_MG.map(|t| t.0).unwrap_or_default();
        return Err(ResponseError::Gateway { code, message });
    }
    let raw: Vec<String> = response
        .RES_DATA
        .unwrap_or_default()
        .iter()
        .map(|r| r.get().to_owned())
        .collect();
    let records = raw
        .iter()
        .enumerate()
        .map(|(index, json)| parse_record(json, index + 1))
        .collect();
    let next_key = response
        .NEXT_KEY
        .map(|t| t.0)
        .filter(|key| !key.trim().is_empty());
    Ok(Page {
        next_key,
        records,
        raw,
    })
}

/// Reads one record's JSON; `position` (1-based) names it if its key cannot be read.
pub fn parse_record(json: &str, position: usize) -> Result<ExpenseRecord, RecordError> {
    match serde_json::from_str::<wire::Record>(json) {
        Ok(record) => ExpenseRecord::from_wire(record, position),
        Err(error) => Err(RecordError {
            record: describe_unreadable(json, position),
            key: key_of_unreadable(json),
            field: field_of(&error, json),
            problem: error.to_string(),
        }),
    }
}

/// Names a record that did not deserialise by whatever key fields can be seen in it.
fn describe_unreadable(json: &str, position: usize) -> String {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let part = |name: &str| match &value[name] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => "?".to_owned(),
    };
    if value.is_object() {
        let fields = ["BIZ_NO", "CARD_NO", "APV_DT", "SEQ"].map(part);
        format!("{} (#{position} on the page)", fields.join("/"))
    } else {
        format!("#{position} on the page")
    }
}

/// The record key of a record that did not deserialise, when its four key fields are there.
fn key_of_unreadable(json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let part = |name: &str| match &value[name] {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let date = part("APV_DT").filter(|d| record::parse_yyyymmdd(d).is_some())?;
    Some(format!(
        "{}/{}/{date}/{}",
        part("BIZ_NO")?,
        part("CARD_NO")?,
        part("SEQ")?
    ))
}

/// The field a deserialisation error points at: the last key that starts before the error.
fn field_of(error: &serde_json::Error, json: &str) -> String {
    let offset = json
        .lines()
        .take(error.line().saturating_sub(1))
        .map(|line| line.len() + 1)
        .sum::<usize>()
        + error.column();
    let before = &json[..offset.min(json.len())];
    let Some(colon) = before.rfind("\":") else {
        return "(record)".to_owned();
    };
    let start = before[..colon].rfind('"').map_or(0, |q| q + 1);
    before[start..colon].to_owned()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn page(records: &str) -> String {
        format!(
            r#"{{"RESULT_CD":"00000000","RESULT_MG":"정상","NEXT_KEY":"","RES_DATA":[{records}]}}"#
        )
    }

    const GOOD: &str = r#"{"BIZ_NO":"2148612345","CARD_NO":"9410123456781234","APV_DT":"20261103",
        "SEQ":"412","APV_NO":"30012345","APV_CAN_YN":"A","BANK_CD":"30000008","CARD_TYPE":"1",
        "MEST_NM":"예시식당","MEST_TAXT_TYP_INFO":"01","BUY_SUM":"33000","SPLY_AMT":30000,
        "VAT_AMT":"3,000","SRV_FEE":null,"DEDCT_YN":"Y","APPR_STS":"9","LST_APRV_DATE":"20261108",
        "USER_EMP_CD":null,"NEW_FIELD_2030":{"nested":true},
        "SPLIT_LIST":[{"TRAN_KIND_CD_ERP_CD":"81100","SPL_AMT":"22000","SPL_SPLY_AMT":"20000",
          "SPL_VAT_AMT":"2000","SPL_DEDCT_YN":"Y"},
          {"TRAN_KIND_CD_ERP_CD":"81300","SPL_AMT":11000,"SPL_SPLY_AMT":10000,"SPL_VAT_AMT":1000,
          "SPL_DEDCT_YN":"N"}]}"#;

    #[test]
    fn amounts_arrive_as_strings_numbers_or_null() {
        let page = parse_0411a(&page(GOOD)).unwrap();
        let record = page.records[0].as_ref().unwrap();
        assert_eq!(
            record.key.to_string(),
            "2148612345/9410123456781234/20261103/412"
        );
        assert_eq!(record.amounts.total, dec("33000"));
        assert_eq!(record.amounts.supply, dec("30000"));
        assert_eq!(record.amounts.vat, dec("3000"));
        assert_eq!(record.amounts.service_charge, Decimal::ZERO);
        assert_eq!(record.splits[1].amount, dec("11000"));
        assert_eq!(record.splits[1].vat_deductible, Some(false));
        assert_eq!(record.card_last4(), "1234");
        assert_eq!(page.next_key, None);
    }

    #[test]
    fn numbers_are_read_exactly_never_through_a_float() {
        assert_eq!(record::parse_amount("0.1").unwrap(), Some(dec("0.1")));
        assert_eq!(
            record::parse_amount("\"12345678901234567.89\"").unwrap(),
            Some(dec("12345678901234567.89"))
        );
        assert_eq!(record::parse_amount("1.5e3").unwrap(), Some(dec("1500")));
        assert_eq!(record::parse_amount("\"\"").unwrap(), None);
        assert!(record::parse_amount("\"12a\"").is_err());
    }

    #[test]
    fn a_bad_amount_names_the_record_and_the_field() {
        let bad = GOOD.replace(r#""SPLY_AMT":30000"#, r#""SPLY_AMT":"삼만""#);
        let page = parse_0411a(&page(&bad)).unwrap();
        let error = page.records[0].as_ref().unwrap_err();
        assert_eq!(error.record, "2148612345/9410123456781234/20261103/412");
        assert_eq!(error.key.as_deref(), Some(error.record.as_str()));
        assert_eq!(error.field, "SPLY_AMT");
        assert!(error.to_string().contains("SPLY_AMT"), "{error}");
    }

    #[test]
    fn a_bad_split_amount_names_its_line() {
        let bad = GOOD.replace(r#""SPL_AMT":11000"#, r#""SPL_AMT":"x""#);
        let page = parse_0411a(&page(&bad)).unwrap();
        assert_eq!(
            page.records[0].as_ref().unwrap_err().field,
            "SPLIT_LIST[2].SPL_AMT"
        );
    }

    #[test]
    fn a_missing_key_field_names_the_position() {
        let bad = GOOD.replace(r#""SEQ":"412","#, "");
        let page = parse_0411a(&page(&format!("{GOOD},{bad}"))).unwrap();
        assert!(page.records[0].is_ok());
        let error = page.records[1].as_ref().unwrap_err();
        assert_eq!(error.field, "SEQ");
        assert_eq!(error.record, "#2 on the page");
        assert_eq!(error.key, None, "a record without its key has none");
    }

    #[test]
    fn a_wrongly_typed_field_spoils_only_its_record() {
        let bad = GOOD.replace(r#""MEST_NM":"예시식당""#, r#""MEST_NM":["a"]"#);
        let page = parse_0411a(&page(&format!("{bad},{GOOD}"))).unwrap();
        let error = page.records[0].as_ref().unwrap_err();
        assert_eq!(error.field, "MEST_NM");
        let key = "2148612345/9410123456781234/20261103/412";
        assert_eq!(
            error.key.as_deref(),
            Some(key),
            "the key is read even when serde fails"
        );
        assert!(
            error
                .record
                .starts_with("2148612345/9410123456781234/20261103/412")
        );
        assert!(page.records[1].is_ok());
    }

    #[test]
    fn invalid_dates_and_flags_are_refused() {
        let bad = GOOD.replace("20261108", "20261131");
        let error = parse_record(&bad, 1).unwrap_err();
        assert_eq!(error.field, "LST_APRV_DATE");
        let bad = GOOD.replace(r#""DEDCT_YN":"Y""#, r#""DEDCT_YN":"maybe""#);
        assert_eq!(parse_record(&bad, 1).unwrap_err().field, "DEDCT_YN");
    }

    #[test]
    fn a_gateway_error_is_reported_with_its_code() {
        let body = r#"{"RESULT_CD":"WAUT0004","RESULT_MG":"API KEY 만료"}"#;
        match parse_0411a(body) {
            Err(ResponseError::Gateway { code, message }) => {
                assert_eq!(code, "WAUT0004");
                assert_eq!(message, "API KEY 만료");
            }
            other => panic!("expected a gateway error, got {other:?}"),
        }
    }

    #[test]
    fn next_key_continues_paging() {
        let body = r#"{"RESULT_CD":"00000000","NEXT_KEY":"P2","RES_DATA":[]}"#;
        assert_eq!(parse_0411a(body).unwrap().next_key.as_deref(), Some("P2"));
    }
}
