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
    /// What each symbol of the equation stands for, in the order it appears: a parameter (its
    /// name in backticks, the whole meaning when the symbol is that parameter) or a variable of
    /// the world (a state's, a pair's, a community's). Every parameter named is in backticks.
    pub symbols: &'static [(&'static str, &'static str)],
    pub params: &'static [&'static str],
    /// Published sources; where a rule is comity's own, the source says so.
    pub source: &'static str,
}

/// The notation every equation shares (printed once, above the mechanisms).
pub const NOTATION: &str = "Notation: i is the observer (or the first state of a pair), j the partner; directed \
variables (T_ij, W_ij) are how i sees j. delta(x) is the change of x since the start of the run. logistic(x) = \
1 / (1 + exp(-x)), logit is its inverse. ramp(x, lo, hi) is 0 at or below lo, 1 at or above hi, linear between. \
min, max, clamp(x, lo, hi), ln, exp, sqrt, floor, frac (fractional part) and mean are the usual functions; x \
multiplies. Rates are per year; a step of dt years uses 1 - (1 - rate)^dt. Each equation's symbols are listed \
under it: a parameter by its name, anything else by what it measures.";

/// Function names and connectives an equation may use without a symbol entry.
pub const NOTATION_WORDS: &[&str] = &[
    "delta", "logistic", "logit", "ramp", "min", "max", "clamp", "ln", "exp", "sqrt", "floor", "frac", "mean", "x",
    "if", "else", "and", "or", "not", "then", "times",
];

/// Every mechanism, in the order of a tick.
pub const MECHANISMS: &[Mechanism] = &[
    Mechanism {
        title: "Capability drift",
        theory: "shared",
        rule: "Power shares and GDP follow geometric random walks; scripted shocks multiply them.",
        equation: "p <- p exp(s_p sqrt(dt) z - s_p^2 dt / 2);  Y <- Y exp((g - s_Y^2 / 2) dt + s_Y sqrt(dt) z')",
        symbols: &[
            (
                "p",
                "a state's power share (COW CINC at the start; scripted shock events multiply it)",
            ),
            ("s_p", "`power_volatility`"),
            ("dt", "the length of a step, in years (1, 1/4 or 1/12)"),
            ("z", "a standard normal draw, one per state and step"),
            ("Y", "a state's GDP, trillion USD (shock events multiply it too)"),
            ("g", "`gdp_growth`"),
            ("s_Y", "`gdp_volatility`"),
            ("z'", "a second, independent standard normal draw"),
        ],
        params: &["power_volatility", "gdp_growth", "gdp_volatility"],
        source: "Singer, Bremer & Stuckey 1972 (COW National Material Capabilities) for the starting shares; the random walk and its volatilities are comity's own assumptions, set by hand (docs/model.md 7.2).",
    },
    Mechanism {
        title: "Trade (gravity with partial adjustment)",
        theory: "liberal economics",
        rule: "Bilateral trade moves each year part of the way toward a gravity target that grows with both GDPs, rises with shared trade pacts and institutions, and falls with tariffs and recent disputes.",
        equation: "X* = X0 (Y_i / Y_i0)^a (Y_j / Y_j0)^a exp(d_P delta(PTA) + d_I delta(I) - g exp(-py / m)) (1 - tau)^sigma;  X <- X + lambda (X* - X)",
        symbols: &[
            ("X*", "the pair's gravity target, bn USD a year"),
            (
                "X0",
                "the pair's trade at the start (a pair that starts at 0 never trades)",
            ),
            ("Y_i", "GDP of i, trillion USD"),
            ("Y_i0", "GDP of i at the start"),
            ("a", "`trade_gdp_elasticity`"),
            ("Y_j", "GDP of j"),
            ("Y_j0", "GDP of j at the start"),
            ("d_P", "`trade_pta_effect`"),
            ("PTA", "the trade pacts (treaties of kind trade) the pair shares"),
            ("d_I", "`trade_institution_effect`"),
            ("I", "the institutions the pair shares, each weighted by its salience"),
            ("g", "`trade_dispute_penalty`"),
            ("py", "years since the pair's last dispute"),
            ("m", "`trade_dispute_memory`"),
            ("tau", "the mean of the two states' tariff rates on each other"),
            ("sigma", "`trade_tariff_elasticity`"),
            ("X", "the pair's trade, bn USD a year"),
            ("lambda", "`trade_adjustment`"),
        ],
        params: &[
            "trade_adjustment",
            "trade_gdp_elasticity",
            "trade_pta_effect",
            "trade_institution_effect",
            "trade_tariff_elasticity",
            "trade_dispute_penalty",
            "trade_dispute_memory",
        ],
        source: "Tinbergen 1962; Anderson & van Wincoop 2003; Head & Mayer 2014 (the tariff elasticity); Pollins 1989 (disputes lower trade). The partial adjustment toward the target is comity's own dynamic.",
    },
    Mechanism {
        title: "Structural trust anchor and the security dilemma",
        theory: "shared (each lens weighs the structure it believes in)",
        rule: "Trust has a level set by structure: the pair's trust at the start, moved by the partner's capability gain relative to one's own and its alignment with states one distrusts (realist), and by changes in shared alliance, shared institutions and rivalry. Signals and shocks move trust off that level; the deviation halves every trust_half_life years. Without events and with an unchanged structure, trust does not drift.",
        equation: "A' = clamp(logistic(logit(T0) - w s_p G) (1 - w s_r delta(V)) + a_A delta(allied) + a_I delta(min(I, 3)) + a_R delta(rho(R)), 0, 1);  G = delta(ln p_j) - delta(ln p_i);  T <- A' + (T - A) 0.5^(dt / h)",
        symbols: &[
            ("A'", "the anchor of i's trust in j after this step"),
            ("T0", "i's trust in j at the start (the scenario's value)"),
            ("w", "`security_dilemma_weight`"),
            ("s_p", "`security_power_sensitivity`"),
            ("G", "j's capability gain since the start relative to i's, in log-units"),
            ("s_r", "`security_rival_sensitivity`"),
            (
                "V",
                "j's alignment with states i distrusts: the mean of i's distrust (1 - T) over j's partners in the defence pacts of j that i is not in",
            ),
            ("a_A", "`anchor_alliance`"),
            ("allied", "1 if i and j share a defence pact, else 0"),
            ("a_I", "`anchor_institutions`"),
            ("I", "the institutions i and j share, each weighted by its salience"),
            ("a_R", "`anchor_rivalry`"),
            (
                "rho",
                "rivalry pressure, rho(R) = R / (R + `rivalry_saturation`) (mechanism 8)",
            ),
            ("R", "the pair's rivalry stock (mechanism 8)"),
            ("p_j", "j's power share"),
            ("p_i", "i's power share"),
            ("T", "i's trust in j, 0-1"),
            ("A", "the anchor of the step before"),
            ("dt", "the length of a step, in years"),
            ("h", "`trust_half_life`"),
        ],
        params: &[
            "security_dilemma_weight",
            "security_power_sensitivity",
            "security_rival_sensitivity",
            "trust_half_life",
            "anchor_alliance",
            "anchor_institutions",
            "anchor_rivalry",
        ],
        source: "Jervis 1978; Grieco 1988 (relative gains); Waltz 1979; Walt 1987 (alignment). The anchor, its shifts and its half-life are comity's own construction, set by hand, not calibrated (docs/model.md 7.5.1; docs/calibration.md).",
    },
    Mechanism {
        title: "Bayesian reputation",
        theory: "liberal",
        rule: "States read cooperation and defection as signals of a partner's type and update trust by Bayes' rule; shared institutions make signals more reliable. Signals: joins and withdrawals, tariffs, orientation turns, disputes, honoured or broken alliance commitments, cooperation against a common threat.",
        equation: "cooperation: T' = T q_c / (T q_c + (1 - T) q_u);  defection: T' = T (1 - q_c) / (T (1 - q_c) + (1 - T) (1 - q_u));  s' = s (1 + b I);  T <- T' floor(s') times, then T <- T + frac(s') (T' - T)",
        symbols: &[
            ("T'", "i's trust in j after one Bayesian update"),
            ("T", "i's trust in j, the belief that j is a trustworthy type"),
            ("q_c", "`bayes_q_coop`"),
            ("q_u", "`bayes_q_uncoop`"),
            ("s'", "the signal's weight, made more reliable by shared institutions"),
            (
                "s",
                "the signal's weight: `bayes_weight` x salience (a join, or a public exit seen by the treaty's other members); `bayes_weight` x `tariff_signal` (a tariff raised or lifted); `bayes_weight` x `turn_signal` x 2 |delta orientation| (a turn, seen by every state); `dispute_signal` x level / 5 (a dispute, both sides); `honour_signal` x max(`bayes_weight`, `security_dilemma_weight`) (an alliance call answered or not); `pact_signal` (a new defence pact); `threat_weight` x severity x `threat_cooperation` or `threat_free_ride` (mechanism 14)",
            ),
            ("b", "`institution_signal_boost`"),
            ("I", "the institutions i and j share, each weighted by its salience"),
        ],
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
        source: "Kydd 2005 (trust as a Bayesian belief about type); Keohane 1984 (institutions make conduct observable). The signal weights are comity's own, set by hand.",
    },
    Mechanism {
        title: "Identity pulls trust",
        theory: "constructivist",
        rule: "We-feeling pulls trust toward itself: states trust those they identify with.",
        equation: "T <- T + nu (W - T);  nu = min(1, w_T r_T)",
        symbols: &[
            ("T", "i's trust in j"),
            ("nu", "the share of the gap closed in one step"),
            ("W", "i's identity with j (we-feeling, 0-1)"),
            ("w_T", "`identity_trust_weight`"),
            ("r_T", "`identity_trust_rate` (per year)"),
        ],
        params: &["identity_trust_weight", "identity_trust_rate"],
        source: "Deutsch et al. 1957; Wendt 1999; Adler & Barnett 1998 (trust follows collective identity). The linear pull is comity's own rule.",
    },
    Mechanism {
        title: "Identity (we-feeling)",
        theory: "constructivist",
        rule: "Identity grows with transactions beyond what size alone predicts (Savage-Deutsch relative acceptance), shared institutions and similar norms, less between rivals (enemy images reproduce themselves), scaled by the observer's openness; it decays slowly; a public treaty violation cuts the members' identity with the violator.",
        equation: "RA = (A - E) / E;  E = A_i A_j / A_all;  D = c + k min(RA, 10) + c_I I + c_N (sim - 0.5) - c_R rho(R);  W <- W + w eta logistic(D) 2 o_i (1 - W) - w mu W;  exit: W_mj <- W_mj - w v sal;  W_jm <- W_jm - w v sal / 4",
        symbols: &[
            ("RA", "relative acceptance of the pair's trade"),
            ("A", "the pair's trade"),
            ("E", "the trade expected from the two states' shares of all trade"),
            ("A_i", "i's trade with all others"),
            ("A_j", "j's trade with all others"),
            ("A_all", "all trade in the system"),
            ("D", "the transaction drive"),
            ("c", "`identity_bias`"),
            ("k", "`identity_ra_slope`"),
            ("c_I", "`identity_institution_drive`"),
            ("I", "the institutions i and j share, each weighted by its salience"),
            ("c_N", "`identity_norm_drive`"),
            (
                "sim",
                "norm similarity of i and j, 1 - mean |n_i - n_j| over their four norms (mechanism 7)",
            ),
            ("c_R", "`identity_rivalry_drive`"),
            (
                "rho",
                "rivalry pressure, rho(R) = R / (R + `rivalry_saturation`) (mechanism 8)",
            ),
            ("R", "the pair's rivalry stock (mechanism 8)"),
            ("W", "i's identity with j (we-feeling, 0-1)"),
            ("w", "`identity_weight`"),
            ("eta", "`identity_growth`"),
            (
                "o_i",
                "i's orientation, 0 nationalist to 1 internationalist (2 o_i is its openness)",
            ),
            ("mu", "`identity_decay`"),
            (
                "W_mj",
                "the identity with the leaver j of m, each other member of the treaty j leaves or announces it will leave",
            ),
            ("v", "`norm_violation`"),
            ("sal", "the treaty's salience, 0-1"),
            ("W_jm", "the leaver's identity with m"),
        ],
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
        source: "Deutsch et al. 1957; Savage & Deutsch 1960 (relative acceptance); Adler & Barnett 1998; Wendt 1999, ch. 6 (enemy images between rivals). The logistic growth rule and its drive terms are comity's own.",
    },
    Mechanism {
        title: "Norm diffusion",
        theory: "constructivist",
        rule: "Each year a state may meet a partner (likelier with neighbours, institution partners and trade partners); they interact with probability equal to their similarity, and the state moves one norm toward the partner's. Leaving a treaty lowers the leaver's norm tied to its kind.",
        equation: "P_meet = w_N m;  weight_j = c_0 + contig_ij + I_ij + c_X X_ij / X_i;  P_interact = sim = 1 - mean |n_i - n_j|;  n_ik <- n_ik + c (n_jk - n_ik);  exit: n_ik <- n_ik - min(1, w) d sal",
        symbols: &[
            ("P_meet", "the probability that i meets a partner in a step"),
            ("w_N", "`norm_diffusion_weight`"),
            ("m", "`norm_interaction_rate` (per year)"),
            (
                "weight_j",
                "how likely j is the partner met, relative to the other states",
            ),
            ("c_0", "`norm_contact_floor`"),
            ("contig_ij", "1 if i and j are contiguous, else 0"),
            ("I_ij", "the institutions i and j share, each weighted by its salience"),
            ("c_X", "`norm_trade_contact`"),
            ("X_ij", "the trade of i and j"),
            ("X_i", "i's trade with all others"),
            ("P_interact", "the probability that the two interact once met"),
            ("sim", "their norm similarity"),
            (
                "n_i",
                "i's four norms (multilateralism, pacific settlement, open trade, climate cooperation), each 0-1",
            ),
            ("n_j", "j's four norms"),
            (
                "n_ik",
                "i's norm k: one of the four at random when i copies; on exit, the norm tied to the treaty's kind (defence and community: multilateralism; trade: open trade; regime: climate)",
            ),
            ("c", "`norm_copy_share`"),
            ("n_jk", "j's norm k"),
            ("w", "`identity_weight`"),
            ("d", "`norm_exit_drop`"),
            ("sal", "the treaty's salience, 0-1"),
        ],
        params: &[
            "norm_diffusion_weight",
            "norm_interaction_rate",
            "norm_copy_share",
            "norm_contact_floor",
            "norm_trade_contact",
            "norm_exit_drop",
        ],
        source: "Axelrod 1997 (the culture model). The choice of partner and the drop on exit are comity's own rules.",
    },
    Mechanism {
        title: "Dispute onset",
        theory: "shared (each lens switches terms)",
        rule: "Each pair of states may begin a militarized dispute each year, likelier between neighbours, with a major power, at parity, after a recent dispute and between rivals (each past dispute adds to a conflict memory that fades slowly); joint democracy, trade dependence, shared institutions and IGOs, alliance and we-feeling make it less likely, distrust more.",
        equation: "logit(P) = b_0 + b_c contig + b_d ln(1 + dist / 1000) + b_m major + b_cm contig major + b_r |ln(p_i / p_j)| + b_D dem + b_X dep + b_I min(I, 3) + b_A allied + b_P exp(-py / tau) + L_T (1 - T) + L_W W + b_R rho(R) + b_G igo;  rho(R) = R / (R + k);  R <- R 0.5^(dt / H) + disputes;  igo = min(n_igo / s_G, 1)",
        symbols: &[
            (
                "P",
                "the pair's probability of a dispute in a year (before the zone-of-peace gate, mechanism 9)",
            ),
            ("b_0", "`onset_base`"),
            ("b_c", "`onset_contiguous`"),
            (
                "contig",
                "1 if the pair is contiguous (land, or 150 miles of water or less), else 0",
            ),
            ("b_d", "`onset_distance`"),
            ("dist", "the distance between the two states' borders, km"),
            ("b_m", "`onset_major`"),
            ("major", "1 if either state is a major power, else 0"),
            ("b_cm", "`onset_contiguous_major`"),
            ("b_r", "`onset_power_ratio`"),
            ("p_i", "i's power share"),
            ("p_j", "j's power share"),
            ("b_D", "`onset_democracy`"),
            ("dem", "the lower of the two states' democracy scores, 0-1"),
            ("b_X", "`onset_trade`"),
            (
                "dep",
                "the pair's trade dependence: its trade over the larger GDP (the weak link)",
            ),
            ("b_I", "`onset_institutions`"),
            ("I", "the institutions the pair shares, each weighted by its salience"),
            ("b_A", "`onset_alliance`"),
            ("allied", "1 if the pair shares a defence pact, else 0"),
            ("b_P", "`onset_recent`"),
            ("py", "years since the pair's last dispute"),
            ("tau", "`onset_recent_decay`"),
            ("L_T", "`onset_distrust`"),
            ("T", "the pair's mean trust, (T_ij + T_ji) / 2"),
            ("L_W", "`onset_identity`"),
            ("W", "the pair's mean identity"),
            ("b_R", "`onset_rivalry`"),
            ("rho", "the rivalry pressure of a stock R, from 0 toward 1"),
            ("R", "the pair's rivalry stock: past disputes, each worth 1, fading"),
            ("b_G", "`onset_igo_density`"),
            ("igo", "the pair's IGO density"),
            ("k", "`rivalry_saturation`"),
            ("dt", "the length of a step, in years"),
            ("H", "`rivalry_half_life`"),
            ("disputes", "the pair's disputes in this step"),
            (
                "n_igo",
                "the IGOs the pair shares: its count at the start plus the shared non-defence treaties gained since",
            ),
            ("s_G", "`igo_density_scale`"),
        ],
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
        source: "Bremer 1992; Jones, Bremer & Singer 1996; Russett & Oneal 2001; Crescenzi & Enterline 2001 (event dependence); Thompson & Dreyer 2012 (strategic rivalries); Palmer et al. 2022 (MID 5). The constant, the contiguity and major-power terms and the realist alliance term are calibrated per lens to the 1946-1989 MID rates (docs/calibration.md); the other coefficients are set by hand; the rivalry stock's form, half-life and weight are comity's own.",
    },
    Mechanism {
        title: "Zones of peace: dependable expectations of peaceful change",
        theory: "liberal and constructivist (realists know no such zone)",
        rule: "A pair that has become a security community almost never chooses force: a gate multiplies the dispute hazard, so no amount of contiguity or rivalry outweighs it, and the disputes that still happen settle by talks below the use of force. Constructivist: the Kantian culture (we-feeling and trust; a ramp below the threshold). Liberal: democracy, interdependence and IGO density jointly high (the product of three scores). Realist: none; only alliance and deterrence keep the peace.",
        equation: "z = max(w_K z_K, w_L D X G);  z_K = 1 if K else ramp(min(W, T), k_lo, k_in);  D = ramp(dem, d_lo, d_hi);  X = ramp(dep, x_lo, x_hi);  G = ramp(igo, g_lo, g_hi);  P <- P (1 - zp z);  L_max = 3 if z >= 0.5 and c_Z >= 0.5",
        symbols: &[
            ("z", "the pair's zone-of-peace score, 0-1"),
            ("w_K", "`zone_kantian_weight`"),
            ("z_K", "the constructivist (Kantian) score"),
            ("w_L", "`zone_liberal_weight`"),
            ("D", "the liberal democracy score"),
            ("X", "the liberal interdependence score"),
            ("G", "the liberal IGO score"),
            ("K", "1 if the pair is in the Kantian culture (mechanism 11), else 0"),
            ("W", "the pair's mean identity"),
            ("T", "the pair's mean trust"),
            ("k_lo", "`zone_kantian_low`"),
            ("k_in", "`kantian_enter` (mechanism 11)"),
            ("dem", "the lower of the two democracy scores"),
            ("d_lo", "`zone_democracy_low`"),
            ("d_hi", "`zone_democracy_high`"),
            ("dep", "the pair's trade dependence (mechanism 8)"),
            ("x_lo", "`zone_trade_low`"),
            ("x_hi", "`zone_trade_high`"),
            ("igo", "the pair's IGO density (mechanism 8)"),
            ("g_lo", "`zone_igo_low`"),
            ("g_hi", "`zone_igo_high`"),
            ("P", "the pair's yearly dispute probability (mechanism 8)"),
            ("zp", "`zone_peace`"),
            (
                "L_max",
                "the highest level a dispute can reach (3, display of force: settled by talks)",
            ),
            ("c_Z", "`zone_cap`"),
        ],
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
        source: "Deutsch et al. 1957; Adler & Barnett 1998; Wendt 1999; Russett & Oneal 2001 (the Kantian triangle, \"all three in the top decile\"). The gate, its ramps and its strength are comity's own, set by hand (docs/model.md 7.8.2).",
    },
    Mechanism {
        title: "Escalation on the hostility ladder",
        theory: "shared",
        rule: "A dispute enters at threat, display of force or use of force and may step up, likelier at parity, with distrust and with joiners, less likely with mediation by shared institutions and with we-feeling; unreciprocated disputes stop short of war. Most end in stalemate.",
        equation: "entry: L = 2 if u < e_T, 3 if u < e_T + e_D, else 4;  P_up(L) = logistic(a_L + b parity + c (1 - T) + d ln(1 + joiners) - e min(I, 3) - f W + r rho(R));  P_recip = q, else L_max = 4;  L < 5: P_stalemate = o_S, P_compromise = o_C;  L >= 4: W_ij <- W_ij - w l",
        symbols: &[
            (
                "L",
                "the dispute's hostility level: 2 threat, 3 display of force, 4 use of force, 5 war",
            ),
            ("u", "a uniform draw"),
            ("e_T", "`entry_threat`"),
            ("e_D", "`entry_display`"),
            ("P_up", "the probability of stepping up from level L to L + 1"),
            (
                "a_L",
                "`escalate_from_threat` (L = 2), `escalate_from_display` (L = 3), `escalate_from_force` (L = 4)",
            ),
            ("b", "`escalate_parity`"),
            ("parity", "1 - |p_a - p_b| / (p_a + p_b) of the two sides' power shares"),
            ("c", "`escalate_distrust`"),
            ("T", "the pair's mean trust"),
            ("d", "`escalate_joiner`"),
            ("joiners", "the number of allies that joined the target"),
            ("e", "`escalate_mediation`"),
            ("I", "the institutions the pair shares, each weighted by its salience"),
            ("f", "`escalate_identity`"),
            ("W", "the pair's mean identity"),
            ("r", "`escalate_rivalry`"),
            (
                "rho",
                "rivalry pressure, rho(R) = R / (R + `rivalry_saturation`) (mechanism 8)",
            ),
            ("R", "the pair's rivalry stock (mechanism 8)"),
            ("P_recip", "the probability that the target reciprocates"),
            ("q", "`reciprocation`"),
            ("L_max", "the highest level the dispute can reach"),
            ("P_stalemate", "the share of disputes below war that end in stalemate"),
            ("o_S", "`outcome_stalemate`"),
            (
                "P_compromise",
                "the share that end in compromise (the rest: one side yields)",
            ),
            ("o_C", "`outcome_compromise`"),
            ("W_ij", "each side's identity with the other"),
            ("w", "`identity_weight`"),
            ("l", "`dispute_identity_loss`"),
        ],
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
        source: "Jones, Bremer & Singer 1996 and Palmer et al. 2022 (the COW hostility levels and MID outcomes). `entry_threat` and the steps from display and from use of force are calibrated per lens to the 1946-1989 MID data (docs/calibration.md); the logistic step rule and its other terms are comity's own, set by hand.",
    },
    Mechanism {
        title: "Kantian culture caps escalation",
        theory: "constructivist",
        rule: "A pair whose mean identity and trust pass a threshold is Kantian (Wendt's third culture, with hysteresis): its disputes settle by talks, at display of force at most.",
        equation: "K = (W > k_in and T > k_in) or (K_prev and W >= k_out and T >= k_out);  Hobbesian: W < h;  L_max = 3 if K and c_K >= 0.5",
        symbols: &[
            ("K", "1 if the pair is Kantian, else 0"),
            ("W", "the pair's mean identity, (W_ij + W_ji) / 2"),
            ("k_in", "`kantian_enter`"),
            ("T", "the pair's mean trust"),
            ("K_prev", "K at the step before"),
            ("k_out", "`kantian_exit`"),
            ("h", "`hobbesian_below`"),
            (
                "L_max",
                "the highest level a dispute can reach (3, display of force: settled by talks)",
            ),
            ("c_K", "`kantian_cap`"),
        ],
        params: &["kantian_cap", "kantian_enter", "kantian_exit", "hobbesian_below"],
        source: "Wendt 1992, 1999 (the three cultures of anarchy); Deutsch et al. 1957; Adler & Barnett 1998. The thresholds are comity's own, set by hand.",
    },
    Mechanism {
        title: "Alliance commitments",
        theory: "shared",
        rule: "When a dispute reaches war, the target calls its defence allies (not those also allied to the attacker); at use of force it calls them only sometimes. Each ally honours the call with a probability near three quarters, lower for major powers, autocracies, allies that changed since signing and nationalist allies; the target reads the answer as a signal.",
        equation: "P_call = 1 if L = 5, c_F if L = 4;  P_honour = clamp(h_0 + h_M major + h_A (1 - dem) + h_C min(1, C) + h_O (o - 0.5), 0, 1)",
        symbols: &[
            ("P_call", "the probability that the target calls its defence allies"),
            ("L", "the dispute's hostility level (4 use of force, 5 war)"),
            ("c_F", "`call_at_force`"),
            (
                "P_honour",
                "the probability that a called ally honours the call (the answer is a signal, mechanism 4)",
            ),
            ("h_0", "`honour_base`"),
            ("h_M", "`honour_major`"),
            ("major", "1 if the ally is a major power, else 0"),
            ("h_A", "`honour_autocracy`"),
            ("dem", "the ally's democracy score, 0-1"),
            ("h_C", "`honour_change`"),
            (
                "C",
                "the ally's change since it joined the pact: |ln(power / power at joining)| + |democracy - democracy at joining|",
            ),
            ("h_O", "`honour_orientation`"),
            ("o", "the ally's orientation, 0 nationalist to 1 internationalist"),
        ],
        params: &[
            "call_at_force",
            "honour_base",
            "honour_major",
            "honour_autocracy",
            "honour_change",
            "honour_orientation",
        ],
        source: "Leeds 2003; Leeds, Long & Mitchell 2000 (about three quarters of commitments honoured). The linear form and the call rule are comity's own.",
    },
    Mechanism {
        title: "Alliance formation and exit",
        theory: "realist balance of threat; liberal and constructivist affinity",
        rule: "A threatened state (Walt: power x proximity x hostility) looks for an ally; candidates are scored by balancing (power against the threat's bloc) and affinity (joint democracy, identity, trade). With a balancing weight the coalition must beat the threat on noisy estimates, else the state may bandwagon. Members leave pacts at a low hazard, higher when nationalist or distrustful, lower when they trust their allies.",
        equation: "threat_k = B_k prox_ik (1 - T_ik);  P_search = s_A if max(threat_k) > theta;  score_j = w_b p_j / B_k + w_a (dem_i dem_j + W_ij + min(1, s_T dep_ij)) / 3 if T_ji >= t_a;  balance: (B_i + p_j) (1 + e z) >= B_k (1 + e z');  bandwagon: P_wagon = b if T_ki >= t_w;  affinity: score_j >= a_min w_a;  formed: sal = s_new;  exit: P_exit = h 2 (1 - sal) exp(k_O max(0, 0.5 - o_i)) exp(k_T (0.5 - T_i))",
        symbols: &[
            ("threat_k", "the threat state k poses to i (Walt)"),
            ("B_k", "the power of k's bloc: k and its defence allies (but i)"),
            (
                "prox_ik",
                "proximity: 1 if contiguous, else 1 / (1 + distance / 1000 km)",
            ),
            ("T_ik", "i's trust in k"),
            ("P_search", "the probability that i looks for an ally in a step"),
            ("s_A", "`alliance_search` (per year)"),
            ("theta", "`alliance_threat_threshold`"),
            ("score_j", "how i ranks candidate j"),
            ("w_b", "`alliance_balance_weight`"),
            ("p_j", "j's power share"),
            ("w_a", "`alliance_affinity_weight`"),
            ("dem_i", "i's democracy score"),
            ("dem_j", "j's democracy score"),
            ("W_ij", "i's identity with j"),
            ("dep_ij", "the pair's trade dependence (mechanism 8)"),
            ("s_T", "`alliance_trade_scale`"),
            ("T_ji", "j's trust in i"),
            ("t_a", "`alliance_accept_trust`"),
            ("B_i", "the power of i's own bloc"),
            ("e", "`estimate_noise`"),
            ("z", "a standard normal draw (i's estimate of its coalition)"),
            ("z'", "a second draw (its estimate of the threat's bloc)"),
            (
                "P_wagon",
                "the probability that i allies with the threat k instead, when no coalition wins",
            ),
            ("b", "`bandwagon`"),
            ("T_ki", "the threat k's trust in i"),
            ("t_w", "`bandwagon_min_trust`"),
            ("a_min", "`alliance_affinity_min`"),
            ("s_new", "`new_pact_salience`"),
            ("P_exit", "the yearly probability that member i leaves a defence pact"),
            ("h", "`pact_exit_hazard`"),
            ("sal", "the pact's salience, 0-1"),
            ("k_O", "`pact_exit_orientation`"),
            ("o_i", "i's orientation"),
            ("k_T", "`pact_exit_trust`"),
            ("T_i", "i's mean trust in the pact's other members"),
        ],
        params: &[
            "alliance_search",
            "alliance_threat_threshold",
            "alliance_balance_weight",
            "alliance_affinity_weight",
            "bandwagon",
            "bandwagon_min_trust",
            "alliance_trade_scale",
            "alliance_affinity_min",
            "new_pact_salience",
            "estimate_noise",
            "alliance_accept_trust",
            "pact_exit_hazard",
            "pact_exit_orientation",
            "pact_exit_trust",
        ],
        source: "Walt 1987 (balance of threat); Cusack & Stoll 1990 (REALPOLITIK: noisy estimates); Leeds et al. 2002 (ATOP, the exit hazard); Leeds & Savun 2007 and Gaubatz 1996 (why pacts end, and last longer among democracies); Lai & Reiter 2000 (democracies ally with each other). The scoring, its thresholds and the hazard's form are comity's own.",
    },
    Mechanism {
        title: "Non-traditional threats",
        theory: "liberal and constructivist (realists ignore them)",
        rule: "A common threat (climate, pandemic) addressed by a regime makes its members' cooperation visible to each other; members that left or announced leaving free-ride and lose trust.",
        equation: "cooperation: T_ij <- B(T_ij, w sev c);  defection: T_if <- B(T_if, w sev f_r)",
        symbols: &[
            (
                "T_ij",
                "the trust of i in j, both current members of the regime that addresses the threat (announced leavers excluded)",
            ),
            ("B", "the Bayesian update of mechanism 4, with a signal of this weight"),
            ("w", "`threat_weight`"),
            ("sev", "the threat's severity, 0-1 (the event's value)"),
            ("c", "`threat_cooperation`"),
            (
                "T_if",
                "the trust of member i in f, a former member or announced leaver (a free-rider)",
            ),
            ("f_r", "`threat_free_ride`"),
        ],
        params: &["threat_weight", "threat_cooperation", "threat_free_ride"],
        source: "comity's own rule, not a published model: the signal weights are set by hand, not calibrated. It draws on Keohane 1984 (regimes make cooperation observable), Olson 1965 (free riding on a public good), Barrett 2003 (free riding on environmental treaties) and Keohane & Victor 2011 (the climate regime complex); Buzan, Waever & de Wilde 1998 on non-military security.",
    },
    Mechanism {
        title: "Measuring a security community",
        theory: "shared",
        rule: "A member pair holds dependable expectations of peaceful change when trust and identity both ways pass a threshold and no dispute at use of force or above happened within a window; the community's Adler-Barnett phase follows from that share, identity and cohesion.",
        equation: "peaceful = min(T_ij, T_ji) >= t_p and min(W_ij, W_ji) >= t_p and y_F >= y_p;  phase = 3 if share >= 0.9 and W >= 0.7, 2 if share >= 0.5 and W >= 0.5, 1 if cohesion >= 0.4, else 0",
        symbols: &[
            (
                "peaceful",
                "whether member pair (i, j) holds dependable expectations of peaceful change",
            ),
            ("T_ij", "i's trust in j"),
            ("T_ji", "j's trust in i"),
            ("t_p", "`peace_threshold`"),
            ("W_ij", "i's identity with j"),
            ("W_ji", "j's identity with i"),
            ("y_F", "years since the pair's last dispute at use of force or war"),
            ("y_p", "`peace_window`"),
            (
                "phase",
                "the Adler-Barnett phase: 0 none, 1 nascent, 2 ascendant, 3 mature",
            ),
            ("share", "the share of member pairs that are peaceful"),
            ("W", "the members' mean identity"),
            ("cohesion", "the members' mean trust"),
        ],
        params: &["peace_threshold", "peace_window"],
        source: "Deutsch et al. 1957 (dependable expectations of peaceful change); Adler & Barnett 1998 (the phases). The thresholds that turn them into numbers are comity's own operationalisation.",
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
            writeln!(out, "{NOTATION}\n").ok();
        }
        Format::Text => {
            writeln!(out, "comity mechanisms (lenses: {})\n", names.join(", ")).ok();
            writeln!(out, "{WITHDRAWAL}\n").ok();
            writeln!(out, "{NOTATION}\n").ok();
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
                writeln!(out, "Where:\n\n| symbol | stands for |\n|---|---|").ok();
                for (sym, meaning) in m.symbols {
                    writeln!(out, "| `{sym}` | {} |", meaning.replace('|', "\\|")).ok();
                }
                writeln!(out).ok();
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
                writeln!(out, "   where").ok();
                let width = m.symbols.iter().map(|(sym, _)| sym.len()).max().unwrap_or(0);
                for (sym, meaning) in m.symbols {
                    writeln!(out, "     {sym:<width$}  {}", meaning.replace('`', "")).ok();
                }
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
        assert!(md.contains("| `b_A` | `onset_alliance` |"), "{md}");
    }

    /// The names an equation uses: every word but numbers, labels (a word followed by ':') and
    /// the notation's functions and connectives. A name may end in primes or a star (T', X*).
    fn names_in(equation: &str) -> Vec<String> {
        let chars: Vec<char> = equation.chars().collect();
        let mut names = Vec::new();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            if c.is_ascii_digit() {
                while k < chars.len() && (chars[k].is_ascii_digit() || chars[k] == '.') {
                    k += 1;
                }
            } else if c.is_ascii_alphabetic() {
                let start = k;
                while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '_') {
                    k += 1;
                }
                while k < chars.len() && (chars[k] == '\'' || chars[k] == '*') {
                    k += 1;
                }
                let name: String = chars[start..k].iter().collect();
                let label = chars.get(k) == Some(&':');
                if !label && !NOTATION_WORDS.contains(&name.as_str()) && !names.contains(&name) {
                    names.push(name);
                }
            } else {
                k += 1;
            }
        }
        names
    }

    #[test]
    fn names_in_skips_numbers_labels_and_functions() {
        assert_eq!(
            names_in("cooperation: T' = logistic(b_0 + 2.5 x X*) if z' > 0.5"),
            ["T'", "b_0", "X*", "z'"]
        );
    }

    #[test]
    fn every_symbol_of_every_equation_is_explained() {
        for (k, m) in MECHANISMS.iter().enumerate() {
            let used = names_in(m.equation);
            let explained: Vec<&str> = m.symbols.iter().map(|(sym, _)| *sym).collect();
            for name in &used {
                assert!(
                    explained.contains(&name.as_str()),
                    "mechanism {} ({}): `{name}` is used in the equation but not explained",
                    k + 1,
                    m.title
                );
            }
            for (x, sym) in explained.iter().enumerate() {
                assert!(
                    used.iter().any(|u| u == sym),
                    "mechanism {} ({}): `{sym}` is explained but not in the equation",
                    k + 1,
                    m.title
                );
                assert!(
                    !explained[..x].contains(sym),
                    "mechanism {}: `{sym}` explained twice",
                    k + 1
                );
            }
        }
    }

    /// The words between backticks in a text.
    fn quoted(text: &str) -> Vec<&str> {
        text.split('`').skip(1).step_by(2).collect()
    }

    #[test]
    fn symbols_name_real_parameters_and_every_parameter_of_the_mechanism() {
        for (k, m) in MECHANISMS.iter().enumerate() {
            let named: Vec<&str> = m.symbols.iter().flat_map(|(_, meaning)| quoted(meaning)).collect();
            for name in &named {
                assert!(
                    spec(name).is_some(),
                    "mechanism {} ({}) names `{name}`, which is not a parameter (params::SPECS)",
                    k + 1,
                    m.title
                );
            }
            for p in m.params {
                assert!(
                    named.contains(p),
                    "mechanism {} ({}): parameter `{p}` is not in its equation's symbols",
                    k + 1,
                    m.title
                );
            }
        }
    }

    #[test]
    fn sources_are_references_not_the_brief() {
        for m in MECHANISMS {
            let source = m.source.to_lowercase();
            assert!(!source.contains("brief"), "{}: {}", m.title, m.source);
            assert!(
                source.chars().any(|c| c.is_ascii_digit()) || source.contains("comity's own"),
                "{}: a source needs an author and year, or to say the rule is comity's own",
                m.title
            );
        }
    }

    #[test]
    fn text_lists_each_symbol_under_its_equation() {
        let lenses = vec![("realist".to_string(), crate::params::lens("realist").unwrap())];
        let text = explain(&lenses, Format::Text);
        assert!(text.contains("Notation: "), "{text}");
        let onset = text.split("8. Dispute onset").nth(1).expect("mechanism 8");
        let line = onset
            .lines()
            .find(|l| l.trim_start().starts_with("b_A "))
            .expect("b_A listed");
        assert!(line.trim_end().ends_with("onset_alliance"), "{line}");
    }
}
