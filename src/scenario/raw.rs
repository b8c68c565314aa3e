//! The scenario file as written, with source spans, before validation.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type S<T> = Spanned<T>;

/// One `[lens.NAME]` table: keys (`base`, parameter names) to values.
pub type LensTable = BTreeMap<S<String>, S<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// The scenario this file builds on: a scenario file, or a folder holding `scenario.toml`,
    /// relative to this file's folder.
    pub extends: Option<S<String>>,
    /// With `extends`: drop every event of the base (this file's events replace them).
    pub replace_events: Option<S<bool>>,
    /// With `extends`: events of the base to drop, by id.
    pub remove_events: Option<S<Vec<S<String>>>>,
    /// With `extends`: communities of the base to drop, by id.
    pub remove_communities: Option<S<Vec<S<String>>>>,
    pub scenario: Option<S<RawHeader>>,
    #[serde(default)]
    pub state: Vec<S<RawState>>,
    #[serde(default)]
    pub treaty: Vec<S<RawTreaty>>,
    #[serde(default)]
    pub community: Vec<S<RawCommunity>>,
    pub defaults: Option<S<RawDefaults>>,
    #[serde(default)]
    pub dyad: Vec<S<RawDyad>>,
    pub parameters: Option<S<BTreeMap<S<String>, S<f64>>>>,
    #[serde(default)]
    pub event: Vec<S<RawEvent>>,
    /// `[lens.NAME]` tables: `base = "liberal"` and parameter overrides.
    pub lens: Option<BTreeMap<S<String>, S<LensTable>>>,
    /// `[sweep]`: the default experiment of `comity sweep`.
    pub sweep: Option<S<RawSweep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    pub design: Option<S<String>>,
    pub vary: Option<S<Vec<S<String>>>>,
    pub samples: Option<S<i64>>,
    pub runs: Option<S<i64>>,
    pub levels: Option<S<i64>>,
    pub lens: Option<S<toml::Value>>,
    pub design_file: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    /// `name`, `start` and `end` are required of a file that extends no other (the loader checks).
    pub name: Option<S<String>>,
    pub description: Option<String>,
    pub start: Option<S<toml::Value>>,
    pub end: Option<S<toml::Value>>,
    pub step: Option<S<String>>,
    pub seed: Option<S<i64>>,
    pub runs: Option<S<i64>>,
    pub lens: Option<S<toml::Value>>,
    pub states_csv: Option<S<String>>,
    pub dyads_csv: Option<S<String>>,
    /// Pairs of interest: `["USA-GMY", "USA-CAN"]`.
    pub pairs: Option<S<Vec<S<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    pub id: S<String>,
    pub name: Option<String>,
    pub ccode: Option<S<i64>>,
    pub power: S<f64>,
    pub gdp: Option<S<f64>>,
    pub democracy: Option<S<f64>>,
    pub orientation: Option<S<f64>>,
    pub major: Option<bool>,
    pub norms: Option<S<Vec<f64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTreaty {
    pub id: S<String>,
    pub name: Option<String>,
    pub kind: S<String>,
    pub members: S<Vec<S<String>>>,
    pub salience: Option<S<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommunity {
    pub id: S<String>,
    pub name: Option<String>,
    pub members: S<Vec<S<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub trust: Option<S<f64>>,
    pub identity: Option<S<f64>>,
    pub trade: Option<S<f64>>,
    pub contiguous: Option<bool>,
    pub distance: Option<S<f64>>,
    pub peace_years: Option<S<f64>>,
    /// Conflict memory: the decaying stock of past disputes (see `rivalry_half_life`).
    pub rivalry: Option<S<f64>>,
    /// Number of IGOs both states are full members of (COW IGO v3).
    pub shared_igos: Option<S<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDyad {
    pub states: S<Vec<S<String>>>,
    pub trust: Option<S<f64>>,
    pub identity: Option<S<f64>>,
    /// How the second state sees the first, when it differs.
    pub trust_ba: Option<S<f64>>,
    pub identity_ba: Option<S<f64>>,
    pub trade: Option<S<f64>>,
    pub contiguous: Option<bool>,
    pub distance: Option<S<f64>>,
    pub peace_years: Option<S<f64>>,
    /// Conflict memory: the decaying stock of past disputes (see `rivalry_half_life`).
    pub rivalry: Option<S<f64>>,
    /// Number of IGOs both states are full members of (COW IGO v3).
    pub shared_igos: Option<S<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// An optional name, unique in the scenario, by which a file that extends this one removes it.
    pub id: Option<S<String>>,
    pub at: S<toml::Value>,
    pub kind: S<String>,
    pub probability: Option<S<f64>>,
    /// Free text for the reader; the model ignores it.
    #[allow(dead_code)]
    pub note: Option<String>,
    pub state: Option<S<String>>,
    pub treaty: Option<S<String>>,
    pub by: Option<S<String>>,
    pub against: Option<S<Vec<S<String>>>>,
    pub rate: Option<S<f64>>,
    pub value: Option<S<f64>>,
    pub aggressor: Option<S<String>>,
    pub target: Option<S<String>>,
    pub level: Option<S<i64>>,
    pub power_factor: Option<S<f64>>,
    pub gdp_factor: Option<S<f64>>,
    pub states: Option<S<Vec<S<String>>>>,
    pub trust: Option<S<f64>>,
    pub severity: Option<S<f64>>,
    pub addressed_by: Option<S<String>>,
    /// `enter`: the treaties the entering state joins on entry.
    pub treaties: Option<S<Vec<S<String>>>>,
}

/// The kinds of scripted event, as an event's `kind` names them: each kind's name and fields
/// are stated here once, and the loader matches the kinds exhaustively (a new kind that is not
/// loaded does not compile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawKind {
    Withdraw,
    Announce,
    Join,
    Tariff,
    Orientation,
    Crisis,
    Shock,
    Summit,
    CommonThreat,
    Enter,
    Exit,
}

impl RawKind {
    pub const ALL: [RawKind; 11] = [
        RawKind::Withdraw,
        RawKind::Announce,
        RawKind::Join,
        RawKind::Tariff,
        RawKind::Orientation,
        RawKind::Crisis,
        RawKind::Shock,
        RawKind::Summit,
        RawKind::CommonThreat,
        RawKind::Enter,
        RawKind::Exit,
    ];

    /// The name in a scenario file.
    pub fn name(self) -> &'static str {
        match self {
            RawKind::Withdraw => "withdraw",
            RawKind::Announce => "announce",
            RawKind::Join => "join",
            RawKind::Tariff => "tariff",
            RawKind::Orientation => "orientation",
            RawKind::Crisis => "crisis",
            RawKind::Shock => "shock",
            RawKind::Summit => "summit",
            RawKind::CommonThreat => "common_threat",
            RawKind::Enter => "enter",
            RawKind::Exit => "exit",
        }
    }

    /// The kind-specific fields it takes (besides `at`, `kind`, `probability` and `note`).
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            RawKind::Withdraw | RawKind::Announce | RawKind::Join => &["state", "treaty"],
            RawKind::Tariff => &["by", "against", "rate"],
            RawKind::Orientation => &["state", "value"],
            RawKind::Crisis => &["aggressor", "target", "level"],
            RawKind::Shock => &["state", "power_factor", "gdp_factor"],
            RawKind::Summit => &["states", "trust"],
            RawKind::CommonThreat => &["severity", "addressed_by"],
            RawKind::Enter => &["state", "treaties"],
            RawKind::Exit => &["state"],
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<RawKind> {
        RawKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl RawEvent {
    /// The kind-specific fields that are present, by name, with their spans.
    pub fn present_fields(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        macro_rules! check {
            ($($f:ident),*) => { $( if let Some(v) = &self.$f { out.push((stringify!($f), v.span())); } )* };
        }
        check!(
            state,
            treaty,
            by,
            against,
            rate,
            value,
            aggressor,
            target,
            level,
            power_factor,
            gdp_factor,
            states,
            trust,
            severity,
            addressed_by,
            treaties
        );
        out
    }
}
