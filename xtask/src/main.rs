//! Project automation: `cargo xtask codegen [--check]` writes (or checks) every generated file;
//! `cargo xtask test` runs every test, installing what the tests need from lockfiles;
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
    /// Run every test: the Rust suites, the snapshot check, the drift check and the
    /// independent schema validator.
    Test,
    /// Build release and report peak RSS of `eventwire validate` on generated JSON Lines and
    /// HAR captures of growing size (needs python3 and GNU time). A measurement, not a test.
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
        Command::Rss { jsonl_gb, har_gb } => xtask::test::peak_rss(jsonl_gb, har_gb),
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
