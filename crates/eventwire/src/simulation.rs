//! `simulation`: agent simulation events, server to UI clients (also published on the Redis
//! channel `websocket_events`): `{"event_type": ..., "timestamp": <ISO 8601>, "data": {...}}`.
//! The shapes are the TypeScript interfaces of the seed document.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::primitives::{
    Count, FiniteNumber, Id, IsoDateTime, NonNegative, OpenObject, Percentage, SentimentScore, StrictMap, UnitInterval,
};
use crate::tag::Tag;

#[cfg(feature = "schema")]
use schemars::JsonSchema;

family! {
    /// Any message of the `simulation` family.
    pub enum SimulationEvent for Simulation {
        /// An agent sent a message.
        AgentMessageEvent => "agent_message", ServerToClient;
        /// The agent network changed.
        NetworkUpdateEvent => "network_update", ServerToClient;
        /// Periodic system health.
        SystemStatusEvent => "system_status", ServerToClient;
    }
}

/// Broadcast when an agent sends a message (`AgentMessageEvent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct AgentMessageEvent {
    /// Always `agent_message`.
    pub event_type: Tag<AgentMessageEvent>,
    /// When the event was emitted (ISO 8601; no offset means UTC).
    pub timestamp: IsoDateTime,
    /// The message.
    pub data: AgentMessage,
}

impl AgentMessageEvent {
    /// The event carrying `data`, emitted at `timestamp`.
    pub fn new(timestamp: IsoDateTime, data: AgentMessage) -> Self {
        Self { event_type: Tag::new(), timestamp, data }
    }
}

/// What an agent said, with its sentiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct AgentMessage {
    /// The agent that sent the message.
    pub agent_id: Id,
    /// The agent's role, for example "CognitivePsychologist".
    pub agent_type: String,
    /// The message text.
    pub message: String,
    /// Sentiment analysis of the message.
    pub sentiment: Sentiment,
    /// Free-form agent metadata (for example `interaction_count`, `has_memory`).
    pub metadata: OpenObject,
}

/// Sentiment analysis of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct Sentiment {
    /// From -1 (negative) to 1 (positive).
    pub score: SentimentScore,
    /// The sentiment in one word.
    pub label: SentimentLabel,
}

/// The sentiment in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    /// Positive.
    Positive,
    /// Negative.
    Negative,
    /// Neutral.
    Neutral,
}

/// Broadcast when the network topology changes (`NetworkUpdateEvent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct NetworkUpdateEvent {
    /// Always `network_update`.
    pub event_type: Tag<NetworkUpdateEvent>,
    /// When the event was emitted (ISO 8601; no offset means UTC).
    pub timestamp: IsoDateTime,
    /// The network state.
    pub data: NetworkUpdate,
}

impl NetworkUpdateEvent {
    /// The event carrying `data`, emitted at `timestamp`.
    pub fn new(timestamp: IsoDateTime, data: NetworkUpdate) -> Self {
        Self { event_type: Tag::new(), timestamp, data }
    }
}

/// The agent network: its connections and message counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct NetworkUpdate {
    /// Every connection between two agents.
    #[cfg_attr(
        feature = "arbitrary",
        proptest(strategy = "proptest::collection::vec(proptest::arbitrary::any::<Connection>(), 0..3)")
    )]
    pub connections: Vec<Connection>,
    /// Messages sent and received, by agent id.
    pub communication_stats: StrictMap<Id, MessageCounts>,
    /// What changed, for example "message_sent" or an emergency-mode change.
    pub event_type: String,
    /// Free-form details of the change (for example `queue_size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<OpenObject>,
}

/// A directed connection between two agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The sending agent.
    pub from: Id,
    /// The receiving agent.
    pub to: Id,
    /// Connection strength, 0 to 1.
    pub strength: UnitInterval,
    /// Whether the connection is in use.
    pub is_active: bool,
    /// Normal, or an emergency-mode connection.
    #[serde(rename = "type")]
    pub kind: ConnectionType,
}

/// The kind of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionType {
    /// A regular connection.
    Normal,
    /// A connection opened in emergency mode.
    Emergency,
}

/// How many messages one agent sent and received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct MessageCounts {
    /// Messages sent.
    pub sent: Count,
    /// Messages received.
    pub received: Count,
}

/// Periodic system health (`SystemStatusEvent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct SystemStatusEvent {
    /// Always `system_status`.
    pub event_type: Tag<SystemStatusEvent>,
    /// When the event was emitted (ISO 8601; no offset means UTC).
    pub timestamp: IsoDateTime,
    /// The system's health.
    pub data: SystemStatus,
}

impl SystemStatusEvent {
    /// The event carrying `data`, emitted at `timestamp`.
    pub fn new(timestamp: IsoDateTime, data: SystemStatus) -> Self {
        Self { event_type: Tag::new(), timestamp, data }
    }
}

/// The simulation's health and load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct SystemStatus {
    /// Overall health.
    pub health_status: HealthStatus,
    /// CPU, memory and any further numeric metrics.
    pub performance_metrics: PerformanceMetrics,
    /// How many agents are running.
    pub active_agents: Count,
    /// How many errors occurred.
    pub error_count: Count,
    /// Free-form metadata (for example `node`, `uptime`).
    pub metadata: OpenObject,
}

/// Overall health of the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Everything works.
    Healthy,
    /// Degraded.
    Warning,
    /// Failing.
    Error,
}

/// Performance metrics: `cpu_percent` and `memory_percent`, plus any further number-valued keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub struct PerformanceMetrics {
    /// CPU use in percent (>= 0; may exceed 100 on several cores).
    pub cpu_percent: NonNegative,
    /// Memory use in percent, 0 to 100.
    pub memory_percent: Percentage,
    /// Further metrics (for example `thread_count`, `open_files`); every value is a number.
    #[serde(flatten)]
    #[cfg_attr(
        feature = "arbitrary",
        proptest(strategy = "crate::arbitrary::extra_keys(&[\"cpu_percent\", \"memory_percent\"])")
    )]
    pub extra: StrictMap<String, FiniteNumber>,
}

/// By hand rather than through `#[serde(flatten)]`, which buffers the map and so loses the key
/// of a bad value from the error's path.
impl<'de> Deserialize<'de> for PerformanceMetrics {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MetricsVisitor;
        impl<'de> Visitor<'de> for MetricsVisitor {
            type Value = PerformanceMetrics;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of number-valued metrics with cpu_percent and memory_percent")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut cpu_percent, mut memory_percent, mut extra) = (None, None, BTreeMap::new());
                while let Some(key) = map.next_key::<String>()? {
                    let duplicate = match key.as_str() {
                        "cpu_percent" => cpu_percent.replace(map.next_value()?).is_some(),
                        "memory_percent" => memory_percent.replace(map.next_value()?).is_some(),
                        _ => {
                            let value = map.next_value()?;
                            extra.insert(key.clone(), value).is_some()
                        }
                    };
                    if duplicate {
                        return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
                    }
                }
                Ok(PerformanceMetrics {
                    cpu_percent: cpu_percent.ok_or_else(|| de::Error::missing_field("cpu_percent"))?,
                    memory_percent: memory_percent.ok_or_else(|| de::Error::missing_field("memory_percent"))?,
                    extra: StrictMap(extra),
                })
            }
        }
        deserializer.deserialize_map(MetricsVisitor)
    }
}

/// The check-only twins of the types above that deserialize through code of their own.
#[cfg(feature = "check")]
mod twins {
    use super::*;
    use crate::twin::layout::Layout;
    use crate::twin::{HasFacts, HasTwin, Key, SeenKeys};

    /// The twin of [`PerformanceMetrics`]: the same keys and values checked, nothing kept.
    pub(crate) struct PerformanceMetricsTwin;

    impl HasFacts for PerformanceMetricsTwin {}

    impl HasTwin for PerformanceMetrics {
        type Twin = PerformanceMetricsTwin;
    }

    /// The same keys and values as the twin's visitor reads, in any order.
    impl Layout for PerformanceMetricsTwin {
        fn read(reader: &mut crate::twin::layout::TokenReader<'_>) -> Option<Self> {
            let (mut cpu_percent, mut memory_percent) = (false, false);
            reader.unique_members(|reader, key| {
                match key {
                    "cpu_percent" => {
                        NonNegative::read(reader)?;
                        cpu_percent = true;
                    }
                    "memory_percent" => {
                        Percentage::read(reader)?;
                        memory_percent = true;
                    }
                    _ => {
                        FiniteNumber::read(reader)?;
                    }
                }
                Some(())
            })?;
            (cpu_percent && memory_percent).then_some(PerformanceMetricsTwin)
        }
    }

    impl<'de> Deserialize<'de> for PerformanceMetricsTwin {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct ViewVisitor;
            impl<'de> Visitor<'de> for ViewVisitor {
                type Value = PerformanceMetricsTwin;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object of number-valued metrics with cpu_percent and memory_percent")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                    let (mut cpu_percent, mut memory_percent, mut seen) = (false, false, SeenKeys::default());
                    while let Some(Key(key)) = map.next_key()? {
                        match key.as_ref() {
                            "cpu_percent" => cpu_percent = map.next_value::<NonNegative>().map(|_| true)?,
                            "memory_percent" => memory_percent = map.next_value::<Percentage>().map(|_| true)?,
                            _ => map.next_value::<FiniteNumber>().map(|_| ())?,
                        }
                        seen.insert(key)?;
                    }
                    match (cpu_percent, memory_percent) {
                        (true, true) => Ok(PerformanceMetricsTwin),
                        (false, _) => Err(de::Error::missing_field("cpu_percent")),
                        (_, false) => Err(de::Error::missing_field("memory_percent")),
                    }
                }
            }
            deserializer.deserialize_map(ViewVisitor)
        }
    }
}
