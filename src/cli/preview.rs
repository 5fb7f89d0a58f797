//! `bizsap preview`: maps a bizplay response and prints what would be posted.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bizsap::mapping::Rules;
use bizsap::preview::Preview;
use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The mapping rules (TOML).
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// A bizplay 0411A response body (JSON).
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// How to print the documents.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A readable table per document.
    Table,
    /// `{"postings": [...], "held": [...], "skipped": [...]}` with SAP's field names.
    Json,
}

/// Exit code when some records were held.
const HELD: u8 = 3;

pub fn run(args: PreviewArgs) -> ExitCode {
    let preview = match load(&args) {
        Ok(preview) => preview,
        Err(error) => return super::fail(&error),
    };
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Table => preview.write_table(&mut out),
        Format::Json => preview.write_json(&mut out),
    };
    if let Err(error) = written.and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not a failure of the preview.
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return super::fail(&anyhow::Error::from(error).context("cannot write the preview"));
        }
    }
    if preview.held_count() > 0 {
        ExitCode::from(HELD)
    } else {
        ExitCode::SUCCESS
    }
}

fn load(args: &PreviewArgs) -> anyhow::Result<Preview> {
    let rules = Rules::load(&args.rules)?;
    let body = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    Preview::build(&rules, &body).with_context(|| format!("cannot use {}", args.input.display()))
}
