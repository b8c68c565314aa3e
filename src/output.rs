//! Writing results: the output folder, its lock, atomic files, tidy CSVs and the manifest.
//!
//! Architecture Invariant: a file appears under its final name only when it is
//! complete (written to a hidden `.NAME.partial` file, flushed, then renamed),
//! and an existing non-empty output folder is never written into without `--force`.
//! One process at a time writes into an output folder: `comity run` and `comity sweep` hold an
//! exclusive advisory lock on its `.comity.lock` from before the folder is checked until they
//! exit ([`claim_dir`]).

use crate::montecarlo::{LensAggregate, Sink, run_columns, summarise_run};
use crate::scenario::Scenario;
use crate::sim::metrics::METRICS;
use crate::sim::{Prepared, Record, RunResult};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Every file `comity run`, `comity sweep` and `comity report` write into an output folder, as
/// the output schema ([`crate::results::files`]) names them: the writers below take their names
/// from the same constants. `--force` removes each of them, and each one's hidden
/// `.NAME.partial`, and nothing else.
pub use crate::results::OUTPUT_FILES;
use crate::results::{
    DISPUTES, DISPUTES_COLUMNS, DYAD_YEARS, DYAD_YEARS_COLUMNS, MANIFEST, PAIRS, PAIRS_KEY, PANELS, POINT, RUNS,
    RUNS_AT, RUNS_AT_KEY, RUNS_KEY, SUMMARY_COLUMNS, TIMESERIES, TIMESERIES_KEY,
};

/// The lock file of an output folder. It stays after a run (removing a lock file while
/// another process may have it open would let two processes hold "the" lock); it holds the pid
/// of the last process that locked it.
pub const LOCK_FILE: &str = ".comity.lock";

/// The checkpoint of a run in progress ([`crate::checkpoint`]): present only while a run is
/// unfinished, so that `--resume` can finish it.
pub const CHECKPOINT_FILE: &str = ".comity-checkpoint.json";

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("output folder {0} already exists and is not empty")]
    Refused(PathBuf),
    #[error("output folder {} holds an interrupted run: an earlier run into it stopped before it finished ({})", .dir.display(), .progress.clone().unwrap_or_else(|| format!("left {}", .partial.join(", "))))]
    Interrupted {
        dir: PathBuf,
        partial: Vec<String>,
        /// What the checkpoint says is done, when there is one.
        progress: Option<String>,
        /// The command that finishes it, when it left a checkpoint.
        resume: Option<String>,
    },
    #[error("output folder {} is in use by another comity process{}", .dir.display(), .pid.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Locked { dir: PathBuf, pid: Option<u32> },
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The lock on an output folder, held until dropped (and released by the operating system when
/// the process ends in any way, kill -9 included).
#[derive(Debug)]
pub struct DirLock {
    /// `None` where the filesystem cannot lock files (see `warning`).
    _file: Option<File>,
    /// Why the folder could not be locked, when the filesystem does not support locks: the
    /// run goes on without the one-writer guarantee and the caller says so.
    pub warning: Option<String>,
}

/// Locks `dir` (created if missing) for this process: refused at once, with the holder's pid,
/// when another process holds the lock.
pub fn lock_dir(dir: &Path) -> Result<DirLock, OutputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(LOCK_FILE);
    // Not truncated on open: the holder's pid must stay readable to the process refused.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let pid = file
                .read_to_string(&mut text)
                .ok()
                .and_then(|_| text.split_whitespace().next()?.parse().ok());
            return Err(OutputError::Locked {
                dir: dir.to_path_buf(),
                pid,
            });
        }
        Err(TryLockError::Error(e)) => {
            return Ok(DirLock {
                _file: None,
                warning: Some(format!(
                    "cannot lock {} ({e}): this filesystem does not lock files, so nothing stops a second comity process from writing into the same folder",
                    path.display()
                )),
            });
        }
    }
    file.set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .map_err(io(&path))?;
    Ok(DirLock {
        _file: Some(file),
        warning: None,
    })
}

/// Claims an output folder for `comity run` or `comity sweep`: locks it ([`lock_dir`]), then,
/// under the lock, refuses it if it is not empty, or with `force` removes comity's files
/// ([`OUTPUT_FILES`] and the checkpoint). The folder stays locked while the returned guard lives.
pub fn claim_dir(dir: &Path, force: bool) -> Result<DirLock, OutputError> {
    // A folder holding someone else's files is refused without leaving a lock file in it. This
    // early look can only refuse; the check that admits a folder is made under the lock.
    if !force && dir.is_dir() {
        let found = Survey::of(dir, OUTPUT_FILES)?;
        if found.foreign {
            return Err(OutputError::Refused(dir.to_path_buf()));
        }
    }
    let lock = lock_dir(dir)?;
    prepare_dir_for(dir, force, OUTPUT_FILES)?;
    Ok(lock)
}

/// What an existing output folder holds, the lock file aside.
struct Survey {
    /// Anything that is not one of comity's files or partial files.
    foreign: bool,
    /// Comity's hidden partial files, sorted.
    partial: Vec<String>,
    empty: bool,
}

impl Survey {
    fn of(dir: &Path, files: &[&str]) -> Result<Survey, OutputError> {
        let io = |source| OutputError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut survey = Survey {
            foreign: false,
            partial: Vec::new(),
            empty: true,
        };
        for entry in fs::read_dir(dir).map_err(io)? {
            let name = entry.map_err(io)?.file_name().to_string_lossy().into_owned();
            if name == LOCK_FILE {
                continue;
            }
            survey.empty = false;
            let partial = name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(".partial"))
                .is_some_and(|n| files.contains(&n) || n == CHECKPOINT_FILE)
                || name == CHECKPOINT_FILE;
            if partial {
                survey.partial.push(name);
            } else if !files.contains(&name.as_str()) {
                survey.foreign = true;
            }
        }
        survey.partial.sort();
        Ok(survey)
    }
}

/// Prepares the output folder: refuses a non-empty one unless `force`, in which
/// case comity's own files from an earlier run are removed (nothing else is touched).
pub fn prepare_dir(dir: &Path, force: bool) -> Result<(), OutputError> {
    prepare_dir_for(dir, force, OUTPUT_FILES)
}

/// [`prepare_dir`] for a command that writes `files`. The lock file does not count: an empty
/// folder that a run has locked is empty. A folder holding nothing but comity's files, some of
/// them hidden partial files, is an interrupted run ([`OutputError::Interrupted`]).
pub fn prepare_dir_for(dir: &Path, force: bool, files: &[&str]) -> Result<(), OutputError> {
    if !dir.exists() {
        return fs::create_dir_all(dir).map_err(|source| OutputError::Io {
            path: dir.to_path_buf(),
            source,
        });
    }
    let found = Survey::of(dir, files)?;
    if found.empty {
        return Ok(());
    }
    if !force {
        if !found.foreign && !found.partial.is_empty() {
            let checkpoint = crate::checkpoint::Checkpoint::read(dir).ok().flatten();
            return Err(OutputError::Interrupted {
                dir: dir.to_path_buf(),
                partial: found.partial,
                progress: checkpoint
                    .as_ref()
                    .map(|c| format!("{} of {} runs done", c.done, c.total)),
                resume: checkpoint.map(|c| c.resume_command()),
            });
        }
        return Err(OutputError::Refused(dir.to_path_buf()));
    }
    // Each of comity's files, and the hidden `.NAME.partial` an interrupted run leaves behind
    // ([`AtomicFile`]), so that a forced rerun never keeps a stale file of an earlier run.
    for name in files.iter().copied().chain([CHECKPOINT_FILE]) {
        for path in [dir.join(name), dir.join(format!(".{name}.partial"))] {
            match fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(OutputError::Io { path, source: e });
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// A file written under a temporary name and renamed into place on `commit`.
pub struct AtomicFile {
    tmp: PathBuf,
    path: PathBuf,
    writer: BufWriter<File>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile, OutputError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.partial"));
        let file = File::create(&tmp).map_err(|source| OutputError::Io {
            path: tmp.clone(),
            source,
        })?;
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Reopens the partial file an interrupted run left for `path`, cut back to `len` bytes
    /// (what its checkpoint vouches for), to go on writing at its end.
    pub fn reopen(path: &Path, len: u64) -> Result<AtomicFile, OutputError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.partial"));
        let io = |source| OutputError::Io {
            path: tmp.clone(),
            source,
        };
        let mut file = OpenOptions::new().write(true).open(&tmp).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size < len {
            return Err(io(std::io::Error::other(format!(
                "it holds {size} bytes, fewer than the {len} its checkpoint vouches for: start over with --force"
            ))));
        }
        file.set_len(len)
            .and_then(|_| file.seek(std::io::SeekFrom::End(0)).map(|_| ()))
            .map_err(io)?;
        Ok(AtomicFile {
            tmp: tmp.clone(),
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        })
    }

    /// Syncs the partial file (whose buffer the caller has flushed) and returns its length.
    fn synced_len(&self) -> std::io::Result<u64> {
        let file = self.writer.get_ref();
        file.sync_data()?;
        Ok(file.metadata()?.len())
    }

    /// Flushes what is buffered to the disk and returns the partial file's length.
    pub fn sync(&mut self) -> std::io::Result<u64> {
        self.writer.flush()?;
        let file = self.writer.get_ref();
        file.sync_data()?;
        Ok(file.metadata()?.len())
    }

    /// Removes the partial file instead of committing it.
    pub fn discard(self) -> Result<(), OutputError> {
        let AtomicFile { tmp, writer, .. } = self;
        drop(writer);
        fs::remove_file(&tmp).map_err(|source| OutputError::Io { path: tmp, source })
    }

    pub fn commit(self) -> Result<(), OutputError> {
        let AtomicFile { tmp, path, writer } = self;
        let file = writer.into_inner().map_err(|e| OutputError::Io {
            path: tmp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(|source| OutputError::Io {
            path: tmp.clone(),
            source,
        })?;
        fs::rename(&tmp, &path).map_err(|source| OutputError::Io { path, source })
    }
}

/// Formats a number for CSV: shortest round-trip form (scientific below 1e-5 and from 1e16 in
/// magnitude); empty for undefined.
pub fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => {
            if v == 0.0 {
                "0".to_string()
            } else if v.abs() < 1e-5 || v.abs() >= 1e16 {
                // Scientific notation for very small and very large values: plain decimals of a
                // p-value such as 1.45e-155 run to 155 digits, and some readers (R's readr) keep
                // only about 18 of them and read 0.
                format!("{v:e}")
            } else {
                format!("{v}")
            }
        }
        _ => String::new(),
    }
}

fn csv_io(path: &Path) -> impl Fn(csv::Error) -> OutputError + '_ {
    move |e| OutputError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// Flushes a CSV writer and renames its file into place.
pub fn commit_csv(w: csv::Writer<AtomicFile>, path: &Path) -> Result<(), OutputError> {
    let file = w.into_inner().map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    file.commit()
}

/// The summary columns of a cell of `timeseries.csv` and `pairs.csv` ([`SUMMARY_COLUMNS`]).
fn summary_cells(cell: &crate::stats::Summary) -> [String; SUMMARY_COLUMNS.len()] {
    [
        cell.n().to_string(),
        num(cell.mean()),
        num(cell.sd()),
        num(cell.quantile(0.05)),
        num(cell.quantile(0.5)),
        num(cell.quantile(0.95)),
    ]
}

/// The `runs_at.csv` writer and the (year, last tick of that year) pairs it writes.
type YearWriter = (csv::Writer<AtomicFile>, Vec<(i64, usize)>);

/// Streams `runs.csv` (and `disputes.csv` when asked) as chunks of runs finish.
pub struct RunWriters {
    /// A sweep's files start with a `point` column.
    sweep: bool,
    runs: csv::Writer<AtomicFile>,
    disputes: Option<csv::Writer<AtomicFile>>,
    /// `runs_at.csv` and the (year, last tick of that year) pairs it holds.
    runs_at: Option<YearWriter>,
    runs_path: PathBuf,
    disputes_path: PathBuf,
    runs_at_path: PathBuf,
    /// `dyad_years.csv` (`--dyad-years`).
    dyad_years: Option<DyadYearsWriter>,
    /// `panels.bin`: each run's metric panel ([`crate::shard`]), for a shard's part or a
    /// checkpoint.
    panels: Option<AtomicFile>,
    panels_path: PathBuf,
}

/// The byte lengths of a run's partial files at a checkpoint, by file name.
pub type FileLengths = std::collections::BTreeMap<String, u64>;

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl RunWriters {
    /// `years`: the calendar years whose per-run values go to `runs_at.csv` (none: no file).
    pub fn create(dir: &Path, prepared: &Prepared, record: Record, years: &[i64]) -> Result<RunWriters, OutputError> {
        Self::open(dir, prepared, record, years, false, false, None)
    }

    /// [`RunWriters::create`]; `sweep`: every file starts with a `point` column.
    pub fn create_for(
        dir: &Path,
        prepared: &Prepared,
        record_disputes: bool,
        years: &[i64],
        sweep: bool,
    ) -> Result<RunWriters, OutputError> {
        let record = Record {
            disputes: record_disputes,
            dyad_years: false,
        };
        Self::open(dir, prepared, record, years, sweep, false, None)
    }

    /// [`RunWriters::create`] that also writes every run's panel to `panels.bin` (a shard's
    /// part, or the checkpoint of a run that can be resumed).
    pub fn create_with_panels(
        dir: &Path,
        prepared: &Prepared,
        record: Record,
        years: &[i64],
    ) -> Result<RunWriters, OutputError> {
        Self::open(dir, prepared, record, years, false, true, None)
    }

    /// Reopens the partial files of an interrupted run at the lengths its checkpoint vouches for.
    pub fn resume(
        dir: &Path,
        prepared: &Prepared,
        record: Record,
        years: &[i64],
        lengths: &FileLengths,
    ) -> Result<RunWriters, OutputError> {
        Self::open(dir, prepared, record, years, false, true, Some(lengths))
    }

    fn open(
        dir: &Path,
        prepared: &Prepared,
        record: Record,
        years: &[i64],
        sweep: bool,
        panels: bool,
        resume: Option<&FileLengths>,
    ) -> Result<RunWriters, OutputError> {
        // A new file with its header, or the interrupted run's partial file cut back to its
        // checkpoint (its header is already there).
        let start = |path: &Path, header: Vec<String>| -> Result<csv::Writer<AtomicFile>, OutputError> {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            match resume {
                Some(lengths) => {
                    let len = *lengths.get(&name).ok_or_else(|| OutputError::Io {
                        path: path.to_path_buf(),
                        source: std::io::Error::other(
                            "the checkpoint does not mention this file: start over with --force",
                        ),
                    })?;
                    Ok(csv::Writer::from_writer(AtomicFile::reopen(path, len)?))
                }
                None => {
                    let mut w = csv::Writer::from_writer(AtomicFile::create(path)?);
                    w.write_record(&header).map_err(csv_io(path))?;
                    Ok(w)
                }
            }
        };
        let lead = |rest: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = if sweep { vec![POINT.into()] } else { vec![] };
            v.extend(rest.iter().map(|s| s.to_string()));
            v
        };
        let runs_at_path = dir.join(RUNS_AT);
        let runs_at = if years.is_empty() {
            None
        } else {
            let cal = &prepared.scenario.calendar;
            let ticks: Vec<(i64, usize)> = years
                .iter()
                .filter_map(|&y| {
                    (0..cal.n_ticks())
                        .rev()
                        .find(|&t| cal.month_of(t).year() == y)
                        .map(|t| (y, t as usize))
                })
                .collect();
            let mut header = lead(&RUNS_AT_KEY);
            header.extend(at_columns(prepared));
            Some((start(&runs_at_path, header)?, ticks))
        };
        let runs_path = dir.join(RUNS);
        let disputes_path = dir.join(DISPUTES);
        let mut header = lead(&RUNS_KEY);
        header.extend(run_columns(prepared));
        let runs = start(&runs_path, header)?;
        let disputes = if record.disputes {
            Some(start(&disputes_path, lead(&DISPUTES_COLUMNS))?)
        } else {
            None
        };
        let dyad_years = if record.dyad_years {
            let path = dir.join(DYAD_YEARS);
            let w = start(&path, lead(&DYAD_YEARS_COLUMNS))?;
            Some(DyadYearsWriter::new(w, path, prepared)?)
        } else {
            None
        };
        let panels_path = dir.join(PANELS);
        let panels = if !panels {
            None
        } else if let Some(lengths) = resume {
            let len = *lengths.get(PANELS).ok_or_else(|| OutputError::Io {
                path: panels_path.clone(),
                source: std::io::Error::other("the checkpoint does not mention this file: start over with --force"),
            })?;
            Some(AtomicFile::reopen(&panels_path, len)?)
        } else {
            let mut f = AtomicFile::create(&panels_path)?;
            crate::shard::write_panels_header(f.writer(), crate::montecarlo::cells(prepared)).map_err(|source| {
                OutputError::Io {
                    path: panels_path.clone(),
                    source,
                }
            })?;
            Some(f)
        };
        Ok(RunWriters {
            sweep,
            runs,
            disputes,
            runs_at,
            runs_path,
            disputes_path,
            runs_at_path,
            dyad_years,
            panels,
            panels_path,
        })
    }

    /// Flushes every partial file to the disk and returns their lengths (for a checkpoint).
    pub fn sync(&mut self) -> Result<FileLengths, OutputError> {
        let mut out = FileLengths::new();
        let mut one = |w: &mut csv::Writer<AtomicFile>, path: &Path| -> Result<(), OutputError> {
            let io = |source| OutputError::Io {
                path: path.to_path_buf(),
                source,
            };
            w.flush().map_err(io)?;
            // csv's writer hands out only a shared reference; the file's own buffer is empty
            // after the flush above, so its length is read through a fresh handle.
            let len = w.get_ref().synced_len().map_err(io)?;
            out.insert(file_name(path), len);
            Ok(())
        };
        one(&mut self.runs, &self.runs_path)?;
        if let Some(w) = &mut self.disputes {
            one(w, &self.disputes_path)?;
        }
        if let Some((w, _)) = &mut self.runs_at {
            one(w, &self.runs_at_path)?;
        }
        if let Some(d) = &mut self.dyad_years {
            out.insert(DYAD_YEARS.into(), d.sync()?);
        }
        if let Some(p) = &mut self.panels {
            let len = p.sync().map_err(|source| OutputError::Io {
                path: self.panels_path.clone(),
                source,
            })?;
            out.insert(PANELS.into(), len);
        }
        Ok(out)
    }

    /// Appends the panels of finished runs of lens `lens` (its index) to `panels.bin`, when kept.
    pub fn write_panels(&mut self, lens: usize, results: &[RunResult]) -> std::io::Result<()> {
        if let Some(p) = &mut self.panels {
            for r in results {
                crate::shard::write_panel(p.writer(), lens as u32, r.run, &[&r.metrics, &r.pairs])?;
            }
        }
        Ok(())
    }

    /// Commits the files; `panels.bin` is kept when `keep_panels` (a shard's part) and
    /// removed otherwise (it was the checkpoint of a run).
    pub fn finish_keeping_panels(mut self, keep_panels: bool) -> Result<(), OutputError> {
        if let Some(p) = self.panels.take() {
            if keep_panels {
                p.commit()?;
            } else {
                p.discard()?;
            }
        }
        self.commit_csvs()
    }

    /// Commits the files (a `panels.bin` kept as a checkpoint is removed).
    pub fn finish(self) -> Result<(), OutputError> {
        self.finish_keeping_panels(false)
    }

    fn commit_csvs(self) -> Result<(), OutputError> {
        let finish = commit_csv;
        finish(self.runs, &self.runs_path)?;
        if let Some(d) = self.disputes {
            finish(d, &self.disputes_path)?;
        }
        if let Some((w, _)) = self.runs_at {
            finish(w, &self.runs_at_path)?;
        }
        if let Some(d) = self.dyad_years {
            d.w.commit()?;
        }
        Ok(())
    }
}

impl Sink for RunWriters {
    fn chunk(&mut self, lens: usize, name: &str, prepared: &Prepared, results: &[RunResult]) -> std::io::Result<()> {
        self.write_runs(None, name, prepared, results)?;
        self.write_panels(lens, results)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

impl RunWriters {
    /// Writes the rows of finished runs; `point`: the sweep point they belong to.
    pub fn write_runs(
        &mut self,
        point: Option<usize>,
        lens: &str,
        prepared: &Prepared,
        results: &[RunResult],
    ) -> std::io::Result<()> {
        debug_assert_eq!(point.is_some(), self.sweep);
        let s = &prepared.scenario;
        let lead: Vec<String> = point.map(|p| p.to_string()).into_iter().collect();
        for r in results {
            let mut row = lead.clone();
            row.extend([lens.to_string(), r.run.to_string()]);
            row.extend(summarise_run(prepared, r).into_iter().map(num));
            self.runs.write_record(&row).map_err(std::io::Error::other)?;
            if let Some((w, ticks)) = &mut self.runs_at {
                let width = prepared.slots() * METRICS.len();
                for &(year, tick) in ticks.iter() {
                    let mut row = lead.clone();
                    row.extend([lens.to_string(), r.run.to_string(), year.to_string()]);
                    let pw = prepared.scenario.pairs.len() * crate::sim::metrics::PAIR_METRICS.len();
                    row.extend(
                        r.metrics[tick * width..(tick + 1) * width]
                            .iter()
                            .chain(&r.pairs[tick * pw..(tick + 1) * pw])
                            .map(|&x| num(Some(x))),
                    );
                    w.write_record(&row).map_err(std::io::Error::other)?;
                }
            }
            if let Some(w) = &mut self.disputes {
                for (k, d) in r.disputes.iter().enumerate() {
                    let ccode = |i: usize| s.states[i].ccode.map(|c| c.to_string()).unwrap_or_default();
                    let joiners: Vec<&str> = d.joiners.iter().map(|&k| s.states[k].id.as_str()).collect();
                    let joiner_ccodes: Vec<String> = d.joiners.iter().map(|&k| ccode(k)).collect();
                    w.write_record(lead.iter().map(String::as_str).chain([
                        lens,
                        &r.run.to_string(),
                        &(k + 1).to_string(),
                        &d.tick.to_string(),
                        &s.calendar.label(d.tick),
                        &s.calendar.month_of(d.tick).year().to_string(),
                        &s.states[d.a].id,
                        &s.states[d.b].id,
                        &ccode(d.a),
                        &ccode(d.b),
                        &d.entry.to_string(),
                        &d.highest.to_string(),
                        &u8::from(d.reciprocated).to_string(),
                        &joiners.join(";"),
                        &joiner_ccodes.join(";"),
                        d.outcome.name(),
                        &d.outcome.mid_code().to_string(),
                        &d.outcome.settle().to_string(),
                        &u8::from(d.scripted).to_string(),
                    ]))
                    .map_err(std::io::Error::other)?;
                }
            }
            if let Some(w) = &mut self.dyad_years {
                w.write_run(lens, prepared, r)?;
            }
        }
        Ok(())
    }
}

/// Streams `dyad_years.csv`: every pair of every recorded year of the runs that recorded them
/// ([`crate::sim::dyadyears`]), in (lens, run, year, pair) order. The pairs are in the
/// peace-science order, fixed once: side 1 is the state with the lower COW code (the earlier
/// state in the scenario when a state has no code; states with a code come first), and pairs
/// are sorted by side 1, then side 2. Values are written in single precision (the shortest
/// text that reads back to the same `f32`: about 7 significant digits), which keeps the file
/// to about 200 bytes a row. Millions of rows: each is put together in one buffer (no field
/// needs quoting) and numbers are formatted with `ryu`.
struct DyadYearsWriter {
    w: AtomicFile,
    path: PathBuf,
    /// (side 1, side 2) of every pair, in row order.
    order: Vec<(usize, usize)>,
    /// Per state: `id,` and its COW code as text (empty when none).
    ids: Vec<String>,
    ccodes: Vec<String>,
    /// Per pair, in `order`: `contiguous`, `distance` and `shared_community` as text.
    fixed: Vec<[String; 3]>,
    /// The row being put together.
    line: Vec<u8>,
}

impl DyadYearsWriter {
    fn new(w: csv::Writer<AtomicFile>, path: PathBuf, prepared: &Prepared) -> Result<DyadYearsWriter, OutputError> {
        // The header (or, resuming, nothing) went through the csv writer; rows go straight on.
        let w = w.into_inner().map_err(|e| OutputError::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        let s = &prepared.scenario;
        let n = s.n_states();
        let key = |i: usize| match s.states[i].ccode {
            Some(c) => (0, c, i),
            None => (1, 0, i),
        };
        let mut order: Vec<(usize, usize)> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| if key(j) < key(i) { (j, i) } else { (i, j) })
            .collect();
        order.sort_by_key(|&(a, b)| (key(a), key(b)));
        let text32 = |x: f64| {
            let mut text = String::new();
            num32(&mut text, x as f32);
            text
        };
        let fixed = order
            .iter()
            .map(|&(a, b)| {
                let k = a * n + b;
                let shared = s
                    .communities
                    .iter()
                    .any(|c| c.members.contains(&a) && c.members.contains(&b));
                [
                    u8::from(s.dyads.contiguous[k]).to_string(),
                    text32(s.dyads.distance[k]),
                    u8::from(shared).to_string(),
                ]
            })
            .collect();
        Ok(DyadYearsWriter {
            w,
            path,
            order,
            ids: s.states.iter().map(|x| x.id.clone()).collect(),
            ccodes: s
                .states
                .iter()
                .map(|x| x.ccode.map(|c| c.to_string()).unwrap_or_default())
                .collect(),
            fixed,
            line: Vec::with_capacity(512),
        })
    }

    /// Writes the rows of one run (none when it recorded no dyad-years). Every row is written
    /// here, in one loop over the pairs: a filter of the pairs written is one line in it.
    fn write_run(&mut self, lens: &str, prepared: &Prepared, r: &RunResult) -> std::io::Result<()> {
        use crate::sim::dyadyears::pair_index;
        let n = prepared.scenario.n_states();
        let flag = |b: bool| if b { "1" } else { "0" };
        let run = r.run.to_string();
        let line = &mut self.line;
        let growing = prepared.scenario.has_entries_or_exits();
        for y in &r.dyad_years {
            let year = y.year.to_string();
            // A growing state system: the states present at the year's first step (as the
            // covariates are), none of an absent state's pairs.
            let present = if growing {
                prepared.scenario.present_at(y.tick)
            } else {
                Vec::new()
            };
            // What is per state this year, formatted once.
            let democracy: Vec<String> = y.democracy.iter().map(|&x| f32_text(x as f32)).collect();
            let cinc: Vec<String> = y.power.iter().map(|&x| f32_text(x as f32)).collect();
            for (&(a, b), fixed) in self.order.iter().zip(&self.fixed) {
                // Which pairs a year has is decided here, and only here: every pair of states
                // present that year.
                if growing && !(present[a] && present[b]) {
                    continue;
                }
                let (i, j) = (a.min(b), a.max(b));
                let p = &y.pairs[pair_index(n, i, j)];
                let (trust_12, trust_21) = if a < b {
                    (p.trust_ij, p.trust_ji)
                } else {
                    (p.trust_ji, p.trust_ij)
                };
                let low = if y.democracy[a] <= y.democracy[b] { a } else { b };
                let ratio = crate::sim::mechanisms::log_power_ratio(y.power[a], y.power[b]) as f32;
                line.clear();
                let mut text = |t: &str| {
                    line.extend_from_slice(t.as_bytes());
                    line.push(b',');
                };
                for t in [
                    lens,
                    &run,
                    &year,
                    &self.ids[a],
                    &self.ids[b],
                    &self.ccodes[a],
                    &self.ccodes[b],
                ] {
                    text(t);
                }
                text(flag(p.onset));
                text(LEVELS[usize::from(p.hostlev)]);
                text(&fixed[0]);
                text(flag(y.major[a] || y.major[b]));
                text(flag(p.ally));
                for x in [
                    p.shared_igos,
                    p.trade,
                    trust_12,
                    trust_21,
                    p.identity,
                    p.rivalry,
                    p.peace_years,
                ] {
                    push_f32(line, x);
                }
                let mut text = |t: &str| {
                    line.extend_from_slice(t.as_bytes());
                    line.push(b',');
                };
                text(flag(p.onset_naive));
                text(LEVELS[usize::from(p.hostlev_naive)]);
                text(flag(p.scripted));
                text(&fixed[1]);
                text(&democracy[a]);
                text(&democracy[b]);
                text(&democracy[low]);
                text(&cinc[a]);
                text(&cinc[b]);
                push_f32(line, ratio);
                push_f32(line, p.dependence);
                let mut text = |t: &str| {
                    line.extend_from_slice(t.as_bytes());
                    line.push(b',');
                };
                text(flag(p.kantian));
                text(&fixed[2]);
                // The last field ends the row.
                *line.last_mut().expect("a row has fields") = b'\n';
                self.w.write_all(line)?;
            }
        }
        Ok(())
    }

    /// Flushes to the disk and returns the partial file's length.
    fn sync(&mut self) -> Result<u64, OutputError> {
        self.w.sync().map_err(|source| OutputError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// A hostility level's text (0: none).
const LEVELS: [&str; 6] = ["0", "1", "2", "3", "4", "5"];

/// `x` as [`num32`] writes it.
fn f32_text(x: f32) -> String {
    let mut text = String::new();
    num32(&mut text, x);
    text
}

/// Appends `x` as [`num32`] writes it, and a comma.
fn push_f32(line: &mut Vec<u8>, x: f32) {
    let mut buf = ryu::Buffer::new();
    line.extend_from_slice(f32_str(x, &mut buf).as_bytes());
    line.push(b',');
}

/// Appends an `f32` as [`num`] writes a double: the shortest text that reads back to the same
/// `f32` (ryu's; where two are as short and as close, ryu's choice), in plain decimals from 1e-5
/// to 1e16 in magnitude and with an exponent outside; `0` for zero; empty when not finite.
pub fn num32(out: &mut String, x: f32) {
    let mut buf = ryu::Buffer::new();
    out.push_str(&f32_str(x, &mut buf));
}

fn f32_str(x: f32, buf: &mut ryu::Buffer) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let a = x.abs();
    if !x.is_finite() {
        Cow::Borrowed("")
    } else if x == 0.0 {
        Cow::Borrowed("0")
    } else if (1e-5..1e13).contains(&a) {
        // ryu writes plain decimals here, with a `.0` on whole numbers.
        let t = buf.format_finite(x);
        Cow::Borrowed(t.strip_suffix(".0").unwrap_or(t))
    } else if !(1e-5..1e16).contains(&a) {
        Cow::Owned(format!("{x:e}"))
    } else {
        Cow::Owned(format!("{x}"))
    }
}

/// Column names of `runs_at.csv` after `lens,run,year`: `<community>.<metric>` for every metric,
/// then `<pair>.<pair metric>` for every pair of interest.
pub fn at_columns(prepared: &Prepared) -> Vec<String> {
    let mut slots = vec!["system".to_string()];
    slots.extend(prepared.scenario.communities.iter().map(|c| c.id.clone()));
    let pairs = prepared.scenario.pairs.iter().flat_map(|p| {
        crate::sim::metrics::PAIR_METRICS
            .iter()
            .map(move |m| format!("{}.{m}", p.name))
    });
    slots
        .iter()
        .flat_map(|c| METRICS.iter().map(move |m| format!("{c}.{m}")))
        .chain(pairs)
        .collect()
}

/// Writes `pairs.csv`: one row per (lens, tick, pair, metric) of the scenario's pairs of
/// interest, summarised across runs like `timeseries.csv`. Nothing when there are no pairs.
pub fn write_pairs(dir: &Path, prepared: &Prepared, aggregates: &[LensAggregate]) -> Result<(), OutputError> {
    if let Some(mut w) = PairsWriter::create(dir, prepared)? {
        for agg in aggregates {
            w.write(prepared, agg)?;
        }
        w.finish()?;
    }
    Ok(())
}

/// Streams `pairs.csv`, one lens's aggregate at a time.
pub struct PairsWriter {
    w: csv::Writer<AtomicFile>,
    path: PathBuf,
}

impl PairsWriter {
    /// `None` when the scenario has no pairs of interest.
    pub fn create(dir: &Path, prepared: &Prepared) -> Result<Option<PairsWriter>, OutputError> {
        if prepared.scenario.pairs.is_empty() {
            return Ok(None);
        }
        let path = dir.join(PAIRS);
        let mut w = csv::Writer::from_writer(AtomicFile::create(&path)?);
        w.write_record(PAIRS_KEY.iter().chain(&SUMMARY_COLUMNS))
            .map_err(csv_io(&path))?;
        Ok(Some(PairsWriter { w, path }))
    }

    pub fn write(&mut self, prepared: &Prepared, agg: &LensAggregate) -> Result<(), OutputError> {
        let s = &prepared.scenario;
        let err = csv_io(&self.path);
        let pm = crate::sim::metrics::PAIR_METRICS.len();
        let base = crate::montecarlo::community_cells(prepared);
        for tick in 0..s.calendar.n_ticks() {
            let date = s.calendar.label(tick);
            let year = s.calendar.month_of(tick).year().to_string();
            for (k, pair) in s.pairs.iter().enumerate() {
                for (m, metric) in crate::sim::metrics::PAIR_METRICS.iter().enumerate() {
                    let cell = &agg.cells[base + (tick as usize * s.pairs.len() + k) * pm + m];
                    let lead = [
                        agg.lens.as_str(),
                        &tick.to_string(),
                        &date,
                        &year,
                        &pair.name,
                        &s.states[pair.a].id,
                        &s.states[pair.b].id,
                        metric,
                    ];
                    let summary = summary_cells(cell);
                    self.w
                        .write_record(lead.iter().copied().chain(summary.iter().map(String::as_str)))
                        .map_err(&err)?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<(), OutputError> {
        commit_csv(self.w, &self.path)
    }
}

/// Writes `timeseries.csv`: one row per (lens, tick, community, metric).
pub fn write_timeseries(dir: &Path, scenario: &Scenario, aggregates: &[LensAggregate]) -> Result<(), OutputError> {
    let mut w = TimeseriesWriter::create(dir, false)?;
    for agg in aggregates {
        w.write(scenario, None, agg)?;
    }
    w.finish()
}

/// Streams `timeseries.csv`, one aggregate at a time (a sweep writes each point's as it completes).
pub struct TimeseriesWriter {
    w: csv::Writer<AtomicFile>,
    path: PathBuf,
}

impl TimeseriesWriter {
    /// `sweep`: rows start with a `point` column.
    pub fn create(dir: &Path, sweep: bool) -> Result<TimeseriesWriter, OutputError> {
        let path = dir.join(TIMESERIES);
        let mut w = csv::Writer::from_writer(AtomicFile::create(&path)?);
        let header = sweep
            .then_some(POINT)
            .into_iter()
            .chain(TIMESERIES_KEY)
            .chain(SUMMARY_COLUMNS);
        w.write_record(header).map_err(csv_io(&path))?;
        Ok(TimeseriesWriter { w, path })
    }

    /// Writes one lens's (or one sweep point's) aggregate.
    pub fn write(&mut self, scenario: &Scenario, point: Option<usize>, agg: &LensAggregate) -> Result<(), OutputError> {
        let err = csv_io(&self.path);
        let mut slots = vec!["system"];
        slots.extend(scenario.communities.iter().map(|c| c.id.as_str()));
        let m = METRICS.len();
        let point = point.map(|p| p.to_string());
        for tick in 0..scenario.calendar.n_ticks() {
            let date = scenario.calendar.label(tick);
            let year = scenario.calendar.month_of(tick).year().to_string();
            for (slot, community) in slots.iter().enumerate() {
                for (k, metric) in METRICS.iter().enumerate() {
                    let cell = &agg.cells[(tick as usize * slots.len() + slot) * m + k];
                    let values = [agg.lens.as_str(), &tick.to_string(), &date, &year, community, metric];
                    let summary = summary_cells(cell);
                    self.w
                        .write_record(
                            point
                                .as_deref()
                                .into_iter()
                                .chain(values)
                                .chain(summary.iter().map(String::as_str)),
                        )
                        .map_err(&err)?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<(), OutputError> {
        commit_csv(self.w, &self.path)
    }
}

/// Writes `manifest.json` (last, so that its presence marks a complete output).
pub fn write_manifest(dir: &Path, manifest: &serde_json::Value) -> Result<(), OutputError> {
    let path = dir.join(MANIFEST);
    let mut f = AtomicFile::create(&path)?;
    let text = serde_json::to_string_pretty(manifest).expect("a JSON value always serializes");
    f.writer()
        .write_all(text.as_bytes())
        .and_then(|_| f.writer().write_all(b"\n"))
        .map_err(|source| OutputError::Io {
            path: path.clone(),
            source,
        })?;
    f.commit()
}

pub use crate::hash::sha256_hex;

/// UTC timestamp `YYYY-MM-DDTHH:MM:SSZ` of a system time (civil-from-days, Hinnant).
pub fn utc_timestamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_precision_numbers_are_shortest_and_read_back() {
        // Every 9973rd bit pattern of a positive and negative f32 (finite and not), and edges.
        let mut xs: Vec<f32> = (0..u32::MAX / 9973).map(|k| f32::from_bits(k * 9973)).collect();
        xs.extend(xs.clone().iter().map(|x| -x));
        xs.extend([
            0.0,
            -0.0,
            1.0,
            20.0,
            1e-5,
            9.99e-6,
            1e13,
            9.999e12,
            1e16,
            0.3,
            0.1 + 0.2,
            f32::MAX,
            f32::MIN_POSITIVE,
        ]);
        for x in xs {
            let mut line = Vec::new();
            push_f32(&mut line, x);
            let mut text = String::new();
            num32(&mut text, x);
            assert_eq!(String::from_utf8(line).unwrap(), format!("{text},"), "{x:e}");
            if x.is_finite() {
                assert_eq!(text.parse::<f32>().unwrap(), x, "{text} reads back");
                // As short as Rust's own shortest text (which may break a tie the other way).
                let std = if x == 0.0 {
                    "0".to_string()
                } else if x.abs() < 1e-5 || x.abs() >= 1e16 {
                    format!("{x:e}")
                } else {
                    format!("{x}")
                };
                assert_eq!(text.len(), std.len(), "{text} against {std}");
            }
        }
        let text = |x: f32| {
            let mut t = String::new();
            num32(&mut t, x);
            t
        };
        assert_eq!(text(0.85), "0.85");
        assert_eq!(text(20.0), "20");
        assert_eq!(text(2.5e-6), "2.5e-6");
        assert_eq!(text(-0.0), "0");
    }

    #[test]
    fn numbers_round_trip_and_tiny_ones_use_an_exponent() {
        assert_eq!(num(Some(0.25)), "0.25");
        assert_eq!(num(Some(-0.0)), "0");
        assert_eq!(num(Some(1.45e-155)), "1.45e-155");
        assert_eq!(num(Some(2.5e-6)), "2.5e-6");
        assert_eq!(num(Some(0.0001)), "0.0001");
        assert_eq!(num(Some(f64::NAN)), "");
        for x in [1.45e-155, 0.123456789012345, 7.0e20, -3.25e-9, 12.5] {
            assert_eq!(num(Some(x)).parse::<f64>().unwrap(), x, "{x} round-trips");
        }
    }

    #[test]
    fn timestamps() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        assert_eq!(utc_timestamp(t), "2026-11-18T11:06:40Z");
        assert_eq!(utc_timestamp(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn numbers() {
        assert_eq!(num(Some(0.25)), "0.25");
        assert_eq!(num(Some(-0.0)), "0");
        assert_eq!(num(Some(f64::NAN)), "");
        assert_eq!(num(None), "");
    }

    #[test]
    fn sha256_known_value() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
