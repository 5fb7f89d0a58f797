//! Data containers: functions with a container per structure and table parameter, fields
//! found by name, tables with their cursor, and the conversion of a function's parameters
//! into a call on the wire and of the answer back into the containers.
//!
//! A container is a list of typed fields; the type description gives each its name, type,
//! lengths and offsets in both layouts. A table handle stands for its current row in every
//! getter and setter, as in SAP's library.

use std::sync::Arc;

use crate::protocol::{Direction, Failure, FieldType, Parameters, Row, Value, rc};
use crate::state::{FunctionDesc, Node, State, TypeDesc, invalid_handle, param_meta};
use crate::value::{self, Cell, FieldMeta};

fn not_found(name: &str) -> Failure {
    let message = format!("Field {name} does not exist in this container");
    Failure::external(rc::INVALID_PARAMETER, "RFC_INVALID_PARAMETER", message)
}

fn malformed_answer(message: String) -> Failure {
    Failure::external(
        rc::SERIALIZATION_FAILURE,
        "RFC_SERIALIZATION_FAILURE",
        message,
    )
}

/// A new function container, every field initial and every parameter active.
pub fn create_function(state: &mut State, desc: Arc<FunctionDesc>) -> usize {
    let mut cells = Vec::with_capacity(desc.desc.parameters.len());
    for (index, param) in desc.desc.parameters.iter().enumerate() {
        let cell = match (&desc.types[index], param.field_type) {
            (Some(ty), FieldType::Table) => Cell::Node(new_table(state, ty.clone())),
            (Some(ty), _) => Cell::Node(new_structure(state, ty.clone())),
            (None, _) => Cell::Initial,
        };
        cells.push(cell);
    }
    let active = vec![true; cells.len()];
    let id = state.next_id();
    state.nodes.insert(
        id,
        Node::Function {
            desc,
            cells,
            active,
        },
    );
    id
}

fn new_structure(state: &mut State, ty: Arc<TypeDesc>) -> usize {
    let cells = vec![Cell::Initial; ty.desc.fields.len()];
    let id = state.next_id();
    state.nodes.insert(id, Node::Structure { ty, cells });
    id
}

fn new_table(state: &mut State, ty: Arc<TypeDesc>) -> usize {
    let id = state.next_id();
    state.nodes.insert(
        id,
        Node::Table {
            ty,
            rows: Vec::new(),
            cursor: None,
        },
    );
    id
}

/// The container a field access goes to: for a table, its current row.
fn target(state: &State, id: usize) -> Result<usize, Failure> {
    match state.nodes.get(&id) {
        None => Err(invalid_handle("data container")),
        Some(Node::Table { rows, cursor, .. }) => match cursor {
            Some(index) => Ok(rows[*index]),
            None => Err(Failure::external(
                rc::TABLE_MOVE_EOF,
                "RFC_TABLE_MOVE_EOF",
                "The table has no current row",
            )),
        },
        Some(_) => Ok(id),
    }
}

/// Finds a field: the container holding it, its index and its type.
pub fn field(state: &State, id: usize, name: &str) -> Result<(usize, usize, FieldMeta), Failure> {
    let target = target(state, id)?;
    let found = match &state.nodes[&target] {
        Node::Function { desc, .. } => desc.param(name).map(|(i, p)| (i, param_meta(p))),
        Node::Structure { ty, .. } => ty.field(name).map(|i| (i, ty.meta(i))),
        Node::Table { .. } => None,
    };
    let (index, meta) = found.ok_or_else(|| not_found(name))?;
    Ok((target, index, meta))
}

fn cells_mut(state: &mut State, id: usize) -> Result<&mut Vec<Cell>, Failure> {
    match state.nodes.get_mut(&id) {
        Some(Node::Function { cells, .. } | Node::Structure { cells, .. }) => Ok(cells),
        _ => Err(invalid_handle("data container")),
    }
}

/// A field's type and value.
pub fn get(state: &State, id: usize, name: &str) -> Result<(FieldMeta, Cell), Failure> {
    let (target, index, meta) = field(state, id, name)?;
    let cell = match &state.nodes[&target] {
        Node::Function { cells, .. } | Node::Structure { cells, .. } => cells[index].clone(),
        Node::Table { .. } => Cell::Initial,
    };
    Ok((meta, cell))
}

/// Sets an elementary field to what `convert` makes of the caller's value.
pub fn set(
    state: &mut State,
    id: usize,
    name: &str,
    convert: impl FnOnce(FieldMeta) -> Result<Cell, Failure>,
) -> Result<(), Failure> {
    let (target, index, meta) = field(state, id, name)?;
    if matches!(meta.field_type, FieldType::Structure | FieldType::Table) {
        let message = format!("{name} is a structure or table, not an elementary field");
        return Err(Failure::external(
            rc::INVALID_PARAMETER,
            "RFC_INVALID_PARAMETER",
            message,
        ));
    }
    let cell = convert(meta)?;
    cells_mut(state, target)?[index] = cell;
    Ok(())
}

/// The container of a structure or table field.
pub fn child(state: &State, id: usize, name: &str, kind: FieldType) -> Result<usize, Failure> {
    let (meta, cell) = get(state, id, name)?;
    match (meta.field_type == kind, cell) {
        (true, Cell::Node(child)) => Ok(child),
        _ => {
            let message = format!("{name} is not a {kind:?}");
            Err(Failure::external(
                rc::INVALID_PARAMETER,
                "RFC_INVALID_PARAMETER",
                message,
            ))
        }
    }
}

/// Marks a parameter as sent or not sent with the next call.
pub fn set_active(state: &mut State, id: usize, name: &str, on: bool) -> Result<(), Failure> {
    match state.nodes.get_mut(&id) {
        Some(Node::Function { desc, active, .. }) => {
            let (index, _) = desc.param(name).ok_or_else(|| not_found(name))?;
            active[index] = on;
            Ok(())
        }
        _ => Err(invalid_handle("function")),
    }
}

/// A table's rows and cursor.
pub struct Cursor<'a> {
    pub rows: &'a mut Vec<usize>,
    pub cursor: &'a mut Option<usize>,
    pub ty: Arc<TypeDesc>,
}

pub fn table(state: &mut State, id: usize) -> Result<Cursor<'_>, Failure> {
    match state.nodes.get_mut(&id) {
        Some(Node::Table { ty, rows, cursor }) => Ok(Cursor {
            rows,
            cursor,
            ty: ty.clone(),
        }),
        _ => Err(invalid_handle("table")),
    }
}

fn eof() -> Failure {
    Failure::external(
        rc::TABLE_MOVE_EOF,
        "RFC_TABLE_MOVE_EOF",
        "Moved past the last row",
    )
}

fn bof() -> Failure {
    Failure::external(
        rc::TABLE_MOVE_BOF,
        "RFC_TABLE_MOVE_BOF",
        "Moved before the first row",
    )
}

/// Adds an empty row at the end (or, with `insert`, at the cursor) and makes it current.
pub fn new_row(state: &mut State, id: usize, insert: bool) -> Result<usize, Failure> {
    let ty = table(state, id)?.ty;
    let row = new_structure(state, ty);
    let table = table(state, id)?;
    let position = match (insert, *table.cursor) {
        (true, Some(current)) => current,
        _ => table.rows.len(),
    };
    table.rows.insert(position, row);
    *table.cursor = Some(position);
    Ok(row)
}

pub fn delete_current_row(state: &mut State, id: usize) -> Result<(), Failure> {
    let table = table(state, id)?;
    let Some(current) = *table.cursor else {
        return Err(eof());
    };
    let row = table.rows.remove(current);
    *table.cursor = match table.rows.len() {
        0 => None,
        len => Some(current.min(len - 1)),
    };
    state.destroy(row);
    Ok(())
}

pub fn delete_all_rows(state: &mut State, id: usize) -> Result<(), Failure> {
    let table = table(state, id)?;
    let rows = std::mem::take(table.rows);
    *table.cursor = None;
    for row in rows {
        state.destroy(row);
    }
    Ok(())
}

/// Where a cursor move goes.
#[derive(Clone, Copy, Debug)]
pub enum Move {
    First,
    Last,
    Next,
    Previous,
    To(usize),
}

pub fn move_cursor(state: &mut State, id: usize, to: Move) -> Result<(), Failure> {
    let table = table(state, id)?;
    let len = table.rows.len();
    let next = match (to, *table.cursor) {
        (Move::First | Move::Last, _) if len == 0 => None,
        (Move::First, _) => Some(0),
        (Move::Last, _) => Some(len - 1),
        (Move::Next, Some(current)) if current + 1 < len => Some(current + 1),
        (Move::Next, _) => return Err(eof()),
        (Move::Previous, Some(current)) if current > 0 => Some(current - 1),
        (Move::Previous, _) => return Err(bof()),
        (Move::To(index), _) if index < len => Some(index),
        (Move::To(_), _) => return Err(eof()),
    };
    *table.cursor = next;
    Ok(())
}

pub fn current_row(state: &mut State, id: usize) -> Result<usize, Failure> {
    let table = table(state, id)?;
    match *table.cursor {
        Some(current) => Ok(table.rows[current]),
        None => Err(eof()),
    }
}

/// The type of a structure or of a table's rows.
pub fn type_of(state: &State, id: usize) -> Result<Arc<TypeDesc>, Failure> {
    match state.nodes.get(&id) {
        Some(Node::Structure { ty, .. } | Node::Table { ty, .. }) => Ok(ty.clone()),
        Some(Node::Function { .. }) => {
            let message = "A function container has no type description; use its function's";
            Err(Failure::external(
                rc::INVALID_PARAMETER,
                "RFC_INVALID_PARAMETER",
                message,
            ))
        }
        None => Err(invalid_handle("data container")),
    }
}

fn row_of(state: &State, id: usize) -> Row {
    let Some(Node::Structure { ty, cells }) = state.nodes.get(&id) else {
        return Row::new();
    };
    let mut row = Row::new();
    for (index, cell) in cells.iter().enumerate() {
        if let Some(scalar) = value::to_wire(ty.meta(index), cell) {
            row.insert(ty.desc.fields[index].name.clone(), scalar);
        }
    }
    row
}

/// The function's name and the parameters a call sends: importing, changing and tables
/// parameters that are active and were set. An initial parameter is left out, as the
/// server takes a missing one as initial.
pub fn outbound(state: &State, id: usize) -> Result<(String, Parameters), Failure> {
    let Some(Node::Function {
        desc,
        cells,
        active,
    }) = state.nodes.get(&id)
    else {
        return Err(invalid_handle("function"));
    };
    let mut parameters = Parameters::new();
    for (index, param) in desc.desc.parameters.iter().enumerate() {
        if param.direction == Direction::Export || !active[index] {
            continue;
        }
        let value = match &cells[index] {
            Cell::Node(child) => match state.nodes.get(child) {
                Some(Node::Structure { .. }) => {
                    let row = row_of(state, *child);
                    (!row.is_empty()).then_some(Value::Structure(row))
                }
                Some(Node::Table { rows, .. }) => {
                    let rows: Vec<Row> = rows.iter().map(|&row| row_of(state, row)).collect();
                    (!rows.is_empty()).then_some(Value::Table(rows))
                }
                _ => None,
            },
            cell => value::to_wire(param_meta(param), cell).map(Value::Scalar),
        };
        if let Some(value) = value {
            parameters.insert(param.name.clone(), value);
        }
    }
    Ok((desc.desc.name.clone(), parameters))
}

fn child_id(cell: &Cell) -> Option<usize> {
    match cell {
        Cell::Node(id) => Some(*id),
        _ => None,
    }
}

/// Writes a server's answer into the function: exporting parameters are reset first, and
/// every table the answer names is replaced.
pub fn apply(state: &mut State, id: usize, answer: Parameters) -> Result<(), Failure> {
    let Some(Node::Function { desc, cells, .. }) = state.nodes.get(&id) else {
        return Err(invalid_handle("function"));
    };
    let (desc, children) = (desc.clone(), cells.iter().map(child_id).collect::<Vec<_>>());

    for (index, param) in desc.desc.parameters.iter().enumerate() {
        if param.direction != Direction::Export {
            continue;
        }
        match (param.field_type, children[index]) {
            (FieldType::Structure, Some(child)) => fill_structure(state, child, &Row::new())?,
            (FieldType::Table, Some(child)) => delete_all_rows(state, child)?,
            _ => cells_mut(state, id)?[index] = Cell::Initial,
        }
    }

    for (name, value) in answer {
        let Some((index, param)) = desc.param(&name) else {
            return Err(malformed_answer(format!(
                "The answer has an unknown parameter {name}"
            )));
        };
        match (param.field_type, value, children[index]) {
            (FieldType::Structure, Value::Structure(row), Some(child)) => {
                fill_structure(state, child, &row)?;
            }
            (FieldType::Table, Value::Table(rows), Some(child)) => {
                delete_all_rows(state, child)?;
                for row in rows {
                    let new = new_row(state, child, false)?;
                    fill_structure(state, new, &row)?;
                }
            }
            (FieldType::Structure | FieldType::Table, _, _) => {
                let message = format!("The answer's {name} is not a {:?}", param.field_type);
                return Err(malformed_answer(message));
            }
            (_, Value::Scalar(scalar), _) => {
                let cell = value::from_wire(&name, param_meta(param), &scalar)?;
                cells_mut(state, id)?[index] = cell;
            }
            (_, _, _) => {
                return Err(malformed_answer(format!(
                    "The answer's {name} is not a value"
                )));
            }
        }
    }
    Ok(())
}

fn fill_structure(state: &mut State, id: usize, row: &Row) -> Result<(), Failure> {
    let Some(Node::Structure { ty, .. }) = state.nodes.get(&id) else {
        return Err(invalid_handle("structure"));
    };
    let ty = ty.clone();
    let mut filled = vec![Cell::Initial; ty.desc.fields.len()];
    for (name, scalar) in row {
        let Some(index) = ty.field(name) else {
            let message = format!("The answer's {} has no field {name}", ty.desc.name);
            return Err(malformed_answer(message));
        };
        filled[index] = value::from_wire(name, ty.meta(index), scalar)?;
    }
    *cells_mut(state, id)? = filled;
    Ok(())
}
