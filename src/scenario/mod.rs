//! Scenarios: the validated description of a world and its timeline.
//!
//! Parse, don't validate: [`load`] turns a TOML file (and the CSV files it
//! names) into a [`Scenario`], or into a [`ScenarioError`] naming the file,
//! line and column. Once a `Scenario` exists it is valid: every id resolves to
//! an index, every number is in range, every event falls inside the calendar.

mod error;
pub mod limits;
mod load;
mod raw;
pub use raw::RawKind;

pub use error::{Loc, ScenarioError, SourceFile};
pub use limits::{MemoryBound, MemoryEstimate};
pub use load::{load, load_str};

use crate::time::{Calendar, Month};
use serde::Serialize;

/// Number of norm dimensions: multilateralism, pacific settlement, open trade, climate cooperation.
pub const NORMS: usize = 4;
/// Names of the norm dimensions, in order.
pub const NORM_NAMES: [&str; NORMS] = ["multilateralism", "pacific_settlement", "open_trade", "climate"];

/// A state as the scenario sets it at the start.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateSpec {
    pub id: String,
    pub name: String,
    pub ccode: Option<i64>,
    /// COW CINC share.
    pub power: f64,
    /// Trillion USD; 0 when unknown (trade dependence is then 0).
    pub gdp: f64,
    pub democracy: f64,
    pub orientation: f64,
    pub major: bool,
    pub norms: [f64; NORMS],
}

/// Kind of a treaty or institution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TreatyKind {
    Defense,
    Trade,
    Regime,
    Community,
}

impl TreatyKind {
    pub fn parse(text: &str) -> Option<TreatyKind> {
        match text {
            "defense" => Some(TreatyKind::Defense),
            "trade" => Some(TreatyKind::Trade),
            "regime" => Some(TreatyKind::Regime),
            "community" => Some(TreatyKind::Community),
            _ => None,
        }
    }
    /// The kind as written in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            TreatyKind::Defense => "defense",
            TreatyKind::Trade => "trade",
            TreatyKind::Regime => "regime",
            TreatyKind::Community => "community",
        }
    }
    /// The norm a treaty of this kind embodies: leaving it lowers the leaver's value of that norm.
    pub fn norm(self) -> usize {
        match self {
            TreatyKind::Defense | TreatyKind::Community => 0,
            TreatyKind::Trade => 2,
            TreatyKind::Regime => 3,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TreatySpec {
    pub id: String,
    /// Display name (the id when not given).
    pub name: String,
    pub kind: TreatyKind,
    pub salience: f64,
    /// State indices, ascending.
    pub members: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommunitySpec {
    pub id: String,
    /// Display name (the id when not given).
    pub name: String,
    /// State indices, ascending.
    pub members: Vec<usize>,
}

/// A pair of states whose own paths are recorded (`pairs.csv`): `[scenario] pairs` or
/// `comity run --pairs`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PairSpec {
    /// `USA-GMY`: the two ids joined by `-`, as written.
    pub name: String,
    /// State indices: `a` is the first named (trust_ab is how a sees b).
    pub a: usize,
    pub b: usize,
}

/// Initial dyadic values, dense `n x n` row-major (`[i * n + j]` is how i sees j for
/// the directed ones; the symmetric ones hold the same value both ways).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DyadInit {
    pub n: usize,
    pub trust: Vec<f64>,
    pub identity: Vec<f64>,
    /// bn USD per year, both directions summed.
    pub trade: Vec<f64>,
    pub contiguous: Vec<bool>,
    /// km between borders.
    pub distance: Vec<f64>,
    /// Years since the pair's last dispute.
    pub peace_years: Vec<f64>,
    /// Symmetric conflict memory: each past dispute adds 1, halving every `rivalry_half_life` years.
    pub rivalry: Vec<f64>,
    /// Symmetric count of IGOs both states are full members of (COW IGO v3).
    pub shared_igos: Vec<f64>,
}

/// What an event does. Indices refer to `Scenario::states` and `Scenario::treaties`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Withdraw {
        state: usize,
        treaty: usize,
    },
    Announce {
        state: usize,
        treaty: usize,
    },
    Join {
        state: usize,
        treaty: usize,
    },
    Tariff {
        by: usize,
        against: Vec<usize>,
        rate: f64,
    },
    Orientation {
        state: usize,
        value: f64,
    },
    Crisis {
        aggressor: usize,
        target: usize,
        level: u8,
    },
    Shock {
        state: usize,
        power_factor: f64,
        gdp_factor: f64,
    },
    Summit {
        states: Vec<usize>,
        trust: f64,
    },
    CommonThreat {
        severity: f64,
        addressed_by: usize,
    },
    /// The state enters the system (it is absent before its first `enter`) and joins `treaties`
    /// (ascending, no repeats). Always certain (the loader refuses a `probability`).
    Enter {
        state: usize,
        treaties: Vec<usize>,
    },
    /// The state leaves the system: every treaty and pact, its alliances, trade and disputes.
    /// Always certain.
    Exit {
        state: usize,
    },
}

impl EventKind {
    /// Its kind as a scenario file names it.
    pub fn kind(&self) -> raw::RawKind {
        use raw::RawKind as K;
        match self {
            EventKind::Withdraw { .. } => K::Withdraw,
            EventKind::Announce { .. } => K::Announce,
            EventKind::Join { .. } => K::Join,
            EventKind::Tariff { .. } => K::Tariff,
            EventKind::Orientation { .. } => K::Orientation,
            EventKind::Crisis { .. } => K::Crisis,
            EventKind::Shock { .. } => K::Shock,
            EventKind::Summit { .. } => K::Summit,
            EventKind::CommonThreat { .. } => K::CommonThreat,
            EventKind::Enter { .. } => K::Enter,
            EventKind::Exit { .. } => K::Exit,
        }
    }

    /// The name of its kind (`withdraw`, `common_threat`, ...).
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

/// A scripted event, already placed on the calendar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventSpec {
    pub at: Month,
    pub tick: u32,
    /// Position in the file (events at the same date apply in this order).
    pub order: usize,
    /// Each run draws whether the event happens.
    pub probability: f64,
    pub kind: EventKind,
}

/// A valid scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub calendar: Calendar,
    pub seed: u64,
    pub runs: u64,
    pub lenses: Vec<String>,
    pub states: Vec<StateSpec>,
    pub treaties: Vec<TreatySpec>,
    pub communities: Vec<CommunitySpec>,
    pub dyads: DyadInit,
    /// `[parameters]` overrides, by name, already range-checked.
    pub overrides: Vec<(String, f64)>,
    /// Events sorted by date, then file order.
    pub events: Vec<EventSpec>,
    /// Every file read to build the scenario (the TOML file first), with its SHA-256.
    pub sources: Vec<SourceDigest>,
    /// Lenses defined by the scenario (`[lens.NAME]`).
    pub custom_lenses: Vec<CustomLens>,
    /// The `[sweep]` table: defaults for `comity sweep`.
    pub sweep: Option<SweepSpec>,
    /// Pairs of interest (`[scenario] pairs`, or `--pairs`), in order.
    pub pairs: Vec<PairSpec>,
}

/// The `[sweep]` table of a scenario, checked; `comity sweep` flags override each field.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SweepSpec {
    /// `grid`, `lhs`, `sobol` or `morris`.
    pub design: Option<String>,
    pub vary: Vec<crate::params::Vary>,
    pub samples: Option<u64>,
    pub runs: Option<u64>,
    pub levels: Option<u32>,
    /// Lens names, comma-separated (or `all`).
    pub lens: Option<String>,
    /// A sample matrix (CSV), resolved against the scenario's folder.
    pub design_file: Option<std::path::PathBuf>,
}

/// A user-defined lens: a built-in base and parameter overrides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomLens {
    pub name: String,
    pub base: String,
    /// Applied after the base and the scenario's `[parameters]`, already range-checked.
    pub overrides: Vec<(String, f64)>,
}

/// A file a scenario was read from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct SourceDigest {
    pub path: String,
    pub sha256: String,
}

impl Scenario {
    pub fn n_states(&self) -> usize {
        self.states.len()
    }

    /// Which states are in the system at the start: all but those whose first `enter` or `exit`
    /// event is an `enter` (the loader checks that the two alternate, and that both are certain).
    pub fn present_at_start(&self) -> Vec<bool> {
        let mut present = vec![true; self.states.len()];
        let mut seen = vec![false; self.states.len()];
        for e in &self.events {
            let (state, enters) = match e.kind {
                EventKind::Enter { state, .. } => (state, true),
                EventKind::Exit { state } => (state, false),
                _ => continue,
            };
            if !std::mem::replace(&mut seen[state], true) {
                present[state] = !enters;
            }
        }
        present
    }

    /// Which states are in the system during `tick` (after the entries and exits of that tick,
    /// which apply at its start): for readers of outputs that count pairs or dyad-years.
    pub fn present_at(&self, tick: u32) -> Vec<bool> {
        let mut present = self.present_at_start();
        for e in self.events.iter().take_while(|e| e.tick <= tick) {
            match e.kind {
                EventKind::Enter { state, .. } => present[state] = true,
                EventKind::Exit { state } => present[state] = false,
                _ => {}
            }
        }
        present
    }

    /// Whether any state enters or exits during the run (the state set changes).
    pub fn has_entries_or_exits(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Enter { .. } | EventKind::Exit { .. }))
    }

    /// What running this scenario needs in memory ([`limits`]); `aggregates`: the lens
    /// aggregates held at once (a run holds one per lens, a sweep one or two), each folding `runs`.
    pub fn memory(&self, aggregates: usize, runs: u64) -> MemoryEstimate {
        let estimate = MemoryEstimate::new(
            self.n_states(),
            u64::from(self.calendar.n_ticks()),
            1 + self.communities.len(),
            aggregates,
            runs,
        );
        if self.events.iter().any(|e| matches!(e.kind, EventKind::Enter { .. })) {
            estimate.with_entries(self.n_states())
        } else {
            estimate
        }
    }
    /// The parameter set of a lens: the built-in lens (or a custom lens's base), then the
    /// scenario's `[parameters]`, then the custom lens's own overrides.
    pub fn parse_pair(&self, text: &str) -> Result<PairSpec, String> {
        parse_pair(text, &self.states, &self.communities)
    }

    pub fn params_for(&self, lens: &str) -> Option<crate::params::Params> {
        let custom = self.custom_lenses.iter().find(|c| c.name == lens);
        let mut p = crate::params::lens(custom.map_or(lens, |c| c.base.as_str()))?;
        let extra = custom.map(|c| c.overrides.as_slice()).unwrap_or(&[]);
        for (name, value) in self.overrides.iter().chain(extra) {
            p.set(name, *value)
                .expect("overrides were checked when the scenario was loaded");
        }
        Some(p)
    }

    /// A short label of a scripted event for charts and the manifest: `USA leaves Paris`,
    /// `crisis RUS-UKR`.
    pub fn event_label(&self, e: &EventSpec) -> String {
        let id = |i: usize| self.states[i].id.as_str();
        let treaty = |t: usize| self.treaties[t].id.as_str();
        match &e.kind {
            EventKind::Withdraw { state, treaty: t } => format!("{} leaves {}", id(*state), treaty(*t)),
            EventKind::Announce { state, treaty: t } => format!("{} to leave {}", id(*state), treaty(*t)),
            EventKind::Join { state, treaty: t } => format!("{} joins {}", id(*state), treaty(*t)),
            EventKind::Tariff { by, .. } => format!("{} tariff", id(*by)),
            EventKind::Orientation { state, value } => format!("{} orientation {value}", id(*state)),
            EventKind::Crisis { aggressor, target, .. } => format!("crisis {}-{}", id(*aggressor), id(*target)),
            EventKind::Shock { state, .. } => format!("{} shock", id(*state)),
            EventKind::Summit { .. } => "summit".to_string(),
            EventKind::CommonThreat { .. } => "common threat".to_string(),
            EventKind::Enter { state, .. } => format!("{} enters", id(*state)),
            EventKind::Exit { state } => format!("{} exits", id(*state)),
        }
    }

    /// The scripted events as the manifest records them, so that a report never needs the
    /// scenario file again: date (`YYYY-MM`), tick, kind, label and probability.
    pub fn events_manifest(&self) -> Vec<serde_json::Value> {
        self.events
            .iter()
            .map(|e| {
                serde_json::json!({
                    "date": format!("{}-{:02}", e.at.year(), e.at.month()),
                    "tick": e.tick,
                    "kind": e.kind.name(),
                    "label": self.event_label(e),
                    "probability": e.probability,
                })
            })
            .collect()
    }

    /// Every lens this scenario can run: the built-in ones, then its own.
    pub fn known_lenses(&self) -> Vec<String> {
        crate::params::LENSES
            .iter()
            .map(|s| s.to_string())
            .chain(self.custom_lenses.iter().map(|c| c.name.clone()))
            .collect()
    }
}

/// Reads a pair of interest, `A-B` (two state ids joined by `-`; ids may contain `-`, and the
/// split that names two states is taken). Refused, with a hint: an unknown id (did you mean),
/// a state paired with itself, an ambiguous split, an id with `.` (the CSV columns are
/// `PAIR.METRIC`), a name that is a community's.
pub fn parse_pair(text: &str, states: &[StateSpec], communities: &[CommunitySpec]) -> Result<PairSpec, String> {
    let t = text.trim();
    let find = |id: &str| states.iter().position(|s| s.id == id);
    let splits: Vec<(usize, usize)> = t
        .match_indices('-')
        .filter_map(|(k, _)| Some((find(&t[..k])?, find(&t[k + 1..])?)))
        .collect();
    let (a, b) = match splits.as_slice() {
        [one] => *one,
        [] => {
            let (x, y) = t
                .split_once('-')
                .ok_or_else(|| format!("pair \"{t}\" must be two state ids joined by `-`, e.g. \"USA-GMY\""))?;
            let unknown = if find(x).is_none() { x } else { y };
            let ids = states.iter().map(|s| s.id.as_str());
            let hint = match crate::suggest::closest(unknown, ids) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "write two state ids joined by `-`, e.g. \"USA-GMY\"".to_string(),
            };
            return Err(format!("pair \"{t}\": unknown state \"{unknown}\"; {hint}"));
        }
        _ => {
            return Err(format!(
                "pair \"{t}\" can be read as more than one pair of states: rename a state so that its id has no `-`"
            ));
        }
    };
    if a == b {
        return Err(format!("pair \"{t}\" pairs a state with itself"));
    }
    if t.contains('.') {
        return Err(format!(
            "pair \"{t}\": a state id with `.` cannot name a pair (its CSV columns are PAIR.METRIC); rename the state"
        ));
    }
    if t == "system" || communities.iter().any(|c| c.id == t) {
        return Err(format!("pair \"{t}\" has the name of a community"));
    }
    Ok(PairSpec {
        name: t.to_string(),
        a,
        b,
    })
}
