//! Behaviour of the posting engine through the interface transports use: every check with
//! its message, number ranges, commit, rollback, session end, reversal and every fault.

use std::path::Path;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::*;

const EXAMPLE: &str = include_str!("../../../examples/sap-master-data.toml");

fn master() -> MasterData {
    MasterData::parse(EXAMPLE, Path::new("example.toml")).unwrap()
}

fn sap() -> StubSap {
    StubSap::new(master(), StubOptions::default()).unwrap()
}

fn logon<'a>(user: &'a str, password: &'a str) -> Logon<'a> {
    Logon {
        user,
        password,
        channel: UserKind::Rfc,
    }
}

fn session(sap: &StubSap) -> Session {
    sap.open_session(&logon("BIZSAP", "stub-password")).unwrap()
}

/// A document in the generic shape, easy to spoil one field at a time.
#[derive(Clone)]
struct Doc {
    header: Structure,
    gl: Vec<Structure>,
    payable: Vec<Structure>,
    tax: Vec<Structure>,
    amounts: Vec<Structure>,
}

impl Doc {
    /// A card receipt of 55,000 won with 5,000 deductible VAT, owed to KB국민카드 (AP).
    fn card_receipt() -> Self {
        Self {
            header: structure([
                ("BUS_ACT", "RFBU"),
                ("COMP_CODE", "1000"),
                ("DOC_TYPE", "KR"),
                ("DOC_DATE", "20260314"),
                ("PSTNG_DATE", "20260315"),
                ("REF_DOC_NO", "BZ-0001"),
                ("HEADER_TXT", "한빛식당"),
            ]),
            payable: vec![structure([
                ("ITEMNO_ACC", "0000000001"),
                ("VENDOR_NO", "0000300001"),
                ("BUSINESSPLACE", "0001"),
                ("ITEM_TEXT", "KB국민카드 ****1234"),
            ])],
            gl: vec![structure([
                ("ITEMNO_ACC", "0000000002"),
                ("GL_ACCOUNT", "0000081110"),
                ("COSTCENTER", "0000020100"),
                ("TAX_CODE", "V1"),
                ("ITEM_TEXT", "개발팀 점심"),
            ])],
            tax: vec![structure([
                ("ITEMNO_ACC", "0000000003"),
                ("TAX_CODE", "V1"),
            ])],
            amounts: vec![
                amount("1", "-55000"),
                amount("2", "50000.0000"),
                structure([
                    ("ITEMNO_ACC", "3"),
                    ("CURRENCY", "KRW"),
                    ("AMT_DOCCUR", "5000"),
                    ("AMT_BASE", "50000"),
                ]),
            ],
        }
    }

    /// A non-deductible receipt credited to the card payable G/L account (AO), no tax line.
    fn other_payable() -> Self {
        let mut doc = Self::card_receipt();
        doc.payable.clear();
        doc.tax.clear();
        doc.gl[0].insert("TAX_CODE".into(), "V5".into());
        doc.gl.push(structure([
            ("ITEMNO_ACC", "0000000001"),
            ("GL_ACCOUNT", "0000025300"),
            ("ITEM_TEXT", "법인카드 미지급"),
        ]));
        doc.amounts = vec![amount("1", "-55000"), amount("2", "55000")];
        doc
    }

    fn call(&self, function: &str) -> FunctionCall {
        FunctionCall::new(function)
            .with_structure("DOCUMENTHEADER", self.header.clone())
            .with_table("ACCOUNTGL", self.gl.clone())
            .with_table("ACCOUNTPAYABLE", self.payable.clone())
            .with_table("ACCOUNTTAX", self.tax.clone())
            .with_table("CURRENCYAMOUNT", self.amounts.clone())
    }

    fn post(&self) -> FunctionCall {
        self.call("BAPI_ACC_DOCUMENT_POST")
    }

    fn with(mut self, table: &str, row: usize, field: &str, value: &str) -> Self {
        let target = match table {
            "DOCUMENTHEADER" => &mut self.header,
            "ACCOUNTGL" => &mut self.gl[row],
            "ACCOUNTPAYABLE" => &mut self.payable[row],
            "ACCOUNTTAX" => &mut self.tax[row],
            "CURRENCYAMOUNT" => &mut self.amounts[row],
            other => panic!("no table {other}"),
        };
        target.insert(field.to_owned(), value.to_owned());
        self
    }
}

fn amount(itemno: &str, value: &str) -> Structure {
    structure([
        ("ITEMNO_ACC", itemno),
        ("CURRENCY", "KRW"),
        ("AMT_DOCCUR", value),
    ])
}

fn commit() -> FunctionCall {
    FunctionCall::new("BAPI_TRANSACTION_COMMIT").with_scalar("WAIT", "X")
}

fn messages(answer: &Parameters) -> Vec<BapiReturn> {
    answer
        .table("RETURN")
        .iter()
        .filter_map(BapiReturn::from_structure)
        .collect()
}

fn codes(answer: &Parameters) -> Vec<String> {
    messages(answer).iter().map(BapiReturn::code).collect()
}

/// Asserts a refusal led by RW 609 that contains `code` at the given place; returns it.
fn refused(answer: &Parameters, code: &str, at: (&str, i32, &str)) -> BapiReturn {
    let all = messages(answer);
    assert_eq!(all[0].code(), "RW 609", "lead message of {all:#?}");
    assert_eq!(all[0].kind, MessageType::Error);
    assert!(all.iter().all(BapiReturn::is_error), "{all:#?}");
    let found = all.iter().find(|m| m.code() == code);
    let found = found
        .unwrap_or_else(|| panic!("no {code} in {all:#?}"))
        .clone();
    assert_eq!(
        (found.parameter.as_str(), found.row, found.field.as_str()),
        at,
        "{found:#?}"
    );
    found
}

async fn post(doc: &Doc) -> Parameters {
    let sap = sap();
    session(&sap).call(&doc.post()).await.unwrap()
}

async fn post_and_commit(session: &mut Session, doc: &Doc) -> String {
    let answer = session.call(&doc.post()).await.unwrap();
    assert_eq!(codes(&answer), ["RW 605"], "{:#?}", messages(&answer));
    let committed = session.call(&commit()).await.unwrap();
    assert_eq!(
        BapiReturn::from_structure(committed.structure("RETURN").unwrap()),
        None
    );
    answer.scalar("OBJ_KEY").unwrap().to_owned()
}

fn read_bkpf(options: &[&str], fields: &[&str]) -> FunctionCall {
    let options = options
        .iter()
        .map(|text| structure([("TEXT", text)]))
        .collect();
    let fields = fields
        .iter()
        .map(|name| structure([("FIELDNAME", name)]))
        .collect();
    FunctionCall::new("RFC_READ_TABLE")
        .with_scalar("QUERY_TABLE", "BKPF")
        .with_scalar("DELIMITER", "|")
        .with_table("OPTIONS", options)
        .with_table("FIELDS", fields)
}

// --- success ---------------------------------------------------------------------------

#[tokio::test]
async fn a_valid_document_posts_with_rw_605_and_the_object_key() {
    let answer = post(&Doc::card_receipt()).await;

    let [posted] = messages(&answer).try_into().unwrap();
    assert_eq!(
        (posted.kind, posted.code()),
        (MessageType::Success, "RW 605".to_owned())
    );
    assert_eq!(
        posted.message,
        "Document posted successfully: BKPFF 010000000110002026 BSPCLNT100"
    );
    assert_eq!(
        posted.vars[..3],
        ["BKPFF", "010000000110002026", "BSPCLNT100"]
    );
    assert_eq!(answer.scalar("OBJ_TYPE"), Some("BKPFF"));
    assert_eq!(answer.scalar("OBJ_KEY"), Some("010000000110002026"));
    assert_eq!(answer.scalar("OBJ_SYS"), Some("BSPCLNT100"));
}

#[tokio::test]
async fn check_answers_rw_614_and_draws_no_number() {
    let sap = sap();
    let mut session = session(&sap);

    let checked = session
        .call(&Doc::card_receipt().call("BAPI_ACC_DOCUMENT_CHECK"))
        .await;
    let checked = checked.unwrap();
    assert_eq!(codes(&checked), ["RW 614"]);
    assert_eq!(messages(&checked)[0].kind, MessageType::Success);
    assert_eq!(checked.scalar("OBJ_KEY"), None);
    assert_eq!(session.pending_count(), 0);

    let unbalanced = Doc::card_receipt().with("CURRENCYAMOUNT", 1, "AMT_DOCCUR", "1");
    let refused = session
        .call(&unbalanced.call("BAPI_ACC_DOCUMENT_CHECK"))
        .await
        .unwrap();
    assert_eq!(codes(&refused), ["RW 609", "RW 022"]);
    assert_eq!(refused.scalar("OBJ_KEY"), None, "CHECK exports nothing");

    let posted = session.call(&Doc::card_receipt().post()).await.unwrap();
    assert_eq!(posted.scalar("OBJ_KEY"), Some("010000000110002026"));
}

#[tokio::test]
async fn the_committed_document_carries_accounts_vendor_tax_and_cost_centre() {
    let sap = sap();
    post_and_commit(&mut session(&sap), &Doc::card_receipt()).await;

    let [document] = sap.documents().try_into().unwrap();
    assert_eq!(document.number, "0100000001");
    assert_eq!(
        (document.doc_type.as_str(), document.reference.as_str()),
        ("KR", "BZ-0001")
    );
    assert_eq!(document.user, "BIZSAP");
    let items = &document.items;
    assert_eq!(items.iter().map(|i| i.item).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        items[0].account, "0000021000",
        "vendor lines post to the reconciliation account"
    );
    assert_eq!(items[0].vendor.as_deref(), Some("0000300001"));
    assert_eq!(items[1].cost_centre.as_deref(), Some("0000020100"));
    assert_eq!(
        items[1].amount.to_string(),
        "50000",
        "KRW amounts carry no decimals"
    );
    assert_eq!(
        items[2].account, "0000013500",
        "tax account from the tax code"
    );
    assert_eq!(items[2].tax_base, Some(Decimal::from(50000)));

    let totals = sap.totals();
    assert_eq!(totals.documents, 1);
    assert_eq!(totals.accounts["0000081110"]["KRW"], Decimal::from(50000));
    assert_eq!(totals.vendors["0000300001"]["KRW"], Decimal::from(-55000));
}

#[tokio::test]
async fn an_other_payable_document_needs_no_vendor_line_or_business_place() {
    let answer = post(&Doc::other_payable()).await;
    assert_eq!(codes(&answer), ["RW 605"]);
}

#[tokio::test]
async fn a_document_of_the_callers_own_object_type_keeps_its_key() {
    let doc = Doc::card_receipt()
        .with("DOCUMENTHEADER", 0, "OBJ_TYPE", "ZBIZP")
        .with("DOCUMENTHEADER", 0, "OBJ_KEY", "BZ-0001-R1");
    let sap = sap();
    let key = post_and_commit(&mut session(&sap), &doc).await;

    assert_eq!(key, "BZ-0001-R1");
    let document = &sap.documents()[0];
    assert_eq!(
        (document.obj_type.as_str(), document.number.as_str()),
        ("ZBIZP", "0100000001")
    );
}

// --- checks ----------------------------------------------------------------------------

#[tokio::test]
async fn no_header_is_rw_001() {
    let mut doc = Doc::card_receipt();
    doc.header.clear();
    let answer = post(&doc).await;
    refused(&answer, "RW 001", ("DOCUMENTHEADER", 0, ""));
    assert_eq!(codes(&answer), ["RW 609", "RW 001"]);
}

#[tokio::test]
async fn no_items_is_rw_002() {
    let mut doc = Doc::card_receipt();
    (doc.gl, doc.payable, doc.tax, doc.amounts) = Default::default();
    assert_eq!(codes(&post(&doc).await), ["RW 609", "RW 002"]);
}

#[tokio::test]
async fn an_item_without_currency_row_is_rw_003() {
    let mut doc = Doc::card_receipt();
    doc.amounts.pop();
    let msg = refused(&post(&doc).await, "RW 003", ("ACCOUNTTAX", 1, "ITEMNO_ACC"));
    assert_eq!(msg.vars[0], "0000000003");
}

#[tokio::test]
async fn a_reused_item_number_is_rw_014() {
    let doc = Doc::card_receipt().with("ACCOUNTTAX", 0, "ITEMNO_ACC", "0000000002");
    let msg = refused(&post(&doc).await, "RW 014", ("ACCOUNTTAX", 1, "ITEMNO_ACC"));
    assert_eq!(
        msg.message,
        "Line item 0000000002 was entered more than once"
    );
}

#[tokio::test]
async fn a_repeated_currency_row_is_rw_018() {
    let mut doc = Doc::card_receipt();
    doc.amounts.push(amount("2", "0"));
    refused(
        &post(&doc).await,
        "RW 018",
        ("CURRENCYAMOUNT", 4, "CURR_TYPE"),
    );
}

#[tokio::test]
async fn an_unbalanced_document_is_rw_022_after_rw_609() {
    let doc = Doc::card_receipt().with("CURRENCYAMOUNT", 1, "AMT_DOCCUR", "51000");
    let answer = post(&doc).await;

    let all = messages(&answer);
    assert_eq!(all[0].message, "Error in document: BKPFF $ BSPCLNT100");
    let msg = refused(&answer, "RW 022", ("CURRENCYAMOUNT", 0, "AMT_DOCCUR"));
    assert_eq!(
        msg.message,
        "FI/CO interface: balance in transaction currency 1000 KRW"
    );
    assert_eq!(answer.scalar("OBJ_KEY"), Some("$"));
}

#[tokio::test]
async fn an_unpadded_account_is_not_found_f5_507() {
    let doc = Doc::card_receipt().with("ACCOUNTGL", 0, "GL_ACCOUNT", "81110");
    let msg = refused(&post(&doc).await, "F5 507", ("ACCOUNTGL", 1, "GL_ACCOUNT"));
    assert_eq!(
        msg.message,
        "G/L account 81110 is not defined in chart of accounts CAKR"
    );
}

#[tokio::test]
async fn a_vendor_outside_the_company_code_is_f5_104() {
    let doc = Doc::card_receipt().with("ACCOUNTPAYABLE", 0, "VENDOR_NO", "300001");
    let msg = refused(
        &post(&doc).await,
        "F5 104",
        ("ACCOUNTPAYABLE", 1, "VENDOR_NO"),
    );
    assert_eq!(
        msg.message,
        "Vendor 300001 is not defined in company code 1000"
    );
}

#[tokio::test]
async fn an_expense_line_without_cost_centre_is_ki_235() {
    let doc = Doc::card_receipt().with("ACCOUNTGL", 0, "COSTCENTER", "");
    let msg = refused(&post(&doc).await, "KI 235", ("ACCOUNTGL", 1, "COSTCENTER"));
    assert_eq!(
        msg.message,
        "Account 0000081110 requires an assignment to a CO object"
    );
}

#[tokio::test]
async fn an_unknown_cost_centre_is_ki_248() {
    let doc = Doc::card_receipt().with("ACCOUNTGL", 0, "COSTCENTER", "20100");
    let msg = refused(&post(&doc).await, "KI 248", ("ACCOUNTGL", 1, "COSTCENTER"));
    assert_eq!(
        msg.message,
        "Cost center 1000/20100 does not exist on 2026.03.15"
    );
}

#[tokio::test]
async fn a_locked_cost_centre_is_ki_260() {
    let doc = Doc::card_receipt().with("ACCOUNTGL", 0, "COSTCENTER", "0000099900");
    let msg = refused(&post(&doc).await, "KI 260", ("ACCOUNTGL", 1, "COSTCENTER"));
    assert!(
        msg.message.contains("1000/0000099900 is blocked"),
        "{}",
        msg.message
    );
}

#[tokio::test]
async fn an_unknown_tax_code_is_ff_101() {
    let doc = Doc::card_receipt().with("ACCOUNTGL", 0, "TAX_CODE", "V9");
    let msg = refused(&post(&doc).await, "FF 101", ("ACCOUNTGL", 1, "TAX_CODE"));
    assert_eq!(msg.vars[0], "V9");

    let doc = Doc::card_receipt().with("ACCOUNTTAX", 0, "TAX_CODE", "V9");
    refused(&post(&doc).await, "FF 101", ("ACCOUNTTAX", 1, "TAX_CODE"));
}

#[tokio::test]
async fn tax_off_its_rate_by_more_than_one_won_is_ff_707() {
    let doc = Doc::card_receipt()
        .with("CURRENCYAMOUNT", 0, "AMT_DOCCUR", "-55002")
        .with("CURRENCYAMOUNT", 2, "AMT_DOCCUR", "5002");
    let msg = refused(
        &post(&doc).await,
        "FF 707",
        ("CURRENCYAMOUNT", 3, "AMT_DOCCUR"),
    );
    assert_eq!(
        msg.message,
        "Tax entered incorrectly (code V1, amount 5002), correct: 5000 KRW"
    );
}

#[tokio::test]
async fn tax_within_one_won_of_its_rate_posts() {
    let doc = Doc::card_receipt()
        .with("CURRENCYAMOUNT", 0, "AMT_DOCCUR", "-55001")
        .with("CURRENCYAMOUNT", 2, "AMT_DOCCUR", "5001");
    assert_eq!(codes(&post(&doc).await), ["RW 605"]);
}

#[tokio::test]
async fn a_closed_posting_period_is_f5_201() {
    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "PSTNG_DATE", "20270415");
    let msg = refused(
        &post(&doc).await,
        "F5 201",
        ("DOCUMENTHEADER", 0, "PSTNG_DATE"),
    );
    assert_eq!(msg.message, "Posting period 004 2027 is not open");

    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "PSTNG_DATE", "20251231");
    refused(
        &post(&doc).await,
        "F5 201",
        ("DOCUMENTHEADER", 0, "PSTNG_DATE"),
    );
}

#[tokio::test]
async fn won_with_a_fraction_is_s_042() {
    let doc = Doc::other_payable()
        .with("CURRENCYAMOUNT", 0, "AMT_DOCCUR", "-55000.50")
        .with("CURRENCYAMOUNT", 1, "AMT_DOCCUR", "55000.5");
    let answer = post(&doc).await;
    let msg = refused(&answer, "S& 042", ("CURRENCYAMOUNT", 1, "AMT_DOCCUR"));
    assert_eq!(
        msg.message,
        "Amount -55000.50 has more decimal places than currency KRW allows (0)"
    );
    let rows: Vec<i32> = messages(&answer)
        .iter()
        .filter(|m| m.number == 42)
        .map(|m| m.row)
        .collect();
    assert_eq!(rows, [1, 2]);
}

#[tokio::test]
async fn dollars_take_two_decimals_and_no_more() {
    let dollars = |first: &str, second: &str| {
        let doc = Doc::other_payable()
            .with("CURRENCYAMOUNT", 0, "CURRENCY", "USD")
            .with("CURRENCYAMOUNT", 1, "CURRENCY", "USD")
            .with("CURRENCYAMOUNT", 0, "AMT_DOCCUR", first)
            .with("CURRENCYAMOUNT", 1, "AMT_DOCCUR", second);
        async move { post(&doc).await }
    };
    assert_eq!(codes(&dollars("-12.34", "12.3400").await), ["RW 605"]);
    refused(
        &dollars("-12.345", "12.345").await,
        "S& 042",
        ("CURRENCYAMOUNT", 1, "AMT_DOCCUR"),
    );
}

#[tokio::test]
async fn a_tax_document_without_business_place_is_f5_808() {
    let doc = Doc::card_receipt().with("ACCOUNTPAYABLE", 0, "BUSINESSPLACE", "");
    let msg = refused(
        &post(&doc).await,
        "F5 808",
        ("ACCOUNTPAYABLE", 1, "BUSINESSPLACE"),
    );
    assert_eq!(
        msg.message,
        "Field Business place is a required field for G/L account 1000 0000013500"
    );
}

#[tokio::test]
async fn business_place_may_come_on_a_gl_line_but_must_exist() {
    let doc = Doc::card_receipt()
        .with("ACCOUNTPAYABLE", 0, "BUSINESSPLACE", "")
        .with("ACCOUNTGL", 0, "BUSINESSPLACE", "0002");
    assert_eq!(codes(&post(&doc).await), ["RW 605"]);

    let doc = Doc::card_receipt().with("ACCOUNTPAYABLE", 0, "BUSINESSPLACE", "0003");
    let msg = refused(
        &post(&doc).await,
        "ZSTUB 004",
        ("ACCOUNTPAYABLE", 1, "BUSINESSPLACE"),
    );
    assert_eq!(
        msg.message,
        "Business place 0003 is not defined for company code 1000"
    );
}

#[tokio::test]
async fn a_field_longer_than_its_sap_length_is_refused() {
    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "HEADER_TXT", &"가".repeat(26));
    let msg = refused(
        &post(&doc).await,
        "ZSTUB 002",
        ("DOCUMENTHEADER", 0, "HEADER_TXT"),
    );
    assert_eq!(
        msg.message,
        "Value of DOCUMENTHEADER-HEADER_TXT is 26 characters long; the field holds 25"
    );

    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "REF_DOC_NO", "BZ-0001-0001-0001");
    refused(
        &post(&doc).await,
        "ZSTUB 002",
        ("DOCUMENTHEADER", 0, "REF_DOC_NO"),
    );
}

#[tokio::test]
async fn an_unknown_field_is_named() {
    let doc = Doc::card_receipt().with("ACCOUNTGL", 0, "GL_ACCT", "0000081110");
    let msg = refused(&post(&doc).await, "ZSTUB 001", ("ACCOUNTGL", 1, "GL_ACCT"));
    assert_eq!(msg.message, "Field GL_ACCT does not exist in ACCOUNTGL");
}

#[tokio::test]
async fn a_malformed_value_is_refused_with_its_type() {
    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "PSTNG_DATE", "20260231");
    let msg = refused(
        &post(&doc).await,
        "ZSTUB 003",
        ("DOCUMENTHEADER", 0, "PSTNG_DATE"),
    );
    assert!(msg.message.contains("'20260231'"), "{}", msg.message);

    let doc = Doc::card_receipt().with("CURRENCYAMOUNT", 0, "AMT_DOCCUR", "-55,000");
    refused(
        &post(&doc).await,
        "ZSTUB 003",
        ("CURRENCYAMOUNT", 1, "AMT_DOCCUR"),
    );
}

#[tokio::test]
async fn an_unknown_company_code_is_fh_001() {
    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "COMP_CODE", "2000");
    refused(
        &post(&doc).await,
        "FH 001",
        ("DOCUMENTHEADER", 0, "COMP_CODE"),
    );
}

#[tokio::test]
async fn a_missing_required_field_is_00_055() {
    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "DOC_DATE", "");
    refused(
        &post(&doc).await,
        "00 055",
        ("DOCUMENTHEADER", 0, "DOC_DATE"),
    );
    let doc = Doc::card_receipt().with("ACCOUNTPAYABLE", 0, "VENDOR_NO", "");
    refused(
        &post(&doc).await,
        "00 055",
        ("ACCOUNTPAYABLE", 1, "VENDOR_NO"),
    );
}

#[tokio::test]
async fn a_currency_row_of_no_item_is_refused() {
    let mut doc = Doc::card_receipt();
    doc.amounts.push(amount("9", "0"));
    refused(
        &post(&doc).await,
        "ZSTUB 006",
        ("CURRENCYAMOUNT", 4, "ITEMNO_ACC"),
    );
}

#[tokio::test]
async fn an_own_object_type_without_key_is_rw_004() {
    let doc = Doc::card_receipt().with("DOCUMENTHEADER", 0, "OBJ_TYPE", "ZBIZP");
    refused(
        &post(&doc).await,
        "RW 004",
        ("DOCUMENTHEADER", 0, "OBJ_KEY"),
    );
}

#[tokio::test]
async fn tax_lines_need_a_tax_account() {
    let doc = Doc::card_receipt().with("ACCOUNTTAX", 0, "GL_ACCOUNT", "0000081110");
    refused(
        &post(&doc).await,
        "ZSTUB 008",
        ("ACCOUNTTAX", 1, "GL_ACCOUNT"),
    );

    let doc = Doc::card_receipt()
        .with("ACCOUNTTAX", 0, "TAX_CODE", "V5")
        .with("ACCOUNTGL", 0, "TAX_CODE", "V5")
        .with("CURRENCYAMOUNT", 2, "AMT_DOCCUR", "0")
        .with("CURRENCYAMOUNT", 0, "AMT_DOCCUR", "-50000");
    refused(
        &post(&doc).await,
        "ZSTUB 007",
        ("ACCOUNTTAX", 1, "GL_ACCOUNT"),
    );
}

#[tokio::test]
async fn a_line_of_another_company_code_is_refused() {
    let doc = Doc::card_receipt().with("ACCOUNTGL", 0, "COMP_CODE", "2000");
    refused(
        &post(&doc).await,
        "ZSTUB 009",
        ("ACCOUNTGL", 1, "COMP_CODE"),
    );
}

#[tokio::test]
async fn every_problem_of_a_pass_is_reported_at_once() {
    let doc = Doc::card_receipt()
        .with("ACCOUNTGL", 0, "GL_ACCOUNT", "81110")
        .with("ACCOUNTPAYABLE", 0, "VENDOR_NO", "300001");
    assert_eq!(codes(&post(&doc).await), ["RW 609", "F5 507", "F5 104"]);

    let unbalanced_too = doc.with("CURRENCYAMOUNT", 1, "AMT_DOCCUR", "51000");
    let answer = post(&unbalanced_too).await;
    assert_eq!(codes(&answer), ["RW 609", "RW 022", "F5 507", "F5 104"]);
}

// --- number ranges ---------------------------------------------------------------------

#[tokio::test]
async fn numbers_count_up_per_company_code_and_fiscal_year() {
    let sap = sap();
    let mut session = session(&sap);
    let next_year = Doc::card_receipt().with("DOCUMENTHEADER", 0, "PSTNG_DATE", "20270105");

    let first = post_and_commit(&mut session, &Doc::card_receipt()).await;
    let second = post_and_commit(&mut session, &Doc::card_receipt()).await;
    let other_year = post_and_commit(&mut session, &next_year).await;

    assert_eq!(first, "010000000110002026");
    assert_eq!(second, "010000000210002026");
    assert_eq!(other_year, "010000000110002027");
}

// --- sessions, commit and rollback ------------------------------------------------------

#[tokio::test]
async fn a_posting_is_invisible_until_committed_in_its_session() {
    let sap = sap();
    let mut poster = session(&sap);
    let mut reader = session(&sap);
    let lookup = read_bkpf(&["XBLNR = 'BZ-0001'"], &["BELNR"]);

    poster.call(&Doc::card_receipt().post()).await.unwrap();
    assert_eq!(poster.pending_count(), 1);
    assert!(sap.documents().is_empty());
    assert!(reader.call(&lookup).await.unwrap().table("DATA").is_empty());

    let committed = poster.call(&commit()).await.unwrap();
    assert_eq!(
        committed.structure("RETURN"),
        Some(&BapiReturn::blank_structure())
    );
    assert_eq!(sap.documents().len(), 1);
    let found = reader.call(&lookup).await.unwrap();
    assert_eq!(found.table("DATA")[0]["WA"], "0100000001");
}

#[tokio::test]
async fn rollback_discards_pending_work_and_its_number() {
    let sap = sap();
    let mut session = session(&sap);

    session.call(&Doc::card_receipt().post()).await.unwrap();
    let rolled_back = session
        .call(&FunctionCall::new("BAPI_TRANSACTION_ROLLBACK"))
        .await;
    assert_eq!(
        rolled_back.unwrap().structure("RETURN"),
        Some(&BapiReturn::blank_structure())
    );
    session.call(&commit()).await.unwrap();
    assert!(sap.documents().is_empty());

    let key = post_and_commit(&mut session, &Doc::card_receipt()).await;
    assert_eq!(
        key, "010000000210002026",
        "a discarded posting leaves a gap"
    );
}

#[tokio::test]
async fn the_end_of_a_session_discards_pending_work() {
    let sap = sap();
    let mut first = session(&sap);
    first.call(&Doc::card_receipt().post()).await.unwrap();
    drop(first);

    let mut second = session(&sap);
    second.call(&commit()).await.unwrap();
    assert!(sap.documents().is_empty());
}

#[tokio::test]
async fn a_commit_without_wait_commits_too() {
    let sap = sap();
    let mut session = session(&sap);
    session.call(&Doc::card_receipt().post()).await.unwrap();
    session
        .call(&FunctionCall::new("BAPI_TRANSACTION_COMMIT"))
        .await
        .unwrap();
    assert_eq!(sap.documents().len(), 1);
}

#[tokio::test]
async fn one_commit_takes_every_pending_posting() {
    let sap = sap();
    let mut session = session(&sap);
    session.call(&Doc::card_receipt().post()).await.unwrap();
    session.call(&Doc::other_payable().post()).await.unwrap();
    session.call(&commit()).await.unwrap();
    assert_eq!(sap.totals().documents, 2);
}

// --- reversal --------------------------------------------------------------------------

fn reversal(obj_key: &str) -> FunctionCall {
    FunctionCall::new("BAPI_ACC_DOCUMENT_REV_POST")
        .with_structure(
            "REVERSAL",
            structure([
                ("OBJ_TYPE", "BKPFF"),
                ("OBJ_KEY_R", obj_key),
                ("REASON_REV", "01"),
            ]),
        )
        .with_scalar("BUS_ACT", "RFBU")
}

#[tokio::test]
async fn a_reversal_mirrors_the_original_and_marks_it() {
    let sap = sap();
    let mut session = session(&sap);
    let original = post_and_commit(&mut session, &Doc::card_receipt()).await;

    let answer = session.call(&reversal(&original)).await.unwrap();
    assert_eq!(codes(&answer), ["RW 605"]);
    let reversal_key = answer.scalar("OBJ_KEY").unwrap().to_owned();
    assert_eq!(reversal_key, "010000000210002026");
    assert_eq!(
        sap.documents()[0].reversed_by,
        None,
        "not before the commit"
    );

    session.call(&commit()).await.unwrap();
    let [original_doc, mirror] = sap.documents().try_into().unwrap();
    assert_eq!(
        original_doc.reversed_by.as_deref(),
        Some(reversal_key.as_str())
    );
    assert_eq!(original_doc.reverse_number, "0100000002");
    assert_eq!(mirror.reverses.as_deref(), Some(original.as_str()));
    assert_eq!(mirror.reverse_number, "0100000001");
    assert_eq!(mirror.items[0].amount, Decimal::from(55000));
    assert_eq!(mirror.items[2].tax_base, Some(Decimal::from(-50000)));

    let totals = sap.totals();
    assert_eq!(totals.reversed, 1);
    assert!(
        totals
            .accounts
            .values()
            .flat_map(|sums| sums.values())
            .all(Decimal::is_zero)
    );

    let stblg = session
        .call(&read_bkpf(&["BELNR = '0100000001'"], &["STBLG"]))
        .await;
    assert_eq!(stblg.unwrap().table("DATA")[0]["WA"], "0100000002");
}

#[tokio::test]
async fn a_reversed_document_cannot_be_reversed_again() {
    let sap = sap();
    let mut session = session(&sap);
    let original = post_and_commit(&mut session, &Doc::card_receipt()).await;

    session.call(&reversal(&original)).await.unwrap();
    let again = session.call(&reversal(&original)).await.unwrap();
    refused(&again, "ZSTUB 005", ("REVERSAL", 0, "OBJ_KEY_R"));

    session.call(&commit()).await.unwrap();
    let later = session.call(&reversal(&original)).await.unwrap();
    let msg = refused(&later, "ZSTUB 005", ("REVERSAL", 0, "OBJ_KEY_R"));
    assert_eq!(
        msg.message,
        "Document 0100000001 1000 2026 has already been reversed by document 0100000002"
    );
}

#[tokio::test]
async fn reversing_an_unknown_document_is_ff_003() {
    let sap = sap();
    let answer = session(&sap)
        .call(&reversal("010000009910002026"))
        .await
        .unwrap();
    let msg = refused(&answer, "FF 003", ("REVERSAL", 0, "OBJ_KEY_R"));
    assert_eq!(msg.message, "Document 0100000099 1000 2026 does not exist");
}

#[tokio::test]
async fn two_sessions_reversing_one_document_commit_only_once() {
    let sap = sap();
    let original = post_and_commit(&mut session(&sap), &Doc::card_receipt()).await;
    let mut first = session(&sap);
    let mut second = session(&sap);

    assert_eq!(
        codes(&first.call(&reversal(&original)).await.unwrap()),
        ["RW 605"]
    );
    assert_eq!(
        codes(&second.call(&reversal(&original)).await.unwrap()),
        ["RW 605"]
    );
    first.call(&commit()).await.unwrap();
    let late = second.call(&commit()).await.unwrap();

    let failed = BapiReturn::from_structure(late.structure("RETURN").unwrap()).unwrap();
    assert_eq!(failed.code(), "S& 101");
    assert_eq!(sap.documents().len(), 2);
}

// --- faults ----------------------------------------------------------------------------

#[tokio::test]
async fn latency_delays_the_next_calls() {
    let sap = sap();
    let mut session = session(&sap);
    sap.arm_fault(FaultRule::times(FaultKind::Latency { millis: 60 }, 1))
        .unwrap();

    let started = Instant::now();
    session.call(&FunctionCall::new("RFC_PING")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert!(sap.faults().rules.is_empty());
}

#[tokio::test]
async fn refused_connections_refuse_new_sessions() {
    let sap = sap();
    sap.arm_fault(FaultRule::times(FaultKind::RefuseConnections, 1))
        .unwrap();
    let refused = sap.open_session(&logon("BIZSAP", "stub-password"));
    assert_eq!(refused.unwrap_err(), LogonError::Refused);
    assert!(sap.open_session(&logon("BIZSAP", "stub-password")).is_ok());
}

#[tokio::test]
async fn a_failure_before_posting_loses_the_session_and_posts_nothing() {
    let sap = sap();
    let mut session = session(&sap);
    session.call(&Doc::other_payable().post()).await.unwrap();
    sap.arm_fault(FaultRule::times(FaultKind::FailBeforePosting, 1))
        .unwrap();

    let failed = session.call(&Doc::card_receipt().post()).await;
    assert_eq!(
        failed.unwrap_err(),
        CallError::Fault(InjectedFault::CommunicationFailure)
    );
    assert!(session.is_closed());
    assert_eq!(
        session.call(&commit()).await.unwrap_err(),
        CallError::SessionClosed
    );
    assert!(
        sap.documents().is_empty(),
        "the earlier pending posting went with the session"
    );
}

#[tokio::test]
async fn a_lock_error_answers_nr_751_and_a_retry_posts() {
    let sap = sap();
    let mut session = session(&sap);
    sap.arm_fault(FaultRule::times(FaultKind::LockError, 1))
        .unwrap();

    let locked = session.call(&Doc::card_receipt().post()).await.unwrap();
    let msg = refused(&locked, "NR 751", ("", 0, ""));
    assert_eq!(
        msg.message,
        "Object requested is currently locked by user FI_BATCH"
    );
    assert_eq!(session.pending_count(), 0);

    let retried = session.call(&Doc::card_receipt().post()).await.unwrap();
    assert_eq!(retried.scalar("OBJ_KEY"), Some("010000000110002026"));
}

#[tokio::test]
async fn a_failed_update_answers_the_commit_with_s_101_and_keeps_nothing() {
    let sap = sap();
    let mut session = session(&sap);
    sap.arm_fault(FaultRule::times(FaultKind::UpdateFailure, 2))
        .unwrap();

    session.call(&Doc::card_receipt().post()).await.unwrap();
    let answer = session.call(&commit()).await.unwrap();
    let failed = BapiReturn::from_structure(answer.structure("RETURN").unwrap()).unwrap();
    assert_eq!(
        (failed.kind, failed.code()),
        (MessageType::Error, "S& 101".to_owned())
    );

    session.call(&Doc::card_receipt().post()).await.unwrap();
    let unwaited = session
        .call(&FunctionCall::new("BAPI_TRANSACTION_COMMIT"))
        .await
        .unwrap();
    assert_eq!(
        unwaited.structure("RETURN"),
        Some(&BapiReturn::blank_structure())
    );
    assert!(sap.documents().is_empty());
}

#[tokio::test]
async fn a_reply_lost_after_commit_leaves_the_document_committed() {
    let sap = sap();
    let mut session = session(&sap);
    sap.arm_fault(FaultRule::times(FaultKind::LoseReplyAfterCommit, 1))
        .unwrap();

    session.call(&Doc::card_receipt().post()).await.unwrap();
    let lost = session.call(&commit()).await.unwrap_err();
    assert_eq!(lost, CallError::Fault(InjectedFault::ReplyLost));
    assert!(lost.to_string().contains("reply lost"), "{lost}");
    assert!(session.is_closed());

    let mut fresh = self::session(&sap);
    let found = fresh
        .call(&read_bkpf(&["XBLNR = 'BZ-0001'"], &["BELNR"]))
        .await
        .unwrap();
    assert_eq!(
        found.table("DATA").len(),
        1,
        "the bridge finds its document by reference"
    );
}

#[tokio::test]
async fn probabilistic_faults_repeat_with_the_seed() {
    let run = |seed| async move {
        let sap = StubSap::new(
            master(),
            StubOptions {
                seed,
                state_file: None,
            },
        )
        .unwrap();
        sap.arm_fault(FaultRule::probability(FaultKind::LockError, 0.5))
            .unwrap();
        let mut session = session(&sap);
        let mut outcomes = Vec::new();
        for _ in 0..20 {
            let answer = session.call(&Doc::other_payable().post()).await.unwrap();
            outcomes.push(codes(&answer).contains(&"NR 751".to_owned()));
        }
        outcomes
    };
    assert_eq!(run(7).await, run(7).await);
    assert_ne!(run(7).await, run(8).await);
}

// --- logon and interface ---------------------------------------------------------------

#[test]
fn logon_needs_the_right_password_and_channel() {
    let sap = sap();
    let failed =
        |logon: Logon<'_>| matches!(sap.open_session(&logon), Err(LogonError::Failed { .. }));
    assert!(failed(logon("BIZSAP", "wrong")));
    assert!(failed(logon("NOBODY", "stub-password")));
    assert!(failed(Logon {
        channel: UserKind::Http,
        ..logon("BIZSAP", "stub-password")
    }));
    assert!(sap.open_session(&logon("bizsap", "stub-password")).is_ok());
    let http = Logon {
        channel: UserKind::Http,
        ..logon("BIZSAP_IDOC", "stub-password")
    };
    assert!(sap.open_session(&http).is_ok());
}

#[tokio::test]
async fn calls_outside_the_interface_fail_as_the_rfc_layer_would() {
    let sap = sap();
    let mut session = session(&sap);

    let missing = session
        .call(&FunctionCall::new("Z_BIZPLAY_POST"))
        .await
        .unwrap_err();
    assert_eq!(
        missing,
        CallError::FunctionNotFound("Z_BIZPLAY_POST".to_owned())
    );

    let unknown = Doc::card_receipt()
        .post()
        .with_table("ACCOUNTRECEIVABLE", vec![]);
    let err = session.call(&unknown).await.unwrap_err();
    let CallError::InvalidParameter { parameter, .. } = err else {
        panic!("expected an invalid parameter, got {err:?}");
    };
    assert_eq!(parameter, "ACCOUNTRECEIVABLE");

    let wrong_kind = Doc::card_receipt()
        .post()
        .with_scalar("ACCOUNTGL", "0000081110");
    assert_eq!(
        session.call(&wrong_kind).await.unwrap_err().kind(),
        "invalid_parameter"
    );

    let bad_field = read_bkpf(&[], &[]).with_table("OPTIONS", vec![structure([("TXT", "x")])]);
    assert_eq!(
        session.call(&bad_field).await.unwrap_err().kind(),
        "invalid_parameter"
    );

    assert!(
        !session.is_closed(),
        "interface errors do not end the session"
    );
}

// --- state file ------------------------------------------------------------------------

#[tokio::test]
async fn the_state_file_keeps_the_ledger_across_restarts() {
    let dir = std::env::temp_dir().join(format!("bizsap-engine-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ledger.json");
    let options = || StubOptions {
        seed: 0,
        state_file: Some(file.clone()),
    };

    let first = StubSap::new(master(), options()).unwrap();
    post_and_commit(&mut session(&first), &Doc::card_receipt()).await;
    drop(first);

    let second = StubSap::new(master(), options()).unwrap();
    assert_eq!(second.documents().len(), 1);
    let key = post_and_commit(&mut session(&second), &Doc::card_receipt()).await;
    assert_eq!(key, "010000000210002026", "the number range continues");

    second.reset().unwrap();
    let third = StubSap::new(master(), options()).unwrap();
    assert!(third.documents().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_commit_that_cannot_be_written_is_refused_and_undone() {
    let dir = std::env::temp_dir().join(format!("bizsap-engine-unwritable-{}", std::process::id()));
    let options = StubOptions {
        seed: 0,
        state_file: Some(dir.join("missing-dir/ledger.json")),
    };
    let sap = StubSap::new(master(), options).unwrap();
    let mut session = session(&sap);

    session.call(&Doc::card_receipt().post()).await.unwrap();
    let answer = session.call(&commit()).await.unwrap();
    let failed = BapiReturn::from_structure(answer.structure("RETURN").unwrap()).unwrap();
    assert_eq!(failed.code(), "S& 101");
    assert!(sap.documents().is_empty());
}

// --- documentation ---------------------------------------------------------------------

#[test]
fn the_guide_lists_every_message_of_the_catalogue() {
    let guide = include_str!("../../../docs/stub-sap.md");
    for def in messages::CATALOGUE {
        let code = format!("| {} {:03} |", def.class, def.number);
        assert!(
            guide.contains(&code),
            "docs/stub-sap.md lacks the row {code}"
        );
    }
}
