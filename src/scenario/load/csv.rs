//! `states_csv` and `dyads_csv`: reading a CSV input with located cells.

use super::{DyadIn, Loader, Result, StateIn, Val, loc};
use crate::scenario::error::{Loc, SourceFile};
use crate::scenario::limits::{self, ReadError};
use crate::scenario::raw::S;
use crate::suggest::closest;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The non-empty cells of each CSV row by column, with the row's location.
type CsvRows = Vec<(BTreeMap<String, Val<String>>, Loc)>;

const STATE_COLUMNS: &[&str] = &[
    "id",
    "name",
    "ccode",
    "power",
    "gdp",
    "democracy",
    "orientation",
    "major",
    "norms",
];
const DYAD_COLUMNS: &[&str] = &[
    "state_a",
    "state_b",
    "trust",
    "identity",
    "trust_ba",
    "identity_ba",
    "trade",
    "contiguous",
    "distance",
    "peace_years",
    "rivalry",
    "shared_igos",
];

impl Loader {
    /// Reads the CSV file `rel`, named in file `named_in` and relative to its folder `dir`.
    pub(super) fn read_csv(
        &mut self,
        (named_in, dir, rel): (usize, &Path, &S<String>),
        columns: &[&str],
        required: &[&str],
    ) -> Result<CsvRows> {
        let path = dir.join(rel.get_ref());
        let text = limits::read_text(&path, limits::MAX_CSV_BYTES).map_err(|e| {
            let (label, help) = match &e {
                ReadError::TooLarge { .. } => (
                    "file too large",
                    format!(
                        "a CSV input is at most {} MiB (docs/reliability.md)",
                        limits::MAX_CSV_BYTES >> 20
                    ),
                ),
                ReadError::NotText => ("not text", "a CSV input is UTF-8 text".into()),
                _ => (
                    "file not readable",
                    "CSV paths are relative to the scenario file's folder".into(),
                ),
            };
            self.err(
                &loc(named_in, rel),
                format!("cannot read {}: {e}", path.display()),
                label,
                Some(help),
            )
        })?;
        let src = self.files.len();
        self.files.push(SourceFile {
            path: path.display().to_string(),
            text: Arc::new(text),
        });
        let file = self.files[src].clone();
        let line_span = |byte: usize| {
            let end = file.text[byte..].find('\n').map_or(file.text.len(), |i| byte + i);
            let end = if end > byte && file.text.as_bytes()[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            byte..end
        };
        // The header is the first line that is neither blank nor a `#` comment.
        let mut header_byte = 0;
        for line in file.text.split_inclusive('\n') {
            let t = line.trim();
            if !t.is_empty() && !t.starts_with('#') {
                break;
            }
            header_byte += line.len();
        }
        let header_byte = header_byte.min(file.text.len());
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .from_reader(file.text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| {
                self.err(
                    &Loc {
                        src,
                        span: line_span(header_byte),
                    },
                    format!("cannot read the CSV header: {e}"),
                    "header",
                    None,
                )
            })?
            .clone();
        let header_loc = Loc {
            src,
            span: line_span(header_byte),
        };
        for h in headers.iter() {
            if !columns.contains(&h) {
                let hint = match closest(h, columns.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? columns: {}", columns.join(", ")),
                    None => format!("columns: {}", columns.join(", ")),
                };
                return Err(self.err(
                    &header_loc,
                    format!("unknown column `{h}`"),
                    "in this header",
                    Some(hint),
                ));
            }
        }
        for r in required {
            if !headers.iter().any(|h| h == *r) {
                return Err(self.err(
                    &header_loc,
                    format!("missing required column `{r}`"),
                    "in this header",
                    Some(format!("columns: {}", columns.join(", "))),
                ));
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let byte = e.position().map_or(0, |p| p.byte() as usize);
                self.err(
                    &Loc {
                        src,
                        span: line_span(byte),
                    },
                    format!("malformed CSV row: {e}"),
                    "this row",
                    None,
                )
            })?;
            let byte = record.position().map_or(0, |p| p.byte() as usize);
            let row_loc = Loc {
                src,
                span: line_span(byte),
            };
            let mut map = BTreeMap::new();
            for (h, v) in headers.iter().zip(record.iter()) {
                if !v.is_empty() {
                    map.insert(
                        h.to_string(),
                        Val {
                            v: v.to_string(),
                            loc: row_loc.clone(),
                        },
                    );
                }
            }
            rows.push((map, row_loc));
        }
        Ok(rows)
    }

    pub(super) fn csv_number(&self, row: &BTreeMap<String, Val<String>>, col: &str) -> Result<Option<Val<f64>>> {
        let Some(cell) = row.get(col) else { return Ok(None) };
        cell.v
            .parse::<f64>()
            .map(|v| {
                Some(Val {
                    v,
                    loc: cell.loc.clone(),
                })
            })
            .map_err(|_| {
                self.err(
                    &cell.loc,
                    format!("column `{col}`: \"{}\" is not a number", cell.v),
                    "in this row",
                    None,
                )
            })
    }

    pub(super) fn csv_bool(&self, row: &BTreeMap<String, Val<String>>, col: &str) -> Result<Option<bool>> {
        let Some(cell) = row.get(col) else { return Ok(None) };
        match cell.v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(self.err(
                &cell.loc,
                format!("column `{col}`: \"{}\" is not true/false", cell.v),
                "in this row",
                Some("write true or false (or 1 / 0)".into()),
            )),
        }
    }

    pub(super) fn states_from_csv(&mut self, src: usize, dir: &Path, rel: &S<String>) -> Result<Vec<StateIn>> {
        let rows = self.read_csv((src, dir, rel), STATE_COLUMNS, &["id", "power"])?;
        let mut out = Vec::new();
        for (row, row_loc) in rows {
            let id = row
                .get("id")
                .cloned()
                .ok_or_else(|| self.err(&row_loc, "a state row needs an id", "empty id", None))?;
            let power = self
                .csv_number(&row, "power")?
                .ok_or_else(|| self.err(&row_loc, "a state row needs a power", "empty power", None))?;
            let ccode = match self.csv_number(&row, "ccode")? {
                // Within i64, as in the TOML: 1e308 would have been saved as i64::MAX without a word.
                Some(c) if c.v.fract() == 0.0 && c.v.abs() < 9.2e18 => Some(c.v as i64),
                Some(c) => return Err(self.err(&c.loc, "ccode must be an integer COW code", "not an integer", None)),
                None => None,
            };
            let norms = match row.get("norms") {
                None => None,
                Some(cell) => {
                    let parsed: std::result::Result<Vec<f64>, _> =
                        cell.v.split(';').map(|x| x.trim().parse::<f64>()).collect();
                    let v = parsed.map_err(|_| {
                        self.err(
                            &cell.loc,
                            "norms must be numbers separated by ';'",
                            "in this row",
                            Some("e.g. 0.8;0.9;0.7;0.6".into()),
                        )
                    })?;
                    Some(Val {
                        v,
                        loc: cell.loc.clone(),
                    })
                }
            };
            out.push(StateIn {
                id,
                name: row.get("name").map(|v| v.v.clone()),
                ccode,
                power,
                gdp: self.csv_number(&row, "gdp")?,
                democracy: self.csv_number(&row, "democracy")?,
                orientation: self.csv_number(&row, "orientation")?,
                major: self.csv_bool(&row, "major")?.unwrap_or(false),
                norms,
            });
        }
        Ok(out)
    }

    pub(super) fn dyads_from_csv(&mut self, src: usize, dir: &Path, rel: &S<String>) -> Result<Vec<DyadIn>> {
        let rows = self.read_csv((src, dir, rel), DYAD_COLUMNS, &["state_a", "state_b"])?;
        let mut out = Vec::new();
        for (row, row_loc) in rows {
            let a = row
                .get("state_a")
                .cloned()
                .ok_or_else(|| self.err(&row_loc, "a dyad row needs state_a", "empty", None))?;
            let b = row
                .get("state_b")
                .cloned()
                .ok_or_else(|| self.err(&row_loc, "a dyad row needs state_b", "empty", None))?;
            out.push(DyadIn {
                a,
                b,
                trust: self.csv_number(&row, "trust")?,
                identity: self.csv_number(&row, "identity")?,
                trust_ba: self.csv_number(&row, "trust_ba")?,
                identity_ba: self.csv_number(&row, "identity_ba")?,
                trade: self.csv_number(&row, "trade")?,
                contiguous: self.csv_bool(&row, "contiguous")?,
                distance: self.csv_number(&row, "distance")?,
                peace_years: self.csv_number(&row, "peace_years")?,
                rivalry: self.csv_number(&row, "rivalry")?,
                shared_igos: self.csv_number(&row, "shared_igos")?,
            });
        }
        Ok(out)
    }
}
