//! `[defaults]`, `[[dyad]]` tables and `dyads_csv` rows become the dense dyad arrays.

use super::compose::{Defaults, In};
use super::{DyadIn, Loader, Result, Val, loc, val};
use crate::scenario::DyadInit;
use crate::scenario::error::Loc;
use crate::scenario::raw::RawDyad;
use std::collections::BTreeMap;

impl Loader {
    pub(super) fn dyads(
        &self,
        tables: &[In<RawDyad>],
        d: &Defaults,
        inputs: Vec<DyadIn>,
        index: &BTreeMap<String, usize>,
    ) -> Result<DyadInit> {
        for &(src, dy) in tables {
            let states = &dy.get_ref().states;
            if states.get_ref().len() != 2 {
                return Err(self.err(
                    &loc(src, states),
                    format!("a dyad names exactly two states, not {}", states.get_ref().len()),
                    "expected [\"A\", \"B\"]",
                    Some("write states = [\"USA\", \"CAN\"]".into()),
                ));
            }
        }
        let n = index.len();
        let trust0 = self.unit(&d.trust, "trust", 0.3)?;
        let identity0 = self.unit(&d.identity, "identity", 0.1)?;
        let trade0 = match &d.trade {
            Some(v) => self.trade(v)?,
            None => 0.0,
        };
        let distance0 = match &d.distance {
            Some(v) => self.range(v, "distance", 0.0, f64::INFINITY)?,
            None => 5000.0,
        };
        let peace0 = match &d.peace_years {
            Some(v) => self.range(v, "peace_years", 0.0, f64::INFINITY)?,
            None => 20.0,
        };
        let rivalry0 = match &d.rivalry {
            Some(v) => self.range(v, "rivalry", 0.0, f64::INFINITY)?,
            None => 0.0,
        };
        let igos0 = match &d.shared_igos {
            Some(v) => self.range(v, "shared_igos", 0.0, f64::INFINITY)?,
            None => 0.0,
        };
        let contiguous0 = d.contiguous.unwrap_or(false);
        let mut init = DyadInit {
            n,
            trust: vec![trust0; n * n],
            identity: vec![identity0; n * n],
            trade: vec![trade0; n * n],
            contiguous: vec![contiguous0; n * n],
            distance: vec![distance0; n * n],
            peace_years: vec![peace0; n * n],
            rivalry: vec![rivalry0; n * n],
            shared_igos: vec![igos0; n * n],
        };
        for i in 0..n {
            init.trust[i * n + i] = 1.0;
            init.identity[i * n + i] = 1.0;
            init.trade[i * n + i] = 0.0;
            init.contiguous[i * n + i] = false;
            init.distance[i * n + i] = 0.0;
        }
        let mut seen: BTreeMap<(usize, usize), Loc> = BTreeMap::new();
        for dy in inputs {
            let a = self.state_ref_val(&dy.a, index, "a dyad")?;
            let b = self.state_ref_val(&dy.b, index, "a dyad")?;
            if a == b {
                return Err(self.err(&dy.b.loc, "a dyad needs two different states", "same state twice", None));
            }
            let key = (a.min(b), a.max(b));
            if let Some(prev) = seen.get(&key) {
                let (line, _) = self.files[prev.src].line_col(prev.span.start);
                return Err(self.err(
                    &dy.a.loc,
                    format!("dyad {}-{} is listed twice", dy.a.v, dy.b.v),
                    "listed again",
                    Some(format!(
                        "first listed in {} line {line}; merge the two entries",
                        self.files[prev.src].path
                    )),
                ));
            }
            seen.insert(key, dy.a.loc.clone());
            let (ab, ba) = (a * n + b, b * n + a);
            if let Some(t) = &dy.trust {
                let t = self.range(t, "trust", 0.0, 1.0)?;
                init.trust[ab] = t;
                init.trust[ba] = t;
            }
            if let Some(w) = &dy.identity {
                let w = self.range(w, "identity", 0.0, 1.0)?;
                init.identity[ab] = w;
                init.identity[ba] = w;
            }
            if let Some(t) = &dy.trust_ba {
                init.trust[ba] = self.range(t, "trust_ba", 0.0, 1.0)?;
            }
            if let Some(w) = &dy.identity_ba {
                init.identity[ba] = self.range(w, "identity_ba", 0.0, 1.0)?;
            }
            if let Some(x) = &dy.trade {
                let x = self.trade(x)?;
                init.trade[ab] = x;
                init.trade[ba] = x;
            }
            if let Some(c) = dy.contiguous {
                init.contiguous[ab] = c;
                init.contiguous[ba] = c;
            }
            if let Some(x) = &dy.distance {
                let x = self.range(x, "distance", 0.0, f64::INFINITY)?;
                init.distance[ab] = x;
                init.distance[ba] = x;
            }
            if let Some(x) = &dy.peace_years {
                let x = self.range(x, "peace_years", 0.0, f64::INFINITY)?;
                init.peace_years[ab] = x;
                init.peace_years[ba] = x;
            }
            if let Some(x) = &dy.rivalry {
                let x = self.range(x, "rivalry", 0.0, f64::INFINITY)?;
                init.rivalry[ab] = x;
                init.rivalry[ba] = x;
            }
            if let Some(x) = &dy.shared_igos {
                let x = self.range(x, "shared_igos", 0.0, f64::INFINITY)?;
                init.shared_igos[ab] = x;
                init.shared_igos[ba] = x;
            }
        }
        Ok(init)
    }
}

pub(super) fn dyad_from_toml(src: usize, d: &RawDyad) -> DyadIn {
    let states = d.states.get_ref();
    let whole = loc(src, &d.states);
    let pick = |i: usize| {
        states.get(i).map(|s| val(src, s)).unwrap_or(Val {
            v: String::new(),
            loc: whole.clone(),
        })
    };
    DyadIn {
        a: pick(0),
        b: if states.len() == 2 {
            pick(1)
        } else {
            Val {
                v: format!("<{} states listed>", states.len()),
                loc: whole.clone(),
            }
        },
        trust: d.trust.as_ref().map(|x| val(src, x)),
        identity: d.identity.as_ref().map(|x| val(src, x)),
        trust_ba: d.trust_ba.as_ref().map(|x| val(src, x)),
        identity_ba: d.identity_ba.as_ref().map(|x| val(src, x)),
        trade: d.trade.as_ref().map(|x| val(src, x)),
        contiguous: d.contiguous,
        distance: d.distance.as_ref().map(|x| val(src, x)),
        peace_years: d.peace_years.as_ref().map(|x| val(src, x)),
        rivalry: d.rivalry.as_ref().map(|x| val(src, x)),
        shared_igos: d.shared_igos.as_ref().map(|x| val(src, x)),
    }
}
