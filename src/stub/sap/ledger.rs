//! The committed documents of the stub (BKPF and BSEG in miniature), the document number
//! ranges, and the optional state file that keeps both across restarts.
//!
//! The state file is JSON, rewritten whole after every change: first to `<file>.tmp` beside
//! it, flushed to disk, then renamed over the old file, so a crash leaves either the old or
//! the new ledger and never half of one.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::master_data::CompanyCode;

/// Highest document number a ten-digit range can hand out.
const LAST_DOCUMENT_NUMBER: u64 = 9_999_999_999;

/// One committed accounting document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Reference procedure (AWTYP), `BKPFF` unless the caller named its own.
    pub obj_type: String,
    /// Reference key (AWKEY); for `BKPFF` it is BELNR + BUKRS + GJAHR.
    pub obj_key: String,
    /// Logical system (AWSYS).
    pub obj_sys: String,
    #[serde(rename = "BUKRS")]
    pub company_code: String,
    #[serde(rename = "BELNR")]
    pub number: String,
    #[serde(rename = "GJAHR")]
    pub fiscal_year: String,
    #[serde(rename = "BLART")]
    pub doc_type: String,
    #[serde(rename = "BUDAT")]
    pub posting_date: String,
    #[serde(rename = "BLDAT")]
    pub document_date: String,
    #[serde(rename = "XBLNR")]
    pub reference: String,
    #[serde(rename = "BKTXT")]
    pub header_text: String,
    #[serde(rename = "USNAM")]
    pub user: String,
    /// Number of the reverse document (STBLG): on an original the reversal, on a reversal
    /// the original. Blank when neither.
    #[serde(rename = "STBLG")]
    pub reverse_number: String,
    /// Object key of the document that reversed this one.
    pub reversed_by: Option<String>,
    /// Object key of the document this one reverses.
    pub reverses: Option<String>,
    pub items: Vec<LineItem>,
}

/// Which table of the accounting interface a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Gl,
    Vendor,
    Tax,
}

/// One line item (BSEG).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// Line number in the document (BUZEI), from 1.
    pub item: u16,
    pub itemno_acc: String,
    pub kind: ItemKind,
    /// G/L account; for a vendor line its reconciliation account.
    pub account: String,
    pub vendor: Option<String>,
    /// Debit positive, credit negative, with the currency's decimals.
    pub amount: Decimal,
    pub currency: String,
    pub tax_code: Option<String>,
    /// Tax base of a tax line.
    pub tax_base: Option<Decimal>,
    pub cost_centre: Option<String>,
    pub business_place: Option<String>,
    pub text: String,
}

/// Sums over the committed documents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub documents: usize,
    pub reversed: usize,
    /// Account → currency → balance.
    pub accounts: BTreeMap<String, BTreeMap<String, Decimal>>,
    /// Vendor → currency → balance.
    pub vendors: BTreeMap<String, BTreeMap<String, Decimal>>,
}

/// Committed documents and number-range levels.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    documents: Vec<Document>,
    by_object: HashMap<(String, String), usize>,
    /// (company code, fiscal year) → next number.
    number_ranges: BTreeMap<(String, i16), u64>,
}

impl Ledger {
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The committed document with this reference (AWTYP, AWKEY).
    pub fn find(&self, obj_type: &str, obj_key: &str) -> Option<&Document> {
        let key = (obj_type.to_owned(), obj_key.to_owned());
        self.by_object
            .get(&key)
            .map(|&index| &self.documents[index])
    }

    /// Draws the next document number of a company code's range for a fiscal year; `None`
    /// when the range is exhausted.
    pub fn next_number(&mut self, company: &CompanyCode, year: i16) -> Option<String> {
        let next = self
            .number_ranges
            .entry((company.code.clone(), year))
            .or_insert(company.first_document_number);
        if *next > LAST_DOCUMENT_NUMBER {
            return None;
        }
        let number = format!("{:010}", *next);
        *next += 1;
        Some(number)
    }

    pub(crate) fn append(&mut self, document: Document) {
        let key = (document.obj_type.clone(), document.obj_key.clone());
        self.by_object.insert(key, self.documents.len());
        self.documents.push(document);
    }

    /// Marks a committed document as reversed by another.
    pub(crate) fn mark_reversed(&mut self, obj_type: &str, obj_key: &str, by: &Document) {
        let key = (obj_type.to_owned(), obj_key.to_owned());
        if let Some(&index) = self.by_object.get(&key) {
            let original = &mut self.documents[index];
            original.reversed_by = Some(by.obj_key.clone());
            original.reverse_number = by.number.clone();
        }
    }

    /// Drops the documents from position `len` on, with the reversal marks they made; used
    /// when a commit cannot be made durable.
    pub(crate) fn truncate(&mut self, len: usize) {
        let removed: Vec<Document> = self.documents.drain(len..).collect();
        for document in &removed {
            self.by_object
                .remove(&(document.obj_type.clone(), document.obj_key.clone()));
            let Some(original_key) = &document.reverses else {
                continue;
            };
            let original = self
                .documents
                .iter_mut()
                .find(|d| &d.obj_key == original_key);
            if let Some(original) = original {
                original.reversed_by = None;
                original.reverse_number.clear();
            }
        }
    }

    pub fn totals(&self) -> Totals {
        let mut totals = Totals {
            documents: self.documents.len(),
            ..Totals::default()
        };
        for document in &self.documents {
            totals.reversed += usize::from(document.reversed_by.is_some());
            for item in &document.items {
                add(
                    &mut totals.accounts,
                    &item.account,
                    &item.currency,
                    item.amount,
                );
                if let Some(vendor) = &item.vendor {
                    add(&mut totals.vendors, vendor, &item.currency, item.amount);
                }
            }
        }
        totals
    }

    fn from_snapshot(snapshot: Snapshot) -> Self {
        let mut ledger = Ledger::default();
        for document in snapshot.documents {
            ledger.append(document);
        }
        for range in snapshot.number_ranges {
            ledger
                .number_ranges
                .insert((range.company_code, range.fiscal_year), range.next);
        }
        ledger
    }

    fn to_snapshot(&self) -> Snapshot {
        let number_ranges = self
            .number_ranges
            .iter()
            .map(|((company_code, fiscal_year), next)| NumberRangeLevel {
                company_code: company_code.clone(),
                fiscal_year: *fiscal_year,
                next: *next,
            })
            .collect();
        Snapshot {
            version: SNAPSHOT_VERSION,
            documents: self.documents.clone(),
            number_ranges,
        }
    }
}

fn add(sums: &mut BTreeMap<String, BTreeMap<String, Decimal>>, key: &str, cur: &str, amt: Decimal) {
    let sum = sums
        .entry(key.to_owned())
        .or_default()
        .entry(cur.to_owned())
        .or_default();
    *sum += amt;
}

const SNAPSHOT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    documents: Vec<Document>,
    number_ranges: Vec<NumberRangeLevel>,
}

#[derive(Serialize, Deserialize)]
struct NumberRangeLevel {
    company_code: String,
    fiscal_year: i16,
    next: u64,
}

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {} is not a stub SAP ledger: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "state file {} has version {found}; this build reads version {SNAPSHOT_VERSION}",
        path.display()
    )]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write state file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The file the ledger is kept in across restarts.
#[derive(Clone, Debug)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the ledger; an absent file is an empty ledger.
    pub fn load(&self) -> Result<Ledger, StateError> {
        let path = self.path.clone();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
            Err(source) => return Err(StateError::Read { path, source }),
        };
        let snapshot: Snapshot =
            serde_json::from_str(&text).map_err(|source| StateError::Corrupt { path, source })?;
        if snapshot.version != SNAPSHOT_VERSION {
            let found = snapshot.version;
            return Err(StateError::Version {
                path: self.path.clone(),
                found,
            });
        }
        Ok(Ledger::from_snapshot(snapshot))
    }

    /// Writes the ledger atomically: temporary file, flush, rename.
    pub fn save(&self, ledger: &Ledger) -> Result<(), StateError> {
        serde_json::to_vec_pretty(&ledger.to_snapshot())
            .map_err(std::io::Error::from)
            .and_then(|json| write_atomically(&self.path, &json))
            .map_err(|source| StateError::Write {
                path: self.path.clone(),
                source,
            })
    }
}

/// Replaces `path` with `contents` so that a crash leaves the old or the new file, never half
/// of one: written to `<path>.tmp` beside it, flushed to disk, then renamed over `path`.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    let temp = path.with_file_name(name);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn document(number: &str) -> Document {
        let item = |item, account: &str, amount: i64| LineItem {
            item,
            itemno_acc: format!("{item:010}"),
            kind: ItemKind::Gl,
            account: account.to_owned(),
            vendor: None,
            amount: Decimal::from(amount),
            currency: "KRW".to_owned(),
            tax_code: None,
            tax_base: None,
            cost_centre: None,
            business_place: None,
            text: "식대".to_owned(),
        };
        Document {
            obj_type: "BKPFF".to_owned(),
            obj_key: format!("{number}10002026"),
            obj_sys: "BSPCLNT100".to_owned(),
            company_code: "1000".to_owned(),
            number: number.to_owned(),
            fiscal_year: "2026".to_owned(),
            doc_type: "SA".to_owned(),
            posting_date: "20260315".to_owned(),
            document_date: "20260314".to_owned(),
            reference: "REF".to_owned(),
            header_text: String::new(),
            user: "BIZSAP".to_owned(),
            reverse_number: String::new(),
            reversed_by: None,
            reverses: None,
            items: vec![item(1, "0000081110", 1000), item(2, "0000025300", -1000)],
        }
    }

    fn company(first: u64) -> CompanyCode {
        CompanyCode {
            code: "1000".to_owned(),
            name: String::new(),
            currency: "KRW".to_owned(),
            country: "KR".to_owned(),
            chart_of_accounts: "CAKR".to_owned(),
            controlling_area: "1000".to_owned(),
            first_document_number: first,
            business_places: BTreeMap::new(),
            open_periods: BTreeMap::new(),
            vendors: BTreeMap::new(),
        }
    }

    #[test]
    fn number_ranges_count_per_company_code_and_year() {
        let mut ledger = Ledger::default();
        let company = company(100_000_001);

        assert_eq!(
            ledger.next_number(&company, 2026).as_deref(),
            Some("0100000001")
        );
        assert_eq!(
            ledger.next_number(&company, 2026).as_deref(),
            Some("0100000002")
        );
        assert_eq!(
            ledger.next_number(&company, 2027).as_deref(),
            Some("0100000001")
        );

        let nearly_full = self::company(LAST_DOCUMENT_NUMBER);
        assert_eq!(
            ledger.next_number(&nearly_full, 2030).as_deref(),
            Some("9999999999")
        );
        assert_eq!(ledger.next_number(&nearly_full, 2030), None);
    }

    #[test]
    fn totals_sum_per_account_and_currency() {
        let mut ledger = Ledger::default();
        ledger.append(document("0100000001"));
        ledger.append(document("0100000002"));

        let totals = ledger.totals();
        assert_eq!(totals.documents, 2);
        assert_eq!(totals.accounts["0000081110"]["KRW"], Decimal::from(2000));
        assert_eq!(totals.accounts["0000025300"]["KRW"], Decimal::from(-2000));
    }

    #[test]
    fn truncate_undoes_appends_and_reversal_marks() {
        let mut ledger = Ledger::default();
        let original = document("0100000001");
        ledger.append(original.clone());

        let mut reversal = document("0100000002");
        reversal.reverses = Some(original.obj_key.clone());
        ledger.append(reversal.clone());
        ledger.mark_reversed("BKPFF", &original.obj_key, &reversal);
        assert_eq!(ledger.documents()[0].reverse_number, "0100000002");

        ledger.truncate(1);
        assert_eq!(ledger.documents(), &[original]);
        assert!(ledger.find("BKPFF", &reversal.obj_key).is_none());
    }

    #[test]
    fn the_state_file_round_trips_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("bizsap-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = StateFile::new(dir.join("ledger.json"));
        assert_eq!(file.load().unwrap().documents().len(), 0);

        let mut ledger = Ledger::default();
        ledger.append(document("0100000001"));
        ledger.next_number(&company(100_000_001), 2026);
        file.save(&ledger).unwrap();

        let mut loaded = file.load().unwrap();
        assert_eq!(loaded.documents(), ledger.documents());
        assert!(loaded.find("BKPFF", "010000000110002026").is_some());
        let next = loaded.next_number(&company(100_000_001), 2026);
        assert_eq!(next.as_deref(), Some("0100000002"));
        assert!(!dir.join("ledger.json.tmp").exists());

        std::fs::write(file.path(), "{").unwrap();
        assert!(matches!(file.load(), Err(StateError::Corrupt { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
