//! Property: whatever postings the writer accepts, the reader gives back exactly the control
//! record and the segments that were written, field for field and in definition order.

use std::str::FromStr;

use bizsap::posting::{
    AccountNumber, Currency, Header, Item, ItemKind, KeyPurpose, Posting, PostingKey, PostingKind,
    Reverses,
};
use bizsap::sap::bapi::Sender;
use bizsap::sap::idoc::{
    Idoc, IdocPartners, IdocSchema, IdocWriter, MessageId, ReadLimits, read_packet,
};
use jiff::civil::Date;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Hangul, an emoji (two SAP characters), markup, quotes, white space and line breaks.
const TEXT: &str = "[a-zA-Z0-9 가-힣🍺<>&\"';#\t\r\n]";

fn text(max_chars: usize) -> impl Strategy<Value = String> {
    // At most two SAP characters a char, so half the field's length always fits.
    proptest::string::string_regex(&format!("{TEXT}{{0,{max_chars}}}")).unwrap()
}

fn account() -> impl Strategy<Value = AccountNumber> {
    "[0-9]{1,10}|[A-Z][A-Z0-9]{0,9}".prop_map(|value| AccountNumber::new(&value).unwrap())
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec!["KRW", "JPY", "USD", "EUR", "BHD"])
        .prop_map(|code| Currency::new(code).unwrap())
}

fn date() -> impl Strategy<Value = Date> {
    (2000i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn kind() -> impl Strategy<Value = ItemKind> {
    prop_oneof![
        (account(), proptest::option::of(account())).prop_map(|(account, cost_center)| {
            ItemKind::Gl {
                account,
                cost_center,
            }
        }),
        (account(), proptest::option::of(date())).prop_map(|(vendor, baseline_date)| {
            ItemKind::Vendor {
                vendor,
                baseline_date,
            }
        }),
        Just(ItemKind::Tax),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    (
        kind(),
        currency(),
        -10_000_000_000i64..10_000_000_000,
        proptest::option::of("[A-Z0-9]{2}"),
        proptest::option::of(0i64..10_000_000_000),
        text(25),
        proptest::option::of(text(9)),
    )
        .prop_map(
            |(kind, currency, units, tax_code, base, text, assignment)| {
                let scale = currency.decimals();
                // A tax line without a tax code is a mapping error the posting model refuses.
                let tax_code = match kind {
                    ItemKind::Tax => tax_code.or_else(|| Some("V1".into())),
                    _ => tax_code,
                };
                Item {
                    item_no: 0,
                    kind,
                    currency,
                    amount: Decimal::new(units, scale),
                    tax_code,
                    tax_base: base.map(|base| Decimal::new(base, scale)),
                    text,
                    assignment,
                }
            },
        )
}

fn posting() -> impl Strategy<Value = Posting> {
    (
        "[A-Z0-9]{4}",
        "[A-Z]{2}",
        date(),
        date(),
        text(12),
        proptest::option::of("[0-9]{4}"),
        prop::collection::vec(item(), 1..8),
        prop::bool::ANY,
        "[0-9]{1,12}",
    )
        .prop_map(
            |(company, doc_type, doc_date, posting_date, text, place, items, ap, record)| {
                let key = PostingKey::derive(KeyPurpose::Posting, &record, 1);
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(index, item)| Item {
                        item_no: u32::try_from(index).unwrap() + 1,
                        ..item
                    })
                    .collect();
                Posting {
                    header: Header {
                        company_code: company,
                        doc_type,
                        doc_date,
                        posting_date,
                        reference: key.to_string(),
                        text,
                        business_place: place,
                    },
                    key,
                    record_key: record,
                    kind: if ap { PostingKind::Ap } else { PostingKind::Ao },
                    items,
                    reverses: None,
                }
            },
        )
}

fn reversal_of(original: &Posting, posting_date: Date) -> Posting {
    let key = PostingKey::derive(KeyPurpose::Reversal, &original.record_key, 1);
    Posting {
        header: Header {
            doc_type: String::new(),
            posting_date,
            reference: key.to_string(),
            ..original.header.clone()
        },
        key,
        record_key: original.record_key.clone(),
        kind: PostingKind::Reversal,
        items: Vec::new(),
        reverses: Some(Reverses {
            record_key: Some(original.record_key.clone()),
            posting_key: Some(original.key.clone()),
            approval: "card/date/approval".into(),
            reason: "01".into(),
        }),
    }
}

/// An IDoc as the reader should give it back: segments and fields in definition order.
fn expected(idoc: &Idoc, schema: &IdocSchema) -> Vec<(String, Vec<(String, String)>)> {
    let mut segments: Vec<_> = idoc
        .segments()
        .iter()
        .map(|segment| {
            let (index, def) = schema.segment(segment.name).unwrap();
            let mut fields: Vec<_> = segment
                .fields
                .0
                .iter()
                .map(|(field, value)| (def.field(field).unwrap().0, field, value))
                .collect();
            fields.sort_by_key(|(position, _, _)| *position);
            let fields = fields
                .into_iter()
                .map(|(_, field, value)| ((*field).to_owned(), value.clone()))
                .collect();
            (index, segment.name.to_owned(), fields)
        })
        .collect();
    segments.sort_by_key(|(index, _, _)| *index);
    segments
        .into_iter()
        .map(|(_, name, fields)| (name, fields))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_reader_gives_back_exactly_what_was_written(
        postings in prop::collection::vec(posting(), 1..5),
        reverse_first in prop::bool::ANY,
        reversal_date in date(),
        obj_key in "[0-9]{10}[A-Z0-9]{4}[0-9]{4}",
        logical_system in "[A-Z0-9]{0,10}",
    ) {
        let sender = Sender { username: String::new(), logical_system };
        let mut idocs: Vec<Idoc> = postings
            .iter()
            .map(|posting| Idoc::document(posting, &sender).unwrap())
            .collect();
        if reverse_first {
            let reversal = reversal_of(&postings[0], reversal_date);
            idocs.push(Idoc::reversal(&reversal, &postings[0], &obj_key, &sender).unwrap());
        }
        let schema = IdocSchema::acc_document03();
        let partners = IdocPartners::default();
        let writer = IdocWriter::new(schema, partners.clone());
        let body = writer.write_packet(Vec::new(), &idocs).unwrap();

        let read = read_packet(&body, schema, &ReadLimits::default()).unwrap();
        prop_assert_eq!(read.len(), idocs.len());
        for (number, (got, idoc)) in read.iter().zip(&idocs).enumerate() {
            let docnum = format!("{:016}", number + 1);
            let arckey = idoc.message_id().arckey();
            let control = [
                ("TABNAM", "EDI_DC40"),
                ("DOCNUM", docnum.as_str()),
                ("DIRECT", "2"),
                ("IDOCTYP", "ACC_DOCUMENT03"),
                ("MESTYP", "ACC_DOCUMENT"),
                ("SNDPOR", partners.sndpor.as_str()),
                ("SNDPRT", partners.sndprt.as_str()),
                ("SNDPRN", partners.sndprn.as_str()),
                ("RCVPOR", partners.rcvpor.as_str()),
                ("RCVPRT", partners.rcvprt.as_str()),
                ("RCVPRN", partners.rcvprn.as_str()),
                ("ARCKEY", arckey.as_str()),
            ]
            .map(|(field, value)| (field.to_owned(), value.to_owned()));
            prop_assert_eq!(&got.control[..], &control[..]);
            prop_assert_eq!(got.message_id(), Some(idoc.message_id().clone()));
            prop_assert_eq!(
                got.message_id().and_then(|id| id.posting_key()),
                Some(idoc.posting_key().to_string())
            );
            let segments: Vec<_> = got
                .segments
                .iter()
                .map(|s| (s.name.clone(), s.fields.clone()))
                .collect();
            prop_assert_eq!(segments, expected(idoc, schema));
        }
    }

    #[test]
    fn message_ids_depend_on_the_posting_key_alone(
        record in "[ -~]{1,40}",
        revision in 1u32..1296,
    ) {
        let key = PostingKey::derive(KeyPurpose::Posting, &record, revision);
        let id = MessageId::for_posting(&key);
        prop_assert_eq!(&id, &MessageId::for_posting(&key.clone()));
        prop_assert!(id.arckey().len() <= 70);
        prop_assert_eq!(id.posting_key(), Some(key.to_string()));
        prop_assert_eq!(MessageId::from_arckey(&id.arckey()), Some(id));
    }
}

#[test]
fn amounts_keep_their_sign_and_decimals() {
    let key = PostingKey::derive(KeyPurpose::Posting, "r", 1);
    let usd = Currency::new("USD").unwrap();
    let line = |item_no, amount: &str| Item {
        item_no,
        kind: ItemKind::Gl {
            account: AccountNumber::new("1").unwrap(),
            cost_center: None,
        },
        currency: usd.clone(),
        amount: Decimal::from_str(amount).unwrap(),
        tax_code: None,
        tax_base: None,
        text: String::new(),
        assignment: None,
    };
    let date = Date::new(2026, 11, 3).unwrap();
    let posting = Posting {
        header: Header {
            company_code: "1000".into(),
            doc_type: "SA".into(),
            doc_date: date,
            posting_date: date,
            reference: key.to_string(),
            text: String::new(),
            business_place: None,
        },
        key,
        record_key: "r".into(),
        kind: PostingKind::Ao,
        items: vec![line(1, "-1234.5"), line(2, "1234.50")],
        reverses: None,
    };
    let idoc = Idoc::document(&posting, &Sender::default()).unwrap();
    let schema = IdocSchema::acc_document03();
    let writer = IdocWriter::new(schema, IdocPartners::default());
    let body = writer.write_packet(Vec::new(), [&idoc]).unwrap();
    let read = read_packet(&body, schema, &ReadLimits::default()).unwrap();
    let amounts: Vec<_> = read[0]
        .segments
        .iter()
        .filter(|s| s.name == "E1BPACCR09")
        .map(|s| s.get("AMT_DOCCUR").unwrap())
        .collect();
    assert_eq!(amounts, ["-1234.50", "1234.50"]);
}
