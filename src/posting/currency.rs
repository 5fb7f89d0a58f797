//! Currencies and the number of decimals SAP allows for each.

use std::fmt;

use rust_decimal::Decimal;

/// An ISO 4217 currency code as SAP keeps it (TCURC-WAERS), upper case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(String);

/// Currencies whose decimals differ from SAP's default of two (table TCURX).
const DECIMALS: &[(&str, u32)] = &[
    ("BHD", 3),
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("PYG", 0),
    ("RWF", 0),
    ("TND", 3),
    ("UGX", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
];

impl Currency {
    /// Parses a three-letter code; anything else is `None`.
    pub fn new(code: &str) -> Option<Currency> {
        let code = code.trim();
        (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| Currency(code.to_ascii_uppercase()))
    }

    /// The Korean won, bizplay's currency for card amounts.
    pub fn krw() -> Currency {
        Currency("KRW".to_owned())
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// Decimals SAP allows in amounts of this currency; two unless TCURX says otherwise.
    pub fn decimals(&self) -> u32 {
        DECIMALS
            .iter()
            .find(|(code, _)| *code == self.0)
            .map_or(2, |(_, decimals)| *decimals)
    }

    /// Whether `amount` can be expressed in this currency without rounding.
    pub fn fits(&self, amount: Decimal) -> bool {
        amount.normalize().scale() <= self.decimals()
    }

    /// `amount` written with exactly this currency's decimals, as SAP shows it: `-33000`,
    /// `12.50`. The caller has checked [`Currency::fits`]; extra digits are never rounded.
    pub fn format(&self, amount: Decimal) -> String {
        let mut amount = amount.normalize();
        if amount.scale() < self.decimals() {
            amount.rescale(self.decimals());
        }
        amount.to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn decimals_follow_sap_exceptions_and_default_to_two() {
        let cases = [
            ("KRW", 0),
            ("JPY", 0),
            ("USD", 2),
            ("EUR", 2),
            ("CNY", 2),
            ("BHD", 3),
        ];
        for (code, decimals) in cases {
            assert_eq!(Currency::new(code).unwrap().decimals(), decimals, "{code}");
        }
    }

    #[test]
    fn fits_rejects_fractions_the_currency_cannot_hold() {
        let krw = Currency::krw();
        assert!(krw.fits(dec("33000")));
        assert!(krw.fits(dec("33000.00")));
        assert!(!krw.fits(dec("33000.5")));
        let usd = Currency::new("usd").unwrap();
        assert!(usd.fits(dec("12.50")));
        assert!(!usd.fits(dec("12.505")));
    }

    #[test]
    fn format_writes_the_currency_decimals() {
        assert_eq!(Currency::krw().format(dec("-33000.00")), "-33000");
        assert_eq!(Currency::new("USD").unwrap().format(dec("12.5")), "12.50");
        assert_eq!(Currency::new("BHD").unwrap().format(dec("1")), "1.000");
    }

    #[test]
    fn codes_must_be_three_letters() {
        assert!(Currency::new("KR").is_none());
        assert!(Currency::new("K1W").is_none());
    }
}
