//! `eventwire schema [FAMILY]`: print a schema document.

use std::io::Write;

use anyhow::Context;

use super::Outcome;
use crate::args::SchemaArgs;

/// Prints the family's schema, or the bundle.
pub fn run(args: &SchemaArgs) -> anyhow::Result<Outcome> {
    let document = match args.family {
        Some(family) => eventwire::schema::family_schema(family),
        None => eventwire::schema::bundle_schema(),
    };
    std::io::stdout().lock().write_all(eventwire::schema::render(&document).as_bytes()).context("writing to stdout")?;
    Ok(Outcome::Clean)
}
