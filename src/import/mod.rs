//! `comity import`: a scenario for one year from the peace-science tables
//! researchers already keep (the column layout of peacesciencer's exports:
//! COW state system, NMC, major powers, direct contiguity, dyadic and national
//! trade, ATOP alliances, democracy, CShapes minimum distance, IGO counts, MID).
//!
//! Every missing value is filled by a stated rule and counted; the counts are
//! part of the result (and printed, and written into the scenario's header).
//!
//! [`import`] reads the tables ([`tables`]), builds the states ([`states`]), checks the
//! institutions table and turns it into treaties and events ([`institutions`]), reads the dyadic
//! tables and writes each pair's row ([`dyads`]), covers the defence pledges with pacts
//! ([`pacts`]), and writes the scenario ([`write`]).

mod dyads;
mod growth;
mod institutions;
mod pacts;
mod states;
pub(crate) mod tables;
mod write;

pub use institutions::{INSTITUTIONS_CSV, INSTITUTIONS_FILE, Membership, parse_institutions};

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{0}")]
    Missing(String),
    #[error("{table} covers {first}-{last}; year {year} is outside it")]
    Coverage {
        table: String,
        first: i64,
        last: i64,
        year: i64,
        hint: String,
    },
    #[error("{file} line {line}: {message}")]
    Parse { file: String, line: u64, message: String },
}

impl ImportError {
    pub fn hint(&self) -> Option<&str> {
        match self {
            ImportError::Coverage { hint, .. } => Some(hint),
            _ => None,
        }
    }
}

type Result<T> = std::result::Result<T, ImportError>;

/// What to import.
#[derive(Clone, Debug)]
pub struct Options {
    pub year: i64,
    pub end: i64,
    pub data: PathBuf,
    /// World trade / GDP used to turn national trade into a size proxy.
    pub trade_to_gdp: f64,
    /// Use a table's nearest year when `year` is outside its coverage.
    pub allow_nearest: bool,
    /// Table of institution memberships; `None`: the committed
    /// `scenarios/data/institutions.csv`, built into the binary.
    pub institutions: Option<PathBuf>,
    /// Keep the state set of the year: no `enter` or `exit` events (the calibration world).
    pub fixed_states: bool,
}

/// The files of an imported scenario and what was filled.
#[derive(Clone, Debug)]
pub struct Imported {
    pub scenario_toml: String,
    pub states_csv: String,
    pub dyads_csv: String,
    pub n_states: usize,
    pub n_pacts: usize,
    /// One line per filled or approximated field, with counts.
    pub summary: Vec<String>,
}

/// What the import filled or approximated (`fills`) and what a reader should know (`notes`),
/// each in the order found: printed by the command and written into the scenario's header.
#[derive(Default)]
struct Log {
    fills: Vec<String>,
    notes: Vec<String>,
}

/// Imports the world of `opts.year`.
pub fn import(opts: &Options) -> Result<Imported> {
    let data = &opts.data;
    if !data.is_dir() {
        return Err(ImportError::Missing(format!(
            "data folder {} not found: give the folder that holds cow_states_v2016.csv, cow_nmc_v7.csv, ...",
            data.display()
        )));
    }
    let mut log = Log::default();
    let world = states::World::read(data, opts.year, &mut log)?;
    // The institutions table is checked before the large tables are read.
    let (memberships, inst_file) = institutions::read(opts, &world)?;
    let attributes = states::Attributes::read(data, &world, opts, &mut log)?;
    let tables = dyads::Tables::read(data, &world, opts, &mut log)?;
    let gdp = states::gdp(&world, &attributes, &tables.trade, opts.trade_to_gdp, &mut log);
    let dyads = dyads::rows(&world, &attributes, &tables, &memberships, &mut log, &|_, _| true);
    let pacts = pacts::cover(&world, &tables.allied);
    let nato = pacts::nato(data, &world)?;
    let mut growth = if growth::wanted(opts) {
        Some(growth::Growth::read(data, world.clone(), opts, &memberships)?)
    } else {
        None
    };
    let grown = growth.as_ref().map_or(&world, |g| &g.world);
    let mut institutions = institutions::Institutions::build(&memberships, grown, opts.end, &mut log);
    if let Some(g) = &mut growth {
        let dropped = g.fit_institutions(&mut institutions, &memberships);
        let (entries, exits) = g.counts();
        log.notes.push(format!(
            "state system: {entries} entries and {exits} exits {}-{}; the {} states not in the world of {} take their attributes and dyads from the tables of their entry year ({}), by the same rules (those years' fills are not itemised here)",
            opts.year + 1,
            opts.end,
            g.world.n() - g.n_start,
            opts.year,
            if g.entry_years.is_empty() {
                "none".to_string()
            } else {
                g.entry_years.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            }
        ));
        if dropped > 0 {
            log.notes.push(format!(
                "institutions: {dropped} join/withdraw event(s) in a year the state is not in the system, or enters (its entry joins), dropped"
            ));
        }
    }
    let community_ids = institutions::community_ids(&memberships);
    let built = write::Built {
        opts,
        world: &world,
        attributes: &attributes,
        gdp: &gdp,
        tables: &tables,
        dyads: &dyads,
        pacts: &pacts,
        nato: &nato,
        institutions: &institutions,
        community_ids: &community_ids,
        inst_file: &inst_file,
        log: &log,
        growth: growth.as_ref(),
    };
    Ok(Imported {
        scenario_toml: write::scenario_toml(&built),
        states_csv: write::states_csv(&built),
        dyads_csv: match &growth {
            Some(g) => format!("{}{}", dyads.csv, g.dyad_rows),
            None => dyads.csv.clone(),
        },
        n_states: world.n(),
        n_pacts: pacts.len(),
        summary: write::summary(&built),
    })
}

#[cfg(test)]
mod tests {
    use super::dyads::haversine;
    use super::institutions::INSTITUTION_KINDS;
    use super::*;

    fn members<'a>(table: &'a [Membership], id: &str, year: i64) -> Vec<&'a str> {
        let mut out: Vec<&str> = table
            .iter()
            .filter(|m| m.institution == id && m.member_in(year))
            .map(|m| m.state.as_str())
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn the_committed_institutions_table_holds_the_documented_memberships() {
        let t = parse_institutions(INSTITUTIONS_CSV, INSTITUTIONS_FILE).expect("the committed table parses");
        assert_eq!(members(&t, "ec", 1958), ["BEL", "FRN", "GFR", "ITA", "LUX", "NTH"]);
        assert_eq!(members(&t, "ec", 1973).len(), 9);
        assert_eq!(members(&t, "ec", 1990).len(), 12, "GMY continues the GFR's seat");
        assert!(members(&t, "ec", 1990).contains(&"GMY") && !members(&t, "ec", 1990).contains(&"GFR"));
        assert_eq!(members(&t, "ec", 2013).len(), 28);
        assert_eq!(members(&t, "ec", 2020).len(), 27, "the UK left on 31 January 2020");
        assert_eq!(members(&t, "efta", 1960).len(), 7);
        assert_eq!(members(&t, "efta", 1995), ["ICE", "LIE", "NOR", "SWZ"]);
        assert_eq!(members(&t, "nordic_council", 1955).len(), 5);
        assert_eq!(members(&t, "coe", 1949).len(), 12);
        assert!(!members(&t, "coe", 1970).contains(&"GRC") && members(&t, "coe", 1975).contains(&"GRC"));
        assert_eq!(members(&t, "coe", 2007).len(), 47);
        assert_eq!(
            members(&t, "csce", 1975).len(),
            34,
            "35 participants less the Holy See (no COW code)"
        );
        assert_eq!(members(&t, "oas", 1951).len(), 21);
        assert!(!members(&t, "oas", 1962).contains(&"CUB"));
        assert_eq!(members(&t, "oas", 1991).len(), 34, "35 less the excluded Cuba");
        assert_eq!(
            members(&t, "oau", 1963).len(),
            33,
            "32 founders and Kenya (December 1963)"
        );
        assert!(!members(&t, "oau", 1990).contains(&"MOR") && members(&t, "oau", 2017).contains(&"MOR"));
        assert_eq!(members(&t, "arab_league", 1945).len(), 7);
        assert!(!members(&t, "arab_league", 1980).contains(&"EGY"));
        assert_eq!(members(&t, "asean", 1999).len(), 10);
        assert_eq!(members(&t, "mercosur", 1991), ["ARG", "BRA", "PAR", "URU"]);
        assert!(!members(&t, "mercosur", 2017).contains(&"VEN"));
        for m in &t {
            assert!(
                INSTITUTION_KINDS.contains(&m.kind.as_str()) && !m.source.is_empty(),
                "{m:?}"
            );
        }
    }

    #[test]
    fn institution_rows_are_checked() {
        let head = "institution,kind,salience,ccode,state,joined,left,source\n";
        let e = parse_institutions(&format!("{head}ec,community,1.5,220,FRN,1958,,Rome\n"), "t.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv line 2: salience \"1.5\" is not a number in 0..1: write e.g. 0.5"
        );
        let e = parse_institutions("institution,kind,salience,ccode,state,joined,source\n", "t.csv").unwrap_err();
        assert!(e.to_string().contains("t.csv line 1: no column `left`"), "{e}");
        // comments and quoted sources
        let t = parse_institutions(
            &format!("# a comment\n{head}ec,community,0.9,220,FRN,1958,,\"Rome, 1957\"\n"),
            "t.csv",
        )
        .unwrap();
        assert_eq!((t[0].source.as_str(), t[0].line), ("Rome, 1957", 3));
    }

    #[test]
    fn great_circle() {
        // Paris (48.8566, 2.3522) to London (51.5074, -0.1278): about 344 km
        let d = haversine((48.8566, 2.3522), (51.5074, -0.1278));
        assert!((d - 343.5).abs() < 2.0, "{d}");
    }
}
