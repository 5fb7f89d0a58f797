//! The journal: the durable memory that makes delivery exactly-once.
//!
//! # What it keeps
//!
//! One SQLite file (WAL, `synchronous = FULL`, so a committed transaction survives a power
//! cut) with three tables:
//!
//! ```text
//!   records   record_key, revision → content (the JSON as bizplay sent it), hash of its
//!             canonical form, approval id
//!   postings  posting_key → record_key, revision, kind, state, attempts, next attempt,
//!             document (JSON), reverses (a posting key), SAP key, messages, reason,
//!             write-back state, times
//!   cursors   name → sync window and bizplay's NEXT_KEY, to resume a pull
//! ```
//!
//! # States of a posting
//!
//! ```text
//!                 ┌──────── retry (transient) ───────┐
//!                 ▼                                  │
//!   (mapped) → pending ──mark_sending──▶ sending ──┬─▶ posted ──(its reversal posted)──▶ reversed
//!        │                                  │      └─▶ rejected ──retry──▶ pending
//!        ├─▶ held      (cannot be mapped)   └─ crash or lost reply: in doubt, resolved by
//!        ├─▶ skipped   (not ready)             asking SAP for the key, never by resending
//!        └─▶ superseded (a newer revision replaced it before it was sent)
//! ```
//!
//! # Invariants
//!
//! 1. A posting key is written, with its document, *before* the first send, and the document
//!    stored with a key never changes. A record that changes in bizplay gets a new revision
//!    and so a new key; the old key keeps its old document.
//! 2. A row enters `sending` in its own committed transaction before the request leaves, and
//!    leaves it only with SAP's answer or with a lookup in SAP. A `sending` row found when
//!    the bridge starts is therefore *in doubt*: the document may or may not exist in SAP.
//!    The only safe move is to ask SAP whether a document with that key exists
//!    ([`Journal::in_doubt`]); sending again without asking could post it twice.
//! 3. At most one posting per record is live (pending, sending or posted) per revision, and a
//!    new revision supersedes an unsent older one or schedules a reversal of a posted one.
//! 4. Every record the bridge has seen has exactly one latest posting row, whose state says
//!    what became of it: posted once, held with a reason, rejected with SAP's messages,
//!    skipped with a reason, or on its way.
//!
//! # Crashes
//!
//! Every step is one transaction. A crash between two steps leaves the journal at the
//! earlier step: a pulled page that was not ingested is pulled again (ingest is idempotent:
//! the same content is a no-op); a posting marked `sending` is in doubt (above); a posting
//! SAP accepted whose `posted` mark was lost is also in doubt, and the lookup finds it. The
//! write-back to bizplay is an outbox: it is marked done only after bizplay answered, and
//! bizplay's write-back calls are idempotent per receipt.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::posting::{Posting, PostingKind};

/// What became of a posting; stored as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Pending,
    Sending,
    Posted,
    Rejected,
    Held,
    Skipped,
    Superseded,
    Reversed,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Pending,
        State::Sending,
        State::Posted,
        State::Rejected,
        State::Held,
        State::Skipped,
        State::Superseded,
        State::Reversed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Sending => "sending",
            State::Posted => "posted",
            State::Rejected => "rejected",
            State::Held => "held",
            State::Skipped => "skipped",
            State::Superseded => "superseded",
            State::Reversed => "reversed",
        }
    }

    fn parse(name: &str) -> Result<State, JournalError> {
        State::ALL
            .into_iter()
            .find(|state| state.name() == name)
            .ok_or_else(|| JournalError::Corrupt(format!("unknown state \"{name}\"")))
    }
}

/// Whether the outcome still has to be written back to bizplay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteBack {
    None,
    Pending,
    Done,
}

/// A journal that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the journal is damaged: {0}")]
    Corrupt(String),
    #[error("no posting with key {0}")]
    UnknownPosting(String),
    #[error("posting {key} is {state}, not {expected}")]
    WrongState {
        key: String,
        state: &'static str,
        expected: &'static str,
    },
    #[error("the journal was written by a newer bizsap (schema {found}, this one knows {known})")]
    NewerSchema { found: i64, known: i64 },
}

/// A record as pulled from bizplay, before mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub record_key: String,
    /// The record's JSON exactly as bizplay sent it; amounts are read from this text, never
    /// through a float.
    pub content: String,
    /// `BIZ_NO/CARD_NO/APV_DT/APV_NO` of a card approval, to find it from its cancellation.
    pub approval: Option<String>,
}

/// What ingesting a record found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Seen for the first time: revision 1.
    New { record_key: String },
    /// Seen before with the same content: nothing to do.
    Unchanged { record_key: String },
    /// Seen before with other content: a new revision.
    Changed { record_key: String, revision: u32 },
}

/// One posting row.
#[derive(Debug, Clone, PartialEq)]
pub struct PostingRow {
    pub posting_key: String,
    pub record_key: String,
    pub revision: u32,
    pub kind: Option<PostingKind>,
    pub state: State,
    pub attempts: u32,
    pub next_attempt: Option<Timestamp>,
    /// The document as it is (or was) sent; `None` for held and skipped records.
    pub document: Option<Posting>,
    /// For a reversal: the posting key of the document it reverses.
    pub reverses: Option<String>,
    /// SAP's object key (BELNR + BUKRS + GJAHR) once posted.
    pub sap_key: Option<String>,
    /// SAP's messages of the last attempt, one per line.
    pub messages: Option<String>,
    /// Why a record is held or skipped.
    pub reason: Option<String>,
    pub write_back: WriteBack,
    pub updated: Timestamp,
}

/// What the pipeline decided for one record revision.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Post this document.
    Post(Posting),
    /// Reverse the posted document `original` (a posting key) with this reversal.
    Reverse { reversal: Posting, original: String },
    Held {
        record_key: String,
        revision: u32,
        posting_key: String,
        reason: String,
    },
    Skipped {
        record_key: String,
        revision: u32,
        posting_key: String,
        reason: String,
    },
    /// Nothing to post: the card approval was cancelled before anything reached SAP. Kept as
    /// skipped, and closed in bizplay so that it stops coming back.
    Cancelled {
        record_key: String,
        revision: u32,
        posting_key: String,
        reason: String,
    },
}

/// A saved position in a bizplay pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The processed-date window being pulled, `YYYYMMDD`.
    pub window_start: String,
    pub window_end: String,
    /// bizplay's NEXT_KEY for the next page; `None` when the window is complete.
    pub next_key: Option<String>,
}

const SCHEMA_VERSION: i64 = 1;

/// The postings [`Journal::due`] returns, as of `?1` (Unix seconds).
const DUE: &str = "FROM postings p LEFT JOIN postings o ON o.posting_key = p.reverses
     WHERE p.state = 'pending' AND (p.next_attempt IS NULL OR p.next_attempt <= ?1)
       AND (p.reverses IS NULL OR o.state = 'posted')";

const SCHEMA: &str = "
CREATE TABLE records (
    record_key   TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    content      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    approval     TEXT,
    seen_at      INTEGER NOT NULL,
    PRIMARY KEY (record_key, revision)
);
CREATE INDEX records_approval ON records (approval);
CREATE TABLE postings (
    posting_key  TEXT PRIMARY KEY,
    record_key   TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    kind         TEXT,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER,
    document     TEXT,
    reverses     TEXT REFERENCES postings (posting_key),
    sap_key      TEXT,
    messages     TEXT,
    reason       TEXT,
    write_back   TEXT NOT NULL DEFAULT 'none',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX postings_record ON postings (record_key, revision);
CREATE INDEX postings_state ON postings (state, next_attempt);
CREATE TABLE cursors (
    name         TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    next_key     TEXT,
    updated_at   INTEGER NOT NULL
);
";

/// The journal file.
pub struct Journal {
    conn: Connection,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Another process (or the monitoring server) may open the same file at this moment:
        // the schema is created inside an immediate transaction, which takes the write lock
        // first, so exactly one of them creates it.
        let tx =
            rusqlite::Transaction::new_unchecked(&conn, rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            found => {
                return Err(JournalError::NewerSchema {
                    found,
                    known: SCHEMA_VERSION,
                });
            }
        }
        tx.commit()?;
        Ok(Journal { conn })
    }

    /// Stores a page of records in one transaction and says what changed. A record seen
    /// again with the same content is a no-op.
    pub fn ingest(&mut self, records: &[Incoming]) -> Result<Vec<Change>, JournalError> {
        let now = now();
        let tx = self.conn.transaction()?;
        let mut changes = Vec::with_capacity(records.len());
        for record in records {
            let canonical = canonical_json(&record.content)
                .map_err(|e| JournalError::Corrupt(format!("{}: {e}", record.record_key)))?;
            let hash = content_hash(&canonical);
            let latest: Option<(u32, String, String)> = tx
                .query_row(
                    "SELECT revision, content_hash, content FROM records WHERE record_key = ?1
                     ORDER BY revision DESC LIMIT 1",
                    [&record.record_key],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let revision = match &latest {
                Some((_, stored_hash, stored))
                    if *stored_hash == hash
                        && canonical_json(stored).ok() == Some(canonical.clone()) =>
                {
                    changes.push(Change::Unchanged {
                        record_key: record.record_key.clone(),
                    });
                    continue;
                }
                Some((revision, _, _)) => revision + 1,
                None => 1,
            };
            tx.execute(
                "INSERT INTO records (record_key, revision, content, content_hash, approval,
                 seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    record.record_key,
                    revision,
                    record.content,
                    hash,
                    record.approval,
                    now
                ],
            )?;
            let record_key = record.record_key.clone();
            changes.push(if revision == 1 {
                Change::New { record_key }
            } else {
                Change::Changed {
                    record_key,
                    revision,
                }
            });
        }
        tx.commit()?;
        Ok(changes)
    }

    /// The stored content of a record revision.
    pub fn content(&self, record_key: &str, revision: u32) -> Result<Option<String>, JournalError> {
        let content = self
            .conn
            .query_row(
                "SELECT content FROM records WHERE record_key = ?1 AND revision = ?2",
                params![record_key, revision],
                |row| row.get(0),
            )
            .optional()?;
        Ok(content)
    }

    /// Records what the pipeline decided for new record revisions, in one transaction. A plan
    /// for a record whose earlier posting was never sent supersedes that posting.
    pub fn plan(&mut self, plans: &[Plan]) -> Result<(), JournalError> {
        let now = now();
        let tx = self.conn.transaction()?;
        for plan in plans {
            let (record_key, revision) = plan_record(plan);
            // A reversal planned for the old revision must survive the new revision's plan.
            tx.execute(
                "UPDATE postings SET state = 'superseded', updated_at = ?3
                 WHERE record_key = ?1 AND revision < ?2 AND kind IS NOT 'REVERSAL'
                   AND state IN ('pending', 'held', 'skipped', 'rejected')",
                params![record_key, revision, now],
            )?;
            insert_plan(&tx, plan, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The latest posting of a record (of its highest revision), if any.
    pub fn latest(&self, record_key: &str) -> Result<Option<PostingRow>, JournalError> {
        self.query_one(
            "SELECT * FROM postings WHERE record_key = ?1 AND kind IS NOT 'REVERSAL'
             ORDER BY revision DESC, created_at DESC LIMIT 1",
            [record_key],
        )
    }

    /// The live posting of the card approval `approval` (`BIZ_NO/CARD_NO/APV_DT/APV_NO`).
    pub fn posting_of_approval(&self, approval: &str) -> Result<Option<PostingRow>, JournalError> {
        self.query_one(
            "SELECT p.* FROM postings p JOIN records r
               ON r.record_key = p.record_key AND r.revision = p.revision
             WHERE r.approval = ?1 AND p.kind IN ('AP', 'AO')
               AND p.state NOT IN ('superseded')
             ORDER BY p.revision DESC LIMIT 1",
            [approval],
        )
    }

    pub fn posting(&self, posting_key: &str) -> Result<Option<PostingRow>, JournalError> {
        self.query_one(
            "SELECT * FROM postings WHERE posting_key = ?1",
            [posting_key],
        )
    }

    /// Postings ready to send: pending and due, oldest first. A reversal is due only once
    /// the document it reverses is posted.
    pub fn due(&self, now: Timestamp, limit: usize) -> Result<Vec<PostingRow>, JournalError> {
        let sql = format!("SELECT p.* {DUE} ORDER BY p.created_at, p.posting_key LIMIT ?2");
        self.query_all(&sql, params![now.as_second(), limit as i64])
    }

    /// How many postings [`Journal::due`] would return without a limit.
    pub fn due_count(&self, now: Timestamp) -> Result<usize, JournalError> {
        let sql = format!("SELECT count(*) {DUE}");
        let count: i64 = self
            .conn
            .query_row(&sql, [now.as_second()], |row| row.get(0))?;
        Ok(count as usize)
    }

    /// Postings whose send may or may not have reached SAP.
    pub fn in_doubt(&self) -> Result<Vec<PostingRow>, JournalError> {
        self.query_all(
            "SELECT * FROM postings WHERE state = 'sending' ORDER BY created_at",
            [],
        )
    }

    /// Marks a pending posting as being sent, committed before the request leaves.
    pub fn mark_sending(&mut self, posting_key: &str) -> Result<u32, JournalError> {
        let changed = self.conn.execute(
            "UPDATE postings SET state = 'sending', attempts = attempts + 1, updated_at = ?2
             WHERE posting_key = ?1 AND state = 'pending'",
            params![posting_key, now()],
        )?;
        if changed == 0 {
            return Err(self.wrong_state(posting_key, "pending")?);
        }
        let row = self.posting(posting_key)?.expect("row just updated");
        Ok(row.attempts)
    }

    /// SAP posted the document as `sap_key`; a posted reversal marks its original reversed.
    pub fn mark_posted(
        &mut self,
        posting_key: &str,
        sap_key: &str,
        messages: &str,
    ) -> Result<(), JournalError> {
        let now = now();
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE postings SET state = 'posted', sap_key = ?2, messages = ?3,
                 next_attempt = NULL, write_back = 'pending', updated_at = ?4
             WHERE posting_key = ?1 AND state IN ('sending', 'pending')",
            params![posting_key, sap_key, messages, now],
        )?;
        if changed == 0 {
            drop(tx);
            return Err(self.wrong_state(posting_key, "sending")?);
        }
        tx.execute(
            "UPDATE postings SET state = 'reversed', updated_at = ?2
             WHERE posting_key = (SELECT reverses FROM postings WHERE posting_key = ?1)",
            params![posting_key, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// SAP refused the document with `messages`; it waits for a person.
    pub fn mark_rejected(&mut self, posting_key: &str, messages: &str) -> Result<(), JournalError> {
        self.transition(
            posting_key,
            State::Sending,
            "UPDATE postings SET state = 'rejected', messages = ?2, next_attempt = NULL,
                 write_back = 'pending', updated_at = ?3
             WHERE posting_key = ?1 AND state = 'sending'",
            messages,
        )
    }

    /// The send failed before SAP could post (or SAP said the document does not exist):
    /// try again at `next_attempt`.
    pub fn mark_retry(
        &mut self,
        posting_key: &str,
        next_attempt: Timestamp,
        messages: &str,
    ) -> Result<(), JournalError> {
        let changed = self.conn.execute(
            "UPDATE postings SET state = 'pending', next_attempt = ?2, messages = ?3,
                 updated_at = ?4
             WHERE posting_key = ?1 AND state = 'sending'",
            params![posting_key, next_attempt.as_second(), messages, now()],
        )?;
        if changed == 0 {
            return Err(self.wrong_state(posting_key, "sending")?);
        }
        Ok(())
    }

    /// Drops a posting that was never sent because its card approval was cancelled; it ends
    /// as skipped with `reason`, and its receipt is closed in bizplay.
    pub fn cancel(&mut self, posting_key: &str, reason: &str) -> Result<(), JournalError> {
        self.conn.execute(
            "UPDATE postings SET state = 'skipped', reason = ?2, next_attempt = NULL,
                 write_back = 'pending', updated_at = ?3
             WHERE posting_key = ?1 AND state IN ('pending', 'held', 'rejected', 'skipped')",
            params![posting_key, reason, now()],
        )?;
        Ok(())
    }

    /// Puts a rejected posting back in the queue, to be sent with the same key.
    pub fn retry(&mut self, posting_key: &str) -> Result<(), JournalError> {
        self.transition(
            posting_key,
            State::Rejected,
            "UPDATE postings SET state = 'pending', next_attempt = NULL, write_back = 'none',
                 updated_at = ?3
             WHERE posting_key = ?1 AND state = 'rejected'",
            "",
        )
    }

    /// Puts every rejected posting back in the queue; returns how many.
    pub fn retry_all_rejected(&mut self) -> Result<usize, JournalError> {
        Ok(self.conn.execute(
            "UPDATE postings SET state = 'pending', next_attempt = NULL, write_back = 'none',
                 updated_at = ?1 WHERE state = 'rejected'",
            [now()],
        )?)
    }

    /// Postings whose outcome still has to reach bizplay.
    pub fn write_backs(&self, limit: usize) -> Result<Vec<PostingRow>, JournalError> {
        self.query_all(
            "SELECT * FROM postings WHERE write_back = 'pending' ORDER BY updated_at LIMIT ?1",
            [limit as i64],
        )
    }

    pub fn mark_written_back(&mut self, posting_key: &str) -> Result<(), JournalError> {
        self.conn.execute(
            "UPDATE postings SET write_back = 'done', updated_at = ?2 WHERE posting_key = ?1",
            params![posting_key, now()],
        )?;
        Ok(())
    }

    /// How many postings are in each state (the latest revision's and reversals').
    pub fn counts(&self) -> Result<Vec<(State, u64)>, JournalError> {
        let mut statement = self
            .conn
            .prepare("SELECT state, count(*) FROM postings GROUP BY state")?;
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        let mut counts = Vec::new();
        for row in rows {
            let (state, count) = row?;
            counts.push((State::parse(&state)?, count as u64));
        }
        counts.sort();
        Ok(counts)
    }

    /// Held and rejected postings, which need a person.
    pub fn problems(&self) -> Result<Vec<PostingRow>, JournalError> {
        self.query_all(
            "SELECT * FROM postings WHERE state IN ('held', 'rejected')
             ORDER BY state, record_key",
            [],
        )
    }

    pub fn cursor(&self, name: &str) -> Result<Option<Cursor>, JournalError> {
        let cursor = self
            .conn
            .query_row(
                "SELECT window_start, window_end, next_key FROM cursors WHERE name = ?1",
                [name],
                |row| {
                    Ok(Cursor {
                        window_start: row.get(0)?,
                        window_end: row.get(1)?,
                        next_key: row.get(2)?,
                    })
                },
            )
            .optional()?;
        Ok(cursor)
    }

    pub fn save_cursor(&mut self, name: &str, cursor: &Cursor) -> Result<(), JournalError> {
        self.conn.execute(
            "INSERT INTO cursors (name, window_start, window_end, next_key, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (name) DO UPDATE SET window_start = ?2, window_end = ?3,
                 next_key = ?4, updated_at = ?5",
            params![
                name,
                cursor.window_start,
                cursor.window_end,
                cursor.next_key,
                now()
            ],
        )?;
        Ok(())
    }

    /// Runs an update that must find the posting in state `expected`.
    fn transition(
        &mut self,
        key: &str,
        expected: State,
        sql: &str,
        text: &str,
    ) -> Result<(), JournalError> {
        let changed = self.conn.execute(sql, params![key, text, now()])?;
        if changed == 0 {
            return Err(self.wrong_state(key, expected.name())?);
        }
        Ok(())
    }

    fn wrong_state(&self, key: &str, expected: &'static str) -> Result<JournalError, JournalError> {
        Ok(match self.posting(key)? {
            Some(row) => JournalError::WrongState {
                key: key.to_owned(),
                state: row.state.name(),
                expected,
            },
            None => JournalError::UnknownPosting(key.to_owned()),
        })
    }

    fn query_one(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<PostingRow>, JournalError> {
        Ok(self.query_all(sql, params)?.into_iter().next())
    }

    fn query_all(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<PostingRow>, JournalError> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let raw = statement
            .query_map(params, RawRow::read)?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(RawRow::into_row).collect()
    }
}

fn plan_record(plan: &Plan) -> (&str, u32) {
    match plan {
        Plan::Post(posting)
        | Plan::Reverse {
            reversal: posting, ..
        } => (&posting.record_key, revision_of(posting)),
        Plan::Held {
            record_key,
            revision,
            ..
        }
        | Plan::Skipped {
            record_key,
            revision,
            ..
        }
        | Plan::Cancelled {
            record_key,
            revision,
            ..
        } => (record_key, *revision),
    }
}

/// The revision a posting key encodes in its last two characters (base 36).
pub fn revision_of(posting: &Posting) -> u32 {
    let key = posting.key.as_str();
    u32::from_str_radix(&key[14..], 36).expect("posting keys end in a base-36 revision")
}

fn insert_plan(tx: &Transaction<'_>, plan: &Plan, now: i64) -> Result<(), JournalError> {
    let insert = "INSERT OR IGNORE INTO postings (posting_key, record_key, revision, kind, state,
                      document, reverses, reason, created_at, updated_at)
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";
    match plan {
        Plan::Post(posting)
        | Plan::Reverse {
            reversal: posting, ..
        } => {
            let original = match plan {
                Plan::Reverse { original, .. } => Some(original.as_str()),
                _ => None,
            };
            let document = serde_json::to_string(posting)
                .map_err(|e| JournalError::Corrupt(format!("cannot store a document: {e}")))?;
            tx.execute(
                insert,
                params![
                    posting.key.as_str(),
                    posting.record_key,
                    revision_of(posting),
                    posting.kind.to_string(),
                    State::Pending.name(),
                    document,
                    original,
                    Option::<String>::None,
                    now
                ],
            )?;
        }
        Plan::Held {
            record_key,
            revision,
            posting_key,
            reason,
        }
        | Plan::Skipped {
            record_key,
            revision,
            posting_key,
            reason,
        }
        | Plan::Cancelled {
            record_key,
            revision,
            posting_key,
            reason,
        } => {
            let state = if matches!(plan, Plan::Held { .. }) {
                State::Held
            } else {
                State::Skipped
            };
            let write_back = if matches!(plan, Plan::Cancelled { .. }) {
                "pending"
            } else {
                "none"
            };
            tx.execute(
                "INSERT INTO postings (posting_key, record_key, revision, state, reason,
                     write_back, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                 ON CONFLICT (posting_key) DO UPDATE SET state = ?4, reason = ?5,
                     write_back = ?6, updated_at = ?7
                 WHERE postings.state IN ('held', 'skipped', 'superseded')",
                params![
                    posting_key,
                    record_key,
                    revision,
                    state.name(),
                    reason,
                    write_back,
                    now
                ],
            )?;
        }
    }
    Ok(())
}

struct RawRow {
    posting_key: String,
    record_key: String,
    revision: u32,
    kind: Option<String>,
    state: String,
    attempts: u32,
    next_attempt: Option<i64>,
    document: Option<String>,
    reverses: Option<String>,
    sap_key: Option<String>,
    messages: Option<String>,
    reason: Option<String>,
    write_back: String,
    updated_at: i64,
}

impl RawRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
        Ok(RawRow {
            posting_key: row.get("posting_key")?,
            record_key: row.get("record_key")?,
            revision: row.get("revision")?,
            kind: row.get("kind")?,
            state: row.get("state")?,
            attempts: row.get("attempts")?,
            next_attempt: row.get("next_attempt")?,
            document: row.get("document")?,
            reverses: row.get("reverses")?,
            sap_key: row.get("sap_key")?,
            messages: row.get("messages")?,
            reason: row.get("reason")?,
            write_back: row.get("write_back")?,
            updated_at: row.get("updated_at")?,
        })
    }

    fn into_row(self) -> Result<PostingRow, JournalError> {
        let corrupt = |what: String| JournalError::Corrupt(format!("{}: {what}", self.posting_key));
        let kind = match self.kind.as_deref() {
            None => None,
            Some("AP") => Some(PostingKind::Ap),
            Some("AO") => Some(PostingKind::Ao),
            Some("REVERSAL") => Some(PostingKind::Reversal),
            Some(other) => return Err(corrupt(format!("unknown kind \"{other}\""))),
        };
        let document = match &self.document {
            Some(json) => Some(serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?),
            None => None,
        };
        let write_back = match self.write_back.as_str() {
            "none" => WriteBack::None,
            "pending" => WriteBack::Pending,
            "done" => WriteBack::Done,
            other => return Err(corrupt(format!("unknown write-back state \"{other}\""))),
        };
        let time =
            |seconds: i64| Timestamp::from_second(seconds).map_err(|e| corrupt(e.to_string()));
        Ok(PostingRow {
            state: State::parse(&self.state)?,
            next_attempt: self.next_attempt.map(time).transpose()?,
            updated: time(self.updated_at)?,
            posting_key: self.posting_key,
            record_key: self.record_key,
            revision: self.revision,
            kind,
            attempts: self.attempts,
            document,
            reverses: self.reverses,
            sap_key: self.sap_key,
            messages: self.messages,
            reason: self.reason,
            write_back,
        })
    }
}

fn now() -> i64 {
    Timestamp::now().as_second()
}

/// FNV-1a 64 of the canonical content: a quick filter; equality is decided on the canonical
/// content itself.
fn content_hash(content: &str) -> String {
    let hash = content
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("{hash:016x}")
}

/// The journal's key for a record whose bizplay key cannot be read: `unreadable/` and the
/// hash of its canonical content.
pub fn unreadable_key(raw: &str) -> String {
    let canonical = canonical_json(raw).unwrap_or_else(|_| raw.to_owned());
    format!("unreadable/{}", content_hash(&canonical))
}

/// A record's JSON in canonical form (keys sorted, no white space), so that the same content
/// compares equal however bizplay ordered or spaced it. Only for comparison: numbers pass
/// through `f64` here, so amounts are always read from the content as sent.
pub fn canonical_json(raw: &str) -> Result<String, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(raw)?;
    serde_json::to_string(&value)
}

#[cfg(test)]
mod tests;
