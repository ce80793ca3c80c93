//! The `eventwire` command: thin entry point; the work is in `commands/`.

mod args;
mod commands;
mod report;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes: 0 all valid, 1 invalid input found, 2 usage error (or the report could not be
/// written), 3 a file could not be read as a capture.
fn main() -> ExitCode {
    let args = args::Args::parse();
    let result = match args.command {
        args::Command::Schema(schema) => commands::schema::run(&schema),
        args::Command::Validate(validate) => commands::validate::run(&validate),
        args::Command::Codegen(codegen) => commands::codegen::run(&codegen),
        args::Command::Messages(messages) => commands::messages::run(&messages),
    };
    match result {
        Ok(commands::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(commands::Outcome::InvalidFound) => ExitCode::from(1),
        Ok(commands::Outcome::Unreadable) => ExitCode::from(3),
        Err(error) if is_broken_pipe(&error) => ExitCode::from(2),
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("eventwire: error: {error:#}");
            }
            ExitCode::from(2)
        }
    }
}

/// A reader that stopped reading (`eventwire validate big.jsonl | head`) is not worth a message.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
