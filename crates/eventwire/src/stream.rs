//! `stream`: the session streaming API at `/api/stream/ws/{session_id}`, internally tagged on
//! `type`; every message carries `session_id` and `timestamp`.

use serde::{Deserialize, Serialize};

use crate::primitives::{Base64, Id, NonNullJson, StreamTimestamp};
use crate::tag::Tag;

#[cfg(feature = "schema")]
use schemars::JsonSchema;

family! {
    /// Any message of the `stream` family.
    pub enum StreamMessage for Stream {
        /// Health-check ping.
        Ping => "ping", ClientToServer;
        /// A chat message from the client.
        Chat => "chat", ClientToServer;
        /// Audio data.
        Audio => "audio", ClientToServer;
        /// Video data.
        Video => "video", ClientToServer;
        /// A request to transcribe audio.
        TranscriptionRequest => "transcription_request", ClientToServer;
        /// A test message.
        Test => "test", ClientToServer;
        /// The connection is confirmed.
        ConnectionEstablished => "connection_established", ServerToClient;
        /// Reply to a ping.
        Pong => "pong", ServerToClient;
        /// Audio data acknowledged.
        AudioReceived => "audio_received", ServerToClient;
        /// Video data acknowledged.
        VideoReceived => "video_received", ServerToClient;
        /// A WebRTC connection was established.
        WebrtcConnected => "webrtc_connected", ServerToClient;
        /// A WebRTC connection was closed.
        WebrtcDisconnected => "webrtc_disconnected", ServerToClient;
        /// A chat message broadcast to the session.
        ChatMessage => "chat_message", ServerToClient;
        /// A transcription.
        TranscriptionResult => "transcription_result", ServerToClient;
        /// Transcription failed.
        TranscriptionError => "transcription_error", ServerToClient;
        /// A server error.
        ServerError => "error", ServerToClient;
    }
}

/// Defines one stream message: a struct with `type`, `session_id`,
/// `timestamp` and the message's own fields.
/// The pairing rules of `protocol.md`: on one socket, each request is answered by its replies,
/// the oldest open request of its kind first; `error` answers the oldest open request of any
/// kind; `connection_established` is the server's first message; every `session_id` is the one
/// in the socket's URL. `chat` is broadcast as `chat_message` and pairs with nothing.
pub const PAIRING: crate::conversation::Pairing = {
    use crate::conversation::{Pair, Pairing};
    Pairing {
        session: "/session_id",
        endpoint: "/api/stream/ws/{session}",
        opening: "connection_established",
        pairs: &[
            Pair { request: "ping", replies: &["pong"] },
            Pair { request: "audio", replies: &["audio_received"] },
            Pair { request: "video", replies: &["video_received"] },
            Pair { request: "transcription_request", replies: &["transcription_result", "transcription_error"] },
        ],
        answers_any: "error",
    }
};

macro_rules! stream_message {
    ($(#[$meta:meta])* $name:ident = $tag:literal { $( $(#[$field_meta:meta])* $field:ident : $field_type:ty ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
        #[cfg_attr(feature = "schema", derive(JsonSchema))]
        #[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[doc = concat!("Always `", $tag, "`.")]
            #[serde(rename = "type")]
            pub kind: Tag<$name>,
            /// The session, as in the endpoint path `/api/stream/ws/{session_id}`.
            #[cfg_attr(feature = "check", twin(note = crate::conversation::Note::Key as usize))]
            pub session_id: Id,
            /// When the message was sent: Unix time (seconds or milliseconds) or ISO 8601.
            pub timestamp: StreamTimestamp,
            $( $(#[$field_meta])* pub $field: $field_type, )*
        }

        impl $name {
            /// A message for `session_id` at `timestamp`.
            pub fn new(session_id: Id, timestamp: StreamTimestamp $(, $field: $field_type)*) -> Self {
                Self { kind: Tag::new(), session_id, timestamp $(, $field)* }
            }
        }
    };
}

stream_message!(
    /// `ping` (C→S): a health check; the server answers `pong`.
    Ping = "ping" {}
);
stream_message!(
    /// `chat` (C→S): a chat message, broadcast to the session as `chat_message`.
    Chat = "chat" {
        /// The chat text.
        message: String,
    }
);
stream_message!(
    /// `audio` (C→S): audio data for processing.
    Audio = "audio" {
        /// The audio bytes as base64.
        data: Base64,
    }
);
stream_message!(
    /// `video` (C→S): video data for analysis.
    Video = "video" {
        /// The video bytes as base64.
        data: Base64,
    }
);
stream_message!(
    /// `transcription_request` (C→S): audio to transcribe with Whisper.
    TranscriptionRequest = "transcription_request" {
        /// The audio bytes as base64.
        data: Base64,
    }
);
stream_message!(
    /// `test` (C→S): a test message with any payload.
    Test = "test" {
        /// Any JSON value except `null`.
        data: NonNullJson,
    }
);
stream_message!(
    /// `connection_established` (S→C): the server accepted the connection.
    ConnectionEstablished = "connection_established" {
        /// A greeting.
        message: String,
    }
);
stream_message!(
    /// `pong` (S→C): the reply to `ping`.
    Pong = "pong" {}
);
stream_message!(
    /// `audio_received` (S→C): audio data acknowledged.
    AudioReceived = "audio_received" {}
);
stream_message!(
    /// `video_received` (S→C): video data acknowledged.
    VideoReceived = "video_received" {}
);
stream_message!(
    /// `webrtc_connected` (S→C): a WebRTC connection was established.
    WebrtcConnected = "webrtc_connected" {}
);
stream_message!(
    /// `webrtc_disconnected` (S→C): a WebRTC connection was closed.
    WebrtcDisconnected = "webrtc_disconnected" {}
);
stream_message!(
    /// `chat_message` (S→C): a chat message broadcast to every client of the session.
    ChatMessage = "chat_message" {
        /// The chat text.
        message: String,
    }
);
stream_message!(
    /// `transcription_result` (S→C): the transcript of requested audio.
    TranscriptionResult = "transcription_result" {
        /// The transcribed text.
        transcript: String,
    }
);
stream_message!(
    /// `transcription_error` (S→C): transcription failed.
    TranscriptionError = "transcription_error" {
        /// What went wrong.
        error: String,
    }
);
stream_message!(
    /// `error` (S→C): a server error, for example an invalid message type.
    ServerError = "error" {
        /// What went wrong.
        message: String,
    }
);
