//! Loading and validating scenario files: `load` reads the file, `Loader::run` checks it section
//! by section, each in its own module (`header`, `lenses`, `states`, `treaties`, `dyads`, `events`,
//! `csv`; `values` holds the range checks they share).
// A ScenarioError carries the source text and a span for its report; it is made
// once per failed load, so its size does not matter.
#![allow(clippy::result_large_err)]

mod compose;
mod csv;
mod dyads;
mod events;
mod header;
mod lenses;
mod states;
mod treaties;
mod values;

use super::Scenario;
use super::error::{Loc, ScenarioError, SourceFile};
use super::limits::{self, MemoryEstimate, ReadError};
use super::raw::S;
use dyads::dyad_from_toml;
use states::state_from_toml;
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Result<T> = std::result::Result<T, ScenarioError>;

/// A value with where it was written.
#[derive(Clone, Debug)]
struct Val<T> {
    v: T,
    loc: Loc,
}

/// A state as read from a `[[state]]` table or a `states_csv` row, each value with where it was written.
struct StateIn {
    id: Val<String>,
    name: Option<String>,
    ccode: Option<i64>,
    power: Val<f64>,
    gdp: Option<Val<f64>>,
    democracy: Option<Val<f64>>,
    orientation: Option<Val<f64>>,
    major: bool,
    norms: Option<Val<Vec<f64>>>,
}

/// A dyad as read from a `[[dyad]]` table or a `dyads_csv` row.
struct DyadIn {
    a: Val<String>,
    b: Val<String>,
    trust: Option<Val<f64>>,
    identity: Option<Val<f64>>,
    trust_ba: Option<Val<f64>>,
    identity_ba: Option<Val<f64>>,
    trade: Option<Val<f64>>,
    contiguous: Option<bool>,
    distance: Option<Val<f64>>,
    peace_years: Option<Val<f64>>,
    rivalry: Option<Val<f64>>,
    shared_igos: Option<Val<f64>>,
}

/// Loads and validates a scenario file (and the bases it extends, and the CSV files they name).
///
/// The file is read with a bound ([`limits::MAX_SCENARIO_BYTES`]; a folder or a device is
/// refused from its metadata), and a world too large for this machine's memory is refused
/// before its `n x n` arrays are allocated ([`limits::memory_bound`]).
pub fn load(path: &Path) -> Result<Scenario> {
    let display = path.display().to_string();
    let text = limits::read_text(path, limits::MAX_SCENARIO_BYTES).map_err(|e| {
        let help = match &e {
            ReadError::NotAFile(_) if path.join("scenario.toml").is_file() => format!(
                "a scenario kept as a folder is run by its file: {}",
                path.join("scenario.toml").display()
            ),
            ReadError::NotAFile(_) => {
                "give the path of a scenario file (TOML), e.g. scenarios/western_community.toml".into()
            }
            ReadError::TooLarge { .. } => format!(
                "a scenario file is at most {} MiB: keep large tables in states_csv and dyads_csv (at most {} MiB each)",
                limits::MAX_SCENARIO_BYTES >> 20,
                limits::MAX_CSV_BYTES >> 20
            ),
            ReadError::NotText => "a scenario file is TOML text in UTF-8".into(),
            ReadError::Io(_) => "check the path; `ls scenarios/` shows the bundled scenarios".into(),
        };
        ScenarioError::file(&display, format!("cannot read the scenario file: {e}"), Some(help))
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Loader::new(&text, &display).run(&base, std::fs::canonicalize(path).ok())
}

/// Validates scenario text; `base_dir` resolves `extends`, `states_csv` and `dyads_csv`.
pub fn load_str(text: &str, display_path: &str, base_dir: &Path) -> Result<Scenario> {
    Loader::new(text, display_path).run(base_dir, None)
}

/// Every file read so far (the named file first, then its bases, then CSV files): the `src`
/// of a [`Loc`] indexes it.
struct Loader {
    files: Vec<SourceFile>,
}

/// Where `s`, written in file `src`, is.
fn loc<T>(src: usize, s: &S<T>) -> Loc {
    Loc { src, span: s.span() }
}

fn val<T: Clone>(src: usize, s: &S<T>) -> Val<T> {
    Val {
        v: s.get_ref().clone(),
        loc: loc(src, s),
    }
}

impl Loader {
    fn new(text: &str, display_path: &str) -> Loader {
        Loader {
            files: vec![SourceFile {
                path: display_path.to_string(),
                text: Arc::new(text.to_string()),
            }],
        }
    }

    fn err(
        &self,
        at: &Loc,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> ScenarioError {
        ScenarioError::at(&self.files[at.src], at.span.clone(), message, label, help)
    }

    /// `FILE line N`: where a value was first written, for a hint.
    fn line_of(&self, at: &Loc) -> String {
        let file = &self.files[at.src];
        format!("{} line {}", file.path, file.line_col(at.span.start).0)
    }

    fn run(&mut self, dir: &Path, identity: Option<PathBuf>) -> Result<Scenario> {
        let layers = self.layers(dir, identity)?;
        let c = self.compose(&layers)?;
        let header = &c.header;
        let calendar = self.calendar(header)?;
        let seed = match &header.seed {
            Some(s) if s.v < 0 => {
                return Err(self.err(&s.loc, "seed must be >= 0", "negative seed", None));
            }
            Some(s) => s.v as u64,
            None => 0,
        };
        let runs = match &header.runs {
            Some(s) if s.v < 1 => {
                return Err(self.err(&s.loc, "runs must be >= 1", "not a positive count", None));
            }
            Some(s) => s.v as u64,
            None => 1000,
        };
        let custom_lenses = self.custom_lenses(&c.lenses)?;
        let lenses = self.lenses(header, &custom_lenses)?;

        // States: in each file, from its base on, CSV first, then [[state]] tables.
        let mut state_inputs = Vec::new();
        let mut states_csv = None;
        for layer in &layers {
            if let Some(rel) = layer.header().and_then(|h| h.states_csv.as_ref()) {
                states_csv.get_or_insert(loc(layer.src, rel));
                state_inputs.extend(self.states_from_csv(layer.src, &layer.dir, rel)?);
            }
            state_inputs.extend(layer.raw.state.iter().map(|s| state_from_toml(layer.src, s.get_ref())));
        }
        let (states, index) = self.states(state_inputs)?;
        if states.len() < 2 {
            return Err(self.err(
                &header.table,
                format!("the scenario has {} state(s); it needs at least two", states.len()),
                "too few [[state]] tables or states_csv rows",
                Some("add at least two [[state]] tables (id and power are required)".into()),
            ));
        }

        let treaties = self.treaties(&c.treaties, &index)?;
        let communities = self.communities(&c.communities, &index)?;
        let mut pairs: Vec<super::PairSpec> = Vec::new();
        for p in &header.pairs {
            let pair = super::parse_pair(&p.v, &states, &communities)
                .map_err(|e| self.err(&p.loc, e, "not a pair of this scenario's states", None))?;
            if pairs.iter().any(|q| q.name == pair.name) {
                return Err(self.err(
                    &p.loc,
                    format!("pair \"{}\" is listed twice", pair.name),
                    "listed before",
                    None,
                ));
            }
            pairs.push(pair);
        }
        // Before the dyads are read and their n x n arrays allocated.
        let at = states_csv.unwrap_or_else(|| header.table.clone());
        let estimate = MemoryEstimate::new(
            states.len(),
            u64::from(calendar.n_ticks()),
            1 + communities.len(),
            lenses.len(),
            runs,
        );
        self.fits_in_memory(&at, states.len(), &estimate)?;
        let mut dyad_inputs = Vec::new();
        for layer in &layers {
            if let Some(rel) = layer.header().and_then(|h| h.dyads_csv.as_ref()) {
                dyad_inputs.extend(self.dyads_from_csv(layer.src, &layer.dir, rel)?);
            }
            dyad_inputs.extend(layer.raw.dyad.iter().map(|d| dyad_from_toml(layer.src, d.get_ref())));
        }
        let dyads = self.dyads(&c.dyads, &c.defaults, dyad_inputs, &index)?;
        let overrides = self.overrides(&c.parameters)?;
        let events = self.events(&c.events, &calendar, &index, &treaties)?;
        let sweep = self.sweep(c.sweep, &custom_lenses)?;

        Ok(Scenario {
            name: header.name.clone(),
            description: header.description.clone().unwrap_or_default(),
            calendar,
            seed,
            runs,
            lenses,
            states,
            treaties,
            communities,
            dyads,
            overrides,
            events,
            custom_lenses,
            sweep,
            pairs,
            sources: self
                .files
                .iter()
                .map(|f| super::SourceDigest {
                    path: f.path.clone(),
                    sha256: crate::hash::sha256_hex(f.text.as_bytes()),
                })
                .collect(),
        })
    }
}

/// Ids are one word: letters, digits, '-', '_' and '.'.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A number as a message shows it: `1e308`, not its 309 digits.
fn shown(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn preview<'a>(ids: impl Iterator<Item = &'a String>) -> String {
    let all: Vec<&str> = ids.map(String::as_str).collect();
    if all.len() > 12 {
        format!("{}, ... ({} in all)", all[..12].join(", "), all.len())
    } else {
        all.join(", ")
    }
}

fn toml_hint(msg: &str) -> Option<String> {
    if msg.starts_with("unknown field") {
        Some("check the spelling against docs/scenario-format.md".into())
    } else if msg.starts_with("missing field") {
        Some("docs/scenario-format.md lists the required fields of each table".into())
    } else if msg.contains("invalid type") {
        Some("check the value's type: numbers unquoted, ids and dates \"quoted\", lists in [ ]".into())
    } else {
        None
    }
}
