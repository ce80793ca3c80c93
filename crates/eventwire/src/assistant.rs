//! `assistant`: live updates of an AI assistant conversation,
//! `{"channel": <session channel>, "payload": {...}}`, in both directions (the assistant
//! backend publishes them to its broker client to server, the broker relays them server to
//! client); and subscription requests on the channel `subscription`, client to server.
//!
//! The payload's `type` and `status` come in fixed pairs, which the types encode: a status
//! update is `started` or `responding`, a tool update `processing`, a response `in_progress` or
//! `completed` (with `final_message` true exactly when completed), an error `error`.

use serde::{Deserialize, Serialize};

use crate::primitives::{Flag, Id, SessionChannel, UnixTime};
use crate::tag::Tag;

#[cfg(feature = "schema")]
use schemars::JsonSchema;

family! {
    /// Any message of the `assistant` family.
    pub enum AssistantMessage for Assistant {
        /// Subscribe to or unsubscribe from a session channel.
        SubscriptionRequest => "subscription", ClientToServer;
        /// Processing started, or the assistant began responding.
        StatusMessage => "status", Both;
        /// A tool is executing.
        ToolMessage => "tool", Both;
        /// Streamed response text, and its completion.
        ResponseMessage => "response", Both;
        /// Processing failed.
        ErrorMessage => "error", Both;
    }
}

/// The sequence rules of `protocol.md`: per (`channel`, `message_id`), a conversation starts
/// with `status`/`started`, goes on with tool updates, `responding` and `in_progress` texts that
/// grow by appending, and ends with `completed` (the whole answer) or an error; its `thread_id`
/// does not change.
pub const SEQUENCE: crate::conversation::Sequence = {
    use crate::conversation::{Phase, Sequence, Step};
    Sequence {
        key: &["/channel", "/payload/message_id"],
        fixed: &["/payload/thread_id"],
        text: "/payload/message",
        status: "/payload/status",
        steps: &[
            Step { tag: "status", status: "started", phase: Phase::Start, grows: false },
            Step { tag: "status", status: "responding", phase: Phase::Continue, grows: false },
            Step { tag: "tool", status: "processing", phase: Phase::Continue, grows: false },
            Step { tag: "response", status: "in_progress", phase: Phase::Continue, grows: true },
            Step { tag: "response", status: "completed", phase: Phase::End, grows: true },
            Step { tag: "error", status: "error", phase: Phase::End, grows: false },
        ],
    }
};

fixed_string!(
    /// The status `processing` (the only status of a tool update).
    ProcessingStatus = "processing"
);
fixed_string!(
    /// The status `error` (the only status of an error update).
    ErrorStatus = "error"
);

/// A request to subscribe to or unsubscribe from a session channel, sent on channel
/// `subscription`, client to server (C→S) only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// Always `subscription`.
    pub channel: Tag<SubscriptionRequest>,
    /// What to do, and with which channel.
    pub payload: Subscription,
}

impl SubscriptionRequest {
    /// A request to `action` the channel `channel`.
    pub fn new(action: SubscriptionAction, channel: Id) -> Self {
        Self { channel: Tag::new(), payload: Subscription { action, channel } }
    }
}

/// The payload of a subscription request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// Subscribe or unsubscribe.
    pub action: SubscriptionAction,
    /// The session channel, for example "user_session_abc123".
    pub channel: Id,
}

/// Subscribe or unsubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionAction {
    /// Start receiving the channel's updates.
    Subscribe,
    /// Stop receiving them.
    Unsubscribe,
}

/// A status update on a session channel.
///
/// Travels both ways (C→S, S→C): the assistant backend, a WebSocket client of its broker,
/// publishes it client to server, and the broker relays it server to client to the channel's
/// subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct StatusMessage {
    /// The session channel the update is published on.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Key as usize))]
    pub channel: SessionChannel,
    /// The update.
    pub payload: StatusUpdate,
}

impl StatusMessage {
    /// `payload` published on `channel`.
    pub fn new(channel: SessionChannel, payload: StatusUpdate) -> Self {
        Self { channel, payload }
    }
}

/// Processing started, or the assistant began responding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct StatusUpdate {
    /// Text for the user, for example "Assistant is processing your request...".
    pub message: String,
    /// When the update was sent, in Unix seconds.
    pub timestamp: UnixTime,
    /// `started` or `responding`.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Status as usize))]
    pub status: StatusPhase,
    /// Always `status`.
    #[serde(rename = "type")]
    pub kind: Tag<StatusMessage>,
    /// Always `false`.
    pub final_message: Flag<false>,
    /// The assistant message this update belongs to.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::SubKey as usize))]
    pub message_id: Id,
    /// The conversation thread.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Fixed as usize))]
    pub thread_id: Id,
}

/// The phase a status update announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum StatusPhase {
    /// Processing began (the first update of a message).
    Started,
    /// Response text is about to stream.
    Responding,
}

/// A tool update on a session channel.
///
/// Travels both ways (C→S, S→C): the assistant backend, a WebSocket client of its broker,
/// publishes it client to server, and the broker relays it server to client to the channel's
/// subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct ToolMessage {
    /// The session channel the update is published on.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Key as usize))]
    pub channel: SessionChannel,
    /// The update.
    pub payload: ToolUpdate,
}

impl ToolMessage {
    /// `payload` published on `channel`.
    pub fn new(channel: SessionChannel, payload: ToolUpdate) -> Self {
        Self { channel, payload }
    }
}

/// A tool is executing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct ToolUpdate {
    /// Text for the user, for example "Executing weather check for Makati".
    pub message: String,
    /// When the update was sent, in Unix seconds.
    pub timestamp: UnixTime,
    /// Always `processing`.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Status as usize))]
    pub status: ProcessingStatus,
    /// Always `tool`.
    #[serde(rename = "type")]
    pub kind: Tag<ToolMessage>,
    /// Always `false`.
    pub final_message: Flag<false>,
    /// The assistant message this update belongs to.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::SubKey as usize))]
    pub message_id: Id,
    /// The conversation thread.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Fixed as usize))]
    pub thread_id: Id,
}

/// A response update on a session channel.
///
/// Travels both ways (C→S, S→C): the assistant backend, a WebSocket client of its broker,
/// publishes it client to server, and the broker relays it server to client to the channel's
/// subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct ResponseMessage {
    /// The session channel the update is published on.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Key as usize))]
    pub channel: SessionChannel,
    /// The update.
    pub payload: ResponseUpdate,
}

impl ResponseMessage {
    /// `payload` published on `channel`.
    pub fn new(channel: SessionChannel, payload: ResponseUpdate) -> Self {
        Self { channel, payload }
    }
}

/// Response text: the whole text so far while `in_progress`, the final text when `completed`.
/// `final_message` is true exactly when the status is `completed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[cfg_attr(feature = "arbitrary", proptest(filter = "ResponseUpdate::is_consistent"))]
#[serde(try_from = "ResponseUpdateFields")]
pub struct ResponseUpdate {
    /// The response text.
    pub message: String,
    /// When the update was sent, in Unix seconds.
    pub timestamp: UnixTime,
    /// `in_progress` or `completed`.
    pub status: ResponseStatus,
    /// Always `response`.
    #[serde(rename = "type")]
    pub kind: Tag<ResponseMessage>,
    /// True exactly when `status` is `completed`.
    pub final_message: bool,
    /// The assistant message this update belongs to.
    pub message_id: Id,
    /// The conversation thread.
    pub thread_id: Id,
}

impl ResponseUpdate {
    /// Response text streamed so far (`in_progress`, `final_message` false).
    pub fn in_progress(message: impl Into<String>, timestamp: UnixTime, message_id: Id, thread_id: Id) -> Self {
        let (status, final_message) = (ResponseStatus::InProgress, false);
        Self { message: message.into(), timestamp, status, kind: Tag::new(), final_message, message_id, thread_id }
    }

    /// The complete response (`completed`, `final_message` true).
    pub fn completed(message: impl Into<String>, timestamp: UnixTime, message_id: Id, thread_id: Id) -> Self {
        let (status, final_message) = (ResponseStatus::Completed, true);
        Self { message: message.into(), timestamp, status, kind: Tag::new(), final_message, message_id, thread_id }
    }

    /// Whether `final_message` agrees with `status`.
    pub fn is_consistent(&self) -> bool {
        consistent(self.final_message, self.status)
    }
}

/// The fields of [`ResponseUpdate`] before the `final_message`/`status` rule is checked.
#[derive(Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
struct ResponseUpdateFields {
    /// The response text.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Text as usize))]
    message: String,
    /// When the update was sent, in Unix seconds.
    timestamp: UnixTime,
    /// `in_progress` or `completed`.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Status as usize))]
    status: ResponseStatus,
    /// Always `response`.
    #[serde(rename = "type")]
    kind: Tag<ResponseMessage>,
    /// True exactly when `status` is `completed`.
    final_message: bool,
    /// The assistant message this update belongs to.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::SubKey as usize))]
    message_id: Id,
    /// The conversation thread.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Fixed as usize))]
    thread_id: Id,
}

/// `final_message` is true exactly when the response is completed.
fn consistent(final_message: bool, status: ResponseStatus) -> bool {
    final_message == (status == ResponseStatus::Completed)
}

/// Why `final_message` and `status` disagree, if they do.
fn inconsistency(final_message: bool, status: ResponseStatus) -> Option<String> {
    (!consistent(final_message, status)).then(|| {
        format!(
            "final_message is {final_message} but status is `{}`: final_message must be true exactly when status is `completed`",
            status.as_str()
        )
    })
}

#[cfg(feature = "schema")]
impl JsonSchema for ResponseUpdate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ResponseUpdate".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = ResponseUpdateFields::json_schema(generator);
        schema.insert(
            "description".into(),
            "Response text: the whole text so far while `in_progress`, the final text when `completed`. `final_message` is true exactly when the status is `completed`.".into(),
        );
        schema.insert("if".into(), serde_json::json!({ "properties": { "status": { "const": "completed" } } }));
        schema.insert("then".into(), serde_json::json!({ "properties": { "final_message": { "const": true } } }));
        schema.insert("else".into(), serde_json::json!({ "properties": { "final_message": { "const": false } } }));
        schema
    }
}

impl StatusUpdate {
    /// A status update announcing `status`.
    pub fn new(
        status: StatusPhase,
        message: impl Into<String>,
        timestamp: UnixTime,
        message_id: Id,
        thread_id: Id,
    ) -> Self {
        Self {
            message: message.into(),
            timestamp,
            status,
            kind: Tag::new(),
            final_message: Flag,
            message_id,
            thread_id,
        }
    }
}

impl ToolUpdate {
    /// A tool update (`processing`).
    pub fn new(message: impl Into<String>, timestamp: UnixTime, message_id: Id, thread_id: Id) -> Self {
        Self {
            message: message.into(),
            timestamp,
            status: ProcessingStatus,
            kind: Tag::new(),
            final_message: Flag,
            message_id,
            thread_id,
        }
    }
}

impl ErrorUpdate {
    /// An error update; `final_message` is left out, as in the seed example.
    pub fn new(
        message: impl Into<String>,
        error_details: impl Into<String>,
        timestamp: UnixTime,
        message_id: Id,
        thread_id: Id,
    ) -> Self {
        Self {
            message: message.into(),
            timestamp,
            status: ErrorStatus,
            kind: Tag::new(),
            error_details: error_details.into(),
            final_message: None,
            message_id,
            thread_id,
        }
    }
}

/// Where a response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    /// More text follows; `message` holds the text so far.
    InProgress,
    /// The response is complete (the last update of the message).
    Completed,
}

impl ResponseStatus {
    /// The status as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseStatus::InProgress => "in_progress",
            ResponseStatus::Completed => "completed",
        }
    }
}

/// An error update on a session channel.
///
/// Travels both ways (C→S, S→C): the assistant backend, a WebSocket client of its broker,
/// publishes it client to server, and the broker relays it server to client to the channel's
/// subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct ErrorMessage {
    /// The session channel the update is published on.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Key as usize))]
    pub channel: SessionChannel,
    /// The update.
    pub payload: ErrorUpdate,
}

impl ErrorMessage {
    /// `payload` published on `channel`.
    pub fn new(channel: SessionChannel, payload: ErrorUpdate) -> Self {
        Self { channel, payload }
    }
}

/// Processing failed (the last update of the message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct ErrorUpdate {
    /// A short description of the error.
    pub message: String,
    /// When the update was sent, in Unix seconds.
    pub timestamp: UnixTime,
    /// Always `error`.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Status as usize))]
    pub status: ErrorStatus,
    /// Always `error`.
    #[serde(rename = "type")]
    pub kind: Tag<ErrorMessage>,
    /// Detailed error information.
    pub error_details: String,
    /// Optional on errors (the seed example omits it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_message: Option<bool>,
    /// The assistant message this update belongs to.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::SubKey as usize))]
    pub message_id: Id,
    /// The conversation thread.
    #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Fixed as usize))]
    pub thread_id: Id,
}

impl TryFrom<ResponseUpdateFields> for ResponseUpdate {
    type Error = String;
    fn try_from(f: ResponseUpdateFields) -> Result<Self, String> {
        let update = ResponseUpdate {
            message: f.message,
            timestamp: f.timestamp,
            status: f.status,
            kind: f.kind,
            final_message: f.final_message,
            message_id: f.message_id,
            thread_id: f.thread_id,
        };
        match inconsistency(update.final_message, update.status) {
            None => Ok(update),
            Some(why) => Err(why),
        }
    }
}

/// The check-only twins of the types above that deserialize through code of their own.
#[cfg(feature = "check")]
mod twins {
    use super::*;
    use crate::twin::{HasFacts, HasTwin};

    /// The twin of [`ResponseUpdate`]: its fields' twin, then the same rule between
    /// `final_message` and `status`.
    pub(crate) struct ResponseUpdateTwin(<ResponseUpdateFields as HasTwin>::Twin);

    impl HasTwin for ResponseUpdate {
        type Twin = ResponseUpdateTwin;
    }

    impl HasFacts for ResponseUpdateTwin {
        fn add_facts(&self, facts: &mut crate::twin::Facts) {
            self.0.add_facts(facts);
        }
    }

    impl crate::twin::layout::Layout for ResponseUpdateTwin {
        fn read(reader: &mut crate::twin::layout::TokenReader<'_>) -> Option<Self> {
            let fields = <<ResponseUpdateFields as HasTwin>::Twin as crate::twin::layout::Layout>::read(reader)?;
            consistent(fields.final_message, fields.status.value).then_some(ResponseUpdateTwin(fields))
        }
    }

    impl<'de> Deserialize<'de> for ResponseUpdateTwin {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let fields = <ResponseUpdateFields as HasTwin>::Twin::deserialize(deserializer)?;
            match inconsistency(fields.final_message, fields.status.value) {
                None => Ok(ResponseUpdateTwin(fields)),
                Some(why) => Err(serde::de::Error::custom(why)),
            }
        }
    }
}
