//! `bizsap preview` run as a user runs it: the real binary on the bundled example.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rust_decimal::Decimal;
use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn preview(rules: &Path, input: &Path, format: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bizsap"))
        .args(["preview", "--rules"])
        .arg(rules)
        .arg("--input")
        .arg(input)
        .args(["--format", format])
        .output()
        .expect("bizsap runs")
}

fn example(format: &str) -> Output {
    preview(
        &repo("examples/rules.toml"),
        &repo("examples/bizplay-0411A.json"),
        format,
    )
}

fn amount(item: &Value, field: &str) -> Decimal {
    item[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {item}"))
        .parse()
        .unwrap()
}

#[test]
fn the_example_month_maps_to_balanced_documents() {
    let output = example("json");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let input: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("examples/bizplay-0411A.json")).unwrap(),
    )
    .unwrap();
    let records = input["RES_DATA"].as_array().unwrap().len();
    let postings = json["postings"].as_array().unwrap();
    let skipped = json["skipped"].as_array().unwrap();
    assert!(
        json["held"].as_array().unwrap().is_empty(),
        "{}",
        json["held"]
    );
    assert_eq!(postings.len() + skipped.len(), records);
    assert!(postings.len() > 250);

    let mut kinds = std::collections::BTreeMap::new();
    for posting in postings {
        *kinds
            .entry(posting["kind"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
        let key = posting["posting_key"].as_str().unwrap();
        assert_eq!(key.len(), 16);
        assert_eq!(posting["header"]["REF_DOC_NO"], key);
        let items = posting["items"].as_array().unwrap();
        let sum: Decimal = items.iter().map(|item| amount(item, "AMT_DOCCUR")).sum();
        assert_eq!(sum, Decimal::ZERO, "{key} does not balance");
        for item in items {
            assert!(
                !item["AMT_DOCCUR"].as_str().unwrap().contains('.'),
                "KRW has no decimals"
            );
        }
    }
    for kind in ["AO", "AP", "REVERSAL"] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} document in {kinds:?}"
        );
    }
}

#[test]
fn the_table_reads_as_a_summary_and_one_block_per_document() {
    let output = example("table");
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8(output.stdout).unwrap();
    let first = table.lines().next().unwrap();
    assert!(first.starts_with("299 records: "), "{first}");
    assert!(first.ends_with(", 0 held, 3 skipped"), "{first}");
    assert!(table.contains("Skipped — not ready to post:"));
    assert!(table.contains("M&M 커피 <역삼점>"));
    assert!(table.lines().last().unwrap().starts_with("Total debits: "));
}

#[test]
fn a_poison_record_is_held_and_the_exit_code_says_so() {
    let dir = std::env::temp_dir().join(format!("bizsap-preview-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut input: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("examples/bizplay-0411A.json")).unwrap(),
    )
    .unwrap();
    let records = input["RES_DATA"].as_array_mut().unwrap();
    let mut poison = records[0].clone();
    poison["SEQ"] = "999999".into();
    poison["SPLY_AMT"] = "12만원".into();
    records.insert(5, poison);
    let path = dir.join("input.json");
    std::fs::write(&path, serde_json::to_vec(&input).unwrap()).unwrap();

    let output = preview(&repo("examples/rules.toml"), &path, "json");
    assert_eq!(output.status.code(), Some(3));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let held = json["held"].as_array().unwrap();
    assert_eq!(held.len(), 1);
    assert!(held[0]["record_key"].as_str().unwrap().ends_with("/999999"));
    assert!(
        held[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("SPLY_AMT: "),
        "{}",
        held[0]
    );
    assert!(
        json["postings"].as_array().unwrap().len() > 250,
        "the others still map"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_broken_rules_file_stops_with_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("bizsap-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = std::fs::read_to_string(repo("examples/rules.toml")).unwrap();
    let path = dir.join("rules.toml");
    std::fs::write(
        &path,
        rules.replace("company_code = \"1000\"", "company_code = \"10000\""),
    )
    .unwrap();

    let output = preview(&path, &repo("examples/bizplay-0411A.json"), "table");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = rules
        .lines()
        .position(|l| l.starts_with("company_code"))
        .unwrap()
        + 1;
    let expected = format!("rules.toml:{line}: company[1].company_code: ");
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(output.stdout.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_input_file_is_a_usage_error() {
    let output = preview(
        &repo("examples/rules.toml"),
        &repo("examples/no-such-file.json"),
        "json",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such-file.json"));
}

#[test]
fn the_bapi_format_shows_the_exact_tables_linked_by_item_number() {
    let output = example("bapi");
    assert_eq!(output.status.code(), Some(0));
    let calls: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let json: Value = serde_json::from_slice(&example("json").stdout).unwrap();
    assert_eq!(calls.len(), json["postings"].as_array().unwrap().len());
    for call in &calls {
        let parameters = &call["parameters"];
        if call["function"] == "BAPI_ACC_DOCUMENT_REV_POST" {
            assert_eq!(parameters["REVERSAL"]["OBJ_KEY_R"], "?ORIGINAL-OBJ-KEY?");
            assert_eq!(parameters["BUS_ACT"], "RFBU");
            continue;
        }
        assert_eq!(call["function"], "BAPI_ACC_DOCUMENT_POST");
        assert_eq!(
            parameters["DOCUMENTHEADER"]["REF_DOC_NO"],
            call["posting_key"]
        );
        let amounts = parameters["CURRENCYAMOUNT"].as_array().unwrap();
        let sum: Decimal = amounts.iter().map(|row| amount(row, "AMT_DOCCUR")).sum();
        assert_eq!(sum, Decimal::ZERO);
        let mut items: Vec<&str> = ["ACCOUNTGL", "ACCOUNTPAYABLE", "ACCOUNTTAX"]
            .iter()
            .flat_map(|table| parameters[*table].as_array().unwrap())
            .map(|row| row["ITEMNO_ACC"].as_str().unwrap())
            .collect();
        items.sort();
        let mut linked: Vec<&str> = amounts
            .iter()
            .map(|row| row["ITEMNO_ACC"].as_str().unwrap())
            .collect();
        linked.sort();
        assert_eq!(items, linked, "one CURRENCYAMOUNT row per item");
    }
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("6 reversals carry ?ORIGINAL-OBJ-KEY?"),
        "{stderr}"
    );
}
