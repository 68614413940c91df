//! The API-format prompt: node id → `{class_type, inputs, _meta?}`.
//!
//! An input is a link iff it is a two-item list of a string node id and an integer (or integral
//! float) output slot; `{"__value__": v}` wraps a constant that would otherwise look like a list.
//! Anything else is a constant. Key order is kept (it decides validation order, as in ComfyUI).

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

/// Node id → node, in the prompt's key order.
pub type NodeMap = IndexMap<Name, PromptNode, FxBuildHasher>;

/// Node ids, class types and input names: short strings stored inline (no allocation up to 24 bytes).
pub type Name = compact_str::CompactString;
use serde_json::Value;

/// One input value of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// `[node_id, slot]`.
    Link { node: Name, slot: usize },
    /// A list that is not a well-formed link (ComfyUI's `bad_linked_input`).
    BadList(Value),
    /// Any other value, with `{"__value__": v}` already unwrapped.
    Const(Value),
}

impl Input {
    /// Classifies a raw JSON input value.
    pub fn from_value(v: Value) -> Input {
        match v {
            Value::Array(ref items) if items.len() == 2 => match (&items[0], link_slot(&items[1])) {
                (Value::String(id), Some(slot)) => Input::Link { node: Name::from(id.as_str()), slot },
                _ => Input::BadList(v),
            },
            Value::Array(_) => Input::BadList(v),
            Value::Object(mut map) if map.contains_key("__value__") => {
                Input::Const(map.swap_remove("__value__").expect("checked"))
            }
            other => Input::Const(other),
        }
    }

    /// The JSON form ComfyUI would show for this input (links as `[id, slot]`).
    pub fn to_value(&self) -> Value {
        match self {
            Input::Link { node, slot } => Value::Array(vec![Value::String(node.to_string()), Value::from(*slot)]),
            Input::BadList(v) | Input::Const(v) => v.clone(),
        }
    }
}

/// The slot of a link: a non-negative integer, or a float with an integral value.
pub fn link_slot(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                usize::try_from(u).ok()
            } else if n.is_f64() {
                let f = n.as_f64()?;
                (f >= 0.0 && f.fract() == 0.0 && f < usize::MAX as f64).then_some(f as usize)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// One node of a prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptNode {
    pub id: Name,
    /// `None` when the node has no string `class_type` (an `invalid_prompt` error).
    pub class_type: Option<Name>,
    pub inputs: Vec<(Name, Input)>,
    /// `override_display_id`, only meaningful for nodes added by expansion.
    pub override_display_id: Option<Name>,
}

impl PromptNode {
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|(n, _)| n == name).map(|(_, i)| i)
    }
}

/// A parsed prompt. Node order is the prompt's key order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prompt {
    pub nodes: NodeMap,
}

/// Why a prompt could not even be read as a prompt.
#[derive(Clone, Debug, PartialEq)]
pub enum ShapeError {
    /// The prompt is not a JSON object.
    NotAnObject(&'static str),
}

impl Prompt {
    /// Parses a JSON value. A node that is not an object, or has no string `class_type`, is kept
    /// with `class_type: None` so validation can report it in ComfyUI's words.
    pub fn from_value(v: Value) -> Result<Prompt, ShapeError> {
        let Value::Object(map) = v else {
            return Err(ShapeError::NotAnObject(crate::pyfmt::type_name(&v)));
        };
        let mut nodes = NodeMap::with_capacity_and_hasher(map.len(), FxBuildHasher);
        for (id, node) in map {
            let id = Name::from(id);
            nodes.insert(id.clone(), PromptNode::from_value(id, node));
        }
        Ok(Prompt { nodes })
    }

    pub fn get(&self, id: &str) -> Option<&PromptNode> {
        self.nodes.get(id)
    }
}

impl PromptNode {
    pub fn from_value(id: Name, node: Value) -> PromptNode {
        let mut class_type = None;
        let mut inputs = Vec::new();
        let mut override_display_id = None;
        if let Value::Object(mut obj) = node {
            match obj.swap_remove("class_type") {
                Some(Value::String(c)) => class_type = Some(Name::from(c)),
                // ComfyUI looks a non-string class_type up as it is: "node 5 does not exist".
                Some(v) if !v.is_null() => class_type = Some(Name::from(crate::pyfmt::str(&v))),
                _ => {}
            }
            if let Some(Value::Object(ins)) = obj.swap_remove("inputs") {
                inputs = ins.into_iter().map(|(k, v)| (Name::from(k), Input::from_value(v))).collect();
            }
            if let Some(Value::String(d)) = obj.swap_remove("override_display_id") {
                override_display_id = Some(Name::from(d));
            }
        }
        PromptNode { id, class_type, inputs, override_display_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_inputs() {
        let cases = [
            (json!(["4", 0]), Input::Link { node: "4".into(), slot: 0 }),
            (json!(["4", 1.0]), Input::Link { node: "4".into(), slot: 1 }),
            (json!([4, 0]), Input::BadList(json!([4, 0]))),
            (json!([1, 2, 3]), Input::BadList(json!([1, 2, 3]))),
            (json!({"__value__": [1, 2]}), Input::Const(json!([1, 2]))),
            (json!(5), Input::Const(json!(5))),
            (json!({"a": 1}), Input::Const(json!({"a": 1}))),
        ];
        for (raw, want) in cases {
            assert_eq!(Input::from_value(raw.clone()), want, "{raw}");
        }
    }

    #[test]
    fn keeps_order_and_ignores_meta() {
        let p = Prompt::from_value(json!({
            "9": {"class_type": "B", "inputs": {"x": ["1", 0]}, "_meta": {"title": "t"}},
            "1": {"class_type": "A", "inputs": {}},
            "2": {"inputs": {}}
        }))
        .unwrap();
        let ids: Vec<_> = p.nodes.keys().cloned().collect();
        assert_eq!(ids, ["9", "1", "2"]);
        assert_eq!(p.get("2").unwrap().class_type, None);
        assert!(Prompt::from_value(json!([1])).is_err());
    }
}
