//! The RFC target's failures against the stub SAP server: each ends as the outcome that
//! keeps a document from being lost or posted twice.

mod rfc_support;

use std::time::{Duration, Instant};

use bizsap::pipeline::{Delivery, SendOutcome, Target};
use bizsap::posting::PostingKind;
use bizsap::sap::rfc::{RfcSettings, RfcTarget};
use bizsap::stub::sap::{FaultKind, FaultRule};
use rfc_support::{
    PASSWORD, deliver_one, delivery, example_postings, one_document, posted_key, restart_stub,
    settings, start_stub, target,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_fatal_with_the_logon_message() {
    let server = start_stub().await;
    let target = RfcTarget::new(settings(server.rfc_addr(), "wrong", 1)).unwrap();

    let outcome = deliver_one(&target, delivery(&one_document())).await;
    let SendOutcome::Fatal { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("Name or password is incorrect"), "{reason}");
    assert!(
        !reason.contains("wrong"),
        "the password never shows: {reason}"
    );
    assert!(server.sap().documents().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_the_post_means_retry_and_a_resend_posts_once() {
    let server = start_stub().await;
    let (sap, rfc_addr) = (server.sap().clone(), server.rfc_addr());
    let target = target(&server, 1);
    let posting = one_document();
    sap.arm_fault(FaultRule::times(FaultKind::Latency { millis: 5_000 }, 1))
        .unwrap();

    let sending = target.deliver(vec![delivery(&posting)]);
    let killing = async {
        // The POST is on its way and held up in the system when it goes down.
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.shutdown().await.unwrap();
    };
    let (outcomes, ()) = tokio::join!(sending, killing);
    let SendOutcome::Retry { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(reason.contains("BAPI_ACC_DOCUMENT_POST"), "{reason}");

    let server = restart_stub(sap, rfc_addr).await;
    assert_eq!(target.lookup(&posting).await, Ok(None));
    let sap_key = posted_key(&deliver_one(&target, delivery(&posting)).await);
    let documents = server.sap().documents();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].obj_key, sap_key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_lost_after_the_commit_is_in_doubt_and_the_lookup_finds_the_document() {
    let server = start_stub().await;
    let target = target(&server, 2);
    let posting = one_document();
    let rule = FaultRule::times(FaultKind::LoseReplyAfterCommit, 1);
    server.sap().arm_fault(rule.clone()).unwrap();

    let outcome = deliver_one(&target, delivery(&posting)).await;
    let SendOutcome::InDoubt { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("BAPI_TRANSACTION_COMMIT"), "{reason}");
    let documents = server.sap().documents();
    assert_eq!(documents.len(), 1, "the commit went through");
    let found = target.lookup(&posting).await;
    assert_eq!(found, Ok(Some(documents[0].obj_key.clone())));

    // A reversal whose reply is lost is found through its original.
    let (_, reversals) = example_postings();
    let mut reversal = reversals[0].clone();
    let reverses = reversal.reverses.as_mut().unwrap();
    reverses.posting_key = Some(posting.key.clone());
    reversal.header.company_code = posting.header.company_code.clone();
    assert_eq!(target.lookup(&reversal).await, Ok(None), "not reversed yet");
    server.sap().arm_fault(rule).unwrap();
    let outcome = deliver_one(
        &target,
        Delivery {
            posting: reversal.clone(),
            original: None,
            original_sap_key: Some(documents[0].obj_key.clone()),
        },
    )
    .await;
    assert!(
        matches!(outcome, SendOutcome::InDoubt { .. }),
        "{outcome:?}"
    );
    let documents = server.sap().documents();
    assert_eq!(documents.len(), 2);
    assert_eq!(
        target.lookup(&reversal).await,
        Ok(Some(documents[1].obj_key.clone()))
    );
    assert_eq!(
        target.lookup(&posting).await,
        Ok(Some(documents[0].obj_key.clone())),
        "the original is still the document of its key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_documents_carry_sap_messages_and_leave_nothing_behind() {
    let server = start_stub().await;
    let target = target(&server, 1);
    let mut closed_period = one_document();
    closed_period.header.posting_date = jiff::civil::date(2025, 6, 30);
    let mut unknown_vendor = one_document();
    for item in &mut unknown_vendor.items {
        if let bizsap::posting::ItemKind::Vendor { vendor, .. } = &mut item.kind {
            *vendor = bizsap::posting::AccountNumber::new("399999").unwrap();
        }
    }

    let outcomes = target
        .deliver(vec![delivery(&closed_period), delivery(&unknown_vendor)])
        .await;
    for (outcome, expected) in outcomes.iter().zip(["E F5 201 ", "E F5 104 "]) {
        let SendOutcome::Rejected { messages } = outcome else {
            panic!("{outcome:?}")
        };
        let lines: Vec<&str> = messages.lines().collect();
        assert!(lines[0].starts_with("E RW 609 "), "{messages}");
        assert!(lines.iter().any(|l| l.starts_with(expected)), "{messages}");
    }
    assert!(server.sap().documents().is_empty());

    // The connection is clean afterwards: the next document posts alone.
    posted_key(&deliver_one(&target, delivery(&one_document())).await);
    assert_eq!(server.sap().documents().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_is_retried_and_a_reversal_without_its_original_is_not_sent() {
    let server = start_stub().await;
    let target = target(&server, 1);
    let posting = one_document();
    server
        .sap()
        .arm_fault(FaultRule::times(FaultKind::LockError, 1))
        .unwrap();

    let outcome = deliver_one(&target, delivery(&posting)).await;
    let SendOutcome::Retry { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("NR 751"), "{reason}");
    assert!(server.sap().documents().is_empty());
    posted_key(&deliver_one(&target, delivery(&posting)).await);

    let (_, reversals) = example_postings();
    assert_eq!(reversals[0].kind, PostingKind::Reversal);
    let outcome = deliver_one(&target, delivery(&reversals[0])).await;
    let SendOutcome::Rejected { messages } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(messages.contains("original"), "{messages}");
    assert_eq!(server.sap().documents().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_the_timeout_is_cancelled_and_the_connection_reopened() {
    let server = start_stub().await;
    let target = RfcTarget::new(RfcSettings {
        call_timeout: Duration::from_millis(300),
        ..settings(server.rfc_addr(), PASSWORD, 1)
    })
    .unwrap();
    let latency = 1_200;
    server
        .sap()
        .arm_fault(FaultRule::times(FaultKind::Latency { millis: latency }, 1))
        .unwrap();
    let (documents, _) = example_postings();

    let started = Instant::now();
    let outcomes = target
        .deliver(vec![delivery(&documents[0]), delivery(&documents[1])])
        .await;
    let SendOutcome::Retry { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(reason.contains("cancelled"), "{reason}");
    assert!(
        started.elapsed() < Duration::from_millis(latency),
        "the hung call did not hold up the next document"
    );
    let second = posted_key(&outcomes[1]);

    // The cancelled POST ends with its session in the system, never committed.
    tokio::time::sleep(Duration::from_millis(latency)).await;
    let ledger = server.sap().documents();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].obj_key, second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_from_sapnwrfc_ini_posts_like_explicit_parameters() {
    let server = start_stub().await;
    let dir = std::env::temp_dir().join(format!("bizsap-rfc-ini-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ini = format!(
        "DEST=BIZSAP_STUB\nASHOST=127.0.0.1\nGWSERV={}\nCLIENT=100\nUSER=BIZSAP\nLANG=EN\n",
        server.rfc_addr().port()
    );
    std::fs::write(dir.join("sapnwrfc.ini"), ini).unwrap();
    let mut settings = settings(server.rfc_addr(), PASSWORD, 1);
    settings.parameters = [("dest".to_owned(), "BIZSAP_STUB".to_owned())].into();
    settings.ini_dir = Some(dir.clone());
    let target = RfcTarget::new(settings).unwrap();

    let (documents, _) = example_postings();
    let outcome = deliver_one(&target, delivery(&documents[0])).await;
    assert!(matches!(outcome, SendOutcome::Posted { .. }), "{outcome:?}");
    assert_eq!(server.sap().documents().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
