//! How a server uses the crate (mirrored in the README): decode what arrives, build what leaves.
//!
//! `cargo run -p eventwire --example server`

#![allow(clippy::print_stdout)] // printing is what this example is for

use eventwire::health::HealthEvent;
use eventwire::primitives::{Id, StreamTimestamp};
use eventwire::{Message, stream::Ping};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let incoming = [
        r#"{"type": "health_score", "timestamp": 1758855248.477, "health_score": 0.56, "interpretation": "Fair Health", "risk_level": "moderate", "mode": "synchronized", "source": "engine"}"#,
        r#"{"type": "health_score", "timestamp": 1758855248.477, "health_score": 0.56, "dv_score": 1.4, "interpretation": "Fair Health", "risk_level": "moderate", "mode": "synchronized", "source": "engine"}"#,
    ];
    for text in incoming {
        // Decode: routes on the envelope to exactly one type; errors name the field by JSON Pointer.
        match eventwire::decode(text) {
            Ok(Message::Health(HealthEvent::HealthScore(score))) => {
                println!("health score {}", score.health_score.get())
            }
            Ok(other) => println!("{} {}", other.family(), other.kind().tag),
            Err(error) => println!("rejected: {error}"),
        }
    }

    // Build: constructors take the rule-carrying newtypes, so an invalid message can't be built.
    let ping = Ping::new(Id::new("session-1")?, StreamTimestamp::Iso("2025-09-26T10:00:00Z".parse()?));
    println!("{}", Message::from(ping).to_json());
    Ok(())
}
