//! Streaming statistics with memory bounded by the aggregate, not by the runs.
//!
//! [`Summary`] keeps a count, Welford's running mean and variance, and what its percentiles
//! need: every value while one aggregate's values fit [`EXACT_BUDGET_BYTES`] (exact
//! percentiles, R's type 7), a [`Kll`] sketch with a stated rank error above it. The choice is
//! made once per aggregate from its runs and cells ([`QuantileMethod::choose`]), never from
//! the values or the thread count, and values are fed in run order, so the result does not
//! depend on the number of threads. Exact values wait in memory up to a small bound and in a
//! scratch file above it ([`crate::spill`]); a summary whose values were spilled keeps its
//! whole percentiles once they are read back ([`Summary::resolve`]), the same bits either way.
//!
//! The t distribution ([`t_quantile`], [`t_two_sided_p`], over [`ln_gamma`] and
//! [`incomplete_beta`]) serves `compare`'s intervals and tests.

/// The size of one aggregate's values (runs x cells x 8 bytes) up to which percentiles are
/// exact: 4 GiB. The values wait in memory up to [`crate::spill::memory_for_values`] (16 MiB)
/// and in a scratch file in the output folder above it, so this bounds disk, not memory.
/// Above it every cell of the aggregate keeps a [`Kll`] sketch instead.
pub const EXACT_BUDGET_BYTES: u64 = 4 << 30;

/// The whole percentiles, 0 to 100, that a summary whose values were spilled keeps: the
/// quantiles at `k / 100` (every percentile the outputs report is one of them).
pub const WHOLE_PERCENTILES: usize = 101;

/// The KLL sketch's parameter k: the capacity of its top level. The sketch holds at most
/// about 3k values (about 30 KB with its buffers), whatever the number of runs; its rank error
/// is about 0.3% ([`kll_rank_error`]).
pub const KLL_K: usize = 1024;

/// The confidence of the sketch's stated rank error.
pub const RANK_ERROR_CONFIDENCE: f64 = 0.99;

/// How a [`Summary`] keeps what its percentiles need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantileMethod {
    /// Every value is kept; a percentile is R's type 7 (see [`quantile_sorted`]).
    Exact,
    /// A [`Kll`] sketch of parameter [`KLL_K`]: a percentile is a value seen, whose rank is
    /// within the stated rank error of the requested one.
    Kll,
}

impl QuantileMethod {
    /// Exact when an aggregate of `cells` cells and `runs` runs keeps at most `budget` bytes of
    /// values (`runs x cells x 8`), else the sketch. Decided before the first run, so the
    /// method (and so the output bytes) depends only on the scenario and the number of runs.
    pub fn choose(runs: u64, cells: usize, budget: u64) -> QuantileMethod {
        let bytes = runs.checked_mul(cells as u64).and_then(|v| v.checked_mul(8));
        match bytes {
            Some(b) if b <= budget => QuantileMethod::Exact,
            _ => QuantileMethod::Kll,
        }
    }

    /// `exact (R type 7)` or `kll`.
    pub fn name(self) -> &'static str {
        match self {
            QuantileMethod::Exact => "exact (R type 7)",
            QuantileMethod::Kll => "kll",
        }
    }

    /// The largest rank error, as a fraction of a cell's count, of a percentile of any cell
    /// with at most `runs` values: 0 when exact, else [`kll_rank_error`]'s bound.
    pub fn rank_error(self, runs: u64) -> f64 {
        match self {
            QuantileMethod::Exact => 0.0,
            QuantileMethod::Kll => kll_rank_error(runs, KLL_K),
        }
    }

    /// An upper bound on the heap bytes an aggregate of `cells` cells keeps for `runs` runs
    /// (its [`Summary`]s included), when `memory` is the memory for values
    /// ([`crate::spill::memory_for_values`]). Exact: every value (reserved at once) while they
    /// fit `memory`; above it the whole percentiles of each cell and the spill's buffers
    /// ([`crate::spill::spill_bytes`]). Sketch: per cell, whatever `runs`, the values it can hold
    /// (about 3k) and k more for the spare room of its level 0 buffer: about 37 KB (about 30 KB
    /// measured).
    pub fn aggregate_bytes(self, runs: u64, cells: usize, memory: u64) -> u64 {
        let summary = std::mem::size_of::<Summary>() as u64;
        let spilled = self == QuantileMethod::Exact && !crate::spill::fits_in_memory(runs, cells, memory);
        let per_cell = match self {
            QuantileMethod::Exact if spilled => summary + 8 * WHOLE_PERCENTILES as u64,
            QuantileMethod::Exact => summary + runs * 8,
            QuantileMethod::Kll => {
                let values = runs.min(kll_total_capacity(KLL_K, 64) as u64) + KLL_K as u64;
                summary + 8 * values + 64 * std::mem::size_of::<Vec<f64>>() as u64 + std::mem::size_of::<Kll>() as u64
            }
        };
        let spill = if spilled {
            crate::spill::spill_bytes(runs, cells)
        } else {
            0
        };
        (cells as u64).saturating_mul(per_cell).saturating_add(spill)
    }

    /// The manifest's `quantiles` object for aggregates of `runs` runs.
    pub fn manifest(self, runs: u64, budget: u64) -> serde_json::Value {
        match self {
            QuantileMethod::Exact => serde_json::json!({
                "method": self.name(),
                "rank_error": 0.0,
                "exact_budget_bytes": budget,
            }),
            QuantileMethod::Kll => serde_json::json!({
                "method": self.name(),
                "k": KLL_K,
                "rank_error": round_up(kll_rank_error(runs, KLL_K)),
                "rank_error_confidence": RANK_ERROR_CONFIDENCE,
                "exact_budget_bytes": budget,
            }),
        }
    }
}

/// Rounds a bound up to 4 significant digits (for the manifest).
fn round_up(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.log10().floor() as i32);
    (x * scale).ceil() / scale
}

/// The `q` quantile of sorted values by linear interpolation between order statistics:
/// R's `quantile(type = 7)`, numpy's `percentile` default (`linear`) and pandas' `quantile`.
/// With `h = (n - 1) q`, it is `x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)])`
/// (0-based), computed as numpy computes it, and never outside those two values. `None` when
/// `sorted` is empty or `q` is NaN; `q` is clamped to [0, 1].
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 || q.is_nan() {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    let t = h - lo as f64;
    let d = b - a;
    // numpy's `_lerp`: from the nearer end, so that t = 1 gives b exactly.
    let v = if t < 0.5 { a + d * t } else { b - d * (1.0 - t) };
    // Held between the two (rounding); written so that an unsorted slice cannot panic.
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    Some(if v < low {
        low
    } else if v > high {
        high
    } else {
        v
    })
}

/// Count, mean, standard deviation and quantiles of one series across runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    n: u64,
    mean: f64,
    m2: f64,
    values: Values,
}

#[derive(Clone, Debug, PartialEq)]
enum Values {
    /// Every value, in run order until [`Summary::finish`] sorts them.
    Exact {
        values: Vec<f64>,
        sorted: bool,
    },
    Sketch(Box<Kll>),
    /// The values wait in the aggregate's scratch file ([`crate::spill`]); once read back
    /// ([`Summary::resolve`]), the quantile at `k / 100` for every k in 0..=100 (`None`
    /// before, or when no value was added).
    Spilled(Option<Box<[f64; WHOLE_PERCENTILES]>>),
}

impl Default for Summary {
    /// An exact summary that keeps every value (it grows with the values).
    fn default() -> Summary {
        Summary {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            values: Values::Exact {
                values: Vec::new(),
                sorted: true,
            },
        }
    }
}

impl Summary {
    /// An empty summary for up to `runs` values, keeping them as `method` says: exact
    /// summaries reserve room for `runs` values at once (at most 16 MiB's worth: an
    /// aggregate whose values outgrow its memory uses [`Summary::spilled`] instead).
    pub fn new(method: QuantileMethod, runs: u64) -> Summary {
        let values = match method {
            QuantileMethod::Exact => {
                let room = runs.min(crate::spill::DEFAULT_MEMORY_FOR_VALUES / 8);
                Values::Exact {
                    values: Vec::with_capacity(usize::try_from(room).unwrap_or(0)),
                    sorted: true,
                }
            }
            QuantileMethod::Kll => Values::Sketch(Box::new(Kll::new(KLL_K))),
        };
        Summary {
            values,
            ..Summary::default()
        }
    }

    /// An empty exact summary whose values its aggregate writes to a scratch file
    /// ([`crate::spill::ValueSpill`]): it keeps the count, mean and variance as they come, and
    /// its percentiles once [`Summary::resolve`] is given its values.
    pub fn spilled() -> Summary {
        Summary {
            values: Values::Spilled(None),
            ..Summary::default()
        }
    }

    /// Gives a spilled summary its values (the finite ones [`Summary::add`] counted, in any
    /// order): sorts them and keeps the quantile at every whole percentile, R's type 7 as for
    /// an exact summary, so bit for bit what [`Summary::quantile`] of an exact summary of the
    /// same values gives. No effect on other summaries.
    pub fn resolve(&mut self, values: &mut [f64]) {
        if let Values::Spilled(percentiles) = &mut self.values {
            values.sort_unstable_by(f64::total_cmp);
            *percentiles = (!values.is_empty()).then(|| {
                Box::new(std::array::from_fn(|k| {
                    quantile_sorted(values, k as f64 / 100.0).unwrap_or(f64::NAN)
                }))
            });
        }
    }

    /// Adds one run's value; NaN means "undefined in this run" and is skipped (so are
    /// infinities).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        match &mut self.values {
            Values::Exact { values, sorted } => {
                values.push(x);
                *sorted = false;
            }
            Values::Sketch(sketch) => sketch.add(x),
            Values::Spilled(_) => {}
        }
    }

    /// Sorts an exact summary's values, once all are in, so that each quantile is read
    /// directly (before it, each [`Summary::quantile`] sorts a copy). Adding a value
    /// afterwards is allowed; the next `finish` sorts again.
    pub fn finish(&mut self) {
        if let Values::Exact { values, sorted } = &mut self.values
            && !*sorted
        {
            values.sort_unstable_by(f64::total_cmp);
            *sorted = true;
        }
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

    /// How this summary keeps its values.
    pub fn method(&self) -> QuantileMethod {
        match self.values {
            Values::Exact { .. } | Values::Spilled(_) => QuantileMethod::Exact,
            Values::Sketch(_) => QuantileMethod::Kll,
        }
    }

    /// The `q` quantile (`q` in [0, 1]), or `None` when no value was added. Exact: R's type 7
    /// ([`quantile_sorted`]). Sketch: [`Kll::quantile`]. Either way quantiles are monotone in
    /// `q`, lie within the smallest and largest value added, and equal the value when all
    /// values are equal. A spilled summary ([`Summary::spilled`]) answers whole percentiles
    /// (`q` = k / 100, as 0.05, 0.5 and 0.95 are) once resolved, and `None` for any other `q`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        match &self.values {
            Values::Exact { values, sorted: true } => quantile_sorted(values, q),
            Values::Exact { values, sorted: false } => {
                let mut copy = values.clone();
                copy.sort_unstable_by(f64::total_cmp);
                quantile_sorted(&copy, q)
            }
            Values::Sketch(sketch) => sketch.quantile(q),
            Values::Spilled(percentiles) => {
                let q = q.clamp(0.0, 1.0);
                let k = (q * 100.0).round();
                let whole = k / 100.0 == q;
                debug_assert!(
                    whole || q.is_nan(),
                    "a spilled summary keeps whole percentiles only, not {q}"
                );
                percentiles.as_ref().filter(|_| whole).map(|p| p[k as usize])
            }
        }
    }
}

/// The smallest width of a KLL level (Apache DataSketches' `m`).
const KLL_MIN_WIDTH: usize = 8;

/// The capacity of level `h` of a KLL sketch with `levels` levels: `k` at the top, about 2/3
/// of the level above below it, never under [`KLL_MIN_WIDTH`] (integer arithmetic, so that it
/// is the same on every machine).
fn kll_level_capacity(k: usize, levels: usize, h: usize) -> usize {
    let mut c = k.max(KLL_MIN_WIDTH);
    for _ in 0..levels.saturating_sub(h + 1) {
        c = (2 * c + 1) / 3;
        if c <= KLL_MIN_WIDTH {
            return KLL_MIN_WIDTH;
        }
    }
    c
}

fn kll_total_capacity(k: usize, levels: usize) -> usize {
    (0..levels).map(|h| kll_level_capacity(k, levels, h)).sum()
}

/// The `ln(2 / delta)` of the Azuma-Hoeffding bound for one percentile at
/// [`RANK_ERROR_CONFIDENCE`]: a percentile's error is bounded on both sides of its rank, each
/// side failing with probability at most (1 - confidence) / 2, i.e. `delta = 0.005` per side.
fn kll_log_term() -> f64 {
    let delta = (1.0 - RANK_ERROR_CONFIDENCE) / 2.0;
    (2.0 / delta).ln()
}

/// The rank error, as a fraction of the count `m`, that a KLL sketch of parameter `k` which
/// has made compactions of weights `w` (summing to `sum_w`, their squares to `sum_w2`) keeps
/// within at [`RANK_ERROR_CONFIDENCE`]: the smaller of the Azuma-Hoeffding bound and the
/// worst case (see [`kll_rank_error`]).
fn kll_bound(sum_w: f64, sum_w2: f64, m: u64) -> f64 {
    if m == 0 {
        return 0.0;
    }
    let azuma = (2.0 * kll_log_term() * sum_w2).sqrt();
    azuma.min(sum_w) / m as f64
}

/// The rank error of a percentile read from a KLL sketch of parameter `k`, as a fraction of
/// the count `m` of values it holds, for every `m <= n`: the error stays within it with
/// probability [`RANK_ERROR_CONFIDENCE`] (0 while no compaction has happened: the sketch then
/// holds every value).
///
/// A compaction at level `h` halves a sorted run of items of weight `w = 2^h`, keeping the odd
/// or the even positions as a fair coin says; the estimated rank of any fixed value moves by
/// `-w`, `0` or `+w`, with mean 0. Which compactions a sketch makes depends only on how many
/// values it has seen, never on the values, so the sum `S` of their `w^2` is known from `m`
/// alone. By the Azuma-Hoeffding inequality the estimated rank of a fixed value is off by more
/// than `sqrt(2 ln(2 / delta) S)` with probability at most `delta`; a percentile is off by more
/// only if the value at one of the two ends of the allowed rank interval is, so
/// `delta = (1 - confidence) / 2`. The error can never exceed the sum of the `w` either, so the
/// bound is the smaller of the two. This follows the sketch's schedule exactly, in O(n) integer
/// steps (a few milliseconds per million values), and returns the largest bound over `m <= n`
/// (a cell whose series is undefined in some runs holds fewer values than `n`).
pub fn kll_rank_error(n: u64, k: usize) -> f64 {
    let mut sizes: Vec<u64> = vec![0];
    let mut capacity = kll_total_capacity(k, 1) as u64;
    let (mut retained, mut seen) = (0u64, 0u64);
    let (mut sum_w, mut sum_w2) = (0.0f64, 0.0f64);
    let mut bound = 0.0f64;
    loop {
        // Values are added to level 0 until the sketch is full; the compaction then follows
        // the add that filled it.
        let step = capacity - retained;
        if seen + step > n {
            break;
        }
        seen += step;
        retained += step;
        sizes[0] += step;
        let Some(h) = (0..sizes.len()).find(|&h| sizes[h] >= kll_level_capacity(k, sizes.len(), h) as u64) else {
            break; // not reached: a full sketch has a full level
        };
        if h + 1 == sizes.len() {
            sizes.push(0);
            capacity = kll_total_capacity(k, sizes.len()) as u64;
        }
        let moved = sizes[h] / 2;
        sizes[h] %= 2;
        sizes[h + 1] += moved;
        retained -= moved;
        let w = (h as f64).exp2();
        sum_w += w;
        sum_w2 += w * w;
        // Just after a compaction the bound is at its largest relative to the count seen.
        bound = bound.max(kll_bound(sum_w, sum_w2, seen));
    }
    bound
}

/// A KLL quantile sketch (Karnin, Lang & Liberty, "Optimal quantile approximation in
/// streams", FOCS 2016), laid out as Apache DataSketches lays it out: levels of items, level
/// `h` holding items of weight `2^h`, the top level `k` wide and each level below about 2/3 of
/// the one above (at least 8). When the sketch is full, its lowest full level is sorted and
/// every other item (odd or even positions, by a coin) moves up a level with twice the weight.
///
/// It is deterministic: the coin is a SplitMix64 stream with a fixed seed, so the same values
/// in the same order give the same sketch. Its rank error is stated by [`kll_rank_error`].
/// Memory: at most about 3k values, whatever the number added.
#[derive(Clone, Debug, PartialEq)]
pub struct Kll {
    k: usize,
    n: u64,
    /// Level 0 in arrival order, the levels above sorted.
    levels: Vec<Vec<f64>>,
    retained: usize,
    capacity: usize,
    coin: u64,
    /// The weights of the compactions made, summed, and their squares summed.
    sum_w: f64,
    sum_w2: f64,
}

/// The coin's fixed seed.
const KLL_SEED: u64 = 0x636f_6d69_7479_6b6c; // "comitykl"

impl Kll {
    /// An empty sketch of parameter `k` (at least 8).
    pub fn new(k: usize) -> Kll {
        let k = k.max(KLL_MIN_WIDTH);
        Kll {
            k,
            n: 0,
            levels: vec![Vec::new()],
            retained: 0,
            capacity: kll_total_capacity(k, 1),
            coin: KLL_SEED,
            sum_w: 0.0,
            sum_w2: 0.0,
        }
    }

    /// Adds a finite value (non-finite values are ignored).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.levels[0].push(x);
        self.n += 1;
        self.retained += 1;
        if self.retained >= self.capacity {
            self.compact();
        }
    }

    /// Values added.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Items held (the sketch's memory, in values).
    pub fn retained(&self) -> usize {
        self.retained
    }

    /// The rank error of this sketch's percentiles as a fraction of its count, at
    /// [`RANK_ERROR_CONFIDENCE`] (see [`kll_rank_error`]; 0 while it holds every value).
    pub fn rank_error(&self) -> f64 {
        kll_bound(self.sum_w, self.sum_w2, self.n)
    }

    fn compact(&mut self) {
        let levels = self.levels.len();
        let Some(h) = (0..levels).find(|&h| self.levels[h].len() >= kll_level_capacity(self.k, levels, h)) else {
            return;
        };
        if h + 1 == levels {
            self.levels.push(Vec::new());
            self.capacity = kll_total_capacity(self.k, self.levels.len());
        }
        if h == 0 {
            self.levels[0].sort_unstable_by(f64::total_cmp);
        }
        // An odd item out (the smallest) stays where it is; of the rest, the odd or the even
        // positions move up.
        let level0 = kll_level_capacity(self.k, self.levels.len(), 0);
        let items = &mut self.levels[h];
        let odd = items.len() % 2;
        let offset = odd + usize::from(flip(&mut self.coin));
        let up: Vec<f64> = items[offset..].iter().step_by(2).copied().collect();
        items.truncate(odd);
        // Give back what the level no longer holds: the level above is rebuilt by the merge,
        // and level 0 refills from here (a growing level 0 would otherwise keep its largest
        // size's buffer for good).
        if h > 0 {
            items.shrink_to_fit();
        } else if items.capacity() > 2 * level0 {
            items.shrink_to(level0);
        }
        self.retained -= up.len();
        let merged = merge_sorted(&self.levels[h + 1], &up);
        self.levels[h + 1] = merged;
        let w = (h as f64).exp2();
        self.sum_w += w;
        self.sum_w2 += w * w;
    }

    /// The `q` quantile: the smallest value held whose estimated rank (the weight of the items
    /// up to it) reaches `ceil(q n)`, at least 1; `None` when empty. While no compaction has
    /// happened (at most [`KLL_K`] values or so) every value is held and the quantile is the
    /// exact R type 7 one. The value is one that was added, so it lies within the smallest and
    /// largest values; quantiles are monotone in `q`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.n == 0 || q.is_nan() {
            return None;
        }
        if self.levels.len() == 1 {
            let mut all = self.levels[0].clone();
            all.sort_unstable_by(f64::total_cmp);
            return quantile_sorted(&all, q);
        }
        let mut items: Vec<(f64, u64)> = Vec::with_capacity(self.retained);
        for (h, level) in self.levels.iter().enumerate() {
            items.extend(level.iter().map(|&x| (x, 1u64 << h)));
        }
        items.sort_by(|a, b| a.0.total_cmp(&b.0));
        let target = ((q.clamp(0.0, 1.0) * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0u64;
        for &(x, w) in &items {
            seen += w;
            if seen >= target {
                return Some(x);
            }
        }
        items.last().map(|&(x, _)| x)
    }
}

/// The next fair coin of a SplitMix64 stream (Steele, Lea & Flood 2014; the constants of
/// Vigna's reference implementation).
fn flip(state: &mut u64) -> bool {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) & 1 == 1
}

/// Two sorted slices merged into one sorted vector.
fn merge_sorted(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].total_cmp(&b[j]).is_le() {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

// ---------------------------------------------------------------- the t distribution
// (for `compare`: confidence intervals and p-values of differences)

/// Natural log of the gamma function (Lanczos approximation, g = 7, n = 9;
/// relative error below 1e-13 for x > 0).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized incomplete beta function `I_x(a, b)` (continued fraction, Lentz's method).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(b, a, 1.0 - x);
    }
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut f = d;
    for m in 1..500 {
        let m = m as f64;
        let num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + num * d;
        d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        f *= d * c;
        let num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + num * d;
        d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        let delta = d * c;
        f *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    ln_front.exp() * f / a
}

/// Two-sided p-value of a Student t statistic with `df` degrees of freedom.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return if t.is_nan() { f64::NAN } else { 0.0 };
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0)
}

/// The `q` quantile (q in (0.5, 1)) of Student's t with `df` degrees of freedom, by bisection.
pub fn t_quantile(q: f64, df: f64) -> f64 {
    let target = 2.0 * (1.0 - q); // two-sided p at the quantile
    let (mut lo, mut hi) = (0.0, 1e4);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_two_sided_p(mid, df) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic uniform in [0, 1) (SplitMix64).
    fn uniform(state: &mut u64) -> f64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(state: &mut u64) -> f64 {
        let (u, v) = (1.0 - uniform(state), uniform(state));
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// The distributions the percentiles are checked on, `n` values each, in a fixed order.
    fn distributions(n: usize) -> Vec<(&'static str, Vec<f64>)> {
        let mut s = 12345u64;
        let mut draw = |f: &mut dyn FnMut(&mut u64) -> f64| (0..n).map(|_| f(&mut s)).collect::<Vec<f64>>();
        vec![
            // The issue's case: a cohesion within 1e-5 of 0.6809.
            ("tight", draw(&mut |s| 0.6809 + 1e-5 * normal(s))),
            ("lognormal", draw(&mut |s| normal(s).exp())),
            ("exponential", draw(&mut |s| -(1.0 - uniform(s)).ln())),
            // Dispute counts: 0, 1 or 2.
            (
                "discrete",
                draw(&mut |s| match uniform(s) {
                    u if u < 0.7 => 0.0,
                    u if u < 0.9 => 1.0,
                    _ => 2.0,
                }),
            ),
            ("constant", vec![0.6809; n]),
            ("negative", draw(&mut |s| -3.0 + normal(s))),
        ]
    }

    const QS: [f64; 9] = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0];

    fn sorted(values: &[f64]) -> Vec<f64> {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        v
    }

    /// p05 <= p50 <= p95, all within [min, max], and a constant series reports its value.
    fn check_invariants(what: &str, s: &Summary, values: &[f64]) {
        let v = sorted(values);
        let (min, max) = (v[0], v[v.len() - 1]);
        let qs: Vec<f64> = QS.iter().map(|&q| s.quantile(q).unwrap()).collect();
        for w in qs.windows(2) {
            assert!(w[0] <= w[1], "{what}: quantiles not monotone: {qs:?}");
        }
        assert!(
            qs.iter().all(|&x| min <= x && x <= max),
            "{what}: {qs:?} outside [{min}, {max}]"
        );
        if min == max {
            assert!(
                qs.iter().all(|&x| x == min),
                "{what}: constant {min} reported as {qs:?}"
            );
        }
    }

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
        assert_eq!(Summary::default().quantile(0.5), None);
    }

    #[test]
    fn type_7_matches_r_and_numpy_by_hand() {
        // R: quantile(1:10, c(0, .05, .5, .95, 1)) = 1, 1.45, 5.5, 9.55, 10 (numpy.percentile alike).
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        for (q, want) in [(0.0, 1.0), (0.05, 1.45), (0.5, 5.5), (0.95, 9.55), (1.0, 10.0)] {
            let got = quantile_sorted(&v, q).unwrap();
            assert!((got - want).abs() < 1e-12, "q {q}: {got} vs {want}");
        }
        // R: quantile(c(0.1, 0.2, 0.4), c(.25, .5, .75)) = 0.15, 0.2, 0.3
        let v = [0.1, 0.2, 0.4];
        assert!((quantile_sorted(&v, 0.25).unwrap() - 0.15).abs() < 1e-15);
        assert_eq!(quantile_sorted(&v, 0.5), Some(0.2));
        assert!((quantile_sorted(&v, 0.75).unwrap() - 0.3).abs() < 1e-15);
        assert_eq!(quantile_sorted(&[7.0], 0.05), Some(7.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&v, f64::NAN), None);
        // q outside [0, 1] is clamped.
        assert_eq!(quantile_sorted(&v, 1.5), Some(0.4));
        // Equal neighbours give that value exactly, with no rounding.
        let tight = [0.680_899_999_999_999_8; 21];
        assert_eq!(quantile_sorted(&tight, 0.05), Some(tight[0]));
    }

    #[test]
    fn exact_percentiles_equal_type_7_on_every_distribution() {
        for n in [1, 2, 500, 5000] {
            for (name, values) in distributions(n) {
                let mut s = Summary::new(QuantileMethod::Exact, n as u64);
                for (i, &x) in values.iter().enumerate() {
                    s.add(x);
                    // Undefined runs are skipped.
                    if i % 7 == 0 {
                        s.add(f64::NAN);
                    }
                }
                assert_eq!(s.n(), n as u64);
                assert_eq!(s.method(), QuantileMethod::Exact);
                let truth = sorted(&values);
                // Before `finish` (a sorted copy) and after it: the same, bit for bit.
                let before: Vec<Option<f64>> = QS.iter().map(|&q| s.quantile(q)).collect();
                s.finish();
                for (&q, b) in QS.iter().zip(before) {
                    assert_eq!(s.quantile(q), quantile_sorted(&truth, q), "{name} n {n} q {q}");
                    assert_eq!(s.quantile(q), b, "{name} n {n} q {q}");
                }
                check_invariants(&format!("exact {name} n {n}"), &s, &values);
            }
        }
    }

    #[test]
    fn the_issues_tight_band_is_reported_as_it_is() {
        // Values within 1e-5 of 0.6809 (the realist west cohesion of the issue): the band is the
        // data's, and the mean lies inside it.
        let values = &distributions(500)[0].1;
        let mut s = Summary::new(QuantileMethod::Exact, 500);
        values.iter().for_each(|&x| s.add(x));
        s.finish();
        let (p05, p50, p95) = (
            s.quantile(0.05).unwrap(),
            s.quantile(0.5).unwrap(),
            s.quantile(0.95).unwrap(),
        );
        let mean = s.mean().unwrap();
        assert!(p05 < mean && mean < p95, "{p05} {mean} {p95}");
        assert!(p95 - p05 > 2e-5 && p95 - p05 < 5e-5, "{p05} {p95}");
        assert!(p05 <= p50 && p50 <= p95);
    }

    /// How far the true rank of `value` among `truth` (sorted) is from `rank` (1-based): 0 when
    /// one of the positions `value` takes (ties) is `rank`.
    fn rank_distance(truth: &[f64], value: f64, rank: u64) -> u64 {
        let below = truth.partition_point(|&x| x < value) as u64; // ranks below + 1 ..
        let upto = truth.partition_point(|&x| x <= value) as u64; // .. up to this one
        assert!(upto > below, "{value} was never added");
        if rank <= below {
            below + 1 - rank
        } else {
            rank.saturating_sub(upto)
        }
    }

    #[test]
    fn sketch_rank_error_stays_within_the_stated_bound() {
        let mut observed: f64 = 0.0;
        for n in [3_000usize, 20_000, 200_000] {
            let bound = kll_rank_error(n as u64, KLL_K);
            assert!(bound > 0.0 && bound < 0.004, "n {n}: bound {bound}");
            for (name, values) in distributions(n) {
                let mut s = Summary::new(QuantileMethod::Kll, n as u64);
                values.iter().for_each(|&x| s.add(x));
                s.finish();
                assert_eq!(s.method(), QuantileMethod::Kll);
                let truth = sorted(&values);
                for q in QS {
                    let got = s.quantile(q).unwrap();
                    let rank = ((q * n as f64).ceil() as u64).clamp(1, n as u64);
                    let error = rank_distance(&truth, got, rank) as f64 / n as f64;
                    observed = observed.max(error);
                    assert!(error <= bound, "{name} n {n} q {q}: rank error {error} > {bound}");
                }
                check_invariants(&format!("sketch {name} n {n}"), &s, &values);
                // Memory: about 3k values, whatever n.
                let Values::Sketch(sketch) = &s.values else {
                    unreachable!()
                };
                assert!(
                    sketch.retained() <= 3 * KLL_K + 8 * 8,
                    "{name} n {n}: {}",
                    sketch.retained()
                );
            }
        }
        eprintln!("largest rank error observed: {observed:.5}");
    }

    #[test]
    fn a_small_sketch_is_exact() {
        // Before its first compaction a sketch holds every value: R type 7.
        for (name, values) in distributions(KLL_K / 2) {
            let mut s = Summary::new(QuantileMethod::Kll, values.len() as u64);
            values.iter().for_each(|&x| s.add(x));
            let truth = sorted(&values);
            for q in QS {
                assert_eq!(s.quantile(q), quantile_sorted(&truth, q), "{name} q {q}");
            }
        }
    }

    #[test]
    fn the_sketch_is_deterministic() {
        let values = &distributions(50_000)[1].1;
        let fill = || {
            let mut k = Kll::new(KLL_K);
            values.iter().for_each(|&x| k.add(x));
            k
        };
        let (a, b) = (fill(), fill());
        assert_eq!(a, b);
        for q in QS {
            assert_eq!(a.quantile(q).map(f64::to_bits), b.quantile(q).map(f64::to_bits));
        }
    }

    #[test]
    fn the_stated_bound_follows_the_sketchs_schedule() {
        // kll_rank_error simulates the compactions without values: it must see the same ones
        // as a real sketch, so its bound is the largest of the sketch's own over its counts.
        for k in [8, 64, KLL_K] {
            let mut sketch = Kll::new(k);
            let mut largest: f64 = 0.0;
            for i in 0..40_000u64 {
                sketch.add((i * 7919 % 40_000) as f64);
                largest = largest.max(sketch.rank_error());
                if [1, 100, 1024, 1025, 5_000, 39_999].contains(&i) {
                    assert_eq!(kll_rank_error(i + 1, k), largest, "k {k} n {}", i + 1);
                }
            }
        }
        assert_eq!(kll_rank_error(0, KLL_K), 0.0);
        assert_eq!(kll_rank_error(KLL_K as u64 / 2, KLL_K), 0.0);
        assert_eq!(QuantileMethod::Exact.rank_error(1_000_000), 0.0);
    }

    #[test]
    fn the_method_is_chosen_from_runs_and_cells() {
        let cells = 855;
        let fits = EXACT_BUDGET_BYTES / (cells as u64 * 8);
        assert_eq!(
            QuantileMethod::choose(fits, cells, EXACT_BUDGET_BYTES),
            QuantileMethod::Exact
        );
        assert_eq!(
            QuantileMethod::choose(fits + 1, cells, EXACT_BUDGET_BYTES),
            QuantileMethod::Kll
        );
        assert_eq!(QuantileMethod::choose(1, 1, 0), QuantileMethod::Kll);
        assert_eq!(QuantileMethod::choose(u64::MAX, 2, u64::MAX), QuantileMethod::Kll);
        let m = QuantileMethod::Kll.manifest(100_000, EXACT_BUDGET_BYTES);
        assert_eq!(m["method"], "kll");
        let e = m["rank_error"].as_f64().unwrap();
        assert!(e >= kll_rank_error(100_000, KLL_K) && e < 0.004, "{e}");
        assert_eq!(QuantileMethod::Exact.manifest(10, 1)["method"], "exact (R type 7)");
        assert_eq!(round_up(0.0029812), 0.002982);
    }

    #[test]
    fn gamma_and_beta_by_hand() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        // I_x(1, 1) = x; I_x(2, 1) = x^2
        assert!((incomplete_beta(1.0, 1.0, 0.3) - 0.3).abs() < 1e-12);
        assert!((incomplete_beta(2.0, 1.0, 0.3) - 0.09).abs() < 1e-12);
    }

    #[test]
    fn t_distribution_matches_tables() {
        // two-sided 5% critical values: df 1 -> 12.706, df 10 -> 2.228, df 30 -> 2.042, large -> 1.960
        assert!((t_quantile(0.975, 1.0) - 12.7062).abs() < 1e-3);
        assert!((t_quantile(0.975, 10.0) - 2.2281).abs() < 1e-3);
        assert!((t_quantile(0.975, 30.0) - 2.0423).abs() < 1e-3);
        assert!((t_quantile(0.975, 1e6) - 1.95996).abs() < 1e-3);
        assert!((t_two_sided_p(2.2281, 10.0) - 0.05).abs() < 1e-4);
        assert!((t_two_sided_p(0.0, 5.0) - 1.0).abs() < 1e-12);
    }
}
