//! The published crates export no test-only API: lists keyfort's and keyfort-aes's public
//! items and fails on one that is test tooling (self-tests, test doubles, scan aids: they
//! live in `testkit/`, crate `keyfort-testkit`).
//!
//! The list comes from rustdoc JSON (`cargo +nightly rustdoc -- --output-format json`)
//! when a nightly toolchain is installed; otherwise from the HTML `cargo doc` wrote (each
//! item's page, each method's anchor). Both see the public items only (hidden items are
//! not listed).
use crate::sh;
use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
};

/// Path segments and item names that are test tooling.
const TEST_ONLY: &[&str] = &[
    "selftest",
    "mock_flash",
    "MockFlash",
    "MockFlashError",
    "testutil",
    "testkit",
    "store_tag",
    "store_tag_check",
    "trace_input",
    "TRACE_KEK",
    "TRACE_INPUTS",
    "fips197",
    "differential",
    // The DUKPT register keys a host-side key scan searches for
    // (`keyfort_testkit::dukpt_registers`).
    "register_counters",
    "register_keys",
    // Mutable access to a running store's flash: tests plan cuts and writes through the
    // test doubles' shared plans instead (`keyfort_testkit::MockFlash`).
    "flash_mut",
    // The demo's factory layout (`keyfort_testkit::demo::factory`).
    "factory",
];

/// Test tooling still in the library, named in issue 16, to be moved out; the check
/// reports each one found and fails if one of them is gone (then delete it here).
const PENDING: &[&str] = &[];

/// The crates checked, as cargo names them.
const CRATES: &[&str] = &["keyfort-aes", "keyfort"];

/// Runs the check; the note names the source of the list and its size.
pub fn check(root: &Path) -> Result<String, String> {
    let nightly =
        sh::quiet_ok(Command::new("rustup").args(["run", "nightly", "rustdoc", "--version"]));
    let mut notes = Vec::new();
    let mut pending_seen = BTreeSet::new();
    for krate in CRATES {
        let items = if nightly {
            json_items(root, krate)?
        } else {
            html_items(&root.join("target/doc").join(krate.replace('-', "_")))?
        };
        if items.len() < 10 {
            return Err(format!(
                "{krate}: only {} public items listed: the lister is broken",
                items.len()
            ));
        }
        let bad = test_only(&items, TEST_ONLY);
        if !bad.is_empty() {
            return Err(format!(
                "{krate} exports test-only items: {}",
                bad.join(", ")
            ));
        }
        pending_seen.extend(test_only(&items, PENDING));
        notes.push(format!("{krate} {} items", items.len()));
    }
    for p in PENDING {
        if !pending_seen
            .iter()
            .any(|s| s.split("::").any(|seg| seg == *p))
        {
            return Err(format!(
                "`{p}` is no longer exported: remove it from PENDING in xtask/src/public_api.rs"
            ));
        }
    }
    let pending = if pending_seen.is_empty() {
        String::new()
    } else {
        format!(
            "; still to move out: {}",
            pending_seen.into_iter().collect::<Vec<_>>().join(", ")
        )
    };
    Ok(format!(
        "public API ({}): {}, no test-only item{pending}",
        if nightly {
            "rustdoc JSON"
        } else {
            "cargo doc HTML"
        },
        notes.join(", "),
    ))
}

/// The items of `items` (paths `a::b::c`) with a segment in `names`.
fn test_only(items: &BTreeSet<String>, names: &[&str]) -> Vec<String> {
    items
        .iter()
        .filter(|p| p.split("::").any(|seg| names.contains(&seg)))
        .cloned()
        .collect()
}

/// Public items from rustdoc JSON: every item of the crate itself that rustdoc kept
/// (modules, types, functions, constants, and the methods of their impls), as
/// `module::path::name`; methods as `Type::method`.
fn json_items(root: &Path, krate: &str) -> Result<BTreeSet<String>, String> {
    let target = root.join("target/api-json");
    let mut c = Command::new("rustup");
    c.current_dir(root)
        .args([
            "run",
            "nightly",
            "cargo",
            "rustdoc",
            "--lib",
            "--all-features",
            "-p",
            krate,
        ])
        .arg("--target-dir")
        .arg(&target)
        .args(["--", "-Zunstable-options", "--output-format", "json"]);
    sh::run(&mut c)?;
    let file: PathBuf = target
        .join("doc")
        .join(format!("{}.json", krate.replace('-', "_")));
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(items_of_json(&v))
}

/// The listing of [`json_items`], from the parsed JSON.
fn items_of_json(v: &serde_json::Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Paths of the crate's own items (modules, types, functions, constants...).
    if let Some(paths) = v["paths"].as_object() {
        for p in paths.values() {
            if p["crate_id"].as_u64() != Some(0) {
                continue;
            }
            if let Some(segs) = p["path"].as_array() {
                let s: Vec<&str> = segs.iter().filter_map(|x| x.as_str()).collect();
                out.insert(s.join("::"));
            }
        }
    }
    // Every named item rustdoc kept (methods and associated items included).
    if let Some(index) = v["index"].as_object() {
        for it in index.values() {
            if it["crate_id"].as_u64() != Some(0) {
                continue;
            }
            if let Some(name) = it["name"].as_str() {
                out.insert(name.to_string());
            }
        }
    }
    out
}

/// Public items from `cargo doc`'s HTML under `dir` (the crate's doc directory): module
/// directories and item pages as paths, method anchors (`id="method.NAME"`) as names.
fn html_items(dir: &Path) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![(dir.to_path_buf(), Vec::<String>::new())];
    while let Some((d, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let path = e.path();
            if path.is_dir() {
                let mut p = prefix.clone();
                p.push(name.clone());
                out.insert(p.join("::"));
                stack.push((path, p));
            } else if let Some(stem) = name.strip_suffix(".html") {
                let item = stem.split_once('.').map_or(stem, |(_, n)| n);
                let mut p = prefix.clone();
                p.push(item.to_string());
                out.insert(p.join("::"));
                let html = std::fs::read_to_string(&path).unwrap_or_default();
                for part in html.split("id=\"method.").skip(1) {
                    if let Some(m) = part.split('"').next() {
                        out.insert(m.to_string());
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rustdoc JSON excerpt: a module `store` with a struct and a method.
    fn sample(method: &str, module: &str) -> serde_json::Value {
        serde_json::json!({
            "paths": {
                "1": {"crate_id": 0, "path": ["keyfort", module], "kind": "module"},
                "2": {"crate_id": 0, "path": ["keyfort", module, "KeyStore"], "kind": "struct"},
                "3": {"crate_id": 1, "path": ["core", "selftest"], "kind": "module"}
            },
            "index": {
                "2": {"crate_id": 0, "name": "KeyStore"},
                "4": {"crate_id": 0, "name": method},
                "5": {"crate_id": 1, "name": "MockFlash"}
            }
        })
    }

    #[test]
    fn flags_a_test_only_module_and_method() {
        // Negative controls: a test-only module path and a test-only method are caught.
        let items = items_of_json(&sample("open", "selftest"));
        assert_eq!(
            test_only(&items, TEST_ONLY),
            ["keyfort::selftest", "keyfort::selftest::KeyStore"]
        );
        let items = items_of_json(&sample("flash_mut", "store"));
        assert_eq!(test_only(&items, TEST_ONLY), ["flash_mut"]);
    }

    #[test]
    fn passes_a_clean_api_and_ignores_other_crates() {
        // Another crate's `selftest` module or `MockFlash` (crate_id 1) is not keyfort's.
        let items = items_of_json(&sample("open", "store"));
        assert!(test_only(&items, TEST_ONLY).is_empty());
        assert!(items.contains("keyfort::store::KeyStore") && items.contains("open"));
    }
}
