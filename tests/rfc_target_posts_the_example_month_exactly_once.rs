//! The RFC target against the stub SAP server, through the stub `libsapnwrfc` and the real
//! loader: the example month posts once per posting with the amounts it was mapped with,
//! reversals reverse their originals, and parallel connections never share a document.

mod rfc_support;

use std::collections::{BTreeMap, BTreeSet};

use bizsap::pipeline::{Delivery, SendOutcome, Target};
use bizsap::posting::Posting;
use rfc_support::{example_postings, posted_keys, start_stub, target};
use rust_decimal::Decimal;

/// Debits and credits of a posting, as mapped.
fn mapped_sums(posting: &Posting) -> (Decimal, Decimal) {
    let amounts = posting.items.iter().map(|item| item.amount);
    let debit = amounts.clone().filter(|a| a.is_sign_positive()).sum();
    let credit = amounts.filter(|a| a.is_sign_negative()).sum();
    (debit, credit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_month_posts_once_per_posting_and_reverses_its_cancellations() {
    let server = start_stub().await;
    let target = target(&server, 4);
    let (documents, reversals) = example_postings();
    assert!(documents.len() > 250 && !reversals.is_empty());

    let deliveries = documents
        .iter()
        .map(|posting| Delivery {
            posting: posting.clone(),
            original: None,
            original_sap_key: None,
        })
        .collect();
    let outcomes = target.deliver(deliveries).await;
    let posted = posted_keys(&documents, &outcomes);

    // Reversals go out once their originals are posted, with the originals' SAP keys.
    let reversal_deliveries = reversals
        .iter()
        .map(|reversal| {
            let original = reversal.reverses.as_ref().unwrap().posting_key.as_ref();
            let original_sap_key = posted.get(original.unwrap().as_str()).cloned();
            assert!(
                original_sap_key.is_some(),
                "{} has an original",
                reversal.key
            );
            Delivery {
                posting: reversal.clone(),
                original: None,
                original_sap_key,
            }
        })
        .collect();
    let reversal_outcomes = target.deliver(reversal_deliveries).await;
    let reversed = posted_keys(&reversals, &reversal_outcomes);

    let ledger = server.sap().documents();
    assert_eq!(ledger.len(), documents.len() + reversals.len());
    let by_key: BTreeMap<&str, _> = ledger.iter().map(|d| (d.obj_key.as_str(), d)).collect();
    assert_eq!(by_key.len(), ledger.len(), "every object key is distinct");

    for posting in &documents {
        let document = by_key[posted[posting.key.as_str()].as_str()];
        assert_eq!(document.reference, posting.key.as_str());
        let debit: Decimal = document
            .items
            .iter()
            .map(|i| i.amount.max(Decimal::ZERO))
            .sum();
        let credit: Decimal = document
            .items
            .iter()
            .map(|i| i.amount.min(Decimal::ZERO))
            .sum();
        assert_eq!((debit, credit), mapped_sums(posting), "{}", posting.key);
        assert_eq!(document.items.len(), posting.items.len(), "{}", posting.key);
    }
    for reversal in &reversals {
        let original_key = reversal
            .reverses
            .as_ref()
            .unwrap()
            .posting_key
            .as_ref()
            .unwrap();
        let original = by_key[posted[original_key.as_str()].as_str()];
        let mirror = by_key[reversed[reversal.key.as_str()].as_str()];
        assert_eq!(
            original.reversed_by.as_deref(),
            Some(mirror.obj_key.as_str())
        );
        assert_eq!(mirror.reverses.as_deref(), Some(original.obj_key.as_str()));
        let total = |items: &[bizsap::stub::sap::LineItem]| -> Decimal {
            items.iter().map(|i| i.amount.abs()).sum()
        };
        assert_eq!(total(&mirror.items), total(&original.items));
    }
    let marked = ledger.iter().filter(|d| d.reversed_by.is_some()).count();
    assert_eq!(marked, reversals.len());

    // The journal's question after a lost reply finds every document and reversal.
    let sample = [
        &documents[0],
        &documents[documents.len() - 1],
        &reversals[0],
    ];
    for posting in sample {
        let expected = match reversed.get(posting.key.as_str()) {
            Some(key) => key,
            None => &posted[posting.key.as_str()],
        };
        let found = target.lookup(posting).await;
        assert_eq!(
            found.as_ref(),
            Ok(&Some(expected.clone())),
            "{}",
            posting.key
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_connections_post_hundreds_of_documents_under_distinct_keys() {
    let server = start_stub().await;
    let target = target(&server, 8);
    assert_eq!(target.connections(), 8);
    let (documents, _) = example_postings();

    // Two batches, so connections are reused between documents.
    let (first, second) = documents.split_at(documents.len() / 2);
    let mut outcomes = Vec::new();
    for batch in [first, second] {
        let deliveries = batch
            .iter()
            .map(|posting| Delivery {
                posting: posting.clone(),
                original: None,
                original_sap_key: None,
            })
            .collect();
        outcomes.extend(target.deliver(deliveries).await);
    }

    let keys: BTreeSet<String> = outcomes
        .iter()
        .map(|outcome| match outcome {
            SendOutcome::Posted { sap_key, .. } => sap_key.clone(),
            other => panic!("not posted: {other:?}"),
        })
        .collect();
    assert_eq!(keys.len(), documents.len());
    let ledger = server.sap().documents();
    assert_eq!(ledger.len(), documents.len());
    let references: BTreeSet<&str> = ledger.iter().map(|d| d.reference.as_str()).collect();
    assert_eq!(
        references.len(),
        documents.len(),
        "no posting key was posted twice"
    );
}
