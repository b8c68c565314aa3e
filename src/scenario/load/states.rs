//! The roster: `[[state]]` tables and `states_csv` rows become states, and ids resolve to them.

use super::{Loader, Result, StateIn, Val, preview, val, valid_id};
use crate::scenario::error::Loc;
use crate::scenario::raw::{RawState, S};
use crate::scenario::{NORMS, StateSpec};
use crate::suggest::closest;
use std::collections::BTreeMap;

impl Loader {
    pub(super) fn states(&self, inputs: Vec<StateIn>) -> Result<(Vec<StateSpec>, BTreeMap<String, usize>)> {
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

    pub(super) fn state_ref(
        &self,
        src: usize,
        name: &S<String>,
        index: &BTreeMap<String, usize>,
        role: &str,
    ) -> Result<usize> {
        self.state_ref_val(&val(src, name), index, role)
    }

    pub(super) fn state_ref_val(
        &self,
        name: &Val<String>,
        index: &BTreeMap<String, usize>,
        role: &str,
    ) -> Result<usize> {
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
}

pub(super) fn state_from_toml(src: usize, s: &RawState) -> StateIn {
    StateIn {
        id: val(src, &s.id),
        name: s.name.clone(),
        ccode: s.ccode.as_ref().map(|c| *c.get_ref()),
        power: val(src, &s.power),
        gdp: s.gdp.as_ref().map(|x| val(src, x)),
        democracy: s.democracy.as_ref().map(|x| val(src, x)),
        orientation: s.orientation.as_ref().map(|x| val(src, x)),
        major: s.major.unwrap_or(false),
        norms: s.norms.as_ref().map(|x| val(src, x)),
    }
}
