//! Project automation: `cargo xtask codegen [--check]` writes (or checks) every generated file;
//! `cargo xtask api [--bless]` checks (or writes) the types crate's public API lists;
//! `cargo xtask test` runs every test, installing what the tests need from lockfiles;
//! `cargo xtask bench` compares eventwire with the validators people use today;
//! `cargo xtask sample` writes a realistic capture and its ground truth;
//! `cargo xtask rss` reports the peak memory of `eventwire validate` on growing captures.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "eventwire project automation")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write `schema/` and `generated/` from the types (the only way they are written).
    Codegen {
        /// Write nothing; fail with a diff when a checked-in file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Check the `eventwire` crate's public API against `crates/eventwire/api/*.txt` (one list
    /// per feature set, from rustdoc's JSON on nightly).
    Api {
        /// Write the lists from the crate as it is.
        #[arg(long)]
        bless: bool,
    },
    /// Run every test: the Rust suites, the snapshot check, the drift check and the
    /// independent schema validator.
    Test,
    /// Build release and report peak RSS of `eventwire validate` on generated JSON Lines and
    /// HAR captures of growing size (needs python3 and GNU time). A measurement, not a test.
    /// Compare eventwire with serde_json, the jsonschema crate, ajv, fastjsonschema and Python's
    /// jsonschema on generated captures: verdicts checked against the ground truth, then MB/s,
    /// peak RSS and ratios as a Markdown table (needs node, python3, GNU time and taskset).
    Bench {
        /// Size of each capture the fast tools read, for example `200MB`.
        #[arg(long, default_value = "200MB", value_parser = xtask::sample::parse_size)]
        size: u64,
        /// Timed rounds (every tool once per round); each tool's median is reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// A tiny capture and one run: every code path and the agreement check, in seconds.
        #[arg(long)]
        smoke: bool,
    },
    /// Write a realistic capture, deterministic by seed, and its ground truth (which messages
    /// were corrupted, and how) as JSON.
    Sample {
        /// Where to write the capture (`-` for standard output).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Where to write the ground truth; not written when omitted.
        #[arg(long)]
        truth: Option<std::path::PathBuf>,
        /// Approximate size, for example `200MB` or `2GiB`.
        #[arg(long, default_value = "10MB", value_parser = xtask::sample::parse_size)]
        size: u64,
        /// Seed of the generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Share of corrupted messages, for example `1%`.
        #[arg(long, default_value = "1%", value_parser = xtask::sample::parse_share)]
        invalid: f64,
        /// Leave out audio and video.
        #[arg(long)]
        no_media: bool,
        /// JSON Lines or HAR.
        #[arg(long, value_enum, default_value_t = xtask::sample::Format::Jsonl)]
        format: xtask::sample::Format,
    },
    /// Run the fuzz targets (cargo-fuzz, nightly) from the checked-in corpus, then minimize the
    /// corpus they grew back into fuzz/corpus/. An input that breaks an invariant is left in
    /// fuzz/artifacts/ (copy it to fuzz/regressions/, which the tests replay).
    Fuzz {
        /// Minutes per target.
        #[arg(long, default_value_t = 5.0)]
        minutes: f64,
        /// The targets (`decode_and_check`, `capture`); all of them by default.
        targets: Vec<String>,
    },
    Rss {
        /// Largest JSON Lines capture, in GiB.
        #[arg(long, default_value_t = 2.0)]
        jsonl_gb: f64,
        /// Largest HAR capture, in GiB.
        #[arg(long, default_value_t = 1.0)]
        har_gb: f64,
    },
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Codegen { check } => xtask::codegen::run(check),
        Command::Test => xtask::test::run(),
        Command::Api { bless } => xtask::api::run(bless),
        Command::Bench { size, runs, smoke } => {
            let settings = if smoke {
                xtask::bench::SMOKE
            } else {
                xtask::bench::Settings { bytes: size, runs: runs.max(1), smoke }
            };
            xtask::bench::run(&settings)
        }
        Command::Sample { out, truth, size, seed, invalid, no_media, format } => {
            let spec = xtask::sample::Spec { seed, bytes: size, invalid, no_media, format };
            xtask::sample::write_files(&spec, &out, truth.as_deref())
        }
        Command::Rss { jsonl_gb, har_gb } => xtask::test::peak_rss(jsonl_gb, har_gb),
        Command::Fuzz { minutes, targets } => xtask::fuzz::run(minutes, &targets),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {error:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
