//! What the RFC target's tests share: the stub SAP server started in-process, the stub
//! `libsapnwrfc` loaded through the real loader, and the example month as postings.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bizsap::mapping::{Mapper, Outcome, Rules};
use bizsap::pipeline::{Delivery, SendOutcome, Target};
use bizsap::posting::{Posting, PostingKind};
use bizsap::sap::bapi::Sender;
use bizsap::sap::rfc::{RfcSettings, RfcTarget};
use bizsap::secret::Secret;
use bizsap::stub::sap::idoc_inbound::IdocInbound;
use bizsap::stub::sap::{MasterData, StubOptions, StubSap, StubSapServer};

pub const PASSWORD: &str = "stub-password";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The stub SAP system of the example master data, served on free loopback ports.
pub async fn start_stub() -> StubSapServer {
    let file = repo("examples/sap-master-data.toml");
    let master = MasterData::parse(&std::fs::read_to_string(&file).unwrap(), &file).unwrap();
    let sap = StubSap::new(master, StubOptions::default()).unwrap();
    StubSapServer::start_local(sap).await.unwrap()
}

/// The same system served again on the RFC port it had, as after a restart.
pub async fn restart_stub(sap: StubSap, rfc: SocketAddr) -> StubSapServer {
    let http = SocketAddr::from(([127, 0, 0, 1], 0));
    StubSapServer::start_on(http, rfc, IdocInbound::in_memory(sap))
        .await
        .unwrap()
}

/// The directory cargo put the test binary in, and the stub `libsapnwrfc` with it.
pub fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

pub fn settings(rfc: SocketAddr, password: &str, connections: usize) -> RfcSettings {
    let parameters = [
        ("ashost", "127.0.0.1".to_owned()),
        ("gwserv", rfc.port().to_string()),
        ("client", "100".to_owned()),
        ("user", "BIZSAP".to_owned()),
        ("lang", "EN".to_owned()),
    ];
    RfcSettings {
        library: library_dir(),
        parameters: parameters
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
        password: Secret::new(password),
        connections,
        call_timeout: Duration::from_secs(10),
        sender: Sender::default(),
        ini_dir: None,
    }
}

pub fn target(server: &StubSapServer, connections: usize) -> RfcTarget {
    RfcTarget::new(settings(server.rfc_addr(), PASSWORD, connections)).unwrap()
}

/// Every posting of the example month: documents, then reversals.
pub fn example_postings() -> (Vec<Posting>, Vec<Posting>) {
    let rules_file = repo("examples/rules.toml");
    let source = std::fs::read_to_string(&rules_file).unwrap();
    let rules = Rules::parse(&source, "rules.toml").unwrap();
    let body = std::fs::read_to_string(repo("examples/bizplay-0411A.json")).unwrap();
    let page = bizsap::bizplay::parse_0411a(&body).unwrap();
    let postings = Mapper::new(&rules)
        .map_page(&page.records)
        .into_iter()
        .filter_map(|outcome| match outcome {
            Outcome::Posting(posting) => Some(posting),
            _ => None,
        });
    postings.partition(|posting| posting.kind != PostingKind::Reversal)
}

/// The first vendor invoice of the example month.
pub fn one_document() -> Posting {
    let (documents, _) = example_postings();
    documents
        .into_iter()
        .find(|posting| posting.kind == PostingKind::Ap)
        .unwrap()
}

pub fn delivery(posting: &Posting) -> Delivery {
    Delivery {
        posting: posting.clone(),
        original: None,
        original_sap_key: None,
    }
}

/// Delivers one document and returns its outcome.
pub async fn deliver_one(target: &RfcTarget, delivery: Delivery) -> SendOutcome {
    let mut outcomes = target.deliver(vec![delivery]).await;
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0)
}

/// The SAP key of a posted outcome.
pub fn posted_key(outcome: &SendOutcome) -> String {
    match outcome {
        SendOutcome::Posted { sap_key, messages } => {
            assert!(messages.contains("RW 605"), "{messages}");
            sap_key.clone()
        }
        other => panic!("not posted: {other:?}"),
    }
}

/// Posting key → SAP key of every posted outcome, checking that all were posted.
pub fn posted_keys(postings: &[Posting], outcomes: &[SendOutcome]) -> BTreeMap<String, String> {
    assert_eq!(postings.len(), outcomes.len());
    postings
        .iter()
        .zip(outcomes)
        .map(|(posting, outcome)| (posting.key.to_string(), posted_key(outcome)))
        .collect()
}
