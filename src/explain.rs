//! `comity explain`: each mechanism's rule in words and as an equation, its
//! parameter values under each lens, and the source to cite.

use crate::params::{Params, spec};
use std::fmt::Write as _;

/// One mechanism of the model.
pub struct Mechanism {
    pub title: &'static str,
    /// Which theory the mechanism expresses (or "shared").
    pub theory: &'static str,
    pub rule: &'static str,
    pub equation: &'static str,
    pub params: &'static [&'static str],
    pub source: &'static str,
}

/// Every mechanism, in the order of a tick.
pub const MECHANISMS: &[Mechanism] = &[
    Mechanism {
        title: "Capability drift",
        theory: "shared",
        rule: "Power shares and GDP follow geometric random walks; scripted shocks multiply them.",
        equation: "p <- p exp(s sqrt(dt) z - s^2 dt / 2);  gdp <- gdp exp((g - s_g^2/2) dt + s_g sqrt(dt) z')",
        params: &["power_volatility", "gdp_growth", "gdp_volatility"],
        source: "COW National Material Capabilities (Singer, Bremer & Stuckey 1972) for the starting shares.",
    },
    Mechanism {
        title: "Trade (gravity with partial adjustment)",
        theory: "liberal economics",
        rule: "Bilateral trade moves each year part of the way toward a gravity target that grows with both GDPs, rises with shared trade pacts and institutions, and falls with tariffs and recent disputes.",
        equation: "X* = X0 (Y_i/Y_i0)^a (Y_j/Y_j0)^a exp(d dPTA + f dIGO - g exp(-peace/2)) ((1 - tau)/(1 - tau0))^sigma;  X <- X + lambda (X* - X)",
        params: &[
            "trade_adjustment",
            "trade_gdp_elasticity",
            "trade_pta_effect",
            "trade_institution_effect",
            "trade_tariff_elasticity",
            "trade_dispute_penalty",
        ],
        source: "Tinbergen 1962; Anderson & van Wincoop 2003; Head & Mayer 2014 (trade elasticity); Oneal & Russett 1997.",
    },
    Mechanism {
        title: "Structural trust anchor and the security dilemma",
        theory: "shared (each lens weighs the structure it believes in)",
        rule: "Trust has a level set by structure: the pair's trust at the start, moved by the partner's capability gain relative to one's own and its alignment with states one distrusts (realist), and by changes in shared alliance, shared institutions and rivalry. Signals and shocks move trust off that level; the deviation halves every trust_half_life years. Without events and with an unchanged structure, trust does not drift.",
        equation: "A = clamp(logistic(logit T0 - w s_p G) (1 - w s_r dRival) + a_A dAllied + a_I d min(I, 3) + a_R d rho(R), 0, 1);  G = dln p_j - dln p_i since the start;  T <- A' + (T - A) 0.5^(dt / half_life)",
        params: &[
            "security_dilemma_weight",
            "security_power_sensitivity",
            "security_rival_sensitivity",
            "trust_half_life",
            "anchor_alliance",
            "anchor_institutions",
            "anchor_rivalry",
        ],
        source: "Jervis 1978; Grieco 1988; Waltz 1979; Walt 1987 (alignment); Kydd 2005 (reputation as a deviation that fades).",
    },
    Mechanism {
        title: "Bayesian reputation",
        theory: "liberal",
        rule: "States read cooperation and defection as signals of a partner's type and update trust by Bayes' rule; shared institutions make signals more reliable. Signals: joins and withdrawals, tariffs, orientation turns, disputes, honoured or broken alliance commitments, cooperation against a common threat.",
        equation: "cooperation: T' = T q_c / (T q_c + (1 - T) q_u);  defection: T' = T (1 - q_c) / (T (1 - q_c) + (1 - T)(1 - q_u));  weight x (1 + boost x I_ij)",
        params: &[
            "bayes_weight",
            "bayes_q_coop",
            "bayes_q_uncoop",
            "institution_signal_boost",
            "tariff_signal",
            "turn_signal",
            "dispute_signal",
            "honour_signal",
            "pact_signal",
        ],
        source: "Kydd 2005; Keohane 1984.",
    },
    Mechanism {
        title: "Identity pulls trust",
        theory: "constructivist",
        rule: "We-feeling pulls trust toward itself: states trust those they identify with.",
        equation: "T <- T + nu (W - T)",
        params: &["identity_trust_weight", "identity_trust_rate"],
        source: "Deutsch et al. 1957; Wendt 1999; Adler & Barnett 1998.",
    },
    Mechanism {
        title: "Identity (we-feeling)",
        theory: "constructivist",
        rule: "Identity grows with transactions beyond what size alone predicts (Savage-Deutsch relative acceptance), shared institutions and similar norms, less between rivals (enemy images reproduce themselves), scaled by the observer's openness; it decays slowly; a public treaty violation cuts the members' identity with the violator.",
        equation: "RA = (A - E)/E, E = A_i A_j / A;  W <- W + eta logistic(b + k RA + c I + m (sim - 0.5) - r rho(R)) 2 o_i (1 - W) - mu W;  exit: W_mj -= rho salience",
        params: &[
            "identity_weight",
            "identity_growth",
            "identity_decay",
            "identity_ra_slope",
            "identity_institution_drive",
            "identity_norm_drive",
            "identity_bias",
            "identity_rivalry_drive",
            "norm_violation",
        ],
        source: "Deutsch et al. 1957; Savage & Deutsch 1960; Adler & Barnett 1998.",
    },
    Mechanism {
        title: "Norm diffusion",
        theory: "constructivist",
        rule: "Each year a state may meet a partner (likelier with neighbours, institution partners and trade partners); they interact with probability equal to their similarity, and the state moves one norm toward the partner's. Leaving a treaty lowers the leaver's norm tied to its kind.",
        equation: "P(interact) = 1 - mean |n_i - n_j|;  n_ik <- n_ik + copy (n_jk - n_ik)",
        params: &[
            "norm_diffusion_weight",
            "norm_interaction_rate",
            "norm_copy_share",
            "norm_exit_drop",
        ],
        source: "Axelrod 1997.",
    },
    Mechanism {
        title: "Dispute onset",
        theory: "shared (each lens switches terms)",
        rule: "Each pair of states may begin a militarized dispute each year, likelier between neighbours, with a major power, at parity, after a recent dispute and between rivals (each past dispute adds to a conflict memory that fades slowly); joint democracy, trade dependence, shared institutions and IGOs, alliance and we-feeling make it less likely, distrust more.",
        equation: "logit P = b0 + b_c contig + b_d ln(1 + dist/1000) + b_m major + b_cm contig major + b_r |ln ratio| + b_D minDem + b_X minDep + b_I min(I, 3) + b_A allied + g exp(-peace/tau) + L_T (1 - T) + L_W W + b_R rho(R) + b_G min(IGOs / scale, 1);  rho(R) = R / (R + k);  R <- R 0.5^(dt / H) + disputes",
        params: &[
            "onset_base",
            "onset_contiguous",
            "onset_distance",
            "onset_major",
            "onset_contiguous_major",
            "onset_power_ratio",
            "onset_democracy",
            "onset_trade",
            "onset_institutions",
            "onset_alliance",
            "onset_recent",
            "onset_recent_decay",
            "onset_distrust",
            "onset_identity",
            "onset_rivalry",
            "rivalry_half_life",
            "rivalry_saturation",
            "onset_igo_density",
            "igo_density_scale",
        ],
        source: "Bremer 1992; Russett & Oneal 2001; Jones, Bremer & Singer 1996; Crescenzi & Enterline 2001 (event dependence); Thompson & Dreyer 2012 (strategic rivalries); Palmer et al. 2022 (MID 5).",
    },
    Mechanism {
        title: "Zones of peace: dependable expectations of peaceful change",
        theory: "liberal and constructivist (realists know no such zone)",
        rule: "A pair that has become a security community almost never chooses force: a gate multiplies the dispute hazard, so no amount of contiguity or rivalry outweighs it, and the disputes that still happen settle by talks below the use of force. Constructivist: the Kantian culture (we-feeling and trust; a ramp below the threshold). Liberal: democracy, interdependence and IGO density jointly high (the product of three scores). Realist: none; only alliance and deterrence keep the peace.",
        equation: "z = max(w_K z_K, w_L D X I);  z_K = 1 if Kantian else ramp(min(W, T), low, enter);  D = ramp(minDem), X = ramp(minDep), I = ramp(IGO density);  P <- P (1 - zone_peace z);  z >= 0.5: capped at display of force, settled by talks",
        params: &[
            "zone_peace",
            "zone_kantian_weight",
            "zone_kantian_low",
            "zone_liberal_weight",
            "zone_democracy_low",
            "zone_democracy_high",
            "zone_trade_low",
            "zone_trade_high",
            "zone_igo_low",
            "zone_igo_high",
            "zone_cap",
        ],
        source: "Deutsch et al. 1957; Adler & Barnett 1998; Wendt 1999; Russett & Oneal 2001 (the Kantian triangle, \"all three in the top decile\").",
    },
    Mechanism {
        title: "Escalation on the hostility ladder",
        theory: "shared",
        rule: "A dispute enters at threat, display of force or use of force and may step up, likelier at parity, with distrust and with joiners, less likely with mediation by shared institutions and with we-feeling; unreciprocated disputes stop short of war. Most end in stalemate.",
        equation: "P(up | L) = logistic(a_L + b parity + c (1 - T) + d ln(1 + joiners) - e min(I, 3) - f W + r rho(R))",
        params: &[
            "entry_threat",
            "entry_display",
            "escalate_from_threat",
            "escalate_from_display",
            "escalate_from_force",
            "escalate_parity",
            "escalate_distrust",
            "escalate_joiner",
            "escalate_mediation",
            "escalate_identity",
            "escalate_rivalry",
            "reciprocation",
            "outcome_stalemate",
            "outcome_compromise",
            "dispute_identity_loss",
        ],
        source: "Correlates of War hostility levels (Palmer et al. 2022); Jones, Bremer & Singer 1996.",
    },
    Mechanism {
        title: "Kantian culture caps escalation",
        theory: "constructivist",
        rule: "A pair whose mean identity and trust pass a threshold is Kantian (Wendt's third culture, with hysteresis): its disputes settle by talks, at display of force at most.",
        equation: "Kantian if W > enter and T > enter (stays until W or T < exit); Hobbesian if W < hobbesian_below",
        params: &["kantian_cap", "kantian_enter", "kantian_exit", "hobbesian_below"],
        source: "Wendt 1992, 1999; Deutsch et al. 1957; Adler & Barnett 1998.",
    },
    Mechanism {
        title: "Alliance commitments",
        theory: "shared",
        rule: "When a dispute reaches war, the target calls its defence allies (not those also allied to the attacker); at use of force it calls them only sometimes. Each ally honours the call with a probability near three quarters, lower for major powers, autocracies, allies that changed since signing and nationalist allies; the target reads the answer as a signal.",
        equation: "call: level 5, or level 4 with P = call_at_force;  P(honour) = base + major + autocracy (1 - dem) + change min(1, |dln p| + |d dem|) + orientation (o - 0.5)",
        params: &[
            "call_at_force",
            "honour_base",
            "honour_major",
            "honour_autocracy",
            "honour_change",
            "honour_orientation",
        ],
        source: "Leeds 2003; Leeds, Long & Mitchell 2000.",
    },
    Mechanism {
        title: "Alliance formation and exit",
        theory: "realist balance of threat; liberal and constructivist affinity",
        rule: "A threatened state (Walt: power x proximity x hostility) looks for an ally; candidates are scored by balancing (power against the threat's bloc) and affinity (joint democracy, identity, trade). With a balancing weight the coalition must beat the threat on noisy estimates, else the state may bandwagon. Members leave pacts at a low hazard, higher when nationalist or distrustful, lower when they trust their allies.",
        equation: "threat = bloc power x proximity x (1 - T);  score = w_b p_j / bloc + w_a (dem_i dem_j + W + min(1, 20 dep)) / 3;  exit hazard = h 2 (1 - s) exp(k (0.5 - o)+) exp(k_T (0.5 - T))",
        params: &[
            "alliance_search",
            "alliance_threat_threshold",
            "alliance_balance_weight",
            "alliance_affinity_weight",
            "bandwagon",
            "estimate_noise",
            "alliance_accept_trust",
            "pact_exit_hazard",
            "pact_exit_orientation",
            "pact_exit_trust",
        ],
        source: "Walt 1987; Cusack & Stoll 1990 (REALPOLITIK); Leeds et al. 2002 (ATOP).",
    },
    Mechanism {
        title: "Non-traditional threats",
        theory: "liberal and constructivist (realists ignore them)",
        rule: "A common threat (climate, pandemic) addressed by a regime makes its members' cooperation visible to each other; members that left or announced leaving free-ride and lose trust.",
        equation: "members: cooperation signal w x severity;  free-riders: defection signal w' x severity",
        params: &["threat_weight", "threat_cooperation", "threat_free_ride"],
        source: "Model brief section 3; Keohane & Victor 2011 on the climate regime complex.",
    },
    Mechanism {
        title: "Measuring a security community",
        theory: "shared",
        rule: "A member pair holds dependable expectations of peaceful change when trust and identity both ways pass a threshold and no dispute at use of force or above happened within a window; the community's Adler-Barnett phase follows from that share, identity and cohesion.",
        equation: "mature: share >= 0.9 and W >= 0.7; ascendant: share >= 0.5 and W >= 0.5; nascent: cohesion >= 0.4",
        params: &["peace_threshold", "peace_window"],
        source: "Adler & Barnett 1998; Deutsch et al. 1957.",
    },
];

/// What a withdrawal means under each lens (the lens table of the model brief).
pub const WITHDRAWAL: &str = "Treaty withdrawal: realist - material only (trade, alliance ties); liberal - a defection \
every member observes (Bayesian reputation, weighted by salience); constructivist - also a public norm violation that lowers \
the members' we-feeling toward the leaver by rho x salience.";

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
}

fn value(x: f64) -> String {
    format!("{x}")
}

/// Explains every mechanism with its values under the given lenses.
pub fn explain(lenses: &[(String, Params)], format: Format) -> String {
    let mut out = String::new();
    let names: Vec<&str> = lenses.iter().map(|(n, _)| n.as_str()).collect();
    match format {
        Format::Markdown => {
            writeln!(out, "# comity: the mechanisms and their parameters under each lens\n").ok();
            writeln!(
                out,
                "Lenses shown: {}. Every lens is a value of one parameter set over the same mechanisms; a weight of 0 \
                 switches a mechanism off. Rates are per year. Dispute onset and escalation are calibrated per lens to the \
                 1946-1989 MID data (docs/calibration.md).\n",
                names.join(", ")
            )
            .ok();
            writeln!(out, "{WITHDRAWAL}\n").ok();
        }
        Format::Text => {
            writeln!(out, "comity mechanisms (lenses: {})\n", names.join(", ")).ok();
            writeln!(out, "{WITHDRAWAL}\n").ok();
        }
    }
    for (k, m) in MECHANISMS.iter().enumerate() {
        match format {
            Format::Markdown => {
                writeln!(
                    out,
                    "## {}. {} ({})\n\n{}\n\n```\n{}\n```\n",
                    k + 1,
                    m.title,
                    m.theory,
                    m.rule,
                    m.equation
                )
                .ok();
                write!(out, "| parameter |").ok();
                for n in &names {
                    write!(out, " {n} |").ok();
                }
                writeln!(out, " unit | meaning |").ok();
                writeln!(out, "|---|{}---|---|", "---:|".repeat(names.len())).ok();
                for p in m.params {
                    let s = spec(p).expect("mechanism parameters are parameters");
                    write!(out, "| `{p}` |").ok();
                    for (_, params) in lenses {
                        write!(out, " {} |", value(params.get(p).expect("a parameter"))).ok();
                    }
                    writeln!(out, " {} | {} |", s.unit, s.doc.trim()).ok();
                }
                writeln!(out, "\nSource: {}\n", m.source).ok();
            }
            Format::Text => {
                writeln!(out, "{}. {} [{}]", k + 1, m.title, m.theory).ok();
                writeln!(out, "   {}", m.rule).ok();
                writeln!(out, "   {}", m.equation).ok();
                write!(out, "   {:<28}", "parameter").ok();
                for n in &names {
                    write!(out, " {n:>14}").ok();
                }
                writeln!(out).ok();
                for p in m.params {
                    write!(out, "   {p:<28}").ok();
                    for (_, params) in lenses {
                        write!(out, " {:>14}", value(params.get(p).expect("a parameter"))).ok();
                    }
                    writeln!(out).ok();
                }
                writeln!(out, "   Source: {}\n", m.source).ok();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::SPECS;

    #[test]
    fn every_parameter_belongs_to_exactly_one_mechanism() {
        for s in SPECS {
            let owners = MECHANISMS.iter().filter(|m| m.params.contains(&s.name)).count();
            assert_eq!(owners, 1, "`{}` is explained by {owners} mechanisms", s.name);
        }
        for m in MECHANISMS {
            for p in m.params {
                assert!(spec(p).is_some(), "{} names unknown parameter {p}", m.title);
            }
        }
    }

    #[test]
    fn markdown_shows_each_lens_value() {
        let lenses: Vec<(String, Params)> = ["realist", "liberal"]
            .iter()
            .map(|n| (n.to_string(), crate::params::lens(n).unwrap()))
            .collect();
        let md = explain(&lenses, Format::Markdown);
        assert!(md.contains("| `bayes_weight` | 0 | 1 |"), "{md}");
        assert!(md.contains("## 3. Structural trust anchor and the security dilemma (shared"));
    }
}
