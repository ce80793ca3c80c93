//! Finding the end of a JSON string in text, eight bytes at a time: shared by the sniffer and
//! the layouts, which both read strings where they lie.

/// Where the string that `bytes` starts inside ends (the index of its closing quote), when it
/// has no escape and no control character before it.
pub(crate) fn string_end(bytes: &[u8]) -> Option<usize> {
    let stop = stop_byte(bytes)?;
    (bytes[stop] == b'"').then_some(stop)
}

/// The first quote, backslash or control character in `bytes`, eight bytes at a time.
pub(crate) fn stop_byte(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word;
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(word).ok()?);
        // A byte below 0x20 borrows when 0x20 is taken from it; the `!word` mask drops bytes
        // of 0x80 and above, which borrow too. Only the lowest byte found is sure (a borrow
        // can raise false alarms above it), and only the lowest is used.
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let found =
            (zero_bytes(word ^ (ONES * u64::from(b'"'))) | zero_bytes(word ^ (ONES * u64::from(b'\\'))) | control)
                & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..].iter().position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20).map(|found| at + found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_stop(bytes: &[u8]) -> Option<usize> {
        bytes.iter().position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
    }

    #[test]
    fn stop_byte_finds_the_first_quote_backslash_or_control_character() {
        // Bytes just above and below each stop, and stops with the high bit set, which a
        // careless bit trick confuses; after the stop, a second one (a false alarm there must
        // not hide the first).
        let fillers: [u8; 10] = [b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80 | b'"', 0x80 | b'\\', 0xff];
        let stops: [u8; 5] = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        for length in 0..20 {
            for filler in fillers {
                let mut bytes = vec![filler; length];
                assert_eq!(stop_byte(&bytes), None, "{bytes:?}");
                for (at, stop, second) in (0..length).flat_map(|at| stops.map(|stop| (at, stop, stops[4 - at % 5]))) {
                    bytes[at] = stop;
                    if at + 1 < length {
                        bytes[at + 1] = second;
                    }
                    assert_eq!(stop_byte(&bytes), Some(at), "{bytes:?}");
                    assert_eq!(brute_stop(&bytes), Some(at));
                    bytes.fill(filler);
                }
            }
        }
    }
}
