//! `bizsap preview --format idoc-xml` run as an integrator runs it before diffing with WE19.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bizsap::sap::idoc::{IdocSchema, ReadLimits, read_packet};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn preview(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bizsap"))
        .args(["preview", "--rules"])
        .arg(repo("examples/rules.toml"))
        .arg("--input")
        .arg(repo("examples/bizplay-0411A.json"))
        .args(["--format", "idoc-xml"])
        .args(extra)
        .output()
        .expect("bizsap runs")
}

#[test]
fn standard_output_is_exactly_one_packet_holding_every_document() {
    let output = preview(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let idocs = read_packet(
        &output.stdout,
        IdocSchema::acc_document03(),
        &ReadLimits::default(),
    )
    .expect("the output is a valid packet");
    let json = Command::new(env!("CARGO_BIN_EXE_bizsap"))
        .args(["preview", "--rules"])
        .arg(repo("examples/rules.toml"))
        .arg("--input")
        .arg(repo("examples/bizplay-0411A.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(idocs.len(), json["postings"].as_array().unwrap().len());
    assert!(
        output
            .stdout
            .starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
    );
}

#[test]
fn the_unknown_object_key_of_a_reversed_document_is_marked_and_said() {
    let output = preview(&[]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stdout.contains("<OBJ_KEY_R>?ORIGINAL-OBJ-KEY?</OBJ_KEY_R>"));
    assert!(
        stderr.contains("6 reversals carry ?ORIGINAL-OBJ-KEY? in OBJ_KEY_R"),
        "{stderr}"
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    assert_eq!(preview(&[]).stdout, preview(&[]).stdout);
}

#[test]
fn a_customer_definition_can_be_given_and_its_errors_are_usage_errors() {
    let xsd = repo("idoc-schemas/we60/ACC_DOCUMENT.ACC_DOCUMENT03.xsd");
    let output = preview(&["--idoc-schema", xsd.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, preview(&[]).stdout);

    let output = preview(&["--idoc-schema", "no-such-definition.xsd"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-definition.xsd"), "{stderr}");
}
