//! `eventwire codegen typescript --out DIR`: write the TypeScript package.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::Outcome;
use crate::args::{CodegenArgs, Language};

/// Writes the bindings and lists the files written on stdout.
pub fn run(args: &CodegenArgs) -> anyhow::Result<Outcome> {
    let Language::Typescript { out } = &args.language;
    let options = eventwire_codegen::typescript::Options { generated_by: "eventwire codegen typescript".into() };
    let files = eventwire_codegen::typescript::files(&options).context("generating the TypeScript bindings")?;
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let paths: Vec<_> = files.iter().map(|file| out.join(&file.path)).collect();
    for (path, file) in paths.iter().zip(&files) {
        write_if_changed(path, &file.contents)?;
    }
    let mut stdout = std::io::stdout().lock();
    for path in paths {
        writeln!(stdout, "{}", path.display()).context("writing to stdout")?;
    }
    Ok(Outcome::Clean)
}

/// Leaves an unchanged file untouched, so that watchers and build caches see no change.
fn write_if_changed(path: &Path, contents: &str) -> anyhow::Result<()> {
    if fs::read_to_string(path).is_ok_and(|existing| existing == contents) {
        return Ok(());
    }
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}
