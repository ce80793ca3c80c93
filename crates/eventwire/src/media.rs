//! `media`: audio and video sent as Socket.IO events (Engine.IO v4) to `http://HOST:5000`,
//! client to server. A message is the event array `["audio_data", payload]` or
//! `["video_data", payload]`; on the wire it is framed as `42[...]`.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::primitives::{AudioBase64, Count, Flag, JpegBase64, Present};
use crate::tag::Tag;

#[cfg(feature = "schema")]
use schemars::JsonSchema;

family! {
    /// Any message of the `media` family: a Socket.IO event array.
    pub enum MediaEvent for Media {
        /// Audio samples.
        AudioData => "audio_data", ClientToServer;
        /// A video frame.
        VideoData => "video_data", ClientToServer;
    }
}

/// `["audio_data", payload]`: a chunk of audio (recommended 22050 Hz, about 1024 or 2048
/// samples).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub struct AudioData(pub Tag<AudioData>, pub AudioPayload);

impl AudioData {
    /// An `audio_data` event with this payload.
    pub fn new(payload: AudioPayload) -> Self {
        Self(Tag::new(), payload)
    }
}

/// `["video_data", payload]`: one video frame (about 5 frames per second suffice).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub struct VideoData(pub Tag<VideoData>, pub VideoPayload);

impl VideoData {
    /// A `video_data` event with this payload.
    pub fn new(payload: VideoPayload) -> Self {
        Self(Tag::new(), payload)
    }
}

/// Reads `[tag, payload]`, and says so plainly when the array has another length.
fn deserialize_event<'de, D, T, P>(deserializer: D) -> Result<(T, P), D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
    P: Deserialize<'de>,
{
    struct EventVisitor<T, P>(std::marker::PhantomData<(T, P)>);
    const EXPECTING: &str = "a Socket.IO event array of exactly 2 elements: [event name, payload]";
    impl<'de, T: Deserialize<'de>, P: Deserialize<'de>> Visitor<'de> for EventVisitor<T, P> {
        type Value = (T, P);
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(EXPECTING)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let tag = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &EXPECTING))?;
            let payload = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &EXPECTING))?;
            let mut length = 2;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                length += 1;
            }
            if length > 2 {
                return Err(de::Error::invalid_length(length, &EXPECTING));
            }
            Ok((tag, payload))
        }
    }
    deserializer.deserialize_seq(EventVisitor(std::marker::PhantomData))
}

impl<'de> Deserialize<'de> for AudioData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_event(deserializer).map(|(tag, payload)| Self(tag, payload))
    }
}

impl<'de> Deserialize<'de> for VideoData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_event(deserializer).map(|(tag, payload)| Self(tag, payload))
    }
}

/// The payload of `audio_data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub enum AudioPayload {
    /// Samples sent as a Socket.IO binary attachment (little-endian Float32); the JSON holds only
    /// the placeholder.
    Attachment(AttachmentPlaceholder),
    /// Samples inline as base64.
    Inline(InlineAudio),
}

/// The stand-in for a binary attachment in a Socket.IO `45x-` packet:
/// `{"_placeholder": true, "num": 0}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct AttachmentPlaceholder {
    /// Always `true`.
    #[serde(rename = "_placeholder")]
    pub placeholder: Flag<true>,
    /// The index of the binary frame that carries the data.
    pub num: Count,
}

/// `{"audio": "<base64>"}`: samples inline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct InlineAudio {
    /// Little-endian Float32 samples as base64.
    pub audio: AudioBase64,
}

/// Every key an audio payload object may have; which ones are present picks the shape.
#[derive(Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[serde(deny_unknown_fields)]
struct AudioPayloadKeys {
    #[serde(default, rename = "_placeholder")]
    placeholder: Present<Flag<true>>,
    #[serde(default)]
    num: Present<Count>,
    #[serde(default)]
    audio: Present<AudioBase64>,
}

const AUDIO_PAYLOAD: &str =
    r#"a binary attachment placeholder {"_placeholder": true, "num": N} or {"audio": "<base64>"}"#;

/// Which of its two forms an audio payload's keys make.
enum AudioChoice<P, N, A> {
    Attachment(P, N),
    Inline(A),
}

/// The form an audio payload's keys make, or why they make neither.
fn audio_payload<P, N, A, E: de::Error>(
    placeholder: Option<P>,
    num: Option<N>,
    audio: Option<A>,
) -> Result<AudioChoice<P, N, A>, E> {
    match (placeholder, num, audio) {
        (Some(placeholder), Some(num), None) => Ok(AudioChoice::Attachment(placeholder, num)),
        (None, None, Some(audio)) => Ok(AudioChoice::Inline(audio)),
        (None, None, None) => Err(E::missing_field("audio")),
        (Some(_), None, None) => Err(E::missing_field("num")),
        (None, Some(_), None) => Err(E::missing_field("_placeholder")),
        _ => Err(E::custom(format_args!("expected {AUDIO_PAYLOAD}, not both"))),
    }
}

impl<'de> Deserialize<'de> for AudioPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudioPayloadVisitor;
        impl<'de> Visitor<'de> for AudioPayloadVisitor {
            type Value = AudioPayload;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(AUDIO_PAYLOAD)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AudioPayload, A::Error> {
                let keys = AudioPayloadKeys::deserialize(MapAccessDeserializer::new(map))?;
                Ok(match audio_payload(keys.placeholder.0, keys.num.0, keys.audio.0)? {
                    AudioChoice::Attachment(placeholder, num) => {
                        AudioPayload::Attachment(AttachmentPlaceholder { placeholder, num })
                    }
                    AudioChoice::Inline(audio) => AudioPayload::Inline(InlineAudio { audio }),
                })
            }
        }
        deserializer.deserialize_map(AudioPayloadVisitor)
    }
}

#[cfg(feature = "schema")]
impl JsonSchema for AudioPayload {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AudioPayload".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let attachment = generator.subschema_for::<AttachmentPlaceholder>();
        let inline = generator.subschema_for::<InlineAudio>();
        schemars::json_schema!({
            "description": "The payload of `audio_data`: a binary attachment placeholder (Float32 little-endian samples in the next binary frame) or inline base64.",
            "oneOf": [attachment, inline]
        })
    }
}

/// The payload of `video_data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
pub enum VideoPayload {
    /// The JPEG as a base64 string.
    Bare(JpegBase64),
    /// `{"frame": "<base64>"}`.
    Frame(VideoFrame),
}

/// `{"frame": "<base64>"}`: a JPEG frame in an object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "check", derive(eventwire_derive::Twin))]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "arbitrary", derive(proptest_derive::Arbitrary))]
#[serde(deny_unknown_fields)]
pub struct VideoFrame {
    /// The JPEG as base64.
    pub frame: JpegBase64,
}

const VIDEO_PAYLOAD: &str = r#"a base64 JPEG string or {"frame": "<base64>"}"#;

impl<'de> Deserialize<'de> for VideoPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VideoPayloadVisitor;
        impl<'de> Visitor<'de> for VideoPayloadVisitor {
            type Value = VideoPayload;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(VIDEO_PAYLOAD)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VideoPayload, E> {
                JpegBase64::new(v).map(VideoPayload::Bare).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<VideoPayload, A::Error> {
                VideoFrame::deserialize(MapAccessDeserializer::new(map)).map(VideoPayload::Frame)
            }
        }
        deserializer.deserialize_any(VideoPayloadVisitor)
    }
}

#[cfg(feature = "schema")]
impl JsonSchema for VideoPayload {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "VideoPayload".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let bare = generator.subschema_for::<JpegBase64>();
        let frame = generator.subschema_for::<VideoFrame>();
        schemars::json_schema!({
            "description": "The payload of `video_data`: a base64 JPEG string or an object with the frame.",
            "oneOf": [bare, frame]
        })
    }
}

/// The check-only twins of the types above that deserialize through code of their own.
#[cfg(feature = "check")]
mod twins {
    use super::*;
    use crate::twin::{Facts, HasFacts, HasTwin};

    /// The twin of a media event: the event array read as the event reads it, with its payload's
    /// twin.
    pub(crate) struct EventTwin<T, P>(P, std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>, P: Deserialize<'de>> Deserialize<'de> for EventTwin<T, P> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_event::<D, T, P>(deserializer).map(|(_, payload)| EventTwin(payload, std::marker::PhantomData))
        }
    }

    impl<T, P: HasFacts> HasFacts for EventTwin<T, P> {
        fn add_facts(&self, facts: &mut Facts) {
            self.0.add_facts(facts);
        }
    }

    /// Left to serde: media messages are arrays, and their payloads are read by code of their own.
    impl<T, P> crate::twin::layout::Layout for EventTwin<T, P> {}

    impl HasTwin for AudioData {
        type Twin = EventTwin<Tag<AudioData>, AudioPayloadTwin>;
    }

    impl HasTwin for VideoData {
        type Twin = EventTwin<Tag<VideoData>, VideoPayloadTwin>;
    }

    /// The twin of [`AudioPayload`]: the attachment it names, if it is a placeholder.
    pub(crate) struct AudioPayloadTwin(Option<u64>);

    impl HasFacts for AudioPayloadTwin {
        fn add_facts(&self, facts: &mut Facts) {
            facts.attachment = self.0;
        }
    }

    impl<'de> Deserialize<'de> for AudioPayloadTwin {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct ViewVisitor;
            impl<'de> Visitor<'de> for ViewVisitor {
                type Value = AudioPayloadTwin;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str(AUDIO_PAYLOAD)
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AudioPayloadTwin, A::Error> {
                    let keys = <AudioPayloadKeys as HasTwin>::Twin::deserialize(MapAccessDeserializer::new(map))?;
                    Ok(match audio_payload(keys.placeholder.0, keys.num.0, keys.audio.0)? {
                        AudioChoice::Attachment(_, num) => AudioPayloadTwin(Some(num.0)),
                        AudioChoice::Inline(_) => AudioPayloadTwin(None),
                    })
                }
            }
            deserializer.deserialize_map(ViewVisitor)
        }
    }

    /// The twin of [`VideoPayload`].
    pub(crate) struct VideoPayloadTwin;

    impl HasFacts for VideoPayloadTwin {}

    impl<'de> Deserialize<'de> for VideoPayloadTwin {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct ViewVisitor;
            impl<'de> Visitor<'de> for ViewVisitor {
                type Value = VideoPayloadTwin;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str(VIDEO_PAYLOAD)
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<VideoPayloadTwin, E> {
                    <JpegBase64 as crate::twin::StrRule>::check(v).map(|()| VideoPayloadTwin).map_err(E::custom)
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<VideoPayloadTwin, A::Error> {
                    <VideoFrame as HasTwin>::Twin::deserialize(MapAccessDeserializer::new(map))
                        .map(|_| VideoPayloadTwin)
                }
            }
            deserializer.deserialize_any(ViewVisitor)
        }
    }
}
