//! Code generators that read the eventwire schema and registry: TypeScript bindings, and the
//! draft-07 rendering of the schema for tools that read that draft best (typify).
//!
//! Generators never guess: a schema keyword they do not map is an [`Error::Unsupported`] that
//! names the keyword and where it is, never a silent `any`.

pub mod draft07;
pub mod node;
pub mod typescript;

use std::path::PathBuf;

/// One file a generator writes, relative to its output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Where it goes, relative to the output folder.
    pub path: PathBuf,
    /// Its text.
    pub contents: String,
}

/// Why a generator could not map the schema.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The schema uses a keyword, or a combination, this generator has no mapping for.
    #[error("{at}: {what} is not supported by the generator")]
    Unsupported {
        /// JSON Pointer into the schema document.
        at: String,
        /// The keyword or shape.
        what: String,
    },
    /// A `$ref` that does not point at a definition of the same document.
    #[error("{at}: cannot resolve `$ref` {reference}")]
    UnresolvedReference {
        /// JSON Pointer into the schema document.
        at: String,
        /// The reference as written.
        reference: String,
    },
}
