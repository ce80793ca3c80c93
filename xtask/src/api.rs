//! The `eventwire` crate's public API, as its docs page shows it, listed one item a line from
//! rustdoc's JSON output (nightly): `cargo xtask api` writes `crates/eventwire/api/*.txt`, and
//! `cargo xtask test` fails when the crate's API no longer matches them (an item that appeared
//! or went). One list per feature set a user can choose: none, the default, and `check` (what
//! `eventwire-capture` sees). Items hidden from the docs (`#[doc(hidden)]`) are not listed: they
//! are not API.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::codegen::workspace_root;

/// The feature sets listed: the file's name and cargo's feature flags.
pub const FEATURE_SETS: [(&str, &[&str]); 3] =
    [("none", &["--no-default-features"]), ("default", &[]), ("check", &["--features", "check"])];

/// Writes the lists (`bless`) or checks them, failing with what changed.
pub fn run(bless: bool) -> anyhow::Result<()> {
    let root = workspace_root();
    let mut stale = Vec::new();
    for (name, flags) in FEATURE_SETS {
        let listed = list(&root, flags)?;
        let path = list_path(&root, name);
        if bless {
            std::fs::create_dir_all(path.parent().expect("a parent"))?;
            std::fs::write(&path, &listed)?;
            continue;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        if checked_in != listed {
            let old: BTreeSet<&str> = checked_in.lines().collect();
            let new: BTreeSet<&str> = listed.lines().collect();
            let mut change = format!("{} (features: {name}):\n", path.display());
            for gone in old.difference(&new) {
                change.push_str(&format!("  - {gone}\n"));
            }
            for appeared in new.difference(&old) {
                change.push_str(&format!("  + {appeared}\n"));
            }
            stale.push(change);
        }
    }
    if !stale.is_empty() {
        bail!(
            "the eventwire crate's public API changed; if that is meant, run `cargo xtask api --bless` and commit:\n{}",
            stale.join("")
        );
    }
    Ok(())
}

fn list_path(root: &Path, name: &str) -> PathBuf {
    root.join("crates/eventwire/api").join(format!("{name}.txt"))
}

/// The public API of the crate built with `flags`, one sorted line per item.
fn list(root: &Path, flags: &[&str]) -> anyhow::Result<String> {
    // A target directory of its own: nightly's artifacts must not replace stable's.
    let target = root.join("target/api");
    let status = Command::new("cargo")
        .args(["+nightly", "rustdoc", "--quiet", "--package", "eventwire", "--lib"])
        .args(flags)
        .args(["--", "-Z", "unstable-options", "--output-format", "json", "-A", "rustdoc::all"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(root)
        .status()
        .context("running `cargo +nightly rustdoc` (rustup toolchain install nightly)")?;
    if !status.success() {
        bail!("`cargo +nightly rustdoc` failed");
    }
    let path = target.join("doc/eventwire.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).context("rustdoc's JSON")?;
    let mut lines = BTreeSet::new();
    let root_id = doc["root"].clone();
    Walker { doc: &doc, lines: &mut lines, seen: HashSet::new() }.item(&root_id, "");
    Ok(lines.into_iter().map(|line| line + "\n").collect())
}

/// Walks the items reachable from the crate root, as the docs page does.
struct Walker<'a> {
    doc: &'a Value,
    lines: &'a mut BTreeSet<String>,
    /// Items already listed under a path (an item re-exported twice is listed at both).
    seen: HashSet<(String, String)>,
}

impl Walker<'_> {
    fn get(&self, id: &Value) -> Option<&Value> {
        self.doc["index"].get(id_key(id))
    }

    /// Lists the item `id` as `parent::name`, and what it holds.
    fn item(&mut self, id: &Value, parent: &str) {
        let Some(item) = self.get(id).cloned() else { return };
        let name = item["name"].as_str().unwrap_or("").to_owned();
        let path = if parent.is_empty() { name.clone() } else { format!("{parent}::{name}") };
        if !self.seen.insert((id_key(id), path.clone())) {
            return;
        }
        let Some((kind, inner)) = item["inner"].as_object().and_then(|inner| inner.iter().next()) else { return };
        match kind.as_str() {
            "use" => {
                let target = &inner["id"];
                let name = inner["name"].as_str().unwrap_or("");
                if inner["is_glob"].as_bool() == Some(true) {
                    if let Some(module) = self.get(target).cloned() {
                        for child in module["inner"]["module"]["items"].as_array().into_iter().flatten() {
                            self.item(child, parent);
                        }
                    }
                } else if let Some(mut target_item) = self.get(target).cloned() {
                    // Listed under the name it is re-exported as.
                    target_item["name"] = Value::from(name);
                    let key = format!("reexport:{}", id_key(target));
                    if self.seen.insert((key, format!("{parent}::{name}"))) {
                        self.listed_as(&target_item, parent);
                    }
                } else {
                    // A re-export of another crate's item.
                    self.lines.insert(format!("use {parent}::{name} = {}", inner["source"].as_str().unwrap_or("")));
                }
            }
            _ => self.listed_as(&item, parent),
        }
    }

    /// Lists a non-module item (named as `item["name"]`) under `parent`.
    fn listed_as(&mut self, item: &Value, parent: &str) {
        let name = item["name"].as_str().unwrap_or("");
        let path = if parent.is_empty() { name.to_owned() } else { format!("{parent}::{name}") };
        let Some((kind, inner)) = item["inner"].as_object().and_then(|inner| inner.iter().next()) else { return };
        match kind.as_str() {
            "module" => {
                self.lines.insert(format!("mod {path}"));
                for child in inner["items"].as_array().into_iter().flatten() {
                    self.item(child, &path);
                }
            }
            "struct" => {
                self.lines.insert(format!("struct {path}"));
                let fields = match &inner["kind"] {
                    Value::Object(shape) => match shape.iter().next() {
                        Some((shape, value)) if shape == "plain" => value["fields"].as_array().cloned(),
                        Some((shape, value)) if shape == "tuple" => value.as_array().cloned(),
                        _ => None,
                    },
                    _ => None,
                };
                for (index, field) in fields.into_iter().flatten().enumerate() {
                    if field.is_null() {
                        continue;
                    }
                    if let Some(field) = self.get(&field) {
                        let field_name = field["name"].as_str().map_or_else(|| index.to_string(), str::to_owned);
                        self.lines.insert(format!("field {path}::{field_name}"));
                    }
                }
                self.impls(inner, &path);
            }
            "enum" => {
                self.lines.insert(format!("enum {path}"));
                for variant in inner["variants"].as_array().into_iter().flatten() {
                    if let Some(variant) = self.get(variant) {
                        self.lines.insert(format!("variant {path}::{}", variant["name"].as_str().unwrap_or("")));
                    }
                }
                self.impls(inner, &path);
            }
            "trait" => {
                self.lines.insert(format!("trait {path}"));
                for member in inner["items"].as_array().into_iter().flatten() {
                    if let Some(member) = self.get(member) {
                        self.lines.insert(format!("trait item {path}::{}", member["name"].as_str().unwrap_or("")));
                    }
                }
            }
            "function" => {
                self.lines.insert(format!("fn {path}"));
            }
            "constant" => {
                self.lines.insert(format!("const {path}"));
            }
            "static" => {
                self.lines.insert(format!("static {path}"));
            }
            "type_alias" => {
                self.lines.insert(format!("type {path}"));
            }
            "macro" => {
                self.lines.insert(format!("macro {path}"));
            }
            other => {
                self.lines.insert(format!("{other} {path}"));
            }
        }
    }

    /// A type's inherent members and the traits it implements (by name; auto traits and
    /// blanket impls aside: they say nothing about this crate).
    fn impls(&mut self, inner: &Value, path: &str) {
        for impl_id in inner["impls"].as_array().into_iter().flatten() {
            let Some(block) = self.get(impl_id).cloned() else { continue };
            let block = &block["inner"]["impl"];
            if block["is_synthetic"].as_bool() == Some(true) || !block["blanket_impl"].is_null() {
                continue;
            }
            match block["trait"].as_object().or_else(|| block["trait_"].as_object()) {
                Some(trait_path) => {
                    let trait_name = trait_path["path"].as_str().unwrap_or("");
                    // What `derive(PartialEq)` adds for the compiler's own use.
                    if trait_name != "StructuralPartialEq" {
                        self.lines.insert(format!("impl {path}: {trait_name}"));
                    }
                }
                None => {
                    for member in block["items"].as_array().into_iter().flatten() {
                        let Some(member) = self.get(member) else { continue };
                        if member["visibility"] != "public" {
                            continue;
                        }
                        let kind =
                            member["inner"].as_object().and_then(|m| m.keys().next().cloned()).unwrap_or_default();
                        let word = match kind.as_str() {
                            "function" => "fn",
                            "assoc_const" | "constant" => "const",
                            _ => "item",
                        };
                        self.lines.insert(format!("{word} {path}::{}", member["name"].as_str().unwrap_or("")));
                    }
                }
            }
        }
    }
}

/// An id as the index's key (ids are numbers in recent formats, strings in older ones).
fn id_key(id: &Value) -> String {
    match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The crates a serde-only user of `eventwire` (`default-features = false`) compiles: the derive
/// crate, schemars and proptest must not be among them.
pub fn serde_only() -> anyhow::Result<()> {
    let root = workspace_root();
    let output = Command::new("cargo")
        .args(["tree", "--quiet", "-p", "eventwire", "--no-default-features", "-e", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(&root)
        .output()
        .context("running `cargo tree`")?;
    if !output.status.success() {
        bail!("`cargo tree` failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let tree = String::from_utf8(output.stdout)?;
    let names: BTreeSet<&str> = tree.lines().filter_map(|line| line.split_whitespace().next()).collect();
    if !names.contains("serde") || !names.contains("eventwire") {
        bail!("`cargo tree` listed no serde or eventwire: {tree}");
    }
    let unwanted: Vec<&str> =
        ["eventwire-derive", "schemars", "proptest"].into_iter().filter(|name| names.contains(name)).collect();
    if !unwanted.is_empty() {
        bail!("`eventwire` with default-features = false depends on {unwanted:?}:\n{tree}");
    }
    Ok(())
}
