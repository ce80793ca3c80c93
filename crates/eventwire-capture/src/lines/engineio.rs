//! The lines python-engineio logs with `engineio_logger=True` (python-socketio servers and
//! clients): `… engineio.server SID: Received packet MESSAGE data 2["audio_data",{…}]`. A
//! `MESSAGE` packet's data is the whole Socket.IO packet as text; a binary attachment is logged
//! as `<binary>`, without its bytes, so its length is unknown. The server's `Received` is client
//! to server, the client's server to client. (`socketio_logger` lines name events without their
//! data, so they are not messages.)

use eventwire::Direction;

/// One packet as engineio logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PacketLine<'a> {
    /// Which way it went, when the logger's name says which side logged it.
    pub direction: Option<Direction>,
    /// The Engine.IO session the server logged it for (the client's lines name none).
    pub sid: Option<&'a str>,
    /// What the packet is.
    pub packet: Packet<'a>,
    /// Where the packet's data starts in the line (bytes).
    pub data_at: usize,
}

/// An Engine.IO packet's kind and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Packet<'a> {
    /// A `MESSAGE` with a Socket.IO packet as text (`2[...]`, `51-[...]`, `0{}`, `31["ok"]`).
    SocketIo(&'a str),
    /// A `MESSAGE` whose data is binary (`<binary>`): an attachment of unknown length.
    Binary,
    /// `OPEN`, `CLOSE`, `PING`, `PONG`, `UPGRADE` or `NOOP`.
    Control,
}

/// The packet an engineio log line logs, if it logs one.
pub(crate) fn packet_line(line: &str) -> Option<PacketLine<'_>> {
    let (at, received) = ["Received packet ", "Sending packet "].iter().find_map(|words| {
        let at = line.find(words)?;
        Some((at, words.starts_with('R')))
    })?;
    let after = &line[at..];
    let after = after.split_once("packet ")?.1;
    let (name, data) = after.split_once(" data ")?;
    let data_at = line.len() - data.len();
    let packet = match name {
        "MESSAGE" if data == "<binary>" => Packet::Binary,
        "MESSAGE" => Packet::SocketIo(data),
        "OPEN" | "CLOSE" | "PING" | "PONG" | "UPGRADE" | "NOOP" => Packet::Control,
        _ => return None,
    };
    let prefix = &line[..at];
    let (side, sid) = if let Some(index) = prefix.find("engineio.server") {
        let rest = prefix[index + "engineio.server".len()..].trim();
        (Some(Direction::ClientToServer), rest.strip_suffix(':').map(str::trim).filter(|sid| !sid.is_empty()))
    } else if prefix.contains("engineio.client") {
        (Some(Direction::ServerToClient), None)
    } else {
        (None, None)
    };
    // The server receives what the client sends; the client receives what the server sends.
    let direction = side.map(|received_way| if received { received_way } else { received_way.reverse() });
    Some(PacketLine { direction, sid, packet, data_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_lines_as_engineio_writes_them() {
        let line = r#"2026-12-02 18:55:14,420 INFO engineio.server -AWc_Of-HTHvhaMQAAAA: Received packet MESSAGE data 51-1["audio_data",{"_placeholder":true,"num":0}]"#;
        let packet = packet_line(line).unwrap();
        assert_eq!(packet.direction, Some(Direction::ClientToServer));
        assert_eq!(packet.sid, Some("-AWc_Of-HTHvhaMQAAAA"));
        assert_eq!(packet.packet, Packet::SocketIo(r#"51-1["audio_data",{"_placeholder":true,"num":0}]"#));
        assert_eq!(&line[packet.data_at..], r#"51-1["audio_data",{"_placeholder":true,"num":0}]"#);
        let binary = packet_line("INFO engineio.server x: Received packet MESSAGE data <binary>").unwrap();
        assert_eq!(binary.packet, Packet::Binary);
        let sent = packet_line(r#"INFO engineio.server x: Sending packet MESSAGE data 31["ok"]"#).unwrap();
        assert_eq!(sent.direction, Some(Direction::ServerToClient));
        let open =
            packet_line("INFO engineio.server x: Sending packet OPEN data {'sid': 'x', 'upgrades': []}").unwrap();
        assert_eq!(open.packet, Packet::Control);
        let client =
            packet_line(r#"INFO:engineio.client:Received packet MESSAGE data 2["video_data","/9j/"]"#).unwrap();
        assert_eq!((client.direction, client.sid), (Some(Direction::ServerToClient), None));
        assert_eq!(packet_line("INFO engineio.server x: Received request to upgrade to websocket"), None);
        assert_eq!(packet_line(r#"INFO socketio.server received event "audio_data" from x [/]"#), None);
    }
}
