//! Conversions between Python objects and JSON values.

use comfy_graph::prompt::{Input, Name, Prompt, PromptNode};
use comfy_graph::Value;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

const MAX_DEPTH: usize = 64;

/// A Python object as JSON: dicts, lists, tuples, str, int, float, bool, None. Other objects
/// become their `str()`; nesting deeper than 64 levels is an error.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_value_depth(obj, 0)
}

fn to_value_depth(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err("value nested too deeply"));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        let f: f64 = obj.extract()?;
        return Ok(float_value(f));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(float_value(f.value()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => s.to_str()?.to_owned(),
                Err(_) => k.str()?.to_str()?.to_owned(),
            };
            map.insert(key, to_value_depth(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l.iter().map(|v| to_value_depth(&v, depth + 1)).collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t.iter().map(|v| to_value_depth(&v, depth + 1)).collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    if obj.hasattr("keys")? && obj.hasattr("__getitem__")? {
        // Mappings such as the immutable PromptDict.
        let mut map = serde_json::Map::new();
        for k in obj.call_method0("keys")?.try_iter()? {
            let k = k?;
            let v = obj.get_item(&k)?;
            map.insert(k.str()?.to_str()?.to_owned(), to_value_depth(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    Ok(Value::String(obj.str()?.to_str()?.to_owned()))
}

/// Non-finite floats have no JSON form; they are kept as their Python spelling.
fn float_value(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(comfy_graph::pyfmt::float_repr(f)))
}

/// A JSON value as a Python object.
pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let d = PyDict::new(py);
            for (k, item) in map {
                d.set_item(k, to_py(py, item)?)?;
            }
            d.into_any()
        }
    })
}

/// Reads an API-format prompt straight from Python objects (no JSON text in between).
pub fn prompt_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Prompt> {
    let Ok(d) = obj.cast::<PyDict>() else {
        if obj.hasattr("items")? {
            let as_dict = PyDict::new(obj.py());
            for item in obj.call_method0("items")?.try_iter()? {
                let (k, v): (Bound<PyAny>, Bound<PyAny>) = item?.extract()?;
                as_dict.set_item(k, v)?;
            }
            return prompt_from_py(as_dict.as_any());
        }
        return Err(PyTypeError::new_err(format!(
            "a prompt must be a mapping of node id to node, not {}",
            obj.get_type().name()?
        )));
    };
    let mut nodes = comfy_graph::prompt::NodeMap::with_capacity_and_hasher(d.len(), Default::default());
    for (k, node) in d.iter() {
        let id = key_string(&k)?;
        let parsed = node_from_py(id.clone(), &node)?;
        nodes.insert(id, parsed);
    }
    Ok(Prompt { nodes })
}

pub fn node_from_py<'py>(id: Name, node: &Bound<'py, PyAny>) -> PyResult<PromptNode> {
    let py = node.py();
    let mut out = PromptNode { id, class_type: None, inputs: Vec::new(), override_display_id: None };
    let get = |key: &Bound<'py, PyString>| -> PyResult<Option<Bound<'py, PyAny>>> {
        if let Ok(d) = node.cast::<PyDict>() {
            return d.get_item(key);
        }
        if node.hasattr("__getitem__")? && node.hasattr("keys")? {
            return Ok(node.get_item(key).ok());
        }
        Ok(None)
    };
    if let Some(c) = get(pyo3::intern!(py, "class_type"))? {
        if let Ok(s) = c.cast::<PyString>() {
            out.class_type = Some(Name::from(s.to_str()?));
        } else if !c.is_none() {
            // ComfyUI looks a non-string class_type up as it is: "node 5 does not exist".
            out.class_type = Some(Name::from(c.str()?.to_str()?));
        }
    }
    if let Some(d) = get(pyo3::intern!(py, "override_display_id"))? {
        if let Ok(s) = d.cast::<PyString>() {
            out.override_display_id = Some(Name::from(s.to_str()?));
        }
    }
    if let Some(inputs) = get(pyo3::intern!(py, "inputs"))? {
        if let Ok(d) = inputs.cast::<PyDict>() {
            out.inputs.reserve(d.len());
            for (k, v) in d.iter() {
                out.inputs.push((key_string(&k)?, input_from_py(&v)?));
            }
        } else if inputs.hasattr("items")? {
            for item in inputs.call_method0("items")?.try_iter()? {
                let (k, v): (Bound<PyAny>, Bound<PyAny>) = item?.extract()?;
                out.inputs.push((key_string(&k)?, input_from_py(&v)?));
            }
        }
    }
    Ok(out)
}

fn key_string(k: &Bound<'_, PyAny>) -> PyResult<Name> {
    match k.cast::<PyString>() {
        Ok(s) => Ok(Name::from(s.to_str()?)),
        Err(_) => Ok(Name::from(k.str()?.to_str()?)),
    }
}

/// Scalars and `[id, slot]` links are read directly; anything else goes through JSON values.
fn input_from_py(v: &Bound<'_, PyAny>) -> PyResult<Input> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Input::Const(Value::String(s.to_str()?.to_owned())));
    }
    let items = if let Ok(l) = v.cast::<PyList>() {
        (l.len() == 2).then(|| (l.get_item(0), l.get_item(1)))
    } else if let Ok(t) = v.cast::<PyTuple>() {
        (t.len() == 2).then(|| (t.get_item(0), t.get_item(1)))
    } else {
        None
    };
    if let Some((Ok(first), Ok(second))) = items {
        if let (Ok(id), true) = (first.cast::<PyString>(), second.is_instance_of::<PyInt>() && !second.is_instance_of::<PyBool>()) {
            if let Ok(slot) = second.extract::<usize>() {
                return Ok(Input::Link { node: Name::from(id.to_str()?), slot });
            }
        }
    }
    Ok(Input::from_value(to_value(v)?))
}
