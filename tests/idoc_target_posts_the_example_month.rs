//! The example month through the IDoc target to the stub SAP over a real socket: documents
//! first, then the cancellations as reversals of the posted originals. The stub's ledger holds
//! one document per posting with the posting's amounts, and every reversed original is marked.

mod idoc_target_support;

use std::collections::HashMap;

use bizsap::pipeline::{Delivery, SendOutcome, Target};
use bizsap::posting::{PostingKey, PostingKind};
use idoc_target_support::{
    Stub, delivery, document_amounts, example_postings, posted, posting_amounts,
};

#[tokio::test]
async fn the_example_month_posts_once_per_posting_and_its_reversals_mark_their_originals() {
    let stub = Stub::start().await;
    // Small packets, so that the month takes several requests.
    let target = stub.target(4);
    let postings = example_postings();
    let (reversals, documents): (Vec<_>, Vec<_>) = postings
        .iter()
        .partition(|posting| posting.kind == PostingKind::Reversal);
    assert!(documents.len() > 4 && !reversals.is_empty());
    let by_posting_key: HashMap<&PostingKey, &bizsap::posting::Posting> = documents
        .iter()
        .map(|posting| (&posting.key, *posting))
        .collect();

    let outcomes = target
        .deliver(documents.iter().map(|p| delivery(p)).collect())
        .await;
    assert_eq!(outcomes.len(), documents.len());
    let mut sap_keys: HashMap<&PostingKey, String> = HashMap::new();
    for (posting, outcome) in documents.iter().zip(&outcomes) {
        sap_keys.insert(&posting.key, posted(outcome).to_owned());
        let SendOutcome::Posted { messages, .. } = outcome else {
            unreachable!()
        };
        assert!(messages.starts_with("S RW 605 "), "{messages}");
    }

    let reversal_deliveries: Vec<Delivery> = reversals
        .iter()
        .map(|reversal| {
            let original = reversal.reverses.as_ref().unwrap().posting_key.as_ref();
            Delivery {
                posting: (*reversal).clone(),
                original: Some((*by_posting_key[original.unwrap()]).clone()),
                original_sap_key: Some(sap_keys[original.unwrap()].clone()),
            }
        })
        .collect();
    let outcomes = target.deliver(reversal_deliveries).await;
    for (reversal, outcome) in reversals.iter().zip(&outcomes) {
        sap_keys.insert(&reversal.key, posted(outcome).to_owned());
    }

    // One committed document per posting, each under the key the target reported.
    let ledger = stub.documents().await;
    assert_eq!(ledger.len(), postings.len());
    let by_key: HashMap<&str, &serde_json::Value> = ledger
        .iter()
        .map(|document| (document["obj_key"].as_str().unwrap(), document))
        .collect();
    assert_eq!(by_key.len(), postings.len(), "no key reported twice");

    for document in &documents {
        let booked = by_key[sap_keys[&document.key].as_str()];
        assert_eq!(booked["XBLNR"], document.key.as_str());
        assert_eq!(
            document_amounts(booked),
            posting_amounts(document),
            "{}",
            document.key
        );
    }
    for reversal in &reversals {
        let original_key = reversal
            .reverses
            .as_ref()
            .unwrap()
            .posting_key
            .as_ref()
            .unwrap();
        let original = documents.iter().find(|p| &p.key == original_key).unwrap();
        let original_sap_key = sap_keys[original_key].as_str();
        let reversal_sap_key = sap_keys[&reversal.key].as_str();

        let booked = by_key[reversal_sap_key];
        let negated = posting_amounts(original)
            .into_iter()
            .map(|(account, amount)| (account, -amount))
            .collect();
        assert_eq!(document_amounts(booked), negated, "{}", reversal.key);
        assert_eq!(booked["reverses"], original_sap_key);
        assert_eq!(by_key[original_sap_key]["reversed_by"], reversal_sap_key);
    }
    let marked = ledger
        .iter()
        .filter(|document| !document["reversed_by"].is_null())
        .count();
    assert_eq!(marked, reversals.len());

    // Every IDoc ended at 53, and none came twice.
    let idocs = stub.idocs().await;
    assert_eq!(idocs.len(), postings.len());
    assert!(idocs.iter().all(|idoc| idoc["STATUS"] == "53"));

    // Sending the month again posts nothing: each answer is the first IDoc's.
    let again = target
        .deliver(documents.iter().map(|p| delivery(p)).collect())
        .await;
    for (posting, outcome) in documents.iter().zip(&again) {
        assert_eq!(posted(outcome), sap_keys[&posting.key]);
    }
    assert_eq!(stub.documents().await.len(), postings.len());
}

#[tokio::test]
async fn a_reversal_without_its_originals_sap_key_or_items_is_rejected_unsent() {
    let stub = Stub::start().await;
    let target = stub.target(20);
    let reversal = example_postings()
        .into_iter()
        .find(|posting| posting.kind == PostingKind::Reversal)
        .unwrap();

    let outcomes = target
        .deliver(vec![
            delivery(&reversal),
            Delivery {
                posting: reversal.clone(),
                original: None,
                original_sap_key: Some("010000000110002026".into()),
            },
        ])
        .await;
    let SendOutcome::Rejected { messages } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(messages.contains("has no SAP document key"), "{messages}");
    // The IDoc mirrors the original's items, so it cannot be built without them.
    let SendOutcome::Rejected { messages } = &outcomes[1] else {
        panic!("{outcomes:?}")
    };
    assert!(
        messages.contains("mirrors the items of its original"),
        "{messages}"
    );
    assert!(stub.idocs().await.is_empty());
}
