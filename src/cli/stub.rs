//! `bizsap stub ...`: the stub backends.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum StubCommand {}

pub fn run(command: StubCommand) -> ExitCode {
    match command {}
}
