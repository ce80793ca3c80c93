//! The time from each request to its reply, per kind of request: a count, the largest, and a
//! histogram fine enough for p50 and p95 within 1% (log-spaced buckets, 128 to each doubling),
//! in memory that does not grow with the number of replies.

use std::collections::BTreeMap;

/// Sub-buckets to each doubling: percentiles are within 1/128 of the true value.
const SUB_BUCKETS: u64 = 128;

/// The latencies of one kind of request, in microseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Latency {
    /// Requests answered whose latency the capture's timestamps give.
    pub count: u64,
    /// Requests answered, whether or not the capture gives their times.
    pub answered: u64,
    /// Requests never answered.
    pub unanswered: u64,
    /// The longest latency, exact, in microseconds.
    pub max_micros: u64,
    /// Counts per bucket (see [`bucket`]).
    buckets: BTreeMap<u32, u64>,
}

impl Latency {
    /// Adds one answered request; `micros` is its latency when the capture gives both times.
    pub(crate) fn record(&mut self, micros: Option<u64>) {
        self.answered += 1;
        let Some(micros) = micros else { return };
        self.count += 1;
        self.max_micros = self.max_micros.max(micros);
        *self.buckets.entry(bucket(micros)).or_default() += 1;
    }

    /// The latency below which `percent` of the timed replies fall (nearest rank), in
    /// microseconds, within 1%; `None` without timed replies.
    pub fn percentile(&self, percent: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((percent / 100.0) * self.count as f64).ceil().clamp(1.0, self.count as f64) as u64;
        let mut seen = 0;
        for (&bucket, &n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return Some(middle(bucket).min(self.max_micros));
            }
        }
        Some(self.max_micros)
    }

    /// Adds another kind's counts to these.
    pub fn add(&mut self, other: &Latency) {
        self.count += other.count;
        self.answered += other.answered;
        self.unanswered += other.unanswered;
        self.max_micros = self.max_micros.max(other.max_micros);
        for (bucket, n) in &other.buckets {
            *self.buckets.entry(*bucket).or_default() += n;
        }
    }
}

/// The bucket of `micros`: exact below [`SUB_BUCKETS`], then [`SUB_BUCKETS`] buckets per
/// doubling.
fn bucket(micros: u64) -> u32 {
    if micros < SUB_BUCKETS {
        return micros as u32;
    }
    let doubling = 63 - micros.leading_zeros() - (SUB_BUCKETS.trailing_zeros()); // ≥ 0
    let sub = (micros >> doubling) - SUB_BUCKETS; // 0..SUB_BUCKETS
    ((doubling + 1) * SUB_BUCKETS as u32) + sub as u32
}

/// The middle of a bucket's values.
fn middle(bucket: u32) -> u64 {
    let (doubling, sub) = (u64::from(bucket) / SUB_BUCKETS, u64::from(bucket) % SUB_BUCKETS);
    if doubling == 0 {
        return sub;
    }
    let shift = doubling - 1;
    let low = (SUB_BUCKETS + sub) << shift;
    low + ((1u64 << shift) >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_their_values_within_one_percent() {
        for micros in (0..5000).chain((1..60).map(|shift| 1u64 << shift)).chain([999_999, 1_234_567, u64::MAX / 3]) {
            let back = middle(bucket(micros));
            let error = back.abs_diff(micros) as f64 / micros.max(1) as f64;
            assert!(error <= 1.0 / SUB_BUCKETS as f64, "{micros} came back as {back}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut latency = Latency::default();
        for micros in 1..=100 {
            latency.record(Some(micros));
        }
        latency.record(None);
        assert_eq!((latency.count, latency.answered, latency.max_micros), (100, 101, 100));
        assert_eq!(latency.percentile(50.0), Some(50));
        assert_eq!(latency.percentile(95.0), Some(95));
        assert_eq!(latency.percentile(100.0), Some(100));
        let mut big = Latency::default();
        for micros in [10_000, 20_000, 1_000_000] {
            big.record(Some(micros));
        }
        let p50 = big.percentile(50.0).unwrap();
        assert!(p50.abs_diff(20_000) <= 20_000 / 128, "{p50}");
        assert_eq!(Latency::default().percentile(50.0), None);
    }
}
