//! The dyads of the imported world: the dyadic tables (trade, contiguity, distance, capitals,
//! defence pledges, shared IGOs, disputes) read for the world's pairs, and each pair's row of
//! `dyads.csv` (trust, identity, trade, contiguity, distance, peace years, rivalry, shared IGOs)
//! with every fill counted in the [`Log`].

use super::institutions::Membership;
use super::states::{Attributes, World};
use super::tables::{Table, int, num, read, read_found, table_year, year_range};
use super::{Log, Options, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// Years before the imported year in which a dyad's latest COW trade record is used when the
/// year itself has none.
pub(super) const TRADE_LOOKBACK: i64 = 5;

/// Weight of a shared community institution (kind `community` in the institutions table) in
/// the initial trust and identity of a pair.
pub(super) const COMMUNITY_WEIGHT: f64 = 0.20;

/// A pair of ccodes, the smaller first ([`key`]).
pub(super) type Pair = (i64, i64);
/// A value per pair.
pub(super) type ByPair<T> = BTreeMap<Pair, T>;

/// A pair of ccodes, the smaller first.
pub(super) fn key(a: i64, b: i64) -> Pair {
    (a.min(b), a.max(b))
}

fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    x.max(lo).min(hi)
}

/// Great-circle distance in km.
pub(super) fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// The pair key of a dyadic table's row (columns 0 and 1: ccode1, ccode2).
fn pair_key(t: &Table, line: u64, r: &[String]) -> Result<Pair> {
    Ok(key(int(t, line, &r[0], "ccode1")?, int(t, line, &r[1], "ccode2")?))
}

/// What the dyadic tables say about the world's pairs (keys: [`key`]).
pub(super) struct Tables {
    /// Trade (bn USD) of the year, else of the pair's latest record in the lookback.
    pub trade: ByPair<f64>,
    /// The year trade was read for.
    pub trade_year: i64,
    /// Pairs whose trade comes from an earlier year.
    pub trade_earlier: usize,
    /// The closest contiguity type (1-4) in the year.
    pub contiguous: ByPair<i64>,
    /// CShapes minimum distance (km).
    pub distance: ByPair<f64>,
    /// Capital (lat, lng) by ccode in the year.
    pub capitals: BTreeMap<i64, (f64, f64)>,
    /// Pairs with a defence pledge in either direction.
    pub allied: BTreeSet<Pair>,
    /// Shared full IGO memberships.
    pub igos: ByPair<f64>,
    /// Whether the dyadic IGO table exists.
    pub igo_table: bool,
    /// The last dispute year in the 20 years before.
    pub last_mid: ByPair<i64>,
    /// Every dispute onset year before the year.
    pub onsets: ByPair<BTreeSet<i64>>,
}

impl Tables {
    pub fn read(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<Tables> {
        let (trade, trade_year, trade_earlier) = trade(data, world, opts, log)?;
        let contiguous = contiguity(data, world, log)?;
        let distance = distance(data, world, opts, log)?;
        let capitals = capitals(data, world)?;
        let allied = allied(data, world, opts, log)?;
        let (igos, igo_table) = shared_igos(data, world, opts, log)?;
        let (last_mid, onsets) = disputes(data, world, log)?;
        Ok(Tables {
            trade,
            trade_year,
            trade_earlier,
            contiguous,
            distance,
            capitals,
            allied,
            igos,
            igo_table,
            last_mid,
            onsets,
        })
    }
}

/// The pair's trade record of the year, else its latest of the [`TRADE_LOOKBACK`] years before
/// (COW dyadic trade has holes: France-West Germany has no record for 1960-1989), in bn USD; the
/// year read; and how many pairs use an earlier year.
fn trade(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<(ByPair<f64>, i64, usize)> {
    let name = "cow_trade_v4_dyadic_ndy";
    let mut trade_rec: ByPair<(i64, f64)> = BTreeMap::new();
    let mut trade_year = world.year;
    match table_year(data, name, world.year, opts.allow_nearest, &mut log.notes)? {
        Some(yt) => {
            trade_year = yt;
            let t = read_found(
                data,
                name,
                &[
                    "ccode1",
                    "ccode2",
                    "year",
                    "flow1",
                    "flow2",
                    "smoothflow1",
                    "smoothflow2",
                ],
                &|r| {
                    r[2].parse::<i64>()
                        .is_ok_and(|v| (yt - TRADE_LOOKBACK..=yt).contains(&v))
                        && world.pair(r[0], r[1])
                },
            )?;
            for (line, r) in &t.rows {
                let flow = |a: usize, b: usize| -> Result<f64> {
                    Ok(match num(&t, *line, &r[a], "flow")? {
                        Some(v) => v,
                        None => num(&t, *line, &r[b], "smoothflow")?.unwrap_or(0.0),
                    })
                };
                let x = (flow(3, 5)? + flow(4, 6)?) / 1000.0;
                let ry = int(&t, *line, &r[2], "year")?;
                let e = trade_rec.entry(pair_key(&t, *line, r)?).or_insert((ry, x));
                if ry > e.0 {
                    *e = (ry, x);
                }
            }
        }
        None => log
            .notes
            .push("cow_trade_v4_dyadic_ndy not found: every dyad's trade is 0".into()),
    }
    let trade = trade_rec.iter().map(|(&k, &(_, x))| (k, x)).collect();
    let trade_earlier = trade_rec.values().filter(|(ry, _)| *ry < trade_year).count();
    Ok((trade, trade_year, trade_earlier))
}

/// The year of a `YYYY...` date cell.
fn year_of(s: &str) -> Option<i64> {
    s.get(..4).and_then(|x| x.parse::<i64>().ok())
}

/// Contiguity types 1-4 (land or up to 150 miles of water) in the year, the closest per pair.
fn contiguity(data: &Path, world: &World, log: &mut Log) -> Result<ByPair<i64>> {
    let y = world.year;
    let mut contiguous: ByPair<i64> = BTreeMap::new();
    let Some(t) = read(
        data,
        "cow_contdir_v3.2",
        &["ccode1", "ccode2", "conttype", "stdate", "enddate"],
        &|r| world.pair(r[0], r[1]),
    )?
    else {
        log.notes
            .push("cow_contdir_v3.2 not found: no dyad is contiguous".into());
        return Ok(contiguous);
    };
    for (line, r) in &t.rows {
        let (Some(sy), Some(ey)) = (year_of(&r[3]), year_of(&r[4])) else {
            continue;
        };
        let ct = int(&t, *line, &r[2], "conttype")?;
        if sy <= y && y <= ey && (1..=4).contains(&ct) {
            let e = contiguous.entry(pair_key(&t, *line, r)?).or_insert(ct);
            *e = (*e).min(ct);
        }
    }
    Ok(contiguous)
}

/// CShapes minimum distance (km) in the year.
fn distance(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<ByPair<f64>> {
    let name = "cshapes2_mindist_ndy_1946_2019";
    let mut distance: ByPair<f64> = BTreeMap::new();
    if let Some(yd) = table_year(data, name, world.year, opts.allow_nearest, &mut log.notes)? {
        let yd = yd.to_string();
        let t = read_found(data, name, &["ccode1", "ccode2", "year", "mindist"], &|r| {
            r[2] == yd && world.pair(r[0], r[1])
        })?;
        for (line, r) in &t.rows {
            if let Some(d) = num(&t, *line, &r[3], "mindist")? {
                distance.insert(pair_key(&t, *line, r)?, d);
            }
        }
    }
    Ok(distance)
}

/// Each state's capital (lat, lng) in the year, for distances CShapes lacks.
fn capitals(data: &Path, world: &World) -> Result<BTreeMap<i64, (f64, f64)>> {
    let y = world.year;
    let mut capitals: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    if let Some(t) = read(
        data,
        "cow_capitals",
        &["ccode", "stdate", "enddate", "lat", "lng"],
        &|r| world.member(r[0]),
    )? {
        for (line, r) in &t.rows {
            if year_of(&r[1]).is_some_and(|s| s <= y)
                && year_of(&r[2]).is_some_and(|e| e >= y)
                && let (Some(lat), Some(lng)) = (num(&t, *line, &r[3], "lat")?, num(&t, *line, &r[4], "lng")?)
            {
                capitals.insert(int(&t, *line, &r[0], "ccode")?, (lat, lng));
            }
        }
    }
    Ok(capitals)
}

/// Pairs with an ATOP defence pledge in the year, in either direction.
fn allied(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<BTreeSet<Pair>> {
    let name = "atop5.1_directed_dyad_years";
    let mut allied: BTreeSet<Pair> = BTreeSet::new();
    match table_year(data, name, world.year, opts.allow_nearest, &mut log.notes)? {
        Some(ya) => {
            let ya = ya.to_string();
            let t = read_found(data, name, &["ccode1", "ccode2", "year", "atop_defense"], &|r| {
                r[2] == ya && r[3] == "1" && world.pair(r[0], r[1])
            })?;
            for (line, r) in &t.rows {
                allied.insert(pair_key(&t, *line, r)?);
            }
        }
        None => log
            .notes
            .push("atop5.1_directed_dyad_years not found: no defence pacts".into()),
    }
    Ok(allied)
}

/// Shared full IGO memberships in the year; and whether the table exists.
fn shared_igos(data: &Path, world: &World, opts: &Options, log: &mut Log) -> Result<(ByPair<f64>, bool)> {
    let name = "cow_igo_v3_ndy_1946_2014";
    let mut igos: ByPair<f64> = BTreeMap::new();
    let Some(yi) = table_year(data, name, world.year, opts.allow_nearest, &mut log.notes)? else {
        return Ok((igos, false));
    };
    let yi = yi.to_string();
    let t = read_found(data, name, &["ccode1", "ccode2", "year", "dyadigos"], &|r| {
        r[2] == yi && world.pair(r[0], r[1])
    })?;
    for (line, r) in &t.rows {
        if let Some(v) = num(&t, *line, &r[3], "dyadigos")? {
            igos.insert(pair_key(&t, *line, r)?, v);
        }
    }
    Ok((igos, true))
}

/// Disputes in the 20 preceding years, when the MID table covers them (each pair's last year),
/// and every dispute onset before the year (the rivalry stock).
fn disputes(data: &Path, world: &World, log: &mut Log) -> Result<(ByPair<i64>, ByPair<BTreeSet<i64>>)> {
    let y = world.year;
    let name = "cow_mid5_directed_dyad_years_nodup";
    let mut last_mid: ByPair<i64> = BTreeMap::new();
    let mut onsets: ByPair<BTreeSet<i64>> = BTreeMap::new();
    let mut mid_note = None;
    if let Some((mf, ml)) = year_range(data, name, "year")? {
        if ml < y - 1 {
            mid_note = Some(format!(
                "disputes: the MID table ends in {ml}; disputes in {}-{} are unknown to the import",
                (ml + 1).max(y - 20),
                y - 1
            ));
        }
        if mf < y {
            let t = read_found(data, name, &["ccode1", "ccode2", "year", "cowmidonset"], &|r| {
                r[2].parse::<i64>().is_ok_and(|v| v < y) && world.pair(r[0], r[1])
            })?;
            for (line, r) in &t.rows {
                let k = pair_key(&t, *line, r)?;
                let yr = int(&t, *line, &r[2], "year")?;
                if yr >= y - 20 {
                    let e = last_mid.entry(k).or_insert(yr);
                    *e = (*e).max(yr);
                }
                if num(&t, *line, &r[3], "cowmidonset")? == Some(1.0) {
                    onsets.entry(k).or_default().insert(yr);
                }
            }
        }
    } else {
        mid_note = Some("disputes: no MID table, every dyad starts with 20 peace years".into());
    }
    if let Some(n) = mid_note {
        log.notes.push(n);
    }
    Ok((last_mid, onsets))
}

/// `dyads.csv` and what its rows filled.
pub(super) struct Dyads {
    pub csv: String,
    /// Pairs without a trade record.
    pub no_trade: usize,
    /// Pairs sharing a community institution.
    pub community_pairs: usize,
}

/// Every pair's row of `dyads.csv`: trust and identity from the documented proxies (alliance,
/// democracy, shared IGOs, a shared community institution, a recent dispute), trade, contiguity,
/// distance (CShapes, else between capitals, else 5000 km), peace years, rivalry and shared IGOs.
/// Only the pairs `keep(i, j)` accepts (every pair of the world; an entry year's world: the
/// pairs of the states that enter then) are written and counted.
pub(super) fn rows(
    world: &World,
    attributes: &Attributes,
    t: &Tables,
    memberships: &[Membership],
    log: &mut Log,
    keep: &dyn Fn(usize, usize) -> bool,
) -> Dyads {
    let (y, n, states) = (world.year, world.n(), &world.states);
    // Community institutions (kind `community` in the institutions table: the EC, the Nordic
    // Council, ASEAN) each state belongs to on 31 December of the year: a pair sharing one
    // starts with more trust and identity (a proxy for a security community).
    let mut communities_of: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); n];
    for m in memberships.iter().filter(|m| m.kind == "community" && m.member_in(y)) {
        if let Some(&i) = world.index.get(&m.ccode) {
            communities_of[i].insert(&m.institution);
        }
    }
    let mut community_pairs = 0;
    let (mut no_trade, mut dist_capital, mut dist_default, mut no_igo) = (0, 0, 0, 0);
    let half_life = crate::params::Params::default().rivalry_half_life;
    let democracy = &attributes.democracy;
    let mut dyad_rows =
        String::from("state_a,state_b,trust,identity,trade,contiguous,distance,peace_years,rivalry,shared_igos\n");
    let mut pairs = 0;
    for i in 0..n {
        for j in (i + 1..n).filter(|&j| keep(i, j)) {
            pairs += 1;
            let k = key(states[i].ccode, states[j].ccode);
            let x = t.trade.get(&k).copied().unwrap_or_else(|| {
                no_trade += 1;
                0.0
            });
            let contig = t.contiguous.contains_key(&k);
            let d = match t.distance.get(&k) {
                Some(&d) => d,
                None if t.contiguous.get(&k) == Some(&1) => 0.0,
                None => match (t.capitals.get(&states[i].ccode), t.capitals.get(&states[j].ccode)) {
                    (Some(&a), Some(&b)) => {
                        dist_capital += 1;
                        haversine(a, b)
                    }
                    _ => {
                        dist_default += 1;
                        5000.0
                    }
                },
            };
            let ally = t.allied.contains(&k);
            let igo = match t.igos.get(&k) {
                Some(&v) => v,
                None => {
                    no_igo += 1;
                    0.0
                }
            };
            let igo_norm = (igo / 80.0).min(1.0);
            let dem = democracy[i].min(democracy[j]);
            let peace = t.last_mid.get(&k).map_or(20.0, |&ly| (y - ly) as f64);
            let recent = t.last_mid.get(&k).map_or(0.0, |&ly| (-((y - ly) as f64) / 10.0).exp());
            let a = if ally { 1.0 } else { 0.0 };
            let community = if communities_of[i].is_disjoint(&communities_of[j]) {
                0.0
            } else {
                community_pairs += 1;
                1.0
            };
            let identity = clamp(
                0.05 + 0.30 * a + 0.25 * dem + 0.25 * igo_norm + COMMUNITY_WEIGHT * community - 0.20 * recent,
                0.0,
                0.95,
            );
            let trust = clamp(
                0.15 + 0.30 * a + 0.30 * dem + 0.15 * igo_norm + COMMUNITY_WEIGHT * community - 0.30 * recent,
                0.02,
                0.95,
            );
            // Each distinct onset year counts once and halves every `rivalry_half_life` years.
            let rivalry = match t.onsets.get(&k) {
                Some(years) => format!(
                    "{:.4}",
                    years
                        .iter()
                        .map(|&oy| 0.5f64.powf((y - oy) as f64 / half_life))
                        .sum::<f64>()
                ),
                None => "0".to_string(),
            };
            writeln!(
                dyad_rows,
                "{},{},{:.3},{:.3},{:.3},{},{:.1},{},{},{}",
                states[i].abb, states[j].abb, trust, identity, x, contig, d, peace, rivalry, igo
            )
            .ok();
        }
    }
    let trade_year = t.trade_year;
    if t.trade_earlier > 0 {
        log.fills.push(format!(
            "trade: {} of {pairs} dyads without a COW trade record for {trade_year} use their latest record of the {TRADE_LOOKBACK} years before ({}-{})",
            t.trade_earlier,
            trade_year - TRADE_LOOKBACK,
            trade_year - 1
        ));
    }
    if no_trade > 0 {
        log.fills.push(format!(
            "trade: {no_trade} of {pairs} dyads have no COW trade record for {trade_year} or the {TRADE_LOOKBACK} years before and get 0"
        ));
    }
    if dist_capital > 0 {
        log.fills.push(format!("distance: {dist_capital} dyads without a CShapes minimum distance use the great-circle distance between capitals"));
    }
    if dist_default > 0 {
        log.fills
            .push(format!("distance: {dist_default} dyads with neither get 5000 km"));
    }
    if t.igo_table && no_igo > 0 {
        log.fills.push(format!(
            "shared IGOs: {no_igo} of {pairs} dyads without a COW IGO record count 0"
        ));
    }
    Dyads {
        csv: dyad_rows,
        no_trade,
        community_pairs,
    }
}
