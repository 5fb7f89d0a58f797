//! Text templates for header and item texts: `"{TRAN_KIND_NM} {MEST_NM}"`.
//!
//! Placeholders are bizplay field names, so the finance team writes what they see in
//! bizplay. The set is closed and checked when the rules are loaded: a misspelt placeholder is
//! a configuration error, not an empty space in ten thousand posted documents.

use std::fmt;

use crate::bizplay::{ExpenseRecord, SplitLine};

/// A field a template can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    MerchantName,
    UsageName,
    UsageCode,
    Summary,
    Memo,
    ApprovalNo,
    ApprovalDate,
    CardLast4,
    CardUser,
    ReceiptUser,
    Department,
    Currency,
    ForeignAmount,
    Seq,
    ExpenseReport,
}

const FIELDS: &[(&str, Field)] = &[
    ("MEST_NM", Field::MerchantName),
    ("TRAN_KIND_NM", Field::UsageName),
    ("TRAN_KIND_CD", Field::UsageCode),
    ("SUMMARY", Field::Summary),
    ("MEMO", Field::Memo),
    ("APV_NO", Field::ApprovalNo),
    ("APV_DT", Field::ApprovalDate),
    ("CARD_LAST4", Field::CardLast4),
    ("USER_NM", Field::CardUser),
    ("R_USER_NM", Field::ReceiptUser),
    ("DEPT_NM", Field::Department),
    ("CURR_CD", Field::Currency),
    ("CURR_AMT", Field::ForeignAmount),
    ("SEQ", Field::Seq),
    ("APPR_SEQ_NO", Field::ExpenseReport),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Field(Field),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("\"{{\" without \"}}\" in \"{source}\""))?;
            let name = &rest[open + 1..open + close];
            let field = FIELDS
                .iter()
                .find(|(known, _)| *known == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
                    format!(
                        "unknown placeholder {{{name}}}; known: {}",
                        known.join(", ")
                    )
                })?;
            parts.push(Part::Field(field.1));
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Template {
            source: source.to_owned(),
            parts,
        })
    }

    /// Fills the template for a record (and one of its split lines); runs of white space
    /// left by empty fields fold into one.
    pub fn render(&self, record: &ExpenseRecord, split: Option<&SplitLine>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(field) => out.push_str(&value(*field, record, split)),
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn value(field: Field, record: &ExpenseRecord, split: Option<&SplitLine>) -> String {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    match field {
        Field::MerchantName => text(&record.merchant_name),
        Field::UsageName => split
            .and_then(|s| s.usage_name.clone())
            .unwrap_or_else(|| text(&record.usage.name)),
        Field::UsageCode => text(&record.usage.code),
        Field::Summary => text(&record.summary),
        Field::Memo => split
            .and_then(|s| s.memo.clone())
            .unwrap_or_else(|| text(&record.summary)),
        Field::ApprovalNo => text(&record.approval_no),
        Field::ApprovalDate => crate::posting::dats(record.key.approval_date),
        Field::CardLast4 => record.card_last4().to_owned(),
        Field::CardUser => text(&record.card_user.name),
        Field::ReceiptUser => record
            .receipt_user
            .name
            .clone()
            .unwrap_or_else(|| text(&record.card_user.name)),
        Field::Department => text(&record.card_user.department_name),
        Field::Currency => record
            .foreign
            .as_ref()
            .map(|f| f.currency.clone())
            .unwrap_or_default(),
        Field::ForeignAmount => record
            .foreign
            .as_ref()
            .map(|f| f.amount.normalize().to_string())
            .unwrap_or_default(),
        Field::Seq => record.key.seq.clone(),
        Field::ExpenseReport => text(&record.expense_report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_placeholders_are_refused_with_the_known_list() {
        let error = Template::parse("{MEST_NAME}").unwrap_err();
        assert!(
            error.contains("{MEST_NAME}") && error.contains("MEST_NM"),
            "{error}"
        );
        assert!(Template::parse("{MEST_NM").is_err());
    }

    #[test]
    fn literals_and_fields_parse_in_order() {
        let template = Template::parse("카드 {CARD_LAST4}/{APV_NO}").unwrap();
        assert_eq!(template.parts.len(), 4);
        assert_eq!(template.to_string(), "카드 {CARD_LAST4}/{APV_NO}");
    }
}
