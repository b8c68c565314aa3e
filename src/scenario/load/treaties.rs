//! `[[treaty]]` and `[[community]]`, and the lists of members they hold.

use super::compose::In;
use super::{Loader, Result, loc, val, valid_id};
use crate::scenario::error::Loc;
use crate::scenario::raw::{RawCommunity, RawTreaty, S};
use crate::scenario::{CommunitySpec, TreatyKind, TreatySpec};
use crate::suggest::closest;
use std::collections::{BTreeMap, HashMap, HashSet};

/// At most this many treaties: a pair's count of shared treaties is 16-bit in the model.
const MAX_TREATIES: usize = u16::MAX as usize;

impl Loader {
    pub(super) fn member_list(
        &self,
        src: usize,
        members: &S<Vec<S<String>>>,
        index: &BTreeMap<String, usize>,
        role: &str,
    ) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        // A set, not `out.contains`: a list of all 300,000 states took 21 s (tests/fuzz.rs).
        let mut seen = HashSet::new();
        for m in members.get_ref() {
            let i = self.state_ref(src, m, index, role)?;
            if !seen.insert(i) {
                return Err(self.err(
                    &loc(src, m),
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

    /// The treaties of `list` (each with the file it was written in).
    pub(super) fn treaties(&self, list: &[In<RawTreaty>], index: &BTreeMap<String, usize>) -> Result<Vec<TreatySpec>> {
        if list.len() > MAX_TREATIES {
            let (src, t) = list[MAX_TREATIES];
            return Err(self.err(
                &loc(src, t),
                format!(
                    "the scenario has {} treaties; at most {MAX_TREATIES} are allowed",
                    list.len()
                ),
                "one too many",
                Some(
                    "far more than ATOP's alliances and COW's IGOs together: merge treaties that play the same role"
                        .into(),
                ),
            ));
        }
        let mut out: Vec<TreatySpec> = Vec::new();
        // Ids seen, in a map: comparing each with every earlier one took 15 s for 65,535 treaties.
        let mut ids: HashMap<String, Loc> = HashMap::new();
        for &(src, t) in list {
            let t = t.get_ref();
            let id = t.id.get_ref().trim().to_string();
            if !valid_id(&id) {
                return Err(self.err(
                    &loc(src, &t.id),
                    format!("invalid treaty id \"{id}\""),
                    "ids are one word",
                    Some("use letters, digits, '-', '_' or '.', e.g. \"NATO\" or \"US-Japan\"".into()),
                ));
            }
            if let Some(first) = ids.get(&id) {
                let help = (first.src != src).then(|| {
                    format!(
                        "\"{id}\" is first defined in {}; a file cannot redefine a treaty of its base: give it another id",
                        self.line_of(first)
                    )
                });
                return Err(self.err(
                    &loc(src, &t.id),
                    format!("duplicate treaty id \"{id}\""),
                    "defined again here",
                    help,
                ));
            }
            ids.insert(id.clone(), loc(src, &t.id));
            let kind = TreatyKind::parse(t.kind.get_ref()).ok_or_else(|| {
                let kinds = ["defense", "trade", "regime", "community"];
                let hint = match closest(t.kind.get_ref(), kinds) {
                    Some(s) => format!("did you mean \"{s}\"? kinds: defense, trade, regime, community"),
                    None => "kinds: defense, trade, regime, community".into(),
                };
                self.err(
                    &loc(src, &t.kind),
                    format!("unknown treaty kind \"{}\"", t.kind.get_ref()),
                    "unknown kind",
                    Some(hint),
                )
            })?;
            let salience = self.unit(&t.salience.as_ref().map(|s| val(src, s)), "salience", 0.5)?;
            let members = self.member_list(src, &t.members, index, &format!("the members of treaty \"{id}\""))?;
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

    /// The communities of `list` (each with the file it was written in).
    pub(super) fn communities(
        &self,
        list: &[In<RawCommunity>],
        index: &BTreeMap<String, usize>,
    ) -> Result<Vec<CommunitySpec>> {
        let mut out: Vec<CommunitySpec> = Vec::new();
        // Ids seen, in a map: comparing each with every earlier one ran for minutes on 200,000.
        let mut ids: HashMap<String, Loc> = HashMap::new();
        for &(src, c) in list {
            let c = c.get_ref();
            let id = c.id.get_ref().trim().to_string();
            let first = ids.get(&id);
            if id == "system" || first.is_some() {
                let help = match first {
                    _ if id == "system" => Some("\"system\" is reserved for the whole world".to_string()),
                    Some(first) if first.src != src => Some(format!(
                        "\"{id}\" is first defined in {}; to replace the base's community, add remove_communities = [\"{id}\"] at the top of this file",
                        self.line_of(first)
                    )),
                    _ => None,
                };
                return Err(self.err(
                    &loc(src, &c.id),
                    format!("duplicate community id \"{id}\""),
                    "defined again here",
                    help,
                ));
            }
            if id.is_empty() || id.contains(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')) {
                return Err(self.err(
                    &loc(src, &c.id),
                    format!("invalid community id \"{id}\""),
                    "letters, digits, _ and - only",
                    Some("community ids become column names in runs.csv".into()),
                ));
            }
            let members = self.member_list(src, &c.members, index, &format!("the members of community \"{id}\""))?;
            if members.len() < 2 {
                return Err(self.err(
                    &loc(src, &c.members),
                    "a community needs at least two members",
                    "fewer than two",
                    None,
                ));
            }
            ids.insert(id.clone(), loc(src, &c.id));
            out.push(CommunitySpec {
                name: c.name.clone().unwrap_or_else(|| id.clone()),
                id,
                members,
            });
        }
        Ok(out)
    }
}
