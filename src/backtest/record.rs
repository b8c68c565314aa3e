//! The real record: COW system membership, major powers, direct contiguity, MID onsets per
//! non-directed dyad-year and the highest hostility of each dispute, read from the tables in the
//! layout `comity import` reads (plain or gzipped).

use crate::import::ImportError;
use crate::import::tables::{self, Table};
use std::collections::{HashMap, HashSet};
use std::path::Path;

type Spells = Vec<(i64, i64)>;

/// The tables a backtest reads, with the columns it needs.
pub const TABLES: [(&str, &[&str]); 5] = [
    ("cow_states_v2016", &["ccode", "styear", "endyear"]),
    ("cow_majors_v2016", &["ccode", "styear", "endyear"]),
    (
        "cow_contdir_v3.2",
        &["ccode1", "ccode2", "conttype", "stdate", "enddate"],
    ),
    (
        "cow_mid5_directed_dyad_years_nodup",
        &["ccode1", "ccode2", "year", "cowmidonset", "hostlev"],
    ),
    ("cow_mid5_disputes", &["dispnum", "styear", "hostlev"]),
];

/// What the data say, year by year.
pub struct Record {
    /// The years of the MID dyad-year table: the years the record can judge.
    pub first: i64,
    pub last: i64,
    members: HashMap<i64, Spells>,
    majors: HashMap<i64, Spells>,
    contiguity: HashMap<(i64, i64), Spells>,
    /// (lower ccode, higher ccode, year) of every onset between two members, with the highest
    /// hostility level of the dyad's onset rows that year.
    onsets: HashMap<(i64, i64, i64), u8>,
    /// (first year, highest hostility level) of every dispute.
    pub disputes: Vec<(i64, u8)>,
}

fn need(data: &Path, name: &str, columns: &[&str]) -> Result<Table, ImportError> {
    tables::read(data, name, columns, &|_| true)?.ok_or_else(|| {
        ImportError::Missing(format!(
            "{} holds neither {name}.csv nor {name}.csv.gz; a backtest reads {} (the layout of ../shared/data/ir, as `comity import` reads it)",
            data.display(),
            TABLES.iter().map(|(n, _)| format!("{n}.csv")).collect::<Vec<_>>().join(", ")
        ))
    })
}

fn spells(t: &Table) -> Result<HashMap<i64, Spells>, ImportError> {
    let mut out: HashMap<i64, Spells> = HashMap::new();
    for (line, row) in &t.rows {
        let c = tables::int(t, *line, &row[0], "ccode")?;
        let s = tables::int(t, *line, &row[1], "styear")?;
        let e = tables::int(t, *line, &row[2], "endyear")?;
        out.entry(c).or_default().push((s, e));
    }
    Ok(out)
}

/// The year of an ISO date cell (`1920-01-01`), or of a plain year.
fn year_of(t: &Table, line: u64, s: &str, what: &str) -> Result<i64, ImportError> {
    let head = s.get(..4).unwrap_or(s);
    tables::int(t, line, head, what)
}

fn covers(spells: Option<&Spells>, year: i64) -> bool {
    spells.is_some_and(|v| v.iter().any(|&(s, e)| s <= year && year <= e))
}

impl Record {
    /// Reads the five tables of [`TABLES`] from `data`.
    pub fn read(data: &Path) -> Result<Record, ImportError> {
        if !data.is_dir() {
            return Err(ImportError::Missing(format!(
                "--data {}: no such folder (it should hold the peace-science tables, e.g. ../shared/data/ir)",
                data.display()
            )));
        }
        let members = spells(&need(data, TABLES[0].0, TABLES[0].1)?)?;
        let majors = spells(&need(data, TABLES[1].0, TABLES[1].1)?)?;
        let mut contiguity: HashMap<(i64, i64), Spells> = HashMap::new();
        let t = need(data, TABLES[2].0, TABLES[2].1)?;
        for (line, row) in &t.rows {
            let kind = tables::int(&t, *line, &row[2], "conttype")?;
            if !(1..=4).contains(&kind) {
                continue;
            }
            let a = tables::int(&t, *line, &row[0], "ccode1")?;
            let b = tables::int(&t, *line, &row[1], "ccode2")?;
            let s = year_of(&t, *line, &row[3], "stdate")?;
            let e = year_of(&t, *line, &row[4], "enddate")?;
            contiguity.entry((a.min(b), a.max(b))).or_default().push((s, e));
        }
        let mut record = Record {
            first: i64::MAX,
            last: i64::MIN,
            members,
            majors,
            contiguity,
            onsets: HashMap::new(),
            disputes: Vec::new(),
        };
        let t = need(data, TABLES[3].0, TABLES[3].1)?;
        for (line, row) in &t.rows {
            let y = tables::int(&t, *line, &row[2], "year")?;
            record.first = record.first.min(y);
            record.last = record.last.max(y);
            if row[3] != "1" {
                continue;
            }
            let a = tables::int(&t, *line, &row[0], "ccode1")?;
            let b = tables::int(&t, *line, &row[1], "ccode2")?;
            let level = tables::int(&t, *line, &row[4], "hostlev")?.clamp(0, 5) as u8;
            if record.member(a, y) && record.member(b, y) {
                let e = record.onsets.entry((a.min(b), a.max(b), y)).or_insert(0);
                *e = (*e).max(level);
            }
        }
        if record.first > record.last {
            return Err(ImportError::Missing(format!(
                "{}: the MID dyad-year table has no rows",
                t.path.display()
            )));
        }
        let t = need(data, TABLES[4].0, TABLES[4].1)?;
        let mut seen = HashSet::new();
        for (line, row) in &t.rows {
            let n = tables::int(&t, *line, &row[0], "dispnum")?;
            if seen.insert(n) {
                let y = tables::int(&t, *line, &row[1], "styear")?;
                let level = tables::int(&t, *line, &row[2], "hostlev")?.clamp(0, 5) as u8;
                record.disputes.push((y, level));
            }
        }
        Ok(record)
    }

    /// A COW system member for any part of `year` (`styear <= year <= endyear`).
    pub fn member(&self, ccode: i64, year: i64) -> bool {
        covers(self.members.get(&ccode), year)
    }

    pub fn major(&self, ccode: i64, year: i64) -> bool {
        covers(self.majors.get(&ccode), year)
    }

    /// A direct-contiguity record of type 1-4 (land, or up to 150 miles of water) that year.
    pub fn contiguous(&self, a: i64, b: i64, year: i64) -> bool {
        covers(self.contiguity.get(&(a.min(b), a.max(b))), year)
    }

    /// The highest hostility level of the pair's onset that year, if one began.
    pub fn onset(&self, a: i64, b: i64, year: i64) -> Option<u8> {
        self.onsets.get(&(a.min(b), a.max(b), year)).copied()
    }

    /// The members in `year`, ascending.
    pub fn members_in(&self, year: i64) -> Vec<i64> {
        let mut v: Vec<i64> = self.members.keys().copied().filter(|&c| self.member(c, year)).collect();
        v.sort_unstable();
        v
    }
}
