//! One module per subcommand.

pub mod schema;
pub mod validate;

/// How a command that ran to the end went.
pub enum Outcome {
    /// Nothing invalid.
    Clean,
    /// At least one invalid message.
    InvalidFound,
}
