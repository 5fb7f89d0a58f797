//! Finding a document in SAP by its posting key: RFC_READ_TABLE on BKPF by XBLNR.
//!
//! RFC_READ_TABLE answers each row as one text line (`DATA-WA`) with the selected fields at
//! the offsets and lengths it reports in `FIELDS`; the values here are short and plain ASCII
//! (company code, document number, year).

use sapnwrfc_sys::{DataContainer, Function, RfcError};

use crate::posting::{Posting, PostingKind};

pub const READ_TABLE: &str = "RFC_READ_TABLE";

const FIELDS: [&str; 4] = ["BUKRS", "BELNR", "GJAHR", "STBLG"];

/// Rows a lookup reads at most: one key matches a document and perhaps its reversal.
const ROW_LIMIT: i32 = 20;

/// What a lookup asks BKPF for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub company_code: String,
    /// XBLNR of the document: the posting key, or for a reversal the original's.
    pub reference: String,
    /// For a reversal, the year its own document falls in, should SAP not return its row.
    pub reversal_year: Option<i16>,
}

impl Query {
    /// The question for `posting`; an error when it carries no key SAP could know.
    pub fn new(posting: &Posting) -> Result<Query, String> {
        let company_code = posting.header.company_code.clone();
        if posting.kind != PostingKind::Reversal {
            let reference = posting.header.reference.trim();
            if reference.is_empty() {
                return Err("the document carries no reference (XBLNR) to look for".into());
            }
            return Ok(Query {
                company_code,
                reference: reference.to_owned(),
                reversal_year: None,
            });
        }
        let original = posting
            .reverses
            .as_ref()
            .and_then(|r| r.posting_key.as_ref());
        let original = original.ok_or_else(|| {
            "the reversal does not name the posting key of the document it reverses, so SAP \
             cannot be asked about it"
                .to_owned()
        })?;
        Ok(Query {
            company_code,
            reference: original.as_str().to_owned(),
            reversal_year: Some(posting.header.posting_date.year()),
        })
    }

    /// Sets the parameters of RFC_READ_TABLE.
    pub fn fill(&self, function: &mut Function) -> Result<(), RfcError> {
        function.set_value("QUERY_TABLE", "BKPF")?;
        function.set_value("DELIMITER", "|")?;
        function.set_int("ROWCOUNT", ROW_LIMIT)?;
        {
            let mut fields = function.table("FIELDS")?;
            for field in FIELDS {
                fields.append_row()?.set_value("FIELDNAME", field)?;
            }
        }
        // One condition a line: a literal must not span two lines of OPTIONS.
        let mut options = function.table("OPTIONS")?;
        let conditions = [
            format!("BUKRS = {}", literal(&self.company_code)),
            format!("AND XBLNR = {}", literal(&self.reference)),
        ];
        for condition in conditions {
            options.append_row()?.set_value("TEXT", &condition)?;
        }
        Ok(())
    }

    /// The SAP key the answer names, if any.
    pub fn answer(&self, rows: &[BkpfRow]) -> Option<String> {
        let original = rows.iter().min_by(|a, b| a.order().cmp(&b.order()))?;
        if self.reversal_year.is_none() {
            return Some(original.key());
        }
        if original.stblg.is_empty() {
            return None;
        }
        let reversal = rows
            .iter()
            .find(|row| row.belnr == original.stblg && row.stblg == original.belnr);
        match (reversal, self.reversal_year) {
            (Some(reversal), _) => Some(reversal.key()),
            // The reversal's own row did not come back (a system that does not copy XBLNR
            // into it): its number with the year of its posting date, as a calendar fiscal
            // year gives it.
            (None, Some(year)) => Some(format!("{}{}{year:04}", original.stblg, original.bukrs)),
            (None, None) => None,
        }
    }
}

/// An ABAP literal: quoted, with quotes inside doubled.
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The BKPF fields a lookup reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BkpfRow {
    pub bukrs: String,
    pub belnr: String,
    pub gjahr: String,
    pub stblg: String,
}

impl BkpfRow {
    /// The object key, BELNR + BUKRS + GJAHR.
    pub fn key(&self) -> String {
        format!("{}{}{}", self.belnr, self.bukrs, self.gjahr)
    }

    /// Posting order: an original comes before its reversal.
    fn order(&self) -> (&str, &str) {
        (&self.gjahr, &self.belnr)
    }
}

/// The rows of an RFC_READ_TABLE answer.
pub fn read_rows(function: &mut Function) -> Result<Vec<BkpfRow>, RfcError> {
    let mut layout = Vec::new();
    {
        let mut fields = function.table("FIELDS")?;
        for index in 0..fields.len()? {
            let row = fields.row(index)?;
            let offset = row.value("OFFSET")?.trim().parse().unwrap_or(0);
            let length = row.value("LENGTH")?.trim().parse().unwrap_or(0);
            layout.push((row.value("FIELDNAME")?, offset, length));
        }
    }
    let mut data = function.table("DATA")?;
    let mut rows = Vec::new();
    for index in 0..data.len()? {
        let line: Vec<char> = data.row(index)?.value("WA")?.chars().collect();
        let field = |name: &str| -> String {
            let Some((_, offset, length)) = layout.iter().find(|(n, ..)| n == name) else {
                return String::new();
            };
            let end = (offset + length).min(line.len());
            let start = (*offset).min(end);
            line[start..end]
                .iter()
                .collect::<String>()
                .trim()
                .to_owned()
        };
        rows.push(BkpfRow {
            bukrs: field("BUKRS"),
            belnr: field("BELNR"),
            gjahr: field("GJAHR"),
            stblg: field("STBLG"),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(belnr: &str, gjahr: &str, stblg: &str) -> BkpfRow {
        BkpfRow {
            bukrs: "1000".into(),
            belnr: belnr.into(),
            gjahr: gjahr.into(),
            stblg: stblg.into(),
        }
    }

    fn query(reversal_year: Option<i16>) -> Query {
        Query {
            company_code: "1000".into(),
            reference: "BZ7K3Q0M9X4T2A01".into(),
            reversal_year,
        }
    }

    #[test]
    fn a_document_is_its_earliest_row_even_when_reversed() {
        let rows = [
            row("0100000007", "2026", "0100000003"),
            row("0100000003", "2026", "0100000007"),
        ];
        assert_eq!(query(None).answer(&rows), Some("010000000310002026".into()));
        assert_eq!(query(None).answer(&[]), None);
    }

    #[test]
    fn a_reversal_is_found_through_its_original() {
        let reversed = [
            row("0100000003", "2026", "0100000001"),
            row("0100000001", "2026", "0100000003"),
        ];
        assert_eq!(
            query(Some(2026)).answer(&reversed),
            Some("010000000310002026".into())
        );

        let not_yet = [row("0100000001", "2026", "")];
        assert_eq!(query(Some(2026)).answer(&not_yet), None);

        let without_its_row = [row("0100000001", "2025", "0100000009")];
        assert_eq!(
            query(Some(2026)).answer(&without_its_row),
            Some("010000000910002026".into())
        );
    }

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(literal("O'NEIL"), "'O''NEIL'");
    }
}
