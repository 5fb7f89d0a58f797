//! `bizsap stub ...`: the stub backends.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use bizsap::serve::Served;
use bizsap::stub::bizplay::{StubBizplay, StubBizplayConfig};
use bizsap::stub::sap::idoc_inbound::{IdocInbound, InboundOptions};
use bizsap::stub::sap::{MasterData, StubOptions, StubSap, StubSapServer};

#[derive(Debug, Subcommand)]
pub enum StubCommand {
    /// Run the stub SAP system: FI posting checks, commit semantics, faults and an inspection
    /// API over HTTP.
    Sap(SapArgs),
    /// Run the stub bizplay gateway: 0411A from a file, write-backs recorded, faults and an
    /// inspection API.
    Bizplay(BizplayArgs),
}

#[derive(Debug, Args)]
pub struct BizplayArgs {
    /// Address of the HTTP listener (`/gateway.do` and `/stub/...`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8100")]
    listen: SocketAddr,

    /// The receipts to serve: a 0411A response body (JSON with RES_DATA).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,

    /// The one customer's ORG_CD, which is also its BIZ_NO.
    #[arg(long, value_name = "CODE", default_value = "2148612345")]
    org_cd: String,

    /// The API key the stub accepts; a test value, taken from this environment variable.
    #[arg(
        long,
        value_name = "KEY",
        env = "BIZSAP_STUB_BIZPLAY_API_KEY",
        default_value = "stub-api-key"
    )]
    api_key: String,
}

#[derive(Debug, Args)]
pub struct SapArgs {
    /// Address of the HTTP listener (inspection API).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,

    /// Address of the RFC listener the stub libsapnwrfc connects to. 3300 is the gateway
    /// port of system number 00, so clients can give `ashost` and `sysnr = 00`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3300")]
    rfc_listen: SocketAddr,

    /// Master data: company codes, accounts, vendors, cost centres, tax codes, users.
    #[arg(long, value_name = "FILE")]
    master_data: PathBuf,

    /// Keep committed documents in this file across restarts (written atomically).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,

    /// Seed of the fault generator; the same seed injects the same faults.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
}

pub fn run(command: StubCommand) -> ExitCode {
    let result = match command {
        StubCommand::Sap(args) => run_sap(args),
        StubCommand::Bizplay(args) => run_bizplay(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_sap(args: SapArgs) -> anyhow::Result<()> {
    let master = MasterData::load(&args.master_data)?;
    let options = StubOptions {
        seed: args.seed,
        state_file: args.state.clone(),
    };
    let sap = StubSap::new(master, options)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // The IDoc records live beside the ledger, so that a restart still knows which
        // message ids it has posted.
        let options = InboundOptions {
            state_file: args.state.as_deref().map(InboundOptions::state_file_beside),
            ..InboundOptions::default()
        };
        let idocs = IdocInbound::new(sap, options)?;
        let server = StubSapServer::start_on(args.listen, args.rfc_listen, idocs)
            .await
            .with_context(|| format!("cannot listen on {} and {}", args.listen, args.rfc_listen))?;
        tracing::info!(
            addr = %server.http_addr(),
            rfc_addr = %server.rfc_addr(),
            master_data = %args.master_data.display(),
            state = ?args.state,
            seed = args.seed,
            "Stub SAP listening."
        );

        shutdown_signal().await?;
        tracing::info!("Stub SAP stopping.");
        server.shutdown().await.context("stub SAP server failed")
    })
}

fn run_bizplay(args: BizplayArgs) -> anyhow::Result<()> {
    let body = std::fs::read_to_string(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let config = StubBizplayConfig {
        org_cd: args.org_cd.clone(),
        api_key: args.api_key,
    };
    let stub = StubBizplay::from_response(config, &body)
        .map_err(|error| anyhow::anyhow!("{}: {error}", args.data.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let served = Served::start(args.listen, stub.router())
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        tracing::info!(
            addr = %served.addr(),
            data = %args.data.display(),
            receipts = stub.summary().receipts,
            org_cd = args.org_cd,
            "Stub bizplay gateway listening."
        );
        shutdown_signal().await?;
        tracing::info!("Stub bizplay gateway stopping.");
        served
            .shutdown()
            .await
            .context("stub bizplay gateway failed")
    })
}

/// Waits for Ctrl-C, or SIGTERM where there is one.
async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("cannot watch Ctrl-C"),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("cannot watch Ctrl-C")
    }
}
