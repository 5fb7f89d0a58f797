//! The IDoc XML target: packets of ACC_DOCUMENT IDocs POSTed to SAP's ICF service
//! `/sap/bc/idoc_xml`, then the status of each IDoc polled until SAP has posted or refused it.
//!
//! # What each answer means
//!
//! SAP answers the POST as soon as it has *stored* the IDocs (status 50, then 64); it posts them
//! afterwards. The answer therefore says "received" and nothing more, and the outcome of each
//! document is read from its status, found by the message id in ARCKEY.
//!
//! Answers to the POST:
//!
//! * 2xx: stored; the status of each IDoc is polled.
//! * 401, 403: the user, its password, the client or its authorisations are wrong: `Fatal`,
//!   said plainly and not retried, since no document can get through.
//! * 404, 405 and other 4xx: the service is missing or refuses the bridge itself: `Fatal`.
//! * 413 (too large) and 400 (unreadable): the packet is refused whole, nothing stored. Its
//!   halves are sent on their own, so one IDoc the server cannot take holds back no other;
//!   an IDoc refused on its own is `Rejected` with the server's reason.
//! * 5xx, 408, 429, no connection: nothing was stored, or what was is recognised on a resend.
//!   The packet is sent again with backoff, then `Retry`.
//! * sent, but no answer (reset after the body was written, the request timeout): SAP may
//!   have stored and posted it: `InDoubt`.
//!
//! Statuses, polled every `poll_interval`:
//!
//! * 53: posted; STAPA2 holds the object key (BELNR + BUKRS + GJAHR): `Posted`.
//! * 51, 56, 60, 63, 65, 68: not posted, one status record per message: `Rejected`, one line
//!   `TYPE ID NUMBER text` per message, as BAPI return messages are written.
//! * 50, 64 and the other statuses on the way to the application: asked again until
//!   `poll_timeout` passes, then `InDoubt`.
//!
//! # Exactly once
//!
//! Every IDoc carries its posting's message id ([`MessageId`]), the same on every send. SAP
//! stores a message id once: an IDoc that comes again is answered with its first DOCNUM and not
//! posted again, whatever became of the first. So a resend is always safe, and the 5xx and
//! connection retries above resend the whole packet: the IDocs SAP already holds are recognised,
//! the others are stored.
//!
//! A request that was sent but never answered (the connection reset after the body was written,
//! or the request timeout) may have been stored and posted, or not at all. Its IDocs are
//! reported `InDoubt`, and [`IdocTarget::lookup`] resolves them by message id before anything is
//! sent again:
//!
//! * 53: posted, with STAPA2's object key;
//! * no IDoc with that message id: never received, safe to send again;
//! * 51 and the other error statuses: received and refused. The lookup answers "not posted", so
//!   the document is sent again; SAP recognises the message id, posts nothing, and the status
//!   poll of that send reports the refusal with SAP's messages;
//! * 50, 64 and the other statuses on the way: still being processed. The lookup says so as an
//!   error, the document stays in doubt, and the next pass asks again.
//!
//! # Status service
//!
//! SAP has no standard HTTP service for IDoc statuses. The target reads them from
//! `<url><status path>/<message id>?sap-client=NNN`, which answers the IDoc's control and status
//! records as JSON, as the stub SAP's status API does ([`DEFAULT_STATUS_PATH`]); on a real
//! system such a service must be installed (docs/basis.md). A 404 counts as "no such IDoc" only
//! when it comes as JSON from that service: an ICF page saying the service does not exist must
//! not be taken as "never received".

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::MessageId;
use super::schema::{IdocSchema, SchemaError};
use super::writer::{Idoc, IdocPartners, IdocWriter};
use crate::config::IdocConfig;
use crate::net::HttpSetupError;
use crate::pipeline::{Delivery, SendOutcome, Target};
use crate::posting::{Posting, PostingKind};
use crate::sap::bapi::Sender;
use crate::secret::Secret;

/// Path of SAP's IDoc XML inbound service.
pub const ICF_PATH: &str = "/sap/bc/idoc_xml";

/// Where IDoc statuses are read by message id unless [`IdocTarget::with_status_path`] says
/// otherwise: the stub SAP's status API.
pub const DEFAULT_STATUS_PATH: &str = "/stub/idocs/by-message-id";

/// POSTs of one packet before its IDocs are left to the pipeline's own retries.
const DEFAULT_ATTEMPTS: u32 = 3;

/// Wait before the first resend of a packet; doubles with each further one.
const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Longest piece of an error answer quoted in a reason.
const QUOTE_LEN: usize = 300;

/// Why the target cannot be set up from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum IdocTargetError {
    #[error("[sap.idoc] url \"{url}\" is not an http or https URL")]
    Url { url: String },
    #[error("[sap.idoc] client \"{0}\" is not a three-digit SAP client")]
    Client(String),
    #[error("[sap.idoc] user is empty")]
    User,
    #[error(
        "[sap.idoc.partners] has no field {0}: use SNDPOR, SNDPRT, SNDPRN, RCVPOR, RCVPRT or RCVPRN"
    )]
    PartnerField(String),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Http(#[from] HttpSetupError),
}

/// Delivery of postings as IDoc XML over HTTP; see the module documentation.
#[derive(Debug)]
pub struct IdocTarget {
    http: reqwest::Client,
    base: Url,
    post_url: Url,
    status_path: String,
    client: String,
    user: String,
    password: Secret,
    schema: IdocSchema,
    partners: IdocPartners,
    sender: Sender,
    packet_size: NonZeroUsize,
    poll_interval: Duration,
    poll_timeout: Duration,
    attempts: u32,
    retry_delay: Duration,
}

impl IdocTarget {
    /// A target for the system in `config`, with the IDoc definition from its schema file or
    /// the built-in ACC_DOCUMENT03.
    pub fn new(config: &IdocConfig, sender: Sender) -> Result<IdocTarget, IdocTargetError> {
        let url_error = || IdocTargetError::Url {
            url: config.url.clone(),
        };
        let base = Url::parse(config.url.trim_end_matches('/')).map_err(|_| url_error())?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(url_error());
        }
        let client = config.client.trim();
        if client.len() != 3 || !client.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdocTargetError::Client(config.client.clone()));
        }
        if config.user.trim().is_empty() {
            return Err(IdocTargetError::User);
        }
        let schema = match &config.schema_file {
            Some(path) => IdocSchema::load(path)?,
            None => IdocSchema::acc_document03().clone(),
        };
        let mut post_url = with_path(&base, ICF_PATH);
        post_url.query_pairs_mut().append_pair("sap-client", client);
        Ok(IdocTarget {
            http: config.http.client()?,
            post_url,
            base,
            status_path: format!(
                "/{}",
                config
                    .status_path
                    .as_deref()
                    .unwrap_or(DEFAULT_STATUS_PATH)
                    .trim_matches('/')
            ),
            client: client.to_owned(),
            user: config.user.trim().to_owned(),
            password: config.password.clone(),
            schema,
            partners: partners(&config.partners)?,
            sender,
            packet_size: NonZeroUsize::new(config.packet_size).unwrap_or(NonZeroUsize::MIN),
            poll_interval: config.poll_interval,
            poll_timeout: config.poll_timeout,
            attempts: DEFAULT_ATTEMPTS,
            retry_delay: DEFAULT_RETRY_DELAY,
        })
    }

    /// Reads IDoc statuses from `path` (below the configured URL) instead of
    /// [`DEFAULT_STATUS_PATH`].
    pub fn with_status_path(mut self, path: &str) -> IdocTarget {
        self.status_path = format!("/{}", path.trim_matches('/'));
        self
    }

    /// POSTs a packet up to `attempts` times, waiting `delay` before the first resend and
    /// twice as long before each further one.
    pub fn with_retries(mut self, attempts: u32, delay: Duration) -> IdocTarget {
        self.attempts = attempts.max(1);
        self.retry_delay = delay;
        self
    }

    /// The URL packets are POSTed to.
    pub fn post_url(&self) -> &Url {
        &self.post_url
    }

    /// The status of the IDoc with message id `id`; `None` when SAP has no such IDoc.
    pub async fn status(&self, id: &MessageId) -> Result<Option<IdocStatus>, StatusError> {
        let path = format!("{}/{}", self.status_path.trim_end_matches('/'), id.as_str());
        let mut url = with_path(&self.base, &path);
        url.query_pairs_mut()
            .append_pair("sap-client", &self.client);
        let response = self
            .http
            .get(url)
            .basic_auth(&self.user, Some(self.password.expose()))
            .send()
            .await
            .map_err(|error| StatusError::Unreachable(error_chain(&error)))?;
        let status = response.status();
        let json = is_json(response.headers().get(CONTENT_TYPE));
        let text = response
            .text()
            .await
            .map_err(|error| StatusError::Unreachable(error_chain(&error)))?;
        match status {
            StatusCode::OK => serde_json::from_str(&text)
                .map(Some)
                .map_err(|error| StatusError::Unreadable(format!("{error}: {}", quote(&text)))),
            StatusCode::NOT_FOUND if json => Ok(None),
            StatusCode::NOT_FOUND => Err(StatusError::NoService(self.status_path.clone())),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(StatusError::Refused {
                user: self.user.clone(),
                client: self.client.clone(),
                status: status.as_u16(),
            }),
            _ => Err(StatusError::Answer {
                status: status.as_u16(),
                text: quote(&text),
            }),
        }
    }

    /// The IDoc of one delivery, checked against the definition, or the outcome that stops it.
    fn build(&self, writer: &IdocWriter<'_>, delivery: &Delivery) -> Result<Idoc, SendOutcome> {
        let posting = &delivery.posting;
        let rejected = |messages: String| SendOutcome::Rejected { messages };
        let idoc = if posting.kind == PostingKind::Reversal {
            let original_key = posting
                .reverses
                .as_ref()
                .and_then(|r| r.posting_key.as_ref());
            let Some(original_key) = original_key else {
                return Err(rejected(format!(
                    "reversal {} names no original posting",
                    posting.key
                )));
            };
            let Some(sap_key) = delivery.original_sap_key.as_deref() else {
                return Err(rejected(format!(
                    "reversal {} cannot be sent: its original {original_key} has no SAP \
                     document key",
                    posting.key
                )));
            };
            let Some(original) = &delivery.original else {
                return Err(rejected(format!(
                    "reversal {} cannot be sent as an IDoc: it mirrors the items of its \
                     original {original_key}, which the delivery does not carry",
                    posting.key
                )));
            };
            Idoc::reversal(posting, original, sap_key, &self.sender)
        } else {
            Idoc::document(posting, &self.sender)
        };
        let idoc = idoc.map_err(|error| rejected(error.to_string()))?;
        writer
            .check(&idoc)
            .map_err(|error| rejected(error.to_string()))?;
        Ok(idoc)
    }

    /// POSTs one packet, resending it on answers that mean nothing was posted.
    async fn send(&self, body: &[u8], count: usize) -> Sent {
        let mut delay = self.retry_delay;
        let mut attempt = 1;
        loop {
            let sent = self.post(body, count).await;
            let Sent::Transient(reason) = sent else {
                return sent;
            };
            if attempt >= self.attempts {
                let reason = if self.attempts > 1 {
                    format!("{reason} ({attempt} attempts)")
                } else {
                    reason
                };
                return Sent::Transient(reason);
            }
            tracing::warn!(
                attempt,
                error = reason,
                "IDoc packet not received; sending again."
            );
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
            attempt += 1;
        }
    }

    async fn post(&self, body: &[u8], count: usize) -> Sent {
        let response = self
            .http
            .post(self.post_url.clone())
            .basic_auth(&self.user, Some(self.password.expose()))
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body.to_vec())
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            // A connection that was never made carried nothing.
            Err(error) if error.is_connect() => {
                return Sent::Transient(format!("cannot connect to SAP: {}", error_chain(&error)));
            }
            Err(error) => {
                let what = if error.is_timeout() {
                    "no answer within the request timeout"
                } else {
                    "the connection ended without an answer"
                };
                return Sent::NoAnswer(format!(
                    "{what} after a packet of {count} IDocs was sent: {}",
                    error_chain(&error)
                ));
            }
        };
        let status = response.status();
        if status.is_success() {
            // The answer names DOCNUMs at most, never an outcome: the statuses tell that.
            let text = response.text().await.unwrap_or_default();
            tracing::debug!(
                idocs = count,
                answer = quote(&text),
                "IDoc packet received."
            );
            return Sent::Received;
        }
        let text = response.text().await.unwrap_or_default();
        let answer = format!("{} {}", status.as_u16(), quote(&text));
        match status {
            StatusCode::UNAUTHORIZED => Sent::Fatal(format!(
                "SAP refused user {} for client {} ({answer}): check [sap.idoc] user and password",
                self.user, self.client
            )),
            StatusCode::FORBIDDEN => Sent::Fatal(format!(
                "SAP refused user {} for client {} access to {ICF_PATH} ({answer}): check the \
                 user's authorisations for the ICF service and IDoc inbound",
                self.user, self.client
            )),
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => Sent::Fatal(format!(
                "SAP has no IDoc XML service at {} ({answer}): activate {ICF_PATH} in SICF",
                self.post_url
            )),
            StatusCode::PAYLOAD_TOO_LARGE => Sent::TooLarge(format!(
                "SAP refuses a body of {} bytes as too large ({answer})",
                body.len()
            )),
            StatusCode::BAD_REQUEST => Sent::Unreadable(format!("SAP cannot read it ({answer})")),
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => {
                Sent::Transient(format!("SAP did not take the packet ({answer})"))
            }
            status if status.is_server_error() => {
                Sent::Transient(format!("SAP failed before posting ({answer})"))
            }
            _ => Sent::Fatal(format!(
                "SAP refused the IDoc XML request to {} ({answer})",
                self.post_url
            )),
        }
    }

    /// Asks for the status of each IDoc until every one is final or `poll_timeout` passes.
    async fn poll(&self, waiting: Vec<(usize, MessageId)>, outcomes: &mut [Option<SendOutcome>]) {
        let deadline = Instant::now() + self.poll_timeout;
        let mut waiting: Vec<(usize, MessageId, String)> = waiting
            .into_iter()
            .map(|(index, id)| (index, id, String::new()))
            .collect();
        loop {
            let mut still = Vec::with_capacity(waiting.len());
            for (index, id, _) in waiting {
                match self.status(&id).await {
                    Ok(Some(status)) => match status.outcome() {
                        Some(outcome) => outcomes[index] = Some(outcome),
                        None => {
                            let last =
                                format!("IDoc {} at status {}", status.docnum, status.status);
                            still.push((index, id, last));
                        }
                    },
                    Ok(None) => {
                        // Stored before the answer, so it should be there; a system that
                        // stores asynchronously may show it a moment later.
                        still.push((index, id, "no IDoc with this message id yet".to_owned()));
                    }
                    Err(error @ (StatusError::Refused { .. } | StatusError::NoService(_))) => {
                        let reason = format!("received, but its status cannot be read: {error}");
                        outcomes[index] = Some(SendOutcome::InDoubt { reason });
                    }
                    Err(error) => still.push((index, id, error.to_string())),
                }
            }
            if still.is_empty() {
                return;
            }
            if Instant::now() + self.poll_interval > deadline {
                for (index, id, last) in still {
                    let reason = format!(
                        "received, but still being processed after {:?} (message id {id}: \
                         {last}); asked again on the next run",
                        self.poll_timeout
                    );
                    outcomes[index] = Some(SendOutcome::InDoubt { reason });
                }
                return;
            }
            tokio::time::sleep(self.poll_interval).await;
            waiting = still;
        }
    }
}

impl Target for IdocTarget {
    async fn deliver(&self, batch: Vec<Delivery>) -> Vec<SendOutcome> {
        let writer = IdocWriter::new(&self.schema, self.partners.clone());
        let mut outcomes: Vec<Option<SendOutcome>> = vec![None; batch.len()];
        let mut ready = Vec::with_capacity(batch.len());
        for (index, delivery) in batch.iter().enumerate() {
            match self.build(&writer, delivery) {
                Ok(idoc) => ready.push((index, idoc)),
                Err(outcome) => outcomes[index] = Some(outcome),
            }
        }

        // Packets still to send; a packet the server refuses whole is split in halves, so
        // that one IDoc it cannot take does not hold back the others.
        let mut queue: Vec<&[(usize, Idoc)]> = ready.chunks(self.packet_size.get()).rev().collect();
        let mut received = Vec::with_capacity(ready.len());
        let mut fatal: Option<String> = None;
        while let Some(packet) = queue.pop() {
            if let Some(reason) = &fatal {
                for (index, _) in packet {
                    outcomes[*index] = Some(SendOutcome::Fatal {
                        reason: reason.clone(),
                    });
                }
                continue;
            }
            let body = match writer.write_packet(Vec::new(), packet.iter().map(|(_, idoc)| idoc)) {
                Ok(body) => body,
                Err(error) => {
                    // Every IDoc was checked above; only the writer itself can fail here.
                    for (index, _) in packet {
                        outcomes[*index] = Some(SendOutcome::Retry {
                            reason: error.to_string(),
                        });
                    }
                    continue;
                }
            };
            let each = |outcomes: &mut [Option<SendOutcome>], outcome: SendOutcome| {
                for (index, _) in packet {
                    outcomes[*index] = Some(outcome.clone());
                }
            };
            match self.send(&body, packet.len()).await {
                Sent::Received => {
                    let ids = packet
                        .iter()
                        .map(|(i, idoc)| (*i, idoc.message_id().clone()));
                    received.extend(ids);
                }
                Sent::TooLarge(reason) | Sent::Unreadable(reason) if packet.len() > 1 => {
                    tracing::info!(
                        idocs = packet.len(),
                        reason,
                        "IDoc packet refused whole; sending its halves."
                    );
                    let (first, second) = packet.split_at(packet.len() / 2);
                    queue.push(second);
                    queue.push(first);
                }
                Sent::TooLarge(reason) | Sent::Unreadable(reason) => {
                    let messages = format!("the IDoc was not received: {reason}");
                    each(&mut outcomes, SendOutcome::Rejected { messages });
                }
                Sent::Transient(reason) => each(&mut outcomes, SendOutcome::Retry { reason }),
                Sent::NoAnswer(reason) => each(&mut outcomes, SendOutcome::InDoubt { reason }),
                Sent::Fatal(reason) => {
                    each(
                        &mut outcomes,
                        SendOutcome::Fatal {
                            reason: reason.clone(),
                        },
                    );
                    fatal = Some(reason);
                }
            }
        }

        self.poll(received, &mut outcomes).await;
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| SendOutcome::InDoubt {
                    reason: "no outcome recorded for the IDoc".to_owned(),
                })
            })
            .collect()
    }

    async fn lookup(&self, posting: &Posting) -> Result<Option<String>, String> {
        let id = MessageId::for_posting(&posting.key);
        let Some(status) = self.status(&id).await.map_err(|error| error.to_string())? else {
            return Ok(None);
        };
        match status.outcome() {
            Some(SendOutcome::Posted { sap_key, .. }) => Ok(Some(sap_key)),
            // Refused: a resend is recognised, posts nothing, and reports SAP's messages.
            Some(_) => Ok(None),
            None => Err(format!(
                "IDoc {} (message id {id}) is still being processed at status {}; asked again \
                 on the next run",
                status.docnum, status.status
            )),
        }
    }
}

/// What became of one POST.
enum Sent {
    Received,
    TooLarge(String),
    Unreadable(String),
    /// Nothing was posted, or what was is recognised on a resend.
    Transient(String),
    /// Sent, but no answer came.
    NoAnswer(String),
    Fatal(String),
}

/// Why an IDoc status could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StatusError {
    #[error("cannot reach SAP for the IDoc status: {0}")]
    Unreachable(String),
    #[error("SAP refused user {user} for client {client} the IDoc status ({status})")]
    Refused {
        user: String,
        client: String,
        status: u16,
    },
    #[error("SAP has no IDoc status service at {0}")]
    NoService(String),
    #[error("the IDoc status answer cannot be read: {0}")]
    Unreadable(String),
    #[error("the IDoc status service answered {status}: {text}")]
    Answer { status: u16, text: String },
}

/// An IDoc's number, current status and status records, as the status service answers them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdocStatus {
    #[serde(rename = "DOCNUM")]
    pub docnum: String,
    /// EDIDC-STATUS: the status of the last status record.
    #[serde(rename = "STATUS")]
    pub status: String,
    #[serde(default)]
    pub statuses: Vec<StatusRecord>,
}

/// One status record (EDIDS).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StatusRecord {
    #[serde(rename = "STATUS")]
    pub status: String,
    #[serde(rename = "STATYP")]
    pub message_type: String,
    #[serde(rename = "STAMID")]
    pub message_class: String,
    #[serde(rename = "STAMNO")]
    pub message_number: String,
    #[serde(rename = "STAPA1")]
    pub stapa1: String,
    #[serde(rename = "STAPA2")]
    pub stapa2: String,
    #[serde(rename = "STAPA3")]
    pub stapa3: String,
    #[serde(rename = "STAPA4")]
    pub stapa4: String,
    #[serde(rename = "STATXT")]
    pub text: String,
}

/// Statuses of an inbound IDoc that SAP will not post without a person.
const REFUSED: [&str; 6] = ["51", "56", "60", "63", "65", "68"];

/// The status of a posted inbound IDoc.
const POSTED: &str = "53";

impl IdocStatus {
    /// `Posted` at 53, `Rejected` at an error status, `None` while SAP is still on it.
    pub fn outcome(&self) -> Option<SendOutcome> {
        let current = self.status.trim();
        let records: Vec<&StatusRecord> = self
            .statuses
            .iter()
            .filter(|record| record.status.trim() == current)
            .collect();
        let lines = |default_type: &str| -> String {
            let lines: Vec<String> = records
                .iter()
                .filter(|record| !record.message_class.trim().is_empty())
                .map(|record| record.line(default_type))
                .collect();
            if lines.is_empty() {
                records
                    .last()
                    .map(|record| record.text.trim().to_owned())
                    .unwrap_or_default()
            } else {
                lines.join("\n")
            }
        };
        if current == POSTED {
            // The object key is the second variable of the posting's success message.
            let sap_key = records
                .iter()
                .rev()
                .map(|record| record.stapa2.trim())
                .find(|key| !key.is_empty())?;
            return Some(SendOutcome::Posted {
                sap_key: sap_key.to_owned(),
                messages: lines("S"),
            });
        }
        if REFUSED.contains(&current) {
            let mut messages = lines("E");
            if messages.is_empty() {
                messages = format!("IDoc {} not posted (status {current})", self.docnum);
            }
            return Some(SendOutcome::Rejected { messages });
        }
        None
    }
}

impl StatusRecord {
    /// `TYPE ID NUMBER text`, as BAPI return messages are written everywhere in the bridge.
    pub fn line(&self, default_type: &str) -> String {
        let kind = match self.message_type.trim() {
            "" => default_type,
            kind => kind,
        };
        format!(
            "{kind} {} {} {}",
            self.message_class.trim(),
            self.message_number.trim(),
            self.message()
        )
    }

    /// STATXT with its placeholders filled. SAP stores the short text of the message with `&`
    /// or `&1`..`&4` and the values in STAPA1..4; a text already filled is left as it is.
    pub fn message(&self) -> String {
        let values = [&self.stapa1, &self.stapa2, &self.stapa3, &self.stapa4];
        let text = self.text.trim();
        let mut out = String::with_capacity(text.len());
        let mut next = 0;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '&' {
                out.push(c);
                continue;
            }
            let numbered = chars
                .peek()
                .and_then(|d| d.to_digit(10))
                .filter(|d| (1..=4).contains(d));
            let value = match numbered {
                Some(digit) => {
                    chars.next();
                    values.get(digit as usize - 1)
                }
                // A bare `&` is a placeholder only where a word would end.
                None if chars
                    .peek()
                    .is_none_or(|c| c.is_whitespace() || ",.;:)".contains(*c)) =>
                {
                    next += 1;
                    values.get(next - 1)
                }
                None => {
                    out.push('&');
                    continue;
                }
            };
            out.push_str(value.map_or("", |value| value.trim()));
        }
        out
    }
}

/// The partners of the control record: the configured fields over the defaults.
fn partners(
    fields: &std::collections::BTreeMap<String, String>,
) -> Result<IdocPartners, IdocTargetError> {
    let mut partners = IdocPartners::default();
    for (name, value) in fields {
        let field = match name.to_ascii_uppercase().as_str() {
            "SNDPOR" => &mut partners.sndpor,
            "SNDPRT" => &mut partners.sndprt,
            "SNDPRN" => &mut partners.sndprn,
            "RCVPOR" => &mut partners.rcvpor,
            "RCVPRT" => &mut partners.rcvprt,
            "RCVPRN" => &mut partners.rcvprn,
            _ => return Err(IdocTargetError::PartnerField(name.clone())),
        };
        value.trim().clone_into(field);
    }
    Ok(partners)
}

/// `base` with `path` appended to its own path.
fn with_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    url
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("json"))
}

/// The error and its causes on one line: reqwest's own message rarely names the cause.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// An answer's text for a reason: the `error` of a JSON answer, or the text of an HTML page,
/// on one line and cut short.
fn quote(body: &str) -> String {
    let text = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("error")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| strip_tags(body));
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(QUOTE_LEN) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::net::HttpSettings;

    fn config() -> IdocConfig {
        IdocConfig {
            url: "https://sap.example.com:44300/".into(),
            client: "100".into(),
            user: "BIZSAP_IDOC".into(),
            password: Secret::new("hunter2"),
            packet_size: 20,
            partners: BTreeMap::new(),
            poll_interval: Duration::from_millis(500),
            poll_timeout: Duration::from_secs(300),
            schema_file: None,
            status_path: None,
            http: HttpSettings::default(),
        }
    }

    fn record(
        status: &str,
        class: &str,
        number: &str,
        text: &str,
        stapa: [&str; 4],
    ) -> StatusRecord {
        StatusRecord {
            status: status.into(),
            message_type: if class.is_empty() {
                String::new()
            } else {
                "E".into()
            },
            message_class: class.into(),
            message_number: number.into(),
            stapa1: stapa[0].into(),
            stapa2: stapa[1].into(),
            stapa3: stapa[2].into(),
            stapa4: stapa[3].into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_service_url_carries_the_client_and_the_password_is_not_shown() {
        let target = IdocTarget::new(&config(), Sender::default()).unwrap();
        assert_eq!(
            target.post_url().as_str(),
            "https://sap.example.com:44300/sap/bc/idoc_xml?sap-client=100"
        );
        assert!(!format!("{target:?}").contains("hunter2"));
    }

    #[test]
    fn deliveries_and_lookups_can_run_on_other_threads() {
        fn send<T: Send>(_: &T) {}
        let target = IdocTarget::new(&config(), Sender::default()).unwrap();
        send(&target.deliver(Vec::new()));
        let rules = crate::mapping::Rules::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/rules.toml"
        )))
        .unwrap();
        let body = include_str!("../../../examples/bizplay-0411A.json");
        let preview = crate::preview::Preview::build(&rules, body).unwrap();
        send(&target.lookup(preview.postings().next().unwrap()));
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let mut bad = config();
        bad.url = "sap.example.com".into();
        let error = IdocTarget::new(&bad, Sender::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "[sap.idoc] url \"sap.example.com\" is not an http or https URL"
        );

        let mut bad = config();
        bad.client = "1000".into();
        assert!(matches!(
            IdocTarget::new(&bad, Sender::default()),
            Err(IdocTargetError::Client(_))
        ));

        let mut bad = config();
        bad.partners.insert("RCVPRN".into(), "PRDCLNT100".into());
        bad.partners.insert("RCVLAD".into(), "x".into());
        let error = IdocTarget::new(&bad, Sender::default()).unwrap_err();
        assert!(error.to_string().contains("no field RCVLAD"), "{error}");
    }

    #[test]
    fn configured_partners_replace_the_defaults_one_by_one() {
        let fields = BTreeMap::from([
            ("RCVPRN".to_owned(), "PRDCLNT100".to_owned()),
            ("rcvpor".to_owned(), "SAPPRD".to_owned()),
        ]);
        let partners = partners(&fields).unwrap();
        assert_eq!(partners.rcvprn, "PRDCLNT100");
        assert_eq!(partners.rcvpor, "SAPPRD");
        assert_eq!(partners.sndprn, IdocPartners::default().sndprn);
    }

    #[test]
    fn status_53_is_posted_with_the_object_key_from_stapa2() {
        let status = IdocStatus {
            docnum: "0000000000000007".into(),
            status: "53".into(),
            statuses: vec![
                record("50", "", "", "IDoc added", ["", "", "", ""]),
                record("64", "", "", "IDoc ready", ["", "", "", ""]),
                StatusRecord {
                    message_type: "S".into(),
                    ..record(
                        "53",
                        "RW",
                        "605",
                        "Document posted successfully: & & &",
                        ["BKPFF", "010000000110002026", "BSPCLNT100", ""],
                    )
                },
            ],
        };
        assert_eq!(
            status.outcome(),
            Some(SendOutcome::Posted {
                sap_key: "010000000110002026".into(),
                messages: "S RW 605 Document posted successfully: BKPFF 010000000110002026 \
                           BSPCLNT100"
                    .into(),
            })
        );
    }

    #[test]
    fn status_51_is_rejected_with_one_line_per_message() {
        let status = IdocStatus {
            docnum: "0000000000000008".into(),
            status: "51".into(),
            statuses: vec![
                record("64", "", "", "IDoc ready", ["", "", "", ""]),
                record(
                    "51",
                    "RW",
                    "609",
                    "Error in document: BKPFF $ BSPCLNT100",
                    ["", "", "", ""],
                ),
                record(
                    "51",
                    "F5",
                    "201",
                    "Posting period &1 &2 is not open",
                    ["006", "2027", "", ""],
                ),
            ],
        };
        assert_eq!(
            status.outcome(),
            Some(SendOutcome::Rejected {
                messages: "E RW 609 Error in document: BKPFF $ BSPCLNT100\n\
                           E F5 201 Posting period 006 2027 is not open"
                    .into()
            })
        );
        let bare = IdocStatus {
            docnum: "9".into(),
            status: "56".into(),
            statuses: Vec::new(),
        };
        assert_eq!(
            bare.outcome(),
            Some(SendOutcome::Rejected {
                messages: "IDoc 9 not posted (status 56)".into()
            })
        );
    }

    #[test]
    fn statuses_on_the_way_have_no_outcome_yet() {
        for current in ["50", "64", "62", "66"] {
            let status = IdocStatus {
                docnum: "1".into(),
                status: current.into(),
                statuses: Vec::new(),
            };
            assert_eq!(status.outcome(), None, "{current}");
        }
        let posted_without_key = IdocStatus {
            docnum: "1".into(),
            status: "53".into(),
            statuses: vec![record(
                "53",
                "",
                "",
                "Application document posted",
                ["", "", "", ""],
            )],
        };
        assert_eq!(posted_without_key.outcome(), None);
    }

    #[test]
    fn a_literal_ampersand_stays_in_the_text() {
        let record = record(
            "51",
            "ZX",
            "001",
            "Vendor A&B blocked; see &",
            ["300001", "", "", ""],
        );
        assert_eq!(record.message(), "Vendor A&B blocked; see 300001");
    }

    #[test]
    fn quotes_are_one_line_and_short() {
        assert_eq!(quote(r#"{"error": "Logon failed"}"#), "Logon failed");
        assert_eq!(
            quote("<html><body><h1>Service cannot be reached</h1>\n<p>404</p></body></html>"),
            "Service cannot be reached 404"
        );
        assert!(quote(&"x".repeat(1000)).len() <= QUOTE_LEN + 3);
    }
}
