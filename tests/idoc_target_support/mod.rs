//! What the IDoc target tests share: the example month's postings, a stub SAP over a real
//! socket, and a target configured for it with short waits.

// Each test file uses a part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use bizsap::config::IdocConfig;
use bizsap::mapping::{Mapper, Outcome, Rules};
use bizsap::net::HttpSettings;
use bizsap::pipeline::{Delivery, SendOutcome};
use bizsap::posting::{ItemKind, Posting, PostingKind};
use bizsap::sap::bapi::Sender;
use bizsap::sap::idoc::IdocTarget;
use bizsap::secret::Secret;
use bizsap::stub::sap::idoc_inbound::{IdocInbound, InboundOptions};
use bizsap::stub::sap::{MasterData, StubOptions, StubSap, StubSapServer};
use rust_decimal::Decimal;
use serde_json::Value;

pub const USER: &str = "BIZSAP_IDOC";
pub const PASSWORD: &str = "stub-password";

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every posting the example rules make of the example month, in record order.
pub fn example_postings() -> Vec<Posting> {
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

/// The example month's documents, without its reversals.
pub fn example_documents() -> Vec<Posting> {
    example_postings()
        .into_iter()
        .filter(|posting| posting.kind != PostingKind::Reversal)
        .collect()
}

pub fn delivery(posting: &Posting) -> Delivery {
    Delivery {
        posting: posting.clone(),
        original: None,
        original_sap_key: None,
    }
}

/// The SAP key of a `Posted` outcome; panics with the outcome otherwise.
pub fn posted(outcome: &SendOutcome) -> &str {
    match outcome {
        SendOutcome::Posted { sap_key, .. } => sap_key,
        other => panic!("expected Posted, got {other:?}"),
    }
}

/// A stub SAP serving HTTP on a free loopback port, and a client for its inspection API.
pub struct Stub {
    pub server: StubSapServer,
    pub http: reqwest::Client,
}

impl Stub {
    pub async fn start() -> Stub {
        Stub::start_with(InboundOptions::default()).await
    }

    /// A stub whose inbound reads bodies of at most `max_body_bytes`.
    pub async fn start_with(options: InboundOptions) -> Stub {
        let source = std::fs::read_to_string(repo("examples/sap-master-data.toml")).unwrap();
        let master = MasterData::parse(&source, Path::new("sap-master-data.toml")).unwrap();
        let sap = StubSap::new(master, StubOptions::default()).unwrap();
        let inbound = IdocInbound::new(sap, options).unwrap();
        let listen = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = StubSapServer::start_with(listen, inbound).await.unwrap();
        let http = HttpSettings::default().client().unwrap();
        Stub { server, http }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.server.http_addr())
    }

    /// The target's configuration for this stub: packets of `packet_size`, polls every 10 ms.
    pub fn config(&self, password: &str, packet_size: usize) -> IdocConfig {
        config(&self.url(), password, packet_size)
    }

    /// A target with the right password, resending a refused packet after 10 ms.
    pub fn target(&self, packet_size: usize) -> IdocTarget {
        target(self.config(PASSWORD, packet_size))
    }

    pub async fn get(&self, path: &str) -> Value {
        let response = self.http.get(format!("{}{path}", self.url())).send().await;
        serde_json::from_str(&response.unwrap().text().await.unwrap()).unwrap()
    }

    /// The committed documents, as `GET /stub/documents` shows them.
    pub async fn documents(&self) -> Vec<Value> {
        self.get("/stub/documents")
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// The IDocs received, as `GET /stub/idocs` shows them.
    pub async fn idocs(&self) -> Vec<Value> {
        self.get("/stub/idocs").await.as_array().unwrap().clone()
    }

    /// The armed fault rules.
    pub async fn faults(&self) -> Vec<Value> {
        self.get("/stub/faults").await["rules"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// Arms one fault rule through the inspection API.
    pub async fn arm(&self, rule: Value) {
        let url = format!("{}/stub/faults", self.url());
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(rule.to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{rule}");
    }
}

pub fn config(url: &str, password: &str, packet_size: usize) -> IdocConfig {
    IdocConfig {
        url: url.to_owned(),
        client: "100".into(),
        user: USER.into(),
        password: Secret::new(password),
        packet_size,
        partners: BTreeMap::new(),
        poll_interval: Duration::from_millis(10),
        poll_timeout: Duration::from_secs(2),
        schema_file: None,
        status_path: None,
        http: HttpSettings {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            ..HttpSettings::default()
        },
    }
}

pub fn target(config: IdocConfig) -> IdocTarget {
    IdocTarget::new(&config, Sender::default())
        .unwrap()
        .with_retries(3, Duration::from_millis(10))
}

/// Where a line posts: G/L account, vendor, or tax code; the stub's line kinds alike.
pub type Account = String;

/// A posting's amounts by account.
pub fn posting_amounts(posting: &Posting) -> HashMap<Account, Decimal> {
    let mut amounts = HashMap::new();
    for item in &posting.items {
        let account = match &item.kind {
            ItemKind::Gl { account, .. } => format!("gl {account}"),
            ItemKind::Vendor { vendor, .. } => format!("vendor {vendor}"),
            ItemKind::Tax => format!("tax {}", item.tax_code.as_deref().unwrap_or_default()),
        };
        *amounts.entry(account).or_default() += item.amount;
    }
    amounts
}

/// A stub document's amounts by account, read from its JSON.
pub fn document_amounts(document: &Value) -> HashMap<Account, Decimal> {
    let mut amounts = HashMap::new();
    for item in document["items"].as_array().unwrap() {
        let text = |field: &str| item[field].as_str().unwrap_or_default().to_owned();
        let account = match item["kind"].as_str().unwrap() {
            "gl" => format!("gl {}", text("account")),
            "vendor" => format!("vendor {}", text("vendor")),
            "tax" => format!("tax {}", text("tax_code")),
            other => panic!("unknown line kind {other}"),
        };
        let amount = match &item["amount"] {
            Value::String(amount) => Decimal::from_str(amount).unwrap(),
            other => Decimal::from_str(&other.to_string()).unwrap(),
        };
        *amounts.entry(account).or_default() += amount;
    }
    amounts
}
