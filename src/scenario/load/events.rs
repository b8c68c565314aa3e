//! `[[event]]` tables: dates on the calendar, each kind's fields, and membership along the timeline.

use super::compose::In;
use super::{Loader, Result, loc, preview, val, valid_id};
use crate::scenario::error::Loc;
use crate::scenario::raw::{RawEvent, RawKind, S};
use crate::scenario::{EventKind, EventSpec, TreatySpec};
use crate::suggest::closest;
use crate::time::Calendar;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Range of a `shock` event's factors: a thousandfold loss or gain at most. Factors such as
/// 1e300 overflowed trade and cohesion into undefined values for the rest of the run.
const SHOCK_MIN: f64 = 0.001;
const SHOCK_MAX: f64 = 1000.0;

impl Loader {
    /// The events of `list` (each with the file it was written in), placed on the calendar;
    /// an event's `order` is its position in `list`.
    pub(super) fn events(
        &self,
        list: &[In<RawEvent>],
        cal: &Calendar,
        index: &BTreeMap<String, usize>,
        treaties: &[TreatySpec],
    ) -> Result<Vec<EventSpec>> {
        let mut out = Vec::new();
        let mut ids: HashMap<&str, Loc> = HashMap::new();
        for (order, &(src, e)) in list.iter().enumerate() {
            let whole = loc(src, e);
            let e = e.get_ref();
            if let Some(id) = &e.id {
                let name = id.get_ref().trim();
                if !valid_id(name) {
                    return Err(self.err(
                        &loc(src, id),
                        format!("invalid event id \"{}\"", id.get_ref()),
                        "ids are one word",
                        Some("use letters, digits, '-', '_' or '.', e.g. \"us-leaves-paris\"".into()),
                    ));
                }
                if let Some(first) = ids.get(name) {
                    return Err(self.err(
                        &loc(src, id),
                        format!("duplicate event id \"{name}\""),
                        "defined again here",
                        Some(format!(
                            "\"{name}\" is first defined in {}; to replace an event of the base, add its id to remove_events",
                            self.line_of(first)
                        )),
                    ));
                }
                ids.insert(name, loc(src, id));
            }
            let at = self.month(&val(src, &e.at), false, "at")?;
            if at < cal.start || at > cal.end {
                return Err(self.err(
                    &loc(src, &e.at),
                    "event date is outside the scenario's [start, end]",
                    "outside the simulated period",
                    Some(format!(
                        "the scenario runs from {}-{:02} to {}-{:02}",
                        cal.start.year(),
                        cal.start.month(),
                        cal.end.year(),
                        cal.end.month()
                    )),
                ));
            }
            let probability = match &e.probability {
                Some(p) if !(*p.get_ref() > 0.0 && *p.get_ref() <= 1.0) => {
                    return Err(self.err(&loc(src, p), "probability must be in (0, 1]", "out of range", None));
                }
                Some(p) => *p.get_ref(),
                None => 1.0,
            };
            let kind = self.event_kind(src, e, &whole, index, treaties)?;
            out.push(EventSpec {
                at,
                tick: cal.tick_of(at),
                order,
                probability,
                kind,
            });
        }
        out.sort_by_key(|e| (e.at, e.order));
        self.check_presence(&out, list, index, treaties)?;
        self.check_memberships(&out, list, treaties)?;
        Ok(out)
    }

    pub(super) fn event_kind(
        &self,
        src: usize,
        e: &RawEvent,
        whole: &Loc,
        index: &BTreeMap<String, usize>,
        treaties: &[TreatySpec],
    ) -> Result<EventKind> {
        let Some(raw_kind) = RawKind::parse(e.kind.get_ref()) else {
            let written = e.kind.get_ref();
            let kinds = RawKind::ALL.map(RawKind::name);
            let hint = match closest(written, kinds) {
                Some(s) => format!("did you mean \"{s}\"? kinds: {}", kinds.join(", ")),
                None => format!("kinds: {}", kinds.join(", ")),
            };
            return Err(self.err(
                &loc(src, &e.kind),
                format!("unknown event kind \"{written}\""),
                "unknown kind",
                Some(hint),
            ));
        };
        let (kind, fields) = (raw_kind.name(), raw_kind.fields());
        let a = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        for (name, span) in e.present_fields() {
            if !fields.contains(&name) {
                return Err(self.err(
                    &Loc { src, span },
                    format!("field `{name}` does not belong to {a} `{kind}` event"),
                    "not used by this kind",
                    Some(format!("{a} `{kind}` event takes: {}", fields.join(", "))),
                ));
            }
        }
        let missing = |field: &str| {
            self.err(
                whole,
                format!("{a} `{kind}` event needs `{field}`"),
                format!("`{field}` missing"),
                Some(format!("{a} `{kind}` event takes: {}", fields.join(", "))),
            )
        };
        let state = |f: &Option<S<String>>, name: &str| -> Result<usize> {
            let s = f.as_ref().ok_or_else(|| missing(name))?;
            self.state_ref(src, s, index, &format!("{a} `{kind}` event"))
        };
        let treaty_id = |t: &S<String>| -> Result<usize> {
            treaties.iter().position(|x| x.id == t.get_ref().trim()).ok_or_else(|| {
                let hint = match closest(t.get_ref(), treaties.iter().map(|x| x.id.as_str())) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("known treaties: {}", preview(treaties.iter().map(|x| &x.id))),
                };
                self.err(
                    &loc(src, t),
                    format!("unknown treaty \"{}\"", t.get_ref()),
                    "no treaty has this id",
                    Some(hint),
                )
            })
        };
        let treaty = |f: &Option<S<String>>, name: &str| -> Result<usize> {
            treaty_id(f.as_ref().ok_or_else(|| missing(name))?)
        };
        let number = |f: &Option<S<f64>>, name: &str, min: f64, max: f64| -> Result<f64> {
            let v = f.as_ref().ok_or_else(|| missing(name))?;
            self.range(&val(src, v), name, min, max)
        };
        Ok(match raw_kind {
            RawKind::Withdraw => EventKind::Withdraw {
                state: state(&e.state, "state")?,
                treaty: treaty(&e.treaty, "treaty")?,
            },
            RawKind::Announce => EventKind::Announce {
                state: state(&e.state, "state")?,
                treaty: treaty(&e.treaty, "treaty")?,
            },
            RawKind::Join => EventKind::Join {
                state: state(&e.state, "state")?,
                treaty: treaty(&e.treaty, "treaty")?,
            },
            RawKind::Tariff => {
                let by = state(&e.by, "by")?;
                let list = e.against.as_ref().ok_or_else(|| missing("against"))?;
                let against = self.member_list(src, list, index, "the targets of a tariff")?;
                if against.is_empty() {
                    return Err(self.err(
                        &loc(src, list),
                        "a tariff needs at least one target",
                        "empty list",
                        None,
                    ));
                }
                if against.contains(&by) {
                    return Err(self.err(
                        &loc(src, list),
                        "a state cannot put a tariff on itself",
                        "contains `by`",
                        None,
                    ));
                }
                EventKind::Tariff {
                    by,
                    against,
                    rate: number(&e.rate, "rate", 0.0, 1.0)?,
                }
            }
            RawKind::Orientation => EventKind::Orientation {
                state: state(&e.state, "state")?,
                value: number(&e.value, "value", 0.0, 1.0)?,
            },
            RawKind::Crisis => {
                let aggressor = state(&e.aggressor, "aggressor")?;
                let target = state(&e.target, "target")?;
                if aggressor == target {
                    return Err(self.err(whole, "a crisis needs two different states", "aggressor = target", None));
                }
                let level = e.level.as_ref().ok_or_else(|| missing("level"))?;
                if !(2..=5).contains(level.get_ref()) {
                    return Err(self.err(
                        &loc(src, level),
                        format!("crisis level {} is not on the hostility ladder", level.get_ref()),
                        "expected 2..5",
                        Some("2 threat, 3 display of force, 4 use of force, 5 war".into()),
                    ));
                }
                EventKind::Crisis {
                    aggressor,
                    target,
                    level: *level.get_ref() as u8,
                }
            }
            RawKind::Shock => {
                if e.power_factor.is_none() && e.gdp_factor.is_none() {
                    return Err(missing("power_factor` or `gdp_factor"));
                }
                let factor = |f: &Option<S<f64>>, name: &str| -> Result<f64> {
                    match f {
                        None => Ok(1.0),
                        Some(v) if (SHOCK_MIN..=SHOCK_MAX).contains(v.get_ref()) => Ok(*v.get_ref()),
                        Some(v) => Err(self.err(
                            &loc(src, v),
                            format!("{name} must be between {SHOCK_MIN} and {SHOCK_MAX}"),
                            "not a factor in range",
                            Some(
                                "0.9 is a 10% loss, 1.1 a 10% gain; a thousandfold change either way is the most \
                                 a shock can be (larger ones overflowed trade and trust)"
                                    .into(),
                            ),
                        )),
                    }
                };
                EventKind::Shock {
                    state: state(&e.state, "state")?,
                    power_factor: factor(&e.power_factor, "power_factor")?,
                    gdp_factor: factor(&e.gdp_factor, "gdp_factor")?,
                }
            }
            RawKind::Summit => {
                let list = e.states.as_ref().ok_or_else(|| missing("states"))?;
                let states = self.member_list(src, list, index, "a summit")?;
                if states.len() < 2 {
                    return Err(self.err(
                        &loc(src, list),
                        "a summit needs at least two states",
                        "fewer than two",
                        None,
                    ));
                }
                EventKind::Summit {
                    states,
                    trust: number(&e.trust, "trust", -1.0, 1.0)?,
                }
            }
            RawKind::CommonThreat => EventKind::CommonThreat {
                severity: number(&e.severity, "severity", 0.0, 1.0)?,
                addressed_by: treaty(&e.addressed_by, "addressed_by")?,
            },
            RawKind::Enter | RawKind::Exit => {
                if let Some(p) = e.probability.as_ref().filter(|p| *p.get_ref() < 1.0) {
                    return Err(self.err(
                        &loc(src, p),
                        format!("an `{kind}` event is certain: it takes no probability below 1"),
                        "uncertain entry or exit",
                        Some(
                            "which states exist is a condition of the run, not one of its draws: remove \
                             `probability`, and compare a copy of the scenario without the event"
                                .into(),
                        ),
                    ));
                }
                let state = state(&e.state, "state")?;
                if raw_kind == RawKind::Exit {
                    EventKind::Exit { state }
                } else {
                    let mut joined: Vec<usize> = Vec::new();
                    for t in e.treaties.iter().flat_map(|list| list.get_ref()) {
                        let k = treaty_id(t)?;
                        if joined.contains(&k) {
                            return Err(self.err(
                                &loc(src, t),
                                format!("treaty \"{}\" is listed twice", t.get_ref()),
                                "listed before",
                                None,
                            ));
                        }
                        joined.push(k);
                    }
                    joined.sort_unstable();
                    EventKind::Enter {
                        state,
                        treaties: joined,
                    }
                }
            }
        })
    }

    /// Walks the events in order with the set of states present: a state whose first `enter` or
    /// `exit` is an `enter` is absent from the start until then. Refused: entering a present
    /// state, the exit of an absent one, any other event that names a state absent at its date,
    /// and a treaty that lists among its first members a state absent at the start.
    pub(super) fn check_presence(
        &self,
        events: &[EventSpec],
        list: &[In<RawEvent>],
        index: &BTreeMap<String, usize>,
        treaties: &[TreatySpec],
    ) -> Result<()> {
        let n = index.len();
        let mut present = vec![true; n];
        let mut seen = vec![false; n];
        for e in events {
            if let EventKind::Enter { state, .. } | EventKind::Exit { state } = e.kind
                && !std::mem::replace(&mut seen[state], true)
            {
                present[state] = matches!(e.kind, EventKind::Exit { .. });
            }
        }
        let id_of = |i: usize| index.iter().find(|(_, v)| **v == i).map_or("", |(k, _)| k.as_str());
        let date = |e: &EventSpec| format!("{}-{:02}", e.at.year(), e.at.month());
        // A treaty's first members are members from the start: an entering state joins on entry.
        for e in events {
            if let EventKind::Enter { state, .. } = e.kind
                && !present[state]
                && let Some(t) = treaties.iter().find(|t| t.members.contains(&state))
            {
                let (src, raw) = list[e.order];
                return Err(self.err(
                    &loc(src, raw),
                    format!(
                        "\"{}\" enters at {} but treaty \"{}\" lists it among its members from the start",
                        id_of(state),
                        date(e),
                        t.id
                    ),
                    "absent at the start",
                    Some(format!(
                        "remove it from the treaty's `members` and add \"{}\" to this event's `treaties`",
                        t.id
                    )),
                ));
            }
        }
        for e in events {
            let (src, raw) = list[e.order];
            let state_loc = || {
                raw.get_ref()
                    .state
                    .as_ref()
                    .map_or_else(|| loc(src, raw), |s| loc(src, s))
            };
            match e.kind {
                EventKind::Enter { state, .. } if present[state] => {
                    return Err(self.err(
                        &state_loc(),
                        format!("\"{}\" is already in the system at {}", id_of(state), date(e)),
                        "already present",
                        Some(
                            "a state enters once, or again after an `exit`; a state whose first `enter`/`exit` \
                             event is an `exit` is present from the start"
                                .into(),
                        ),
                    ));
                }
                EventKind::Enter { state, .. } => present[state] = true,
                EventKind::Exit { state } if !present[state] => {
                    return Err(self.err(
                        &state_loc(),
                        format!(
                            "\"{}\" is not in the system at {}: it cannot exit",
                            id_of(state),
                            date(e)
                        ),
                        "absent at that date",
                        Some("check the order of this state's `enter` and `exit` events".into()),
                    ));
                }
                EventKind::Exit { state } => present[state] = false,
                _ => {
                    if let Some(&absent) = event_states(&e.kind).iter().find(|&&s| !present[s]) {
                        return Err(self.err(
                            &loc(src, raw),
                            format!(
                                "\"{}\" is not in the system at {}: a `{}` event cannot name it",
                                id_of(absent),
                                date(e),
                                e.kind.name()
                            ),
                            "names an absent state",
                            Some(format!(
                                "move the event to a date between \"{}\"'s `enter` and `exit`, or drop the state from it",
                                id_of(absent)
                            )),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Walks the membership events in order (an `enter` joins its treaties, an `exit` leaves
    /// every treaty) and rejects a certain (probability 1)
    /// withdrawal by a non-member or join by a member. After an uncertain event the
    /// (state, treaty) membership is unknown and no longer checked.
    pub(super) fn check_memberships(
        &self,
        events: &[EventSpec],
        list: &[In<RawEvent>],
        treaties: &[TreatySpec],
    ) -> Result<()> {
        // Sets: with lists, 300,000 uncertain events took 38 s (tests/fuzz.rs).
        let mut members: Vec<BTreeSet<usize>> = treaties.iter().map(|t| t.members.iter().copied().collect()).collect();
        let mut unknown: BTreeSet<(usize, usize)> = BTreeSet::new();
        for e in events {
            let (state, treaty, must_be_member) = match e.kind {
                EventKind::Withdraw { state, treaty } | EventKind::Announce { state, treaty } => (state, treaty, true),
                EventKind::Join { state, treaty } => (state, treaty, false),
                EventKind::Enter { state, ref treaties } => {
                    for &t in treaties {
                        members[t].insert(state);
                        unknown.remove(&(state, t));
                    }
                    continue;
                }
                EventKind::Exit { state } => {
                    for (t, set) in members.iter_mut().enumerate() {
                        set.remove(&state);
                        unknown.remove(&(state, t));
                    }
                    continue;
                }
                _ => continue,
            };
            if unknown.contains(&(state, treaty)) {
                continue;
            }
            if e.probability < 1.0 {
                unknown.insert((state, treaty));
                continue;
            }
            let is_member = members[treaty].contains(&state);
            if is_member != must_be_member {
                let (src, raw_event) = list[e.order];
                let what = if must_be_member {
                    "is not a member of"
                } else {
                    "is already a member of"
                };
                let sid = raw_event
                    .get_ref()
                    .state
                    .as_ref()
                    .map(|s| s.get_ref().clone())
                    .unwrap_or_default();
                return Err(self.err(
                    &loc(src, raw_event),
                    format!("\"{sid}\" {what} treaty \"{}\" at that date", treaties[treaty].id),
                    "membership does not allow this",
                    Some("check the treaty's members and the order of earlier join/withdraw events".into()),
                ));
            }
            if let EventKind::Withdraw { .. } = e.kind {
                members[treaty].remove(&state);
            } else if let EventKind::Join { .. } = e.kind {
                members[treaty].insert(state);
            }
        }
        Ok(())
    }
}

/// The states an event other than `enter`/`exit` names.
fn event_states(kind: &EventKind) -> Vec<usize> {
    match kind {
        EventKind::Withdraw { state, .. }
        | EventKind::Announce { state, .. }
        | EventKind::Join { state, .. }
        | EventKind::Orientation { state, .. }
        | EventKind::Shock { state, .. }
        | EventKind::Enter { state, .. }
        | EventKind::Exit { state } => vec![*state],
        EventKind::Tariff { by, against, .. } => std::iter::once(*by).chain(against.iter().copied()).collect(),
        EventKind::Crisis { aggressor, target, .. } => vec![*aggressor, *target],
        EventKind::Summit { states, .. } => states.clone(),
        EventKind::CommonThreat { .. } => Vec::new(),
    }
}
