//! eventwire: the messages of five real-time WebSocket protocols as serde types, with their
//! JSON Schema and one registry of message types.
//!
//! ```
//! let message = eventwire::decode(r#"{"type": "ping", "session_id": "s1", "timestamp": 1758855248}"#).unwrap();
//! assert_eq!(message.kind().tag, "ping");
//! assert_eq!(message.family(), eventwire::Family::Stream);
//! ```
//!
//! The wire format is the one the protocol documents give; `protocol.md` settles what they
//! leave open. Every message struct serializes to the complete wire message (it carries its own
//! tag), and decoding routes on the envelope to exactly one type, so errors name that type's
//! field by JSON Pointer.

#[macro_use]
mod macros;
#[macro_use]
pub mod registry;

#[cfg(feature = "arbitrary")]
mod arbitrary;
pub mod assistant;
pub mod conversation;
pub mod decode;
pub mod health;
pub mod media;
pub mod primitives;
mod scan;
#[cfg(feature = "schema")]
pub mod schema;
pub mod simulation;
mod sniff;
pub mod stream;
mod tag;
#[cfg(feature = "check")]
mod twin;

use serde::{Deserialize, Deserializer, Serialize};

pub use conversation::{Conversation, Role};
#[cfg(feature = "check")]
pub use decode::{Checked, check};
pub use decode::{DecodeError, Rule, decode, decode_family, decode_value};
pub use registry::{Direction, Directions, Family, MessageKind};
pub use tag::{Tag, Tagged};
#[cfg(feature = "check")]
pub use twin::Facts;

/// What other eventwire crates share with this one, without being its API: no documentation,
/// no stability. (`eventwire-capture` reads a HAR's WebSocket messages with the token reader
/// that reads messages in their usual layout.)
#[cfg(feature = "check")]
#[doc(hidden)]
pub mod __private {
    pub use crate::twin::layout::TokenReader;
}

/// One message of any family.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub enum Message {
    /// A `health` message.
    Health(health::HealthEvent),
    /// A `media` message.
    Media(media::MediaEvent),
    /// A `simulation` message.
    Simulation(simulation::SimulationEvent),
    /// An `assistant` message.
    Assistant(assistant::AssistantMessage),
    /// A `stream` message.
    Stream(stream::StreamMessage),
}

impl Message {
    /// The registry row of this message's type (family, tag, direction, type name).
    pub fn kind(&self) -> &'static MessageKind {
        match self {
            Message::Health(m) => m.kind(),
            Message::Media(m) => m.kind(),
            Message::Simulation(m) => m.kind(),
            Message::Assistant(m) => m.kind(),
            Message::Stream(m) => m.kind(),
        }
    }

    /// The family of this message.
    pub fn family(&self) -> Family {
        self.kind().family
    }

    /// The JSON text of this message, exactly as it goes on the wire.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("messages always serialize")
    }
}

impl std::str::FromStr for Message {
    type Err = DecodeError;
    fn from_str(text: &str) -> Result<Self, DecodeError> {
        decode(text)
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        decode::deserialize_message(deserializer, None)
    }
}
