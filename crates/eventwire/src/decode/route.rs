//! Routing: the one message type an envelope claims (`protocol.md`, "Telling the families
//! apart"), or why it claims none.

use super::suggest::closest;
use super::*;
use crate::primitives::SUBSCRIPTION_CHANNEL;
use crate::registry::{self, Family, MessageKind};

/// The envelopes `protocol.md` defines, for "matches no family" errors (the tags listed are the
/// registry's).
pub fn expected_envelopes() -> &'static str {
    static EXPECTED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let health: Vec<&str> = Family::Health.kinds().iter().map(|kind| kind.tag).collect();
        format!(
            r#"a Socket.IO event array {} (media), an object with "channel" and "payload" (assistant), with "event_type" and "data" (simulation), or with "type" (health: {}; stream: any other type)"#,
            Family::Media.envelope(),
            health.join(", ")
        )
    });
    &EXPECTED
}

pub(crate) fn route(probe: &Probe) -> Result<&'static MessageKind, DecodeError> {
    match probe {
        Probe::Object(object @ ObjectProbe { duplicate_key: Some(key), .. }) => Err(duplicate_key_error(object, key)),
        Probe::Array { first } => route_tagged(&[Family::Media], "/0", first),
        Probe::Object(object) if object.channel != Field::Absent && object.has_payload => route_assistant(object),
        Probe::Object(object) if object.event_type != Field::Absent => {
            route_tagged(&[Family::Simulation], "/event_type", &object.event_type)
        }
        Probe::Object(object) if object.kind != Field::Absent => {
            route_tagged(&[Family::Health, Family::Stream], "/type", &object.kind)
        }
        // Half an assistant envelope and no other tag: assistant is what it tried to be.
        Probe::Object(object) if object.channel != Field::Absent || object.has_payload => route_assistant(object),
        Probe::Object(object) => Err(no_family(&describe_keys(&object.keys))),
        Probe::Scalar(found) => Err(no_family(found)),
    }
}

/// A duplicated envelope key leaves the message's type in doubt; any other duplicated key is
/// reported against the type the message claims.
pub(crate) fn duplicate_key_error(object: &ObjectProbe, key: &str) -> DecodeError {
    let message = format!("duplicate key `{key}` (parsers disagree on which value wins)");
    let pointer = pointer_token(key);
    let envelope_key = ["type", "event_type", "channel", "payload"].contains(&key);
    let claimed = ObjectProbe { duplicate_key: None, ..object.clone() };
    match route(&Probe::Object(claimed)) {
        Ok(kind) if !envelope_key => DecodeError::Invalid { kind, pointer, message },
        _ => DecodeError::Envelope { family: None, pointer, message },
    }
}

pub(crate) fn no_family(found: &str) -> DecodeError {
    DecodeError::Envelope {
        family: None,
        pointer: String::new(),
        message: format!("matches no protocol family: found {found}; expected {}", expected_envelopes()),
    }
}

pub(crate) fn describe_keys(keys: &[String]) -> String {
    match keys {
        [] => "an empty object".into(),
        keys => format!(
            "an object with keys {}",
            keys.iter().take(8).map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Routes on a string tag that several families may share (`type` is both health and stream).
pub(crate) fn route_tagged(
    families: &[Family],
    pointer: &str,
    tag: &Field,
) -> Result<&'static MessageKind, DecodeError> {
    let family = families[0];
    let tag = match tag {
        Field::Str(tag) => tag,
        Field::Absent => {
            return Err(DecodeError::Envelope {
                family: Some(family),
                pointer: pointer.into(),
                message: format!("missing the message type; expected {}", family.envelope()),
            });
        }
        Field::Other(found) => {
            return Err(DecodeError::Envelope {
                family: Some(family),
                pointer: pointer.into(),
                message: format!("the message type must be a string, found {found}"),
            });
        }
    };
    let candidates = || families.iter().flat_map(|f| f.kinds());
    if let Some(kind) = candidates().find(|kind| kind.tag == tag) {
        return Ok(kind);
    }
    let suggestion = closest(tag, candidates().map(|kind| kind.tag));
    let family = suggestion
        .and_then(|s| candidates().find(|kind| kind.tag == s))
        .map_or(families[families.len() - 1], |kind| kind.family);
    Err(DecodeError::UnknownTag { family, pointer: pointer.into(), tag: tag.clone(), suggestion })
}

pub(crate) fn route_assistant(object: &ObjectProbe) -> Result<&'static MessageKind, DecodeError> {
    let subscription = || registry::find(Family::Assistant, SUBSCRIPTION_CHANNEL).expect("registered");
    if matches!(&object.channel, Field::Str(channel) if channel == SUBSCRIPTION_CHANNEL) {
        if let (Field::Str(update), false) = (&object.payload_type, object.payload_has_action) {
            return Err(DecodeError::Envelope {
                family: Some(Family::Assistant),
                pointer: "/channel".into(),
                message: format!(
                    "a `{update}` update cannot be sent on channel `subscription`, which carries only subscription requests; send it on its session channel"
                ),
            });
        }
        return Ok(subscription());
    }
    if object.payload_type == Field::Absent && object.payload_has_action {
        // A subscription request on another channel: its type reports the channel as wrong.
        return Ok(subscription());
    }
    let updates = || Family::Assistant.kinds().iter().filter(|kind| kind.tag != SUBSCRIPTION_CHANNEL);
    match &object.payload_type {
        Field::Str(tag) => updates().find(|kind| kind.tag == tag).ok_or_else(|| DecodeError::UnknownTag {
            family: Family::Assistant,
            pointer: "/payload/type".into(),
            tag: tag.clone(),
            suggestion: closest(tag, updates().map(|kind| kind.tag)),
        }),
        Field::Other(found) => Err(DecodeError::Envelope {
            family: Some(Family::Assistant),
            pointer: "/payload/type".into(),
            message: format!("the update type must be a string, found {found}"),
        }),
        Field::Absent if !object.has_payload => Err(DecodeError::Envelope {
            family: Some(Family::Assistant),
            pointer: String::new(),
            message: format!("missing `payload`; expected {}", Family::Assistant.envelope()),
        }),
        Field::Absent => Err(DecodeError::Envelope {
            family: Some(Family::Assistant),
            pointer: "/payload".into(),
            message: "expected an update object with a `type` (status, tool, response, error); subscription requests go on channel `subscription`".into(),
        }),
    }
}
