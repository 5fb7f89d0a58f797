//! `bizsap sync` (one pass) and `bizsap run` (passes on a schedule until stopped).
//!
//! Exit codes of `sync`: 0 everything delivered; 3 some records are held or rejected and need
//! a person (see `bizsap status`); 4 some documents are waiting for a retry or in doubt and
//! the next run picks them up; 1 the pass stopped (bizplay or SAP refused the credentials, the
//! journal could not be written); 2 bad arguments or configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use bizsap::config::{Config, Secrets};
use bizsap::pipeline::{self, Bridge, SyncReport};
use bizsap::schedule::Cron;
use bizsap::serve::Served;
use bizsap::server::{LastPass, Monitor};
use clap::Args;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

/// Exit code: records need a person.
pub const NEEDS_ATTENTION: u8 = 3;
/// Exit code: documents wait for the next run.
pub const INCOMPLETE: u8 = 4;

/// The exit code a pass's report calls for.
pub fn exit_code(report: &SyncReport, journal_problems: usize) -> ExitCode {
    if journal_problems > 0 || report.rejected > 0 || report.held > 0 {
        ExitCode::from(NEEDS_ATTENTION)
    } else if report.retry_later > 0 || report.in_doubt > 0 {
        ExitCode::from(INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    }
}

/// One line for people: what the pass did.
pub fn summary(report: &SyncReport) -> String {
    format!(
        "pulled {}, new or changed {}, posted {}, rejected {}, held {}, skipped {}, \
         waiting for retry {}, in doubt {}, resolved from doubt {}, written back {}",
        report.pulled,
        report.new_revisions,
        report.posted,
        report.rejected,
        report.held,
        report.skipped,
        report.retry_later,
        report.in_doubt,
        report.resolved_in_doubt,
        report.written_back,
    )
}

pub fn sync(args: SyncArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return super::fail(&error.into()),
    };
    let bridge = match Config::load(&args.config, Secrets::Read)
        .map_err(anyhow::Error::from)
        .and_then(|config| Ok(Bridge::new(config)?))
    {
        Ok(bridge) => bridge,
        Err(error) => return super::fail(&error),
    };
    match runtime.block_on(bridge.pass(pipeline::today(), shutdown_signal())) {
        Ok(report) => {
            eprintln!();
            println!("{}", summary(&report));
            let journal = bridge.journal().ok();
            let problems = journal
                .and_then(|j| j.problems().ok())
                .map_or(0, |p| p.len());
            exit_code(&report, problems)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn run(args: SyncArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return super::fail(&error.into()),
    };
    let mut bridge = match Config::load(&args.config, Secrets::Read)
        .map_err(anyhow::Error::from)
        .and_then(|config| Ok(Bridge::new(config)?))
    {
        Ok(bridge) => bridge,
        Err(error) => return super::fail(&error),
    };
    // A service's standard error goes to a log, where a progress line is noise.
    bridge.progress = false;
    let cron = Cron::parse(&bridge.config.schedule.cron).expect("checked when the config was read");
    let monitor = Monitor::new(bridge.config.journal.clone());
    runtime.block_on(async move {
        let _served = match bridge.config.server.listen {
            Some(listen) => match Served::start(listen, monitor.router()).await {
                Ok(served) => {
                    tracing::info!(addr = %served.addr(), "Serving health, metrics and status.");
                    Some(served)
                }
                Err(error) => {
                    return super::fail(
                        &anyhow::Error::from(error)
                            .context(format!("cannot listen on {listen} ([server] listen)")),
                    );
                }
            },
            None => None,
        };
        // One signal ends both the pass in progress and the wait for the next one.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        });
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        tracing::info!(schedule = %bridge.config.schedule.cron, "bizsap run started.");
        loop {
            let outcome = bridge.pass(pipeline::today(), stopped()).await;
            monitor.record(LastPass {
                finished: jiff::Timestamp::now(),
                error: outcome.as_ref().err().map(|error| format!("{error:#}")),
                report: outcome.as_ref().ok().cloned(),
            });
            match outcome {
                Ok(report) => tracing::info!(summary = summary(&report), "Sync finished."),
                Err(error) => {
                    // A refused credential will not heal by itself, but the service keeps its
                    // schedule so that it resumes as soon as someone fixes it.
                    tracing::error!(
                        error = format!("{error:#}"),
                        "Sync stopped; an operator must act."
                    );
                }
            }
            let now = jiff::ZonedDateTime::now();
            let Some(next) = cron.next(&now) else {
                tracing::error!("The schedule has no next run; stopping.");
                return ExitCode::FAILURE;
            };
            let wait = (next.timestamp() - now.timestamp()).unsigned_abs();
            tracing::info!(next = %next, "Waiting for the next run.");
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stopped() => {
                    tracing::info!("bizsap run stopped.");
                    return ExitCode::SUCCESS;
                }
            }
        }
    })
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
