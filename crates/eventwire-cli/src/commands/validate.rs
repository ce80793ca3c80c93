//! `eventwire validate FILE...`: check every line of JSON Lines captures and report, per
//! message, the first rule it breaks.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use anyhow::Context;

use super::Outcome;
use crate::args::ValidateArgs;

#[derive(Default)]
struct Counts {
    messages: usize,
    invalid: usize,
    valid_by_family: BTreeMap<eventwire::Family, usize>,
}

/// Validates every file and prints one line per invalid message, then a summary.
pub fn run(args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let mut out = io::stdout().lock();
    let mut counts = Counts::default();
    for path in &args.files {
        let reader = open(path)?;
        validate_lines(path, reader, args.family, &mut counts, &mut out)?;
    }
    let families: Vec<String> = counts.valid_by_family.iter().map(|(family, n)| format!("{family} {n}")).collect();
    writeln!(
        out,
        "{} messages: {} valid, {} invalid{}",
        counts.messages,
        counts.messages - counts.invalid,
        counts.invalid,
        if families.is_empty() { String::new() } else { format!(" (valid by family: {})", families.join(", ")) }
    )?;
    Ok(if counts.invalid == 0 { Outcome::Clean } else { Outcome::InvalidFound })
}

fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(io::stdin())));
    }
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Box::new(BufReader::new(file)))
}

fn validate_lines(
    path: &Path,
    mut reader: Box<dyn BufRead>,
    family: Option<eventwire::Family>,
    counts: &mut Counts,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader.read_line(&mut line).with_context(|| format!("reading {}", path.display()))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        let text = if number == 1 { text.trim_start_matches('\u{feff}') } else { text };
        if text.trim().is_empty() {
            continue;
        }
        counts.messages += 1;
        let verdict = match family {
            Some(family) => eventwire::decode_family(text, family),
            None => eventwire::decode(text),
        };
        match verdict {
            Ok(message) => *counts.valid_by_family.entry(message.family()).or_default() += 1,
            Err(error) => {
                counts.invalid += 1;
                writeln!(out, "{}:{number}: {error}", path.display())?;
            }
        }
    }
}
