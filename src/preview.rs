//! `bizsap preview`: what would be posted, without sending anything.
//!
//! The table is for people checking a month before it goes to SAP; the JSON is for tools and
//! carries SAP's field names; the IDoc XML is the exact packet the HTTP target would send.
//! All come from the same [`Preview`], so they cannot disagree.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::bizplay::{self, ResponseError};
use crate::mapping::{Mapper, Outcome, Rules};
use crate::posting::{Currency, ItemKind, Posting, PostingKey, PostingKind};
use crate::sap::bapi::{DocumentPost, DocumentReversal, Sender};
use crate::sap::idoc::{Idoc, IdocError, IdocWriter};

/// Stands in for the SAP object key of a reversed document in a preview's `OBJ_KEY_R`: only
/// SAP knows the key, once the original is posted, and a preview posts nothing.
pub const OBJ_KEY_PLACEHOLDER: &str = "?ORIGINAL-OBJ-KEY?";

/// What a preview's IDoc XML could not show as a delivery would send it.
#[derive(Debug, Default)]
pub struct IdocNotes {
    /// Reversals written with [`OBJ_KEY_PLACEHOLDER`] in `OBJ_KEY_R`.
    pub placeholders: Vec<PostingKey>,
    /// Reversals left out: the document they reverse is not in the input, so there are no
    /// items to mirror.
    pub without_original: Vec<PostingKey>,
    /// Postings left out because the IDoc definition refuses them.
    pub refused: Vec<(PostingKey, IdocError)>,
}

/// The outcome of every record in a 0411A response.
#[derive(Debug)]
pub struct Preview {
    pub outcomes: Vec<Outcome>,
}

impl Preview {
    /// Maps every record of a 0411A response body.
    pub fn build(rules: &Rules, body: &str) -> Result<Preview, ResponseError> {
        let page = bizplay::parse_0411a(body)?;
        Ok(Preview {
            outcomes: Mapper::new(rules).map_page(&page.records),
        })
    }

    pub fn postings(&self) -> impl Iterator<Item = &Posting> {
        self.outcomes.iter().filter_map(|outcome| match outcome {
            Outcome::Posting(posting) => Some(posting),
            _ => None,
        })
    }

    pub fn held_count(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Held(_)))
            .count()
    }

    /// Writes `{"postings": [...], "held": [...], "skipped": [...]}`, pretty-printed.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let mut json = PreviewJson {
            postings: Vec::new(),
            held: Vec::new(),
            skipped: Vec::new(),
        };
        for outcome in &self.outcomes {
            match outcome {
                Outcome::Posting(posting) => json.postings.push(posting),
                Outcome::Held(held) => json.held.push(ReasonJson {
                    record_key: &held.record_key,
                    reason: held.reason.to_string(),
                }),
                Outcome::Skipped(skipped) => json.skipped.push(ReasonJson {
                    record_key: &skipped.record_key,
                    reason: skipped.reason.clone(),
                }),
            }
        }
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)
    }

    /// Writes every posting as an IDoc of one packet, as the HTTP target would send it.
    ///
    /// Only I/O errors end the packet early; what cannot be written as a delivery would is
    /// left out or marked, and reported in the [`IdocNotes`].
    pub fn write_idoc_xml(
        &self,
        out: impl Write,
        writer: &IdocWriter<'_>,
    ) -> Result<IdocNotes, IdocError> {
        let documents: HashMap<&PostingKey, &Posting> = self
            .postings()
            .map(|posting| (&posting.key, posting))
            .collect();
        let sender = Sender::default();
        let mut notes = IdocNotes::default();
        let mut packet = writer.begin(out)?;
        for posting in self.postings() {
            let reversal = posting.kind == PostingKind::Reversal;
            let idoc = if reversal {
                let original = posting
                    .reverses
                    .as_ref()
                    .and_then(|reverses| reverses.posting_key.as_ref())
                    .and_then(|key| documents.get(key));
                let Some(original) = original else {
                    notes.without_original.push(posting.key.clone());
                    continue;
                };
                Idoc::reversal(posting, original, OBJ_KEY_PLACEHOLDER, &sender)
            } else {
                Idoc::document(posting, &sender)
            };
            match idoc.and_then(|idoc| packet.write(&idoc)) {
                Ok(()) if reversal => notes.placeholders.push(posting.key.clone()),
                Ok(()) => {}
                Err(IdocError::Io(error)) => return Err(IdocError::Io(error)),
                Err(error) => notes.refused.push((posting.key.clone(), error)),
            }
        }
        packet.finish()?.flush()?;
        Ok(notes)
    }

    /// Writes, per document, the exact parameters the RFC target passes: the function's name
    /// and its structures and tables with SAP's field names, as SE37 shows them. Reversals
    /// carry [`OBJ_KEY_PLACEHOLDER`] in `OBJ_KEY_R`; returns how many.
    pub fn write_bapi(&self, out: &mut impl Write, sender: &Sender) -> io::Result<usize> {
        let mut placeholders = 0;
        let calls: Vec<BapiCall<'_>> = self
            .postings()
            .map(|posting| {
                let (function, parameters) = if posting.kind == PostingKind::Reversal {
                    placeholders += 1;
                    let reversal = DocumentReversal::new(posting, OBJ_KEY_PLACEHOLDER, sender);
                    (
                        "BAPI_ACC_DOCUMENT_REV_POST",
                        BapiParameters::Reverse(reversal),
                    )
                } else {
                    let document = DocumentPost::new(posting, sender);
                    ("BAPI_ACC_DOCUMENT_POST", BapiParameters::Post(document))
                };
                BapiCall {
                    posting_key: posting.key.as_str(),
                    record_key: &posting.record_key,
                    function,
                    parameters,
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &calls)?;
        writeln!(out)?;
        Ok(placeholders)
    }

    /// The readable table: one block per document, then what was held and skipped.
    pub fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{}\n", self.summary())?;
        for posting in self.postings() {
            write_posting(out, posting)?;
        }
        self.write_list(
            out,
            "Held — fix in bizplay or in the rules, then preview again:",
            |o| match o {
                Outcome::Held(h) => Some((h.record_key.as_str(), h.reason.to_string())),
                _ => None,
            },
        )?;
        self.write_list(out, "Skipped — not ready to post:", |o| match o {
            Outcome::Skipped(s) => Some((s.record_key.as_str(), s.reason.clone())),
            _ => None,
        })?;
        for (currency, total) in self.debit_totals() {
            let amount = group_thousands(&currency.format(total));
            writeln!(
                out,
                "Total debits: {amount} {currency} in {} documents",
                self.documents()
            )?;
        }
        Ok(())
    }

    /// One line: how many records became what.
    pub fn summary(&self) -> String {
        let count = |kind| self.postings().filter(|p| p.kind == kind).count();
        let skipped = self
            .outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Skipped(_)))
            .count();
        format!(
            "{} records: {} to post (AO {}, AP {}, reversals {}), {} held, {} skipped",
            self.outcomes.len(),
            self.postings().count(),
            count(PostingKind::Ao),
            count(PostingKind::Ap),
            count(PostingKind::Reversal),
            self.held_count(),
            skipped,
        )
    }

    fn documents(&self) -> usize {
        self.postings()
            .filter(|p| p.kind != PostingKind::Reversal)
            .count()
    }

    fn debit_totals(&self) -> BTreeMap<Currency, Decimal> {
        let mut totals = BTreeMap::new();
        for (currency, amount) in self.postings().flat_map(Posting::debit_total) {
            *totals.entry(currency).or_insert(Decimal::ZERO) += amount;
        }
        totals
    }

    fn write_list(
        &self,
        out: &mut impl Write,
        title: &str,
        pick: impl Fn(&Outcome) -> Option<(&str, String)>,
    ) -> io::Result<()> {
        let rows: Vec<_> = self.outcomes.iter().filter_map(pick).collect();
        if rows.is_empty() {
            return Ok(());
        }
        writeln!(out, "{title}")?;
        for (record_key, reason) in rows {
            writeln!(out, "  {record_key}\n      {reason}")?;
        }
        writeln!(out)
    }
}

#[derive(Serialize)]
struct BapiCall<'a> {
    posting_key: &'a str,
    record_key: &'a str,
    function: &'static str,
    parameters: BapiParameters,
}

#[derive(Serialize)]
#[serde(untagged)]
enum BapiParameters {
    Post(DocumentPost),
    Reverse(DocumentReversal),
}

#[derive(Serialize)]
struct PreviewJson<'a> {
    postings: Vec<&'a Posting>,
    held: Vec<ReasonJson<'a>>,
    skipped: Vec<ReasonJson<'a>>,
}

#[derive(Serialize)]
struct ReasonJson<'a> {
    record_key: &'a str,
    reason: String,
}

fn write_posting(out: &mut impl Write, posting: &Posting) -> io::Result<()> {
    let header = &posting.header;
    writeln!(
        out,
        "{}  {}  {} {}  doc {}  posting {}  {}",
        posting.key,
        posting.kind,
        header.company_code,
        header.doc_type,
        header.doc_date,
        header.posting_date,
        header.text,
    )?;
    writeln!(out, "    record {}", posting.record_key)?;
    if let Some(reverses) = &posting.reverses {
        let target = match (&reverses.record_key, &reverses.posting_key) {
            (Some(record), Some(key)) => format!("{key} (record {record})"),
            _ => format!("the document of approval {}", reverses.approval),
        };
        writeln!(out, "    reverses {target}, reason {}\n", reverses.reason)?;
        return Ok(());
    }
    writeln!(
        out,
        "    {:>3}  {:<6} {:<10}  {:<2}  {:<10}  {:>14}  text",
        "#", "type", "account", "tx", "cost ctr", "amount"
    )?;
    for item in &posting.items {
        let (kind, account, center) = match &item.kind {
            ItemKind::Gl {
                account,
                cost_center,
            } => (
                "gl",
                account.to_string(),
                cost_center.as_ref().map(ToString::to_string),
            ),
            ItemKind::Vendor { vendor, .. } => ("vendor", vendor.to_string(), None),
            ItemKind::Tax => ("tax", String::new(), None),
        };
        let amount = format!(
            "{} {}",
            group_thousands(&item.currency.format(item.amount)),
            item.currency
        );
        let text = match item.tax_base {
            Some(base) => format!("base {}", group_thousands(&item.currency.format(base))),
            None => item.text.clone(),
        };
        writeln!(
            out,
            "    {:>3}  {:<6} {:<10}  {:<2}  {:<10}  {:>14}  {}",
            item.item_no,
            kind,
            account,
            item.tax_code.as_deref().unwrap_or(""),
            center.unwrap_or_default(),
            amount,
            text,
        )?;
    }
    writeln!(out)
}

/// `-1234567.50` → `-1,234,567.50`.
pub fn group_thousands(amount: &str) -> String {
    let (sign, rest) = amount
        .strip_prefix('-')
        .map_or(("", amount), |rest| ("-", rest));
    let (whole, fraction) = rest
        .split_once('.')
        .map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_with_sign_and_fraction_kept() {
        assert_eq!(group_thousands("0"), "0");
        assert_eq!(group_thousands("-33000"), "-33,000");
        assert_eq!(group_thousands("1234567.50"), "1,234,567.50");
        assert_eq!(group_thousands("999"), "999");
    }
}
