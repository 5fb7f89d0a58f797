//! A [`Posting`] as the parameters of BAPI_ACC_DOCUMENT_POST and _REV_POST.
//!
//! Field names and formats are SAP's: dates `YYYYMMDD`, item numbers as NUMC 10, account
//! numbers in ALPHA form, amounts as decimal strings with the currency's decimals and a
//! leading minus for credits. Empty fields are left out, as an RFC caller leaves them initial.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::posting::{Item, ItemKind, Posting, PostingKind, dats};

/// `BUS_ACT` of FI postings through the accounting interface.
pub const BUS_ACT_FI: &str = "RFBU";
/// `OBJ_TYPE` SAP assigns to documents posted with BAPI_ACC_DOCUMENT_POST.
pub const OBJ_TYPE_FI: &str = "BKPFF";
/// `CURR_TYPE` of amounts in document currency.
pub const CURR_TYPE_DOCUMENT: &str = "00";

/// One structure or table row: SAP field names and values, in SAP's field order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub Vec<(&'static str, String)>);

impl Fields {
    fn push(&mut self, field: &'static str, value: impl Into<String>) {
        let value = value.into();
        if !value.is_empty() {
            self.0.push((field, value));
        }
    }

    /// The value of `field`, if set.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, value)| value.as_str())
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, value) in &self.0 {
            map.serialize_entry(field, value)?;
        }
        map.end()
    }
}

/// The parameters of BAPI_ACC_DOCUMENT_POST (and _CHECK) for one document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub struct DocumentPost {
    /// `DOCUMENTHEADER` (BAPIACHE09).
    pub documentheader: Fields,
    /// `ACCOUNTGL` (BAPIACGL09).
    pub accountgl: Vec<Fields>,
    /// `ACCOUNTPAYABLE` (BAPIACAP09).
    pub accountpayable: Vec<Fields>,
    /// `ACCOUNTTAX` (BAPIACTX09).
    pub accounttax: Vec<Fields>,
    /// `CURRENCYAMOUNT` (BAPIACCR09).
    pub currencyamount: Vec<Fields>,
}

/// The parameters of BAPI_ACC_DOCUMENT_REV_POST.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub struct DocumentReversal {
    /// `REVERSAL` (BAPIACREV).
    pub reversal: Fields,
    /// `BUS_ACT`.
    pub bus_act: String,
}

/// Settings that come from the SAP side, not from the posting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    /// `USERNAME`: recorded as the document's creator; the RFC user when empty.
    pub username: String,
    /// `OBJ_SYS`: the bridge's logical system, when one is configured.
    pub logical_system: String,
}

impl DocumentPost {
    /// The BAPI tables of a document posting.
    ///
    /// # Panics
    ///
    /// When `posting` is a reversal; use [`DocumentReversal::new`].
    pub fn new(posting: &Posting, sender: &Sender) -> DocumentPost {
        assert_ne!(
            posting.kind,
            PostingKind::Reversal,
            "a reversal has no document tables"
        );
        let header = &posting.header;
        let mut documentheader = Fields::default();
        documentheader.push("BUS_ACT", BUS_ACT_FI);
        documentheader.push("USERNAME", sender.username.as_str());
        documentheader.push("HEADER_TXT", header.text.as_str());
        documentheader.push("COMP_CODE", header.company_code.as_str());
        documentheader.push("DOC_DATE", dats(header.doc_date));
        documentheader.push("PSTNG_DATE", dats(header.posting_date));
        documentheader.push("DOC_TYPE", header.doc_type.as_str());
        documentheader.push("REF_DOC_NO", header.reference.as_str());

        let place = header.business_place.clone().unwrap_or_default();
        let mut document = DocumentPost {
            documentheader,
            accountgl: Vec::new(),
            accountpayable: Vec::new(),
            accounttax: Vec::new(),
            currencyamount: Vec::new(),
        };
        for item in &posting.items {
            let mut row = Fields::default();
            row.push("ITEMNO_ACC", item_no(item));
            match &item.kind {
                ItemKind::Gl {
                    account,
                    cost_center,
                } => {
                    row.push("GL_ACCOUNT", account.as_str());
                    row.push("ITEM_TEXT", item.text.as_str());
                    row.push("ALLOC_NMBR", item.assignment.clone().unwrap_or_default());
                    row.push("TAX_CODE", item.tax_code.clone().unwrap_or_default());
                    row.push(
                        "COSTCENTER",
                        cost_center.as_ref().map_or("", |c| c.as_str()),
                    );
                    // Korean localisation: the business place travels on every line.
                    row.push("BUSINESSPLACE", place.as_str());
                    document.accountgl.push(row);
                }
                ItemKind::Vendor {
                    vendor,
                    baseline_date,
                } => {
                    row.push("VENDOR_NO", vendor.as_str());
                    row.push("BLINE_DATE", baseline_date.map(dats).unwrap_or_default());
                    row.push("ALLOC_NMBR", item.assignment.clone().unwrap_or_default());
                    row.push("ITEM_TEXT", item.text.as_str());
                    row.push("BUSINESSPLACE", place.as_str());
                    document.accountpayable.push(row);
                }
                ItemKind::Tax => {
                    row.push("TAX_CODE", item.tax_code.clone().unwrap_or_default());
                    document.accounttax.push(row);
                }
            }
            document.currencyamount.push(amount_row(item));
        }
        document
    }
}

impl DocumentReversal {
    /// The parameters reversing the document `original_obj_key` (BELNR + BUKRS + GJAHR).
    ///
    /// # Panics
    ///
    /// When `posting` is not a reversal.
    pub fn new(posting: &Posting, original_obj_key: &str, sender: &Sender) -> DocumentReversal {
        assert_eq!(
            posting.kind,
            PostingKind::Reversal,
            "only a reversal reverses"
        );
        let reason = posting.reverses.as_ref().map_or("", |r| r.reason.as_str());
        let mut reversal = Fields::default();
        reversal.push("OBJ_TYPE", OBJ_TYPE_FI);
        reversal.push("OBJ_SYS", sender.logical_system.as_str());
        reversal.push("OBJ_KEY_R", original_obj_key);
        reversal.push("PSTNG_DATE", dats(posting.header.posting_date));
        reversal.push("COMP_CODE", posting.header.company_code.as_str());
        reversal.push("REASON_REV", reason);
        DocumentReversal {
            reversal,
            bus_act: BUS_ACT_FI.to_owned(),
        }
    }
}

fn item_no(item: &Item) -> String {
    format!("{:010}", item.item_no)
}

fn amount_row(item: &Item) -> Fields {
    let mut row = Fields::default();
    row.push("ITEMNO_ACC", item_no(item));
    row.push("CURR_TYPE", CURR_TYPE_DOCUMENT);
    row.push("CURRENCY", item.currency.code());
    row.push("AMT_DOCCUR", item.currency.format(item.amount));
    row.push(
        "AMT_BASE",
        item.tax_base
            .map(|b| item.currency.format(b))
            .unwrap_or_default(),
    );
    row
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use jiff::civil::Date;
    use rust_decimal::Decimal;

    use super::*;
    use crate::posting::{AccountNumber, Currency, Header, KeyPurpose, PostingKey, Reverses};

    fn item(item_no: u32, kind: ItemKind, amount: &str) -> Item {
        Item {
            item_no,
            kind,
            currency: Currency::krw(),
            amount: Decimal::from_str(amount).unwrap(),
            tax_code: None,
            tax_base: None,
            text: "예시식당".into(),
            assignment: None,
        }
    }

    fn posting(kind: PostingKind, items: Vec<Item>) -> Posting {
        let key = PostingKey::derive(KeyPurpose::Posting, "r", 1);
        Posting {
            header: Header {
                company_code: "1000".into(),
                doc_type: "KR".into(),
                doc_date: Date::new(2026, 11, 3).unwrap(),
                posting_date: Date::new(2026, 11, 8).unwrap(),
                reference: key.to_string(),
                text: "예시식당".into(),
                business_place: Some("0001".into()),
            },
            key,
            record_key: "r".into(),
            kind,
            items,
            reverses: None,
        }
    }

    #[test]
    fn items_go_to_their_tables_with_amounts_linked_by_item_number() {
        let vendor = ItemKind::Vendor {
            vendor: AccountNumber::new("300008").unwrap(),
            baseline_date: None,
        };
        let gl = ItemKind::Gl {
            account: AccountNumber::new("81100").unwrap(),
            cost_center: AccountNumber::new("10100"),
        };
        let mut tax = item(3, ItemKind::Tax, "3000");
        tax.tax_code = Some("V1".into());
        tax.tax_base = Some(Decimal::from(30000));
        let mut expense = item(2, gl, "30000");
        expense.tax_code = Some("V1".into());
        let doc = posting(
            PostingKind::Ap,
            vec![item(1, vendor, "-33000"), expense, tax],
        );
        let bapi = DocumentPost::new(&doc, &Sender::default());

        assert_eq!(bapi.documentheader.get("BUS_ACT"), Some("RFBU"));
        assert_eq!(bapi.documentheader.get("PSTNG_DATE"), Some("20261108"));
        assert_eq!(
            bapi.documentheader.get("REF_DOC_NO"),
            Some(doc.key.as_str())
        );
        assert_eq!(
            bapi.documentheader.get("USERNAME"),
            None,
            "empty fields are left out"
        );
        assert_eq!(bapi.accountpayable[0].get("VENDOR_NO"), Some("0000300008"));
        assert_eq!(bapi.accountpayable[0].get("BUSINESSPLACE"), Some("0001"));
        assert_eq!(bapi.accountgl[0].get("ITEMNO_ACC"), Some("0000000002"));
        assert_eq!(bapi.accountgl[0].get("COSTCENTER"), Some("0000010100"));
        assert_eq!(bapi.accounttax[0].get("TAX_CODE"), Some("V1"));
        let amounts: Vec<_> = bapi
            .currencyamount
            .iter()
            .map(|row| {
                (
                    row.get("ITEMNO_ACC").unwrap(),
                    row.get("AMT_DOCCUR").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            amounts,
            [
                ("0000000001", "-33000"),
                ("0000000002", "30000"),
                ("0000000003", "3000")
            ]
        );
        assert_eq!(bapi.currencyamount[2].get("AMT_BASE"), Some("30000"));
        assert_eq!(bapi.currencyamount[0].get("CURR_TYPE"), Some("00"));
    }

    #[test]
    fn a_reversal_names_the_original_document() {
        let mut doc = posting(PostingKind::Reversal, Vec::new());
        doc.reverses = Some(Reverses {
            record_key: None,
            posting_key: None,
            approval: "a".into(),
            reason: "01".into(),
        });
        let sender = Sender {
            username: String::new(),
            logical_system: "BIZSAP".into(),
        };
        let bapi = DocumentReversal::new(&doc, "010000000110002026", &sender);
        assert_eq!(bapi.reversal.get("OBJ_KEY_R"), Some("010000000110002026"));
        assert_eq!(bapi.reversal.get("OBJ_TYPE"), Some("BKPFF"));
        assert_eq!(bapi.reversal.get("OBJ_SYS"), Some("BIZSAP"));
        assert_eq!(bapi.reversal.get("REASON_REV"), Some("01"));
        assert_eq!(bapi.bus_act, "RFBU");
    }
}
