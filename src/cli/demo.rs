//! `bizsap demo`: the example month through both transports, against the stub bizplay
//! gateway and the stub SAP system started in this process.
//!
//! Everything is real but SAP and bizplay themselves: HTTP and RFC over loopback sockets, the
//! stub `libsapnwrfc` loaded at run time, the SQLite journal in a temporary directory, the
//! same pipeline `bizsap sync` runs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use bizsap::journal::State;
use bizsap::pipeline::SyncReport;
use bizsap::stub::landscape::{EXAMPLE_RULES, Landscape, Transport};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use rust_decimal::Decimal;

use bizsap::pipeline::Bridge;
use bizsap::preview::group_thousands;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which transport to run the month through.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    transport: Which,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    Both,
    Rfc,
    Idoc,
}

/// The example month was processed in bizplay from 4 November to 1 December 2026. The demo
/// syncs twice, as a scheduled service would: mid-month, and the day after the last receipt,
/// whatever the date today. Cancellations reported after mid-month reverse posted documents.
const MID_MONTH: Date = jiff::civil::date(2026, 11, 16);
const MONTH_END: Date = jiff::civil::date(2026, 12, 2);
const LOOKBACK_DAYS: u32 = 35;

pub fn demo(args: DemoArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return super::fail(&error.into()),
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: DemoArgs) -> anyhow::Result<bool> {
    let dir = TempDir::new()?;
    let rules = dir.0.join("rules.toml");
    std::fs::write(&rules, EXAMPLE_RULES)?;
    let landscape = Landscape::start().await.context("cannot start the stubs")?;
    let gateway = landscape.bizplay.summary();
    println!("bizsap demo: one month of card receipts into SAP, through both transports\n");
    println!(
        "  stub bizplay  {}  ({} receipts)",
        landscape.bizplay_url(),
        gateway.receipts
    );
    println!(
        "  stub SAP      http://{} (IDoc XML), RFC gateway {}, client {}\n",
        landscape.sap.http_addr(),
        landscape.sap.rfc_addr(),
        landscape.sap.sap().master_data().system.client,
    );

    let transports: &[Transport] = match args.transport {
        Which::Both => &[Transport::Rfc, Transport::Idoc],
        Which::Rfc => &[Transport::Rfc],
        Which::Idoc => &[Transport::Idoc],
    };
    let mut all_good = true;
    for &transport in transports {
        landscape.sap.sap().reset()?;
        landscape.sap.idocs().reset()?;
        landscape.bizplay.reset();
        let journal = dir.0.join(format!("journal-{}.sqlite", name(transport)));
        let config = landscape.config(transport, &journal, &rules, LOOKBACK_DAYS)?;
        let mut bridge = Bridge::new(config)?;
        bridge.progress = false;
        all_good &= run_transport(&landscape, &bridge, transport).await?;
    }
    landscape.shutdown().await?;
    Ok(all_good)
}

fn name(transport: Transport) -> &'static str {
    match transport {
        Transport::Rfc => "rfc",
        Transport::Idoc => "idoc",
    }
}

async fn run_transport(
    landscape: &Landscape,
    bridge: &Bridge,
    transport: Transport,
) -> anyhow::Result<bool> {
    println!(
        "{}",
        match transport {
            Transport::Rfc =>
                "RFC: BAPI_ACC_DOCUMENT_POST + BAPI_TRANSACTION_COMMIT, \
                               4 connections through the stub libsapnwrfc",
            Transport::Idoc =>
                "IDoc XML over HTTP: ACC_DOCUMENT03 to /sap/bc/idoc_xml, \
                                packets of 20, statuses polled to 53",
        }
    );
    let mut passes = Vec::new();
    for (label, day) in [("16 Nov", MID_MONTH), (" 2 Dec", MONTH_END)] {
        let started = Instant::now();
        let report = bridge.pass(day, std::future::pending()).await?;
        println!(
            "  {label}  {}",
            pass_line(&report, started.elapsed().as_secs_f64())
        );
        passes.push(report);
    }
    let again = bridge.pass(MONTH_END, std::future::pending()).await?;
    let resent = again.posted + again.new_revisions;
    println!("  again   {resent} new receipts, nothing sent twice");

    let journal = bridge.journal()?;
    let counts = journal.counts()?;
    let count = |state| {
        counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    };
    let totals = landscape.sap.sap().totals();
    let booked: Decimal = totals
        .accounts
        .values()
        .filter_map(|balances| balances.get("KRW"))
        .filter(|balance| balance.is_sign_positive())
        .sum();
    let expected = approved_total(bridge)?;
    let gateway = landscape.bizplay.summary();

    println!(
        "  journal: {} posted, {} reversed, {} skipped, {} held, {} rejected",
        count(State::Posted),
        count(State::Reversed),
        count(State::Skipped),
        count(State::Held),
        count(State::Rejected),
    );
    println!(
        "  SAP: {} documents ({} reversed); expense and input VAT booked {} KRW",
        totals.documents,
        totals.reversed,
        group_thousands(&booked.normalize().to_string()),
    );
    println!(
        "  bizplay: receipts approved, less cancellations, {} KRW; {} document numbers written \
         back (9313), {} receipts closed (9212)",
        group_thousands(&expected.normalize().to_string()),
        gateway.document_numbers,
        gateway.closed,
    );
    let troubled = passes
        .iter()
        .any(|report| report.held + report.rejected > 0);
    let good = booked == expected && resent == 0 && !troubled;
    println!(
        "  {}\n",
        if good {
            "totals agree"
        } else {
            "TOTALS DO NOT AGREE"
        }
    );
    Ok(good)
}

fn pass_line(report: &SyncReport, seconds: f64) -> String {
    format!(
        "pulled {:>3} receipts, posted {:>3} documents in {seconds:.1} s; {} skipped, {} held, \
         {} rejected",
        report.pulled, report.posted, report.skipped, report.held, report.rejected,
    )
}

/// What SAP should hold: the approved receipts' totals, less those cancelled.
fn approved_total(bridge: &Bridge) -> anyhow::Result<Decimal> {
    let page = bizsap::bizplay::parse_0411a(bizsap::stub::landscape::EXAMPLE_RECEIPTS)?;
    let records: Vec<_> = page.records.into_iter().flatten().collect();
    let mut total = Decimal::ZERO;
    for record in &records {
        let approved = record.approval_status.as_deref() == Some("9");
        if !approved || bridge.rules.company(&record.key.biz_no).is_none() {
            continue;
        }
        if record.cancelled {
            total -= record.amounts.total.abs();
        } else {
            total += record.amounts.total;
        }
    }
    Ok(total)
}

/// A directory removed when the demo ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("bizsap-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
