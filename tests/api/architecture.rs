//! The layering of ARCHITECTURE.md, checked on the source: every `crate::` path of a module
//! points down the layers, and no domain module reaches, through others, back to itself.
//! (The GraphQL types may refer to each other: that is the schema's own graph.)

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The layers, lowest first. A module may import its own layer's parent and anything lower;
/// the application layer (the binary's commands) may also import its own layer.
const LAYERS: &[&[&str]] = &[
    &["text"],
    &["error"],
    &["enums", "kind"],
    &["config", "metrics", "telemetry"],
    &["db", "storage"],
    &["auth", "reference", "guard"],
    &["domain"],
    &["live"],
    &["state"],
    &["graphql"],
    &["http"],
    &[
        "startup",
        "preflight",
        "demo",
        "generate",
        "cli",
        "main",
        "lib",
    ],
];

fn rank(top: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&top))
        .unwrap_or_else(|| panic!("module `{top}` is in no layer of tests/api/architecture.rs"))
}

/// Every `.rs` file under `dir`, with its module path (`domain::project::money`).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut p = prefix.to_vec();
            if name != "mod" {
                p.push(name);
            }
            out.insert(p.join("::"), path);
        }
    }
}

/// The source without comments and without its unit tests.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("source");
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `crate::…` paths of a source, with `use crate::{a::{b, c}, d}` groups expanded.
fn crate_paths(code: &str) -> Vec<String> {
    fn expand(prefix: &str, group: &str, out: &mut Vec<String>) {
        let mut depth = 0;
        let mut current = String::new();
        for ch in group.chars().chain([',']) {
            match ch {
                '{' => {
                    depth += 1;
                    current.push(ch);
                }
                '}' => {
                    depth -= 1;
                    current.push(ch);
                }
                ',' if depth == 0 => {
                    let item = current.trim().to_owned();
                    current.clear();
                    if item.is_empty() {
                        continue;
                    }
                    match item.find('{') {
                        Some(i) => {
                            let inner = &item[i + 1..item.rfind('}').expect("closing brace")];
                            let p = format!("{prefix}{}", &item[..i]);
                            expand(&p, inner, out);
                        }
                        None => out.push(format!("{prefix}{item}")),
                    }
                }
                _ => current.push(ch),
            }
        }
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
            .unwrap_or(rest.len());
        let path = &rest[..end];
        if let Some(b) = path.find('{') {
            // A group: find its matching brace in the rest of the text.
            let start = b + 1;
            let mut depth = 1;
            let mut j = start;
            for (k, ch) in rest[start..].char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    j = start + k;
                    break;
                }
            }
            expand(&path[..b], &rest[start..j], &mut out);
        } else {
            out.push(path.trim_end_matches(':').to_owned());
        }
    }
    out
}

/// The module a path names: its longest prefix that is a module.
fn module_of(path: &str, modules: &BTreeMap<String, PathBuf>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|m| modules.contains_key(m))
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let mut mods = BTreeMap::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut mods,
    );
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, path) in &mods {
        for p in crate_paths(&code_of(path)) {
            if let Some(target) = module_of(&p, &mods) {
                // A module's own ancestors (`super`, the folder's `mod.rs`) are not edges.
                let is_ancestor = m == &target || m.starts_with(&format!("{target}::"));
                if !is_ancestor {
                    edges.entry(m.clone()).or_default().insert(target);
                }
            }
        }
    }
    edges
}

fn top(m: &str) -> &str {
    let t = m.split("::").next().unwrap_or(m);
    if t.is_empty() { "lib" } else { t }
}

#[test]
fn imports_point_down_the_layers() {
    let mut upward = Vec::new();
    for (from, targets) in edges() {
        for to in targets {
            let (a, b) = (top(&from), top(&to));
            if a == b {
                continue;
            }
            let (ra, rb) = (rank(a), rank(b));
            if rb > ra || (rb == ra && ra != LAYERS.len() - 1) {
                upward.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that point up or sideways (see ARCHITECTURE.md):\n{}",
        upward.join("\n")
    );
}

/// Strongly connected groups of more than one module among `nodes`.
fn cycles(
    edges: &BTreeMap<String, BTreeSet<String>>,
    keep: impl Fn(&str) -> bool,
) -> Vec<Vec<String>> {
    // Tarjan's algorithm.
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on: BTreeSet<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(t: &mut T<'_>, v: &str, keep: &dyn Fn(&str) -> bool) {
        t.index.insert(v.to_owned(), t.next);
        t.low.insert(v.to_owned(), t.next);
        t.next += 1;
        t.stack.push(v.to_owned());
        t.on.insert(v.to_owned());
        let targets: Vec<String> = t
            .edges
            .get(v)
            .map(|s| s.iter().filter(|w| keep(w)).cloned().collect())
            .unwrap_or_default();
        for w in targets {
            if !t.index.contains_key(&w) {
                visit(t, &w, keep);
                let lw = t.low[&w];
                let lv = t.low[v];
                t.low.insert(v.to_owned(), lv.min(lw));
            } else if t.on.contains(&w) {
                let iw = t.index[&w];
                let lv = t.low[v];
                t.low.insert(v.to_owned(), lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut group = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(&w);
                let done = w == v;
                group.push(w);
                if done {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                t.out.push(group);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<String> = edges.keys().filter(|k| keep(k)).cloned().collect();
    for v in nodes {
        if !t.index.contains_key(&v) {
            visit(&mut t, &v, &keep);
        }
    }
    t.out
}

#[test]
fn no_module_outside_the_schema_reaches_itself_back() {
    let edges = edges();
    let found = cycles(&edges, |m| !m.starts_with("graphql"));
    assert!(
        found.is_empty(),
        "import cycles (break them as ARCHITECTURE.md says):\n{found:#?}"
    );
}

#[test]
fn the_checker_sees_imports() {
    // The checker itself: it must find the edges a reader sees in the code.
    let e = edges();
    assert!(
        e["http::graphql"].contains("graphql"),
        "{:?}",
        e["http::graphql"]
    );
    assert!(
        e["domain::project"].contains("domain::rules"),
        "{:?}",
        e["domain::project"]
    );
    assert!(e["graphql::funding"].contains("domain::funding"));
    // And it finds a cycle when there is one.
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycles(&g, |_| true), vec![vec!["a", "b", "c"]]);
    assert!(cycles(&g, |m| m != "c").is_empty());
    // Groups are expanded the way a reader reads them.
    assert_eq!(
        crate_paths("use crate::{a::{b, c::D}, e};"),
        vec!["a::b", "a::c::D", "e"]
    );
}
