//! `Engine`: the compiled node schemas, the output cache, validation and planning.

use crate::convert::{prompt_from_py, to_py, to_value};
use crate::gil::enter_rust;
use crate::run::{fingerprint_of, Entry, Run};
use comfy_graph::cache::{Cache, Policy};
use comfy_graph::graph::{Graph, NodeIdx};
use comfy_graph::prompt::Prompt;
use comfy_graph::schema::Registry;
use comfy_graph::validate::{validate, CustomOutcome, CustomRequest, ExceptionInfo};
use comfy_graph::Value;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::sync::Arc;

/// `(valid, error, good_outputs, node_errors, prepared)`.
type ValidateResult<'py> = (bool, Bound<'py, PyAny>, Vec<String>, Bound<'py, PyAny>, Prepared);

fn parse_policy(policy: &str, lru_size: usize, ram_headroom_gb: f64) -> PyResult<Policy> {
    Ok(match policy {
        "classic" => Policy::Classic,
        "lru" => Policy::Lru(lru_size),
        "ram" => Policy::RamPressure { headroom: (ram_headroom_gb.max(0.0) * (1u64 << 30) as f64) as u64 },
        "none" => Policy::None,
        other => return Err(PyValueError::new_err(format!("unknown cache policy {other:?}"))),
    })
}

fn registry_from(schemas: &Bound<'_, PyAny>) -> PyResult<Registry> {
    let mut values = Vec::new();
    for s in schemas.try_iter()? {
        values.push(to_value(&s?)?);
    }
    Registry::from_values(&values).map_err(PyValueError::new_err)
}

/// Node schemas plus the output cache; validates prompts and starts runs.
#[pyclass(module = "comfy._scheduler")]
pub struct Engine {
    pub(crate) registry: Arc<Registry>,
    pub(crate) cache: Option<Cache<Entry>>,
}

/// A validated prompt (constants coerced), ready to be started once.
#[pyclass(module = "comfy._scheduler")]
pub struct Prepared {
    pub(crate) prompt: Option<Prompt>,
}

#[pymethods]
impl Engine {
    #[new]
    #[pyo3(signature = (schemas, policy = "classic", lru_size = 0, ram_headroom_gb = 4.0))]
    fn new(schemas: &Bound<'_, PyAny>, policy: &str, lru_size: usize, ram_headroom_gb: f64) -> PyResult<Self> {
        Ok(Engine {
            registry: Arc::new(registry_from(schemas)?),
            cache: Some(Cache::new(parse_policy(policy, lru_size, ram_headroom_gb)?)),
        })
    }

    /// Replaces the node schemas (when plugins change).
    fn set_schemas(&mut self, schemas: &Bound<'_, PyAny>) -> PyResult<()> {
        self.registry = Arc::new(registry_from(schemas)?);
        Ok(())
    }

    /// Adds or replaces some classes (e.g. a combo whose file list changed). A running prompt
    /// keeps the schemas it started with.
    fn update_schemas(&mut self, schemas: &Bound<'_, PyAny>) -> PyResult<()> {
        let fresh = registry_from(schemas)?;
        let registry = Arc::make_mut(&mut self.registry);
        for schema in fresh.into_schemas() {
            registry.insert(schema);
        }
        Ok(())
    }

    /// Changes the cache policy; the cache starts empty.
    #[pyo3(signature = (policy, lru_size = 0, ram_headroom_gb = 4.0))]
    fn set_policy(&mut self, policy: &str, lru_size: usize, ram_headroom_gb: f64) -> PyResult<()> {
        self.busy_check()?;
        self.cache = Some(Cache::new(parse_policy(policy, lru_size, ram_headroom_gb)?));
        Ok(())
    }

    fn clear_cache(&mut self) -> PyResult<()> {
        self.busy_check()?;
        if let Some(c) = self.cache.as_mut() {
            c.clear();
        }
        Ok(())
    }

    #[getter]
    fn cache_len(&self) -> usize {
        self.cache.as_ref().map_or(0, |c| c.len())
    }

    #[getter]
    fn busy(&self) -> bool {
        self.cache.is_none()
    }

    fn has_class(&self, class_type: &str) -> bool {
        self.registry.id(class_type).is_some()
    }

    /// Validates a prompt: `(valid, error, good_outputs, node_errors, prepared)`.
    ///
    /// `custom(node_id, class_type, constants, linked_types)` runs `VALIDATE_INPUTS`; it returns a
    /// list of error dicts, or `(exception_type, message, traceback)` when the node's code raised.
    #[pyo3(signature = (prompt, targets = None, custom = None))]
    fn validate<'py>(
        slf: &Bound<'py, Self>,
        prompt: &Bound<'py, PyAny>,
        targets: Option<Vec<String>>,
        custom: Option<Py<PyAny>>,
    ) -> PyResult<ValidateResult<'py>> {
        let py = slf.py();
        let mut parsed = prompt_from_py(prompt)?;
        // Borrow only long enough to share the registry: validation may run while another
        // thread starts or finishes a prompt on this engine.
        let registry = slf.borrow().registry.clone();
        let mut failure: Option<PyErr> = None;
        let result = enter_rust(py, || {
            let mut callback = |req: &CustomRequest| -> CustomOutcome {
                let Some(custom) = &custom else { return CustomOutcome::Errors(vec![]) };
                Python::attach(|py| match call_custom(py, custom, req) {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        failure.get_or_insert(e);
                        CustomOutcome::Errors(vec![])
                    }
                })
            };
            validate(&registry, &mut parsed, targets.as_deref(), &mut callback)
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let error = match &result.error {
            Some(e) => to_py(py, e)?,
            None => py.None().into_bound(py),
        };
        let node_errors = to_py(py, &Value::Object(result.node_errors))?;
        Ok((result.valid, error, result.good_outputs, node_errors, Prepared { prompt: Some(parsed) }))
    }

    /// Plans a run of `outputs` (keys, cache lookups); `fingerprint(node_id, class_type,
    /// constants)` gives `IS_CHANGED` as a string, or None for "never equal".
    fn start(
        slf: &Bound<'_, Self>,
        prepared: &Bound<'_, Prepared>,
        outputs: Vec<String>,
        fingerprint: Py<PyAny>,
    ) -> PyResult<Run> {
        let py = slf.py();
        let prompt = prepared
            .borrow_mut()
            .prompt
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this prepared prompt was already started"))?;
        let (registry, cache) = {
            let mut eng = slf.borrow_mut();
            let cache = eng
                .cache
                .take()
                .ok_or_else(|| PyRuntimeError::new_err("the engine is running another prompt"))?;
            (eng.registry.clone(), cache)
        };
        let graph = Graph::from_prompt(&registry, prompt);
        let mut outs: Vec<NodeIdx> = Vec::with_capacity(outputs.len());
        for o in &outputs {
            match graph.idx(o) {
                Some(i) => outs.push(i),
                None => {
                    slf.borrow_mut().cache = Some(cache);
                    return Err(PyValueError::new_err(format!("output node {o} is not in the prompt")));
                }
            }
        }
        let reg = registry.clone();
        let fp = fingerprint.clone_ref(py);
        let inner = enter_rust(py, move || {
            comfy_graph::exec::Run::new(&reg, graph, cache, &outs, &mut |node| {
                Python::attach(|py| fingerprint_of(py, &reg, &fp, node))
            })
        });
        Ok(Run::new(inner, registry, slf.clone().unbind(), fingerprint))
    }
}

impl Engine {
    fn busy_check(&self) -> PyResult<()> {
        if self.cache.is_none() {
            return Err(PyRuntimeError::new_err("the engine is running a prompt"));
        }
        Ok(())
    }
}

fn call_custom(py: Python<'_>, custom: &Py<PyAny>, req: &CustomRequest) -> PyResult<CustomOutcome> {
    let constants = PyDict::new(py);
    for (name, v) in &req.constants {
        constants.set_item(*name, to_py(py, v)?)?;
    }
    let linked = PyDict::new(py);
    for (name, t) in &req.linked {
        linked.set_item(*name, to_py(py, &t.to_value())?)?;
    }
    let out = custom.bind(py).call1((req.node_id, req.class_type, constants, linked))?;
    if let Ok(t) = out.cast::<PyTuple>() {
        let (exception_type, message, traceback): (String, String, Vec<String>) = t.extract()?;
        return Ok(CustomOutcome::Raised(ExceptionInfo { exception_type, message, traceback }));
    }
    let list = out.cast::<PyList>()?;
    let errors = list.iter().map(|e| to_value(&e)).collect::<PyResult<Vec<_>>>()?;
    Ok(CustomOutcome::Errors(errors))
}
