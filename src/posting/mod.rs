//! The neutral accounting document every target posts: [`Posting`].
//!
//! A posting is what SAP's accounting interface takes (BAPI_ACC_DOCUMENT_POST, or the
//! ACC_DOCUMENT IDoc): a header and numbered items, each a G/L, vendor or tax line with its
//! amount in document currency, debit positive and credit negative. [`Posting::validate`]
//! makes the checks SAP would otherwise make after the document has crossed the network, so
//! a mapping mistake is held in the bridge with a readable reason instead of being rejected
//! by SAP one document at a time.

pub mod currency;
pub mod key;
pub mod sap_text;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::de::{Deserializer, Error as _};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

pub use currency::Currency;
pub use key::{KeyPurpose, PostingKey};
use sap_text::{
    ACCOUNT_LEN, ALLOC_NMBR_LEN, BUSINESSPLACE_LEN, COMP_CODE_LEN, DOC_TYPE_LEN, HEADER_TXT_LEN,
    ITEM_TEXT_LEN, REF_DOC_NO_LEN, TAX_CODE_LEN, sap_len,
};

/// Which kind of document a posting is; decides the credit side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostingKind {
    /// Vendor invoice: the card company or the employee is credited as a vendor.
    #[serde(rename = "AP")]
    Ap,
    /// Other payable: a G/L account (미지급금) is credited, no vendor line.
    #[serde(rename = "AO")]
    Ao,
    /// Reversal of a document posted earlier.
    #[serde(rename = "REVERSAL")]
    Reversal,
}

impl fmt::Display for PostingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PostingKind::Ap => "AP",
            PostingKind::Ao => "AO",
            PostingKind::Reversal => "REVERSAL",
        })
    }
}

/// An account, vendor or cost-centre number in SAP's internal (ALPHA) form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountNumber(String);

impl AccountNumber {
    /// Converts `value` as SAP's ALPHA routine does; `None` when it is empty or too long.
    pub fn new(value: &str) -> Option<AccountNumber> {
        sap_text::alpha(value, ACCOUNT_LEN).map(AccountNumber)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The document header (BAPIACHE09).
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// `COMP_CODE`.
    pub company_code: String,
    /// `DOC_TYPE`.
    pub doc_type: String,
    /// `DOC_DATE`: the receipt's date.
    pub doc_date: Date,
    /// `PSTNG_DATE`: decides the fiscal period.
    pub posting_date: Date,
    /// `REF_DOC_NO`: the posting key.
    pub reference: String,
    /// `HEADER_TXT`.
    pub text: String,
    /// `BUSINESSPLACE` (BUPLA): required on every document with a tax line.
    pub business_place: Option<String>,
}

/// What an item posts to.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// A G/L line (ACCOUNTGL): expense, service charge, or the other-payables credit.
    Gl {
        account: AccountNumber,
        cost_center: Option<AccountNumber>,
    },
    /// A vendor line (ACCOUNTPAYABLE).
    Vendor {
        vendor: AccountNumber,
        baseline_date: Option<Date>,
    },
    /// An input-VAT line (ACCOUNTTAX); SAP finds the account from the tax code.
    Tax,
}

/// One numbered line of a document with its amount (ACCOUNT* plus CURRENCYAMOUNT).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `ITEMNO_ACC`, unique across the document's item tables.
    pub item_no: u32,
    pub kind: ItemKind,
    pub currency: Currency,
    /// `AMT_DOCCUR`: debit positive, credit negative.
    pub amount: Decimal,
    /// `TAX_CODE`.
    pub tax_code: Option<String>,
    /// `AMT_BASE`: the net amount a tax line was computed on.
    pub tax_base: Option<Decimal>,
    /// `ITEM_TEXT`.
    pub text: String,
    /// `ALLOC_NMBR`: the assignment, for sorting open items.
    pub assignment: Option<String>,
}

/// The document a reversal undoes.
#[derive(Debug, Clone, PartialEq)]
pub struct Reverses {
    /// The record whose document is reversed, when the bridge knows it.
    pub record_key: Option<String>,
    /// That document's posting key, when known.
    pub posting_key: Option<PostingKey>,
    /// The card approval being cancelled, as `CARD_NO/APV_DT/APV_NO`.
    pub approval: String,
    /// `REASON_REV`.
    pub reason: String,
}

/// One accounting document, ready to be checked and sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Posting {
    pub key: PostingKey,
    /// The bizplay record this document comes from.
    pub record_key: String,
    pub kind: PostingKind,
    pub header: Header,
    /// Empty for a reversal: SAP mirrors the original's items.
    pub items: Vec<Item>,
    /// Set for a reversal.
    pub reverses: Option<Reverses>,
}

/// A rule of SAP's that a posting breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingError {
    #[error("the document has no items")]
    NoItems,
    #[error("item number {0} is used more than once")]
    DuplicateItem(u32),
    #[error("item number 0 is not allowed")]
    ZeroItemNumber,
    #[error("the document does not balance: {currency} {balance} is left over")]
    Unbalanced { currency: String, balance: String },
    #[error("item {item}: {amount} has more decimals than {currency} allows ({decimals})")]
    TooManyDecimals {
        item: u32,
        currency: String,
        amount: String,
        decimals: u32,
    },
    #[error("{field} \"{value}\" is longer than {max} characters")]
    TooLong {
        field: &'static str,
        value: String,
        max: usize,
    },
    #[error("item {item}: {field} \"{value}\" is not in SAP's internal form")]
    NotAlpha {
        item: u32,
        field: &'static str,
        value: String,
    },
    #[error("the document has a tax line but no business place")]
    MissingBusinessPlace,
    #[error("item {item}: a tax line needs a tax code and a tax base")]
    IncompleteTaxLine { item: u32 },
    #[error("a reversal must not carry items")]
    ReversalWithItems,
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// All the rules a posting breaks, in the order they were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<PostingError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl Posting {
    /// Checks the document against the rules SAP applies on posting.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = Vec::new();
        self.validate_header(&mut errors);
        if self.kind == PostingKind::Reversal {
            if !self.items.is_empty() {
                errors.push(PostingError::ReversalWithItems);
            }
        } else {
            self.validate_items(&mut errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }

    /// Sum of the debit lines per currency: what the document moves.
    pub fn debit_total(&self) -> BTreeMap<Currency, Decimal> {
        let mut totals = BTreeMap::new();
        for item in self
            .items
            .iter()
            .filter(|item| item.amount.is_sign_positive())
        {
            *totals.entry(item.currency.clone()).or_insert(Decimal::ZERO) += item.amount;
        }
        totals
    }

    fn validate_header(&self, errors: &mut Vec<PostingError>) {
        let header = &self.header;
        let fields = [
            (
                "COMP_CODE",
                header.company_code.as_str(),
                COMP_CODE_LEN,
                true,
            ),
            (
                "DOC_TYPE",
                header.doc_type.as_str(),
                DOC_TYPE_LEN,
                self.kind != PostingKind::Reversal,
            ),
            (
                "REF_DOC_NO",
                header.reference.as_str(),
                REF_DOC_NO_LEN,
                true,
            ),
            ("HEADER_TXT", header.text.as_str(), HEADER_TXT_LEN, false),
            (
                "BUSINESSPLACE",
                header.business_place.as_deref().unwrap_or(""),
                BUSINESSPLACE_LEN,
                false,
            ),
        ];
        for (field, value, max, required) in fields {
            check_text(errors, field, value, max);
            if required && value.trim().is_empty() {
                errors.push(PostingError::Empty(field));
            }
        }
    }

    fn validate_items(&self, errors: &mut Vec<PostingError>) {
        if self.items.is_empty() {
            errors.push(PostingError::NoItems);
            return;
        }
        let mut seen = BTreeSet::new();
        let mut balance: BTreeMap<&Currency, Decimal> = BTreeMap::new();
        for item in &self.items {
            if item.item_no == 0 {
                errors.push(PostingError::ZeroItemNumber);
            } else if !seen.insert(item.item_no) {
                errors.push(PostingError::DuplicateItem(item.item_no));
            }
            *balance.entry(&item.currency).or_insert(Decimal::ZERO) += item.amount;
            validate_item(item, errors);
        }
        for (currency, left) in balance {
            if !left.is_zero() {
                let balance = currency.format(left);
                errors.push(PostingError::Unbalanced {
                    currency: currency.to_string(),
                    balance,
                });
            }
        }
        let has_tax = self.items.iter().any(|item| item.kind == ItemKind::Tax);
        let has_place = self
            .header
            .business_place
            .as_deref()
            .is_some_and(|p| !p.is_empty());
        if has_tax && !has_place {
            errors.push(PostingError::MissingBusinessPlace);
        }
    }
}

fn validate_item(item: &Item, errors: &mut Vec<PostingError>) {
    for amount in std::iter::once(item.amount).chain(item.tax_base) {
        if !item.currency.fits(amount) {
            errors.push(PostingError::TooManyDecimals {
                item: item.item_no,
                currency: item.currency.to_string(),
                amount: amount.to_string(),
                decimals: item.currency.decimals(),
            });
        }
    }
    check_text(errors, "ITEM_TEXT", &item.text, ITEM_TEXT_LEN);
    check_text(
        errors,
        "ALLOC_NMBR",
        item.assignment.as_deref().unwrap_or(""),
        ALLOC_NMBR_LEN,
    );
    check_text(
        errors,
        "TAX_CODE",
        item.tax_code.as_deref().unwrap_or(""),
        TAX_CODE_LEN,
    );
    let numbers: Vec<(&'static str, &AccountNumber)> = match &item.kind {
        ItemKind::Gl {
            account,
            cost_center,
        } => std::iter::once(("GL_ACCOUNT", account))
            .chain(cost_center.iter().map(|c| ("COSTCENTER", c)))
            .collect(),
        ItemKind::Vendor { vendor, .. } => vec![("VENDOR_NO", vendor)],
        ItemKind::Tax => {
            if item.tax_code.is_none() || item.tax_base.is_none() {
                errors.push(PostingError::IncompleteTaxLine { item: item.item_no });
            }
            Vec::new()
        }
    };
    for (field, number) in numbers {
        if !sap_text::is_alpha_internal(number.as_str(), ACCOUNT_LEN) {
            let value = number.as_str().to_owned();
            errors.push(PostingError::NotAlpha {
                item: item.item_no,
                field,
                value,
            });
        }
    }
}

fn check_text(errors: &mut Vec<PostingError>, field: &'static str, value: &str, max: usize) {
    if sap_len(value) > max {
        errors.push(PostingError::TooLong {
            field,
            value: value.to_owned(),
            max,
        });
    }
}

/// `YYYYMMDD`, SAP's DATS format.
pub fn dats(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

// The preview's JSON: SAP's own field names for header and items, so that an integrator can
// hold it next to SE37 or WE19.
impl Serialize for Posting {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("posting_key", self.key.as_str())?;
        map.serialize_entry("record_key", &self.record_key)?;
        map.serialize_entry("kind", &self.kind)?;
        map.serialize_entry("header", &HeaderJson(&self.header))?;
        let items: Vec<ItemJson<'_>> = self.items.iter().map(ItemJson).collect();
        map.serialize_entry("items", &items)?;
        if let Some(reverses) = &self.reverses {
            map.serialize_entry("reverses", &ReversesJson(reverses))?;
        }
        map.end()
    }
}

struct HeaderJson<'a>(&'a Header);

impl Serialize for HeaderJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let header = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("COMP_CODE", &header.company_code)?;
        map.serialize_entry("DOC_TYPE", &header.doc_type)?;
        map.serialize_entry("DOC_DATE", &dats(header.doc_date))?;
        map.serialize_entry("PSTNG_DATE", &dats(header.posting_date))?;
        map.serialize_entry("REF_DOC_NO", &header.reference)?;
        map.serialize_entry("HEADER_TXT", &header.text)?;
        map.serialize_entry("BUSINESSPLACE", &header.business_place)?;
        map.end()
    }
}

struct ItemJson<'a>(&'a Item);

impl Serialize for ItemJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let item = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("ITEMNO_ACC", &format!("{:010}", item.item_no))?;
        match &item.kind {
            ItemKind::Gl {
                account,
                cost_center,
            } => {
                map.serialize_entry("type", "gl")?;
                map.serialize_entry("GL_ACCOUNT", account.as_str())?;
                map.serialize_entry("COSTCENTER", &cost_center.as_ref().map(|c| c.as_str()))?;
            }
            ItemKind::Vendor {
                vendor,
                baseline_date,
            } => {
                map.serialize_entry("type", "vendor")?;
                map.serialize_entry("VENDOR_NO", vendor.as_str())?;
                map.serialize_entry("BLINE_DATE", &baseline_date.map(dats))?;
            }
            ItemKind::Tax => map.serialize_entry("type", "tax")?,
        }
        map.serialize_entry("TAX_CODE", &item.tax_code)?;
        map.serialize_entry("ITEM_TEXT", &item.text)?;
        map.serialize_entry("ALLOC_NMBR", &item.assignment)?;
        map.serialize_entry("CURRENCY", item.currency.code())?;
        map.serialize_entry("AMT_DOCCUR", &item.currency.format(item.amount))?;
        let base = item.tax_base.map(|base| item.currency.format(base));
        map.serialize_entry("AMT_BASE", &base)?;
        map.end()
    }
}

struct ReversesJson<'a>(&'a Reverses);

impl Serialize for ReversesJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let reverses = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("record_key", &reverses.record_key)?;
        map.serialize_entry(
            "posting_key",
            &reverses.posting_key.as_ref().map(|k| k.as_str()),
        )?;
        map.serialize_entry("approval", &reverses.approval)?;
        map.serialize_entry("REASON_REV", &reverses.reason)?;
        map.end()
    }
}

/// `YYYYMMDD` back into a date.
fn parse_dats(text: &str) -> Option<Date> {
    crate::bizplay::record::parse_yyyymmdd(text)
}

// The same JSON read back: the journal stores each document in this form, so the document that
// is sent is exactly the one whose key was recorded.
impl<'de> Deserialize<'de> for Posting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Posting, D::Error> {
        let raw = PostingIn::deserialize(deserializer)?;
        raw.into_posting().map_err(D::Error::custom)
    }
}

#[derive(Deserialize)]
struct PostingIn {
    posting_key: String,
    record_key: String,
    kind: PostingKind,
    header: HeaderIn,
    items: Vec<ItemIn>,
    #[serde(default)]
    reverses: Option<ReversesIn>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct HeaderIn {
    COMP_CODE: String,
    DOC_TYPE: String,
    DOC_DATE: String,
    PSTNG_DATE: String,
    REF_DOC_NO: String,
    HEADER_TXT: String,
    BUSINESSPLACE: Option<String>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ItemIn {
    ITEMNO_ACC: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    GL_ACCOUNT: Option<String>,
    #[serde(default)]
    COSTCENTER: Option<String>,
    #[serde(default)]
    VENDOR_NO: Option<String>,
    #[serde(default)]
    BLINE_DATE: Option<String>,
    TAX_CODE: Option<String>,
    ITEM_TEXT: String,
    ALLOC_NMBR: Option<String>,
    CURRENCY: String,
    AMT_DOCCUR: String,
    AMT_BASE: Option<String>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ReversesIn {
    record_key: Option<String>,
    posting_key: Option<String>,
    approval: String,
    REASON_REV: String,
}

impl PostingIn {
    fn into_posting(self) -> Result<Posting, String> {
        let date = |field: &str, text: &str| {
            parse_dats(text).ok_or_else(|| format!("{field} \"{text}\" is not a date"))
        };
        let key = |text: &str| {
            PostingKey::parse(text).ok_or_else(|| format!("\"{text}\" is not a posting key"))
        };
        let header = Header {
            company_code: self.header.COMP_CODE,
            doc_type: self.header.DOC_TYPE,
            doc_date: date("DOC_DATE", &self.header.DOC_DATE)?,
            posting_date: date("PSTNG_DATE", &self.header.PSTNG_DATE)?,
            reference: self.header.REF_DOC_NO,
            text: self.header.HEADER_TXT,
            business_place: self.header.BUSINESSPLACE,
        };
        let items = self
            .items
            .into_iter()
            .map(ItemIn::into_item)
            .collect::<Result<_, _>>()?;
        let reverses = match self.reverses {
            Some(r) => Some(Reverses {
                record_key: r.record_key,
                posting_key: r.posting_key.as_deref().map(key).transpose()?,
                approval: r.approval,
                reason: r.REASON_REV,
            }),
            None => None,
        };
        Ok(Posting {
            key: key(&self.posting_key)?,
            record_key: self.record_key,
            kind: self.kind,
            header,
            items,
            reverses,
        })
    }
}

impl ItemIn {
    fn into_item(self) -> Result<Item, String> {
        let number = |field: &str, value: Option<String>| {
            let value =
                value.ok_or_else(|| format!("item {}: {field} missing", self.ITEMNO_ACC))?;
            AccountNumber::new(&value).ok_or_else(|| format!("{field} \"{value}\" is invalid"))
        };
        let amount = |text: &str| {
            text.parse::<Decimal>()
                .map_err(|_| format!("\"{text}\" is not an amount"))
        };
        let kind = match self.kind.as_str() {
            "gl" => ItemKind::Gl {
                account: number("GL_ACCOUNT", self.GL_ACCOUNT.clone())?,
                cost_center: match self.COSTCENTER.clone() {
                    Some(center) => Some(number("COSTCENTER", Some(center))?),
                    None => None,
                },
            },
            "vendor" => ItemKind::Vendor {
                vendor: number("VENDOR_NO", self.VENDOR_NO.clone())?,
                baseline_date: match &self.BLINE_DATE {
                    Some(text) => Some(parse_dats(text).ok_or("BLINE_DATE is not a date")?),
                    None => None,
                },
            },
            "tax" => ItemKind::Tax,
            other => return Err(format!("item type \"{other}\" is not gl, vendor or tax")),
        };
        Ok(Item {
            item_no: self
                .ITEMNO_ACC
                .parse()
                .map_err(|_| "ITEMNO_ACC is not a number")?,
            kind,
            currency: Currency::new(&self.CURRENCY).ok_or("CURRENCY is not a currency code")?,
            amount: amount(&self.AMT_DOCCUR)?,
            tax_code: self.TAX_CODE,
            tax_base: self.AMT_BASE.as_deref().map(amount).transpose()?,
            text: self.ITEM_TEXT,
            assignment: self.ALLOC_NMBR,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn gl(item_no: u32, account: &str, amount: &str) -> Item {
        Item {
            item_no,
            kind: ItemKind::Gl {
                account: AccountNumber::new(account).unwrap(),
                cost_center: AccountNumber::new("10100"),
            },
            currency: Currency::krw(),
            amount: dec(amount),
            tax_code: None,
            tax_base: None,
            text: "식대".into(),
            assignment: None,
        }
    }

    fn tax(item_no: u32, amount: &str, base: &str) -> Item {
        Item {
            kind: ItemKind::Tax,
            tax_code: Some("V1".into()),
            tax_base: Some(dec(base)),
            ..gl(item_no, "0", amount)
        }
    }

    fn posting(items: Vec<Item>) -> Posting {
        let date = Date::new(2026, 11, 3).unwrap();
        let key = PostingKey::derive(KeyPurpose::Posting, "record", 1);
        Posting {
            header: Header {
                company_code: "1000".into(),
                doc_type: "SA".into(),
                doc_date: date,
                posting_date: date,
                reference: key.to_string(),
                text: "예시식당".into(),
                business_place: Some("0001".into()),
            },
            key,
            record_key: "record".into(),
            kind: PostingKind::Ao,
            items,
            reverses: None,
        }
    }

    fn errors(posting: &Posting) -> Vec<PostingError> {
        posting.validate().map_or_else(|e| e.0, |()| Vec::new())
    }

    fn balanced() -> Vec<Item> {
        vec![
            gl(1, "25300", "-33000"),
            gl(2, "81100", "30000"),
            tax(3, "3000", "30000"),
        ]
    }

    #[test]
    fn a_balanced_document_passes() {
        assert_eq!(errors(&posting(balanced())), []);
    }

    #[test]
    fn an_unbalanced_document_names_what_is_left() {
        let mut items = balanced();
        items[1].amount = dec("30001");
        let expected = PostingError::Unbalanced {
            currency: "KRW".into(),
            balance: "1".into(),
        };
        assert_eq!(errors(&posting(items)), [expected]);
    }

    #[test]
    fn balance_is_kept_per_currency() {
        let mut items = balanced();
        items.push(Item {
            currency: Currency::new("USD").unwrap(),
            ..gl(4, "81100", "10.00")
        });
        items.push(Item {
            currency: Currency::new("USD").unwrap(),
            ..gl(5, "25300", "-10")
        });
        assert_eq!(errors(&posting(items.clone())), []);
        items[4].amount = dec("-9.99");
        assert!(matches!(
            &errors(&posting(items))[..],
            [PostingError::Unbalanced { .. }]
        ));
    }

    #[test]
    fn amounts_must_fit_the_currency_decimals() {
        let items = vec![gl(1, "25300", "-100.5"), gl(2, "81100", "100.5")];
        let found = errors(&posting(items));
        assert_eq!(found.len(), 2);
        assert!(matches!(
            found[0],
            PostingError::TooManyDecimals {
                item: 1,
                decimals: 0,
                ..
            }
        ));
    }

    #[test]
    fn item_numbers_must_be_unique_and_positive() {
        let mut items = balanced();
        items[2].item_no = 2;
        assert!(errors(&posting(items.clone())).contains(&PostingError::DuplicateItem(2)));
        items[2].item_no = 0;
        assert!(errors(&posting(items)).contains(&PostingError::ZeroItemNumber));
    }

    #[test]
    fn texts_longer_than_their_field_are_refused() {
        let mut document = posting(balanced());
        document.header.text = "가".repeat(26);
        document.items[1].text = "a".repeat(51);
        let found = errors(&document);
        assert!(matches!(
            found[0],
            PostingError::TooLong {
                field: "HEADER_TXT",
                max: 25,
                ..
            }
        ));
        assert!(matches!(
            found[1],
            PostingError::TooLong {
                field: "ITEM_TEXT",
                max: 50,
                ..
            }
        ));
    }

    #[test]
    fn numbers_must_be_in_alpha_form() {
        let mut items = balanced();
        items[1].kind = ItemKind::Gl {
            account: AccountNumber("81100".into()),
            cost_center: None,
        };
        assert!(matches!(
            &errors(&posting(items))[..],
            [PostingError::NotAlpha {
                item: 2,
                field: "GL_ACCOUNT",
                ..
            }]
        ));
    }

    #[test]
    fn a_tax_line_requires_a_business_place() {
        let mut document = posting(balanced());
        document.header.business_place = None;
        assert_eq!(errors(&document), [PostingError::MissingBusinessPlace]);
        document.items.pop();
        document.items[1].amount = dec("33000");
        assert_eq!(errors(&document), []);
    }

    #[test]
    fn an_empty_document_is_refused() {
        assert_eq!(errors(&posting(Vec::new())), [PostingError::NoItems]);
    }

    #[test]
    fn the_stored_json_reads_back_into_the_same_posting() {
        let mut document = posting(balanced());
        document.items[0].kind = ItemKind::Vendor {
            vendor: AccountNumber::new("300008").unwrap(),
            baseline_date: Date::new(2026, 12, 15).ok(),
        };
        document.items[0].assignment = Some("20261103-1234".into());
        let json = serde_json::to_string(&document).unwrap();
        let back: Posting = serde_json::from_str(&json).unwrap();
        assert_eq!(back, document);
    }

    #[test]
    fn debit_total_sums_the_positive_lines() {
        assert_eq!(
            posting(balanced()).debit_total()[&Currency::krw()],
            dec("33000")
        );
    }
}
