//! `eventwire messages FILE...`: every message (and Socket.IO / Engine.IO frame) of the captures
//! as JSON Lines, as eventwire reads them, with its place and direction, secrets redacted.

use std::io::Write;

use anyhow::Context;
use eventwire_capture::{CaptureError, Event, FileReport, Options};
use serde::Serialize;

use super::Outcome;
use crate::args::MessagesArgs;
use crate::report::json::PlaceObject;

/// One line of the listing.
#[derive(Serialize)]
struct TextObject<'a> {
    file: &'a str,
    #[serde(flatten)]
    place: PlaceObject,
    /// `client-to-server`, `server-to-client`, or `null` where the capture does not say.
    direction: Option<&'static str>,
    text: String,
}

/// Lists every file's texts in turn.
pub fn run(args: &MessagesArgs) -> anyhow::Result<Outcome> {
    let options = Options {
        format: args.input_format.format(),
        max_record_bytes: args.max_record_size,
        texts: true,
        excerpts: false,
        ..Options::default()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut outcome = Outcome::Clean;
    for path in &args.files {
        let name = if path.as_os_str() == "-" { "<stdin>".to_owned() } else { path.display().to_string() };
        let mut sink = |event: Event| match event {
            Event::Text(text) => {
                let line = TextObject {
                    file: &name,
                    place: PlaceObject::new(&text.location),
                    direction: text.direction.map(|direction| match direction {
                        eventwire::Direction::ClientToServer => "client-to-server",
                        eventwire::Direction::ServerToClient => "server-to-client",
                    }),
                    text: eventwire_capture::redact::redact(&text.text),
                };
                serde_json::to_writer(&mut out, &line)?;
                out.write_all(b"\n")
            }
            Event::Finding(_) | Event::Message(_) => Ok(()),
        };
        let file = eventwire_capture::validate_path(path, &options, &mut sink);
        match file {
            FileReport { failure: Some(CaptureError::Output(error)), .. } => {
                return Err(anyhow::Error::new(error).context("cannot write the listing"));
            }
            FileReport { failure: Some(failure), .. } => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("eventwire: {name}: {}", eventwire_capture::redact::redact(&failure.to_string()));
                }
                outcome = Outcome::Unreadable;
            }
            FileReport { failure: None, .. } => {}
        }
    }
    out.flush().context("cannot write the listing")?;
    Ok(outcome)
}
