//! `bizsap preview`: maps a bizplay response and prints what would be posted.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use bizsap::mapping::Rules;
use bizsap::preview::{IdocNotes, OBJ_KEY_PLACEHOLDER, Preview};
use bizsap::sap::bapi::Sender;
use bizsap::sap::idoc::{IdocError, IdocPartners, IdocSchema, IdocWriter};
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
    /// The IDoc definition to check `idoc-xml` against: a WE60 XML schema export of
    /// ACC_DOCUMENT03 or a file in the idoc-schemas text format. The built-in one by default.
    #[arg(long, value_name = "FILE")]
    idoc_schema: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A readable table per document.
    Table,
    /// `{"postings": [...], "held": [...], "skipped": [...]}` with SAP's field names.
    Json,
    /// The ACC_DOCUMENT03 IDoc XML the HTTP target would send, every IDoc in one packet.
    IdocXml,
    /// Per document, the BAPI and its parameters as the RFC target passes them (JSON).
    Bapi,
}

/// Exit code when some records were held.
const HELD: u8 = 3;

pub fn run(args: PreviewArgs) -> ExitCode {
    let loaded = load(&args).and_then(|preview| Ok((preview, schema(&args)?)));
    let (preview, schema) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return super::fail(&error),
    };
    let mut out = std::io::stdout().lock();
    let mut held = preview.held_count();
    let written = match args.format {
        Format::Table => preview.write_table(&mut out),
        Format::Json => preview.write_json(&mut out),
        Format::Bapi => match preview.write_bapi(&mut out, &Sender::default()) {
            Ok(0) => Ok(()),
            Ok(count) => {
                eprintln!(
                    "note: {count} reversals carry {OBJ_KEY_PLACEHOLDER} in OBJ_KEY_R; a delivery \
                     puts the SAP object key of the reversed document there"
                );
                Ok(())
            }
            Err(error) => Err(error),
        },
        Format::IdocXml => {
            let writer = IdocWriter::new(&schema, IdocPartners::default());
            match preview.write_idoc_xml(BufWriter::new(&mut out), &writer) {
                Ok(notes) => {
                    held += notes.refused.len();
                    print_notes(&notes);
                    Ok(())
                }
                Err(IdocError::Io(error)) => Err(error),
                Err(error) => return super::fail(&error.into()),
            }
        }
    };
    if let Err(error) = written.and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not a failure of the preview.
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return super::fail(&anyhow::Error::from(error).context("cannot write the preview"));
        }
    }
    if held > 0 {
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

fn schema(args: &PreviewArgs) -> anyhow::Result<IdocSchema> {
    match &args.idoc_schema {
        Some(path) => Ok(IdocSchema::load(path)?),
        None => Ok(IdocSchema::acc_document03().clone()),
    }
}

/// What the XML cannot say itself goes to standard error, so standard output stays the exact
/// packet.
fn print_notes(notes: &IdocNotes) {
    if !notes.placeholders.is_empty() {
        eprintln!(
            "note: {} reversals carry {OBJ_KEY_PLACEHOLDER} in OBJ_KEY_R; a delivery puts the SAP \
             object key (BELNR + BUKRS + GJAHR) of the reversed document there, which only SAP \
             knows once that document is posted",
            notes.placeholders.len()
        );
    }
    for key in &notes.without_original {
        eprintln!(
            "note: reversal {key} is left out: the document it reverses is not in this input, \
             so there are no items to mirror"
        );
    }
    for (key, error) in &notes.refused {
        eprintln!("held: {key} is left out: {error}");
    }
}
