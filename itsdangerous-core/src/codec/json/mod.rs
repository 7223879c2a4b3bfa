//! JSON exactly as CPython's `json` module writes and reads it.
//!
//! * [`write`]: encoder primitives byte-identical to CPython 3.11's `_json`
//!   C encoder (string escaping for both `ensure_ascii` settings, `float.__repr__`
//!   via [`float`], integers) and a writer over [`Value`].
//! * [`read`]: a parser, generic over a [`read::Builder`], that accepts
//!   exactly what `json.loads(str)` accepts and reports anything it can't
//!   reproduce as unsupported rather than guessing.
//!
//! No Python here: the PyO3 glue lives in the extension crate's `json` module.

pub mod float;
pub mod read;
pub(crate) mod scan;
pub mod write;

pub use read::{from_slice, Error as ReadError};
pub use write::{to_vec, Options};

/// A JSON value as Python's `json` module sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// Any other integer, as its decimal text (optional `-`, digits).
    BigInt(String),
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    /// Members in first-insertion order; keys are unique.
    Object(Vec<(String, Value)>),
}
