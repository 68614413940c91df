#![allow(clippy::type_complexity)]

use super::*;
use crate::cache::Policy;
use crate::prompt::{Input, Prompt};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Shared fixtures and a simple driver
// ---------------------------------------------------------------------------------------------

fn input(name: &str, category: &str, ty: &str) -> Value {
    json!({"name": name, "category": category, "type": ty})
}

fn registry() -> Registry {
    let int = |n: &str| input(n, "required", "INT");
    let lazy = |n: &str| json!({"name": n, "category": "required", "type": "INT", "options": {"lazy": true}});
    Registry::from_values(&[
        json!({"class_type": "Src", "inputs": [int("value")], "return_types": ["INT"]}),
        json!({"class_type": "Add", "inputs": [int("a"), int("b")], "return_types": ["INT"]}),
        json!({"class_type": "Pass", "inputs": [int("v")], "return_types": ["INT"]}),
        json!({"class_type": "Out", "output_node": true,
               "inputs": [int("x"), input("y", "optional", "INT")], "return_types": []}),
        json!({"class_type": "Lazy", "inputs": [input("cond", "required", "BOOLEAN"), lazy("a"), lazy("b")],
               "return_types": ["INT"]}),
        json!({"class_type": "NotIdem", "not_idempotent": true, "inputs": [int("value")], "return_types": ["INT"]}),
        json!({"class_type": "Uid", "hidden_unique_id": true,
               "inputs": [int("value"), input("unique_id", "hidden", "UNIQUE_ID")], "return_types": ["INT"]}),
        json!({"class_type": "Fp", "fingerprint": true, "inputs": [int("value")], "return_types": ["INT"]}),
        json!({"class_type": "Expander", "inputs": [int("x")], "return_types": ["INT"]}),
        json!({"class_type": "OutRet", "output_node": true, "inputs": [int("x")], "return_types": ["INT"]}),
    ])
    .expect("test schemas compile")
}

fn prompt(v: Value) -> Prompt {
    Prompt::from_value(v).expect("prompt is an object")
}

/// Fingerprint for classes that have one: a constant, so they cache like any other node.
fn same_fp(_: &GNode) -> Option<String> {
    Some("same".into())
}

/// Every output node of a graph, in graph order.
fn all_outputs(reg: &Registry, g: &Graph) -> Vec<NodeIdx> {
    (0..g.len() as NodeIdx).filter(|&i| reg.get(g.node(i).class).output_node).collect()
}

/// Plans a run of `p` for `outs` (all output nodes when empty).
fn start(reg: &Registry, p: &Value, cache: Cache<String>, outs: &[&str]) -> Run<String> {
    start_fp(reg, p, cache, outs, &mut same_fp)
}

fn start_fp(
    reg: &Registry,
    p: &Value,
    cache: Cache<String>,
    outs: &[&str],
    fp: &mut dyn FnMut(&GNode) -> Option<String>,
) -> Run<String> {
    let g = Graph::from_prompt(reg, prompt(p.clone()));
    let outs: Vec<NodeIdx> =
        if outs.is_empty() { all_outputs(reg, &g) } else { outs.iter().map(|id| g.idx(id).expect("output id")).collect() };
    Run::new(reg, g, cache, &outs, fp)
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Ev {
    Exec(String),
    Hit(String),
}
use Ev::{Exec, Hit};

fn ex(id: &str) -> Ev {
    Exec(id.into())
}
fn hit(id: &str) -> Ev {
    Hit(id.into())
}

impl Ev {
    fn id(&self) -> &str {
        match self {
            Exec(s) | Hit(s) => s,
        }
    }
}

fn id_of(run: &Run<String>, n: NodeIdx) -> String {
    run.graph.node(n).id.to_string()
}

fn idx(run: &Run<String>, id: &str) -> NodeIdx {
    run.graph.idx(id).unwrap_or_else(|| panic!("no node {id}"))
}

/// The value a node produces in these tests.
fn value_of(id: &str) -> String {
    format!("v:{id}")
}

/// Runs every ready node to completion (Execute → complete, CacheHit → complete_cached).
fn drive(reg: &Registry, run: &mut Run<String>) -> Vec<Ev> {
    let mut evs = Vec::new();
    loop {
        match run.next_step() {
            Step::Execute(n) => {
                let id = id_of(run, n);
                run.complete(reg, n, value_of(&id), 1);
                evs.push(Exec(id));
            }
            Step::CacheHit(n) => {
                let id = id_of(run, n);
                assert!(run.value(n).is_some(), "a cache hit's value is pinned");
                run.complete_cached(reg, n);
                evs.push(Hit(id));
            }
            Step::Done => return evs,
            other => panic!("unexpected {other:?} after {evs:?}"),
        }
    }
}

/// Plans and runs `p`, returning the events and the cache.
fn run_all(reg: &Registry, p: &Value, cache: Cache<String>, outs: &[&str]) -> (Vec<Ev>, Cache<String>) {
    let mut run = start(reg, p, cache, outs);
    let evs = drive(reg, &mut run);
    (evs, run.finish())
}

fn sorted(mut evs: Vec<Ev>) -> Vec<Ev> {
    evs.sort();
    evs
}

fn position(evs: &[Ev], id: &str) -> usize {
    evs.iter().position(|e| e.id() == id).unwrap_or_else(|| panic!("{id} not in {evs:?}"))
}

/// Every completed node (`run.executed()`, cache hits included) completed after all the sources
/// of its non-lazy links, and each completed once.
fn assert_topological(reg: &Registry, run: &Run<String>) {
    let order = run.executed();
    let mut pos = vec![usize::MAX; run.graph.len()];
    for (k, &n) in order.iter().enumerate() {
        assert_eq!(pos[n as usize], usize::MAX, "{} completed twice", id_of(run, n));
        pos[n as usize] = k;
    }
    for (k, &n) in order.iter().enumerate() {
        let node = run.graph.node(n);
        let schema = reg.get(node.class);
        for (name, input) in &node.inputs {
            if let GInput::Link { src, .. } = input {
                if !schema.is_lazy(name) {
                    let src_id = &run.graph.node(*src).id;
                    assert!(pos[*src as usize] < k, "{src_id} must complete before {}", node.id);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Which nodes run, and in what order
// ---------------------------------------------------------------------------------------------

#[test]
fn only_nodes_feeding_the_requested_outputs_run() {
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}},
        "3": {"class_type": "Src", "inputs": {"value": 3}},
        "4": {"class_type": "Pass", "inputs": {"v": ["3", 0]}},
        "5": {"class_type": "Out", "inputs": {"x": ["4", 0]}},
        "6": {"class_type": "Src", "inputs": {"value": 6}},
        "7": {"class_type": "Pass", "inputs": {"v": ["6", 0]}},
    });
    // (requested outputs, expected nodes run)
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["2"], vec!["1", "2"]),
        (vec!["5"], vec!["3", "4", "5"]),
        (vec!["2", "5"], vec!["1", "2", "3", "4", "5"]),
        (vec!["5", "2"], vec!["1", "2", "3", "4", "5"]),
        // A non-output node may be requested too: it runs with its sources only.
        (vec!["7"], vec!["6", "7"]),
    ];
    let reg = registry();
    for (outs, want) in cases {
        let mut run = start(&reg, &p, Cache::new(Policy::Classic), &outs);
        let evs = drive(&reg, &mut run);
        assert_topological(&reg, &run);
        let mut got: Vec<&str> = evs.iter().map(Ev::id).collect();
        got.sort();
        assert_eq!(got, want, "{outs:?}");
        assert!(evs.iter().all(|e| matches!(e, Exec(_))), "{evs:?}");
        assert_eq!(run.executed().len(), want.len());
    }
}

#[test]
fn sources_always_run_before_their_consumers() {
    let cases: Vec<(&str, Value, usize)> = vec![
        (
            "chain",
            json!({"4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
                   "3": {"class_type": "Pass", "inputs": {"v": ["2", 0]}},
                   "2": {"class_type": "Pass", "inputs": {"v": ["1", 0]}},
                   "1": {"class_type": "Src", "inputs": {"value": 1}}}),
            4,
        ),
        (
            "diamond",
            json!({"1": {"class_type": "Src", "inputs": {"value": 1}},
                   "2": {"class_type": "Pass", "inputs": {"v": ["1", 0]}},
                   "3": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": 7}},
                   "4": {"class_type": "Add", "inputs": {"a": ["2", 0], "b": ["3", 0]}},
                   "5": {"class_type": "Out", "inputs": {"x": ["4", 0]}}}),
            5,
        ),
        (
            "one source on two inputs",
            json!({"1": {"class_type": "Src", "inputs": {"value": 1}},
                   "2": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["1", 0]}},
                   "3": {"class_type": "Out", "inputs": {"x": ["2", 0], "y": ["1", 0]}}}),
            3,
        ),
        (
            "undeclared link inputs are dependencies",
            json!({"1": {"class_type": "Src", "inputs": {"value": 1}},
                   "2": {"class_type": "Src", "inputs": {"value": 2}},
                   "3": {"class_type": "Out", "inputs": {"x": ["1", 0], "extra": ["2", 0], "junk": 5}}}),
            3,
        ),
        (
            "two outputs sharing a sub-graph",
            json!({"1": {"class_type": "Src", "inputs": {"value": 1}},
                   "2": {"class_type": "Pass", "inputs": {"v": ["1", 0]}},
                   "3": {"class_type": "Out", "inputs": {"x": ["2", 0]}},
                   "4": {"class_type": "Add", "inputs": {"a": ["2", 0], "b": ["1", 0]}},
                   "5": {"class_type": "Out", "inputs": {"x": ["4", 0], "y": ["2", 0]}}}),
            5,
        ),
    ];
    let reg = registry();
    for (name, p, count) in cases {
        let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
        let evs = drive(&reg, &mut run);
        assert_eq!(evs.len(), count, "{name}: {evs:?}");
        assert_topological(&reg, &run);
    }
}

/// A tiny deterministic generator for random graphs.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
fn random_dags_run_in_topological_order_and_only_what_is_needed() {
    let reg = registry();
    for seed in [1u64, 2, 3, 42, 1234] {
        let mut rng = Lcg(seed);
        let mut map = serde_json::Map::new();
        let mut deps: Vec<Vec<usize>> = Vec::new();
        for i in 0..300usize {
            let node = if i < 20 {
                deps.push(vec![]);
                json!({"class_type": "Src", "inputs": {"value": i}})
            } else {
                let (a, b) = (rng.below(i), rng.below(i));
                deps.push(vec![a, b]);
                json!({"class_type": "Add", "inputs": {"a": [a.to_string(), 0], "b": [b.to_string(), 0]}})
            };
            map.insert(i.to_string(), node);
        }
        let mut outs = Vec::new();
        for k in 0..8 {
            let src = 100 + rng.below(200);
            map.insert(format!("o{k}"), json!({"class_type": "Out", "inputs": {"x": [src.to_string(), 0]}}));
            outs.push(src);
        }
        // Everything the outputs depend on.
        let mut needed = vec![false; 300];
        let mut todo = outs.clone();
        while let Some(n) = todo.pop() {
            if !std::mem::replace(&mut needed[n], true) {
                todo.extend(&deps[n]);
            }
        }
        let mut want: Vec<String> = (0..300).filter(|&i| needed[i]).map(|i| i.to_string()).collect();
        want.extend((0..8).map(|k| format!("o{k}")));
        want.sort();

        let p = Value::Object(map);
        let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
        let evs = drive(&reg, &mut run);
        assert_topological(&reg, &run);
        let mut got: Vec<String> = evs.iter().map(|e| e.id().to_string()).collect();
        got.sort();
        assert_eq!(got, want, "seed {seed}: each needed node exactly once, nothing else");
    }
}

#[test]
fn ready_outputs_are_picked_first() {
    let reg = registry();
    // "9" has only constant inputs: it is ready at once and, being an output, goes first even
    // though it was requested last.
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "2": {"class_type": "Pass", "inputs": {"v": ["1", 0]}},
        "3": {"class_type": "Out", "inputs": {"x": ["2", 0]}},
        "9": {"class_type": "Out", "inputs": {"x": 5}},
    });
    let mut run = start(&reg, &p, Cache::new(Policy::Classic), &["3", "9"]);
    let evs = drive(&reg, &mut run);
    assert_eq!(evs, [ex("9"), ex("1"), ex("2"), ex("3")]);
}

// ---------------------------------------------------------------------------------------------
// Lazy inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn lazy_sources_run_only_when_requested() {
    let reg = registry();
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "2": {"class_type": "Src", "inputs": {"value": 2}},
        "0": {"class_type": "Src", "inputs": {"value": 0}},
        "5": {"class_type": "Pass", "inputs": {"v": ["0", 0]}},
        "3": {"class_type": "Lazy", "inputs": {"cond": true, "a": ["5", 0], "b": ["2", 0]}},
        "4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
    });
    let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
    let (n0, n2, n3, n4, n5) = (idx(&run, "0"), idx(&run, "2"), idx(&run, "3"), idx(&run, "4"), idx(&run, "5"));
    assert!(run.is_pending(n3) && run.is_pending(n4));
    assert!(!run.is_pending(n0) && !run.is_pending(n2) && !run.is_pending(n5), "lazy sources are not scheduled");

    assert_eq!(run.next_step(), Step::Execute(n3));
    // A constant input is already there: nothing to schedule, the node is simply run again.
    assert_eq!(run.request_inputs(&reg, n3, &["cond".to_string()]), Ok(()));
    run.unstage(&reg, n3);
    assert_eq!(run.next_step(), Step::Execute(n3));
    // An input the node does not have.
    assert_eq!(
        run.request_inputs(&reg, n3, &["missing".to_string()]),
        Err(NodeInputError { node: "3".into(), input: "missing".into() })
    );
    // Requesting "a" schedules its whole (non-lazy) upstream before "3" runs again.
    assert_eq!(run.request_inputs(&reg, n3, &["a".to_string()]), Ok(()));
    run.unstage(&reg, n3);
    assert!(run.is_pending(n0) && run.is_pending(n5) && !run.is_pending(n2));
    assert_eq!(run.next_step(), Step::Execute(n0));
    run.complete(&reg, n0, value_of("0"), 1);
    assert_eq!(run.next_step(), Step::Execute(n5));
    run.complete(&reg, n5, value_of("5"), 1);
    assert_eq!(run.next_step(), Step::Execute(n3));
    // Asking again for an input that is now available adds nothing.
    assert_eq!(run.request_inputs(&reg, n3, &["a".to_string()]), Ok(()));
    run.unstage(&reg, n3);
    assert_eq!(run.next_step(), Step::Execute(n3));
    run.complete(&reg, n3, value_of("3"), 1);
    assert_eq!(drive(&reg, &mut run), [ex("4")]);
    let ran: Vec<String> = run.executed().iter().map(|&n| id_of(&run, n)).collect();
    assert_eq!(ran, ["0", "5", "3", "4"], "\"2\" never ran");
}

#[test]
fn request_inputs_table() {
    let reg = registry();
    // "b" links to a node that does not exist (only possible in an unvalidated prompt).
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "3": {"class_type": "Lazy", "inputs": {"cond": true, "a": ["1", 0], "b": ["zz", 0]}},
        "4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
    });
    let err = |input: &str| Err(NodeInputError { node: "3".into(), input: input.into() });
    // (requested names, result, "1" scheduled, "3" runs again at once)
    let cases: Vec<(Vec<&str>, Result<(), NodeInputError>, bool, bool)> = vec![
        (vec![], Ok(()), false, true),
        (vec!["cond"], Ok(()), false, true),
        (vec!["a"], Ok(()), true, false),
        (vec!["cond", "a", "a"], Ok(()), true, false),
        (vec!["nope"], err("nope"), false, true),
        (vec!["b"], err("b"), false, true),
    ];
    for (names, want, scheduled, again) in cases {
        let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
        let (n1, n3) = (idx(&run, "1"), idx(&run, "3"));
        assert_eq!(run.next_step(), Step::Execute(n3));
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        assert_eq!(run.request_inputs(&reg, n3, &names), want, "{names:?}");
        run.unstage(&reg, n3);
        assert_eq!(run.is_pending(n1), scheduled, "{names:?}");
        let next = run.next_step();
        if again {
            assert_eq!(next, Step::Execute(n3), "{names:?}");
        } else {
            assert_eq!(next, Step::Execute(n1), "{names:?}");
            run.complete(&reg, n1, value_of("1"), 1);
            assert_eq!(run.next_step(), Step::Execute(n3), "{names:?}");
        }
    }
}

#[test]
fn lazy_request_of_a_cached_source_does_not_block() {
    let reg = registry();
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}},
        "3": {"class_type": "Lazy", "inputs": {"cond": true, "a": ["1", 0], "b": 4}},
        "4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
    });
    // First prompt: only "2" (so "1" gets cached).
    let (evs, cache) = run_all(&reg, &p, Cache::new(Policy::Classic), &["2"]);
    assert_eq!(evs, [ex("1"), ex("2")]);
    let mut run = start(&reg, &p, cache, &["4"]);
    let (n1, n3) = (idx(&run, "1"), idx(&run, "3"));
    assert_eq!(run.next_step(), Step::Execute(n3));
    run.request_inputs(&reg, n3, &["a".to_string(), "b".to_string()]).unwrap();
    run.unstage(&reg, n3);
    assert!(!run.is_pending(n1));
    assert_eq!(run.value(n1), Some(&value_of("1")), "the cached source is pinned");
    assert_eq!(run.next_step(), Step::Execute(n3));
    run.complete(&reg, n3, value_of("3"), 1);
    assert_eq!(drive(&reg, &mut run), [ex("4")]);
}

// ---------------------------------------------------------------------------------------------
// Caching
// ---------------------------------------------------------------------------------------------

fn cache_prompt(src_value: i64) -> Value {
    json!({
        "1": {"class_type": "Src", "inputs": {"value": src_value}},
        "2": {"class_type": "Src", "inputs": {"value": 4}},
        "3": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["2", 0]}},
        "4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
        "5": {"class_type": "Src", "inputs": {"value": 5}},
        "6": {"class_type": "Out", "inputs": {"x": ["5", 0]}},
        "7": {"class_type": "Out", "inputs": {"x": ["2", 0], "y": 1}},
    })
}

#[test]
fn a_second_identical_prompt_only_replays_outputs() {
    let reg = registry();
    let p = cache_prompt(1);
    let (first, cache) = run_all(&reg, &p, Cache::new(Policy::Classic), &[]);
    assert_eq!(first.len(), 7);
    assert!(first.iter().all(|e| matches!(e, Exec(_))));

    let mut run = start(&reg, &p, cache, &[]);
    let mut cached: Vec<String> = run.cached_nodes().into_iter().map(|n| id_of(&run, n)).collect();
    cached.sort();
    assert_eq!(cached, ["1", "2", "3", "4", "5", "6", "7"]);
    for id in ["1", "2", "3", "5"] {
        assert!(!run.is_pending(idx(&run, id)), "{id} is not scheduled");
    }
    let evs = drive(&reg, &mut run);
    assert_eq!(sorted(evs), [hit("4"), hit("6"), hit("7")]);
    for id in ["4", "6", "7"] {
        assert_eq!(run.value(idx(&run, id)), Some(&value_of(id)), "replays the first run's value");
    }
}

/// ComfyUI adds every output node (even a cached one, which then replays as a cache hit) and
/// links a consumer to a cached source only through the cache. An output node that also feeds
/// another node must therefore be a cache hit in a fully cached run, not run again.
#[test]
fn an_output_feeding_another_node_is_a_cache_hit() {
    let reg = registry();
    let cases = vec![
        json!({"1": {"class_type": "Src", "inputs": {"value": 1}},
               "2": {"class_type": "OutRet", "inputs": {"x": ["1", 0]}},
               "3": {"class_type": "Out", "inputs": {"x": ["2", 0]}}}),
        json!({"3": {"class_type": "Out", "inputs": {"x": ["2", 0]}},
               "2": {"class_type": "OutRet", "inputs": {"x": ["1", 0]}},
               "1": {"class_type": "Src", "inputs": {"value": 1}}}),
    ];
    for p in cases {
        let (first, cache) = run_all(&reg, &p, Cache::new(Policy::Classic), &[]);
        assert_eq!(sorted(first), [ex("1"), ex("2"), ex("3")]);
        let (second, _) = run_all(&reg, &p, cache, &[]);
        assert_eq!(sorted(second), [hit("2"), hit("3")], "{p}");
    }
}

#[test]
fn a_changed_constant_invalidates_only_downstream() {
    let reg = registry();
    let (_, cache) = run_all(&reg, &cache_prompt(1), Cache::new(Policy::Classic), &[]);
    let (evs, _) = run_all(&reg, &cache_prompt(10), cache, &[]);
    assert_eq!(sorted(evs), [ex("1"), ex("3"), ex("4"), hit("6"), hit("7")]);
}

#[test]
fn identical_sub_graphs_share_results_within_a_run() {
    let reg = registry();
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 5}},
        "2": {"class_type": "Pass", "inputs": {"v": ["1", 0]}},
        "3": {"class_type": "Out", "inputs": {"x": ["2", 0]}},
        "11": {"class_type": "Src", "inputs": {"value": 5}},
        "12": {"class_type": "Pass", "inputs": {"v": ["11", 0]}},
        "13": {"class_type": "Out", "inputs": {"x": ["12", 0]}},
    });
    let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
    for (a, b) in [("1", "11"), ("2", "12"), ("3", "13")] {
        assert_eq!(run.key(idx(&run, a)), run.key(idx(&run, b)), "{a} ~ {b}");
    }
    let evs = drive(&reg, &mut run);
    assert_topological(&reg, &run);
    let execs = evs.iter().filter(|e| matches!(e, Exec(_))).count();
    let hits = evs.iter().filter(|e| matches!(e, Hit(_))).count();
    assert_eq!((execs, hits), (3, 3), "{evs:?}");
    // Each pair ran once and was replayed once, the replay after the real run.
    for (a, b) in [("1", "11"), ("2", "12"), ("3", "13")] {
        let (pa, pb) = (position(&evs, a), position(&evs, b));
        let (first, second) = if pa < pb { (&evs[pa], &evs[pb]) } else { (&evs[pb], &evs[pa]) };
        assert!(matches!(first, Exec(_)) && matches!(second, Hit(_)), "{evs:?}");
    }
}

#[test]
fn key_equality_table() {
    let reg = registry();
    // (class, inputs of "a", inputs of "b", keys equal)
    let cases: Vec<(&str, Value, Value, bool)> = vec![
        ("Src", json!({"value": 5}), json!({"value": 5}), true),
        ("Src", json!({"value": 5}), json!({"value": 6}), false),
        ("Src", json!({"value": 1}), json!({"value": 1.0}), true),
        ("Src", json!({"value": 5, "extra": "x"}), json!({"extra": "x", "value": 5}), true),
        ("NotIdem", json!({"value": 5}), json!({"value": 5}), false),
        ("Uid", json!({"value": 5}), json!({"value": 5}), false),
        ("Fp", json!({"value": 5}), json!({"value": 5}), true),
    ];
    for (class, a, b, equal) in cases {
        let p = json!({"a": {"class_type": class, "inputs": a}, "b": {"class_type": class, "inputs": b}});
        let run = start(&reg, &p, Cache::new(Policy::Classic), &["a", "b"]);
        let (ka, kb) = (run.key(idx(&run, "a")), run.key(idx(&run, "b")));
        assert!(ka.is_some() && kb.is_some());
        assert_eq!(ka == kb, equal, "{class} {a} vs {b}");
    }
}

#[test]
fn node_id_in_the_key_prevents_sharing_but_not_caching() {
    let reg = registry();
    for class in ["NotIdem", "Uid"] {
        let p = json!({
            "1": {"class_type": class, "inputs": {"value": 5}},
            "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}},
            "11": {"class_type": class, "inputs": {"value": 5}},
            "12": {"class_type": "Out", "inputs": {"x": ["11", 0]}},
        });
        let (evs, cache) = run_all(&reg, &p, Cache::new(Policy::Classic), &[]);
        assert_eq!(sorted(evs), [ex("1"), ex("11"), ex("12"), ex("2")], "{class}: both copies run");
        // The id is stable across prompts, so the next identical prompt is fully cached.
        let (evs, _) = run_all(&reg, &p, cache, &[]);
        assert_eq!(sorted(evs), [hit("12"), hit("2")], "{class}");
    }
}

#[test]
fn fingerprints_decide_reruns() {
    let reg = registry();
    let p = json!({
        "1": {"class_type": "Fp", "inputs": {"value": 1}},
        "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}},
        "3": {"class_type": "Src", "inputs": {"value": 3}},
        "4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
    });
    // (fingerprint of the first run, of the second run, events of the second run)
    let cases: Vec<(Option<&str>, Option<&str>, Vec<Ev>)> = vec![
        (Some("a"), Some("a"), vec![hit("2"), hit("4")]),
        (Some("a"), Some("b"), vec![ex("1"), ex("2"), hit("4")]),
        (None, None, vec![ex("1"), ex("2"), hit("4")]),
        (Some("a"), None, vec![ex("1"), ex("2"), hit("4")]),
    ];
    for (fp1, fp2, want) in cases {
        let mut calls = Vec::new();
        let mut run = start_fp(&reg, &p, Cache::new(Policy::Classic), &[], &mut |n: &GNode| {
            calls.push(n.id.clone());
            fp1.map(str::to_string)
        });
        drive(&reg, &mut run);
        assert_eq!(calls, ["1"], "asked only for classes with a fingerprint, once");
        let cache = run.finish();
        let mut run = start_fp(&reg, &p, cache, &[], &mut |_: &GNode| fp2.map(str::to_string));
        let evs = drive(&reg, &mut run);
        assert_eq!(sorted(evs), want, "{fp1:?} -> {fp2:?}");
    }
    // A None fingerprint ("never equal") also keeps identical copies apart within a run.
    let twins = json!({"1": {"class_type": "Fp", "inputs": {"value": 1}},
                       "2": {"class_type": "Fp", "inputs": {"value": 1}}});
    let run = start_fp(&reg, &twins, Cache::new(Policy::Classic), &["1", "2"], &mut |_: &GNode| None);
    assert_ne!(run.key(idx(&run, "1")), run.key(idx(&run, "2")));
}

#[test]
fn policy_none_reruns_everything() {
    let reg = registry();
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 5}},
        "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}},
        "11": {"class_type": "Src", "inputs": {"value": 5}},
        "12": {"class_type": "Out", "inputs": {"x": ["11", 0]}},
    });
    let all = vec![ex("1"), ex("11"), ex("12"), ex("2")];
    let (evs, cache) = run_all(&reg, &p, Cache::new(Policy::None), &[]);
    assert_eq!(sorted(evs), all, "not even identical copies share");
    let mut run = start(&reg, &p, cache, &[]);
    assert!(run.cached_nodes().is_empty());
    assert_eq!(sorted(drive(&reg, &mut run)), all);
}

#[test]
fn classic_cache_keeps_only_the_last_prompt() {
    let reg = registry();
    let a = json!({"1": {"class_type": "Src", "inputs": {"value": 1}}, "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}}});
    let b = json!({"1": {"class_type": "Src", "inputs": {"value": 2}}, "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}}});
    let (_, cache) = run_all(&reg, &a, Cache::new(Policy::Classic), &[]);
    let (evs, cache) = run_all(&reg, &b, cache, &[]);
    assert_eq!(evs, [ex("1"), ex("2")]);
    let (evs, _) = run_all(&reg, &a, cache, &[]);
    assert_eq!(evs, [ex("1"), ex("2")], "A -> B -> A runs A again");
}

// ---------------------------------------------------------------------------------------------
// Async nodes: park / unpark
// ---------------------------------------------------------------------------------------------

#[test]
fn parked_nodes_make_the_run_wait() {
    let reg = registry();
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "2": {"class_type": "Out", "inputs": {"x": ["1", 0]}},
        "3": {"class_type": "Src", "inputs": {"value": 3}},
        "4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
    });
    let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
    let (n1, n2, n3, n4) = (idx(&run, "1"), idx(&run, "2"), idx(&run, "3"), idx(&run, "4"));
    assert_eq!(run.next_step(), Step::Execute(n1));
    run.park(n1);
    run.unstage(&reg, n1); // the driver's PENDING path: a parked node stays off the ready set
    // Other work goes on meanwhile.
    assert_eq!(run.next_step(), Step::Execute(n3));
    run.park(n3);
    assert_eq!(run.next_step(), Step::Wait);
    assert_eq!(run.next_step(), Step::Wait, "still waiting");
    run.unpark(&reg, n3);
    assert_eq!(run.next_step(), Step::Execute(n3), "resumed");
    run.complete(&reg, n3, value_of("3"), 1);
    assert_eq!(run.next_step(), Step::Execute(n4));
    run.complete(&reg, n4, value_of("4"), 1);
    // Only the parked "1" and its consumer are left.
    assert_eq!(run.next_step(), Step::Wait);
    assert!(run.is_pending(n1) && run.is_pending(n2));
    run.unpark(&reg, n1);
    assert_eq!(drive(&reg, &mut run), [ex("1"), ex("2")]);
}

// ---------------------------------------------------------------------------------------------
// Node expansion
// ---------------------------------------------------------------------------------------------

fn pnode(id: &str, v: Value) -> PromptNode {
    PromptNode::from_value(id.into(), v)
}

fn expand_prompt() -> Value {
    json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "2": {"class_type": "Expander", "inputs": {"x": ["1", 0]}},
        "3": {"class_type": "Out", "inputs": {"x": ["2", 0]}},
    })
}

/// Runs "1" and starts "2" (the expander); returns the run with "2" executing.
fn run_to_expander(reg: &Registry, p: &Value, cache: Cache<String>) -> (Run<String>, NodeIdx) {
    let mut run = start(reg, p, cache, &[]);
    let (n1, n2) = (idx(&run, "1"), idx(&run, "2"));
    assert_eq!(run.next_step(), Step::Execute(n1));
    run.complete(reg, n1, value_of("1"), 1);
    assert_eq!(run.next_step(), Step::Execute(n2));
    (run, n2)
}

#[test]
fn expansion_schedules_outputs_and_reruns_the_parent() {
    let reg = registry();
    let p = expand_prompt();
    let (mut run, n2) = run_to_expander(&reg, &p, Cache::new(Policy::Classic));
    let new = run
        .expand(
            &reg,
            n2,
            vec![
                pnode("e1", json!({"class_type": "Src", "inputs": {"value": 7}})),
                pnode("e2", json!({"class_type": "Add", "inputs": {"a": ["e1", 0], "b": ["1", 0]},
                                   "override_display_id": "77"})),
                pnode("eo", json!({"class_type": "Out", "inputs": {"x": ["e1", 0]}})),
                pnode("ex", json!({"class_type": "Src", "inputs": {"value": 99}})),
            ],
            &["e2".to_string()],
            &mut same_fp,
        )
        .expect("expansion");
    assert_eq!(new.len(), 4);
    run.unstage(&reg, n2);
    let g = &run.graph;
    for (id, display) in [("e1", "2"), ("e2", "77"), ("eo", "2"), ("ex", "2")] {
        let n = g.idx(id).unwrap();
        assert_eq!(g.node(n).display_id, display, "{id}");
        assert_eq!(g.node(n).parent, Some(n2), "{id}");
        assert_eq!(g.real_node(n), n2, "{id}");
        assert!(run.key(n).is_some(), "{id} has a key");
    }
    let evs = drive(&reg, &mut run);
    assert_topological(&reg, &run);
    assert!(!evs.contains(&ex("ex")), "an unlinked, non-output ephemeral node never runs: {evs:?}");
    assert_eq!(sorted(evs.clone()), [ex("2"), ex("3"), ex("e1"), ex("e2"), ex("eo")]);
    assert!(position(&evs, "e2") < position(&evs, "2"), "the parent waits for its result links");
    let ran: Vec<String> = run.executed().iter().map(|&n| id_of(&run, n)).collect();
    assert_eq!(ran.first().map(String::as_str), Some("1"));

    // Next prompt: fully cached, the expansion does not run again.
    let cache = run.finish();
    let (evs, _) = run_all(&reg, &p, cache, &[]);
    assert_eq!(evs, [hit("3")]);
}

#[test]
fn expansion_linking_only_finished_nodes_lets_the_parent_resume_at_once() {
    let reg = registry();
    let (mut run, n2) = run_to_expander(&reg, &expand_prompt(), Cache::new(Policy::Classic));
    run.expand(&reg, n2, vec![], &["1".to_string()], &mut same_fp).expect("expansion");
    run.unstage(&reg, n2);
    assert_eq!(run.next_step(), Step::Execute(n2));
    run.complete(&reg, n2, value_of("2"), 1);
    assert_eq!(drive(&reg, &mut run), [ex("3")]);
}

#[test]
fn expansion_errors() {
    let reg = registry();
    let src = |v: i64| json!({"class_type": "Src", "inputs": {"value": v}});
    // (new nodes, result links, expected error, its message)
    let cases: Vec<(Vec<PromptNode>, Vec<&str>, ExpandError, &str)> = vec![
        (
            vec![pnode("1", src(1))],
            vec![],
            ExpandError::Duplicate("1".into()),
            "Attempt to add duplicate node 1. Ensure node ids are unique and deterministic or use graph_utils.GraphBuilder.",
        ),
        (
            vec![pnode("e1", src(1)), pnode("e1", src(2))],
            vec![],
            ExpandError::Duplicate("e1".into()),
            "Attempt to add duplicate node e1. Ensure node ids are unique and deterministic or use graph_utils.GraphBuilder.",
        ),
        (
            vec![pnode("e1", json!({"class_type": "Nope", "inputs": {}}))],
            vec![],
            ExpandError::UnknownClass { node: "e1".into(), class_type: Some("Nope".into()) },
            "Node e1 of the expanded graph has unknown class_type Nope",
        ),
        (
            vec![pnode("e1", json!({"inputs": {}}))],
            vec![],
            ExpandError::UnknownClass { node: "e1".into(), class_type: None },
            "Node e1 of the expanded graph has no class_type",
        ),
        (
            vec![pnode("e1", json!({"class_type": "Pass", "inputs": {"v": ["zz", 0]}}))],
            vec![],
            ExpandError::MissingNode { node: "e1".into(), input: "v".into(), target: "zz".into() },
            "Input v of node e1 links to node zz, which does not exist",
        ),
    ];
    for (nodes, links, want, message) in cases {
        let (mut run, n2) = run_to_expander(&reg, &expand_prompt(), Cache::new(Policy::Classic));
        let before = run.graph.len();
        let links: Vec<String> = links.iter().map(|s| s.to_string()).collect();
        let got = run.expand(&reg, n2, nodes, &links, &mut same_fp);
        assert_eq!(got.as_ref().err(), Some(&want));
        assert_eq!(want.to_string(), message);
        assert_eq!(run.graph.len(), before, "{want:?}: nothing was added");
    }
}

#[test]
fn expansion_with_a_missing_result_link_is_an_error() {
    let reg = registry();
    let (mut run, n2) = run_to_expander(&reg, &expand_prompt(), Cache::new(Policy::Classic));
    let got = run.expand(
        &reg,
        n2,
        vec![pnode("e1", json!({"class_type": "Src", "inputs": {"value": 1}}))],
        &["zz".to_string()],
        &mut same_fp,
    );
    assert_eq!(got, Err(ExpandError::MissingNode { node: "2".into(), input: "result".into(), target: "zz".into() }));
}

/// A failed expansion should leave the run as it was, like the other expansion errors do.
#[test]
fn failed_result_link_leaves_the_run_unchanged() {
    let reg = registry();
    let (mut run, n2) = run_to_expander(&reg, &expand_prompt(), Cache::new(Policy::Classic));
    let before = run.graph.len();
    let got = run.expand(
        &reg,
        n2,
        vec![pnode("e1", json!({"class_type": "Src", "inputs": {"value": 1}}))],
        &["zz".to_string()],
        &mut same_fp,
    );
    assert!(got.is_err());
    if let Some(e1) = run.graph.idx("e1") {
        // What the bindings' `is_available("e1")` / `output_of("e1")` do: panics today.
        let _ = run.is_available(e1);
    }
    assert_eq!(run.graph.len(), before, "the graph must not keep the rejected nodes");
}

// ---------------------------------------------------------------------------------------------
// Cycles
// ---------------------------------------------------------------------------------------------

#[test]
fn dynamic_cycles_blame_the_expanded_node() {
    let reg = registry();
    let p = json!({
        "1": {"class_type": "Src", "inputs": {"value": 1}},
        "2": {"class_type": "Expander", "inputs": {"x": ["1", 0]}},
        "3": {"class_type": "Pass", "inputs": {"v": ["2", 0]}},
        "4": {"class_type": "Out", "inputs": {"x": ["3", 0]}},
    });
    // (expansion, blamed node id, its display id)
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("links back to the parent", json!({"class_type": "Pass", "inputs": {"v": ["2", 0]}}), "e1", "2"),
        ("links to the parent's consumer", json!({"class_type": "Pass", "inputs": {"v": ["3", 0]}}), "e1", "2"),
        (
            "own display id: the first cycled node in pending order",
            json!({"class_type": "Pass", "inputs": {"v": ["2", 0]}, "override_display_id": "e1"}),
            "4",
            "4",
        ),
    ];
    for (name, e1, blamed, display) in cases {
        let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
        let (n1, n2) = (idx(&run, "1"), idx(&run, "2"));
        assert_eq!(run.next_step(), Step::Execute(n1), "{name}");
        run.complete(&reg, n1, value_of("1"), 1);
        assert_eq!(run.next_step(), Step::Execute(n2), "{name}");
        run.expand(&reg, n2, vec![pnode("e1", e1)], &["e1".to_string()], &mut same_fp).expect("expansion");
        run.unstage(&reg, n2);
        match run.next_step() {
            Step::Cycle(n) => {
                assert_eq!(run.graph.node(n).id, blamed, "{name}");
                assert_eq!(run.graph.node(n).display_id, display, "{name}");
            }
            other => panic!("{name}: expected a cycle, got {other:?}"),
        }
    }
}

#[test]
fn a_static_cycle_in_an_unvalidated_graph_is_reported() {
    let reg = registry();
    let p = json!({
        "3": {"class_type": "Out", "inputs": {"x": ["1", 0]}},
        "1": {"class_type": "Add", "inputs": {"a": ["2", 0], "b": 1}},
        "2": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": 2}},
    });
    let mut run = start(&reg, &p, Cache::new(Policy::Classic), &[]);
    assert_ne!(run.key(idx(&run, "1")), run.key(idx(&run, "2")), "nodes on a cycle get unique keys");
    match run.next_step() {
        // ComfyUI blames the first pending node when none is an expanded one.
        Step::Cycle(n) => assert_eq!(id_of(&run, n), "3"),
        other => panic!("expected a cycle, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Scale: no recursion, near-linear planning
// ---------------------------------------------------------------------------------------------

fn pn(id: String, class: &str, inputs: Vec<(String, Input)>) -> PromptNode {
    let inputs = inputs.into_iter().map(|(k, v)| (k.into(), v)).collect();
    PromptNode { id: id.into(), class_type: Some(class.into()), inputs, override_display_id: None }
}

fn link(id: impl Into<String>) -> Input {
    Input::Link { node: id.into().into(), slot: 0 }
}

fn build(nodes: Vec<PromptNode>) -> Prompt {
    let mut p = Prompt::default();
    for n in nodes {
        p.nodes.insert(n.id.clone(), n);
    }
    p
}

/// Plans and runs a prompt given as nodes, on a thread with a 256 KiB stack; returns the events
/// of the first run and of a second, cached one.
fn run_big(p: Prompt) -> (Vec<Ev>, Vec<Ev>) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let reg = registry();
            let outs = |g: &Graph| all_outputs(&reg, g);
            let g = Graph::from_prompt(&reg, p.clone());
            let o = outs(&g);
            let mut run = Run::new(&reg, g, Cache::new(Policy::Classic), &o, &mut same_fp);
            let first = drive(&reg, &mut run);
            let g = Graph::from_prompt(&reg, p.clone());
            let mut run = Run::new(&reg, g, run.finish(), &o, &mut same_fp);
            let second = drive(&reg, &mut run);
            (first, second)
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

#[test]
fn ten_thousand_consumers_of_one_source() {
    let mut nodes = vec![pn("src".into(), "Src", vec![("value".into(), Input::Const(json!(1)))])];
    for i in 0..10_000 {
        nodes.push(pn(format!("o{i}"), "Out", vec![("x".into(), link("src")), ("y".into(), Input::Const(json!(i)))]));
    }
    let (first, second) = run_big(build(nodes));
    assert_eq!(first.len(), 10_001);
    assert_eq!(first[0], ex("src"));
    assert!(first.iter().all(|e| matches!(e, Exec(_))));
    assert_eq!(second.len(), 10_000);
    assert!(second.iter().all(|e| matches!(e, Hit(_))));
}

#[test]
fn ten_thousand_sources_of_one_consumer() {
    let mut nodes = Vec::new();
    let mut inputs = vec![("x".to_string(), link("s0"))];
    for i in 0..10_000 {
        nodes.push(pn(format!("s{i}"), "Src", vec![("value".into(), Input::Const(json!(i)))]));
        if i > 0 {
            inputs.push((format!("in{i}"), link(format!("s{i}"))));
        }
    }
    nodes.push(pn("out".into(), "Out", inputs));
    let (first, second) = run_big(build(nodes));
    assert_eq!(first.len(), 10_001);
    assert_eq!(first.last(), Some(&ex("out")));
    assert_eq!(second, [hit("out")]);
}

#[test]
fn a_100k_deep_chain() {
    const N: usize = 100_000;
    let mut nodes = vec![pn("0".into(), "Src", vec![("value".into(), Input::Const(json!(1)))])];
    for i in 1..N {
        nodes.push(pn(i.to_string(), "Pass", vec![("v".into(), link((i - 1).to_string()))]));
    }
    nodes.push(pn("out".into(), "Out", vec![("x".into(), link((N - 1).to_string()))]));
    let (first, second) = run_big(build(nodes));
    assert_eq!(first.len(), N + 1);
    for (k, e) in first.iter().take(N).enumerate() {
        assert_eq!(e, &Exec(k.to_string()));
    }
    assert_eq!(first[N], ex("out"));
    assert_eq!(second, [hit("out")]);
}
