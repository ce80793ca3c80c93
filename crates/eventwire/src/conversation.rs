//! The rules that span messages, as `protocol.md` states them: the assistant's sequence of
//! updates per conversation ("Sequence rules") and the stream's requests and replies ("Pairing
//! rules"). The family files declare them beside their types ([`crate::assistant::SEQUENCE`],
//! [`crate::stream::PAIRING`]); a capture checker, the schema descriptions, the TypeScript doc
//! comments and `generated/registry.md` all read them from there.

use crate::registry::{Family, MessageKind};

/// The values the conversation rules read, as slots of `Facts::notes` (under the `check`
/// feature): a sequence's status, its two key values, its fixed value and its text; a
/// pairing's session in [`Note::Key`]. Fields are marked with their slot beside the types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// [`Sequence::status`].
    Status = 0,
    /// The first of [`Sequence::key`], or [`Pairing::session`].
    Key = 1,
    /// The second of [`Sequence::key`].
    SubKey = 2,
    /// The first of [`Sequence::fixed`].
    Fixed = 3,
    /// [`Sequence::text`].
    Text = 4,
}

/// How many [`Note`] slots there are.
pub const NOTES: usize = 5;

/// How a family's messages relate to each other across a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversation {
    /// Each message stands alone.
    Alone,
    /// Messages form conversations that go through phases ([`Sequence`]).
    Sequence(&'static Sequence),
    /// Requests are answered by replies ([`Pairing`]).
    Pairing(&'static Pairing),
}

impl Conversation {
    /// The JSON Pointer each [`Note`] slot stands for in this family's messages, if any.
    pub fn note_pointers(self) -> [Option<&'static str>; NOTES] {
        let mut pointers = [None; NOTES];
        match self {
            Conversation::Alone => {}
            Conversation::Sequence(sequence) => {
                pointers[Note::Status as usize] = Some(sequence.status);
                pointers[Note::Key as usize] = sequence.key.first().copied();
                pointers[Note::SubKey as usize] = sequence.key.get(1).copied();
                pointers[Note::Fixed as usize] = sequence.fixed.first().copied();
                pointers[Note::Text as usize] = Some(sequence.text);
            }
            Conversation::Pairing(pairing) => pointers[Note::Key as usize] = Some(pairing.session),
        }
        pointers
    }
}

/// Conversations made of a sequence of messages: one starts, others continue it, one ends it.
#[derive(Debug, PartialEq, Eq)]
pub struct Sequence {
    /// The JSON Pointers whose values, together, name one conversation.
    pub key: &'static [&'static str],
    /// JSON Pointers whose values do not change within a conversation.
    pub fixed: &'static [&'static str],
    /// The JSON Pointer of the text that grows by appending, on the steps that say so.
    pub text: &'static str,
    /// The JSON Pointer of the value that tells the steps of one message type apart.
    pub status: &'static str,
    /// Every step: a message type and status, and what it does to its conversation.
    pub steps: &'static [Step],
}

/// One step of a [`Sequence`]: a message of type `tag` with status `status`.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    /// The message type's tag.
    pub tag: &'static str,
    /// The value at [`Sequence::status`].
    pub status: &'static str,
    /// What it does to its conversation.
    pub phase: Phase,
    /// Whether its text at [`Sequence::text`] starts with the text of the conversation's last
    /// step that also grows (the text grows by appending).
    pub grows: bool,
}

/// What a step does to its conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// It is the conversation's first message.
    Start,
    /// It comes after the start, any number of times, before the end.
    Continue,
    /// It is the conversation's last message: nothing of it follows.
    End,
}

impl Phase {
    /// `starts`, `continues` or `ends`.
    pub fn verb(self) -> &'static str {
        match self {
            Phase::Start => "starts",
            Phase::Continue => "continues",
            Phase::End => "ends",
        }
    }
}

/// Requests answered by replies on one socket, first in, first out per kind.
#[derive(Debug, PartialEq, Eq)]
pub struct Pairing {
    /// The JSON Pointer of the session a message belongs to.
    pub session: &'static str,
    /// The socket URL's path, with `{session}` where the session id is.
    pub endpoint: &'static str,
    /// The tag of the server's first message on a socket.
    pub opening: &'static str,
    /// Each kind of request and the replies that answer it.
    pub pairs: &'static [Pair],
    /// The tag of the reply that answers the oldest open request of any kind, and is never
    /// unsolicited.
    pub answers_any: &'static str,
}

/// A kind of request and the replies that answer it.
#[derive(Debug, PartialEq, Eq)]
pub struct Pair {
    /// The request's tag.
    pub request: &'static str,
    /// The tags of the replies that answer it.
    pub replies: &'static [&'static str],
}

impl Pair {
    /// `ping → pong`, `transcription_request → transcription_result | transcription_error`.
    pub fn name(&self) -> String {
        format!("{} → {}", self.request, self.replies.join(" | "))
    }
}

/// The part one message type plays in its family's [`Conversation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// None: it stands alone, or pairs with nothing.
    Alone,
    /// A step of a sequence; its status says which ([`Sequence::steps`]).
    Step(&'static Sequence),
    /// A request of this pair.
    Request(&'static Pairing, &'static Pair),
    /// A reply of this pair.
    Reply(&'static Pairing, &'static Pair),
    /// The reply that answers the oldest open request of any kind.
    AnswersAny(&'static Pairing),
    /// The server's first message on a socket.
    Opening(&'static Pairing),
}

impl Family {
    /// How this family's messages relate across a capture.
    pub const fn conversation(self) -> Conversation {
        match self {
            Family::Assistant => Conversation::Sequence(&crate::assistant::SEQUENCE),
            Family::Stream => Conversation::Pairing(&crate::stream::PAIRING),
            Family::Health | Family::Media | Family::Simulation => Conversation::Alone,
        }
    }
}

impl Sequence {
    /// The step of a message of type `tag` with status `status`.
    pub fn step(&self, tag: &str, status: &str) -> Option<&'static Step> {
        let steps: &'static [Step] = self.steps;
        steps.iter().find(|step| step.status == status && step.tag == tag)
    }
}

/// Whether two strings are equal, in a `const` context.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `list` holds `tag`, in a `const` context.
const fn holds(list: &[&str], tag: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        if same(list[i], tag) {
            return true;
        }
        i += 1;
    }
    false
}

impl Role {
    /// The part the message type `tag` of `family` plays in its family's conversation rules
    /// (computed once, into its registry row: [`MessageKind::role`]).
    pub const fn of(family: Family, tag: &str) -> Role {
        match family.conversation() {
            Conversation::Alone => Role::Alone,
            Conversation::Sequence(sequence) => {
                let mut i = 0;
                while i < sequence.steps.len() {
                    if same(sequence.steps[i].tag, tag) {
                        return Role::Step(sequence);
                    }
                    i += 1;
                }
                Role::Alone
            }
            Conversation::Pairing(pairing) => {
                let mut i = 0;
                while i < pairing.pairs.len() {
                    let pair = &pairing.pairs[i];
                    if same(pair.request, tag) {
                        return Role::Request(pairing, pair);
                    }
                    if holds(pair.replies, tag) {
                        return Role::Reply(pairing, pair);
                    }
                    i += 1;
                }
                if same(pairing.answers_any, tag) {
                    Role::AnswersAny(pairing)
                } else if same(pairing.opening, tag) {
                    Role::Opening(pairing)
                } else {
                    Role::Alone
                }
            }
        }
    }
}

impl Pairing {
    /// The session id in a socket URL's `path` (without the query), if the path is this
    /// pairing's endpoint.
    pub fn session_in_path<'p>(&self, path: &'p str) -> Option<&'p str> {
        let (before, after) = self.endpoint.split_once("{session}")?;
        let session = path.strip_prefix(before)?.strip_suffix(after)?;
        (!session.is_empty() && !session.contains('/')).then_some(session)
    }
}

impl MessageKind {
    /// The part this message type plays in its family's conversation rules.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The conversation rules of this message type in a sentence, for its documentation (the
    /// schema description, the TypeScript doc comment), or `None` when it takes part in none.
    pub fn conversation_doc(&self) -> Option<String> {
        let pointers = |list: &[&str]| list.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" and ");
        match self.role() {
            Role::Alone => None,
            Role::Step(sequence) => {
                let steps: Vec<String> = sequence
                    .steps
                    .iter()
                    .filter(|step| step.tag == self.tag)
                    .map(|step| {
                        let grows = if step.grows {
                            format!(", and its {} starts with the previous such text (it grows by appending)", code(sequence.text))
                        } else {
                            String::new()
                        };
                        format!("status `{}` {} the conversation{grows}", step.status, step.phase.verb())
                    })
                    .collect();
                Some(format!(
                    "Conversation rules (one conversation per {}): {}. A conversation starts once, ends once and nothing of it follows its end; {} does not change within it.",
                    pointers(sequence.key),
                    steps.join("; "),
                    pointers(sequence.fixed),
                ))
            }
            Role::Request(_, pair) => Some(format!(
                "Pairing rules: answered by {} on the same socket, the oldest open `{}` first; an `error` may answer it instead.",
                tags(pair.replies),
                pair.request
            )),
            Role::Reply(_, pair) => Some(format!(
                "Pairing rules: answers the oldest open `{}` on the same socket; one with none open is unsolicited.",
                pair.request
            )),
            Role::AnswersAny(_) => Some(
                "Pairing rules: answers the oldest open request of any kind on the same socket, when there is one; never unsolicited."
                    .to_owned(),
            ),
            Role::Opening(_) => Some("Pairing rules: the server's first message on a socket.".to_owned()),
        }
    }
}

fn code(text: &str) -> String {
    format!("`{text}`")
}

fn tags(list: &[&str]) -> String {
    list.iter().map(|tag| format!("`{tag}`")).collect::<Vec<_>>().join(" or ")
}

/// The conversation rules of every family as Markdown (a section of `generated/registry.md`).
pub fn markdown() -> String {
    let mut text = String::from("\n## Conversation rules\n\n");
    for family in Family::ALL {
        match family.conversation() {
            Conversation::Alone => {}
            Conversation::Sequence(sequence) => {
                text.push_str(&format!(
                    "### `{family}`: sequences\n\nOne conversation per {} within a socket. `{}` does not change within one; a step that grows has a {} that starts with the previous growing step's.\n\n| tag | status | phase | grows |\n|---|---|---|---|\n",
                    sequence.key.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" + "),
                    sequence.fixed.join("`, `"),
                    code(sequence.text),
                ));
                for step in sequence.steps {
                    text.push_str(&format!(
                        "| `{}` | `{}` | {} | {} |\n",
                        step.tag,
                        step.status,
                        step.phase.verb(),
                        if step.grows { "yes" } else { "no" }
                    ));
                }
                text.push('\n');
            }
            Conversation::Pairing(pairing) => {
                text.push_str(&format!(
                    "### `{family}`: pairs\n\nPer socket (per {} where the capture has none), first in, first out per kind. `{}` answers the oldest open request of any kind. `{}` is the server's first message on a socket. The socket URL `{}` names the session every message's {} equals.\n\n| request | answered by |\n|---|---|\n",
                    code(pairing.session),
                    pairing.answers_any,
                    pairing.opening,
                    pairing.endpoint,
                    code(pairing.session),
                ));
                for pair in pairing.pairs {
                    text.push_str(&format!("| `{}` | {} |\n", pair.request, tags(pair.replies)));
                }
                text.push('\n');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::kinds;

    #[test]
    fn every_step_and_pair_names_a_message_type_of_its_family() {
        for family in Family::ALL {
            let known = |tag: &str| family.kinds().iter().any(|kind| kind.tag == tag);
            match family.conversation() {
                Conversation::Alone => {}
                Conversation::Sequence(sequence) => {
                    assert!(sequence.steps.iter().all(|step| known(step.tag)), "{family}");
                    assert_eq!(sequence.steps.iter().filter(|s| s.phase == Phase::Start).count(), 1);
                }
                Conversation::Pairing(pairing) => {
                    let tags = pairing
                        .pairs
                        .iter()
                        .flat_map(|pair| std::iter::once(pair.request).chain(pair.replies.iter().copied()));
                    for tag in tags.chain([pairing.opening, pairing.answers_any]) {
                        assert!(known(tag), "{family}: `{tag}`");
                    }
                }
            }
        }
    }

    #[test]
    fn requests_travel_to_the_server_and_replies_back() {
        use crate::registry::Directions;
        for kind in kinds() {
            match kind.role() {
                Role::Request(..) => assert_eq!(kind.direction, Directions::ClientToServer, "{}", kind.tag),
                Role::Reply(..) | Role::AnswersAny(_) | Role::Opening(_) => {
                    assert_eq!(kind.direction, Directions::ServerToClient, "{}", kind.tag)
                }
                Role::Step(_) | Role::Alone => {}
            }
        }
    }

    #[test]
    fn the_session_is_read_from_the_endpoint_only() {
        let pairing = &crate::stream::PAIRING;
        assert_eq!(pairing.session_in_path("/api/stream/ws/abc"), Some("abc"));
        assert_eq!(pairing.session_in_path("/api/stream/ws/"), None);
        assert_eq!(pairing.session_in_path("/api/stream/ws/a/b"), None);
        assert_eq!(pairing.session_in_path("/ws"), None);
    }
}
