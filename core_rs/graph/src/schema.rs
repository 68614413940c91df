//! Node schemas: what the engine needs to know about a node class, compiled once from the JSON
//! that the Python side derives from `INPUT_TYPES`, `RETURN_TYPES` and friends.

use indexmap::IndexMap;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde_json::Value;

/// A socket type: a type name (`"INT"`, `"IMAGE,MASK"`, `"*"`) or a list of combo choices.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeSpec {
    Name(String),
    Choices(Vec<Value>),
}

impl TypeSpec {
    pub fn from_value(v: &Value) -> TypeSpec {
        match v {
            Value::Array(items) => TypeSpec::Choices(items.clone()),
            Value::String(s) => TypeSpec::Name(s.clone()),
            other => TypeSpec::Name(crate::pyfmt::str(other)),
        }
    }
    pub fn to_value(&self) -> Value {
        match self {
            TypeSpec::Name(s) => Value::String(s.clone()),
            TypeSpec::Choices(c) => Value::Array(c.clone()),
        }
    }
    pub fn name(&self) -> Option<&str> {
        match self {
            TypeSpec::Name(s) => Some(s),
            TypeSpec::Choices(_) => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Required,
    Optional,
    Hidden,
}

/// One declared input.
#[derive(Clone, Debug)]
pub struct InputSpec {
    pub name: String,
    pub category: Category,
    pub ty: TypeSpec,
    pub min: Option<Value>,
    pub max: Option<Value>,
    /// Combo choices (from a list type, or `"COMBO"` with `options`).
    pub choices: Option<Vec<Value>>,
    pub lazy: bool,
    pub raw_link: bool,
    /// The `(type, options)` pair as JSON, echoed in errors' `input_config`.
    pub config: Value,
}

/// What `VALIDATE_INPUTS` accepts.
#[derive(Clone, Debug, Default)]
pub struct CustomValidation {
    pub params: Vec<String>,
    pub kwargs: bool,
    pub input_types: bool,
}

/// The compiled schema of one node class.
#[derive(Clone, Debug)]
pub struct NodeSchema {
    pub class_type: String,
    pub inputs: Vec<InputSpec>,
    pub return_types: Vec<TypeSpec>,
    pub output_node: bool,
    pub input_is_list: bool,
    pub output_is_list: Vec<bool>,
    pub not_idempotent: bool,
    /// A hidden `UNIQUE_ID` input: the node id becomes part of the cache key.
    pub hidden_unique_id: bool,
    /// The class defines `IS_CHANGED` (or V3 `fingerprint_inputs`).
    pub fingerprint: bool,
    pub validate: Option<CustomValidation>,
    input_index: FxHashMap<String, usize>,
}

impl NodeSchema {
    pub fn input(&self, name: &str) -> Option<&InputSpec> {
        self.input_index.get(name).map(|&i| &self.inputs[i])
    }

    /// Is `name` a lazy input?
    pub fn is_lazy(&self, name: &str) -> bool {
        self.input(name).is_some_and(|i| i.lazy && i.category != Category::Hidden)
    }

    /// Reads a schema from its JSON description (see `comfy/nodes/schema.py`).
    pub fn from_value(v: &Value) -> Result<NodeSchema, String> {
        let obj = v.as_object().ok_or("a node schema must be an object")?;
        let class_type = obj
            .get("class_type")
            .and_then(Value::as_str)
            .ok_or("a node schema needs a string class_type")?
            .to_string();
        let flag = |k: &str| obj.get(k).and_then(Value::as_bool).unwrap_or(false);
        let mut inputs = Vec::new();
        for item in obj.get("inputs").and_then(Value::as_array).into_iter().flatten() {
            inputs.push(InputSpec::from_value(item).map_err(|e| format!("{class_type}: {e}"))?);
        }
        let return_types = obj
            .get("return_types")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(TypeSpec::from_value).collect())
            .unwrap_or_default();
        let output_is_list = obj
            .get("output_is_list")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|b| b.as_bool().unwrap_or(false)).collect())
            .unwrap_or_default();
        let validate = match obj.get("validate") {
            Some(Value::Object(val)) => Some(CustomValidation {
                params: val
                    .get("params")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
                    .unwrap_or_default(),
                kwargs: val.get("kwargs").and_then(Value::as_bool).unwrap_or(false),
                input_types: val.get("input_types").and_then(Value::as_bool).unwrap_or(false),
            }),
            _ => None,
        };
        let input_index = inputs.iter().enumerate().map(|(i, s): (usize, &InputSpec)| (s.name.clone(), i)).collect();
        Ok(NodeSchema {
            class_type,
            inputs,
            return_types,
            output_node: flag("output_node"),
            input_is_list: flag("input_is_list"),
            output_is_list,
            not_idempotent: flag("not_idempotent"),
            hidden_unique_id: flag("hidden_unique_id"),
            fingerprint: flag("fingerprint"),
            validate,
            input_index,
        })
    }
}

impl InputSpec {
    fn from_value(v: &Value) -> Result<InputSpec, String> {
        let obj = v.as_object().ok_or("an input spec must be an object")?;
        let name = obj.get("name").and_then(Value::as_str).ok_or("an input needs a name")?.to_string();
        let category = match obj.get("category").and_then(Value::as_str) {
            Some("required") => Category::Required,
            Some("optional") => Category::Optional,
            Some("hidden") => Category::Hidden,
            other => return Err(format!("input {name}: unknown category {other:?}")),
        };
        let ty = TypeSpec::from_value(obj.get("type").unwrap_or(&Value::String("*".into())));
        let options = obj.get("options").and_then(Value::as_object);
        let opt = |k: &str| options.and_then(|o| o.get(k)).filter(|v| v.is_number()).cloned();
        let choices = match &ty {
            TypeSpec::Choices(c) => Some(c.clone()),
            TypeSpec::Name(n) if n == "COMBO" => {
                Some(options.and_then(|o| o.get("options")).and_then(Value::as_array).cloned().unwrap_or_default())
            }
            _ => None,
        };
        let config = obj.get("config").cloned().unwrap_or_else(|| {
            let mut pair = vec![ty.to_value()];
            if let Some(o) = options {
                pair.push(Value::Object(o.clone()));
            }
            Value::Array(pair)
        });
        Ok(InputSpec {
            lazy: options.and_then(|o| o.get("lazy")).and_then(Value::as_bool).unwrap_or(false),
            raw_link: options.and_then(|o| o.get("rawLink")).and_then(Value::as_bool).unwrap_or(false),
            min: opt("min"),
            max: opt("max"),
            choices,
            name,
            category,
            ty,
            config,
        })
    }
}

/// Index of a class in a [`Registry`].
pub type ClassId = u32;

/// All known node classes.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    classes: Vec<NodeSchema>,
    by_name: IndexMap<String, ClassId, FxBuildHasher>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds or replaces a class.
    pub fn insert(&mut self, schema: NodeSchema) -> ClassId {
        if let Some(&id) = self.by_name.get(&schema.class_type) {
            self.classes[id as usize] = schema;
            id
        } else {
            let id = self.classes.len() as ClassId;
            self.by_name.insert(schema.class_type.clone(), id);
            self.classes.push(schema);
            id
        }
    }

    pub fn from_values(values: &[Value]) -> Result<Registry, String> {
        let mut r = Registry::new();
        for v in values {
            r.insert(NodeSchema::from_value(v)?);
        }
        Ok(r)
    }

    pub fn id(&self, class_type: &str) -> Option<ClassId> {
        self.by_name.get(class_type).copied()
    }

    pub fn get(&self, id: ClassId) -> &NodeSchema {
        &self.classes[id as usize]
    }

    pub fn by_name(&self, class_type: &str) -> Option<&NodeSchema> {
        self.id(class_type).map(|id| self.get(id))
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// The schemas, in registration order.
    pub fn into_schemas(self) -> Vec<NodeSchema> {
        self.classes
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}
