#![allow(clippy::type_complexity)]

use super::*;
use crate::prompt::{Prompt, PromptNode};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Shared fixtures
// ---------------------------------------------------------------------------------------------

fn input(name: &str, category: &str, ty: Value) -> Value {
    json!({"name": name, "category": category, "type": ty})
}

fn input_opts(name: &str, category: &str, ty: Value, options: Value) -> Value {
    json!({"name": name, "category": category, "type": ty, "options": options})
}

fn schemas() -> Vec<Value> {
    let big: Vec<String> = (0..25).map(|i| format!("c{i}")).collect();
    vec![
        json!({"class_type": "IntConst", "return_types": ["INT"],
               "inputs": [input_opts("value", "required", json!("INT"), json!({"min": 10, "max": 100}))]}),
        json!({"class_type": "FloatConst", "return_types": ["FLOAT"],
               "inputs": [input_opts("value", "required", json!("FLOAT"), json!({"min": 1.5, "max": 2.5}))]}),
        json!({"class_type": "PassF", "return_types": ["FLOAT"],
               "inputs": [input("v", "required", json!("FLOAT"))]}),
        json!({"class_type": "Sink", "output_node": true,
               "inputs": [input("x", "required", json!("FLOAT")), input("y", "optional", json!("INT"))]}),
        json!({"class_type": "IntSink", "output_node": true,
               "inputs": [input_opts("value", "required", json!("INT"), json!({"min": 10, "max": 100}))]}),
        json!({"class_type": "FloatSink", "output_node": true,
               "inputs": [input_opts("value", "required", json!("FLOAT"), json!({"min": 1.5, "max": 2.5}))]}),
        json!({"class_type": "Combo", "output_node": true,
               "inputs": [input("choice", "required", json!(["a", "b", "c"]))]}),
        json!({"class_type": "NumCombo", "output_node": true,
               "inputs": [input("choice", "required", json!([1, 2, 3]))]}),
        json!({"class_type": "PathCombo", "output_node": true,
               "inputs": [input_opts("choice", "required", json!("COMBO"),
                                     json!({"options": ["dir/file.png", "x\\y.png"]}))]}),
        json!({"class_type": "BigCombo", "output_node": true,
               "inputs": [input_opts("choice", "required", json!("COMBO"), json!({"options": big}))]}),
        json!({"class_type": "Coerce", "output_node": true,
               "inputs": [input("i", "optional", json!("INT")), input("f", "optional", json!("FLOAT")),
                          input("s", "optional", json!("STRING")), input("b", "optional", json!("BOOLEAN")),
                          input("u", "optional", json!("IMAGE,FLOAT")), input("any", "optional", json!("*"))]}),
        json!({"class_type": "Custom", "output_node": true,
               "inputs": [input_opts("a", "required", json!("INT"), json!({"min": 0, "max": 1})),
                          input_opts("b", "required", json!("INT"), json!({"min": 0, "max": 1})),
                          input("l", "optional", json!("FLOAT"))],
               "validate": {"params": ["a"], "kwargs": false, "input_types": false}}),
        json!({"class_type": "CustomKw", "output_node": true,
               "inputs": [input("a", "required", json!("INT"))],
               "validate": {"params": [], "kwargs": true, "input_types": false}}),
        json!({"class_type": "CustomTypes", "output_node": true,
               "inputs": [input("x", "required", json!("FLOAT"))],
               "validate": {"params": ["input_types"], "kwargs": false, "input_types": true}}),
        json!({"class_type": "CustomNone", "output_node": true,
               "inputs": [input("x", "required", json!("FLOAT"))],
               "validate": {"params": [], "kwargs": false, "input_types": false}}),
        json!({"class_type": "CustomInner", "return_types": ["FLOAT"],
               "inputs": [input("v", "required", json!("FLOAT"))],
               "validate": {"params": ["v"], "kwargs": false, "input_types": false}}),
        json!({"class_type": "Hidden", "output_node": true,
               "inputs": [input("x", "required", json!("FLOAT")),
                          input_opts("h", "hidden", json!("INT"), json!({"min": 0, "max": 1}))]}),
    ]
}

fn registry() -> Registry {
    Registry::from_values(&schemas()).expect("test schemas compile")
}

fn pass(_: &CustomRequest) -> CustomOutcome {
    CustomOutcome::Errors(vec![])
}

/// Validates `prompt` (all outputs) with a custom validation that always passes.
fn check(prompt: Value) -> (Validation, Prompt) {
    check_targets(prompt, None)
}

fn check_targets(prompt: Value, targets: Option<&[String]>) -> (Validation, Prompt) {
    let reg = registry();
    let mut p = Prompt::from_value(prompt).expect("prompt is an object");
    let v = validate(&reg, &mut p, targets, &mut pass);
    (v, p)
}

fn check_with(prompt: Value, custom: &mut dyn FnMut(&CustomRequest) -> CustomOutcome) -> Validation {
    let reg = registry();
    let mut p = Prompt::from_value(prompt).expect("prompt is an object");
    validate(&reg, &mut p, None, custom)
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The value of input `name` of node `id` after validation.
fn input_after(p: &Prompt, id: &str, name: &str) -> Input {
    p.get(id).unwrap().input(name).cloned().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Prompt-level errors
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_prompt_errors() {
    let cases = vec![
        (
            "missing class_type",
            json!({"1": {"inputs": {}}}),
            json!({"type": "invalid_prompt",
                   "message": "Cannot execute because a node is missing the class_type property.",
                   "details": "Node ID '#1'", "extra_info": {}}),
        ),
        (
            "unknown class",
            json!({"1": {"class_type": "Sink", "inputs": {"x": 2.0}}, "7": {"class_type": "Nope", "inputs": {}}}),
            json!({"type": "invalid_prompt", "message": "Cannot execute because node Nope does not exist.",
                   "details": "Node ID '#7'", "extra_info": {}}),
        ),
        (
            "first offending node in prompt order wins",
            json!({"5": {"class_type": "Nope", "inputs": {}}, "1": {"inputs": {}}}),
            json!({"type": "invalid_prompt", "message": "Cannot execute because node Nope does not exist.",
                   "details": "Node ID '#5'", "extra_info": {}}),
        ),
        (
            "unreachable nodes are checked too",
            json!({"1": {"class_type": "Sink", "inputs": {"x": 2.0}}, "2": {"inputs": {}}}),
            json!({"type": "invalid_prompt",
                   "message": "Cannot execute because a node is missing the class_type property.",
                   "details": "Node ID '#2'", "extra_info": {}}),
        ),
        (
            "class check comes before the output check",
            json!({"1": {"class_type": "IntConst", "inputs": {"value": 20}}, "2": {"class_type": "Nope"}}),
            json!({"type": "invalid_prompt", "message": "Cannot execute because node Nope does not exist.",
                   "details": "Node ID '#2'", "extra_info": {}}),
        ),
    ];
    for (name, prompt, want) in cases {
        let (v, _) = check(prompt);
        assert!(!v.valid, "{name}");
        assert_eq!(v.error.as_ref(), Some(&want), "{name}");
        assert!(v.node_errors.is_empty(), "{name}");
        assert!(v.good_outputs.is_empty(), "{name}");
    }
}

/// ComfyUI reads `prompt[x]['class_type']` as is, so a non-string class type is an unknown
/// class ("node 5 does not exist"), not a missing one.
#[test]
fn non_string_class_type_is_an_unknown_class() {
    let (v, _) = check(json!({"1": {"class_type": 5, "inputs": {}}}));
    assert_eq!(
        v.error,
        Some(json!({"type": "invalid_prompt", "message": "Cannot execute because node 5 does not exist.",
                    "details": "Node ID '#1'", "extra_info": {}}))
    );
}

#[test]
fn prompt_no_outputs() {
    let prompt = json!({
        "1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
        "2": {"class_type": "FloatConst", "inputs": {"value": 2.0}},
    });
    let want = json!({"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}});
    let no_outputs = json!({"2": {"class_type": "FloatConst", "inputs": {"value": 2.0}}});
    let cases: Vec<(&str, Value, Option<Vec<String>>)> = vec![
        ("no output node at all", no_outputs.clone(), None),
        ("no output node, with targets", no_outputs, Some(strings(&["2"]))),
        ("empty targets", prompt.clone(), Some(vec![])),
        ("target is not an output node", prompt.clone(), Some(strings(&["2"]))),
        ("target does not exist", prompt.clone(), Some(strings(&["99"]))),
        ("empty prompt", json!({}), None),
    ];
    for (name, p, targets) in cases {
        let (v, _) = check_targets(p, targets.as_deref());
        assert!(!v.valid, "{name}");
        assert_eq!(v.error.as_ref(), Some(&want), "{name}");
        assert!(v.node_errors.is_empty() && v.good_outputs.is_empty(), "{name}");
    }
}

#[test]
fn partial_targets_restrict_the_outputs() {
    let prompt = json!({
        "1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
        "2": {"class_type": "FloatConst", "inputs": {"value": 9.0}},
        "3": {"class_type": "Sink", "inputs": {"x": 2.0}},
        "4": {"class_type": "IntSink", "inputs": {"value": 50}},
    });
    // (targets, valid, good outputs, nodes with errors)
    let cases: Vec<(Vec<String>, bool, Vec<String>, Vec<&str>)> = vec![
        (strings(&["3"]), true, strings(&["3"]), vec![]),
        (strings(&["4", "3"]), true, strings(&["3", "4"]), vec![]),
        (strings(&["1"]), false, vec![], vec!["2"]),
        (strings(&["1", "3"]), true, strings(&["3"]), vec!["2"]),
        (strings(&["3", "nope"]), true, strings(&["3"]), vec![]),
    ];
    for (targets, valid, good, errs) in cases {
        let (v, _) = check_targets(prompt.clone(), Some(&targets));
        assert_eq!(v.valid, valid, "{targets:?}");
        assert_eq!(v.good_outputs, good, "{targets:?}");
        let keys: Vec<&str> = v.node_errors.keys().map(String::as_str).collect();
        assert_eq!(keys, errs, "{targets:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Per-node errors, one table with the exact JSON of each
// ---------------------------------------------------------------------------------------------

#[test]
fn node_error_table() {
    let float_cfg = json!(["FLOAT"]);
    let int_cfg = json!(["INT", {"min": 10, "max": 100}]);
    let flt_cfg = json!(["FLOAT", {"min": 1.5, "max": 2.5}]);
    let bad_link = "Bad linked input, must be a length-2 list of [node_id, slot_index]";
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "required_input_missing",
            json!({"1": {"class_type": "Sink", "inputs": {"y": 3}}}),
            json!({"type": "required_input_missing", "message": "Required input is missing", "details": "x",
                   "extra_info": {"input_name": "x"}}),
        ),
        (
            "bad_linked_input: three items",
            json!({"1": {"class_type": "Sink", "inputs": {"x": [1, 2, 3]}}}),
            json!({"type": "bad_linked_input", "message": bad_link, "details": "x",
                   "extra_info": {"input_name": "x", "input_config": float_cfg, "received_value": [1, 2, 3]}}),
        ),
        (
            "bad_linked_input: one item",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2"]}}}),
            json!({"type": "bad_linked_input", "message": bad_link, "details": "x",
                   "extra_info": {"input_name": "x", "input_config": float_cfg, "received_value": ["2"]}}),
        ),
        (
            "return_type_mismatch",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
                   "2": {"class_type": "IntConst", "inputs": {"value": 20}}}),
            json!({"type": "return_type_mismatch", "message": "Return type mismatch between linked nodes",
                   "details": "x, INT != FLOAT",
                   "extra_info": {"input_name": "x", "input_config": float_cfg, "received_type": "INT",
                                  "linked_node": ["2", 0]}}),
        ),
        (
            "exception_during_inner_validation: link to a missing node",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["9", 0]}}}),
            json!({"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
                   "details": "'9'",
                   "extra_info": {"input_name": "x", "input_config": float_cfg, "exception_message": "'9'",
                                  "exception_type": "KeyError", "traceback": [], "linked_node": ["9", 0]}}),
        ),
        (
            "exception_during_inner_validation: slot out of range",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 1]}},
                   "2": {"class_type": "FloatConst", "inputs": {"value": 2.0}}}),
            json!({"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
                   "details": "tuple index out of range",
                   "extra_info": {"input_name": "x", "input_config": float_cfg,
                                  "exception_message": "tuple index out of range",
                                  "exception_type": "IndexError", "traceback": [], "linked_node": ["2", 1]}}),
        ),
        (
            "invalid_input_type: INT from 'abc'",
            json!({"1": {"class_type": "IntSink", "inputs": {"value": "abc"}}}),
            json!({"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
                   "details": "value, abc, invalid literal for int() with base 10: 'abc'",
                   "extra_info": {"input_name": "value", "input_config": int_cfg, "received_value": "abc",
                                  "exception_message": "invalid literal for int() with base 10: 'abc'"}}),
        ),
        (
            "invalid_input_type: INT from '5.5'",
            json!({"1": {"class_type": "IntSink", "inputs": {"value": "5.5"}}}),
            json!({"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
                   "details": "value, 5.5, invalid literal for int() with base 10: '5.5'",
                   "extra_info": {"input_name": "value", "input_config": int_cfg, "received_value": "5.5",
                                  "exception_message": "invalid literal for int() with base 10: '5.5'"}}),
        ),
        (
            "invalid_input_type: INT from None",
            json!({"1": {"class_type": "IntSink", "inputs": {"value": null}}}),
            json!({"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
                   "details": "value, None, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
                   "extra_info": {"input_name": "value", "input_config": int_cfg, "received_value": null,
                                  "exception_message": "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"}}),
        ),
        (
            "invalid_input_type: FLOAT from 'x1'",
            json!({"1": {"class_type": "FloatSink", "inputs": {"value": "x1"}}}),
            json!({"type": "invalid_input_type", "message": "Failed to convert an input value to a FLOAT value",
                   "details": "value, x1, could not convert string to float: 'x1'",
                   "extra_info": {"input_name": "value", "input_config": flt_cfg, "received_value": "x1",
                                  "exception_message": "could not convert string to float: 'x1'"}}),
        ),
        (
            "invalid_input_type: FLOAT from a dict",
            json!({"1": {"class_type": "FloatSink", "inputs": {"value": {"a": 1}}}}),
            json!({"type": "invalid_input_type", "message": "Failed to convert an input value to a FLOAT value",
                   "details": "value, {'a': 1}, float() argument must be a string or a real number, not 'dict'",
                   "extra_info": {"input_name": "value", "input_config": flt_cfg, "received_value": {"a": 1},
                                  "exception_message": "float() argument must be a string or a real number, not 'dict'"}}),
        ),
        (
            "value_smaller_than_min: INT",
            json!({"1": {"class_type": "IntSink", "inputs": {"value": 5}}}),
            json!({"type": "value_smaller_than_min", "message": "Value 5 smaller than min of 10", "details": "value",
                   "extra_info": {"input_name": "value", "input_config": int_cfg, "received_value": 5}}),
        ),
        (
            "value_smaller_than_min: coerced from a string",
            json!({"1": {"class_type": "IntSink", "inputs": {"value": "7"}}}),
            json!({"type": "value_smaller_than_min", "message": "Value 7 smaller than min of 10", "details": "value",
                   "extra_info": {"input_name": "value", "input_config": int_cfg, "received_value": 7}}),
        ),
        (
            "value_smaller_than_min: coerced from a float (truncated)",
            json!({"1": {"class_type": "IntSink", "inputs": {"value": 9.99}}}),
            json!({"type": "value_smaller_than_min", "message": "Value 9 smaller than min of 10", "details": "value",
                   "extra_info": {"input_name": "value", "input_config": int_cfg, "received_value": 9}}),
        ),
        (
            "value_bigger_than_max: INT",
            json!({"1": {"class_type": "IntSink", "inputs": {"value": 101}}}),
            json!({"type": "value_bigger_than_max", "message": "Value 101 bigger than max of 100", "details": "value",
                   "extra_info": {"input_name": "value", "input_config": int_cfg, "received_value": 101}}),
        ),
        (
            "value_smaller_than_min: FLOAT formatting",
            json!({"1": {"class_type": "FloatSink", "inputs": {"value": 0.5}}}),
            json!({"type": "value_smaller_than_min", "message": "Value 0.5 smaller than min of 1.5", "details": "value",
                   "extra_info": {"input_name": "value", "input_config": flt_cfg, "received_value": 0.5}}),
        ),
        (
            "value_bigger_than_max: FLOAT from an int prints as 3.0",
            json!({"1": {"class_type": "FloatSink", "inputs": {"value": 3}}}),
            json!({"type": "value_bigger_than_max", "message": "Value 3.0 bigger than max of 2.5", "details": "value",
                   "extra_info": {"input_name": "value", "input_config": flt_cfg, "received_value": 3.0}}),
        ),
        (
            "value_not_in_list: short list shows its repr",
            json!({"1": {"class_type": "Combo", "inputs": {"choice": "d"}}}),
            json!({"type": "value_not_in_list", "message": "Value not in list",
                   "details": "choice: 'd' not in ['a', 'b', 'c']",
                   "extra_info": {"input_name": "choice", "input_config": [["a", "b", "c"]], "received_value": "d"}}),
        ),
        (
            "value_not_in_list: numbers",
            json!({"1": {"class_type": "NumCombo", "inputs": {"choice": "2"}}}),
            json!({"type": "value_not_in_list", "message": "Value not in list",
                   "details": "choice: '2' not in [1, 2, 3]",
                   "extra_info": {"input_name": "choice", "input_config": [[1, 2, 3]], "received_value": "2"}}),
        ),
        (
            "value_not_in_list: COMBO options, backslash repr",
            json!({"1": {"class_type": "PathCombo", "inputs": {"choice": "nope.png"}}}),
            json!({"type": "value_not_in_list", "message": "Value not in list",
                   "details": "choice: 'nope.png' not in ['dir/file.png', 'x\\\\y.png']",
                   "extra_info": {"input_name": "choice",
                                  "input_config": ["COMBO", {"options": ["dir/file.png", "x\\y.png"]}],
                                  "received_value": "nope.png"}}),
        ),
        (
            "value_not_in_list: more than 20 choices",
            json!({"1": {"class_type": "BigCombo", "inputs": {"choice": "zzz"}}}),
            json!({"type": "value_not_in_list", "message": "Value not in list",
                   "details": "choice: 'zzz' not in (list of length 25)",
                   "extra_info": {"input_name": "choice", "input_config": null, "received_value": "zzz"}}),
        ),
    ];
    for (name, prompt, want) in cases {
        let (v, _) = check(prompt);
        assert!(!v.valid, "{name}");
        assert!(v.good_outputs.is_empty(), "{name}");
        let class_type = {
            // The failing node is always "1", the only output.
            let ne = &v.node_errors["1"];
            assert_eq!(ne["errors"], json!([want]), "{name}");
            assert_eq!(ne["dependent_outputs"], json!(["1"]), "{name}");
            ne["class_type"].clone()
        };
        assert_eq!(v.node_errors.len(), 1, "{name}: {:?}", v.node_errors);
        let error = v.error.expect("an error");
        let exception_type = want["extra_info"].get("exception_type").cloned().unwrap_or(json!("ValidationError"));
        let expected = json!({
            "type": "prompt_outputs_failed_validation",
            "message": "Prompt outputs failed validation",
            "details": format!("{}: {}", want["message"].as_str().unwrap(), want["details"].as_str().unwrap()),
            "extra_info": {
                "exception_type": exception_type,
                "traceback": [],
                "node_errors": {"1": {"errors": [want], "dependent_outputs": ["1"], "class_type": class_type}},
            },
        });
        assert_eq!(error, expected, "{name}");
    }
}

#[test]
fn each_input_reports_its_first_error_in_declaration_order() {
    // x: missing; y: not convertible. Both are reported, x first (declaration order).
    let (v, _) = check(json!({"1": {"class_type": "Sink", "inputs": {"y": "nope"}}}));
    let errors = v.node_errors["1"]["errors"].as_array().unwrap();
    let types: Vec<&str> = errors.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["required_input_missing", "invalid_input_type"]);
    assert_eq!(
        v.error.unwrap()["details"],
        "Required input is missing: x\nFailed to convert an input value to a INT value: y, nope, invalid literal for int() with base 10: 'nope'"
    );
}

#[test]
fn valid_prompts() {
    let cases: Vec<(&str, Value)> = vec![
        ("min boundary", json!({"1": {"class_type": "IntSink", "inputs": {"value": 10}}})),
        ("max boundary", json!({"1": {"class_type": "IntSink", "inputs": {"value": 100}}})),
        ("float boundary", json!({"1": {"class_type": "FloatSink", "inputs": {"value": 1.5}}})),
        ("combo", json!({"1": {"class_type": "Combo", "inputs": {"choice": "b"}}})),
        ("numeric combo from a float", json!({"1": {"class_type": "NumCombo", "inputs": {"choice": 2.0}}})),
        ("backslash value matches a slash choice", json!({"1": {"class_type": "PathCombo", "inputs": {"choice": "dir\\file.png"}}})),
        ("slash value matches a backslash choice", json!({"1": {"class_type": "PathCombo", "inputs": {"choice": "x/y.png"}}})),
        ("20th of 25 choices", json!({"1": {"class_type": "BigCombo", "inputs": {"choice": "c19"}}})),
        ("optional input absent", json!({"1": {"class_type": "Sink", "inputs": {"x": 1.0}}})),
        (
            "linked source",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0], "y": ["3", 0]}},
                   "2": {"class_type": "PassF", "inputs": {"v": ["4", 0]}},
                   "3": {"class_type": "IntConst", "inputs": {"value": 10}},
                   "4": {"class_type": "FloatConst", "inputs": {"value": 2.0}}}),
        ),
        ("link slot as an integral float", json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0.0]}},
                                                  "2": {"class_type": "FloatConst", "inputs": {"value": 2}}})),
        ("union types are not coerced", json!({"1": {"class_type": "Coerce", "inputs": {"u": "abc"}}})),
        ("undeclared constants are ignored", json!({"1": {"class_type": "Sink", "inputs": {"x": 1.0, "junk": "??"}}})),
        (
            "invalid node not needed by any output",
            json!({"1": {"class_type": "Sink", "inputs": {"x": 1.0}},
                   "2": {"class_type": "IntConst", "inputs": {"value": 0}}}),
        ),
    ];
    for (name, prompt) in cases {
        let (v, _) = check(prompt);
        assert!(v.valid, "{name}: {:?}", v.error);
        assert_eq!(v.error, None, "{name}");
        assert!(v.node_errors.is_empty(), "{name}: {:?}", v.node_errors);
        assert_eq!(v.good_outputs, ["1"], "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Coercion and unwrapping
// ---------------------------------------------------------------------------------------------

#[test]
fn coercion_table() {
    // (input, raw value, value after validation)
    let cases: Vec<(&str, Value, Value)> = vec![
        ("i", json!(5), json!(5)),
        ("i", json!(5.9), json!(5)),
        ("i", json!(-5.9), json!(-5)),
        ("i", json!("7"), json!(7)),
        ("i", json!(" 8 "), json!(8)),
        ("i", json!("-3"), json!(-3)),
        ("i", json!("1_000"), json!(1000)),
        ("i", json!(true), json!(1)),
        ("i", json!(false), json!(0)),
        ("f", json!(5), json!(5.0)),
        ("f", json!(2.5), json!(2.5)),
        ("f", json!("2.5"), json!(2.5)),
        ("f", json!(true), json!(1.0)),
        ("s", json!(5), json!("5")),
        ("s", json!(2.5), json!("2.5")),
        ("s", json!(2.0), json!("2.0")),
        ("s", json!(true), json!("True")),
        ("s", json!(null), json!("None")),
        ("s", json!({"a": 1}), json!("{'a': 1}")),
        ("s", json!("kept"), json!("kept")),
        ("b", json!("false"), json!(false)),
        ("b", json!("False"), json!(false)),
        ("b", json!("0"), json!(false)),
        ("b", json!(""), json!(false)),
        ("b", json!("true"), json!(true)),
        ("b", json!("anything"), json!(true)),
        ("b", json!(0), json!(false)),
        ("b", json!(0.0), json!(false)),
        ("b", json!(2), json!(true)),
        ("b", json!(null), json!(false)),
        ("b", json!(true), json!(true)),
        ("u", json!("abc"), json!("abc")),
        ("any", json!(5), json!(5)),
    ];
    for (name, raw, want) in cases {
        let (v, p) = check(json!({"1": {"class_type": "Coerce", "inputs": {name: raw.clone()}}}));
        assert!(v.valid, "{name}={raw}: {:?}", v.error);
        let got = input_after(&p, "1", name);
        assert_eq!(got, Input::Const(want.clone()), "{name}={raw}");
        // 5 -> 5.0 must really be a float (JSON equality of 5 and 5.0 is not enough).
        if let Input::Const(g) = got {
            assert_eq!(g.is_f64(), want.is_f64(), "{name}={raw}: {g}");
        }
    }
}

#[test]
fn coerce_function_table() {
    // (type, raw, Ok(Some(new)) / Ok(None) unchanged / Err(message))
    let cases: Vec<(&str, Value, Result<Option<Value>, &str>)> = vec![
        ("INT", json!(5), Ok(None)),
        ("INT", json!(5.9), Ok(Some(json!(5)))),
        ("INT", json!("abc"), Err("invalid literal for int() with base 10: 'abc'")),
        ("INT", json!("_1"), Err("invalid literal for int() with base 10: '_1'")),
        ("INT", json!([1]), Err("int() argument must be a string, a bytes-like object or a real number, not 'list'")),
        ("FLOAT", json!(5.0), Ok(None)),
        ("FLOAT", json!(5), Ok(Some(json!(5.0)))),
        ("FLOAT", json!("nan"), Err("non-finite FLOAT values (inf, nan) are not supported")),
        ("FLOAT", json!(null), Err("float() argument must be a string or a real number, not 'NoneType'")),
        ("STRING", json!("s"), Ok(None)),
        ("BOOLEAN", json!(false), Ok(None)),
        ("BOOLEAN", json!([]), Ok(Some(json!(false)))),
        ("BOOLEAN", json!([0]), Ok(Some(json!(true)))),
        ("IMAGE", json!("x"), Ok(None)),
        ("COMBO", json!("x"), Ok(None)),
    ];
    for (ty, raw, want) in cases {
        let got = coerce(ty, &raw);
        let want = want.map_err(str::to_string);
        assert_eq!(got, want, "{ty} {raw}");
    }
}

#[test]
fn value_wrapper_is_unwrapped() {
    // A wrapped list is a constant, never a link, whatever it looks like.
    let cases: Vec<(&str, Value, Value)> = vec![
        ("any", json!({"__value__": [1, 2]}), json!([1, 2])),
        ("any", json!({"__value__": ["9", 0]}), json!(["9", 0])),
        ("any", json!({"__value__": [1, 2, 3]}), json!([1, 2, 3])),
        ("s", json!({"__value__": "x"}), json!("x")),
        ("i", json!({"__value__": "12"}), json!(12)),
        ("s", json!({"__value__": [1, "a"]}), json!("[1, 'a']")),
    ];
    for (name, raw, want) in cases {
        let (v, p) = check(json!({"1": {"class_type": "Coerce", "inputs": {name: raw.clone()}}}));
        assert!(v.valid, "{name}={raw}: {:?}", v.error);
        assert_eq!(input_after(&p, "1", name), Input::Const(want), "{name}={raw}");
    }
}

#[test]
fn hidden_inputs_are_not_validated() {
    let cases = vec![
        json!({"1": {"class_type": "Hidden", "inputs": {"x": 2.0}}}),
        json!({"1": {"class_type": "Hidden", "inputs": {"x": 2.0, "h": "abc"}}}),
        json!({"1": {"class_type": "Hidden", "inputs": {"x": 2.0, "h": 99}}}),
    ];
    for prompt in cases {
        let raw = prompt["1"]["inputs"].get("h").cloned();
        let (v, p) = check(prompt.clone());
        assert!(v.valid, "{prompt}: {:?}", v.error);
        assert!(v.node_errors.is_empty());
        // Not coerced either.
        assert_eq!(p.get("1").unwrap().input("h").cloned(), raw.map(Input::Const), "{prompt}");
    }
}

#[test]
fn undeclared_links_are_dependencies() {
    // A link under a name the schema does not declare still feeds the node.
    let missing = check(json!({"1": {"class_type": "Sink", "inputs": {"x": 2.0, "extra": ["9", 0]}}})).0;
    assert!(!missing.valid);
    assert_eq!(
        missing.node_errors["1"]["errors"],
        json!([{"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
                "details": "'9'",
                "extra_info": {"input_name": "extra", "input_config": null, "exception_message": "'9'",
                               "exception_type": "KeyError", "traceback": [], "linked_node": ["9", 0]}}])
    );

    let invalid_source = check(json!({
        "1": {"class_type": "Sink", "inputs": {"x": 2.0, "extra": ["2", 0]}},
        "2": {"class_type": "FloatConst", "inputs": {"value": 9.0}},
    }))
    .0;
    assert!(!invalid_source.valid);
    let keys: Vec<&String> = invalid_source.node_errors.keys().collect();
    assert_eq!(keys, ["2"], "only the source has errors of its own");

    let valid_source = check(json!({
        "1": {"class_type": "Sink", "inputs": {"x": 2.0, "extra": ["2", 0]}},
        "2": {"class_type": "FloatConst", "inputs": {"value": 2.0}},
    }))
    .0;
    assert!(valid_source.valid);

    // A hidden input given as a link also makes its source a dependency.
    let hidden_link = check(json!({
        "1": {"class_type": "Hidden", "inputs": {"x": 2.0, "h": ["2", 0]}},
        "2": {"class_type": "IntConst", "inputs": {"value": 0}},
    }))
    .0;
    assert!(!hidden_link.valid);
    assert_eq!(hidden_link.node_errors["2"]["errors"][0]["type"], "value_smaller_than_min");
}

// ---------------------------------------------------------------------------------------------
// Custom validation
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct Seen {
    node_id: String,
    class_type: String,
    constants: Vec<(String, Value)>,
    linked: Vec<(String, Value)>,
}

fn seen(req: &CustomRequest) -> Seen {
    Seen {
        node_id: req.node_id.to_string(),
        class_type: req.class_type.to_string(),
        constants: req.constants.iter().map(|(k, v)| (k.to_string(), (*v).clone())).collect(),
        linked: req.linked.iter().map(|(k, t)| (k.to_string(), t.to_value())).collect(),
    }
}

#[test]
fn custom_validation_failed_comes_from_the_callback() {
    let custom_error = json!({"type": "custom_validation_failed", "message": "Custom validation failed for node",
                              "details": "a - too big", "extra_info": {"input_name": "a"}});
    let mut calls = Vec::new();
    let v = check_with(
        json!({
            "1": {"class_type": "Custom", "inputs": {"a": "5", "b": 5, "l": ["2", 0]}},
            "2": {"class_type": "FloatConst", "inputs": {"value": 2.0}},
        }),
        &mut |req| {
            calls.push(seen(req));
            CustomOutcome::Errors(vec![custom_error.clone()])
        },
    );
    assert_eq!(
        calls,
        [Seen {
            node_id: "1".into(),
            class_type: "Custom".into(),
            constants: vec![("a".into(), json!(5)), ("b".into(), json!(5))],
            linked: vec![("l".into(), json!("FLOAT"))],
        }],
        "called once, for the node that has VALIDATE_INPUTS, with coerced constants"
    );
    assert!(!v.valid);
    // `a` is a parameter of VALIDATE_INPUTS: its max is not checked. `b` is not: it is.
    let b_max = json!({"type": "value_bigger_than_max", "message": "Value 5 bigger than max of 1", "details": "b",
                       "extra_info": {"input_name": "b", "input_config": ["INT", {"min": 0, "max": 1}],
                                      "received_value": 5}});
    assert_eq!(
        v.node_errors["1"],
        json!({"errors": [b_max, custom_error], "dependent_outputs": ["1"], "class_type": "Custom"})
    );
    assert_eq!(
        v.error.unwrap()["details"],
        "Value 5 bigger than max of 1: b\nCustom validation failed for node: a - too big"
    );
}

#[test]
fn custom_validation_passing_and_when_it_is_called() {
    // (prompt, expected calls (node ids), valid)
    let cases: Vec<(&str, Value, Vec<&str>, bool)> = vec![
        ("named params", json!({"1": {"class_type": "Custom", "inputs": {"a": 7, "b": 1}}}), vec!["1"], true),
        ("**kwargs", json!({"1": {"class_type": "CustomKw", "inputs": {"a": 7}}}), vec!["1"], true),
        ("no params, no kwargs: not called", json!({"1": {"class_type": "CustomNone", "inputs": {"x": 1.0}}}), vec![], true),
        ("no VALIDATE_INPUTS", json!({"1": {"class_type": "Sink", "inputs": {"x": 1.0}}}), vec![], true),
        (
            "input_types skips the link type check",
            json!({"1": {"class_type": "CustomTypes", "inputs": {"x": ["2", 0]}},
                   "2": {"class_type": "IntConst", "inputs": {"value": 20}}}),
            vec!["1"],
            true,
        ),
        (
            "inner node",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
                   "2": {"class_type": "CustomInner", "inputs": {"v": 3.0}}}),
            vec!["2"],
            true,
        ),
        (
            "each node once, even when shared",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["3", 0]}},
                   "2": {"class_type": "Sink", "inputs": {"x": ["3", 0]}},
                   "3": {"class_type": "CustomInner", "inputs": {"v": 3.0}}}),
            vec!["3"],
            true,
        ),
    ];
    for (name, prompt, want_calls, want_valid) in cases {
        let mut calls = Vec::new();
        let v = check_with(prompt, &mut |req| {
            calls.push(req.node_id.to_string());
            CustomOutcome::Errors(vec![])
        });
        assert_eq!(calls, want_calls, "{name}");
        assert_eq!(v.valid, want_valid, "{name}: {:?}", v.error);
        assert!(v.node_errors.is_empty(), "{name}");
    }
    // input_types: the callback sees the linked type.
    let mut linked = Vec::new();
    check_with(
        json!({"1": {"class_type": "CustomTypes", "inputs": {"x": ["2", 0]}},
               "2": {"class_type": "IntConst", "inputs": {"value": 20}}}),
        &mut |req| {
            linked = seen(req).linked;
            CustomOutcome::Errors(vec![])
        },
    );
    assert_eq!(linked, [("x".to_string(), json!("INT"))]);
}

#[test]
fn exception_during_validation_for_an_output() {
    let v = check_with(json!({"1": {"class_type": "Custom", "inputs": {"a": 0, "b": 0}}}), &mut |_| {
        CustomOutcome::Raised(ExceptionInfo {
            exception_type: "ValueError".into(),
            message: "boom".into(),
            traceback: vec!["  File \"x.py\", line 1\n".into()],
        })
    });
    assert!(!v.valid);
    let want = json!({"type": "exception_during_validation", "message": "Exception when validating node",
                      "details": "boom",
                      "extra_info": {"exception_type": "ValueError", "traceback": ["  File \"x.py\", line 1\n"]}});
    assert_eq!(v.node_errors["1"], json!({"errors": [want], "dependent_outputs": ["1"], "class_type": "Custom"}));
    let error = v.error.unwrap();
    assert_eq!(error["type"], "prompt_outputs_failed_validation");
    assert_eq!(error["details"], "Exception when validating node: boom");
    assert_eq!(error["extra_info"]["exception_type"], "ValueError");
    assert_eq!(error["extra_info"]["traceback"], json!(["  File \"x.py\", line 1\n"]));
}

#[test]
fn exception_in_an_inner_node_is_recorded_on_that_node() {
    let v = check_with(
        json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
               "2": {"class_type": "CustomInner", "inputs": {"v": 3.0}}}),
        &mut |_| {
            CustomOutcome::Raised(ExceptionInfo {
                exception_type: "mypack.BadThing".into(),
                message: "inner boom".into(),
                traceback: vec!["tb".into()],
            })
        },
    );
    assert!(!v.valid);
    let want = json!({"type": "exception_during_inner_validation", "message": "Exception when validating inner node",
                      "details": "inner boom",
                      "extra_info": {"input_name": "x", "input_config": ["FLOAT"], "exception_message": "inner boom",
                                     "exception_type": "mypack.BadThing", "traceback": ["tb"],
                                     "linked_node": ["2", 0]}});
    let keys: Vec<&String> = v.node_errors.keys().collect();
    assert_eq!(keys, ["2"]);
    assert_eq!(v.node_errors["2"], json!({"errors": [want], "dependent_outputs": ["1"], "class_type": "CustomInner"}));
    let error = v.error.unwrap();
    assert_eq!(error["details"], "", "the output has no errors of its own");
    assert_eq!(error["extra_info"]["exception_type"], "mypack.BadThing");
    assert_eq!(error["extra_info"]["traceback"], json!(["tb"]));
}

// ---------------------------------------------------------------------------------------------
// Reporting: node_errors, dependent_outputs, good + bad outputs
// ---------------------------------------------------------------------------------------------

fn too_big(v: f64) -> Value {
    json!({"type": "value_bigger_than_max", "message": format!("Value {} bigger than max of 2.5", pyfmt::float_repr(v)),
           "details": "value",
           "extra_info": {"input_name": "value", "input_config": ["FLOAT", {"min": 1.5, "max": 2.5}], "received_value": v}})
}

#[test]
fn failed_validation_lists_only_dependent_outputs() {
    let (v, _) = check(json!({
        "1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
        "2": {"class_type": "FloatConst", "inputs": {"value": 9.0}},
        "3": {"class_type": "Sink", "inputs": {"x": ["4", 0]}},
        "4": {"class_type": "FloatConst", "inputs": {"value": 8.0}},
        "5": {"class_type": "Sink", "inputs": {"x": ["6", 0]}},
        "6": {"class_type": "PassF", "inputs": {"v": ["2", 0]}},
    }));
    assert!(!v.valid);
    assert!(v.good_outputs.is_empty());
    let node_errors = json!({
        "2": {"errors": [too_big(9.0)], "dependent_outputs": ["1", "5"], "class_type": "FloatConst"},
        "4": {"errors": [too_big(8.0)], "dependent_outputs": ["3"], "class_type": "FloatConst"},
    });
    assert_eq!(Value::Object(v.node_errors.clone()), node_errors);
    // "6" is invalid only because of "2": it is not listed.
    assert_eq!(
        v.error,
        Some(json!({"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                    "details": "",
                    "extra_info": {"exception_type": "ValidationError", "traceback": [], "node_errors": node_errors}}))
    );
}

#[test]
fn details_join_the_outputs_own_errors() {
    let (v, _) = check(json!({
        "1": {"class_type": "Sink", "inputs": {}},
        "2": {"class_type": "IntSink", "inputs": {"value": 5}},
        "3": {"class_type": "Sink", "inputs": {"x": ["4", 0]}},
        "4": {"class_type": "FloatConst", "inputs": {"value": 9.0}},
    }));
    let error = v.error.unwrap();
    assert_eq!(error["details"], "Required input is missing: x\nValue 5 smaller than min of 10: value");
    let keys: Vec<&String> = error["extra_info"]["node_errors"].as_object().unwrap().keys().collect();
    let mut keys: Vec<&str> = keys.into_iter().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["1", "2", "4"]);
}

#[test]
fn one_good_output_makes_the_prompt_valid() {
    let (v, _) = check(json!({
        "1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
        "2": {"class_type": "FloatConst", "inputs": {"value": 9.0}},
        "3": {"class_type": "Sink", "inputs": {"x": ["4", 0]}},
        "4": {"class_type": "FloatConst", "inputs": {"value": 2.0}},
    }));
    assert!(v.valid);
    assert_eq!(v.error, None);
    assert_eq!(v.good_outputs, ["3"]);
    assert_eq!(
        Value::Object(v.node_errors),
        json!({"2": {"errors": [too_big(9.0)], "dependent_outputs": ["1"], "class_type": "FloatConst"}})
    );
}

// ---------------------------------------------------------------------------------------------
// Static cycles and deep graphs
// ---------------------------------------------------------------------------------------------

#[test]
fn static_cycles_are_dependency_cycle_errors() {
    // (prompt, node with the error, expected error)
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            "two-node cycle",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
                   "2": {"class_type": "PassF", "inputs": {"v": ["3", 0]}},
                   "3": {"class_type": "PassF", "inputs": {"v": ["2", 0]}}}),
            "3",
            json!({"type": "dependency_cycle", "message": "Dependency cycle detected", "details": "v: 2 -> 3 -> 2",
                   "extra_info": {"input_name": "v", "linked_node": ["2", 0], "cycle": ["2", "3", "2"]}}),
        ),
        (
            "self loop",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
                   "2": {"class_type": "PassF", "inputs": {"v": ["2", 0]}}}),
            "2",
            json!({"type": "dependency_cycle", "message": "Dependency cycle detected", "details": "v: 2 -> 2",
                   "extra_info": {"input_name": "v", "linked_node": ["2", 0], "cycle": ["2", "2"]}}),
        ),
        (
            "cycle through an undeclared link",
            json!({"1": {"class_type": "Sink", "inputs": {"x": ["2", 0]}},
                   "2": {"class_type": "PassF", "inputs": {"v": 1.0, "extra": ["3", 0]}},
                   "3": {"class_type": "PassF", "inputs": {"v": ["2", 0]}}}),
            "3",
            json!({"type": "dependency_cycle", "message": "Dependency cycle detected", "details": "v: 2 -> 3 -> 2",
                   "extra_info": {"input_name": "v", "linked_node": ["2", 0], "cycle": ["2", "3", "2"]}}),
        ),
    ];
    for (name, prompt, node, want) in cases {
        let (v, _) = check(prompt);
        assert!(!v.valid, "{name}");
        let keys: Vec<&String> = v.node_errors.keys().collect();
        assert_eq!(keys, [node], "{name}");
        assert_eq!(v.node_errors[node]["errors"], json!([want]), "{name}");
        assert_eq!(v.node_errors[node]["dependent_outputs"], json!(["1"]), "{name}");
    }
}

/// "0" (FloatConst) <- "1" <- ... <- "n-1" (PassF) <- "out" (Sink), built directly (a JSON
/// round trip of 100,000 nodes is slow in debug builds). `close_cycle` makes "0" a PassF fed by
/// "n-1".
fn chain(n: usize, root_value: f64, close_cycle: bool) -> Prompt {
    let node = |id: String, class: &str, inputs: Vec<(String, Input)>| PromptNode {
        id: id.into(),
        class_type: Some(class.into()),
        inputs: inputs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        override_display_id: None,
    };
    let link = |i: usize| Input::Link { node: i.to_string().into(), slot: 0 };
    let mut p = Prompt::default();
    p.nodes.insert("out".into(), node("out".into(), "Sink", vec![("x".into(), link(n - 1))]));
    let root = if close_cycle {
        node("0".into(), "PassF", vec![("v".into(), link(n - 1))])
    } else {
        node("0".into(), "FloatConst", vec![("value".into(), Input::Const(json!(root_value)))])
    };
    p.nodes.insert("0".into(), root);
    for i in 1..n {
        p.nodes.insert(i.to_string().into(), node(i.to_string(), "PassF", vec![("v".into(), link(i - 1))]));
    }
    p
}

/// Runs `f` on a thread with a 256 KiB stack: a recursive walk over a deep graph would overflow.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).expect("spawn").join().expect("no stack overflow")
}

#[test]
fn deep_chains_validate_without_recursion() {
    let reg = registry();
    // (depth, root value, cycle, valid, nodes with errors)
    let cases: Vec<(usize, f64, bool, bool, Vec<&'static str>)> = vec![
        (5_000, 2.0, false, true, vec![]),
        (5_000, 9.0, false, false, vec!["0"]),
        (5_000, 0.0, true, false, vec!["0"]),
        (100_000, 2.0, false, true, vec![]),
        (100_000, 9.0, false, false, vec!["0"]),
    ];
    for (n, root, cycle, valid, errs) in cases {
        let mut prompt = chain(n, root, cycle);
        let reg = reg.clone();
        let v = on_small_stack(move || {
            let v = validate(&reg, &mut prompt, None, &mut pass);
            drop(prompt);
            v
        });
        assert_eq!(v.valid, valid, "depth {n} root {root} cycle {cycle}");
        let keys: Vec<&str> = v.node_errors.keys().map(String::as_str).collect();
        assert_eq!(keys, errs, "depth {n}");
        for id in errs {
            assert_eq!(v.node_errors[id]["dependent_outputs"], json!(["out"]));
        }
        if cycle {
            let e = &v.node_errors["0"]["errors"][0];
            assert_eq!(e["type"], "dependency_cycle");
            assert_eq!(e["extra_info"]["cycle"].as_array().unwrap().len(), n + 1);
        }
    }
}
