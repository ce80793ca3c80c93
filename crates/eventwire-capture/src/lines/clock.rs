//! The time a log line's prefix gives, for the latency of replies: an ISO 8601 or Python
//! `logging` date and time at the start of the line (`2026-12-02 18:00:00,001`,
//! `2025-09-26T10:00:00.123Z`, `[2025-09-26 10:00:00]`), as seconds since 1970. An offset, if
//! any, is ignored: the lines of one log share their zone, and only differences are used.

/// The time at the start of `line`, if it starts with one.
pub(super) fn line_time(line: &str) -> Option<f64> {
    let text = line.strip_prefix('[').unwrap_or(line).as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if !separators.iter().all(|&(at, byte)| text.get(at) == Some(&byte)) || !matches!(text.get(10), Some(b' ' | b'T')) {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut seconds = (days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) as f64;
    if let Some(b'.' | b',') = text.get(19) {
        let fraction: Vec<u8> = text[20..].iter().take_while(|b| b.is_ascii_digit()).copied().collect();
        let mut scale = 0.1;
        for digit in fraction.iter().take(9) {
            seconds += f64::from(digit - b'0') * scale;
            scale /= 10.0;
        }
    }
    Some(seconds)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_that_loggers_write_give_their_time() {
        assert_eq!(line_time("1970-01-01 00:00:00 DEBUG x"), Some(0.0));
        assert_eq!(line_time("2026-12-02T18:00:00Z > {}"), Some(1_796_234_400.0));
        let python = line_time("2026-12-02 18:00:00,250 DEBUG websockets.server < TEXT").unwrap();
        assert!((python - 1_796_234_400.25).abs() < 1e-6, "{python}");
        assert_eq!(line_time("[2000-03-01 00:00:01] INFO"), Some(951_868_801.0));
        for not_a_time in ["DEBUG 2026-12-02 18:00:00", "2026-13-02 18:00:00", "2026-12-02", "", "é"] {
            assert_eq!(line_time(not_a_time), None, "{not_a_time}");
        }
    }
}
