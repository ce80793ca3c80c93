//! `cargo xtask sample`: realistic captures for benchmarks, deterministic by seed, with the
//! ground truth of which messages were corrupted.
//!
//! The default mix is the one the benchmarks describe: 30% assistant updates, 20% health
//! scores, 20% simulation events, 20% stream control and 10% audio/video whose base64 makes up
//! about 90% of the bytes. Each corrupted message gets one mutation that every validator (the
//! schema engines included) must reject, so the ground truth is a fact, not an opinion.
//!
//! Conversations are coherent, as `protocol.md`'s rules across messages ask: each assistant
//! conversation starts with `started`, its streamed text grows by appending and it ends once;
//! each stream session opens with `connection_established` and every reply answers the oldest
//! waiting request of its kind. A share of the corruptions are conversation faults instead (an
//! update after the end, a rewritten text, a changed `thread_id`): every message stays valid on
//! its own, and the ground truth lists them apart, for validators that check conversations.
//! A corrupted message that would open something (a conversation's start, a request, a
//! session's `connection_established`) opens nothing, so corruption never makes another
//! message wrong.

use std::io::{self, Write};

use eventwire::{Directions, Family};
use serde_json::{Value, json};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Seed of the pseudo-random sequence: the same seed gives the same bytes.
    pub seed: u64,
    /// Stop once this many bytes are written (the last message may go over).
    pub bytes: u64,
    /// Share of messages corrupted, in [0, 1].
    pub invalid: f64,
    /// Leave audio and video out (the same mix of the other families).
    pub no_media: bool,
    /// JSON Lines or HAR.
    pub format: Format,
}

/// The container the messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One message per line.
    Jsonl,
    /// An HTTP Archive with one WebSocket entry whose `_webSocketMessages` are the messages.
    Har,
    /// A packet capture (pcap) of one WebSocket over TCP whose text frames are the messages.
    Pcap,
}

/// What a generated capture holds: the message count and which of them (1-based, in input
/// order) were corrupted, and how.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Truth {
    /// Messages written.
    pub messages: usize,
    /// `(index, mutation)` of every corrupted message, in order.
    pub invalid: Vec<(usize, &'static str)>,
    /// `(index, check)` of every planted conversation fault, in order: valid messages on their
    /// own that break a rule across messages (the check code eventwire reports).
    pub conversation: Vec<(usize, &'static str)>,
}

impl Truth {
    /// The ground truth as JSON: `{"messages": N, "invalid": [[index, "mutation"], ...],
    /// "conversation": [[index, "check"], ...]}`.
    pub fn to_json(&self) -> String {
        json!({ "messages": self.messages, "invalid": self.invalid, "conversation": self.conversation }).to_string()
    }

    /// The indexes of the planted conversation faults in what [`Truth::to_json`] wrote.
    pub fn conversation_indexes(json: &Value) -> anyhow::Result<Vec<usize>> {
        match json.get("conversation") {
            Some(list) => Self::invalid_indexes(&json!({ "invalid": list })),
            None => Ok(Vec::new()),
        }
    }

    /// The invalid indexes of what [`Truth::to_json`] wrote, or of a validator's verdicts
    /// (`{"invalid": [index, ...]}`).
    pub fn invalid_indexes(json: &Value) -> anyhow::Result<Vec<usize>> {
        let list = json["invalid"].as_array().ok_or_else(|| anyhow::anyhow!("no `invalid` list in {json:.80}"))?;
        list.iter()
            .map(|entry| {
                let index = if entry.is_array() { &entry[0] } else { entry };
                index.as_u64().map(|i| i as usize).ok_or_else(|| anyhow::anyhow!("bad `invalid` entry {entry}"))
            })
            .collect()
    }
}

/// SplitMix64: tiny, fast and fully determined by its seed (a `rand` generator's stream may
/// change between releases; a benchmark's input must not).
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `[low, high)` rounded to `decimals` places, as JSON writes it.
    fn float(&mut self, low: f64, high: f64, decimals: i32) -> f64 {
        let scale = 10f64.powi(decimals);
        ((low + self.unit() * (high - low)) * scale).round() / scale
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// The families, with their share of messages in the mix (percent).
const MIX: [(Family, u64); 5] = [
    (Family::Assistant, 30),
    (Family::Health, 20),
    (Family::Simulation, 20),
    (Family::Stream, 20),
    (Family::Media, 10),
];

/// One generated message: its text, and which way its type travels (for HAR).
struct Generated {
    text: String,
    sent_by_client: bool,
    mutation: Option<&'static str>,
    /// The conversation fault planted in it, as the check that reports it.
    fault: Option<&'static str>,
}

/// Writes a capture to `out` and returns its ground truth.
pub fn write(spec: &Spec, out: &mut dyn Write) -> io::Result<Truth> {
    let mut rng = Rng::new(spec.seed);
    let mut state = State::default();
    let mut truth = Truth::default();
    let mut written = 0u64;
    let har = spec.format == Format::Har;
    if har {
        written += write_counted(out, HAR_HEAD.as_bytes())?;
    }
    let mut pcap = None;
    if spec.format == Format::Pcap {
        let (writer, head) = crate::pcap_writer::PcapWriter::start(out, packet_time(state.clock))?;
        written += head;
        pcap = Some(writer);
    }
    let mut first = true;
    while written < spec.bytes {
        let family = pick_family(&mut rng, spec.no_media);
        let corrupt = rng.unit() < spec.invalid;
        let message = generate(&mut rng, &mut state, family, corrupt);
        truth.messages += 1;
        if let Some(mutation) = message.mutation {
            truth.invalid.push((truth.messages, mutation));
        }
        if let Some(fault) = message.fault {
            truth.conversation.push((truth.messages, fault));
        }
        written += match &mut pcap {
            Some(writer) => writer.message(out, packet_time(state.clock), message.sent_by_client, &message.text)?,
            None if har => write_har_message(out, &message, first, state.clock)?,
            None => write_line(out, &message)?,
        };
        first = false;
    }
    if har {
        write_counted(out, HAR_TAIL.as_bytes())?;
    }
    if let Some(writer) = &mut pcap {
        writer.finish(out, packet_time(state.clock))?;
    }
    out.flush()?;
    Ok(truth)
}

/// A packet capture's time at the generator's `clock`: its start before the first message.
fn packet_time(clock: f64) -> f64 {
    if clock == 0.0 { 1_758_855_248.0 } else { clock }
}

fn write_counted(out: &mut dyn Write, bytes: &[u8]) -> io::Result<u64> {
    out.write_all(bytes)?;
    Ok(bytes.len() as u64)
}

fn write_line(out: &mut dyn Write, message: &Generated) -> io::Result<u64> {
    out.write_all(message.text.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(message.text.len() as u64 + 1)
}

/// One entry holds every message, so the HAR keeps the capture's single input order; the
/// socket URL names no family (the mix shares one socket) and carries no token.
const HAR_HEAD: &str = r#"{"log":{"version":"1.2","creator":{"name":"eventwire sample","version":"1"},"entries":[{"request":{"method":"GET","url":"ws://127.0.0.1:8000/ws","headers":[]},"response":{"status":101,"headers":[]},"_resourceType":"websocket","_webSocketMessages":["#;
const HAR_TAIL: &str = "]}]}}\n";

fn write_har_message(out: &mut dyn Write, message: &Generated, first: bool, clock: f64) -> io::Result<u64> {
    let direction = if message.sent_by_client { "send" } else { "receive" };
    // The capture's clock: replies come after their requests, so latencies are real.
    let time = (clock * 1000.0).round() / 1000.0;
    let entry = json!({ "type": direction, "time": time, "opcode": 1, "data": message.text });
    let text = format!("{}{entry}", if first { "" } else { "," });
    write_counted(out, text.as_bytes())
}

fn pick_family(rng: &mut Rng, no_media: bool) -> Family {
    let total: u64 = MIX.iter().filter(|(f, _)| !(no_media && *f == Family::Media)).map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for &(family, weight) in &MIX {
        if no_media && family == Family::Media {
            continue;
        }
        if roll < weight {
            return family;
        }
        roll -= weight;
    }
    unreachable!("the weights sum to the total")
}

/// What carries over between messages: the clock, the running assistant conversations and the
/// stream sessions with their waiting requests.
#[derive(Default)]
struct State {
    clock: f64,
    message_counter: u64,
    /// Assistant conversations started and not ended.
    conversations: Vec<Conversation>,
    /// The last conversations ended (for an update after the end).
    ended: std::collections::VecDeque<Conversation>,
    /// Stream sessions opened (`connection_established` sent).
    sessions: Vec<String>,
    /// Waiting requests per kind ([`REQUESTS`]), oldest first: the session of each.
    waiting: [std::collections::VecDeque<String>; 3],
}

/// An assistant conversation: its key, its thread and its text so far.
#[derive(Clone)]
struct Conversation {
    channel: String,
    message_id: String,
    thread_id: String,
    text: String,
}

/// The stream requests the sample sends, and the reply to each.
const REQUESTS: [(&str, &str); 3] =
    [("ping", "pong"), ("audio", "audio_received"), ("transcription_request", "transcription_result")];

impl State {
    fn tick(&mut self, rng: &mut Rng) -> f64 {
        if self.clock == 0.0 {
            self.clock = 1_758_855_248.0;
        }
        self.clock += rng.float(0.0, 0.25, 3);
        (self.clock * 1000.0).round() / 1000.0
    }

    /// The clock as ISO 8601 with microseconds, as Python's `isoformat()` writes it.
    fn iso(&self) -> String {
        let seconds = self.clock as i64;
        let micros = ((self.clock - seconds as f64) * 1e6).round().min(999_999.0) as i64;
        let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{micros:06}")
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn generate(rng: &mut Rng, state: &mut State, family: Family, corrupt: bool) -> Generated {
    // A third of the assistant corruptions are conversation faults instead.
    let mut fault = None;
    let mut value = match family {
        Family::Assistant if corrupt && rng.below(3) == 0 => match assistant_fault(rng, state) {
            Some((value, check)) => {
                fault = Some(check);
                value
            }
            None => assistant(rng, state, corrupt),
        },
        Family::Assistant => assistant(rng, state, corrupt),
        Family::Health => health(rng, state),
        Family::Simulation => simulation(rng, state),
        Family::Stream => stream(rng, state, corrupt),
        Family::Media => media(rng),
    };
    let corrupt = corrupt && fault.is_none();
    // Which way a message travels is the registry's to say, as the validator's direction check
    // reads it; a HAR that put it the other way would be full of findings nobody corrupted.
    let kind = eventwire::decode_value(&value).expect("a generated message is valid until corrupted").kind();
    // Messages that travel both ways (assistant updates) are written as the broker relays them.
    let sent_by_client = kind.direction == Directions::ClientToServer;
    let mut mutation = None;
    let mut text = None;
    if corrupt {
        let (name, corrupted_text) = corrupt_message(rng, family, &mut value);
        mutation = Some(name);
        text = corrupted_text;
    }
    let text = text.unwrap_or_else(|| value.to_string());
    Generated { text, sent_by_client, mutation, fault }
}

const SENTENCES: &[&str] = &[
    "Assistant is processing your request...",
    "Executing weather check for Makati",
    "Looking up your calendar for tomorrow",
    "Here is what I found about the quarterly report.",
    "The meeting with Dana is moved to 3 pm; I updated the invite.",
    "Traffic on EDSA is heavy; leave by 5:10 to arrive on time.",
    "I could not reach the billing service, retrying",
    "Summarising the last 40 messages in #ops",
];

/// Conversations running at once, about.
const RUNNING: usize = 6;

/// The next assistant message: a subscription now and then, else a step of a conversation (a
/// new one, or the next step of a running one). A `corrupt` message changes no conversation: a
/// start opens nothing, an end ends nothing, a text does not grow.
fn assistant(rng: &mut Rng, state: &mut State, corrupt: bool) -> Value {
    if rng.below(100) < 3 {
        let session = format!("user_session_{:06x}", rng.below(0x100_0000));
        let action = if rng.below(4) == 0 { "unsubscribe" } else { "subscribe" };
        return json!({"channel": "subscription", "payload": {"action": action, "channel": session}});
    }
    let timestamp = state.tick(rng);
    if state.conversations.len() < RUNNING && (state.conversations.is_empty() || rng.below(3) == 0) {
        state.message_counter += 1;
        let conversation = Conversation {
            channel: format!("user_session_{:06x}", rng.below(0x100_0000)),
            message_id: format!("msg-{:08x}", state.message_counter),
            thread_id: format!("thread_{:06x}", rng.below(0x100_0000)),
            text: String::new(),
        };
        let value = update(&conversation, "status", "started", rng.pick::<&str>(SENTENCES), timestamp);
        if !corrupt {
            state.conversations.push(conversation);
        }
        return value;
    }
    let at = rng.below(state.conversations.len() as u64) as usize;
    let roll = rng.below(10);
    let conversation = &mut state.conversations[at];
    let before = conversation.text.clone();
    let (kind, status, message) = match roll {
        0..=1 => ("status", "responding", rng.pick(SENTENCES).to_string()),
        2..=3 => ("tool", "processing", rng.pick(SENTENCES).to_string()),
        4..=7 => {
            grow(rng, &mut conversation.text);
            ("response", "in_progress", conversation.text.clone())
        }
        8 => {
            grow(rng, &mut conversation.text);
            ("response", "completed", conversation.text.clone())
        }
        _ => ("error", "error", "I could not finish this answer".to_owned()),
    };
    let value = update(conversation, kind, status, &message, timestamp);
    if corrupt {
        // A corrupted update takes part in no rule: the conversation is as it was.
        conversation.text = before;
        return value;
    }
    if matches!(status, "completed" | "error") {
        let ended = state.conversations.swap_remove(at);
        if state.ended.len() == 8 {
            state.ended.pop_front();
        }
        state.ended.push_back(ended);
    }
    value
}

/// Appends a sentence to a streamed text.
fn grow(rng: &mut Rng, text: &mut String) {
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(rng.pick::<&str>(SENTENCES));
}

/// An assistant update of `conversation`.
fn update(conversation: &Conversation, kind: &str, status: &str, message: &str, timestamp: f64) -> Value {
    let mut payload = json!({
        "message": message,
        "timestamp": timestamp,
        "status": status,
        "type": kind,
        "final_message": status == "completed" || status == "error",
        "message_id": conversation.message_id,
        "thread_id": conversation.thread_id,
    });
    if kind == "error" {
        payload["error_details"] = json!("upstream timeout after 30s (weather-api)");
    }
    json!({"channel": conversation.channel, "payload": payload})
}

/// A conversation fault: a valid update that breaks a rule across messages, and the check that
/// reports it; `None` when no conversation can take one yet.
fn assistant_fault(rng: &mut Rng, state: &mut State) -> Option<(Value, &'static str)> {
    let timestamp = state.tick(rng);
    match rng.below(3) {
        0 => {
            let ended = state.ended.back()?;
            let text = format!("{} {}", ended.text, rng.pick(SENTENCES)).trim_start().to_owned();
            Some((update(ended, "response", "in_progress", &text, timestamp), "after-end"))
        }
        1 => {
            let conversation = state.conversations.iter_mut().find(|c| !c.text.is_empty())?;
            // The text starts over instead of growing: the checker follows the new text from here.
            let sentence = rng.pick::<&str>(SENTENCES);
            let rewritten = format!("Correction: {sentence}");
            // A text that starts with the current one would grow it, not rewrite it.
            conversation.text =
                if rewritten.starts_with(&conversation.text) { sentence.to_string() } else { rewritten };
            Some((update(conversation, "response", "in_progress", &conversation.text, timestamp), "text-not-appended"))
        }
        _ => {
            let conversation = state.conversations.first_mut()?;
            grow(rng, &mut conversation.text);
            let mut moved = conversation.clone();
            moved.thread_id.push_str("-other");
            Some((update(&moved, "response", "in_progress", &conversation.text, timestamp), "thread-changed"))
        }
    }
}

fn health(rng: &mut Rng, state: &mut State) -> Value {
    let timestamp = state.tick(rng);
    match rng.below(10) {
        0..=6 => {
            let (dv, hv) = (rng.float(0.0, 1.0, 3), rng.float(0.0, 1.0, 3));
            let score = ((dv + hv) / 2.0 * 1000.0).round() / 1000.0;
            let (interpretation, risk) = match score {
                s if s >= 0.75 => ("Good Health", "low"),
                s if s >= 0.5 => ("Fair Health", "moderate"),
                _ => ("Poor Health", "high"),
            };
            json!({
                "type": "health_score",
                "timestamp": timestamp,
                "health_score": score,
                "dv_score": dv,
                "hv_score": hv,
                "interpretation": interpretation,
                "risk_level": risk,
                "mode": *rng.pick::<&str>(&["synchronized", "dv_only", "hv_only"]),
                "sync_tolerance": 0.05,
                "source": "synchronized_inference_engine",
            })
        }
        7..=8 => json!({
            "type": "alert",
            "timestamp": timestamp,
            "data": {
                "type": "drowsiness_warning",
                "level": *rng.pick::<&str>(&["info", "warning", "high", "critical"]),
                "message": "Driver appears drowsy",
                "timestamp": timestamp,
                "action": "suggest_break",
            },
        }),
        _ => json!({
            "type": "status",
            "timestamp": timestamp,
            "data": {
                "system": "vigilant_ai",
                "status": "active",
                "uptime": rng.below(100_000),
                "health_scores_sent": rng.below(10_000),
            },
        }),
    }
}

fn simulation(rng: &mut Rng, state: &mut State) -> Value {
    state.tick(rng);
    let timestamp = state.iso();
    let agent = |rng: &mut Rng| format!("agent_{}", rng.below(12) + 1);
    match rng.below(4) {
        0..=1 => {
            let score = rng.float(-1.0, 1.0, 2);
            let label = if score > 0.2 {
                "positive"
            } else if score < -0.2 {
                "negative"
            } else {
                "neutral"
            };
            json!({
                "event_type": "agent_message",
                "timestamp": timestamp,
                "data": {
                    "agent_id": agent(rng),
                    "agent_type": *rng.pick::<&str>(&["CognitivePsychologist", "Economist", "Historian", "Engineer"]),
                    "message": *rng.pick(SENTENCES),
                    "sentiment": {"score": score, "label": label},
                    "metadata": {"interaction_count": rng.below(50), "has_memory": rng.below(2) == 0},
                },
            })
        }
        2 => {
            let connections: Vec<Value> = (0..rng.below(4) + 1)
                .map(|_| {
                    json!({
                        "from": agent(rng),
                        "to": agent(rng),
                        "strength": rng.float(0.0, 1.0, 2),
                        "is_active": rng.below(4) != 0,
                        "type": "normal",
                    })
                })
                .collect();
            json!({
                "event_type": "network_update",
                "timestamp": timestamp,
                "data": {
                    "connections": connections,
                    "communication_stats": {
                        "agent_1": {"sent": rng.below(100), "received": rng.below(100)},
                        "agent_2": {"sent": rng.below(100), "received": rng.below(100)},
                    },
                    "event_type": "message_sent",
                    "details": {"queue_size": rng.below(10), "sentiment": rng.float(-1.0, 1.0, 2)},
                },
            })
        }
        _ => json!({
            "event_type": "system_status",
            "timestamp": timestamp,
            "data": {
                "health_status": *rng.pick::<&str>(&["healthy", "warning"]),
                "performance_metrics": {
                    "cpu_percent": rng.float(0.0, 100.0, 1),
                    "memory_percent": rng.float(0.0, 100.0, 1),
                    "thread_count": rng.below(64),
                    "open_files": rng.below(1024),
                },
                "active_agents": rng.below(12),
                "error_count": rng.below(3),
                "metadata": {"node": "simulation-1", "uptime": rng.below(100_000)},
            },
        }),
    }
}

/// The next stream message: a session opening, a request, the reply to the oldest waiting
/// request of a kind, or chat. A `corrupt` request is not waited for, and a session is not
/// opened by a message that could be corrupted.
fn stream(rng: &mut Rng, state: &mut State, corrupt: bool) -> Value {
    state.tick(rng);
    let millis = (state.clock * 1000.0).round() as u64;
    let iso = format!("{}Z", state.iso());
    if !corrupt && (state.sessions.is_empty() || (state.sessions.len() < 8 && rng.below(20) == 0)) {
        let session = format!("session-{:04x}", rng.below(0x1_0000));
        state.sessions.push(session.clone());
        let message = format!("Connected to session {session}");
        return json!({"type": "connection_established", "session_id": session, "message": message, "timestamp": iso});
    }
    let Some(session) = state.sessions.get(rng.below(state.sessions.len().max(1) as u64) as usize).cloned() else {
        return json!({"type": "chat", "session_id": "session-0000", "message": *rng.pick(SENTENCES), "timestamp": iso});
    };
    let roll = rng.below(10);
    let slot = match roll {
        0..=1 | 5..=6 => 0,
        2 | 7 => 1,
        _ => 2,
    };
    let (request, reply) = REQUESTS[slot];
    match roll {
        // A reply, when a request of its kind waits (else the request).
        5..=7 | 9 if !state.waiting[slot].is_empty() => {
            let asked = state.waiting[slot].pop_front().expect("not empty");
            match reply {
                "transcription_result" => {
                    json!({"type": reply, "session_id": asked, "transcript": "hello there, can you hear me", "timestamp": iso})
                }
                _ => json!({"type": reply, "session_id": asked, "timestamp": millis}),
            }
        }
        0..=2 | 5..=7 | 9 => {
            if !corrupt {
                state.waiting[slot].push_back(session.clone());
            }
            match request {
                "ping" => json!({"type": "ping", "session_id": session, "timestamp": millis}),
                _ => json!({"type": request, "session_id": session, "data": base64(&rng.bytes(48)), "timestamp": iso}),
            }
        }
        3 => json!({"type": "chat", "session_id": session, "message": *rng.pick(SENTENCES), "timestamp": iso}),
        _ => json!({"type": "chat_message", "session_id": session, "message": *rng.pick(SENTENCES), "timestamp": iso}),
    }
}

/// Audio: 2048 little-endian Float32 samples (8 KiB); video: a JPEG-looking frame of 16–32 KiB.
fn media(rng: &mut Rng) -> Value {
    if rng.below(2) == 0 {
        json!(["audio_data", {"audio": base64(&rng.bytes(2048 * 4))}])
    } else {
        let len = 16 * 1024 + rng.below(16 * 1024) as usize;
        let mut frame = rng.bytes(len);
        frame[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
        let prefix = if rng.below(5) == 0 { "data:image/jpeg;base64," } else { "" };
        json!(["video_data", {"frame": format!("{prefix}{}", base64(&frame))}])
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Breaks one rule of the message, one that every validator checks. Returns the mutation's
/// name, and the text when the mutation is not expressible as a JSON value (a syntax error).
fn corrupt_message(rng: &mut Rng, family: Family, value: &mut Value) -> (&'static str, Option<String>) {
    let tag_pointer = match family {
        // A subscription request has no `payload.type`; its `action` plays the tag's part.
        Family::Assistant if value.pointer("/payload/type").is_none() => "/payload/action",
        _ => family.tag_pointer(),
    };
    match (family, rng.below(5)) {
        (_, 0) => {
            let text = value.to_string();
            ("syntax", Some(text[..text.len() - 1].to_owned()))
        }
        (_, 1) => {
            let tag = value.pointer_mut(tag_pointer).expect("every message has its tag");
            let typo = format!("{}x", tag.as_str().unwrap_or_default());
            *tag = json!(typo);
            ("unknown-type", None)
        }
        (Family::Media, 2) => {
            let payload = media_payload(value);
            let at = payload.len() / 2;
            payload.replace_range(at..at + 1, "!");
            ("base64-alphabet", None)
        }
        (Family::Media, 3) => {
            let payload = media_payload(value);
            // Drop one 4-character group: audio is then 3 bytes short of whole samples, and a
            // frame's base64 stays valid, so break its JPEG marker instead.
            if payload.starts_with("/9j/") || payload.starts_with("data:") {
                let start = payload.find("/9j/").expect("frames start with the marker");
                payload.replace_range(start..start + 4, "iVBO");
                ("jpeg-marker", None)
            } else {
                payload.replace_range(0..4, "");
                ("audio-samples", None)
            }
        }
        (Family::Media, _) => {
            value[1] = json!({});
            ("missing-field", None)
        }
        (_, 2) => {
            let field = match family {
                Family::Assistant if tag_pointer == "/payload/type" => "/payload/message_id",
                Family::Assistant => "/payload/channel",
                Family::Stream => "/session_id",
                _ => "/timestamp",
            };
            remove(value, field);
            ("missing-field", None)
        }
        (_, 3) => {
            let field = match family {
                Family::Assistant if tag_pointer == "/payload/type" => "/payload/timestamp",
                Family::Assistant => "/payload/channel",
                Family::Stream => "/session_id",
                Family::Simulation => "/data",
                _ => "/timestamp",
            };
            *value.pointer_mut(field).expect("the field exists") = json!(["not", "this"]);
            ("wrong-type", None)
        }
        _ => {
            let object = match family {
                Family::Assistant => value.pointer_mut("/payload"),
                _ => Some(&mut *value),
            };
            let object = object.and_then(Value::as_object_mut).expect("an object");
            if object.get("type").and_then(Value::as_str).is_some_and(|t| t == "alert" || t == "status") {
                // Alerts and status reports are open objects: an extra key is allowed there.
                object.insert("timestamp".into(), json!(-1));
                return ("out-of-range", None);
            }
            object.insert("unexpected_field".into(), json!(true));
            ("unknown-field", None)
        }
    }
}

fn media_payload(value: &mut Value) -> &mut String {
    let payload = value[1].as_object_mut().expect("media payloads are objects");
    let (_, data) = payload.iter_mut().next().expect("one field");
    match data {
        Value::String(text) => text,
        _ => unreachable!("generated media payloads are base64 strings"),
    }
}

fn remove(value: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    if let Some(object) = value.pointer_mut(parent).and_then(Value::as_object_mut) {
        object.shift_remove(key);
    }
}

/// Writes the capture to `out` (`-`: standard output) and the ground truth to `truth`.
pub fn write_files(spec: &Spec, out: &std::path::Path, truth: Option<&std::path::Path>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let result = if out.as_os_str() == "-" {
        write(spec, &mut io::BufWriter::with_capacity(1 << 20, io::stdout().lock()))
    } else {
        let file = std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
        write(spec, &mut io::BufWriter::with_capacity(1 << 20, file))
    };
    let facts = result.with_context(|| format!("cannot write {}", out.display()))?;
    if let Some(path) = truth {
        std::fs::write(path, facts.to_json()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// A human size: `200MB`, `1.5GiB`, `64KiB`, `1000`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let number: f64 = text[..split].parse().map_err(|_| format!("`{text}` is not a size like 200MB"))?;
    let unit = match text[split..].to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        unit => return Err(format!("unknown unit `{unit}`")),
    };
    Ok((number * unit) as u64)
}

/// A percentage or fraction: `1%` or `0.01`.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let share = match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => text.trim().parse::<f64>(),
    }
    .map_err(|_| format!("`{text}` is not a share like 1% or 0.01"))?;
    if (0.0..=1.0).contains(&share) { Ok(share) } else { Err(format!("`{text}` is not between 0% and 100%")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seed: u64, bytes: u64, format: Format, no_media: bool) -> (Vec<u8>, Truth) {
        let spec = Spec { seed, bytes, invalid: 0.05, no_media, format };
        let mut out = Vec::new();
        let truth = write(&spec, &mut out).unwrap();
        (out, truth)
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        assert_eq!(sample(7, 200_000, Format::Jsonl, false), sample(7, 200_000, Format::Jsonl, false));
        assert_ne!(sample(7, 200_000, Format::Jsonl, false).0, sample(8, 200_000, Format::Jsonl, false).0);
    }

    #[test]
    fn every_message_is_valid_unless_corrupted_and_never_when_corrupted() {
        let (bytes, truth) = sample(3, 3_000_000, Format::Jsonl, false);
        let text = String::from_utf8(bytes).unwrap();
        let corrupted: std::collections::HashMap<usize, &str> = truth.invalid.iter().copied().collect();
        let mut families = std::collections::BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let verdict = eventwire::decode(line);
            match corrupted.get(&(i + 1)) {
                Some(mutation) => assert!(verdict.is_err(), "message {} ({mutation}) is valid: {line}", i + 1),
                None => {
                    let message = verdict.unwrap_or_else(|e| panic!("message {} is invalid: {e}: {line}", i + 1));
                    *families.entry(message.family().name()).or_insert(0usize) += line.len();
                }
            }
        }
        assert_eq!(truth.messages, text.lines().count());
        assert!(truth.invalid.len() > 10, "5% of the messages are corrupted");
        let media_share = families["media"] as f64 / text.len() as f64;
        assert!((0.8..0.95).contains(&media_share), "media is {media_share:.2} of the bytes");
    }

    #[test]
    fn without_media_there_is_no_media() {
        let (bytes, _) = sample(3, 300_000, Format::Jsonl, true);
        assert!(!String::from_utf8(bytes).unwrap().contains("audio_data"));
    }

    #[test]
    fn har_captures_are_json() {
        let (bytes, truth) = sample(5, 300_000, Format::Har, false);
        let har: Value = serde_json::from_slice(&bytes).unwrap();
        let messages = har["log"]["entries"][0]["_webSocketMessages"].as_array().unwrap();
        assert_eq!(messages.len(), truth.messages);
        let corrupted: std::collections::HashSet<usize> = truth.invalid.iter().map(|(index, _)| *index).collect();
        let mut checked = std::collections::HashSet::new();
        for (i, message) in messages.iter().enumerate().filter(|(i, _)| !corrupted.contains(&(i + 1))) {
            let kind = eventwire::decode(message["data"].as_str().unwrap()).unwrap().kind();
            let sent = if kind.direction == Directions::ClientToServer { "send" } else { "receive" };
            assert_eq!(message["type"], sent, "message {} (`{}`)", i + 1, kind.tag);
            checked.insert(sent);
        }
        assert_eq!(checked.len(), 2, "both directions occur");
    }

    #[test]
    fn base64_matches_the_standard_encoder() {
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(eventwire::primitives::check_base64(&base64(&bytes)), Ok(len as usize));
        }
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
    }

    #[test]
    fn sizes_and_shares_parse() {
        assert_eq!(parse_size("200MB"), Ok(200_000_000));
        assert_eq!(parse_size("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse_share("1%"), Ok(0.01));
        assert!(parse_share("120%").is_err());
    }
}
