//! The one registry of message types: family, tag, direction and Rust type of every message.
//!
//! Schema generation, family detection, decoding, the CLI and (through the schema) the code
//! generators all read this table. A message type is added in one place: a line in the
//! `family!` invocation of its module (which creates its registry entry and enum variant), plus
//! its fixtures.

use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;

use crate::Message;
use crate::decode::{DecodeError, Input};

/// The five protocol families, each with its own envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Health score events: `{"type": ..., "timestamp": <Unix seconds>, ...}`, client to server.
    Health,
    /// Audio/video as Socket.IO events: `["audio_data", payload]`, client to server.
    Media,
    /// Agent simulation events: `{"event_type": ..., "timestamp": <ISO 8601>, "data": {...}}`.
    Simulation,
    /// AI assistant live updates: `{"channel": ..., "payload": {"type": ..., ...}}`.
    Assistant,
    /// Session streaming API: `{"type": ..., "session_id": ..., "timestamp": ..., ...}`.
    Stream,
}

impl Family {
    /// Every family, in registry order.
    pub const ALL: [Family; 5] = [Family::Health, Family::Media, Family::Simulation, Family::Assistant, Family::Stream];

    /// The family's name as used in file names, schema ids and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Family::Health => "health",
            Family::Media => "media",
            Family::Simulation => "simulation",
            Family::Assistant => "assistant",
            Family::Stream => "stream",
        }
    }

    /// Looks a family up by [`Family::name`].
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|family| family.name() == name)
    }

    /// The message types of this family.
    pub fn kinds(self) -> &'static [MessageKind] {
        match self {
            Family::Health => crate::health::HealthEvent::KINDS,
            Family::Media => crate::media::MediaEvent::KINDS,
            Family::Simulation => crate::simulation::SimulationEvent::KINDS,
            Family::Assistant => crate::assistant::AssistantMessage::KINDS,
            Family::Stream => crate::stream::StreamMessage::KINDS,
        }
    }

    /// Where the tag that selects the message type sits, as a JSON Pointer.
    pub fn tag_pointer(self) -> &'static str {
        match self {
            Family::Health | Family::Stream => "/type",
            Family::Media => "/0",
            Family::Simulation => "/event_type",
            Family::Assistant => "/payload/type",
        }
    }

    /// Where this family's messages carry a timestamp documented as Unix seconds (JSON
    /// Pointer), if they carry one.
    pub fn unix_seconds_pointer(self) -> Option<&'static str> {
        match self {
            Family::Health => Some("/timestamp"),
            Family::Assistant => Some("/payload/timestamp"),
            Family::Media | Family::Simulation | Family::Stream => None,
        }
    }

    /// The envelope in one line, for error messages and documentation (the tags listed are
    /// the registry's).
    pub fn envelope(self) -> &'static str {
        static ENVELOPES: LazyLock<[String; 5]> = LazyLock::new(|| Family::ALL.map(Family::write_envelope));
        &ENVELOPES[self as usize]
    }

    fn write_envelope(self) -> String {
        let tags = || self.kinds().iter().map(|kind| format!("\"{}\"", kind.tag)).collect::<Vec<_>>().join("|");
        match self {
            Family::Health => format!(r#"{{"type": {}, "timestamp": ...}}"#, tags()),
            Family::Media => format!("[{}, payload]", tags()),
            Family::Simulation => r#"{"event_type": ..., "timestamp": ..., "data": {...}}"#.into(),
            Family::Assistant => r#"{"channel": ..., "payload": {...}}"#.into(),
            Family::Stream => r#"{"type": ..., "session_id": ..., "timestamp": ...}"#.into(),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which way a message was seen travelling (in a capture that records it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    /// Client to server (C→S).
    ClientToServer,
    /// Server to client (S→C).
    ServerToClient,
}

impl Direction {
    /// `C→S` or `S→C`.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ClientToServer => "C→S",
            Direction::ServerToClient => "S→C",
        }
    }

    /// The other way.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }
}

/// Which ways a message type may travel: one direction, or both where the contract says so
/// (assistant updates are published client to server by the assistant backend, a WebSocket
/// client of its broker, and relayed server to client to subscribers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Directions {
    /// Client to server only (C→S).
    ClientToServer,
    /// Server to client only (S→C).
    ServerToClient,
    /// Either way (C→S and S→C).
    Both,
}

impl Directions {
    /// Whether a message of this type may travel `direction`.
    pub fn allows(self, direction: Direction) -> bool {
        match self {
            Directions::ClientToServer => direction == Direction::ClientToServer,
            Directions::ServerToClient => direction == Direction::ServerToClient,
            Directions::Both => true,
        }
    }

    /// `C→S`, `S→C`, or `C→S, S→C`.
    pub fn arrow(self) -> &'static str {
        match self {
            Directions::ClientToServer => "C→S",
            Directions::ServerToClient => "S→C",
            Directions::Both => "C→S, S→C",
        }
    }
}

/// One message type: the registry's row.
#[derive(Debug)]
pub struct MessageKind {
    /// The family it belongs to.
    pub family: Family,
    /// Its tag on the wire (the value at [`Family::tag_pointer`]).
    pub tag: &'static str,
    /// Which ways it may travel.
    pub direction: Directions,
    /// The name of its Rust type, also its schema definition name.
    pub type_name: &'static str,
    /// The part it plays in its family's conversation rules ([`crate::conversation`]).
    pub(crate) role: crate::conversation::Role,
    pub(crate) decode: fn(Input<'_>, &'static MessageKind) -> Result<Message, DecodeError>,
    /// Checks a message as this type without building it ([`crate::check()`]).
    #[cfg(feature = "check")]
    pub(crate) check: fn(Input<'_>, &'static MessageKind) -> Result<crate::Facts, DecodeError>,
    #[cfg(feature = "schema")]
    pub(crate) schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

/// Two rows are the same message type when family and tag agree.
impl PartialEq for MessageKind {
    fn eq(&self, other: &Self) -> bool {
        (self.family, self.tag) == (other.family, other.tag)
    }
}

impl Eq for MessageKind {}

impl MessageKind {
    /// The schema of this message type (a `$ref` into the generator's definitions).
    #[cfg(feature = "schema")]
    pub fn schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        (self.schema)(generator)
    }
}

/// Every message type of every family.
pub fn kinds() -> impl Iterator<Item = &'static MessageKind> {
    Family::ALL.into_iter().flat_map(Family::kinds)
}

/// The message type with this tag in this family.
pub fn find(family: Family, tag: &str) -> Option<&'static MessageKind> {
    family.kinds().iter().find(|kind| kind.tag == tag)
}

/// Declares a family: its enum of message types and their registry rows.
macro_rules! family {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident for $family:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $tag:literal, $direction:ident; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[serde(untagged)]
        #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
        pub enum $enum {
            $( $(#[$vmeta])* $variant($variant), )+
        }

        impl $enum {
            /// The registry rows of this family.
            pub const KINDS: &'static [$crate::registry::MessageKind] = &[
                $( $crate::registry::MessageKind {
                    family: $crate::registry::Family::$family,
                    tag: <$variant as $crate::Tagged>::TAG,
                    direction: $crate::registry::Directions::$direction,
                    type_name: stringify!($variant),
                    role: $crate::conversation::Role::of(
                        $crate::registry::Family::$family,
                        <$variant as $crate::Tagged>::TAG,
                    ),
                    decode: |input, kind| {
                        input.decode::<$variant>(kind).map(|message| $crate::Message::$family($enum::$variant(message)))
                    },
                    #[cfg(feature = "check")]
                    check: $crate::twin::check_input::<$variant>,
                    #[cfg(feature = "schema")]
                    schema: |generator| generator.subschema_for::<$variant>(),
                }, )+
            ];

            /// The tag of this message on the wire.
            pub fn tag(&self) -> &'static str {
                match self { $( Self::$variant(_) => <$variant as $crate::Tagged>::TAG, )+ }
            }

            /// The registry row of this message's type.
            pub fn kind(&self) -> &'static $crate::registry::MessageKind {
                let tag = self.tag();
                Self::KINDS.iter().find(|kind| kind.tag == tag).expect("every variant has a registry row")
            }
        }

        $(
            impl $crate::Tagged for $variant {
                const TAG: &'static str = $tag;
            }

            impl From<$variant> for $enum {
                fn from(message: $variant) -> Self {
                    Self::$variant(message)
                }
            }

            impl From<$variant> for $crate::Message {
                fn from(message: $variant) -> Self {
                    $crate::Message::$family($enum::$variant(message))
                }
            }
        )+

        impl From<$enum> for $crate::Message {
            fn from(message: $enum) -> Self {
                $crate::Message::$family(message)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $enum {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                match $crate::decode::deserialize_message(deserializer, Some($crate::registry::Family::$family))? {
                    $crate::Message::$family(message) => Ok(message),
                    other => Err(::serde::de::Error::custom(format_args!(
                        "expected a {} message, found a {} message", $crate::registry::Family::$family, other.family()
                    ))),
                }
            }
        }

        #[cfg(feature = "schema")]
        impl ::schemars::JsonSchema for $enum {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($enum).into()
            }
            fn json_schema(generator: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                $crate::schema::family_union($crate::registry::Family::$family, generator)
            }
        }
    };
}

/// The families as a Markdown table: envelope, where the tag is, and the message types (the
/// README's protocol table, written into it between markers by `cargo xtask codegen`).
pub fn families_table() -> String {
    let mut table = String::from("| family | envelope | tag at | message types |\n|---|---|---|---|\n");
    for family in Family::ALL {
        let tags: Vec<String> = family.kinds().iter().map(|kind| format!("`{}`", kind.tag)).collect();
        table.push_str(&format!(
            "| `{family}` | `{}` | `{}` | {} |\n",
            family.envelope().replace('|', "\\|"),
            family.tag_pointer(),
            tags.join(", ")
        ));
    }
    table
}

/// The registry as a Markdown table (written to `generated/registry.md`).
pub fn markdown_table() -> String {
    let mut table = String::from(
        "<!-- Generated by `cargo xtask codegen` from the eventwire registry; do not edit. -->\n\
         # Message types\n\n\
         | family | tag | direction | Rust type | tag at |\n|---|---|---|---|---|\n",
    );
    for kind in kinds() {
        table.push_str(&format!(
            "| {} | `{}` | {} | `eventwire::{}::{}` | `{}` |\n",
            kind.family,
            kind.tag,
            kind.direction.arrow(),
            kind.family,
            kind.type_name,
            kind.family.tag_pointer()
        ));
    }
    table.push_str(&crate::conversation::markdown());
    table
}
