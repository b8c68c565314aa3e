//! Reading the peace-science tables: `NAME.csv.gz` or `NAME.csv`, the asked columns of the
//! rows kept, every cell error naming file and line; and which year of a table to read.

use super::{ImportError, Result};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A table read from `NAME.csv.gz` or `NAME.csv`.
pub(crate) struct Table {
    pub path: PathBuf,
    /// (line in the file, the asked columns).
    pub rows: Vec<(u64, Vec<String>)>,
}

/// `NAME.csv.gz` or `NAME.csv` in `data`, opened (decompressed as it is read), if either exists.
fn open(data: &Path, name: &str) -> Result<Option<(PathBuf, Box<dyn Read>)>> {
    for candidate in [format!("{name}.csv.gz"), format!("{name}.csv")] {
        let path = data.join(&candidate);
        if path.exists() {
            let file = std::fs::File::open(&path)
                .map_err(|e| ImportError::Missing(format!("cannot open {}: {e}", path.display())))?;
            let reader: Box<dyn Read> = if candidate.ends_with(".gz") {
                Box::new(GzDecoder::new(file))
            } else {
                Box::new(file)
            };
            return Ok(Some((path, reader)));
        }
    }
    Ok(None)
}

/// Reads the rows of a table that `keep` accepts (given the row and a column lookup).
pub(crate) fn read(data: &Path, name: &str, columns: &[&str], keep: &dyn Fn(&[&str]) -> bool) -> Result<Option<Table>> {
    let Some((path, reader)) = open(data, name)? else {
        return Ok(None);
    };
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
    let file = path.display().to_string();
    let header: Vec<String> = r
        .headers()
        .map_err(|e| ImportError::Parse {
            file: file.clone(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(String::from)
        .collect();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            header.iter().position(|h| h == c).ok_or_else(|| ImportError::Parse {
                file: file.clone(),
                line: 1,
                message: format!(
                    "no column `{c}` (expected the peacesciencer layout: {})",
                    columns.join(", ")
                ),
            })
        })
        .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for record in r.records() {
        let record = record.map_err(|e| ImportError::Parse {
            file: file.clone(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let picked: Vec<&str> = idx.iter().map(|&i| record.get(i).unwrap_or("")).collect();
        if keep(&picked) {
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, picked.iter().map(|s| s.to_string()).collect()));
        }
    }
    Ok(Some(Table { path, rows }))
}

/// A number cell; `None` when empty or `NA`.
pub(crate) fn num(t: &Table, line: u64, s: &str, what: &str) -> Result<Option<f64>> {
    if s.is_empty() || s == "NA" {
        return Ok(None);
    }
    s.parse::<f64>().map(Some).map_err(|_| ImportError::Parse {
        file: t.path.display().to_string(),
        line,
        message: format!("{what}: \"{s}\" is not a number"),
    })
}

/// An integer cell, required.
pub(crate) fn int(t: &Table, line: u64, s: &str, what: &str) -> Result<i64> {
    num(t, line, s, what)?
        .map(|v| v as i64)
        .ok_or_else(|| ImportError::Parse {
            file: t.path.display().to_string(),
            line,
            message: format!("{what} is empty"),
        })
}

/// Year range of a year-indexed table (first column given must be the year).
pub(crate) fn year_range(data: &Path, name: &str, year_col: &str) -> Result<Option<(i64, i64)>> {
    let mut range: Option<(i64, i64)> = None;
    let Some(t) = read(data, name, &[year_col], &|_| true)? else {
        return Ok(None);
    };
    for (line, row) in &t.rows {
        let y = int(&t, *line, &row[0], year_col)?;
        range = Some(range.map_or((y, y), |(a, b)| (a.min(y), b.max(y))));
    }
    Ok(range)
}

/// The year to read from a table: `year` itself, or its nearest covered year.
pub(crate) fn pick_year(
    table: &str,
    range: (i64, i64),
    year: i64,
    allow_nearest: bool,
    notes: &mut Vec<String>,
) -> Result<i64> {
    let (first, last) = range;
    if (first..=last).contains(&year) {
        return Ok(year);
    }
    if allow_nearest {
        let used = year.clamp(first, last);
        notes.push(format!(
            "{table}: covers {first}-{last}; used {used} for {year} (--allow-nearest)"
        ));
        return Ok(used);
    }
    Err(ImportError::Coverage {
        table: table.to_string(),
        first,
        last,
        year,
        hint: format!("choose --year within {first}-{last}, or pass --allow-nearest to use each table's nearest year"),
    })
}

/// [`read`] of a table that [`year_range`] found: an error, not a panic, if it went away since.
pub(crate) fn read_found(data: &Path, name: &str, columns: &[&str], keep: &dyn Fn(&[&str]) -> bool) -> Result<Table> {
    read(data, name, columns, keep)?.ok_or_else(|| {
        ImportError::Missing(format!(
            "{name}.csv(.gz) went away from {} while it was read",
            data.display()
        ))
    })
}

/// The year to read from `name` when it exists: `year` or (with `allow_nearest`) its nearest
/// covered year, noted in `notes`; `None` without the table.
pub(crate) fn table_year(
    data: &Path,
    name: &str,
    year: i64,
    allow_nearest: bool,
    notes: &mut Vec<String>,
) -> Result<Option<i64>> {
    match year_range(data, name, "year")? {
        Some(range) => pick_year(name, range, year, allow_nearest, notes).map(Some),
        None => Ok(None),
    }
}
