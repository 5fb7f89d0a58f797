//! The sync: pull from bizplay, journal, map, deliver to SAP exactly once, write back.
//!
//! # One pass
//!
//! ```text
//!   1 resolve   sending rows left by a crash or a lost reply: ask SAP for the key
//!   2 pull      0411A pages of the processed-date window → journal (one transaction a page)
//!   3 plan      each new revision → a document, a reversal, a held or a skipped record
//!   4 deliver   due documents, `concurrency` at a time: pending → sending → posted | rejected
//!   5 write back posted: 9313 document number, 9212 close; rejected: 9011 with SAP's reason
//! ```
//!
//! # Exactly once
//!
//! The journal records a document's key and content before it is sent, and marks it
//! `sending` in a committed transaction before the request leaves. Whatever happens next —
//! an answer, a crash, a timeout — the row says what is known. A `sending` row whose answer
//! never arrived is *in doubt* and is resolved by asking SAP whether a document with its key
//! exists: found, it is marked posted with SAP's key; not found, it is sent again with the
//! same key. A document is never sent twice without that question in between, so a lost
//! reply after SAP's commit cannot double a posting.
//!
//! # What never blocks the rest
//!
//! A record that cannot be mapped is held; SAP's refusal leaves one document rejected; a
//! transient failure schedules one document for later with a doubling delay. Only a fatal
//! error — credentials bizplay or SAP refuse — stops the pass, because nothing else could
//! succeed until a person acts.

mod bridge;
mod target;

use std::collections::HashMap;
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use jiff::{Timestamp, ToSpan, ZonedDateTime};

pub use bridge::{Bridge, BridgeError, PassError};
pub use target::{Delivery, SendOutcome, Target};

use crate::bizplay::client::{GatewayClient, GatewayError, ReceiptId, Window};
use crate::bizplay::{ExpenseRecord, parse_record};
use crate::journal::{Change, Cursor, Incoming, Journal, JournalError, Plan, PostingRow, State};
use crate::mapping::{Mapper, Outcome, Rules};
use crate::posting::{Header, KeyPurpose, Posting, PostingKey, PostingKind, Reverses, dats};

/// How one pass runs.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub lookback_days: u32,
    pub concurrency: usize,
    pub max_attempts: u32,
    pub retry_delay: Duration,
    /// Print a progress line on a terminal.
    pub progress: bool,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pulled: usize,
    pub new_revisions: usize,
    pub resolved_in_doubt: usize,
    pub posted: usize,
    pub rejected: usize,
    pub retry_later: usize,
    pub in_doubt: usize,
    pub held: usize,
    pub skipped: usize,
    pub written_back: usize,
}

/// A pass that had to stop.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error("SAP refused the connection: {0}")]
    Target(String),
}

/// The pass's name for the 0411A cursor in the journal.
const CURSOR: &str = "0411A";
/// Receipts per write-back call.
const WRITE_BACK_BATCH: usize = 50;

/// One company's sync: bizplay, journal, rules and a target.
pub struct Pipeline<'a, T: Target> {
    pub journal: &'a mut Journal,
    pub bizplay: &'a GatewayClient,
    pub rules: &'a Rules,
    pub target: &'a T,
    pub settings: SyncSettings,
}

impl<T: Target> Pipeline<'_, T> {
    /// One full pass.
    pub async fn sync(&mut self, today: jiff::civil::Date) -> Result<SyncReport, SyncError> {
        self.sync_until(today, std::future::pending()).await
    }

    /// One full pass that stops sending new documents once `stop` completes; documents in
    /// flight finish and are recorded first.
    pub async fn sync_until(
        &mut self,
        today: jiff::civil::Date,
        stop: impl Future<Output = ()>,
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let mut stop = std::pin::pin!(stop);
        self.resolve_in_doubt(&mut report).await?;
        self.pull(today, &mut report).await?;
        self.deliver(&mut report, &mut stop).await?;
        self.write_back(&mut report).await?;
        Ok(report)
    }

    /// Asks SAP about every posting whose send was not answered.
    pub async fn resolve_in_doubt(&mut self, report: &mut SyncReport) -> Result<(), SyncError> {
        for row in self.journal.in_doubt()? {
            if self.resolve(&row).await? {
                report.resolved_in_doubt += 1;
            } else {
                report.in_doubt += 1;
            }
        }
        Ok(())
    }

    /// Resolves one in-doubt posting; false when SAP could not be asked.
    async fn resolve(&mut self, row: &PostingRow) -> Result<bool, SyncError> {
        let Some(posting) = &row.document else {
            return Ok(false);
        };
        match self.target.lookup(posting).await {
            Ok(Some(sap_key)) => {
                tracing::info!(
                    posting_key = %row.posting_key,
                    sap_key,
                    "In-doubt document found in SAP; marked posted."
                );
                self.journal.mark_posted(
                    &row.posting_key,
                    &sap_key,
                    "found in SAP by its reference",
                )?;
                Ok(true)
            }
            Ok(None) => {
                tracing::info!(
                    posting_key = %row.posting_key,
                    "In-doubt document is not in SAP; it will be sent again with the same key."
                );
                self.journal.mark_retry(
                    &row.posting_key,
                    Timestamp::now(),
                    "not found in SAP after an unanswered send",
                )?;
                Ok(true)
            }
            Err(error) => {
                tracing::warn!(
                    posting_key = %row.posting_key,
                    error,
                    "Cannot ask SAP about an in-doubt document; it stays in doubt."
                );
                Ok(false)
            }
        }
    }

    async fn pull(
        &mut self,
        today: jiff::civil::Date,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let start = today
            .checked_sub(i64::from(self.settings.lookback_days).days())
            .unwrap_or(today);
        let window = Window {
            start: dats(start),
            end: dats(today),
        };
        let saved = self.journal.cursor(CURSOR)?;
        let mut next_key = saved
            .filter(|c| c.window_start == window.start && c.window_end == window.end)
            .and_then(|c| c.next_key);
        if next_key.is_some() {
            tracing::info!(window_start = %window.start, "Resuming the pull from the saved page.");
        }
        loop {
            let page = self.bizplay.receipts(&window, next_key.as_deref()).await?;
            report.pulled += page.records.len();
            let incoming: Vec<Incoming> = page
                .records
                .iter()
                .zip(&page.raw)
                .map(|(record, raw)| incoming(record.as_ref(), raw))
                .collect();
            let changes = self.journal.ingest(&incoming)?;
            let plans = self.plan(&page.records, &changes, today)?;
            for plan in &plans {
                match plan {
                    Plan::Held { .. } => report.held += 1,
                    Plan::Skipped { .. } | Plan::Cancelled { .. } => report.skipped += 1,
                    _ => {}
                }
            }
            report.new_revisions += changes
                .iter()
                .filter(|c| !matches!(c, Change::Unchanged { .. }))
                .count();
            self.journal.plan(&plans)?;
            let cursor = Cursor {
                window_start: window.start.clone(),
                window_end: window.end.clone(),
                next_key: page.next_key.clone(),
            };
            self.journal.save_cursor(CURSOR, &cursor)?;
            match page.next_key {
                Some(key) => next_key = Some(key),
                None => return Ok(()),
            }
        }
    }

    /// Decides what each new revision on a page becomes.
    fn plan(
        &mut self,
        records: &[Result<ExpenseRecord, crate::bizplay::RecordError>],
        changes: &[Change],
        today: jiff::civil::Date,
    ) -> Result<Vec<Plan>, SyncError> {
        let mapper = Mapper::new(self.rules);
        let mut plans = Vec::new();
        // Approvals planned for posting on this page, not yet in the journal.
        let mut on_page: HashMap<String, usize> = HashMap::new();
        for (record, change) in records.iter().zip(changes) {
            let (record_key, revision) = match change {
                Change::Unchanged { .. } => continue,
                Change::New { record_key } => (record_key.clone(), 1),
                Change::Changed {
                    record_key,
                    revision,
                } => (record_key.clone(), *revision),
            };
            let posting_key =
                PostingKey::derive(KeyPurpose::Posting, &record_key, revision).to_string();
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    let reason = format!("{}: {}", error.field, error.problem);
                    tracing::error!(record_key, error = %reason, "Record cannot be read; held.");
                    plans.push(Plan::Held {
                        record_key,
                        revision,
                        posting_key,
                        reason,
                    });
                    continue;
                }
            };
            // A changed receipt whose earlier revision is in SAP: reverse that first.
            if revision > 1
                && let Some(previous) = self.journal.latest(&record_key)?
                && previous.state == State::Posted
                && previous.revision < revision
            {
                plans.push(revision_reversal(&previous, today, self.rules)?);
            }
            let cancelled_on_page = record
                .cancelled
                .then(|| approval_id(record).and_then(|id| on_page.remove(&id)))
                .flatten();
            let outcome = if let Some(index) = cancelled_on_page {
                // The approval and its cancellation arrive together: neither is posted.
                let cancelled = cancel_planned(&mut plans[index], &record_key);
                Outcome::Skipped(crate::mapping::Skipped {
                    record_key: record_key.clone(),
                    reason: format!("cancels {cancelled} before it was posted; nothing to reverse"),
                })
            } else if record.cancelled {
                self.cancellation(record, revision)?
            } else {
                mapper.map(record, revision, None)
            };
            if let (Outcome::Posting(posting), Some(id)) = (&outcome, approval_id(record))
                && posting.kind != PostingKind::Reversal
            {
                on_page.insert(id, plans.len());
            }
            plans.push(match outcome {
                Outcome::Posting(posting) if posting.kind == PostingKind::Reversal => {
                    let original = posting
                        .reverses
                        .as_ref()
                        .and_then(|r| r.posting_key.clone());
                    Plan::Reverse {
                        original: original.map(|k| k.to_string()).unwrap_or_default(),
                        reversal: posting,
                    }
                }
                Outcome::Posting(posting) => Plan::Post(posting),
                Outcome::Held(held) => {
                    tracing::error!(
                        record_key,
                        reason = %held.reason,
                        "Record held; it needs a person."
                    );
                    Plan::Held {
                        record_key,
                        revision,
                        posting_key,
                        reason: held.reason.to_string(),
                    }
                }
                // A cancellation with nothing to reverse is done with: close it in bizplay.
                Outcome::Skipped(skipped) if record.cancelled => Plan::Cancelled {
                    record_key,
                    revision,
                    posting_key,
                    reason: skipped.reason,
                },
                Outcome::Skipped(skipped) => Plan::Skipped {
                    record_key,
                    revision,
                    posting_key,
                    reason: skipped.reason,
                },
            });
        }
        Ok(plans)
    }

    /// A cancellation reverses its approval's document when that was posted; when it was
    /// never sent, the approval's document is dropped and nothing is posted.
    fn cancellation(
        &mut self,
        record: &ExpenseRecord,
        revision: u32,
    ) -> Result<Outcome, SyncError> {
        let record_key = record.key.to_string();
        let skip = |reason: String| {
            Outcome::Skipped(crate::mapping::Skipped {
                record_key: record_key.clone(),
                reason,
            })
        };
        let Some(approval) = approval_id(record) else {
            return Ok(Mapper::new(self.rules).map(record, revision, None));
        };
        let Some(original) = self.journal.posting_of_approval(&approval)? else {
            return Ok(skip(
                "cancels a card approval bizsap never saw; nothing to reverse".into(),
            ));
        };
        match original.state {
            State::Posted | State::Sending => {
                let outcome =
                    Mapper::new(self.rules).map(record, revision, Some(&original.record_key));
                Ok(match outcome {
                    Outcome::Posting(mut reversal) => {
                        if let Some(reverses) = &mut reversal.reverses {
                            reverses.posting_key = PostingKey::parse(&original.posting_key);
                        }
                        Outcome::Posting(reversal)
                    }
                    other => other,
                })
            }
            State::Reversed => Ok(skip(format!(
                "approval's document {} is already reversed",
                original.posting_key
            ))),
            _ => {
                self.journal.cancel(
                    &original.posting_key,
                    &format!("cancelled by the card company (record {record_key})"),
                )?;
                Ok(skip(format!(
                    "cancels {} before it was posted; nothing to reverse",
                    original.record_key
                )))
            }
        }
    }

    async fn deliver(
        &mut self,
        report: &mut SyncReport,
        stop: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> Result<(), SyncError> {
        let total = self.journal.due_count(Timestamp::now())?;
        let mut done = 0;
        loop {
            if futures_ready(stop.as_mut()) {
                tracing::info!("Stop requested; no further documents are sent.");
                return Ok(());
            }
            let due = self
                .journal
                .due(Timestamp::now(), self.settings.concurrency)?;
            if due.is_empty() {
                return Ok(());
            }
            let mut batch = Vec::with_capacity(due.len());
            for row in &due {
                let Some(posting) = row.document.clone() else {
                    continue;
                };
                let original = match &row.reverses {
                    Some(original) => self.journal.posting(original)?,
                    None => None,
                };
                let (original, original_sap_key) = match original {
                    Some(row) => (row.document, row.sap_key),
                    None => (None, None),
                };
                let attempt = self.journal.mark_sending(&row.posting_key)?;
                batch.push((
                    Delivery {
                        posting,
                        original,
                        original_sap_key,
                    },
                    attempt,
                ));
            }
            let deliveries: Vec<Delivery> = batch.iter().map(|(d, _)| d.clone()).collect();
            let outcomes = self.target.deliver(deliveries).await;
            // Every answer of the batch is recorded before a fatal one stops the pass, so that
            // documents SAP did post are not left in doubt.
            let mut fatal = None;
            for ((delivery, attempt), outcome) in batch.into_iter().zip(outcomes) {
                match self
                    .record(&delivery.posting, attempt, outcome, report)
                    .await
                {
                    Err(SyncError::Target(reason)) => fatal = fatal.or(Some(reason)),
                    other => other?,
                }
                done += 1;
            }
            if let Some(reason) = fatal {
                return Err(SyncError::Target(reason));
            }
            if self.settings.progress {
                eprint!("\r  delivered {done}/{total} documents");
            }
        }
    }

    /// Records what SAP (or the transport) said about one document.
    async fn record(
        &mut self,
        posting: &Posting,
        attempt: u32,
        outcome: SendOutcome,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let key = posting.key.as_str();
        match outcome {
            SendOutcome::Posted { sap_key, messages } => {
                tracing::debug!(posting_key = key, sap_key, "Posted.");
                self.journal.mark_posted(key, &sap_key, &messages)?;
                report.posted += 1;
            }
            SendOutcome::Rejected { messages } => {
                tracing::error!(
                    posting_key = key,
                    record_key = %posting.record_key,
                    messages,
                    "SAP rejected the document; it needs a person."
                );
                self.journal.mark_rejected(key, &messages)?;
                report.rejected += 1;
            }
            SendOutcome::Retry { reason } if attempt >= self.settings.max_attempts => {
                let messages = format!("gave up after {attempt} attempts: {reason}");
                tracing::error!(
                    posting_key = key,
                    messages,
                    "Document not delivered; it needs a person."
                );
                self.journal.mark_rejected(key, &messages)?;
                report.rejected += 1;
            }
            SendOutcome::Retry { reason } => {
                let delay = self
                    .settings
                    .retry_delay
                    .saturating_mul(1 << attempt.saturating_sub(1).min(10));
                let next =
                    Timestamp::now() + jiff::SignedDuration::try_from(delay).unwrap_or_default();
                tracing::warn!(
                    posting_key = key,
                    attempt,
                    error = reason,
                    "Send failed before SAP posted; will retry."
                );
                self.journal.mark_retry(key, next, &reason)?;
                report.retry_later += 1;
            }
            SendOutcome::InDoubt { reason } => {
                tracing::warn!(
                    posting_key = key,
                    error = reason,
                    "No answer from SAP; asking whether the document exists."
                );
                let row = self
                    .journal
                    .posting(key)?
                    .expect("the row being sent exists");
                if self.resolve(&row).await? {
                    let row = self.journal.posting(key)?.expect("the row exists");
                    if row.state == State::Posted {
                        report.posted += 1;
                    } else {
                        report.retry_later += 1;
                    }
                } else {
                    report.in_doubt += 1;
                }
            }
            SendOutcome::Fatal { reason } => {
                self.journal.mark_retry(key, Timestamp::now(), &reason)?;
                return Err(SyncError::Target(reason));
            }
        }
        Ok(())
    }

    /// Tells bizplay what became of each delivered receipt.
    pub async fn write_back(&mut self, report: &mut SyncReport) -> Result<(), SyncError> {
        loop {
            let rows = self.journal.write_backs(WRITE_BACK_BATCH)?;
            if rows.is_empty() {
                return Ok(());
            }
            // Posted receipts get their document number (9313); they and the cancelled ones
            // are closed (9212), so that nobody edits them and the next pull skips them.
            let mut numbers = Vec::new();
            let mut closes = Vec::new();
            for row in &rows {
                let Some(receipt) = self.receipt(row)? else {
                    self.journal.mark_written_back(&row.posting_key)?;
                    continue;
                };
                match row.state {
                    State::Posted | State::Reversed => {
                        let number = document_number(row.sap_key.as_deref().unwrap_or(""));
                        numbers.push((receipt.clone(), number));
                        closes.push((row.posting_key.clone(), receipt));
                    }
                    State::Skipped => closes.push((row.posting_key.clone(), receipt)),
                    State::Rejected => {
                        let reason = row.messages.as_deref().unwrap_or("rejected by SAP");
                        self.bizplay.register_failure(&receipt, reason).await?;
                        self.journal.mark_written_back(&row.posting_key)?;
                        report.written_back += 1;
                    }
                    _ => self.journal.mark_written_back(&row.posting_key)?,
                }
            }
            if !numbers.is_empty() {
                let failed = self.bizplay.write_document_numbers(&numbers).await?;
                for (receipt, reason) in &failed {
                    tracing::warn!(
                        seq = %receipt.seq,
                        error = reason,
                        "bizplay did not take the document number."
                    );
                }
            }
            if closes.is_empty() {
                continue;
            }
            let receipts: Vec<ReceiptId> = closes.iter().map(|(_, r)| r.clone()).collect();
            self.bizplay.close(&receipts).await?;
            for (posting_key, _) in &closes {
                self.journal.mark_written_back(posting_key)?;
                report.written_back += 1;
            }
        }
    }

    /// The receipt a posting's outcome is written back to; `None` for reversals of a changed
    /// receipt, whose new document speaks for it.
    fn receipt(&self, row: &PostingRow) -> Result<Option<ReceiptId>, SyncError> {
        if row.kind == Some(PostingKind::Reversal)
            && let Some(original) = &row.reverses
            && self
                .journal
                .posting(original)?
                .is_some_and(|o| o.record_key == row.record_key)
        {
            return Ok(None);
        }
        let Some(content) = self.journal.content(&row.record_key, row.revision)? else {
            return Ok(None);
        };
        let Ok(record) = parse_record(&content, 1) else {
            return Ok(None);
        };
        Ok(Some(ReceiptId {
            card_no: record.key.card_no.clone(),
            approval_date: dats(record.key.approval_date),
            seq: record.key.seq.clone(),
            approval_no: record.approval_no.clone().unwrap_or_default(),
        }))
    }
}

/// Turns a planned posting into a skipped one, cancelled by `by`; returns its record key.
fn cancel_planned(plan: &mut Plan, by: &str) -> String {
    let Plan::Post(posting) = plan else {
        return String::new();
    };
    let record_key = posting.record_key.clone();
    *plan = Plan::Cancelled {
        record_key: record_key.clone(),
        revision: crate::journal::revision_of(posting),
        posting_key: posting.key.to_string(),
        reason: format!("cancelled by the card company (record {by}) before it was posted"),
    };
    record_key
}

/// The journal's record of a pulled record. A record whose key cannot be read is named by its
/// content, never by its place on the page, so that two unreadable records cannot pass for
/// revisions of each other and the same one is recognised on the next pull; one whose key
/// can be read keeps it, so that its correction in bizplay becomes its next revision.
fn incoming(record: Result<&ExpenseRecord, &crate::bizplay::RecordError>, raw: &str) -> Incoming {
    match record {
        Ok(record) => Incoming {
            record_key: record.key.to_string(),
            content: raw.to_owned(),
            approval: (!record.cancelled).then(|| approval_id(record)).flatten(),
        },
        Err(error) => Incoming {
            record_key: error
                .key
                .clone()
                .unwrap_or_else(|| crate::journal::unreadable_key(raw)),
            content: raw.to_owned(),
            approval: None,
        },
    }
}

/// `BIZ_NO/CARD_NO/APV_DT/APV_NO`: how a cancellation names the approval it cancels.
fn approval_id(record: &ExpenseRecord) -> Option<String> {
    let approval_no = record.approval_no.as_deref()?;
    let key = &record.key;
    Some(format!(
        "{}/{}/{}/{approval_no}",
        key.biz_no,
        key.card_no,
        dats(key.approval_date)
    ))
}

/// The reversal of a posted revision that a newer revision replaces.
fn revision_reversal(
    previous: &PostingRow,
    today: jiff::civil::Date,
    rules: &Rules,
) -> Result<Plan, SyncError> {
    let document = previous.document.as_ref().ok_or_else(|| {
        JournalError::Corrupt(format!("posted {} has no document", previous.posting_key))
    })?;
    let key = PostingKey::derive(
        KeyPurpose::Reversal,
        &previous.record_key,
        previous.revision,
    );
    let reversal = Posting {
        header: Header {
            doc_type: String::new(),
            doc_date: today,
            posting_date: today,
            reference: key.to_string(),
            ..document.header.clone()
        },
        key,
        record_key: previous.record_key.clone(),
        kind: PostingKind::Reversal,
        items: Vec::new(),
        reverses: Some(Reverses {
            record_key: Some(previous.record_key.clone()),
            posting_key: PostingKey::parse(&previous.posting_key),
            approval: String::new(),
            reason: rules.documents.reversal_reason.0.clone(),
        }),
    };
    Ok(Plan::Reverse {
        reversal,
        original: previous.posting_key.clone(),
    })
}

/// The document number bizplay shows: `BUKRS-BELNR-GJAHR` from SAP's object key.
fn document_number(sap_key: &str) -> String {
    match (sap_key.get(..10), sap_key.get(10..14), sap_key.get(14..18)) {
        (Some(belnr), Some(bukrs), Some(gjahr)) if sap_key.len() == 18 => {
            format!("{bukrs}-{belnr}-{gjahr}")
        }
        _ => sap_key.to_owned(),
    }
}

/// Whether `future` has completed, without waiting.
fn futures_ready(future: std::pin::Pin<&mut impl Future<Output = ()>>) -> bool {
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    future.poll(&mut context).is_ready()
}

/// Whether progress should be drawn: standard error is a terminal.
pub fn progress_wanted() -> bool {
    std::io::stderr().is_terminal()
}

/// Today in the machine's time zone.
pub fn today() -> jiff::civil::Date {
    ZonedDateTime::now().date()
}
