//! The generic shape of a function call, as the RFC SDK and IDoc segments see one.
//!
//! A structure is a map from SAP field name to its value as a string, a table is a list of
//! structures, and a call names its parameters. Every value is a string, the way RFC clients
//! set decimals and dates (`"-55000.0000"`, `"20260315"`); the engine parses them itself, so a
//! transport never has to understand a BAPI to forward it.
//!
//! In JSON a parameter's kind follows from its value: a string is a scalar, an object a
//! structure and an array a table.
//!
//! ```
//! use bizsap::stub::sap::{FunctionCall, structure};
//!
//! let call = FunctionCall::new("BAPI_TRANSACTION_COMMIT").with_scalar("WAIT", "X");
//! assert_eq!(call.parameters.scalar("WAIT"), Some("X"));
//!
//! let header = structure([("COMP_CODE", "1000"), ("DOC_TYPE", "KR")]);
//! assert_eq!(header["DOC_TYPE"], "KR");
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One structure: SAP field name → value.
pub type Structure = BTreeMap<String, String>;

/// One table parameter: its rows.
pub type Table = Vec<Structure>;

/// Builds a structure from field/value pairs.
pub fn structure<const N: usize>(fields: [(&str, &str); N]) -> Structure {
    fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// The value of one parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Scalar(String),
    Structure(Structure),
    Table(Table),
}

impl Value {
    /// The kind of value, as SAP's function builder names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::Structure(_) => "structure",
            Value::Table(_) => "table",
        }
    }
}

/// The named parameters of a call or of its answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Parameters(BTreeMap<String, Value>);

impl Parameters {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A scalar parameter; `None` when absent or not a scalar.
    pub fn scalar(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::Scalar(value)) => Some(value),
            _ => None,
        }
    }

    /// A structure parameter; `None` when absent or not a structure.
    pub fn structure(&self, name: &str) -> Option<&Structure> {
        match self.0.get(name) {
            Some(Value::Structure(value)) => Some(value),
            _ => None,
        }
    }

    /// A table parameter's rows; empty when absent or not a table.
    pub fn table(&self, name: &str) -> &[Structure] {
        match self.0.get(name) {
            Some(Value::Table(rows)) => rows,
            _ => &[],
        }
    }

    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.0.insert(name.into(), value);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    pub fn with_scalar(mut self, name: &str, value: &str) -> Self {
        self.set(name, Value::Scalar(value.to_owned()));
        self
    }

    pub fn with_structure(mut self, name: &str, value: Structure) -> Self {
        self.set(name, Value::Structure(value));
        self
    }

    pub fn with_table(mut self, name: &str, rows: Table) -> Self {
        self.set(name, Value::Table(rows));
        self
    }
}

/// A call of one function module with its parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub function: String,
    #[serde(default)]
    pub parameters: Parameters,
}

impl FunctionCall {
    pub fn new(function: &str) -> Self {
        Self {
            function: function.to_owned(),
            parameters: Parameters::new(),
        }
    }

    pub fn with_scalar(mut self, name: &str, value: &str) -> Self {
        self.parameters = self.parameters.with_scalar(name, value);
        self
    }

    pub fn with_structure(mut self, name: &str, value: Structure) -> Self {
        self.parameters = self.parameters.with_structure(name, value);
        self
    }

    pub fn with_table(mut self, name: &str, rows: Table) -> Self {
        self.parameters = self.parameters.with_table(name, rows);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_kind_follows_from_the_value() {
        let json = r#"{"function":"X","parameters":{
            "WAIT":"X","HEADER":{"A":"1"},"ROWS":[{"B":"2"}]}}"#;
        let call: FunctionCall = serde_json::from_str(json).unwrap();

        assert_eq!(call.parameters.scalar("WAIT"), Some("X"));
        assert_eq!(call.parameters.structure("HEADER").unwrap()["A"], "1");
        assert_eq!(call.parameters.table("ROWS")[0]["B"], "2");
        assert_eq!(call.parameters.scalar("HEADER"), None);
        assert!(call.parameters.table("MISSING").is_empty());
    }
}
