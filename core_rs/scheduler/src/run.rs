//! `Run`: one prompt's execution, driven from Rust with one Python call per node.
//!
//! The host object (`comfy.execution.executor`) answers:
//! * `run_node(node_id, class_type, inputs, missing, resume)` with `(0, entry, size)` (done;
//!   `entry[0]` is the list of output slots), `(1, [names])` (lazy inputs wanted),
//!   `(2, graph, [node ids])` (expansion; the parent waits for those nodes) or `(3,)` (parked
//!   async work);
//! * `cache_hit(node_id, entry)` for a node whose result came from the cache;
//! * `wait()` → ids of parked nodes whose work finished.
//!
//! No Rust borrow is held while Python runs, so the host may call back into the run.

use crate::convert::{node_from_py, to_py};
use crate::engine::Engine;
use comfy_graph::exec::{Run as Inner, Step};
use comfy_graph::graph::{GInput, GNode, NodeIdx};
use comfy_graph::schema::Registry;
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// A node's stored result: the Python `(outputs, ui)` object, shared without the GIL.
pub type Entry = Arc<Py<PyAny>>;

pub(crate) fn fingerprint_of(py: Python<'_>, registry: &Registry, cb: &Py<PyAny>, node: &GNode) -> Option<String> {
    let class_type = &registry.get(node.class).class_type;
    let consts = PyDict::new(py);
    for (name, input) in &node.inputs {
        let v = match input {
            GInput::Const(v) => to_py(py, v).ok()?,
            _ => py.None().into_bound(py),
        };
        consts.set_item(name.as_str(), v).ok()?;
    }
    match cb.bind(py).call1((node.id.as_str(), class_type.as_str(), consts)) {
        Ok(r) if r.is_none() => None,
        Ok(r) => r.extract::<String>().ok(),
        Err(_) => None, // ComfyUI: an IS_CHANGED that raises means "changed"
    }
}

#[pyclass(module = "comfy._scheduler")]
pub struct Run {
    inner: Option<Inner<Entry>>,
    registry: Arc<Registry>,
    engine: Py<Engine>,
    fingerprint: Py<PyAny>,
    resumable: FxHashSet<NodeIdx>,
    current: Option<NodeIdx>,
    /// Python strings for node ids, class types and input names, made once per run.
    strings: FxHashMap<String, Py<PyString>>,
}

fn pystr<'py>(strings: &mut FxHashMap<String, Py<PyString>>, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
    if let Some(p) = strings.get(s) {
        return p.bind(py).clone();
    }
    let p = PyString::new(py, s);
    strings.insert(s.to_owned(), p.clone().unbind());
    p
}

impl Run {
    pub(crate) fn new(inner: Inner<Entry>, registry: Arc<Registry>, engine: Py<Engine>, fingerprint: Py<PyAny>) -> Run {
        Run {
            inner: Some(inner),
            registry,
            engine,
            fingerprint,
            resumable: FxHashSet::default(),
            current: None,
            strings: FxHashMap::default(),
        }
    }

    fn inner(&self) -> PyResult<&Inner<Entry>> {
        self.inner.as_ref().ok_or_else(|| PyRuntimeError::new_err("the run is finished"))
    }

    fn inner_mut(&mut self) -> PyResult<&mut Inner<Entry>> {
        self.inner.as_mut().ok_or_else(|| PyRuntimeError::new_err("the run is finished"))
    }

    fn idx(&self, node_id: &str) -> PyResult<NodeIdx> {
        self.inner()?.graph.idx(node_id).ok_or_else(|| PyKeyError::new_err(node_id.to_string()))
    }

    /// The kwargs-lists of a fresh call: constants as `[value]`, links as the source's output
    /// slot (`[None]` and listed in `missing` when not evaluated), `rawLink` inputs as the link
    /// itself. Undeclared constants are dropped; undeclared links are passed (variadic nodes).
    fn build_inputs<'py>(
        &mut self,
        py: Python<'py>,
        registry: &Registry,
        n: NodeIdx,
    ) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyAny>)> {
        let Run { inner, strings, .. } = self;
        let inner = inner.as_mut().ok_or_else(|| PyRuntimeError::new_err("the run is finished"))?;
        // Pass 1: which linked sources have results (this pins cached ones for the run).
        let count = inner.graph.node(n).inputs.len();
        let mut available = Vec::with_capacity(count);
        for k in 0..count {
            let link = match inner.graph.node(n).inputs[k].1 {
                GInput::Link { src, .. } => Some(src),
                _ => None,
            };
            available.push(link.is_some_and(|src| inner.is_available(src)));
        }
        // Pass 2: the kwargs.
        let inputs = PyDict::new(py);
        let mut missing: Vec<Bound<'py, PyString>> = Vec::new();
        let node = inner.graph.node(n);
        let schema = registry.get(node.class);
        for (k, (name, input)) in node.inputs.iter().enumerate() {
            let spec = schema.input(name);
            let value = match input {
                GInput::Const(_) if spec.is_none() => continue,
                GInput::Const(v) => Some(PyList::new(py, [to_py(py, v)?])?.into_any()),
                GInput::Link { src, slot } if spec.is_some_and(|s| s.raw_link) => {
                    let link = (pystr(strings, py, &inner.graph.node(*src).id), *slot).into_pyobject(py)?;
                    Some(PyList::new(py, [PyList::new(py, link.iter())?])?.into_any())
                }
                GInput::Link { src, slot } if available[k] => {
                    let entry = inner.value(*src).expect("available").bind(py);
                    entry.get_item(0)?.get_item(*slot).ok()
                }
                _ => None,
            };
            let key = pystr(strings, py, name);
            match value {
                Some(v) => inputs.set_item(key, v)?,
                None => {
                    inputs.set_item(&key, PyList::new(py, [py.None()])?)?;
                    missing.push(key);
                }
            }
        }
        let missing = if missing.is_empty() { py.None().into_bound(py) } else { PyTuple::new(py, missing)?.into_any() };
        Ok((inputs, missing))
    }

    /// The Python strings of a node's id and class type.
    fn id_and_class<'py>(&mut self, py: Python<'py>, registry: &Registry, n: NodeIdx) -> PyResult<(Bound<'py, PyString>, Bound<'py, PyString>)> {
        let Run { inner, strings, .. } = self;
        let inner = inner.as_ref().ok_or_else(|| PyRuntimeError::new_err("the run is finished"))?;
        let node = inner.graph.node(n);
        Ok((pystr(strings, py, &node.id), pystr(strings, py, &registry.get(node.class).class_type)))
    }
}

fn node_id(slf: &Bound<'_, Run>, n: NodeIdx) -> PyResult<String> {
    Ok(slf.borrow().inner()?.graph.node(n).id.to_string())
}

#[pymethods]
impl Run {
    /// Ids of the prompt's nodes whose results are cached (`execution_cached`).
    fn cached_nodes(&self) -> PyResult<Vec<String>> {
        let inner = self.inner()?;
        Ok(inner.cached_nodes().into_iter().map(|i| inner.graph.node(i).id.to_string()).collect())
    }

    /// Runs the loop until every requested node is complete. Returns None, or why it stopped:
    /// `("cycle", node_id)`, `("expand", node_id, message)` or `("input", node_id, input_name)`.
    /// Exceptions raised by the host propagate unchanged.
    fn drive<'py>(slf: &Bound<'py, Self>, host: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let py = slf.py();
        let registry = slf.borrow().registry.clone();
        let (run_node, cache_hit, wait) = (
            PyString::intern(py, "run_node"),
            PyString::intern(py, "cache_hit"),
            PyString::intern(py, "wait"),
        );
        loop {
            let step = slf.borrow_mut().inner_mut()?.next_step();
            match step {
                Step::Done => {
                    slf.borrow_mut().current = None;
                    return Ok(None);
                }
                Step::Cycle(n) => {
                    let id = node_id(slf, n)?;
                    return Ok(Some(PyTuple::new(py, ["cycle", id.as_str()])?));
                }
                Step::Wait => {
                    let done = host.call_method0(&wait)?;
                    let mut me = slf.borrow_mut();
                    for id in done.try_iter()? {
                        let id: String = id?.extract()?;
                        let n = me.idx(&id)?;
                        me.inner_mut()?.unpark(&registry, n);
                    }
                }
                Step::CacheHit(n) => {
                    let (id, entry) = {
                        let mut me = slf.borrow_mut();
                        me.current = Some(n);
                        let (id, _) = me.id_and_class(py, &registry, n)?;
                        (id, me.inner()?.value(n).expect("pinned").clone_ref(py))
                    };
                    host.call_method1(&cache_hit, (id, entry))?;
                    slf.borrow_mut().inner_mut()?.complete_cached(&registry, n);
                }
                Step::Execute(n) => {
                    let (id, class_type, resume, inputs, missing) = {
                        let mut me = slf.borrow_mut();
                        me.current = Some(n);
                        let resume = me.resumable.remove(&n);
                        let (id, class) = me.id_and_class(py, &registry, n)?;
                        let (inputs, missing) = if resume {
                            (py.None().into_bound(py), py.None().into_bound(py))
                        } else {
                            let (i, m) = me.build_inputs(py, &registry, n)?;
                            (i.into_any(), m)
                        };
                        (id, class, resume, inputs, missing)
                    };
                    let result = host.call_method1(&run_node, (&id, class_type, inputs, missing, resume))?;
                    let result = result.cast::<PyTuple>().map_err(|_| {
                        PyTypeError::new_err("run_node must return a tuple")
                    })?;
                    let code: u8 = result.get_item(0)?.extract()?;
                    match code {
                        0 => {
                            let entry = Arc::new(result.get_item(1)?.unbind());
                            let size: u64 = result.get_item(2)?.extract().unwrap_or(0);
                            slf.borrow_mut().inner_mut()?.complete(&registry, n, entry, size);
                        }
                        1 => {
                            let names: Vec<String> = result.get_item(1)?.extract()?;
                            let mut me = slf.borrow_mut();
                            let inner = me.inner_mut()?;
                            if let Err(e) = inner.request_inputs(&registry, n, &names) {
                                return Ok(Some(PyTuple::new(py, ["input", e.node.as_str(), e.input.as_str()])?));
                            }
                            inner.unstage(&registry, n);
                        }
                        2 => {
                            let graph = result.get_item(1)?;
                            let links: Vec<String> = result.get_item(2)?.extract()?;
                            let mut nodes = Vec::new();
                            for item in graph.call_method0("items")?.try_iter()? {
                                let (k, v): (String, Bound<PyAny>) = item?.extract()?;
                                nodes.push(node_from_py(k.into(), &v)?);
                            }
                            let fp = slf.borrow().fingerprint.clone_ref(py);
                            let mut me = slf.borrow_mut();
                            let inner = me.inner_mut()?;
                            let outcome = inner.expand(&registry, n, nodes, &links, &mut |node| {
                                fingerprint_of(py, &registry, &fp, node)
                            });
                            if let Err(e) = outcome {
                                return Ok(Some(PyTuple::new(py, ["expand", id.to_str()?, e.to_string().as_str()])?));
                            }
                            inner.unstage(&registry, n);
                            me.resumable.insert(n);
                        }
                        3 => {
                            let mut me = slf.borrow_mut();
                            me.inner_mut()?.park(n);
                            me.resumable.insert(n);
                        }
                        other => return Err(PyTypeError::new_err(format!("run_node returned unknown code {other}"))),
                    }
                }
            }
        }
    }

    /// The stored entry of a node in this run (completed, cached or pinned), or None.
    fn output_of(&mut self, py: Python<'_>, node_id: &str) -> PyResult<Option<Py<PyAny>>> {
        let n = self.idx(node_id)?;
        let inner = self.inner_mut()?;
        if inner.is_available(n) {
            Ok(inner.value(n).map(|v| v.clone_ref(py)))
        } else {
            Ok(None)
        }
    }

    /// Is the result of this node available (run or cached)?
    fn is_available(&mut self, node_id: &str) -> PyResult<bool> {
        let n = self.idx(node_id)?;
        Ok(self.inner_mut()?.is_available(n))
    }

    /// The node feeding `input_name` of `node_id`, or None when that input is not a link.
    fn input_source(&self, node_id: &str, input_name: &str) -> PyResult<Option<String>> {
        let n = self.idx(node_id)?;
        let inner = self.inner()?;
        Ok(inner.graph.node(n).inputs.iter().find(|(k, _)| k == input_name).and_then(|(_, i)| match i {
            GInput::Link { src, .. } => Some(inner.graph.node(*src).id.to_string()),
            _ => None,
        }))
    }

    /// `(display_id, parent_id, real_id)` of a node.
    fn node_meta(&self, node_id: &str) -> PyResult<(String, Option<String>, String)> {
        let n = self.idx(node_id)?;
        let g = &self.inner()?.graph;
        let node = g.node(n);
        Ok((
            g.display_id(n).to_string(),
            node.parent.map(|p| g.node(p).id.to_string()),
            g.node(g.real_node(n)).id.to_string(),
        ))
    }

    /// The node being run or replayed now.
    #[getter]
    fn current_node(&self) -> PyResult<Option<String>> {
        self.current.map(|n| self.inner().map(|i| i.graph.node(n).id.to_string())).transpose()
    }

    /// Ids of nodes completed so far, in order.
    fn executed(&self) -> PyResult<Vec<String>> {
        let inner = self.inner()?;
        Ok(inner.executed().iter().map(|&n| inner.graph.node(n).id.to_string()).collect())
    }

    /// Ends the run and hands the cache back to the engine. Safe to call twice.
    fn finish(&mut self, py: Python<'_>) {
        if let Some(inner) = self.inner.take() {
            self.engine.bind(py).borrow_mut().cache = Some(inner.finish());
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.inner.is_some() {
            Python::attach(|py| self.finish(py));
        }
    }
}
