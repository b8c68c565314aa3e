//! Components and resources of one run's ECS world.
//!
//! States, treaties and communities are entities. What a state has that changes during a run
//! lives in its components, the source of truth: `Capability` (drift, shocks), `Orientation`
//! (leadership turns), `Norms` (diffusion, exits), `Trade` (its trade total), and `Regime`, which
//! events read when a state joins a treaty. Every tick `gather_state_table` copies the changing
//! ones into the dense [`StateTable`], so that the hot loops over dyads read flat arrays indexed
//! by state index; what never changes in a run (ids, democracy, major-power status, the start
//! values) is written into the table once, when the world is built. Pact memberships live in the
//! `Treaty` entities' member lists, which events and `exit_pacts` change; [`Ties`] derives each
//! state's allies and pacts from them when they change. Everything dyadic (trust, identity,
//! trade, peace years, rivalry) lives in the dense [`Relations`] resource: it belongs to a pair,
//! not to a state, so no state component holds it.

use crate::params::Params;
use crate::scenario::{NORMS, TreatyKind};
pub use crate::sim::mechanisms::Hostility;
use crate::sim::rng::RunKey;
use crate::time::Calendar;
use bevy_ecs::prelude::*;
use std::sync::Arc;

// ---- state components -------------------------------------------------------

/// Position of a state in every dense array.
#[derive(Component, Clone, Copy, Debug)]
pub struct StateIndex(pub usize);

/// Material capability: COW CINC share and GDP (trillion USD, 0 when unknown).
#[derive(Component, Clone, Copy, Debug)]
pub struct Capability {
    pub power: f64,
    pub gdp: f64,
}

#[derive(Component, Clone, Copy, Debug)]
pub struct Regime {
    pub democracy: f64,
}

/// 0 nationalist / inward-looking .. 1 internationalist.
#[derive(Component, Clone, Copy, Debug)]
pub struct Orientation(pub f64);

#[derive(Component, Clone, Copy, Debug)]
pub struct Norms(pub [f64; NORMS]);

/// A state's trade with all others this tick, bn USD per year: `update_trade` writes it after
/// moving every dyad's trade, and the identity drive (relative acceptance) and the choice of
/// norm partners read it.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Trade {
    pub total: f64,
}

// ---- treaty and community entities ----------------------------------------

#[derive(Clone, Copy, Debug)]
pub struct Membership {
    pub state: usize,
    pub power_at_join: f64,
    pub democracy_at_join: f64,
}

#[derive(Component, Clone, Debug)]
pub struct Treaty {
    pub id: Arc<str>,
    pub kind: TreatyKind,
    pub salience: f64,
    /// Creation order: scenario treaties first, then pacts the model forms.
    pub order: u32,
    pub members: Vec<Membership>,
    /// States that left (they can free-ride on a common threat).
    pub former: Vec<usize>,
    /// States that announced they will leave.
    pub announced: Vec<usize>,
}

impl Treaty {
    pub fn has(&self, state: usize) -> bool {
        self.members.iter().any(|m| m.state == state)
    }

    /// Adds a member (a `join`, or a treaty an entering state joins), with its power and
    /// democracy at joining, keeping the members in state order; it is no longer a former member.
    pub fn admit(&mut self, state: usize, power: f64, democracy: f64) {
        self.members.push(Membership {
            state,
            power_at_join: power,
            democracy_at_join: democracy,
        });
        self.members.sort_by_key(|m| m.state);
        self.former.retain(|&s| s != state);
    }
}

#[derive(Component, Clone, Debug)]
pub struct Community {
    pub id: Arc<str>,
    /// 1-based position in the outputs (0 is the whole system).
    pub slot: usize,
    pub members: Vec<usize>,
}

/// A pair of states whose own path is recorded each tick (`pairs.csv`).
#[derive(Component, Clone, Debug)]
pub struct PairOfInterest {
    /// Position in the outputs (the scenario's order).
    pub index: usize,
    pub a: usize,
    pub b: usize,
}

// ---- resources ---------------------------------------------------------------

#[derive(Resource, Clone, Debug)]
pub struct Clock {
    pub tick: u32,
    pub calendar: Calendar,
    /// Step length in years.
    pub dt: f64,
}

#[derive(Resource, Clone, Debug)]
pub struct RunInfo {
    pub run: u64,
    pub key: RunKey,
    pub record_disputes: bool,
}

#[derive(Resource, Clone, Debug)]
pub struct Model(pub Params);

/// Entities of the states, by index, and of the scenario treaties, by spec position.
#[derive(Resource, Clone, Debug, Default)]
pub struct Registry {
    pub states: Vec<Entity>,
    pub treaties: Vec<Entity>,
    pub next_treaty_order: u32,
}

/// Dense per-state snapshot, refreshed from the components every tick.
#[derive(Resource, Clone, Debug, Default)]
pub struct StateTable {
    pub n: usize,
    pub ids: Vec<Arc<str>>,
    pub power: Vec<f64>,
    pub power_prev: Vec<f64>,
    /// Power shares at the start (the structural trust anchor reads changes since then).
    pub power0: Vec<f64>,
    pub gdp: Vec<f64>,
    pub gdp0: Vec<f64>,
    pub democracy: Vec<f64>,
    pub orientation: Vec<f64>,
    pub norms: Vec<[f64; NORMS]>,
    pub major: Vec<bool>,
    /// Whether each state is in the system now: a state that enters later is absent from the
    /// start until its `enter` event, a state that exits is absent after its `exit`. Every pass
    /// over states or pairs skips absent ones, and every metric counts present ones only.
    pub active: Vec<bool>,
    /// Every state is present (always so in a scenario without `enter` or `exit` events): the
    /// passes then skip the per-pair check.
    pub all_active: bool,
}

impl StateTable {
    /// Whether the pair (i, j) is in the system now (both states are).
    #[inline(always)]
    pub fn pair_active(&self, i: usize, j: usize) -> bool {
        self.all_active || (self.active[i] && self.active[j])
    }

    /// Sets a state's presence, and `all_active` with it.
    pub fn set_active(&mut self, state: usize, present: bool) {
        self.active[state] = present;
        self.all_active = self.active.iter().all(|&a| a);
    }
}

/// What an entry needs: the scenario's initial dyads (a state's pairs start from them when it
/// enters) and the states that entered this tick, whose pairs' baselines `settle_entries` sets
/// once the ties include their treaties. `initial` is `None` when no state ever enters.
#[derive(Resource, Clone, Debug, Default)]
pub struct Entrants {
    pub initial: Option<Arc<Relations>>,
    pub pending: Vec<usize>,
}

/// Dense dyadic state, `n x n` row-major.
#[derive(Resource, Clone, Debug, Default)]
pub struct Relations {
    pub n: usize,
    /// Directed: how i sees j.
    pub trust: Vec<f64>,
    /// Directed we-feeling.
    pub identity: Vec<f64>,
    /// Symmetric, bn USD per year.
    pub trade: Vec<f64>,
    /// Symmetric: the trade each dyad had at the start.
    pub trade_baseline: Vec<f64>,
    pub contiguous: Vec<bool>,
    pub distance: Vec<f64>,
    /// Symmetric: `ln(1 + distance / 1000 km)`, precomputed for the onset logit.
    pub log_distance: Vec<f64>,
    /// Symmetric: years since the last dispute of any level.
    pub peace_years: Vec<f64>,
    /// Symmetric: years since the last dispute at use of force or war.
    pub force_years: Vec<f64>,
    /// Symmetric: the dyad is in Wendt's Kantian culture.
    pub kantian: Vec<bool>,
    /// At `i * n + j`, `i < j`: `0.5 * (trust[ij] + trust[ji])` and the same of identity, as the
    /// trust pass of this tick left them (it writes them with the Kantian flags; dispute onset,
    /// which runs after it, reads them along contiguous rows). Not read by anything else.
    pub mean_trust: Vec<f64>,
    pub mean_identity: Vec<f64>,
    /// Directed: tariff imposed by i on imports from j.
    pub tariff: Vec<f64>,
    /// Directed: trust at the start, the base of the structural anchor.
    pub trust0: Vec<f64>,
    /// Directed: the odds against `trust0` ([`super::mechanisms::anchor_odds_against`]), computed once.
    pub anchor_odds: Vec<f64>,
    /// Directed: the structural trust anchor of the last tick (empty before the first tick).
    pub anchor: Vec<f64>,
    /// Directed: the realist rival-alignment term at the first tick (empty before it).
    pub rival0: Vec<f64>,
    /// Symmetric conflict memory: each dispute adds 1; halves every `rivalry_half_life` years.
    pub rivalry: Vec<f64>,
    /// Symmetric: the rivalry stock at the start.
    pub rivalry0: Vec<f64>,
    /// Symmetric: shared full IGO memberships at the start (COW IGO v3).
    pub shared_igos: Vec<f64>,
    /// Directed: the relative power gain `grown[to] - grown[from]` when the pair began (a pair
    /// with a state that entered after the start begins at the entry). Empty when no state ever
    /// enters: every pair then begins at the start, where the gain is 0.
    pub gain0: Vec<f64>,
}

/// Treaty-derived dyadic ties, recomputed when memberships change.
#[derive(Resource, Clone, Debug, Default)]
pub struct Ties {
    pub n: usize,
    /// Memberships changed in a way only a full [`Ties::rebuild`] follows (scripted events).
    pub dirty: bool,
    /// Pairs `(a, b)`, `a < b`, whose shared treaties may have changed since the last refresh
    /// (a pact exit, a new pact): [`Ties::refresh`] recomputes only these when not `dirty`.
    pub touched: Vec<(usize, usize)>,
    /// Symmetric count of shared defence pacts.
    pub defense: Vec<u16>,
    /// Symmetric count of shared trade pacts.
    pub pta: Vec<u16>,
    /// Symmetric salience-weighted count of shared treaties of any kind.
    pub institutions: Vec<f64>,
    /// Symmetric count of shared treaties of a non-defence kind (institutions that are IGOs).
    pub shared: Vec<u16>,
    pub pta0: Vec<u16>,
    pub institutions0: Vec<f64>,
    pub defense0: Vec<u16>,
    pub shared0: Vec<u16>,
    /// Defence allies of each state, ascending.
    pub allies: Vec<Vec<usize>>,
    /// Members of each active defence pact (a clique of allies), in treaty order.
    pub pacts: Vec<Vec<usize>>,
    /// Indices into `pacts` of the pacts each state belongs to.
    pub pacts_of: Vec<Vec<usize>>,
    /// `[k * n + b]`: (power, democracy) of ally k when it joined its first pact with b; only
    /// where `defense[k * n + b] > 0` (elsewhere it may hold a former alliance's values, never
    /// read: `Ties::rebuild` does not clear it).
    pub joined: Vec<(f64, f64)>,
}

impl Ties {
    /// Rebuilds every tie from the list of treaties (taken in treaty order).
    pub fn rebuild<'a>(&mut self, treaties: impl Iterator<Item = &'a Treaty>) {
        let n = self.n;
        self.defense.fill(0);
        self.pta.fill(0);
        self.shared.fill(0);
        self.institutions.fill(0.0);
        // `joined` is not cleared: an entry is read only where `defense` > 0, and each of those is
        // set below (at the pair's first defence pact in treaty order).
        self.pacts.clear();
        self.pacts_of.iter_mut().for_each(Vec::clear);
        for t in treaties {
            self.list_pact(t);
            for a in &t.members {
                for b in t.members.iter().filter(|b| b.state != a.state) {
                    let k = a.state * n + b.state;
                    self.institutions[k] += t.salience;
                    match t.kind {
                        TreatyKind::Defense => {
                            if self.defense[k] == 0 {
                                self.joined[k] = (a.power_at_join, a.democracy_at_join);
                            }
                            self.defense[k] += 1;
                        }
                        TreatyKind::Trade => {
                            self.pta[k] += 1;
                            self.shared[k] += 1;
                        }
                        _ => self.shared[k] += 1,
                    }
                }
            }
        }
        for (i, allies) in self.allies.iter_mut().enumerate() {
            allies.clear();
            allies.extend((0..n).filter(|&j| self.defense[i * n + j] > 0));
        }
        self.dirty = false;
        self.touched.clear();
    }

    /// Adds `t` to the list of active defence pacts if it is one.
    fn list_pact(&mut self, t: &Treaty) {
        if t.kind == TreatyKind::Defense && t.members.len() >= 2 {
            for m in &t.members {
                self.pacts_of[m.state].push(self.pacts.len());
            }
            self.pacts.push(t.members.iter().map(|m| m.state).collect());
        }
    }

    /// Notes that the pairs of `state` with each of `others` may have changed.
    pub fn touch(&mut self, state: usize, others: impl IntoIterator<Item = usize>) {
        self.touched.extend(
            others
                .into_iter()
                .filter(|&o| o != state)
                .map(|o| (state.min(o), state.max(o))),
        );
    }

    /// Brings the ties up to date with `treaties` (in treaty order): a full [`Ties::rebuild`]
    /// when `dirty`, otherwise only the [`Ties::touched`] pairs, each recomputed from the
    /// treaties both states are in, in treaty order, so with the bits a full rebuild gives (its
    /// salience sums add the same terms in the same order). `tests/reference.rs` checks that
    /// at every tick.
    pub fn refresh(&mut self, treaties: &[&Treaty]) {
        if self.dirty {
            self.rebuild(treaties.iter().copied());
            return;
        }
        if self.touched.is_empty() {
            return;
        }
        let n = self.n;
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        // Each state's treaties, in treaty order, with its place among each one's members: state
        // i's are `of_state[start[i]..start[i + 1]]`.
        let mut start = vec![0usize; n + 1];
        for m in treaties.iter().flat_map(|t| &t.members) {
            start[m.state + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut of_state = vec![(0usize, 0usize); start[n]];
        let mut next = start.clone();
        for (at, t) in treaties.iter().enumerate() {
            for (index, m) in t.members.iter().enumerate() {
                of_state[next[m.state]] = (at, index);
                next[m.state] += 1;
            }
        }
        for &(a, b) in &touched {
            let (ab, ba) = (a * n + b, b * n + a);
            let (mut defense, mut pta, mut shared, mut institutions) = (0u16, 0u16, 0u16, 0.0);
            let (from_a, from_b) = (&of_state[start[a]..start[a + 1]], &of_state[start[b]..start[b + 1]]);
            let (mut x, mut y) = (0, 0);
            while x < from_a.len() && y < from_b.len() {
                let ((ta, ma), (tb, mb)) = (from_a[x], from_b[y]);
                if ta < tb {
                    x += 1;
                    continue;
                }
                if tb < ta {
                    y += 1;
                    continue;
                }
                let t = treaties[ta];
                let (ma, mb) = (&t.members[ma], &t.members[mb]);
                institutions += t.salience;
                match t.kind {
                    TreatyKind::Defense => {
                        if defense == 0 {
                            self.joined[ab] = (ma.power_at_join, ma.democracy_at_join);
                            self.joined[ba] = (mb.power_at_join, mb.democracy_at_join);
                        }
                        defense += 1;
                    }
                    TreatyKind::Trade => {
                        pta += 1;
                        shared += 1;
                    }
                    _ => shared += 1,
                }
                x += 1;
                y += 1;
            }
            for k in [ab, ba] {
                self.defense[k] = defense;
                self.pta[k] = pta;
                self.shared[k] = shared;
                self.institutions[k] = institutions;
            }
        }
        let mut states: Vec<usize> = touched.iter().flat_map(|&(a, b)| [a, b]).collect();
        states.sort_unstable();
        states.dedup();
        for i in states {
            let allies = &mut self.allies[i];
            allies.clear();
            allies.extend((0..n).filter(|&j| self.defense[i * n + j] > 0));
        }
        self.pacts.clear();
        self.pacts_of.iter_mut().for_each(Vec::clear);
        for t in treaties {
            self.list_pact(t);
        }
        touched.clear();
        self.touched = touched;
    }
}

/// Scripted events not yet applied, sorted by date then file order.
#[derive(Resource, Clone, Debug, Default)]
pub struct Timeline {
    pub events: Vec<crate::scenario::EventSpec>,
    pub next: usize,
}

/// How a dispute ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    VictoryA,
    VictoryB,
    YieldA,
    YieldB,
    Stalemate,
    Compromise,
    SettledByTalks,
}

impl Outcome {
    /// The MID outcome code (Palmer et al. 2022, MID 5 codebook): 1 victory for side A, 2 victory
    /// for side B, 3 yield by side A, 4 yield by side B, 5 stalemate, 6 compromise. A dispute
    /// settled by talks in a zone of peace is a negotiated compromise (6).
    pub fn mid_code(self) -> u8 {
        match self {
            Outcome::VictoryA => 1,
            Outcome::VictoryB => 2,
            Outcome::YieldA => 3,
            Outcome::YieldB => 4,
            Outcome::Stalemate => 5,
            Outcome::Compromise | Outcome::SettledByTalks => 6,
        }
    }

    /// The MID settlement code: 1 negotiated (a compromise, or talks), 2 imposed (a victory),
    /// 3 none (a side backs down, or a stalemate).
    pub fn settle(self) -> u8 {
        match self {
            Outcome::Compromise | Outcome::SettledByTalks => 1,
            Outcome::VictoryA | Outcome::VictoryB => 2,
            Outcome::YieldA | Outcome::YieldB | Outcome::Stalemate => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::VictoryA => "victory_a",
            Outcome::VictoryB => "victory_b",
            Outcome::YieldA => "yield_a",
            Outcome::YieldB => "yield_b",
            Outcome::Stalemate => "stalemate",
            Outcome::Compromise => "compromise",
            Outcome::SettledByTalks => "settled_by_talks",
        }
    }
}

/// One militarized dispute.
#[derive(Clone, Debug, PartialEq)]
pub struct Dispute {
    pub tick: u32,
    /// Initiator (side A).
    pub a: usize,
    /// Target (side B).
    pub b: usize,
    pub entry: Hostility,
    pub highest: Hostility,
    pub reciprocated: bool,
    /// Allies that honoured a call and joined side B.
    pub joiners: Vec<usize>,
    pub outcome: Outcome,
    /// Scripted by a `crisis` event.
    pub scripted: bool,
}

/// An ally called when a state was attacked.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    pub target: usize,
    pub ally: usize,
    pub honoured: bool,
}

/// What happened this tick; cleared after metrics.
#[derive(Resource, Clone, Debug, Default)]
pub struct TickLog {
    /// Crises scripted for this tick: (aggressor, target, level).
    pub crises: Vec<(usize, usize, Hostility)>,
    /// Disputes begun this tick, before escalation: (initiator, target).
    pub onsets: Vec<(usize, usize)>,
    pub disputes: Vec<Dispute>,
    pub calls: Vec<Call>,
    pub pacts_formed: u32,
    pub pact_exits: u32,
}

/// What a run produces: the metric panel and the dispute list.
#[derive(Resource, Clone, Debug, Default)]
pub struct Outcomes {
    /// `[tick][community slot][metric]`, flattened.
    pub metrics: Vec<f64>,
    /// `[tick][pair][pair metric]`, flattened (`metrics::PAIR_METRICS`).
    pub pairs: Vec<f64>,
    /// Per community slot: a dispute at use of force or above has occurred.
    pub force_seen: Vec<bool>,
    pub disputes: Vec<Dispute>,
}

/// Side of the square tiles in which [`for_each_pair_tiled`] visits pairs.
pub const PAIR_TILE: usize = 16;

/// Calls `f(i, j)` for every undirected pair `i < j` of `n` states, in square tiles of
/// [`PAIR_TILE`] states: within a tile the `(j, i)` entries of the `n x n` arrays lie in a few
/// cache lines, where a plain row-by-row sweep reads each from a different line. Only for passes
/// in which a pair's update touches its own entries alone (the order of pairs is not the dyad
/// order; passes that draw random numbers in dyad order keep the plain order).
#[inline(always)]
pub fn for_each_pair_tiled(n: usize, mut f: impl FnMut(usize, usize)) {
    for ib in (0..n).step_by(PAIR_TILE) {
        let i_end = (ib + PAIR_TILE).min(n);
        for jb in (ib..n).step_by(PAIR_TILE) {
            let j_end = (jb + PAIR_TILE).min(n);
            for i in ib..i_end {
                for j in jb.max(i + 1)..j_end {
                    f(i, j);
                }
            }
        }
    }
}

#[cfg(test)]
mod tiling_tests {
    use super::*;

    #[test]
    fn tiles_visit_every_pair_once() {
        for n in [0, 1, 2, 15, 16, 17, 33, 50] {
            let mut seen = vec![0u8; n * n];
            for_each_pair_tiled(n, |i, j| {
                assert!(i < j && j < n);
                seen[i * n + j] += 1;
            });
            for i in 0..n {
                for j in 0..n {
                    assert_eq!(seen[i * n + j], u8::from(i < j), "n = {n}, pair ({i}, {j})");
                }
            }
        }
    }
}
