//! The rules that span messages, checked across a capture after each message's own checks:
//! the assistant's sequences per (`channel`, `message_id`) and the stream's requests and
//! replies per socket (per `session_id` where the capture has no sockets), as the registry
//! states them ([`eventwire::conversation`]) and `protocol.md` grades them.
//!
//! State is bounded: a conversation is dropped at its end (only its key is remembered, in a
//! ring of the last [`ENDED_REMEMBERED`], to tell an update after the end); what is open at
//! once is capped by `--max-open`, and reaching the cap is itself a finding.

mod ended;
mod latency;
mod pluck;

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::ops::Range;

use eventwire::conversation::{NOTES, Note as Slot, Pair, Pairing, Phase, Sequence, Step};
use eventwire::{Direction, Directions, MessageKind, Role};

use crate::fold::FoldedState;
use ended::{Ended, Key};
pub use latency::Latency;
use pluck::{Path, hash64, hash128, pluck, pluck_paths, string_at};

use crate::finding::{Check, Location, Severity};

/// How many ended conversations are remembered, to report an update after the end as such.
pub const ENDED_REMEMBERED: usize = 4_096;

/// The default cap on conversations, open requests and sessions held at once (`--max-open`).
pub const DEFAULT_MAX_OPEN: usize = 100_000;

/// What a valid message brings to the conversation rules, read on the decoding thread.
#[derive(Debug)]
pub(crate) enum Turn {
    /// A step of an assistant conversation.
    Step {
        step: &'static Step,
        /// The conversation's key (`channel`, `message_id`).
        key: u128,
        /// The values that must not change within it (`thread_id`), hashed.
        fixed: u64,
        /// Where the text is in the message (a JSON string), when the step grows it.
        text: Option<Range<usize>>,
    },
    /// A stream message: its session.
    Pair { session: u128 },
}

/// The turn of a valid message of type `kind` with text `text`, if it takes part in any rule.
/// The values come from where the check noted them (`notes`, [`eventwire::conversation::Note`]),
/// or, where it did not (a message it read without its layout), from the text.
pub(crate) fn turn(kind: &'static MessageKind, text: &str, notes: &[Option<Range<usize>>; NOTES]) -> Option<Turn> {
    match kind.role() {
        Role::Alone => None,
        Role::Step(sequence) => {
            let keys = [Slot::Status, Slot::Key, Slot::SubKey, Slot::Fixed];
            let mut found = notes.clone();
            if keys.iter().any(|slot| found[*slot as usize].is_none()) {
                found = pluck_paths(text, &sequence_paths(sequence));
            }
            let [status, first, second, fixed] = keys.map(|slot| string_at(text, &found[slot as usize]));
            let step = sequence.step(kind.tag, status.as_deref()?)?;
            if step.grows && found[Slot::Text as usize].is_none() {
                found = pluck_paths(text, &sequence_paths(sequence));
            }
            let key = hash128(&[first.as_deref()?, second.as_deref()?]);
            let fixed = hash64(fixed.as_deref()?);
            let text = if step.grows { Some(found[Slot::Text as usize].clone()?) } else { None };
            Some(Turn::Step { step, key, fixed, text })
        }
        Role::Request(pairing, _) | Role::Reply(pairing, _) | Role::AnswersAny(pairing) | Role::Opening(pairing) => {
            let session = match &notes[Slot::Key as usize] {
                Some(span) => Some(span.clone()),
                None => pluck_paths(text, &[Path::of(pairing.session)])[0].clone(),
            };
            Some(Turn::Pair { session: hash128(&[string_at(text, &session)?.as_ref()]) })
        }
    }
}

/// The paths a step's values are read at, by [`Slot`]: status, the two keys, the fixed value,
/// the text (only for a message the check did not note).
fn sequence_paths(sequence: &'static Sequence) -> [Path<'static>; NOTES] {
    let mut pointers = [""; NOTES];
    pointers[Slot::Status as usize] = sequence.status;
    pointers[Slot::Key as usize] = sequence.key[0];
    pointers[Slot::SubKey as usize] = sequence.key[1];
    pointers[Slot::Fixed as usize] = sequence.fixed[0];
    pointers[Slot::Text as usize] = sequence.text;
    pointers.map(Path::of)
}

/// What the capture says about one message, beyond its text.
pub(crate) struct Seen<'a> {
    /// Its text (to name its ids in a finding).
    pub text: &'a str,
    /// Its place in the capture.
    pub location: &'a Location,
    /// Its socket (`0`: the capture records none).
    pub socket: usize,
    /// Which way it travelled, where the capture says.
    pub direction: Option<Direction>,
    /// Whether the capture holds its socket from the opening, both directions.
    pub whole_socket: bool,
    /// The session the socket's URL names.
    pub url_session: Option<&'a str>,
    /// When it was captured, in seconds.
    pub time: Option<f64>,
}

/// A finding of the conversation rules, for the validator to place and count.
#[derive(Debug)]
pub(crate) struct Note {
    pub severity: Severity,
    pub check: Check,
    pub pointer: &'static str,
    pub message: String,
    /// The other message involved.
    pub related: Option<Location>,
    /// The message it is about, when it is not the one being checked (a request never answered).
    pub at: Option<Location>,
    /// That message's type.
    pub kind: Option<&'static MessageKind>,
}

/// An assistant conversation still open.
struct Open {
    /// The type of its first message seen.
    kind: &'static MessageKind,
    /// Order of opening, for eviction.
    serial: u64,
    fixed: u64,
    /// The first message seen of it.
    first: Location,
    /// The last message of it that grew the text: its length and hash, and where it is.
    grown: Option<(usize, u64, Location, &'static str)>,
}

/// A stream request waiting for its reply.
struct Waiting {
    kind: &'static MessageKind,
    at: Location,
    time: Option<f64>,
}

/// One socket of stream messages (or one session, where the capture has no sockets).
struct Link {
    /// Order of opening, for eviction.
    serial: u64,
    /// Whether the server has sent anything on it yet.
    server_spoke: bool,
    /// Open requests per pair (indexed as the registry lists the pairs).
    waiting: Vec<VecDeque<Waiting>>,
}

/// The conversation checker of one capture file.
pub(crate) struct Conversations {
    max_open: usize,
    /// Open assistant conversations by (socket, key).
    open: HashMap<Key, Open, FoldedState>,
    /// Opening order of `open`, for eviction (entries of conversations since ended are skipped).
    opened: VecDeque<(Key, u64)>,
    serial: u64,
    /// The conversations that ended last.
    ended: Ended,
    /// Stream sockets (or sessions) by (socket, session: 0 where the socket is known).
    links: HashMap<(usize, u128), Link, FoldedState>,
    /// Opening order of `links`, for eviction.
    link_order: VecDeque<((usize, u128), u64)>,
    /// Requests waiting, over all links.
    waiting: usize,
    /// Whether the cap was reached (then starts and replies may have been forgotten).
    capped: bool,
    /// Latencies per request tag.
    pub latency: std::collections::BTreeMap<&'static str, Latency>,
}

impl Conversations {
    /// A checker holding at most `max_open` conversations, requests and sessions at once.
    pub(crate) fn new(max_open: usize) -> Self {
        Conversations {
            max_open: max_open.max(1),
            open: HashMap::default(),
            opened: VecDeque::new(),
            serial: 0,
            ended: Ended::default(),
            links: HashMap::default(),
            link_order: VecDeque::new(),
            waiting: 0,
            capped: false,
            latency: std::collections::BTreeMap::new(),
        }
    }

    fn held(&self) -> usize {
        self.open.len() + self.waiting + self.links.len()
    }

    /// Checks one valid message against the rules; what breaks them goes to `notes`.
    pub(crate) fn check(&mut self, kind: &'static MessageKind, turn: &Turn, seen: &Seen, notes: &mut Vec<Note>) {
        match (turn, kind.role()) {
            (Turn::Step { step, key, fixed, text }, Role::Step(sequence)) => {
                let text = text.as_ref().and_then(|range| string_at(seen.text, &Some(range.clone())));
                self.step(kind, sequence, step, (seen.socket, *key), *fixed, text.as_deref(), seen, notes)
            }
            (Turn::Pair { session }, role) => self.pair(kind, role, *session, seen, notes),
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments, reason = "the parts of one turn")]
    fn step(
        &mut self,
        kind: &'static MessageKind,
        sequence: &'static Sequence,
        step: &'static Step,
        key: (usize, u128),
        fixed: u64,
        text: Option<&str>,
        seen: &Seen,
        notes: &mut Vec<Note>,
    ) {
        let id = || conversation_name(sequence, seen.text);
        // Open first: most messages continue an open conversation, and the open are few (a
        // conversation is never open and ended at once).
        let open = match self.open.get_mut(&key) {
            Some(open) => open,
            None => {
                if let Some(ended) = self.ended.get(key) {
                    notes.push(note(
                        Severity::Error,
                        Check::AfterEnd,
                        sequence.status,
                        format!(
                            "`{}` after `{}` at message {}: nothing of {} may follow its end",
                            step.status,
                            ended.status,
                            index(&ended.at),
                            id()
                        ),
                        Some(ended.at.clone()),
                    ));
                    return;
                }
                if step.phase != Phase::Start {
                    let (severity, why) =
                        self.forgotten(seen.whole_socket, "the capture holds the socket from its opening");
                    let first =
                        sequence.steps.iter().find(|s| s.phase == Phase::Start).expect("a sequence has a start");
                    notes.push(note(
                        severity,
                        Check::ConversationStart,
                        sequence.status,
                        format!("{} begins with `{}`, not `{}`{why}", id(), step.status, first.status),
                        None,
                    ));
                }
                if step.phase == Phase::End {
                    self.end(key, step, seen.location);
                    return;
                }
                self.make_room(notes, seen.location, None);
                self.serial += 1;
                let grown = text.map(|text| (text.len(), hash64(text), seen.location.clone(), step.status));
                let open = Open { kind, serial: self.serial, fixed, first: seen.location.clone(), grown };
                self.open.insert(key, open);
                self.opened.push_back((key, self.serial));
                return;
            }
        };
        if step.phase == Phase::Start {
            notes.push(note(
                Severity::Error,
                Check::ConversationRestart,
                sequence.status,
                format!(
                    "`{}` again: {} started at message {} and has not ended",
                    step.status,
                    id(),
                    index(&open.first)
                ),
                Some(open.first.clone()),
            ));
        }
        if open.fixed != fixed {
            let names = sequence.fixed.iter().map(|p| format!("`{}`", last_key(p))).collect::<Vec<_>>().join(", ");
            let [value] = pluck(seen.text, [sequence.fixed[0]]).map(|range| string_at(seen.text, &range));
            notes.push(note(
                Severity::Error,
                Check::ThreadChanged,
                sequence.fixed[0],
                format!(
                    "{names} changed to `{}` within {}: it differs from message {}'s, the first of the conversation",
                    value.unwrap_or_default(),
                    id(),
                    index(&open.first)
                ),
                Some(open.first.clone()),
            ));
        }
        if let Some(text) = text {
            if let Some((len, hash, at, status)) = &open.grown {
                let appended = text.len() >= *len && text.is_char_boundary(*len) && hash64(&text[..*len]) == *hash;
                if !appended {
                    let how = if text.len() < *len {
                        format!("is {} bytes, shorter than", text.len())
                    } else {
                        "does not start with".to_owned()
                    };
                    let must = if step.phase == Phase::End {
                        "the final text is the whole answer"
                    } else {
                        "streamed text grows by appending"
                    };
                    notes.push(note(
                        Severity::Error,
                        Check::TextNotAppended,
                        sequence.text,
                        format!(
                            "the `{}` text {how} the `{status}` text at message {} ({len} bytes): {must}",
                            step.status,
                            index(at)
                        ),
                        Some(at.clone()),
                    ));
                }
            }
            open.grown = Some((text.len(), hash64(text), seen.location.clone(), step.status));
        }
        if step.phase == Phase::End {
            self.open.remove(&key);
            self.end(key, step, seen.location);
        }
    }

    /// Remembers that the conversation `key` ended at `at`.
    fn end(&mut self, key: Key, step: &'static Step, at: &Location) {
        self.ended.insert(key, step.status, at.clone());
        // Ended entries of the opening order are skipped when evicting; drop them when they
        // outnumber the open ones.
        if self.opened.len() > 2 * self.open.len() + 1024 {
            let open = &self.open;
            self.opened.retain(|(key, serial)| open.get(key).is_some_and(|o| o.serial == *serial));
        }
    }

    /// Makes room for one more thing held: at the cap, the oldest open conversation goes (or,
    /// without one, the oldest socket or session of stream messages other than `keep`, with its
    /// waiting requests), and the first time that is a finding.
    fn make_room(&mut self, notes: &mut Vec<Note>, at: &Location, keep: Option<(usize, u128)>) {
        if self.held() < self.max_open {
            return;
        }
        if !self.capped {
            self.capped = true;
            notes.push(Note {
                severity: Severity::Warning,
                check: Check::MaxOpen,
                pointer: "",
                message: format!(
                    "{} conversations, waiting requests and stream sessions are held at once (--max-open): from here on the oldest are dropped, so a later message of one may be reported as missing its start or its request (raise --max-open to follow them all)",
                    self.max_open
                ),
                related: None,
                at: Some(at.clone()),
                kind: None,
            });
        }
        while let Some((key, serial)) = self.opened.pop_front() {
            if self.open.get(&key).is_some_and(|open| open.serial == serial) {
                self.open.remove(&key);
                return;
            }
        }
        let mut kept = None;
        while let Some((key, serial)) = self.link_order.pop_front() {
            if Some(key) == keep {
                kept = Some((key, serial));
                continue;
            }
            if self.links.get(&key).is_some_and(|link| link.serial == serial) {
                let link = self.links.remove(&key).expect("just found");
                self.waiting -= link.waiting.iter().map(VecDeque::len).sum::<usize>();
                break;
            }
        }
        if let Some(kept) = kept {
            self.link_order.push_front(kept);
        }
    }

    /// The grade of a finding that a forgotten start or request could also explain: an error
    /// only where the capture holds the whole socket and nothing was dropped at the cap.
    /// Its words (what follows the finding's message) are written only for a finding.
    fn forgotten(&self, whole_socket: bool, whole: &'static str) -> (Severity, Why) {
        let why = Why { whole_socket, capped: self.capped, whole };
        (if whole_socket && !self.capped { Severity::Error } else { Severity::Warning }, why)
    }

    fn pair(&mut self, kind: &'static MessageKind, role: Role, session: u128, seen: &Seen, notes: &mut Vec<Note>) {
        let pairing = match role {
            Role::Request(pairing, _)
            | Role::Reply(pairing, _)
            | Role::AnswersAny(pairing)
            | Role::Opening(pairing) => pairing,
            Role::Alone | Role::Step(_) => return,
        };
        if let Some(url_session) = seen.url_session {
            if hash128(&[url_session]) != session {
                let [value] = pluck(seen.text, [pairing.session]).map(|range| string_at(seen.text, &range));
                notes.push(note(
                    Severity::Error,
                    Check::SessionMismatch,
                    pairing.session,
                    format!(
                        "`{}` is `{}`, but the socket's URL is for session `{url_session}`",
                        last_key(pairing.session),
                        value.unwrap_or_default()
                    ),
                    None,
                ));
            }
        }
        let key = (seen.socket, if seen.socket == 0 { session } else { 0 });
        if !self.links.contains_key(&key) {
            self.make_room(notes, seen.location, None);
            self.serial += 1;
            let waiting = pairing.pairs.iter().map(|_| VecDeque::new()).collect();
            self.links.insert(key, Link { serial: self.serial, server_spoke: false, waiting });
            self.link_order.push_back((key, self.serial));
        }
        let from_server = match seen.direction {
            Some(direction) => direction == Direction::ServerToClient,
            None => kind.direction == Directions::ServerToClient,
        };
        let whole = "the capture holds both directions of the socket from its opening";
        let (severity, why) = self.forgotten(seen.whole_socket, whole);
        let link = self.links.get_mut(&key).expect("inserted above");
        if from_server && !std::mem::replace(&mut link.server_spoke, true) && !matches!(role, Role::Opening(_)) {
            notes.push(note(
                severity,
                Check::FirstServerMessage,
                kind.family.tag_pointer(),
                format!(
                    "the server's first message on this {} is `{}`, not `{}`{why}",
                    if seen.socket == 0 { "session" } else { "socket" },
                    kind.tag,
                    pairing.opening
                ),
                None,
            ));
        }
        match role {
            Role::Request(_, pair) => {
                if self.held() >= self.max_open {
                    self.make_room(notes, seen.location, Some(key));
                }
                let link = self.links.get_mut(&key).expect("kept");
                link.waiting[slot(pairing, pair)].push_back(Waiting {
                    kind,
                    at: seen.location.clone(),
                    time: seen.time,
                });
                self.waiting += 1;
            }
            Role::Reply(_, pair) => match link.waiting[slot(pairing, pair)].pop_front() {
                Some(waiting) => {
                    self.waiting -= 1;
                    self.answered(pair.request, &waiting, seen.time);
                }
                None => notes.push(note(
                    severity,
                    Check::UnsolicitedReply,
                    kind.family.tag_pointer(),
                    format!("`{}` with no `{}` waiting for it{why}", kind.tag, pair.request),
                    None,
                )),
            },
            Role::AnswersAny(_) => {
                let oldest = (0..link.waiting.len())
                    .filter_map(|slot| link.waiting[slot].front().map(|w| (w.at.message_index, slot)))
                    .min();
                if let Some((_, slot)) = oldest {
                    let waiting = link.waiting[slot].pop_front().expect("its front was there");
                    self.waiting -= 1;
                    self.answered(pairing.pairs[slot].request, &waiting, seen.time);
                }
            }
            Role::Opening(_) | Role::Alone | Role::Step(_) => {}
        }
    }

    fn answered(&mut self, request: &'static str, waiting: &Waiting, time: Option<f64>) {
        let micros = waiting.time.zip(time).and_then(|(asked, answered)| {
            let seconds = answered - asked;
            (seconds.is_finite() && seconds >= 0.0).then(|| (seconds * 1e6).round() as u64)
        });
        self.latency.entry(request).or_default().record(micros);
    }

    /// Ends `socket` (or, with `None`, the capture): what is still open on it is reported.
    pub(crate) fn end_socket(&mut self, socket: Option<usize>, notes: &mut Vec<Note>) {
        let on = |of: usize| socket.is_none_or(|socket| socket == of);
        let mut open: Vec<Open> = Vec::new();
        let keys: Vec<_> = self.open.keys().filter(|(of, _)| on(*of)).copied().collect();
        for key in keys {
            open.push(self.open.remove(&key).expect("listed"));
        }
        open.sort_by_key(|conversation| conversation.serial);
        for conversation in open {
            notes.push(Note {
                severity: Severity::Warning,
                check: Check::ConversationOpen,
                pointer: "",
                message: "the conversation this message starts is still open when the capture ends (no `completed` or `error` followed)".to_owned(),
                related: None,
                at: Some(conversation.first),
                kind: Some(conversation.kind),
            });
        }
        let links: Vec<_> = self.links.keys().filter(|(of, _)| on(*of)).copied().collect();
        let mut waiting = Vec::new();
        for key in links {
            let link = self.links.remove(&key).expect("listed");
            waiting.extend(link.waiting.into_iter().flatten());
        }
        waiting.sort_by_key(|request| request.at.message_index);
        for request in waiting {
            self.waiting -= 1;
            let Role::Request(_, pair) = request.kind.role() else { continue };
            self.latency.entry(pair.request).or_default().unanswered += 1;
            notes.push(Note {
                severity: Severity::Warning,
                check: Check::Unanswered,
                pointer: "",
                message: format!("this `{}` was never answered ({} expected)", pair.request, tags(pair.replies)),
                related: None,
                kind: Some(request.kind),
                at: Some(request.at),
            });
        }
        if socket.is_some() {
            // The ended conversations of the socket stay in the ring (no later message can have
            // their keys): it is bounded, and they go as others end.
            self.opened.retain(|((of, _), _)| !on(*of));
            self.link_order.retain(|((of, _), _)| !on(*of));
        }
    }
}

/// Why a finding [that a forgotten start or request could explain](Conversations::forgotten)
/// has its grade, in words that follow its message.
struct Why {
    whole_socket: bool,
    capped: bool,
    /// What the capture must hold for it to be an error.
    whole: &'static str,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.whole_socket, self.capped) {
            (true, false) => Ok(()),
            (true, true) => f.write_str(" (a warning: --max-open was reached, so it may be one that was dropped)"),
            (false, _) => write!(f, " (a warning: only an error where {})", self.whole),
        }
    }
}

fn slot(pairing: &Pairing, pair: &Pair) -> usize {
    pairing.pairs.iter().position(|p| std::ptr::eq(p, pair)).expect("a pair of its pairing")
}

fn note(severity: Severity, check: Check, pointer: &'static str, message: String, related: Option<Location>) -> Note {
    Note { severity, check, pointer, message, related, at: None, kind: None }
}

/// "message_id `m1` (channel `c`)": the conversation a message belongs to, named by its key.
fn conversation_name(sequence: &Sequence, text: &str) -> String {
    let [first, second] = pluck(text, [sequence.key[0], sequence.key[1]]).map(|range| string_at(text, &range));
    format!(
        "`{}` `{}` ({} `{}`)",
        last_key(sequence.key[1]),
        second.unwrap_or(Cow::Borrowed("?")),
        last_key(sequence.key[0]),
        first.unwrap_or(Cow::Borrowed("?"))
    )
}

fn last_key(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or(pointer)
}

fn index(location: &Location) -> usize {
    location.message_index.unwrap_or_default()
}

fn tags(list: &[&str]) -> String {
    list.iter().map(|tag| format!("`{tag}`")).collect::<Vec<_>>().join(" or ")
}
