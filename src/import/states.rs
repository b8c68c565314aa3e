//! The states of the imported world: the COW system members on 31 December of the year, and
//! their attributes (power, major, democracy, orientation and norms from IGO counts, the gdp
//! proxy), each missing value filled by a stated rule and counted in the [`Log`].

use super::tables::{int, num, read, read_found, table_year};
use super::{ImportError, Log, Options, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// A state of the world.
#[derive(Clone, Debug)]
pub(super) struct State {
    /// COW abbreviation: the scenario's state id.
    pub abb: String,
    pub name: String,
    pub ccode: i64,
}

/// A spell of state-system membership: (ccode, abbreviation, start year, end year, whether it
/// runs to 31 December).
pub(super) type Spell = (i64, String, i64, i64, bool);

/// The state system in the imported year.
#[derive(Clone)]
pub(super) struct World {
    pub year: i64,
    /// Members on 31 December, by ccode.
    pub states: Vec<State>,
    /// ccode -> index in `states`.
    pub index: BTreeMap<i64, usize>,
    /// Every spell of the state system table, of every year.
    pub spells: Vec<Spell>,
    /// The state system table's last year.
    pub last: i64,
}

impl World {
    /// The members of the COW state system on 31 December of `year` (a spell ending earlier in
    /// the year gives way to its successor, e.g. West Germany in October 1990).
    pub fn read(data: &Path, year: i64, log: &mut Log) -> Result<World> {
        let y = year;
        let states_t = read(
            data,
            "cow_states_v2016",
            &[
                "stateabb", "ccode", "statenme", "styear", "endyear", "endmonth", "endday",
            ],
            &|_| true,
        )?
        .ok_or_else(|| ImportError::Missing(format!("{} has no cow_states_v2016.csv(.gz)", data.display())))?;
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let mut states: Vec<State> = Vec::new();
        let mut ended = 0;
        let mut spells: Vec<Spell> = Vec::new();
        for (line, r) in &states_t.rows {
            let (sy, ey) = (
                int(&states_t, *line, &r[3], "styear")?,
                int(&states_t, *line, &r[4], "endyear")?,
            );
            first = first.min(sy);
            last = last.max(ey);
            let (em, ed) = (
                int(&states_t, *line, &r[5], "endmonth")?,
                int(&states_t, *line, &r[6], "endday")?,
            );
            let ccode = int(&states_t, *line, &r[1], "ccode")?;
            spells.push((ccode, r[0].clone(), sy, ey, (em, ed) == (12, 31)));
            if !(sy <= y && y <= ey) {
                continue;
            }
            // Members on 31 December: a spell ending earlier in the year (e.g. West Germany
            // in October 1990) gives way to its successor.
            if ey == y && (em, ed) != (12, 31) {
                ended += 1;
                continue;
            }
            if !states.iter().any(|s| s.ccode == ccode) {
                states.push(State {
                    abb: r[0].clone(),
                    name: r[2].clone(),
                    ccode,
                });
            }
        }
        if !(first..=last).contains(&y) {
            return Err(ImportError::Coverage {
                table: "cow_states_v2016".into(),
                first,
                last,
                year: y,
                hint: format!("the COW state system covers {first}-{last}"),
            });
        }
        if ended > 0 {
            log.notes.push(format!(
                "{ended} state(s) whose membership ended before 31 December {y} were left out"
            ));
        }
        states.sort_by_key(|s| s.ccode);
        if states.len() < 2 {
            return Err(ImportError::Missing(format!(
                "fewer than two COW system members in {y}"
            )));
        }
        let index = states.iter().enumerate().map(|(i, s)| (s.ccode, i)).collect();
        Ok(World {
            year,
            states,
            index,
            spells,
            last,
        })
    }

    pub fn n(&self) -> usize {
        self.states.len()
    }

    /// Whether a ccode cell names a state of this world.
    pub fn member(&self, ccode: &str) -> bool {
        ccode.parse::<i64>().ok().is_some_and(|c| self.index.contains_key(&c))
    }

    /// Whether both ccode cells name states of this world.
    pub fn pair(&self, a: &str, b: &str) -> bool {
        self.member(a) && self.member(b)
    }

    /// Whether state `ccode` is a system member on 31 December of `year`.
    pub fn on_31_december(&self, ccode: i64, year: i64) -> bool {
        self.spells
            .iter()
            .any(|&(sc, _, sy, ey, full)| sc == ccode && sy <= year && year <= ey && (year < ey || full))
    }

    /// The index of the state of a ccode cell, which the table's filter kept to this world's.
    fn at(&self, t: &super::tables::Table, line: u64, cell: &str) -> Result<usize> {
        let ccode = int(t, line, cell, "ccode")?;
        self.index.get(&ccode).copied().ok_or_else(|| ImportError::Parse {
            file: t.path.display().to_string(),
            line,
            message: format!("ccode \"{cell}\" is not a state of {}", self.year),
        })
    }
}

/// What each state brings, in state order.
pub(super) struct Attributes {
    /// CINC.
    pub power: Vec<f64>,
    pub major: Vec<bool>,
    /// V-Dem polyarchy, else rescaled polity2, else 0.5.
    pub democracy: Vec<f64>,
    /// National imports + exports (million USD); `None` without a figure.
    pub national: Vec<Option<f64>>,
    /// Whether the national trade table exists.
    pub national_table: bool,
    pub orientation: Vec<f64>,
    /// The norms' multilateralism.
    pub multilateral: Vec<f64>,
}

impl Attributes {
    pub fn read(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<Attributes> {
        let power = power(data, world, log)?;
        let major = major(data, world, log)?;
        let democracy = democracy(data, world, opts, log)?;
        let (national, national_table) = national_trade(data, world, opts, log)?;
        let (orientation, multilateral) = orientation(data, world, opts, log)?;
        Ok(Attributes {
            power,
            major,
            democracy,
            national,
            national_table,
            orientation,
            multilateral,
        })
    }
}

/// CINC power, required; a state without a score gets the year's smallest.
fn power(data: &Path, world: &World, log: &mut Log) -> Result<Vec<f64>> {
    let y = world.year;
    let nmc_range = super::tables::year_range(data, "cow_nmc_v7", "year")?
        .ok_or_else(|| ImportError::Missing(format!("{} has no cow_nmc_v7.csv(.gz)", data.display())))?;
    if !(nmc_range.0..=nmc_range.1).contains(&y) {
        return Err(ImportError::Coverage {
            table: "cow_nmc_v7".into(),
            first: nmc_range.0,
            last: nmc_range.1,
            year: y,
            hint: "CINC power is required".into(),
        });
    }
    let ys = y.to_string();
    let nmc = read_found(data, "cow_nmc_v7", &["ccode", "year", "cinc"], &|r| {
        r[1] == ys && world.member(r[0])
    })?;
    let mut power = vec![None; world.n()];
    for (line, r) in &nmc.rows {
        power[world.at(&nmc, *line, &r[0])?] = num(&nmc, *line, &r[2], "cinc")?;
    }
    let min_power = power.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let missing_power = power.iter().filter(|p| p.is_none()).count();
    if missing_power > 0 {
        log.fills.push(format!(
            "power: {missing_power} state(s) without a CINC score get the year's smallest ({min_power:.6})"
        ));
    }
    Ok(power
        .into_iter()
        .map(|p| p.unwrap_or(if min_power.is_finite() { min_power } else { 0.0 }))
        .collect())
}

/// Major powers in the year (none without the table).
fn major(data: &Path, world: &World, log: &mut Log) -> Result<Vec<bool>> {
    let y = world.year;
    let mut major = vec![false; world.n()];
    if let Some(t) = read(data, "cow_majors_v2016", &["ccode", "styear", "endyear"], &|_| true)? {
        for (line, r) in &t.rows {
            let c = int(&t, *line, &r[0], "ccode")?;
            if int(&t, *line, &r[1], "styear")? <= y
                && y <= int(&t, *line, &r[2], "endyear")?
                && let Some(&i) = world.index.get(&c)
            {
                major[i] = true;
            }
        }
    } else {
        log.fills
            .push("major: cow_majors_v2016 not found, no state is a major power".into());
    }
    Ok(major)
}

/// V-Dem polyarchy, else Polity's polity2 rescaled to 0-1, else 0.5.
fn democracy(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<Vec<f64>> {
    let n = world.n();
    let mut democracy = vec![0.5; n];
    let Some(yd) = table_year(data, "ccode_democracy", world.year, opts.allow_nearest, &mut log.notes)? else {
        log.fills
            .push(format!("democracy: ccode_democracy not found, all {n} states get 0.5"));
        return Ok(democracy);
    };
    let yd = yd.to_string();
    let t = read_found(
        data,
        "ccode_democracy",
        &["ccode", "year", "v2x_polyarchy", "polity2"],
        &|r| r[1] == yd && world.member(r[0]),
    )?;
    let mut found = vec![false; n];
    let (mut polity, mut neither) = (0, 0);
    for (line, r) in &t.rows {
        let i = world.at(&t, *line, &r[0])?;
        if let Some(v) = num(&t, *line, &r[2], "v2x_polyarchy")? {
            democracy[i] = v;
            found[i] = true;
        } else if let Some(p) = num(&t, *line, &r[3], "polity2")? {
            democracy[i] = (p + 10.0) / 20.0;
            found[i] = true;
            polity += 1;
        }
    }
    neither += found.iter().filter(|f| !**f).count();
    if polity > 0 {
        log.fills.push(format!(
            "democracy: {polity} state(s) without V-Dem polyarchy use (polity2 + 10) / 20"
        ));
    }
    if neither > 0 {
        log.fills.push(format!(
            "democracy: {neither} state(s) with neither V-Dem nor Polity get 0.5"
        ));
    }
    Ok(democracy)
}

/// National imports + exports (million USD) of the year; `None` without a row or with neither
/// figure (West Germany is coded 255 in the 1960s national table, so 260 has empty rows). Also
/// whether the table exists. The gdp proxy is computed by [`gdp`], once the dyadic trade is known.
fn national_trade(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<(Vec<Option<f64>>, bool)> {
    let mut national: Vec<Option<f64>> = vec![None; world.n()];
    let name = "cow_trade_v4_national";
    let Some(yt) = table_year(data, name, world.year, opts.allow_nearest, &mut log.notes)? else {
        return Ok((national, false));
    };
    let yt = yt.to_string();
    let t = read_found(data, name, &["ccode", "year", "imports", "exports"], &|r| {
        r[1] == yt && world.member(r[0])
    })?;
    for (line, r) in &t.rows {
        let i = world.at(&t, *line, &r[0])?;
        let total = num(&t, *line, &r[2], "imports")?.unwrap_or(0.0) + num(&t, *line, &r[3], "exports")?.unwrap_or(0.0);
        national[i] = (total > 0.0).then_some(total);
    }
    Ok((national, true))
}

/// Orientation and multilateralism from the percentile rank of the state's IGO memberships
/// (0.5 and 0.6 without a count).
fn orientation(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut igo_count: Vec<Option<f64>> = vec![None; world.n()];
    let name = "cow_igo_v3_state_year";
    if let Some(yi) = table_year(data, name, world.year, opts.allow_nearest, &mut log.notes)? {
        let yi = yi.to_string();
        let t = read_found(data, name, &["ccode", "year", "sum_igo_full"], &|r| {
            r[1] == yi && world.member(r[0])
        })?;
        for (line, r) in &t.rows {
            igo_count[world.at(&t, *line, &r[0])?] = num(&t, *line, &r[2], "sum_igo_full")?;
        }
    }
    let known: Vec<f64> = igo_count.iter().flatten().copied().collect();
    let rank = |v: f64| {
        let below = known.iter().filter(|&&k| k < v).count() as f64;
        let equal = known.iter().filter(|&&k| k == v).count() as f64;
        if known.len() > 1 {
            (below + 0.5 * (equal - 1.0)) / (known.len() - 1) as f64
        } else {
            0.5
        }
    };
    let missing_igo = igo_count.iter().filter(|c| c.is_none()).count();
    if missing_igo > 0 {
        log.fills.push(format!(
            "orientation and multilateralism: {missing_igo} state(s) without an IGO count get 0.5 and 0.6"
        ));
    }
    let orientation = igo_count
        .iter()
        .map(|c| c.map_or(0.5, |v| 0.2 + 0.6 * rank(v)))
        .collect();
    let multilateral = igo_count
        .iter()
        .map(|c| c.map_or(0.6, |v| 0.3 + 0.6 * rank(v)))
        .collect();
    Ok((orientation, multilateral))
}

/// The gdp proxy: national (imports + exports) / `trade_to_gdp`; a state without national trade
/// uses the sum of its dyadic trade in this world (`trade`, bn USD, over its dyads).
pub(super) fn gdp(
    world: &World,
    attributes: &Attributes,
    trade: &super::dyads::ByPair<f64>,
    trade_to_gdp: f64,
    log: &mut Log,
) -> Vec<f64> {
    let n = world.n();
    let mut dyadic_total = vec![0.0; n];
    for (&(a, b), &x) in trade {
        dyadic_total[world.index[&a]] += x * 1000.0;
        dyadic_total[world.index[&b]] += x * 1000.0;
    }
    let (mut gdp_dyadic, mut gdp_unknown) = (0, 0);
    let gdp: Vec<f64> = (0..n)
        .map(|i| {
            let total = match attributes.national[i] {
                Some(t) => t,
                None if dyadic_total[i] > 0.0 => {
                    gdp_dyadic += 1;
                    dyadic_total[i]
                }
                None => {
                    gdp_unknown += 1;
                    0.0
                }
            };
            total / 1e6 / trade_to_gdp
        })
        .collect();
    if !attributes.national_table {
        log.fills
            .push("gdp: cow_trade_v4_national not found, no state has national trade data".into());
    }
    if gdp_dyadic > 0 {
        log.fills.push(format!(
            "gdp: {gdp_dyadic} state(s) without national trade data use the sum of their dyadic trade (flow1 + flow2 over their dyads)"
        ));
    }
    if gdp_unknown > 0 {
        log.fills.push(format!(
            "gdp: {gdp_unknown} state(s) with neither national nor dyadic trade data get 0 (unknown: trade dependence 0)"
        ));
    }
    gdp
}
