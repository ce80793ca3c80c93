"""How the damaged and re-encapsulated packet captures of this folder were made from the real
ones (which tcpdump and dumpcap recorded of the real peers of tests/peers/: `pcap-tcpdump-*` and
`pcap-dumpcap-*`). Wireshark's own tools do what they can (editcap deletes, cuts and converts,
mergecap duplicates, reordercap sorts); the few byte-level rewrites they cannot do (swapping
packets, changing the link layer or the IP version, the byte order) are the functions below.

Run from tests/captures/: python3 ../support/pcap-derive.py (it needs editcap, mergecap and
reordercap).
Each derived file's `.expected` says what was done to it and what eventwire must say.
"""

import struct
import subprocess

PLAIN = "pcap-dumpcap-websockets.pcapng"  # permessage-deflate off: reading resumes after a gap
DEFLATE = "pcap-tcpdump-websockets.pcap"  # permessage-deflate on, with context takeover
SOCKETIO = "pcap-tcpdump-any-socketio.pcap"  # Linux cooked capture v2, polling then WebSocket


def run(*words):
    subprocess.run(words, check=True, stdout=subprocess.DEVNULL)


def records(path):
    """The header, link type and (header, data) records of a little-endian microsecond pcap."""
    data = open(path, "rb").read()
    magic, major, minor, zone, sigfigs, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4, "a little-endian microsecond pcap"
    out, at = [], 24
    while at < len(data):
        seconds, micros, caplen, origlen = struct.unpack("<IIII", data[at : at + 16])
        out.append(((seconds, micros, origlen - caplen), data[at + 16 : at + 16 + caplen]))
        at += 16 + caplen
    return (major, minor, snaplen, linktype), out


def write(path, header, packets, linktype=None, big_endian=False):
    major, minor, snaplen, old = header
    order = ">" if big_endian else "<"
    with open(path, "wb") as file:
        file.write(struct.pack(order + "IHHiIII", 0xA1B2C3D4, major, minor, 0, 0, snaplen, old if linktype is None else linktype))
        for (seconds, micros, cut), data in packets:
            # `cut`: the bytes of the packet the snapshot length left out.
            file.write(struct.pack(order + "IIII", seconds, micros, len(data), len(data) + cut))
            file.write(data)


def ipv6_in_vlan(frame):
    """An Ethernet IPv4 frame as an IPv6 one (::1 both ways) inside an 802.1Q tag (VLAN 42)."""
    ethernet, ip = frame[:12], frame[14:]
    header_length = (ip[0] & 0x0F) * 4
    payload = ip[header_length:struct.unpack(">H", ip[2:4])[0]]
    loopback = bytes(15) + b"\x01"
    ipv6 = struct.pack(">IHBB", 6 << 28, len(payload), 6, 64) + loopback + loopback + payload
    return ethernet + b"\x81\x00" + struct.pack(">H", 42) + b"\x86\xdd" + ipv6


def null_loopback(frame):
    """An Ethernet IPv4 frame as BSD loopback (link type NULL): AF_INET in host byte order."""
    return struct.pack("<I", 2) + frame[14:]


def sll_v1(frame):
    """A Linux cooked capture v2 frame as v1 (`tcpdump -i any` before libpcap 1.10)."""
    protocol, _reserved, _index, hatype, packet_type, address_length = struct.unpack(">HHIHBB", frame[:12])
    return struct.pack(">HHH", packet_type, hatype, address_length) + frame[12:20] + struct.pack(">H", protocol) + frame[20:]


def main():
    run("editcap", "-F", "pcap", PLAIN, "/tmp/plain.pcap")
    header, packets = records("/tmp/plain.pcap")
    # A segment the capture lost: the client's 5th message (packet 22) deleted.
    run("editcap", PLAIN, "pcap-lost-segment.pcapng", "22")
    # The same with permessage-deflate and context takeover: the client's 3rd message deleted.
    run("editcap", DEFLATE, "pcap-lost-deflate.pcap", "20")
    # A retransmission storm: every packet three times.
    run("mergecap", "-w", "pcap-retransmitted.pcapng", PLAIN, PLAIN, PLAIN)
    # No handshake: the capture starts after the upgrade and the server's first message.
    run("editcap", PLAIN, "pcap-no-handshake.pcapng", "1-17")
    # Packets cut to 120 bytes by the snapshot length (`tcpdump -s 120`).
    run("editcap", "-s", "120", PLAIN, "pcap-snaplen.pcapng")
    # Nanosecond timestamps (`tcpdump --time-stamp-precision=nano`).
    run("editcap", "-F", "nsecpcap", DEFLATE, "pcap-nanosecond.pcap")
    # Raw IP (link type 101): the Ethernet header chopped off.
    run("editcap", "-C", "14", "-T", "rawip", DEFLATE, "pcap-raw-ip.pcap")
    # Out of time order: from packet 20 on, every third packet swapped with the next (each keeps
    # its timestamp); and the same put back in order by reordercap.
    shuffled = list(packets)
    for k in range(19, len(shuffled) - 1, 3):
        shuffled[k], shuffled[k + 1] = shuffled[k + 1], shuffled[k]
    write("pcap-reordered.pcap", header, shuffled)
    run("reordercap", "pcap-reordered.pcap", "pcap-reordercap.pcap")
    # Big-endian (a capture written on a SPARC or POWER machine).
    write("pcap-big-endian.pcap", header, packets, big_endian=True)
    # IPv6 inside a VLAN tag; BSD loopback.
    write("pcap-vlan-ipv6.pcap", header, [(meta, ipv6_in_vlan(frame)) for meta, frame in packets])
    write("pcap-null.pcap", header, [(meta, null_loopback(frame)) for meta, frame in packets], linktype=0)
    # Linux cooked capture v1.
    sll_header, sll_packets = records(SOCKETIO)
    write("pcap-sll-v1.pcap", sll_header, [(meta, sll_v1(frame)) for meta, frame in sll_packets], linktype=113)
    # Two pcapng sections one after the other (`cat`), with different link types.
    run("editcap", "-F", "pcapng", SOCKETIO, "/tmp/socketio.pcapng")
    with open("pcap-sections.pcapng", "wb") as out:
        for part in (PLAIN, "/tmp/socketio.pcapng"):
            out.write(open(part, "rb").read())
    # One section with two interfaces of different link types (Ethernet and Linux cooked v2),
    # their packets merged by time.
    run("mergecap", "-w", "pcap-interfaces.pcapng", PLAIN, SOCKETIO)
    # Cut in the middle of a packet, as a capture copied while it was being written.
    whole = open("/tmp/plain.pcap", "rb").read()
    open("pcap-cut.pcap", "wb").write(whole[: len(whole) - 40])


if __name__ == "__main__":
    main()
