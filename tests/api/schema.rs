//! The served schema: `schema.graphql` must be what the binary exports, and every name of
//! the client contract (`tests/contract.graphql`, a copy of the shared contract) must be
//! served with a compatible type.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::parser::{
    parse_schema,
    types::{BaseType, Type, TypeDefinition, TypeKind, TypeSystemDefinition},
};

#[derive(Debug, Default)]
struct Def {
    kind: String,
    /// Field or input-field name → (type, arguments name → type).
    fields: BTreeMap<String, (Type, BTreeMap<String, Type>)>,
    values: BTreeSet<String>,
    interfaces: BTreeSet<String>,
}

fn defs(sdl: &str) -> BTreeMap<String, Def> {
    let doc = parse_schema(sdl).expect("schema parses");
    let mut out = BTreeMap::new();
    for d in doc.definitions {
        let TypeSystemDefinition::Type(t) = d else {
            continue;
        };
        let t: TypeDefinition = t.node;
        let mut def = Def::default();
        match t.kind {
            TypeKind::Scalar => def.kind = "scalar".into(),
            TypeKind::Object(o) => {
                def.kind = "object".into();
                def.interfaces = o.implements.iter().map(|i| i.node.to_string()).collect();
                for f in o.fields {
                    let f = f.node;
                    let args = f
                        .arguments
                        .iter()
                        .map(|a| (a.node.name.node.to_string(), a.node.ty.node.clone()))
                        .collect();
                    def.fields
                        .insert(f.name.node.to_string(), (f.ty.node, args));
                }
            }
            TypeKind::Interface(o) => {
                def.kind = "interface".into();
                for f in o.fields {
                    let f = f.node;
                    def.fields
                        .insert(f.name.node.to_string(), (f.ty.node, BTreeMap::new()));
                }
            }
            TypeKind::Enum(e) => {
                def.kind = "enum".into();
                def.values = e
                    .values
                    .iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect();
            }
            TypeKind::InputObject(i) => {
                def.kind = "input".into();
                for f in i.fields {
                    let f = f.node;
                    def.fields
                        .insert(f.name.node.to_string(), (f.ty.node, BTreeMap::new()));
                }
            }
            TypeKind::Union(_) => def.kind = "union".into(),
        }
        // `extend type Mutation` may appear more than once: the extensions add up.
        let entry: &mut Def = out.entry(t.name.node.to_string()).or_default();
        if entry.kind.is_empty() {
            entry.kind = def.kind;
        }
        entry.fields.extend(def.fields);
        entry.values.extend(def.values);
        entry.interfaces.extend(def.interfaces);
    }
    out
}

/// Output positions: the served type may be stricter (non-null where the contract allows null).
fn output_compatible(contract: &Type, served: &Type) -> bool {
    if !contract.nullable && served.nullable {
        return false;
    }
    match (&contract.base, &served.base) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => output_compatible(a, b),
        _ => false,
    }
}

/// Input positions: the served type may be looser (nullable where the contract requires).
fn input_compatible(contract: &Type, served: &Type) -> bool {
    if contract.nullable && !served.nullable {
        return false;
    }
    match (&contract.base, &served.base) {
        (BaseType::Named(a), BaseType::Named(b)) => a == b,
        (BaseType::List(a), BaseType::List(b)) => input_compatible(a, b),
        _ => false,
    }
}

#[test]
fn schema_file_matches_the_served_schema() {
    let on_disk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql exists");
    let served = khuyencong::graphql::sdl();
    assert!(
        on_disk == served,
        "schema.graphql differs from the served schema: run `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn contract_copy_is_the_shared_contract() {
    // In the monorepo checkout the shared contract sits beside the project; on a user's
    // machine it does not, and the copy stands alone.
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/contract.graphql");
    if let Ok(shared) = std::fs::read_to_string(shared) {
        let copy = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/contract.graphql"
        ))
        .expect("copy");
        assert_eq!(
            copy, shared,
            "tests/contract.graphql must equal shared/contract.graphql"
        );
    }
}

#[test]
fn every_contract_name_is_served_with_a_compatible_type() {
    check_contract(include_str!("../contract.graphql"));
}

#[test]
fn every_change_feed_contract_name_is_served_with_a_compatible_type() {
    check_contract(include_str!("../contract/changes.graphql"));
}

#[test]
fn change_feed_contract_copy_is_the_shared_one() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/contract/changes.graphql"
    );
    if let Ok(shared) = std::fs::read_to_string(shared) {
        assert_eq!(
            include_str!("../contract/changes.graphql"),
            shared,
            "tests/contract/changes.graphql must equal shared/contract/changes.graphql"
        );
    }
}

#[test]
fn every_office_files_contract_name_is_served_with_a_compatible_type() {
    check_contract(include_str!("../contract/files.graphql"));
}

#[test]
fn office_files_contract_copy_is_the_shared_one() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/contract/files.graphql"
    );
    if let Ok(shared) = std::fs::read_to_string(shared) {
        assert_eq!(
            include_str!("../contract/files.graphql"),
            shared,
            "tests/contract/files.graphql must equal shared/contract/files.graphql"
        );
    }
}

fn check_contract(contract_sdl: &str) {
    let contract = defs(contract_sdl);
    let served = defs(&khuyencong::graphql::sdl());
    let mut problems = Vec::new();
    for (name, c) in &contract {
        let Some(s) = served.get(name) else {
            problems.push(format!("type {name} is not served"));
            continue;
        };
        if c.kind != s.kind {
            problems.push(format!("{name} is a {} but served as a {}", c.kind, s.kind));
        }
        for v in &c.values {
            if !s.values.contains(v) {
                problems.push(format!("enum value {name}.{v} is not served"));
            }
        }
        for i in &c.interfaces {
            if !s.interfaces.contains(i) {
                problems.push(format!("{name} does not implement {i}"));
            }
        }
        for (fname, (cty, cargs)) in &c.fields {
            let full = format!("{name}.{fname}");
            let Some((sty, sargs)) = s.fields.get(fname) else {
                problems.push(format!("{full} is not served"));
                continue;
            };
            let ok = if c.kind == "input" {
                input_compatible(cty, sty)
            } else {
                output_compatible(cty, sty)
            };
            if !ok {
                problems.push(format!("{full}: contract {cty}, served {sty}"));
            }
            for (aname, aty) in cargs {
                match sargs.get(aname) {
                    None => problems.push(format!("argument {full}({aname}) is not served")),
                    Some(sty) if !input_compatible(aty, sty) => problems.push(format!(
                        "argument {full}({aname}): contract {aty}, served {sty}"
                    )),
                    Some(_) => {}
                }
            }
            for (aname, sty) in sargs {
                if !cargs.contains_key(aname) && !sty.nullable {
                    problems.push(format!("{full} has a required extra argument {aname}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "contract violations:\n{}",
        problems.join("\n")
    );
}
