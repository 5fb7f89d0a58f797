//! Command-line glue: argument parsing, logging set-up and exit codes.

mod preview;
mod stub;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Posts corporate expenses from bizplay into SAP.
#[derive(Debug, Parser)]
#[command(name = "bizsap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what would be posted for a bizplay response, without sending anything.
    ///
    /// Exit codes: 0 every record mapped or skipped, 3 some records held, 2 bad arguments,
    /// rules or input.
    Preview(preview::PreviewArgs),
    /// Run a stub backend (SAP) for tests and demonstrations.
    #[command(subcommand)]
    Stub(stub::StubCommand),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    match cli.command {
        Command::Preview(args) => preview::run(args),
        Command::Stub(command) => stub::run(command),
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;

    let filter = EnvFilter::try_from_env("BIZSAP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Exit code for bad arguments, configuration or input.
const USAGE: u8 = 2;

/// Prints an error with its causes, the way a person can act on it, and returns exit code 2.
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::from(USAGE)
}
