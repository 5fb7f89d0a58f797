//! Reads an IDoc XML packet as SAP's inbound would: every segment and field checked against
//! the definition, the result as ordered (field, value) lists.
//!
//! The reader takes nothing on trust. A DOCTYPE is refused outright, so no entity can be
//! declared or expanded, and a reference other than the five predefined entities or a
//! character reference is an error. The body has a size limit, and the structure admits no
//! element below a field (root / IDOC / segment / field), which bounds the nesting. Values
//! are returned exactly as written, character references resolved and nothing trimmed.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesDecl, BytesRef, BytesStart, Event};

use super::schema::IdocSchema;
use super::{
    CONTROL_RECORD, Location, MessageId, Reference, Violation, line_at, resolve_reference,
};

/// Elements from the root to a field: root, IDOC, segment, field.
pub const MAX_DEPTH: usize = 4;

/// How much a packet may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest body, in bytes.
    pub max_bytes: usize,
    /// Most IDocs in one packet.
    pub max_idocs: usize,
}

impl Default for ReadLimits {
    /// 64 MiB and 100 000 IDocs: far above any packet size a Basis team configures, far
    /// below what would strain the receiver.
    fn default() -> ReadLimits {
        ReadLimits {
            max_bytes: 64 << 20,
            max_idocs: 100_000,
        }
    }
}

/// One IDoc as read: its control record and data segments, fields in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadIdoc {
    pub control: Vec<(String, String)>,
    pub segments: Vec<ReadSegment>,
}

/// One data segment as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSegment {
    /// The segment type, e.g. `E1BPACGL09`.
    pub name: String,
    pub fields: Vec<(String, String)>,
}

impl ReadIdoc {
    /// The value of a control record field.
    pub fn control_field(&self, name: &str) -> Option<&str> {
        find(&self.control, name)
    }

    /// The message id in ARCKEY, if the sender set one.
    pub fn message_id(&self) -> Option<MessageId> {
        self.control_field("ARCKEY")
            .and_then(MessageId::from_arckey)
    }
}

impl ReadSegment {
    /// The value of `field`, if present.
    pub fn get(&self, field: &str) -> Option<&str> {
        find(&self.fields, field)
    }
}

fn find<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
}

/// Why a packet was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the packet is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("the packet is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("line {line}: not well-formed XML: {message}")]
    NotWellFormed { line: usize, message: String },
    #[error("line {line}: a DOCTYPE is not accepted; IDoc XML has none and declares no entities")]
    DocType { line: usize },
    #[error(
        "line {line}: unknown entity &{name}; (only &amp; &lt; &gt; &quot; &apos; and \
         character references are accepted)"
    )]
    UnknownEntity { line: usize, name: String },
    #[error("line {line}: the packet declares encoding {encoding}; IDoc XML is read as UTF-8")]
    Encoding { line: usize, encoding: String },
    #[error("line {line}: elements nest deeper than root, IDOC, segment and field")]
    TooDeep { line: usize },
    #[error("the packet holds more than {limit} IDocs")]
    TooManyIdocs { limit: usize },
    #[error("the packet holds no IDoc")]
    NoIdocs,
    #[error("line {line}: {at}: {problem}")]
    Layout {
        line: usize,
        at: Box<Location>,
        problem: LayoutProblem,
    },
    #[error("line {line}: {at}: {violation}")]
    Invalid {
        line: usize,
        at: Box<Location>,
        violation: Violation,
    },
}

impl ReadError {
    /// Where the problem is, when it concerns one IDoc, segment or field.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ReadError::Layout { at, .. } | ReadError::Invalid { at, .. } => Some(at.as_ref()),
            _ => None,
        }
    }
}

/// A packet whose elements are not where IDoc XML puts them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutProblem {
    #[error("the root element is {found}; expected the basic type {expected}")]
    WrongRoot { expected: String, found: String },
    #[error("unexpected element {found}; expected {expected}")]
    UnexpectedElement { found: String, expected: String },
    #[error("{element} needs the attribute {attribute}=\"1\"")]
    MissingAttribute { element: String, attribute: String },
    #[error("attribute {attribute}=\"{value}\" is not allowed on {element}")]
    UnexpectedAttribute {
        element: String,
        attribute: String,
        value: String,
    },
    #[error("text \"{0}\" outside a field")]
    TextOutsideField(String),
    #[error("the IDoc does not start with the control record EDI_DC40")]
    MissingControlRecord,
    #[error("content after the root element")]
    AfterRoot,
}

/// Reads and checks a packet against `schema`; the IDocs in packet order.
pub fn read_packet(
    body: &[u8],
    schema: &IdocSchema,
    limits: &ReadLimits,
) -> Result<Vec<ReadIdoc>, ReadError> {
    if body.len() > limits.max_bytes {
        return Err(ReadError::TooLarge {
            size: body.len(),
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(body).map_err(|error| ReadError::NotUtf8 {
        offset: error.valid_up_to(),
    })?;
    let mut packet = PacketReader {
        body,
        reader: Reader::from_str(text),
        schema,
        limits,
        idocs: Vec::new(),
        idoc: None,
        segment: None,
        field: None,
        depth: 0,
        root_done: false,
    };
    packet.reader.config_mut().expand_empty_elements = true;
    packet.run()?;
    if packet.idocs.is_empty() {
        return Err(ReadError::NoIdocs);
    }
    Ok(packet.idocs)
}

/// The IDoc being read, with the number of data segments opened so far.
struct OpenIdoc {
    read: ReadIdoc,
    has_control: bool,
    segments_opened: usize,
}

struct OpenSegment {
    name: String,
    /// Position among the IDoc's data segments; `None` for the control record.
    number: Option<usize>,
    fields: Vec<(String, String)>,
}

struct PacketReader<'a> {
    body: &'a [u8],
    reader: Reader<&'a [u8]>,
    schema: &'a IdocSchema,
    limits: &'a ReadLimits,
    idocs: Vec<ReadIdoc>,
    idoc: Option<OpenIdoc>,
    segment: Option<OpenSegment>,
    field: Option<(String, String)>,
    depth: usize,
    root_done: bool,
}

impl PacketReader<'_> {
    fn run(&mut self) -> Result<(), ReadError> {
        loop {
            let event = self.reader.read_event().map_err(|error| {
                let line = line_at(self.body, self.reader.error_position());
                ReadError::NotWellFormed {
                    line,
                    message: error.to_string(),
                }
            })?;
            match event {
                Event::Start(start) => self.start(&start)?,
                Event::End(_) => self.end()?,
                Event::Text(text) => {
                    let text = text.xml10_content().map_err(|e| self.not_well_formed(e))?;
                    self.text(&text)?;
                }
                Event::CData(text) => {
                    let text = text.decode().map_err(|e| self.not_well_formed(e))?;
                    self.text(&text)?;
                }
                Event::GeneralRef(reference) => self.reference(&reference)?,
                Event::DocType(_) => return Err(ReadError::DocType { line: self.line() }),
                Event::Decl(declaration) => self.declaration(&declaration)?,
                Event::Comment(_) | Event::PI(_) | Event::Empty(_) => {}
                Event::Eof => {
                    if !self.root_done {
                        return Err(ReadError::NotWellFormed {
                            line: self.line(),
                            message: "the packet ends before its root element closes".into(),
                        });
                    }
                    return Ok(());
                }
            }
        }
    }

    fn reference(&mut self, reference: &BytesRef<'_>) -> Result<(), ReadError> {
        match resolve_reference(reference) {
            Reference::Char(c) => self.text(c.encode_utf8(&mut [0; 4])),
            Reference::Unknown(name) => Err(ReadError::UnknownEntity {
                line: self.line(),
                name,
            }),
            Reference::Invalid(name) => Err(ReadError::NotWellFormed {
                line: self.line(),
                message: format!("&{name}; is no character XML can carry"),
            }),
        }
    }

    /// The text is already UTF-8; a declaration claiming another encoding is a sender's error
    /// that would otherwise garble every non-ASCII value.
    fn declaration(&self, declaration: &BytesDecl<'_>) -> Result<(), ReadError> {
        if let Some(Ok(encoding)) = declaration.encoding() {
            let encoding = String::from_utf8_lossy(&encoding).into_owned();
            if !encoding.eq_ignore_ascii_case("utf-8") {
                let line = self.line();
                return Err(ReadError::Encoding { line, encoding });
            }
        }
        Ok(())
    }

    fn line(&self) -> usize {
        line_at(self.body, self.reader.buffer_position())
    }

    fn not_well_formed(&self, error: impl std::fmt::Display) -> ReadError {
        ReadError::NotWellFormed {
            line: self.line(),
            message: error.to_string(),
        }
    }

    fn here(&self) -> Location {
        let mut at = Location {
            idoc: self.idoc.as_ref().map(|_| self.idocs.len() + 1),
            ..Location::default()
        };
        if let Some(segment) = &self.segment {
            at = at.segment(&segment.name, segment.number);
        }
        at.field(self.field.as_ref().map(|(name, _)| name.clone()))
    }

    fn layout(&self, at: Location, problem: LayoutProblem) -> ReadError {
        ReadError::Layout {
            line: self.line(),
            at: Box::new(at),
            problem,
        }
    }

    fn invalid(&self, at: Location, violation: Violation) -> ReadError {
        ReadError::Invalid {
            line: self.line(),
            at: Box::new(at),
            violation,
        }
    }

    fn start(&mut self, start: &BytesStart<'_>) -> Result<(), ReadError> {
        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        if self.root_done {
            return Err(self.layout(Location::default(), LayoutProblem::AfterRoot));
        }
        match self.depth {
            0 => {
                if name != self.schema.basic_type {
                    let problem = LayoutProblem::WrongRoot {
                        expected: self.schema.basic_type.clone(),
                        found: name,
                    };
                    return Err(self.layout(Location::default(), problem));
                }
                self.attributes(start, &name, None)?;
            }
            1 => {
                if name != "IDOC" {
                    let expected = "IDOC".to_owned();
                    let problem = LayoutProblem::UnexpectedElement {
                        found: name,
                        expected,
                    };
                    return Err(self.layout(Location::default(), problem));
                }
                if self.idocs.len() >= self.limits.max_idocs {
                    let limit = self.limits.max_idocs;
                    return Err(ReadError::TooManyIdocs { limit });
                }
                self.idoc = Some(OpenIdoc {
                    read: ReadIdoc {
                        control: Vec::new(),
                        segments: Vec::new(),
                    },
                    has_control: false,
                    segments_opened: 0,
                });
                self.attributes(start, &name, Some("BEGIN"))?;
            }
            2 => self.start_segment(start, name)?,
            3 => {
                self.field = Some((name.clone(), String::new()));
                self.attributes(start, &name, None)?;
            }
            _ => return Err(ReadError::TooDeep { line: self.line() }),
        }
        self.depth += 1;
        Ok(())
    }

    fn start_segment(&mut self, start: &BytesStart<'_>, name: String) -> Result<(), ReadError> {
        let idoc = self.idoc.as_mut().expect("a segment opens inside an IDOC");
        let number = if name == CONTROL_RECORD && !idoc.has_control {
            None
        } else if !idoc.has_control {
            return Err(self.layout(self.here(), LayoutProblem::MissingControlRecord));
        } else {
            idoc.segments_opened += 1;
            Some(idoc.segments_opened)
        };
        self.segment = Some(OpenSegment {
            name: name.clone(),
            number,
            fields: Vec::new(),
        });
        if number.is_some() && self.schema.segment(&name).is_none() {
            return Err(self.invalid(self.here(), Violation::UnknownSegment(name)));
        }
        self.attributes(start, &name, Some("SEGMENT"))
    }

    /// Checks that `element` carries `required="1"` and no other attribute.
    fn attributes(
        &self,
        start: &BytesStart<'_>,
        element: &str,
        required: Option<&str>,
    ) -> Result<(), ReadError> {
        let mut found = false;
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| self.not_well_formed(e))?;
            let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
            let value = attribute
                .decoded_and_normalized_value(XmlVersion::Implicit1_0, self.reader.decoder())
                .map_err(|e| self.not_well_formed(e))?;
            if required == Some(key.as_str()) && value == "1" {
                found = true;
            } else {
                let problem = LayoutProblem::UnexpectedAttribute {
                    element: element.to_owned(),
                    attribute: key,
                    value: value.into_owned(),
                };
                return Err(self.layout(self.here(), problem));
            }
        }
        match required {
            Some(attribute) if !found => {
                let problem = LayoutProblem::MissingAttribute {
                    element: element.to_owned(),
                    attribute: attribute.to_owned(),
                };
                Err(self.layout(self.here(), problem))
            }
            _ => Ok(()),
        }
    }

    fn text(&mut self, text: &str) -> Result<(), ReadError> {
        if let Some((_, value)) = &mut self.field {
            value.push_str(text);
            return Ok(());
        }
        // Indentation between elements is no content; anything else outside a field is.
        if text
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Ok(());
        }
        let problem = LayoutProblem::TextOutsideField(text.trim().to_owned());
        Err(self.layout(self.here(), problem))
    }

    fn end(&mut self) -> Result<(), ReadError> {
        self.depth -= 1;
        match self.depth {
            3 => {
                let field = self.field.take().expect("a field was open");
                let segment = self.segment.as_mut().expect("a field sits in a segment");
                segment.fields.push(field);
            }
            2 => self.end_segment()?,
            1 => self.end_idoc()?,
            _ => self.root_done = true,
        }
        Ok(())
    }

    fn end_segment(&mut self) -> Result<(), ReadError> {
        let segment = self.segment.as_ref().expect("a segment was open");
        let fields = segment.fields.iter().map(|(f, v)| (f.as_str(), v.as_str()));
        let checked = match segment.number {
            None => self.schema.check_control(fields),
            Some(_) => {
                let (_, def) = self
                    .schema
                    .segment(&segment.name)
                    .expect("unknown segments are refused when they open");
                def.check(fields)
            }
        };
        if let Err((field, violation)) = checked {
            let at = self.here().field(Some(field));
            return Err(self.invalid(at, violation));
        }
        let segment = self.segment.take().expect("a segment was open");
        let idoc = self.idoc.as_mut().expect("a segment sits in an IDOC");
        match segment.number {
            None => {
                idoc.read.control = segment.fields;
                idoc.has_control = true;
            }
            Some(_) => idoc.read.segments.push(ReadSegment {
                name: segment.name,
                fields: segment.fields,
            }),
        }
        Ok(())
    }

    fn end_idoc(&mut self) -> Result<(), ReadError> {
        let idoc = self.idoc.as_ref().expect("an IDOC was open");
        if !idoc.has_control {
            return Err(self.layout(self.here(), LayoutProblem::MissingControlRecord));
        }
        let names = idoc.read.segments.iter().map(|s| s.name.as_str());
        if let Err(error) = self.schema.check_sequence(names) {
            let at = self.here().segment(&error.segment, error.number);
            return Err(self.invalid(at, error.violation));
        }
        let idoc = self.idoc.take().expect("an IDOC was open");
        self.idocs.push(idoc.read);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTROL: &str = "<EDI_DC40 SEGMENT=\"1\"><TABNAM>EDI_DC40</TABNAM>\
        <DIRECT>2</DIRECT><IDOCTYP>ACC_DOCUMENT03</IDOCTYP><MESTYP>ACC_DOCUMENT</MESTYP>\
        <SNDPOR>BIZSAP</SNDPOR><SNDPRT>LS</SNDPRT><SNDPRN>BIZSAP</SNDPRN>\
        <RCVPOR>SAPBSP</RCVPOR><RCVPRT>LS</RCVPRT><RCVPRN>BSPCLNT100</RCVPRN>\
        <ARCKEY>urn:sap.com:msgid=425a3946-4e37-3836-3648-315730463031</ARCKEY></EDI_DC40>";

    const HEADER: &str = "<E1BPACHE09 SEGMENT=\"1\"><HEADER_TXT>A &amp; B &#xD55C;</HEADER_TXT>\
        <COMP_CODE>1000</COMP_CODE><DOC_DATE>20261103</DOC_DATE>\
        <PSTNG_DATE>20261108</PSTNG_DATE><DOC_TYPE>SA</DOC_TYPE></E1BPACHE09>";

    const AMOUNT: &str = "<E1BPACCR09 SEGMENT=\"1\"><ITEMNO_ACC>0000000001</ITEMNO_ACC>\
        <CURRENCY>KRW</CURRENCY><AMT_DOCCUR>-33000</AMT_DOCCUR></E1BPACCR09>";

    fn idoc(segments: &str) -> String {
        format!("<IDOC BEGIN=\"1\">{CONTROL}{segments}</IDOC>")
    }

    fn packet(idocs: &[String]) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ACC_DOCUMENT03>\n{}\n</ACC_DOCUMENT03>\n",
            idocs.join("\n")
        )
    }

    fn good() -> String {
        idoc(&format!("{HEADER}{AMOUNT}"))
    }

    fn read(xml: &str) -> Result<Vec<ReadIdoc>, ReadError> {
        read_packet(
            xml.as_bytes(),
            IdocSchema::acc_document03(),
            &ReadLimits::default(),
        )
    }

    #[test]
    fn a_packet_reads_into_ordered_fields_with_references_resolved() {
        let idocs = read(&packet(&[good(), good()])).unwrap();
        assert_eq!(idocs.len(), 2);
        let first = &idocs[0];
        assert_eq!(first.control_field("SNDPRN"), Some("BIZSAP"));
        assert_eq!(
            first
                .message_id()
                .and_then(|id| id.posting_key())
                .as_deref(),
            Some("BZ9FN7866H1W0F01")
        );
        let names: Vec<_> = first.segments.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["E1BPACHE09", "E1BPACCR09"]);
        assert_eq!(first.segments[0].get("HEADER_TXT"), Some("A & B 한"));
        assert_eq!(
            first.segments[0].fields[1],
            ("COMP_CODE".into(), "1000".into())
        );
        assert_eq!(first.segments[1].get("AMT_DOCCUR"), Some("-33000"));
    }

    #[test]
    fn a_doctype_is_refused_before_any_entity_can_be_used() {
        let xml = packet(&[good()]).replace(
            "<ACC_DOCUMENT03>",
            "<!DOCTYPE ACC_DOCUMENT03 [<!ENTITY big \"x\">]>\n<ACC_DOCUMENT03>",
        );
        assert!(matches!(read(&xml), Err(ReadError::DocType { line: 2 })));
    }

    #[test]
    fn unknown_entities_are_refused() {
        let xml = packet(&[good()]).replace("A &amp; B", "A &big; B");
        let error = read(&xml).unwrap_err();
        assert!(
            matches!(&error, ReadError::UnknownEntity { name, .. } if name == "big"),
            "{error}"
        );
        let xml = packet(&[good()]).replace("A &amp; B", "A &#1; B");
        assert!(matches!(read(&xml), Err(ReadError::NotWellFormed { .. })));
    }

    #[test]
    fn size_depth_and_count_are_limited() {
        let xml = packet(&[good()]);
        let small = ReadLimits {
            max_bytes: 100,
            ..ReadLimits::default()
        };
        let schema = IdocSchema::acc_document03();
        assert!(matches!(
            read_packet(xml.as_bytes(), schema, &small),
            Err(ReadError::TooLarge { limit: 100, .. })
        ));
        let one = ReadLimits {
            max_idocs: 1,
            ..ReadLimits::default()
        };
        let two = packet(&[good(), good()]);
        assert_eq!(
            read_packet(two.as_bytes(), schema, &one),
            Err(ReadError::TooManyIdocs { limit: 1 })
        );
        let deep = xml.replace("<DOC_TYPE>SA</DOC_TYPE>", "<DOC_TYPE><X>SA</X></DOC_TYPE>");
        assert!(matches!(read(&deep), Err(ReadError::TooDeep { .. })));
    }

    #[test]
    fn errors_name_the_idoc_segment_and_field() {
        let long = idoc(&format!("{HEADER}{AMOUNT}")).replace(
            "<DOC_TYPE>SA</DOC_TYPE>",
            "<DOC_TYPE>SA</DOC_TYPE><REF_DOC_NO>12345678901234567</REF_DOC_NO>",
        );
        let error = read(&packet(&[good(), long])).unwrap_err();
        let at = error.location().unwrap();
        assert_eq!(at.idoc, Some(2));
        assert_eq!(at.segment.as_deref(), Some("E1BPACHE09"));
        assert_eq!(at.segment_number, Some(1));
        assert_eq!(at.field.as_deref(), Some("REF_DOC_NO"));
        assert!(matches!(
            error,
            ReadError::Invalid {
                violation: Violation::TooLong {
                    length: 17,
                    max: 16
                },
                ..
            }
        ));
        assert!(
            error
                .to_string()
                .contains("IDoc 2, segment 1 E1BPACHE09, field REF_DOC_NO"),
            "{error}"
        );
    }

    #[test]
    fn unknown_segments_and_fields_are_refused() {
        let segment = idoc(&format!("{HEADER}<E1BPXX SEGMENT=\"1\"/>{AMOUNT}"));
        let error = read(&packet(&[segment])).unwrap_err();
        assert!(
            matches!(&error, ReadError::Invalid { violation: Violation::UnknownSegment(s), .. }
                if s == "E1BPXX"),
            "{error}"
        );
        assert_eq!(error.location().unwrap().segment_number, Some(2));

        let field = good().replace("<CURRENCY>", "<COLOUR>red</COLOUR><CURRENCY>");
        let error = read(&packet(&[field])).unwrap_err();
        assert!(
            matches!(
                &error,
                ReadError::Invalid {
                    violation: Violation::UnknownField { .. },
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(error.location().unwrap().field.as_deref(), Some("COLOUR"));
        assert!(error.to_string().contains("has no field COLOUR"), "{error}");
    }

    #[test]
    fn required_fields_and_segments_must_be_there() {
        let no_date = good().replace("<DOC_DATE>20261103</DOC_DATE>", "");
        let error = read(&packet(&[no_date])).unwrap_err();
        assert!(
            matches!(&error, ReadError::Invalid { violation: Violation::MissingField(f), .. }
                if f == "DOC_DATE"),
            "{error}"
        );
        let no_amounts = idoc(HEADER);
        let error = read(&packet(&[no_amounts])).unwrap_err();
        assert!(
            matches!(
                &error,
                ReadError::Invalid {
                    violation: Violation::TooFewSegments { .. },
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn the_control_record_must_come_first_and_fit_this_type() {
        let headless = format!("<IDOC BEGIN=\"1\">{HEADER}{AMOUNT}</IDOC>");
        let error = read(&packet(&[headless])).unwrap_err();
        assert!(
            matches!(
                &error,
                ReadError::Layout {
                    problem: LayoutProblem::MissingControlRecord,
                    ..
                }
            ),
            "{error}"
        );
        let other_type = good().replace(
            "<IDOCTYP>ACC_DOCUMENT03</IDOCTYP>",
            "<IDOCTYP>ACC_DOCUMENT05</IDOCTYP>",
        );
        let error = read(&packet(&[other_type])).unwrap_err();
        let at = error.location().unwrap();
        assert_eq!(at.segment.as_deref(), Some("EDI_DC40"));
        assert_eq!(at.field.as_deref(), Some("IDOCTYP"));
        let outbound = good().replace("<DIRECT>2</DIRECT>", "<DIRECT>1</DIRECT>");
        assert!(read(&packet(&[outbound])).is_err());
    }

    #[test]
    fn the_layout_is_checked() {
        let wrong_root = packet(&[good()]).replace("ACC_DOCUMENT03>", "ORDERS05>");
        assert!(matches!(
            read(&wrong_root),
            Err(ReadError::Layout {
                problem: LayoutProblem::WrongRoot { .. },
                ..
            })
        ));
        let no_begin = good().replace("<IDOC BEGIN=\"1\">", "<IDOC>");
        assert!(matches!(
            read(&packet(&[no_begin])),
            Err(ReadError::Layout {
                problem: LayoutProblem::MissingAttribute { .. },
                ..
            })
        ));
        let stray = good().replace("<E1BPACCR09", "stray<E1BPACCR09");
        assert!(matches!(
            read(&packet(&[stray])),
            Err(ReadError::Layout {
                problem: LayoutProblem::TextOutsideField(_),
                ..
            })
        ));
        let namespaced =
            packet(&[good()]).replace("<ACC_DOCUMENT03>", "<ACC_DOCUMENT03 xmlns=\"urn:x\">");
        assert!(matches!(
            read(&namespaced),
            Err(ReadError::Layout {
                problem: LayoutProblem::UnexpectedAttribute { .. },
                ..
            })
        ));
        let latin1 = packet(&[good()]).replace("UTF-8", "ISO-8859-1");
        assert!(matches!(read(&latin1), Err(ReadError::Encoding { .. })));
        assert_eq!(read(&packet(&[])), Err(ReadError::NoIdocs));
        assert!(matches!(
            read(&format!("{}<ACC_DOCUMENT03/>", packet(&[good()]))),
            Err(ReadError::Layout {
                problem: LayoutProblem::AfterRoot,
                ..
            })
        ));
        assert!(matches!(
            read("<ACC_DOCUMENT03>"),
            Err(ReadError::NotWellFormed { .. })
        ));
    }

    #[test]
    fn empty_fields_read_as_empty_values() {
        let empty = good().replace(
            "<DOC_TYPE>SA</DOC_TYPE>",
            "<DOC_TYPE>SA</DOC_TYPE><AC_DOC_NO/>",
        );
        let idocs = read(&packet(&[empty])).unwrap();
        assert_eq!(idocs[0].segments[0].get("AC_DOC_NO"), Some(""));
    }
}
