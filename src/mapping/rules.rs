//! The mapping rules file (TOML) that finance maintains; see `docs/mapping.md`.
//!
//! Everything a rule names is checked while the file is read: account numbers must survive
//! SAP's ALPHA conversion, codes must fit their SAP fields, templates must use known
//! placeholders, and no key may be misspelt. A mistake is reported with the file, the line and
//! the key, so that it can be fixed before a single document is sent.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::template::Template;
use crate::bizplay::{Evidence, MerchantTaxType};
use crate::posting::sap_text::{
    BUSINESSPLACE_LEN, COMP_CODE_LEN, DOC_TYPE_LEN, TAX_CODE_LEN, sap_len,
};
use crate::posting::{AccountNumber, Currency, PostingKind};

/// The rules, read and checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub documents: Documents,
    #[serde(default, rename = "company")]
    pub companies: Vec<Company>,
    #[serde(default, rename = "posting_kind")]
    pub kind_rules: Vec<KindRule>,
    #[serde(default)]
    pub vendors: Vendors,
    #[serde(default)]
    pub expense_accounts: ExpenseAccounts,
    #[serde(default)]
    pub counter_accounts: CounterAccounts,
    #[serde(default)]
    pub cost_centers: CostCenters,
    #[serde(default)]
    pub tax: Tax,
    #[serde(default, rename = "tax_code")]
    pub tax_codes: Vec<TaxCodeRule>,
}

/// `[documents]`: header defaults and texts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Documents {
    #[serde(default = "default_ap_type")]
    pub ap_type: Code<DOC_TYPE_LEN>,
    #[serde(default = "default_ao_type")]
    pub ao_type: Code<DOC_TYPE_LEN>,
    #[serde(default)]
    pub posting_date: PostingDate,
    #[serde(default = "default_header_text")]
    pub header_text: Template,
    #[serde(default = "default_item_text")]
    pub item_text: Template,
    #[serde(default = "default_credit_text")]
    pub credit_text: Template,
    #[serde(default)]
    pub assignment: Option<Template>,
    #[serde(default = "default_reversal_reason")]
    pub reversal_reason: Code<2>,
}

impl Default for Documents {
    fn default() -> Documents {
        Documents {
            ap_type: default_ap_type(),
            ao_type: default_ao_type(),
            posting_date: PostingDate::default(),
            header_text: default_header_text(),
            item_text: default_item_text(),
            credit_text: default_credit_text(),
            assignment: None,
            reversal_reason: default_reversal_reason(),
        }
    }
}

fn default_ap_type() -> Code<DOC_TYPE_LEN> {
    Code("KR".to_owned())
}

fn default_ao_type() -> Code<DOC_TYPE_LEN> {
    Code("SA".to_owned())
}

fn default_reversal_reason() -> Code<2> {
    Code("01".to_owned())
}

fn default_header_text() -> Template {
    Template::parse("{MEST_NM}").expect("built-in template")
}

fn default_item_text() -> Template {
    Template::parse("{TRAN_KIND_NM} {MEST_NM} {MEMO}").expect("built-in template")
}

fn default_credit_text() -> Template {
    Template::parse("{MEST_NM} 카드{CARD_LAST4} 승인{APV_NO}").expect("built-in template")
}

/// Which date of the receipt becomes the posting date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostingDate {
    /// `APV_DT`: the day the card was used.
    Approval,
    /// `LST_APRV_DATE`: the day the expense report was finally approved (else `APV_DT`).
    #[default]
    FinalApproval,
    /// `SETL_SCHE_DT`: the day the card company collects (else `APV_DT`).
    Settlement,
}

/// `[[company]]`: one bizplay business number and its SAP company code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub biz_no: Spanned<String>,
    pub company_code: Code<COMP_CODE_LEN>,
    #[serde(default = "krw")]
    pub currency: CurrencyCode,
    #[serde(default)]
    pub business_place: Option<Code<BUSINESSPLACE_LEN>>,
    /// AP or AO when no `[[posting_kind]]` rule says otherwise.
    pub kind: Kind,
    #[serde(default)]
    pub ap_type: Option<Code<DOC_TYPE_LEN>>,
    #[serde(default)]
    pub ao_type: Option<Code<DOC_TYPE_LEN>>,
}

fn krw() -> CurrencyCode {
    CurrencyCode(Currency::krw())
}

/// `[[posting_kind]]`: AP or AO for the records it matches; the first match wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    #[serde(default)]
    pub company_code: Option<Spanned<String>>,
    #[serde(default)]
    pub card_type: Vec<EvidenceName>,
    /// `BANK_CD` values.
    #[serde(default)]
    pub card_company: Vec<String>,
    pub kind: Kind,
}

/// `AP` or `AO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Kind {
    #[serde(rename = "AP")]
    Ap,
    #[serde(rename = "AO")]
    Ao,
}

impl From<Kind> for PostingKind {
    fn from(kind: Kind) -> PostingKind {
        match kind {
            Kind::Ap => PostingKind::Ap,
            Kind::Ao => PostingKind::Ao,
        }
    }
}

/// `[vendors]`: who is credited on AP documents.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vendors {
    /// `BANK_CD` → the card company's vendor number.
    #[serde(default)]
    pub card_companies: BTreeMap<String, Account>,
    /// Employee ERP code → vendor number, where the template does not fit.
    #[serde(default)]
    pub employees: BTreeMap<String, Account>,
    /// Builds an employee's vendor number from `{EMP}`, their ERP code: `"9{EMP}"`.
    #[serde(default)]
    pub employee_template: Option<EmployeeTemplate>,
}

/// `[expense_accounts]`: the G/L account of each usage.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpenseAccounts {
    /// Usage code → account, used when bizplay sends no `ERP_CODE`.
    #[serde(default)]
    pub by_usage: BTreeMap<String, Account>,
    /// Usage code → account, used even when bizplay sends an `ERP_CODE`.
    #[serde(default, rename = "override")]
    pub overrides: BTreeMap<String, Account>,
    /// Account for the service charge (봉사료); the receipt's expense account if absent.
    #[serde(default)]
    pub service_charge: Option<Account>,
}

/// `[counter_accounts]`: the credited G/L account of AO documents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterAccounts {
    /// `BANK_CD` → account; wins over everything else.
    #[serde(default)]
    pub by_card_company: BTreeMap<String, Account>,
    /// Evidence type → account; wins over bizplay's counter account.
    #[serde(default)]
    pub by_card_type: BTreeMap<EvidenceName, Account>,
    /// Whether bizplay's `TRAN_KIND_ERP_CO_CD` is used when no rule above matches.
    #[serde(default = "yes")]
    pub use_bizplay: bool,
    /// The account when nothing else gives one.
    #[serde(default)]
    pub default: Option<Account>,
}

impl Default for CounterAccounts {
    fn default() -> CounterAccounts {
        CounterAccounts {
            by_card_company: BTreeMap::new(),
            by_card_type: BTreeMap::new(),
            use_bizplay: true,
            default: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// `[cost_centers]`: the cost centre of expense lines.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostCenters {
    #[serde(default)]
    pub source: DepartmentSource,
    /// Department ERP code → cost centre, where they differ.
    #[serde(default)]
    pub by_department: BTreeMap<String, Account>,
    /// The cost centre when the record names no department.
    #[serde(default)]
    pub default: Option<Account>,
}

/// Whose department carries the cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentSource {
    /// `R_DEPT_ERP_CD`, the person who used the card (else the card holder's).
    #[default]
    ReceiptUser,
    /// `DEPT_ERP_CD`, the card holder.
    CardUser,
}

/// `[tax]`: VAT rules beyond bizplay's own flag.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tax {
    /// Usage codes whose VAT is never deductible, whatever `DEDCT_YN` says (접대비).
    #[serde(default)]
    pub never_deductible_usages: Vec<String>,
}

/// `[[tax_code]]`: one row of the tax code matrix; the first matching row wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxCodeRule {
    /// Matches deductible (true) or non-deductible (false) VAT; both when absent.
    #[serde(default)]
    pub deductible: Option<bool>,
    /// Merchant tax types matched; all when empty.
    #[serde(default)]
    pub merchant_tax_type: Vec<MerchantTaxTypeName>,
    /// Evidence types matched; all when empty.
    #[serde(default)]
    pub card_type: Vec<EvidenceName>,
    pub code: Code<TAX_CODE_LEN>,
}

/// An SAP code of at most `N` characters: company code, document type, tax code ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code<const N: usize>(pub String);

impl<'de, const N: usize> Deserialize<'de> for Code<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Code<N>, D::Error> {
        let value = string_or_number(deserializer)?;
        if value.trim().is_empty() || sap_len(&value) > N || value.trim() != value {
            return Err(serde::de::Error::custom(format!(
                "\"{value}\" must be 1 to {N} characters without spaces"
            )));
        }
        Ok(Code(value))
    }
}

impl<const N: usize> fmt::Display for Code<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An account, vendor or cost-centre number, stored in SAP's ALPHA form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account(pub AccountNumber);

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Account, D::Error> {
        let value = string_or_number(deserializer)?;
        AccountNumber::new(&value).map(Account).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "\"{value}\" is not an SAP number (1 to 10 characters)"
            ))
        })
    }
}

/// A currency code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyCode(pub Currency);

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CurrencyCode, D::Error> {
        let value = String::deserialize(deserializer)?;
        Currency::new(&value).map(CurrencyCode).ok_or_else(|| {
            serde::de::Error::custom(format!("\"{value}\" is not a three-letter currency code"))
        })
    }
}

/// An evidence type by name: `corporate_card`, `personal_card`, `other_receipt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EvidenceName(pub Evidence);

impl PartialOrd for Evidence {
    fn partial_cmp(&self, other: &Evidence) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Evidence {
    fn cmp(&self, other: &Evidence) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl<'de> Deserialize<'de> for EvidenceName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EvidenceName, D::Error> {
        let value = String::deserialize(deserializer)?;
        value
            .parse()
            .map(EvidenceName)
            .map_err(serde::de::Error::custom)
    }
}

/// A merchant tax type by name: `general`, `simplified`, `exempt` ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantTaxTypeName(pub MerchantTaxType);

const MERCHANT_TAX_TYPES: &[&str] = &[
    "unregistered",
    "general",
    "simplified",
    "exempt",
    "non_profit",
    "suspended",
    "closed",
    "overseas",
];

impl<'de> Deserialize<'de> for MerchantTaxTypeName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MerchantTaxTypeName, D::Error> {
        let value = String::deserialize(deserializer)?;
        let code = ["00", "01", "02", "03", "04", "09", "10", "99"];
        match MERCHANT_TAX_TYPES.iter().position(|name| *name == value) {
            Some(index) => Ok(MerchantTaxTypeName(MerchantTaxType::from_code(code[index]))),
            None => Err(serde::de::Error::custom(format!(
                "\"{value}\" is not a merchant tax type ({})",
                MERCHANT_TAX_TYPES.join(", ")
            ))),
        }
    }
}

/// The employee vendor template, which must contain `{EMP}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeTemplate(pub String);

impl EmployeeTemplate {
    /// The vendor number for an employee ERP code, in ALPHA form.
    pub fn vendor_for(&self, employee: &str) -> Option<AccountNumber> {
        AccountNumber::new(&self.0.replace("{EMP}", employee))
    }
}

impl<'de> Deserialize<'de> for EmployeeTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EmployeeTemplate, D::Error> {
        let value = String::deserialize(deserializer)?;
        if value.matches("{EMP}").count() != 1 {
            return Err(serde::de::Error::custom(format!(
                "\"{value}\" must contain {{EMP}} exactly once, e.g. \"9{{EMP}}\""
            )));
        }
        Ok(EmployeeTemplate(value))
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Template, D::Error> {
        let value = String::deserialize(deserializer)?;
        Template::parse(&value).map_err(serde::de::Error::custom)
    }
}

/// Codes may be written as strings or, when they are all digits, as bare numbers.
fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(u64),
    }
    match Raw::deserialize(deserializer) {
        Ok(Raw::Text(text)) => Ok(text),
        Ok(Raw::Number(number)) => Ok(number.to_string()),
        Err(_) => Err(serde::de::Error::custom(
            "expected a code as a string, e.g. \"81100\"",
        )),
    }
}

/// A rules file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
}

impl Rules {
    /// Reads and checks the rules file at `path`.
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let file = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            file: file.clone(),
            source,
        })?;
        Rules::parse(&source, &file)
    }

    /// Reads and checks rules from `source`; `file` names it in errors.
    pub fn parse(source: &str, file: &str) -> Result<Rules, RulesError> {
        let invalid = |offset: usize, message: String| {
            let (line, key) = locate(source, offset);
            RulesError::Invalid {
                file: file.to_owned(),
                line,
                key,
                message,
            }
        };
        let rules: Rules = toml::from_str(source).map_err(|error| {
            let offset = error.span().map_or(0, |span| span.start);
            invalid(offset, error.message().trim().to_owned())
        })?;
        rules
            .check()
            .map_err(|(offset, message)| invalid(offset, message))?;
        Ok(rules)
    }

    /// Checks that need the whole file: one entry per business number, companies that exist.
    fn check(&self) -> Result<(), (usize, String)> {
        if self.companies.is_empty() {
            return Err((
                0,
                "no [[company]] entry: add one per bizplay business number".into(),
            ));
        }
        let mut seen = BTreeSet::new();
        for company in &self.companies {
            if !seen.insert(company.biz_no.get_ref()) {
                let message = format!("business number {} appears twice", company.biz_no.get_ref());
                return Err((company.biz_no.span().start, message));
            }
        }
        for rule in &self.kind_rules {
            let Some(code) = &rule.company_code else {
                continue;
            };
            if !self
                .companies
                .iter()
                .any(|c| c.company_code.0 == *code.get_ref())
            {
                let message = format!("company code {} has no [[company]] entry", code.get_ref());
                return Err((code.span().start, message));
            }
        }
        Ok(())
    }

    /// The company a business number belongs to.
    pub fn company(&self, biz_no: &str) -> Option<&Company> {
        self.companies
            .iter()
            .find(|company| company.biz_no.get_ref() == biz_no)
    }
}

/// The line (1-based) of `offset` in `source`, and the dotted key written there, e.g.
/// `company[2].company_code` or `vendors.card_companies."30000008"`.
pub(crate) fn locate(source: &str, offset: usize) -> (usize, String) {
    let offset = offset.min(source.len());
    let line_no = source[..offset].matches('\n').count() + 1;
    let mut table = String::new();
    let mut arrays: BTreeMap<String, usize> = BTreeMap::new();
    for line in source.lines().take(line_no) {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_owned();
            let count = arrays.entry(name.clone()).or_insert(0);
            *count += 1;
            table = format!("{name}[{count}]");
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = name.trim().to_owned();
        }
    }
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &source[line_start..offset];
    // A value error points after `key =`; an unknown-key error points at the key itself.
    let key = match before.rfind('=') {
        Some(eq) => {
            let lhs = before[..eq].trim_end();
            let start = lhs.rfind(['{', ',', ' ']).map_or(0, |i| i + 1);
            Some(lhs[start..].trim().to_owned())
        }
        None => {
            let rest = source[offset..].lines().next().unwrap_or("");
            rest.find('=').map(|eq| rest[..eq].trim().to_owned())
        }
    };
    let path = match key.filter(|k| !k.is_empty()) {
        Some(key) if table.is_empty() => key,
        Some(key) => format!("{table}.{key}"),
        None if table.is_empty() => "(top level)".to_owned(),
        None => table,
    };
    (line_no, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[company]]
biz_no = "2148612345"
company_code = "1000"
business_place = "0001"
kind = "AO"
"#;

    fn error_of(source: &str) -> (usize, String, String) {
        match Rules::parse(source, "rules.toml") {
            Err(RulesError::Invalid {
                line, key, message, ..
            }) => (line, key, message),
            other => panic!("expected an invalid-rules error, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_file_gets_the_documented_defaults() {
        let rules = Rules::parse(MINIMAL, "rules.toml").unwrap();
        assert_eq!(rules.documents.ap_type.0, "KR");
        assert_eq!(rules.documents.ao_type.0, "SA");
        assert_eq!(rules.documents.posting_date, PostingDate::FinalApproval);
        assert!(rules.counter_accounts.use_bizplay);
        assert_eq!(
            rules.company("2148612345").unwrap().currency.0,
            Currency::krw()
        );
    }

    #[test]
    fn accounts_are_alpha_converted_whether_quoted_or_not() {
        let source =
            format!("{MINIMAL}\n[expense_accounts.by_usage]\nA1003 = 81110\nA1004 = \"81200\"\n");
        let rules = Rules::parse(&source, "rules.toml").unwrap();
        assert_eq!(
            rules.expense_accounts.by_usage["A1003"].0.as_str(),
            "0000081110"
        );
        assert_eq!(
            rules.expense_accounts.by_usage["A1004"].0.as_str(),
            "0000081200"
        );
    }

    #[test]
    fn a_wrong_value_names_file_line_and_key() {
        let source = MINIMAL.replace("kind = \"AO\"", "kind = \"AX\"");
        let (line, key, message) = error_of(&source);
        assert_eq!((line, key.as_str()), (6, "company[1].kind"));
        assert!(
            message.contains("AP") && message.contains("AO"),
            "{message}"
        );
    }

    #[test]
    fn a_misspelt_key_is_refused() {
        let source = format!("{MINIMAL}\n[cost_centers]\ndefualt = \"10000\"\n");
        let (line, key, message) = error_of(&source);
        assert_eq!(line, 9);
        assert_eq!(key, "cost_centers.defualt");
        assert!(message.contains("defualt"), "{message}");
    }

    #[test]
    fn a_too_long_account_inside_a_table_is_located() {
        let source = format!(
            "{MINIMAL}\n[vendors.card_companies]\n\"30000001\" = \"300001\"\n\"30000008\" = \"12345678901\"\n"
        );
        let (line, key, message) = error_of(&source);
        assert_eq!(line, 10);
        assert_eq!(key, "vendors.card_companies.\"30000008\"");
        assert!(message.contains("12345678901"), "{message}");
    }

    #[test]
    fn a_template_with_an_unknown_placeholder_is_refused() {
        let source = format!("[documents]\nheader_text = \"{{SHOP}}\"\n{MINIMAL}");
        let (line, key, message) = error_of(&source);
        assert_eq!((line, key.as_str()), (2, "documents.header_text"));
        assert!(message.contains("{SHOP}"), "{message}");
    }

    #[test]
    fn a_business_number_listed_twice_is_refused() {
        let source = format!("{MINIMAL}{MINIMAL}");
        let (line, key, message) = error_of(&source);
        assert_eq!((line, key.as_str()), (9, "company[2].biz_no"));
        assert!(message.contains("twice"), "{message}");
    }

    #[test]
    fn a_rule_for_an_unknown_company_is_refused() {
        let source =
            format!("{MINIMAL}\n[[posting_kind]]\ncompany_code = \"2000\"\nkind = \"AP\"\n");
        let (_, key, message) = error_of(&source);
        assert_eq!(key, "posting_kind[1].company_code");
        assert!(message.contains("2000"), "{message}");
    }

    #[test]
    fn codes_longer_than_their_sap_field_are_refused() {
        let source = MINIMAL.replace("\"0001\"", "\"00001\"");
        let (_, key, message) = error_of(&source);
        assert_eq!(key, "company[1].business_place");
        assert!(message.contains("1 to 4"), "{message}");
    }
}
