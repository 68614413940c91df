//! The live graph of one execution: the prompt's nodes plus the ephemeral nodes that node
//! expansion adds while it runs (ComfyUI's `DynamicPrompt`).

use crate::prompt::{Input, Name, Prompt, PromptNode};
use crate::schema::{ClassId, Registry};
use rustc_hash::FxHashMap;
use serde_json::Value;

/// Index of a node in a [`Graph`].
pub type NodeIdx = u32;

/// One input of a live node.
#[derive(Clone, Debug)]
pub enum GInput {
    Link { src: NodeIdx, slot: usize },
    Const(Value),
    /// A link to a node that does not exist (only in nodes that never run).
    Dangling(Value),
}

#[derive(Clone, Debug)]
pub struct GNode {
    pub id: Name,
    pub class: ClassId,
    pub inputs: Vec<(Name, GInput)>,
    /// The node whose expansion created this one.
    pub parent: Option<NodeIdx>,
    /// The id under which the UI shows this node.
    pub display_id: Name,
}

impl GNode {
    pub fn is_ephemeral(&self) -> bool {
        self.parent.is_some()
    }
}

/// Why an expansion could not be added.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpandError {
    Duplicate(Name),
    UnknownClass { node: Name, class_type: Option<Name> },
    MissingNode { node: Name, input: Name, target: Name },
}

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpandError::Duplicate(id) => write!(
                f,
                "Attempt to add duplicate node {id}. Ensure node ids are unique and deterministic or use graph_utils.GraphBuilder."
            ),
            ExpandError::UnknownClass { node, class_type: Some(c) } => {
                write!(f, "Node {node} of the expanded graph has unknown class_type {c}")
            }
            ExpandError::UnknownClass { node, class_type: None } => {
                write!(f, "Node {node} of the expanded graph has no class_type")
            }
            ExpandError::MissingNode { node, input, target } => {
                write!(f, "Input {input} of node {node} links to node {target}, which does not exist")
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub nodes: Vec<GNode>,
    index: FxHashMap<Name, NodeIdx>,
}

impl Graph {
    /// Builds the graph of a validated prompt (every class is known).
    pub fn from_prompt(registry: &Registry, prompt: Prompt) -> Graph {
        let mut g = Graph { nodes: Vec::with_capacity(prompt.nodes.len()), index: FxHashMap::default() };
        g.index.reserve(prompt.nodes.len());
        for (i, id) in prompt.nodes.keys().enumerate() {
            g.index.insert(id.clone(), i as NodeIdx);
        }
        for (id, node) in prompt.nodes {
            let class = node.class_type.as_deref().and_then(|c| registry.id(c)).unwrap_or(0);
            let inputs = node.inputs.into_iter().map(|(name, input)| { let r = g.resolve_owned(input); (name, r) }).collect();
            g.nodes.push(GNode { display_id: id.clone(), id, class, inputs, parent: None });
        }
        g
    }

    fn resolve_owned(&self, input: Input) -> GInput {
        match input {
            Input::Link { node, slot } => match self.index.get(&node) {
                Some(&src) => GInput::Link { src, slot },
                None => GInput::Dangling(Input::Link { node, slot }.to_value()),
            },
            Input::BadList(v) | Input::Const(v) => GInput::Const(v),
        }
    }

    fn resolve(&self, input: &Input) -> GInput {
        match input {
            Input::Link { node, slot } => match self.index.get(node) {
                Some(&src) => GInput::Link { src, slot: *slot },
                None => GInput::Dangling(input.to_value()),
            },
            Input::BadList(v) | Input::Const(v) => GInput::Const(v.clone()),
        }
    }

    /// Adds the nodes of an expansion under `parent`; returns their indices.
    pub fn add_ephemeral(
        &mut self,
        registry: &Registry,
        parent: NodeIdx,
        new_nodes: Vec<PromptNode>,
    ) -> Result<Vec<NodeIdx>, ExpandError> {
        let mut seen = FxHashMap::default();
        for (k, node) in new_nodes.iter().enumerate() {
            if self.index.contains_key(&node.id) || seen.insert(node.id.clone(), k).is_some() {
                return Err(ExpandError::Duplicate(node.id.clone()));
            }
            let known = node.class_type.as_deref().and_then(|c| registry.id(c));
            if known.is_none() {
                return Err(ExpandError::UnknownClass { node: node.id.clone(), class_type: node.class_type.clone() });
            }
        }
        for node in &new_nodes {
            for (name, input) in &node.inputs {
                if let Input::Link { node: target, .. } = input {
                    if !self.index.contains_key(target) && !seen.contains_key(target) {
                        return Err(ExpandError::MissingNode {
                            node: node.id.clone(),
                            input: name.clone(),
                            target: target.clone(),
                        });
                    }
                }
            }
        }
        let first = self.nodes.len() as NodeIdx;
        for (k, node) in new_nodes.iter().enumerate() {
            self.index.insert(node.id.clone(), first + k as NodeIdx);
        }
        let parent_id = self.nodes[parent as usize].id.clone();
        for node in new_nodes {
            let class = registry.id(node.class_type.as_deref().expect("checked")).expect("checked");
            let inputs = node.inputs.iter().map(|(name, input)| (name.clone(), self.resolve(input))).collect();
            let display_id = node.override_display_id.clone().unwrap_or_else(|| parent_id.clone());
            self.nodes.push(GNode { id: node.id, class, inputs, parent: Some(parent), display_id });
        }
        Ok((first..self.nodes.len() as NodeIdx).collect())
    }

    pub fn idx(&self, id: &str) -> Option<NodeIdx> {
        self.index.get(id).copied()
    }

    pub fn node(&self, n: NodeIdx) -> &GNode {
        &self.nodes[n as usize]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The id the UI shows for `n`: its display id, followed through ephemeral nodes (a clone
    /// of a clone shows as the node the user placed, like ComfyUI's `get_display_node_id`).
    pub fn display_id(&self, n: NodeIdx) -> &str {
        let mut id = self.nodes[n as usize].display_id.as_str();
        for _ in 0..self.nodes.len() {
            match self.idx(id).map(|i| &self.nodes[i as usize]) {
                Some(node) if node.parent.is_some() && node.display_id != node.id => id = &node.display_id,
                _ => break,
            }
        }
        id
    }

    /// The original (non-ephemeral) node an ephemeral node descends from.
    pub fn real_node(&self, mut n: NodeIdx) -> NodeIdx {
        while let Some(p) = self.nodes[n as usize].parent {
            n = p;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::NodeSchema;
    use serde_json::json;

    fn node(id: &str, display: Option<&str>) -> PromptNode {
        PromptNode {
            id: id.into(),
            class_type: Some("N".into()),
            inputs: vec![],
            override_display_id: display.map(Into::into),
        }
    }

    #[test]
    fn display_ids_follow_clones_back_to_a_placed_node() {
        let mut reg = Registry::new();
        reg.insert(NodeSchema::from_value(&json!({"class_type": "N"})).unwrap());
        let prompt = Prompt::from_value(json!({"5": {"class_type": "N", "inputs": {}}})).unwrap();
        let mut g = Graph::from_prompt(&reg, prompt);
        let first = g.add_ephemeral(&reg, 0, vec![node("5.0.0.1", Some("5")), node("5.0.0.2", None)]).unwrap();
        let second = g.add_ephemeral(&reg, first[0], vec![node("5.0.0.1.0.0.1", Some("5.0.0.1"))]).unwrap();
        assert_eq!(g.display_id(first[0]), "5");
        assert_eq!(g.display_id(first[1]), "5", "no override: the expanding node");
        assert_eq!(g.display_id(second[0]), "5", "a clone of a clone shows as the placed node");
        assert_eq!(g.real_node(second[0]), 0);
        let dup = g.add_ephemeral(&reg, 0, vec![node("5", None)]);
        assert_eq!(dup, Err(ExpandError::Duplicate("5".into())));
    }
}
