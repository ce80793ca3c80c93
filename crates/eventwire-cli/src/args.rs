//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use eventwire_capture::InputFormat;

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
    /// Validate captured traffic: JSON Lines, JSON, HAR, Socket.IO frames or log lines, gzipped
    /// or not. Exit codes: 0 all valid, 1 invalid messages found, 2 usage error, 3 a file could
    /// not be read as a capture.
    Validate(ValidateArgs),
    /// Generate bindings for another language from the protocol types.
    Codegen(CodegenArgs),
    /// List the messages of captures as JSON Lines, as eventwire reads them (reassembled from a
    /// packet capture, unpacked from a HAR), with where each is and which way it went; secrets
    /// redacted. Exit codes: 0, 2 usage error, 3 a file could not be read as a capture.
    Messages(MessagesArgs),
}

/// `eventwire messages`.
#[derive(clap::Args)]
pub struct MessagesArgs {
    /// Capture files to read; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The capture format; detected from each file's content (and a `.har` name) by default.
    #[arg(long, value_parser = input_formats(), default_value = "auto")]
    pub input_format: FormatArg,
    /// The largest record (line, message) read, for example `16MiB`, `512KiB` or `1000000`.
    #[arg(long, value_parser = parse_size, default_value = "16MiB")]
    pub max_record_size: u64,
}

/// `eventwire codegen`.
#[derive(clap::Args)]
pub struct CodegenArgs {
    /// The language.
    #[command(subcommand)]
    pub language: Language,
}

/// The languages `eventwire codegen` writes.
#[derive(Subcommand)]
pub enum Language {
    /// A TypeScript package: one module per family with types and runtime type guards, the
    /// schemas `as const`, `index.ts` and `package.json` (ESM, no runtime dependencies).
    Typescript {
        /// The folder to write into; created when missing. Files of the package are
        /// overwritten, other files are left alone.
        #[arg(long)]
        out: PathBuf,
    },
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
    /// Capture files to read; `-` reads standard input. Gzip-compressed files are read as such.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The capture format; detected from each file's content (and a `.har` name) by default.
    #[arg(long, value_parser = input_formats(), default_value = "auto")]
    pub input_format: FormatArg,
    /// Accept only messages of this family.
    #[arg(long, value_parser = parse_family)]
    pub family: Option<eventwire::Family>,
    /// How to report: human text, JSON Lines, GitHub workflow annotations, or SARIF 2.1.0.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit with 1 when there are warnings, even if every message is valid.
    #[arg(long)]
    pub fail_on_warnings: bool,
    /// The largest record (line, message) read, for example `16MiB`, `512KiB` or `1000000`.
    #[arg(long, value_parser = parse_size, default_value = "16MiB")]
    pub max_record_size: u64,
    /// Threads that decode JSON Lines messages; all the machine's cores by default. Findings are
    /// reported in input order whatever the number.
    #[arg(long, short = 'j')]
    pub jobs: Option<std::num::NonZeroUsize>,
    /// The most assistant conversations, waiting stream requests and stream sessions followed at
    /// once by the rules across messages; past it the oldest are dropped (and that is reported).
    #[arg(long, default_value_t = eventwire_capture::DEFAULT_MAX_OPEN as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_open: u64,
    /// When to colour the text report (`auto` honours NO_COLOR and colours only terminals).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

/// `--input-format`: `auto`, or a capture format (its values and their help come from the
/// capture crate's table of formats).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FormatArg(pub Option<InputFormat>);

impl FormatArg {
    /// The format to force, or `None` to detect.
    pub fn format(self) -> Option<InputFormat> {
        self.0
    }
}

/// The parser of `--input-format`: `auto` and every format of the table, with their help.
fn input_formats() -> impl clap::builder::TypedValueParser<Value = FormatArg> {
    use clap::builder::TypedValueParser as _;
    let auto = clap::builder::PossibleValue::new("auto").help("Detect from the content (and a `.har` name).");
    let formats = InputFormat::ALL
        .into_iter()
        .map(|format| clap::builder::PossibleValue::new(format.name()).help(format.about()).aliases(format.aliases()));
    clap::builder::PossibleValuesParser::new(std::iter::once(auto).chain(formats))
        .map(|name| FormatArg(InputFormat::from_name(&name)))
}

/// `--format`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable, with excerpts.
    Text,
    /// One JSON object per finding, then a summary object (JSON Lines).
    Json,
    /// GitHub Actions workflow commands (`::error file=...::`).
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// `--color`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

fn parse_family(name: &str) -> Result<eventwire::Family, String> {
    eventwire::Family::from_name(name).ok_or_else(|| {
        let names: Vec<_> = eventwire::Family::ALL.iter().map(|f| f.name()).collect();
        format!("unknown family `{name}`; expected one of {}", names.join(", "))
    })
}

/// `16MiB`, `512k`, `2GB`, `1000`: decimal units are powers of 1000, `i` units of 1024.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let number: u64 = text[..digits].parse().map_err(|_| format!("`{text}` is not a size like 16MiB or 1000000"))?;
    let multiplier: u64 = match text[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "ki" | "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mi" | "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gi" | "gib" => 1 << 30,
        unit => return Err(format!("unknown size unit `{unit}`; use B, KB, KiB, MB, MiB, GB or GiB")),
    };
    match number.checked_mul(multiplier) {
        Some(0) => Err("the record size cap must be at least 1 byte".into()),
        Some(size) => Ok(size),
        None => Err(format!("`{text}` is too large")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("64 kib"), Ok(64 << 10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").unwrap_err().contains("unknown size unit"));
        assert!(parse_size("lots").is_err());
    }
}
