//! The stub SAP's IDoc XML inbound over a real socket, as the bridge's HTTP target meets it:
//! IDocs written from the example month are stored, posted and found again by DOCNUM and by
//! message id; resends, reversals and rejections behave as SAP's; bad logons, oversized
//! bodies and entity bombs are refused before anything is posted; a reply lost after the
//! commit leaves the IDoc findable at status 53.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bizsap::mapping::{Mapper, Outcome, Rules};
use bizsap::net::HttpSettings;
use bizsap::posting::{Posting, PostingKey, PostingKind};
use bizsap::sap::bapi::Sender;
use bizsap::sap::idoc::{Idoc, IdocPartners, IdocSchema, IdocWriter};
use bizsap::stub::sap::idoc_inbound::DEFAULT_MAX_BODY_BYTES;
use bizsap::stub::sap::{MasterData, StubOptions, StubSap, StubSapServer};
use serde_json::{Value, json};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every posting the rules make of the example month, in record order.
fn example_postings() -> Vec<Posting> {
    let rules = Rules::load(&repo("examples/rules.toml")).unwrap();
    let body = std::fs::read_to_string(repo("examples/bizplay-0411A.json")).unwrap();
    let page = bizsap::bizplay::parse_0411a(&body).unwrap();
    Mapper::new(&rules)
        .map_page(&page.records)
        .into_iter()
        .filter_map(|outcome| match outcome {
            Outcome::Posting(posting) => Some(posting),
            _ => None,
        })
        .collect()
}

fn documents(postings: &[Posting]) -> Vec<Posting> {
    postings
        .iter()
        .filter(|p| p.kind != PostingKind::Reversal)
        .cloned()
        .collect()
}

fn idoc(posting: &Posting) -> Idoc {
    Idoc::document(posting, &Sender::default()).unwrap()
}

fn packet<'i>(idocs: impl IntoIterator<Item = &'i Idoc>) -> Vec<u8> {
    let writer = IdocWriter::new(IdocSchema::acc_document03(), IdocPartners::default());
    writer.write_packet(Vec::new(), idocs).unwrap()
}

struct Stub {
    server: StubSapServer,
    client: reqwest::Client,
}

impl Stub {
    async fn start() -> Stub {
        let source = std::fs::read_to_string(repo("examples/sap-master-data.toml")).unwrap();
        let master = MasterData::parse(&source, Path::new("sap-master-data.toml")).unwrap();
        let sap = StubSap::new(master, StubOptions::default()).unwrap();
        let server = StubSapServer::start_local(sap).await.unwrap();
        let client = HttpSettings::default().client().unwrap();
        Stub { server, client }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.http_addr())
    }

    /// POSTs a body to the ICF service as `user` with `password`, to `client`.
    async fn post_as(
        &self,
        client: &str,
        user: &str,
        password: &str,
        body: Vec<u8>,
    ) -> reqwest::Result<(u16, Value)> {
        let url = self.url(&format!("/sap/bc/idoc_xml?sap-client={client}"));
        let response = self
            .client
            .post(url)
            .basic_auth(user, Some(password))
            .header("content-type", "text/xml; charset=utf-8")
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn send(&self, body: Vec<u8>) -> (u16, Value) {
        self.post_as("100", "BIZSAP_IDOC", "stub-password", body)
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_str(&response.text().await.unwrap()).unwrap(),
        )
    }

    async fn by_message_id(&self, idoc: &Idoc) -> (u16, Value) {
        let path = format!("/stub/idocs/by-message-id/{}", idoc.message_id());
        self.get(&path).await
    }

    /// Arms one fault rule through the inspection API.
    async fn arm(&self, rule: Value) {
        let response = self
            .client
            .post(self.url("/stub/faults"))
            .header("content-type", "application/json")
            .body(rule.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }

    async fn document_count(&self) -> usize {
        let (_, documents) = self.get("/stub/documents").await;
        documents.as_array().unwrap().len()
    }
}

fn statuses(record: &Value) -> Vec<&str> {
    record["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|status| status["STATUS"].as_str().unwrap())
        .collect()
}

/// STAPA1..3 of the last status record: OBJ_TYPE, OBJ_KEY, OBJ_SYS on a 53.
fn object_of(record: &Value) -> [String; 3] {
    let last = record["statuses"].as_array().unwrap().last().unwrap();
    ["STAPA1", "STAPA2", "STAPA3"].map(|field| last[field].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_example_month_posts_and_its_cancellations_reverse_their_originals() {
    let stub = Stub::start().await;
    let postings = example_postings();
    let originals = documents(&postings);
    let idocs: Vec<Idoc> = originals.iter().map(idoc).collect();

    let (status, answer) = stub.send(packet(&idocs)).await;
    assert_eq!(status, 200, "{answer}");
    let assigned = answer["idocs"].as_array().unwrap();
    assert_eq!(assigned.len(), idocs.len());
    assert_eq!(assigned[0]["DOCNUM"], "0000000000000001");
    assert_eq!(assigned[0]["transfer_id"], "0000000000000001");
    assert_eq!(assigned[0]["duplicate"], false);

    // The bridge polls by DOCNUM; on the stub the status is final at once.
    let mut obj_keys: HashMap<&PostingKey, String> = HashMap::new();
    for ((posting, idoc), assignment) in originals.iter().zip(&idocs).zip(assigned) {
        assert_eq!(assignment["message_id"], idoc.message_id().as_str());
        let docnum = assignment["DOCNUM"].as_str().unwrap();
        let (status, record) = stub.get(&format!("/stub/idocs/{docnum}")).await;
        assert_eq!(status, 200);
        assert_eq!(statuses(&record), ["50", "64", "53"], "{record}");
        assert_eq!(record["STATUS"], "53");
        let [obj_type, obj_key, obj_sys] = object_of(&record);
        assert_eq!(
            (obj_type.as_str(), obj_sys.as_str()),
            ("BKPFF", "BSPCLNT100")
        );
        assert_eq!(obj_key.len(), 18, "BELNR + BUKRS + GJAHR");
        obj_keys.insert(&posting.key, obj_key);
    }
    assert_eq!(stub.document_count().await, originals.len());

    // Cancellations go as reversal IDocs naming the original's object key from its 53.
    let reversals: Vec<Idoc> = postings
        .iter()
        .filter(|p| p.kind == PostingKind::Reversal)
        .map(|reversal| {
            let original_key = reversal.reverses.as_ref().unwrap().posting_key.as_ref();
            let original = originals.iter().find(|p| Some(&p.key) == original_key);
            let original = original.expect("the example cancels approvals of the same month");
            let obj_key = &obj_keys[&original.key];
            Idoc::reversal(reversal, original, obj_key, &Sender::default()).unwrap()
        })
        .collect();
    assert!(!reversals.is_empty());
    let (status, _) = stub.send(packet(&reversals)).await;
    assert_eq!(status, 200);
    for reversal in &reversals {
        let (_, record) = stub.by_message_id(reversal).await;
        assert_eq!(statuses(&record), ["50", "64", "53"], "{record}");
    }

    let (_, totals) = stub.get("/stub/totals").await;
    assert_eq!(totals["documents"], originals.len() + reversals.len());
    assert_eq!(totals["reversed"], reversals.len());
    let (_, ledger) = stub.get("/stub/documents").await;
    let reversed_with_their_original = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|document| !document["reversed_by"].is_null())
        .all(|document| obj_keys.values().any(|key| document["obj_key"] == *key));
    assert!(reversed_with_their_original);
}

#[tokio::test]
async fn a_resent_idoc_is_answered_with_its_first_docnum_and_not_posted_twice() {
    let stub = Stub::start().await;
    let postings = documents(&example_postings());
    let first = idoc(&postings[0]);
    let second = idoc(&postings[1]);
    let (status, _) = stub.send(packet([&first])).await;
    assert_eq!(status, 200);

    let (status, answer) = stub.send(packet([&first, &second])).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["idocs"],
        json!([
            {"DOCNUM": "0000000000000001", "transfer_id": "0000000000000001",
             "message_id": first.message_id().as_str(), "duplicate": true},
            {"DOCNUM": "0000000000000002", "transfer_id": "0000000000000002",
             "message_id": second.message_id().as_str(), "duplicate": false},
        ])
    );
    assert_eq!(stub.document_count().await, 2);
    let (_, all) = stub.get("/stub/idocs").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_rejected_document_ends_in_51_with_the_engines_messages() {
    let stub = Stub::start().await;
    let mut posting = documents(&example_postings()).remove(0);
    // Posting period 2027/06 is closed in the example master data.
    posting.header.posting_date = jiff::civil::Date::new(2027, 6, 15).unwrap();
    let rejected = idoc(&posting);

    let (status, answer) = stub.send(packet([&rejected])).await;
    assert_eq!(status, 200, "received, whatever becomes of the posting");
    let docnum = answer["idocs"][0]["DOCNUM"].as_str().unwrap();

    let (_, by_docnum) = stub.get(&format!("/stub/idocs/{docnum}")).await;
    let (_, by_message_id) = stub.by_message_id(&rejected).await;
    assert_eq!(by_docnum, by_message_id);
    let record = by_docnum;
    assert_eq!(record["STATUS"], "51");
    assert_eq!(statuses(&record), ["50", "64", "51", "51"]);
    let errors = &record["statuses"].as_array().unwrap()[2..];
    assert_eq!(errors[0]["STAMID"], "RW");
    assert_eq!(errors[0]["STAMNO"], "609");
    assert_eq!(errors[1]["STAMID"], "F5");
    assert_eq!(errors[1]["STAMNO"], "201");
    assert_eq!(errors[1]["STATYP"], "E");
    assert_eq!(errors[1]["STATXT"], "Posting period 006 2027 is not open");
    assert_eq!(record["messages"][1]["FIELD"], "PSTNG_DATE");
    assert_eq!(record["message_id"], rejected.message_id().as_str());
    assert_eq!(stub.document_count().await, 0);
}

#[tokio::test]
async fn a_wrong_password_user_or_client_is_refused_before_anything_is_stored() {
    let stub = Stub::start().await;
    let body = packet([&idoc(&documents(&example_postings())[0])]);

    for (client, user, password) in [
        ("100", "BIZSAP_IDOC", "guess"),
        ("100", "BIZSAP", "stub-password"),
        ("200", "BIZSAP_IDOC", "stub-password"),
    ] {
        let (status, answer) = stub
            .post_as(client, user, password, body.clone())
            .await
            .unwrap();
        assert_eq!(status, 401, "{client} {user}: {answer}");
    }
    let (_, answer) = stub
        .post_as("200", "BIZSAP_IDOC", "stub-password", body.clone())
        .await
        .unwrap();
    assert_eq!(
        answer["error"],
        "Client 200 is not available in this system"
    );

    let url = stub.url("/sap/bc/idoc_xml?sap-client=100");
    let anonymous = stub.client.post(url).body(body).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let challenge = anonymous.headers()["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        "Basic realm=\"SAP NetWeaver Application Server [STB/100]\""
    );

    let (_, idocs) = stub.get("/stub/idocs").await;
    assert_eq!(idocs, json!([]));
    assert_eq!(stub.document_count().await, 0);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let stub = Stub::start().await;
    let mut body = packet([&idoc(&documents(&example_postings())[0])]);
    body.resize(DEFAULT_MAX_BODY_BYTES + 1, b'\n');

    let (status, answer) = stub.send(body).await;
    assert_eq!(status, 413, "{answer}");
    let (_, idocs) = stub.get("/stub/idocs").await;
    assert_eq!(idocs, json!([]));
}

#[tokio::test]
async fn an_entity_bomb_is_refused_and_nothing_is_posted() {
    let stub = Stub::start().await;
    let good = String::from_utf8(packet([&idoc(&documents(&example_postings())[0])])).unwrap();
    let mut entities = String::from("<!ENTITY lol0 \"lol\">\n");
    for level in 1..10 {
        let expansion = format!("&lol{};", level - 1).repeat(10);
        entities.push_str(&format!("<!ENTITY lol{level} \"{expansion}\">\n"));
    }
    let (head, rest) = good.split_once("<ACC_DOCUMENT03>").unwrap();
    let bomb = format!("{head}<!DOCTYPE ACC_DOCUMENT03 [\n{entities}]>\n<ACC_DOCUMENT03>{rest}");
    let bomb = bomb.replacen("<HEADER_TXT>", "<HEADER_TXT>&lol9;", 1);
    assert!(bomb.contains("&lol9;"));

    let (status, answer) = stub.send(bomb.into_bytes()).await;
    assert_eq!(status, 400);
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("DOCTYPE is not accepted"), "{error}");

    // Without its declaration the reference is refused too, not left as text.
    let undeclared = good.replacen("<HEADER_TXT>", "<HEADER_TXT>&lol9;", 1);
    let (status, answer) = stub.send(undeclared.into_bytes()).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("unknown entity &lol9;")
    );

    let (_, idocs) = stub.get("/stub/idocs").await;
    assert_eq!(idocs, json!([]));
    assert_eq!(stub.document_count().await, 0);
}

#[tokio::test]
async fn a_reply_lost_after_the_commit_leaves_the_idoc_at_53_by_message_id() {
    let stub = Stub::start().await;
    let postings = documents(&example_postings());
    let lost = idoc(&postings[0]);
    stub.arm(json!({"kind": "lose_reply_after_commit", "times": 1}))
        .await;

    let outcome = stub
        .post_as("100", "BIZSAP_IDOC", "stub-password", packet([&lost]))
        .await;
    let error = outcome.expect_err("the connection closes without an answer");
    assert!(error.status().is_none() && !error.is_timeout(), "{error:?}");

    // The in-doubt lookup: the IDoc is there, posted, with its document's key.
    let (status, record) = stub.by_message_id(&lost).await;
    assert_eq!(status, 200);
    assert_eq!(record["STATUS"], "53");
    let [_, obj_key, _] = object_of(&record);
    let (_, ledger) = stub.get("/stub/documents").await;
    assert_eq!(ledger[0]["obj_key"], obj_key.as_str());
    assert_eq!(ledger[0]["XBLNR"], postings[0].key.as_str());

    // Sending it again, as a bridge that did not look would, posts nothing.
    let (status, answer) = stub.send(packet([&lost])).await;
    assert_eq!(status, 200);
    assert_eq!(answer["idocs"][0]["duplicate"], true);
    assert_eq!(answer["idocs"][0]["DOCNUM"], record["DOCNUM"]);
    assert_eq!(stub.document_count().await, 1);
}

#[tokio::test]
async fn a_failure_before_posting_is_500_and_leaves_the_idoc_unknown() {
    let stub = Stub::start().await;
    let failed = idoc(&documents(&example_postings())[0]);
    stub.arm(json!({"kind": "fail_before_posting", "times": 1}))
        .await;

    let (status, _) = stub.send(packet([&failed])).await;
    assert_eq!(status, 500);
    let (status, _) = stub.by_message_id(&failed).await;
    assert_eq!(status, 404, "unknown, so the bridge sends it again");

    let (status, answer) = stub.send(packet([&failed])).await;
    assert_eq!(status, 200);
    assert_eq!(answer["idocs"][0]["duplicate"], false);
    let (_, record) = stub.by_message_id(&failed).await;
    assert_eq!(record["STATUS"], "53");
    assert_eq!(stub.document_count().await, 1);
}

#[tokio::test]
async fn unknown_idocs_are_404_and_reset_forgets_every_idoc() {
    let stub = Stub::start().await;
    let posted = idoc(&documents(&example_postings())[0]);
    stub.send(packet([&posted])).await;

    let (status, answer) = stub.get("/stub/idocs/0000000000000099").await;
    assert_eq!(status, 404);
    assert_eq!(answer["error"], "IDoc 0000000000000099 does not exist");
    let (status, _) = stub
        .get("/stub/idocs/by-message-id/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(status, 404);
    let (status, record) = stub.get("/stub/idocs/1").await;
    assert_eq!(
        (status, &record["DOCNUM"]),
        (200, &json!("0000000000000001"))
    );
    let arckey = posted.message_id().arckey().replace(':', "%3A");
    let (status, _) = stub
        .get(&format!("/stub/idocs/by-message-id/{arckey}"))
        .await;
    assert_eq!(status, 200, "the ARCKEY form is accepted too");

    let reset = stub
        .client
        .post(stub.url("/stub/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 204);
    let (_, idocs) = stub.get("/stub/idocs").await;
    assert_eq!(idocs, json!([]));
    let (status, answer) = stub.send(packet([&posted])).await;
    assert_eq!(status, 200);
    assert_eq!(answer["idocs"][0]["DOCNUM"], "0000000000000001");
    assert_eq!(answer["idocs"][0]["duplicate"], false);
}
