//! From a captured frame to its TCP segment: the link layers tcpdump, dumpcap and Wireshark
//! write (Ethernet with VLAN tags, Linux cooked capture v1 and v2 from `-i any`, BSD
//! loopback/NULL, raw IP), then IPv4 or IPv6, sliced by `etherparse`.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};

/// A link type (`LINKTYPE_*` of the pcap and pcapng specifications) eventwire reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// BSD loopback: a 4-byte address family in host byte order, then IP.
    Null,
    Ethernet,
    /// Raw IPv4 or IPv6 (`LINKTYPE_RAW`, `LINKTYPE_IPV4`, `LINKTYPE_IPV6`).
    Raw,
    /// OpenBSD loopback: a 4-byte address family in network byte order, then IP.
    Loop,
    /// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
    LinuxSll,
    /// Linux cooked capture v2 (`tcpdump -i any`, dumpcap).
    LinuxSll2,
}

impl Link {
    /// The link of `LINKTYPE_*` value `linktype`, if eventwire reads it.
    pub(super) fn of(linktype: i32) -> Option<Link> {
        Some(match linktype {
            0 => Link::Null,
            1 => Link::Ethernet,
            101 | 228 | 229 => Link::Raw,
            108 => Link::Loop,
            113 => Link::LinuxSll,
            276 => Link::LinuxSll2,
            _ => return None,
        })
    }
}

/// The TCP segment a frame carries.
pub(super) struct Segment<'a> {
    pub source: SocketAddr,
    pub destination: SocketAddr,
    pub sequence: u32,
    pub acknowledgment: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// What a frame is, for the reader.
pub(super) enum Frame<'a> {
    /// A TCP segment.
    Tcp(Segment<'a>),
    /// Something else (ARP, UDP, ICMP, an IP fragment): not part of any WebSocket.
    Other,
    /// A frame cut short (the capture's snapshot length) or damaged: its bytes cannot be used.
    Cut(String),
}

/// The TCP segment of the frame `data` on `link`.
pub(super) fn segment(link: Link, data: &[u8]) -> Frame<'_> {
    let sliced = match link {
        Link::Ethernet => SlicedPacket::from_ethernet(data),
        // etherparse's SLL slicer reads the protocol only for some ARPHRD types (not loopback's):
        // the v1 header is packet type (2 bytes), ARPHRD type (2), address length (2), address
        // (8), protocol (2).
        Link::LinuxSll => match data.get(16..) {
            Some(payload) => {
                SlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([data[14], data[15]])), payload)
            }
            None => return Frame::Cut("a Linux cooked capture header cut short".to_owned()),
        },
        Link::LinuxSll2 => match data.get(20..) {
            // The v2 header: protocol type (2 bytes), reserved (2), interface index (4), ARPHRD
            // type (2), packet type (1), address length (1), address (8).
            Some(payload) => SlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([data[0], data[1]])), payload),
            None => return Frame::Cut("a Linux cooked capture v2 header cut short".to_owned()),
        },
        Link::Null | Link::Loop => match data.get(4..) {
            Some(payload) => SlicedPacket::from_ip(payload),
            None => return Frame::Cut("a loopback header cut short".to_owned()),
        },
        Link::Raw => SlicedPacket::from_ip(data),
    };
    let sliced = match sliced {
        Ok(sliced) => sliced,
        Err(error) => return Frame::Cut(error.to_string()),
    };
    let (source, destination) = match &sliced.net {
        Some(NetSlice::Ipv4(ip)) if !ip.is_payload_fragmented() => {
            (IpAddr::V4(ip.header().source_addr()), IpAddr::V4(ip.header().destination_addr()))
        }
        Some(NetSlice::Ipv6(ip)) if !ip.is_payload_fragmented() => {
            (IpAddr::V6(ip.header().source_addr()), IpAddr::V6(ip.header().destination_addr()))
        }
        _ => return Frame::Other,
    };
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else { return Frame::Other };
    Frame::Tcp(Segment {
        source: SocketAddr::new(source, tcp.source_port()),
        destination: SocketAddr::new(destination, tcp.destination_port()),
        sequence: tcp.sequence_number(),
        acknowledgment: tcp.ack().then(|| tcp.acknowledgment_number()),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: tcp.payload(),
    })
}
