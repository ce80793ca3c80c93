//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Validate real-time WebSocket event traffic against the eventwire protocol types.
#[derive(Parser)]
#[command(name = "eventwire", version, about)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Print the JSON Schema (draft 2020-12) of a family, or of all of them.
    Schema(SchemaArgs),
    /// Validate messages, one JSON message per line (JSON Lines).
    Validate(ValidateArgs),
}

/// `eventwire schema`.
#[derive(clap::Args)]
pub struct SchemaArgs {
    /// The family (health, media, simulation, assistant, stream); all of them when omitted.
    #[arg(value_parser = parse_family)]
    pub family: Option<eventwire::Family>,
}

/// `eventwire validate`.
#[derive(clap::Args)]
pub struct ValidateArgs {
    /// Files to read; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Accept only messages of this family.
    #[arg(long, value_parser = parse_family)]
    pub family: Option<eventwire::Family>,
}

fn parse_family(name: &str) -> Result<eventwire::Family, String> {
    eventwire::Family::from_name(name).ok_or_else(|| {
        let names: Vec<_> = eventwire::Family::ALL.iter().map(|f| f.name()).collect();
        format!("unknown family `{name}`; expected one of {}", names.join(", "))
    })
}
