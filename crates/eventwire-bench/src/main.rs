//! The Rust peers `cargo xtask bench` measures eventwire against, each on one core over a JSON
//! Lines capture: serde_json parsing to `IgnoredAny` (the floor any validator pays) and to
//! `Value`, and the `jsonschema` crate with its validator built once from the bundle schema.
//!
//! Usage: `eventwire-bench ignored|value|jsonschema CAPTURE [SCHEMA]`. Prints one JSON object:
//! `{"messages": N, "invalid": [1-based indexes]}` (for the floors, the lines that are not
//! JSON), which `cargo xtask bench` compares with the ground truth.
//!
//! Two more measure the machine, not a tool; `cargo xtask bench` runs each alone and twice at
//! once, to tell what the two cores give work that does not stream memory:
//! - `eventwire-bench cached CAPTURE` parses the capture's first lines (up to 256 KiB, which
//!   stay in the core's own L2 cache) over and over, as many bytes as the capture has;
//! - `eventwire-bench spin ITERATIONS` only computes, in registers.

use std::io::{Read, Write as _};

use anyhow::{Context, bail};
use serde::de::IgnoredAny;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {error:#}");
            }
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [tool, iterations] = args.as_slice()
        && tool == "spin"
    {
        let iterations = iterations.parse().with_context(|| format!("`{iterations}` is not a number of iterations"))?;
        std::hint::black_box(spin(iterations));
        return Ok(());
    }
    let (tool, capture) = match args.as_slice() {
        [tool, capture, ..] => (tool.as_str(), capture),
        _ => bail!(
            "usage: eventwire-bench ignored|value|jsonschema|cached CAPTURE [SCHEMA], or eventwire-bench spin ITERATIONS"
        ),
    };
    let file = std::fs::File::open(capture).with_context(|| format!("cannot open {capture}"))?;
    if tool == "cached" {
        let parsed = parse_in_cache(file)?;
        std::hint::black_box(parsed);
        return Ok(());
    }
    let started = std::time::Instant::now();
    let invalid = match tool {
        "ignored" => verdicts(file, |line| serde_json::from_slice::<IgnoredAny>(line).is_ok()),
        "value" => verdicts(file, |line| serde_json::from_slice::<serde_json::Value>(line).is_ok()),
        "jsonschema" => {
            let path = args.get(2).context("jsonschema needs the bundle schema's path")?;
            let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
            let validator = jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| anyhow::anyhow!("the schema does not compile: {e}"))?;
            verdicts(file, |line| {
                serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|value| validator.is_valid(&value))
            })
        }
        other => bail!("unknown tool `{other}`; expected ignored, value or jsonschema"),
    };
    let (messages, invalid) = invalid?;
    if std::env::var_os("EVENTWIRE_BENCH_TIME").is_some() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{tool}: {:.3} s in the loop", started.elapsed().as_secs_f64());
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::json!({ "messages": messages, "invalid": invalid }))?;
    Ok(())
}

/// A xorshift-multiply mix stepped `iterations` times: each step needs the one before and is
/// not linear, so the work can be neither vectorised nor folded away, and it stays in registers.
fn spin(iterations: u64) -> u64 {
    (0..iterations).fold(1, |x: u64, _| (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9))
}

/// Parses the whole lines of the capture's first 256 KiB to `IgnoredAny` again and again, until
/// as many bytes as the capture has are parsed; returns how many lines parsed. The same code as
/// the floor, on the same kind of messages, but none of it waits for memory. (256 KiB, because
/// a mixed capture's first 64 KiB have too few media messages: 69% of the bytes, not 91%.)
fn parse_in_cache(mut file: std::fs::File) -> anyhow::Result<usize> {
    const WINDOW: usize = 256 << 10;
    let size = file.metadata().context("cannot read the capture's size")?.len();
    let mut head = Vec::with_capacity(WINDOW);
    Read::by_ref(&mut file).take(WINDOW as u64).read_to_end(&mut head).context("cannot read the capture")?;
    let whole_lines = if head.len() as u64 == size {
        head.strip_suffix(b"\n").unwrap_or(&head)
    } else {
        head.iter().rposition(|&b| b == b'\n').map_or(&[][..], |last_newline| &head[..last_newline])
    };
    if whole_lines.is_empty() {
        bail!("the capture's first 256 KiB hold no whole line");
    }
    let (mut parsed_bytes, mut parsed) = (0, 0);
    while parsed_bytes < size {
        for line in whole_lines.split(|&b| b == b'\n') {
            parsed += usize::from(serde_json::from_slice::<IgnoredAny>(line).is_ok());
        }
        // (The lines are split byte by byte here, in cache: this measures the machine, and the
        // same code runs alone and twice at once.)
        parsed_bytes += whole_lines.len() as u64 + 1;
    }
    Ok(parsed)
}

/// Runs `valid` on every non-empty line; returns the line count and the invalid lines
/// (1-based). The fastest honest way to read the lines: one buffer, zeroed once, filled by
/// `read` straight from the file; lines found with `memchr` (vectorised) and parsed where they
/// lie; only the partial last line is moved to the buffer's start before the next read (the
/// buffer doubles for a line longer than it).
fn verdicts(mut file: impl Read, mut valid: impl FnMut(&[u8]) -> bool) -> anyhow::Result<(usize, Vec<usize>)> {
    const BLOCK: usize = 4 << 20;
    let (mut invalid, mut messages) = (Vec::new(), 0);
    let mut check = |line: &[u8]| {
        if !line.is_empty() {
            messages += 1;
            if !valid(line) {
                invalid.push(messages);
            }
        }
    };
    let mut buffer = vec![0u8; BLOCK];
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize(2 * buffer.len(), 0);
        }
        let read = file.read(&mut buffer[filled..]).context("cannot read the capture")?;
        if read == 0 {
            check(&buffer[..filled]);
            return Ok((messages, invalid));
        }
        // Only the bytes just read can hold a newline the last scan has not seen.
        let mut start = 0;
        let mut from = filled;
        filled += read;
        while let Some(at) = memchr::memchr(b'\n', &buffer[from..filled]) {
            check(&buffer[start..from + at]);
            start = from + at + 1;
            from = start;
        }
        buffer.copy_within(start..filled, 0);
        filled -= start;
    }
}
