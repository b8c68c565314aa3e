//! `comity backtest`: an output's simulated disputes held against the real dispute record.
//!
//! It reads an output folder (`manifest.json`, `disputes.csv`, the scenario the manifest names)
//! and the peace-science tables ([`record::TABLES`]), and measures, for the years both cover:
//! onset rates per dyad-year by category, over the whole real system and like for like over the
//! simulated world's dyads; the hostility mix of disputes; every community of the scenario and
//! every `--group` (rates and the pairs that quarrel); the same rates per 5-year block; three
//! baselines computed from the same tables (persistence, recent rates, per-cell persistence) and
//! whether the simulation beats each; and the dyad ranking (AUC, the share of real onsets in the
//! top decile) next to a history-only ranking. Every figure is one [`Row`]: the terminal table,
//! `backtest.csv` and `--json` are three views of the same rows. Definitions: `docs/validation.md`.

pub mod measures;
pub mod record;
mod render;

pub use record::Record;
pub use render::{csv_text, json_text, table};

use crate::import::ImportError;
use crate::results::{DISPUTES, Manifest};
use crate::scenario::Scenario;
use crate::stats::quantile_sorted;
use measures::{auc, beats, poisson_interval, top_share, wilson_interval};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What to compare.
#[derive(Clone, Debug)]
pub struct Options {
    pub out_dir: PathBuf,
    pub data: PathBuf,
    /// First year of the observed record (default: the simulation's first year).
    pub from: Option<i64>,
    /// Last year compared (default: the last year both cover).
    pub to: Option<i64>,
    /// `--group NAME=ID,ID,...`: scenario state ids or COW codes.
    pub groups: Vec<(String, Vec<String>)>,
    /// Length of the persistence window before the first compared year.
    pub baseline_years: i64,
    /// The scenario, when the manifest's path does not lead to it.
    pub scenario: Option<PathBuf>,
}

/// The default persistence window: the 44 years before the start (1946-1989 for a 1990 world).
pub const BASELINE_YEARS: i64 = 44;
/// The recent-rates window: the 10 years before the start.
pub const RECENT_YEARS: i64 = 10;
/// The ranking's top share of dyads.
pub const TOP_FRACTION: f64 = 0.1;

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// The output folder, the scenario or an option cannot be used.
    #[error("{message}")]
    Input { message: String, hint: Option<String> },
    /// A table of `--data` is missing, unreadable or lacks a column.
    #[error(transparent)]
    Data(#[from] ImportError),
}

fn input(message: impl Into<String>, hint: impl Into<Option<String>>) -> BacktestError {
    BacktestError::Input {
        message: message.into(),
        hint: hint.into(),
    }
}

/// Parses `NAME=ID,ID,...`.
pub fn parse_group(text: &str) -> Result<(String, Vec<String>), String> {
    let (name, ids) = text
        .split_once('=')
        .ok_or_else(|| format!("--group {text}: expected NAME=ID,ID,... (e.g. --group ec6=FRN,GMY,ITA,BEL,NTH,LUX)"))?;
    let name = name.trim();
    let ids: Vec<String> = ids
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if name.is_empty() || ids.len() < 2 {
        return Err(format!(
            "--group {text}: a group needs a name and at least two states (NAME=ID,ID,...)"
        ));
    }
    Ok((name.to_string(), ids))
}

// ---- categories -------------------------------------------------------------------------------

/// The dyad categories of `docs/calibration.md`: PRD = contiguous or a major power involved;
/// the four contiguity x major cells are the persistence cells.
pub const CATEGORIES: [&str; 9] = [
    "all",
    "prd",
    "nonprd",
    "contiguous",
    "major",
    "noncontig_minor",
    "contig_minor",
    "noncontig_major",
    "contig_major",
];
const CELL0: usize = 5;

/// The categories a dyad with these attributes belongs to, as a mask over [`CATEGORIES`].
fn categories(contiguous: bool, major: bool) -> [bool; 9] {
    let prd = contiguous || major;
    let cell = CELL0 + usize::from(contiguous) + 2 * usize::from(major);
    let mut m = [true, prd, !prd, contiguous, major, false, false, false, false];
    m[cell] = true;
    m
}

/// Onsets and dyad-years per category.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Tally {
    onsets: [u64; 9],
    exposure: [u64; 9],
}

impl Tally {
    fn add(&mut self, contiguous: bool, major: bool, onset: bool) {
        for (k, on) in categories(contiguous, major).into_iter().enumerate() {
            if on {
                self.exposure[k] += 1;
                self.onsets[k] += u64::from(onset);
            }
        }
    }
    fn rate(&self, k: usize) -> Option<f64> {
        (self.exposure[k] > 0).then(|| self.onsets[k] as f64 / self.exposure[k] as f64)
    }
    /// The rate the cells of `base` predict for category `k` at this tally's mix of cells.
    fn cells_forecast(&self, base: &Tally, k: usize) -> Option<f64> {
        let mut num = 0.0;
        let mut den = 0u64;
        for cell in CELL0..CELL0 + 4 {
            let c = cell - CELL0;
            let (contig, major) = (c & 1 == 1, c & 2 == 2);
            if !categories(contig, major)[k] || self.exposure[cell] == 0 {
                continue;
            }
            num += base.rate(cell)? * self.exposure[cell] as f64;
            den += self.exposure[cell];
        }
        (den > 0).then(|| num / den as f64)
    }
}

// ---- the simulated world ------------------------------------------------------------------------

/// What the backtest needs of the scenario.
struct World {
    ids: Vec<String>,
    ccode: Vec<Option<i64>>,
    major: Vec<bool>,
    n: usize,
    contiguous: Vec<bool>,
    first: i64,
    last: i64,
    /// A growing state system (`enter`, `exit`): which states are present in each year
    /// (`first..=last`), at its first step; `None` when the state set is fixed.
    present: Option<Vec<Vec<bool>>>,
}

impl World {
    fn of(s: &Scenario) -> World {
        let first = s.calendar.start.year();
        let last = first + i64::from(s.calendar.n_ticks()) - 1;
        let present = s.has_entries_or_exits().then(|| {
            (first..=last)
                .map(|y| {
                    let month = crate::time::Month::from_ym(y, 1).max(s.calendar.start);
                    s.present_at(s.calendar.tick_of(month))
                })
                .collect()
        });
        World {
            ids: s.states.iter().map(|x| x.id.clone()).collect(),
            ccode: s.states.iter().map(|x| x.ccode).collect(),
            major: s.states.iter().map(|x| x.major).collect(),
            n: s.states.len(),
            contiguous: s.dyads.contiguous.clone(),
            first,
            last,
            present,
        }
    }
    /// Whether both states are in the simulated system in `year` (always, for a fixed state set,
    /// and outside the simulated years, where only the record counts: the baselines' windows).
    fn both_present(&self, i: usize, j: usize, year: i64) -> bool {
        match &self.present {
            Some(present) if (self.first..=self.last).contains(&year) => {
                let p = &present[(year - self.first) as usize];
                p[i] && p[j]
            }
            _ => true,
        }
    }
    fn cats(&self, i: usize, j: usize) -> (bool, bool) {
        (self.contiguous[i * self.n + j], self.major[i] || self.major[j])
    }
    fn pair_name(&self, i: usize, j: usize) -> String {
        format!("{}-{}", self.ids[i], self.ids[j])
    }
    /// Pairs `i < j` of the given states (all states when `None`).
    fn pairs(&self, among: Option<&[usize]>) -> Vec<(usize, usize)> {
        let states: Vec<usize> = among.map_or_else(|| (0..self.n).collect(), <[usize]>::to_vec);
        let mut v = Vec::new();
        for (x, &i) in states.iter().enumerate() {
            for &j in &states[x + 1..] {
                v.push((i.min(j), i.max(j)));
            }
        }
        v
    }
}

/// One simulated onset: a (run, year, pair) with the highest level its disputes reached.
#[derive(Clone, Copy, Debug)]
struct Onset {
    run: u32,
    year: i64,
    i: usize,
    j: usize,
    level: u8,
}

/// The simulated disputes of one lens.
struct Simulated {
    /// Unique (run, year, pair), sorted.
    onsets: Vec<Onset>,
    /// (run, year, highest level) of every dispute row.
    disputes: Vec<(u32, i64, u8)>,
}

fn read_disputes(path: &Path, world: &World, lenses: &[String], runs: u64) -> Result<Vec<Simulated>, BacktestError> {
    let file = path.display().to_string();
    let bad = |line: u64, what: String| {
        input(
            format!("{file} line {line}: {what}"),
            Some("disputes.csv is written by `comity run --disputes`; run again rather than editing it".into()),
        )
    };
    let mut r = csv::Reader::from_path(path).map_err(|e| input(format!("cannot read {file}: {e}"), None))?;
    let header = r.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(1, format!("no column `{name}`")))
    };
    let (c_lens, c_run, c_year, c_a, c_b, c_level) = (
        col("lens")?,
        col("run")?,
        col("year")?,
        col("state_a")?,
        col("state_b")?,
        col("hostlev")?,
    );
    let index: HashMap<&str, usize> = world.ids.iter().enumerate().map(|(k, s)| (s.as_str(), k)).collect();
    let mut raw: Vec<Simulated> = (0..lenses.len())
        .map(|_| Simulated {
            onsets: Vec::new(),
            disputes: Vec::new(),
        })
        .collect();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |k: usize| rec.get(k).unwrap_or("");
        let l = lenses.iter().position(|x| x == cell(c_lens)).ok_or_else(|| {
            bad(
                line,
                format!(
                    "lens `{}` is not one of the manifest's ({})",
                    cell(c_lens),
                    lenses.join(", ")
                ),
            )
        })?;
        let run: u32 = cell(c_run)
            .parse()
            .ok()
            .filter(|&x| u64::from(x) < runs)
            .ok_or_else(|| {
                bad(
                    line,
                    format!(
                        "run `{}` is not a run of this output (0-{})",
                        cell(c_run),
                        runs.saturating_sub(1)
                    ),
                )
            })?;
        let year: i64 = cell(c_year)
            .parse()
            .ok()
            .filter(|y| (world.first..=world.last).contains(y))
            .ok_or_else(|| {
                bad(
                    line,
                    format!(
                        "year `{}` is outside the scenario's {}-{}",
                        cell(c_year),
                        world.first,
                        world.last
                    ),
                )
            })?;
        let state = |k: usize| {
            index
                .get(cell(k))
                .copied()
                .ok_or_else(|| bad(line, format!("state `{}` is not a state of the scenario", cell(k))))
        };
        let (a, b) = (state(c_a)?, state(c_b)?);
        let level: u8 = cell(c_level)
            .parse()
            .ok()
            .filter(|v| (1..=5).contains(v))
            .ok_or_else(|| bad(line, format!("hostlev `{}` is not a level 1-5", cell(c_level))))?;
        raw[l].onsets.push(Onset {
            run,
            year,
            i: a.min(b),
            j: a.max(b),
            level,
        });
        raw[l].disputes.push((run, year, level));
    }
    for s in &mut raw {
        s.onsets
            .sort_by_key(|o| (o.run, o.year, o.i, o.j, std::cmp::Reverse(o.level)));
        s.onsets.dedup_by_key(|o| (o.run, o.year, o.i, o.j));
    }
    Ok(raw)
}

// ---- rows ---------------------------------------------------------------------------------------

/// One figure: a tidy row of `backtest.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Row {
    /// `rate`, `hostility`, `group`, `pair` or `ranking`.
    pub section: &'static str,
    /// `system` (every real dyad), `world` (the simulated world's dyads), or a group's name.
    pub scope: String,
    /// A dyad category, a hostility level, a group measure, a pair, or a ranking score.
    pub category: String,
    /// `1960-1989`: the years the figure covers.
    pub period: String,
    /// The lens of a simulated figure; empty for the data and the baselines.
    pub lens: String,
    /// `observed`, `simulated`, `persistence`, `recent`, `cells` or `history`.
    pub source: &'static str,
    pub value: Option<f64>,
    /// 95% interval: exact Poisson (observed rates), Wilson (observed shares), the 2.5% and
    /// 97.5% percentiles across runs (simulated).
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    /// Onsets, disputes or dyads counted (all runs for simulated figures).
    pub events: Option<f64>,
    /// Dyad-years, disputes or dyads in the denominator (all runs for simulated figures).
    pub exposure: Option<f64>,
    pub beats_persistence: Option<bool>,
    pub beats_recent: Option<bool>,
    pub beats_cells: Option<bool>,
}

/// Everything a backtest measured.
#[derive(Clone, Debug, Serialize)]
pub struct Backtest {
    pub output: String,
    pub data: String,
    pub scenario: String,
    pub lenses: Vec<String>,
    pub runs: u64,
    pub simulated_years: [i64; 2],
    pub observed_years: [i64; 2],
    pub compared_years: [i64; 2],
    pub persistence_years: Option<[i64; 2]>,
    pub recent_years: Option<[i64; 2]>,
    pub notes: Vec<String>,
    pub rows: Vec<Row>,
}

fn period(a: i64, b: i64) -> String {
    format!("{a}-{b}")
}

/// The 5-year blocks (1960-1964, ...) of `first..=last`, clipped to it.
fn blocks(first: i64, last: i64) -> Vec<(i64, i64)> {
    let mut v = Vec::new();
    let mut y = first;
    while y <= last {
        let end = (y - y.rem_euclid(5) + 4).min(last);
        v.push((y, end));
        y = end + 1;
    }
    v
}

fn observed_rate(onsets: u64, exposure: u64) -> (Option<f64>, Option<f64>, Option<f64>) {
    if exposure == 0 {
        return (None, None, None);
    }
    let (lo, hi) = poisson_interval(onsets);
    let e = exposure as f64;
    // A dyad-year holds at most one onset: the rate's interval stops at 1.
    (Some(onsets as f64 / e), Some(lo / e), Some((hi / e).min(1.0)))
}

/// Pooled value (total events / total exposure) and the 2.5%-97.5% percentiles of the per-run
/// values; runs with no exposure are left out of the percentiles.
fn across_runs(events: &[u64], exposure: &[u64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let total_e: u64 = exposure.iter().sum();
    if total_e == 0 {
        return (None, None, None);
    }
    let total: u64 = events.iter().sum();
    let mut per: Vec<f64> = events
        .iter()
        .zip(exposure)
        .filter(|&(_, &e)| e > 0)
        .map(|(&k, &e)| k as f64 / e as f64)
        .collect();
    per.sort_by(f64::total_cmp);
    (
        Some(total as f64 / total_e as f64),
        quantile_sorted(&per, 0.025),
        quantile_sorted(&per, 0.975),
    )
}

struct Ctx<'a> {
    rec: &'a Record,
    world: &'a World,
    sims: &'a [Simulated],
    lenses: &'a [String],
    runs: u64,
    persistence: Option<(i64, i64)>,
    recent: Option<(i64, i64)>,
    /// The system's tallies over the persistence and the recent window.
    base_p: Option<Tally>,
    base_r: Option<Tally>,
}

impl Ctx<'_> {
    /// Every real dyad (both COW members) in `years`, categories from the data.
    fn system(&self, (a, b): (i64, i64)) -> Tally {
        let mut t = Tally::default();
        for y in a..=b {
            let m = self.rec.members_in(y);
            for (x, &i) in m.iter().enumerate() {
                let mi = self.rec.major(i, y);
                for &j in &m[x + 1..] {
                    let c = self.rec.contiguous(i, j, y);
                    t.add(c, mi || self.rec.major(j, y), self.rec.onset(i, j, y).is_some());
                }
            }
        }
        t
    }

    /// The given world pairs in `years`, counted in the years both are COW members and both are
    /// in the simulated system, with the world's own (fixed) categories.
    fn like_for_like(&self, pairs: &[(usize, usize)], (a, b): (i64, i64)) -> Tally {
        let mut t = Tally::default();
        for &(i, j) in pairs {
            let (Some(ci), Some(cj)) = (self.world.ccode[i], self.world.ccode[j]) else {
                continue;
            };
            let (c, m) = self.world.cats(i, j);
            for y in a..=b {
                if self.rec.member(ci, y) && self.rec.member(cj, y) && self.world.both_present(i, j, y) {
                    t.add(c, m, self.rec.onset(ci, cj, y).is_some());
                }
            }
        }
        t
    }

    /// Per run: onsets among `pairs` per category in `years`, and the dyad-years per run.
    fn simulated(&self, lens: usize, pairs: &[(usize, usize)], (a, b): (i64, i64)) -> (Vec<[u64; 9]>, [u64; 9]) {
        let years = (b.min(self.world.last) - a.max(self.world.first) + 1).max(0) as u64;
        let mut exposure = [0u64; 9];
        let mut member = vec![false; self.world.n * self.world.n];
        for &(i, j) in pairs {
            member[i * self.world.n + j] = true;
            let (c, m) = self.world.cats(i, j);
            // In a growing state system, the years both states are present.
            let years = match &self.world.present {
                None => years,
                Some(present) => (a.max(self.world.first)..=b.min(self.world.last))
                    .filter(|&y| {
                        let p = &present[(y - self.world.first) as usize];
                        p[i] && p[j]
                    })
                    .count() as u64,
            };
            for (k, on) in categories(c, m).into_iter().enumerate() {
                exposure[k] += u64::from(on) * years;
            }
        }
        let mut per_run = vec![[0u64; 9]; self.runs as usize];
        for o in &self.sims[lens].onsets {
            if (a..=b).contains(&o.year) && member[o.i * self.world.n + o.j] {
                let (c, m) = self.world.cats(o.i, o.j);
                for (k, on) in categories(c, m).into_iter().enumerate() {
                    per_run[o.run as usize][k] += u64::from(on);
                }
            }
        }
        (per_run, exposure)
    }
}

/// Runs the backtest.
pub fn backtest(opts: &Options) -> Result<Backtest, BacktestError> {
    let dir = &opts.out_dir;
    let manifest = Manifest::read(dir).map_err(|e| {
        input(
            e.to_string(),
            Some("give the folder of a finished `comity run` (it holds manifest.json)".into()),
        )
    })?;
    if manifest.kind.is_some() {
        return Err(input(
            format!(
                "{} is a sweep's folder; a backtest reads the folder of one `comity run`",
                dir.display()
            ),
            None,
        ));
    }
    let disputes = dir.join(DISPUTES);
    if !disputes.exists() {
        return Err(input(
            format!(
                "{} has no {DISPUTES}: the run did not record its disputes",
                dir.display()
            ),
            Some(format!(
                "run the scenario again with --disputes, e.g. `comity run {} --runs {} --disputes --out {} --force`",
                manifest.scenario.path,
                manifest.runs,
                dir.display()
            )),
        ));
    }
    let scenario = load_scenario(&manifest, opts.scenario.as_deref())?;
    if scenario.calendar.step != crate::time::Step::Year {
        return Err(input(
            format!(
                "{} steps by {:?}: a backtest compares yearly rates",
                manifest.scenario.path, scenario.calendar.step
            ),
            Some("backtest a scenario with step = \"year\"".into()),
        ));
    }
    let world = World::of(&scenario);
    let rec = Record::read(&opts.data)?;
    let lenses = manifest.lenses.clone();
    let sims = read_disputes(&disputes, &world, &lenses, manifest.runs)?;

    // The windows.
    let from = opts.from.unwrap_or(world.first);
    let to = opts.to.unwrap_or(world.last.min(rec.last));
    if let (Some(f), Some(t)) = (opts.from, opts.to)
        && f > t
    {
        return Err(input(format!("--from {f} is after --to {t}"), None));
    }
    let observed = (from.max(rec.first), to.min(rec.last));
    let compared = (observed.0.max(world.first), observed.1.min(world.last));
    if compared.0 > compared.1 {
        return Err(input(
            format!(
                "no year to compare: the output covers {}-{}, the dispute record in {} covers {}-{}{}",
                world.first,
                world.last,
                opts.data.display(),
                rec.first,
                rec.last,
                if opts.from.is_some() || opts.to.is_some() { " (within --from/--to)" } else { "" }
            ),
            Some("backtest a run whose years the MID tables cover (the bundled tables stop in 1989), or give tables that reach the simulated years".into()),
        ));
    }
    let mut notes = Vec::new();
    let window = |len: i64, what: &str, notes: &mut Vec<String>| {
        let (a, b) = (observed.0 - len, observed.0 - 1);
        if b < rec.first {
            notes.push(format!(
                "{what}: the record starts in {}, after {b}: not computed",
                rec.first
            ));
            return None;
        }
        if a < rec.first {
            notes.push(format!(
                "{what}: the record starts in {}, so the window is {}-{b}",
                rec.first, rec.first
            ));
        }
        Some((a.max(rec.first), b))
    };
    let persistence = window(opts.baseline_years, "persistence", &mut notes);
    let recent = window(RECENT_YEARS, "recent rates", &mut notes);
    if observed.0 < world.first {
        notes.push(format!(
            "the observed record is read over {}-{}, the simulation over {}-{}: system rows compare rates of different years",
            observed.0, observed.1, compared.0, compared.1
        ));
    }
    let unmatched = world.ccode.iter().filter(|c| c.is_none()).count();
    if unmatched > 0 {
        notes.push(format!(
            "{unmatched} of the scenario's {} states have no COW code: their dyads are simulated but have no like-for-like record",
            world.n
        ));
    }

    let mut ctx = Ctx {
        rec: &rec,
        world: &world,
        sims: &sims,
        lenses: &lenses,
        runs: manifest.runs,
        persistence,
        recent,
        base_p: None,
        base_r: None,
    };
    ctx.base_p = persistence.map(|w| ctx.system(w));
    ctx.base_r = recent.map(|w| ctx.system(w));
    let mut rows = Vec::new();
    rate_rows(&ctx, observed, compared, &mut rows);
    for (a, b) in blocks(observed.0, observed.1)
        .into_iter()
        .filter(|&blk| blk != observed)
    {
        let sim = (a.max(compared.0), b.min(compared.1));
        rate_rows(&ctx, (a, b), sim, &mut rows);
    }
    hostility_rows(&ctx, observed, compared, &mut rows);
    let groups = resolve_groups(&scenario, &opts.groups)?;
    for (name, members) in &groups {
        group_rows(&ctx, name, members, compared, &mut rows);
    }
    ranking_rows(&ctx, compared, &mut rows);
    Ok(Backtest {
        output: dir.display().to_string(),
        data: opts.data.display().to_string(),
        scenario: scenario.name.clone(),
        lenses,
        runs: manifest.runs,
        simulated_years: [world.first, world.last],
        observed_years: [observed.0, observed.1],
        compared_years: [compared.0, compared.1],
        persistence_years: persistence.map(|(a, b)| [a, b]),
        recent_years: recent.map(|(a, b)| [a, b]),
        notes,
        rows,
    })
}

fn load_scenario(m: &Manifest, given: Option<&Path>) -> Result<Scenario, BacktestError> {
    let candidates: Vec<PathBuf> = match given {
        Some(p) => vec![p.to_path_buf()],
        None => [m.scenario.path.as_str(), m.scenario.absolute_path.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
    };
    let Some(path) = candidates.iter().find(|p| p.exists()) else {
        return Err(input(
            format!(
                "the scenario of this output ({}) cannot be found from here",
                m.scenario.path
            ),
            Some("name it with --scenario FILE".into()),
        ));
    };
    let s = crate::scenario::load(path).map_err(|e| {
        input(
            format!("the scenario {} does not load: {e}", path.display()),
            Some(format!("check it with `comity validate {}`", path.display())),
        )
    })?;
    let sha = s.sources.first().map(|d| d.sha256.as_str()).unwrap_or("");
    if sha != m.scenario.sha256 {
        return Err(input(
            format!(
                "{} has changed since the run (its SHA-256 is not the manifest's): the dyads and categories may not be the run's",
                path.display()
            ),
            Some("run the scenario again, or give the file the run used with --scenario FILE".into()),
        ));
    }
    Ok(s)
}

/// The scenario's communities, then every `--group` (ids or COW codes), as state indices.
fn resolve_groups(s: &Scenario, groups: &[(String, Vec<String>)]) -> Result<Vec<(String, Vec<usize>)>, BacktestError> {
    let mut out: Vec<(String, Vec<usize>)> = s
        .communities
        .iter()
        .map(|c| (c.id.clone(), c.members.clone()))
        .collect();
    for (name, ids) in groups {
        if out.iter().any(|(n, _)| n == name) {
            return Err(input(
                format!("--group {name}: the scenario already has a community of that name"),
                Some("choose another name".into()),
            ));
        }
        let mut members = Vec::new();
        for id in ids {
            let found = s.states.iter().position(|x| &x.id == id).or_else(|| {
                id.parse::<i64>()
                    .ok()
                    .and_then(|c| s.states.iter().position(|x| x.ccode == Some(c)))
            });
            match found {
                Some(k) if !members.contains(&k) => members.push(k),
                Some(_) => {}
                None => {
                    return Err(input(
                        format!("--group {name}: `{id}` is neither a state id nor a COW code of the scenario"),
                        Some("list the states with `comity validate SCENARIO --states`, or see its states.csv".into()),
                    ));
                }
            }
        }
        members.sort_unstable();
        out.push((name.clone(), members));
    }
    Ok(out)
}

/// The onset-rate rows of one period: the system and the world scope, with baselines.
fn rate_rows(ctx: &Ctx, observed: (i64, i64), compared: (i64, i64), rows: &mut Vec<Row>) {
    let system = ctx.system(observed);
    let all_pairs = ctx.world.pairs(None);
    let world = if compared.0 <= compared.1 {
        Some(ctx.like_for_like(&all_pairs, compared))
    } else {
        None
    };
    let (base_p, base_r) = (ctx.base_p, ctx.base_r);
    let sims: Vec<(Vec<[u64; 9]>, [u64; 9])> = if world.is_some() {
        (0..ctx.lenses.len())
            .map(|l| ctx.simulated(l, &all_pairs, compared))
            .collect()
    } else {
        Vec::new()
    };
    for k in 0..CATEGORIES.len() {
        for (scope, tally, per) in [("system", Some(&system), observed), ("world", world.as_ref(), compared)] {
            let Some(t) = tally else { continue };
            let p = period(per.0, per.1);
            let obs = t.rate(k);
            let (value, lo, hi) = observed_rate(t.onsets[k], t.exposure[k]);
            let row = |source: &'static str, value: Option<f64>| Row {
                section: "rate",
                scope: scope.to_string(),
                category: CATEGORIES[k].to_string(),
                period: p.clone(),
                source,
                value,
                ..Row::default()
            };
            rows.push(Row {
                lo,
                hi,
                events: Some(t.onsets[k] as f64),
                exposure: Some(t.exposure[k] as f64),
                ..row("observed", value)
            });
            let persistence = base_p.as_ref().and_then(|b| b.rate(k));
            let recent = base_r.as_ref().and_then(|b| b.rate(k));
            let cells = base_p.as_ref().and_then(|b| t.cells_forecast(b, k));
            rows.push(row("persistence", persistence));
            rows.push(row("recent", recent));
            rows.push(row("cells", cells));
            for (l, (per_run, exposure)) in sims.iter().enumerate() {
                let events: Vec<u64> = per_run.iter().map(|r| r[k]).collect();
                let exp = vec![exposure[k]; per_run.len()];
                let (value, lo, hi) = across_runs(&events, &exp);
                let Some(o) = obs else { continue };
                let v = value.unwrap_or(f64::NAN);
                rows.push(Row {
                    lens: ctx.lenses[l].clone(),
                    period: period(compared.0, compared.1),
                    lo,
                    hi,
                    events: Some(events.iter().sum::<u64>() as f64),
                    exposure: Some((exposure[k] * ctx.runs) as f64),
                    beats_persistence: beats(v, persistence, o),
                    beats_recent: beats(v, recent, o),
                    beats_cells: beats(v, cells, o),
                    ..row("simulated", value)
                });
            }
        }
    }
}

const LEVELS: [(u8, &str); 4] = [(2, "threat"), (3, "display"), (4, "use_of_force"), (5, "war")];

/// The hostility mix: the share of disputes whose highest level is each of 2-5.
fn hostility_rows(ctx: &Ctx, observed: (i64, i64), compared: (i64, i64), rows: &mut Vec<Row>) {
    let count = |(a, b): (i64, i64)| {
        let mut c = [0u64; 6];
        for &(y, l) in &ctx.rec.disputes {
            if (a..=b).contains(&y) {
                c[l as usize] += 1;
            }
        }
        c
    };
    let obs = count(observed);
    let total: u64 = obs.iter().sum();
    let share = |c: &[u64; 6], l: u8| {
        let t: u64 = c.iter().sum();
        (t > 0).then(|| c[l as usize] as f64 / t as f64)
    };
    let base_p = ctx.persistence.map(count);
    let base_r = ctx.recent.map(count);
    let p = period(observed.0, observed.1);
    for (l, name) in LEVELS {
        let row = |source: &'static str, value: Option<f64>| Row {
            section: "hostility",
            scope: "system".into(),
            category: name.into(),
            period: p.clone(),
            source,
            value,
            ..Row::default()
        };
        let o = share(&obs, l);
        let (lo, hi) = wilson_interval(obs[l as usize], total).unzip();
        rows.push(Row {
            lo,
            hi,
            events: Some(obs[l as usize] as f64),
            exposure: Some(total as f64),
            ..row("observed", o)
        });
        let persistence = base_p.as_ref().and_then(|c| share(c, l));
        let recent = base_r.as_ref().and_then(|c| share(c, l));
        rows.push(row("persistence", persistence));
        rows.push(row("recent", recent));
        for (li, sim) in ctx.sims.iter().enumerate() {
            let mut at = vec![0u64; ctx.runs as usize];
            let mut all = vec![0u64; ctx.runs as usize];
            for &(run, y, lev) in &sim.disputes {
                if (compared.0..=compared.1).contains(&y) {
                    all[run as usize] += 1;
                    at[run as usize] += u64::from(lev == l);
                }
            }
            let (value, lo, hi) = across_runs(&at, &all);
            let v = value.unwrap_or(f64::NAN);
            rows.push(Row {
                lens: ctx.lenses[li].clone(),
                period: period(compared.0, compared.1),
                lo,
                hi,
                events: Some(at.iter().sum::<u64>() as f64),
                exposure: Some(all.iter().sum::<u64>() as f64),
                beats_persistence: o.and_then(|o| beats(v, persistence, o)),
                beats_recent: o.and_then(|o| beats(v, recent, o)),
                ..row("simulated", value)
            });
        }
    }
}

/// A community's or group's rate among its members, the runs without a war or a use of force
/// among them, and the pairs that quarrel in the record and in the simulation.
fn group_rows(ctx: &Ctx, name: &str, members: &[usize], compared: (i64, i64), rows: &mut Vec<Row>) {
    let pairs = ctx.world.pairs(Some(members));
    let p = period(compared.0, compared.1);
    // A simulated onset between two members in the compared years.
    let inside =
        |o: &Onset| (compared.0..=compared.1).contains(&o.year) && members.contains(&o.i) && members.contains(&o.j);
    let row = |category: &str, source: &'static str, value: Option<f64>| Row {
        section: "group",
        scope: name.to_string(),
        category: category.to_string(),
        period: p.clone(),
        source,
        value,
        ..Row::default()
    };
    let obs = ctx.like_for_like(&pairs, compared);
    let (value, lo, hi) = observed_rate(obs.onsets[0], obs.exposure[0]);
    rows.push(Row {
        lo,
        hi,
        events: Some(obs.onsets[0] as f64),
        exposure: Some(obs.exposure[0] as f64),
        ..row("onset_rate", "observed", value)
    });
    let base_p = ctx.persistence.map(|w| ctx.like_for_like(&pairs, w));
    let base_r = ctx.recent.map(|w| ctx.like_for_like(&pairs, w));
    let persistence = base_p.as_ref().and_then(|b| b.rate(0));
    let recent = base_r.as_ref().and_then(|b| b.rate(0));
    let cells = ctx.base_p.as_ref().and_then(|b| obs.cells_forecast(b, 0));
    rows.push(row("onset_rate", "persistence", persistence));
    rows.push(row("onset_rate", "recent", recent));
    rows.push(row("onset_rate", "cells", cells));
    for (l, lens) in ctx.lenses.iter().enumerate() {
        let (per_run, exposure) = ctx.simulated(l, &pairs, compared);
        let events: Vec<u64> = per_run.iter().map(|r| r[0]).collect();
        let (value, lo, hi) = across_runs(&events, &vec![exposure[0]; per_run.len()]);
        let v = value.unwrap_or(f64::NAN);
        let o = obs.rate(0);
        rows.push(Row {
            lens: lens.clone(),
            lo,
            hi,
            events: Some(events.iter().sum::<u64>() as f64),
            exposure: Some((exposure[0] * ctx.runs) as f64),
            beats_persistence: o.and_then(|o| beats(v, persistence, o)),
            beats_recent: o.and_then(|o| beats(v, recent, o)),
            beats_cells: o.and_then(|o| beats(v, cells, o)),
            ..row("onset_rate", "simulated", value)
        });
        for (category, level) in [("runs_without_war", 5u8), ("runs_without_force", 4u8)] {
            let mut hit = vec![false; ctx.runs as usize];
            for o in ctx.sims[l].onsets.iter().filter(|o| inside(o)) {
                if o.level >= level {
                    hit[o.run as usize] = true;
                }
            }
            let without = hit.iter().filter(|&&h| !h).count();
            rows.push(Row {
                lens: lens.clone(),
                events: Some(without as f64),
                exposure: Some(ctx.runs as f64),
                ..row(category, "simulated", Some(without as f64 / ctx.runs.max(1) as f64))
            });
        }
    }
    // The pairs: every pair that quarrelled in the record, and each lens's five most quarrelsome.
    let mut observed: Vec<((usize, usize), u64)> = Vec::new();
    for &(i, j) in &pairs {
        if let (Some(ci), Some(cj)) = (ctx.world.ccode[i], ctx.world.ccode[j]) {
            let k = (compared.0..=compared.1)
                .filter(|&y| {
                    ctx.rec.member(ci, y)
                        && ctx.rec.member(cj, y)
                        && ctx.world.both_present(i, j, y)
                        && ctx.rec.onset(ci, cj, y).is_some()
                })
                .count() as u64;
            if k > 0 {
                observed.push(((i, j), k));
            }
        }
    }
    let mut simulated: Vec<HashMap<(usize, usize), u64>> = vec![HashMap::new(); ctx.lenses.len()];
    for (l, counts) in simulated.iter_mut().enumerate() {
        for o in ctx.sims[l].onsets.iter().filter(|o| inside(o)) {
            *counts.entry((o.i, o.j)).or_default() += 1;
        }
    }
    let mut listed: Vec<(usize, usize)> = observed.iter().map(|&(pr, _)| pr).collect();
    for counts in &simulated {
        let mut top: Vec<((usize, usize), u64)> = counts.iter().map(|(&k, &v)| (k, v)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        listed.extend(top.into_iter().take(5).map(|(k, _)| k));
    }
    listed.sort_unstable();
    listed.dedup();
    for (i, j) in listed {
        let pr = |source: &'static str, value: Option<f64>| Row {
            section: "pair",
            category: ctx.world.pair_name(i, j),
            ..row("", source, value)
        };
        let k = observed.iter().find(|(x, _)| *x == (i, j)).map_or(0, |&(_, k)| k);
        rows.push(Row {
            events: Some(k as f64),
            ..pr("observed", Some(k as f64))
        });
        for (l, counts) in simulated.iter().enumerate() {
            let k = counts.get(&(i, j)).copied().unwrap_or(0);
            rows.push(Row {
                lens: ctx.lenses[l].clone(),
                events: Some(k as f64),
                exposure: Some(ctx.runs as f64),
                ..pr("simulated", Some(k as f64 / ctx.runs.max(1) as f64))
            });
        }
    }
}

/// Dyad ranking over the world's dyads with a record: AUC and the share of real onsets in the
/// top decile, for the simulated risk and for a history-only score.
fn ranking_rows(ctx: &Ctx, compared: (i64, i64), rows: &mut Vec<Row>) {
    let w = ctx.world;
    // (pair, real onsets, past onsets, simulated years): the simulated risk is onsets per year the
    // pair is in the simulated system (the same years for every pair of a fixed state set).
    let mut dyads = Vec::new();
    for (i, j) in w.pairs(None) {
        let (Some(ci), Some(cj)) = (w.ccode[i], w.ccode[j]) else {
            continue;
        };
        let years: Vec<i64> = (compared.0..=compared.1)
            .filter(|&y| ctx.rec.member(ci, y) && ctx.rec.member(cj, y) && w.both_present(i, j, y))
            .collect();
        if years.is_empty() {
            continue;
        }
        let real = years.iter().filter(|&&y| ctx.rec.onset(ci, cj, y).is_some()).count() as f64;
        let past = ctx.persistence.map_or(0, |(a, b)| {
            (a..=b)
                .filter(|&y| ctx.rec.member(ci, y) && ctx.rec.member(cj, y) && ctx.rec.onset(ci, cj, y).is_some())
                .count()
        });
        let simulated = (compared.0..=compared.1).filter(|&y| w.both_present(i, j, y)).count() as f64;
        dyads.push(((i, j), real, past as f64, simulated));
    }
    let p = period(compared.0, compared.1);
    let labels: Vec<bool> = dyads.iter().map(|d| d.1 > 0.0).collect();
    let events: Vec<f64> = dyads.iter().map(|d| d.1).collect();
    let n = dyads.len() as f64;
    let real_total: f64 = events.iter().sum();
    let history: Vec<f64> = dyads
        .iter()
        .map(|&((i, j), _, past, _)| past + if w.contiguous[i * w.n + j] { 0.5 } else { 0.0 })
        .collect();
    let row = |category: &str, source: &'static str, value: Option<f64>| Row {
        section: "ranking",
        scope: "world".into(),
        category: category.into(),
        period: p.clone(),
        source,
        value,
        events: Some(real_total),
        exposure: Some(n),
        ..Row::default()
    };
    let h_auc = auc(&history, &labels);
    let h_top = top_share(&history, &events, TOP_FRACTION);
    rows.push(row("auc", "history", h_auc));
    rows.push(row("top_decile_share", "history", h_top));
    let index: HashMap<(usize, usize), usize> = dyads.iter().enumerate().map(|(k, d)| (d.0, k)).collect();
    for (l, lens) in ctx.lenses.iter().enumerate() {
        let mut risk = vec![0.0; dyads.len()];
        for o in &ctx.sims[l].onsets {
            if (compared.0..=compared.1).contains(&o.year)
                && let Some(&k) = index.get(&(o.i, o.j))
            {
                risk[k] += 1.0 / dyads[k].3;
            }
        }
        let a = auc(&risk, &labels);
        let t = top_share(&risk, &events, TOP_FRACTION);
        let better = |x: Option<f64>, y: Option<f64>| x.zip(y).map(|(x, y)| x > y);
        rows.push(Row {
            lens: lens.clone(),
            beats_persistence: better(a, h_auc),
            ..row("auc", "simulated", a)
        });
        rows.push(Row {
            lens: lens.clone(),
            beats_persistence: better(t, h_top),
            ..row("top_decile_share", "simulated", t)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_cells() {
        assert_eq!(
            categories(false, false),
            [true, false, true, false, false, true, false, false, false]
        );
        assert_eq!(
            categories(true, false),
            [true, true, false, true, false, false, true, false, false]
        );
        assert_eq!(
            categories(false, true),
            [true, true, false, false, true, false, false, true, false]
        );
        assert_eq!(
            categories(true, true),
            [true, true, false, true, true, false, false, false, true]
        );
    }

    #[test]
    fn cells_forecast_weights_by_mix() {
        let mut base = Tally::default();
        // base: non-contiguous minor 1 in 100, contiguous minor 10 in 100
        for k in 0..100 {
            base.add(false, false, k == 0);
            base.add(true, false, k < 10);
        }
        let mut now = Tally::default();
        for _ in 0..3 {
            now.add(false, false, false);
        }
        now.add(true, false, false);
        // all: (3 x 0.01 + 1 x 0.10) / 4
        assert!((now.cells_forecast(&base, 0).unwrap() - 0.0325).abs() < 1e-12);
        assert!((now.cells_forecast(&base, 3).unwrap() - 0.10).abs() < 1e-12);
        // no major dyads now: no forecast for `major`
        assert_eq!(now.cells_forecast(&base, 4), None);
    }

    #[test]
    fn five_year_blocks() {
        assert_eq!(blocks(1960, 1971), vec![(1960, 1964), (1965, 1969), (1970, 1971)]);
        assert_eq!(blocks(1962, 1966), vec![(1962, 1964), (1965, 1966)]);
    }

    #[test]
    fn groups_parse() {
        assert_eq!(
            parse_group("ec=FRN, GMY ,ITA").unwrap(),
            ("ec".into(), vec!["FRN".into(), "GMY".into(), "ITA".into()])
        );
        assert!(parse_group("ec").is_err());
        assert!(parse_group("ec=FRN").is_err());
        assert!(parse_group("=FRN,GMY").is_err());
    }

    #[test]
    fn across_runs_pools_and_spreads() {
        let (v, lo, hi) = across_runs(&[1, 3], &[10, 10]);
        assert_eq!(v, Some(0.2));
        assert!((lo.unwrap() - 0.105).abs() < 1e-12 && (hi.unwrap() - 0.295).abs() < 1e-12);
        assert_eq!(across_runs(&[0], &[0]), (None, None, None));
    }
}
