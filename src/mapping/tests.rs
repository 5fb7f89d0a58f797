//! Mapping cases, one per rule an accountant relies on, and the balance property.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::*;
use crate::bizplay::parse_record;

fn rules() -> Rules {
    let source = include_str!("../../examples/rules.toml");
    Rules::parse(source, "examples/rules.toml").expect("the example rules load")
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// A deductible corporate-card dinner at a general merchant, changed by `changes`.
fn record(changes: Value) -> ExpenseRecord {
    let mut base = json!({
        "BIZ_NO": "2148612345", "CARD_NO": "9410123456781234", "APV_DT": "20261103",
        "SEQ": "412", "APV_NO": "30012345", "APV_CAN_YN": "A", "BANK_CD": "30000008",
        "CARD_TYPE": "1", "MEST_NM": "예시식당", "MEST_TAXT_TYP_INFO": "01",
        "BUY_SUM": "33000", "SPLY_AMT": "30000", "VAT_AMT": "3000", "SRV_FEE": "0",
        "TRAN_KIND_CD": "A1002", "TRAN_KIND_NM": "회식비", "ERP_CODE": "81100",
        "TRAN_KIND_ERP_CO_CD": "25300", "DEDCT_YN": "Y", "PROC_STS": "2", "APPR_STS": "9",
        "LST_APRV_DATE": "20261108", "SETL_SCHE_DT": "20261215", "USER_NM": "홍길동",
        "USER_EMP_CD": "20190012", "DEPT_ERP_CD": "10100", "R_EMP_ERP_CD": "20190012",
        "R_DEPT_ERP_CD": "10100", "SUMMARY": "팀 회식"
    });
    for (field, value) in changes.as_object().unwrap() {
        base[field] = value.clone();
    }
    parse_record(&base.to_string(), 1).expect("test record parses")
}

fn map(changes: Value) -> Outcome {
    Mapper::new(&rules()).map(&record(changes), 1, None)
}

fn posting(changes: Value) -> Posting {
    match map(changes) {
        Outcome::Posting(posting) => posting,
        other => panic!("expected a posting, got {other:?}"),
    }
}

fn held(changes: Value) -> String {
    match map(changes) {
        Outcome::Held(held) => held.reason.to_string(),
        other => panic!("expected a held record, got {other:?}"),
    }
}

/// (type, account or vendor, amount, tax code, tax base) of one item.
type Line = (
    &'static str,
    String,
    Decimal,
    Option<String>,
    Option<Decimal>,
);

/// Every item as a [`Line`], in item order.
fn lines(posting: &Posting) -> Vec<Line> {
    posting
        .items
        .iter()
        .map(|item| {
            let (kind, number) = match &item.kind {
                ItemKind::Gl { account, .. } => ("gl", account.to_string()),
                ItemKind::Vendor { vendor, .. } => ("vendor", vendor.to_string()),
                ItemKind::Tax => ("tax", String::new()),
            };
            (
                kind,
                number,
                item.amount,
                item.tax_code.clone(),
                item.tax_base,
            )
        })
        .collect()
}

fn line(
    kind: &'static str,
    number: &str,
    amount: &str,
    code: Option<&str>,
    base: Option<&str>,
) -> Line {
    (
        kind,
        number.to_owned(),
        dec(amount),
        code.map(str::to_owned),
        base.map(dec),
    )
}

#[test]
fn deductible_vat_becomes_a_tax_line_with_its_base() {
    let posting = posting(json!({}));
    assert_eq!(posting.kind, PostingKind::Ao);
    assert_eq!(posting.header.doc_type, "SA");
    assert_eq!(
        lines(&posting),
        vec![
            line("gl", "0000025300", "-33000", None, None),
            line("gl", "0000081100", "30000", Some("V1"), None),
            line("tax", "", "3000", Some("V1"), Some("30000")),
        ]
    );
    assert_eq!(posting.header.business_place.as_deref(), Some("0001"));
    let ItemKind::Gl { cost_center, .. } = &posting.items[1].kind else {
        panic!()
    };
    assert_eq!(cost_center.as_ref().unwrap().as_str(), "0000010100");
}

#[test]
fn non_deductible_vat_stays_in_the_expense() {
    let posting = posting(json!({"DEDCT_YN": "N"}));
    assert_eq!(
        lines(&posting),
        vec![
            line("gl", "0000025300", "-33000", None, None),
            line("gl", "0000081100", "33000", Some("V5"), None),
        ]
    );
}

#[test]
fn entertainment_vat_is_never_deductible_whatever_the_flag_says() {
    let posting = posting(json!({"TRAN_KIND_CD": "A1007", "TRAN_KIND_NM": "대외활동비"}));
    assert_eq!(
        lines(&posting)[1],
        line("gl", "0000081300", "33000", Some("V5"), None)
    );
    assert_eq!(posting.items.len(), 2);
}

#[test]
fn simplified_and_exempt_merchants_get_no_tax_line() {
    let simplified = posting(json!({"MEST_TAXT_TYP_INFO": "02"}));
    assert_eq!(
        lines(&simplified)[1],
        line("gl", "0000081100", "33000", Some("V7"), None)
    );
    assert_eq!(simplified.items.len(), 2);

    let exempt = posting(json!({"MEST_TAXT_TYP_INFO": "03", "SPLY_AMT": "33000", "VAT_AMT": "0"}));
    assert_eq!(
        lines(&exempt)[1],
        line("gl", "0000081100", "33000", Some("V8"), None)
    );
    assert_eq!(exempt.items.len(), 2);
}

#[test]
fn service_charge_is_its_own_line_without_tax() {
    let posting = posting(json!({"BUY_SUM": "36300", "SRV_FEE": "3300"}));
    assert_eq!(
        lines(&posting),
        vec![
            line("gl", "0000025300", "-36300", None, None),
            line("gl", "0000081100", "30000", Some("V1"), None),
            line("gl", "0000081100", "3300", None, None),
            line("tax", "", "3000", Some("V1"), Some("30000")),
        ]
    );
    assert!(posting.items[2].text.starts_with("봉사료"));
}

#[test]
fn amounts_that_do_not_add_up_are_held_with_the_numbers() {
    let reason = held(json!({"BUY_SUM": "34000"}));
    assert!(
        reason.contains("30000") && reason.contains("34000"),
        "{reason}"
    );
    assert!(reason.contains("BUY_SUM"), "{reason}");
}

#[test]
fn a_krw_fraction_is_held_naming_the_field() {
    let reason = held(json!({"VAT_AMT": "3000.5", "SPLY_AMT": "29999.5"}));
    assert!(reason.starts_with("SPLY_AMT is 29999.5"), "{reason}");
    assert!(reason.contains("KRW"), "{reason}");
}

#[test]
fn split_lines_become_expense_lines_with_their_own_accounts_and_vat() {
    let posting = posting(json!({
        "SPLIT_LIST": [
            {"TRAN_KIND_CD_ERP_CD": "81100", "SPL_AMT": "22000", "SPL_SPLY_AMT": "20000",
             "SPL_VAT_AMT": "2000", "SPL_DEDCT_YN": "Y", "BGT_DVSN_ERP_CD": "10200"},
            {"TRAN_KIND_CD_ERP_CD": "81300", "SPL_AMT": "11000", "SPL_SPLY_AMT": "10000",
             "SPL_VAT_AMT": "1000", "SPL_DEDCT_YN": "N", "MEMO": "고객 동석"}
        ]
    }));
    assert_eq!(
        lines(&posting),
        vec![
            line("gl", "0000025300", "-33000", None, None),
            line("gl", "0000081100", "20000", Some("V1"), None),
            line("gl", "0000081300", "11000", Some("V5"), None),
            line("tax", "", "2000", Some("V1"), Some("20000")),
        ]
    );
    let centers: Vec<_> = posting.items[1..3]
        .iter()
        .map(|item| match &item.kind {
            ItemKind::Gl { cost_center, .. } => cost_center.clone().unwrap().to_string(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(centers, ["0000010200", "0000010100"]);
    assert!(
        posting.items[2].text.contains("고객 동석"),
        "{}",
        posting.items[2].text
    );
}

#[test]
fn split_lines_that_miss_the_total_are_held() {
    let reason = held(json!({
        "SPLIT_LIST": [{"TRAN_KIND_CD_ERP_CD": "81100", "SPL_AMT": "22000",
                        "SPL_SPLY_AMT": "20000", "SPL_VAT_AMT": "2000"}]
    }));
    assert!(
        reason.contains("22000") && reason.contains("33000"),
        "{reason}"
    );
}

#[test]
fn a_cancellation_reverses_the_original_approval() {
    let rules = rules();
    let original = record(json!({}));
    let cancel = record(json!({"SEQ": "413", "APV_CAN_YN": "B", "APV_CAN_DT": "20261110"}));
    let outcomes = Mapper::new(&rules).map_page(&[Ok(original.clone()), Ok(cancel)]);
    let Outcome::Posting(reversal) = &outcomes[1] else {
        panic!("{:?}", outcomes[1])
    };
    assert_eq!(reversal.kind, PostingKind::Reversal);
    assert!(reversal.items.is_empty());
    assert!(reversal.key.as_str().starts_with("BR"));
    assert_eq!(reversal.header.posting_date.to_string(), "2026-11-10");
    let reverses = reversal.reverses.as_ref().unwrap();
    assert_eq!(
        reverses.record_key.as_deref(),
        Some(original.key.to_string().as_str())
    );
    let Outcome::Posting(first) = &outcomes[0] else {
        panic!()
    };
    assert_eq!(reverses.posting_key.as_ref(), Some(&first.key));
    assert_eq!(reverses.approval, "9410123456781234/20261103/30012345");
}

#[test]
fn records_not_finally_approved_or_personal_are_skipped() {
    for (changes, expected) in [
        (json!({"APPR_STS": "2"}), "APPR_STS 2"),
        (json!({"PROC_STS": "6"}), "personal use"),
    ] {
        match map(changes) {
            Outcome::Skipped(skipped) => assert!(skipped.reason.contains(expected)),
            other => panic!("expected a skip, got {other:?}"),
        }
    }
}

#[test]
fn card_company_vendor_for_ap_corporate_cards() {
    let posting = posting(json!({"BANK_CD": "30000003"}));
    assert_eq!(posting.kind, PostingKind::Ap);
    assert_eq!(posting.header.doc_type, "KR");
    assert_eq!(
        lines(&posting)[0],
        line("vendor", "0000300003", "-33000", None, None)
    );
    let ItemKind::Vendor { baseline_date, .. } = &posting.items[0].kind else {
        panic!()
    };
    assert_eq!(baseline_date.unwrap().to_string(), "2026-12-15");
}

#[test]
fn employee_vendor_for_personal_cards() {
    let posting = posting(json!({"CARD_TYPE": "2", "BANK_CD": "30000001"}));
    assert_eq!(posting.kind, PostingKind::Ap);
    assert_eq!(
        lines(&posting)[0],
        line("vendor", "0920190012", "-33000", None, None)
    );
}

#[test]
fn a_card_company_without_vendor_is_held_with_what_to_add() {
    let source =
        include_str!("../../examples/rules.toml").replace("kind = \"AO\"", "kind = \"AP\"");
    let rules = Rules::parse(&source, "rules.toml").unwrap();
    let outcome = Mapper::new(&rules).map(&record(json!({"BANK_CD": "30000099"})), 1, None);
    let Outcome::Held(held) = outcome else {
        panic!("expected a held record, got {outcome:?}")
    };
    assert_eq!(
        held.reason.to_string(),
        "card company 30000099 (BANK_CD) has no SAP vendor: add it under [vendors.card_companies]"
    );
}

#[test]
fn unknown_business_number_is_held() {
    let reason = held(json!({"BIZ_NO": "9999999999"}));
    assert!(
        reason.contains("9999999999") && reason.contains("[[company]]"),
        "{reason}"
    );
}

#[test]
fn expense_account_falls_back_to_the_usage_rule_and_can_be_overridden() {
    let fallback = posting(json!({"ERP_CODE": null, "TRAN_KIND_CD": "A1003"}));
    assert_eq!(lines(&fallback)[1].1, "0000081110");
    let overridden = posting(json!({"ERP_CODE": "99999", "TRAN_KIND_CD": "A1007"}));
    assert_eq!(lines(&overridden)[1].1, "0000081300");
    let reason = held(json!({"ERP_CODE": null, "TRAN_KIND_CD": "A1099", "TRAN_KIND_NM": "기타"}));
    assert!(reason.contains("A1099 기타"), "{reason}");
}

#[test]
fn cost_centre_comes_from_the_department_with_a_map_and_a_default() {
    let center = |p: &Posting| match &p.items[1].kind {
        ItemKind::Gl { cost_center, .. } => cost_center.clone().unwrap().to_string(),
        _ => unreachable!(),
    };
    assert_eq!(
        center(&posting(json!({"R_DEPT_ERP_CD": "S100"}))),
        "0000010100"
    );
    let none = json!({"R_DEPT_ERP_CD": null, "DEPT_ERP_CD": null});
    assert_eq!(center(&posting(none)), "0000010000");
    assert_eq!(
        center(&posting(
            json!({"R_DEPT_ERP_CD": null, "DEPT_ERP_CD": "20100"})
        )),
        "0000020100"
    );
}

#[test]
fn posting_date_follows_the_rule() {
    assert_eq!(
        posting(json!({})).header.posting_date.to_string(),
        "2026-11-08"
    );
    let no_final = posting(json!({"LST_APRV_DATE": null}));
    assert_eq!(no_final.header.posting_date.to_string(), "2026-11-03");
    assert_eq!(no_final.header.doc_date.to_string(), "2026-11-03");
}

#[test]
fn texts_are_cut_to_sap_lengths_in_characters() {
    let name = "한빛대학교병원 장례식장 내 직원식당 및 편의점 통합 결제 창구 (본관 지하 1층)";
    let posting = posting(json!({"MEST_NM": name}));
    assert_eq!(posting.header.text.chars().count(), 25);
    assert!(name.starts_with(&posting.header.text));
    assert!(
        posting
            .items
            .iter()
            .all(|item| item.text.chars().count() <= 50)
    );
}

#[test]
fn the_posting_key_is_the_reference_and_is_deterministic() {
    let first = posting(json!({}));
    let again = posting(json!({"SUMMARY": "changed text"}));
    assert_eq!(first.header.reference, first.key.as_str());
    assert_eq!(first.key, again.key);
    assert_ne!(first.key, posting(json!({"SEQ": "999"})).key);
}

#[test]
fn a_poison_record_does_not_stop_the_others() {
    let rules = rules();
    let good = record(json!({}));
    let bad = record(json!({"SEQ": "7", "BUY_SUM": "1"}));
    let unreadable = Err(crate::bizplay::RecordError {
        record: "#3 on the page".into(),
        key: None,
        field: "APV_DT".into(),
        problem: "missing".into(),
    });
    let outcomes = Mapper::new(&rules).map_page(&[Ok(bad), Ok(good), unreadable]);
    assert!(matches!(outcomes[0], Outcome::Held(_)));
    assert!(matches!(outcomes[1], Outcome::Posting(_)));
    let Outcome::Held(held) = &outcomes[2] else {
        panic!()
    };
    assert_eq!(held.reason.to_string(), "APV_DT: missing");
}

/// A consistent receipt: the amounts add up, as bizplay's would.
fn arb_record() -> impl Strategy<Value = ExpenseRecord> {
    let split = (1u64..2_000_000, 0u64..200_000, any::<bool>(), 0usize..4);
    (
        prop::collection::vec(split, 0..4),
        (1u64..5_000_000, 0u64..500_000, 0u64..50_000),
        (
            prop::sample::select(vec!["00", "01", "02", "03", "99"]),
            1u8..4,
        ),
        (
            any::<bool>(),
            prop::sample::select(vec!["30000001", "30000003", "30000008"]),
        ),
        prop::sample::select(vec!["A1002", "A1003", "A1007", "A1016"]),
    )
        .prop_map(
            |(splits, (supply, vat, fee), (tax_type, card_type), (deduct, bank), usage)| {
                let accounts = ["81100", "81300", "82200", "83000"];
                let split_list: Vec<Value> = splits
                    .iter()
                    .map(|(s, v, d, a)| {
                        json!({"TRAN_KIND_CD_ERP_CD": accounts[*a], "SPL_AMT": (s + v).to_string(),
                           "SPL_SPLY_AMT": s.to_string(), "SPL_VAT_AMT": v.to_string(),
                           "SPL_DEDCT_YN": if *d { "Y" } else { "N" }})
                    })
                    .collect();
                let (supply, vat) = if splits.is_empty() {
                    (supply, vat)
                } else {
                    (
                        splits.iter().map(|s| s.0).sum(),
                        splits.iter().map(|s| s.1).sum(),
                    )
                };
                record(json!({
                    "BUY_SUM": (supply + vat + fee).to_string(), "SPLY_AMT": supply,
                    "VAT_AMT": vat, "SRV_FEE": fee, "MEST_TAXT_TYP_INFO": tax_type,
                    "CARD_TYPE": card_type.to_string(), "DEDCT_YN": if deduct { "Y" } else { "N" },
                    "BANK_CD": bank, "TRAN_KIND_CD": usage, "SPLIT_LIST": split_list,
                }))
            },
        )
}

proptest! {
    #[test]
    fn every_document_balances_and_debits_equal_the_receipt_total(record in arb_record()) {
        let rules = rules();
        let outcome = Mapper::new(&rules).map(&record, 1, None);
        let Outcome::Posting(posting) = outcome else {
            return Err(TestCaseError::fail(format!("not posted: {outcome:?}")));
        };
        prop_assert!(posting.validate().is_ok());
        let sum: Decimal = posting.items.iter().map(|item| item.amount).sum();
        prop_assert_eq!(sum, Decimal::ZERO);
        prop_assert_eq!(posting.debit_total().get(&Currency::krw()).copied(),
                        Some(record.amounts.total));
        let has_tax = posting.items.iter().any(|item| item.kind == ItemKind::Tax);
        prop_assert!(!has_tax || record.merchant_tax_type == Some(MerchantTaxType::General));
    }
}
