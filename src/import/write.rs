//! Writing the imported world: `states.csv`, `scenario.toml` (a header that states every
//! source, rule and fill, then the scenario, its pacts, institutions, NATO and the membership
//! events) and the summary the command prints.

use super::dyads::{COMMUNITY_WEIGHT, Dyads, Tables};
use super::institutions::Institutions;
use super::states::{Attributes, World};
use super::{Log, Options};
use std::fmt::Write as _;

/// Everything the import built, to be written.
pub(super) struct Built<'a> {
    pub opts: &'a Options,
    pub world: &'a World,
    pub attributes: &'a Attributes,
    pub gdp: &'a [f64],
    pub tables: &'a Tables,
    pub dyads: &'a Dyads,
    pub pacts: &'a [Vec<usize>],
    pub nato: &'a [usize],
    pub institutions: &'a Institutions<'a>,
    /// The institutions of kind `community` in the table.
    pub community_ids: &'a [&'a str],
    /// How the institutions table is named.
    pub inst_file: &'a str,
    pub log: &'a Log,
    /// The entries and exits of the state system (`None` with `--fixed-states`).
    pub growth: Option<&'a super::growth::Growth>,
}

impl Built<'_> {
    /// Every state of the scenario: the world's, then the entrants'.
    fn all_states(&self) -> &[super::states::State] {
        match self.growth {
            Some(g) => &g.world.states,
            None => &self.world.states,
        }
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `states.csv`: a row per state (the entrants' after the world's).
pub(super) fn states_csv(b: &Built<'_>) -> String {
    let mut states_csv = String::from("id,name,ccode,power,gdp,democracy,orientation,major,norms\n");
    for (i, s) in b.world.states.iter().enumerate() {
        states_csv.push_str(&state_row(s, b.attributes, b.gdp, i));
    }
    if let Some(g) = b.growth {
        states_csv.push_str(&g.state_rows);
    }
    states_csv
}

/// The `states.csv` row of state `i` of a world.
pub(super) fn state_row(s: &super::states::State, a: &Attributes, gdp: &[f64], i: usize) -> String {
    let name = s.name.replace(',', " ").replace('"', "");
    format!(
        "{},{},{},{:.6},{:.4},{:.3},{:.3},{},{:.3};{:.3};0.5;0.5\n",
        s.abb,
        name,
        s.ccode,
        a.power[i],
        gdp[i],
        a.democracy[i],
        a.orientation[i],
        a.major[i],
        a.multilateral[i],
        a.democracy[i]
    )
}

/// `scenario.toml`: its header, then its tables.
pub(super) fn scenario_toml(b: &Built<'_>) -> String {
    let mut toml = header(b);
    toml.push('\n');
    toml.push_str(&tables(b));
    toml
}

/// The header: what the world is, how to run it, its sources, its rules and every fill.
fn header(b: &Built<'_>) -> String {
    let (y, opts, inst_file) = (b.world.year, b.opts, b.inst_file);
    let half_life = crate::params::Params::default().rivalry_half_life;
    let emitted = b.institutions.emitted();
    let community_ids = &b.community_ids;
    let mut toml = String::new();
    let line = |t: &mut String, s: &str| {
        t.push_str("# ");
        t.push_str(s);
        t.push('\n');
    };
    line(
        &mut toml,
        &format!("World of {y}: every Correlates of War system member, {y}-{}.", opts.end),
    );
    line(&mut toml, "");
    line(
        &mut toml,
        &format!("Question: how do disputes, alliances and communities evolve from the world of {y} on?"),
    );
    line(
        &mut toml,
        &format!(
            "Made by: comity import --year {y} --end {} --data DATA --out DIR{}{} (comity {})",
            opts.end,
            if opts.fixed_states { " --fixed-states" } else { "" },
            if opts.institutions.is_some() {
                " --institutions FILE"
            } else {
                ""
            },
            env!("CARGO_PKG_VERSION")
        ),
    );
    line(
        &mut toml,
        "Run it:  cargo run --release -- run <this folder>/scenario.toml --runs 200   (then: comity report output/<this folder's name>)",
    );
    line(
        &mut toml,
        "Look at: the `system` rows of timeseries.csv (disputes by level, escalation_rate), runs.csv first_war_year,",
    );
    line(
        &mut toml,
        "         and the `nato` community when present. Years after 1989 are out of sample: the MID data stop in 1989.",
    );
    if let Some(g) = b.growth {
        let (entries, exits) = g.counts();
        line(
            &mut toml,
            &format!(
                "State system: {entries} entries and {exits} exits {}-{} as in the COW state system (enter and exit events).",
                y + 1,
                opts.end
            ),
        );
        line(
            &mut toml,
            "         A run is a forecast conditional on which states come to exist (and cease to): it takes them as given.",
        );
    }
    line(&mut toml, "");
    line(&mut toml, "Sources (peacesciencer exports; cite the originals):");
    for s in [
        "COW State System Membership v2016 (Correlates of War Project 2017): states, members on 31 December.",
        "COW National Material Capabilities v7 (Singer, Bremer & Stuckey 1972): power = CINC.",
        "COW Major Powers v2016: major.",
        "V-Dem v10 polyarchy (Coppedge et al. 2020), else Polity IV polity2 (Marshall et al. 2017) as (p + 10) / 20: democracy.",
        "COW Trade v4 (Barbieri & Keshk 2016): dyadic trade = flow1 + flow2 (smoothflow when missing), million -> bn USD;",
        "  gdp = national (imports + exports) / trade_to_gdp, a size proxy: the data hold no GDP (else dyadic, below).",
        "COW Direct Contiguity v3.2 (Stinnett et al. 2002): contiguous = land or <= 150 miles of water (types 1-4).",
        "CShapes 2.0 minimum distance (Schvitz et al. 2022): distance in km; else great-circle distance of capitals.",
        "ATOP v5.1 (Leeds et al. 2002): defence pledges in either direction; pacts = greedy clique cover of the pledge graph.",
        "COW IGO v3 (Pevehouse et al. 2020): shared full IGO memberships (dyads: trust, identity, shared_igos), IGO counts (states).",
        "COW MID v5 (Palmer et al. 2022): last dispute year in the 20 preceding years -> peace_years and a recent-dispute term;",
        "  every dispute onset before the year -> rivalry.",
    ] {
        line(&mut toml, &format!("  {s}"));
    }
    line(
        &mut toml,
        &format!(
            "  Institutions: {inst_file} (one source per row: founding and accession treaties, official member lists):"
        ),
    );
    let ids: Vec<&str> = emitted.iter().map(|x| x.id).collect();
    line(
        &mut toml,
        &format!(
            "    {}.",
            if ids.is_empty() {
                "none in these years".to_string()
            } else {
                ids.join(", ")
            }
        ),
    );
    line(&mut toml, "");
    line(&mut toml, "Rules (documented proxies, not data):");
    for s in [
        "orientation = 0.2 + 0.6 x percentile rank of the state's IGO memberships; norms = [0.3 + 0.6 x that rank,",
        "  democracy, 0.5, 0.5] (multilateralism, pacific settlement, open trade, climate).",
        "identity = clamp(0.05 + 0.30 allied + 0.25 minDem + 0.25 min(1, sharedIGOs / 80) + 0.20 community - 0.20 recent, 0, 0.95)",
        "trust    = clamp(0.15 + 0.30 allied + 0.30 minDem + 0.15 min(1, sharedIGOs / 80) + 0.20 community - 0.30 recent, 0.02, 0.95)",
        "  with recent = exp(-(year - last MID year) / 10) for a MID in the 20 preceding years, else 0.",
    ] {
        line(&mut toml, &format!("  {s}"));
    }
    line(
        &mut toml,
        &format!(
            "  community = 1 when the pair shares on 31 December of the year an institution of kind community in the table ({}), else 0.",
            if community_ids.is_empty() {
                "none in it".to_string()
            } else {
                community_ids.join(", ")
            }
        ),
    );
    for s in [
        "  A proxy, not data: the security communities that Deutsch et al. (1957) and Adler & Barnett (1998) describe (the",
        "  Nordic states, Western Europe, ASEAN) show in these institutions, which alliance, democracy and IGO counts miss.",
        "gdp: national (imports + exports) / trade_to_gdp; a state without national trade for the year uses the sum of its",
        "  dyadic trade in this world (flow1 + flow2 over its dyads, same units) instead.",
        "trade: the pair's COW record of the year, else its latest record of the 5 years before (the dyadic table has holes:",
        "  France-West Germany has none for 1960-1989), else 0; each fill is counted below.",
        "Pacts: ATOP dyad-years carry no treaty ids; every allied pair lies in at least one pact, and all members",
        "  of a pact are pairwise allied. Salience 0.7 for every pact (ATOP gives none).",
        "Institutions: the members on 31 December (joined <= year < left) form a treaty of the table's kind and salience;",
        "  later accessions are join events and exits withdraw events (public exits) at their year; a membership ended",
        "  by the state's leaving the state system (GFR in 1990) is not a withdrawal. NATO and other pacts come from ATOP only.",
    ] {
        line(&mut toml, &format!("  {s}"));
    }
    if b.growth.is_some() {
        for s in [
            "State system: a state that is a member on 31 December of year t but was not on 31 December of t - 1 enters at t,",
            "  one that was but is not exits at t (enter and exit events). A state not in the world of the year brings its",
            "  attributes and its dyads with the states present then from its entry year, by the rules above; its entry joins",
            "  the institutions it belongs to on 31 December of that year, and it joins no ATOP pact. A state that exits and",
            "  returns keeps its rows of the year. Without entries and exits: comity import --fixed-states.",
        ] {
            line(&mut toml, &format!("  {s}"));
        }
    }
    if !emitted.is_empty() {
        let kinds: Vec<String> = emitted
            .iter()
            .map(|x| format!("{} {} {}", x.id, x.kind, x.salience))
            .collect();
        line(
            &mut toml,
            &format!("  Institution kind and salience: {}.", kinds.join(", ")),
        );
    }
    line(
        &mut toml,
        "  shared_igos = the pair's COW IGO v3 dyadigos in the year (0 without a record).",
    );
    line(
        &mut toml,
        &format!(
            "  rivalry = sum over the pair's distinct MID onset years y' < year of 0.5^((year - y') / {half_life}) (rivalry_half_life), 4 decimals."
        ),
    );
    line(&mut toml, "");
    line(&mut toml, "Filled or approximated values:");
    if b.log.fills.is_empty() {
        line(&mut toml, "  none");
    }
    for f in b.log.fills.iter().chain(&b.log.notes) {
        line(&mut toml, &format!("  {f}"));
    }
    toml
}

/// The scenario, its pacts, institutions and NATO, and the membership events.
fn tables(b: &Built<'_>) -> String {
    let (y, opts, inst_file, states) = (b.world.year, b.opts, b.inst_file, b.all_states());
    let power = &b.attributes.power;
    let emitted = b.institutions.emitted();
    let mut toml = String::new();
    writeln!(toml, "[scenario]").ok();
    writeln!(toml, "name = \"World of {y}: every COW system member\"").ok();
    writeln!(
        toml,
        "description = \"How do disputes, alliances and communities evolve from the world of {y} on? Imported from the COW/ATOP/V-Dem/CShapes tables.{}\"",
        if b.growth.is_some() {
            " States enter and exit as in the COW state system: a forecast conditional on which states come to exist."
        } else {
            ""
        }
    )
    .ok();
    writeln!(toml, "start = {y}\nend = {}\nseed = {y}\nruns = 200", opts.end).ok();
    writeln!(toml, "states_csv = \"states.csv\"\ndyads_csv = \"dyads.csv\"\n").ok();
    for (k, pact) in b.pacts.iter().enumerate() {
        let lead = pact
            .iter()
            .copied()
            .max_by(|&a, &b| power[a].total_cmp(&power[b]))
            .expect("a pact has members");
        let members: Vec<String> = pact.iter().map(|&m| format!("\"{}\"", states[m].abb)).collect();
        writeln!(
            toml,
            "[[treaty]]\nid = \"pact-{:02}-{}\"\nkind = \"defense\"\nsalience = 0.7\nmembers = [{}]\n",
            k + 1,
            states[lead].abb,
            members.join(", ")
        )
        .ok();
    }
    if !emitted.is_empty() {
        writeln!(
            toml,
            "# Institutions ({inst_file}): members on 31 December {y}; accessions and exits are events below.\n"
        )
        .ok();
    }
    for inst in &emitted {
        let members: Vec<String> = inst.members.iter().map(|&m| format!("\"{}\"", states[m].abb)).collect();
        writeln!(
            toml,
            "[[treaty]]\nid = {}\nkind = {}\nsalience = {}\nmembers = [{}]\n",
            toml_string(inst.id),
            toml_string(inst.kind),
            inst.salience,
            members.join(", ")
        )
        .ok();
    }
    if b.nato.len() >= 2 {
        let members: Vec<String> = b.nato.iter().map(|&m| format!("\"{}\"", states[m].abb)).collect();
        writeln!(toml, "# NATO members in {y} (derived/nato_members_from_atop5.1.csv)\n[[community]]\nid = \"nato\"\nmembers = [{}]", members.join(", ")).ok();
    }
    if let Some(g) = b.growth.filter(|g| !g.changes.is_empty()) {
        writeln!(
            toml,
            "\n# The state system {}-{}: entries and exits (COW state system, members on 31 December)",
            y + 1,
            opts.end
        )
        .ok();
        for &(year, i, enters) in &g.changes {
            if enters {
                let joined: Vec<String> = g.enter_treaties[&(year, i)]
                    .iter()
                    .map(|&k| toml_string(b.institutions.list[k].id))
                    .collect();
                writeln!(
                    toml,
                    "\n[[event]]\nat = {year}\nkind = \"enter\"\nstate = \"{}\"{}\nnote = \"COW state system: a member on 31 December {year}, not {}\"",
                    states[i].abb,
                    if joined.is_empty() {
                        String::new()
                    } else {
                        format!("\ntreaties = [{}]", joined.join(", "))
                    },
                    year - 1
                )
                .ok();
            } else {
                writeln!(
                    toml,
                    "\n[[event]]\nat = {year}\nkind = \"exit\"\nstate = \"{}\"\nnote = \"COW state system: a member on 31 December {}, not {year}\"",
                    states[i].abb,
                    year - 1
                )
                .ok();
            }
        }
    }
    if !b.institutions.events.is_empty() {
        writeln!(
            toml,
            "\n# Accessions and exits {}-{} ({inst_file}; the note is the row's source)",
            y + 1,
            opts.end
        )
        .ok();
    }
    for &(year, join, k, i, source) in &b.institutions.events {
        writeln!(
            toml,
            "\n[[event]]\nat = {year}\nkind = \"{}\"\nstate = \"{}\"\ntreaty = {}\nnote = {}",
            if join { "join" } else { "withdraw" },
            states[i].abb,
            toml_string(b.institutions.list[k].id),
            toml_string(source)
        )
        .ok();
    }
    toml
}

/// The summary `comity import` prints: counts, then every fill and note.
pub(super) fn summary(b: &Built<'_>) -> Vec<String> {
    let (y, n) = (b.world.year, b.world.n());
    let pairs = n * (n - 1) / 2;
    let emitted = b.institutions.emitted();
    let (n_joins, n_withdrawals) = b.institutions.joins_and_withdrawals();
    let mut summary = vec![format!(
        "{n} states ({} major), {pairs} dyads ({} with trade, {} contiguous, {} allied), {} defence pacts{}",
        b.attributes.major.iter().filter(|m| **m).count(),
        pairs - b.dyads.no_trade,
        b.tables.contiguous.len(),
        b.tables.allied.len(),
        b.pacts.len(),
        if b.nato.len() >= 2 {
            format!(", community nato ({} members)", b.nato.len())
        } else {
            String::new()
        }
    )];
    if !emitted.is_empty() {
        let listed: Vec<String> = emitted
            .iter()
            .map(|x| format!("{} {}", x.id, x.members.len()))
            .collect();
        summary.push(format!(
            "{} institutions as treaties (members in {y}: {}), {n_joins} join and {n_withdrawals} withdraw events",
            emitted.len(),
            listed.join(", ")
        ));
    }
    if let Some(g) = b.growth {
        let (entries, exits) = g.counts();
        let ids = g.entrant_ids();
        summary.push(format!(
            "state system: {entries} entries and {exits} exits {}-{}; {} states enter after {y}{}, with {} dyads of their entry years",
            y + 1,
            b.opts.end,
            ids.len(),
            if ids.is_empty() {
                String::new()
            } else if ids.len() > 12 {
                format!(" ({}, ...)", ids[..12].join(", "))
            } else {
                format!(" ({})", ids.join(", "))
            },
            g.n_dyads
        ));
    }
    if b.dyads.community_pairs > 0 {
        summary.push(format!(
            "community: {} dyads share a community institution in {y} (+{COMMUNITY_WEIGHT:.2} trust and identity)",
            b.dyads.community_pairs
        ));
    }
    summary.extend(b.log.fills.iter().map(|f| format!("filled: {f}")));
    summary.extend(b.log.notes.iter().map(|f| format!("note: {f}")));
    summary
}
