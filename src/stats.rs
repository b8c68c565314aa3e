//! Streaming statistics with memory bounded by the aggregate, not by the runs.
//!
//! [`Summary`] keeps a count, Welford's running mean and variance, and a
//! [`QuantileSketch`]. Values are fed in run order, so the result does not
//! depend on the number of threads.

use std::collections::BTreeMap;

/// Relative accuracy of the quantile sketch: a reported quantile is within
/// 0.5% (relative) of a value whose rank is the requested one.
pub const SKETCH_ACCURACY: f64 = 0.005;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    count: u64,
    min: f64,
    max: f64,
}

/// A mergeable quantile sketch in the manner of DDSketch (Masson, Rim & Lee,
/// VLDB 2019): values are counted in logarithmic buckets of relative width
/// `2 * SKETCH_ACCURACY`, so a quantile is known to within that relative error;
/// each bucket also keeps its exact min and max, and a bucket that holds one
/// distinct value reports it exactly (small integers such as dispute counts
/// are therefore exact). Memory grows with the log of the value range, not with
/// the number of values: under 2,000 buckets for values spanning 1e-9..1e9.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuantileSketch {
    positive: BTreeMap<i32, Bucket>,
    negative: BTreeMap<i32, Bucket>,
    zeros: u64,
    count: u64,
}

const ZERO_BELOW: f64 = 1e-12;

fn gamma_ln() -> f64 {
    ((1.0 + SKETCH_ACCURACY) / (1.0 - SKETCH_ACCURACY)).ln()
}

fn add_to(store: &mut BTreeMap<i32, Bucket>, key: i32, value: f64, count: u64) {
    store
        .entry(key)
        .and_modify(|b| {
            b.count += count;
            b.min = b.min.min(value);
            b.max = b.max.max(value);
        })
        .or_insert(Bucket {
            count,
            min: value,
            max: value,
        });
}

impl QuantileSketch {
    /// Adds a finite value (non-finite values are ignored).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.count += 1;
        if x.abs() < ZERO_BELOW {
            self.zeros += 1;
            return;
        }
        let key = (x.abs().ln() / gamma_ln()).ceil() as i32;
        let store = if x > 0.0 {
            &mut self.positive
        } else {
            &mut self.negative
        };
        add_to(store, key, x, 1);
    }

    /// Adds every value of another sketch.
    pub fn merge(&mut self, other: &QuantileSketch) {
        self.count += other.count;
        self.zeros += other.zeros;
        for (k, b) in &other.positive {
            add_to(&mut self.positive, *k, b.min, b.count);
            add_to(&mut self.positive, *k, b.max, 0);
        }
        for (k, b) in &other.negative {
            add_to(&mut self.negative, *k, b.min, b.count);
            add_to(&mut self.negative, *k, b.max, 0);
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of buckets held (the sketch's memory, in buckets).
    pub fn buckets(&self) -> usize {
        self.positive.len() + self.negative.len()
    }

    /// The nearest-rank q-quantile (`rank = ceil(q n)`), or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0u64;
        let estimate = |key: i32, b: &Bucket, sign: f64| -> f64 {
            if b.min == b.max {
                return b.min;
            }
            let g = gamma_ln().exp();
            let mid = sign * 2.0 * g.powi(key) / (g + 1.0);
            mid.clamp(b.min, b.max)
        };
        // Negative values: the largest magnitude (highest key) is the smallest value.
        for (k, b) in self.negative.iter().rev() {
            seen += b.count;
            if seen >= rank {
                return Some(estimate(*k, b, -1.0));
            }
        }
        seen += self.zeros;
        if seen >= rank {
            return Some(0.0);
        }
        for (k, b) in &self.positive {
            seen += b.count;
            if seen >= rank {
                return Some(estimate(*k, b, 1.0));
            }
        }
        // Rounding can leave the rank just past the end: the maximum.
        self.positive.values().next_back().map(|b| b.max).or(Some(0.0))
    }
}

/// Count, mean, standard deviation and quantiles of one series across runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    n: u64,
    mean: f64,
    m2: f64,
    sketch: QuantileSketch,
}

impl Summary {
    /// Adds one run's value; NaN means "undefined in this run" and is skipped.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        self.sketch.add(x);
    }

    pub fn n(&self) -> u64 {
        self.n
    }
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }
    /// Sample standard deviation (n - 1), when n >= 2.
    pub fn sd(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).max(0.0).sqrt())
    }
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.sketch.quantile(q)
    }
    pub fn sketch(&self) -> &QuantileSketch {
        &self.sketch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_by_hand() {
        let mut s = Summary::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, f64::NAN] {
            s.add(x);
        }
        assert_eq!(s.n(), 8);
        assert!((s.mean().unwrap() - 5.0).abs() < 1e-12);
        // sample variance 32 / 7
        assert!((s.sd().unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(Summary::default().mean(), None);
    }

    #[test]
    fn small_integers_are_exact() {
        let mut s = QuantileSketch::default();
        for x in [0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 10.0, 0.0] {
            s.add(x);
        }
        assert_eq!(s.quantile(0.05), Some(0.0));
        assert_eq!(s.quantile(0.5), Some(1.0));
        assert_eq!(s.quantile(0.95), Some(10.0));
        assert_eq!(s.quantile(0.8), Some(3.0));
    }

    #[test]
    fn relative_error_is_bounded() {
        let mut s = QuantileSketch::default();
        let positives: Vec<f64> = (0..20000)
            .map(|i| ((i * 7919) % 20000) as f64 / 20000.0 * 3.7 + 0.001)
            .collect();
        let mut exact = Vec::new();
        for &x in &positives {
            s.add(x);
            s.add(-x);
            exact.push(x);
            exact.push(-x);
        }
        let mut sorted = exact.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] {
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            let truth = sorted[rank - 1];
            let got = s.quantile(q).unwrap();
            assert!(
                (got - truth).abs() <= SKETCH_ACCURACY * truth.abs() + 1e-12,
                "q {q}: {got} vs {truth}"
            );
        }
        assert!(s.buckets() < 2000);
    }

    #[test]
    fn merge_equals_sequential() {
        let values: Vec<f64> = (1..500).map(|i| (i as f64).sqrt()).collect();
        let mut whole = QuantileSketch::default();
        values.iter().for_each(|&x| whole.add(x));
        let mut a = QuantileSketch::default();
        let mut b = QuantileSketch::default();
        values[..200].iter().for_each(|&x| a.add(x));
        values[200..].iter().for_each(|&x| b.add(x));
        a.merge(&b);
        for q in [0.05, 0.5, 0.95] {
            assert_eq!(a.quantile(q), whole.quantile(q));
        }
    }
}
