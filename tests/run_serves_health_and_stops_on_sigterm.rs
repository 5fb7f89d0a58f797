//! `bizsap run` as a service: it syncs at start, serves health, metrics and status while it
//! waits for the next run, and stops cleanly on SIGTERM.

#![cfg(unix)]

mod sync_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bizsap::net::HttpSettings;
use bizsap::stub::landscape::Landscape;
use serde_json::Value;
use sync_support::{TempDir, write_config};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_syncs_serves_its_status_and_stops_on_sigterm() {
    let landscape = Landscape::start().await.unwrap();
    let dir = TempDir::new("run");
    let port = free_port();
    let server = format!("\n[server]\nlisten = \"127.0.0.1:{port}\"\n");
    let path = write_config(&landscape, &dir, &server);

    let mut child = Command::new(env!("CARGO_BIN_EXE_bizsap"))
        .args(["run", "--config"])
        .arg(&path)
        .env("BIZSAP_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = HttpSettings::default().client().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let status: Value = loop {
        assert!(child.try_wait().unwrap().is_none(), "run ended on its own");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first pass never finished"
        );
        if let Ok(response) = http.get(format!("{base}/api/status")).send().await {
            let status: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
            if !status["last_pass"].is_null() {
                break status;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["counts"]["posted"], 284, "{status}");
    assert!(status["last_pass"]["error"].is_null(), "{status}");
    assert_eq!(status["problems"].as_array().unwrap().len(), 0);
    let get = |path: &'static str| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let response = http.get(url).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(get("/healthz").await, (200, "ok\n".to_owned()));
    assert_eq!(get("/readyz").await.0, 200);
    let (code, metrics) = get("/metrics").await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains("bizsap_documents{state=\"posted\"} 284"),
        "{metrics}"
    );
    assert!(metrics.contains("bizsap_last_pass_ok 1"), "{metrics}");
    assert!(!metrics.contains("stub-password") && !status.to_string().contains("stub-password"));

    let term = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(term.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0));
}
