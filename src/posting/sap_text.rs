//! SAP's field rules for texts and numbers: lengths in characters and ALPHA conversion.
//!
//! A Unicode SAP system stores CHAR fields as UTF-16 code units, so a CHAR25 field holds 25
//! Hangul syllables but only 12 emoji (each a surrogate pair). Lengths here are counted the
//! same way, and a cut never separates the two halves of a pair.

/// `REF_DOC_NO` (BKPF-XBLNR).
pub const REF_DOC_NO_LEN: usize = 16;
/// `HEADER_TXT` (BKPF-BKTXT).
pub const HEADER_TXT_LEN: usize = 25;
/// `ITEM_TEXT` (BSEG-SGTXT).
pub const ITEM_TEXT_LEN: usize = 50;
/// `ALLOC_NMBR` (BSEG-ZUONR).
pub const ALLOC_NMBR_LEN: usize = 18;
/// Account, vendor and cost-centre numbers (`GL_ACCOUNT`, `VENDOR_NO`, `COSTCENTER`).
pub const ACCOUNT_LEN: usize = 10;
/// `COMP_CODE` (BUKRS).
pub const COMP_CODE_LEN: usize = 4;
/// `DOC_TYPE` (BLART).
pub const DOC_TYPE_LEN: usize = 2;
/// `BUSINESSPLACE` (BUPLA).
pub const BUSINESSPLACE_LEN: usize = 4;
/// `TAX_CODE` (MWSKZ).
pub const TAX_CODE_LEN: usize = 2;

/// Length of `text` as SAP counts it: UTF-16 code units.
pub fn sap_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Cuts `text` to at most `max` UTF-16 code units without splitting a character, and drops
/// trailing white space the cut may leave (SAP does not keep it either).
pub fn cut(text: &str, max: usize) -> String {
    let mut used = 0;
    let mut end = text.len();
    for (index, ch) in text.char_indices() {
        if used + ch.len_utf16() > max {
            end = index;
            break;
        }
        used += ch.len_utf16();
    }
    text[..end].trim_end().to_owned()
}

/// SAP's ALPHA conversion on input: an all-digit value gets leading zeros up to `len`, any
/// other value is kept as it is (upper-cased, as SAP's input conversion does).
///
/// Returns `None` when the value is empty or longer than `len`.
pub fn alpha(value: &str, len: usize) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || sap_len(value) > len {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!("{value:0>len$}"))
    } else {
        Some(value.to_uppercase())
    }
}

/// Whether `value` is already in ALPHA's internal form for a field of `len`.
pub fn is_alpha_internal(value: &str, len: usize) -> bool {
    alpha(value, len).is_some_and(|converted| converted == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_counts_hangul_as_one_unit_each() {
        let name = "스타벅스 광화문점 본관 일층 창가 좌석 주문서";
        assert_eq!(sap_len(name), 25);
        assert_eq!(cut(name, 25), name);
        assert_eq!(cut(name, 9), "스타벅스 광화문점");
    }

    #[test]
    fn cut_never_splits_a_surrogate_pair() {
        let text = "회식🍺🍺";
        assert_eq!(sap_len(text), 6);
        assert_eq!(cut(text, 5), "회식🍺");
        assert_eq!(cut(text, 3), "회식");
    }

    #[test]
    fn cut_drops_trailing_space_left_by_the_cut() {
        assert_eq!(cut("택시 요금", 3), "택시");
    }

    #[test]
    fn alpha_pads_numbers_and_keeps_names() {
        assert_eq!(alpha("81100", 10).as_deref(), Some("0000081100"));
        assert_eq!(alpha("0000081100", 10).as_deref(), Some("0000081100"));
        assert_eq!(alpha("e0001", 10).as_deref(), Some("E0001"));
        assert_eq!(alpha("12345678901", 10), None);
        assert_eq!(alpha("  ", 10), None);
        assert!(is_alpha_internal("0000081100", 10));
        assert!(!is_alpha_internal("81100", 10));
    }
}
