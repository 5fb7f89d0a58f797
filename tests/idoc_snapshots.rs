//! The exact IDoc XML of an AP document, an AO document and a reversal from the example month,
//! held as snapshots so that any change to what SAP receives shows up in review.

use std::path::Path;

use bizsap::mapping::Rules;
use bizsap::posting::{ItemKind, Posting, PostingKind};
use bizsap::preview::Preview;
use bizsap::sap::bapi::Sender;
use bizsap::sap::idoc::{Idoc, IdocPartners, IdocSchema, IdocWriter, ReadLimits, read_packet};

/// SAP's object key of the reversed document, as the journal would hand it over:
/// BELNR 0100000042, company code 1000, fiscal year 2026.
const ORIGINAL_OBJ_KEY: &str = "010000004210002026";

fn example() -> Preview {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = Rules::load(&root.join("examples/rules.toml")).unwrap();
    let body = std::fs::read_to_string(root.join("examples/bizplay-0411A.json")).unwrap();
    Preview::build(&rules, &body).unwrap()
}

/// One IDoc as a packet of its own, after checking that it reads back.
fn packet(idoc: &Idoc) -> String {
    let schema = IdocSchema::acc_document03();
    let writer = IdocWriter::new(schema, IdocPartners::default());
    let body = writer.write_packet(Vec::new(), [idoc]).unwrap();
    let read = read_packet(&body, schema, &ReadLimits::default()).unwrap();
    assert_eq!(read.len(), 1);
    String::from_utf8(body).unwrap()
}

fn first(preview: &Preview, pick: impl Fn(&Posting) -> bool) -> Posting {
    preview
        .postings()
        .find(|p| pick(p))
        .cloned()
        .expect("the example has one")
}

#[test]
fn an_ap_document_with_vat_and_markup_in_its_texts() {
    let preview = example();
    let posting = first(&preview, |p| {
        p.kind == PostingKind::Ap
            && p.items.iter().any(|item| item.kind == ItemKind::Tax)
            && p.items.iter().any(|item| item.text.contains('&'))
    });
    let idoc = Idoc::document(&posting, &Sender::default()).unwrap();
    insta::assert_snapshot!(packet(&idoc));
}

#[test]
fn an_ao_document() {
    let preview = example();
    let posting = first(&preview, |p| p.kind == PostingKind::Ao);
    let idoc = Idoc::document(&posting, &Sender::default()).unwrap();
    insta::assert_snapshot!(packet(&idoc));
}

#[test]
fn a_reversal_mirroring_its_original() {
    let preview = example();
    let reversal = first(&preview, |p| p.kind == PostingKind::Reversal);
    let named = reversal
        .reverses
        .as_ref()
        .and_then(|r| r.posting_key.clone());
    let original = first(&preview, |p| Some(&p.key) == named.as_ref());
    let sender = Sender {
        username: String::new(),
        logical_system: "BIZSAP".into(),
    };
    let idoc = Idoc::reversal(&reversal, &original, ORIGINAL_OBJ_KEY, &sender).unwrap();
    insta::assert_snapshot!(packet(&idoc));
}
