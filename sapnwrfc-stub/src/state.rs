//! The library's process-wide state: every live handle and what it points to.
//!
//! Handles given to callers are numbers, never addresses: each is looked up here on every
//! call, so a closed connection or a destroyed function yields `RFC_INVALID_HANDLE` instead of
//! a use after free, and numbers are never reused, so a stale handle cannot reach an object
//! that took its place. One mutex guards the whole registry; it is held only for bookkeeping
//! and never across network I/O, so connections on different threads do not wait for each
//! other's calls.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::protocol::{Failure, FunctionDescription, ParameterDescription, TypeDescription, rc};
use crate::session::Connection;
use crate::value::{Cell, FieldMeta};

/// Default of `RfcSetGlobalLogonTimeout`, as in SAP's library.
pub const DEFAULT_LOGON_TIMEOUT: Duration = Duration::from_secs(60);

/// A function interface, cached for the life of the process per system id and name.
#[derive(Debug)]
pub struct FunctionDesc {
    pub desc: FunctionDescription,
    /// Per parameter: the structure or row type, registered as its own handle.
    pub types: Vec<Option<Arc<TypeDesc>>>,
}

impl FunctionDesc {
    pub fn param(&self, name: &str) -> Option<(usize, &ParameterDescription)> {
        self.desc
            .parameters
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name)
    }
}

/// A structure type.
#[derive(Debug)]
pub struct TypeDesc {
    pub id: usize,
    pub desc: TypeDescription,
}

impl TypeDesc {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.desc.fields.iter().position(|field| field.name == name)
    }

    pub fn meta(&self, index: usize) -> FieldMeta {
        let field = &self.desc.fields[index];
        FieldMeta {
            field_type: field.field_type,
            nuc_length: field.nuc_length,
            decimals: field.decimals,
        }
    }
}

pub fn param_meta(param: &ParameterDescription) -> FieldMeta {
    FieldMeta {
        field_type: param.field_type,
        nuc_length: param.nuc_length,
        decimals: param.decimals,
    }
}

/// A data container: a function's parameters, a structure, or a table of structures.
#[derive(Debug)]
pub enum Node {
    Function {
        desc: Arc<FunctionDesc>,
        cells: Vec<Cell>,
        active: Vec<bool>,
    },
    Structure {
        ty: Arc<TypeDesc>,
        cells: Vec<Cell>,
    },
    /// `cursor` is the current row's index, `None` for an empty table.
    Table {
        ty: Arc<TypeDesc>,
        rows: Vec<usize>,
        cursor: Option<usize>,
    },
}

#[derive(Debug)]
pub struct State {
    next_id: usize,
    pub connections: HashMap<usize, Arc<Connection>>,
    pub functions: HashMap<usize, Arc<FunctionDesc>>,
    pub types: HashMap<usize, Arc<TypeDesc>>,
    /// (system id, function name) → function description id.
    pub cache: HashMap<(String, String), usize>,
    pub nodes: HashMap<usize, Node>,
    pub ini_dir: Option<PathBuf>,
    pub logon_timeout: Duration,
}

static STATE: LazyLock<Mutex<State>> = LazyLock::new(|| {
    Mutex::new(State {
        // Ids start high so that a small integer passed as a handle by mistake is invalid.
        next_id: 0x1000,
        connections: HashMap::new(),
        functions: HashMap::new(),
        types: HashMap::new(),
        cache: HashMap::new(),
        nodes: HashMap::new(),
        ini_dir: None,
        logon_timeout: DEFAULT_LOGON_TIMEOUT,
    })
});

/// The registry. A panic while it was held leaves it consistent enough to go on: every
/// update is a single map operation.
pub fn lock() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn invalid_handle(what: &str) -> Failure {
    let message = format!("An invalid {what} handle was passed to the API call");
    Failure::external(rc::INVALID_HANDLE, "RFC_INVALID_HANDLE", message)
}

pub fn invalid_parameter(message: impl Into<String>) -> Failure {
    Failure::external(rc::INVALID_PARAMETER, "RFC_INVALID_PARAMETER", message)
}

impl State {
    pub fn next_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    pub fn connection(&self, id: usize) -> Result<Arc<Connection>, Failure> {
        self.connections
            .get(&id)
            .cloned()
            .ok_or_else(|| invalid_handle("connection"))
    }

    pub fn function_desc(&self, id: usize) -> Result<Arc<FunctionDesc>, Failure> {
        self.functions
            .get(&id)
            .cloned()
            .ok_or_else(|| invalid_handle("function description"))
    }

    pub fn type_desc(&self, id: usize) -> Result<Arc<TypeDesc>, Failure> {
        self.types
            .get(&id)
            .cloned()
            .ok_or_else(|| invalid_handle("type description"))
    }

    /// Registers a description the server sent, with a handle for each structure type.
    pub fn register_function(&mut self, system_id: &str, desc: FunctionDescription) -> usize {
        let types = desc
            .parameters
            .iter()
            .map(|param| {
                let row = param.structure.clone()?;
                let ty = Arc::new(TypeDesc {
                    id: self.next_id(),
                    desc: row,
                });
                self.types.insert(ty.id, ty.clone());
                Some(ty)
            })
            .collect();
        let id = self.next_id();
        let key = (system_id.to_owned(), desc.name.clone());
        let desc = FunctionDesc { desc, types };
        self.functions.insert(id, Arc::new(desc));
        self.cache.insert(key, id);
        id
    }

    pub fn cached_function(&self, system_id: &str, name: &str) -> Option<usize> {
        self.cache
            .get(&(system_id.to_owned(), name.to_owned()))
            .copied()
    }

    /// Removes a container and every container it owns.
    pub fn destroy(&mut self, id: usize) {
        let Some(node) = self.nodes.remove(&id) else {
            return;
        };
        let children: Vec<usize> = match node {
            Node::Function { cells, .. } | Node::Structure { cells, .. } => cells
                .iter()
                .filter_map(|cell| match cell {
                    Cell::Node(child) => Some(*child),
                    _ => None,
                })
                .collect(),
            Node::Table { rows, .. } => rows,
        };
        for child in children {
            self.destroy(child);
        }
    }
}
