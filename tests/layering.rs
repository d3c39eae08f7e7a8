//! The house's layering, checked on the source: the engine never names the layers
//! above it, and no two files import each other (directly or round a longer loop).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The engine's modules: they may use each other, never the layers above.
const ENGINE: [&str; 11] = [
    "kdd", "format", "data", "features", "detect", "eval", "model", "capture", "monitor", "atomic",
    "zeek",
];
/// The layers above the engine.
const ABOVE: [&str; 6] = ["tui", "worker", "commands", "cli", "report", "export"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's module path (`src/detect/autoencoder/mod.rs` → `detect::autoencoder`).
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The source without its test module(s): tests may reach anywhere.
fn product_code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    if module_of(file).last().is_some_and(|m| m == "tests") {
        return String::new();
    }
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
    .lines()
    .filter(|l| !l.trim_start().starts_with("//"))
    .collect::<Vec<_>>()
    .join("\n")
}

/// Module paths named by `crate::…` and `super::…` in `code`, resolved from `module`;
/// a braced group (`crate::{a::X, b::{Y, Z}}`) names each of its paths.
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let code = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut paths = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let start_ok = i == 0 || !ident(code[i - 1]);
        let root = if !start_ok {
            None
        } else if code[i..].starts_with(b"crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if code[i..].starts_with(b"super::") {
            // `super` of a `mod.rs` or of a plain file is its parent module.
            let parent = module[..module.len().saturating_sub(1)].to_vec();
            Some((parent, "super::".len()))
        } else {
            None
        };
        match root {
            Some((prefix, skip)) => i = tree(code, i + skip, prefix, &mut paths),
            None => i += 1,
        }
    }
    paths
}

/// Reads a use-tree from `code[i..]` after `prefix::`; pushes its paths, returns where
/// it ends.
fn tree(code: &[u8], mut i: usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    loop {
        while code.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        if code[i..].starts_with(b"{") {
            i += 1;
            loop {
                i = tree(code, i, prefix.clone(), out);
                while code
                    .get(i)
                    .is_some_and(|b| b.is_ascii_whitespace() || *b == b',')
                {
                    i += 1;
                }
                if code.get(i).is_none_or(|&b| b == b'}') {
                    return i + 1;
                }
            }
        }
        let start = i;
        while code.get(i).is_some_and(|&b| ident(b)) {
            i += 1;
        }
        if start == i {
            out.push(prefix);
            return i;
        }
        let name = String::from_utf8_lossy(&code[start..i]).into_owned();
        match name.as_str() {
            "super" => {
                prefix.pop();
            }
            "self" => {}
            _ => prefix.push(name),
        }
        if code[i..].starts_with(b"::") {
            i += 2;
        } else {
            out.push(prefix);
            return i;
        }
    }
}

#[test]
fn the_engine_never_names_the_layers_above_it() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(file);
        let Some(top) = module.first() else { continue };
        if !ENGINE.contains(&top.as_str()) {
            continue;
        }
        for path in named_paths(&module, &product_code(file)) {
            if let Some(first) = path.first()
                && ABOVE.contains(&first.as_str())
            {
                wrong.push(format!("{} names {}", file.display(), path.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_kdd_domain_and_the_formatting_are_the_bottom_floor() {
    let mut files = Vec::new();
    rust_files(&src().join("kdd"), &mut files);
    files.push(src().join("format.rs"));
    for file in &files {
        let module = module_of(file);
        for path in named_paths(&module, &product_code(file)) {
            assert!(
                path.first() == module.first(),
                "{} names {}",
                file.display(),
                path.join("::")
            );
        }
    }
}

/// The file-level import graph: an edge from each file to the files whose modules
/// its product code names.
fn import_graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let by_module: BTreeMap<Vec<String>, PathBuf> =
        files.iter().map(|f| (module_of(f), f.clone())).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let mut targets = BTreeSet::new();
        for path in named_paths(&module, &product_code(file)) {
            // The longest prefix of the path that is a file's module.
            let target = (1..=path.len())
                .rev()
                .find_map(|n| by_module.get(&path[..n]));
            if let Some(target) = target
                && target != file
                // A module naming its own submodules is declaring them, not a loop.
                && !module_of(target).starts_with(&module)
            {
                targets.insert(target.clone());
            }
        }
        graph.insert(file.clone(), targets);
    }
    graph
}

/// Every cycle's files, one line each (Tarjan's strongly connected components).
fn cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<String> {
    struct State<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<String>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.strip_prefix(src()).unwrap().display().to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component.join(" ↔ "));
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let p = |s: &str| src().join(s);
    let graph = BTreeMap::from([
        (p("a.rs"), BTreeSet::from([p("b.rs")])),
        (p("b.rs"), BTreeSet::from([p("c.rs")])),
        (p("c.rs"), BTreeSet::from([p("a.rs")])),
        (p("d.rs"), BTreeSet::from([p("a.rs")])),
    ]);
    assert_eq!(cycles(&graph), ["a.rs ↔ b.rs ↔ c.rs"]);
    let module = vec![
        "detect".to_owned(),
        "autoencoder".to_owned(),
        "network".to_owned(),
    ];
    let named = named_paths(
        &module,
        "use super::inference::Inference;\nuse crate::features::Matrix;",
    );
    assert_eq!(
        named,
        [
            vec!["detect", "autoencoder", "inference", "Inference"],
            vec!["features", "Matrix"]
        ]
    );
}

#[test]
fn no_two_files_import_each_other() {
    let found = cycles(&import_graph());
    assert!(
        found.is_empty(),
        "import cycles between files:\n{}",
        found.join("\n")
    );
}
