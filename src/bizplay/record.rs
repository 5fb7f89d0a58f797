//! A processed receipt from bizplay in the bridge's own terms: [`ExpenseRecord`].
//!
//! Conversion from the wire is where bad input is caught. A record whose key, amounts, dates
//! or flags cannot be read is refused with a [`RecordError`] naming the record and the field;
//! fields the bridge does not need are never looked at, so they cannot refuse a record.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::wire::{self, Amount, Text};

/// What identifies a receipt at bizplay: (BIZ_NO, CARD_NO, APV_DT, SEQ).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey {
    pub biz_no: String,
    pub card_no: String,
    pub approval_date: Date,
    pub seq: String,
}

impl fmt::Display for RecordKey {
    /// `BIZ_NO/CARD_NO/APV_DT/SEQ`, the canonical text the posting key is derived from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.approval_date;
        write!(
            f,
            "{}/{}/{:04}{:02}{:02}/{}",
            self.biz_no,
            self.card_no,
            date.year(),
            date.month(),
            date.day(),
            self.seq
        )
    }
}

/// `CARD_TYPE`: the kind of evidence behind the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// `1`: a corporate card; the card company is owed.
    CorporateCard,
    /// `2`: a personal card; the employee paid and is owed.
    PersonalCard,
    /// `3`: a cash or other simple receipt, paid by the employee.
    OtherReceipt,
}

impl Evidence {
    pub fn name(self) -> &'static str {
        match self {
            Evidence::CorporateCard => "corporate_card",
            Evidence::PersonalCard => "personal_card",
            Evidence::OtherReceipt => "other_receipt",
        }
    }
}

/// `MEST_TAXT_TYP_INFO`: the merchant's VAT status as the tax office reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MerchantTaxType {
    Unregistered,
    General,
    Simplified,
    Exempt,
    NonProfit,
    Suspended,
    Closed,
    Overseas,
    /// A code this version does not know; the rules decide, never a guess.
    Other(String),
}

impl MerchantTaxType {
    pub fn from_code(code: &str) -> MerchantTaxType {
        match code {
            "00" => MerchantTaxType::Unregistered,
            "01" => MerchantTaxType::General,
            "02" => MerchantTaxType::Simplified,
            "03" => MerchantTaxType::Exempt,
            "04" => MerchantTaxType::NonProfit,
            "09" => MerchantTaxType::Suspended,
            "10" => MerchantTaxType::Closed,
            "99" => MerchantTaxType::Overseas,
            other => MerchantTaxType::Other(other.to_owned()),
        }
    }

    /// The name the mapping rules use.
    pub fn name(&self) -> &str {
        match self {
            MerchantTaxType::Unregistered => "unregistered",
            MerchantTaxType::General => "general",
            MerchantTaxType::Simplified => "simplified",
            MerchantTaxType::Exempt => "exempt",
            MerchantTaxType::NonProfit => "non_profit",
            MerchantTaxType::Suspended => "suspended",
            MerchantTaxType::Closed => "closed",
            MerchantTaxType::Overseas => "overseas",
            MerchantTaxType::Other(code) => code,
        }
    }
}

/// A person on the receipt: the card holder or the one who used it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub name: Option<String>,
    /// The employee's ERP code (`USER_EMP_CD` / `R_EMP_ERP_CD`).
    pub employee_code: Option<String>,
    pub department_name: Option<String>,
    /// The department's ERP code (`DEPT_ERP_CD` / `R_DEPT_ERP_CD`).
    pub department_code: Option<String>,
}

/// The usage (용도) the employee chose, with the ERP codes bizplay keeps for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// `TRAN_KIND_CD`.
    pub code: Option<String>,
    /// `TRAN_KIND_NM`.
    pub name: Option<String>,
    /// `ERP_CODE`: the expense account.
    pub account: Option<String>,
    /// `TRAN_KIND_ERP_CO_CD`: the counter account.
    pub counter_account: Option<String>,
}

/// The receipt's amounts, in the company's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amounts {
    /// `BUY_SUM`: what the card was charged.
    pub total: Decimal,
    /// `SPLY_AMT`: the net amount VAT applies to.
    pub supply: Decimal,
    /// `VAT_AMT`.
    pub vat: Decimal,
    /// `SRV_FEE`: the service charge, outside VAT.
    pub service_charge: Decimal,
}

/// The original amount of a purchase abroad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignAmount {
    pub currency: String,
    pub amount: Decimal,
}

/// One line of a receipt split over several usages or departments (`SPLIT_LIST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitLine {
    /// 1-based position in `SPLIT_LIST`, which identifies the line.
    pub position: usize,
    /// `TRAN_KIND_CD_ERP_CD`: the line's expense account.
    pub account: Option<String>,
    pub usage_name: Option<String>,
    /// `SPL_AMT`.
    pub amount: Decimal,
    /// `SPL_SPLY_AMT`.
    pub supply: Decimal,
    /// `SPL_VAT_AMT`.
    pub vat: Decimal,
    /// `SPL_DEDCT_YN`; `None` means the receipt's flag applies.
    pub vat_deductible: Option<bool>,
    /// `BGT_DVSN_ERP_CD`: the budget department charged.
    pub department_code: Option<String>,
    pub memo: Option<String>,
}

/// A processed card receipt (API 0411A), ready for mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpenseRecord {
    pub key: RecordKey,
    /// `APV_NO`.
    pub approval_no: Option<String>,
    /// `APV_CAN_YN` = B: this record cancels a card approval.
    pub cancelled: bool,
    /// `APV_CAN_DT`.
    pub cancellation_date: Option<Date>,
    /// `BANK_CD`: the card company.
    pub card_company: Option<String>,
    pub evidence: Option<Evidence>,
    pub merchant_name: Option<String>,
    pub merchant_business_no: Option<String>,
    pub merchant_tax_type: Option<MerchantTaxType>,
    pub amounts: Amounts,
    /// `OVRS_USE_YN` = B.
    pub overseas: bool,
    pub foreign: Option<ForeignAmount>,
    pub usage: Usage,
    /// `DEDCT_YN`; `None` when bizplay does not say.
    pub vat_deductible: Option<bool>,
    /// `PROC_STS`.
    pub processing_status: Option<String>,
    /// `APPR_STS`: `9` when the expense report is finally approved.
    pub approval_status: Option<String>,
    /// `LST_APRV_DATE`.
    pub final_approval_date: Option<Date>,
    /// `SETL_SCHE_DT`: when the card company collects.
    pub settlement_date: Option<Date>,
    pub card_user: Person,
    pub receipt_user: Person,
    /// `SUMMARY` (적요).
    pub summary: Option<String>,
    /// `LST_MOD_DT`.
    pub last_modified: Option<String>,
    /// `APPR_SEQ_NO`: the expense report.
    pub expense_report: Option<String>,
    pub splits: Vec<SplitLine>,
}

/// A record that cannot be read, with the record and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}: {field}: {problem}")]
pub struct RecordError {
    /// The record key as far as it could be read, or its position on the page.
    pub record: String,
    /// The record key (`BIZ_NO/CARD_NO/APV_DT/SEQ`) when all of it could be read: the same
    /// receipt, corrected in bizplay, comes back under it.
    pub key: Option<String>,
    /// The bizplay field name, e.g. `SPLY_AMT` or `SPLIT_LIST[2].SPL_AMT`.
    pub field: String,
    pub problem: String,
}

impl ExpenseRecord {
    /// Reads one record from its wire form; `position` (1-based) names it while its key is
    /// unknown.
    pub fn from_wire(record: wire::Record, position: usize) -> Result<ExpenseRecord, RecordError> {
        let mut reader = Reader {
            record: format!("#{position} on the page"),
            key: None,
        };
        let key = RecordKey {
            biz_no: reader.required("BIZ_NO", &record.BIZ_NO)?,
            card_no: reader.required("CARD_NO", &record.CARD_NO)?,
            approval_date: reader.required_date("APV_DT", &record.APV_DT)?,
            seq: reader.required("SEQ", &record.SEQ)?,
        };
        reader.record = key.to_string();
        reader.key = Some(key.to_string());

        let amounts = Amounts {
            total: reader.required_amount("BUY_SUM", &record.BUY_SUM)?,
            supply: reader.required_amount("SPLY_AMT", &record.SPLY_AMT)?,
            vat: reader
                .amount("VAT_AMT", &record.VAT_AMT)?
                .unwrap_or_default(),
            service_charge: reader
                .amount("SRV_FEE", &record.SRV_FEE)?
                .unwrap_or_default(),
        };
        let foreign = match (
            text(&record.CURR_CD),
            reader.amount("CURR_AMT", &record.CURR_AMT)?,
        ) {
            (Some(currency), Some(amount)) if currency != "KRW" && !amount.is_zero() => {
                Some(ForeignAmount { currency, amount })
            }
            _ => None,
        };
        let splits = match &record.SPLIT_LIST {
            Some(lines) => lines
                .iter()
                .enumerate()
                .map(|(index, line)| reader.split(line, index + 1))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };

        Ok(ExpenseRecord {
            approval_no: text(&record.APV_NO),
            cancelled: reader
                .flag("APV_CAN_YN", &record.APV_CAN_YN, "A", "B")?
                .unwrap_or(false),
            cancellation_date: reader.date("APV_CAN_DT", &record.APV_CAN_DT)?,
            card_company: text(&record.BANK_CD),
            evidence: reader.evidence(&record.CARD_TYPE)?,
            merchant_name: text(&record.MEST_NM),
            merchant_business_no: text(&record.MEST_BIZ_NO),
            merchant_tax_type: text(&record.MEST_TAXT_TYP_INFO)
                .map(|code| MerchantTaxType::from_code(&code)),
            amounts,
            overseas: reader
                .flag("OVRS_USE_YN", &record.OVRS_USE_YN, "A", "B")?
                .unwrap_or(false),
            foreign,
            usage: Usage {
                code: text(&record.TRAN_KIND_CD),
                name: text(&record.TRAN_KIND_NM),
                account: text(&record.ERP_CODE),
                counter_account: text(&record.TRAN_KIND_ERP_CO_CD),
            },
            vat_deductible: reader.flag("DEDCT_YN", &record.DEDCT_YN, "N", "Y")?,
            processing_status: text(&record.PROC_STS),
            approval_status: text(&record.APPR_STS),
            final_approval_date: reader.date("LST_APRV_DATE", &record.LST_APRV_DATE)?,
            settlement_date: reader.date("SETL_SCHE_DT", &record.SETL_SCHE_DT)?,
            card_user: Person {
                name: text(&record.USER_NM),
                employee_code: text(&record.USER_EMP_CD),
                department_name: text(&record.DEPT_NM),
                department_code: text(&record.DEPT_ERP_CD),
            },
            receipt_user: Person {
                name: text(&record.R_USER_NM),
                employee_code: text(&record.R_EMP_ERP_CD),
                department_name: text(&record.R_DEPT_NM),
                department_code: text(&record.R_DEPT_ERP_CD),
            },
            summary: text(&record.SUMMARY),
            last_modified: text(&record.LST_MOD_DT),
            expense_report: text(&record.APPR_SEQ_NO),
            splits,
            key,
        })
    }

    /// The last four digits of the card, the most a posting text should show.
    pub fn card_last4(&self) -> &str {
        let digits = self.key.card_no.trim_end();
        let start = digits
            .char_indices()
            .rev()
            .nth(3)
            .map_or(0, |(index, _)| index);
        &digits[start..]
    }
}

/// A text field with surrounding blanks removed; blank counts as missing.
fn text(field: &Option<Text>) -> Option<String> {
    field
        .as_ref()
        .map(|t| t.0.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

struct Reader {
    record: String,
    key: Option<String>,
}

impl Reader {
    fn error(&self, field: impl Into<String>, problem: impl Into<String>) -> RecordError {
        RecordError {
            record: self.record.clone(),
            key: self.key.clone(),
            field: field.into(),
            problem: problem.into(),
        }
    }

    fn required(&self, field: &str, value: &Option<Text>) -> Result<String, RecordError> {
        text(value).ok_or_else(|| self.error(field, "missing"))
    }

    fn date(&self, field: &str, value: &Option<Text>) -> Result<Option<Date>, RecordError> {
        let Some(value) = text(value) else {
            return Ok(None);
        };
        parse_yyyymmdd(&value)
            .map(Some)
            .ok_or_else(|| self.error(field, format!("\"{value}\" is not a date (YYYYMMDD)")))
    }

    fn required_date(&self, field: &str, value: &Option<Text>) -> Result<Date, RecordError> {
        self.date(field, value)?
            .ok_or_else(|| self.error(field, "missing"))
    }

    fn amount(&self, field: &str, value: &Option<Amount>) -> Result<Option<Decimal>, RecordError> {
        let Some(raw) = value else { return Ok(None) };
        parse_amount(raw.get()).map_err(|problem| self.error(field, problem))
    }

    fn required_amount(&self, field: &str, value: &Option<Amount>) -> Result<Decimal, RecordError> {
        self.amount(field, value)?
            .ok_or_else(|| self.error(field, "missing"))
    }

    /// A two-valued flag: `off` → false, `on` → true, blank → `None`.
    fn flag(
        &self,
        field: &str,
        value: &Option<Text>,
        off: &str,
        on: &str,
    ) -> Result<Option<bool>, RecordError> {
        match text(value) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case(off) => Ok(Some(false)),
            Some(v) if v.eq_ignore_ascii_case(on) => Ok(Some(true)),
            Some(v) => Err(self.error(field, format!("\"{v}\" is neither {off} nor {on}"))),
        }
    }

    fn evidence(&self, value: &Option<Text>) -> Result<Option<Evidence>, RecordError> {
        match text(value).as_deref() {
            None => Ok(None),
            Some("1") => Ok(Some(Evidence::CorporateCard)),
            Some("2") => Ok(Some(Evidence::PersonalCard)),
            Some("3") => Ok(Some(Evidence::OtherReceipt)),
            Some(other) => Err(self.error("CARD_TYPE", format!("\"{other}\" is not 1, 2 or 3"))),
        }
    }

    fn split(&self, line: &wire::Split, position: usize) -> Result<SplitLine, RecordError> {
        let field = |name: &str| format!("SPLIT_LIST[{position}].{name}");
        let amount = |name: &str, value: &Option<Amount>| -> Result<Decimal, RecordError> {
            let raw = value
                .as_ref()
                .ok_or_else(|| self.error(field(name), "missing"))?;
            parse_amount(raw.get())
                .map_err(|problem| self.error(field(name), problem))?
                .ok_or_else(|| self.error(field(name), "missing"))
        };
        let amount_or_zero = |name: &str, value: &Option<Amount>| match value {
            None => Ok(Decimal::ZERO),
            Some(_) => amount(name, value),
        };
        Ok(SplitLine {
            position,
            account: text(&line.TRAN_KIND_CD_ERP_CD),
            usage_name: text(&line.TRAN_KIND_NM),
            amount: amount("SPL_AMT", &line.SPL_AMT)?,
            supply: amount("SPL_SPLY_AMT", &line.SPL_SPLY_AMT)?,
            vat: amount_or_zero("SPL_VAT_AMT", &line.SPL_VAT_AMT)?,
            vat_deductible: self.flag(&field("SPL_DEDCT_YN"), &line.SPL_DEDCT_YN, "N", "Y")?,
            department_code: text(&line.BGT_DVSN_ERP_CD),
            memo: text(&line.MEMO),
        })
    }
}

/// `YYYYMMDD` into a date; `None` when it is not a real date.
pub fn parse_yyyymmdd(text: &str) -> Option<Date> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = text[..4].parse().ok()?;
    let month = text[4..6].parse().ok()?;
    let day = text[6..].parse().ok()?;
    Date::new(year, month, day).ok()
}

/// An amount from its raw JSON: a string, a number or `null`. Numbers are read from their
/// text, so `0.1` is exactly one tenth; grouping commas in strings are accepted because
/// spreadsheets put them there.
pub fn parse_amount(raw: &str) -> Result<Option<Decimal>, String> {
    let raw = raw.trim();
    if raw == "null" {
        return Ok(None);
    }
    let text = if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).map_err(|e| format!("unreadable string: {e}"))?
    } else {
        raw.to_owned()
    };
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    let parsed = if cleaned.contains(['e', 'E']) {
        Decimal::from_scientific(&cleaned)
    } else {
        Decimal::from_str_exact(&cleaned)
    };
    parsed
        .map(Some)
        .map_err(|_| format!("{raw} is not an amount"))
}

impl FromStr for Evidence {
    type Err = String;

    fn from_str(name: &str) -> Result<Evidence, String> {
        match name {
            "corporate_card" => Ok(Evidence::CorporateCard),
            "personal_card" => Ok(Evidence::PersonalCard),
            "other_receipt" => Ok(Evidence::OtherReceipt),
            other => Err(format!(
                "\"{other}\" is not an evidence type (corporate_card, personal_card, other_receipt)"
            )),
        }
    }
}
