//! A growing state system: the states that enter and exit the COW state system between the
//! imported year and `--end` (unless `--fixed-states`). The world of a year is the system's
//! members on 31 December, as for the imported year: a state that is a member on 31 December of
//! year t but not of t - 1 enters at t, one that was a member on 31 December of t - 1 but is not
//! of t exits at t (East and West Germany exit in 1990, when united Germany enters). A state that
//! is not in the world of the year takes its attributes (capability, democracy, trade, IGO
//! memberships, ...) and its dyads with the states present then from the tables of its entry year,
//! built by the same rules as the year's ([`super::states`], [`super::dyads`]); its institution
//! memberships on 31 December of its entry year are the treaties its `enter` event joins.

use super::dyads::{self, Tables};
use super::institutions::{Institutions, Membership};
use super::states::{self, Attributes, World};
use super::{Log, Options, Result};
use std::collections::{BTreeMap, BTreeSet};

/// An entry or exit: (year, state index in the grown world, enters).
pub(super) type Change = (i64, usize, bool);

/// The states that enter and exit, and what the entrants bring.
pub(super) struct Growth {
    /// The world of the year with the entrants after its states (indices `world.n()..`), in the
    /// order of their first entry (year, then ccode).
    pub world: World,
    /// How many states the world of the year has (the entrants' indices start there).
    pub n_start: usize,
    /// Every entry and exit by year; in a year, exits first, then by state index.
    pub changes: Vec<Change>,
    /// `states.csv` rows of the entrants (attributes of their entry year).
    pub state_rows: String,
    /// `dyads.csv` rows of the entrants' pairs (of the year the later of the two enters).
    pub dyad_rows: String,
    /// Rows in `dyad_rows`.
    pub n_dyads: usize,
    /// The years whose tables were read for entrants.
    pub entry_years: Vec<i64>,
    /// For each entry, the treaties (indices into `Institutions::list`) it joins; set by
    /// [`Growth::fit_institutions`].
    pub enter_treaties: BTreeMap<(i64, usize), Vec<usize>>,
}

impl Growth {
    /// The entries and exits of `world`'s state system up to `opts.end` (the table's last year
    /// at most: the system is taken as unchanged after it), and the entrants' rows.
    pub fn read(data: &std::path::Path, world: World, opts: &Options, memberships: &[Membership]) -> Result<Growth> {
        let (y, stop) = (world.year, opts.end.min(world.last));
        let ccodes: BTreeSet<i64> = world.spells.iter().map(|s| s.0).collect();
        let mut present: BTreeSet<i64> = world.index.keys().copied().collect();
        // (year, ccode, enters)
        let mut by_ccode: Vec<(i64, i64, bool)> = Vec::new();
        for t in y + 1..=stop {
            let now: BTreeSet<i64> = ccodes.iter().copied().filter(|&c| world.on_31_december(c, t)).collect();
            by_ccode.extend(present.difference(&now).map(|&c| (t, c, false)));
            by_ccode.extend(now.difference(&present).map(|&c| (t, c, true)));
            present = now;
        }
        // First entries of states outside the world of the year, in order (year, ccode).
        let mut first: Vec<(i64, i64)> = Vec::new();
        for &(t, c, enters) in &by_ccode {
            if enters && !world.index.contains_key(&c) && !first.iter().any(|&(_, x)| x == c) {
                first.push((t, c));
            }
        }
        let n_start = world.n();
        let mut entry_years: Vec<i64> = first.iter().map(|&(t, _)| t).collect();
        entry_years.dedup();
        let (mut entrants, mut state_rows, mut dyad_rows, mut n_dyads) = (Vec::new(), String::new(), String::new(), 0);
        for &t in &entry_years {
            let new_at_t: BTreeSet<i64> = first.iter().filter(|&&(ft, _)| ft == t).map(|&(_, c)| c).collect();
            // The world of the entry year, built as the imported year's; its fills concern every
            // state of that world and are not itemised.
            let mut log = Log::default();
            let opts_t = Options {
                year: t,
                ..opts.clone()
            };
            let wt = World::read(data, t, &mut log)?;
            let attributes = Attributes::read(data, &wt, &opts_t, &mut log)?;
            let tables = Tables::read(data, &wt, &opts_t, &mut log)?;
            let gdp = states::gdp(&wt, &attributes, &tables.trade, opts.trade_to_gdp, &mut log);
            for &c in &new_at_t {
                let i = wt.index[&c];
                state_rows.push_str(&super::write::state_row(&wt.states[i], &attributes, &gdp, i));
                entrants.push(wt.states[i].clone());
            }
            let new = |i: usize| new_at_t.contains(&wt.states[i].ccode);
            let rows = dyads::rows(&wt, &attributes, &tables, memberships, &mut log, &|i, j| {
                new(i) || new(j)
            });
            let body = rows.csv.split_once('\n').map_or("", |(_, rest)| rest);
            n_dyads += body.lines().count();
            dyad_rows.push_str(body);
        }
        let mut world = world;
        for s in entrants {
            world.index.insert(s.ccode, world.states.len());
            world.states.push(s);
        }
        let mut changes: Vec<Change> = by_ccode
            .iter()
            .map(|&(t, c, enters)| (t, world.index[&c], enters))
            .collect();
        changes.sort_by_key(|&(t, i, enters)| (t, enters, i));
        Ok(Growth {
            world,
            n_start,
            changes,
            state_rows,
            dyad_rows,
            n_dyads,
            entry_years,
            enter_treaties: BTreeMap::new(),
        })
    }

    /// Whether state `i` is in the system on 31 December of `year` (the table's last year at most).
    fn present(&self, i: usize, year: i64) -> bool {
        self.world
            .on_31_december(self.world.states[i].ccode, year.min(self.world.last))
    }

    /// Fits the institutions to the changing state set: an entrant is no member at the start;
    /// each entry joins the institutions the state belongs to on 31 December of its year; a
    /// join or withdraw event of a state absent that year, or in its year of entry (the entry
    /// joins), is dropped. Returns how many events were dropped.
    pub fn fit_institutions(&mut self, institutions: &mut Institutions<'_>, memberships: &[Membership]) -> usize {
        for inst in &mut institutions.list {
            inst.members.retain(|&i| i < self.n_start);
        }
        let entries: Vec<(i64, usize)> = self.changes.iter().filter(|c| c.2).map(|&(t, i, _)| (t, i)).collect();
        for &(t, i) in &entries {
            let ccode = self.world.states[i].ccode;
            let mut joined = Vec::new();
            for (k, inst) in institutions.list.iter_mut().enumerate() {
                if memberships
                    .iter()
                    .any(|m| m.ccode == ccode && m.institution == inst.id && m.member_in(t))
                {
                    joined.push(k);
                    inst.events += 1;
                }
            }
            self.enter_treaties.insert((t, i), joined);
        }
        let before = institutions.events.len();
        let mut dropped_of: Vec<usize> = Vec::new();
        institutions.events.retain(|&(year, _, k, i, _)| {
            let keep = self.present(i, year) && !entries.contains(&(year, i));
            if !keep {
                dropped_of.push(k);
            }
            keep
        });
        for k in dropped_of {
            institutions.list[k].events -= 1;
        }
        before - institutions.events.len()
    }

    /// Entries and exits: (entries, exits).
    pub fn counts(&self) -> (usize, usize) {
        let entries = self.changes.iter().filter(|c| c.2).count();
        (entries, self.changes.len() - entries)
    }

    /// The state ids of the first entrants, in order.
    pub fn entrant_ids(&self) -> Vec<&str> {
        self.world.states[self.n_start..]
            .iter()
            .map(|s| s.abb.as_str())
            .collect()
    }
}

/// Whether the import adds entries and exits.
pub(super) fn wanted(opts: &Options) -> bool {
    !opts.fixed_states
}
