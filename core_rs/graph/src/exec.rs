//! The execution list of one prompt (ComfyUI's `ExecutionList`), as a state machine that the
//! bindings drive: [`Run::next`] says which node to run (or that the run must wait for parked
//! async nodes, is done, or is stuck on a cycle), and the driver reports back with
//! [`Run::complete`], [`Run::request_inputs`] (lazy inputs), [`Run::expand`] (node expansion) or
//! [`Run::park`] (an async node still running).
//!
//! Only nodes that feed the requested outputs are added, walking non-lazy links; a source whose
//! result is already cached gets no node, its cached value is pinned for the run instead. Ready
//! nodes are picked the way ComfyUI's `ux_friendly_pick_node` does (outputs first, then nodes
//! that unblock outputs), in O(log n) per pick.

use crate::cache::Cache;
use crate::graph::{ExpandError, GInput, GNode, Graph, NodeIdx};
use crate::keys::{compute_keys, Key};
use crate::prompt::PromptNode;
use crate::schema::Registry;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;

/// What the driver should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Run this node (fresh, or resumed after lazy inputs, expansion or an async wait).
    Execute(NodeIdx),
    /// This node's result is in the cache: replay it, then it is complete.
    CacheHit(NodeIdx),
    /// Nothing is ready but parked async nodes are outstanding: wait for one, then `unpark` it.
    Wait,
    /// Every requested node is complete.
    Done,
    /// Nothing can run: a dependency cycle. The node to blame (ComfyUI's choice).
    Cycle(NodeIdx),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NState {
    Unadded,
    Pending,
    Done,
}

/// Why `request_inputs` failed: the input is not a link.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInputError {
    pub node: String,
    pub input: String,
}

pub struct Run<V> {
    pub graph: Graph,
    cache: Cache<V>,
    keys: Vec<Option<Key>>,
    state: Vec<NState>,
    block_count: Vec<u32>,
    blocking: Vec<Vec<NodeIdx>>,
    edges: FxHashSet<(NodeIdx, NodeIdx)>,
    pending_seq: Vec<u64>,
    seq: u64,
    pending: usize,
    ready: BTreeMap<(u8, u64), NodeIdx>,
    ready_slot: Vec<Option<(u8, u64)>>,
    external: usize,
    local: FxHashMap<NodeIdx, V>,
    executed: Vec<NodeIdx>,
}

impl<V: Clone> Run<V> {
    /// Plans a run of `outputs` over `graph`, computing every node's cache key first.
    pub fn new(
        registry: &Registry,
        graph: Graph,
        mut cache: Cache<V>,
        outputs: &[NodeIdx],
        fingerprint: &mut dyn FnMut(&GNode) -> Option<String>,
    ) -> Run<V> {
        let n = graph.len();
        let mut keys = Vec::with_capacity(n);
        compute_keys(&graph, registry, &mut keys, 0..n as NodeIdx, fingerprint);
        let live: FxHashSet<Key> = keys.iter().flatten().copied().collect();
        cache.begin_prompt(&live);
        let mut run = Run {
            graph,
            cache,
            keys,
            state: vec![NState::Unadded; n],
            block_count: vec![0; n],
            blocking: vec![Vec::new(); n],
            edges: FxHashSet::default(),
            pending_seq: vec![0; n],
            seq: 0,
            pending: 0,
            ready: BTreeMap::new(),
            ready_slot: vec![None; n],
            external: 0,
            local: FxHashMap::default(),
            executed: Vec::new(),
        };
        for &o in outputs {
            run.add_node(registry, o);
        }
        run
    }

    /// Original nodes whose results are in the cache now (`execution_cached`).
    pub fn cached_nodes(&self) -> Vec<NodeIdx> {
        (0..self.graph.len() as NodeIdx)
            .filter(|&i| !self.graph.node(i).is_ephemeral())
            .filter(|&i| self.keys[i as usize].is_some_and(|k| self.cache.contains(k)))
            .collect()
    }

    /// Ends the run and hands the cache back.
    pub fn finish(mut self) -> Cache<V> {
        self.cache.end_prompt();
        self.cache
    }

    pub fn key(&self, n: NodeIdx) -> Option<Key> {
        self.keys[n as usize]
    }

    /// Nodes completed in this run, in order.
    pub fn executed(&self) -> &[NodeIdx] {
        &self.executed
    }

    /// The result of `n` in this run (completed, cache hit, or a pinned cached source).
    pub fn value(&self, n: NodeIdx) -> Option<&V> {
        self.local.get(&n)
    }

    /// Is the result of `n` available to its consumers?
    pub fn is_available(&mut self, n: NodeIdx) -> bool {
        if self.local.contains_key(&n) {
            return true;
        }
        if let Some(key) = self.keys[n as usize] {
            if let Some(v) = self.cache.get(key) {
                self.local.insert(n, v); // pin it for the rest of the run
                return true;
            }
        }
        false
    }

    pub fn is_pending(&self, n: NodeIdx) -> bool {
        self.state[n as usize] == NState::Pending
    }

    fn add_node(&mut self, registry: &Registry, root: NodeIdx) {
        let mut todo = vec![root];
        let mut fresh = Vec::new();
        let mut links = Vec::new();
        while let Some(n) = todo.pop() {
            if self.state[n as usize] != NState::Unadded {
                continue;
            }
            self.state[n as usize] = NState::Pending;
            self.pending += 1;
            self.seq += 1;
            self.pending_seq[n as usize] = self.seq;
            fresh.push(n);
            let node = self.graph.node(n);
            let schema = registry.get(node.class);
            for (name, input) in &node.inputs {
                if let GInput::Link { src, .. } = input {
                    if schema.is_lazy(name) {
                        continue;
                    }
                    links.push((*src, n));
                }
            }
            for &(src, _) in links.iter().rev().take_while(|&&(_, to)| to == n) {
                if !self.is_available(src) {
                    todo.push(src);
                }
            }
        }
        for (src, to) in links {
            self.add_strong_link(registry, src, to);
        }
        for n in fresh {
            if self.block_count[n as usize] == 0 && self.state[n as usize] == NState::Pending {
                self.insert_ready(registry, n);
            }
        }
    }

    fn add_strong_link(&mut self, registry: &Registry, src: NodeIdx, to: NodeIdx) {
        if self.is_available(src) {
            return;
        }
        if self.state[src as usize] == NState::Unadded {
            self.add_node(registry, src);
        }
        if self.state[src as usize] == NState::Done {
            return;
        }
        if self.edges.insert((src, to)) {
            self.blocking[src as usize].push(to);
            self.inc(to);
        }
    }

    fn inc(&mut self, n: NodeIdx) {
        if self.block_count[n as usize] == 0 {
            if let Some(slot) = self.ready_slot[n as usize].take() {
                self.ready.remove(&slot);
            }
        }
        self.block_count[n as usize] += 1;
    }

    fn dec(&mut self, registry: &Registry, n: NodeIdx) {
        self.block_count[n as usize] -= 1;
        if self.block_count[n as usize] == 0 && self.state[n as usize] == NState::Pending {
            self.insert_ready(registry, n);
        }
    }

    fn is_output(&self, registry: &Registry, n: NodeIdx) -> bool {
        registry.get(self.graph.node(n).class).output_node
    }

    fn insert_ready(&mut self, registry: &Registry, n: NodeIdx) {
        if self.ready_slot[n as usize].is_some() {
            return;
        }
        let rank = if self.is_output(registry, n) {
            0
        } else if self.blocking[n as usize].iter().take(64).any(|&d| self.is_output(registry, d)) {
            1
        } else if self.blocking[n as usize]
            .iter()
            .take(16)
            .any(|&d| self.blocking[d as usize].iter().take(16).any(|&dd| self.is_output(registry, dd)))
        {
            2
        } else {
            3
        };
        let slot = (rank, self.pending_seq[n as usize]);
        self.ready.insert(slot, n);
        self.ready_slot[n as usize] = Some(slot);
    }

    /// Picks the next node to run.
    pub fn next_step(&mut self) -> Step {
        if let Some((_, n)) = self.ready.pop_first() {
            self.ready_slot[n as usize] = None;
            // A pending node whose result is cached (or was pinned from the cache when a
            // consumer was planned) is replayed, never run again.
            if self.local.contains_key(&n) {
                return Step::CacheHit(n);
            }
            if let Some(key) = self.keys[n as usize] {
                if let Some(v) = self.cache.get(key) {
                    self.local.insert(n, v);
                    return Step::CacheHit(n);
                }
            }
            return Step::Execute(n);
        }
        if self.pending == 0 {
            Step::Done
        } else if self.external > 0 {
            Step::Wait
        } else {
            Step::Cycle(self.blame_cycle())
        }
    }

    /// Puts a node that returned without completing back among the pending ones.
    pub fn unstage(&mut self, registry: &Registry, n: NodeIdx) {
        if self.block_count[n as usize] == 0 && self.state[n as usize] == NState::Pending {
            self.insert_ready(registry, n);
        }
    }

    /// Records the result of `n` (also for a cache hit, with the cached value).
    pub fn complete(&mut self, registry: &Registry, n: NodeIdx, value: V, size: u64) {
        if let Some(key) = self.keys[n as usize] {
            let owner = self.keys[self.graph.real_node(n) as usize].unwrap_or(key);
            self.cache.insert(key, value.clone(), size, owner);
        }
        self.local.insert(n, value);
        self.finish_node(registry, n);
    }

    /// Completes a cache hit (its value is already pinned by `next`).
    pub fn complete_cached(&mut self, registry: &Registry, n: NodeIdx) {
        self.finish_node(registry, n);
    }

    fn finish_node(&mut self, registry: &Registry, n: NodeIdx) {
        if self.state[n as usize] == NState::Pending {
            self.pending -= 1;
        }
        self.state[n as usize] = NState::Done;
        self.executed.push(n);
        for d in std::mem::take(&mut self.blocking[n as usize]) {
            self.edges.remove(&(n, d));
            self.dec(registry, d);
        }
        self.cache.poll();
    }

    /// Lazy inputs: make the named inputs of `n` strong links so their sources run first.
    /// Inputs given as constants are already available and are skipped.
    pub fn request_inputs(&mut self, registry: &Registry, n: NodeIdx, names: &[String]) -> Result<(), NodeInputError> {
        for name in names {
            let input = self.graph.node(n).inputs.iter().find(|(k, _)| k == name).map(|(_, i)| i.clone());
            match input {
                Some(GInput::Link { src, .. }) => self.add_strong_link(registry, src, n),
                Some(GInput::Const(_)) => {}
                _ => return Err(NodeInputError { node: self.graph.node(n).id.to_string(), input: name.clone() }),
            }
        }
        Ok(())
    }

    /// An async node is still running: `n` stays pending until `unpark(n)`.
    pub fn park(&mut self, n: NodeIdx) {
        self.external += 1;
        self.inc(n);
    }

    pub fn unpark(&mut self, registry: &Registry, n: NodeIdx) {
        self.external -= 1;
        self.dec(registry, n);
    }

    /// Node expansion: adds `nodes` under `parent`; new output nodes are scheduled, and `parent`
    /// waits for the sources of the links in its `result`.
    pub fn expand(
        &mut self,
        registry: &Registry,
        parent: NodeIdx,
        nodes: Vec<PromptNode>,
        result_links: &[String],
        fingerprint: &mut dyn FnMut(&GNode) -> Option<String>,
    ) -> Result<Vec<NodeIdx>, ExpandError> {
        for id in result_links {
            if self.graph.idx(id).is_none() && !nodes.iter().any(|n| n.id == id) {
                return Err(ExpandError::MissingNode {
                    node: self.graph.node(parent).id.clone(),
                    input: "result".into(),
                    target: id.as_str().into(),
                });
            }
        }
        let new = self.graph.add_ephemeral(registry, parent, nodes)?;
        let sources: Vec<NodeIdx> =
            result_links.iter().map(|id| self.graph.idx(id).expect("checked above")).collect();
        let total = self.graph.len();
        self.state.resize(total, NState::Unadded);
        self.block_count.resize(total, 0);
        self.blocking.resize(total, Vec::new());
        self.pending_seq.resize(total, 0);
        self.ready_slot.resize(total, None);
        compute_keys(&self.graph, registry, &mut self.keys, new.iter().copied(), fingerprint);
        for &n in &new {
            if self.is_output(registry, n) {
                self.add_node(registry, n);
            }
        }
        for src in sources {
            self.add_strong_link(registry, src, parent);
        }
        Ok(new)
    }

    /// ComfyUI's blame for a stuck run: among the nodes left on a cycle, the first whose display
    /// id differs from its id (an expanded node), else the first.
    fn blame_cycle(&self) -> NodeIdx {
        let mut pending: Vec<NodeIdx> =
            (0..self.graph.len() as NodeIdx).filter(|&i| self.state[i as usize] == NState::Pending).collect();
        pending.sort_by_key(|&i| self.pending_seq[i as usize]);
        let mut blocked_by: FxHashMap<NodeIdx, u32> = pending.iter().map(|&i| (i, 0)).collect();
        for &from in &pending {
            for &to in &self.blocking[from as usize] {
                if let Some(c) = blocked_by.get_mut(&to) {
                    *c += 1;
                }
            }
        }
        let mut free: Vec<NodeIdx> = pending.iter().copied().filter(|i| blocked_by[i] == 0).collect();
        let mut removed = FxHashSet::default();
        while let Some(n) = free.pop() {
            removed.insert(n);
            for &to in &self.blocking[n as usize] {
                if let Some(c) = blocked_by.get_mut(&to) {
                    *c -= 1;
                    if *c == 0 {
                        free.push(to);
                    }
                }
            }
        }
        let cycled: Vec<NodeIdx> = pending.into_iter().filter(|i| !removed.contains(i)).collect();
        cycled
            .iter()
            .copied()
            .find(|&i| self.graph.node(i).display_id != self.graph.node(i).id)
            .or_else(|| cycled.first().copied())
            .unwrap_or(0)
    }
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
