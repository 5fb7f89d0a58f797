//! Postings as ACC_DOCUMENT03 IDoc XML, written once, straight into the request body.
//!
//! An [`Idoc`] is a posting's BAPI structures named as segments; a [`PacketWriter`] checks
//! each against the definition and streams it into any [`Write`], so a packet of N IDocs is
//! never built in memory before it is written, and an IDoc that breaks the definition leaves
//! no trace in the packet.

use std::borrow::Cow;
use std::io::Write;
use std::num::NonZeroUsize;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::schema::IdocSchema;
use super::{CONTROL_RECORD, Location, MESSAGE_TYPE, MessageId, Violation};
use crate::posting::{Header, Item, Posting, PostingKey, PostingKind};
use crate::sap::bapi::{DocumentPost, DocumentReversal, Fields, Sender};

/// The partners of the control record: who sends, who receives, through which ports.
///
/// They must match the receiving system's partner profile (WE20) and port (WE21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdocPartners {
    /// `SNDPOR`: the sender port.
    pub sndpor: String,
    /// `SNDPRT`: the sender partner type, `LS` for a logical system.
    pub sndprt: String,
    /// `SNDPRN`: the sender partner number, the bridge's logical system.
    pub sndprn: String,
    /// `RCVPOR`: the receiver port.
    pub rcvpor: String,
    /// `RCVPRT`: the receiver partner type.
    pub rcvprt: String,
    /// `RCVPRN`: the receiver partner number, SAP's logical system (usually `<SID>CLNT<client>`).
    pub rcvprn: String,
}

impl Default for IdocPartners {
    /// The demonstration set-up: logical system BIZSAP sending to client 100 of system BSP,
    /// which is what the stub SAP expects.
    fn default() -> IdocPartners {
        IdocPartners {
            sndpor: "BIZSAP".into(),
            sndprt: "LS".into(),
            sndprn: "BIZSAP".into(),
            rcvpor: "SAPBSP".into(),
            rcvprt: "LS".into(),
            rcvprn: "BSPCLNT100".into(),
        }
    }
}

/// One data segment: its type and its fields, as the BAPI structure has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The segment type, e.g. `E1BPACGL09`.
    pub name: &'static str,
    pub fields: Fields,
}

/// One posting as an ACC_DOCUMENT IDoc, ready to be written into a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idoc {
    posting_key: PostingKey,
    message_id: MessageId,
    segments: Vec<Segment>,
}

/// Why an IDoc cannot be built or written.
#[derive(Debug, thiserror::Error)]
pub enum IdocError {
    #[error("{posting_key} is a reversal: its IDoc mirrors the original document")]
    ReversalNeedsOriginal { posting_key: String },
    #[error("{posting_key} is not a reversal")]
    NotAReversal { posting_key: String },
    #[error("reversal {reversal} cannot mirror {original}: {reason}")]
    WrongOriginal {
        reversal: String,
        original: String,
        reason: String,
    },
    #[error("posting {posting_key}, {at}: {violation}")]
    Invalid {
        posting_key: String,
        at: Box<Location>,
        violation: Violation,
    },
    #[error("cannot write the IDoc XML")]
    Io(#[from] std::io::Error),
}

impl Idoc {
    /// The IDoc of an AP or AO document.
    pub fn document(posting: &Posting, sender: &Sender) -> Result<Idoc, IdocError> {
        if posting.kind == PostingKind::Reversal {
            return Err(IdocError::ReversalNeedsOriginal {
                posting_key: posting.key.to_string(),
            });
        }
        Ok(Idoc::from_bapi(
            &posting.key,
            DocumentPost::new(posting, sender),
        ))
    }

    /// The IDoc of a reversal: `original`'s items with amounts negated, and a header naming
    /// the original by its SAP object key (`BELNR` + `BUKRS` + `GJAHR`) in `OBJ_KEY_R`.
    pub fn reversal(
        reversal: &Posting,
        original: &Posting,
        original_obj_key: &str,
        sender: &Sender,
    ) -> Result<Idoc, IdocError> {
        if reversal.kind != PostingKind::Reversal {
            return Err(IdocError::NotAReversal {
                posting_key: reversal.key.to_string(),
            });
        }
        let refuse = |reason: &str| IdocError::WrongOriginal {
            reversal: reversal.key.to_string(),
            original: original.key.to_string(),
            reason: reason.to_owned(),
        };
        if original.kind == PostingKind::Reversal {
            return Err(refuse("it is a reversal itself"));
        }
        let named = reversal
            .reverses
            .as_ref()
            .and_then(|r| r.posting_key.as_ref());
        if named.is_some_and(|named| *named != original.key) {
            return Err(refuse("the reversal names another document"));
        }
        if reversal.header.company_code != original.header.company_code {
            return Err(refuse("it belongs to another company code"));
        }
        if original_obj_key.trim().is_empty() {
            return Err(refuse("its SAP object key is empty"));
        }

        // The reversal's own header (key, dates, text) over the original's items, negated;
        // the original's document type, since a reversal posting has none of its own.
        let mirror = Posting {
            key: reversal.key.clone(),
            record_key: reversal.record_key.clone(),
            kind: original.kind,
            header: Header {
                doc_type: original.header.doc_type.clone(),
                ..reversal.header.clone()
            },
            items: original.items.iter().map(negated).collect(),
            reverses: None,
        };
        let mut document = DocumentPost::new(&mirror, sender);
        let reference = DocumentReversal::new(reversal, original_obj_key, sender);
        for (field, value) in reference.reversal.0 {
            set(&mut document.documentheader, field, value);
        }
        set(&mut document.documentheader, "BUS_ACT", reference.bus_act);
        Ok(Idoc::from_bapi(&reversal.key, document))
    }

    fn from_bapi(key: &PostingKey, document: DocumentPost) -> Idoc {
        let tables = [
            ("E1BPACGL09", document.accountgl),
            ("E1BPACAP09", document.accountpayable),
            ("E1BPACTX09", document.accounttax),
            ("E1BPACCR09", document.currencyamount),
        ];
        let mut segments = vec![Segment {
            name: "E1BPACHE09",
            fields: document.documentheader,
        }];
        for (name, rows) in tables {
            segments.extend(rows.into_iter().map(|fields| Segment { name, fields }));
        }
        Idoc {
            posting_key: key.clone(),
            message_id: MessageId::for_posting(key),
            segments,
        }
    }

    pub fn posting_key(&self) -> &PostingKey {
        &self.posting_key
    }

    /// The id in ARCKEY; the same for every send of this posting.
    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }

    /// The data segments, grouped by type.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
}

fn negated(item: &Item) -> Item {
    Item {
        amount: -item.amount,
        tax_base: item.tax_base.map(|base| -base),
        ..item.clone()
    }
}

/// Sets `field` in `fields`, replacing a value it has; empty values are left out, as in
/// every BAPI structure.
fn set(fields: &mut Fields, field: &'static str, value: String) {
    fields.0.retain(|(name, _)| *name != field);
    if !value.is_empty() {
        fields.0.push((field, value));
    }
}

/// Writes IDoc packets for one receiver, checked against one definition.
#[derive(Debug, Clone)]
pub struct IdocWriter<'s> {
    schema: &'s IdocSchema,
    partners: IdocPartners,
}

/// A packet ready to be sent, and the ids of the IDocs in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub body: Vec<u8>,
    pub message_ids: Vec<MessageId>,
}

impl<'s> IdocWriter<'s> {
    pub fn new(schema: &'s IdocSchema, partners: IdocPartners) -> IdocWriter<'s> {
        IdocWriter { schema, partners }
    }

    pub fn schema(&self) -> &'s IdocSchema {
        self.schema
    }

    /// Starts a packet in `out`: XML declaration and root element.
    pub fn begin<W: Write>(&self, out: W) -> Result<PacketWriter<'_, W>, IdocError> {
        let mut xml = Writer::new_with_indent(out, b' ', 2);
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        xml.write_event(Event::Start(BytesStart::new(
            self.schema.basic_type.as_str(),
        )))?;
        Ok(PacketWriter {
            writer: self,
            xml,
            count: 0,
        })
    }

    /// Writes `idocs` as one packet into `out`.
    pub fn write_packet<'i, W: Write>(
        &self,
        out: W,
        idocs: impl IntoIterator<Item = &'i Idoc>,
    ) -> Result<W, IdocError> {
        let mut packet = self.begin(out)?;
        for idoc in idocs {
            packet.write(idoc)?;
        }
        packet.finish()
    }

    /// Checks `idoc` against the definition without writing it, so that a caller can hold a
    /// posting before it joins a packet.
    pub fn check(&self, idoc: &Idoc) -> Result<(), IdocError> {
        self.plan(idoc, 1).map(drop)
    }

    /// `idocs` in packets of at most `size`, each written once into its own body.
    pub fn packets<'a>(
        &'a self,
        idocs: &'a [Idoc],
        size: NonZeroUsize,
    ) -> impl Iterator<Item = Result<Packet, IdocError>> + 'a {
        idocs.chunks(size.get()).map(move |chunk| {
            let body = self.write_packet(Vec::new(), chunk)?;
            let message_ids = chunk.iter().map(|idoc| idoc.message_id.clone()).collect();
            Ok(Packet { body, message_ids })
        })
    }

    /// The IDoc's control record and segments in definition order, checked; `number` is its
    /// position in the packet.
    fn plan<'i>(&'i self, idoc: &'i Idoc, number: usize) -> Result<Plan<'i>, IdocError> {
        Ok(Plan {
            control: self.plan_control(idoc, number)?,
            segments: self.plan_segments(idoc, number)?,
        })
    }

    fn plan_control<'i>(
        &'i self,
        idoc: &'i Idoc,
        number: usize,
    ) -> Result<Vec<PlannedControl<'i>>, IdocError> {
        let schema = self.schema;
        let partners = &self.partners;
        let message_type = schema.message_type.as_deref().unwrap_or(MESSAGE_TYPE);
        let values = [
            ("TABNAM", Cow::Borrowed(CONTROL_RECORD)),
            // A sender's own number, as the transfer id a receiver can echo per IDoc.
            ("DOCNUM", Cow::Owned(format!("{number:016}"))),
            ("DIRECT", Cow::Borrowed("2")),
            ("IDOCTYP", Cow::Borrowed(schema.basic_type.as_str())),
            ("MESTYP", Cow::Borrowed(message_type)),
            ("SNDPOR", Cow::Borrowed(partners.sndpor.as_str())),
            ("SNDPRT", Cow::Borrowed(partners.sndprt.as_str())),
            ("SNDPRN", Cow::Borrowed(partners.sndprn.as_str())),
            ("RCVPOR", Cow::Borrowed(partners.rcvpor.as_str())),
            ("RCVPRT", Cow::Borrowed(partners.rcvprt.as_str())),
            ("RCVPRN", Cow::Borrowed(partners.rcvprn.as_str())),
            ("ARCKEY", Cow::Owned(idoc.message_id.arckey())),
        ];
        let at = |field: &str| {
            let at = Location::idoc(number).segment(CONTROL_RECORD, None);
            at.field(Some(field.to_owned()))
        };

        let mut control = Vec::with_capacity(values.len());
        for (field, value) in values.into_iter().filter(|(_, value)| !value.is_empty()) {
            let Some((index, _)) = schema.control.field(field) else {
                let violation = Violation::UnknownField {
                    segment: CONTROL_RECORD.to_owned(),
                    field: field.to_owned(),
                };
                return Err(invalid(idoc, at(field), violation));
            };
            control.push((index, field, value));
        }
        control.sort_by_key(|(index, _, _)| *index);

        let pairs = control
            .iter()
            .map(|(_, field, value)| (*field, value.as_ref()));
        schema
            .check_control(pairs)
            .map_err(|(field, violation)| invalid(idoc, at(&field), violation))?;
        Ok(control)
    }

    fn plan_segments<'i>(
        &'i self,
        idoc: &'i Idoc,
        number: usize,
    ) -> Result<Vec<PlannedSegment<'i>>, IdocError> {
        let schema = self.schema;
        let at =
            |name: &str, position: Option<usize>| Location::idoc(number).segment(name, position);

        // Segments go out in definition order, each type's rows in their own order.
        let mut segments = Vec::with_capacity(idoc.segments.len());
        for (position, segment) in (1..).zip(&idoc.segments) {
            let Some((index, def)) = schema.segment(segment.name) else {
                let violation = Violation::UnknownSegment(segment.name.to_owned());
                return Err(invalid(idoc, at(segment.name, Some(position)), violation));
            };
            segments.push((index, def, segment));
        }
        segments.sort_by_key(|(index, _, _)| *index);
        let names = segments.iter().map(|(_, _, segment)| segment.name);
        schema
            .check_sequence(names)
            .map_err(|error| invalid(idoc, at(&error.segment, error.number), error.violation))?;

        let mut planned = Vec::with_capacity(segments.len());
        for (position, (_, def, segment)) in (1..).zip(segments) {
            let at = |field: &str| {
                let at = at(segment.name, Some(position));
                at.field(Some(field.to_owned()))
            };
            let mut fields = Vec::with_capacity(segment.fields.0.len());
            for (field, value) in &segment.fields.0 {
                let Some((index, _)) = def.field(field) else {
                    let violation = Violation::UnknownField {
                        segment: segment.name.to_owned(),
                        field: (*field).to_owned(),
                    };
                    return Err(invalid(idoc, at(field), violation));
                };
                fields.push((index, *field, value.as_str()));
            }
            fields.sort_by_key(|(index, _, _)| *index);
            let pairs = fields.iter().map(|(_, field, value)| (*field, *value));
            def.check(pairs)
                .map_err(|(field, violation)| invalid(idoc, at(&field), violation))?;
            planned.push((segment.name, fields));
        }
        Ok(planned)
    }
}

fn invalid(idoc: &Idoc, at: Location, violation: Violation) -> IdocError {
    IdocError::Invalid {
        posting_key: idoc.posting_key.to_string(),
        at: Box::new(at),
        violation,
    }
}

/// One IDoc, checked and in definition order.
struct Plan<'i> {
    control: Vec<PlannedControl<'i>>,
    segments: Vec<PlannedSegment<'i>>,
}

/// A control record field's position in its definition, name and value.
type PlannedControl<'i> = (usize, &'static str, Cow<'i, str>);

/// A data segment's type and fields.
type PlannedSegment<'i> = (&'static str, Vec<PlannedField<'i>>);

/// A field's position in its definition, name and value.
type PlannedField<'i> = (usize, &'static str, &'i str);

/// A packet being written: [`IdocWriter::begin`], then [`write`](Self::write) per IDoc,
/// then [`finish`](Self::finish).
pub struct PacketWriter<'w, W: Write> {
    writer: &'w IdocWriter<'w>,
    xml: Writer<W>,
    count: usize,
}

impl<W: Write> PacketWriter<'_, W> {
    /// Checks `idoc` and appends it; an IDoc that fails the check writes nothing.
    pub fn write(&mut self, idoc: &Idoc) -> Result<(), IdocError> {
        let number = self.count + 1;
        let plan = self.writer.plan(idoc, number)?;

        let mut begin = BytesStart::new("IDOC");
        begin.push_attribute(("BEGIN", "1"));
        self.xml.write_event(Event::Start(begin))?;
        let control = plan
            .control
            .iter()
            .map(|(_, field, value)| (*field, value.as_ref()));
        write_segment(&mut self.xml, CONTROL_RECORD, control)?;
        for (name, fields) in &plan.segments {
            let fields = fields.iter().map(|(_, field, value)| (*field, *value));
            write_segment(&mut self.xml, name, fields)?;
        }
        self.xml.write_event(Event::End(BytesEnd::new("IDOC")))?;
        self.count = number;
        Ok(())
    }

    /// IDocs written so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Closes the root element and hands back the output.
    pub fn finish(mut self) -> Result<W, IdocError> {
        let root = self.writer.schema.basic_type.as_str();
        self.xml.write_event(Event::End(BytesEnd::new(root)))?;
        let mut out = self.xml.into_inner();
        out.write_all(b"\n")?;
        Ok(out)
    }
}

fn write_segment<'v, W: Write>(
    xml: &mut Writer<W>,
    name: &str,
    fields: impl Iterator<Item = (&'v str, &'v str)>,
) -> std::io::Result<()> {
    let mut start = BytesStart::new(name);
    start.push_attribute(("SEGMENT", "1"));
    xml.write_event(Event::Start(start))?;
    for (field, value) in fields {
        xml.write_event(Event::Start(BytesStart::new(field)))?;
        xml.write_event(Event::Text(BytesText::from_escaped(escape(value))))?;
        xml.write_event(Event::End(BytesEnd::new(field)))?;
    }
    xml.write_event(Event::End(BytesEnd::new(name)))
}

/// Escapes markup, and writes tab, line feed and carriage return as character references,
/// which a parser keeps as they are instead of normalising them.
fn escape(value: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '&' | '<' | '>' | '\t' | '\n' | '\r');
    if !value.contains(special) {
        return Cow::Borrowed(value);
    }
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\t' => escaped.push_str("&#9;"),
            '\n' => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use jiff::civil::Date;
    use rust_decimal::Decimal;

    use super::*;
    use crate::posting::{AccountNumber, Currency, KeyPurpose, Reverses};
    use crate::sap::idoc::{ReadLimits, read_packet};

    const RECORD: &str = "2148612345/9410123456781234/20261103/412";

    fn item(item_no: u32, kind: crate::posting::ItemKind, amount: &str) -> Item {
        Item {
            item_no,
            kind,
            currency: Currency::krw(),
            amount: Decimal::from_str(amount).unwrap(),
            tax_code: None,
            tax_base: None,
            text: "예시식당 <회식> & 2차".into(),
            assignment: None,
        }
    }

    fn ap() -> Posting {
        let key = PostingKey::derive(KeyPurpose::Posting, RECORD, 1);
        let vendor = crate::posting::ItemKind::Vendor {
            vendor: AccountNumber::new("300008").unwrap(),
            baseline_date: Date::new(2026, 12, 15).ok(),
        };
        let gl = crate::posting::ItemKind::Gl {
            account: AccountNumber::new("81100").unwrap(),
            cost_center: AccountNumber::new("10100"),
        };
        let mut expense = item(2, gl, "30000");
        expense.tax_code = Some("V1".into());
        let mut tax = item(3, crate::posting::ItemKind::Tax, "3000");
        tax.tax_code = Some("V1".into());
        tax.tax_base = Some(Decimal::from(30000));
        Posting {
            header: Header {
                company_code: "1000".into(),
                doc_type: "KR".into(),
                doc_date: Date::new(2026, 11, 3).unwrap(),
                posting_date: Date::new(2026, 11, 8).unwrap(),
                reference: key.to_string(),
                text: "예시식당".into(),
                business_place: Some("0001".into()),
            },
            key,
            record_key: RECORD.into(),
            kind: PostingKind::Ap,
            items: vec![item(1, vendor, "-33000"), expense, tax],
            reverses: None,
        }
    }

    fn reversal_of(original: &Posting) -> Posting {
        let key = PostingKey::derive(KeyPurpose::Reversal, "cancel", 1);
        Posting {
            header: Header {
                doc_type: String::new(),
                doc_date: Date::new(2026, 11, 20).unwrap(),
                posting_date: Date::new(2026, 11, 21).unwrap(),
                reference: key.to_string(),
                ..original.header.clone()
            },
            key,
            record_key: "cancel".into(),
            kind: PostingKind::Reversal,
            items: Vec::new(),
            reverses: Some(Reverses {
                record_key: Some(original.record_key.clone()),
                posting_key: Some(original.key.clone()),
                approval: "a".into(),
                reason: "01".into(),
            }),
        }
    }

    fn writer() -> IdocWriter<'static> {
        IdocWriter::new(IdocSchema::acc_document03(), IdocPartners::default())
    }

    fn xml(idocs: &[Idoc]) -> String {
        String::from_utf8(writer().write_packet(Vec::new(), idocs).unwrap()).unwrap()
    }

    fn segment<'a>(idoc: &'a Idoc, name: &str) -> Vec<&'a Fields> {
        idoc.segments()
            .iter()
            .filter(|s| s.name == name)
            .map(|s| &s.fields)
            .collect()
    }

    #[test]
    fn a_document_becomes_one_idoc_with_the_bapi_segments() {
        let idoc = Idoc::document(&ap(), &Sender::default()).unwrap();
        let names: Vec<_> = idoc.segments().iter().map(|s| s.name).collect();
        let expected = [
            "E1BPACHE09",
            "E1BPACGL09",
            "E1BPACAP09",
            "E1BPACTX09",
            "E1BPACCR09",
            "E1BPACCR09",
            "E1BPACCR09",
        ];
        assert_eq!(names, expected);
        let bapi = DocumentPost::new(&ap(), &Sender::default());
        assert_eq!(segment(&idoc, "E1BPACHE09"), [&bapi.documentheader]);
        assert_eq!(segment(&idoc, "E1BPACAP09"), [&bapi.accountpayable[0]]);
        assert_eq!(
            idoc.message_id().posting_key().as_deref(),
            Some(ap().key.as_str())
        );
    }

    #[test]
    fn the_xml_has_the_control_record_and_escaped_values() {
        let idoc = Idoc::document(&ap(), &Sender::default()).unwrap();
        let text = xml(&[idoc]);
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ACC_DOCUMENT03>"));
        assert!(text.contains("<IDOC BEGIN=\"1\">"));
        assert!(text.contains("<EDI_DC40 SEGMENT=\"1\">"));
        for field in [
            "<TABNAM>EDI_DC40</TABNAM>",
            "<DOCNUM>0000000000000001</DOCNUM>",
            "<DIRECT>2</DIRECT>",
            "<IDOCTYP>ACC_DOCUMENT03</IDOCTYP>",
            "<MESTYP>ACC_DOCUMENT</MESTYP>",
            "<SNDPRN>BIZSAP</SNDPRN>",
            "<RCVPRN>BSPCLNT100</RCVPRN>",
            "<ARCKEY>urn:sap.com:msgid=425a3946-4e37-3836-3648-315730463031</ARCKEY>",
            "<ITEM_TEXT>예시식당 &lt;회식&gt; &amp; 2차</ITEM_TEXT>",
            "<AMT_DOCCUR>-33000</AMT_DOCCUR>",
            "<BLINE_DATE>20261215</BLINE_DATE>",
        ] {
            assert!(text.contains(field), "{field} in\n{text}");
        }
        assert!(!text.contains("CREDAT"), "no clock in the IDoc");
        // Fields are one per line, and never padded inside their element.
        assert!(
            text.contains("\n      <COMP_CODE>1000</COMP_CODE>\n"),
            "{text}"
        );
    }

    #[test]
    fn line_breaks_and_tabs_survive_as_character_references() {
        assert_eq!(escape("a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert!(matches!(escape("plain 한글"), Cow::Borrowed(_)));
        let mut posting = ap();
        posting.items[1].text = "line one\r\nline two".into();
        let idoc = Idoc::document(&posting, &Sender::default()).unwrap();
        let body = writer().write_packet(Vec::new(), [&idoc]).unwrap();
        let read = read_packet(&body, writer().schema(), &ReadLimits::default()).unwrap();
        let gl = read[0]
            .segments
            .iter()
            .find(|s| s.name == "E1BPACGL09")
            .unwrap();
        assert_eq!(gl.get("ITEM_TEXT"), Some("line one\r\nline two"));
    }

    #[test]
    fn a_value_too_long_for_its_field_is_refused_with_its_place() {
        let mut posting = ap();
        posting.items[1].text = "가".repeat(51);
        let idoc = Idoc::document(&posting, &Sender::default()).unwrap();
        let good = Idoc::document(&ap(), &Sender::default()).unwrap();
        let writer = writer();
        let mut packet = writer.begin(Vec::new()).unwrap();
        packet.write(&good).unwrap();
        let error = packet.write(&idoc).unwrap_err();
        assert!(matches!(
            &error,
            IdocError::Invalid { violation: Violation::TooLong { length: 51, max: 50 }, at, .. }
                if at.idoc == Some(2) && at.segment_number == Some(2)
                    && at.field.as_deref() == Some("ITEM_TEXT")
        ));
        assert!(
            error
                .to_string()
                .contains("IDoc 2, segment 2 E1BPACGL09, field ITEM_TEXT"),
            "{error}"
        );
        // The refused IDoc left nothing behind: the packet still reads as one IDoc.
        assert_eq!(packet.count(), 1);
        let body = packet.finish().unwrap();
        let read = read_packet(&body, writer.schema(), &ReadLimits::default()).unwrap();
        assert_eq!(read.len(), 1);
    }

    #[test]
    fn characters_xml_cannot_carry_are_refused() {
        let mut posting = ap();
        posting.header.text = "bell\u{7}".into();
        let idoc = Idoc::document(&posting, &Sender::default()).unwrap();
        let error = writer().check(&idoc).unwrap_err();
        assert!(matches!(
            error,
            IdocError::Invalid {
                violation: Violation::BadCharacter(7),
                ..
            }
        ));
    }

    #[test]
    fn partners_are_checked_against_the_control_record() {
        let partners = IdocPartners {
            sndprn: "BIZSAP_TOO_LONG".into(),
            ..IdocPartners::default()
        };
        let writer = IdocWriter::new(IdocSchema::acc_document03(), partners);
        let idoc = Idoc::document(&ap(), &Sender::default()).unwrap();
        let error = writer.check(&idoc).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("control record EDI_DC40, field SNDPRN"),
            "{error}"
        );
    }

    #[test]
    fn a_reversal_mirrors_the_original_and_names_it() {
        let original = ap();
        let reversal = reversal_of(&original);
        let obj_key = "010000004210002026";
        let idoc = Idoc::reversal(&reversal, &original, obj_key, &Sender::default()).unwrap();
        let header = segment(&idoc, "E1BPACHE09")[0];
        assert_eq!(header.get("OBJ_KEY_R"), Some(obj_key));
        assert_eq!(header.get("OBJ_TYPE"), Some("BKPFF"));
        assert_eq!(header.get("REASON_REV"), Some("01"));
        assert_eq!(header.get("REF_DOC_NO"), Some(reversal.key.as_str()));
        assert_eq!(header.get("PSTNG_DATE"), Some("20261121"));
        assert_eq!(header.get("DOC_TYPE"), Some("KR"));
        assert_eq!(header.get("BUS_ACT"), Some("RFBU"));
        let amounts: Vec<_> = segment(&idoc, "E1BPACCR09")
            .iter()
            .map(|row| (row.get("AMT_DOCCUR").unwrap(), row.get("AMT_BASE")))
            .collect();
        assert_eq!(
            amounts,
            [("33000", None), ("-30000", None), ("-3000", Some("-30000"))]
        );
        assert_eq!(
            segment(&idoc, "E1BPACAP09")[0].get("VENDOR_NO"),
            Some("0000300008")
        );
        assert_eq!(idoc.message_id(), &MessageId::for_posting(&reversal.key));
        writer().check(&idoc).unwrap();
    }

    #[test]
    fn a_reversal_needs_its_own_original() {
        let original = ap();
        let reversal = reversal_of(&original);
        let sender = Sender::default();
        assert!(matches!(
            Idoc::document(&reversal, &sender),
            Err(IdocError::ReversalNeedsOriginal { .. })
        ));
        assert!(matches!(
            Idoc::reversal(&original, &original, "k", &sender),
            Err(IdocError::NotAReversal { .. })
        ));
        let mut other = ap();
        other.key = PostingKey::derive(KeyPurpose::Posting, "other", 1);
        let error = Idoc::reversal(&reversal, &other, "k", &sender).unwrap_err();
        assert!(
            error.to_string().contains("names another document"),
            "{error}"
        );
        let error = Idoc::reversal(&reversal, &original, " ", &sender).unwrap_err();
        assert!(error.to_string().contains("object key is empty"), "{error}");
    }

    #[test]
    fn packets_hold_at_most_n_idocs_numbered_from_one() {
        let idocs: Vec<Idoc> = (1..=5)
            .map(|revision| {
                let mut posting = ap();
                posting.key = PostingKey::derive(KeyPurpose::Posting, RECORD, revision);
                Idoc::document(&posting, &Sender::default()).unwrap()
            })
            .collect();
        let writer = writer();
        let size = NonZeroUsize::new(2).unwrap();
        let packets: Vec<Packet> = writer.packets(&idocs, size).map(Result::unwrap).collect();
        let sizes: Vec<_> = packets.iter().map(|p| p.message_ids.len()).collect();
        assert_eq!(sizes, [2, 2, 1]);
        let last = read_packet(&packets[2].body, writer.schema(), &ReadLimits::default()).unwrap();
        assert_eq!(last[0].control_field("DOCNUM"), Some("0000000000000001"));
        assert_eq!(last[0].message_id().as_ref(), Some(idocs[4].message_id()));
        assert_eq!(packets[0].message_ids[1], *idocs[1].message_id());
    }
}
