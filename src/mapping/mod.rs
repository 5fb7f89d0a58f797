//! Mapping: one bizplay record to one SAP document, by the customer's [`Rules`].
//!
//! Every record ends in exactly one [`Outcome`]. A record that is finally approved and
//! complete becomes a [`Posting`]; one that is not ready (not yet approved, marked personal
//! use) is *skipped* and will come back when it changes; one that cannot be mapped is *held*
//! with a reason an accountant can act on. A held record never stops the others.
//!
//! The shape of a card receipt's document, debit positive and credit negative:
//!
//! ```text
//!   1  credit  vendor (AP: card company or employee) or 미지급금 G/L (AO)   −total
//!   2… debit   expense G/L per receipt or split line, cost centre           supply (+VAT if
//!                                                                           not deductible)
//!   n  debit   service charge G/L, no tax code                              SRV_FEE
//!   n+1…debit  input VAT per tax code, with its base                       VAT
//! ```

pub mod rules;
pub mod template;

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::bizplay::{Evidence, ExpenseRecord, MerchantTaxType, RecordError, SplitLine};
use crate::posting::sap_text::{ALLOC_NMBR_LEN, HEADER_TXT_LEN, ITEM_TEXT_LEN, cut};
use crate::posting::{
    AccountNumber, Currency, Header, Item, ItemKind, KeyPurpose, Posting, PostingKey, PostingKind,
    Reverses, ValidationErrors,
};
use rules::{Company, DepartmentSource, PostingDate};
pub use rules::{Rules, RulesError};

/// What became of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Posting(Posting),
    Held(Held),
    Skipped(Skipped),
}

/// A record that cannot be posted until someone acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub record_key: String,
    pub reason: HoldReason,
}

/// A record that is not meant to be posted in its current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub record_key: String,
    pub reason: String,
}

/// Why a record is held, in words for the accountant who has to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoldReason {
    #[error("{0}")]
    Unreadable(String),
    #[error("business number {0} has no SAP company code: add a [[company]] entry to the rules")]
    UnknownCompany(String),
    #[error(
        "supply {supply} + VAT {vat} + service charge {service_charge} = {sum}, \
         but the receipt total (BUY_SUM) is {total}"
    )]
    AmountsDoNotAdd {
        supply: String,
        vat: String,
        service_charge: String,
        sum: String,
        total: String,
    },
    #[error(
        "the split lines add up to {splits} (+ service charge {service_charge}), \
         but the receipt total (BUY_SUM) is {total}"
    )]
    SplitsDoNotAdd {
        splits: String,
        service_charge: String,
        total: String,
    },
    #[error("the split lines' VAT adds up to {splits}, but the receipt's VAT (VAT_AMT) is {vat}")]
    SplitVatDoesNotAdd { splits: String, vat: String },
    #[error("split line {line}: supply {supply} + VAT {vat} is not its amount {amount}")]
    SplitLineDoesNotAdd {
        line: usize,
        supply: String,
        vat: String,
        amount: String,
    },
    #[error("{field} is {amount}, which has decimals that {currency} does not have")]
    FractionalAmount {
        field: String,
        amount: String,
        currency: String,
    },
    #[error("the receipt total (BUY_SUM) is {0}; only a cancellation can be zero or negative")]
    NotPositive(String),
    #[error("{0} is negative")]
    NegativePart(String),
    #[error(
        "usage {usage} has no expense account: bizplay sends no ERP_CODE and the rules have \
         no [expense_accounts.by_usage] entry for it"
    )]
    NoExpenseAccount { usage: String },
    #[error("{field} \"{value}\" is not an SAP account number (at most 10 characters)")]
    BadNumber { field: String, value: String },
    #[error("the card type (CARD_TYPE) is missing, so the vendor cannot be chosen")]
    NoEvidence,
    #[error("card company {0} (BANK_CD) has no SAP vendor: add it under [vendors.card_companies]")]
    NoCardVendor(String),
    #[error("no employee ERP code (R_EMP_ERP_CD or USER_EMP_CD) to find the employee's vendor")]
    NoEmployeeCode,
    #[error(
        "employee {0} has no SAP vendor: add it under [vendors.employees] or set employee_template"
    )]
    NoEmployeeVendor(String),
    #[error(
        "no counter account: bizplay sends no TRAN_KIND_ERP_CO_CD and [counter_accounts] \
         has no rule or default"
    )]
    NoCounterAccount,
    #[error("no cost centre: the record names no department and [cost_centers] has no default")]
    NoCostCenter,
    #[error(
        "no tax code for {deductible} VAT from a {merchant} merchant on a {evidence}: \
         add a [[tax_code]] row"
    )]
    NoTaxCode {
        deductible: &'static str,
        merchant: String,
        evidence: String,
    },
    #[error("the cancellation names no approval number (APV_NO), so the original cannot be found")]
    NoApprovalNumber,
    #[error("the document breaks SAP's rules: {0}")]
    Invalid(ValidationErrors),
}

impl Outcome {
    pub fn record_key(&self) -> &str {
        match self {
            Outcome::Posting(posting) => &posting.record_key,
            Outcome::Held(held) => &held.record_key,
            Outcome::Skipped(skipped) => &skipped.record_key,
        }
    }
}

/// Maps records by a set of rules.
#[derive(Debug, Clone, Copy)]
pub struct Mapper<'r> {
    rules: &'r Rules,
}

/// A card approval as a cancellation names it.
type ApprovalId = (String, String, Date, String);

impl<'r> Mapper<'r> {
    pub fn new(rules: &'r Rules) -> Mapper<'r> {
        Mapper { rules }
    }

    /// Maps a page of records at revision 1, linking each cancellation to the approval it
    /// cancels when that approval is on the page too.
    pub fn map_page(&self, records: &[Result<ExpenseRecord, RecordError>]) -> Vec<Outcome> {
        let mut originals: HashMap<ApprovalId, String> = HashMap::new();
        for record in records.iter().flatten().filter(|r| !r.cancelled) {
            if let Some(id) = approval_id(record) {
                originals
                    .entry(id)
                    .or_insert_with(|| record.key.to_string());
            }
        }
        records
            .iter()
            .map(|record| match record {
                Ok(record) => {
                    let original = approval_id(record).and_then(|id| originals.get(&id));
                    self.map(record, 1, original.map(String::as_str))
                }
                Err(error) => Outcome::Held(Held {
                    record_key: error.record.clone(),
                    reason: HoldReason::Unreadable(format!("{}: {}", error.field, error.problem)),
                }),
            })
            .collect()
    }

    /// Maps one record at `revision`. For a cancellation, `original` is the record key of the
    /// approval it cancels, when known.
    pub fn map(&self, record: &ExpenseRecord, revision: u32, original: Option<&str>) -> Outcome {
        let record_key = record.key.to_string();
        if let Some(reason) = skip_reason(record) {
            return Outcome::Skipped(Skipped { record_key, reason });
        }
        let result = if record.cancelled {
            self.reversal(record, revision, original)
        } else {
            self.document(record, revision)
        };
        match result {
            Ok(posting) => match posting.validate() {
                Ok(()) => Outcome::Posting(posting),
                Err(errors) => Outcome::Held(Held {
                    record_key,
                    reason: HoldReason::Invalid(errors),
                }),
            },
            Err(reason) => Outcome::Held(Held { record_key, reason }),
        }
    }

    fn company(&self, record: &ExpenseRecord) -> Result<&'r Company, HoldReason> {
        self.rules
            .company(&record.key.biz_no)
            .ok_or_else(|| HoldReason::UnknownCompany(record.key.biz_no.clone()))
    }

    fn reversal(
        &self,
        record: &ExpenseRecord,
        revision: u32,
        original: Option<&str>,
    ) -> Result<Posting, HoldReason> {
        let company = self.company(record)?;
        let approval_no = record
            .approval_no
            .as_deref()
            .ok_or(HoldReason::NoApprovalNumber)?;
        let record_key = record.key.to_string();
        let key = PostingKey::derive(KeyPurpose::Reversal, &record_key, revision);
        let posting_date = record
            .cancellation_date
            .unwrap_or_else(|| self.posting_date(record));
        let approval = format!(
            "{}/{}/{approval_no}",
            record.key.card_no,
            crate::posting::dats(record.key.approval_date)
        );
        Ok(Posting {
            header: Header {
                company_code: company.company_code.0.clone(),
                doc_type: String::new(),
                doc_date: record.cancellation_date.unwrap_or(record.key.approval_date),
                posting_date,
                reference: key.to_string(),
                text: cut(
                    &self.rules.documents.header_text.render(record, None),
                    HEADER_TXT_LEN,
                ),
                business_place: company.business_place.as_ref().map(|p| p.0.clone()),
            },
            key,
            record_key,
            kind: PostingKind::Reversal,
            items: Vec::new(),
            reverses: Some(Reverses {
                record_key: original.map(str::to_owned),
                posting_key: original.map(|o| PostingKey::derive(KeyPurpose::Posting, o, 1)),
                approval,
                reason: self.rules.documents.reversal_reason.0.clone(),
            }),
        })
    }

    fn document(&self, record: &ExpenseRecord, revision: u32) -> Result<Posting, HoldReason> {
        let company = self.company(record)?;
        let currency = &company.currency.0;
        check_amounts(record, currency)?;
        let kind = self.kind(record, company);
        let record_key = record.key.to_string();
        let key = PostingKey::derive(KeyPurpose::Posting, &record_key, revision);

        let mut debits = self.expense_lines(record)?;
        let service_charge = record.amounts.service_charge;
        if !service_charge.is_zero() {
            let account = match &self.rules.expense_accounts.service_charge {
                Some(account) => account.0.clone(),
                None => debits[0].account.clone(),
            };
            let text = format!(
                "봉사료 {}",
                self.rules.documents.item_text.render(record, None)
            );
            debits.push(DebitLine {
                account,
                cost_center: debits[0].cost_center.clone(),
                amount: service_charge,
                tax_code: None,
                vat: None,
                text,
            });
        }

        let mut items = vec![self.credit_item(record, kind, currency)?];
        let mut taxes: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for line in debits {
            if let Some((vat, base)) = line.vat {
                let code = line
                    .tax_code
                    .clone()
                    .expect("a deductible line has a tax code");
                let entry = taxes.entry(code).or_insert((Decimal::ZERO, Decimal::ZERO));
                entry.0 += vat;
                entry.1 += base;
            }
            items.push(Item {
                item_no: items.len() as u32 + 1,
                kind: ItemKind::Gl {
                    account: line.account,
                    cost_center: Some(line.cost_center),
                },
                currency: currency.clone(),
                amount: line.amount,
                tax_code: line.tax_code,
                tax_base: None,
                text: cut(&line.text, ITEM_TEXT_LEN),
                assignment: None,
            });
        }
        for (code, (vat, base)) in taxes {
            items.push(Item {
                item_no: items.len() as u32 + 1,
                kind: ItemKind::Tax,
                currency: currency.clone(),
                amount: vat,
                tax_code: Some(code),
                tax_base: Some(base),
                text: String::new(),
                assignment: None,
            });
        }

        let doc_type = match kind {
            PostingKind::Ap => company
                .ap_type
                .as_ref()
                .unwrap_or(&self.rules.documents.ap_type),
            _ => company
                .ao_type
                .as_ref()
                .unwrap_or(&self.rules.documents.ao_type),
        };
        Ok(Posting {
            header: Header {
                company_code: company.company_code.0.clone(),
                doc_type: doc_type.0.clone(),
                doc_date: record.key.approval_date,
                posting_date: self.posting_date(record),
                reference: key.to_string(),
                text: cut(
                    &self.rules.documents.header_text.render(record, None),
                    HEADER_TXT_LEN,
                ),
                business_place: company.business_place.as_ref().map(|p| p.0.clone()),
            },
            key,
            record_key,
            kind,
            items,
            reverses: None,
        })
    }

    /// AP or AO: the first `[[posting_kind]]` rule that matches, else the company's kind.
    fn kind(&self, record: &ExpenseRecord, company: &Company) -> PostingKind {
        let matches = |rule: &rules::KindRule| {
            let company_ok = rule
                .company_code
                .as_ref()
                .is_none_or(|code| *code.get_ref() == company.company_code.0);
            let card_type_ok = rule.card_type.is_empty()
                || record
                    .evidence
                    .is_some_and(|e| rule.card_type.iter().any(|r| r.0 == e));
            let card_company_ok = rule.card_company.is_empty()
                || record
                    .card_company
                    .as_ref()
                    .is_some_and(|c| rule.card_company.contains(c));
            company_ok && card_type_ok && card_company_ok
        };
        let kind = self
            .rules
            .kind_rules
            .iter()
            .find(|rule| matches(rule))
            .map(|rule| rule.kind);
        kind.unwrap_or(company.kind).into()
    }

    fn posting_date(&self, record: &ExpenseRecord) -> Date {
        let date = match self.rules.documents.posting_date {
            PostingDate::Approval => None,
            PostingDate::FinalApproval => record.final_approval_date,
            PostingDate::Settlement => record.settlement_date,
        };
        date.unwrap_or(record.key.approval_date)
    }

    fn expense_lines(&self, record: &ExpenseRecord) -> Result<Vec<DebitLine>, HoldReason> {
        let record_cost_center = self.cost_center(record, None)?;
        if record.splits.is_empty() {
            let account = self.expense_account(record)?;
            let deductible = self.deductible(record, record.vat_deductible, record.amounts.vat);
            let tax_code = self.tax_code(record, deductible)?;
            let (supply, vat) = (record.amounts.supply, record.amounts.vat);
            return Ok(vec![DebitLine {
                account,
                cost_center: record_cost_center,
                amount: if deductible { supply } else { supply + vat },
                vat: deductible.then_some((vat, supply)),
                tax_code,
                text: self.rules.documents.item_text.render(record, None),
            }]);
        }
        record
            .splits
            .iter()
            .map(|split| {
                let account = match &split.account {
                    Some(code) => number("SPLIT_LIST.TRAN_KIND_CD_ERP_CD", code)?,
                    None => self.expense_account(record)?,
                };
                let flag = split.vat_deductible.or(record.vat_deductible);
                let deductible = self.deductible(record, flag, split.vat);
                Ok(DebitLine {
                    account,
                    cost_center: self.cost_center(record, Some(split))?,
                    amount: if deductible {
                        split.supply
                    } else {
                        split.supply + split.vat
                    },
                    vat: deductible.then_some((split.vat, split.supply)),
                    tax_code: self.tax_code(record, deductible)?,
                    text: self.rules.documents.item_text.render(record, Some(split)),
                })
            })
            .collect()
    }

    /// Whether VAT goes to input tax: bizplay says deductible (or says nothing), the usage is
    /// not one whose VAT the law never credits, the merchant is a general taxpayer, and there
    /// is VAT at all. Simplified and exempt merchants' VAT stays in the expense.
    fn deductible(&self, record: &ExpenseRecord, flag: Option<bool>, vat: Decimal) -> bool {
        let never = record.usage.code.as_ref().is_some_and(|code| {
            self.rules
                .tax
                .never_deductible_usages
                .iter()
                .any(|usage| usage == code)
        });
        flag.unwrap_or(true)
            && !never
            && record.merchant_tax_type == Some(MerchantTaxType::General)
            && !vat.is_zero()
    }

    /// The tax code from the matrix. Deductible VAT needs one; non-deductible lines carry
    /// one only when a row gives it (for VAT reporting).
    fn tax_code(
        &self,
        record: &ExpenseRecord,
        deductible: bool,
    ) -> Result<Option<String>, HoldReason> {
        let merchant = record.merchant_tax_type.clone();
        let row = self.rules.tax_codes.iter().find(|row| {
            row.deductible.is_none_or(|d| d == deductible)
                && (row.merchant_tax_type.is_empty()
                    || merchant
                        .as_ref()
                        .is_some_and(|m| row.merchant_tax_type.iter().any(|r| r.0 == *m)))
                && (row.card_type.is_empty()
                    || record
                        .evidence
                        .is_some_and(|e| row.card_type.iter().any(|r| r.0 == e)))
        });
        match row {
            Some(row) => Ok(Some(row.code.0.clone())),
            None if !deductible => Ok(None),
            None => Err(HoldReason::NoTaxCode {
                deductible: "deductible",
                merchant: merchant.as_ref().map_or("unknown", |m| m.name()).to_owned(),
                evidence: record
                    .evidence
                    .map_or("unknown evidence", |e| e.name())
                    .replace('_', " "),
            }),
        }
    }

    /// The expense account: a rule override, else bizplay's ERP_CODE, else a rule.
    fn expense_account(&self, record: &ExpenseRecord) -> Result<AccountNumber, HoldReason> {
        let accounts = &self.rules.expense_accounts;
        let usage = record.usage.code.as_deref();
        if let Some(account) = usage.and_then(|u| accounts.overrides.get(u)) {
            return Ok(account.0.clone());
        }
        if let Some(code) = &record.usage.account {
            return number("ERP_CODE", code);
        }
        usage
            .and_then(|u| accounts.by_usage.get(u))
            .map(|a| a.0.clone())
            .ok_or_else(|| {
                let name = record.usage.name.as_deref().unwrap_or("");
                HoldReason::NoExpenseAccount {
                    usage: format!("{} {name}", usage.unwrap_or("(none)")),
                }
            })
    }

    fn cost_center(
        &self,
        record: &ExpenseRecord,
        split: Option<&SplitLine>,
    ) -> Result<AccountNumber, HoldReason> {
        let rules = &self.rules.cost_centers;
        let (first, second) = match rules.source {
            DepartmentSource::ReceiptUser => (&record.receipt_user, &record.card_user),
            DepartmentSource::CardUser => (&record.card_user, &record.receipt_user),
        };
        let department = split
            .and_then(|s| s.department_code.as_ref())
            .or(first.department_code.as_ref())
            .or(second.department_code.as_ref());
        match department {
            Some(code) => match rules.by_department.get(code) {
                Some(center) => Ok(center.0.clone()),
                None => number("department ERP code", code),
            },
            None => rules
                .default
                .as_ref()
                .map(|c| c.0.clone())
                .ok_or(HoldReason::NoCostCenter),
        }
    }

    fn credit_item(
        &self,
        record: &ExpenseRecord,
        kind: PostingKind,
        currency: &Currency,
    ) -> Result<Item, HoldReason> {
        let kind = match kind {
            PostingKind::Ap => ItemKind::Vendor {
                vendor: self.vendor(record)?,
                baseline_date: record.settlement_date,
            },
            _ => ItemKind::Gl {
                account: self.counter_account(record)?,
                cost_center: None,
            },
        };
        let assignment = self.rules.documents.assignment.as_ref();
        Ok(Item {
            item_no: 1,
            kind,
            currency: currency.clone(),
            amount: -record.amounts.total,
            tax_code: None,
            tax_base: None,
            text: cut(
                &self.rules.documents.credit_text.render(record, None),
                ITEM_TEXT_LEN,
            ),
            assignment: assignment.map(|t| cut(&t.render(record, None), ALLOC_NMBR_LEN)),
        })
    }

    /// The vendor of an AP document: the card company for corporate cards, the employee who
    /// paid for personal cards and other receipts.
    fn vendor(&self, record: &ExpenseRecord) -> Result<AccountNumber, HoldReason> {
        let vendors = &self.rules.vendors;
        match record.evidence.ok_or(HoldReason::NoEvidence)? {
            Evidence::CorporateCard => {
                let bank = record.card_company.clone().unwrap_or_default();
                vendors
                    .card_companies
                    .get(&bank)
                    .map(|v| v.0.clone())
                    .ok_or(HoldReason::NoCardVendor(if bank.is_empty() {
                        "(none)".into()
                    } else {
                        bank
                    }))
            }
            Evidence::PersonalCard | Evidence::OtherReceipt => {
                let employee = record
                    .receipt_user
                    .employee_code
                    .as_ref()
                    .or(record.card_user.employee_code.as_ref())
                    .ok_or(HoldReason::NoEmployeeCode)?;
                vendors
                    .employees
                    .get(employee)
                    .map(|v| v.0.clone())
                    .or_else(|| vendors.employee_template.as_ref()?.vendor_for(employee))
                    .ok_or_else(|| HoldReason::NoEmployeeVendor(employee.clone()))
            }
        }
    }

    /// The credited account of an AO document.
    fn counter_account(&self, record: &ExpenseRecord) -> Result<AccountNumber, HoldReason> {
        let rules = &self.rules.counter_accounts;
        let by_company = record
            .card_company
            .as_ref()
            .and_then(|c| rules.by_card_company.get(c));
        let by_type = record
            .evidence
            .and_then(|e| rules.by_card_type.iter().find(|(name, _)| name.0 == e))
            .map(|(_, account)| account);
        if let Some(account) = by_company.or(by_type) {
            return Ok(account.0.clone());
        }
        if let Some(code) = record
            .usage
            .counter_account
            .as_ref()
            .filter(|_| rules.use_bizplay)
        {
            return number("TRAN_KIND_ERP_CO_CD", code);
        }
        rules
            .default
            .as_ref()
            .map(|a| a.0.clone())
            .ok_or(HoldReason::NoCounterAccount)
    }
}

/// One debit line before numbering; `vat` is (VAT, base) when the VAT is deductible.
struct DebitLine {
    account: AccountNumber,
    cost_center: AccountNumber,
    amount: Decimal,
    tax_code: Option<String>,
    vat: Option<(Decimal, Decimal)>,
    text: String,
}

fn number(field: &str, value: &str) -> Result<AccountNumber, HoldReason> {
    AccountNumber::new(value).ok_or_else(|| HoldReason::BadNumber {
        field: field.to_owned(),
        value: value.to_owned(),
    })
}

fn approval_id(record: &ExpenseRecord) -> Option<ApprovalId> {
    let key = &record.key;
    let approval = record.approval_no.clone()?;
    Some((
        key.biz_no.clone(),
        key.card_no.clone(),
        key.approval_date,
        approval,
    ))
}

/// Records that are not ready to post, or never should be. A cancellation is never skipped:
/// the card company has taken the money back whatever state the expense report is in.
fn skip_reason(record: &ExpenseRecord) -> Option<String> {
    if record.cancelled {
        return None;
    }
    match record.approval_status.as_deref() {
        Some("9") => {}
        Some(status) => {
            return Some(format!(
                "the expense report is not finally approved (APPR_STS {status})"
            ));
        }
        None => return Some("the expense report's approval status (APPR_STS) is missing".into()),
    }
    match record.processing_status.as_deref() {
        Some("6") => Some("marked as personal use in bizplay (PROC_STS 6)".into()),
        Some("5") => Some("marked as cancelled in bizplay (PROC_STS 5)".into()),
        _ => None,
    }
}

/// The checks on a receipt's own numbers: they add up, fit the currency and are not negative.
fn check_amounts(record: &ExpenseRecord, currency: &Currency) -> Result<(), HoldReason> {
    let amounts = record.amounts;
    let show = |amount: Decimal| amount.normalize().to_string();
    let mut fields = vec![
        ("BUY_SUM".to_owned(), amounts.total),
        ("SPLY_AMT".to_owned(), amounts.supply),
        ("VAT_AMT".to_owned(), amounts.vat),
        ("SRV_FEE".to_owned(), amounts.service_charge),
    ];
    for split in &record.splits {
        let name = |field: &str| format!("SPLIT_LIST[{}].{field}", split.position);
        fields.push((name("SPL_AMT"), split.amount));
        fields.push((name("SPL_SPLY_AMT"), split.supply));
        fields.push((name("SPL_VAT_AMT"), split.vat));
    }
    for (field, amount) in &fields {
        if !currency.fits(*amount) {
            return Err(HoldReason::FractionalAmount {
                field: field.clone(),
                amount: show(*amount),
                currency: currency.to_string(),
            });
        }
    }
    if amounts.total <= Decimal::ZERO {
        return Err(HoldReason::NotPositive(show(amounts.total)));
    }
    if let Some((field, _)) = fields.iter().find(|(_, amount)| amount.is_sign_negative()) {
        return Err(HoldReason::NegativePart(field.clone()));
    }
    let sum = amounts.supply + amounts.vat + amounts.service_charge;
    if sum != amounts.total {
        return Err(HoldReason::AmountsDoNotAdd {
            supply: show(amounts.supply),
            vat: show(amounts.vat),
            service_charge: show(amounts.service_charge),
            sum: show(sum),
            total: show(amounts.total),
        });
    }
    if record.splits.is_empty() {
        return Ok(());
    }
    for split in &record.splits {
        if split.supply + split.vat != split.amount {
            return Err(HoldReason::SplitLineDoesNotAdd {
                line: split.position,
                supply: show(split.supply),
                vat: show(split.vat),
                amount: show(split.amount),
            });
        }
    }
    let split_total: Decimal = record.splits.iter().map(|s| s.amount).sum();
    if split_total + amounts.service_charge != amounts.total {
        return Err(HoldReason::SplitsDoNotAdd {
            splits: show(split_total),
            service_charge: show(amounts.service_charge),
            total: show(amounts.total),
        });
    }
    let split_vat: Decimal = record.splits.iter().map(|s| s.vat).sum();
    if split_vat != amounts.vat {
        return Err(HoldReason::SplitVatDoesNotAdd {
            splits: show(split_vat),
            vat: show(amounts.vat),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
