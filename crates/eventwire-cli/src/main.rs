//! The `eventwire` command: thin entry point; the work is in `commands/`.

mod args;
mod commands;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes: 0 all valid, 1 invalid input found, 2 usage or I/O error.
fn main() -> ExitCode {
    let args = args::Args::parse();
    let result = match args.command {
        args::Command::Schema(schema) => commands::schema::run(&schema),
        args::Command::Validate(validate) => commands::validate::run(&validate),
    };
    match result {
        Ok(commands::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(commands::Outcome::InvalidFound) => ExitCode::from(1),
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("eventwire: error: {error:#}");
            }
            ExitCode::from(2)
        }
    }
}
