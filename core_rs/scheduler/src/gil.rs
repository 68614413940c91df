//! The one helper for long Rust work: release the GIL around it (like polars' `enter_polars`).
//! Callbacks into Python inside `f` re-attach with `Python::attach`.

use pyo3::prelude::*;
use pyo3::marker::Ungil;

pub fn enter_rust<T: Ungil, F: Ungil + FnOnce() -> T>(py: Python<'_>, f: F) -> T {
    py.detach(f)
}
