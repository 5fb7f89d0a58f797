//! IDoc type definitions: the control record and the segments of one basic type, with field
//! order, lengths, required fields and fixed values, and the checks made against them.
//!
//! Two sources load into the same [`IdocSchema`]: the project's text format, described in
//! `idoc-schemas/README.md` and used for the built-in ACC_DOCUMENT03 definition, and the XML
//! schema SAP's transaction WE60 exports for a basic type, so that a customer can check IDocs
//! against their own system's definitions. A WE60 schema says nothing about the data fields a
//! type needs (they are all optional there); only the text format can mark them required.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::{CONTROL_RECORD, Reference, Violation, is_xml_char, line_at, resolve_reference};
use crate::posting::sap_text::sap_len;

/// The built-in ACC_DOCUMENT03 definition, in the text format.
pub const ACC_DOCUMENT03_TEXT: &str = include_str!("../../../idoc-schemas/ACC_DOCUMENT03.txt");

const BUILT_IN: &str = "idoc-schemas/ACC_DOCUMENT03.txt (built in)";

/// Deepest element nesting a WE60 schema needs, with room to spare; deeper is not a schema.
const MAX_XSD_DEPTH: usize = 32;

/// One basic type: its control record and data segments, in definition order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdocSchema {
    /// `IDOCTYP` and the XML root element, e.g. `ACC_DOCUMENT03`.
    pub basic_type: String,
    /// `MESTYP`, when the definition names one.
    pub message_type: Option<String>,
    /// The control record, `EDI_DC40`.
    pub control: SegmentDef,
    /// Data segments; all are direct children of `IDOC`.
    pub segments: Vec<SegmentDef>,
}

/// One segment type and its fields, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentDef {
    pub name: String,
    /// Fewest occurrences in one IDoc.
    pub min: u32,
    /// Most occurrences in one IDoc; `None` for no limit.
    pub max: Option<u32>,
    pub description: String,
    pub fields: Vec<FieldDef>,
}

/// One field of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub name: String,
    /// Most characters, counted as SAP counts them (UTF-16 code units).
    pub length: usize,
    /// Must be present and not blank.
    pub required: bool,
    /// The only values allowed; empty for any value.
    pub allowed: Vec<String>,
    pub description: String,
}

/// A definition that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("cannot read the IDoc definition {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}, line {line}: {problem}")]
    Syntax {
        origin: String,
        line: usize,
        problem: String,
    },
    #[error("{origin}: {problem}")]
    Invalid { origin: String, problem: String },
}

impl FieldDef {
    /// Checks one value: characters XML can carry, length, allowed values.
    pub fn check(&self, value: &str) -> Result<(), Violation> {
        if let Some(bad) = value.chars().find(|&c| !is_xml_char(c)) {
            return Err(Violation::BadCharacter(u32::from(bad)));
        }
        let length = sap_len(value);
        if length > self.length {
            return Err(Violation::TooLong {
                length,
                max: self.length,
            });
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|allowed| allowed == value) {
            return Err(Violation::NotAllowed {
                value: value.to_owned(),
                allowed: self.allowed.clone(),
            });
        }
        Ok(())
    }
}

impl SegmentDef {
    /// The field called `name` and its position in the segment.
    pub fn field(&self, name: &str) -> Option<(usize, &FieldDef)> {
        self.fields
            .iter()
            .enumerate()
            .find(|(_, field)| field.name == name)
    }

    /// Checks one segment's fields as they come: each known, in definition order and once,
    /// with a valid value, and every required field present and not blank. On failure, the
    /// field at fault and the rule it breaks.
    pub fn check<'v>(
        &self,
        fields: impl IntoIterator<Item = (&'v str, &'v str)>,
    ) -> Result<(), (String, Violation)> {
        // Fields must come in definition order, so one pass finds the required ones skipped;
        // a missing one is told only when the order is right, or it would be a false lead.
        let mut next = 0;
        let mut previous = "";
        let mut missing = None;
        for (name, value) in fields {
            let Some((index, def)) = self.field(name) else {
                let violation = Violation::UnknownField {
                    segment: self.name.clone(),
                    field: name.to_owned(),
                };
                return Err((name.to_owned(), violation));
            };
            if index < next {
                let violation = if index + 1 == next {
                    Violation::DuplicateField(name.to_owned())
                } else {
                    Violation::FieldOutOfOrder {
                        field: name.to_owned(),
                        after: previous.to_owned(),
                    }
                };
                return Err((name.to_owned(), violation));
            }
            def.check(value).map_err(|v| (name.to_owned(), v))?;
            let blank = def.required && value.trim().is_empty();
            missing = missing
                .or_else(|| self.required_between(next, index))
                .or_else(|| blank.then_some(def));
            next = index + 1;
            previous = name;
        }
        match missing.or_else(|| self.required_between(next, self.fields.len())) {
            Some(field) => Err((
                field.name.clone(),
                Violation::MissingField(field.name.clone()),
            )),
            None => Ok(()),
        }
    }

    /// The first required field among those from `from` up to `to`.
    fn required_between(&self, from: usize, to: usize) -> Option<&FieldDef> {
        self.fields[from..to].iter().find(|field| field.required)
    }
}

/// The first problem with an IDoc's sequence of data segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceError {
    /// Number of the segment at fault (from 1), when one is.
    pub number: Option<usize>,
    pub segment: String,
    pub violation: Violation,
}

impl IdocSchema {
    /// The built-in ACC_DOCUMENT03 definition, `idoc-schemas/ACC_DOCUMENT03.txt`.
    pub fn acc_document03() -> &'static IdocSchema {
        static SCHEMA: OnceLock<IdocSchema> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            IdocSchema::parse_text(ACC_DOCUMENT03_TEXT, BUILT_IN)
                .expect("the built-in definition is checked by its tests")
        })
    }

    /// Loads a definition file: a WE60 XML schema when it starts with `<`, else the text
    /// format.
    pub fn load(path: &Path) -> Result<IdocSchema, SchemaError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_owned(),
            source,
        })?;
        let origin = path.display().to_string();
        // Files saved by Windows tools often start with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if text.trim_start().starts_with('<') {
            IdocSchema::parse_we60_xsd(text, &origin)
        } else {
            IdocSchema::parse_text(text, &origin)
        }
    }

    /// The data segment called `name` and its position in the definition.
    pub fn segment(&self, name: &str) -> Option<(usize, &SegmentDef)> {
        self.segments
            .iter()
            .enumerate()
            .find(|(_, segment)| segment.name == name)
    }

    /// Checks an IDoc's data segments, given by type in the order they come: each known, in
    /// definition order, and each type within its occurrence limits.
    pub fn check_sequence<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<(), SequenceError> {
        let mut current = 0;
        let mut count = 0u32;
        for (position, name) in (1..).zip(names) {
            let fail = |violation| SequenceError {
                number: Some(position),
                segment: name.to_owned(),
                violation,
            };
            let Some((index, def)) = self.segment(name) else {
                return Err(fail(Violation::UnknownSegment(name.to_owned())));
            };
            if index < current {
                return Err(fail(Violation::SegmentOutOfOrder {
                    segment: name.to_owned(),
                    after: self.segments[current].name.clone(),
                }));
            }
            if index > current {
                self.enough_between(current, index, count)?;
                current = index;
                count = 0;
            }
            count += 1;
            if def.max.is_some_and(|max| count > max) {
                let max = def.max.unwrap_or_default();
                return Err(fail(Violation::TooManySegments {
                    segment: name.to_owned(),
                    max,
                }));
            }
        }
        self.enough_between(current, self.segments.len(), count)
    }

    /// Checks that segment `from` occurred `count` times and those up to `to` none, enough
    /// for each.
    fn enough_between(&self, from: usize, to: usize, count: u32) -> Result<(), SequenceError> {
        for (index, def) in self.segments.iter().enumerate().take(to).skip(from) {
            let found = if index == from { count } else { 0 };
            if found < def.min {
                return Err(SequenceError {
                    number: None,
                    segment: def.name.clone(),
                    violation: Violation::TooFewSegments {
                        segment: def.name.clone(),
                        min: def.min,
                        found,
                    },
                });
            }
        }
        Ok(())
    }

    /// Checks a control record: the definition's rules, and that it announces an inbound
    /// IDoc of this basic type (and message type, when the definition names one).
    pub fn check_control<'v>(
        &self,
        fields: impl IntoIterator<Item = (&'v str, &'v str)> + Clone,
    ) -> Result<(), (String, Violation)> {
        self.control.check(fields.clone())?;
        let mut expected = vec![
            ("TABNAM", CONTROL_RECORD),
            ("DIRECT", "2"),
            ("IDOCTYP", self.basic_type.as_str()),
        ];
        if let Some(message_type) = &self.message_type {
            expected.push(("MESTYP", message_type.as_str()));
        }
        for (field, want) in expected {
            let found = fields.clone().into_iter().find(|(name, _)| *name == field);
            match found {
                None => return Err((field.to_owned(), Violation::MissingField(field.to_owned()))),
                Some((_, value)) if value != want => {
                    let violation = Violation::NotAllowed {
                        value: value.to_owned(),
                        allowed: vec![want.to_owned()],
                    };
                    return Err((field.to_owned(), violation));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Parses the text format (`idoc-schemas/README.md`); `origin` names the source in errors.
    pub fn parse_text(text: &str, origin: &str) -> Result<IdocSchema, SchemaError> {
        let mut builder = TextBuilder::default();
        for (index, line) in text.lines().enumerate() {
            builder
                .line(line.trim())
                .map_err(|problem| SchemaError::Syntax {
                    origin: origin.to_owned(),
                    line: index + 1,
                    problem,
                })?;
        }
        let invalid = |problem: &str| SchemaError::Invalid {
            origin: origin.to_owned(),
            problem: problem.to_owned(),
        };
        let schema = IdocSchema {
            basic_type: builder
                .basic_type
                .ok_or_else(|| invalid("no `idoc` line names the basic type"))?,
            message_type: builder.message_type,
            control: builder
                .control
                .ok_or_else(|| invalid("no `control EDI_DC40` block"))?,
            segments: builder.segments,
        };
        schema.checked(origin)
    }

    /// Reads the XML schema WE60 exports for a basic type; `origin` names the source in errors.
    pub fn parse_we60_xsd(xml: &str, origin: &str) -> Result<IdocSchema, SchemaError> {
        let tree = xsd::parse_tree(xml).map_err(|(line, problem)| SchemaError::Syntax {
            origin: origin.to_owned(),
            line,
            problem,
        })?;
        let schema = xsd::interpret(&tree).map_err(|problem| SchemaError::Invalid {
            origin: origin.to_owned(),
            problem,
        })?;
        schema.checked(origin)
    }

    /// The checks every definition must pass, whatever its source.
    fn checked(self, origin: &str) -> Result<IdocSchema, SchemaError> {
        let problem = self.first_problem();
        match problem {
            Some(problem) => Err(SchemaError::Invalid {
                origin: origin.to_owned(),
                problem,
            }),
            None => Ok(self),
        }
    }

    fn first_problem(&self) -> Option<String> {
        if self.control.name != CONTROL_RECORD {
            let name = &self.control.name;
            return Some(format!(
                "the control record is {name}, not {CONTROL_RECORD}"
            ));
        }
        if self.segments.is_empty() {
            return Some("the definition has no data segments".into());
        }
        for (index, segment) in self.segments.iter().enumerate() {
            let name = &segment.name;
            if *name == CONTROL_RECORD {
                return Some(format!("{name} is the control record, not a data segment"));
            }
            if self.segment(name).map(|(first, _)| first) != Some(index) {
                return Some(format!("segment {name} is defined twice"));
            }
            match segment.max {
                Some(0) => return Some(format!("segment {name} may never occur")),
                Some(max) if max < segment.min => {
                    let min = segment.min;
                    return Some(format!(
                        "segment {name} occurs at least {min} but at most {max}"
                    ));
                }
                _ => {}
            }
        }
        std::iter::once(&self.control)
            .chain(&self.segments)
            .find_map(SegmentDef::first_problem)
    }
}

impl SegmentDef {
    fn first_problem(&self) -> Option<String> {
        let segment = &self.name;
        if self.fields.is_empty() {
            return Some(format!("segment {segment} has no fields"));
        }
        for (index, field) in self.fields.iter().enumerate() {
            let (name, length) = (&field.name, field.length);
            if self.field(name).map(|(first, _)| first) != Some(index) {
                return Some(format!("{segment}: field {name} is defined twice"));
            }
            if length == 0 {
                return Some(format!("{segment}: field {name} has length 0"));
            }
            if let Some(value) = field.allowed.iter().find(|v| sap_len(v) > length) {
                return Some(format!(
                    "{segment}: field {name} allows \"{value}\", longer than its length {length}"
                ));
            }
        }
        None
    }
}

/// The text format, one line at a time.
#[derive(Default)]
struct TextBuilder {
    basic_type: Option<String>,
    message_type: Option<String>,
    control: Option<SegmentDef>,
    segments: Vec<SegmentDef>,
    /// The block field lines belong to: the control record, or the last segment.
    in_control: bool,
}

impl TextBuilder {
    fn line(&mut self, line: &str) -> Result<(), String> {
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let (words, description) = split_description(line)?;
        let mut words = words.split_whitespace();
        let first = words.next().unwrap_or_default();
        match first {
            "idoc" | "message" => {
                let name = single_name(&mut words, first)?;
                let slot = if first == "idoc" {
                    &mut self.basic_type
                } else {
                    &mut self.message_type
                };
                if slot.replace(name).is_some() {
                    return Err(format!("a second `{first}` line"));
                }
            }
            "control" => {
                let name = single_name(&mut words, first)?;
                if name != CONTROL_RECORD {
                    return Err(format!(
                        "the control record is {CONTROL_RECORD}, not {name}"
                    ));
                }
                if self.control.is_some() {
                    return Err("a second control record".into());
                }
                self.control = Some(SegmentDef {
                    name,
                    min: 1,
                    max: Some(1),
                    description,
                    fields: Vec::new(),
                });
                self.in_control = true;
            }
            "segment" => {
                let name = words
                    .next()
                    .filter(|name| is_name(name))
                    .ok_or("`segment` needs a segment type, e.g. `segment E1BPACGL09 0..*`")?;
                let (min, max) = words
                    .next()
                    .and_then(parse_occurs)
                    .ok_or("`segment` needs its occurrences as MIN..MAX, MAX a number or *")?;
                if let Some(extra) = words.next() {
                    return Err(format!("unexpected `{extra}` after the occurrences"));
                }
                self.segments.push(SegmentDef {
                    name: name.to_owned(),
                    min,
                    max,
                    description,
                    fields: Vec::new(),
                });
                self.in_control = false;
            }
            _ => {
                let field = parse_field(first, words, description)?;
                let segment = if self.in_control {
                    self.control.as_mut()
                } else {
                    self.segments.last_mut()
                };
                let segment = segment.ok_or_else(|| {
                    format!("field {first} comes before any `control` or `segment` line")
                })?;
                segment.fields.push(field);
            }
        }
        Ok(())
    }
}

/// Splits `NAME ... "description"` into the words and the description.
fn split_description(line: &str) -> Result<(&str, String), String> {
    let Some(start) = line.find('"') else {
        return Ok((line, String::new()));
    };
    let rest = &line[start + 1..];
    match rest.strip_suffix('"') {
        Some(text) if !text.contains('"') => Ok((&line[..start], text.to_owned())),
        _ => Err("a description is one double-quoted text at the end of the line".into()),
    }
}

fn single_name<'w>(
    words: &mut impl Iterator<Item = &'w str>,
    keyword: &str,
) -> Result<String, String> {
    let name = words
        .next()
        .filter(|name| is_name(name))
        .ok_or_else(|| format!("`{keyword}` needs a name in capitals"))?;
    match words.next() {
        Some(extra) => Err(format!("unexpected `{extra}` after `{keyword} {name}`")),
        None => Ok(name.to_owned()),
    }
}

fn parse_field<'w>(
    name: &str,
    mut words: impl Iterator<Item = &'w str>,
    description: String,
) -> Result<FieldDef, String> {
    if !is_name(name) {
        return Err(format!(
            "`{name}` is neither a keyword (idoc, message, control, segment) nor a field name \
             in capitals"
        ));
    }
    let length = words
        .next()
        .and_then(|word| word.parse::<usize>().ok())
        .filter(|&length| length > 0)
        .ok_or_else(|| format!("field {name} needs its length in characters after the name"))?;
    let mut field = FieldDef {
        name: name.to_owned(),
        length,
        required: false,
        allowed: Vec::new(),
        description,
    };
    for word in words {
        if word == "required" {
            field.required = true;
        } else if let Some(value) = word.strip_prefix("fixed=").filter(|v| !v.is_empty()) {
            field.allowed = vec![value.to_owned()];
        } else if let Some(values) = word.strip_prefix("values=").filter(|v| !v.is_empty()) {
            field.allowed = values.split('|').map(str::to_owned).collect();
        } else {
            return Err(format!(
                "field {name}: unknown `{word}`; expected required, fixed=VALUE or values=A|B"
            ));
        }
    }
    Ok(field)
}

fn parse_occurs(text: &str) -> Option<(u32, Option<u32>)> {
    let (min, max) = text.split_once("..")?;
    let min = min.parse().ok()?;
    let max = match max {
        "*" => None,
        max => Some(max.parse().ok()?),
    };
    Some((min, max))
}

/// Segment and field names as SAP writes them, namespaces (`/ABC/`) included.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'/')
}

/// The WE60 XML schema: a small element tree, then its interpretation.
mod xsd {
    use super::*;

    /// One element of the schema document, by local name (the `xsd:` prefix dropped).
    pub(super) struct Node {
        name: String,
        attributes: Vec<(String, String)>,
        children: Vec<Node>,
        text: String,
    }

    impl Node {
        fn attribute(&self, name: &str) -> Option<&str> {
            self.attributes
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        }

        fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
            self.children.iter().filter(move |child| child.name == name)
        }

        fn child(&self, name: &str) -> Option<&Node> {
            self.children.iter().find(|child| child.name == name)
        }

        fn description(&self) -> String {
            self.child("annotation")
                .and_then(|annotation| annotation.child("documentation"))
                .map(|doc| doc.text.trim().to_owned())
                .unwrap_or_default()
        }
    }

    /// Parses the document into a tree; on failure, the line and the problem.
    pub(super) fn parse_tree(xml: &str) -> Result<Node, (usize, String)> {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().expand_empty_elements = true;
        let line = |reader: &Reader<&[u8]>| line_at(xml.as_bytes(), reader.buffer_position());
        let mut open: Vec<Node> = Vec::new();
        loop {
            let event = reader
                .read_event()
                .map_err(|error| (line(&reader), error.to_string()))?;
            match event {
                Event::Start(start) => {
                    if open.len() >= MAX_XSD_DEPTH {
                        return Err((line(&reader), "elements nest too deep".into()));
                    }
                    let node = node(&start, &reader).map_err(|e| (line(&reader), e))?;
                    open.push(node);
                }
                Event::End(_) => {
                    let done = open.pop().expect("the reader matches end tags");
                    match open.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::Text(text) => {
                    let text = text
                        .xml10_content()
                        .map_err(|e| (line(&reader), e.to_string()))?;
                    if let Some(node) = open.last_mut() {
                        node.text.push_str(&text);
                    }
                }
                Event::CData(text) => {
                    let text = text.decode().map_err(|e| (line(&reader), e.to_string()))?;
                    if let Some(node) = open.last_mut() {
                        node.text.push_str(&text);
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match resolve_reference(&reference) {
                        Reference::Char(c) => c,
                        Reference::Unknown(name) | Reference::Invalid(name) => {
                            let problem = format!("unknown or invalid reference &{name};");
                            return Err((line(&reader), problem));
                        }
                    };
                    if let Some(node) = open.last_mut() {
                        node.text.push(resolved);
                    }
                }
                Event::DocType(_) => {
                    return Err((
                        line(&reader),
                        "a DOCTYPE is not accepted in an IDoc definition".into(),
                    ));
                }
                Event::Eof => return Err((line(&reader), "the document ends early".into())),
                Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            }
        }
    }

    fn node(start: &BytesStart<'_>, reader: &Reader<&[u8]>) -> Result<Node, String> {
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| e.to_string())?;
            let value = attribute
                .decoded_and_normalized_value(XmlVersion::Implicit1_0, reader.decoder())
                .map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            attributes.push((key, value.into_owned()));
        }
        Ok(Node {
            name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
            attributes,
            children: Vec::new(),
            text: String::new(),
        })
    }

    /// Finds the basic type, the IDOC type, the control record and the segments.
    pub(super) fn interpret(schema: &Node) -> Result<IdocSchema, String> {
        if schema.name != "schema" {
            return Err(format!("the root is {}, not an XML schema", schema.name));
        }
        let types = Types(schema);
        let (root, idoc) = schema
            .children("element")
            .find_map(|element| {
                let idoc = types
                    .content(element)?
                    .children("element")
                    .find(|child| child.attribute("name") == Some("IDOC"))?;
                Some((element, idoc))
            })
            .ok_or("no global element holds an IDOC element; is this a WE60 IDoc schema?")?;
        let basic_type = root.attribute("name").unwrap_or_default().to_owned();
        let content = types
            .content(idoc)
            .ok_or("the IDOC element has no sequence of segments")?;
        let mut elements = content.children("element");
        let control_element = elements
            .next()
            .filter(|element| element.attribute("name") == Some(CONTROL_RECORD))
            .ok_or("the IDOC element does not start with the control record EDI_DC40")?;
        let control = segment(&types, control_element)?;
        let mut segments = Vec::new();
        for element in elements {
            segments.push(segment(&types, element)?);
        }
        let message_type = control
            .field("MESTYP")
            .and_then(|(_, field)| (field.allowed.len() == 1).then(|| field.allowed[0].clone()))
            .or_else(|| message_type_from(idoc.attribute("type"), &basic_type));
        Ok(IdocSchema {
            basic_type,
            message_type,
            control,
            segments,
        })
    }

    /// `MESTYP.IDOCTYP`, the type name WE60 gives the IDOC element when exported with a
    /// message type.
    fn message_type_from(type_name: Option<&str>, basic_type: &str) -> Option<String> {
        let (message, idoc) = type_name?.split_once('.')?;
        (idoc == basic_type && !message.is_empty()).then(|| message.to_owned())
    }

    /// The named complex types of the schema.
    struct Types<'a>(&'a Node);

    impl<'a> Types<'a> {
        /// The element's complex type: inline, or named by its `type` attribute.
        fn complex_type(&self, element: &'a Node) -> Option<&'a Node> {
            element.child("complexType").or_else(|| {
                let name = element.attribute("type")?;
                self.0
                    .children("complexType")
                    .find(|t| t.attribute("name") == Some(name))
            })
        }

        /// The sequence of child elements of the element's complex type.
        fn content(&self, element: &'a Node) -> Option<&'a Node> {
            self.complex_type(element)?.child("sequence")
        }
    }

    fn segment(types: &Types<'_>, element: &Node) -> Result<SegmentDef, String> {
        let name = element
            .attribute("name")
            .ok_or("a segment element has no name")?
            .to_owned();
        let complex = types
            .complex_type(element)
            .ok_or_else(|| format!("segment {name} has no type with its fields"))?;
        let (min, max) = occurs(element).map_err(|e| format!("segment {name}: {e}"))?;
        let mut fields = Vec::new();
        if let Some(sequence) = complex.child("sequence") {
            for child in sequence.children("element") {
                let field_name = child.attribute("name").unwrap_or_default();
                if types.complex_type(child).is_some() {
                    return Err(format!(
                        "segment {name} has a child segment {field_name}; only flat IDoc types \
                         such as ACC_DOCUMENT are supported"
                    ));
                }
                fields.push(field(child).map_err(|e| format!("segment {name}: {e}"))?);
            }
        }
        let description = match complex.description() {
            text if text.is_empty() => element.description(),
            text => text,
        };
        Ok(SegmentDef {
            name,
            min,
            max,
            description,
            fields,
        })
    }

    fn field(element: &Node) -> Result<FieldDef, String> {
        let name = element
            .attribute("name")
            .ok_or("a field element has no name")?
            .to_owned();
        let (min, _) = occurs(element).map_err(|e| format!("field {name}: {e}"))?;
        let restriction = element
            .child("simpleType")
            .and_then(|simple| simple.child("restriction"));
        let facet = |facet: &str| -> Result<Option<usize>, String> {
            let Some(node) = restriction.and_then(|r| r.child(facet)) else {
                return Ok(None);
            };
            let value = node.attribute("value").unwrap_or_default();
            value
                .parse()
                .map(Some)
                .map_err(|_| format!("field {name}: {facet} \"{value}\" is not a number"))
        };
        let mut allowed: Vec<String> = restriction
            .into_iter()
            .flat_map(|r| r.children("enumeration"))
            .filter_map(|e| e.attribute("value").map(str::to_owned))
            .collect();
        if let Some(fixed) = element.attribute("fixed") {
            allowed = vec![fixed.to_owned()];
        }
        // A fixed or enumerated field may carry no length; its values then bound it.
        let length = facet("maxLength")?
            .or(facet("length")?)
            .or_else(|| allowed.iter().map(|value| sap_len(value)).max())
            .ok_or_else(|| format!("field {name} has no maxLength"))?;
        Ok(FieldDef {
            description: element.description(),
            name,
            length,
            required: min > 0,
            allowed,
        })
    }

    fn occurs(element: &Node) -> Result<(u32, Option<u32>), String> {
        let number = |attribute: &str| -> Result<Option<u32>, String> {
            match element.attribute(attribute) {
                None | Some("unbounded") => Ok(None),
                Some(text) => text
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{attribute} \"{text}\" is not a number")),
            }
        };
        let min = number("minOccurs")?.unwrap_or(1);
        let max = match element.attribute("maxOccurs") {
            Some(_) => number("maxOccurs")?,
            None => Some(1),
        };
        Ok((min, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WE60: &str = include_str!("../../../idoc-schemas/we60/ACC_DOCUMENT.ACC_DOCUMENT03.xsd");

    fn text_error(text: &str) -> (usize, String) {
        match IdocSchema::parse_text(text, "test") {
            Err(SchemaError::Syntax { line, problem, .. }) => (line, problem),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    const SMALL: &str = "\
idoc X01
control EDI_DC40
  TABNAM 10 required fixed=EDI_DC40
  DIRECT 1 required values=1|2
  IDOCTYP 30 required
segment E1A 1..1 \"Head\"
  A 4 required \"First\"
  B 2
segment E1B 0..*
  C 3
";

    #[test]
    fn the_built_in_definition_loads_in_definition_order() {
        let schema = IdocSchema::acc_document03();
        assert_eq!(schema.basic_type, "ACC_DOCUMENT03");
        assert_eq!(schema.message_type.as_deref(), Some("ACC_DOCUMENT"));
        let names: Vec<_> = schema.segments.iter().map(|s| s.name.as_str()).collect();
        let expected = [
            "E1BPACHE09",
            "E1BPACGL09",
            "E1BPACAP09",
            "E1BPACTX09",
            "E1BPACCR09",
            "E1BPPAREX",
        ];
        assert_eq!(names, expected);
        let arckey = schema.control.field("ARCKEY").unwrap().1;
        assert_eq!((arckey.length, arckey.required), (70, false));
        let (_, header) = schema.segment("E1BPACHE09").unwrap();
        assert_eq!((header.min, header.max), (1, Some(1)));
        assert_eq!(header.field("HEADER_TXT").unwrap().1.length, 25);
        assert!(header.field("COMP_CODE").unwrap().1.required);
    }

    #[test]
    fn the_we60_export_reads_into_the_same_definition() {
        let we60 = IdocSchema::parse_we60_xsd(WE60, "we60").expect("the example export loads");
        let built_in = IdocSchema::acc_document03();
        assert_eq!(we60.basic_type, built_in.basic_type);
        assert_eq!(we60.message_type, built_in.message_type);
        // The control record carries required fields and fixed values in both formats.
        assert_eq!(we60.control.description, built_in.control.description);
        assert_eq!(we60.control.fields.len(), built_in.control.fields.len());
        for (a, b) in we60.control.fields.iter().zip(&built_in.control.fields) {
            assert_eq!(
                (&a.name, a.required, &a.allowed),
                (&b.name, b.required, &b.allowed)
            );
            assert_eq!(a.description, b.description);
            // WE60 gives a fixed or enumerated field no length; its values bound it.
            if a.allowed.is_empty() {
                assert_eq!(a.length, b.length, "{}", a.name);
            }
        }
        assert_eq!(we60.segments.len(), built_in.segments.len());
        for (from_xsd, from_text) in we60.segments.iter().zip(&built_in.segments) {
            assert_eq!(from_xsd.name, from_text.name);
            assert_eq!((from_xsd.min, from_xsd.max), (from_text.min, from_text.max));
            assert_eq!(from_xsd.description, from_text.description);
            assert_eq!(
                from_xsd.fields.len(),
                from_text.fields.len(),
                "{}",
                from_xsd.name
            );
            for (a, b) in from_xsd.fields.iter().zip(&from_text.fields) {
                assert_eq!(
                    (&a.name, a.length),
                    (&b.name, b.length),
                    "{}",
                    from_xsd.name
                );
                assert_eq!(a.description, b.description);
                // WE60 makes every data field optional; only the text format knows better.
                assert!(!a.required);
            }
        }
    }

    #[test]
    fn text_format_reads_blocks_flags_and_descriptions() {
        let schema = IdocSchema::parse_text(SMALL, "test").unwrap();
        assert_eq!(schema.message_type, None);
        let direct = schema.control.field("DIRECT").unwrap().1;
        assert_eq!(direct.allowed, ["1", "2"]);
        let (_, head) = schema.segment("E1A").unwrap();
        assert_eq!(head.description, "Head");
        let a = &head.fields[0];
        assert_eq!(
            (a.length, a.required, a.description.as_str()),
            (4, true, "First")
        );
        let (_, repeated) = schema.segment("E1B").unwrap();
        assert_eq!((repeated.min, repeated.max), (0, None));
    }

    #[test]
    fn text_format_errors_name_the_line() {
        let (line, problem) = text_error("idoc X01\ncontrol EDI_DC40\n  TABNAM ten\n");
        assert_eq!(line, 3);
        assert!(problem.contains("length"), "{problem}");
        let (line, problem) = text_error("idoc X01\n  A 1\n");
        assert_eq!(line, 2);
        assert!(problem.contains("before any"), "{problem}");
        let (_, problem) = text_error("idoc X01\nsegment E1A 1-2\n");
        assert!(problem.contains("MIN..MAX"), "{problem}");
        let (_, problem) = text_error("idoc X01\ncontrol EDI_DC40\n  A 1 optional\n");
        assert!(problem.contains("unknown `optional`"), "{problem}");
        let (_, problem) = text_error("idoc X01\ncontrol EDI_DC40 \"open\n");
        assert!(problem.contains("double-quoted"), "{problem}");
    }

    #[test]
    fn a_definition_must_be_complete_and_unambiguous() {
        let invalid = |text: &str| match IdocSchema::parse_text(text, "test") {
            Err(SchemaError::Invalid { problem, .. }) => problem,
            other => panic!("expected an invalid definition, got {other:?}"),
        };
        assert!(invalid("control EDI_DC40\n A 1\nsegment E 1..1\n B 1\n").contains("`idoc`"));
        let twice = SMALL.replace("  C 3", "  C 3\n  C 4");
        assert!(invalid(&twice).contains("field C is defined twice"));
        let again = format!("{SMALL}segment E1A 0..1\n  D 1\n");
        assert!(invalid(&again).contains("E1A is defined twice"));
        let long = SMALL.replace("DIRECT 1 required values=1|2", "DIRECT 1 values=1|22");
        assert!(invalid(&long).contains("longer than its length"));
    }

    #[test]
    fn segments_are_checked_for_order_presence_and_length() {
        let schema = IdocSchema::parse_text(SMALL, "test").unwrap();
        let (_, head) = schema.segment("E1A").unwrap();
        assert_eq!(head.check([("A", "1000"), ("B", "KR")]), Ok(()));
        let (field, violation) = head.check([("B", "KR")]).unwrap_err();
        assert_eq!(
            (field.as_str(), violation),
            ("A", Violation::MissingField("A".into()))
        );
        let (field, _) = head.check([("A", " ")]).unwrap_err();
        assert_eq!(field, "A");
        let (_, violation) = head.check([("B", "KR"), ("A", "1")]).unwrap_err();
        assert!(
            matches!(violation, Violation::FieldOutOfOrder { .. }),
            "{violation}"
        );
        let (_, violation) = head.check([("A", "1"), ("A", "1")]).unwrap_err();
        assert_eq!(violation, Violation::DuplicateField("A".into()));
        assert_eq!(head.check([("A", "가나다라")]), Ok(()));
        let (_, violation) = head.check([("A", "가나다라마")]).unwrap_err();
        assert_eq!(violation, Violation::TooLong { length: 5, max: 4 });
        // An emoji takes two of SAP's characters.
        let (_, violation) = head.check([("A", "가나다🍺")]).unwrap_err();
        assert_eq!(violation, Violation::TooLong { length: 5, max: 4 });
        let (_, violation) = head.check([("A", "1\u{1}")]).unwrap_err();
        assert_eq!(violation, Violation::BadCharacter(1));
        let (_, violation) = head.check([("Z", "1")]).unwrap_err();
        assert!(matches!(violation, Violation::UnknownField { .. }));
    }

    #[test]
    fn sequences_are_checked_for_order_and_occurrences() {
        let schema = IdocSchema::parse_text(SMALL, "test").unwrap();
        assert_eq!(schema.check_sequence(["E1A", "E1B", "E1B"]), Ok(()));
        let error = schema.check_sequence(["E1B"]).unwrap_err();
        assert_eq!(error.segment, "E1A");
        assert!(matches!(
            error.violation,
            Violation::TooFewSegments { found: 0, .. }
        ));
        let error = schema.check_sequence(["E1A", "E1A"]).unwrap_err();
        assert_eq!(error.number, Some(2));
        assert!(matches!(
            error.violation,
            Violation::TooManySegments { max: 1, .. }
        ));
        let error = schema.check_sequence(["E1A", "E1B", "E1A"]).unwrap_err();
        assert_eq!(error.number, Some(3));
        let out_of_order = Violation::SegmentOutOfOrder {
            segment: "E1A".into(),
            after: "E1B".into(),
        };
        assert_eq!(error.violation, out_of_order);
        let error = schema.check_sequence(["E1A", "E9"]).unwrap_err();
        assert_eq!(error.violation, Violation::UnknownSegment("E9".into()));
    }

    #[test]
    fn the_control_record_must_announce_this_inbound_type() {
        let schema = IdocSchema::acc_document03();
        let mut control = vec![
            ("TABNAM", "EDI_DC40"),
            ("DIRECT", "2"),
            ("IDOCTYP", "ACC_DOCUMENT03"),
            ("MESTYP", "ACC_DOCUMENT"),
            ("SNDPOR", "BIZSAP"),
            ("SNDPRT", "LS"),
            ("SNDPRN", "BIZSAP"),
            ("RCVPOR", "SAPBSP"),
            ("RCVPRN", "BSPCLNT100"),
        ];
        assert_eq!(schema.check_control(control.iter().copied()), Ok(()));
        control[1].1 = "1";
        let (field, _) = schema.check_control(control.iter().copied()).unwrap_err();
        assert_eq!(field, "DIRECT");
        control[1].1 = "2";
        control[2].1 = "ACC_DOCUMENT05";
        let (field, violation) = schema.check_control(control.iter().copied()).unwrap_err();
        assert_eq!(field, "IDOCTYP");
        assert!(matches!(violation, Violation::NotAllowed { .. }));
        control[2].1 = "ACC_DOCUMENT03";
        control.remove(6);
        let (field, violation) = schema.check_control(control.iter().copied()).unwrap_err();
        assert_eq!(
            (field.as_str(), violation),
            ("SNDPRN", Violation::MissingField("SNDPRN".into()))
        );
    }

    #[test]
    fn a_we60_export_with_child_segments_or_a_doctype_is_refused() {
        let nested = WE60.replacen(
            "<xsd:element name=\"OBJ_TYPE\"",
            "<xsd:element name=\"E1CHILD\" type=\"ACC_DOCUMENT03.E1BPACCR09\"/>\
             <xsd:element name=\"OBJ_TYPE\"",
            1,
        );
        let error = IdocSchema::parse_we60_xsd(&nested, "we60").unwrap_err();
        assert!(
            error.to_string().contains("child segment E1CHILD"),
            "{error}"
        );

        let doctype = WE60.replacen(
            "<xsd:schema",
            "<!DOCTYPE x [<!ENTITY e \"boom\">]>\n<xsd:schema",
            1,
        );
        let error = IdocSchema::parse_we60_xsd(&doctype, "we60").unwrap_err();
        assert!(error.to_string().contains("DOCTYPE"), "{error}");
    }

    #[test]
    fn load_tells_the_two_formats_apart() {
        let dir = std::env::temp_dir().join(format!("bizsap-idoc-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = dir.join("small.txt");
        let xml = dir.join("export.xsd");
        std::fs::write(&text, SMALL).unwrap();
        std::fs::write(&xml, format!("\u{feff}{WE60}")).unwrap();
        assert_eq!(IdocSchema::load(&text).unwrap().basic_type, "X01");
        assert_eq!(IdocSchema::load(&xml).unwrap().basic_type, "ACC_DOCUMENT03");
        let missing = IdocSchema::load(&dir.join("none.txt")).unwrap_err();
        assert!(matches!(missing, SchemaError::Read { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
