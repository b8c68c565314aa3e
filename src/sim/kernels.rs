//! The hot loops as loops over contiguous rows of pairs (issue 13): the trust pass's symmetric
//! terms and its directed pairs, the trade pass's gravity targets, the rival-alignment term a column at a time, and dispute
//! onset's hazard bounds. Each is compiled once per CPU path (portable, AVX2, AVX-512) by
//! [`multiversioned!`] and the path is chosen at run time ([`current_path`]).
//!
//! Architecture Invariant: every path computes the same IEEE operations in the same order on
//! the same values, so every path gives the same bits. Rust never contracts `a * b + c` into a
//! fused multiply-add, and the kernels call no library function: their exponentials are
//! comity's own branch-free [`super::math::exp`], inlined, so the wider paths only do more lanes
//! at once. `tests/cpu_paths.rs` runs every path the machine has and
//! compares the outputs byte for byte.
//!
//! The choice of path is the only process-wide state the simulation reads; it changes no result.

use super::math::exp;
use super::mechanisms::{
    OnsetInputs, TRADE_CEILING, anchor_shift, identity_growth_step, identity_pull, igo_density, logistic,
    norm_contact_weight, norm_similarity, onset_bound_exceeded, onset_logit_bound, partial_adjust, relative_acceptance,
    revert_to_anchor, rivalry_pressure, trade_dependence, trade_log_shift_faded, transaction_drive,
    trust_anchor_from_odds,
};
use crate::params::Params;
use crate::scenario::NORMS;
use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction set the vector kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuPath {
    /// Baseline instructions of the target (SSE2 on x86-64): runs everywhere.
    Portable,
    /// x86-64 with AVX2 (four `f64` lanes).
    Avx2,
    /// x86-64 with AVX-512F (eight `f64` lanes).
    Avx512,
}

impl CpuPath {
    /// Every path, in order of preference (widest last).
    pub const ALL: [CpuPath; 3] = [CpuPath::Portable, CpuPath::Avx2, CpuPath::Avx512];

    /// The name users give in `COMITY_CPU_PATH`.
    pub fn name(self) -> &'static str {
        match self {
            CpuPath::Portable => "portable",
            CpuPath::Avx2 => "avx2",
            CpuPath::Avx512 => "avx512",
        }
    }

    /// The path named `name` (as [`CpuPath::name`] spells it).
    pub fn from_name(name: &str) -> Option<CpuPath> {
        CpuPath::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether this machine can run the path.
    pub fn available(self) -> bool {
        match self {
            CpuPath::Portable => true,
            #[cfg(target_arch = "x86_64")]
            CpuPath::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            CpuPath::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The widest path this machine can run.
    pub fn best() -> CpuPath {
        CpuPath::ALL
            .into_iter()
            .rev()
            .find(|p| p.available())
            .unwrap_or(CpuPath::Portable)
    }

    fn code(self) -> u8 {
        match self {
            CpuPath::Portable => 1,
            CpuPath::Avx2 => 2,
            CpuPath::Avx512 => 3,
        }
    }
}

/// The environment variable that chooses the path (`portable`, `avx2`, `avx512`), to compare
/// paths or to rule out a suspect one; unset, the widest available is taken.
pub const CPU_PATH_VAR: &str = "COMITY_CPU_PATH";

/// 0: not chosen yet; otherwise [`CpuPath::code`].
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// The path the kernels take: the one [`use_path`] set, else the one `COMITY_CPU_PATH` names
/// (when it names an available path; [`path_from_env`] says when it does not), else the widest
/// available. Which one it is changes no result.
pub fn current_path() -> CpuPath {
    match CHOSEN.load(Ordering::Relaxed) {
        1 => CpuPath::Portable,
        2 => CpuPath::Avx2,
        3 => CpuPath::Avx512,
        _ => {
            let path = path_from_env().ok().flatten().unwrap_or_else(CpuPath::best);
            CHOSEN.store(path.code(), Ordering::Relaxed);
            path
        }
    }
}

/// The path `COMITY_CPU_PATH` names: `None` when it is unset or empty, an error (saying what
/// to set instead) when it names no path or one this machine cannot run.
pub fn path_from_env() -> Result<Option<CpuPath>, String> {
    let Ok(text) = std::env::var(CPU_PATH_VAR) else {
        return Ok(None);
    };
    let name = text.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let available: Vec<&str> = CpuPath::ALL
        .into_iter()
        .filter(|p| p.available())
        .map(CpuPath::name)
        .collect();
    match CpuPath::from_name(name) {
        Some(path) if path.available() => Ok(Some(path)),
        Some(path) => Err(format!(
            "{CPU_PATH_VAR}={name}: this machine cannot run the {} path; set it to one of {} (the same results on each), or unset it",
            path.name(),
            available.join(", ")
        )),
        None => Err(format!(
            "{CPU_PATH_VAR}={name:?} names no CPU path; set it to one of {} (the same results on each), or unset it",
            available.join(", ")
        )),
    }
}

/// Makes the kernels take `path` from now on (for tests and benchmarks that compare paths).
pub fn use_path(path: CpuPath) -> Result<(), String> {
    if !path.available() {
        return Err(format!("this machine cannot run the {} path", path.name()));
    }
    CHOSEN.store(path.code(), Ordering::Relaxed);
    Ok(())
}

/// Defines `$name`, which runs `$body` (an `#[inline(always)]` function of the same arguments)
/// compiled for the [`current_path`]: a `#[target_feature]` copy for AVX2 and one for AVX-512 on
/// x86-64, the body itself otherwise. The only `unsafe` code of the simulation: entering a
/// `#[target_feature]` function needs the CPU to have the feature, which `current_path` checked.
macro_rules! multiversioned {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$(const $g:ident: bool),*>)? ($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:ident
    ) => {
        $(#[$meta])*
        $vis fn $name $(<$(const $g: bool),*>)? ($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2 $(<$(const $g: bool),*>)? ($($arg: $ty),*) $(-> $ret)? {
                    $body $(::<$($g),*>)? ($($arg),*)
                }
                #[target_feature(enable = "avx512f")]
                fn avx512 $(<$(const $g: bool),*>)? ($($arg: $ty),*) $(-> $ret)? {
                    $body $(::<$($g),*>)? ($($arg),*)
                }
                match current_path() {
                    // SAFETY: `current_path` returns a path only when `CpuPath::available`
                    // detected its instructions on this machine, which is what the
                    // `target_feature` functions need.
                    CpuPath::Avx512 => return unsafe { avx512 $(::<$($g),*>)? ($($arg),*) },
                    // SAFETY: as above: AVX2 was detected.
                    CpuPath::Avx2 => return unsafe { avx2 $(::<$($g),*>)? ($($arg),*) },
                    CpuPath::Portable => {}
                }
            }
            $body $(::<$($g),*>)? ($($arg),*)
        }
    };
}

/// What every directed pair of a pass shares.
#[derive(Clone, Copy, Debug)]
pub struct DirectedConsts {
    /// The security dilemma's power sensitivity (weight times sensitivity).
    pub sd_power: f64,
    /// The rival-alignment sensitivity (weight times sensitivity).
    pub sd_rival: f64,
    /// The share of the deviation from the anchor kept this step.
    pub keep: f64,
    /// Identity's pull on trust this step.
    pub nu: f64,
    /// Identity growth and decay this step.
    pub eta: f64,
    pub mu: f64,
}

/// One directed pair's update, given its relative gain and power ratio (`G` and `exp(s G)`):
/// the structural anchor, reversion to it, identity's pull on trust, and identity growth.
/// Returns (trust, anchor, identity); `rival_change` is 0 when the rival term is off. Pure
/// arithmetic, no library call, so that it vectorises.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn directed_step<const IDENTITY: bool>(
    c: &DirectedConsts,
    t0: f64,
    odds_against: f64,
    gain: f64,
    ratio: f64,
    rival_change: f64,
    shift: f64,
    drive: f64,
    openness_from: f64,
    trust: f64,
    anchor_before: f64,
    identity: f64,
) -> (f64, f64, f64) {
    let anchor = trust_anchor_from_odds(
        t0,
        odds_against,
        ratio,
        c.sd_power * gain != 0.0,
        rival_change,
        c.sd_rival,
        shift,
    );
    let t = revert_to_anchor(trust, anchor_before, anchor, c.keep);
    let trust = identity_pull(t, identity, c.nu).clamp(0.0, 1.0);
    let identity = if IDENTITY {
        identity_growth_step(identity, drive, c.eta, c.mu, openness_from)
    } else {
        identity
    };
    (trust, anchor, identity)
}

/// The arrays of a directed pass: `n x n` row-major (`trust0` .. `identity`), per state
/// (`factor`, `grown`, `openness`). `rival` and `rival0` are empty when the rival term is off.
pub struct DirectedArrays<'a> {
    pub n: usize,
    pub trust0: &'a [f64],
    pub odds_against: &'a [f64],
    pub rival: &'a [f64],
    pub rival0: &'a [f64],
    pub shift: &'a [f64],
    pub drive: &'a [f64],
    pub factor: &'a [f64],
    pub grown: &'a [f64],
    pub openness: &'a [f64],
    pub trust: &'a mut [f64],
    pub anchor: &'a mut [f64],
    pub identity: &'a mut [f64],
}

/// Every directed pair `(from, to)`, `from != to`, of a world in which every state is present,
/// no pair began after the start and every power factor is a normal number: the relative gain is
/// `grown[to] - grown[from]` and the ratio `factor[to] / factor[from]` ([`super::mechanisms::dilemma_ratio`]'s
/// value for normal factors). Takes the [`current_path`].
pub fn directed_rows(c: &DirectedConsts, a: &mut DirectedArrays, rival: bool, identity: bool) {
    match (rival, identity) {
        (false, false) => rows_on_path::<false, false>(c, a),
        (false, true) => rows_on_path::<false, true>(c, a),
        (true, false) => rows_on_path::<true, false>(c, a),
        (true, true) => rows_on_path::<true, true>(c, a),
    }
}

multiversioned! {
    fn rows_on_path<const RIVAL: bool, const IDENTITY: bool>(c: &DirectedConsts, a: &mut DirectedArrays) => rows
}

/// The loops, inlined into each path's function so that each is compiled for its instructions.
#[inline(always)]
fn rows<const RIVAL: bool, const IDENTITY: bool>(c: &DirectedConsts, a: &mut DirectedArrays) {
    let n = a.n;
    for from in 0..n {
        // The row without its diagonal: two runs of contiguous entries.
        for (start, end) in [(0, from), (from + 1, n)] {
            segment::<RIVAL, IDENTITY>(c, a, from, start, end);
        }
    }
}

#[inline(always)]
fn segment<const RIVAL: bool, const IDENTITY: bool>(
    c: &DirectedConsts,
    a: &mut DirectedArrays,
    from: usize,
    start: usize,
    end: usize,
) {
    let n = a.n;
    let (lo, hi) = (from * n + start, from * n + end);
    let len = end - start;
    let trust0 = &a.trust0[lo..hi];
    let odds = &a.odds_against[lo..hi];
    let shift = &a.shift[lo..hi];
    let drive = &a.drive[lo..hi];
    let factor = &a.factor[start..end];
    let grown = &a.grown[start..end];
    let (rival, rival0) = if RIVAL {
        (&a.rival[lo..hi], &a.rival0[lo..hi])
    } else {
        (&[][..], &[][..])
    };
    let trust = &mut a.trust[lo..hi];
    let anchor = &mut a.anchor[lo..hi];
    let identity = &mut a.identity[lo..hi];
    let (factor_from, grown_from, open_from) = (a.factor[from], a.grown[from], a.openness[from]);
    // Equal lengths, said once, so that the loop has no bounds checks and vectorises.
    assert!(
        odds.len() == len
            && shift.len() == len
            && drive.len() == len
            && factor.len() == len
            && grown.len() == len
            && trust.len() == len
            && anchor.len() == len
            && identity.len() == len
            && (!RIVAL || (rival.len() == len && rival0.len() == len))
    );
    for k in 0..len {
        let gain = grown[k] - grown_from;
        let ratio = factor[k] / factor_from;
        let rival_change = if RIVAL { rival[k] - rival0[k] } else { 0.0 };
        let (t, anc, id) = directed_step::<IDENTITY>(
            c,
            trust0[k],
            odds[k],
            gain,
            ratio,
            rival_change,
            shift[k],
            drive[k],
            open_from,
            trust[k],
            anchor[k],
            identity[k],
        );
        trust[k] = t;
        anchor[k] = anc;
        identity[k] = id;
    }
}

/// Buffers of [`rival_alignment_into`], kept from tick to tick by the system that calls it.
#[derive(Clone, Debug, Default)]
pub struct RivalScratch {
    /// `[k * n + i]`: `1 - trust[i][k]`, i's distrust of k (the trust matrix's columns as rows).
    distrust_of: Vec<f64>,
    /// `[t * n + i]`: i's distrust summed over the members of pact t, in member order.
    pact_distrust: Vec<f64>,
    /// `[t * n + i]`: whether state i is a member of pact t.
    member: Vec<bool>,
    /// Per i, for the current column j: the running sum and count.
    sum: Vec<f64>,
    count: Vec<f64>,
    /// `[j * n + i]`: the result for the pair (i, j), before it is transposed into place.
    by_column: Vec<f64>,
}

/// The realist alignment term of every directed pair into `rival` (`n x n`; 0 where j has no pact
/// without i): the mean of i's distrust over j's partners in each of j's pacts that i is not in.
/// With `R[i][t]` the sum of `1 - T_ik` over the members k of pact t, this is
/// `sum_{t contains j, not i} (R[i][t] - (1 - T_ij)) / sum_{t contains j, not i} (|t| - 1)`, the
/// sum taken in the order of j's pacts.
///
/// Computed a column j at a time, for every i at once (loops over contiguous entries that
/// vectorise, on the [`current_path`]); each pair's sum has the same terms in the same order as
/// the plain loops over i, then j, then j's pacts (`benches/reference/kernel.rs`), so the same
/// bits.
pub fn rival_alignment_into(
    n: usize,
    trust: &[f64],
    pacts: &[Vec<usize>],
    pacts_of: &[Vec<usize>],
    scratch: &mut RivalScratch,
    rival: &mut Vec<f64>,
) {
    rival.resize(n * n, 0.0);
    if pacts.is_empty() || n == 0 {
        rival.fill(0.0);
        return;
    }
    rival_on_path(n, trust, pacts, pacts_of, scratch, rival);
}

multiversioned! {
    fn rival_on_path(
        n: usize,
        trust: &[f64],
        pacts: &[Vec<usize>],
        pacts_of: &[Vec<usize>],
        s: &mut RivalScratch,
        rival: &mut [f64],
    ) => rival_columns
}

#[inline(always)]
fn rival_columns(
    n: usize,
    trust: &[f64],
    pacts: &[Vec<usize>],
    pacts_of: &[Vec<usize>],
    s: &mut RivalScratch,
    rival: &mut [f64],
) {
    let m = pacts.len();
    s.distrust_of.resize(n * n, 0.0);
    s.pact_distrust.resize(m * n, 0.0);
    s.member.clear();
    s.member.resize(m * n, false);
    s.sum.resize(n, 0.0);
    s.count.resize(n, 0.0);
    s.by_column.resize(n * n, 0.0);
    // Distrust, transposed (a row of `distrust_of` is a column of `trust`).
    transpose_map(n, trust, &mut s.distrust_of, |t| 1.0 - t);
    for (t, members) in pacts.iter().enumerate() {
        let row = &mut s.pact_distrust[t * n..(t + 1) * n];
        // Every term is at least +0, so starting from the first member's terms is the same as
        // starting from the zero of `Iterator::sum` (either sign).
        row.copy_from_slice(&s.distrust_of[members[0] * n..(members[0] + 1) * n]);
        for &k in &members[1..] {
            let d = &s.distrust_of[k * n..(k + 1) * n];
            for (r, &x) in row.iter_mut().zip(d) {
                *r += x;
            }
        }
        for &k in members {
            s.member[t * n + k] = true;
        }
    }
    for (j, pacts_of_j) in pacts_of.iter().enumerate().take(n) {
        if pacts_of_j.is_empty() {
            s.by_column[j * n..(j + 1) * n].fill(0.0);
            continue;
        }
        let (sum, count) = (&mut s.sum[..n], &mut s.count[..n]);
        sum.fill(0.0);
        count.fill(0.0);
        let own = &s.distrust_of[j * n..(j + 1) * n];
        for &t in pacts_of_j {
            let partners = (pacts[t].len() - 1) as f64;
            let pact = &s.pact_distrust[t * n..(t + 1) * n];
            let member = &s.member[t * n..(t + 1) * n];
            assert!(own.len() == n && pact.len() == n && member.len() == n);
            for i in 0..n {
                // Integer counts are exact in f64, so `count` is the plain loops' integer.
                let outside = !member[i];
                sum[i] = if outside { sum[i] + (pact[i] - own[i]) } else { sum[i] };
                count[i] = if outside { count[i] + partners } else { count[i] };
            }
        }
        // Column j of the result, as row j of `by_column` (contiguous stores).
        let out = &mut s.by_column[j * n..(j + 1) * n];
        for i in 0..n {
            out[i] = if count[i] > 0.0 { sum[i] / count[i] } else { 0.0 };
        }
    }
    transpose_map(n, &s.by_column, rival, |x| x);
}

/// `to[k * n + i] = f(from[i * n + k])` for an `n x n` matrix, in tiles, with contiguous stores.
#[inline(always)]
fn transpose_map(n: usize, from: &[f64], to: &mut [f64], f: impl Fn(f64) -> f64) {
    const TILE: usize = 32;
    assert!(from.len() >= n * n && to.len() >= n * n);
    for kb in (0..n).step_by(TILE) {
        for ib in (0..n).step_by(TILE) {
            for k in kb..(kb + TILE).min(n) {
                for i in ib..(ib + TILE).min(n) {
                    to[k * n + i] = f(from[i * n + k]);
                }
            }
        }
    }
}

/// One row of dispute onset: the pairs (i, j) for j = i + 1 .. n, each slice starting at j = i + 1
/// (pair entries `i * n + j` of the `n x n` arrays, per-state values at `j`), with state i's own
/// values and the row's onset draws.
pub struct OnsetRow<'a> {
    pub contiguous: &'a [bool],
    pub log_distance: &'a [f64],
    pub trade: &'a [f64],
    pub institutions: &'a [f64],
    pub defense: &'a [u16],
    pub peace_years: &'a [f64],
    pub mean_trust: &'a [f64],
    pub mean_identity: &'a [f64],
    pub rivalry: &'a [f64],
    pub shared_igos: &'a [f64],
    pub shared: &'a [u16],
    pub shared0: &'a [u16],
    pub major: &'a [bool],
    pub log_power: &'a [f64],
    pub democracy: &'a [f64],
    pub gdp: &'a [f64],
    pub major_i: bool,
    pub log_power_i: f64,
    pub democracy_i: f64,
    pub gdp_i: f64,
    /// The onset draw of each pair.
    pub u_onset: &'a [f64],
}

impl OnsetRow<'_> {
    /// The onset inputs of the row's pair `c` (the pair (i, i + 1 + c)).
    #[inline(always)]
    pub fn inputs(&self, p: &Params, c: usize) -> OnsetInputs {
        OnsetInputs {
            contiguous: self.contiguous[c],
            log_distance: self.log_distance[c],
            // `|`, not `||`: no conditional load, so that the row loop vectorises
            major: self.major_i | self.major[c],
            log_power_ratio: (self.log_power_i - self.log_power[c]).abs(),
            min_democracy: self.democracy_i.min(self.democracy[c]),
            dependence: trade_dependence(self.trade[c], self.gdp_i, self.gdp[c]),
            institutions: self.institutions[c],
            allied: self.defense[c] > 0,
            peace_years: self.peace_years[c],
            mean_trust: self.mean_trust[c],
            mean_identity: self.mean_identity[c],
            rivalry: rivalry_pressure(self.rivalry[c], p.rivalry_saturation),
            igo_density: igo_density(
                self.shared_igos[c] + f64::from(self.shared[c]) - f64::from(self.shared0[c]),
                p.igo_density_scale,
            ),
        }
    }

    fn len(&self) -> usize {
        self.u_onset.len()
    }
}

/// Which pairs of an onset row may have an onset: `maybe[c]` is false where the draw is above
/// an upper bound of the pair's hazard ([`onset_bound_exceeded`] of [`onset_logit_bound`]), so
/// that the pair certainly has none. The bound is computed for every pair of the row at once,
/// in loops that vectorise, on the [`current_path`].
pub fn onset_candidates(p: &Params, row: &OnsetRow, maybe: &mut [bool]) {
    candidates_on_path(p, row, maybe);
}

multiversioned! {
    fn candidates_on_path(p: &Params, row: &OnsetRow, maybe: &mut [bool]) => candidates
}

#[inline(always)]
fn candidates(p: &Params, row: &OnsetRow, maybe: &mut [bool]) {
    let len = row.len();
    // Equal lengths, said once, so that the loop has no bounds checks and vectorises.
    assert!(
        maybe.len() == len
            && row.contiguous.len() == len
            && row.log_distance.len() == len
            && row.trade.len() == len
            && row.institutions.len() == len
            && row.defense.len() == len
            && row.peace_years.len() == len
            && row.mean_trust.len() == len
            && row.mean_identity.len() == len
            && row.rivalry.len() == len
            && row.shared_igos.len() == len
            && row.shared.len() == len
            && row.shared0.len() == len
            && row.major.len() == len
            && row.log_power.len() == len
            && row.democracy.len() == len
            && row.gdp.len() == len
    );
    for (c, m) in maybe.iter_mut().enumerate() {
        *m = !onset_bound_exceeded(row.u_onset[c], onset_logit_bound(p, &row.inputs(p, c)));
    }
}

/// One row of the trust pass's symmetric terms: the pairs (i, j) for j = i + 1 .. n, each slice
/// starting at j = i + 1 (pair entries `i * n + j`, per-state values at `j`).
pub struct SymmetricRow<'a> {
    pub trade: &'a [f64],
    pub institutions: &'a [f64],
    pub institutions0: &'a [f64],
    pub defense: &'a [u16],
    pub defense0: &'a [u16],
    pub rivalry: &'a [f64],
    pub rivalry0: &'a [f64],
    pub totals: &'a [f64],
    pub norms: &'a [[f64; NORMS]],
    pub total_i: f64,
    pub norms_i: [f64; NORMS],
    /// All states' trade totals summed.
    pub total: f64,
}

/// The trust pass's symmetric terms of a row: into `drive`, the logistic transaction drive
/// (Savage-Deutsch relative acceptance, shared institutions, norm similarity, rivalry:
/// [`transaction_drive`]; 0 when `identity_moves` is false), and into `shift`, the anchor's
/// structural shift ([`anchor_shift`]). No library call (the logistic's `exp` is comity's own),
/// so that the loop vectorises on the [`current_path`].
pub fn symmetric_terms(p: &Params, row: &SymmetricRow, identity_moves: bool, drive: &mut [f64], shift: &mut [f64]) {
    symmetric_on_path(p, row, identity_moves, drive, shift);
}

multiversioned! {
    fn symmetric_on_path(p: &Params, row: &SymmetricRow, identity_moves: bool, drive: &mut [f64], shift: &mut [f64]) => symmetric
}

#[inline(always)]
fn symmetric(p: &Params, row: &SymmetricRow, identity_moves: bool, drive: &mut [f64], shift: &mut [f64]) {
    let len = drive.len();
    assert!(
        shift.len() == len
            && row.trade.len() == len
            && row.institutions.len() == len
            && row.institutions0.len() == len
            && row.defense.len() == len
            && row.defense0.len() == len
            && row.rivalry.len() == len
            && row.rivalry0.len() == len
            && row.totals.len() == len
            && row.norms.len() == len
    );
    for c in 0..len {
        let pressure = rivalry_pressure(row.rivalry[c], p.rivalry_saturation);
        if identity_moves {
            let ra = relative_acceptance(row.trade[c], row.total_i, row.totals[c], row.total).unwrap_or(-1.0);
            let similarity = norm_similarity(&row.norms_i, &row.norms[c]);
            drive[c] = logistic(transaction_drive(p, ra, row.institutions[c], similarity, pressure));
        } else {
            drive[c] = 0.0;
        }
        let allied_change = f64::from(u8::from(row.defense[c] > 0)) - f64::from(u8::from(row.defense0[c] > 0));
        let institutions_change = row.institutions[c].min(3.0) - row.institutions0[c].min(3.0);
        let rivalry_change = pressure - rivalry_pressure(row.rivalry0[c], p.rivalry_saturation);
        shift[c] = anchor_shift(p, allied_change, institutions_change, rivalry_change);
    }
}

/// A row of pairs `(i, j > i)` for the trade pass's gravity targets: slices of the same length
/// (the upper-triangle part of row `i`), and `growth` from `j = i + 1` on.
pub struct TradeRow<'a> {
    pub baseline: &'a [f64],
    pub pta: &'a [u16],
    pub pta0: &'a [u16],
    pub institutions: &'a [f64],
    pub institutions0: &'a [f64],
    pub peace_years: &'a [f64],
    /// `(GDP / GDP0)^a` of the states `j`.
    pub growth: &'a [f64],
    /// `(GDP / GDP0)^a` of state `i`.
    pub growth_i: f64,
}

/// The trade pass's gravity target of each pair of a row without a tariff:
/// `X0 g_i g_j exp(shift)`, with the log shift of shared PTAs, institutions and the fading of the
/// last dispute `exp(-peace_years / m)` ([`trade_log_shift_faded`],
/// [`super::mechanisms::gravity_target_grown`]: the same operations in the same order, so the
/// same bits). Pairs with a tariff, an absent state or no baseline are the caller's.
pub fn trade_targets(p: &Params, row: &TradeRow, target: &mut [f64]) {
    targets_on_path(p, row, target);
}

/// A row of the trade pass when every state is present and no pair has a tariff: each pair
/// with a baseline moves from `trade` toward its gravity target ([`trade_targets`]), saturated
/// at [`TRADE_CEILING`], by partial adjustment with `lambda`; the others keep their trade. The
/// same operations as the general path, so the same bits.
pub fn trade_untariffed(p: &Params, row: &TradeRow, lambda: f64, trade: &mut [f64]) {
    untariffed_on_path(p, row, lambda, trade);
}

multiversioned! {
    fn targets_on_path(p: &Params, row: &TradeRow, target: &mut [f64]) => targets
}

multiversioned! {
    fn untariffed_on_path(p: &Params, row: &TradeRow, lambda: f64, trade: &mut [f64]) => untariffed
}

#[inline(always)]
fn check_row(row: &TradeRow, len: usize) {
    assert!(
        row.baseline.len() == len
            && row.pta.len() == len
            && row.pta0.len() == len
            && row.institutions.len() == len
            && row.institutions0.len() == len
            && row.peace_years.len() == len
            && row.growth.len() == len
    );
}

#[inline(always)]
fn target_of(p: &Params, row: &TradeRow, c: usize) -> f64 {
    let shift = trade_log_shift_faded(
        f64::from(row.pta[c]) - f64::from(row.pta0[c]),
        row.institutions[c] - row.institutions0[c],
        exp(-row.peace_years[c] / p.trade_dispute_memory),
        p,
    );
    row.baseline[c] * row.growth_i * row.growth[c] * exp(shift)
}

#[inline(always)]
fn targets(p: &Params, row: &TradeRow, target: &mut [f64]) {
    check_row(row, target.len());
    for (c, target) in target.iter_mut().enumerate() {
        *target = target_of(p, row, c);
    }
}

#[inline(always)]
fn untariffed(p: &Params, row: &TradeRow, lambda: f64, trade: &mut [f64]) {
    check_row(row, trade.len());
    for (c, trade) in trade.iter_mut().enumerate() {
        let (now, target) = (*trade, target_of(p, row, c));
        let moved = partial_adjust(now, saturated_target(target, now), lambda);
        *trade = if row.baseline[c] <= 0.0 { now } else { moved };
    }
}

/// An overflowing gravity target (GDP growth over thousands of years, shocks piled on shocks,
/// hundreds of shared pacts) saturates at [`TRADE_CEILING`]; a NaN one (0 x infinity) leaves
/// trade as it is (`now`).
#[inline(always)]
pub fn saturated_target(target: f64, now: f64) -> f64 {
    if target <= TRADE_CEILING {
        target
    } else if target.is_nan() {
        now
    } else {
        TRADE_CEILING
    }
}

/// The sum of each row of the `n x n` matrix `m`, each added left to right from `-0.0` as
/// `Iterator::sum` adds it, so the same bits; eight rows at once, so that eight independent
/// additions are in flight instead of one.
#[allow(clippy::needless_range_loop)] // one index into eight rows
pub fn row_sums(n: usize, m: &[f64], sums: &mut [f64]) {
    const ROWS: usize = 8;
    assert!(m.len() == n * n && sums.len() == n);
    let mut i = 0;
    while i + ROWS <= n {
        let rows: [&[f64]; ROWS] = std::array::from_fn(|r| &m[(i + r) * n..(i + r + 1) * n]);
        let mut acc = [-0.0f64; ROWS];
        for j in 0..n {
            for r in 0..ROWS {
                acc[r] += rows[r][j];
            }
        }
        sums[i..i + ROWS].copy_from_slice(&acc);
        i += ROWS;
    }
    for (r, sum) in sums.iter_mut().enumerate().skip(i) {
        *sum = m[r * n..(r + 1) * n].iter().sum();
    }
}

/// Wendt's culture of every pair and the pair means, by rows: for each pair (i, j), i < j, the
/// mean identity `w = 0.5 (W_ij + W_ji)` and mean trust `t = 0.5 (T_ij + T_ji)` into
/// `mean_identity` and `mean_trust` at `i * n + j`, and whether the pair is Kantian
/// ([`culture`](super::mechanisms::culture) with hysteresis, from the pair's flag) into
/// `kantian` at both `i * n + j` and `j * n + i`. The same values as the pair loop; every pair is
/// taken, so the caller uses this only when every state is present.
///
/// The `(j, i)` entries a row needs lie down a column: they are copied eight rows at a time (each
/// line of memory read once), and each row is then a loop over contiguous entries that
/// vectorises on the [`current_path`]. `columns` is a buffer kept by the caller.
#[allow(clippy::too_many_arguments)]
pub fn kantian_rows(
    n: usize,
    enter: f64,
    exit: f64,
    trust: &[f64],
    identity: &[f64],
    kantian: &mut [bool],
    mean_trust: &mut [f64],
    mean_identity: &mut [f64],
    columns: &mut Vec<f64>,
) {
    const GROUP: usize = 8;
    assert!(
        trust.len() >= n * n
            && identity.len() >= n * n
            && kantian.len() >= n * n
            && mean_trust.len() >= n * n
            && mean_identity.len() >= n * n
    );
    columns.resize(2 * GROUP * n, 0.0);
    let (col_trust, col_identity) = columns.split_at_mut(GROUP * n);
    for x0 in (0..n).step_by(GROUP) {
        let g = GROUP.min(n - x0);
        // Row r of the buffers holds column x0 + r below the diagonal: `[r * n + j] = M[j][x0 + r]`.
        for j in x0 + 1..n {
            let at = j * n + x0;
            for r in 0..g {
                col_trust[r * n + j] = trust[at + r];
                col_identity[r * n + j] = identity[at + r];
            }
        }
        for r in 0..g {
            let i = x0 + r;
            let (lo, hi) = (i * n + i + 1, (i + 1) * n);
            let (clo, chi) = (r * n + i + 1, (r + 1) * n);
            let row = KantianRow {
                trust_ij: &trust[lo..hi],
                trust_ji: &col_trust[clo..chi],
                identity_ij: &identity[lo..hi],
                identity_ji: &col_identity[clo..chi],
            };
            kantian_on_path(
                enter,
                exit,
                &row,
                &mut kantian[lo..hi],
                &mut mean_trust[lo..hi],
                &mut mean_identity[lo..hi],
            );
        }
        // The group's flags onto the lower triangle: for each later row j, the group's columns
        // side by side.
        for j in x0 + 1..n {
            for r in 0..g.min(j - x0) {
                kantian[j * n + x0 + r] = kantian[(x0 + r) * n + j];
            }
        }
    }
}

/// One row of the Kantian pass: the pairs (i, j) for j = i + 1 .. n, both directions' trust and
/// identity.
struct KantianRow<'a> {
    trust_ij: &'a [f64],
    trust_ji: &'a [f64],
    identity_ij: &'a [f64],
    identity_ji: &'a [f64],
}

multiversioned! {
    fn kantian_on_path(
        enter: f64,
        exit: f64,
        row: &KantianRow,
        kantian: &mut [bool],
        mean_trust: &mut [f64],
        mean_identity: &mut [f64],
    ) => kantian_row
}

#[inline(always)]
fn kantian_row(
    enter: f64,
    exit: f64,
    row: &KantianRow,
    kantian: &mut [bool],
    mean_trust: &mut [f64],
    mean_identity: &mut [f64],
) {
    let KantianRow {
        trust_ij,
        trust_ji,
        identity_ij,
        identity_ji,
    } = *row;
    let len = kantian.len();
    assert!(
        trust_ij.len() == len
            && trust_ji.len() == len
            && identity_ij.len() == len
            && identity_ji.len() == len
            && mean_trust.len() == len
            && mean_identity.len() == len
    );
    for c in 0..len {
        let w = 0.5 * (identity_ij[c] + identity_ji[c]);
        let t = 0.5 * (trust_ij[c] + trust_ji[c]);
        // `culture(w, t, was, p) == Kantian`, as `&` and `|` of the same comparisons (they have
        // no side effects, so not short-circuiting changes nothing), so that the loop vectorises.
        kantian[c] = (kantian[c] & (w >= exit) & (t >= exit)) | ((w > enter) & (t > enter));
        mean_trust[c] = t;
        mean_identity[c] = w;
    }
}

/// The norm-contact weight of state i with each state j ([`norm_contact_weight`]), from i's row
/// of contiguity, shared institutions and trade and i's trade total: the same function per pair,
/// with its test on `row_trade` taken once per row, so that the loop vectorises on the
/// [`current_path`].
pub fn contact_weights(
    p: &Params,
    contiguous: &[bool],
    institutions: &[f64],
    trade: &[f64],
    row_trade: f64,
    weights: &mut [f64],
) {
    contact_on_path(p, contiguous, institutions, trade, row_trade, weights);
}

multiversioned! {
    fn contact_on_path(
        p: &Params,
        contiguous: &[bool],
        institutions: &[f64],
        trade: &[f64],
        row_trade: f64,
        weights: &mut [f64],
    ) => contact
}

#[inline(always)]
#[allow(clippy::if_same_then_else)] // the same loop twice, on purpose (below)
fn contact(p: &Params, contiguous: &[bool], institutions: &[f64], trade: &[f64], row_trade: f64, weights: &mut [f64]) {
    let len = weights.len();
    assert!(contiguous.len() == len && institutions.len() == len && trade.len() == len);
    // The same loop twice, so that in each the compiler knows the sign of `row_trade`.
    if row_trade > 0.0 {
        for j in 0..len {
            weights[j] = norm_contact_weight(p, contiguous[j], institutions[j], trade[j], row_trade);
        }
    } else {
        for j in 0..len {
            weights[j] = norm_contact_weight(p, contiguous[j], institutions[j], trade[j], row_trade);
        }
    }
}

/// A row of member pairs `(i, j)` for the community metrics: `i`'s entries toward the later
/// members `j` and theirs toward `i`, slices of the same length.
pub struct MetricRow<'a> {
    pub trust_ij: &'a [f64],
    pub trust_ji: &'a [f64],
    pub identity_ij: &'a [f64],
    pub identity_ji: &'a [f64],
    pub force_years: &'a [f64],
    pub kantian: &'a [bool],
    pub defense: &'a [u16],
    /// The norms of the states `j`.
    pub norms: &'a [[f64; NORMS]],
    /// The norms of state `i`.
    pub norms_i: [f64; NORMS],
}

/// The pair counts of a row of [`MetricRow`]: pairs at peace (trust and identity at least
/// `threshold` both ways, no use of force for `window` years), in Wendt's Kantian culture, and
/// allied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricCounts {
    pub peaceful: usize,
    pub kantian: usize,
    pub allied: usize,
}

/// The community metrics' terms of each pair of a row: into `trust`, `T_ij + T_ji`; into
/// `identity`, `W_ij + W_ji`; into `similarity`, the norm similarity; and the row's counts. The
/// caller sums the terms in pair order, so the sums are those of the plain loop over pairs.
pub fn metric_terms(
    threshold: f64,
    window: f64,
    row: &MetricRow,
    trust: &mut [f64],
    identity: &mut [f64],
    similarity: &mut [f64],
) -> MetricCounts {
    metric_on_path(threshold, window, row, trust, identity, similarity)
}

multiversioned! {
    fn metric_on_path(
        threshold: f64,
        window: f64,
        row: &MetricRow,
        trust: &mut [f64],
        identity: &mut [f64],
        similarity: &mut [f64],
    ) -> MetricCounts => metric
}

#[inline(always)]
fn metric(
    threshold: f64,
    window: f64,
    row: &MetricRow,
    trust: &mut [f64],
    identity: &mut [f64],
    similarity: &mut [f64],
) -> MetricCounts {
    let len = trust.len();
    assert!(
        identity.len() == len
            && similarity.len() == len
            && row.trust_ij.len() == len
            && row.trust_ji.len() == len
            && row.identity_ij.len() == len
            && row.identity_ji.len() == len
            && row.force_years.len() == len
            && row.kantian.len() == len
            && row.defense.len() == len
            && row.norms.len() == len
    );
    let (mut peaceful, mut kantian, mut allied) = (0usize, 0usize, 0usize);
    for c in 0..len {
        let (t_ij, t_ji, w_ij, w_ji) = (row.trust_ij[c], row.trust_ji[c], row.identity_ij[c], row.identity_ji[c]);
        trust[c] = t_ij + t_ji;
        identity[c] = w_ij + w_ji;
        let at_peace = t_ij.min(t_ji) >= threshold && w_ij.min(w_ji) >= threshold && row.force_years[c] >= window;
        peaceful += usize::from(at_peace);
        kantian += usize::from(row.kantian[c]);
        allied += usize::from(row.defense[c] > 0);
        similarity[c] = norm_similarity(&row.norms_i, &row.norms[c]);
    }
    MetricCounts {
        peaceful,
        kantian,
        allied,
    }
}

/// ChaCha's four constant words, "expand 32-byte k" (Bernstein 2008).
const CHACHA_CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Blocks computed side by side: one `u32` lane each, eight to a 256-bit register.
pub const CHACHA_LANES: usize = 8;
/// ChaCha8: four double rounds.
const CHACHA8_DOUBLE_ROUNDS: usize = 4;

/// Eight ChaCha blocks, word-major: word `w` of the group's block `l` at `[w][l]`.
pub type ChachaGroup = [[u32; CHACHA_LANES]; 16];

/// One 16-word ChaCha8 block for each of `counters`, all with the same 256-bit key and 64-bit
/// stream: the words `rand_chacha`'s `ChaCha8Rng` gives from word position `16 * counter` of
/// that stream (state words 4-11 the key, 12-13 the block counter and 14-15 the stream, each
/// little-endian, as `rand_chacha` lays them out; `rng::tests` checks it word for word).
/// Word `w` of the block of `counters[k]` is `out[k / 8][w][k % 8]`: the blocks stay in the
/// lanes they were computed in (turning them into rows of 16 words cost more than computing
/// them).
///
/// Why comity computes these blocks itself: `ChaCha8Rng` computes four blocks (64 words) each
/// time it is positioned, and a per-state or per-member sub-stream reads at most 16 words of a
/// tick, so three of the four blocks were thrown away, hundreds of times a tick. Here the blocks
/// of many sub-streams are computed side by side, eight at a time in vector lanes, and only the
/// first block of each. Integer arithmetic only: every CPU path gives the same words.
pub fn chacha8_blocks(key: &[u32; 8], stream: u64, counters: &[u64], out: &mut Vec<ChachaGroup>) {
    out.clear();
    out.resize(counters.len().div_ceil(CHACHA_LANES), [[0; CHACHA_LANES]; 16]);
    chacha_on_path(key, stream, counters, out);
}

multiversioned! {
    fn chacha_on_path(key: &[u32; 8], stream: u64, counters: &[u64], out: &mut [ChachaGroup]) => chacha_lanes
}

type Lanes = [u32; CHACHA_LANES];

#[inline(always)]
fn lanes_add(a: Lanes, b: Lanes) -> Lanes {
    std::array::from_fn(|l| a[l].wrapping_add(b[l]))
}

#[inline(always)]
fn lanes_xor_rotate(a: Lanes, b: Lanes, by: u32) -> Lanes {
    std::array::from_fn(|l| (a[l] ^ b[l]).rotate_left(by))
}

/// ChaCha's quarter round on words `a`, `b`, `c`, `d` of every lane.
#[inline(always)]
fn quarter_round(x: &mut [Lanes; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = lanes_add(x[a], x[b]);
    x[d] = lanes_xor_rotate(x[d], x[a], 16);
    x[c] = lanes_add(x[c], x[d]);
    x[b] = lanes_xor_rotate(x[b], x[c], 12);
    x[a] = lanes_add(x[a], x[b]);
    x[d] = lanes_xor_rotate(x[d], x[a], 8);
    x[c] = lanes_add(x[c], x[d]);
    x[b] = lanes_xor_rotate(x[b], x[c], 7);
}

#[inline(always)]
fn chacha_lanes(key: &[u32; 8], stream: u64, counters: &[u64], out: &mut [ChachaGroup]) {
    for (counters, out) in counters.chunks(CHACHA_LANES).zip(out.iter_mut()) {
        // Word w of lane l at `init[w][l]`; lanes past the last counter compute a block that is
        // not kept.
        let counter = |l: usize| counters.get(l).copied().unwrap_or(0);
        let mut init = [[0u32; CHACHA_LANES]; 16];
        for (w, &c) in CHACHA_CONSTANTS.iter().enumerate() {
            init[w] = [c; CHACHA_LANES];
        }
        for (w, &k) in key.iter().enumerate() {
            init[4 + w] = [k; CHACHA_LANES];
        }
        init[12] = std::array::from_fn(|l| counter(l) as u32);
        init[13] = std::array::from_fn(|l| (counter(l) >> 32) as u32);
        init[14] = [stream as u32; CHACHA_LANES];
        init[15] = [(stream >> 32) as u32; CHACHA_LANES];
        let mut x = init;
        for _ in 0..CHACHA8_DOUBLE_ROUNDS {
            // columns, then diagonals
            quarter_round(&mut x, 0, 4, 8, 12);
            quarter_round(&mut x, 1, 5, 9, 13);
            quarter_round(&mut x, 2, 6, 10, 14);
            quarter_round(&mut x, 3, 7, 11, 15);
            quarter_round(&mut x, 0, 5, 10, 15);
            quarter_round(&mut x, 1, 6, 11, 12);
            quarter_round(&mut x, 2, 7, 8, 13);
            quarter_round(&mut x, 3, 4, 9, 14);
        }
        for (w, words) in out.iter_mut().enumerate() {
            *words = lanes_add(x[w], init[w]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain loops (`benches/reference/kernel.rs` states the same): i, then j, then j's pacts.
    fn rival_plain(n: usize, trust: &[f64], pacts: &[Vec<usize>], pacts_of: &[Vec<usize>]) -> Vec<f64> {
        let mut rival = vec![0.0; n * n];
        for i in 0..n {
            let row = &trust[i * n..(i + 1) * n];
            let d: Vec<f64> = pacts.iter().map(|m| m.iter().map(|&k| 1.0 - row[k]).sum()).collect();
            for j in (0..n).filter(|&j| j != i) {
                let (mut sum, mut count) = (0.0, 0usize);
                for &t in pacts_of[j].iter().filter(|&&t| !pacts[t].contains(&i)) {
                    sum += d[t] - (1.0 - row[j]);
                    count += pacts[t].len() - 1;
                }
                if count > 0 {
                    rival[i * n + j] = sum / count as f64;
                }
            }
        }
        rival
    }

    #[test]
    fn rival_alignment_by_columns_is_the_plain_loops_bit_for_bit_on_every_path() {
        let mut draws = crate::sim::rng::RunKey::new(5, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        for (n, pacts_wanted, size) in [(1, 0, 2), (7, 2, 3), (30, 3, 12), (30, 40, 2), (61, 9, 7), (40, 1, 40)] {
            let trust: Vec<f64> = (0..n * n).map(|_| draws.uniform()).collect();
            let mut pacts: Vec<Vec<usize>> = Vec::new();
            for _ in 0..pacts_wanted {
                let mut members: Vec<usize> = Vec::new();
                while members.len() < size.min(n) {
                    let k = (draws.uniform() * n as f64) as usize;
                    if !members.contains(&k) {
                        members.push(k);
                    }
                }
                pacts.push(members);
            }
            let mut pacts_of = vec![Vec::new(); n];
            for (t, members) in pacts.iter().enumerate() {
                for &k in members {
                    pacts_of[k].push(t);
                }
            }
            let plain = rival_plain(n, &trust, &pacts, &pacts_of);
            for path in CpuPath::ALL.into_iter().filter(|p| p.available()) {
                let mut s = RivalScratch::default();
                use_path(path).unwrap();
                let mut columns = Vec::new();
                rival_alignment_into(n, &trust, &pacts, &pacts_of, &mut s, &mut columns);
                // again, with the buffers of the first call left in them
                let mut again = vec![f64::NAN; n * n];
                rival_alignment_into(n, &trust, &pacts, &pacts_of, &mut s, &mut again);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&columns),
                    bits(&plain),
                    "n {n}, {} pacts, {}",
                    pacts.len(),
                    path.name()
                );
                assert_eq!(
                    bits(&again),
                    bits(&plain),
                    "again: n {n}, {} pacts, {}",
                    pacts.len(),
                    path.name()
                );
            }
        }
    }

    #[test]
    fn trade_rows_are_the_per_pair_formulas_bit_for_bit_on_every_path() {
        use crate::sim::mechanisms::{gravity_target_grown, trade_log_shift};
        let p = Params::default();
        let mut draws = crate::sim::rng::RunKey::new(6, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        let len = 203; // not a multiple of any vector width: the remainder loops run too
        let mut u = || draws.uniform();
        let mut baseline: Vec<f64> = (0..len).map(|_| 1e3 * u() - 100.0).collect();
        let mut peace: Vec<f64> = (0..len).map(|_| (300.0 * u()).floor()).collect();
        let pta: Vec<u16> = (0..len).map(|_| (3.0 * u()) as u16).collect();
        let pta0: Vec<u16> = (0..len).map(|_| (2.0 * u()) as u16).collect();
        let institutions: Vec<f64> = (0..len).map(|_| (20.0 * u()).floor()).collect();
        let institutions0: Vec<f64> = (0..len).map(|_| (10.0 * u()).floor()).collect();
        let mut growth: Vec<f64> = (0..len).map(|_| 0.5 + 2.0 * u()).collect();
        let mut trade: Vec<f64> = (0..len).map(|_| 500.0 * u()).collect();
        // the edges: sub-yearly and huge peace years, an overflowing and a NaN target, a zero
        // and a NaN baseline
        peace[0] = 0.25;
        peace[1] = 1e9;
        growth[2] = 1e300;
        (growth[3], trade[3]) = (f64::NAN, 7.0);
        baseline[4] = 0.0;
        baseline[5] = f64::NAN;
        peace[6] = 0.0;
        let (growth_i, lambda) = (1.7, 0.3);
        let row = TradeRow {
            baseline: &baseline,
            pta: &pta,
            pta0: &pta0,
            institutions: &institutions,
            institutions0: &institutions0,
            peace_years: &peace,
            growth: &growth,
            growth_i,
        };
        let want_target: Vec<f64> = (0..len)
            .map(|c| {
                let shift = trade_log_shift(
                    f64::from(pta[c]) - f64::from(pta0[c]),
                    institutions[c] - institutions0[c],
                    peace[c],
                    &p,
                );
                gravity_target_grown(baseline[c], growth_i, growth[c], shift, 0.0, p.trade_tariff_elasticity)
            })
            .collect();
        let want_trade: Vec<f64> = (0..len)
            .map(|c| {
                if baseline[c] <= 0.0 {
                    trade[c]
                } else {
                    partial_adjust(trade[c], saturated_target(want_target[c], trade[c]), lambda)
                }
            })
            .collect();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for path in CpuPath::ALL.into_iter().filter(|p| p.available()) {
            use_path(path).unwrap();
            let mut target = vec![0.0; len];
            trade_targets(&p, &row, &mut target);
            assert_eq!(bits(&target), bits(&want_target), "{}", path.name());
            let mut moved = trade.clone();
            trade_untariffed(&p, &row, lambda, &mut moved);
            assert_eq!(bits(&moved), bits(&want_trade), "{}", path.name());
        }
        assert_eq!(want_trade[2], partial_adjust(trade[2], TRADE_CEILING, lambda));
        assert_eq!(want_trade[3], 7.0);
        assert_eq!(want_trade[4], trade[4]);
    }

    #[test]
    fn row_sums_are_iterator_sums_bit_for_bit() {
        let mut draws = crate::sim::rng::RunKey::new(5, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        for n in [0, 1, 7, 8, 9, 23] {
            let mut m: Vec<f64> = (0..n * n).map(|_| 1e3 * (draws.uniform() - 0.3)).collect();
            if n >= 9 {
                // a row of negative zeros sums to -0.0, as `Iterator::sum` gives it
                m[2 * n..3 * n].fill(-0.0);
                m[8 * n] = f64::INFINITY;
            }
            let mut sums = vec![f64::NAN; n];
            row_sums(n, &m, &mut sums);
            for (i, s) in sums.iter().enumerate() {
                let want: f64 = m[i * n..(i + 1) * n].iter().sum();
                assert_eq!(s.to_bits(), want.to_bits(), "n {n} row {i}");
            }
        }
    }

    #[test]
    fn contact_weights_are_the_per_pair_function_bit_for_bit_on_every_path() {
        let p = Params::default();
        let mut draws = crate::sim::rng::RunKey::new(8, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        let len = 203; // not a multiple of any vector width
        let contiguous: Vec<bool> = (0..len).map(|_| draws.uniform() < 0.2).collect();
        let institutions: Vec<f64> = (0..len).map(|_| (4.0 * draws.uniform()).floor() * 0.7).collect();
        let trade: Vec<f64> = (0..len).map(|_| 50.0 * draws.uniform()).collect();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for row_trade in [1234.5, 0.0, -1.0, f64::NAN, 1e-300] {
            let want: Vec<f64> = (0..len)
                .map(|j| norm_contact_weight(&p, contiguous[j], institutions[j], trade[j], row_trade))
                .collect();
            for path in CpuPath::ALL.into_iter().filter(|p| p.available()) {
                use_path(path).unwrap();
                let mut got = vec![f64::NAN; len];
                contact_weights(&p, &contiguous, &institutions, &trade, row_trade, &mut got);
                assert_eq!(bits(&got), bits(&want), "{} {row_trade}", path.name());
            }
        }
    }

    #[test]
    fn kantian_rows_are_the_pair_loop_bit_for_bit_on_every_path() {
        use crate::sim::mechanisms::{Culture, culture};
        let p = crate::params::Params {
            kantian_enter: 0.55,
            kantian_exit: 0.45,
            ..Default::default()
        };
        let mut draws = crate::sim::rng::RunKey::new(9, 0).at_tick(crate::sim::rng::Stream::Onset, 0);
        for n in [0, 1, 2, 7, 8, 9, 17, 40, 61] {
            // values around both thresholds, a NaN and a -0.0
            let trust: Vec<f64> = (0..n * n).map(|_| 0.3 + 0.4 * draws.uniform()).collect();
            let mut identity: Vec<f64> = (0..n * n).map(|_| 0.3 + 0.4 * draws.uniform()).collect();
            if n > 3 {
                identity[1] = f64::NAN;
                identity[n + 2] = -0.0;
            }
            let mut flags = vec![false; n * n];
            for i in 0..n {
                for j in i + 1..n {
                    let was = draws.uniform() < 0.5;
                    (flags[i * n + j], flags[j * n + i]) = (was, was);
                }
            }
            // the pair loop the trust pass runs when a state is absent
            let (mut k_plain, mut t_plain, mut w_plain) = (flags.clone(), vec![9.0; n * n], vec![9.0; n * n]);
            for i in 0..n {
                for j in i + 1..n {
                    let (ij, ji) = (i * n + j, j * n + i);
                    let w = 0.5 * (identity[ij] + identity[ji]);
                    let t = 0.5 * (trust[ij] + trust[ji]);
                    let is = culture(w, t, k_plain[ij], &p) == Culture::Kantian;
                    (k_plain[ij], k_plain[ji]) = (is, is);
                    (t_plain[ij], w_plain[ij]) = (t, w);
                }
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            for path in CpuPath::ALL.into_iter().filter(|p| p.available()) {
                use_path(path).unwrap();
                let (mut k, mut t, mut w, mut columns) =
                    (flags.clone(), vec![9.0; n * n], vec![9.0; n * n], Vec::new());
                kantian_rows(
                    n,
                    p.kantian_enter,
                    p.kantian_exit,
                    &trust,
                    &identity,
                    &mut k,
                    &mut t,
                    &mut w,
                    &mut columns,
                );
                assert_eq!(k, k_plain, "flags, n {n}, {}", path.name());
                assert_eq!(bits(&t), bits(&t_plain), "mean trust, n {n}, {}", path.name());
                assert_eq!(bits(&w), bits(&w_plain), "mean identity, n {n}, {}", path.name());
            }
            use_path(CpuPath::best()).unwrap();
            if n > 8 {
                // both ways of changing happen
                assert!((0..n * n).any(|x| flags[x] && !k_plain[x]) && (0..n * n).any(|x| !flags[x] && k_plain[x]));
            }
        }
    }

    #[test]
    fn path_names_round_trip_and_portable_is_always_there() {
        for p in CpuPath::ALL {
            assert_eq!(CpuPath::from_name(p.name()), Some(p));
        }
        assert_eq!(CpuPath::from_name("sse9"), None);
        assert!(CpuPath::Portable.available());
        assert!(CpuPath::best().available());
    }
}
