//! The readers of an output folder's CSV files, shared by `compare`, `report` and
//! [`crate::sweep::SweepFolder`] (issue 14): the per-run files (`runs.csv`, `runs_at.csv`) and
//! the summary files (`timeseries.csv`, `pairs.csv`), of a `comity run` folder or, with a leading
//! `point` column, of a `comity sweep` folder.
//!
//! Every cell is checked in one place: a number is finite or the cell is empty (comity writes an
//! undefined value as an empty cell, so `NaN` or `inf` means the file was made or edited
//! elsewhere, and a reader that silently dropped it would mislead). An error names the file and,
//! for a cell, its line and column ([`FileError`]). Rows are visited one at a time, so a sweep's
//! large files are never held in memory by the reader.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use super::files::{
    PAIRS, PAIRS_KEY, POINT, RUNS, RUNS_AT, RUNS_AT_KEY, RUNS_KEY, SUMMARY_COLUMNS, TIMESERIES, TIMESERIES_KEY,
};

/// What is wrong with an output file: the message names the file (and, for a cell, its line and
/// column).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

const NOT_FINITE: &str = "is not a finite number (comity writes an undefined value as an empty cell; fix or empty it, or run the scenario again)";

/// A value cell: `None` when empty (an undefined value), else a finite number; `Err` says why not.
pub fn finite_cell(cell: &str) -> Result<Option<f64>, &'static str> {
    if cell.is_empty() {
        return Ok(None);
    }
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        Ok(_) => Err(NOT_FINITE),
        Err(_) => Err("is not a number"),
    }
}

/// The header of an open CSV file, and where it is.
struct Head {
    path: PathBuf,
    header: Vec<String>,
}

/// Opens a CSV file and reads its header.
fn open(path: &Path) -> Result<(Head, csv::Reader<File>), FileError> {
    let bad = |e: csv::Error| FileError(format!("cannot read {}: {e}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(bad)?;
    let header = reader.headers().map_err(bad)?.iter().map(String::from).collect();
    let head = Head {
        path: path.to_path_buf(),
        header,
    };
    Ok((head, reader))
}

/// Visits every record of `reader` with its line in the file.
fn records<E: From<FileError>>(
    reader: &mut csv::Reader<File>,
    path: &Path,
    mut f: impl FnMut(u64, &csv::StringRecord) -> Result<(), E>,
) -> Result<(), E> {
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => f(record.position().map_or(0, |p| p.line()), &record)?,
            Ok(false) => return Ok(()),
            Err(e) => return Err(FileError(format!("cannot read {}: {e}", path.display())).into()),
        }
    }
}

/// An integer key cell (`run`, `year`, `point`, `tick`, `n`).
fn integer<T: std::str::FromStr>(path: &Path, line: u64, column: &str, cell: &str) -> Result<T, FileError> {
    cell.parse().map_err(|_| {
        FileError(format!(
            "{} line {line}: {column} \"{cell}\" is not an integer",
            path.display()
        ))
    })
}

// ---------------------------------------------------------------- runs.csv, runs_at.csv

/// Which per-run file: `runs.csv` (key `lens,run`) or `runs_at.csv` (key `lens,run,year`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerRunFile {
    Runs,
    RunsAt,
}

impl PerRunFile {
    pub fn name(self) -> &'static str {
        match self {
            PerRunFile::Runs => RUNS,
            PerRunFile::RunsAt => RUNS_AT,
        }
    }

    fn key(self) -> &'static [&'static str] {
        match self {
            PerRunFile::Runs => &RUNS_KEY,
            PerRunFile::RunsAt => &RUNS_AT_KEY,
        }
    }
}

/// A per-run file opened for reading: its header checked, its rows visited by [`PerRun::each`].
pub struct PerRun {
    head: Head,
    reader: csv::Reader<File>,
    file: PerRunFile,
    sweep: bool,
    /// Key columns before the values.
    keys: usize,
}

/// One row of a per-run file; its values are parsed when asked for.
pub struct RunRow<'a> {
    pub line: u64,
    /// A sweep's point.
    pub point: Option<u64>,
    pub lens: &'a str,
    pub run: u64,
    /// `runs_at.csv`'s year.
    pub year: Option<i64>,
    record: &'a csv::StringRecord,
    head: &'a Head,
    keys: usize,
}

impl PerRun {
    /// Opens `path` as `file`; a sweep's file (a leading `point` column) is recognised.
    pub fn open(path: &Path, file: PerRunFile) -> Result<PerRun, FileError> {
        let (head, reader) = open(path)?;
        let sweep = head.header.first().map(String::as_str) == Some(POINT);
        let key = file.key();
        let lead = usize::from(sweep);
        let keys = lead + key.len();
        if head.header.len() <= keys || head.header[lead..keys] != *key {
            return Err(FileError(format!(
                "{} is not a comity {} (its header must start with {})",
                path.display(),
                file.name(),
                key.join(",")
            )));
        }
        Ok(PerRun {
            head,
            reader,
            file,
            sweep,
            keys,
        })
    }

    /// Whether the file belongs to a sweep (its rows start with `point`).
    pub fn is_sweep(&self) -> bool {
        self.sweep
    }

    pub fn path(&self) -> &Path {
        &self.head.path
    }

    /// The value columns (`west.cohesion`, ...), after the key.
    pub fn columns(&self) -> &[String] {
        &self.head.header[self.keys..]
    }

    /// The index among [`PerRun::columns`] of `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns().iter().position(|c| c == name)
    }

    /// Visits every row in file order.
    pub fn each<E: From<FileError>>(mut self, mut f: impl FnMut(&RunRow<'_>) -> Result<(), E>) -> Result<(), E> {
        let (head, sweep, file, keys) = (&self.head, self.sweep, self.file, self.keys);
        let path = head.path.as_path();
        records(&mut self.reader, path, |line, record| {
            let cell = |k: usize| record.get(k).unwrap_or("");
            let lead = usize::from(sweep);
            let row = RunRow {
                line,
                point: if sweep {
                    Some(integer(path, line, POINT, cell(0))?)
                } else {
                    None
                },
                lens: cell(lead),
                run: integer(path, line, "run", cell(lead + 1))?,
                year: match file {
                    PerRunFile::RunsAt => Some(integer(path, line, "year", cell(lead + 2))?),
                    PerRunFile::Runs => None,
                },
                record,
                head,
                keys,
            };
            f(&row)
        })
    }

    /// The rows of a `comity run` folder's file in memory: (lens, year) -> run -> values (the
    /// year is `None` in `runs.csv`).
    pub fn by_run(self) -> Result<ByRun, FileError> {
        if self.sweep {
            return Err(FileError(format!(
                "{} belongs to a sweep: its rows are per point",
                self.path().display()
            )));
        }
        let columns = self.columns().to_vec();
        let mut rows: BTreeMap<(String, Option<i64>), Runs> = BTreeMap::new();
        self.each(|row: &RunRow<'_>| -> Result<(), FileError> {
            rows.entry((row.lens.to_string(), row.year))
                .or_default()
                .insert(row.run, row.values()?);
            Ok(())
        })?;
        Ok(ByRun { columns, rows })
    }
}

impl RunRow<'_> {
    /// The value of column `k` of [`PerRun::columns`].
    pub fn value(&self, k: usize) -> Result<Option<f64>, FileError> {
        let cell = self.record.get(self.keys + k).unwrap_or("");
        finite_cell(cell).map_err(|why| {
            FileError(format!(
                "{} line {}, column {}: \"{cell}\" {why}",
                self.head.path.display(),
                self.line,
                self.head.header.get(self.keys + k).map_or("?", String::as_str)
            ))
        })
    }

    /// Every value of the row.
    pub fn values(&self) -> Result<Vec<Option<f64>>, FileError> {
        (0..self.head.header.len() - self.keys).map(|k| self.value(k)).collect()
    }
}

/// A `comity run` folder's per-run file in memory.
#[derive(Clone, Debug, Default)]
pub struct ByRun {
    /// The value columns.
    pub columns: Vec<String>,
    /// (lens, year) -> run -> values.
    pub rows: BTreeMap<(String, Option<i64>), Runs>,
}

/// run -> values of one lens (and year); `None` is an empty cell.
pub type Runs = BTreeMap<u64, Vec<Option<f64>>>;

/// lens -> run -> values of `runs.csv`.
pub type LensRuns = BTreeMap<String, Runs>;

impl ByRun {
    /// The rows by lens (`runs.csv`, whose rows have no year).
    pub fn by_lens(self) -> LensRuns {
        self.rows.into_iter().map(|((lens, _), runs)| (lens, runs)).collect()
    }
}

// ---------------------------------------------------------------- timeseries.csv, pairs.csv

/// Which summary file: `timeseries.csv` (rows per community) or `pairs.csv` (rows per pair of
/// interest, with its two states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryFile {
    Timeseries,
    Pairs,
}

impl SummaryFile {
    pub fn name(self) -> &'static str {
        match self {
            SummaryFile::Timeseries => TIMESERIES,
            SummaryFile::Pairs => PAIRS,
        }
    }

    /// The key of a row: [`TIMESERIES_KEY`] or [`PAIRS_KEY`].
    pub fn key(self) -> &'static [&'static str] {
        match self {
            SummaryFile::Timeseries => &TIMESERIES_KEY,
            SummaryFile::Pairs => &PAIRS_KEY,
        }
    }

    /// The column a row's group is in: `community` or `pair`.
    pub fn group(self) -> &'static str {
        self.key()[4]
    }
}

/// One row of a summary file: a cell summarised across runs.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow<'a> {
    pub line: u64,
    /// A sweep's point.
    pub point: Option<u64>,
    pub lens: &'a str,
    pub tick: u64,
    /// The tick's label: `2017`, `2017-Q2`, `2017-04`.
    pub date: &'a str,
    pub year: i64,
    /// The community (`timeseries.csv`, `system` for the whole world) or the pair (`pairs.csv`).
    pub group: &'a str,
    /// `pairs.csv`: the pair's two states.
    pub states: Option<(&'a str, &'a str)>,
    pub metric: &'a str,
    /// Runs with a value.
    pub n: u64,
    /// `None`: undefined (no run had a value, or too few for an sd).
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub p05: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
}

/// A summary file opened for reading: its columns found, its rows visited by [`Summaries::each`].
pub struct Summaries {
    head: Head,
    reader: csv::Reader<File>,
    sweep: bool,
    /// Indices of lens, tick, date, year, group, metric, then [`SUMMARY_COLUMNS`].
    at: [usize; 12],
    /// `pairs.csv`: indices of `state_a` and `state_b`.
    states: Option<(usize, usize)>,
}

impl Summaries {
    /// Opens `path` as `file`; a sweep's file (a leading `point` column) is recognised.
    pub fn open(path: &Path, file: SummaryFile) -> Result<Summaries, FileError> {
        let (head, reader) = open(path)?;
        let col = |name: &str| {
            head.header.iter().position(|h| h == name).ok_or_else(|| {
                FileError(format!(
                    "{} is not a comity {} (no column `{name}`)",
                    path.display(),
                    file.name()
                ))
            })
        };
        let mut at = [0; 12];
        // lens, tick, date, year, the group and metric: the key but for pairs.csv's two states.
        let key = file.key();
        let names = [key[0], key[1], key[2], key[3], file.group(), key[key.len() - 1]];
        for (k, name) in names.into_iter().chain(SUMMARY_COLUMNS).enumerate() {
            at[k] = col(name)?;
        }
        let states = match file {
            SummaryFile::Pairs => Some((col(PAIRS_KEY[5])?, col(PAIRS_KEY[6])?)),
            SummaryFile::Timeseries => None,
        };
        let sweep = head.header.first().map(String::as_str) == Some(POINT);
        Ok(Summaries {
            head,
            reader,
            sweep,
            at,
            states,
        })
    }

    pub fn path(&self) -> &Path {
        &self.head.path
    }

    /// Visits every row in file order (lens by lens, tick by tick).
    pub fn each<E: From<FileError>>(mut self, mut f: impl FnMut(&SummaryRow<'_>) -> Result<(), E>) -> Result<(), E> {
        let (head, sweep, at, states) = (&self.head, self.sweep, self.at, self.states);
        let path = head.path.as_path();
        records(&mut self.reader, path, |line, record| {
            let cell = |k: usize| record.get(k).unwrap_or("");
            let number = |k: usize| {
                let c = cell(at[k]);
                finite_cell(c).map_err(|why| {
                    FileError(format!(
                        "{}, line {line}, column `{}`: `{c}` {why}",
                        path.display(),
                        head.header[at[k]]
                    ))
                })
            };
            let row = SummaryRow {
                line,
                point: if sweep {
                    Some(integer(path, line, POINT, cell(0))?)
                } else {
                    None
                },
                lens: cell(at[0]),
                tick: integer(path, line, "tick", cell(at[1]))?,
                date: cell(at[2]),
                year: integer(path, line, "year", cell(at[3]))?,
                group: cell(at[4]),
                states: states.map(|(a, b)| (cell(a), cell(b))),
                metric: cell(at[5]),
                n: integer(path, line, "n", cell(at[6]))?,
                mean: number(7)?,
                sd: number(8)?,
                p05: number(9)?,
                p50: number(10)?,
                p95: number(11)?,
            };
            f(&row)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn per_run_rows_read_and_bad_cells_are_named() {
        let f = file("lens,run,west.cohesion,west.disputes\nrealist,0,0.5,\nrealist,1,0.25,2\n");
        let t = PerRun::open(f.path(), PerRunFile::Runs).unwrap();
        assert!(!t.is_sweep());
        assert_eq!(t.columns(), ["west.cohesion", "west.disputes"]);
        let by = t.by_run().unwrap();
        let runs = &by.rows[&("realist".to_string(), None)];
        assert_eq!(runs[&0], vec![Some(0.5), None]);
        assert_eq!(runs[&1], vec![Some(0.25), Some(2.0)]);

        let f = file("lens,run,west.cohesion\nrealist,0,0.5\nrealist,1,NaN\n");
        let err = PerRun::open(f.path(), PerRunFile::Runs)
            .unwrap()
            .by_run()
            .unwrap_err()
            .0;
        assert!(
            err.contains("line 3, column west.cohesion: \"NaN\" is not a finite number"),
            "{err}"
        );
        let f = file("lens,run,west.cohesion\nrealist,x,0.5\n");
        let err = PerRun::open(f.path(), PerRunFile::Runs)
            .unwrap()
            .by_run()
            .unwrap_err()
            .0;
        assert!(err.contains("line 2: run \"x\" is not an integer"), "{err}");
        let f = file("lens,year,west.cohesion\n");
        let err = PerRun::open(f.path(), PerRunFile::Runs).err().unwrap().0;
        assert!(
            err.contains("is not a comity runs.csv (its header must start with lens,run)"),
            "{err}"
        );
    }

    #[test]
    fn a_sweeps_per_run_file_has_points() {
        let f = file("point,lens,run,year,system.cohesion\n3,realist,1,2005,0.75\n");
        let t = PerRun::open(f.path(), PerRunFile::RunsAt).unwrap();
        assert!(t.is_sweep());
        let mut seen = Vec::new();
        t.each(|r: &RunRow<'_>| -> Result<(), FileError> {
            seen.push((r.point, r.lens.to_string(), r.run, r.year, r.value(0)?));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![(Some(3), "realist".to_string(), 1, Some(2005), Some(0.75))]);
        let t = PerRun::open(f.path(), PerRunFile::RunsAt).unwrap();
        assert!(t.by_run().unwrap_err().0.contains("belongs to a sweep"));
    }

    #[test]
    fn summary_rows_read_and_bad_cells_are_named() {
        let f = file(
            "lens,tick,date,year,pair,state_a,state_b,metric,n,mean,sd,p05,p50,p95\n\
             realist,0,2000,2000,A-B,A,B,trust_ab,20,0.5,0.1,0.3,0.5,0.7\n\
             realist,1,2001,2001,A-B,A,B,trust_ab,0,,,,,\n",
        );
        let mut rows = Vec::new();
        Summaries::open(f.path(), SummaryFile::Pairs)
            .unwrap()
            .each(|r: &SummaryRow<'_>| -> Result<(), FileError> {
                rows.push((
                    r.line,
                    r.year,
                    r.group.to_string(),
                    r.states.map(|(a, b)| format!("{a}{b}")),
                    r.n,
                    r.mean,
                ));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            rows,
            vec![
                (2, 2000, "A-B".to_string(), Some("AB".to_string()), 20, Some(0.5)),
                (3, 2001, "A-B".to_string(), Some("AB".to_string()), 0, None)
            ]
        );
        let f = file(
            "lens,tick,date,year,community,metric,n,mean,sd,p05,p50,p95\nrealist,0,2000,2000,system,cohesion,2,inf,,,,\n",
        );
        let err = Summaries::open(f.path(), SummaryFile::Timeseries)
            .unwrap()
            .each(|_: &SummaryRow<'_>| -> Result<(), FileError> { Ok(()) })
            .unwrap_err()
            .0;
        assert!(
            err.contains("line 2, column `mean`: `inf` is not a finite number"),
            "{err}"
        );
        let err = Summaries::open(f.path(), SummaryFile::Pairs).err().unwrap().0;
        assert!(err.contains("is not a comity pairs.csv (no column `pair`)"), "{err}");
    }
}
