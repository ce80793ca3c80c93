//! One module per subcommand.

pub mod codegen;
pub mod messages;
pub mod schema;
pub mod validate;

/// How a command that ran to the end went.
pub enum Outcome {
    /// Nothing invalid.
    Clean,
    /// At least one invalid message (or, with `--fail-on-warnings`, a warning).
    InvalidFound,
    /// A file could not be read, or not read as a capture to its end.
    Unreadable,
}
