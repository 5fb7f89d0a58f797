//! Every IDoc the bridge writes for the example month validates against the definitions in
//! idoc-schemas/, the built-in one and the WE60 export alike, and reads back as written.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use bizsap::mapping::Rules;
use bizsap::posting::PostingKind;
use bizsap::preview::{OBJ_KEY_PLACEHOLDER, Preview};
use bizsap::sap::idoc::{IdocPartners, IdocSchema, IdocWriter, ReadLimits, read_packet};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn example() -> Preview {
    let rules = Rules::load(&repo("examples/rules.toml")).unwrap();
    let body = std::fs::read_to_string(repo("examples/bizplay-0411A.json")).unwrap();
    Preview::build(&rules, &body).unwrap()
}

fn we60() -> IdocSchema {
    IdocSchema::load(&repo("idoc-schemas/we60/ACC_DOCUMENT.ACC_DOCUMENT03.xsd")).unwrap()
}

#[test]
fn the_example_month_is_one_packet_that_validates_against_both_definitions() {
    let preview = example();
    let built_in = IdocSchema::acc_document03();
    let writer = IdocWriter::new(built_in, IdocPartners::default());
    let mut body = Vec::new();
    let notes = preview.write_idoc_xml(&mut body, &writer).unwrap();
    assert!(notes.refused.is_empty(), "{:?}", notes.refused);
    assert!(notes.without_original.is_empty());
    let reversals = preview
        .postings()
        .filter(|p| p.kind == PostingKind::Reversal)
        .count();
    assert_eq!(notes.placeholders.len(), reversals);

    let postings: Vec<_> = preview.postings().collect();
    for schema in [built_in, &we60()] {
        let idocs = read_packet(&body, schema, &ReadLimits::default()).unwrap();
        assert_eq!(idocs.len(), postings.len());
        for (idoc, posting) in idocs.iter().zip(&postings) {
            let header = &idoc.segments[0];
            assert_eq!(header.name, "E1BPACHE09");
            assert_eq!(header.get("REF_DOC_NO"), Some(posting.key.as_str()));
            let key = idoc.message_id().and_then(|id| id.posting_key());
            assert_eq!(key.as_deref(), Some(posting.key.as_str()));
            if posting.kind == PostingKind::Reversal {
                assert_eq!(header.get("OBJ_KEY_R"), Some(OBJ_KEY_PLACEHOLDER));
            }
        }
        let ids: HashSet<_> = idocs.iter().filter_map(|idoc| idoc.message_id()).collect();
        assert_eq!(ids.len(), postings.len(), "message ids are unique");
    }
}

#[test]
fn a_writer_checking_against_the_we60_export_writes_the_same_packet() {
    let preview = example();
    let we60 = we60();
    let from_text = IdocWriter::new(IdocSchema::acc_document03(), IdocPartners::default());
    let from_export = IdocWriter::new(&we60, IdocPartners::default());
    let mut a = Vec::new();
    let mut b = Vec::new();
    preview.write_idoc_xml(&mut a, &from_text).unwrap();
    let notes = preview.write_idoc_xml(&mut b, &from_export).unwrap();
    assert!(notes.refused.is_empty(), "{:?}", notes.refused);
    assert_eq!(a, b);
}

#[test]
fn a_stricter_customer_definition_holds_the_postings_it_refuses() {
    let preview = example();
    let text = std::fs::read_to_string(repo("idoc-schemas/ACC_DOCUMENT03.txt")).unwrap();
    // A system whose item texts are shorter than the bridge's mapping assumes.
    let strict = text.replace(
        "  ITEM_TEXT        50                                  \"Item text\"",
        "  ITEM_TEXT        35                                  \"Item text\"",
    );
    assert_ne!(strict, text, "the definition line to shorten is there");
    let schema = IdocSchema::parse_text(&strict, "strict").unwrap();
    let writer = IdocWriter::new(&schema, IdocPartners::default());
    let mut body = Vec::new();
    let notes = preview.write_idoc_xml(&mut body, &writer).unwrap();
    assert!(!notes.refused.is_empty());
    let (_, error) = &notes.refused[0];
    assert!(error.to_string().contains("field ITEM_TEXT"), "{error}");
    let idocs = read_packet(&body, &schema, &ReadLimits::default()).unwrap();
    assert_eq!(
        idocs.len() + notes.refused.len(),
        preview.postings().count(),
        "the others are still in the packet"
    );
}
