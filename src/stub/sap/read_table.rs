//! RFC_READ_TABLE over the committed document headers (BKPF).
//!
//! This is how a bridge finds out, after a lost reply, whether its document exists:
//! `XBLNR = '...' AND BUKRS = '1000'`. The selection is ABAP's dynamic WHERE in miniature:
//! the `OPTIONS` lines are joined with a blank and must read `FIELD = 'value'` conditions
//! joined by `AND` (`EQ` works for `=`, a quote inside a value is doubled). A literal must not
//! span two lines. Each `DATA` row holds the selected fields padded to their length,
//! separated by `DELIMITER`; `FIELDS` answers each field's offset, length and type, offsets
//! counting the delimiters.

use super::call::{Parameters, Structure, Value};
use super::engine::CallError;
use super::ledger::{Document, Ledger};
use super::metadata::{AbapType, sap_length};

/// One column of the BKPF view.
struct Column {
    name: &'static str,
    abap_type: AbapType,
    length: usize,
    text: &'static str,
    value: fn(&Document) -> &str,
}

const fn column(
    name: &'static str,
    abap_type: AbapType,
    length: usize,
    text: &'static str,
    value: fn(&Document) -> &str,
) -> Column {
    Column {
        name,
        abap_type,
        length,
        text,
        value,
    }
}

static BKPF: [Column; 11] = [
    column("BUKRS", AbapType::Char, 4, "Company Code", |d| {
        &d.company_code
    }),
    column(
        "BELNR",
        AbapType::Char,
        10,
        "Accounting Document Number",
        |d| &d.number,
    ),
    column("GJAHR", AbapType::Numc, 4, "Fiscal Year", |d| {
        &d.fiscal_year
    }),
    column("BLART", AbapType::Char, 2, "Document Type", |d| &d.doc_type),
    column(
        "BUDAT",
        AbapType::Dats,
        8,
        "Posting Date in the Document",
        |d| &d.posting_date,
    ),
    column(
        "BLDAT",
        AbapType::Dats,
        8,
        "Document Date in Document",
        |d| &d.document_date,
    ),
    column(
        "XBLNR",
        AbapType::Char,
        16,
        "Reference Document Number",
        |d| &d.reference,
    ),
    column("BKTXT", AbapType::Char, 25, "Document Header Text", |d| {
        &d.header_text
    }),
    column("AWTYP", AbapType::Char, 5, "Reference Transaction", |d| {
        &d.obj_type
    }),
    column("AWKEY", AbapType::Char, 20, "Reference Key", |d| &d.obj_key),
    column(
        "STBLG",
        AbapType::Char,
        10,
        "Reverse Document Number",
        |d| &d.reverse_number,
    ),
];

fn exception(key: &'static str, message: impl Into<String>) -> CallError {
    CallError::AbapException {
        key,
        message: message.into(),
    }
}

/// Runs RFC_READ_TABLE against the ledger's committed documents.
pub(crate) fn read_table(ledger: &Ledger, params: &Parameters) -> Result<Parameters, CallError> {
    let table = params.scalar("QUERY_TABLE").unwrap_or_default().trim_end();
    if table != "BKPF" {
        let message = format!("table {table} is not available in the stub (only BKPF)");
        return Err(exception("TABLE_NOT_AVAILABLE", message));
    }

    let columns = selected_columns(params.table("FIELDS"))?;
    let conditions = parse_where(params.table("OPTIONS"))?;
    let delimiter = params.scalar("DELIMITER").unwrap_or_default();
    let skip = count(params, "ROWSKIPS")?;
    let limit = count(params, "ROWCOUNT")?;
    let no_data = params
        .scalar("NO_DATA")
        .is_some_and(|flag| flag.trim() == "X");

    let fields = field_rows(&columns, sap_length(delimiter));
    let mut data = Vec::new();
    if !no_data {
        let matching = ledger.documents().iter().filter(|document| {
            conditions
                .iter()
                .all(|(column, value)| (column.value)(document) == value)
        });
        let taken = matching
            .skip(skip)
            .take(if limit == 0 { usize::MAX } else { limit });
        for document in taken {
            data.push(data_row(&columns, delimiter, document));
        }
    }

    let mut answer = Parameters::new();
    answer.set("FIELDS", Value::Table(fields));
    answer.set("DATA", Value::Table(data));
    answer.set("OPTIONS", Value::Table(params.table("OPTIONS").to_vec()));
    Ok(answer)
}

fn count(params: &Parameters, name: &str) -> Result<usize, CallError> {
    let text = params.scalar(name).unwrap_or_default().trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<usize>().map_err(|_| {
        let parameter = name.to_owned();
        CallError::InvalidParameter {
            parameter,
            reason: format!("'{text}' is not a row count"),
        }
    })
}

fn column_named(name: &str) -> Option<&'static Column> {
    BKPF.iter().find(|column| column.name == name)
}

fn selected_columns(rows: &[Structure]) -> Result<Vec<&'static Column>, CallError> {
    if rows.is_empty() {
        return Ok(BKPF.iter().collect());
    }
    rows.iter()
        .map(|row| {
            let name = row.get("FIELDNAME").map_or("", |name| name.trim());
            column_named(name).ok_or_else(|| {
                exception(
                    "FIELD_NOT_VALID",
                    format!("field {name} is not part of BKPF"),
                )
            })
        })
        .collect()
}

fn field_rows(columns: &[&Column], delimiter_length: usize) -> Vec<Structure> {
    let mut offset = 0;
    columns
        .iter()
        .map(|column| {
            let row = crate::stub::sap::structure([
                ("FIELDNAME", column.name),
                ("OFFSET", &format!("{offset:06}")),
                ("LENGTH", &format!("{:06}", column.length)),
                ("TYPE", &column.abap_type.letter().to_string()),
                ("FIELDTEXT", column.text),
            ]);
            offset += column.length + delimiter_length;
            row
        })
        .collect()
}

fn data_row(columns: &[&Column], delimiter: &str, document: &Document) -> Structure {
    let values: Vec<String> = columns
        .iter()
        .map(|column| padded((column.value)(document), column))
        .collect();
    crate::stub::sap::structure([("WA", &values.join(delimiter))])
}

/// A value padded to its column as SAP stores it: text left-aligned with blanks, numeric
/// text right-aligned with zeros.
fn padded(value: &str, column: &Column) -> String {
    let missing = column.length.saturating_sub(sap_length(value));
    match column.abap_type {
        AbapType::Numc => format!("{}{value}", "0".repeat(missing)),
        _ => format!("{value}{}", " ".repeat(missing)),
    }
}

/// Parses the selection into (column, value) pairs that must all match.
fn parse_where(rows: &[Structure]) -> Result<Vec<(&'static Column, String)>, CallError> {
    let text = rows
        .iter()
        .map(|row| row.get("TEXT").map_or("", String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let tokens = tokenize(&text)?;

    let invalid = |what: &str| exception("OPTION_NOT_VALID", format!("{what} in: {text}"));
    let mut conditions = Vec::new();
    let mut rest = tokens.as_slice();
    while !rest.is_empty() {
        let [
            Token::Word(field),
            Token::Equals,
            Token::Literal(value),
            tail @ ..,
        ] = rest
        else {
            return Err(invalid("expected FIELD = 'value'"));
        };
        let column = column_named(&field.to_uppercase())
            .ok_or_else(|| invalid(&format!("unknown field {field}")))?;
        conditions.push((column, value.trim_end().to_owned()));
        rest = match tail {
            [] => tail,
            [Token::Word(and), more @ ..]
                if and.eq_ignore_ascii_case("AND") && !more.is_empty() =>
            {
                more
            }
            _ => return Err(invalid("only conditions joined by AND are supported")),
        };
    }
    Ok(conditions)
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Equals,
    Literal(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, CallError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '=' {
            chars.next();
            tokens.push(Token::Equals);
        } else if c == '\'' {
            chars.next();
            let mut literal = String::new();
            loop {
                match chars.next() {
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        literal.push('\'');
                    }
                    Some('\'') => break,
                    Some(c) => literal.push(c),
                    None => {
                        let message = format!("unterminated literal in: {text}");
                        return Err(exception("OPTION_NOT_VALID", message));
                    }
                }
            }
            tokens.push(Token::Literal(literal));
        } else if c.is_alphanumeric() || c == '_' {
            let mut word = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_alphanumeric() || **c == '_') {
                word.push(c);
                chars.next();
            }
            let token = if word.eq_ignore_ascii_case("EQ") {
                Token::Equals
            } else {
                Token::Word(word)
            };
            tokens.push(token);
        } else {
            let message = format!("'{c}' is not supported in: {text}");
            return Err(exception("OPTION_NOT_VALID", message));
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stub::sap::ledger::tests::document;
    use crate::stub::sap::{FunctionCall, structure};

    fn ledger() -> Ledger {
        let mut ledger = Ledger::default();
        let mut first = document("0100000001");
        first.reference = "BZ-001".to_owned();
        first.header_text = "식대".to_owned();
        ledger.append(first);
        let mut second = document("0100000002");
        second.reference = "BZ-002".to_owned();
        second.obj_key = "010000000210002026".to_owned();
        ledger.append(second);
        ledger
    }

    fn options(lines: &[&str]) -> Vec<Structure> {
        lines
            .iter()
            .map(|line| structure([("TEXT", line)]))
            .collect()
    }

    fn fields(names: &[&str]) -> Vec<Structure> {
        names
            .iter()
            .map(|name| structure([("FIELDNAME", name)]))
            .collect()
    }

    fn read(call: FunctionCall) -> Result<Parameters, CallError> {
        read_table(&ledger(), &call.parameters)
    }

    #[test]
    fn selects_by_and_conditions_across_lines() {
        let call = FunctionCall::new("RFC_READ_TABLE")
            .with_scalar("QUERY_TABLE", "BKPF")
            .with_scalar("DELIMITER", "|")
            .with_table(
                "OPTIONS",
                options(&["BUKRS = '1000'", "AND XBLNR EQ 'BZ-002'"]),
            )
            .with_table("FIELDS", fields(&["BELNR", "GJAHR", "XBLNR"]));
        let answer = read(call).unwrap();

        let data = answer.table("DATA");
        assert_eq!(data.len(), 1);
        assert_eq!(data[0]["WA"], "0100000002|2026|BZ-002          ");

        let fields = answer.table("FIELDS");
        let offsets: Vec<&str> = fields.iter().map(|f| f["OFFSET"].as_str()).collect();
        assert_eq!(offsets, ["000000", "000011", "000016"]);
        assert_eq!(fields[1]["LENGTH"], "000004");
        assert_eq!(fields[1]["TYPE"], "N");
    }

    #[test]
    fn pads_korean_text_by_characters_and_reads_all_fields_by_default() {
        let call = FunctionCall::new("RFC_READ_TABLE")
            .with_scalar("QUERY_TABLE", "BKPF")
            .with_table("OPTIONS", options(&["XBLNR = 'BZ-001'"]));
        let answer = read(call).unwrap();

        assert_eq!(answer.table("FIELDS").len(), 11);
        let wa = &answer.table("DATA")[0]["WA"];
        let bktxt = wa
            .chars()
            .skip(4 + 10 + 4 + 2 + 8 + 8 + 16)
            .take(25)
            .collect::<String>();
        assert_eq!(bktxt, format!("식대{}", " ".repeat(23)));
        assert_eq!(wa.chars().count(), 112);
    }

    #[test]
    fn rowcount_and_rowskips_page_through_matches() {
        let base = FunctionCall::new("RFC_READ_TABLE")
            .with_scalar("QUERY_TABLE", "BKPF")
            .with_table("FIELDS", fields(&["BELNR"]));
        let first = read(base.clone().with_scalar("ROWCOUNT", "1")).unwrap();
        assert_eq!(first.table("DATA")[0]["WA"], "0100000001");
        assert_eq!(first.table("DATA").len(), 1);

        let second = read(base.with_scalar("ROWSKIPS", "1")).unwrap();
        assert_eq!(second.table("DATA")[0]["WA"], "0100000002");
    }

    #[test]
    fn a_doubled_quote_is_a_quote() {
        let tokens = tokenize("XBLNR = 'O''NEIL'").unwrap();
        assert_eq!(tokens[2], Token::Literal("O'NEIL".to_owned()));
    }

    #[test]
    fn unknown_tables_fields_and_options_raise_sap_exceptions() {
        let key = |call: FunctionCall| match read(call) {
            Err(CallError::AbapException { key, .. }) => key,
            other => panic!("expected an exception, got {other:?}"),
        };
        let bkpf = FunctionCall::new("RFC_READ_TABLE").with_scalar("QUERY_TABLE", "BKPF");

        let bseg = FunctionCall::new("RFC_READ_TABLE").with_scalar("QUERY_TABLE", "BSEG");
        assert_eq!(key(bseg), "TABLE_NOT_AVAILABLE");
        assert_eq!(
            key(bkpf.clone().with_table("FIELDS", fields(&["MANDT"]))),
            "FIELD_NOT_VALID"
        );
        let or = options(&["BUKRS = '1000' OR BUKRS = '2000'"]);
        assert_eq!(
            key(bkpf.clone().with_table("OPTIONS", or)),
            "OPTION_NOT_VALID"
        );
        let open = options(&["BUKRS = '1000"]);
        assert_eq!(
            key(bkpf.clone().with_table("OPTIONS", open)),
            "OPTION_NOT_VALID"
        );
        let dangling = options(&["BUKRS = '1000' AND"]);
        assert_eq!(
            key(bkpf.with_table("OPTIONS", dangling)),
            "OPTION_NOT_VALID"
        );
    }
}
