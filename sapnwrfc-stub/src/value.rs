//! Field values in a data container and the conversions the setters and getters make.
//!
//! Each elementary field holds its value in a canonical form for its type: CHAR without
//! trailing blanks, NUM as exactly as many digits as the field has, DATE and TIME as their
//! 8 and 6 characters, BCD as a decimal string with exactly the field's decimals, INT types
//! as integers. The stub is stricter than SAP's library in one respect: a value that does not
//! fit (a CHAR too long, a BCD with more decimals than the field) is refused with
//! `RFC_CONVERSION_FAILURE` instead of being cut or rounded, so that a caller which forgot to
//! cut or round fails in tests.

use crate::protocol::{Failure, FieldType, Scalar, rc};
use crate::uc;

/// What a conversion needs to know about a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldMeta {
    pub field_type: FieldType,
    pub nuc_length: u32,
    pub decimals: u32,
}

/// A field's value; `Initial` until something sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Initial,
    Text(Vec<u16>),
    Int(i64),
    Decimal(String),
    /// A structure or table parameter: the id of its own container.
    Node(usize),
}

fn refuse(name: &str, reason: impl std::fmt::Display) -> Failure {
    let message = format!("Cannot convert value of field {name}: {reason}");
    Failure::external(rc::CONVERSION_FAILURE, "RFC_CONVERSION_FAILURE", message)
}

fn wrong_type(name: &str, meta: FieldMeta, call: &str) -> Failure {
    let message = format!(
        "{call} cannot be used for field {name} of type {:?}",
        meta.field_type
    );
    Failure::external(rc::CONVERSION_FAILURE, "RFC_CONVERSION_FAILURE", message)
}

fn is_blank(unit: &u16) -> bool {
    *unit == u16::from(b' ')
}

fn trim_blanks(units: &[u16]) -> &[u16] {
    let start = units
        .iter()
        .position(|u| !is_blank(u))
        .unwrap_or(units.len());
    let end = units
        .iter()
        .rposition(|u| !is_blank(u))
        .map_or(start, |end| end + 1);
    &units[start..end]
}

fn all_digits(units: &[u16]) -> bool {
    units
        .iter()
        .all(|&unit| (u16::from(b'0')..=u16::from(b'9')).contains(&unit))
}

/// `RfcSetChars` and `RfcSetString`: text into a field of any elementary type.
pub fn from_text(name: &str, meta: FieldMeta, units: &[u16]) -> Result<Cell, Failure> {
    let length = meta.nuc_length as usize;
    match meta.field_type {
        FieldType::Char => {
            let end = units
                .iter()
                .rposition(|u| !is_blank(u))
                .map_or(0, |end| end + 1);
            if end > length {
                return Err(refuse(
                    name,
                    format!("{end} characters exceed CHAR {length}"),
                ));
            }
            Ok(Cell::Text(units[..end].to_vec()))
        }
        FieldType::Num => from_num(name, meta, units),
        FieldType::Date | FieldType::Time => {
            let digits = trim_blanks(units);
            match (
                digits.is_empty(),
                digits.len() == length && all_digits(digits),
            ) {
                (true, _) => Ok(Cell::Initial),
                (false, true) => Ok(Cell::Text(digits.to_vec())),
                (false, false) => Err(refuse(name, format!("expected {length} digits"))),
            }
        }
        FieldType::Bcd => {
            let text = String::from_utf16_lossy(trim_blanks(units));
            let digits = 2 * meta.nuc_length - 1;
            normalize_decimal(&text, digits, meta.decimals)
                .map(Cell::Decimal)
                .map_err(|reason| refuse(name, reason))
        }
        FieldType::Int | FieldType::Int1 | FieldType::Int2 => {
            let text = String::from_utf16_lossy(trim_blanks(units));
            match text.as_str() {
                "" => Ok(Cell::Int(0)),
                text => {
                    let value = text.parse().map_err(|_| refuse(name, "not an integer"))?;
                    from_int(name, meta, value)
                }
            }
        }
        FieldType::Structure | FieldType::Table => Err(wrong_type(name, meta, "a text setter")),
    }
}

/// `RfcSetNum`: digits into a NUM field (or a CHAR field, as text).
pub fn from_num(name: &str, meta: FieldMeta, units: &[u16]) -> Result<Cell, Failure> {
    let length = meta.nuc_length as usize;
    match meta.field_type {
        FieldType::Num => {
            let digits = trim_blanks(units);
            if !all_digits(digits) {
                return Err(refuse(name, "NUM fields take digits only"));
            }
            let significant = digits.iter().position(|&u| u != u16::from(b'0'));
            let significant = significant.map_or(&[][..], |start| &digits[start..]);
            if significant.len() > length {
                return Err(refuse(
                    name,
                    format!("{} digits exceed NUMC {length}", digits.len()),
                ));
            }
            let mut padded = vec![u16::from(b'0'); length - significant.len()];
            padded.extend_from_slice(significant);
            Ok(Cell::Text(padded))
        }
        FieldType::Char => from_text(name, meta, units),
        _ => Err(wrong_type(name, meta, "RfcSetNum")),
    }
}

/// `RfcSetDate` and `RfcSetTime`: 8 or 6 digits, blanks meaning initial.
pub fn from_fixed(name: &str, units: &[u16]) -> Result<Cell, Failure> {
    match (trim_blanks(units).is_empty(), all_digits(units)) {
        (true, _) => Ok(Cell::Initial),
        (false, true) => Ok(Cell::Text(units.to_vec())),
        (false, false) => Err(refuse(name, format!("expected {} digits", units.len()))),
    }
}

/// `RfcSetInt`: an integer into an INT, BCD, NUM or CHAR field.
pub fn from_int(name: &str, meta: FieldMeta, value: i64) -> Result<Cell, Failure> {
    let range = match meta.field_type {
        FieldType::Int => i64::from(i32::MIN)..=i64::from(i32::MAX),
        FieldType::Int2 => i64::from(i16::MIN)..=i64::from(i16::MAX),
        FieldType::Int1 => 0..=255,
        FieldType::Char | FieldType::Num | FieldType::Bcd => {
            return from_text(name, meta, &uc::encode(&value.to_string()));
        }
        _ => return Err(wrong_type(name, meta, "RfcSetInt")),
    };
    match range.contains(&value) {
        true => Ok(Cell::Int(value)),
        false => Err(refuse(
            name,
            format!("{value} is out of range for {:?}", meta.field_type),
        )),
    }
}

/// The value as `RfcGetString` returns it.
pub fn to_text(meta: FieldMeta, cell: &Cell) -> Vec<u16> {
    let zeros = |count| vec![u16::from(b'0'); count];
    match (meta.field_type, cell) {
        (_, Cell::Text(units)) => units.clone(),
        (_, Cell::Int(value)) => uc::encode(&value.to_string()),
        (_, Cell::Decimal(text)) => uc::encode(text),
        (FieldType::Num | FieldType::Date | FieldType::Time, _) => zeros(meta.nuc_length as usize),
        (FieldType::Bcd, _) => {
            let zero = normalize_decimal("0", 2 * meta.nuc_length - 1, meta.decimals);
            uc::encode(&zero.unwrap_or_default())
        }
        (FieldType::Int | FieldType::Int1 | FieldType::Int2, _) => uc::encode("0"),
        _ => Vec::new(),
    }
}

/// The value as `RfcGetChars` returns it: the field's characters, blank-padded.
pub fn to_chars(meta: FieldMeta, cell: &Cell) -> Vec<u16> {
    let mut units = to_text(meta, cell);
    if meta.field_type == FieldType::Char {
        units.resize(meta.nuc_length as usize, u16::from(b' '));
    }
    units
}

/// The value as `RfcGetInt` returns it.
pub fn to_int(name: &str, meta: FieldMeta, cell: &Cell) -> Result<i64, Failure> {
    match (meta.field_type, cell) {
        (FieldType::Int | FieldType::Int1 | FieldType::Int2, Cell::Int(value)) => Ok(*value),
        (FieldType::Int | FieldType::Int1 | FieldType::Int2, _) => Ok(0),
        _ => Err(wrong_type(name, meta, "RfcGetInt")),
    }
}

/// The value as it travels to the server; `None` when it was never set.
pub fn to_wire(meta: FieldMeta, cell: &Cell) -> Option<Scalar> {
    match cell {
        Cell::Initial | Cell::Node(_) => None,
        Cell::Int(value) => Some(Scalar::Int(*value)),
        _ => Some(Scalar::Text(uc::decode(&to_text(meta, cell)))),
    }
}

/// A value the server sent, converted as `RfcSetString` would.
pub fn from_wire(name: &str, meta: FieldMeta, value: &Scalar) -> Result<Cell, Failure> {
    match value {
        Scalar::Int(value) => from_int(name, meta, *value),
        Scalar::Text(text) => from_text(name, meta, &uc::encode(text)),
    }
}

/// A decimal as SAP's bindings send it (`-55000.0000`, `1.5`, `+7`) in canonical form for a
/// packed field of `digits` digits and `decimals` places: no leading zeros, exactly
/// `decimals` places, no sign on zero. Exponents and separators are refused.
pub fn normalize_decimal(text: &str, digits: u32, decimals: u32) -> Result<String, String> {
    let text = match text.trim() {
        "" => "0",
        text => text,
    };
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    let no_digits = integer.is_empty() && fraction.is_empty();
    if no_digits || !digits_only(integer) || !digits_only(fraction) {
        return Err(format!("'{text}' is not a decimal number"));
    }

    let integer = integer.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > decimals as usize {
        return Err(format!("'{text}' has more than {decimals} decimals"));
    }
    if integer.len() > (digits - decimals) as usize {
        return Err(format!(
            "'{text}' has more than {} integer digits",
            digits - decimals
        ));
    }

    let zero = integer.is_empty() && fraction.is_empty();
    let mut canonical = String::new();
    if negative && !zero {
        canonical.push('-');
    }
    canonical.push_str(if integer.is_empty() { "0" } else { integer });
    if decimals > 0 {
        canonical.push('.');
        canonical.push_str(fraction);
        canonical.extend(std::iter::repeat_n('0', decimals as usize - fraction.len()));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(field_type: FieldType, nuc_length: u32, decimals: u32) -> FieldMeta {
        FieldMeta {
            field_type,
            nuc_length,
            decimals,
        }
    }

    fn text(units: &[u16]) -> String {
        String::from_utf16_lossy(units)
    }

    #[test]
    fn decimals_are_canonical_and_never_rounded() {
        assert_eq!(normalize_decimal("-55000", 23, 4).unwrap(), "-55000.0000");
        assert_eq!(normalize_decimal("+007.50", 23, 4).unwrap(), "7.5000");
        assert_eq!(normalize_decimal("-0.00", 23, 4).unwrap(), "0.0000");
        assert_eq!(normalize_decimal(".5", 5, 2).unwrap(), "0.50");
        assert_eq!(normalize_decimal("1.2300", 5, 2).unwrap(), "1.23");
        assert_eq!(normalize_decimal("12", 3, 0).unwrap(), "12");
        assert!(normalize_decimal("1.23456", 23, 4).is_err());
        assert!(normalize_decimal("1234", 5, 2).is_err());
        assert!(normalize_decimal("1e5", 23, 4).is_err());
        assert!(normalize_decimal("55,000", 23, 4).is_err());
        assert!(normalize_decimal("-", 23, 4).is_err());
        assert!(normalize_decimal(".", 23, 4).is_err());
    }

    #[test]
    fn char_fields_drop_trailing_blanks_and_refuse_overlong_text() {
        let char3 = meta(FieldType::Char, 3, 0);
        let cell = from_text("F", char3, &uc::encode("회계  ")).unwrap();
        assert_eq!(text(&to_text(char3, &cell)), "회계");
        assert_eq!(text(&to_chars(char3, &cell)), "회계 ");
        let error = from_text("F", char3, &uc::encode("회계전표")).unwrap_err();
        assert_eq!(error.code, rc::CONVERSION_FAILURE);
        assert!(error.message.contains("CHAR 3"), "{}", error.message);
    }

    #[test]
    fn num_fields_are_zero_padded_digits() {
        let numc10 = meta(FieldType::Num, 10, 0);
        let cell = from_num("ITEMNO_ACC", numc10, &uc::encode("1")).unwrap();
        assert_eq!(text(&to_text(numc10, &cell)), "0000000001");
        assert_eq!(text(&to_text(numc10, &Cell::Initial)), "0000000000");
        assert!(from_num("N", numc10, &uc::encode("12a")).is_err());
        assert!(from_num("N", meta(FieldType::Num, 3, 0), &uc::encode("1234")).is_err());
        assert!(from_num("N", meta(FieldType::Num, 3, 0), &uc::encode("0123")).is_ok());
    }

    #[test]
    fn ints_check_their_range_and_travel_as_numbers() {
        let int4 = meta(FieldType::Int, 4, 0);
        let cell = from_int("ROW", int4, -3).unwrap();
        assert_eq!(to_wire(int4, &cell), Some(Scalar::Int(-3)));
        assert!(from_int("ROW", int4, i64::from(i32::MAX) + 1).is_err());
        assert_eq!(
            from_text("ROW", int4, &uc::encode(" 42 ")).unwrap(),
            Cell::Int(42)
        );
        assert!(to_int("F", meta(FieldType::Char, 3, 0), &Cell::Initial).is_err());
    }

    #[test]
    fn bcd_fields_read_back_with_their_decimals() {
        let amount = meta(FieldType::Bcd, 12, 4);
        assert_eq!(text(&to_text(amount, &Cell::Initial)), "0.0000");
        let cell = from_text("AMT", amount, &uc::encode("-55000")).unwrap();
        assert_eq!(to_wire(amount, &cell), Some(Scalar::text("-55000.0000")));
        assert_eq!(to_wire(amount, &Cell::Initial), None);
    }

    #[test]
    fn dates_take_eight_digits_or_blanks() {
        let date = meta(FieldType::Date, 8, 0);
        assert_eq!(
            from_text("D", date, &uc::encode("")).unwrap(),
            Cell::Initial
        );
        assert!(from_text("D", date, &uc::encode("2026-03-01")).is_err());
        let cell = from_text("D", date, &uc::encode("20260315")).unwrap();
        assert_eq!(text(&to_text(date, &cell)), "20260315");
        assert_eq!(text(&to_text(date, &Cell::Initial)), "00000000");
        assert!(from_fixed("D", &uc::encode("2026-3-1")).is_err());
        assert_eq!(
            from_fixed("D", &uc::encode("        ")).unwrap(),
            Cell::Initial
        );
    }
}
