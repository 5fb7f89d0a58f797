//! Master data of the stub SAP system, read from a TOML file.
//!
//! The format is documented in `docs/stub-sap.md`; `examples/sap-master-data.toml` is a
//! complete example. Account, vendor and cost-centre numbers written with digits only are
//! stored with leading zeros to ten places, as SAP's ALPHA conversion stores them on entry;
//! the posting engine then looks numbers up exactly as a caller sends them, so an unpadded
//! number is not found, as in SAP.
//!
//! Every error names the file, the line and the key, e.g.
//! `master.toml:14: company_codes.1000.tax_codes.V1.account: ...`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use super::metadata::sap_length;

/// Decimals of a currency not listed in the master data, as SAP assumes without a TCURX entry.
pub const DEFAULT_CURRENCY_DECIMALS: u32 = 2;

/// The whole master data of the stub system.
#[derive(Clone, Debug)]
pub struct MasterData {
    pub system: SystemSettings,
    /// Currency key → decimals (table TCURX); unlisted currencies have two.
    pub currencies: BTreeMap<String, u32>,
    pub company_codes: BTreeMap<String, CompanyCode>,
    /// The stub keeps one chart of accounts; each company code names it.
    pub gl_accounts: BTreeMap<String, GlAccount>,
    pub controlling_areas: BTreeMap<String, ControllingArea>,
    pub tax_codes: BTreeMap<String, TaxCode>,
    /// User name (upper case) → user.
    pub users: BTreeMap<String, User>,
}

/// Client-wide settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemSettings {
    /// Three-character system id, e.g. `STB`.
    pub system_id: String,
    pub client: String,
    /// Logical system of the client (OBJ_SYS of its documents).
    pub logical_system: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompanyCode {
    pub code: String,
    pub name: String,
    pub currency: String,
    pub country: String,
    pub chart_of_accounts: String,
    pub controlling_area: String,
    /// First document number of every fiscal year's number range.
    pub first_document_number: u64,
    /// Business place → name.
    pub business_places: BTreeMap<String, String>,
    /// Fiscal year → open posting periods. The fiscal year is the calendar year.
    pub open_periods: BTreeMap<i16, RangeInclusive<u8>>,
    pub vendors: BTreeMap<String, Vendor>,
}

impl CompanyCode {
    pub fn is_period_open(&self, year: i16, period: u8) -> bool {
        self.open_periods
            .get(&year)
            .is_some_and(|range| range.contains(&period))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    pub name: String,
    /// G/L account the vendor's lines post to.
    pub reconciliation_account: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlAccount {
    pub name: String,
    /// A cost element: every line needs a cost centre.
    pub cost_centre_required: bool,
    /// Takes tax lines.
    pub tax_account: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllingArea {
    pub cost_centres: BTreeMap<String, CostCentre>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostCentre {
    pub name: String,
    /// Locked against primary (direct) postings.
    pub locked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaxDirection {
    Input,
    Output,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxCode {
    pub name: String,
    pub direction: TaxDirection,
    /// Percent, e.g. 10.
    pub rate: Decimal,
    pub deductible: bool,
    /// Tax account lines with this code post to when they name none.
    pub account: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    /// Logs on through RFC.
    Rfc,
    /// Logs on to HTTP services (IDoc XML inbound).
    Http,
}

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub kind: UserKind,
    password: String,
}

impl User {
    /// Compares passwords; SAP passwords are case-sensitive.
    pub fn password_matches(&self, password: &str) -> bool {
        self.password == password
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl MasterData {
    /// Reads and checks a master-data file.
    pub fn load(path: &Path) -> Result<Self, MasterDataError> {
        let source = std::fs::read_to_string(path).map_err(|source| MasterDataError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&source, path)
    }

    /// Parses master data from TOML text; `path` only names the source in errors.
    pub fn parse(source: &str, path: &Path) -> Result<Self, MasterDataError> {
        let raw: RawFile = toml::from_str(source).map_err(|err| {
            let offset = err.span().map_or(0, |span| span.start);
            invalid(path, source, offset, err.message().trim_end())
        })?;
        Builder { path, source }.build(raw)
    }

    /// Decimals of a currency (TCURX), two when unlisted.
    pub fn currency_decimals(&self, currency: &str) -> u32 {
        self.currencies
            .get(currency)
            .copied()
            .unwrap_or(DEFAULT_CURRENCY_DECIMALS)
    }
}

/// Why master data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MasterDataError {
    #[error("cannot read master data {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {key}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
}

/// Pads a number to `length` with leading zeros when it has digits only, as ALPHA does.
pub fn alpha_input(value: &str, length: usize) -> String {
    let digits_only = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    match digits_only && value.len() < length {
        true => format!("{value:0>length$}"),
        false => value.to_owned(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    system: RawSystem,
    #[serde(default)]
    currencies: BTreeMap<Spanned<String>, Spanned<u32>>,
    company_codes: BTreeMap<Spanned<String>, RawCompanyCode>,
    #[serde(default)]
    gl_accounts: BTreeMap<Spanned<String>, RawGlAccount>,
    #[serde(default)]
    controlling_areas: BTreeMap<Spanned<String>, RawControllingArea>,
    #[serde(default)]
    tax_codes: BTreeMap<Spanned<String>, RawTaxCode>,
    #[serde(default)]
    users: BTreeMap<Spanned<String>, RawUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    system_id: Spanned<String>,
    client: Spanned<String>,
    logical_system: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompanyCode {
    name: String,
    currency: Spanned<String>,
    country: Spanned<String>,
    chart_of_accounts: Spanned<String>,
    controlling_area: Spanned<String>,
    first_document_number: Spanned<String>,
    #[serde(default)]
    business_places: BTreeMap<Spanned<String>, String>,
    #[serde(default)]
    open_periods: BTreeMap<Spanned<String>, Spanned<[u8; 2]>>,
    vendor_reconciliation_account: Option<Spanned<String>>,
    #[serde(default)]
    vendors: BTreeMap<Spanned<String>, RawVendor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVendor {
    name: String,
    reconciliation_account: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlAccount {
    name: String,
    #[serde(default)]
    cost_centre_required: bool,
    #[serde(default)]
    tax_account: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControllingArea {
    #[serde(default)]
    cost_centres: BTreeMap<Spanned<String>, RawCostCentre>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCostCentre {
    name: String,
    #[serde(default)]
    locked: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxCode {
    name: String,
    kind: TaxDirection,
    rate: Spanned<RawRate>,
    #[serde(default)]
    deductible: bool,
    account: Option<Spanned<String>>,
}

/// A rate written as an integer or a decimal string; floats would lose exactness.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRate {
    Integer(i64),
    Text(String),
    Float(f64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    kind: UserKind,
    password: String,
}

struct Builder<'a> {
    path: &'a Path,
    source: &'a str,
}

type Result<T, E = MasterDataError> = std::result::Result<T, E>;

impl Builder<'_> {
    fn error<T>(&self, spanned: &Spanned<T>, message: impl fmt::Display) -> MasterDataError {
        invalid(
            self.path,
            self.source,
            spanned.span().start,
            &message.to_string(),
        )
    }

    /// Checks a code's length in SAP characters.
    fn code(&self, value: &Spanned<String>, max: usize) -> Result<String> {
        let text = value.get_ref().trim();
        if text.is_empty() || sap_length(text) > max {
            let message = format!("'{text}' must have 1 to {max} characters");
            return Err(self.error(value, message));
        }
        Ok(text.to_owned())
    }

    /// A number key as SAP stores it: ALPHA-padded to ten places.
    fn number(&self, value: &Spanned<String>) -> Result<String> {
        self.code(value, 10).map(|code| alpha_input(&code, 10))
    }

    fn build(&self, raw: RawFile) -> Result<MasterData> {
        let system = SystemSettings {
            system_id: self.code(&raw.system.system_id, 3)?,
            client: self.client(&raw.system.client)?,
            // SAP's logical system names (LOGSYS) have at most 10 characters; longer names
            // are accepted here because existing demo data uses one, and documented.
            logical_system: self.code(&raw.system.logical_system, 10)?,
        };

        let mut currencies = BTreeMap::new();
        for (key, decimals) in &raw.currencies {
            if *decimals.get_ref() > 4 {
                return Err(self.error(decimals, "a currency has at most 4 decimals"));
            }
            currencies.insert(self.code(key, 5)?, *decimals.get_ref());
        }

        let mut gl_accounts = BTreeMap::new();
        for (key, account) in raw.gl_accounts {
            let value = GlAccount {
                name: account.name,
                cost_centre_required: account.cost_centre_required,
                tax_account: account.tax_account,
            };
            gl_accounts.insert(self.number(&key)?, value);
        }

        let mut controlling_areas = BTreeMap::new();
        for (key, area) in raw.controlling_areas {
            let mut cost_centres = BTreeMap::new();
            for (number, centre) in area.cost_centres {
                let value = CostCentre {
                    name: centre.name,
                    locked: centre.locked,
                };
                cost_centres.insert(self.number(&number)?, value);
            }
            controlling_areas.insert(self.code(&key, 4)?, ControllingArea { cost_centres });
        }

        let mut tax_codes = BTreeMap::new();
        for (key, code) in raw.tax_codes {
            let value = self.tax_code(code, &gl_accounts)?;
            tax_codes.insert(self.code(&key, 2)?, value);
        }

        let mut company_codes = BTreeMap::new();
        for (key, raw_code) in raw.company_codes {
            let code = self.code(&key, 4)?;
            let value =
                self.company_code(code.clone(), raw_code, &gl_accounts, &controlling_areas)?;
            company_codes.insert(code, value);
        }

        let mut users = BTreeMap::new();
        for (key, user) in raw.users {
            let name = self.code(&key, 12)?.to_uppercase();
            users.insert(
                name,
                User {
                    kind: user.kind,
                    password: user.password,
                },
            );
        }

        Ok(MasterData {
            system,
            currencies,
            company_codes,
            gl_accounts,
            controlling_areas,
            tax_codes,
            users,
        })
    }

    fn client(&self, value: &Spanned<String>) -> Result<String> {
        let text = value.get_ref();
        match text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) {
            true => Ok(text.clone()),
            false => Err(self.error(value, "a client has three digits, e.g. \"100\"")),
        }
    }

    fn tax_code(&self, raw: RawTaxCode, accounts: &BTreeMap<String, GlAccount>) -> Result<TaxCode> {
        let rate = match raw.rate.get_ref() {
            RawRate::Integer(value) => Some(Decimal::from(*value)),
            RawRate::Text(text) => super::metadata::parse_decimal(text.trim()),
            RawRate::Float(value) => {
                let message = format!("write the rate {value} as a string, e.g. \"{value}\"");
                return Err(self.error(&raw.rate, message));
            }
        };
        let rate = rate
            .filter(|rate| (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(rate))
            .ok_or_else(|| self.error(&raw.rate, "a rate is a percentage from 0 to 100"))?;

        let account = match &raw.account {
            Some(spanned) => {
                let number = self.number(spanned)?;
                match accounts.get(&number) {
                    Some(account) if account.tax_account => Some(number),
                    Some(_) => {
                        let message = format!("account {number} is not a tax account");
                        return Err(self.error(spanned, message));
                    }
                    None => {
                        let message = format!("account {number} is not in gl_accounts");
                        return Err(self.error(spanned, message));
                    }
                }
            }
            None => None,
        };

        Ok(TaxCode {
            name: raw.name,
            direction: raw.kind,
            rate,
            deductible: raw.deductible,
            account,
        })
    }

    fn company_code(
        &self,
        code: String,
        raw: RawCompanyCode,
        accounts: &BTreeMap<String, GlAccount>,
        areas: &BTreeMap<String, ControllingArea>,
    ) -> Result<CompanyCode> {
        let controlling_area = self.code(&raw.controlling_area, 4)?;
        if !areas.contains_key(&controlling_area) {
            let message = format!("controlling area {controlling_area} is not defined");
            return Err(self.error(&raw.controlling_area, message));
        }

        let first = raw.first_document_number.get_ref();
        let first_document_number = match first.len() == 10 {
            true => first.parse::<u64>().ok(),
            false => None,
        }
        .ok_or_else(|| {
            let message = "a document number has ten digits, e.g. \"0100000001\"";
            self.error(&raw.first_document_number, message)
        })?;

        let mut business_places = BTreeMap::new();
        for (key, name) in raw.business_places {
            business_places.insert(self.code(&key, 4)?, name);
        }

        let mut open_periods = BTreeMap::new();
        for (year, periods) in &raw.open_periods {
            open_periods.insert(self.fiscal_year(year)?, self.periods(periods)?);
        }

        let default_account = raw.vendor_reconciliation_account.as_ref();
        let mut vendors = BTreeMap::new();
        for (key, vendor) in raw.vendors {
            let Some(account) = vendor.reconciliation_account.as_ref().or(default_account) else {
                let message = "no reconciliation account: set reconciliation_account here \
                               or vendor_reconciliation_account on the company code";
                return Err(self.error(&key, message));
            };
            let number = self.number(account)?;
            if !accounts.contains_key(&number) {
                let message = format!("account {number} is not in gl_accounts");
                return Err(self.error(account, message));
            }
            let value = Vendor {
                name: vendor.name,
                reconciliation_account: number,
            };
            vendors.insert(self.number(&key)?, value);
        }

        Ok(CompanyCode {
            code,
            name: raw.name,
            currency: self.code(&raw.currency, 5)?,
            country: self.code(&raw.country, 3)?,
            chart_of_accounts: self.code(&raw.chart_of_accounts, 4)?,
            controlling_area,
            first_document_number,
            business_places,
            open_periods,
            vendors,
        })
    }

    fn fiscal_year(&self, year: &Spanned<String>) -> Result<i16> {
        year.get_ref()
            .parse::<i16>()
            .ok()
            .filter(|year| (1900..=9999).contains(year))
            .ok_or_else(|| self.error(year, "a fiscal year has four digits"))
    }

    fn periods(&self, periods: &Spanned<[u8; 2]>) -> Result<RangeInclusive<u8>> {
        let [first, last] = *periods.get_ref();
        match 1 <= first && first <= last && last <= 16 {
            true => Ok(first..=last),
            false => Err(self.error(periods, "open periods are [first, last] within 1..16")),
        }
    }
}

fn invalid(path: &Path, source: &str, offset: usize, message: &str) -> MasterDataError {
    let offset = offset.min(source.len());
    let line = source[..offset].matches('\n').count() + 1;
    let key = key_path(source, offset);
    MasterDataError::Invalid {
        path: path.to_owned(),
        line,
        key,
        message: message.to_owned(),
    }
}

/// The dotted key path of the TOML item at `offset`, from the table header above it and the
/// key (or inline-table key) the offset points into.
fn key_path(source: &str, offset: usize) -> String {
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = &source[line_start..line_end];
    let column = offset - line_start;

    if let Some(header) = table_header(line) {
        return header;
    }
    let mut parts: Vec<String> = source[..line_start]
        .lines()
        .rev()
        .find_map(table_header)
        .into_iter()
        .collect();

    let Some(equals) = line.find('=') else {
        return parts.join(".");
    };
    parts.push(unquote(&line[..equals]));

    if let Some(brace) = line[..column].find('{') {
        let rest = &line[column..];
        let inner = match rest.find('=') {
            // The offset points at a key inside the inline table.
            Some(eq) if is_bare_key(&rest[..eq]) => unquote(&rest[..eq]),
            _ => {
                let before = &line[brace + 1..column];
                let eq = before.rfind('=').unwrap_or(0);
                let start = before[..eq].rfind([',', '{']).map_or(0, |i| i + 1);
                unquote(&before[start..eq])
            }
        };
        if !inner.is_empty() {
            parts.push(inner);
        }
    }
    parts.join(".")
}

fn table_header(line: &str) -> Option<String> {
    let line = line.trim();
    let inner = line.strip_prefix('[')?.trim_start_matches('[');
    let end = inner.find(']')?;
    Some(
        inner[..end]
            .split('.')
            .map(unquote)
            .collect::<Vec<_>>()
            .join("."),
    )
}

fn is_bare_key(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '"' | '\''))
}

fn unquote(text: &str) -> String {
    text.trim().trim_matches(['"', '\'']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../examples/sap-master-data.toml");

    fn parse(source: &str) -> Result<MasterData> {
        MasterData::parse(source, Path::new("master.toml"))
    }

    fn error_of(source: &str) -> (usize, String, String) {
        match parse(source) {
            Err(MasterDataError::Invalid {
                line, key, message, ..
            }) => (line, key, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn the_example_loads_with_the_documented_master_data() {
        let data = parse(EXAMPLE).unwrap();

        assert_eq!(data.system.logical_system, "BSPCLNT100");
        let company = &data.company_codes["1000"];
        assert_eq!(company.currency, "KRW");
        assert_eq!(company.first_document_number, 100_000_001);
        assert!(company.is_period_open(2026, 12));
        assert!(company.is_period_open(2027, 3));
        assert!(!company.is_period_open(2027, 4));
        assert!(!company.is_period_open(2025, 12));
        assert_eq!(company.business_places.len(), 2);
        assert_eq!(
            company.vendors["0000300001"].reconciliation_account,
            "0000021000"
        );
        assert!(company.vendors.contains_key("0920190012"));

        assert!(data.gl_accounts["0000081100"].cost_centre_required);
        assert!(data.gl_accounts["0000013500"].tax_account);
        assert!(!data.gl_accounts["0000025300"].cost_centre_required);
        let centres = &data.controlling_areas["1000"].cost_centres;
        assert!(centres["0000099900"].locked);
        assert!(!centres["0000020100"].locked);

        let v1 = &data.tax_codes["V1"];
        assert_eq!((v1.rate, v1.deductible), (Decimal::TEN, true));
        assert_eq!(v1.account.as_deref(), Some("0000013500"));
        assert_eq!(data.tax_codes["A1"].direction, TaxDirection::Output);
        assert_eq!(data.currency_decimals("KRW"), 0);
        assert_eq!(data.currency_decimals("BHD"), 3);
        assert_eq!(data.currency_decimals("XYZ"), 2);
        assert!(data.users["BIZSAP"].password_matches("stub-password"));
        assert_eq!(data.users["BIZSAP_IDOC"].kind, UserKind::Http);
    }

    #[test]
    fn numeric_keys_are_stored_with_leading_zeros() {
        let source = EXAMPLE.replace("\"0000083000\" = {", "\"83000\" = {");
        let data = parse(&source).unwrap();
        assert!(data.gl_accounts.contains_key("0000083000"));
        assert_eq!(alpha_input("81100", 10), "0000081100");
        assert_eq!(alpha_input("A100", 10), "A100");
    }

    #[test]
    fn a_syntax_error_names_line_and_key() {
        let source = "[system]\nsystem_id = \"STB\"\nclient = 100\n";
        let (line, key, message) = error_of(source);
        assert_eq!((line, key.as_str()), (3, "system.client"));
        assert!(message.contains("string"), "{message}");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let source = EXAMPLE.replace(
            "chart_of_accounts = \"CAKR\"",
            "chart_of_acounts = \"CAKR\"",
        );
        let (line, key, message) = error_of(&source);
        let expected = EXAMPLE
            .lines()
            .position(|l| l.contains("chart_of_accounts"))
            .unwrap();
        assert_eq!(line, expected + 1);
        assert_eq!(key, "company_codes.1000.chart_of_acounts");
        assert!(message.contains("unknown field"), "{message}");
    }

    #[test]
    fn a_reference_to_a_missing_account_is_named() {
        let source = EXAMPLE.replacen("account = \"0000013500\"", "account = \"0000013501\"", 1);
        let (line, key, message) = error_of(&source);
        let expected = source
            .lines()
            .position(|l| l.contains("0000013501"))
            .unwrap();
        assert_eq!(line, expected + 1);
        assert_eq!(key, "tax_codes.V1.account");
        assert!(
            message.contains("0000013501 is not in gl_accounts"),
            "{message}"
        );
    }

    #[test]
    fn a_float_rate_is_refused() {
        let source = EXAMPLE.replacen("rate = 10,", "rate = 10.0,", 1);
        let (_, key, message) = error_of(&source);
        assert_eq!(key, "tax_codes.V1.rate");
        assert!(message.contains("as a string"), "{message}");
    }

    #[test]
    fn the_error_display_names_file_line_and_key() {
        let source = EXAMPLE.replace(
            "first_document_number = \"0100000001\"",
            "first_document_number = \"1\"",
        );
        let err = parse(&source).unwrap_err().to_string();
        assert!(err.starts_with("master.toml:"), "{err}");
        assert!(
            err.contains(": company_codes.1000.first_document_number: "),
            "{err}"
        );
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        let data = parse(EXAMPLE).unwrap();
        assert!(!format!("{data:?}").contains("stub-password"));
    }
}
