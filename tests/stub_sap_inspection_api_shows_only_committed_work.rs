//! The stub SAP server, started in-process on a free port, seen through its HTTP inspection
//! API over a real socket: pending work is invisible, committed work is listed and summed,
//! faults armed over HTTP act on the engine, and reset empties everything.

use std::net::SocketAddr;
use std::path::Path;

use bizsap::stub::sap::{
    FunctionCall, Logon, MasterData, Session, StubOptions, StubSap, StubSapServer, UserKind,
    structure,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start() -> StubSapServer {
    let source = include_str!("../examples/sap-master-data.toml");
    let master = MasterData::parse(source, Path::new("sap-master-data.toml")).unwrap();
    let sap = StubSap::new(master, StubOptions::default()).unwrap();
    StubSapServer::start_local(sap).await.unwrap()
}

/// A minimal HTTP/1.1 exchange: one request per connection, the answer read to its end.
async fn http(addr: SocketAddr, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|json| json.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();

    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap()
    };
    (status, json)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

fn session(server: &StubSapServer) -> Session {
    let logon = Logon {
        user: "BIZSAP",
        password: "stub-password",
        channel: UserKind::Rfc,
    };
    server.sap().open_session(&logon).unwrap()
}

/// An AO document: 접대비 33,000 won, non-deductible, owed on the corporate card.
fn entertainment(reference: &str) -> FunctionCall {
    FunctionCall::new("BAPI_ACC_DOCUMENT_POST")
        .with_structure(
            "DOCUMENTHEADER",
            structure([
                ("COMP_CODE", "1000"),
                ("DOC_TYPE", "SA"),
                ("DOC_DATE", "20260402"),
                ("PSTNG_DATE", "20260402"),
                ("REF_DOC_NO", reference),
                ("HEADER_TXT", "거래처 접대"),
            ]),
        )
        .with_table(
            "ACCOUNTGL",
            vec![
                structure([
                    ("ITEMNO_ACC", "1"),
                    ("GL_ACCOUNT", "0000081300"),
                    ("COSTCENTER", "0000010100"),
                    ("TAX_CODE", "V5"),
                    ("ITEM_TEXT", "영업1팀 거래처 식사"),
                ]),
                structure([("ITEMNO_ACC", "2"), ("GL_ACCOUNT", "0000025300")]),
            ],
        )
        .with_table(
            "CURRENCYAMOUNT",
            vec![
                structure([
                    ("ITEMNO_ACC", "1"),
                    ("CURRENCY", "KRW"),
                    ("AMT_DOCCUR", "33000"),
                ]),
                structure([
                    ("ITEMNO_ACC", "2"),
                    ("CURRENCY", "KRW"),
                    ("AMT_DOCCUR", "-33000"),
                ]),
            ],
        )
}

fn commit() -> FunctionCall {
    FunctionCall::new("BAPI_TRANSACTION_COMMIT").with_scalar("WAIT", "X")
}

#[tokio::test]
async fn documents_and_totals_list_committed_work_only() {
    let server = start().await;
    let addr = server.http_addr();
    let mut session = session(&server);

    session.call(&entertainment("BZ-0402-01")).await.unwrap();
    let (status, documents) = http(addr, "GET", "/stub/documents", None).await;
    assert_eq!(
        (status, documents),
        (200, json!([])),
        "pending work is invisible"
    );

    session.call(&commit()).await.unwrap();
    let (_, documents) = http(addr, "GET", "/stub/documents", None).await;
    let document = &documents[0];
    assert_eq!(document["obj_key"], "010000000110002026");
    assert_eq!(document["BELNR"], "0100000001");
    assert_eq!(document["XBLNR"], "BZ-0402-01");
    assert_eq!(document["BKTXT"], "거래처 접대");
    assert_eq!(document["reversed_by"], Value::Null);
    let expense = &document["items"][0];
    assert_eq!(expense["account"], "0000081300");
    assert_eq!(expense["amount"], "33000");
    assert_eq!(expense["cost_centre"], "0000010100");
    assert_eq!(expense["tax_code"], "V5");
    assert_eq!(expense["text"], "영업1팀 거래처 식사");

    let (_, totals) = http(addr, "GET", "/stub/totals", None).await;
    assert_eq!(totals["documents"], 1);
    assert_eq!(totals["accounts"]["0000081300"]["KRW"], "33000");
    assert_eq!(totals["accounts"]["0000025300"]["KRW"], "-33000");

    let (status, _) = http(addr, "POST", "/stub/reset", None).await;
    assert_eq!(status, 204);
    let (_, documents) = http(addr, "GET", "/stub/documents", None).await;
    assert_eq!(documents, json!([]));

    server.shutdown().await.unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn faults_armed_over_http_act_on_the_engine() {
    let server = start().await;
    let addr = server.http_addr();

    let rule = json!({"kind": "lose_reply_after_commit", "times": 1});
    let (status, armed) = http(addr, "POST", "/stub/faults", Some(rule)).await;
    assert_eq!(status, 200);
    assert_eq!(
        armed["rules"],
        json!([{"kind": "lose_reply_after_commit", "times": 1}])
    );

    let mut session = session(&server);
    session.call(&entertainment("BZ-0402-02")).await.unwrap();
    let lost = session.call(&commit()).await.unwrap_err();
    assert!(lost.to_string().contains("reply lost"), "{lost}");

    let (_, documents) = http(addr, "GET", "/stub/documents", None).await;
    assert_eq!(
        documents[0]["XBLNR"], "BZ-0402-02",
        "committed although the reply was lost"
    );
    let (_, faults) = http(addr, "GET", "/stub/faults", None).await;
    assert_eq!(
        faults["rules"],
        json!([]),
        "a counted rule disarms when spent"
    );

    let both = json!({"kind": "lock_error", "times": 1, "probability": 0.5});
    let (status, refused) = http(addr, "POST", "/stub/faults", Some(both)).await;
    assert_eq!(status, 422);
    assert!(refused["error"].as_str().unwrap().contains("not both"));
}

#[tokio::test]
async fn calls_by_hand_answer_an_unbalanced_document_as_sap_does() {
    let server = start().await;
    let addr = server.http_addr();
    let mut call = serde_json::to_value(entertainment("BZ-0402-03")).unwrap();
    call["parameters"]["CURRENCYAMOUNT"][1]["AMT_DOCCUR"] = json!("-30000");

    let request = json!({"user": "BIZSAP", "password": "stub-password", "calls": [call]});
    let (status, results) = http(addr, "POST", "/stub/calls", Some(request)).await;
    assert_eq!(status, 200);
    let messages: Vec<(&str, &str)> = results[0]["parameters"]["RETURN"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["NUMBER"].as_str().unwrap(),
                row["MESSAGE"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            ("609", "Error in document: BKPFF $ BSPCLNT100"),
            (
                "022",
                "FI/CO interface: balance in transaction currency 3000 KRW"
            ),
        ]
    );

    let wrong = json!({"user": "BIZSAP", "password": "guess", "calls": []});
    let (status, _) = http(addr, "POST", "/stub/calls", Some(wrong)).await;
    assert_eq!(status, 401);
}
