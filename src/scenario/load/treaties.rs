//! `[[treaty]]` and `[[community]]`, and the lists of members they hold.

use super::{Loader, Result, loc, val, valid_id};
use crate::scenario::raw::{RawFile, S};
use crate::scenario::{CommunitySpec, TreatyKind, TreatySpec};
use crate::suggest::closest;
use std::collections::{BTreeMap, HashSet};

/// At most this many treaties: a pair's count of shared treaties is 16-bit in the model.
const MAX_TREATIES: usize = u16::MAX as usize;

impl Loader {
    pub(super) fn member_list(
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

    pub(super) fn treaties(&self, raw: &RawFile, index: &BTreeMap<String, usize>) -> Result<Vec<TreatySpec>> {
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

    pub(super) fn communities(&self, raw: &RawFile, index: &BTreeMap<String, usize>) -> Result<Vec<CommunitySpec>> {
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
}
