//! What a month brings besides good receipts: unreadable and inconsistent records, receipts
//! changed after posting, a posting period SAP has closed.

mod sync_support;

use std::future::pending;
use std::path::Path;

use bizsap::journal::State;
use bizsap::stub::landscape::{EXAMPLE_MASTER_DATA, EXAMPLE_RECEIPTS, Landscape, Transport};
use bizsap::stub::sap::{MasterData, StubOptions};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sync_support::{MONTH_END, TempDir, booked, bridge, documents_per_reference, expected_total};

fn receipts() -> Value {
    serde_json::from_str(EXAMPLE_RECEIPTS).unwrap()
}

fn master(source: &str) -> MasterData {
    MasterData::parse(source, Path::new("sap-master-data.toml")).unwrap()
}

#[tokio::test]
async fn poison_records_are_held_with_reasons_and_the_others_post() {
    let mut body = receipts();
    let records = body["RES_DATA"].as_array_mut().unwrap();
    records[3]["SPLY_AMT"] = json!("삼만원");
    let total = records[7]["BUY_SUM"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    records[7]["BUY_SUM"] = json!((total + 1000).to_string());
    let poisoned = [records[3].clone(), records[7].clone()];
    let body = body.to_string();
    let landscape =
        Landscape::start_with(&body, master(EXAMPLE_MASTER_DATA), StubOptions::default())
            .await
            .unwrap();
    let dir = TempDir::new("poison");
    let bridge = bridge(&landscape, &dir, Transport::Rfc, 100);

    let report = bridge.pass(MONTH_END, pending()).await.unwrap();
    assert_eq!(report.held, 2);
    let journal = bridge.journal().unwrap();
    let problems = journal.problems().unwrap();
    assert_eq!(problems.len(), 2);
    let reasons: Vec<&str> = problems
        .iter()
        .map(|p| p.reason.as_deref().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("SPLY_AMT: ")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("BUY_SUM")), "{reasons:?}");

    // Everything else posted; the held receipts stay open in bizplay for correction.
    let mut good = receipts();
    good["RES_DATA"].as_array_mut().unwrap().retain(|record| {
        !poisoned
            .iter()
            .any(|p| p["SEQ"] == record["SEQ"] && p["CARD_NO"] == record["CARD_NO"])
    });
    assert_eq!(booked(&landscape), expected_total(&good.to_string()));
    // Held receipts stay open for correction, as do those not yet approved. The six
    // approvals cancelled before anything was posted are closed with their cancellations.
    let gateway = landscape.bizplay.summary();
    assert_eq!(gateway.closed, report.posted + 12);
    assert_eq!(gateway.receipts - gateway.closed, 2 + 3);
}

#[tokio::test]
async fn a_receipt_changed_after_posting_is_reversed_and_posted_anew() {
    let landscape = Landscape::start().await.unwrap();
    let dir = TempDir::new("changed");
    let bridge = bridge(&landscape, &dir, Transport::Idoc, 100);
    bridge.pass(MONTH_END, pending()).await.unwrap();
    let before = booked(&landscape);

    // The employee corrects the amount of a posted receipt; bizplay reopens it.
    let body = receipts();
    let records = body["RES_DATA"].as_array().unwrap();
    let cancelled = |r: &Value| {
        records
            .iter()
            .any(|c| c["APV_CAN_YN"] == "B" && c["APV_NO"] == r["APV_NO"])
    };
    let mut changed = records
        .iter()
        .find(|r| {
            r["MEST_TAXT_TYP_INFO"] == "01"
                && r["APV_CAN_YN"] == "A"
                && r["APPR_STS"] == "9"
                && r["SRV_FEE"] == "0"
                && r["BUY_SUM"].is_string()
                && r["SPLIT_LIST"].as_array().is_some_and(|s| s.is_empty())
                && !cancelled(r)
        })
        .unwrap()
        .clone();
    let old_total: i64 = changed["BUY_SUM"].as_str().unwrap().parse().unwrap();
    changed["BUY_SUM"] = json!("22000");
    changed["SPLY_AMT"] = json!("20000");
    changed["VAT_AMT"] = json!("2000");
    changed["LST_MOD_DT"] = json!("20261201180000");
    landscape.bizplay.upsert(vec![changed.clone()]);

    let report = bridge.pass(MONTH_END, pending()).await.unwrap();
    assert_eq!(report.new_revisions, 1);
    assert_eq!(
        report.posted, 2,
        "the reversal of the first document and the new one"
    );
    let expected = before - Decimal::from(old_total) + Decimal::from(22000);
    assert_eq!(booked(&landscape), expected);
    let documents = landscape.sap.sap().documents();
    let card = changed["CARD_NO"].as_str().unwrap();
    let seq = changed["SEQ"].as_str().unwrap();
    let record_key = format!(
        "2148612345/{card}/{}/{seq}",
        changed["APV_DT"].as_str().unwrap()
    );
    let journal = bridge.journal().unwrap();
    let latest = journal.latest(&record_key).unwrap().unwrap();
    assert_eq!((latest.revision, latest.state), (2, State::Posted));
    let reversed = documents.iter().filter(|d| d.reversed_by.is_some()).count();
    // Cancellations that arrived with their approvals in one pass posted nothing to reverse.
    assert_eq!(reversed, 1, "the changed receipt's first document");
}

#[tokio::test]
async fn a_closed_period_is_rejected_with_sap_message_and_posts_once_it_opens() {
    let dir = TempDir::new("period");
    let state = dir.0.join("ledger.json");
    let options = || StubOptions {
        state_file: Some(state.clone()),
        ..StubOptions::default()
    };
    // November 2026 is closed in SAP.
    let closed = EXAMPLE_MASTER_DATA.replace("2026 = [1, 12]", "2026 = [12, 12]");
    assert_ne!(closed, EXAMPLE_MASTER_DATA);
    let mut landscape = Landscape::start_with(EXAMPLE_RECEIPTS, master(&closed), options())
        .await
        .unwrap();
    let first = bridge(&landscape, &dir, Transport::Rfc, 100);
    let report = first.pass(MONTH_END, pending()).await.unwrap();
    assert!(report.rejected > 100, "{report:?}");
    assert!(report.posted > 0, "December postings go through");
    let journal = first.journal().unwrap();
    let problems = journal.problems().unwrap();
    let messages = problems[0].messages.as_deref().unwrap();
    assert!(messages.contains("F5 201"), "{messages}");
    assert!(messages.contains("is not open"), "{messages}");
    assert_eq!(
        landscape.bizplay.summary().failures,
        report.rejected,
        "9011 for each"
    );
    drop(first);

    // The accountant opens November (OB52), then asks bizsap to send the rejected again.
    landscape
        .restart_sap(master(EXAMPLE_MASTER_DATA), options())
        .await
        .unwrap();
    let mut journal = journal;
    assert_eq!(journal.retry_all_rejected().unwrap(), report.rejected);
    drop(journal);
    let second = bridge(&landscape, &dir, Transport::Rfc, 100);
    let report = second.pass(MONTH_END, pending()).await.unwrap();
    assert_eq!(report.rejected, 0);
    // One pass saw each approval with its cancellation: six pairs post nothing.
    let documents = documents_per_reference(&landscape);
    assert_eq!(documents.len(), 284);
    assert!(documents.values().all(|count| *count == 1));
    assert_eq!(booked(&landscape), sync_support::example_total());
}

#[tokio::test]
async fn a_refused_sap_logon_stops_the_pass_and_leaves_nothing_in_doubt() {
    let landscape = Landscape::start().await.unwrap();
    let dir = TempDir::new("refused-logon");
    let mut config = landscape
        .config(
            Transport::Rfc,
            &dir.journal("rfc"),
            &dir.rules(),
            sync_support::LOOKBACK_DAYS,
        )
        .unwrap();
    let bizsap::config::TargetConfig::Rfc(rfc) = &mut config.target else {
        unreachable!()
    };
    rfc.password = bizsap::secret::Secret::new("not-the-password-9k2");
    let bridge = bizsap::pipeline::Bridge::new(config).unwrap();

    let error = bridge.pass(MONTH_END, pending()).await.unwrap_err();
    assert!(error.to_string().contains("SAP refused"), "{error}");
    assert!(
        !error.to_string().contains("9k2"),
        "the password never shows: {error}"
    );
    let journal = bridge.journal().unwrap();
    assert!(
        journal.in_doubt().unwrap().is_empty(),
        "every answer was recorded"
    );
    assert!(landscape.sap.sap().documents().is_empty());
}
