//! `health`: health score events sent by the inference engine to `ws://HOST:4000/ws?token=…`
//! (client to server), internally tagged on `type`.
//!
//! The seed document shows `send_event(event_type, data)` but not its wire form; per
//! `protocol.md` it is `{"type": event_type, "timestamp": <Unix seconds>, "data": {...}}`.

use serde::{Deserialize, Serialize};

use crate::primitives::{NonEmptyText, NonNegative, OpenObject, UnitInterval, UnixTime};
use crate::tag::Tag;

#[cfg(feature = "schema")]
use schemars::JsonSchema;

family! {
    /// Any message of the `health` family.
    pub enum HealthEvent for Health {
        /// A computed health score.
        HealthScore => "health_score", ClientToServer;
        /// An alert raised by the application.
        Alert => "alert", ClientToServer;
        /// A status report of a system.
        StatusReport => "status", ClientToServer;
    }
}

/// A health score computed by the synchronized inference engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct HealthScore {
    /// Always `health_score`.
    #[serde(rename = "type")]
    pub kind: Tag<HealthScore>,
    /// When the score was computed, in Unix seconds.
    pub timestamp: UnixTime,
    /// The combined health score, 0 to 1.
    pub health_score: UnitInterval,
    /// The driver-vigilance (vision) score, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dv_score: Option<UnitInterval>,
    /// The health-vitals score, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hv_score: Option<UnitInterval>,
    /// A human reading of the score, for example "Fair Health".
    pub interpretation: NonEmptyText,
    /// The risk the score implies.
    pub risk_level: RiskLevel,
    /// Which inputs produced the score.
    pub mode: ScoreMode,
    /// How far apart (seconds) vision and vitals samples may be to count as synchronized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_tolerance: Option<NonNegative>,
    /// The component that computed the score, for example "synchronized_inference_engine".
    pub source: NonEmptyText,
}

impl HealthScore {
    /// A health score with the required fields; optional ones start absent.
    pub fn new(
        timestamp: UnixTime,
        health_score: UnitInterval,
        interpretation: NonEmptyText,
        risk_level: RiskLevel,
        mode: ScoreMode,
        source: NonEmptyText,
    ) -> Self {
        Self {
            kind: Tag::new(),
            timestamp,
            health_score,
            dv_score: None,
            hv_score: None,
            interpretation,
            risk_level,
            mode,
            sync_tolerance: None,
            source,
        }
    }
}

/// The risk a health score implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Low risk.
    Low,
    /// Moderate risk.
    Moderate,
    /// High risk.
    High,
    /// Critical risk.
    Critical,
}

/// Which inputs produced a health score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum ScoreMode {
    /// Vision and vitals samples matched within the sync tolerance.
    Synchronized,
    /// Vision (driver vigilance) only.
    DvOnly,
    /// Vitals only.
    HvOnly,
    /// Sent by hand through the API.
    Manual,
}

/// An alert: `send_event("alert", data)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Always `alert`.
    #[serde(rename = "type")]
    pub kind: Tag<Alert>,
    /// When the event was sent, in Unix seconds.
    pub timestamp: UnixTime,
    /// The alert itself: an open object with a required `message`.
    pub data: AlertData,
}

impl Alert {
    /// An alert with just a message.
    pub fn new(timestamp: UnixTime, message: impl Into<String>) -> Self {
        let data =
            AlertData { message: message.into(), level: None, action_required: None, extra: OpenObject::default() };
        Self { kind: Tag::new(), timestamp, data }
    }
}

/// The `data` of an alert. Open: keys beyond the documented ones are allowed and kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub struct AlertData {
    /// What happened, for a person to read.
    pub message: String,
    /// How severe the alert is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<AlertLevel>,
    /// Whether someone has to act on the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_required: Option<bool>,
    /// Any further keys (for example the alert's own `type`, `action`, `timestamp`).
    #[serde(flatten)]
    #[cfg_attr(
        feature = "arbitrary",
        proptest(strategy = "crate::arbitrary::extra_keys(&[\"message\", \"level\", \"action_required\"])")
    )]
    pub extra: OpenObject,
}

/// The severity of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    /// Informational.
    Info,
    /// Low severity.
    Low,
    /// A warning.
    Warning,
    /// Moderate severity.
    Moderate,
    /// High severity.
    High,
    /// Critical.
    Critical,
}

/// A status report: `send_event("status", data)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct StatusReport {
    /// Always `status`.
    #[serde(rename = "type")]
    pub kind: Tag<StatusReport>,
    /// When the event was sent, in Unix seconds.
    pub timestamp: UnixTime,
    /// The status itself: an open object with a required `system`.
    pub data: StatusData,
}

impl StatusReport {
    /// A status report of `system` with no further keys.
    pub fn new(timestamp: UnixTime, system: impl Into<String>) -> Self {
        Self { kind: Tag::new(), timestamp, data: StatusData { system: system.into(), extra: OpenObject::default() } }
    }
}

/// The `data` of a status report. Open: keys beyond `system` are allowed and kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub struct StatusData {
    /// The system reporting, for example "vigilant_ai".
    pub system: String,
    /// Any further keys (for example `status`, `uptime`).
    #[serde(flatten)]
    #[cfg_attr(feature = "arbitrary", proptest(strategy = "crate::arbitrary::extra_keys(&[\"system\"])"))]
    pub extra: OpenObject,
}
