//! The institutions table (`scenarios/data/institutions.csv`, built in, or `--institutions`):
//! its rows checked, and what they become in the world of a year: a treaty per institution
//! with its members on 31 December, later accessions and exits as events.

use super::states::World;
use super::{ImportError, Log, Options, Result};
use std::collections::BTreeSet;

/// The committed table of institution memberships, built into the binary.
pub const INSTITUTIONS_CSV: &str = include_str!("../../scenarios/data/institutions.csv");
/// How errors and headers name the built-in table.
pub const INSTITUTIONS_FILE: &str = "scenarios/data/institutions.csv";
const INSTITUTION_COLUMNS: [&str; 8] = [
    "institution",
    "kind",
    "salience",
    "ccode",
    "state",
    "joined",
    "left",
    "source",
];
/// Treaty kinds an institution may have (defence pacts come from ATOP).
pub(super) const INSTITUTION_KINDS: [&str; 3] = ["community", "trade", "regime"];

/// One membership spell of a state in an institution (a row of the institutions table).
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    /// Becomes the treaty id.
    pub institution: String,
    /// `community`, `trade` or `regime`.
    pub kind: String,
    pub salience: f64,
    pub ccode: i64,
    /// COW abbreviation (for readers; checked against the state system when it lists the code).
    pub state: String,
    /// First year as a member.
    pub joined: i64,
    /// First year no longer a member (an exit on 31 December 1972 is 1973); `None` while a member.
    pub left: Option<i64>,
    pub source: String,
    /// Line in the table.
    pub line: u64,
}

impl Membership {
    /// A member on 31 December of `year`.
    pub fn member_in(&self, year: i64) -> bool {
        self.joined <= year && self.left.is_none_or(|l| year < l)
    }
}

/// Reads the institutions table (`file` names it in errors): every row is checked, and a
/// malformed one is an error naming the file, the line and the fix.
pub fn parse_institutions(text: &str, file: &str) -> Result<Vec<Membership>> {
    let err = |line: u64, message: String| ImportError::Parse {
        file: file.to_string(),
        line,
        message,
    };
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header_record = r.headers().map_err(|e| err(1, e.to_string()))?.clone();
    let header_line = header_record.position().map_or(1, |p| p.line());
    let header: Vec<String> = header_record.iter().map(String::from).collect();
    for h in &header {
        if !INSTITUTION_COLUMNS.contains(&h.as_str()) {
            return Err(err(
                header_line,
                format!(
                    "unknown column `{h}`: the columns are {}",
                    INSTITUTION_COLUMNS.join(",")
                ),
            ));
        }
    }
    let idx: Vec<usize> = INSTITUTION_COLUMNS
        .iter()
        .map(|c| {
            header.iter().position(|h| h == c).ok_or_else(|| {
                err(
                    header_line,
                    format!("no column `{c}`: the header is {}", INSTITUTION_COLUMNS.join(",")),
                )
            })
        })
        .collect::<Result<_>>()?;
    let mut out: Vec<Membership> = Vec::new();
    for record in r.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
                    "{len} fields where the header has {expected_len}: quote a source that contains a comma (\"...\") and leave `left` empty, not out"
                ),
                _ => e.to_string(),
            };
            err(line, message)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let f = |k: usize| record.get(idx[k]).unwrap_or("");
        let year = |k: usize, what: &str| -> Result<i64> {
            f(k).parse::<i64>()
                .ok()
                .filter(|y| (1800..=2200).contains(y))
                .ok_or_else(|| {
                    err(
                        line,
                        format!("{what} \"{}\" is not a year: write it as e.g. 1973", f(k)),
                    )
                })
        };
        let institution = f(0).to_string();
        if institution.is_empty()
            || institution.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        {
            return Err(err(
                line,
                format!(
                    "institution \"{institution}\" is not an id: use letters, digits, '_', '-' or '.' (it becomes the treaty id, e.g. ec)"
                ),
            ));
        }
        let kind = f(1).to_string();
        if !INSTITUTION_KINDS.contains(&kind.as_str()) {
            return Err(err(
                line,
                format!(
                    "kind \"{kind}\" is not one of community, trade, regime (defence pacts come from ATOP, not from this table)"
                ),
            ));
        }
        let salience = f(2)
            .parse::<f64>()
            .ok()
            .filter(|s| (0.0..=1.0).contains(s))
            .ok_or_else(|| {
                err(
                    line,
                    format!("salience \"{}\" is not a number in 0..1: write e.g. 0.5", f(2)),
                )
            })?;
        let ccode = f(3).parse::<i64>().map_err(|_| {
            err(
                line,
                format!(
                    "ccode \"{}\" is not a COW country code: write the integer of cow_states_v2016.csv, e.g. 260 for GFR",
                    f(3)
                ),
            )
        })?;
        let state = f(4).to_string();
        if state.is_empty() {
            return Err(err(line, "state is empty: write the COW abbreviation, e.g. GFR".into()));
        }
        let joined = year(5, "joined")?;
        let left = if f(6).is_empty() { None } else { Some(year(6, "left")?) };
        if let Some(l) = left
            && l <= joined
        {
            return Err(err(
                line,
                format!(
                    "left {l} is not after joined {joined}: `left` is the first year no longer a member; leave it empty while a member"
                ),
            ));
        }
        let source = f(7).to_string();
        if source.is_empty() {
            return Err(err(
                line,
                "source is empty: cite the founding or accession treaty or the organisation's membership page".into(),
            ));
        }
        if let Some(first) = out.iter().find(|m| m.institution == institution)
            && (first.kind != kind || first.salience != salience)
        {
            return Err(err(
                line,
                format!(
                    "{institution} is {} with salience {} on line {}, but {kind} with {salience} here: give every row of an institution the same kind and salience",
                    first.kind, first.salience, first.line
                ),
            ));
        }
        let m = Membership {
            institution,
            kind,
            salience,
            ccode,
            state,
            joined,
            left,
            source,
            line,
        };
        if let Some(o) = out.iter().find(|o| {
            o.institution == m.institution
                && o.ccode == m.ccode
                && o.joined < m.left.unwrap_or(i64::MAX)
                && m.joined < o.left.unwrap_or(i64::MAX)
        }) {
            return Err(err(
                line,
                format!(
                    "{} ({}) is already a member of {} in these years (line {}): a state can rejoin only from the year it left",
                    m.state, m.ccode, m.institution, o.line
                ),
            ));
        }
        out.push(m);
    }
    Ok(out)
}

/// The institutions table `opts` names (else the built-in one), parsed and checked against the
/// state system: a row's ccode must be the state it names. Also returns how to name the file.
pub(super) fn read(opts: &Options, world: &World) -> Result<(Vec<Membership>, String)> {
    let (text, file) = match &opts.institutions {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|e| {
                ImportError::Missing(format!("cannot read the institutions table {}: {e}", p.display()))
            })?,
            p.display().to_string(),
        ),
        None => (INSTITUTIONS_CSV.to_string(), INSTITUTIONS_FILE.to_string()),
    };
    let memberships = parse_institutions(&text, &file)?;
    for m in &memberships {
        let abbs: BTreeSet<&str> = world
            .spells
            .iter()
            .filter(|s| s.0 == m.ccode)
            .map(|s| s.1.as_str())
            .collect();
        if !abbs.is_empty() && !abbs.contains(m.state.as_str()) {
            return Err(ImportError::Parse {
                file: file.clone(),
                line: m.line,
                message: format!(
                    "ccode {} is {} in cow_states_v2016, not {}: correct the ccode or the state",
                    m.ccode,
                    abbs.into_iter().collect::<Vec<_>>().join("/"),
                    m.state
                ),
            });
        }
    }
    Ok((memberships, file))
}

/// The ids of the institutions of kind `community`, in table order.
pub(super) fn community_ids(memberships: &[Membership]) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for m in memberships.iter().filter(|m| m.kind == "community") {
        if !ids.contains(&m.institution.as_str()) {
            ids.push(&m.institution);
        }
    }
    ids
}

/// An institution as a treaty of the imported world.
pub(super) struct Institution<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub salience: f64,
    /// Members on 31 December of the year (state indices, sorted).
    pub members: Vec<usize>,
    /// Its join and withdraw events in the scenario's years.
    pub events: usize,
}

/// A join (`join`) or withdraw event: (year, join, institution index, state index, source).
pub(super) type MembershipEvent<'a> = (i64, bool, usize, usize, &'a str);

/// The institutions of the world of a year.
pub(super) struct Institutions<'a> {
    /// In table order.
    pub list: Vec<Institution<'a>>,
    /// In date order, withdrawals before joins in a year.
    pub events: Vec<MembershipEvent<'a>>,
}

impl<'a> Institutions<'a> {
    /// The treaties at `world.year` and the accessions and exits up to `end`; memberships of
    /// states outside the world are counted in `log`, and exits by state succession (the state
    /// left the state system) are not withdrawals.
    pub fn build(memberships: &'a [Membership], world: &World, end: i64, log: &mut Log) -> Institutions<'a> {
        let y = world.year;
        let mut list: Vec<Institution> = Vec::new();
        // (year, is a join, institution, state, source): withdrawals sort before joins.
        let mut events: Vec<MembershipEvent> = Vec::new();
        let (mut outside_members, mut outside_events, mut successions) = (0, 0, 0);
        for m in memberships {
            let k = match list.iter().position(|x| x.id == m.institution) {
                Some(k) => k,
                None => {
                    list.push(Institution {
                        id: &m.institution,
                        kind: &m.kind,
                        salience: m.salience,
                        members: Vec::new(),
                        events: 0,
                    });
                    list.len() - 1
                }
            };
            let i = world.index.get(&m.ccode).copied();
            if m.member_in(y) {
                match i {
                    Some(i) => list[k].members.push(i),
                    None => outside_members += 1,
                }
            }
            if y < m.joined && m.joined <= end {
                match i {
                    Some(i) => {
                        events.push((m.joined, true, k, i, &m.source));
                        list[k].events += 1;
                    }
                    None => outside_events += 1,
                }
            }
            if let Some(l) = m.left
                && y < l
                && l <= end
            {
                match i {
                    None => outside_events += 1,
                    // The state left the state system (West Germany in 1990): a succession. The
                    // state system table ends in `last`: a later exit is checked against that year.
                    Some(_) if !world.on_31_december(m.ccode, l.min(world.last)) => successions += 1,
                    Some(i) => {
                        events.push((l, false, k, i, &m.source));
                        list[k].events += 1;
                    }
                }
            }
        }
        for inst in &mut list {
            inst.members.sort_unstable();
        }
        events.sort_by_key(|&(year, join, k, i, _)| (year, join, k, i));
        if outside_members > 0 {
            log.fills.push(format!(
                "institutions: {outside_members} membership(s) in {y} of states not in the world of {y} left out"
            ));
        }
        if outside_events > 0 {
            log.fills.push(format!(
                "institutions: {outside_events} join/withdraw event(s) of states outside the world of {y} skipped"
            ));
        }
        if successions > 0 {
            log.notes.push(format!(
                "institutions: {successions} membership end(s) by state succession (the state left the COW system that year, e.g. GFR in 1990) are not withdrawals"
            ));
        }
        Institutions { list, events }
    }

    /// The institutions the scenario lists: those with members in the year or with events.
    pub fn emitted(&self) -> Vec<&Institution<'a>> {
        self.list
            .iter()
            .filter(|x| !x.members.is_empty() || x.events > 0)
            .collect()
    }

    /// Join and withdraw events.
    pub fn joins_and_withdrawals(&self) -> (usize, usize) {
        let joins = self.events.iter().filter(|e| e.1).count();
        (joins, self.events.len() - joins)
    }
}
