//! A landscape with the stub bizplay gateway and the stub SAP system for the sync tests, and
//! what the example month should become in SAP.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bizsap::bizplay::parse_0411a;
use bizsap::pipeline::Bridge;
use bizsap::stub::landscape::{
    API_KEY, EXAMPLE_RECEIPTS, EXAMPLE_RULES, Landscape, PASSWORD, RFC_USER, Transport,
    stub_library,
};
use jiff::civil::Date;
use rust_decimal::Decimal;

/// The example month's receipts were all processed by 1 December 2026.
pub const MONTH_END: Date = jiff::civil::date(2026, 12, 2);
/// Mid-month: the cancellations were reported after this day.
pub const MID_MONTH: Date = jiff::civil::date(2026, 11, 16);
pub const LOOKBACK_DAYS: u32 = 35;

/// A temporary directory, removed at the end of the test.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("bizsap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("rules.toml"), EXAMPLE_RULES).unwrap();
        TempDir(dir)
    }

    pub fn rules(&self) -> PathBuf {
        self.0.join("rules.toml")
    }

    pub fn journal(&self, name: &str) -> PathBuf {
        self.0.join(format!("{name}.sqlite"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A bridge to `landscape` over `transport`, with its journal in `dir`.
pub fn bridge(landscape: &Landscape, dir: &TempDir, transport: Transport, page: u32) -> Bridge {
    let name = format!("{transport:?}").to_lowercase();
    let mut config = landscape
        .config(transport, &dir.journal(&name), &dir.rules(), LOOKBACK_DAYS)
        .unwrap();
    config.bizplay.page_size = page;
    Bridge::new(config).unwrap()
}

/// The net amount SAP should book for receipts in `body`: approved ones, less cancellations.
pub fn expected_total(body: &str) -> Decimal {
    let page = parse_0411a(body).unwrap();
    page.records
        .iter()
        .flatten()
        .filter(|record| record.approval_status.as_deref() == Some("9"))
        .map(|record| {
            let total = record.amounts.total.abs();
            if record.cancelled { -total } else { total }
        })
        .sum()
}

pub fn example_total() -> Decimal {
    expected_total(EXAMPLE_RECEIPTS)
}

/// What SAP booked: the sum of the debit balances (expense and input VAT) in KRW.
pub fn booked(landscape: &Landscape) -> Decimal {
    landscape
        .sap
        .sap()
        .totals()
        .accounts
        .values()
        .filter_map(|balances| balances.get("KRW"))
        .filter(|balance| balance.is_sign_positive())
        .sum()
}

/// Committed documents that are not reversals, per reference (the posting key).
pub fn documents_per_reference(landscape: &Landscape) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for document in landscape.sap.sap().documents() {
        if document.reverses.is_none() {
            *counts.entry(document.reference.clone()).or_insert(0) += 1;
        }
    }
    counts
}

pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// A configuration file for the landscape over RFC, its secrets in files beside it, with
/// `extra` TOML at its end. Its schedule runs once a year, so `run` syncs at start only.
pub fn write_config(landscape: &Landscape, dir: &TempDir, extra: &str) -> PathBuf {
    std::fs::write(dir.0.join("api-key"), API_KEY).unwrap();
    std::fs::write(dir.0.join("password"), PASSWORD).unwrap();
    // The window must reach back to the example month whatever the date today.
    let today = jiff::ZonedDateTime::now().date();
    let lookback = (today - jiff::civil::date(2026, 11, 1)).get_days() + 1;
    let rfc = landscape.sap.rfc_addr();
    let config = format!(
        r#"
[bizplay]
url = "{url}"
org_cd = "2148612345"
api_key_file = "api-key"

[sap.rfc]
library_dir = "{library}"
password_file = "password"
connections = 4
call_timeout_secs = 30

[sap.rfc.parameters]
ashost = "{host}"
gwserv = "{port}"
client = "100"
user = "{RFC_USER}"
lang = "EN"

[journal]
path = "journal.sqlite"

[schedule]
cron = "0 3 1 1 *"
lookback_days = {lookback}

[rules]
path = "rules.toml"

[delivery]
concurrency = 4
retry_delay_secs = 0
"#,
        url = landscape.bizplay_url(),
        library = stub_library().unwrap().display(),
        host = rfc.ip(),
        port = rfc.port(),
    );
    let path = dir.0.join("bizsap.toml");
    std::fs::write(&path, format!("{config}{extra}")).unwrap();
    path
}
