//! `bizsap sync` killed with SIGKILL while it posts, then started again: every receipt ends
//! up in SAP exactly once.

#![cfg(unix)]

mod sync_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bizsap::stub::landscape::Landscape;
use bizsap::stub::sap::faults::{FaultKind, FaultRule};
use sync_support::{TempDir, booked, documents_per_reference, example_total, write_config};

fn sync(config: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bizsap"));
    command
        .args(["sync", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_started_again_posts_every_receipt_exactly_once() {
    let landscape = Landscape::start().await.unwrap();
    let dir = TempDir::new("killed");
    let config = write_config(&landscape, &dir, "");
    // Slow SAP down so that the kill lands in the middle of the month.
    let slow = FaultRule::probability(FaultKind::Latency { millis: 15 }, 1.0);
    landscape.sap.sap().arm_fault(slow).unwrap();

    let mut child = sync(&config).spawn().unwrap();
    let started = Instant::now();
    while landscape.sap.sap().documents().len() < 40 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "sync ended before it could be killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "sync posts nothing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let at_kill = landscape.sap.sap().documents().len();
    assert!(at_kill < 284, "killed mid-month ({at_kill} documents)");

    landscape.sap.sap().disarm_faults();
    let output = tokio::task::spawn_blocking(move || sync(&config).output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    println!("killed at {at_kill} documents; the second run: {stdout}");
    let documents = documents_per_reference(&landscape);
    assert_eq!(documents.len(), 284, "one document per receipt");
    assert!(
        documents.values().all(|count| *count == 1),
        "no document twice"
    );
    assert_eq!(booked(&landscape), example_total());
    // Every receipt is closed: 284 posted, and six approvals with their cancellations.
    assert_eq!(landscape.bizplay.summary().closed, 296);
}
