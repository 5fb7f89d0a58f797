//! Command-line glue: argument parsing, logging set-up and exit codes.

mod demo;
mod preview;
mod status;
mod stub;
mod sync;

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
    /// Run the example month through both transports against stub bizplay and stub SAP.
    Demo(demo::DemoArgs),
    /// Show what would be posted for a bizplay response, without sending anything.
    ///
    /// Exit codes: 0 every record mapped or skipped, 3 some records held, 2 bad arguments,
    /// rules or input.
    Preview(preview::PreviewArgs),
    /// One pass: pull from bizplay, post to SAP exactly once, write the outcome back.
    ///
    /// Exit codes: 0 everything delivered, 3 records need a person (see `bizsap status`),
    /// 4 documents wait for the next run, 1 the pass stopped, 2 bad arguments or configuration.
    Sync(sync::SyncArgs),
    /// Sync on the configured schedule until SIGTERM or Ctrl-C, which finish the documents in
    /// flight and then stop.
    Run(sync::SyncArgs),
    /// Count documents by state and list the held and rejected ones with their reasons.
    Status(status::StatusArgs),
    /// Send rejected documents again, with the same keys, once the cause is fixed.
    Retry(status::RetryArgs),
    /// Run a stub backend (SAP or bizplay) for tests and demonstrations.
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
    // The demo's story is its own output; the stubs' lifecycle lines would only interrupt it.
    init_logging(if matches!(cli.command, Command::Demo(_)) {
        "warn"
    } else {
        "info"
    });
    match cli.command {
        Command::Demo(args) => demo::demo(args),
        Command::Preview(args) => preview::run(args),
        Command::Sync(args) => sync::sync(args),
        Command::Run(args) => sync::run(args),
        Command::Status(args) => status::status(args),
        Command::Retry(args) => status::retry(args),
        Command::Stub(command) => stub::run(command),
    }
}

/// Human-readable logs on a terminal; one JSON object a line under a service manager
/// (systemd sets `JOURNAL_STREAM`), or wherever `BIZSAP_LOG_FORMAT=json` asks for it.
fn init_logging(default: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;

    let filter = EnvFilter::try_from_env("BIZSAP_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let json = match std::env::var("BIZSAP_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok(_) => false,
        Err(_) => std::env::var_os("JOURNAL_STREAM").is_some() && !std::io::stderr().is_terminal(),
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// Exit code for bad arguments, configuration or input.
const USAGE: u8 = 2;

/// Prints an error with its causes, the way a person can act on it, and returns exit code 2.
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    ExitCode::from(USAGE)
}
