//! Comparing two outcome sets: differences of means with confidence intervals,
//! effect sizes, and significance after a correction for the number of metrics.
//!
//! Runs of the same seed and run indices share their random numbers (common
//! random numbers), so their difference is compared run by run (a paired t
//! test); otherwise the two samples are treated as independent (Welch's t test).
//! Significance is judged after Holm's (1979) step-down correction, which keeps
//! the chance of any false positive among all the metrics compared at `alpha`.

use crate::results::{self, PerRun, PerRunFile, Summaries, SummaryFile, SummaryRow};
use crate::stats::{t_quantile, t_two_sided_p};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum CompareError {
    #[error("{0}")]
    Input(String),
    /// An output file that cannot be read, or a cell that is not a finite number.
    #[error(transparent)]
    File(#[from] results::FileError),
    #[error("{what} do not match: {detail}")]
    Mismatch { what: String, detail: String },
}

type Result<T> = std::result::Result<T, CompareError>;

/// One output folder (or a bare `runs.csv`), loaded.
#[derive(Clone, Debug)]
pub struct OutputSet {
    pub label: String,
    pub dir: PathBuf,
    pub seed: Option<u64>,
    /// The simulated period from manifest.json: (start, end, step).
    pub period: Option<(String, String, String)>,
    /// Column names of runs.csv after `lens,run`.
    pub columns: Vec<String>,
    /// lens -> run index -> values (None: empty cell).
    pub runs: BTreeMap<String, BTreeMap<u64, Vec<Option<f64>>>>,
    /// Path of timeseries.csv, when present.
    pub timeseries: Option<PathBuf>,
    /// runs_at.csv, when present: its columns after `lens,run,year`, and
    /// (lens, year) -> run -> values.
    pub at: Option<(Vec<String>, AtRuns)>,
    /// The pairs of interest its manifest lists (their columns are `PAIR.METRIC`).
    pub pairs: Vec<String>,
}

impl OutputSet {
    /// Loads an output folder or a `runs.csv` file.
    pub fn load(path: &Path) -> Result<OutputSet> {
        let (dir, runs_csv) = if path.is_dir() {
            (path.to_path_buf(), path.join(results::RUNS))
        } else {
            (
                path.parent().map(Path::to_path_buf).unwrap_or_default(),
                path.to_path_buf(),
            )
        };
        if !runs_csv.exists() {
            return Err(CompareError::Input(format!(
                "{} has no runs.csv: give an output folder written by `comity run`, or its runs.csv",
                path.display()
            )));
        }
        let table = PerRun::open(&runs_csv, PerRunFile::Runs)?;
        if table.is_sweep() {
            return Err(CompareError::Input(format!(
                "{} belongs to a sweep (`comity sweep`): compare compares two `comity run` folders; for a sweep use `comity sensitivity {}` or `comity report {}`, or compare two points by running them with `comity run --set`",
                runs_csv.display(),
                dir.display(),
                dir.display()
            )));
        }
        let by_run = table.by_run()?;
        if by_run.rows.is_empty() {
            return Err(CompareError::Input(format!("{} has no runs", runs_csv.display())));
        }
        let columns = by_run.columns.clone();
        let runs = by_run.by_lens();
        let manifest = results::Manifest::read(&dir).ok();
        let seed = manifest.as_ref().map(|m| m.seed);
        let period = manifest.as_ref().map(|m| m.period());
        let ts = dir.join(results::TIMESERIES);
        let at = load_runs_at(&dir.join(results::RUNS_AT))?;
        let pairs = manifest.map(|m| m.pairs).unwrap_or_default();
        Ok(OutputSet {
            pairs,
            label: path.display().to_string(),
            dir,
            seed,
            period,
            columns,
            runs,
            timeseries: ts.exists().then_some(ts),
            at,
        })
    }

    pub fn lenses(&self) -> Vec<&str> {
        self.runs.keys().map(String::as_str).collect()
    }

    /// The same set without the columns of its pairs of interest, except those in `keep`.
    pub fn without_pairs(&self, keep: &[String]) -> OutputSet {
        let drop = |c: &str| {
            c.split_once('.')
                .is_some_and(|(p, _)| self.pairs.iter().any(|x| x == p) && !keep.iter().any(|k| k == p))
        };
        let kept = |cols: &[String]| -> Vec<usize> { (0..cols.len()).filter(|&k| !drop(&cols[k])).collect() };
        let pick = |v: &Vec<Option<f64>>, idx: &[usize]| -> Vec<Option<f64>> { idx.iter().map(|&k| v[k]).collect() };
        let idx = kept(&self.columns);
        let mut out = OutputSet {
            label: self.label.clone(),
            dir: self.dir.clone(),
            seed: self.seed,
            period: self.period.clone(),
            columns: idx.iter().map(|&k| self.columns[k].clone()).collect(),
            runs: self
                .runs
                .iter()
                .map(|(l, m)| (l.clone(), m.iter().map(|(r, v)| (*r, pick(v, &idx))).collect()))
                .collect(),
            timeseries: self.timeseries.clone(),
            at: None,
            pairs: self.pairs.iter().filter(|p| keep.contains(p)).cloned().collect(),
        };
        if let Some((cols, at)) = &self.at {
            let idx = kept(cols);
            out.at = Some((
                idx.iter().map(|&k| cols[k].clone()).collect(),
                at.iter()
                    .map(|(key, m)| (key.clone(), m.iter().map(|(r, v)| (*r, pick(v, &idx))).collect()))
                    .collect(),
            ));
        }
        out
    }
}

/// (lens, year) -> run -> values of runs_at.csv.
pub type AtRuns = BTreeMap<(String, i64), BTreeMap<u64, Vec<Option<f64>>>>;

/// Reads `runs_at.csv` (written by `comity run --at-years`), if it exists.
fn load_runs_at(path: &Path) -> Result<Option<(Vec<String>, AtRuns)>> {
    if !path.exists() {
        return Ok(None);
    }
    let by_run = PerRun::open(path, PerRunFile::RunsAt)?.by_run()?;
    let at = by_run
        .rows
        .into_iter()
        .map(|((lens, year), runs)| ((lens, year.unwrap_or_default()), runs))
        .collect();
    Ok(Some((by_run.columns, at)))
}

/// How a row was tested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Run-by-run differences (common random numbers).
    Paired,
    /// Independent samples, unequal variances.
    Welch,
}

/// One compared metric.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `west.cohesion` for runs.csv metrics, `west.cohesion@2020` for `--at` rows.
    pub metric: String,
    /// The community of `metric` (`system` for the whole world).
    pub community: String,
    /// The metric's own name (`cohesion`).
    pub name: String,
    /// The year of an `--at` row; `None` for a runs.csv value (end of run, or total over the run).
    pub year: Option<i64>,
    pub lens_a: String,
    pub lens_b: String,
    pub method: Method,
    pub n_a: usize,
    pub n_b: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// mean B - mean A.
    pub diff: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Standardised difference: Cohen's d_z (paired) or d with the average variance (Welch).
    pub effect: f64,
    /// `d_z` (paired: mean difference over the sd of the differences) or `d` (Welch: over the
    /// root mean of the two variances).
    pub effect_kind: &'static str,
    pub p: f64,
    /// Holm-adjusted p-value.
    pub p_adjusted: f64,
    pub significant: bool,
    /// Why a value is not a finite number (an effect of +-Inf, a p-value that cannot be computed).
    pub note: String,
}

impl Row {
    /// A row before the correction for multiple comparisons.
    fn new(
        metric: String,
        (lens_a, lens_b): (&str, &str),
        method: Method,
        (n_a, n_b): (usize, usize),
        (mean_a, mean_b): (f64, f64),
        (diff, ci_low, ci_high, effect, p): (f64, f64, f64, f64, f64),
    ) -> Row {
        let (body, year) = match metric.split_once('@') {
            Some((b, y)) => (b.to_string(), y.parse::<i64>().ok()),
            None => (metric.clone(), None),
        };
        let (community, name) = match body.split_once('.') {
            Some((c, m)) => (c.to_string(), m.to_string()),
            None => (String::new(), body.clone()),
        };
        let note = if effect.is_infinite() {
            "no variation in the differences: the effect size is infinite and the p-value 0".to_string()
        } else if !p.is_finite() {
            "the test cannot be computed".to_string()
        } else {
            String::new()
        };
        Row {
            community,
            name,
            year,
            effect_kind: match method {
                Method::Paired => "d_z",
                Method::Welch => "d",
            },
            note,
            metric,
            lens_a: lens_a.to_string(),
            lens_b: lens_b.to_string(),
            method,
            n_a,
            n_b,
            mean_a,
            mean_b,
            diff,
            ci_low,
            ci_high,
            effect,
            p,
            p_adjusted: f64::NAN,
            significant: false,
        }
    }
}

/// A whole comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    /// The folders (or runs.csv files) compared, as given.
    pub a_dir: String,
    pub b_dir: String,
    pub seed_a: Option<u64>,
    pub seed_b: Option<u64>,
    pub alpha: f64,
    pub correction: &'static str,
    /// What the reader should know about how the rows were computed.
    pub notes: Vec<String>,
    pub rows: Vec<Row>,
    /// Metrics left out because they are undefined in every run of both sets.
    pub skipped: Vec<String>,
}

/// Summary statistics of a sample.
fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 {
        x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// Paired comparison of matched values (B - A per run).
pub fn paired(a: &[f64], b: &[f64], alpha: f64) -> (f64, f64, f64, f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let (mean, sd) = mean_sd(&d);
    let n = d.len() as f64;
    // Differences at the level of floating-point rounding are no differences.
    let scale = 1.0 + a.iter().chain(b).fold(0.0f64, |m, x| m.max(x.abs()));
    let mean = if mean.abs() <= 1e-12 * scale { 0.0 } else { mean };
    // Differences that are constant up to rounding carry no sampling error.
    if sd <= 1e-12 * scale || d.len() < 2 {
        let p = if mean == 0.0 { 1.0 } else { 0.0 };
        let effect = if mean == 0.0 {
            0.0
        } else {
            mean.signum() * f64::INFINITY
        };
        return (mean, mean, mean, effect, p);
    }
    let se = sd / n.sqrt();
    let df = n - 1.0;
    let half = t_quantile(1.0 - alpha / 2.0, df) * se;
    (mean, mean - half, mean + half, mean / sd, t_two_sided_p(mean / se, df))
}

/// Welch's comparison of independent samples given their summaries.
pub fn welch(ma: f64, sa: f64, na: f64, mb: f64, sb: f64, nb: f64, alpha: f64) -> (f64, f64, f64, f64, f64) {
    let scale = 1.0 + ma.abs().max(mb.abs());
    let diff = if (mb - ma).abs() <= 1e-12 * scale { 0.0 } else { mb - ma };
    let (va, vb) = (sa * sa / na, sb * sb / nb);
    let se = (va + vb).sqrt();
    if se <= 1e-12 * scale || na < 2.0 || nb < 2.0 {
        let p = if diff == 0.0 { 1.0 } else { 0.0 };
        let effect = if diff == 0.0 {
            0.0
        } else {
            diff.signum() * f64::INFINITY
        };
        return (diff, diff, diff, effect, p);
    }
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let half = t_quantile(1.0 - alpha / 2.0, df) * se;
    let pooled = ((sa * sa + sb * sb) / 2.0).sqrt();
    let effect = if pooled > 0.0 { diff / pooled } else { 0.0 };
    (diff, diff - half, diff + half, effect, t_two_sided_p(diff / se, df))
}

/// Holm's step-down adjustment of p-values (NaN stays NaN).
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_finite()).collect();
    order.sort_by(|&x, &y| p[x].total_cmp(&p[y]).then(x.cmp(&y)));
    let m = order.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// What to compare.
#[derive(Clone, Debug)]
pub struct Options {
    pub lens_a: Option<String>,
    pub lens_b: Option<String>,
    /// Years of timeseries.csv to compare too.
    pub at: Vec<i64>,
    /// Compare only the `at` years, not the runs.csv end values and totals.
    pub at_only: bool,
    pub alpha: f64,
    /// Only these metric names (`cohesion`, `disputes`); empty: all.
    pub metrics: Vec<String>,
    /// Only these communities (`west`, `system`); empty: all.
    pub communities: Vec<String>,
}

impl Options {
    /// Whether the filters keep `community.metric`.
    fn keeps(&self, column: &str) -> bool {
        let (c, m) = column.split_once('.').unwrap_or(("", column));
        (self.metrics.is_empty() || self.metrics.iter().any(|x| x == m))
            && (self.communities.is_empty() || self.communities.iter().any(|x| x == c))
    }
}

/// Checks the `--metric` and `--community` filters against what the outputs hold.
fn check_filters(a: &OutputSet, opts: &Options) -> Result<()> {
    let communities: std::collections::BTreeSet<&str> = a
        .columns
        .iter()
        .filter_map(|c| c.split_once('.').map(|x| x.0))
        .collect();
    let metrics: std::collections::BTreeSet<&str> = a
        .columns
        .iter()
        .filter_map(|c| c.split_once('.').map(|x| x.1))
        .chain(crate::sim::metrics::METRICS.iter().copied())
        .collect();
    let check = |asked: &[String], known: &std::collections::BTreeSet<&str>, what: &str| -> Result<()> {
        for x in asked {
            if !known.contains(x.as_str()) {
                let hint = crate::suggest::closest(x, known.iter().copied())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                return Err(CompareError::Input(format!(
                    "--{what} `{x}` is not in {}: {hint}it has {}",
                    a.label,
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(())
    };
    check(&opts.metrics, &metrics, "metric")?;
    check(&opts.communities, &communities, "community")
}

fn pick_lens(set: &OutputSet, asked: Option<&str>, other: Option<&OutputSet>) -> Result<String> {
    if let Some(l) = asked {
        return if set.runs.contains_key(l) {
            Ok(l.to_string())
        } else {
            Err(CompareError::Input(format!(
                "{} has no lens `{l}`; {}it has: {}",
                set.label,
                crate::suggest::closest(l, set.lenses().into_iter())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default(),
                set.lenses().join(", ")
            )))
        };
    }
    if set.runs.len() == 1 {
        return Ok(set.runs.keys().next().expect("one lens").clone());
    }
    if let Some(o) = other {
        let common: Vec<&str> = set.lenses().into_iter().filter(|l| o.runs.contains_key(*l)).collect();
        if common.len() == 1 {
            return Ok(common[0].to_string());
        }
    }
    Err(CompareError::Input(format!(
        "{} holds several lenses ({}); choose one with --lens",
        set.label,
        set.lenses().join(", ")
    )))
}

/// Compares B against A (`b` = None compares two lenses of A, `--lens` vs `--vs`).
pub fn compare(a: &OutputSet, b: Option<&OutputSet>, opts: &Options) -> Result<Comparison> {
    // Pairs of interest are compared when `--community` names them, not by default: they are
    // questions of their own, and would otherwise enlarge the Holm family of every comparison.
    let unasked = |set: &OutputSet| set.pairs.iter().any(|p| !opts.communities.contains(p));
    if unasked(a) || b.is_some_and(unasked) {
        let (a2, b2) = (
            a.without_pairs(&opts.communities),
            b.map(|b| b.without_pairs(&opts.communities)),
        );
        let mut c = compare(&a2, b2.as_ref(), opts)?;
        let unasked: Vec<&String> = a.pairs.iter().filter(|p| !opts.communities.contains(p)).collect();
        if !unasked.is_empty() {
            c.notes.push(format!(
                "pairs of interest are compared when named: --community {}",
                unasked.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
            ));
        }
        return Ok(c);
    }
    let same = b.is_none();
    let b = b.unwrap_or(a);
    if !same {
        check_comparable(a, b, opts)?;
    }
    if opts.at_only && opts.at.is_empty() {
        return Err(CompareError::Input("--at-only needs --at YEAR[,YEAR...]".into()));
    }
    check_filters(a, opts)?;
    let pairs = lens_pairs(a, b, same, opts)?;
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for (lens_a, lens_b) in &pairs {
        let (r, s, n) = compare_pair(a, b, same, lens_a, lens_b, opts)?;
        rows.extend(r);
        for x in s {
            if !skipped.contains(&x) {
                skipped.push(x);
            }
        }
        for x in n {
            if !notes.contains(&x) {
                notes.push(x);
            }
        }
    }
    if pairs.len() > 1 {
        notes.push(format!(
            "every lens the two sets share is compared ({}); Holm's correction covers all rows",
            pairs.iter().map(|p| p.0.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if rows.is_empty() && skipped.is_empty() {
        return Err(CompareError::Input(
            "nothing to compare: the --metric and --community filters keep no row".into(),
        ));
    }
    correct(&mut rows, opts.alpha);
    let lenses = |k: usize| {
        let mut v: Vec<&str> = pairs
            .iter()
            .map(|p| if k == 0 { p.0.as_str() } else { p.1.as_str() })
            .collect();
        v.dedup();
        v.join(", ")
    };
    Ok(Comparison {
        a: format!("{} [{}]", a.label, lenses(0)),
        b: format!("{} [{}]", b.label, lenses(1)),
        a_dir: a.label.clone(),
        b_dir: b.label.clone(),
        seed_a: a.seed,
        seed_b: b.seed,
        alpha: opts.alpha,
        correction: "Holm",
        notes,
        rows,
        skipped,
    })
}

/// Two output sets compare when they hold the same runs.csv columns and, unless only chosen
/// years are compared, the same simulated period.
fn check_comparable(a: &OutputSet, b: &OutputSet, opts: &Options) -> Result<()> {
    if a.columns != b.columns {
        let only = |x: &OutputSet, y: &OutputSet| {
            let only: Vec<&String> = x.columns.iter().filter(|c| !y.columns.contains(c)).collect();
            if only.is_empty() {
                "-".to_string()
            } else {
                preview(&only)
            }
        };
        return Err(CompareError::Mismatch {
            what: "the runs.csv columns (metrics or communities)".into(),
            detail: format!(
                "only in {}: {}; only in {}: {}",
                a.label,
                only(a, b),
                b.label,
                only(b, a)
            ),
        });
    }
    if !opts.at_only
        && let (Some(pa), Some(pb)) = (&a.period, &b.period)
        && pa != pb
    {
        return Err(CompareError::Mismatch {
            what: "the simulated periods".into(),
            detail: format!(
                "{} runs {}..{} ({}), {} runs {}..{} ({}): their end values and totals belong to different years; \
                 compare chosen years with --at YEAR --at-only",
                a.label, pa.0, pa.1, pa.2, b.label, pb.0, pb.1, pb.2
            ),
        });
    }
    Ok(())
}

/// Holm's correction over all `rows`: each row's adjusted p-value and significance at `alpha`.
fn correct(rows: &mut [Row], alpha: f64) {
    let adjusted = holm(&rows.iter().map(|r| r.p).collect::<Vec<_>>());
    for (r, p) in rows.iter_mut().zip(adjusted) {
        r.p_adjusted = p;
        r.significant = p.is_finite() && p < alpha;
    }
}

/// The (lens of A, lens of B) pairs to compare: the asked ones; without `--lens`, every lens the
/// two sets share (or their only lenses, when each holds one).
fn lens_pairs(a: &OutputSet, b: &OutputSet, same: bool, opts: &Options) -> Result<Vec<(String, String)>> {
    if same {
        let lens_a = pick_lens(a, opts.lens_a.as_deref(), None)?;
        return match &opts.lens_b {
            Some(l) => Ok(vec![(lens_a, pick_lens(a, Some(l), None)?)]),
            None => Err(CompareError::Input(
                "comparing lenses inside one output needs --vs LENS".into(),
            )),
        };
    }
    if opts.lens_a.is_some() || opts.lens_b.is_some() {
        let lens_a = pick_lens(a, opts.lens_a.as_deref(), Some(b))?;
        let lens_b = pick_lens(b, opts.lens_b.as_deref().or(opts.lens_a.as_deref()), Some(a))?;
        return Ok(vec![(lens_a, lens_b)]);
    }
    let common: Vec<String> = a
        .lenses()
        .into_iter()
        .filter(|l| b.runs.contains_key(*l))
        .map(str::to_string)
        .collect();
    if !common.is_empty() {
        return Ok(common.into_iter().map(|l| (l.clone(), l)).collect());
    }
    if a.runs.len() == 1 && b.runs.len() == 1 {
        let (la, lb) = (a.lenses()[0].to_string(), b.lenses()[0].to_string());
        return Ok(vec![(la, lb)]);
    }
    Err(CompareError::Input(format!(
        "{} ({}) and {} ({}) share no lens; choose one of each with --lens L --vs L2",
        a.label,
        a.lenses().join(", "),
        b.label,
        b.lenses().join(", ")
    )))
}

/// Rows, skipped metrics and notes of one lens pair.
fn compare_pair(
    a: &OutputSet,
    b: &OutputSet,
    same: bool,
    lens_a: &str,
    lens_b: &str,
    opts: &Options,
) -> Result<(Vec<Row>, Vec<String>, Vec<String>)> {
    let (lens_a, lens_b) = (lens_a.to_string(), lens_b.to_string());
    let runs_a = &a.runs[&lens_a];
    let runs_b = &b.runs[&lens_b];
    let same_runs = runs_a.keys().eq(runs_b.keys());
    let paired_ok = same_runs && (same || (a.seed.is_some() && a.seed == b.seed));
    let mut notes = Vec::new();
    if paired_ok {
        notes.push(format!(
            "paired run-by-run differences: both sets hold runs {}..{} of seed {} (common random numbers)",
            runs_a.keys().next().copied().unwrap_or(0),
            runs_a.keys().next_back().copied().unwrap_or(0),
            a.seed.map_or("?".to_string(), |s| s.to_string())
        ));
    } else {
        let why = if !same_runs {
            "the run indices differ"
        } else if a.seed.is_none() || b.seed.is_none() {
            "a manifest.json with the seed is missing"
        } else {
            "the seeds differ"
        };
        notes.push(format!("Welch's t test on independent samples ({why})"));
    }
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (k, metric) in a.columns.iter().enumerate() {
        if opts.at_only {
            break;
        }
        if !opts.keeps(metric) {
            continue;
        }
        let row = if paired_ok {
            let (mut xa, mut xb) = (Vec::new(), Vec::new());
            for (run, va) in runs_a {
                if let (Some(x), Some(y)) = (va[k], runs_b[run][k]) {
                    xa.push(x);
                    xb.push(y);
                }
            }
            if xa.is_empty() {
                skipped.push(metric.clone());
                continue;
            }
            let test = paired(&xa, &xb, opts.alpha);
            let means = (mean_sd(&xa).0, mean_sd(&xb).0);
            Row::new(
                metric.clone(),
                (&lens_a, &lens_b),
                Method::Paired,
                (xa.len(), xb.len()),
                means,
                test,
            )
        } else {
            let xa: Vec<f64> = runs_a.values().filter_map(|v| v[k]).collect();
            let xb: Vec<f64> = runs_b.values().filter_map(|v| v[k]).collect();
            if xa.is_empty() || xb.is_empty() {
                skipped.push(metric.clone());
                continue;
            }
            let ((ma, sa), (mb, sb)) = (mean_sd(&xa), mean_sd(&xb));
            let test = welch(ma, sa, xa.len() as f64, mb, sb, xb.len() as f64, opts.alpha);
            Row::new(
                metric.clone(),
                (&lens_a, &lens_b),
                Method::Welch,
                (xa.len(), xb.len()),
                (ma, mb),
                test,
            )
        };
        rows.push(row);
    }
    if !opts.at.is_empty() {
        let (at_rows, paired_years) = compare_at(a, b, &lens_a, &lens_b, opts, paired_ok)?;
        rows.extend(at_rows);
        if paired_years.len() < opts.at.len() {
            notes.push(
                "rows at a year (metric@year) without runs_at.csv values compare timeseries.csv summaries with \
                 Welch's t test (write per-run values with `comity run --at-years`)"
                    .into(),
            );
        }
        if !paired_years.is_empty() {
            let years: Vec<String> = paired_years.iter().map(|y| y.to_string()).collect();
            notes.push(format!(
                "rows at {} pair runs_at.csv values run by run",
                years.join(", ")
            ));
        }
    }
    Ok((rows, skipped, notes))
}

/// (community, metric) -> (n, mean, sd) at one year.
type YearSummaries = BTreeMap<(String, String), (f64, f64, f64)>;

/// (community, metric) -> (n, mean, sd) for one lens and year of a timeseries.csv.
fn timeseries_at(path: &Path, lens: &str, year: i64) -> Result<YearSummaries> {
    let mut out = BTreeMap::new();
    let mut years_seen = std::collections::BTreeSet::new();
    Summaries::open(path, SummaryFile::Timeseries)?.each(|r: &SummaryRow<'_>| -> Result<()> {
        years_seen.insert(r.year);
        if r.lens == lens && r.year == year {
            // With sub-yearly steps a year has several ticks: keep the last one.
            let undefined = f64::NAN;
            out.insert(
                (r.group.to_string(), r.metric.to_string()),
                (r.n as f64, r.mean.unwrap_or(undefined), r.sd.unwrap_or(undefined)),
            );
        }
        Ok(())
    })?;
    if out.is_empty() {
        let (lo, hi) = (
            years_seen.iter().next().copied().unwrap_or(0),
            years_seen.iter().next_back().copied().unwrap_or(0),
        );
        return Err(CompareError::Mismatch {
            what: "the years".into(),
            detail: format!(
                "{} has no rows for lens `{lens}` in {year} (it covers {lo}..{hi})",
                path.display()
            ),
        });
    }
    Ok(out)
}

/// Rows at the `--at` years: paired from runs_at.csv when both sets hold it for the year and
/// their runs pair, else Welch from timeseries.csv. Also returns the years that were paired.
fn compare_at(
    a: &OutputSet,
    b: &OutputSet,
    lens_a: &str,
    lens_b: &str,
    opts: &Options,
    paired_ok: bool,
) -> Result<(Vec<Row>, Vec<i64>)> {
    let path = |s: &OutputSet| {
        s.timeseries
            .clone()
            .ok_or_else(|| CompareError::Input(format!("{} has no timeseries.csv (needed by --at)", s.label)))
    };
    let mut rows = Vec::new();
    let mut paired_years = Vec::new();
    // At the last year a metric's value is its end-of-run value, already a runs.csv row.
    let last_year = a
        .period
        .as_ref()
        .and_then(|p| p.1.get(..4))
        .and_then(|y| y.parse::<i64>().ok());
    let repeated = |column: &str, year: i64| {
        Some(year) == last_year
            && !opts.at_only
            && a.columns.iter().any(|c| c == column)
            && column.split_once('.').is_some_and(|(_, m)| {
                crate::montecarlo::RUN_FINALS.contains(&m)
                    || (crate::sim::metrics::PAIR_METRICS.contains(&m) && m != "disputes")
            })
    };
    let wanted = |column: &str, year: i64| opts.keeps(column) && !repeated(column, year);
    for &year in &opts.at {
        // Per-run values at the year, when both sets hold them for the same runs.
        let per_run = match (&a.at, &b.at) {
            (Some((ca, ra)), Some((cb, rb))) if paired_ok && ca == cb => {
                match (ra.get(&(lens_a.to_string(), year)), rb.get(&(lens_b.to_string(), year))) {
                    (Some(va), Some(vb)) if va.keys().eq(vb.keys()) => Some((ca, va, vb)),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((columns, va, vb)) = per_run {
            for (k, column) in columns.iter().enumerate() {
                if !wanted(column, year) {
                    continue;
                }
                let (mut xa, mut xb) = (Vec::new(), Vec::new());
                for (run, values) in va {
                    if let (Some(x), Some(y)) = (values[k], vb[run][k]) {
                        xa.push(x);
                        xb.push(y);
                    }
                }
                if xa.is_empty() {
                    continue;
                }
                let test = paired(&xa, &xb, opts.alpha);
                let means = (mean_sd(&xa).0, mean_sd(&xb).0);
                let n = (xa.len(), xb.len());
                rows.push(Row::new(
                    format!("{column}@{year}"),
                    (lens_a, lens_b),
                    Method::Paired,
                    n,
                    means,
                    test,
                ));
            }
            paired_years.push(year);
            continue;
        }
        let ta = timeseries_at(&path(a)?, lens_a, year)?;
        let tb = timeseries_at(&path(b)?, lens_b, year)?;
        if ta.keys().ne(tb.keys()) {
            return Err(CompareError::Mismatch {
                what: "the timeseries communities or metrics".into(),
                detail: format!(
                    "{} and {} list different (community, metric) pairs in {year}",
                    a.label, b.label
                ),
            });
        }
        for ((community, metric), &(na, ma, sa)) in &ta {
            if !wanted(&format!("{community}.{metric}"), year) {
                continue;
            }
            let (nb, mb, sb) = tb[&(community.clone(), metric.clone())];
            if !(na >= 1.0 && nb >= 1.0 && ma.is_finite() && mb.is_finite()) {
                continue;
            }
            let (sa, sb) = (
                if sa.is_finite() { sa } else { 0.0 },
                if sb.is_finite() { sb } else { 0.0 },
            );
            let test = welch(ma, sa, na, mb, sb, nb, opts.alpha);
            rows.push(Row::new(
                format!("{community}.{metric}@{year}"),
                (lens_a, lens_b),
                Method::Welch,
                (na as usize, nb as usize),
                (ma, mb),
                test,
            ));
        }
    }
    Ok((rows, paired_years))
}

/// A number with about four significant digits for tables.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "-".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.3}")
    } else if a >= 0.001 {
        format!("{x:.4}")
    } else {
        format!("{x:.2e}")
    }
}

fn preview(items: &[&String]) -> String {
    let shown: Vec<&str> = items.iter().take(8).map(|s| s.as_str()).collect();
    if items.len() > 8 {
        format!("{} ... ({} in all)", shown.join(", "), items.len())
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_by_hand() {
        // differences 1, 2, 3: mean 2, sd 1, se 1/sqrt(3), t = 3.464, df 2
        let (d, lo, hi, effect, p) = paired(&[0.0, 0.0, 0.0], &[1.0, 2.0, 3.0], 0.05);
        assert!((d - 2.0).abs() < 1e-12);
        let half = 4.302_652_7 / 3f64.sqrt();
        assert!((lo - (2.0 - half)).abs() < 1e-4 && (hi - (2.0 + half)).abs() < 1e-4);
        assert!((effect - 2.0).abs() < 1e-12);
        assert!((p - 0.0742).abs() < 1e-3, "p {p}");
        // identical samples: nothing
        let (d, lo, hi, _, p) = paired(&[1.0, 2.0], &[1.0, 2.0], 0.05);
        assert_eq!((d, lo, hi, p), (0.0, 0.0, 0.0, 1.0));
        // rounding noise is no difference
        let (d, _, _, _, p) = paired(&[1.0, 1.0, 1.0], &[1.0 + 3e-16, 1.0, 1.0 - 2e-16], 0.05);
        assert_eq!((d, p), (0.0, 1.0));
        let (d, _, _, _, p) = welch(1.0, 0.0, 10.0, 1.0 + 4e-16, 0.0, 10.0, 0.05);
        assert_eq!((d, p), (0.0, 1.0));
    }

    #[test]
    fn welch_by_hand() {
        // means 0 and 1, sd 1 and 2, n 10 and 20: se = sqrt(0.1 + 0.2), df = 0.09 / (0.01/9 + 0.04/19)
        let (d, lo, hi, effect, p) = welch(0.0, 1.0, 10.0, 1.0, 2.0, 20.0, 0.05);
        let se = 0.3f64.sqrt();
        let df = 0.09 / (0.01 / 9.0 + 0.04 / 19.0);
        let tq = t_quantile(0.975, df);
        assert!((d - 1.0).abs() < 1e-12 && (lo - (1.0 - tq * se)).abs() < 1e-9 && (hi - (1.0 + tq * se)).abs() < 1e-9);
        assert!((effect - 1.0 / 2.5f64.sqrt()).abs() < 1e-12);
        assert!((p - t_two_sided_p(1.0 / se, df)).abs() < 1e-12);
        assert!((df - 27.96).abs() < 0.05, "df {df}");
    }

    #[test]
    fn holm_by_hand() {
        // p = 0.01, 0.04, 0.03, NaN: sorted 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04) = 0.06
        let adj = holm(&[0.01, 0.04, 0.03, f64::NAN]);
        assert!((adj[0] - 0.03).abs() < 1e-12 && (adj[2] - 0.06).abs() < 1e-12 && (adj[1] - 0.06).abs() < 1e-12);
        assert!(adj[3].is_nan());
    }
}
