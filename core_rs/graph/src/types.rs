//! Socket type compatibility, ComfyUI's `validate_node_input(received, expected)`.

use crate::schema::TypeSpec;

/// Can an output of type `received` feed an input of type `expected`?
///
/// True when the types are equal; either side is `"*"`; a combo (choice list) meets `"COMBO"` or
/// another choice list; or both are comma unions whose members overlap (in `strict` mode the
/// received set must be a subset of the expected set).
pub fn compatible(received: &TypeSpec, expected: &TypeSpec, strict: bool) -> bool {
    match (received, expected) {
        (TypeSpec::Name(r), TypeSpec::Name(e)) => names_compatible(r, e, strict),
        (TypeSpec::Choices(_), TypeSpec::Name(e)) => e == "COMBO" || e == "*",
        (TypeSpec::Name(r), TypeSpec::Choices(_)) => r == "*" || r == "COMBO",
        (TypeSpec::Choices(_), TypeSpec::Choices(_)) => true,
    }
}

fn names_compatible(received: &str, expected: &str, strict: bool) -> bool {
    if received == expected || received == "*" || expected == "*" {
        return true;
    }
    let r: Vec<&str> = received.split(',').map(str::trim).collect();
    let e: Vec<&str> = expected.split(',').map(str::trim).collect();
    if r.contains(&"*") || e.contains(&"*") {
        return true;
    }
    if strict {
        r.iter().all(|t| e.contains(t))
    } else {
        r.iter().any(|t| e.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n(s: &str) -> TypeSpec {
        TypeSpec::Name(s.into())
    }

    #[test]
    fn compatibility_table() {
        let combo = TypeSpec::Choices(vec![json!("a")]);
        let cases: &[(TypeSpec, TypeSpec, bool, bool)] = &[
            (n("INT"), n("INT"), false, true),
            (n("INT"), n("FLOAT"), false, false),
            (n("*"), n("IMAGE"), false, true),
            (n("IMAGE"), n("*"), false, true),
            (n("IMAGE"), n("IMAGE,FLOAT"), false, true),
            (n("IMAGE,MASK"), n("IMAGE,FLOAT"), false, true),
            (n("IMAGE,MASK"), n("IMAGE,FLOAT"), true, false),
            (n("IMAGE"), n("IMAGE, FLOAT"), true, true),
            (n("LATENT"), n("IMAGE,FLOAT"), false, false),
            (combo.clone(), n("COMBO"), false, true),
            (combo.clone(), n("STRING"), false, false),
            (n("STRING"), combo.clone(), false, false),
            (combo.clone(), combo.clone(), false, true),
        ];
        for (r, e, strict, want) in cases {
            assert_eq!(compatible(r, e, *strict), *want, "{r:?} -> {e:?} strict={strict}");
        }
    }
}
