//! The bizplay gateway client: one POST per call, form field `JSONData`, JSON back.
//!
//! Errors are sorted by what the caller can do about them. An authentication or IP error
//! (`WAUT*`) will not heal by retrying and stops the sync with a message naming the setting
//! to check. A refused request (`WPAR*`, `WFMT*`) is a bug or a bad setting and is not
//! retried either. Network failures, HTTP 5xx and bizplay's own server errors (`WSND*`,
//! `WERR*`) are retried with exponential backoff; when the attempts run out the caller gets
//! [`GatewayError::Unavailable`] and tries again on the next run.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Page, RESULT_OK};
use crate::net::{HttpSettings, HttpSetupError};
use crate::secret::Secret;

/// Where and how to reach bizplay.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// The gateway URL, e.g. `https://webankapi.appplay.co.kr/gateway.do`.
    pub url: String,
    /// `ORG_CD`, the institution code bizplay issued.
    pub org_cd: String,
    /// `BIZ_NO`, the company's business number.
    pub biz_no: String,
    pub api_key: Secret,
    /// `REQ_CNT`: records per 0411A page (at most 999).
    pub page_size: u32,
    pub http: HttpSettings,
    pub retry: RetryPolicy,
}

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (2, 3, ...): doubling from `first_delay`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(16);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// A call that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "bizplay refused the credentials ({code}: {message}); check the API key, ORG_CD and \
         that this machine's public IP is registered with bizplay"
    )]
    Auth { code: String, message: String },
    #[error("bizplay refused the {api} request ({code}: {message})")]
    Refused {
        api: String,
        code: String,
        message: String,
    },
    #[error("bizplay did not answer {api} after {attempts} attempts: {last}")]
    Unavailable {
        api: String,
        attempts: u32,
        last: String,
    },
    #[error("bizplay's answer to {api} is not a gateway response: {detail}")]
    Malformed { api: String, detail: String },
    #[error(transparent)]
    Setup(#[from] HttpSetupError),
}

impl GatewayError {
    /// Whether the sync must stop: nothing will succeed until a person acts.
    pub fn is_fatal(&self) -> bool {
        matches!(self, GatewayError::Auth { .. } | GatewayError::Setup(_))
    }
}

/// A receipt as the write-back APIs name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptId {
    pub card_no: String,
    /// `APV_DT`, `YYYYMMDD`.
    pub approval_date: String,
    pub seq: String,
    pub approval_no: String,
}

/// The processed-date window of a pull, `YYYYMMDD` both ends inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: String,
    pub end: String,
}

/// A client for one company's gateway access.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    http: reqwest::Client,
    settings: GatewaySettings,
}

enum Attempt {
    Done(Value),
    Transient(String),
    Final(GatewayError),
}

impl GatewayClient {
    pub fn new(settings: GatewaySettings) -> Result<GatewayClient, GatewayError> {
        Ok(GatewayClient {
            http: settings.http.client()?,
            settings,
        })
    }

    /// One 0411A page: approved (APPR_STS 9), not yet closed receipts processed in `window`.
    pub async fn receipts(
        &self,
        window: &Window,
        next_key: Option<&str>,
    ) -> Result<Page, GatewayError> {
        let request = json!({
            "BIZ_NO": self.settings.biz_no,
            "START_DATE": window.start,
            "END_DATE": window.end,
            "APPR_STS": "9",
            "CLOSE_YN": "N",
            "REQ_SPLIT_YN": "Y",
            "SORT_GB": "DA",
            "REQ_CNT": format!("{:03}", self.settings.page_size.clamp(1, 999)),
            "NEXT_KEY": next_key.unwrap_or(""),
        });
        let body = self.call_text("0411A", request).await?;
        super::parse_0411a(&body).map_err(|error| match error {
            super::ResponseError::Malformed(e) => GatewayError::Malformed {
                api: "0411A".into(),
                detail: e.to_string(),
            },
            super::ResponseError::Gateway { code, message } => GatewayError::Refused {
                api: "0411A".into(),
                code,
                message,
            },
        })
    }

    /// 9313: writes the SAP document number back to each receipt. Returns the receipts
    /// bizplay did not accept, with its reason.
    pub async fn write_document_numbers(
        &self,
        rows: &[(ReceiptId, String)],
    ) -> Result<Vec<(ReceiptId, String)>, GatewayError> {
        let detail: Vec<Value> = rows
            .iter()
            .map(|(id, number)| {
                json!({"CARD_NO": id.card_no, "APV_DT": id.approval_date, "SEQ": id.seq,
                       "ERP_DOC_NO": number})
            })
            .collect();
        let request = json!({"BIZ_NO": self.settings.biz_no, "REQ_DETAIL": detail});
        let response = self.call("9313", request).await?;
        let results = response["RES_DATA"]["RES_DETAIL"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let failed = rows
            .iter()
            .filter_map(|(id, _)| {
                let row = results
                    .iter()
                    .find(|r| r["SEQ"] == id.seq.as_str() && r["CARD_NO"] == id.card_no.as_str());
                match row {
                    Some(row) if row["RESULT_YN"] == "Y" => None,
                    Some(row) => Some((id.clone(), text(&row["FAIL_REASON"]))),
                    None => Some((id.clone(), "no result row for this receipt".to_owned())),
                }
            })
            .collect();
        Ok(failed)
    }

    /// 9212: closes the receipts, so that nobody edits what is in the ledger and the next
    /// pull no longer returns them. bizplay closes all of them or none.
    pub async fn close(&self, receipts: &[ReceiptId]) -> Result<(), GatewayError> {
        let detail: Vec<Value> = receipts
            .iter()
            .map(|id| {
                json!({"CARD_NO": id.card_no, "APV_DT": id.approval_date, "SEQ": id.seq,
                       "REQ_STS": "Y"})
            })
            .collect();
        self.call(
            "9212",
            json!({"BIZ_NO": self.settings.biz_no, "REQ_DETAIL": detail}),
        )
        .await?;
        Ok(())
    }

    /// 9011: registers that SAP refused the receipt, with SAP's reason; it stays open so
    /// that it can be corrected.
    ///
    /// The guide documents only the receipt key for this call; `PROC_RS` and `PROC_RS_CONT`
    /// are sent as its response names them, and a gateway that does not know them ignores
    /// them.
    pub async fn register_failure(
        &self,
        receipt: &ReceiptId,
        reason: &str,
    ) -> Result<(), GatewayError> {
        let reason: String = reason.chars().take(100).collect();
        let request = json!({
            "BIZ_NO": self.settings.biz_no, "CARD_NO": receipt.card_no,
            "APV_DT": receipt.approval_date, "SEQ": receipt.seq, "APV_NO": receipt.approval_no,
            "PROC_RS": "N", "PROC_RS_CONT": reason,
        });
        self.call("9011", request).await?;
        Ok(())
    }

    /// One call with retries; the whole JSON answer.
    async fn call(&self, api: &str, request: Value) -> Result<Value, GatewayError> {
        let body = self.call_text(api, request).await?;
        let value: Value = serde_json::from_str(&body).map_err(|e| GatewayError::Malformed {
            api: api.into(),
            detail: e.to_string(),
        })?;
        check_result(api, &value)?;
        Ok(value)
    }

    /// One call with retries; the body of the first answer that is not a transient failure.
    /// The result code is checked here for authentication and server errors only, so that
    /// 0411A's body can be parsed without reading it twice.
    async fn call_text(&self, api: &str, request: Value) -> Result<String, GatewayError> {
        let envelope = json!({
            "API_ID": api,
            "API_KEY": self.settings.api_key.expose(),
            "ORG_CD": self.settings.org_cd,
            "REQ_DATA": request,
        })
        .to_string();
        let policy = self.settings.retry;
        let mut last = String::new();
        for attempt in 1..=policy.attempts.max(1) {
            if attempt > 1 {
                tokio::time::sleep(policy.delay(attempt)).await;
            }
            match self.attempt(api, &envelope).await {
                Attempt::Done(value) => return Ok(value.to_string()),
                Attempt::Final(error) => return Err(error),
                Attempt::Transient(reason) => {
                    tracing::debug!(
                        api,
                        attempt,
                        error = %reason,
                        "bizplay call failed, will retry."
                    );
                    last = reason;
                }
            }
        }
        Err(GatewayError::Unavailable {
            api: api.into(),
            attempts: policy.attempts,
            last,
        })
    }

    async fn attempt(&self, api: &str, envelope: &str) -> Attempt {
        let sent = self
            .http
            .post(&self.settings.url)
            .form(&[("JSONData", envelope)])
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            // reqwest's error text names the URL, never the form body with the key.
            Err(error) => return Attempt::Transient(error.without_url().to_string()),
        };
        let status = response.status();
        if status.is_server_error() {
            return Attempt::Transient(format!("HTTP {status}"));
        }
        let body = match response.text().await {
            Ok(body) => body,
            Err(error) => return Attempt::Transient(error.without_url().to_string()),
        };
        if !status.is_success() {
            return Attempt::Final(GatewayError::Refused {
                api: api.into(),
                code: format!("HTTP {}", status.as_u16()),
                message: body.chars().take(200).collect(),
            });
        }
        let value: Value = match serde_json::from_str(&body) {
            Ok(value) => value,
            Err(e) => {
                let detail = e.to_string();
                return Attempt::Final(GatewayError::Malformed {
                    api: api.into(),
                    detail,
                });
            }
        };
        let code = text(&value["RESULT_CD"]);
        if code.starts_with("WSND") || code.starts_with("WERR") {
            return Attempt::Transient(format!("{code}: {}", text(&value["RESULT_MG"])));
        }
        if code.starts_with("WAUT") {
            let message = text(&value["RESULT_MG"]);
            return Attempt::Final(GatewayError::Auth { code, message });
        }
        Attempt::Done(value)
    }
}

fn check_result(api: &str, value: &Value) -> Result<(), GatewayError> {
    let code = text(&value["RESULT_CD"]);
    if code == RESULT_OK {
        return Ok(());
    }
    let message = text(&value["RESULT_MG"]);
    Err(GatewayError::Refused {
        api: api.into(),
        code,
        message,
    })
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let policy = RetryPolicy {
            attempts: 10,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        let delays: Vec<_> = (2..=7)
            .map(|attempt| policy.delay(attempt).as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn credential_errors_are_fatal_and_say_what_to_check() {
        let error = GatewayError::Auth {
            code: "WAUT0004".into(),
            message: "만료".into(),
        };
        assert!(error.is_fatal());
        assert!(error.to_string().contains("API key"));
        let transient = GatewayError::Unavailable {
            api: "0411A".into(),
            attempts: 3,
            last: "HTTP 503".into(),
        };
        assert!(!transient.is_fatal());
    }
}
