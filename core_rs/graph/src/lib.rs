//! Pure-Rust core of the ComfyUI-compatible engine.
//!
//! Nothing here knows about Python: the bindings crate (`comfy-scheduler`) feeds in prompts and
//! node schemas and drives [`exec::Run`] with opaque values. Everything is iterative (no
//! recursion over the graph), so a 100,000-deep chain is as safe as a 10-node one.
//!
//! * [`prompt`]: the API-format prompt model (links, constants, `{"__value__": ...}`).
//! * [`schema`]: node schemas, compiled once when plugins load.
//! * [`types`]: socket type compatibility (`validate_node_input`).
//! * [`validate`]: prompt validation with ComfyUI's exact error JSON.
//! * [`graph`]: the live (dynamic) graph, with ephemeral nodes from expansion.
//! * [`keys`]: structural cache keys.
//! * [`cache`]: the output cache and its eviction policies.
//! * [`exec`]: the execution list (planning, lazy inputs, expansion, external blocks).

pub mod cache;
pub mod exec;
pub mod graph;
pub mod keys;
pub mod prompt;
pub mod pyfmt;
pub mod schema;
pub mod types;
pub mod validate;

pub use serde_json::Value;
