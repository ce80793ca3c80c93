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
pub mod check;
pub mod decode;
pub mod health;
pub mod layout;
pub mod media;
pub mod primitives;
#[cfg(feature = "schema")]
pub mod schema;
pub mod simulation;
mod sniff;
pub mod stream;

use serde::{Deserialize, Deserializer, Serialize};

pub use check::Facts;
pub use decode::{Checked, DecodeError, Rule, check, decode, decode_family, decode_value};
pub use registry::{Direction, Directions, Family, MessageKind};

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

    /// The message's timestamp when it is documented as Unix *seconds*, with its JSON Pointer.
    /// (`stream` timestamps may be seconds or milliseconds, and `simulation` ones are ISO 8601,
    /// so those have none.) Validators use it to flag milliseconds written where seconds belong.
    pub fn unix_seconds(&self) -> Option<(&'static str, &primitives::UnixTime)> {
        use assistant::AssistantMessage as A;
        use health::HealthEvent as H;
        let time = match self {
            Message::Health(H::HealthScore(m)) => &m.timestamp,
            Message::Health(H::Alert(m)) => &m.timestamp,
            Message::Health(H::StatusReport(m)) => &m.timestamp,
            Message::Assistant(A::StatusMessage(m)) => &m.payload.timestamp,
            Message::Assistant(A::ToolMessage(m)) => &m.payload.timestamp,
            Message::Assistant(A::ResponseMessage(m)) => &m.payload.timestamp,
            Message::Assistant(A::ErrorMessage(m)) => &m.payload.timestamp,
            Message::Assistant(A::SubscriptionRequest(_))
            | Message::Media(_)
            | Message::Simulation(_)
            | Message::Stream(_) => return None,
        };
        Some((self.family().unix_seconds_pointer()?, time))
    }

    /// What a capture checker needs of this message beyond its type (as [`check()`] reports).
    pub fn facts(&self) -> Facts {
        use media::{AudioData, AudioPayload, MediaEvent};
        let attachment = match self {
            Message::Media(MediaEvent::AudioData(AudioData(_, AudioPayload::Attachment(placeholder)))) => {
                Some(placeholder.num.0)
            }
            _ => None,
        };
        Facts { unix_seconds: self.unix_seconds().map(|(_, time)| time.as_number().clone()), attachment }
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
