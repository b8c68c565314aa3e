//! Defence pacts from ATOP's pledges, and NATO's members as a community. ATOP dyad-years carry
//! no treaty ids: the pacts are a greedy clique cover of the pledge graph, so every allied pair
//! lies in at least one pact and all members of a pact are pairwise allied.

use super::Result;
use super::dyads::key;
use super::states::World;
use super::tables::{int, read};
use std::collections::BTreeSet;
use std::path::Path;

/// A greedy clique cover of the pledge graph (`allied`: ccode pairs): each pact's members as
/// state indices, sorted.
pub(super) fn cover(world: &World, allied: &BTreeSet<super::dyads::Pair>) -> Vec<Vec<usize>> {
    let (n, states) = (world.n(), &world.states);
    let adjacent = |a: usize, b: usize| allied.contains(&key(states[a].ccode, states[b].ccode));
    let mut covered: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut pacts: Vec<Vec<usize>> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if !adjacent(i, j) || covered.contains(&(i, j)) {
                continue;
            }
            let mut clique = vec![i, j];
            for k in 0..n {
                if !clique.contains(&k) && clique.iter().all(|&m| adjacent(m, k)) {
                    clique.push(k);
                }
            }
            clique.sort_unstable();
            for (x, &a) in clique.iter().enumerate() {
                for &b in &clique[x + 1..] {
                    covered.insert((a, b));
                }
            }
            pacts.push(clique);
        }
    }
    pacts
}

/// NATO's members in the year (`derived/nato_members_from_atop5.1`), as state indices, sorted;
/// none before 1949 or without the table.
pub(super) fn nato(data: &Path, world: &World) -> Result<Vec<usize>> {
    let y = world.year;
    let ys = y.to_string();
    let mut nato: Vec<usize> = Vec::new();
    if y >= 1949
        && let Some(t) = read(data, "derived/nato_members_from_atop5.1", &["ccode", "year"], &|r| {
            r[1] == ys && world.member(r[0])
        })?
    {
        for (line, r) in &t.rows {
            let c = int(&t, *line, &r[0], "ccode")?;
            if let Some(&i) = world.index.get(&c) {
                nato.push(i);
            }
        }
        nato.sort_unstable();
    }
    Ok(nato)
}
