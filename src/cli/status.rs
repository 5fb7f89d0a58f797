//! `bizsap status` and `bizsap retry`: what the journal says, and sending rejected
//! documents again once their cause is fixed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bizsap::config::{Config, Secrets};
use bizsap::journal::{Journal, State};
use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The configuration file; only its journal is read.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true))]
pub struct RetryArgs {
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The posting key of a rejected document (as `bizsap status` shows it).
    #[arg(group = "which")]
    key: Option<String>,
    /// Every rejected document.
    #[arg(long, group = "which")]
    all_rejected: bool,
}

fn open(config: &std::path::Path) -> anyhow::Result<Journal> {
    let config = Config::load(config, Secrets::Skip)?;
    Journal::open(&config.journal)
        .with_context(|| format!("cannot open the journal {}", config.journal.display()))
}

pub fn status(args: StatusArgs) -> ExitCode {
    match show(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => super::fail(&error),
    }
}

fn show(args: &StatusArgs) -> anyhow::Result<()> {
    let journal = open(&args.config)?;
    let counts = journal.counts()?;
    let problems = journal.problems()?;
    if args.json {
        let counts: serde_json::Map<_, _> = counts
            .iter()
            .map(|(state, count)| (state.name().to_owned(), (*count).into()))
            .collect();
        let problems: Vec<_> = problems
            .iter()
            .map(|row| {
                serde_json::json!({
                    "posting_key": row.posting_key, "record_key": row.record_key,
                    "state": row.state.name(),
                    "reason": row.reason.as_deref().or(row.messages.as_deref()),
                    "attempts": row.attempts,
                })
            })
            .collect();
        let json = serde_json::json!({"counts": counts, "problems": problems});
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let line: Vec<String> = counts
        .iter()
        .map(|(state, count)| format!("{} {count}", state.name()))
        .collect();
    println!(
        "{}",
        if line.is_empty() {
            "the journal is empty".to_owned()
        } else {
            line.join(", ")
        }
    );
    for state in [State::Held, State::Rejected] {
        let rows: Vec<_> = problems.iter().filter(|row| row.state == state).collect();
        if rows.is_empty() {
            continue;
        }
        println!("\n{} ({}):", state.name(), rows.len());
        for row in rows {
            let reason = row
                .reason
                .as_deref()
                .or(row.messages.as_deref())
                .unwrap_or("");
            println!(
                "  {}  {}\n      {}",
                row.posting_key,
                row.record_key,
                reason.replace('\n', "\n      ")
            );
        }
    }
    Ok(())
}

pub fn retry(args: RetryArgs) -> ExitCode {
    let result = open(&args.config).and_then(|mut journal| {
        if args.all_rejected {
            let count = journal.retry_all_rejected()?;
            println!("{count} rejected documents will be sent again on the next sync");
        } else {
            let key = args.key.as_deref().unwrap_or_default();
            journal.retry(key)?;
            println!("{key} will be sent again on the next sync, with the same key");
        }
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => super::fail(&error),
    }
}
