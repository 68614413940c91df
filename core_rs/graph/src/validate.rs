//! Prompt validation with ComfyUI's exact error JSON (`validate_prompt` / `validate_inputs`).
//!
//! Order of checks (ComfyUI's): every node must have a known `class_type`; there must be an
//! output node (restricted to the partial-execution targets when given); then every output is
//! validated depth-first through its links. A node is valid when it has no errors of its own and
//! all its sources are valid. Only nodes with errors of their own are reported.
//!
//! Differences from ComfyUI, on purpose: the walk is iterative (no recursion limit); a static
//! dependency cycle is reported as a `dependency_cycle` error instead of crashing; `BOOLEAN`
//! coercion reads the strings "false" and "0" as False; `dependent_outputs` lists only the outputs
//! that really depend on the node; the prompt itself is not changed, only this copy is coerced.

use crate::prompt::{Input, Prompt};
use crate::pyfmt;
use crate::schema::{Category, ClassId, NodeSchema, Registry, TypeSpec};
use crate::types::compatible;
use serde_json::{json, Map, Value};

/// What custom validation (`VALIDATE_INPUTS`) is asked about one node.
pub struct CustomRequest<'a> {
    pub node_id: &'a str,
    pub class_type: &'a str,
    /// Declared inputs given as constants, after coercion.
    pub constants: Vec<(&'a str, &'a Value)>,
    /// Declared inputs given as links, with the type of the linked output.
    pub linked: Vec<(&'a str, &'a TypeSpec)>,
}

/// An exception raised by Python code during validation.
#[derive(Clone, Debug)]
pub struct ExceptionInfo {
    pub exception_type: String,
    pub message: String,
    pub traceback: Vec<String>,
}

/// The answer of custom validation.
pub enum CustomOutcome {
    /// Error dicts (`custom_validation_failed` ...); empty when the node passed.
    Errors(Vec<Value>),
    /// `VALIDATE_INPUTS` raised.
    Raised(ExceptionInfo),
}

/// ComfyUI's `ValidationTuple(valid, error, good_output_node_ids, node_errors)`.
#[derive(Clone, Debug)]
pub struct Validation {
    pub valid: bool,
    pub error: Option<Value>,
    pub good_outputs: Vec<String>,
    pub node_errors: Map<String, Value>,
}

impl Validation {
    fn fail(error: Value) -> Validation {
        Validation { valid: false, error: Some(error), good_outputs: vec![], node_errors: Map::new() }
    }
}

fn error(ty: &str, message: impl Into<String>, details: impl Into<String>, extra_info: Value) -> Value {
    json!({"type": ty, "message": message.into(), "details": details.into(), "extra_info": extra_info})
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Unvisited,
    OnStack,
    Done,
}

struct Frame {
    node: usize,
    /// This node's `(source node, input index)` pairs are `deps[deps_start..deps_end]` of the
    /// shared buffer (frames are a stack, so their slices are too).
    deps_start: usize,
    deps_end: usize,
    next: usize,
    cycle: bool,
}

/// Validates `prompt` in place (constants are coerced) against `registry`.
pub fn validate(
    registry: &Registry,
    prompt: &mut Prompt,
    targets: Option<&[String]>,
    custom: &mut dyn FnMut(&CustomRequest) -> CustomOutcome,
) -> Validation {
    // 1. Every node needs a known class.
    let mut classes: Vec<ClassId> = Vec::with_capacity(prompt.nodes.len());
    for (id, node) in &prompt.nodes {
        match &node.class_type {
            None => {
                return Validation::fail(error(
                    "invalid_prompt",
                    "Cannot execute because a node is missing the class_type property.",
                    format!("Node ID '#{id}'"),
                    json!({}),
                ))
            }
            Some(c) if registry.id(c).is_none() => {
                return Validation::fail(error(
                    "invalid_prompt",
                    format!("Cannot execute because node {c} does not exist."),
                    format!("Node ID '#{id}'"),
                    json!({}),
                ))
            }
            Some(c) => classes.push(registry.id(c).expect("checked")),
        }
    }
    let classes = &classes;
    let schema_of = |_: &Prompt, i: usize| -> &NodeSchema { registry.get(classes[i]) };

    // 2. Output nodes, optionally restricted to the targets.
    let outputs: Vec<usize> = (0..prompt.nodes.len())
        .filter(|&i| schema_of(prompt, i).output_node)
        .filter(|&i| targets.is_none_or(|t| t.iter().any(|x| *x == prompt.nodes[i].id)))
        .collect();
    if outputs.is_empty() {
        return Validation::fail(error("prompt_no_outputs", "Prompt has no outputs", "", json!({})));
    }

    // 3. Depth-first validation from every output.
    let n = prompt.nodes.len();
    let mut state = vec![State::Unvisited; n];
    let mut valid = vec![false; n];
    let mut errors: Vec<Vec<Value>> = vec![Vec::new(); n];
    let mut order: Vec<usize> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut deps: Vec<(usize, usize)> = Vec::new();
    for &o in &outputs {
        if state[o] != State::Unvisited {
            continue;
        }
        let start = deps.len();
        first_visit(registry, classes, prompt, o, &mut errors[o], &mut deps);
        state[o] = State::OnStack;
        stack.push(Frame { node: o, deps_start: start, deps_end: deps.len(), next: start, cycle: false });
        while let Some(top) = stack.last_mut() {
            if top.next < top.deps_end {
                let (dep, input_i) = deps[top.next];
                top.next += 1;
                match state[dep] {
                    State::Done => {}
                    State::OnStack => {
                        top.cycle = true;
                        let node = top.node;
                        let path = cycle_path(&stack, dep, prompt);
                        let (name, input) = &prompt.nodes[node].inputs[input_i];
                        errors[node].push(error(
                            "dependency_cycle",
                            "Dependency cycle detected",
                            format!("{name}: {}", path.join(" -> ")),
                            json!({"input_name": name, "linked_node": input.to_value(), "cycle": path}),
                        ));
                    }
                    State::Unvisited => {
                        let start = deps.len();
                        first_visit(registry, classes, prompt, dep, &mut errors[dep], &mut deps);
                        state[dep] = State::OnStack;
                        stack.push(Frame { node: dep, deps_start: start, deps_end: deps.len(), next: start, cycle: false });
                    }
                }
                continue;
            }
            let frame = stack.pop().expect("non-empty");
            let node = frame.node;
            let parent = stack.last().map(|p| {
                let input_i = deps[p.next - 1].1;
                (p.node, input_i)
            });
            let schema = schema_of(prompt, node);
            if let Some(cv) = &schema.validate {
                if !cv.params.is_empty() || cv.kwargs {
                    let outcome = {
                        let req = custom_request(registry, classes, prompt, node, schema);
                        custom(&req)
                    };
                    match outcome {
                        CustomOutcome::Errors(mut e) => errors[node].append(&mut e),
                        CustomOutcome::Raised(ex) => {
                            errors[node] = vec![exception_error(prompt, registry, ex, parent)];
                        }
                    }
                }
            }
            let deps_valid = deps[frame.deps_start..frame.deps_end].iter().all(|&(d, _)| state[d] == State::Done && valid[d]);
            deps.truncate(frame.deps_start);
            valid[node] = errors[node].is_empty() && deps_valid && !frame.cycle;
            state[node] = State::Done;
            order.push(node);
        }
    }

    // 4. Report.
    let mut good_outputs = Vec::new();
    let mut failed = Vec::new();
    for &o in &outputs {
        if valid[o] {
            good_outputs.push(prompt.nodes[o].id.to_string());
        } else {
            failed.push(o);
        }
    }
    let mut dependents: Vec<Vec<String>> = vec![Vec::new(); n];
    for &o in &failed {
        for a in ancestors(prompt, o) {
            if !errors[a].is_empty() {
                dependents[a].push(prompt.nodes[o].id.to_string());
            }
        }
    }
    let mut node_errors = Map::new();
    for &i in &order {
        if !errors[i].is_empty() && !dependents[i].is_empty() {
            let node = &prompt.nodes[i];
            node_errors.insert(
                node.id.to_string(),
                json!({
                    "errors": errors[i],
                    "dependent_outputs": dependents[i],
                    "class_type": node.class_type,
                }),
            );
        }
    }
    if good_outputs.is_empty() {
        let mut lines = Vec::new();
        for &o in &failed {
            for e in &errors[o] {
                lines.push(format!("{}: {}", e["message"].as_str().unwrap_or(""), e["details"].as_str().unwrap_or("")));
            }
        }
        let first_exception = node_errors
            .values()
            .flat_map(|ne| ne["errors"].as_array().into_iter().flatten())
            .find(|e| e["extra_info"].get("exception_type").is_some())
            .map(|e| (e["extra_info"]["exception_type"].clone(), e["extra_info"]["traceback"].clone()));
        let (exception_type, traceback) = first_exception.unwrap_or((json!("ValidationError"), json!([])));
        let traceback = if traceback.is_array() { traceback } else { json!([]) };
        return Validation {
            valid: false,
            error: Some(error(
                "prompt_outputs_failed_validation",
                "Prompt outputs failed validation",
                lines.join("\n"),
                json!({"exception_type": exception_type, "traceback": traceback, "node_errors": node_errors.clone()}),
            )),
            good_outputs,
            node_errors,
        };
    }
    Validation { valid: true, error: None, good_outputs, node_errors }
}

/// Checks a node's own inputs, coerces its constants, and appends its linked sources to `deps`.
fn first_visit(
    registry: &Registry,
    classes: &[ClassId],
    prompt: &mut Prompt,
    i: usize,
    errors: &mut Vec<Value>,
    deps: &mut Vec<(usize, usize)>,
) {
    let schema = registry.get(classes[i]);
    // Declared inputs, in declaration order.
    for spec in schema.inputs.iter().filter(|s| s.category != Category::Hidden) {
        let Some(input_i) = prompt.nodes[i].inputs.iter().position(|(n, _)| *n == spec.name) else {
            if spec.category == Category::Required {
                let name = spec.name.as_str();
                errors.push(error(
                    "required_input_missing",
                    "Required input is missing",
                    name,
                    json!({"input_name": name}),
                ));
            }
            continue;
        };
        let coerced = check_input(registry, classes, prompt, schema, spec, i, input_i, errors, deps);
        if let Some(c) = coerced {
            prompt.nodes[i].inputs[input_i].1 = Input::Const(c);
        }
    }
    // Undeclared and hidden links still feed the node: their sources must exist and be valid.
    for (input_i, (name, input)) in prompt.nodes[i].inputs.iter().enumerate() {
        let declared = schema.input(name).is_some_and(|s| s.category != Category::Hidden);
        if declared {
            continue;
        }
        if let Input::Link { node: src, slot } = input {
            match link_source(registry, classes, prompt, src, *slot) {
                Ok((src_i, _)) => deps.push((src_i, input_i)),
                Err((ty, msg)) => {
                    let link = input.to_value();
                    errors.push(inner_exception(name, &Value::Null, &link, &ty, &msg));
                }
            }
        }
    }
}

/// Checks one declared input; returns its coerced constant when coercion changed it.
#[allow(clippy::too_many_arguments)]
fn check_input(
    registry: &Registry,
    classes: &[ClassId],
    prompt: &Prompt,
    schema: &NodeSchema,
    spec: &crate::schema::InputSpec,
    i: usize,
    input_i: usize,
    errors: &mut Vec<Value>,
    deps: &mut Vec<(usize, usize)>,
) -> Option<Value> {
    let name = spec.name.as_str();
    match &prompt.nodes[i].inputs[input_i].1 {
        Input::BadList(v) => {
            errors.push(error(
                "bad_linked_input",
                "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                name,
                json!({"input_name": name, "input_config": spec.config, "received_value": v}),
            ));
            None
        }
        Input::Link { node: src, slot } => {
            match link_source(registry, classes, prompt, src, *slot) {
                Err((ty, msg)) => {
                    let link = prompt.nodes[i].inputs[input_i].1.to_value();
                    errors.push(inner_exception(name, &spec.config, &link, &ty, &msg));
                }
                Ok((src_i, received)) => {
                    let skip_type_check = schema.validate.as_ref().is_some_and(|v| v.input_types);
                    if !skip_type_check && !compatible(received, &spec.ty, false) {
                        let (r, e) = (pyfmt::str(&received.to_value()), pyfmt::str(&spec.ty.to_value()));
                        let link = prompt.nodes[i].inputs[input_i].1.to_value();
                        errors.push(error(
                            "return_type_mismatch",
                            "Return type mismatch between linked nodes",
                            format!("{name}, {r} != {e}"),
                            json!({"input_name": name, "input_config": spec.config,
                                   "received_type": received.to_value(), "linked_node": link}),
                        ));
                    } else {
                        deps.push((src_i, input_i));
                    }
                }
            }
            None
        }
        Input::Const(v) => {
            let coerced = match spec.ty.name() {
                Some(ty) => match coerce(ty, v) {
                    Ok(c) => c,
                    Err(msg) => {
                        errors.push(error(
                            "invalid_input_type",
                            format!("Failed to convert an input value to a {ty} value"),
                            format!("{name}, {}, {msg}", pyfmt::str(v)),
                            json!({"input_name": name, "input_config": spec.config,
                                   "received_value": v, "exception_message": msg}),
                        ));
                        return None;
                    }
                },
                None => None,
            };
            let val = coerced.as_ref().unwrap_or(v);
            let custom_checked = schema.validate.as_ref().is_some_and(|cv| cv.params.iter().any(|p| p == name));
            if !custom_checked {
                if let Some(e) = range_error(name, spec, val) {
                    errors.push(e);
                } else if let Some(choices) = &spec.choices {
                    if !choices.iter().any(|c| combo_eq(c, val)) {
                        let (list_info, config) = if choices.len() > 20 {
                            (format!("(list of length {})", choices.len()), Value::Null)
                        } else {
                            (pyfmt::repr(&Value::Array(choices.clone())), spec.config.clone())
                        };
                        errors.push(error(
                            "value_not_in_list",
                            "Value not in list",
                            format!("{name}: '{}' not in {list_info}", pyfmt::str(val)),
                            json!({"input_name": name, "input_config": config, "received_value": val}),
                        ));
                    }
                }
            }
            coerced
        }
    }
}

fn link_source<'r>(
    registry: &'r Registry,
    classes: &[ClassId],
    prompt: &Prompt,
    src: &str,
    slot: usize,
) -> Result<(usize, &'r TypeSpec), (String, String)> {
    let Some(src_i) = prompt.nodes.get_index_of(src) else {
        return Err(("KeyError".into(), pyfmt::str_repr(src)));
    };
    let schema = registry.get(classes[src_i]);
    match schema.return_types.get(slot) {
        Some(t) => Ok((src_i, t)),
        None => Err(("IndexError".into(), "tuple index out of range".into())),
    }
}

fn inner_exception(name: &str, config: &Value, link: &Value, ty: &str, msg: &str) -> Value {
    error(
        "exception_during_inner_validation",
        "Exception when validating inner node",
        msg,
        json!({"input_name": name, "input_config": config, "exception_message": msg,
               "exception_type": ty, "traceback": [], "linked_node": link}),
    )
}

fn exception_error(prompt: &Prompt, registry: &Registry, ex: ExceptionInfo, parent: Option<(usize, usize)>) -> Value {
    match parent {
        None => error(
            "exception_during_validation",
            "Exception when validating node",
            ex.message.clone(),
            json!({"exception_type": ex.exception_type, "traceback": ex.traceback}),
        ),
        Some((p, input_i)) => {
            let (name, input) = &prompt.nodes[p].inputs[input_i];
            let class = prompt.nodes[p].class_type.as_deref().expect("checked");
            let config = registry
                .by_name(class)
                .and_then(|s| s.input(name))
                .map(|s| s.config.clone())
                .unwrap_or(Value::Null);
            error(
                "exception_during_inner_validation",
                "Exception when validating inner node",
                ex.message.clone(),
                json!({"input_name": name, "input_config": config, "exception_message": ex.message,
                       "exception_type": ex.exception_type, "traceback": ex.traceback,
                       "linked_node": input.to_value()}),
            )
        }
    }
}

fn custom_request<'a>(
    registry: &'a Registry,
    classes: &[ClassId],
    prompt: &'a Prompt,
    i: usize,
    schema: &'a NodeSchema,
) -> CustomRequest<'a> {
    let node = &prompt.nodes[i];
    let mut constants = Vec::new();
    let mut linked = Vec::new();
    for spec in schema.inputs.iter().filter(|s| s.category != Category::Hidden) {
        match node.input(&spec.name) {
            Some(Input::Const(v)) => constants.push((spec.name.as_str(), v)),
            Some(Input::Link { node: src, slot }) => {
                if let Ok((_, t)) = link_source(registry, classes, prompt, src, *slot) {
                    linked.push((spec.name.as_str(), t));
                }
            }
            _ => {}
        }
    }
    CustomRequest { node_id: &node.id, class_type: &schema.class_type, constants, linked }
}

fn cycle_path(stack: &[Frame], dep: usize, prompt: &Prompt) -> Vec<String> {
    let start = stack.iter().position(|f| f.node == dep).unwrap_or(0);
    let mut path: Vec<String> = stack[start..].iter().map(|f| prompt.nodes[f.node].id.to_string()).collect();
    path.push(prompt.nodes[dep].id.to_string());
    path
}

/// Every node `o` depends on (through any link), `o` included.
fn ancestors(prompt: &Prompt, o: usize) -> Vec<usize> {
    let mut seen = vec![false; prompt.nodes.len()];
    let mut out = Vec::new();
    let mut todo = vec![o];
    seen[o] = true;
    while let Some(i) = todo.pop() {
        out.push(i);
        for (_, input) in &prompt.nodes[i].inputs {
            if let Input::Link { node, .. } = input {
                if let Some(j) = prompt.nodes.get_index_of(node.as_str()) {
                    if !seen[j] {
                        seen[j] = true;
                        todo.push(j);
                    }
                }
            }
        }
    }
    out
}

fn range_error(name: &str, spec: &crate::schema::InputSpec, val: &Value) -> Option<Value> {
    let x = val.as_f64()?;
    if let Some(min) = &spec.min {
        if min.as_f64().is_some_and(|m| x < m) {
            return Some(error(
                "value_smaller_than_min",
                format!("Value {} smaller than min of {}", pyfmt::str(val), pyfmt::str(min)),
                name,
                json!({"input_name": name, "input_config": spec.config, "received_value": val}),
            ));
        }
    }
    if let Some(max) = &spec.max {
        if max.as_f64().is_some_and(|m| x > m) {
            return Some(error(
                "value_bigger_than_max",
                format!("Value {} bigger than max of {}", pyfmt::str(val), pyfmt::str(max)),
                name,
                json!({"input_name": name, "input_config": spec.config, "received_value": val}),
            ));
        }
    }
    None
}

/// Python equality for combo values; file paths compare with `/` for `\`.
fn combo_eq(choice: &Value, val: &Value) -> bool {
    match (choice, val) {
        (Value::String(a), Value::String(b)) => a == b || a.replace('\\', "/") == b.replace('\\', "/"),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

/// Coerces a constant to a scalar type as ComfyUI does (`int()`, `float()`, `str()`, `bool()`).
/// Returns `Ok(None)` when the value is already right, `Err(message)` as Python would raise it.
pub fn coerce(ty: &str, v: &Value) -> Result<Option<Value>, String> {
    match ty {
        "INT" => coerce_int(v).map(|c| (c != *v).then_some(c)),
        "FLOAT" => coerce_float(v).map(|c| (c != *v || !v.is_f64()).then_some(c)),
        "STRING" => Ok(match v {
            Value::String(_) => None,
            other => Some(Value::String(pyfmt::str(other))),
        }),
        "BOOLEAN" => Ok(match v {
            Value::Bool(_) => None,
            Value::String(s) => Some(Value::Bool(!(s.is_empty() || s.eq_ignore_ascii_case("false") || s == "0"))),
            Value::Number(n) => Some(Value::Bool(n.as_f64() != Some(0.0))),
            Value::Null => Some(Value::Bool(false)),
            Value::Array(a) => Some(Value::Bool(!a.is_empty())),
            Value::Object(o) => Some(Value::Bool(!o.is_empty())),
        }),
        _ => Ok(None),
    }
}

fn coerce_int(v: &Value) -> Result<Value, String> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.is_nan() {
                Err("cannot convert float NaN to integer".into())
            } else if f.is_infinite() {
                Err("cannot convert float infinity to integer".into())
            } else if f.abs() >= 9.2e18 {
                Err("integer out of the supported 64-bit range".into())
            } else {
                Ok(Value::from(f.trunc() as i64))
            }
        }
        Value::Bool(b) => Ok(Value::from(*b as i64)),
        Value::String(s) => {
            let t = s.trim();
            let cleaned = python_digits(t);
            cleaned
                .and_then(|c| c.parse::<i64>().ok())
                .map(Value::from)
                .ok_or_else(|| format!("invalid literal for int() with base 10: {}", pyfmt::str_repr(s)))
        }
        other => Err(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            pyfmt::type_name(other)
        )),
    }
}

fn coerce_float(v: &Value) -> Result<Value, String> {
    let f = match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::Bool(b) => *b as i64 as f64,
        Value::String(s) => {
            let t = s.trim();
            let cleaned = python_digits(t).unwrap_or_default();
            let lower = t.to_ascii_lowercase();
            let special = matches!(lower.trim_start_matches(['+', '-']), "inf" | "infinity" | "nan");
            match (special, cleaned.parse::<f64>()) {
                (false, Ok(f)) if !cleaned.is_empty() => f,
                (true, _) => return Err("non-finite FLOAT values (inf, nan) are not supported".into()),
                _ => return Err(format!("could not convert string to float: {}", pyfmt::str_repr(s))),
            }
        }
        other => {
            return Err(format!("float() argument must be a string or a real number, not '{}'", pyfmt::type_name(other)))
        }
    };
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "non-finite FLOAT values (inf, nan) are not supported".into())
}

/// Python allows `_` between digits in numeric literals; returns the text without them, or None
/// when an underscore is misplaced.
fn python_digits(t: &str) -> Option<String> {
    if !t.contains('_') {
        return Some(t.to_string());
    }
    let b = t.as_bytes();
    for (k, &c) in b.iter().enumerate() {
        if c == b'_' && !(k > 0 && k + 1 < b.len() && b[k - 1].is_ascii_digit() && b[k + 1].is_ascii_digit()) {
            return None;
        }
    }
    Some(t.replace('_', ""))
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
