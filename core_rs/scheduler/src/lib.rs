//! `comfy._scheduler`: the private compiled module behind `comfy.execution`.
//!
//! A thin PyO3 layer over the pure-Rust `comfy-graph` crate: it converts prompts and schemas,
//! runs validation and planning with the GIL released ([`gil::enter_rust`]), stores node results
//! as opaque Python objects in the Rust cache, and drives the execution loop, calling back into
//! Python once per node. Users never import it; its types are described in `_scheduler.pyi`.

mod convert;
mod engine;
mod gil;
mod run;

use pyo3::prelude::*;

#[pymodule]
fn _scheduler(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::Engine>()?;
    m.add_class::<engine::Prepared>()?;
    m.add_class::<run::Run>()?;
    Ok(())
}
