//! Journal behaviour on real SQLite files: revisions, states, restarts.

use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::bizplay::parse_record;
use crate::mapping::{Mapper, Outcome, Rules};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("bizsap-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn journal(&self) -> Journal {
        Journal::open(&self.0.join("journal.sqlite")).unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn record_json(seq: &str, total: u32) -> String {
    let vat = total / 11;
    json!({
        "BIZ_NO": "2148612345", "CARD_NO": "9410123456781234", "APV_DT": "20261103",
        "SEQ": seq, "APV_NO": format!("3001{seq}"), "CARD_TYPE": "1", "BANK_CD": "30000008",
        "MEST_NM": "예시식당", "MEST_TAXT_TYP_INFO": "01", "BUY_SUM": total.to_string(),
        "SPLY_AMT": (total - vat).to_string(), "VAT_AMT": vat.to_string(), "DEDCT_YN": "Y",
        "TRAN_KIND_CD": "A1003", "ERP_CODE": "81110", "APPR_STS": "9", "R_DEPT_ERP_CD": "10100"
    })
    .to_string()
}

fn incoming(seq: &str, total: u32) -> Incoming {
    let content = record_json(seq, total);
    let record = parse_record(&content, 1).unwrap();
    Incoming {
        record_key: record.key.to_string(),
        content,
        approval: None,
    }
}

fn posting(seq: &str, total: u32, revision: u32) -> Posting {
    let rules = Rules::parse(include_str!("../../examples/rules.toml"), "rules.toml").unwrap();
    let record = parse_record(&record_json(seq, total), 1).unwrap();
    match Mapper::new(&rules).map(&record, revision, None) {
        Outcome::Posting(posting) => posting,
        other => panic!("{other:?}"),
    }
}

fn reversal_of(original: &Posting) -> Posting {
    let mut reversal = original.clone();
    reversal.key = crate::posting::PostingKey::derive(
        crate::posting::KeyPurpose::Reversal,
        &original.record_key,
        revision_of(original),
    );
    reversal.kind = PostingKind::Reversal;
    reversal.items.clear();
    reversal
}

fn state(journal: &Journal, key: &str) -> State {
    journal.posting(key).unwrap().unwrap().state
}

#[test]
fn the_same_content_is_a_no_op_and_changed_content_a_new_revision() {
    let dir = TempDir::new("revisions");
    let mut journal = dir.journal();
    let first = incoming("1", 11000);
    let key = first.record_key.clone();
    assert_eq!(
        journal.ingest(std::slice::from_ref(&first)).unwrap(),
        [Change::New {
            record_key: key.clone()
        }]
    );

    // The same record with its keys in another order and other spacing is the same content.
    let value: serde_json::Value = serde_json::from_str(&first.content).unwrap();
    let reordered = Incoming {
        content: serde_json::to_string_pretty(&value).unwrap(),
        ..first
    };
    assert_eq!(
        journal.ingest(&[reordered]).unwrap(),
        [Change::Unchanged {
            record_key: key.clone()
        }]
    );

    let changed = incoming("1", 22000);
    assert_eq!(
        journal.ingest(std::slice::from_ref(&changed)).unwrap(),
        [Change::Changed {
            record_key: key.clone(),
            revision: 2
        }]
    );
    assert_eq!(journal.content(&key, 2).unwrap(), Some(changed.content));
}

#[test]
fn a_sending_posting_is_in_doubt_after_a_restart() {
    let dir = TempDir::new("restart");
    let document = posting("1", 11000, 1);
    let key = document.key.to_string();
    {
        let mut journal = dir.journal();
        journal.plan(&[Plan::Post(document.clone())]).unwrap();
        assert_eq!(journal.due(Timestamp::now(), 10).unwrap().len(), 1);
        assert_eq!(journal.mark_sending(&key).unwrap(), 1);
        // The process dies here, before SAP's answer is recorded.
    }
    let mut journal = dir.journal();
    let doubt = journal.in_doubt().unwrap();
    assert_eq!(doubt.len(), 1);
    assert_eq!(
        doubt[0].document.as_ref(),
        Some(&document),
        "the stored document is the one sent"
    );
    assert!(
        journal.due(Timestamp::now(), 10).unwrap().is_empty(),
        "never resent blindly"
    );

    journal
        .mark_posted(&key, "010000000110002026", "RW 605")
        .unwrap();
    assert_eq!(state(&journal, &key), State::Posted);
    assert!(journal.in_doubt().unwrap().is_empty());
    let writes = journal.write_backs(10).unwrap();
    assert_eq!(writes[0].sap_key.as_deref(), Some("010000000110002026"));
    journal.mark_written_back(&key).unwrap();
    assert!(journal.write_backs(10).unwrap().is_empty());
}

#[test]
fn a_posting_cannot_be_sent_twice() {
    let dir = TempDir::new("twice");
    let mut journal = dir.journal();
    let document = posting("1", 11000, 1);
    journal.plan(&[Plan::Post(document.clone())]).unwrap();
    journal.mark_sending(document.key.as_str()).unwrap();
    match journal.mark_sending(document.key.as_str()) {
        Err(JournalError::WrongState {
            state: "sending",
            expected: "pending",
            ..
        }) => {}
        other => panic!("expected a wrong-state error, got {other:?}"),
    }
    // Planning the same document again (a re-run after a crash) changes nothing.
    journal.plan(&[Plan::Post(document.clone())]).unwrap();
    assert_eq!(state(&journal, document.key.as_str()), State::Sending);
}

#[test]
fn retries_wait_for_their_time() {
    let dir = TempDir::new("retry");
    let mut journal = dir.journal();
    let document = posting("1", 11000, 1);
    let key = document.key.to_string();
    journal.plan(&[Plan::Post(document)]).unwrap();
    journal.mark_sending(&key).unwrap();
    let later = Timestamp::now() + jiff::SignedDuration::from_secs(60);
    journal
        .mark_retry(&key, later, "RFC_COMMUNICATION_FAILURE")
        .unwrap();
    assert!(journal.due(Timestamp::now(), 10).unwrap().is_empty());
    let due = journal.due(later, 10).unwrap();
    assert_eq!(
        due[0].messages.as_deref(),
        Some("RFC_COMMUNICATION_FAILURE")
    );
    assert_eq!(
        journal.mark_sending(&key).unwrap(),
        2,
        "attempts are counted"
    );
}

#[test]
fn rejected_postings_wait_for_a_person_then_retry_with_the_same_key() {
    let dir = TempDir::new("rejected");
    let mut journal = dir.journal();
    let documents = [posting("1", 11000, 1), posting("2", 22000, 1)];
    journal.plan(&documents.clone().map(Plan::Post)).unwrap();
    for document in &documents {
        journal.mark_sending(document.key.as_str()).unwrap();
        journal
            .mark_rejected(
                document.key.as_str(),
                "E F5 201 Posting period 011 2026 is not open",
            )
            .unwrap();
    }
    let problems = journal.problems().unwrap();
    assert_eq!(problems.len(), 2);
    assert!(problems[0].messages.as_deref().unwrap().contains("F5 201"));
    assert!(journal.due(Timestamp::now(), 10).unwrap().is_empty());

    journal.retry(documents[0].key.as_str()).unwrap();
    assert_eq!(state(&journal, documents[0].key.as_str()), State::Pending);
    assert!(
        journal.retry(documents[0].key.as_str()).is_err(),
        "only a rejected posting retries"
    );
    assert_eq!(journal.retry_all_rejected().unwrap(), 1);
    assert_eq!(journal.due(Timestamp::now(), 10).unwrap().len(), 2);
}

#[test]
fn a_new_revision_supersedes_an_unsent_posting() {
    let dir = TempDir::new("supersede");
    let mut journal = dir.journal();
    let first = posting("1", 11000, 1);
    journal.plan(&[Plan::Post(first.clone())]).unwrap();
    let second = posting("1", 22000, 2);
    journal.plan(&[Plan::Post(second.clone())]).unwrap();
    assert_eq!(state(&journal, first.key.as_str()), State::Superseded);
    let due = journal.due(Timestamp::now(), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].posting_key, second.key.as_str());
    assert_eq!(
        journal
            .latest(&second.record_key)
            .unwrap()
            .unwrap()
            .revision,
        2
    );
}

#[test]
fn a_reversal_waits_for_its_original_and_marks_it_reversed() {
    let dir = TempDir::new("reversal");
    let mut journal = dir.journal();
    let original = posting("1", 11000, 1);
    let reversal = reversal_of(&original);
    let key = original.key.to_string();
    journal.plan(&[Plan::Post(original.clone())]).unwrap();
    journal
        .plan(&[Plan::Reverse {
            reversal: reversal.clone(),
            original: key.clone(),
        }])
        .unwrap();
    let due: Vec<_> = journal.due(Timestamp::now(), 10).unwrap();
    assert_eq!(
        due.len(),
        1,
        "the reversal is not due before its original is posted"
    );

    journal.mark_sending(&key).unwrap();
    journal.mark_posted(&key, "010000000110002026", "").unwrap();
    let due = journal.due(Timestamp::now(), 10).unwrap();
    assert_eq!(due[0].reverses.as_deref(), Some(key.as_str()));

    journal.mark_sending(reversal.key.as_str()).unwrap();
    journal
        .mark_posted(reversal.key.as_str(), "010000000210002026", "")
        .unwrap();
    assert_eq!(state(&journal, &key), State::Reversed);
}

#[test]
fn held_and_skipped_records_are_counted_with_their_reasons() {
    let dir = TempDir::new("held");
    let mut journal = dir.journal();
    journal
        .plan(&[
            Plan::Held {
                record_key: "a".into(),
                revision: 1,
                posting_key: "BZ00000000000A01".into(),
                reason: "no expense account".into(),
            },
            Plan::Skipped {
                record_key: "b".into(),
                revision: 1,
                posting_key: "BZ00000000000B01".into(),
                reason: "not approved".into(),
            },
            Plan::Post(posting("1", 11000, 1)),
        ])
        .unwrap();
    assert_eq!(
        journal.counts().unwrap(),
        [(State::Pending, 1), (State::Held, 1), (State::Skipped, 1)]
    );
    let problems = journal.problems().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].reason.as_deref(), Some("no expense account"));
}

#[test]
fn a_card_approval_is_found_from_its_cancellation() {
    let dir = TempDir::new("approval");
    let mut journal = dir.journal();
    let original = posting("1", 11000, 1);
    let approval = "2148612345/9410123456781234/20261103/30011".to_owned();
    let mut record = incoming("1", 11000);
    record.approval = Some(approval.clone());
    journal.ingest(&[record]).unwrap();
    journal.plan(&[Plan::Post(original.clone())]).unwrap();
    let found = journal.posting_of_approval(&approval).unwrap().unwrap();
    assert_eq!(found.posting_key, original.key.as_str());
    assert!(journal.posting_of_approval("other").unwrap().is_none());
}

#[test]
fn the_pull_cursor_survives_a_restart() {
    let dir = TempDir::new("cursor");
    let cursor = Cursor {
        window_start: "20261101".into(),
        window_end: "20261130".into(),
        next_key: Some("P3".into()),
    };
    dir.journal().save_cursor("0411A", &cursor).unwrap();
    assert_eq!(dir.journal().cursor("0411A").unwrap(), Some(cursor));
    assert_eq!(dir.journal().cursor("other").unwrap(), None);
}

#[test]
fn a_journal_from_a_newer_version_is_refused() {
    let dir = TempDir::new("schema");
    let path = dir.0.join("journal.sqlite");
    drop(Journal::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        Journal::open(&path),
        Err(JournalError::NewerSchema { found: 99, .. })
    ));
}

#[test]
fn the_file_is_in_wal_mode_with_full_sync() {
    let dir = TempDir::new("pragmas");
    let journal = dir.journal();
    let mode: String = journal
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    let sync: i64 = journal
        .conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "FULL");
}

#[test]
fn a_reversal_of_the_old_revision_survives_the_new_revisions_plan() {
    let dir = TempDir::new("revision-reversal");
    let mut journal = dir.journal();
    let first = posting("1", 11000, 1);
    journal.plan(&[Plan::Post(first.clone())]).unwrap();
    journal.mark_sending(first.key.as_str()).unwrap();
    journal
        .mark_posted(first.key.as_str(), "010000000110002026", "")
        .unwrap();

    let reversal = reversal_of(&first);
    let second = posting("1", 22000, 2);
    let original = first.key.to_string();
    journal
        .plan(&[
            Plan::Reverse {
                reversal: reversal.clone(),
                original,
            },
            Plan::Post(second.clone()),
        ])
        .unwrap();
    let due: Vec<String> = journal
        .due(Timestamp::now(), 10)
        .unwrap()
        .into_iter()
        .map(|r| r.posting_key)
        .collect();
    assert_eq!(due, [reversal.key.to_string(), second.key.to_string()]);
}

#[test]
fn processes_opening_a_new_journal_at_once_create_it_once() {
    let dir = TempDir::new("concurrent-open");
    let path = dir.0.join("journal.sqlite");
    let openers: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || Journal::open(&path).map(|_| ()))
        })
        .collect();
    for opener in openers {
        opener.join().unwrap().unwrap();
    }
    assert_eq!(Journal::open(&path).unwrap().counts().unwrap(), []);
}

#[test]
fn an_unreadable_record_is_named_by_its_content_not_its_place() {
    let first = unreadable_key(r#"{"SEQ": 1, "BUY_SUM": "x"}"#);
    assert!(first.starts_with("unreadable/"), "{first}");
    assert_eq!(
        first,
        unreadable_key(r#"{ "BUY_SUM": "x", "SEQ": 1 }"#),
        "same content"
    );
    assert_ne!(first, unreadable_key(r#"{"SEQ": 2, "BUY_SUM": "x"}"#));
}
