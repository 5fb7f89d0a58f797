//! The bizplay client against the stub gateway over a real socket.

use std::net::SocketAddr;
use std::time::Duration;

use bizsap::bizplay::client::{
    GatewayClient, GatewayError, GatewaySettings, ReceiptId, RetryPolicy, Window,
};
use bizsap::net::HttpSettings;
use bizsap::secret::Secret;
use bizsap::serve::Served;
use bizsap::stub::bizplay::{StubBizplay, StubBizplayConfig};
use serde_json::Value;

const ORG: &str = "2148612345";

async fn start() -> Served {
    let body = include_str!("../examples/bizplay-0411A.json");
    let config = StubBizplayConfig {
        org_cd: ORG.into(),
        api_key: "test-key".into(),
    };
    let stub = StubBizplay::from_response(config, body).unwrap();
    Served::start(SocketAddr::from(([127, 0, 0, 1], 0)), stub.router())
        .await
        .unwrap()
}

fn client(served: &Served, key: &str, page_size: u32) -> GatewayClient {
    GatewayClient::new(GatewaySettings {
        url: format!("http://{}/gateway.do", served.addr()),
        org_cd: ORG.into(),
        biz_no: ORG.into(),
        api_key: Secret::new(key),
        page_size,
        http: HttpSettings::default(),
        retry: RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    })
    .unwrap()
}

fn november() -> Window {
    Window {
        start: "20261101".into(),
        end: "20261231".into(),
    }
}

/// Every client, the tests' own too, is built the way bizsap builds them.
fn http() -> reqwest::Client {
    HttpSettings::default().client().unwrap()
}

async fn stub_post(served: &Served, path: &str, body: &str) {
    let response = http()
        .post(format!("http://{}{path}", served.addr()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

async fn stub_get(served: &Served, path: &str) -> Value {
    let body = reqwest::get(format!("http://{}{path}", served.addr()))
        .await
        .unwrap();
    serde_json::from_str(&body.text().await.unwrap()).unwrap()
}

async fn pull_all(client: &GatewayClient) -> (Vec<String>, usize) {
    let mut keys = Vec::new();
    let mut pages = 0;
    let mut next = None;
    loop {
        let page = client.receipts(&november(), next.as_deref()).await.unwrap();
        pages += 1;
        keys.extend(
            page.records
                .iter()
                .map(|r| r.as_ref().unwrap().key.to_string()),
        );
        assert_eq!(page.raw.len(), page.records.len());
        match page.next_key {
            Some(key) => next = Some(key),
            None => return (keys, pages),
        }
    }
}

#[tokio::test]
async fn paging_returns_every_approved_receipt_once() {
    let served = start().await;
    let (keys, pages) = pull_all(&client(&served, "test-key", 40)).await;
    let unique: std::collections::BTreeSet<_> = keys.iter().collect();
    assert_eq!(keys.len(), unique.len(), "no receipt twice");
    assert_eq!(
        keys.len(),
        296,
        "the 299 example receipts less 3 still in approval"
    );
    assert_eq!(pages, 8);
}

#[tokio::test]
async fn an_expired_key_stops_with_a_clear_message() {
    let served = start().await;
    stub_post(&served, "/stub/api-key", r#"{"state": "expired"}"#).await;
    let error = client(&served, "test-key", 50)
        .receipts(&november(), None)
        .await
        .unwrap_err();
    assert!(error.is_fatal());
    assert!(
        matches!(&error, GatewayError::Auth { code, .. } if code == "WAUT0004"),
        "{error}"
    );
    let wrong = client(&served, "wrong-key", 50)
        .receipts(&november(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong, GatewayError::Auth { code, .. } if code == "WAUT0007"),
        "{wrong}"
    );
    assert!(
        !wrong.to_string().contains("wrong-key"),
        "the key never appears in errors"
    );
}

#[tokio::test]
async fn transient_failures_are_retried_and_then_reported() {
    let served = start().await;
    stub_post(
        &served,
        "/stub/faults",
        r#"{"kind": "http_503", "times": 2}"#,
    )
    .await;
    let page = client(&served, "test-key", 10)
        .receipts(&november(), None)
        .await
        .unwrap();
    assert_eq!(page.records.len(), 10, "the third attempt succeeds");

    stub_post(
        &served,
        "/stub/faults",
        r#"{"kind": "server_error", "times": 3}"#,
    )
    .await;
    let error = client(&served, "test-key", 10)
        .receipts(&november(), None)
        .await
        .unwrap_err();
    match error {
        GatewayError::Unavailable {
            attempts: 3, last, ..
        } => assert!(last.contains("WERR0005")),
        other => panic!("expected unavailable, got {other}"),
    }
}

#[tokio::test]
async fn write_backs_are_recorded_and_closed_receipts_leave_the_pull() {
    let served = start().await;
    let client = client(&served, "test-key", 999);
    let page = client.receipts(&november(), None).await.unwrap();
    let first = page.records[0].as_ref().unwrap();
    let receipt = ReceiptId {
        card_no: first.key.card_no.clone(),
        approval_date: bizsap::posting::dats(first.key.approval_date),
        seq: first.key.seq.clone(),
        approval_no: first.approval_no.clone().unwrap(),
    };
    let failed = client
        .write_document_numbers(&[(receipt.clone(), "1000-0100000001-2026".into())])
        .await
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    client.close(std::slice::from_ref(&receipt)).await.unwrap();

    let after = client.receipts(&november(), None).await.unwrap();
    assert_eq!(after.records.len(), page.records.len() - 1);
    let receipts = stub_get(&served, "/stub/receipts").await;
    let key = format!(
        "{}/{}/{}",
        receipt.card_no, receipt.approval_date, receipt.seq
    );
    let stored = receipts
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key.as_str())
        .unwrap();
    assert_eq!(stored["closed"], true);
    assert_eq!(stored["erp_doc_no"], "1000-0100000001-2026");

    let unknown = ReceiptId {
        seq: "0".into(),
        ..receipt.clone()
    };
    assert!(matches!(
        client.close(std::slice::from_ref(&unknown)).await,
        Err(GatewayError::Refused { ref code, .. }) if code == "WPAR0002"
    ));
    client
        .register_failure(&receipt, "F5 201 Posting period 011 2026 is not open")
        .await
        .unwrap();
    let calls: Vec<String> = stub_get(&served, "/stub/writebacks")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|call| call["API_ID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(calls, ["9313", "9212", "9212", "9011"]);
}
