//! Loading and validating scenario files.
// A ScenarioError carries the source text and a span for its report; it is made
// once per failed load, so its size does not matter.
#![allow(clippy::result_large_err)]

use super::error::{Loc, ScenarioError, SourceFile};
use super::limits::{self, MemoryEstimate, ReadError};
use super::raw::{RawDyad, RawEvent, RawFile, RawHeader, RawKind, RawState, S};
use super::{CommunitySpec, DyadInit, EventKind, EventSpec, NORMS, Scenario, StateSpec, TreatyKind, TreatySpec};
use crate::params::{self, ParamError, Params};
use crate::suggest::closest;
use crate::time::{Calendar, Month, Step, parse_year_month};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

type Result<T> = std::result::Result<T, ScenarioError>;

/// A value with where it was written.
#[derive(Clone, Debug)]
struct Val<T> {
    v: T,
    loc: Loc,
}

/// The non-empty cells of each CSV row by column, with the row's location.
type CsvRows = Vec<(BTreeMap<String, Val<String>>, Loc)>;

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

/// Upper bounds of the magnitudes that the model multiplies (issue 12: no field may lead to a
/// non-finite number). Power is a share of the system's capabilities (COW CINC scores sum to
/// 1); GDP in trillion USD and trade in bn USD per year at most 10,000 and 40 times today's world
/// totals. During a run they may grow past these, up to the ceilings of `sim::mechanisms`.
const POWER_MAX: f64 = 1.0;
const GDP_MAX: f64 = 1e6;
const TRADE_MAX: f64 = 1e6;
/// At most this many treaties: a pair's count of shared treaties is 16-bit in the model.
const MAX_TREATIES: usize = u16::MAX as usize;

/// Range of a `shock` event's factors: a thousandfold loss or gain at most. Factors such as
/// 1e300 overflowed trade and cohesion into undefined values for the rest of the run.
const SHOCK_MIN: f64 = 0.001;
const SHOCK_MAX: f64 = 1000.0;

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

/// Loads and validates a scenario file (and the CSV files it names).
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
    load_str(&text, &display, &base)
}

/// Validates scenario text; `base_dir` resolves `states_csv` and `dyads_csv`.
pub fn load_str(text: &str, display_path: &str, base_dir: &Path) -> Result<Scenario> {
    let mut loader = Loader {
        files: vec![SourceFile {
            path: display_path.to_string(),
            text: Arc::new(text.to_string()),
        }],
        base_dir: base_dir.to_path_buf(),
    };
    loader.run()
}

struct Loader {
    files: Vec<SourceFile>,
    base_dir: PathBuf,
}

fn loc<T>(s: &S<T>) -> Loc {
    Loc { src: 0, span: s.span() }
}

fn val<T: Clone>(s: &S<T>) -> Val<T> {
    Val {
        v: s.get_ref().clone(),
        loc: loc(s),
    }
}

impl Loader {
    fn err(
        &self,
        at: &Loc,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> ScenarioError {
        ScenarioError::at(&self.files[at.src], at.span.clone(), message, label, help)
    }

    fn run(&mut self) -> Result<Scenario> {
        let raw: RawFile = toml::from_str(&self.files[0].text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            let help = toml_hint(&msg);
            self.err(&Loc { src: 0, span }, format!("invalid scenario: {msg}"), "here", help)
        })?;
        let header = raw.scenario.as_ref().ok_or_else(|| {
            self.err(
                &Loc { src: 0, span: 0..0 },
                "missing [scenario] table",
                "expected a [scenario] table",
                Some("start the file with:\n[scenario]\nname = \"...\"\nstart = 2016\nend = 2030".into()),
            )
        })?;
        let header = header.get_ref();
        let calendar = self.calendar(header)?;
        let seed = match &header.seed {
            Some(s) if *s.get_ref() < 0 => {
                return Err(self.err(&loc(s), "seed must be >= 0", "negative seed", None));
            }
            Some(s) => *s.get_ref() as u64,
            None => 0,
        };
        let runs = match &header.runs {
            Some(s) if *s.get_ref() < 1 => {
                return Err(self.err(&loc(s), "runs must be >= 1", "not a positive count", None));
            }
            Some(s) => *s.get_ref() as u64,
            None => 1000,
        };
        let custom_lenses = self.custom_lenses(&raw)?;
        let lenses = self.lenses(header, &custom_lenses)?;

        // States: CSV first, then [[state]] tables.
        let mut state_inputs = Vec::new();
        if let Some(rel) = &header.states_csv {
            state_inputs.extend(self.states_from_csv(rel)?);
        }
        state_inputs.extend(raw.state.iter().map(|s| state_from_toml(s.get_ref())));
        let (states, index) = self.states(state_inputs)?;
        if states.len() < 2 {
            return Err(self.err(
                &loc(raw.scenario.as_ref().expect("checked above")),
                format!("the scenario has {} state(s); it needs at least two", states.len()),
                "too few [[state]] tables or states_csv rows",
                Some("add at least two [[state]] tables (id and power are required)".into()),
            ));
        }

        let treaties = self.treaties(&raw, &index)?;
        let communities = self.communities(&raw, &index)?;
        let mut pairs: Vec<super::PairSpec> = Vec::new();
        for p in header.pairs.iter().flat_map(|p| p.get_ref()) {
            let pair = super::parse_pair(p.get_ref(), &states, &communities)
                .map_err(|e| self.err(&loc(p), e, "not a pair of this scenario's states", None))?;
            if pairs.iter().any(|q| q.name == pair.name) {
                return Err(self.err(
                    &loc(p),
                    format!("pair \"{}\" is listed twice", pair.name),
                    "listed before",
                    None,
                ));
            }
            pairs.push(pair);
        }
        // Before the dyads are read and their n x n arrays allocated.
        let at = match &header.states_csv {
            Some(rel) => loc(rel),
            None => loc(raw.scenario.as_ref().expect("checked above")),
        };
        let estimate = MemoryEstimate::new(
            states.len(),
            u64::from(calendar.n_ticks()),
            1 + communities.len(),
            lenses.len(),
            runs,
        );
        self.fits_in_memory(&at, states.len(), &estimate)?;
        let mut dyad_inputs = Vec::new();
        if let Some(rel) = &header.dyads_csv {
            dyad_inputs.extend(self.dyads_from_csv(rel)?);
        }
        dyad_inputs.extend(raw.dyad.iter().map(|d| dyad_from_toml(d.get_ref())));
        let dyads = self.dyads(&raw, dyad_inputs, &index)?;
        let overrides = self.overrides(&raw)?;
        let events = self.events(&raw, &calendar, &index, &treaties)?;
        let sweep = self.sweep(&raw, &custom_lenses)?;

        Ok(Scenario {
            name: header.name.get_ref().clone(),
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

    fn month(&self, value: &S<toml::Value>, end_of_year: bool, what: &str) -> Result<Month> {
        let bad = || {
            self.err(
                &loc(value),
                format!("{what} must be a year like 2017 or a month like \"2017-06\""),
                "not a year or \"YYYY-MM\"",
                Some("write a bare integer year (2017) or a quoted year-month (\"2017-06\")".into()),
            )
        };
        match value.get_ref() {
            toml::Value::Integer(y) if (1..=9999).contains(y) => Ok(if end_of_year {
                Month::from_ym(*y, 12)
            } else {
                Month::from_ym(*y, 1)
            }),
            toml::Value::String(s) => parse_year_month(s).ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// Refuses a world that would not fit in this machine's memory on one thread.
    fn fits_in_memory(&self, at: &Loc, states: usize, estimate: &MemoryEstimate) -> Result<()> {
        let bound = limits::memory_bound();
        let need = estimate.total(1);
        if need <= bound.bytes {
            return Ok(());
        }
        Err(self.err(
            at,
            format!(
                "the scenario is too large for this machine: {states} states need about {} on one thread ({}), more than the {} comity may use ({})",
                limits::bytes(need),
                estimate.describe(),
                limits::bytes(bound.bytes),
                bound.source,
            ),
            format!("{states} states"),
            Some(format!(
                "memory grows with the square of the number of states: model fewer states (a region, or the states that matter to the question), or run on a machine with more memory; {} sets the bound (docs/reliability.md)",
                limits::MEMORY_LIMIT_VAR
            )),
        ))
    }

    fn calendar(&self, h: &RawHeader) -> Result<Calendar> {
        let start = self.month(&h.start, false, "start")?;
        let end = self.month(&h.end, true, "end")?;
        if end < start {
            return Err(self.err(&loc(&h.end), "end is before start", "ends before it starts", None));
        }
        let step = match &h.step {
            None => Step::Year,
            Some(s) => Step::parse(s.get_ref()).ok_or_else(|| {
                self.err(
                    &loc(s),
                    format!("unknown step \"{}\"", s.get_ref()),
                    "expected year, quarter or month",
                    Some("step = \"year\" (default), \"quarter\" or \"month\"".into()),
                )
            })?,
        };
        let cal = Calendar { start, end, step };
        if cal.n_ticks() > 100_000 {
            return Err(self.err(
                &loc(&h.end),
                "the calendar has more than 100000 steps",
                "too long",
                None,
            ));
        }
        Ok(cal)
    }

    fn custom_lenses(&self, raw: &RawFile) -> Result<Vec<super::CustomLens>> {
        let Some(tables) = &raw.lens else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for (name, table) in tables {
            let n = name.get_ref();
            if params::lens(n).is_some() {
                return Err(self.err(
                    &loc(name),
                    format!("[lens.{n}] would redefine the built-in lens `{n}`"),
                    "a built-in lens",
                    Some(format!("give your lens another name and `base = \"{n}\"`")),
                ));
            }
            if !valid_id(n) {
                return Err(self.err(&loc(name), format!("invalid lens name \"{n}\""), "one word", None));
            }
            let mut base = None;
            let mut overrides = Vec::new();
            let mut scratch = Params::default();
            for (key, value) in table.get_ref() {
                if key.get_ref() == "base" {
                    let b = value.get_ref().as_str().ok_or_else(|| {
                        self.err(&loc(value), "base must be a lens name in quotes", "not a string", None)
                    })?;
                    if params::lens(b).is_none() {
                        let hint = match closest(b, params::LENSES.iter().copied()) {
                            Some(s) => format!("did you mean \"{s}\"? built-in lenses: {}", params::LENSES.join(", ")),
                            None => format!("built-in lenses: {}", params::LENSES.join(", ")),
                        };
                        return Err(self.err(
                            &loc(value),
                            format!("unknown base lens \"{b}\""),
                            "not a built-in lens",
                            Some(hint),
                        ));
                    }
                    base = Some(b.to_string());
                    continue;
                }
                let v = match value.get_ref() {
                    toml::Value::Float(f) => *f,
                    toml::Value::Integer(i) => *i as f64,
                    _ => {
                        return Err(self.err(
                            &loc(value),
                            format!("`{}` must be a number", key.get_ref()),
                            "not a number",
                            None,
                        ));
                    }
                };
                match scratch.set(key.get_ref(), v) {
                    Ok(()) => overrides.push((key.get_ref().clone(), v)),
                    Err(ParamError::Unknown { name, suggestion }) => {
                        let hint = match suggestion {
                            Some(s) => {
                                format!("did you mean `{s}`? `comity explain` lists the parameters of each mechanism")
                            }
                            None => "a lens table takes `base` and parameter names (docs/model.md)".to_string(),
                        };
                        return Err(self.err(
                            &loc(key),
                            format!("unknown parameter `{name}` in [lens.{n}]"),
                            "not a model parameter",
                            Some(hint),
                        ));
                    }
                    Err(ParamError::OutOfRange { name, value, min, max }) => {
                        return Err(self.err(
                            &loc(value_of(table, &name)),
                            format!("parameter `{name}` = {value} is out of range [{min}, {max}]"),
                            "out of range",
                            None,
                        ));
                    }
                }
            }
            let base = base.ok_or_else(|| {
                self.err(
                    &loc(table),
                    format!("[lens.{n}] needs a base lens"),
                    "no `base`",
                    Some(format!(
                        "add base = \"liberal\" (or {})",
                        params::THEORY_LENSES.join(", ")
                    )),
                )
            })?;
            out.push(super::CustomLens {
                name: n.clone(),
                base,
                overrides,
            });
        }
        Ok(out)
    }

    fn lenses(&self, h: &RawHeader, custom: &[super::CustomLens]) -> Result<Vec<String>> {
        let Some(value) = &h.lens else {
            return Ok(vec![params::DEFAULT_LENS.to_string()]);
        };
        let names: Vec<String> = match value.get_ref() {
            toml::Value::String(s) => vec![s.clone()],
            toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            _ => Vec::new(),
        };
        let expected_len = match value.get_ref() {
            toml::Value::Array(a) => a.len(),
            _ => 1,
        };
        if names.is_empty() || names.len() != expected_len {
            return Err(self.err(
                &loc(value),
                "lens must be a name or a list of names",
                "expected a string or a list of strings",
                Some(format!("available lenses: {}", params::LENSES.join(", "))),
            ));
        }
        let known: Vec<String> = params::LENSES
            .iter()
            .map(|s| s.to_string())
            .chain(custom.iter().map(|c| c.name.clone()))
            .collect();
        for name in &names {
            if !known.contains(name) {
                let hint = match closest(name, known.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean \"{s}\"? available lenses: {}", known.join(", ")),
                    None => format!("available lenses: {}", known.join(", ")),
                };
                return Err(self.err(
                    &loc(value),
                    format!("unknown lens \"{name}\""),
                    "unknown lens",
                    Some(hint),
                ));
            }
        }
        let mut unique: Vec<String> = Vec::new();
        for name in names {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        Ok(unique)
    }

    fn unit(&self, v: &Option<Val<f64>>, what: &str, default: f64) -> Result<f64> {
        match v {
            None => Ok(default),
            Some(x) => self.range(x, what, 0.0, 1.0),
        }
    }

    fn range(&self, x: &Val<f64>, what: &str, min: f64, max: f64) -> Result<f64> {
        if x.v.is_finite() && x.v >= min && x.v <= max {
            Ok(x.v)
        } else {
            let expected = if max.is_infinite() {
                format!(">= {min}")
            } else {
                format!("in [{min}, {max}]")
            };
            Err(self.err(
                &x.loc,
                format!("{what} = {} is out of range: it must be {expected}", shown(x.v)),
                format!("expected {expected}"),
                None,
            ))
        }
    }

    /// [`Loader::range`] for a bound that keeps a run's numbers finite: the help says why.
    fn bounded(&self, x: &Val<f64>, what: &str, min: f64, max: f64, why: &str) -> Result<f64> {
        self.range(x, what, min, max).map_err(|mut e| {
            e.help = Some(format!("{why} (docs/scenario-format.md, section Bounds)"));
            e
        })
    }

    fn power(&self, x: &Val<f64>) -> Result<f64> {
        self.bounded(
            x,
            "power",
            0.0,
            POWER_MAX,
            "power is a share of the system's capabilities, like a COW CINC score: divide raw capabilities by the system's total",
        )
    }

    fn gdp(&self, x: &Val<f64>) -> Result<f64> {
        self.bounded(
            x,
            "gdp",
            0.0,
            GDP_MAX,
            "gdp is in trillion USD (world GDP is about 100): at most 1000000",
        )
    }

    fn trade(&self, x: &Val<f64>) -> Result<f64> {
        self.bounded(
            x,
            "trade",
            0.0,
            TRADE_MAX,
            "trade is the pair's trade in bn USD per year (world trade is about 25000): at most 1000000",
        )
    }

    fn states(&self, inputs: Vec<StateIn>) -> Result<(Vec<StateSpec>, BTreeMap<String, usize>)> {
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let mut first_loc: Vec<Loc> = Vec::new();
        let mut states = Vec::with_capacity(inputs.len());
        for s in inputs {
            let id = s.id.v.trim().to_string();
            if !valid_id(&id) {
                return Err(self.err(
                    &s.id.loc,
                    format!("invalid state id \"{}\"", s.id.v),
                    "ids are one word",
                    Some("use letters, digits, '-', '_' or '.', e.g. \"USA\"".into()),
                ));
            }
            if let Some(&prev) = index.get(&id) {
                let (line, _) = self.files[first_loc[prev].src].line_col(first_loc[prev].span.start);
                return Err(self.err(
                    &s.id.loc,
                    format!("duplicate state id \"{id}\""),
                    "defined again here",
                    Some(format!(
                        "\"{id}\" is first defined in {} line {line}; ids must be unique",
                        self.files[first_loc[prev].src].path
                    )),
                ));
            }
            let power = self.power(&s.power)?;
            let gdp = match &s.gdp {
                Some(g) => self.gdp(g)?,
                None => 0.0,
            };
            let democracy = self.unit(&s.democracy, "democracy", 0.5)?;
            let orientation = self.unit(&s.orientation, "orientation", 0.5)?;
            let norms = match &s.norms {
                None => [0.5; NORMS],
                Some(n) => {
                    if n.v.len() != NORMS || n.v.iter().any(|x| !(0.0..=1.0).contains(x)) {
                        return Err(self.err(
                            &n.loc,
                            format!("norms must be {NORMS} numbers in [0, 1]"),
                            format!(
                                "expected [multilateralism, pacific settlement, open trade, climate], got {} values",
                                n.v.len()
                            ),
                            Some("e.g. norms = [0.8, 0.9, 0.7, 0.6]".into()),
                        ));
                    }
                    let mut a = [0.0; NORMS];
                    a.copy_from_slice(&n.v);
                    a
                }
            };
            index.insert(id.clone(), states.len());
            first_loc.push(s.id.loc.clone());
            states.push(StateSpec {
                name: s.name.clone().unwrap_or_else(|| id.clone()),
                id,
                ccode: s.ccode,
                power,
                gdp,
                democracy,
                orientation,
                major: s.major,
                norms,
            });
        }
        Ok((states, index))
    }

    fn state_ref(&self, name: &S<String>, index: &BTreeMap<String, usize>, role: &str) -> Result<usize> {
        self.state_ref_val(&val(name), index, role)
    }

    fn state_ref_val(&self, name: &Val<String>, index: &BTreeMap<String, usize>, role: &str) -> Result<usize> {
        index.get(name.v.trim()).copied().ok_or_else(|| {
            let hint = match closest(&name.v, index.keys().map(String::as_str)) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => format!("known states: {}", preview(index.keys())),
            };
            self.err(
                &name.loc,
                format!("unknown state \"{}\" in {role}", name.v),
                "no state has this id",
                Some(hint),
            )
        })
    }

    fn member_list(
        &self,
        members: &S<Vec<S<String>>>,
        index: &BTreeMap<String, usize>,
        role: &str,
    ) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        // A set, not `out.contains`: a list of all 300,000 states took 21 s (tests/fuzz.rs).
        let mut seen = HashSet::new();
        for m in members.get_ref() {
            let i = self.state_ref(m, index, role)?;
            if !seen.insert(i) {
                return Err(self.err(
                    &loc(m),
                    format!("\"{}\" is listed twice in {role}", m.get_ref()),
                    "listed again",
                    None,
                ));
            }
            out.push(i);
        }
        out.sort_unstable();
        Ok(out)
    }

    fn treaties(&self, raw: &RawFile, index: &BTreeMap<String, usize>) -> Result<Vec<TreatySpec>> {
        if raw.treaty.len() > MAX_TREATIES {
            return Err(self.err(
                &loc(&raw.treaty[MAX_TREATIES]),
                format!(
                    "the scenario has {} treaties; at most {MAX_TREATIES} are allowed",
                    raw.treaty.len()
                ),
                "one too many",
                Some(
                    "far more than ATOP's alliances and COW's IGOs together: merge treaties that play the same role"
                        .into(),
                ),
            ));
        }
        let mut out: Vec<TreatySpec> = Vec::new();
        // Ids seen, in a set: comparing each with every earlier one took 15 s for 65,535 treaties.
        let mut ids = HashSet::new();
        for t in &raw.treaty {
            let t = t.get_ref();
            let id = t.id.get_ref().trim().to_string();
            if !valid_id(&id) {
                return Err(self.err(
                    &loc(&t.id),
                    format!("invalid treaty id \"{id}\""),
                    "ids are one word",
                    Some("use letters, digits, '-', '_' or '.', e.g. \"NATO\" or \"US-Japan\"".into()),
                ));
            }
            if !ids.insert(id.clone()) {
                return Err(self.err(
                    &loc(&t.id),
                    format!("duplicate treaty id \"{id}\""),
                    "defined again here",
                    None,
                ));
            }
            let kind = TreatyKind::parse(t.kind.get_ref()).ok_or_else(|| {
                let kinds = ["defense", "trade", "regime", "community"];
                let hint = match closest(t.kind.get_ref(), kinds) {
                    Some(s) => format!("did you mean \"{s}\"? kinds: defense, trade, regime, community"),
                    None => "kinds: defense, trade, regime, community".into(),
                };
                self.err(
                    &loc(&t.kind),
                    format!("unknown treaty kind \"{}\"", t.kind.get_ref()),
                    "unknown kind",
                    Some(hint),
                )
            })?;
            let salience = self.unit(&t.salience.as_ref().map(val), "salience", 0.5)?;
            let members = self.member_list(&t.members, index, &format!("the members of treaty \"{id}\""))?;
            out.push(TreatySpec {
                name: t.name.clone().unwrap_or_else(|| id.clone()),
                id,
                kind,
                salience,
                members,
            });
        }
        Ok(out)
    }

    fn communities(&self, raw: &RawFile, index: &BTreeMap<String, usize>) -> Result<Vec<CommunitySpec>> {
        let mut out: Vec<CommunitySpec> = Vec::new();
        // Ids seen, in a set: comparing each with every earlier one ran for minutes on 200,000.
        let mut ids = HashSet::new();
        for c in &raw.community {
            let c = c.get_ref();
            let id = c.id.get_ref().trim().to_string();
            if id == "system" || !ids.insert(id.clone()) {
                let help = (id == "system").then(|| "\"system\" is reserved for the whole world".to_string());
                return Err(self.err(
                    &loc(&c.id),
                    format!("duplicate community id \"{id}\""),
                    "defined again here",
                    help,
                ));
            }
            if id.is_empty() || id.contains(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')) {
                return Err(self.err(
                    &loc(&c.id),
                    format!("invalid community id \"{id}\""),
                    "letters, digits, _ and - only",
                    Some("community ids become column names in runs.csv".into()),
                ));
            }
            let members = self.member_list(&c.members, index, &format!("the members of community \"{id}\""))?;
            if members.len() < 2 {
                return Err(self.err(
                    &loc(&c.members),
                    "a community needs at least two members",
                    "fewer than two",
                    None,
                ));
            }
            out.push(CommunitySpec {
                name: c.name.clone().unwrap_or_else(|| id.clone()),
                id,
                members,
            });
        }
        Ok(out)
    }

    fn dyads(&self, raw: &RawFile, inputs: Vec<DyadIn>, index: &BTreeMap<String, usize>) -> Result<DyadInit> {
        for dy in &raw.dyad {
            let states = &dy.get_ref().states;
            if states.get_ref().len() != 2 {
                return Err(self.err(
                    &loc(states),
                    format!("a dyad names exactly two states, not {}", states.get_ref().len()),
                    "expected [\"A\", \"B\"]",
                    Some("write states = [\"USA\", \"CAN\"]".into()),
                ));
            }
        }
        let n = index.len();
        let d = raw.defaults.as_ref().map(|d| d.get_ref());
        let get = |f: Option<&S<f64>>| f.map(val);
        let trust0 = self.unit(&d.and_then(|d| get(d.trust.as_ref())), "trust", 0.3)?;
        let identity0 = self.unit(&d.and_then(|d| get(d.identity.as_ref())), "identity", 0.1)?;
        let trade0 = match d.and_then(|d| get(d.trade.as_ref())) {
            Some(v) => self.trade(&v)?,
            None => 0.0,
        };
        let distance0 = match d.and_then(|d| get(d.distance.as_ref())) {
            Some(v) => self.range(&v, "distance", 0.0, f64::INFINITY)?,
            None => 5000.0,
        };
        let peace0 = match d.and_then(|d| get(d.peace_years.as_ref())) {
            Some(v) => self.range(&v, "peace_years", 0.0, f64::INFINITY)?,
            None => 20.0,
        };
        let rivalry0 = match d.and_then(|d| get(d.rivalry.as_ref())) {
            Some(v) => self.range(&v, "rivalry", 0.0, f64::INFINITY)?,
            None => 0.0,
        };
        let igos0 = match d.and_then(|d| get(d.shared_igos.as_ref())) {
            Some(v) => self.range(&v, "shared_igos", 0.0, f64::INFINITY)?,
            None => 0.0,
        };
        let contiguous0 = d.and_then(|d| d.contiguous).unwrap_or(false);
        let mut init = DyadInit {
            n,
            trust: vec![trust0; n * n],
            identity: vec![identity0; n * n],
            trade: vec![trade0; n * n],
            contiguous: vec![contiguous0; n * n],
            distance: vec![distance0; n * n],
            peace_years: vec![peace0; n * n],
            rivalry: vec![rivalry0; n * n],
            shared_igos: vec![igos0; n * n],
        };
        for i in 0..n {
            init.trust[i * n + i] = 1.0;
            init.identity[i * n + i] = 1.0;
            init.trade[i * n + i] = 0.0;
            init.contiguous[i * n + i] = false;
            init.distance[i * n + i] = 0.0;
        }
        let mut seen: BTreeMap<(usize, usize), Loc> = BTreeMap::new();
        for dy in inputs {
            let a = self.state_ref_val(&dy.a, index, "a dyad")?;
            let b = self.state_ref_val(&dy.b, index, "a dyad")?;
            if a == b {
                return Err(self.err(&dy.b.loc, "a dyad needs two different states", "same state twice", None));
            }
            let key = (a.min(b), a.max(b));
            if let Some(prev) = seen.get(&key) {
                let (line, _) = self.files[prev.src].line_col(prev.span.start);
                return Err(self.err(
                    &dy.a.loc,
                    format!("dyad {}-{} is listed twice", dy.a.v, dy.b.v),
                    "listed again",
                    Some(format!(
                        "first listed in {} line {line}; merge the two entries",
                        self.files[prev.src].path
                    )),
                ));
            }
            seen.insert(key, dy.a.loc.clone());
            let (ab, ba) = (a * n + b, b * n + a);
            if let Some(t) = &dy.trust {
                let t = self.range(t, "trust", 0.0, 1.0)?;
                init.trust[ab] = t;
                init.trust[ba] = t;
            }
            if let Some(w) = &dy.identity {
                let w = self.range(w, "identity", 0.0, 1.0)?;
                init.identity[ab] = w;
                init.identity[ba] = w;
            }
            if let Some(t) = &dy.trust_ba {
                init.trust[ba] = self.range(t, "trust_ba", 0.0, 1.0)?;
            }
            if let Some(w) = &dy.identity_ba {
                init.identity[ba] = self.range(w, "identity_ba", 0.0, 1.0)?;
            }
            if let Some(x) = &dy.trade {
                let x = self.trade(x)?;
                init.trade[ab] = x;
                init.trade[ba] = x;
            }
            if let Some(c) = dy.contiguous {
                init.contiguous[ab] = c;
                init.contiguous[ba] = c;
            }
            if let Some(x) = &dy.distance {
                let x = self.range(x, "distance", 0.0, f64::INFINITY)?;
                init.distance[ab] = x;
                init.distance[ba] = x;
            }
            if let Some(x) = &dy.peace_years {
                let x = self.range(x, "peace_years", 0.0, f64::INFINITY)?;
                init.peace_years[ab] = x;
                init.peace_years[ba] = x;
            }
            if let Some(x) = &dy.rivalry {
                let x = self.range(x, "rivalry", 0.0, f64::INFINITY)?;
                init.rivalry[ab] = x;
                init.rivalry[ba] = x;
            }
            if let Some(x) = &dy.shared_igos {
                let x = self.range(x, "shared_igos", 0.0, f64::INFINITY)?;
                init.shared_igos[ab] = x;
                init.shared_igos[ba] = x;
            }
        }
        Ok(init)
    }

    fn sweep(&self, raw: &RawFile, custom: &[super::CustomLens]) -> Result<Option<super::SweepSpec>> {
        let Some(table) = &raw.sweep else {
            return Ok(None);
        };
        let t = table.get_ref();
        let mut spec = super::SweepSpec::default();
        if let Some(d) = &t.design {
            if !crate::params::DESIGNS.contains(&d.get_ref().as_str()) {
                return Err(self.err(
                    &loc(d),
                    format!("unknown sweep design `{}`", d.get_ref()),
                    "not a design",
                    Some(format!("use one of: {}", crate::params::DESIGNS.join(", "))),
                ));
            }
            spec.design = Some(d.get_ref().clone());
        }
        if let Some(list) = &t.vary {
            for item in list.get_ref() {
                let v = crate::params::Vary::parse(item.get_ref()).map_err(|e| {
                    self.err(
                        &loc(item),
                        format!("bad [sweep] vary entry: {e}"),
                        "this entry",
                        Some("write each entry as \"NAME=LO..HI\" or \"NAME=LO..HI:N\" (N grid levels)".into()),
                    )
                })?;
                if spec.vary.iter().any(|w| w.name == v.name) {
                    return Err(self.err(
                        &loc(item),
                        format!("[sweep] varies `{}` twice", v.name),
                        "repeated",
                        Some("keep one entry per parameter".into()),
                    ));
                }
                spec.vary.push(v);
            }
        }
        let positive = |v: &Option<S<i64>>, what: &str| -> Result<Option<u64>> {
            match v {
                Some(n) if *n.get_ref() < 1 => Err(self.err(
                    &loc(n),
                    format!("[sweep] {what} must be at least 1"),
                    "not a positive whole number",
                    None,
                )),
                Some(n) => Ok(Some(*n.get_ref() as u64)),
                None => Ok(None),
            }
        };
        spec.samples = positive(&t.samples, "samples")?;
        spec.runs = positive(&t.runs, "runs")?;
        if let Some(l) = &t.levels {
            if !(2..=1000).contains(l.get_ref()) {
                return Err(self.err(
                    &loc(l),
                    "[sweep] levels must lie between 2 and 1000",
                    "out of range",
                    Some("grid levels per parameter, or the Morris grid's levels (4 is usual)".into()),
                ));
            }
            spec.levels = Some(*l.get_ref() as u32);
        }
        if let Some(l) = &t.lens {
            let names: Vec<String> = match l.get_ref() {
                toml::Value::String(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
                toml::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let known: Vec<String> = crate::params::LENSES
                .iter()
                .map(|s| s.to_string())
                .chain(custom.iter().map(|c| c.name.clone()))
                .collect();
            let bad = names.iter().find(|n| *n != "all" && !known.contains(n));
            if names.is_empty() || bad.is_some() {
                return Err(self.err(
                    &loc(l),
                    match bad {
                        Some(b) => format!("[sweep] lens `{b}` is not a lens of this scenario"),
                        None => "[sweep] lens must be a lens name or a list of them".to_string(),
                    },
                    "unknown lens",
                    Some(format!("available: {} (or \"all\")", known.join(", "))),
                ));
            }
            spec.lens = Some(names.join(","));
        }
        if let Some(f) = &t.design_file {
            spec.design_file = Some(self.base_dir.join(f.get_ref()));
        }
        Ok(Some(spec))
    }

    fn overrides(&self, raw: &RawFile) -> Result<Vec<(String, f64)>> {
        let Some(table) = &raw.parameters else {
            return Ok(Vec::new());
        };
        let mut scratch = Params::default();
        let mut out = Vec::new();
        for (key, value) in table.get_ref() {
            match scratch.set(key.get_ref(), *value.get_ref()) {
                Ok(()) => out.push((key.get_ref().clone(), *value.get_ref())),
                Err(ParamError::Unknown { name, suggestion }) => {
                    let hint = match suggestion {
                        Some(s) => format!("did you mean `{s}`? `comity validate --parameters` lists every parameter"),
                        None => "docs/model.md lists every parameter".to_string(),
                    };
                    return Err(self.err(
                        &loc(key),
                        format!("unknown parameter `{name}`"),
                        "not a model parameter",
                        Some(hint),
                    ));
                }
                Err(ParamError::OutOfRange { name, value, min, max }) => {
                    let spec = params::spec(&name).expect("known parameter");
                    return Err(self.err(
                        &loc(value_span(value, table, &name)),
                        format!("parameter `{name}` = {value} is out of range [{min}, {max}]"),
                        "out of range",
                        Some(format!("{} (default {})", spec.doc.trim(), spec.default)),
                    ));
                }
            }
        }
        Ok(out)
    }

    fn events(
        &self,
        raw: &RawFile,
        cal: &Calendar,
        index: &BTreeMap<String, usize>,
        treaties: &[TreatySpec],
    ) -> Result<Vec<EventSpec>> {
        let mut out = Vec::new();
        for (order, e) in raw.event.iter().enumerate() {
            let whole = loc(e);
            let e = e.get_ref();
            let at = self.month(&e.at, false, "at")?;
            if at < cal.start || at > cal.end {
                return Err(self.err(
                    &loc(&e.at),
                    "event date is outside the scenario's [start, end]",
                    "outside the simulated period",
                    Some(format!(
                        "the scenario runs from {}-{:02} to {}-{:02}",
                        cal.start.year(),
                        cal.start.month(),
                        cal.end.year(),
                        cal.end.month()
                    )),
                ));
            }
            let probability = match &e.probability {
                Some(p) if !(*p.get_ref() > 0.0 && *p.get_ref() <= 1.0) => {
                    return Err(self.err(&loc(p), "probability must be in (0, 1]", "out of range", None));
                }
                Some(p) => *p.get_ref(),
                None => 1.0,
            };
            let kind = self.event_kind(e, &whole, index, treaties)?;
            out.push(EventSpec {
                at,
                tick: cal.tick_of(at),
                order,
                probability,
                kind,
            });
        }
        out.sort_by_key(|e| (e.at, e.order));
        self.check_memberships(&out, raw, treaties)?;
        Ok(out)
    }

    fn event_kind(
        &self,
        e: &RawEvent,
        whole: &Loc,
        index: &BTreeMap<String, usize>,
        treaties: &[TreatySpec],
    ) -> Result<EventKind> {
        let Some(raw_kind) = RawKind::parse(e.kind.get_ref()) else {
            let written = e.kind.get_ref();
            let kinds = RawKind::ALL.map(RawKind::name);
            let hint = match closest(written, kinds) {
                Some(s) => format!("did you mean \"{s}\"? kinds: {}", kinds.join(", ")),
                None => format!("kinds: {}", kinds.join(", ")),
            };
            return Err(self.err(
                &loc(&e.kind),
                format!("unknown event kind \"{written}\""),
                "unknown kind",
                Some(hint),
            ));
        };
        let (kind, fields) = (raw_kind.name(), raw_kind.fields());
        for (name, span) in e.present_fields() {
            if !fields.contains(&name) {
                return Err(self.err(
                    &Loc { src: 0, span },
                    format!("field `{name}` does not belong to a `{kind}` event"),
                    "not used by this kind",
                    Some(format!("a `{kind}` event takes: {}", fields.join(", "))),
                ));
            }
        }
        let missing = |field: &str| {
            self.err(
                whole,
                format!("a `{kind}` event needs `{field}`"),
                format!("`{field}` missing"),
                Some(format!("a `{kind}` event takes: {}", fields.join(", "))),
            )
        };
        let state = |f: &Option<S<String>>, name: &str| -> Result<usize> {
            let s = f.as_ref().ok_or_else(|| missing(name))?;
            self.state_ref(s, index, &format!("a `{kind}` event"))
        };
        let treaty = |f: &Option<S<String>>, name: &str| -> Result<usize> {
            let t = f.as_ref().ok_or_else(|| missing(name))?;
            treaties.iter().position(|x| x.id == t.get_ref().trim()).ok_or_else(|| {
                let hint = match closest(t.get_ref(), treaties.iter().map(|x| x.id.as_str())) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("known treaties: {}", preview(treaties.iter().map(|x| &x.id))),
                };
                self.err(
                    &loc(t),
                    format!("unknown treaty \"{}\"", t.get_ref()),
                    "no treaty has this id",
                    Some(hint),
                )
            })
        };
        let number = |f: &Option<S<f64>>, name: &str, min: f64, max: f64| -> Result<f64> {
            let v = f.as_ref().ok_or_else(|| missing(name))?;
            self.range(&val(v), name, min, max)
        };
        Ok(match raw_kind {
            RawKind::Withdraw => EventKind::Withdraw {
                state: state(&e.state, "state")?,
                treaty: treaty(&e.treaty, "treaty")?,
            },
            RawKind::Announce => EventKind::Announce {
                state: state(&e.state, "state")?,
                treaty: treaty(&e.treaty, "treaty")?,
            },
            RawKind::Join => EventKind::Join {
                state: state(&e.state, "state")?,
                treaty: treaty(&e.treaty, "treaty")?,
            },
            RawKind::Tariff => {
                let by = state(&e.by, "by")?;
                let list = e.against.as_ref().ok_or_else(|| missing("against"))?;
                let against = self.member_list(list, index, "the targets of a tariff")?;
                if against.is_empty() {
                    return Err(self.err(&loc(list), "a tariff needs at least one target", "empty list", None));
                }
                if against.contains(&by) {
                    return Err(self.err(
                        &loc(list),
                        "a state cannot put a tariff on itself",
                        "contains `by`",
                        None,
                    ));
                }
                EventKind::Tariff {
                    by,
                    against,
                    rate: number(&e.rate, "rate", 0.0, 1.0)?,
                }
            }
            RawKind::Orientation => EventKind::Orientation {
                state: state(&e.state, "state")?,
                value: number(&e.value, "value", 0.0, 1.0)?,
            },
            RawKind::Crisis => {
                let aggressor = state(&e.aggressor, "aggressor")?;
                let target = state(&e.target, "target")?;
                if aggressor == target {
                    return Err(self.err(whole, "a crisis needs two different states", "aggressor = target", None));
                }
                let level = e.level.as_ref().ok_or_else(|| missing("level"))?;
                if !(2..=5).contains(level.get_ref()) {
                    return Err(self.err(
                        &loc(level),
                        format!("crisis level {} is not on the hostility ladder", level.get_ref()),
                        "expected 2..5",
                        Some("2 threat, 3 display of force, 4 use of force, 5 war".into()),
                    ));
                }
                EventKind::Crisis {
                    aggressor,
                    target,
                    level: *level.get_ref() as u8,
                }
            }
            RawKind::Shock => {
                if e.power_factor.is_none() && e.gdp_factor.is_none() {
                    return Err(missing("power_factor` or `gdp_factor"));
                }
                let factor = |f: &Option<S<f64>>, name: &str| -> Result<f64> {
                    match f {
                        None => Ok(1.0),
                        Some(v) if (SHOCK_MIN..=SHOCK_MAX).contains(v.get_ref()) => Ok(*v.get_ref()),
                        Some(v) => Err(self.err(
                            &loc(v),
                            format!("{name} must be between {SHOCK_MIN} and {SHOCK_MAX}"),
                            "not a factor in range",
                            Some(
                                "0.9 is a 10% loss, 1.1 a 10% gain; a thousandfold change either way is the most \
                                 a shock can be (larger ones overflowed trade and trust)"
                                    .into(),
                            ),
                        )),
                    }
                };
                EventKind::Shock {
                    state: state(&e.state, "state")?,
                    power_factor: factor(&e.power_factor, "power_factor")?,
                    gdp_factor: factor(&e.gdp_factor, "gdp_factor")?,
                }
            }
            RawKind::Summit => {
                let list = e.states.as_ref().ok_or_else(|| missing("states"))?;
                let states = self.member_list(list, index, "a summit")?;
                if states.len() < 2 {
                    return Err(self.err(&loc(list), "a summit needs at least two states", "fewer than two", None));
                }
                EventKind::Summit {
                    states,
                    trust: number(&e.trust, "trust", -1.0, 1.0)?,
                }
            }
            RawKind::CommonThreat => EventKind::CommonThreat {
                severity: number(&e.severity, "severity", 0.0, 1.0)?,
                addressed_by: treaty(&e.addressed_by, "addressed_by")?,
            },
        })
    }

    /// Walks the membership events in order and rejects a certain (probability 1)
    /// withdrawal by a non-member or join by a member. After an uncertain event the
    /// (state, treaty) membership is unknown and no longer checked.
    fn check_memberships(&self, events: &[EventSpec], raw: &RawFile, treaties: &[TreatySpec]) -> Result<()> {
        // Sets: with lists, 300,000 uncertain events took 38 s (tests/fuzz.rs).
        let mut members: Vec<BTreeSet<usize>> = treaties.iter().map(|t| t.members.iter().copied().collect()).collect();
        let mut unknown: BTreeSet<(usize, usize)> = BTreeSet::new();
        for e in events {
            let (state, treaty, must_be_member) = match e.kind {
                EventKind::Withdraw { state, treaty } | EventKind::Announce { state, treaty } => (state, treaty, true),
                EventKind::Join { state, treaty } => (state, treaty, false),
                _ => continue,
            };
            if unknown.contains(&(state, treaty)) {
                continue;
            }
            if e.probability < 1.0 {
                unknown.insert((state, treaty));
                continue;
            }
            let is_member = members[treaty].contains(&state);
            if is_member != must_be_member {
                let raw_event = &raw.event[e.order];
                let what = if must_be_member {
                    "is not a member of"
                } else {
                    "is already a member of"
                };
                let sid = raw_event
                    .get_ref()
                    .state
                    .as_ref()
                    .map(|s| s.get_ref().clone())
                    .unwrap_or_default();
                return Err(self.err(
                    &loc(raw_event),
                    format!("\"{sid}\" {what} treaty \"{}\" at that date", treaties[treaty].id),
                    "membership does not allow this",
                    Some("check the treaty's members and the order of earlier join/withdraw events".into()),
                ));
            }
            if let EventKind::Withdraw { .. } = e.kind {
                members[treaty].remove(&state);
            } else if let EventKind::Join { .. } = e.kind {
                members[treaty].insert(state);
            }
        }
        Ok(())
    }

    // ---- CSV inputs -----------------------------------------------------

    fn read_csv(&mut self, rel: &S<String>, columns: &[&str], required: &[&str]) -> Result<CsvRows> {
        let path = self.base_dir.join(rel.get_ref());
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
                &loc(rel),
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

    fn csv_number(&self, row: &BTreeMap<String, Val<String>>, col: &str) -> Result<Option<Val<f64>>> {
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

    fn csv_bool(&self, row: &BTreeMap<String, Val<String>>, col: &str) -> Result<Option<bool>> {
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

    fn states_from_csv(&mut self, rel: &S<String>) -> Result<Vec<StateIn>> {
        let rows = self.read_csv(rel, STATE_COLUMNS, &["id", "power"])?;
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

    fn dyads_from_csv(&mut self, rel: &S<String>) -> Result<Vec<DyadIn>> {
        let rows = self.read_csv(rel, DYAD_COLUMNS, &["state_a", "state_b"])?;
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

fn state_from_toml(s: &RawState) -> StateIn {
    StateIn {
        id: val(&s.id),
        name: s.name.clone(),
        ccode: s.ccode.as_ref().map(|c| *c.get_ref()),
        power: val(&s.power),
        gdp: s.gdp.as_ref().map(val),
        democracy: s.democracy.as_ref().map(val),
        orientation: s.orientation.as_ref().map(val),
        major: s.major.unwrap_or(false),
        norms: s.norms.as_ref().map(val),
    }
}

fn dyad_from_toml(d: &RawDyad) -> DyadIn {
    let states = d.states.get_ref();
    let whole = loc(&d.states);
    let pick = |i: usize| {
        states.get(i).map(val).unwrap_or(Val {
            v: String::new(),
            loc: whole.clone(),
        })
    };
    DyadIn {
        a: pick(0),
        b: if states.len() == 2 {
            pick(1)
        } else {
            Val {
                v: format!("<{} states listed>", states.len()),
                loc: whole.clone(),
            }
        },
        trust: d.trust.as_ref().map(val),
        identity: d.identity.as_ref().map(val),
        trust_ba: d.trust_ba.as_ref().map(val),
        identity_ba: d.identity_ba.as_ref().map(val),
        trade: d.trade.as_ref().map(val),
        contiguous: d.contiguous,
        distance: d.distance.as_ref().map(val),
        peace_years: d.peace_years.as_ref().map(val),
        rivalry: d.rivalry.as_ref().map(val),
        shared_igos: d.shared_igos.as_ref().map(val),
    }
}

fn value_of<'a>(table: &'a S<super::raw::LensTable>, name: &str) -> &'a S<toml::Value> {
    table
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == name)
        .map(|(_, v)| v)
        .expect("name comes from this table")
}

fn value_span<'a>(_: f64, table: &'a S<BTreeMap<S<String>, S<f64>>>, name: &str) -> &'a S<f64> {
    table
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == name)
        .map(|(_, v)| v)
        .expect("name comes from this table")
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
