//! The IDoc target when things go wrong, against the stub SAP over a real socket: a wrong
//! password, failures before posting, a reply lost after the commit, bodies too large for the
//! server, documents SAP refuses, an unreachable server, and a status service that does not
//! answer what the target needs. None of them posts a document twice.

mod idoc_target_support;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use bizsap::pipeline::{SendOutcome, Target};
use bizsap::posting::Posting;
use bizsap::sap::bapi::Sender;
use bizsap::sap::idoc::{Idoc, IdocPartners, IdocSchema, IdocWriter};
use bizsap::stub::sap::idoc_inbound::InboundOptions;
use idoc_target_support::{
    PASSWORD, Stub, USER, config, delivery, example_documents, posted, target,
};
use serde_json::json;

#[tokio::test]
async fn a_wrong_password_is_fatal_names_the_user_and_stores_nothing() {
    let stub = Stub::start().await;
    let target = target(stub.config("not-the-password", 1));
    let documents = example_documents();

    let outcomes = target
        .deliver(documents[..3].iter().map(delivery).collect())
        .await;
    for outcome in &outcomes {
        let SendOutcome::Fatal { reason } = outcome else {
            panic!("{outcomes:?}")
        };
        assert!(
            reason.starts_with(&format!("SAP refused user {USER} for client 100")),
            "{reason}"
        );
        assert!(
            reason.contains("check [sap.idoc] user and password"),
            "{reason}"
        );
        assert!(!reason.contains("not-the-password"), "{reason}");
    }
    assert!(stub.idocs().await.is_empty());
    assert!(stub.documents().await.is_empty());
}

#[tokio::test]
async fn a_failure_before_posting_is_sent_again_and_posted_once() {
    let stub = Stub::start().await;
    let target = stub.target(20);
    let documents = example_documents();
    stub.arm(json!({"kind": "fail_before_posting", "times": 1}))
        .await;

    let outcomes = target
        .deliver(documents[..3].iter().map(delivery).collect())
        .await;
    for outcome in &outcomes {
        posted(outcome);
    }
    assert!(stub.faults().await.is_empty(), "the fault fired");
    assert_eq!(stub.documents().await.len(), 3);
    assert_eq!(stub.idocs().await.len(), 3);
}

#[tokio::test]
async fn failures_on_every_attempt_leave_the_documents_to_a_later_retry() {
    let stub = Stub::start().await;
    let target = stub.target(20);
    let documents = example_documents();
    stub.arm(json!({"kind": "fail_before_posting", "times": 3}))
        .await;

    let outcomes = target
        .deliver(documents[..2].iter().map(delivery).collect())
        .await;
    for outcome in &outcomes {
        let SendOutcome::Retry { reason } = outcome else {
            panic!("{outcomes:?}")
        };
        assert!(reason.contains("500"), "{reason}");
        assert!(reason.ends_with("(3 attempts)"), "{reason}");
    }
    assert!(stub.documents().await.is_empty());

    let outcomes = target
        .deliver(documents[..2].iter().map(delivery).collect())
        .await;
    assert!(matches!(outcomes[1], SendOutcome::Posted { .. }));
    assert_eq!(stub.documents().await.len(), 2);
}

#[tokio::test]
async fn a_reply_lost_after_the_commit_is_in_doubt_until_the_lookup_finds_it() {
    let stub = Stub::start().await;
    let target = stub.target(20);
    let document = example_documents().remove(0);
    stub.arm(json!({"kind": "lose_reply_after_commit", "times": 1}))
        .await;

    let outcomes = target.deliver(vec![delivery(&document)]).await;
    let SendOutcome::InDoubt { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(reason.contains("without an answer"), "{reason}");

    let ledger = stub.documents().await;
    assert_eq!(ledger.len(), 1, "posted, though no answer came");
    let sap_key = target.lookup(&document).await.unwrap();
    assert_eq!(sap_key.as_deref(), ledger[0]["obj_key"].as_str());

    // Sent again (as after a lookup that could not tell): the first posting's key, no second.
    let outcomes = target.deliver(vec![delivery(&document)]).await;
    assert_eq!(Some(posted(&outcomes[0])), sap_key.as_deref());
    assert_eq!(stub.documents().await.len(), 1);
    assert_eq!(stub.idocs().await.len(), 1);
}

#[tokio::test]
async fn a_posting_never_sent_is_not_found() {
    let stub = Stub::start().await;
    let target = stub.target(20);
    let document = example_documents().remove(0);
    assert_eq!(target.lookup(&document).await, Ok(None));
}

/// Size in bytes of a packet holding `postings`, as the target writes it.
fn packet_size(postings: &[Posting]) -> usize {
    let idocs: Vec<Idoc> = postings
        .iter()
        .map(|posting| Idoc::document(posting, &Sender::default()).unwrap())
        .collect();
    let writer = IdocWriter::new(IdocSchema::acc_document03(), IdocPartners::default());
    writer.write_packet(Vec::new(), &idocs).unwrap().len()
}

#[tokio::test]
async fn a_packet_too_large_for_the_server_is_sent_in_smaller_packets() {
    let documents = example_documents();
    let six = &documents[..6];
    let largest_pair = six.windows(2).map(packet_size).max().unwrap();
    assert!(largest_pair < packet_size(six));
    let stub = Stub::start_with(InboundOptions {
        max_body_bytes: largest_pair,
        ..InboundOptions::default()
    })
    .await;
    let target = stub.target(6);

    let outcomes = target.deliver(six.iter().map(delivery).collect()).await;
    for outcome in &outcomes {
        posted(outcome);
    }
    assert_eq!(stub.documents().await.len(), 6);
    assert_eq!(stub.idocs().await.len(), 6);
}

#[tokio::test]
async fn an_idoc_too_large_on_its_own_is_rejected_unsent() {
    let documents = example_documents();
    let stub = Stub::start_with(InboundOptions {
        max_body_bytes: 1000,
        ..InboundOptions::default()
    })
    .await;
    assert!(packet_size(&documents[..1]) > 1000);
    let target = stub.target(2);

    let outcomes = target
        .deliver(documents[..2].iter().map(delivery).collect())
        .await;
    for outcome in &outcomes {
        let SendOutcome::Rejected { messages } = outcome else {
            panic!("{outcomes:?}")
        };
        assert!(
            messages.starts_with("the IDoc was not received"),
            "{messages}"
        );
        assert!(messages.contains("too large (413"), "{messages}");
    }
    assert!(stub.idocs().await.is_empty());
}

#[tokio::test]
async fn a_document_sap_refuses_is_rejected_with_the_engines_messages() {
    let stub = Stub::start().await;
    let target = stub.target(20);
    let mut documents = example_documents();
    // Posting period 2027/06 is closed in the example master data.
    documents[1].header.posting_date = jiff::civil::Date::new(2027, 6, 15).unwrap();

    let outcomes = target
        .deliver(documents[..3].iter().map(delivery).collect())
        .await;
    posted(&outcomes[0]);
    posted(&outcomes[2]);
    let SendOutcome::Rejected { messages } = &outcomes[1] else {
        panic!("{outcomes:?}")
    };
    let lines: Vec<&str> = messages.lines().collect();
    assert_eq!(lines.len(), 2, "{messages}");
    assert!(lines[0].starts_with("E RW 609 "), "{messages}");
    assert_eq!(lines[1], "E F5 201 Posting period 006 2027 is not open");

    // Refused is not posted: the lookup says so, and a resend reports the refusal again
    // without a second IDoc.
    assert_eq!(target.lookup(&documents[1]).await, Ok(None));
    let again = target.deliver(vec![delivery(&documents[1])]).await;
    assert_eq!(
        again[0],
        SendOutcome::Rejected {
            messages: messages.clone()
        }
    );
    assert_eq!(stub.idocs().await.len(), 3);
    assert_eq!(stub.documents().await.len(), 2);
}

#[tokio::test]
async fn an_unreachable_server_is_a_retry() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let target = target(config(&url, PASSWORD, 20));

    let outcomes = target
        .deliver(vec![delivery(&example_documents()[0])])
        .await;
    let SendOutcome::Retry { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(reason.starts_with("cannot connect to SAP"), "{reason}");
    assert!(target.lookup(&example_documents()[0]).await.is_err());
}

/// A server that takes every packet and answers every status query with `status` and `body`.
async fn fake_sap(status: StatusCode, content_type: &'static str, body: &'static str) -> String {
    let router = Router::new()
        .route("/sap/bc/idoc_xml", post(|| async { r#"{"idocs": []}"# }))
        .route(
            "/stub/idocs/by-message-id/{id}",
            get(move || async move { (status, [(header::CONTENT_TYPE, content_type)], body) }),
        );
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router.into_make_service()).await });
    url
}

#[tokio::test]
async fn an_idoc_that_stays_at_64_is_in_doubt_and_the_lookup_says_so() {
    let record = r#"{"DOCNUM": "0000000000000042", "STATUS": "64", "statuses": []}"#;
    let url = fake_sap(StatusCode::OK, "application/json", record).await;
    let mut config = config(&url, PASSWORD, 20);
    config.poll_timeout = Duration::from_millis(50);
    let target = target(config);
    let document = example_documents().remove(0);

    let outcomes = target.deliver(vec![delivery(&document)]).await;
    let SendOutcome::InDoubt { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(reason.contains("still being processed"), "{reason}");
    assert!(
        reason.contains("IDoc 0000000000000042 at status 64"),
        "{reason}"
    );

    let error = target.lookup(&document).await.unwrap_err();
    assert!(
        error.contains("still being processed at status 64"),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_status_service_is_never_taken_for_an_unknown_idoc() {
    let page = "<html><body><h1>404 Not Found</h1>Service cannot be reached</body></html>";
    let url = fake_sap(StatusCode::NOT_FOUND, "text/html", page).await;
    let target = target(config(&url, PASSWORD, 20));
    let document = example_documents().remove(0);

    let outcomes = target.deliver(vec![delivery(&document)]).await;
    let SendOutcome::InDoubt { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(reason.contains("no IDoc status service"), "{reason}");
    let error = target.lookup(&document).await.unwrap_err();
    assert!(error.contains("no IDoc status service"), "{error}");
}

#[tokio::test]
async fn a_status_service_refusing_the_user_is_in_doubt() {
    let url = fake_sap(StatusCode::FORBIDDEN, "text/html", "Forbidden").await;
    let target = target(config(&url, PASSWORD, 20));
    let document = example_documents().remove(0);

    let outcomes = target.deliver(vec![delivery(&document)]).await;
    let SendOutcome::InDoubt { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(
        reason.contains(&format!("SAP refused user {USER}")),
        "{reason}"
    );
    assert!(target.lookup(&document).await.is_err());
}

#[tokio::test]
async fn a_request_timeout_is_in_doubt_and_never_taken_for_unknown() {
    let stub = Stub::start().await;
    let mut config = stub.config(PASSWORD, 20);
    config.http.request_timeout = Duration::from_millis(300);
    let target = target(config);
    let document = example_documents().remove(0);
    stub.arm(json!({"kind": "latency", "millis": 600, "times": 1}))
        .await;

    let outcomes = target.deliver(vec![delivery(&document)]).await;
    let SendOutcome::InDoubt { reason } = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert!(
        reason.contains("no answer within the request timeout"),
        "{reason}"
    );

    // The IDoc was stored before the client gave up. Until SAP has posted it the lookup
    // says it is being processed, never that it is unknown (which would mean "send again");
    // once posted, it names the document.
    let mut found = None;
    for _ in 0..25 {
        match target.lookup(&document).await {
            Ok(Some(sap_key)) => {
                found = Some(sap_key);
                break;
            }
            Ok(None) => panic!("an IDoc SAP holds was taken for unknown"),
            Err(error) => {
                assert!(
                    error.contains("still being processed at status 64"),
                    "{error}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    // SAP goes on posting an IDoc it received after the sender gave up.
    let sap_key = found.expect("the IDoc is posted although nobody waited for the answer");
    let ledger = stub.documents().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(Some(sap_key.as_str()), ledger[0]["obj_key"].as_str());
}
