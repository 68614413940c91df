//! Structural cache keys (ComfyUI's `CacheKeySetInputSignature`), computed Merkle-style.
//!
//! ComfyUI's key of a node is its own signature followed by the signatures of all its ancestors,
//! so equal keys mean equal sub-DAGs. Hashing each node's signature together with the keys of
//! its direct sources gives the same equality in O(inputs) per node instead of O(ancestors),
//! with 128-bit xxh3 digests (collisions are not a practical concern).
//!
//! A node's signature: class type, its fingerprint (`IS_CHANGED`), its id when the class is
//! `NOT_IDEMPOTENT` or has a hidden `UNIQUE_ID`, and its inputs sorted by name (constants by
//! value, links by source key and slot). Ephemeral nodes also mix in their parent's id, which
//! scopes them like ComfyUI's per-parent subcaches. A fingerprint of `None` ("never equal",
//! e.g. NaN) makes the key unique.

use crate::graph::{GInput, GNode, Graph, NodeIdx};
use crate::schema::Registry;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use xxhash_rust::xxh3::Xxh3;

pub type Key = u128;

static NONCE: AtomicU64 = AtomicU64::new(1);

/// A key that equals no other key.
pub fn unique_key() -> Key {
    let n = NONCE.fetch_add(1, Ordering::Relaxed);
    let mut h = Xxh3::new();
    h.update(b"\xffunique");
    h.update(&n.to_le_bytes());
    h.update(&(std::process::id() as u64).to_le_bytes());
    h.digest128()
}

/// Writes a canonical encoding of a JSON value (object keys sorted; 1 and 1.0 equal).
pub fn hash_value(h: &mut Xxh3, v: &Value) {
    match v {
        Value::Null => h.update(b"N"),
        Value::Bool(b) => h.update(if *b { b"T" } else { b"F" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                h.update(b"i");
                h.update(&i.to_le_bytes());
            } else if let Some(u) = n.as_u64() {
                h.update(b"u");
                h.update(&u.to_le_bytes());
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    h.update(b"i");
                    h.update(&(f as i64).to_le_bytes());
                } else {
                    h.update(b"f");
                    h.update(&f.to_bits().to_le_bytes());
                }
            }
        }
        Value::String(s) => {
            h.update(b"s");
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        Value::Array(items) => {
            h.update(b"[");
            h.update(&(items.len() as u64).to_le_bytes());
            for item in items {
                hash_value(h, item);
            }
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            h.update(b"{");
            h.update(&(entries.len() as u64).to_le_bytes());
            for (k, item) in entries {
                h.update(&(k.len() as u64).to_le_bytes());
                h.update(k.as_bytes());
                hash_value(h, item);
            }
        }
    }
}

/// Computes the keys of `roots` and everything they depend on, filling `keys` (indexed by node).
/// `fingerprint(node)` is asked only for nodes whose class has a fingerprint; `Some(None)` means
/// "never equal". Nodes on a cycle (possible only after expansion) get unique keys.
pub fn compute_keys(
    graph: &Graph,
    registry: &Registry,
    keys: &mut Vec<Option<Key>>,
    roots: impl IntoIterator<Item = NodeIdx>,
    fingerprint: &mut dyn FnMut(&GNode) -> Option<String>,
) {
    keys.resize(graph.len(), None);
    let mut on_stack = vec![false; graph.len()];
    let mut stack: Vec<(NodeIdx, usize)> = Vec::new();
    for root in roots {
        if keys[root as usize].is_some() {
            continue;
        }
        stack.push((root, 0));
        on_stack[root as usize] = true;
        while let Some(&mut (n, ref mut next)) = stack.last_mut() {
            let node = graph.node(n);
            // Descend into the next source without a key.
            let mut descend = None;
            while *next < node.inputs.len() {
                let i = *next;
                *next += 1;
                if let GInput::Link { src, .. } = node.inputs[i].1 {
                    if keys[src as usize].is_none() && !on_stack[src as usize] {
                        descend = Some(src);
                        break;
                    }
                }
            }
            if let Some(src) = descend {
                on_stack[src as usize] = true;
                stack.push((src, 0));
                continue;
            }
            stack.pop();
            on_stack[n as usize] = false;
            let key = node_key(graph, registry, keys, n, fingerprint);
            keys[n as usize] = Some(key);
        }
    }
}

fn node_key(
    graph: &Graph,
    registry: &Registry,
    keys: &[Option<Key>],
    n: NodeIdx,
    fingerprint: &mut dyn FnMut(&GNode) -> Option<String>,
) -> Key {
    let node = graph.node(n);
    let schema = registry.get(node.class);
    let mut h = Xxh3::new();
    h.update(schema.class_type.as_bytes());
    h.update(b"\0");
    if schema.fingerprint {
        match fingerprint(node) {
            Some(fp) => {
                h.update(b"fp");
                h.update(&(fp.len() as u64).to_le_bytes());
                h.update(fp.as_bytes());
            }
            None => return unique_key(),
        }
    }
    if schema.not_idempotent || schema.hidden_unique_id {
        h.update(b"id");
        h.update(node.id.as_bytes());
        h.update(b"\0");
    }
    if let Some(p) = node.parent {
        h.update(b"parent");
        h.update(graph.node(p).id.as_bytes());
        h.update(b"\0");
    }
    let mut inputs: Vec<&(crate::prompt::Name, GInput)> = node.inputs.iter().collect();
    inputs.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, input) in inputs {
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        match input {
            GInput::Const(v) => {
                h.update(b"c");
                hash_value(&mut h, v);
            }
            GInput::Dangling(_) => return unique_key(),
            GInput::Link { src, slot } => match keys[*src as usize] {
                Some(k) => {
                    h.update(b"l");
                    h.update(&k.to_le_bytes());
                    h.update(&(*slot as u64).to_le_bytes());
                }
                None => return unique_key(), // a source on a cycle
            },
        }
    }
    h.digest128()
}
