//! A stub bizplay gateway: `gateway.do` with the real request and response shapes.
//!
//! It serves 0411A from a file of receipts (a 0411A response body), pages them with an
//! opaque NEXT_KEY, and records every write-back (9313 document numbers, 9212 closing, 9011
//! results) so that tests can check what the bridge told bizplay. Closing a receipt drops it
//! from later `CLOSE_YN N` pulls, as bizplay does.
//!
//! | route | what it does |
//! | --- | --- |
//! | `POST` or `GET /gateway.do` | the gateway: form or query field `JSONData` |
//! | `GET /stub/receipts` | every receipt with its closed flag, document number and results |
//! | `GET /stub/writebacks` | every write-back call in order |
//! | `POST /stub/records` | adds records, or replaces those with the same key (a changed receipt) |
//! | `POST /stub/api-key` | `{"state": "expired"}` (or `active`, `suspended`) |
//! | `POST /stub/faults` | `{"kind": K, "times": N, "ms": M}` (K below) |
//! | `POST /stub/reset` | reopens every receipt, forgets write-backs and faults |
//!
//! Fault kinds: `http_503` (no gateway answer), `server_error` (WERR0005), `latency`.
//!
//! The NEXT_KEY is the sort key (LST_MOD_DT, SEQ) of the last record on the page, not an
//! offset, so closing receipts between two pages moves nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// How the stub gateway identifies its one customer.
#[derive(Debug, Clone)]
pub struct StubBizplayConfig {
    pub org_cd: String,
    pub api_key: String,
}

/// Counts of what the stub gateway holds and was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewaySummary {
    pub receipts: usize,
    /// Receipts closed with 9212.
    pub closed: usize,
    /// Receipts with an ERP document number from 9313.
    pub document_numbers: usize,
    /// Receipts with a failure registered with 9011.
    pub failures: usize,
    pub calls_9313: usize,
    pub calls_9212: usize,
    pub calls_9011: usize,
}

/// Receipts are kept as JSON objects keyed by `CARD_NO/APV_DT/SEQ`.
#[derive(Debug, Default)]
struct Gateway {
    records: Vec<Value>,
    closed: HashMap<String, bool>,
    document_numbers: HashMap<String, String>,
    results: HashMap<String, Vec<Value>>,
    writebacks: Vec<Value>,
    key_state: KeyState,
    faults: Vec<Fault>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KeyState {
    #[default]
    Active,
    Expired,
    Suspended,
}

#[derive(Debug, Clone, Deserialize)]
struct Fault {
    kind: FaultKind,
    #[serde(default = "one")]
    times: u32,
    #[serde(default)]
    ms: u64,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FaultKind {
    /// HTTP 503 with no gateway body.
    #[serde(rename = "http_503")]
    Http503,
    /// `WERR0005`: bizplay's own server connection error.
    ServerError,
    /// A delay before answering.
    Latency,
}

/// The stub gateway's shared state.
#[derive(Clone)]
pub struct StubBizplay {
    config: Arc<StubBizplayConfig>,
    gateway: Arc<Mutex<Gateway>>,
}

impl StubBizplay {
    /// A gateway serving `records` (the `RES_DATA` of a 0411A response).
    pub fn new(config: StubBizplayConfig, records: Vec<Value>) -> StubBizplay {
        let gateway = Gateway {
            records,
            ..Gateway::default()
        };
        StubBizplay {
            config: Arc::new(config),
            gateway: Arc::new(Mutex::new(gateway)),
        }
    }

    /// Reads the records from a 0411A response body.
    pub fn from_response(config: StubBizplayConfig, body: &str) -> Result<StubBizplay, String> {
        let value: Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let records = value["RES_DATA"]
            .as_array()
            .ok_or("the file has no RES_DATA array")?;
        Ok(StubBizplay::new(config, records.clone()))
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/gateway.do", post(gateway_post).get(gateway_get))
            .route("/stub/receipts", get(receipts))
            .route("/stub/writebacks", get(writebacks))
            .route("/stub/records", post(upsert_records))
            .route("/stub/api-key", post(set_key_state))
            .route("/stub/faults", post(arm_fault))
            .route("/stub/reset", post(reset))
            .with_state(self.clone())
    }

    /// What the gateway holds and was told.
    pub fn summary(&self) -> GatewaySummary {
        let gateway = self.lock();
        let calls = |api: &str| {
            gateway
                .writebacks
                .iter()
                .filter(|call| call["API_ID"] == api)
                .count()
        };
        GatewaySummary {
            receipts: gateway.records.len(),
            closed: gateway.closed.values().filter(|closed| **closed).count(),
            document_numbers: gateway.document_numbers.len(),
            failures: gateway.results.len(),
            calls_9313: calls("9313"),
            calls_9212: calls("9212"),
            calls_9011: calls("9011"),
        }
    }

    /// Adds receipts, or replaces those with the same key. A changed receipt is open again,
    /// as in bizplay, where editing a closed receipt means reopening it first.
    pub fn upsert(&self, records: Vec<Value>) {
        let mut gateway = self.lock();
        for record in records {
            let key = key_of(&record);
            gateway.closed.remove(&key);
            match gateway
                .records
                .iter_mut()
                .find(|existing| key_of(existing) == key)
            {
                Some(existing) => *existing = record,
                None => gateway.records.push(record),
            }
        }
    }

    /// Lets the API key expire, so that every call answers WAUT0004.
    pub fn expire_api_key(&self) {
        self.lock().key_state = KeyState::Expired;
    }

    /// Reopens every receipt and forgets write-backs, faults and the key state.
    pub fn reset(&self) {
        let mut gateway = self.lock();
        let records = std::mem::take(&mut gateway.records);
        *gateway = Gateway {
            records,
            ..Gateway::default()
        };
    }

    fn lock(&self) -> MutexGuard<'_, Gateway> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.gateway
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn receipt_key(card_no: &str, approval_date: &str, seq: &str) -> String {
    format!("{card_no}/{approval_date}/{seq}")
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn key_of(record: &Value) -> String {
    receipt_key(
        &text(&record["CARD_NO"]),
        &text(&record["APV_DT"]),
        &text(&record["SEQ"]),
    )
}

/// The order 0411A pages in (SORT_GB DA): processing time, then serial number.
fn sort_key(record: &Value) -> (String, u64, String) {
    let seq = text(&record["SEQ"]);
    (
        text(&record["LST_MOD_DT"]),
        seq.parse().unwrap_or(u64::MAX),
        seq,
    )
}

fn reply(code: &str, message: &str) -> Value {
    json!({"RESULT_CD": code, "RESULT_MG": message})
}

async fn gateway_post(
    State(stub): State<StubBizplay>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    gateway(stub, form.get("JSONData").cloned()).await
}

async fn gateway_get(
    State(stub): State<StubBizplay>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    gateway(stub, query.get("JSONData").cloned()).await
}

async fn gateway(stub: StubBizplay, data: Option<String>) -> Response {
    let fault = {
        let mut gateway = stub.lock();
        let fault = gateway.faults.first().cloned();
        if let Some(first) = gateway.faults.first_mut() {
            first.times -= 1;
            if first.times == 0 {
                gateway.faults.remove(0);
            }
        }
        fault
    };
    match fault.map(|f| (f.kind, f.ms)) {
        Some((FaultKind::Http503, _)) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Some((FaultKind::ServerError, _)) => {
            return Json(reply("WERR0005", "서버 연결 오류")).into_response();
        }
        Some((FaultKind::Latency, ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        None => {}
    }
    Json(answer(&stub, data)).into_response()
}

fn answer(stub: &StubBizplay, data: Option<String>) -> Value {
    let Some(request) = data.and_then(|d| serde_json::from_str::<Value>(&d).ok()) else {
        return reply("WFMT0001", "수신 데이터 형식 오류");
    };
    let api_key = text(&request["API_KEY"]);
    let mut gateway = stub.lock();
    if api_key.is_empty() {
        return reply("WAUT0010", "API KEY 미입력");
    }
    if text(&request["ORG_CD"]) != stub.config.org_cd {
        return reply("WAUT0001", "서비스 이용 불가 기관");
    }
    if api_key != stub.config.api_key {
        return reply("WAUT0007", "API KEY 오류");
    }
    match gateway.key_state {
        KeyState::Expired => return reply("WAUT0004", "API KEY 만료"),
        KeyState::Suspended => return reply("WAUT0006", "API KEY 정지"),
        KeyState::Active => {}
    }
    let data = &request["REQ_DATA"];
    if text(&data["BIZ_NO"]) != stub.config.org_cd {
        return reply("WAUT0011", "비즈플레이 경비지출관리 서비스 미가입 사업자");
    }
    match text(&request["API_ID"]).as_str() {
        "0411A" => receipts_page(&gateway, data),
        "9313" => write_document_numbers(&mut gateway, data),
        "9212" => close(&mut gateway, data),
        "9011" => register_result(&mut gateway, data),
        _ => reply("WPAR0001", "API ID 오류"),
    }
}

fn receipts_page(gateway: &Gateway, data: &Value) -> Value {
    let (start, end) = (text(&data["START_DATE"]), text(&data["END_DATE"]));
    let valid_date = |d: &str| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit());
    if !valid_date(&start) || !valid_date(&end) {
        return reply("WPAR0003", "필수 입력값 누락");
    }
    let approval_filter: Vec<String> = text(&data["APPR_STS"])
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let closed_filter = text(&data["CLOSE_YN"]);
    let size: usize = text(&data["REQ_CNT"])
        .trim()
        .parse()
        .unwrap_or(50)
        .clamp(1, 999);
    let after = text(&data["NEXT_KEY"]);
    let after = after.split_once('|').map(|(time, seq)| {
        (
            time.to_owned(),
            seq.parse::<u64>().unwrap_or(u64::MAX),
            seq.to_owned(),
        )
    });

    let mut matching: Vec<&Value> = gateway
        .records
        .iter()
        .filter(|record| {
            let processed = text(&record["LST_MOD_DT"]);
            let day = processed.get(..8).unwrap_or("");
            let closed = gateway
                .closed
                .get(&key_of(record))
                .copied()
                .unwrap_or(false);
            day >= start.as_str()
                && day <= end.as_str()
                && (approval_filter.is_empty()
                    || approval_filter.contains(&text(&record["APPR_STS"])))
                && match closed_filter.as_str() {
                    "N" => !closed,
                    "Y" => closed,
                    _ => true,
                }
        })
        .filter(|record| after.as_ref().is_none_or(|after| sort_key(record) > *after))
        .collect();
    matching.sort_by_key(|record| sort_key(record));
    let more = matching.len() > size;
    matching.truncate(size);
    let next_key = match (more, matching.last()) {
        (true, Some(last)) => format!("{}|{}", text(&last["LST_MOD_DT"]), text(&last["SEQ"])),
        _ => String::new(),
    };
    json!({
        "RESULT_CD": "00000000", "RESULT_MG": "정상", "NEXT_KEY": next_key,
        "RES_DATA": matching,
    })
}

fn known(gateway: &Gateway, key: &str) -> bool {
    gateway.records.iter().any(|record| key_of(record) == key)
}

fn rows(data: &Value) -> Vec<Value> {
    data["REQ_DETAIL"].as_array().cloned().unwrap_or_default()
}

fn row_key(row: &Value) -> String {
    receipt_key(
        &text(&row["CARD_NO"]),
        &text(&row["APV_DT"]),
        &text(&row["SEQ"]),
    )
}

fn write_document_numbers(gateway: &mut Gateway, data: &Value) -> Value {
    gateway
        .writebacks
        .push(json!({"API_ID": "9313", "REQ_DATA": data}));
    let mut details = Vec::new();
    for row in rows(data) {
        let key = row_key(&row);
        let number = text(&row["ERP_DOC_NO"]);
        let ok = known(gateway, &key) && !number.is_empty();
        if ok {
            gateway.document_numbers.insert(key, number.clone());
        }
        details.push(json!({
            "RESULT_YN": if ok { "Y" } else { "N" },
            "FAIL_REASON": if ok { "" } else { "영수증 없음" },
            "BIZ_NO": data["BIZ_NO"], "CARD_NO": row["CARD_NO"], "APV_DT": row["APV_DT"],
            "SEQ": row["SEQ"], "ERP_DOC_NO": number,
        }));
    }
    json!({"RESULT_CD": "00000000", "RESULT_MG": "정상",
           "RES_DATA": {"BIZ_NO": data["BIZ_NO"], "RES_DETAIL": details}})
}

fn close(gateway: &mut Gateway, data: &Value) -> Value {
    gateway
        .writebacks
        .push(json!({"API_ID": "9212", "REQ_DATA": data}));
    let rows = rows(data);
    // bizplay closes all receipts of a request or none.
    if rows.is_empty() || rows.iter().any(|row| !known(gateway, &row_key(row))) {
        return reply("WPAR0002", "입력값 오류: 존재하지 않는 영수증");
    }
    for row in rows {
        gateway
            .closed
            .insert(row_key(&row), text(&row["REQ_STS"]) != "N");
    }
    reply("00000000", "정상")
}

fn register_result(gateway: &mut Gateway, data: &Value) -> Value {
    gateway
        .writebacks
        .push(json!({"API_ID": "9011", "REQ_DATA": data}));
    let key = receipt_key(
        &text(&data["CARD_NO"]),
        &text(&data["APV_DT"]),
        &text(&data["SEQ"]),
    );
    if !known(gateway, &key) {
        return reply("WPAR0002", "입력값 오류: 존재하지 않는 영수증");
    }
    gateway.results.entry(key).or_default().push(data.clone());
    let mut row = data.clone();
    row["PROC_RS"] = json!("A");
    json!({"RESULT_CD": "00000000", "RESULT_MG": "정상", "RES_COUNT": "1", "RES_DATA": [row]})
}

async fn receipts(State(stub): State<StubBizplay>) -> Json<Value> {
    let gateway = stub.lock();
    let receipts: Vec<Value> = gateway
        .records
        .iter()
        .map(|record| {
            let key = key_of(record);
            json!({
                "key": key,
                "closed": gateway.closed.get(&key).copied().unwrap_or(false),
                "erp_doc_no": gateway.document_numbers.get(&key),
                "results": gateway.results.get(&key).cloned().unwrap_or_default(),
            })
        })
        .collect();
    Json(json!(receipts))
}

async fn writebacks(State(stub): State<StubBizplay>) -> Json<Value> {
    Json(json!(stub.lock().writebacks))
}

async fn upsert_records(
    State(stub): State<StubBizplay>,
    Json(records): Json<Vec<Value>>,
) -> Json<Value> {
    let mut gateway = stub.lock();
    let count = records.len();
    for record in records {
        let key = key_of(&record);
        match gateway
            .records
            .iter_mut()
            .find(|existing| key_of(existing) == key)
        {
            Some(existing) => *existing = record,
            None => gateway.records.push(record),
        }
    }
    Json(json!({"upserted": count}))
}

#[derive(Deserialize)]
struct KeyStateRequest {
    state: KeyState,
}

async fn set_key_state(
    State(stub): State<StubBizplay>,
    Json(request): Json<KeyStateRequest>,
) -> StatusCode {
    stub.lock().key_state = request.state;
    StatusCode::NO_CONTENT
}

async fn arm_fault(State(stub): State<StubBizplay>, Json(fault): Json<Fault>) -> Response {
    if fault.times == 0 {
        let body = json!({"error": "times must be at least 1"});
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    }
    stub.lock().faults.push(fault);
    StatusCode::NO_CONTENT.into_response()
}

async fn reset(State(stub): State<StubBizplay>) -> StatusCode {
    let mut gateway = stub.lock();
    let records = std::mem::take(&mut gateway.records);
    *gateway = Gateway {
        records,
        ..Gateway::default()
    };
    StatusCode::NO_CONTENT
}
