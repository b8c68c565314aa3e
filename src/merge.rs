//! `comity merge`: the part folders of a sharded run or sweep ([`crate::shard`]) into the one
//! folder an unsharded run would have written, byte for byte.
//!
//! Architecture Invariant: every part is checked before anything is written: each shard
//! present exactly once, all from the same scenario (hash), seed, runs, lenses, parameters and
//! files, each holding exactly its block. Rows are streamed in (lens, run) order (a run's) or
//! (lens, point, run) order (a sweep's); a run's summaries are folded again from the parts'
//! panels in that order, which is the order one process folds them in.

use crate::montecarlo::{self, LensAggregate};
use crate::output::{self, AtomicFile, OutputError, TimeseriesWriter};
use crate::results::{
    DISPUTES, DYAD_YEARS, MANIFEST, Manifest, ManifestError, PAIRS, PANELS, POINTS, PartInfo, RUNS, RUNS_AT, TIMESERIES,
};
use crate::scenario;
use crate::shard::{PanelReader, Shard};
use crate::sim::{Prepared, RunResult};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MergeError {
    /// A part, or the set of parts, cannot be merged: the message names it, the hint says how
    /// to go on.
    #[error("{0}")]
    Parts(String, String),
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl MergeError {
    pub fn hint(&self) -> Option<&str> {
        match self {
            MergeError::Parts(_, h) => Some(h),
            MergeError::Output(_) => None,
        }
    }
}

fn parts_err(msg: impl Into<String>, hint: impl Into<String>) -> MergeError {
    MergeError::Parts(msg.into(), hint.into())
}

/// One part folder.
#[derive(Clone, Debug)]
pub struct Part {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub shard: Shard,
    /// The block it holds: runs of every lens (a run's part) or points (a sweep's).
    pub block: std::ops::Range<u64>,
}

/// Whether the parts are of a run or of a sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Run,
    Sweep,
}

/// What a merge did.
#[derive(Debug)]
pub struct Merged {
    pub kind: Kind,
    pub parts: usize,
    pub runs: u64,
    pub lenses: usize,
    pub files: Vec<String>,
}

/// The part folders named by `args`: each a part folder (its manifest has a `shard`), or a
/// folder whose `part-*` folders are parts.
pub fn find_parts(args: &[PathBuf]) -> Result<Vec<PathBuf>, MergeError> {
    let mut out = Vec::new();
    for arg in args {
        if arg.join(MANIFEST).is_file() || is_part_name(arg) {
            out.push(arg.clone());
            continue;
        }
        let entries = std::fs::read_dir(arg).map_err(|e| {
            parts_err(
                format!("cannot read {}: {e}", arg.display()),
                "name the part folders (OUT/part-K-of-N) or the folder that holds them",
            )
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir() && is_part_name(p))
            .collect();
        if found.is_empty() {
            return Err(parts_err(
                format!(
                    "{} is neither a part folder nor a folder of part-K-of-N folders",
                    arg.display()
                ),
                "parts are written by `comity run ... --shard K/N --out DIR` (into DIR/part-K-of-N)",
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

fn is_part_name(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("part-") && n.contains("-of-"))
}

/// The manifest without what differs from part to part (and without where the scenario was
/// read from: tasks may start in different folders), as JSON to name a difference by its key.
fn common(manifest: &Manifest) -> serde_json::Value {
    let mut m = manifest.clone();
    m.shard = None;
    m.started_at.clear();
    m.finished_at.clear();
    m.wall_seconds = 0.0;
    m.threads = 0;
    m.resumed = None;
    m.scenario.path.clear();
    m.scenario.absolute_path.clear();
    m.to_json()
}

/// The first key (dotted path) where two JSON values differ.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    match (a.as_object(), b.as_object()) {
        (Some(x), Some(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => first_difference(p, q, &path),
                    _ => Some(path),
                }
            })
        }
        _ => (a != b).then(|| at.to_string()),
    }
}

/// Reads and checks the parts: every shard of one job exactly once, all agreeing.
pub fn read_parts(dirs: &[PathBuf]) -> Result<(Kind, Vec<Part>), MergeError> {
    let mut parts = Vec::new();
    for dir in dirs {
        let path = dir.join(crate::results::MANIFEST);
        let manifest = Manifest::read(dir).map_err(|e| match e {
            ManifestError::Unreadable { .. } => {
                let hint = if dir.join(output::CHECKPOINT_FILE).is_file() {
                    "that shard was interrupted: rerun its task with --resume (docs/cluster.md)"
                } else {
                    "that shard has not finished (or failed): rerun its task"
                };
                parts_err(
                    format!("{} has no manifest.json: the part is not complete", dir.display()),
                    hint,
                )
            }
            ManifestError::Invalid { .. } => parts_err(e.to_string(), "rerun that shard's task"),
        })?;
        let Some(info) = &manifest.shard else {
            return Err(parts_err(
                format!("{} is not a part: its manifest has no shard", dir.display()),
                "merge reads the part folders of `comity run --shard K/N` or `comity sweep --shard K/N`",
            ));
        };
        let Some(block) = info.block() else {
            return Err(parts_err(
                format!("{}: the manifest's shard has no runs or points block", path.display()),
                "rerun that shard's task",
            ));
        };
        let (index, count) = (info.index, info.count);
        parts.push(Part {
            dir: dir.clone(),
            manifest,
            shard: Shard { index, count },
            block,
        });
    }
    let Some(first) = parts.first() else {
        return Err(parts_err(
            "no parts to merge",
            "name the part folders or the folder that holds them",
        ));
    };
    let count = first.shard.count;
    for p in &parts {
        if p.shard.count != count {
            return Err(parts_err(
                format!(
                    "{} is shard {} of {}, {} is shard {} of {}: parts of different jobs",
                    first.dir.display(),
                    first.shard.index,
                    count,
                    p.dir.display(),
                    p.shard.index,
                    p.shard.count
                ),
                "merge the parts of one job (one shard count)",
            ));
        }
    }
    parts.sort_by_key(|p| p.shard.index);
    for w in parts.windows(2) {
        if w[0].shard.index == w[1].shard.index {
            return Err(parts_err(
                format!(
                    "shard {} of {count} is given twice: {} and {}",
                    w[0].shard.index,
                    w[0].dir.display(),
                    w[1].dir.display()
                ),
                "give each part once",
            ));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|k| !parts.iter().any(|p| p.shard.index == *k))
        .map(|k| Shard { index: k, count }.folder_name())
        .collect();
    if !missing.is_empty() {
        return Err(parts_err(
            format!(
                "{} of {count} shards are missing: {}",
                missing.len(),
                missing.join(", ")
            ),
            "run the missing shards (comity run ... --shard K/N, or resubmit those array tasks), then merge again",
        ));
    }
    let base = common(&parts[0].manifest);
    for p in &parts[1..] {
        if let Some(key) = first_difference(&base, &common(&p.manifest), "") {
            return Err(parts_err(
                format!(
                    "{} and {} disagree on `{key}`: they are not shards of one job",
                    parts[0].dir.display(),
                    p.dir.display()
                ),
                "run every shard with the same scenario, seed, runs, lenses, --set, --disputes, --at-years and --dyad-years (and the same comity)",
            ));
        }
    }
    let kind = if parts[0].manifest.is_sweep() {
        Kind::Sweep
    } else {
        Kind::Run
    };
    // Each part must hold exactly its block.
    let total = match kind {
        Kind::Run => Some(parts[0].manifest.runs),
        Kind::Sweep => parts[0].manifest.design.as_ref().map(|d| d.points),
    }
    .unwrap_or(0);
    for p in &parts {
        if p.block != p.shard.range(total) {
            return Err(parts_err(
                format!(
                    "{} holds {:?}, but shard {} of {count} of {total} is {:?}",
                    p.dir.display(),
                    p.block,
                    p.shard.index,
                    p.shard.range(total)
                ),
                "rerun that shard with this version of comity",
            ));
        }
    }
    Ok((kind, parts))
}

/// Merges `parts` (checked by [`read_parts`]) into `out`. `scenario`: where the scenario is
/// when it has moved since the parts were run (a run's merge reads it for its calendar and
/// communities). `threads`: for sorting the summaries (0: every core).
pub fn merge(
    kind: Kind,
    parts: &[Part],
    out: &Path,
    force: bool,
    scenario: Option<&Path>,
    threads: usize,
) -> Result<Merged, MergeError> {
    let m0 = &parts[0].manifest;
    let lenses = m0.lenses.clone();
    let listed = m0.files.clone();
    let has = |f: &str| listed.iter().any(|x| x == f);
    let runs = m0.runs;
    let prepared = if kind == Kind::Run {
        Some(load_scenario(m0, scenario)?)
    } else {
        None
    };
    for p in parts {
        for f in &listed {
            if !p.dir.join(f).is_file() {
                return Err(parts_err(
                    format!("{} lacks {f}, which its manifest lists", p.dir.display()),
                    "rerun that shard's task",
                ));
            }
        }
    }
    // Every part's panels are checked before the output folder is touched.
    let readers = match &prepared {
        Some(p) => Some(open_panels(parts, montecarlo::cells(p), lenses.len())?),
        None => None,
    };
    let lock = output::claim_dir(out, force)?;
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    let mut files: Vec<String> = Vec::new();
    let lens_col = match kind {
        Kind::Run => 0,
        Kind::Sweep => 1,
    };
    if kind == Kind::Sweep {
        copy_identical(parts, out, POINTS)?;
        files.push(POINTS.into());
        merge_csv(parts, out, TIMESERIES, lens_col, &lenses, None)?;
        files.push(TIMESERIES.into());
    } else {
        let prepared = prepared.as_ref().expect("loaded above");
        let readers = readers.expect("opened above");
        write_timeseries(parts, readers, out, prepared, &lenses, runs, threads)?;
        files.push(TIMESERIES.into());
        if !prepared.scenario.pairs.is_empty() {
            files.push(PAIRS.into());
        }
    }
    let run_check = (kind == Kind::Run).then_some(lens_col + 1);
    merge_csv(parts, out, RUNS, lens_col, &lenses, run_check)?;
    files.push(RUNS.into());
    for f in [DISPUTES, RUNS_AT, DYAD_YEARS] {
        if has(f) {
            merge_csv(parts, out, f, lens_col, &lenses, None)?;
            files.push(f.into());
        }
    }
    files.push(MANIFEST.into());
    let manifest = Manifest {
        files: files.clone(),
        threads: parts.iter().map(|p| p.manifest.threads).max().unwrap_or(1),
        cpu_path: {
            let mut paths: Vec<&str> = Vec::new();
            for p in parts
                .iter()
                .map(|p| p.manifest.cpu_path.as_str())
                .filter(|p| !p.is_empty())
            {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
            paths.join(",")
        },
        started_at: output::utc_timestamp(started),
        finished_at: output::utc_timestamp(std::time::SystemTime::now()),
        wall_seconds: (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        shard: None,
        at_years: None,
        resumed: None,
        merged_from: Some(
            parts
                .iter()
                .map(|p| PartInfo {
                    part: p.dir.display().to_string(),
                    shard: p.shard.index,
                    of: p.shard.count,
                    threads: p.manifest.threads,
                    cpu_path: p.manifest.cpu_path.clone(),
                    started_at: p.manifest.started_at.clone(),
                    finished_at: p.manifest.finished_at.clone(),
                    wall_seconds: p.manifest.wall_seconds,
                })
                .collect(),
        ),
        ..m0.clone()
    };
    output::write_manifest(out, &manifest.to_json())?;
    drop(lock);
    Ok(Merged {
        kind,
        parts: parts.len(),
        runs,
        lenses: lenses.len(),
        files,
    })
}

fn load_scenario(m0: &Manifest, given: Option<&Path>) -> Result<Prepared, MergeError> {
    let want = m0.scenario.sha256.clone();
    let candidates: Vec<PathBuf> = match given {
        Some(p) => vec![p.to_path_buf()],
        None => [m0.scenario.absolute_path.as_str(), m0.scenario.path.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
    };
    let mut tried = Vec::new();
    for path in &candidates {
        match scenario::load(path) {
            Ok(mut s) => {
                let got = s.sources.first().map(|d| d.sha256.clone()).unwrap_or_default();
                if got == want {
                    // The pairs the parts recorded (`--pairs` may have replaced the scenario's).
                    s.pairs = m0
                        .pairs
                        .iter()
                        .map(|n| s.parse_pair(n))
                        .collect::<std::result::Result<_, _>>()
                        .map_err(|e| parts_err(format!("the parts' pairs: {e}"), "rerun the shards"))?;
                    return Ok(Prepared::new(Arc::new(s)));
                }
                tried.push(format!(
                    "{} has changed since the parts were run (sha256 {got}, parts {want})",
                    path.display()
                ));
            }
            Err(e) => tried.push(format!("{}: {e}", path.display())),
        }
    }
    Err(parts_err(
        format!(
            "cannot find the parts' scenario ({}): {}",
            m0.scenario.name,
            if tried.is_empty() {
                "the manifest names none".to_string()
            } else {
                tried.join("; ")
            }
        ),
        "give the scenario file the parts were run from with --scenario FILE (its hash must match)",
    ))
}

/// Opens each part's `panels.bin`, checking that it holds its block's panels of `cells` cells.
fn open_panels(parts: &[Part], cells: usize, lenses: usize) -> Result<Vec<PanelReader>, MergeError> {
    let mut readers = Vec::new();
    for p in parts {
        let r = PanelReader::open(&p.dir.join(PANELS), None).map_err(|e| parts_err(e, "rerun that shard's task"))?;
        let expected = (p.block.end - p.block.start) * lenses as u64;
        if r.cells() != cells || r.remaining() != expected {
            return Err(parts_err(
                format!(
                    "{} holds {} panels of {} cells; this scenario and shard need {expected} of {cells}",
                    r.path().display(),
                    r.remaining(),
                    r.cells()
                ),
                "rerun that shard's task",
            ));
        }
        readers.push(r);
    }
    Ok(readers)
}

/// Folds the parts' panels lens by lens, part by part: each lens's summaries as one process
/// folds them, then writes `timeseries.csv`.
fn write_timeseries(
    parts: &[Part],
    mut readers: Vec<PanelReader>,
    out: &Path,
    prepared: &Prepared,
    lenses: &[String],
    runs: u64,
    threads: usize,
) -> Result<(), MergeError> {
    let cells = montecarlo::cells(prepared);
    let method = montecarlo::quantile_method(prepared, runs);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| parts_err(e.to_string(), "try --threads 1"))?;
    let mut w = TimeseriesWriter::create(out, false)?;
    let mut pairs = output::PairsWriter::create(out, prepared)?;
    let mut scratch = RunResult {
        run: 0,
        metrics: Vec::new(),
        pairs: Vec::new(),
        disputes: Vec::new(),
        dyad_years: Vec::new(),
    };
    for (l, lens) in lenses.iter().enumerate() {
        let mut agg = LensAggregate::new(lens, method, runs, cells, Some(out))
            .map_err(|e| parts_err(e.to_string(), "free room on the output's disk"))?;
        for (p, r) in parts.iter().zip(readers.iter_mut()) {
            for run in p.block.clone() {
                let panel = r
                    .next_panel()
                    .map_err(|e| parts_err(e, "rerun that shard's task"))?
                    .filter(|x| x.lens as usize == l && x.run == run)
                    .ok_or_else(|| {
                        parts_err(
                            format!("{} is out of order at lens {lens}, run {run}", r.path().display()),
                            "rerun that shard's task",
                        )
                    })?;
                scratch.run = panel.run;
                scratch.metrics = panel.metrics;
                agg.fold(&scratch)
                    .map_err(|e| parts_err(e.to_string(), "free room on the output's disk"))?;
            }
        }
        agg.finish(&pool)
            .map_err(|e| parts_err(e.to_string(), "free room on the output's disk"))?;
        w.write(&prepared.scenario, None, &agg)?;
        if let Some(p) = &mut pairs {
            p.write(prepared, &agg)?;
        }
    }
    w.finish()?;
    if let Some(p) = pairs {
        p.finish()?;
    }
    Ok(())
}

fn csv_err(path: &Path, e: impl std::fmt::Display) -> MergeError {
    parts_err(
        format!("cannot read {}: {e}", path.display()),
        "rerun that shard's task",
    )
}

/// Writes `name` from the parts: the header (the same in every part), then for each lens the
/// rows of that lens from part 0, part 1, ... `lens_col`: the lens's column; `run_col`: a
/// column that must count the part's block in order (a run's `runs.csv`).
fn merge_csv(
    parts: &[Part],
    out: &Path,
    name: &str,
    lens_col: usize,
    lenses: &[String],
    run_col: Option<usize>,
) -> Result<(), MergeError> {
    let path = out.join(name);
    let mut readers = Vec::new();
    let mut header: Option<csv::ByteRecord> = None;
    for p in parts {
        let file = p.dir.join(name);
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(&file)
            .map_err(|e| csv_err(&file, e))?;
        let mut h = csv::ByteRecord::new();
        if !r.read_byte_record(&mut h).map_err(|e| csv_err(&file, e))? {
            return Err(csv_err(&file, "it is empty"));
        }
        match &header {
            None => header = Some(h),
            Some(first) if *first != h => {
                return Err(parts_err(
                    format!(
                        "{}'s header differs from {}'s",
                        file.display(),
                        parts[0].dir.join(name).display()
                    ),
                    "merge the parts of one job",
                ));
            }
            _ => {}
        }
        readers.push((file, r, None::<csv::ByteRecord>));
    }
    let io = |e: csv::Error| OutputError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    };
    let mut w = csv::Writer::from_writer(AtomicFile::create(&path)?);
    w.write_byte_record(header.as_ref().expect("one part at least"))
        .map_err(io)?;
    for lens in lenses {
        for ((file, r, pending), p) in readers.iter_mut().zip(parts) {
            let mut expect = p.block.start;
            loop {
                let rec = match pending.take() {
                    Some(rec) => rec,
                    None => {
                        let mut rec = csv::ByteRecord::new();
                        if !r.read_byte_record(&mut rec).map_err(|e| csv_err(file, e))? {
                            break;
                        }
                        rec
                    }
                };
                if rec.get(lens_col) != Some(lens.as_bytes()) {
                    *pending = Some(rec);
                    break;
                }
                if let Some(c) = run_col {
                    let run = rec
                        .get(c)
                        .and_then(|b| std::str::from_utf8(b).ok()?.parse::<u64>().ok());
                    if run != Some(expect) {
                        return Err(parts_err(
                            format!(
                                "{} is out of order at lens {lens}: expected run {expect}",
                                file.display()
                            ),
                            "rerun that shard's task",
                        ));
                    }
                    expect += 1;
                }
                w.write_byte_record(&rec).map_err(io)?;
            }
            if run_col.is_some() && expect != p.block.end {
                return Err(parts_err(
                    format!(
                        "{} holds runs {}..{expect} of lens {lens}, not {:?}",
                        file.display(),
                        p.block.start,
                        p.block
                    ),
                    "rerun that shard's task",
                ));
            }
        }
    }
    for (file, r, pending) in readers.iter_mut() {
        let mut rec = csv::ByteRecord::new();
        if pending.is_some() || r.read_byte_record(&mut rec).map_err(|e| csv_err(file, e))? {
            return Err(parts_err(
                format!(
                    "{} holds rows of a lens that is not the job's, or out of lens order",
                    file.display()
                ),
                "rerun that shard's task",
            ));
        }
    }
    output::commit_csv(w, &path)?;
    Ok(())
}

/// Copies `name`, which every part must hold identically.
fn copy_identical(parts: &[Part], out: &Path, name: &str) -> Result<(), MergeError> {
    let first = parts[0].dir.join(name);
    let bytes = std::fs::read(&first).map_err(|e| csv_err(&first, e))?;
    for p in &parts[1..] {
        let f = p.dir.join(name);
        if std::fs::read(&f).map_err(|e| csv_err(&f, e))? != bytes {
            return Err(parts_err(
                format!(
                    "{} differs from {}: not shards of one sweep",
                    f.display(),
                    first.display()
                ),
                "merge the parts of one job",
            ));
        }
    }
    let path = out.join(name);
    let mut f = AtomicFile::create(&path)?;
    std::io::Write::write_all(f.writer(), &bytes).map_err(|source| OutputError::Io { path, source })?;
    f.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_named_by_path() {
        let mut a = Manifest::default();
        a.scenario.sha256 = "x".into();
        a.scenario.path = "a".into();
        let mut b = a.clone();
        b.scenario.sha256 = "y".into();
        b.scenario.path = "b".into();
        assert_eq!(
            first_difference(&common(&a), &common(&b), ""),
            Some("scenario.sha256".into())
        );
        let mut c = a.clone();
        c.scenario.path = "elsewhere".into();
        c.threads = 9;
        assert_eq!(first_difference(&common(&a), &common(&c), ""), None);
        c.seed = 2;
        assert_eq!(first_difference(&common(&a), &common(&c), ""), Some("seed".into()));
    }
}
