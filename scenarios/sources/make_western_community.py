#!/usr/bin/env python3
"""Generate the western scenarios (scenarios/western_2016/ and the three files over it) from the peace-science data in shared/data/ir.

Usage (from anywhere):
    python3 scenarios/sources/make_western_community.py [--data DIR] [--variant V] [--dir DIR]

The files (--variant; default all):
    western_2016                      the base: the 2016 world (states, dyads, treaties, communities,
                                      calendar 2016-2030, seed), no events; scenarios/western_2016/scenario.toml
    western_community                 extends the base: the dated events of 2016-2020
    western_community_counterfactual  extends western_community.toml, its events replaced by the non-US
                                      ones (the twin)
    america_first_2025                extends western_community.toml: to 2035, with the 2021-22
                                      re-engagement and the 2025 turn after its events
The three extend their bases by relative path (`extends`, docs/scenario-format.md), so they are
written together under one scenarios folder.

Defaults: --data is ../../../shared/data/ir relative to this script (i.e. <repo>/../shared/data/ir),
--dir is .. relative to this script (i.e. <repo>/scenarios/).

What stays in Python, and why: `comity import` builds a world of every state of a year from the same
tables, but not this one: the 16 states chosen by hand, the EU-based trust and identity proxies, the
NATO and bilateral pacts from ATOP with their names, the comments that cite each value's source, and
above all the events, each with its official source and the arithmetic of its tariff estimate.

Standard library only. The output is deterministic: running the script twice gives the same bytes.
Every number written to the TOML is either read from the data files (with the rule stated here and in
the TOML header) or comes from a table in this script that says where it comes from and whether it is
a published figure, an estimate or a modelling judgement.

Rounding: all roundings are decimal ROUND_HALF_UP on the decimal text of the value (not binary
floating point), so e.g. a polyarchy of 0.865 becomes 0.87.
"""

import argparse
import csv
import gzip
import itertools
import json
import math
import os
import sys
import textwrap
from decimal import Decimal, ROUND_HALF_UP

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "ir"))

DATA_YEAR = 2016          # state / dyad snapshot year
TRADE_YEAR = 2014         # last year of COW trade v4 and COW IGO v3

# Institutions as they were: the committed, sourced membership table that `comity import` also reads.
INSTITUTIONS_CSV = os.path.normpath(os.path.join(HERE, "..", "data", "institutions.csv"))
# Treaty ids and names in these scenarios (EU keeps the id its events use).
INSTITUTION_NAMES = {
    "ec": ("EU", "European Union"), "efta": ("EFTA", "European Free Trade Association"),
    "nordic_council": ("Nordic", "Nordic Council"), "coe": ("CoE", "Council of Europe"),
    "csce": ("OSCE", "Organization for Security and Co-operation in Europe"),
    "oas": ("OAS", "Organization of American States"), "oau": ("AU", "African Union"),
    "arab_league": ("ArabLeague", "League of Arab States"), "asean": ("ASEAN", "ASEAN"),
    "mercosur": ("Mercosur", "Mercosur"),
}
# Half-life of the rivalry stock in years: the default `rivalry_half_life`, read from src/params.rs so
# that these files and `comity import` use the same value.
PARAMS_RS = os.path.normpath(os.path.join(HERE, "..", "..", "src", "params.rs"))


def _rivalry_half_life():
    import re
    with open(PARAMS_RS) as f:
        m = re.search(r"^\s*rivalry_half_life:\s*([0-9.]+)\s*,", f.read(), re.M)
    if not m:
        sys.exit(f"make_western_community.py: error: no rivalry_half_life default in {PARAMS_RS}")
    h = Decimal(m.group(1)).normalize()
    # normalize() writes 10.0 as 1E+1: keep whole numbers in plain notation
    return h.quantize(Decimal(1)) if h == h.to_integral_value() else h


RIVALRY_HALF_LIFE = _rivalry_half_life()

# ---------------------------------------------------------------------------------------------
# States. Order = order in the TOML. (COW stateabb, display name). ccode is looked up in the data.
# ---------------------------------------------------------------------------------------------
STATES = [
    ("USA", "United States"),
    ("CAN", "Canada"),
    ("UKG", "United Kingdom"),
    ("FRN", "France"),
    ("GMY", "Germany"),
    ("ITA", "Italy"),
    ("NTH", "Netherlands"),
    ("BEL", "Belgium"),
    ("SPN", "Spain"),
    ("POL", "Poland"),
    ("TUR", "Turkey"),
    ("JPN", "Japan"),
    ("AUL", "Australia"),
    ("ROK", "South Korea"),
    ("CHN", "China"),
    ("RUS", "Russia"),
]
WEST = [s for s, _ in STATES if s not in ("CHN", "RUS")]
EU_2016 = ["UKG", "FRN", "GMY", "ITA", "NTH", "BEL", "SPN", "POL"]  # EU members among the 16 in 2016

# World Bank, World Development Indicators, NY.GDP.MKTP.CD (GDP, current US$), trillion USD.
# Published figures quoted from memory of the WDI (not in the data folder); rounded to 2 significant
# digits but never to fewer than 1 decimal place (so 18.7, 11.2 keep 3 digits). Vintages differ by a
# few per cent (e.g. BEL 2016 is 0.466 in older and 0.476 in newer vintages).
GDP_2016 = {
    "USA": "18.7", "CHN": "11.2", "JPN": "4.9", "GMY": "3.5", "UKG": "2.7", "FRN": "2.5",
    "ITA": "1.9", "CAN": "1.5", "ROK": "1.5", "RUS": "1.3", "AUL": "1.2", "SPN": "1.2",
    "TUR": "0.87", "NTH": "0.78", "POL": "0.47", "BEL": "0.47",
}
# Same source, 2014 (the year of the COW national trade figures), used only as the denominator of
# the trade-openness ratio in the open-trade norm. Using 2016 GDP there would distort the ratio
# for states whose currency fell sharply in 2014-16 (RUS GDP in USD fell from 2.1 to 1.3 tn).
GDP_2014 = {
    "USA": "17.5", "CHN": "10.5", "JPN": "4.9", "GMY": "3.9", "UKG": "3.1", "FRN": "2.9",
    "ITA": "2.2", "CAN": "1.8", "ROK": "1.5", "RUS": "2.1", "AUL": "1.5", "SPN": "1.4",
    "TUR": "0.93", "NTH": "0.88", "POL": "0.54", "BEL": "0.53",
}

# Orientation, 0 nationalist .. 1 internationalist, early 2016. MODELLING JUDGEMENT, NOT DATA.
# Rule: 0.75 for every consolidated Western democracy (EU/NATO members, Japan, Australia, South
# Korea, and the United States before the 2017 change of administration); the UK starts at 0.75 and
# moves to 0.65 after the 23 June 2016 EU referendum (an event below); Turkey 0.45 (NATO member,
# but nationalist turn and post-coup-attempt purge in 2016); China 0.40 (active in the UN system and
# WTO but sovereignty-first); Russia 0.30 (annexation of Crimea 2014, confrontational).
ORIENTATION = {s: "0.75" for s in WEST}
ORIENTATION.update({"TUR": "0.45", "CHN": "0.40", "RUS": "0.30"})
UKG_POST_REFERENDUM = "0.65"   # judgement
USA_AMERICA_FIRST = "0.30"     # judgement

# Paris Agreement: all 16 signed at the New York signing ceremony, 22 April 2016. Ratification
# (deposit of the instrument with the UN Secretary-General, UN Treaty Collection ch. XXVII.7.d)
# by 31 December 2016, for the climate-cooperation norm:
PARIS_RATIFIED_2016 = {
    "USA": "3 Sep 2016 (acceptance)", "CHN": "3 Sep 2016", "CAN": "5 Oct 2016",
    "FRN": "5 Oct 2016", "GMY": "5 Oct 2016", "POL": "7 Oct 2016", "ROK": "3 Nov 2016",
    "JPN": "8 Nov 2016 (acceptance)", "AUL": "9 Nov 2016", "ITA": "11 Nov 2016",
    "UKG": "18 Nov 2016",
}
PARIS_LATER = {"SPN": "12 Jan 2017", "BEL": "6 Apr 2017", "NTH": "28 Jul 2017",
               "RUS": "2019 (acceptance)", "TUR": "2021"}
CLIMATE_RATIFIED, CLIMATE_NOT = Decimal("0.70"), Decimal("0.50")

TPP_SIGNATORIES = ["USA", "CAN", "JPN", "AUL"]  # signed Auckland, 4 February 2016 (among the 16)

# Names for non-NATO ATOP defence pledges we expect among the 16.
BILATERAL_NAMES = {
    frozenset(("USA", "JPN")): ("US-Japan", "Treaty of Mutual Cooperation and Security, 19 January 1960"),
    frozenset(("USA", "ROK")): ("US-ROK", "Mutual Defense Treaty, 1 October 1953"),
    frozenset(("USA", "AUL")): ("ANZUS", "ANZUS Treaty, 1 September 1951 (USA-AUL leg; NZ not modelled)"),
}

# ---------------------------------------------------------------------------------------------
# Tariff estimates. rate = sum(statutory rate x value of the covered goods) / total bilateral
# exports of the exporter to the importer (2017, the year before the measures). All values in
# billion USD, ESTIMATES from the best published figures I know (US Census 2017 goods trade; the
# governments' own statements on the value of trade covered). Not from the data folder.
# ---------------------------------------------------------------------------------------------
def q(x, places):
    """Round half up to `places` decimals, from the decimal text (no binary artefacts)."""
    d = x if isinstance(x, Decimal) else Decimal(str(x))
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def est(parts, total):
    """parts: list of (statutory_rate, covered_value_bn, label). Returns (rate Decimal 3dp, text)."""
    duty = sum(Decimal(r) * Decimal(v) for r, v, _ in parts)
    rate = q(duty / Decimal(total), 3)
    text = " + ".join(f"{r} x {v} ({lab})" for r, v, lab in parts)
    return rate, f"estimate: ({text}) / {total} total = {rate}"

# US Section 232 duties on partners' exports to the US (total = US goods imports from partner, 2017)
T_US_JPN = est([("0.25", "1.9", "steel"), ("0.10", "0.2", "aluminium")], "136")
T_US_CHN = est([("0.25", "1.0", "steel"), ("0.10", "1.8", "aluminium")], "505")
T_US_TUR = est([("0.25", "1.1", "steel"), ("0.10", "0.1", "aluminium")], "10.4")
T_US_TUR_X2 = est([("0.50", "1.1", "steel"), ("0.10", "0.1", "aluminium")], "10.4")
T_US_RUS = est([("0.25", "1.4", "steel"), ("0.10", "1.6", "aluminium")], "17.0")
# EU: Commission figure of EUR 6.4bn of EU steel+aluminium exports affected, split ~5.3 steel /
# ~1.1 aluminium (my split), of EUR 375bn EU goods exports to the US in 2017 (EUR used on both sides).
T_US_EU = est([("0.25", "5.3", "steel"), ("0.10", "1.1", "aluminium")], "375")
T_US_CAN = est([("0.25", "5.1", "steel"), ("0.10", "7.2", "aluminium")], "300")
# Retaliation (total = partner's goods imports from the US, 2017)
# China: US$3bn of US goods, 8 lines at 25% (pork, aluminium scrap; ~2.0bn) and 120 at 15% (~1.0bn).
T_CHN_US = est([("0.25", "2.0", "pork, scrap aluminium"), ("0.15", "1.0", "fruit, nuts, wine etc.")], "130")
# EU: EUR 2.8bn of US goods at (mostly) 25%, of EUR 256bn EU goods imports from the US in 2017.
T_EU_US = est([("0.25", "2.8", "rebalancing list")], "256")
# Canada: C$16.6bn (~US$12.8bn) of US goods, 25% on steel and 10% on aluminium and other goods;
# the split is assumed about half/half (my assumption).
T_CAN_US = est([("0.25", "6.4", "steel"), ("0.10", "6.4", "aluminium and other goods")], "282")
# Turkey: additional duties announced as worth US$266.5m a year on ~US$1.8bn of US goods; doubled
# in August 2018 (~US$533m). Written here as duty value x 1.0 over US exports to Turkey (US$9.6bn).
T_TUR_US = est([("1.0", "0.2665", "announced duty value")], "9.6")
T_TUR_US_X2 = est([("1.0", "0.533", "announced duty value after doubling")], "9.6")
# Russia: additional 25-40% duties said to compensate US$87.6m a year, of US$7.0bn US exports.
T_RUS_US = est([("1.0", "0.0876", "announced duty value")], "7.0")
ZERO = (Decimal("0.000"), "lifted")


def ev(at, kind, comment, **fields):
    return {"at": at, "kind": kind, "comment": comment, "fields": fields}


EVENTS = [
    ev("2016-06", "orientation",
       ["UK EU membership referendum, 23 June 2016: Leave 51.9% (Electoral Commission, 'EU referendum",
        "results', 2016). Value is a modelling judgement (0.75 -> 0.65)."],
       state="UKG", value=UKG_POST_REFERENDUM),
    ev("2017-01", "orientation",
       ["New US administration, inaugural address ('America First'), 20 January 2017 (The White",
        "House, 'The Inaugural Address', 20 Jan 2017). Value is a modelling judgement (0.75 -> 0.30)."],
       state="USA", value=USA_AMERICA_FIRST),
    ev("2017-01", "withdraw",
       ["Presidential Memorandum Regarding Withdrawal of the United States from the Trans-Pacific",
        "Partnership Negotiations and Agreement, 23 January 2017 (82 FR 8497)."],
       state="USA", treaty="TPP"),
    ev("2017-03", "announce",
       ["UK notifies the European Council under Art. 50 TEU, letter of 29 March 2017 (Brexit announced;",
        "membership kept until the withdrawal of 31 January 2020 below)."],
       state="UKG", treaty="EU"),
    ev("2017-06", "announce",
       ["'Statement by President Trump on the Paris Climate Accord', Rose Garden, 1 June 2017 (withdrawal",
        "could only take effect 4 Nov 2020 under Art. 28 of the Agreement)."],
       state="USA", treaty="Paris"),
    ev("2018-03", "tariff",
       ["Section 232: Proclamation 9704 (aluminium 10%, 83 FR 11619) and 9705 (steel 25%, 83 FR 11625),",
        "8 March 2018, effective 23 March 2018. Japan not exempted. " + T_US_JPN[1]],
       by="USA", against=["JPN"], rate=T_US_JPN[0]),
    ev("2018-03", "tariff",
       ["Section 232 (Proclamations 9704/9705, effective 23 March 2018) on China. Section 301 tariffs",
        "(from 6 July 2018) are NOT modelled. " + T_US_CHN[1]],
       by="USA", against=["CHN"], rate=T_US_CHN[0]),
    ev("2018-03", "tariff",
       ["Section 232 (Proclamations 9704/9705, effective 23 March 2018) on Turkey. " + T_US_TUR[1]],
       by="USA", against=["TUR"], rate=T_US_TUR[0]),
    ev("2018-03", "tariff",
       ["Section 232 (Proclamations 9704/9705, effective 23 March 2018) on Russia (not exempted;",
        "Russia was a major steel-slab and aluminium supplier). " + T_US_RUS[1],
        "Australia: exempted (Proclamations 9710/9711, 22 March 2018; permanent from 30 April 2018).",
        "South Korea: steel exempted in exchange for a quota (Proclamation 9740, 30 April 2018); the 10%",
        "aluminium duty from 1 May 2018 covers well under 1% of Korean exports to the US, so the",
        "effective rate rounds to ~0.000 and is not modelled."],
       by="USA", against=["RUS"], rate=T_US_RUS[0]),
    ev("2018-04", "tariff",
       ["China's retaliation on 128 US products (US$3bn), State Council Customs Tariff Commission,",
        "effective 2 April 2018. " + T_CHN_US[1]],
       by="CHN", against=["USA"], rate=T_CHN_US[0]),
    ev("2018-06", "tariff",
       ["EU exemption from Section 232 expires 1 June 2018 (Proclamations 9758/9759, 31 May 2018). One",
        "EU-wide effective rate (trade policy is an EU competence; member-level shares not estimated).",
        T_US_EU[1]],
       by="USA", against=["UKG", "FRN", "GMY", "ITA", "NTH", "BEL", "SPN", "POL"], rate=T_US_EU[0]),
    ev("2018-06", "tariff",
       ["Canada exemption from Section 232 expires 1 June 2018 (Proclamations 9758/9759, 31 May 2018).",
        "Canadian steel+aluminium exports to the US ~US$12.3bn of ~US$300bn. " + T_US_CAN[1]],
       by="USA", against=["CAN"], rate=T_US_CAN[0]),
] + [
    ev("2018-06", "tariff",
       ["EU rebalancing duties, Commission Implementing Regulation (EU) 2018/886 of 20 June 2018,",
        "applied from 22 June 2018 (same EU-wide rate for each member). " + T_EU_US[1]]
       if i == 0 else [f"EU rebalancing duties (Reg. (EU) 2018/886, 22 June 2018), same EU-wide rate: {m}."],
       by=m, against=["USA"], rate=T_EU_US[0])
    for i, m in enumerate(EU_2016)
] + [
    ev("2018-06", "tariff",
       ["Turkish additional duties on about US$1.8bn of US goods (incl. cars, rice, spirits,",
        "cosmetics), announced by the Turkish Ministry of Economy on 21 June 2018." + T_TUR_US[1]],
       by="TUR", against=["USA"], rate=T_TUR_US[0]),
    ev("2018-07", "tariff",
       ["Canadian countermeasures: United States Surtax Orders (Steel and Aluminum 2018; Other Goods),",
        "C$16.6bn of US goods, in force 1 July 2018 (Department of Finance Canada)." + T_CAN_US[1]],
       by="CAN", against=["USA"], rate=T_CAN_US[0]),
    ev("2018-07", "tariff",
       ["Russian additional duties (25-40%) on US road-building and oil-and-gas equipment, tools and",
        "optical fibre: Government Resolution No. 788 of 6 July 2018 (entry-into-force day not verified",
        "here). " + T_RUS_US[1]],
       by="RUS", against=["USA"], rate=T_RUS_US[0]),
    ev("2018-08", "tariff",
       ["Proclamation 9772, 10 August 2018: steel duty on Turkey doubled to 50%, effective 13 August",
        "2018 (aluminium not changed by proclamation). " + T_US_TUR_X2[1]],
       by="USA", against=["TUR"], rate=T_US_TUR_X2[0]),
    ev("2018-08", "tariff",
       ["Turkey doubles its additional duties on US goods, Presidential Decision published in the",
        "Official Gazette, 15 August 2018. " + T_TUR_US_X2[1]],
       by="TUR", against=["USA"], rate=T_TUR_US_X2[0]),
    ev("2019-05", "tariff",
       ["Joint Statement by the United States and Canada on Section 232 Duties on Steel and Aluminum,",
        "17 May 2019: US duties removed (effective 20 May 2019)."],
       by="USA", against=["CAN"], rate=ZERO[0]),
    ev("2019-05", "tariff",
       ["Same joint statement, 17 May 2019: Canada removes its retaliatory surtaxes (20 May 2019)."],
       by="CAN", against=["USA"], rate=ZERO[0]),
    ev("2019-05", "tariff",
       ["Proclamation 9886, 16 May 2019: steel duty on Turkey back to 25%, effective 21 May 2019.",
        "Turkey's reciprocal cut of its retaliation (reported for late May/June 2019) is NOT modelled",
        "(date not verified). " + T_US_TUR[1]],
       by="USA", against=["TUR"], rate=T_US_TUR[0]),
    ev("2020-01", "withdraw",
       ["The UK leaves the EU, 31 January 2020 (Withdrawal Agreement, OJ L 29, 31.1.2020, p. 7)."],
       state="UKG", treaty="EU"),
    ev("2020-11", "withdraw",
       ["US withdrawal from the Paris Agreement takes effect 4 November 2020 (notified to the UN",
        "Secretary-General 4 November 2019, Art. 28)."],
       state="USA", treaty="Paris"),
]

# =============================================================================================
# VARIANTS (--variant). Two more scenarios build on western_community.toml (`extends`):
#  * western_community_counterfactual: its events replaced by those without the US (2017-2020);
#  * america_first_2025: 2016-2035, its events, then the 2021-22 re-engagement and the 2025 events.
# =============================================================================================


def us_involved(e):
    """True for the US events of western_community.toml: a US orientation/withdraw/announce/join, a tariff
    by the US, and a tariff against the US (the partners' retaliation and its lifting)."""
    f = e["fields"]
    return f.get("state") == "USA" or f.get("by") == "USA" or "USA" in f.get("against", [])


EVENTS_COUNTERFACTUAL = [e for e in EVENTS if not us_involved(e)]

# ---------------------------------------------------------------------------------------------
# america_first_2025: orientation judgements
# ---------------------------------------------------------------------------------------------
USA_REENGAGEMENT_2021 = "0.65"   # judgement
USA_AMERICA_FIRST_2025 = "0.25"  # judgement
EU_2025 = ["FRN", "GMY", "ITA", "NTH", "BEL", "SPN", "POL"]  # EU members among the 16 after Brexit


def est_cap(parts, total):
    """As est(), but an effective rate above 1 is capped at 1.000 (the format's maximum)."""
    duty = sum(Decimal(r) * Decimal(v) for r, v, _ in parts)
    raw = q(duty / Decimal(total), 3)
    rate = min(raw, Decimal("1.000"))
    text = " + ".join(f"{r} x {v} ({lab})" for r, v, lab in parts)
    return rate, (f"estimate: ({text}) / {total} total = {raw}"
                  + (", capped at 1.000 (a tariff rate cannot exceed 1 in the scenario format)"
                     if raw > rate else ""))


# ---------------------------------------------------------------------------------------------
# 2025 tariff estimates. Same method as for 2018 (rate = sum of statutory rate x covered value /
# total bilateral goods exports of the exporter to the imposing state), but on 2024 trade, the year
# before the measures. An event sets the partner's CUMULATIVE effective rate after the measure, so
# each rate adds up the layers in force then (IEEPA "fentanyl" duties, IEEPA "reciprocal" duties,
# Section 232 steel/aluminium, Section 232 autos). Overlaps between layers (non-stacking rules) are
# ignored. "15% all-in" deals (EU, Japan) are counted as 15 points minus an ASSUMED average MFN duty
# of 2.5 points on the covered goods = 12.5 points; Korea (KORUS, MFN 0) as 15 points. All values
# in bn USD. Totals: US Census 2024 goods trade as quoted by the sources below; covered values are
# ESTIMATES (sources named where there is one, otherwise my estimate).
# ---------------------------------------------------------------------------------------------
# Totals (US goods imports from the partner, 2024, bn USD)
M_CAN = "412.7"  # news.az / CNN citing Commerce: Canada shipped $413bn to the US in 2024, bought $349bn
M_CHN = "438.9"  # dailymanagementreview.com citing the FT: imports from China $438.9bn, deficit $295.4bn
M_EU = "605.8"   # metroobserver.com: US imports from the EU $605.8bn, exports $370.2bn (2024)
M_JPN = "148.2"  # US Census 2024 (figure from memory, not verified here)
M_ROK = "131.5"  # US Census 2024 (figure from memory, not verified here)
M_UKG = "68.1"   # US Census 2024 (figure from memory, not verified here)
M_AUL = "16.7"   # US Census 2024 (figure from memory, not verified here)
M_TUR = "16.0"   # US Census 2024 (approximate, not verified here)
# Totals (US goods exports to the partner, 2024) for the partners that retaliated
X_CAN = "349.4"  # see M_CAN
X_CHN = "143.5"  # 438.9 - 295.4

# Covered values (ESTIMATES unless a source is named)
CAN_NONUSMCA = ("41.3", "non-USMCA goods: ~10% of 412.7; ~90% entered duty-free under USMCA by April"
                " 2025 (RBC, in business-standard.com 6 Aug 2025); energy/potash at 10% ignored")
CAN_STEEL, CAN_ALU = ("7.3", "steel, ~6.6 Mt in 2024"), ("11.5", "aluminium (factually.co: US$11.2-11.5bn in 2024)")
CAN_AUTOS = ("18.8", "non-US content, assumed ~50%, of ~37.6 vehicles (opportimes.com: 34.5 Jan-Nov 2024)")
EU_METAL = ("28.0", "steel/aluminium/derivatives, Commission: $28bn (delano.lu)")
EU_AUTOS = ("60.6", "vehicles and parts, ~10% of 605.8 (metroobserver.com)")
EU_RECIP = ("370.2", "605.8 - 127.0 pharma - 60.6 autos - 28.0 metals - ~20 other exempt (energy, chips)")
JPN_METAL = ("2.0", "steel and aluminium")
JPN_AUTOS = ("50.1", "autos and parts, Y7.2tn of Y21.3tn = 33.8% of 148.2 (nippon.com)")
JPN_RECIP = ("88.1", "148.2 - 50.1 autos - 2.0 metals - ~8 exempt (pharma, chips, energy)")
ROK_METAL = ("3.3", "steel (quota ~2.6 Mt) and aluminium")
ROK_AUTOS = ("42.9", "vehicles ~34.7 + parts 8.2 (KBS, Feb 2025)")
ROK_RECIP = ("70.3", "131.5 - 42.9 autos - 3.3 metals - ~15 exempt (chips, pharma, energy)")
UKG_METAL = ("0.9", "steel and aluminium")
UKG_AUTOS = ("9.0", "cars and parts")
UKG_RECIP = ("47.2", "68.1 - 9.0 autos - 0.9 metals - ~8 pharma - ~3 other exempt")
UKG_RECIP_EPD = ("42.2", "as before less ~5 aerospace, exempt under the EPD")
AUL_METAL = ("0.7", "aluminium and steel")
AUL_RECIP = ("13.0", "16.7 - 0.7 metals - ~3 exempt (pharma, bullion, energy)")
TUR_METAL = ("1.3", "steel ~1.0 and aluminium ~0.3")
TUR_AUTOS = ("1.0", "vehicles and parts")
TUR_RECIP = ("12.7", "16.0 - 1.3 metals - 1.0 autos - ~1 exempt")
CHN_STEEL, CHN_ALU = ("0.5", "steel"), ("2.0", "aluminium")
CHN_METAL = ("2.5", "steel ~0.5 and aluminium ~2.0")
CHN_RECIP = ("326.4", "438.9 - ~100 electronics exempted 11 April - ~10 other exempt - 2.5 metals")
# Retaliation: Canadian lists in C$ at 0.72 US$/C$ (2025 average, approximate)
CAN_L1 = ("21.6", "first list, C$30bn")
CAN_L2S, CAN_L2A, CAN_L2O = ("9.1", "steel, C$12.6bn"), ("2.2", "aluminium, C$3bn"), ("10.2", "other, C$14.2bn")
CAN_L3 = ("6.5", "US vehicles: non-CUSMA vehicles and the non-Canadian/Mexican content of CUSMA ones;"
          " ~C$9bn, maplealert.ca estimate, before remissions")
CHN_2018 = [("0.25", "2.0", "2018 list: pork, aluminium scrap, kept"), ("0.15", "1.0", "2018 list: fruit, nuts, wine, kept")]
CHN_R1 = [("0.15", "4.2", "coal and LNG"), ("0.10", "8.2", "crude oil, farm machinery, large cars, pickups")]
CHN_R2 = [("0.15", "3.0", "chicken, wheat, corn, cotton"), ("0.10", "18.0", "soybeans, sorghum, pork, beef,"
          " seafood, fruit, vegetables, dairy (~US$21bn in all)")]


def P(rate, cv):
    """(statutory rate, covered value, label) from a (value, label) pair."""
    return (rate, cv[0], cv[1])


# US on Canada
T25_CAN_1 = est([P("0.25", CAN_NONUSMCA)], M_CAN)
T25_CAN_2 = est([P("0.25", CAN_NONUSMCA), P("0.25", CAN_STEEL), P("0.25", CAN_ALU)], M_CAN)
T25_CAN_3 = est([P("0.25", CAN_NONUSMCA), P("0.25", CAN_STEEL), P("0.25", CAN_ALU), P("0.25", CAN_AUTOS)], M_CAN)
T25_CAN_4 = est([P("0.25", CAN_NONUSMCA), P("0.50", CAN_STEEL), P("0.50", CAN_ALU), P("0.25", CAN_AUTOS)], M_CAN)
T25_CAN_5 = est([P("0.35", CAN_NONUSMCA), P("0.50", CAN_STEEL), P("0.50", CAN_ALU), P("0.25", CAN_AUTOS)], M_CAN)
# Canada on the US
T25_CAN_US_1 = est([P("0.25", CAN_L1)], X_CAN)
T25_CAN_US_2 = est([P("0.25", CAN_L1), P("0.25", CAN_L2S), P("0.25", CAN_L2A), P("0.25", CAN_L2O)], X_CAN)
T25_CAN_US_3 = est([P("0.25", CAN_L1), P("0.25", CAN_L2S), P("0.25", CAN_L2A), P("0.25", CAN_L2O),
                    P("0.25", CAN_L3)], X_CAN)
T25_CAN_US_4 = est([P("0.25", CAN_L2S), P("0.25", CAN_L2A), P("0.25", CAN_L3)], X_CAN)
# US on the EU
T25_EU_1 = est([P("0.25", EU_METAL)], M_EU)
T25_EU_2 = est([P("0.25", EU_METAL), P("0.25", EU_AUTOS)], M_EU)
T25_EU_3 = est([P("0.25", EU_METAL), P("0.25", EU_AUTOS), P("0.10", EU_RECIP)], M_EU)
T25_EU_4 = est([P("0.50", EU_METAL), P("0.25", EU_AUTOS), P("0.10", EU_RECIP)], M_EU)
T25_EU_5 = est([P("0.50", EU_METAL), P("0.25", EU_AUTOS), P("0.125", EU_RECIP)], M_EU)
T25_EU_6 = est([P("0.50", EU_METAL), P("0.125", EU_AUTOS), P("0.125", EU_RECIP)], M_EU)
# US on Japan
T25_JPN_1 = est([P("0.25", JPN_METAL)], M_JPN)
T25_JPN_2 = est([P("0.25", JPN_METAL), P("0.25", JPN_AUTOS)], M_JPN)
T25_JPN_3 = est([P("0.25", JPN_METAL), P("0.25", JPN_AUTOS), P("0.10", JPN_RECIP)], M_JPN)
T25_JPN_4 = est([P("0.50", JPN_METAL), P("0.25", JPN_AUTOS), P("0.10", JPN_RECIP)], M_JPN)
T25_JPN_5 = est([P("0.50", JPN_METAL), P("0.25", JPN_AUTOS), P("0.125", JPN_RECIP)], M_JPN)
T25_JPN_6 = est([P("0.50", JPN_METAL), P("0.125", JPN_AUTOS), P("0.125", JPN_RECIP)], M_JPN)
# US on South Korea
T25_ROK_1 = est([P("0.25", ROK_METAL)], M_ROK)
T25_ROK_2 = est([P("0.25", ROK_METAL), P("0.25", ROK_AUTOS)], M_ROK)
T25_ROK_3 = est([P("0.25", ROK_METAL), P("0.25", ROK_AUTOS), P("0.10", ROK_RECIP)], M_ROK)
T25_ROK_4 = est([P("0.50", ROK_METAL), P("0.25", ROK_AUTOS), P("0.10", ROK_RECIP)], M_ROK)
T25_ROK_5 = est([P("0.50", ROK_METAL), P("0.25", ROK_AUTOS), P("0.15", ROK_RECIP)], M_ROK)
T25_ROK_6 = est([P("0.50", ROK_METAL), P("0.15", ROK_AUTOS), P("0.15", ROK_RECIP)], M_ROK)
# US on the UK
T25_UKG_1 = est([P("0.25", UKG_METAL)], M_UKG)
T25_UKG_2 = est([P("0.25", UKG_METAL), P("0.25", UKG_AUTOS)], M_UKG)
T25_UKG_3 = est([P("0.25", UKG_METAL), P("0.25", UKG_AUTOS), P("0.10", UKG_RECIP)], M_UKG)
T25_UKG_4 = est([P("0.25", UKG_METAL), P("0.075", UKG_AUTOS), P("0.10", UKG_RECIP_EPD)], M_UKG)
# US on Australia
T25_AUL_1 = est([P("0.25", AUL_METAL)], M_AUL)
T25_AUL_2 = est([P("0.25", AUL_METAL), P("0.10", AUL_RECIP)], M_AUL)
T25_AUL_3 = est([P("0.50", AUL_METAL), P("0.10", AUL_RECIP)], M_AUL)
# US on Turkey
T25_TUR_1 = est([P("0.25", TUR_METAL), P("0.25", TUR_AUTOS), P("0.10", TUR_RECIP)], M_TUR)
T25_TUR_2 = est([P("0.50", TUR_METAL), P("0.25", TUR_AUTOS), P("0.10", TUR_RECIP)], M_TUR)
T25_TUR_3 = est([P("0.50", TUR_METAL), P("0.25", TUR_AUTOS), P("0.15", TUR_RECIP)], M_TUR)
# US on China (Section 301 tariffs not modelled, as for 2018)
CHN_ALL = ("438.9", "all goods")
T25_CHN_1 = est([P("0.10", CHN_ALL), P("0.25", CHN_STEEL), P("0.10", CHN_ALU)], M_CHN)
T25_CHN_2 = est([P("0.20", CHN_ALL), P("0.25", CHN_METAL)], M_CHN)
T25_CHN_3 = est_cap([P("0.20", CHN_ALL), P("0.25", CHN_METAL), P("1.25", CHN_RECIP)], M_CHN)
T25_CHN_4 = est([P("0.20", CHN_ALL), P("0.25", CHN_METAL), P("0.10", CHN_RECIP)], M_CHN)
T25_CHN_5 = est([P("0.20", CHN_ALL), P("0.50", CHN_METAL), P("0.10", CHN_RECIP)], M_CHN)
T25_CHN_6 = est([P("0.10", CHN_ALL), P("0.50", CHN_METAL), P("0.10", CHN_RECIP)], M_CHN)
# China on the US
CHN_US_ALL = ("143.5", "all US goods")
T25_CHN_US_1 = est(CHN_2018 + CHN_R1, X_CHN)
T25_CHN_US_2 = est(CHN_2018 + CHN_R1 + CHN_R2, X_CHN)
T25_CHN_US_3 = est_cap(CHN_2018 + CHN_R1 + CHN_R2 + [P("1.25", CHN_US_ALL)], X_CHN)
T25_CHN_US_4 = est(CHN_2018 + CHN_R1 + CHN_R2 + [P("0.10", CHN_US_ALL)], X_CHN)
T25_CHN_US_5 = est(CHN_2018 + CHN_R1 + [P("0.10", CHN_US_ALL)], X_CHN)

# Sources used on several events (title, date, where read)
SRC_232_2025 = ("Proclamations 10895 (aluminium) and 10896 (steel) of 10 February 2025, 90 FR 9807 and 9817: 25%"
                " on steel, aluminium and derivatives, aluminium up from 10%, all country exemptions, quotas"
                " and TRQs ended, effective 12 March 2025 (govinfo.gov/content/pkg/FR-2025-02-18/html/"
                "2025-02832.htm; mmmlaw.com 'Section 232 Tariffs Announced on February 10, 2025').")
SRC_232_50 = ("Proclamation of 3 June 2025 doubling the Section 232 steel and aluminium duties to 50% from"
              " 4 June 2025; UK kept at 25% (White & Case, 'Trump Administration Increases Steel and Aluminum"
              " Section 232 Tariffs to 50%', whitecase.com; alstontrade.com).")
SRC_AUTOS = ("Proclamation 10908 of 26 March 2025: 25% on cars from 3 April 2025 and on parts from 3 May"
             " 2025; USMCA vehicles pay on their non-US content only (Thompson Hine, 'President Trump"
             " Announces Section 232 Tariffs of 25% on Imports of Automobiles', thompsonhinesmartrade.com).")
SRC_RECIP = ("Executive Order 14257 of 2 April 2025: 10% on nearly all imports from 5 April 2025; the higher"
             " country rates in force from 9 April were suspended for 90 days from 10 April except for"
             " China (Cleary Trade Watch; Thompson Coburn, '90-Day Pause On Enhanced Reciprocal Tariffs,"
             " Except For China', mondaq.com). Goods under Section 232 and Annex II (energy, pharmaceuticals,"
             " semiconductors, certain minerals) are exempt (awpa.org, 11 April 2025).")
SRC_RECIP_JUL = ("Executive Order 'Further Modifying the Reciprocal Tariff Rates', 31 July 2025, effective 7"
                 " August 2025 (whitehouse.gov/presidential-actions/2025/07/further-modifying-the-reciprocal"
                 "-tariff-rates/; nnrglobal.com).")


def tev(at, by, against, est_pair, comment):
    return ev(at, "tariff", comment + [est_pair[1]], by=by, against=against, rate=est_pair[0])


EVENTS_2021_2026 = [
    # ---- 2021-2022: re-engagement ----
    ev("2021-01", "orientation",
       ["New US administration, 20 January 2021; 'America is back ... we will repair our alliances',",
        "President Biden's foreign-policy speech at the State Department, 4 February 2021 (state.gov,",
        "'America is Back: President Biden Outlines His Vision for U.S. Foreign Policy'). Value is a",
        "modelling judgement (0.30 -> 0.65): re-engagement (Paris, WHO, alliances) but not back to the",
        "2016 value of 0.75, since the Section 301 tariffs on China and 'Buy American' stayed."],
       state="USA", value=USA_REENGAGEMENT_2021),
    ev("2021-02", "join",
       ["US instrument of acceptance of the Paris Agreement signed and deposited 20 January 2021; in force",
        "for the US 19 February 2021 (US Embassy Beirut, 'Paris Climate Agreement', lb.usembassy.gov; UN",
        "statement of 20 January 2021, 'U.S. Returns to Paris Agreement on Climate Change')."],
       state="USA", treaty="Paris"),
    ev("2022-01", "tariff",
       ["US-EU steel and aluminium arrangement, Joint Statement of 31 October 2021 (europeansources.info,",
        "'Steel & Aluminium: EU-US Joint Statement, 31 October 2021'): Section 232 duties replaced from 1",
        "January 2022 by tariff-rate quotas (3.3 Mt steel, 18 kt unwrought + 366 kt semi-finished",
        "aluminium) set at 2015-2017 (steel) and 2018-19 (aluminium) volumes; proclamation of 27 December",
        "2021 (eurometal.net). MODELLED AS LIFTING (rate 0): the quotas admit about the pre-2018 trade",
        "duty-free; even if a tenth of it entered above quota, 0.1 x 0.004 = 0.0004 rounds to 0.000."],
       by="USA", against=EU_2025, rate=ZERO[0]),
] + [
    ev("2022-01", "tariff",
       ["EU suspends its 2018 rebalancing duties: Commission Implementing Regulation (EU) 2021/2083 of 26",
        "November 2021 suspends the Annex I duties of Regulation (EU) 2018/886 from 1 January 2022",
        "(internationaltradecomplianceupdate.com, 10 December 2021). Lifted (rate 0) for each EU member: FRN."]
       if i == 0 else [f"Same EU suspension (Reg. (EU) 2021/2083, from 1 January 2022): {m}."],
       by=m, against=["USA"], rate=ZERO[0])
    for i, m in enumerate(EU_2025)
] + [
    ev("2022-04", "tariff",
       ["US-Japan arrangement announced 7 February 2022: Section 232 steel duty replaced by a 1.25 Mt",
        "tariff-rate quota effective 1 April 2022 (Thompson Hine, 'United States and Japan Enter Steel",
        "Import TRQ Agreement', thompsonhinesmartrade.com; proclamation of 31 March 2022,",
        "steelmarketupdate.com). MODELLED AS LOWERING to the aluminium-only rate: the 10% aluminium duty stays, 0.10 x 0.2",
        "(aluminium) / 136 total = 0.0001, which rounds to 0.000."],
       by="USA", against=["JPN"], rate=ZERO[0]),
    ev("2022-06", "tariff",
       ["US-UK arrangement announced 22 March 2022, effective 1 June 2022: Section 232 duties replaced",
        "by quotas (500,000 t steel; aluminium) (Supply Chain Dive, 'US, UK reach deal to ease tariffs on",
        "steel and aluminum', supplychaindive.com/news/us-uk-tariff-deal-aluminum-steel/620879;",
        "buckland.com). MODELLED AS LIFTING (rate 0), as for the EU. Until then the 2018 EU-wide rate applied to",
        "the UK."],
       by="USA", against=["UKG"], rate=ZERO[0]),
    ev("2022-06", "tariff",
       ["Same US-UK arrangement: the UK lifts its retaliatory duties on about US$500m of US goods",
        "(whiskey, jeans, motorcycles) from 1 June 2022 (supplychaindive.com; sputniknews.com, 22 March",
        "2022). Lifted (rate 0)."],
       by="UKG", against=["USA"], rate=ZERO[0]),

    # ---- 2025: the second turn ----
    ev("2025-01", "orientation",
       ["Second inauguration, 20 January 2025, with same-day orders withdrawing from the Paris Agreement",
        "(EO 14162) and the WHO (EO 14155) and the 'America First Trade Policy' memorandum. Value is a",
        "modelling judgement (0.65 -> 0.25): lower than the 2017 value (0.30) because within weeks the",
        "US left two regimes and imposed emergency tariffs on its two neighbours and allies."],
       state="USA", value=USA_AMERICA_FIRST_2025),
    ev("2025-01", "announce",
       ["Executive Order 14162 'Putting America First in International Environmental Agreements', 20",
        "January 2025, 90 FR 8455 (elr.info/node/329381; ballotpedia.org). Notification received by the",
        "UN Secretary-General 27 January 2025; under Art. 28(2) the withdrawal takes effect 27 January",
        "2026 (UN spokesperson, 28 January 2025: ndtv.com 'UN Confirms US' Withdrawal Notification From",
        "Paris Climate Change Agreement'; shine.cn/news/world/2501297224/). WHO: Executive Order 14155,",
        "20 January 2025, 90 FR 8361",
        "(regulations.justia.com/regulations/fedreg/2025/01/29/2025-01957.html) - NOT MODELLED, see the header."],
       state="USA", treaty="Paris"),
    tev("2025-02", "USA", ["CHN"], T25_CHN_1,
        ["IEEPA 'fentanyl' tariff of 10% on all goods from China, Executive Order 14195 of 1 February",
         "2025, in force 4 February 2025 (arabamericannews.com, 7 March 2025; finanznachrichten.de).",
         "Section 301 tariffs not modelled (as for 2018); the 2018 Section 232 duties re-based to 2024."]),
    tev("2025-02", "CHN", ["USA"], T25_CHN_US_1,
        ["China's retaliation, State Council Tariff Commission, 4 February 2025: 15% on coal and LNG, 10%",
         "on crude oil, agricultural machinery, large-engine cars and pickups, from 10 February 2025",
         "(nbcmiami.com / CNBC, 'China levies tariffs of up to 15% on select U.S. imports starting Feb.",
         "10'; finanznachrichten.de). Covered values: ~US$14bn reported, split is my estimate. The 2018",
         "retaliation list is kept."]),
    tev("2025-03", "USA", ["CAN"], T25_CAN_1,
        ["IEEPA tariff on Canada, Executive Order 14193 of 1 February 2025, in force 4 March 2025: 25%",
         "(10% on energy and potash); goods qualifying under USMCA exempted from 7 March 2025 by Executive",
         "Order 14231 of 6 March (Steptoe, 'Updates to Tariffs on Canada and Mexico', steptoe.com;",
         "Thompson Hine, thompsonhinesmartrade.com). Mexico, hit by the same orders, is not in this world."]),
    tev("2025-03", "CAN", ["USA"], T25_CAN_US_1,
        ["Canadian counter-tariffs of 25% on C$30bn of US goods from 4 March 2025 (Department of Finance",
         "Canada, statement of 12 March 2025; mondaq.com, 'Another Tariff Pause On Goods From Canada And",
         "Mexico'). Canada kept them after the USMCA exemption."]),
    tev("2025-03", "USA", ["CHN"], T25_CHN_2,
        ["IEEPA tariff on China raised to 20% from 4 March 2025 (Executive Order 14228;",
         "arabamericannews.com, 7 March 2025); Section 232 steel and aluminium at 25% from 12 March 2025. " + SRC_232_2025]),
    tev("2025-03", "CHN", ["USA"], T25_CHN_US_2,
        ["China's second retaliation, Customs Tariff Commission, 4 March 2025: 15% on chicken, wheat, corn",
         "and cotton, 10% on sorghum, soybeans, pork, beef, aquatic products, fruit, vegetables and dairy,",
         "from 10 March 2025 (tridge.com, 'China to impose extra tariffs of 10-15% on various US imports",
         "from March 10'; USDA FAS report via krb.world). ~US$21bn covered (reported); split estimated."]),
    tev("2025-03", "USA", ["CAN"], T25_CAN_2, ["Section 232 on Canada. " + SRC_232_2025]),
    tev("2025-03", "USA", EU_2025, T25_EU_1,
        ["Section 232 on the EU (one EU-wide rate; the Commission put the trade affected at $28bn,",
         "'EU hits back at US with EUR26bn import tariffs', delano.lu). " + SRC_232_2025,
         "The EU's countermeasures were adopted and suspended (14 April, then 6 months from 7 August",
         "2025) and never applied (brusselstimes.com; lbcgroup.tv, 4 August 2025): no EU tariff event."]),
    tev("2025-03", "USA", ["UKG"], T25_UKG_1,
        ["Section 232 on the UK (quota arrangement of 2022 ended). " + SRC_232_2025 + " The UK did not",
         "retaliate (newsforall.eu / The Guardian, 12 March 2025)."]),
    tev("2025-03", "USA", ["JPN"], T25_JPN_1, ["Section 232 on Japan (TRQ of 2022 ended). " + SRC_232_2025]),
    tev("2025-03", "USA", ["ROK"], T25_ROK_1, ["Section 232 on South Korea (steel quota of 2018 ended). " + SRC_232_2025]),
    tev("2025-03", "USA", ["AUL"], T25_AUL_1, ["Section 232 on Australia (exemption of 2018 ended). " + SRC_232_2025]),
    tev("2025-03", "CAN", ["USA"], T25_CAN_US_2,
        ["'Canada Responds to Unjustified U.S. Tariffs on Canadian Steel and Aluminum Products', Department",
         "of Finance Canada, 12 March 2025: 25% on C$12.6bn of steel, C$3bn of aluminium and C$14.2bn of",
         "other US goods from 13 March 2025 (c-air.com newsletter; btpm.org)."]),
    tev("2025-04", "USA", ["CAN"], T25_CAN_3, ["Section 232 autos on Canada. " + SRC_AUTOS]),
    tev("2025-04", "USA", EU_2025, T25_EU_2, ["Section 232 autos on the EU. " + SRC_AUTOS]),
    tev("2025-04", "USA", ["UKG"], T25_UKG_2, ["Section 232 autos on the UK. " + SRC_AUTOS]),
    tev("2025-04", "USA", ["JPN"], T25_JPN_2, ["Section 232 autos on Japan. " + SRC_AUTOS]),
    tev("2025-04", "USA", ["ROK"], T25_ROK_2, ["Section 232 autos on South Korea. " + SRC_AUTOS]),
    tev("2025-04", "USA", EU_2025, T25_EU_3,
        ["'Reciprocal' 10% on the EU. " + SRC_RECIP + " The EU rate of 20% applied for one day (9",
         "April) and is not modelled."]),
    tev("2025-04", "USA", ["UKG"], T25_UKG_3, ["'Reciprocal' 10% on the UK. " + SRC_RECIP]),
    tev("2025-04", "USA", ["JPN"], T25_JPN_3, ["'Reciprocal' 10% on Japan (24% for one day, not modelled). " + SRC_RECIP]),
    tev("2025-04", "USA", ["ROK"], T25_ROK_3, ["'Reciprocal' 10% on South Korea (25% for one day, not modelled). " + SRC_RECIP]),
    tev("2025-04", "USA", ["AUL"], T25_AUL_2, ["'Reciprocal' 10% on Australia. " + SRC_RECIP]),
    tev("2025-04", "USA", ["TUR"], T25_TUR_1,
        ["Turkey: Section 232 aluminium 10 -> 25% (12 March; steel was already 25%), autos 25% (3 April)",
         "and 'reciprocal' 10% (5 April) in one event: re-basing the 2018 rate to 2024 trade alone would",
         "LOWER the modelled rate and send a spurious cooperation signal. " + SRC_RECIP,
         "Russia was left off the reciprocal list ('existing sanctions preclude any meaningful trade',",
         "White House, kyivindependent.com, 3 April 2025); its 2018 rate is kept. Turkey's 2018",
         "retaliation stays as in 2018 (no 2025 Turkish retaliation found)."]),
    tev("2025-04", "USA", ["CHN"], T25_CHN_3,
        ["China: 'reciprocal' 34% from 9 April, raised to 84% (EO 14259, 8 April) and to 125% (EO 14266,",
         "from 10 April 2025), with the 20% IEEPA tariff 145% in all; smartphones, computers and chips",
         "exempted from the reciprocal part on 11 April (JD Supra, 'Tariff Update: Increased China",
         "Tariffs'; mondaq.com, 'Reducing The 20% IEEPA-Fentanyl Tariffs On China To 10%')."]),
    tev("2025-04", "CHN", ["USA"], T25_CHN_US_3,
        ["China's counter-tariff on all US goods: 34% (announced 4 April), 84% from 10 April, 125% from",
         "12 April 2025 (State Council Tariff Commission announcements No. 4-6 of 2025:",
         "en.portnews.ru/news/375703; steelorbis.com, 11 April 2025)."]),
    tev("2025-04", "CAN", ["USA"], T25_CAN_US_3,
        ["Canadian counter-tariffs on US vehicles from 9 April 2025: 25% on non-CUSMA vehicles and on the",
         "non-Canadian, non-Mexican content of CUSMA vehicles (GHY, 'Canada Responds with Tariff on U.S.",
         "Automobile Imports, Effective April 9', ghy.com). Covered value NOT VERIFIED (estimate)."]),
    tev("2025-05", "USA", ["CHN"], T25_CHN_4,
        ["Geneva: 'Joint Statement on U.S.-China Economic and Trade Meeting in Geneva', 12 May 2025: the",
         "US suspends 24 points of the 34% for 90 days, keeps 10% and removes the April increases, by 14",
         "May 2025 (en.portnews.ru/news/376823; caixinglobal.com, 12 May 2025). Extended 11 August and",
         "again in November (no change in rate)."]),
    tev("2025-05", "CHN", ["USA"], T25_CHN_US_4,
        ["Geneva, China's side: 24 points suspended, 10% kept, the April increases removed, from 14 May",
         "2025 (same joint statement)."]),
    tev("2025-06", "USA", ["CAN"], T25_CAN_4, ["Section 232 steel/aluminium 50% on Canada. " + SRC_232_50]),
    tev("2025-06", "USA", EU_2025, T25_EU_4, ["Section 232 steel/aluminium 50% on the EU. " + SRC_232_50]),
    tev("2025-06", "USA", ["JPN"], T25_JPN_4, ["Section 232 steel/aluminium 50% on Japan. " + SRC_232_50]),
    tev("2025-06", "USA", ["ROK"], T25_ROK_4, ["Section 232 steel/aluminium 50% on South Korea. " + SRC_232_50]),
    tev("2025-06", "USA", ["AUL"], T25_AUL_3, ["Section 232 steel/aluminium 50% on Australia. " + SRC_232_50]),
    tev("2025-06", "USA", ["TUR"], T25_TUR_2, ["Section 232 steel/aluminium 50% on Turkey. " + SRC_232_50]),
    tev("2025-06", "USA", ["CHN"], T25_CHN_5, ["Section 232 steel/aluminium 50% on China. " + SRC_232_50]),
    tev("2025-06", "USA", ["UKG"], T25_UKG_4,
        ["US-UK Economic Prosperity Deal (general terms 8 May 2025), Executive Order 14309 of 16 June",
         "2025: a 100,000-car quota at 10% all-in (7.5 points over the 2.5% MFN) that covers about all UK",
         "car exports, aerospace exempt from the reciprocal and metal duties; in force 30 June 2025",
         "(Hogan Lovells, 'UK and U.S. economic prosperity deal takes effect - Key takeaways'; some",
         "sources give 23 June). Steel/aluminium stay at 25% for the UK (not 50%)."]),
    tev("2025-08", "USA", ["CAN"], T25_CAN_5,
        ["IEEPA tariff on Canada raised from 25% to 35% from 1 August 2025, USMCA goods still exempt",
         "(Executive Order of 31 July 2025; Thompson Coburn, 'IEEPA Tariffs on Canada Increased to 35%',",
         "mondaq.com)."]),
    tev("2025-08", "USA", EU_2025, T25_EU_5,
        ["EU: 15% all-in (15% minus the MFN duty, 0 above 15%) from 7 August 2025, after the Turnberry",
         "agreement of 27 July. " + SRC_RECIP_JUL]),
    tev("2025-08", "USA", ["JPN"], T25_JPN_5,
        ["Japan: 15% from 7 August 2025 (framework agreement of 22 July), made all-in retroactively by",
         "Executive Order 14345 of 4 September 2025, 90 FR 43535",
         "(govinfo.gov/content/pkg/FR-2025-09-09/html/2025-17389.htm). " + SRC_RECIP_JUL]),
    tev("2025-08", "USA", ["ROK"], T25_ROK_5,
        ["South Korea: 15% from 7 August 2025 (dailysabah.com, 1 August 2025). " + SRC_RECIP_JUL]),
    tev("2025-08", "USA", ["TUR"], T25_TUR_3,
        ["Turkey: 15% from 7 August 2025, up from 10% (Daily Sabah, 'Turkiye says still holds favorable",
         "status despite higher US tariffs', dailysabah.com; hurriyetdailynews.com). " + SRC_RECIP_JUL,
         "Australia and the UK stay at 10% (no event)."]),
    tev("2025-09", "CAN", ["USA"], T25_CAN_US_4,
        ["Canada removes its counter-tariffs from 1 September 2025 except on steel, aluminium and autos",
         "(Prime Minister Carney, 22 August 2025: aa.com.tr, 'Canada to lift tariffs on US goods under",
         "CUSMA trade deal'; order of 29 August 2025, bcbinternational.com)."]),
    tev("2025-09", "USA", EU_2025, T25_EU_6,
        ["EU autos and parts cut from 25% (27.5% with MFN) to 15% all-in, retroactive to 1 August 2025,",
         "by the Federal Register notice of 25 September 2025 implementing the US-EU Joint Statement of",
         "21 August 2025 (Butzel, 'US Implements EU Trade Deal, Reducing Tariffs on EU Autos & Parts',",
         "butzel.com; mondaq.com, 'Implementation of U.S.-EU Trade Framework')."]),
    tev("2025-09", "USA", ["JPN"], T25_JPN_6,
        ["Japanese autos and parts at 15% all-in from 16 September 2025 under Executive Order 14345",
         "(CBP guidance; thesun.my and nationalheraldindia.com, 16 September 2025)."]),
    tev("2025-11", "USA", ["CHN"], T25_CHN_6,
        ["IEEPA 'fentanyl' tariff on China cut from 20% to 10% from 10 November 2025 and the 10%",
         "reciprocal rate kept to 10 November 2026, executive orders of 4 November 2025 after the Busan",
         "meeting of 30 October (Sandler, Travis & Rosenberg, 'Tariff Changes for Imports from China Made",
         "Official', strtrade.com)."]),
    tev("2025-11", "CHN", ["USA"], T25_CHN_US_5,
        ["China suspends the 24 points for a year, keeps 10% and removes the March farm tariffs from 10",
         "November 2025 (particle.news, 'China Suspends Extra 24% Tariff for a Year as U.S. Halves",
         "Fentanyl-Linked Duty to 10%'; mondaq.com, 10 November 2025)."]),
    tev("2025-11", "USA", ["ROK"], T25_ROK_6,
        ["Korean autos and parts cut from 25% to 15% retroactive to 1 November 2025 (Federal Register",
         "notice of 4 December 2025, 'Implementing Certain Tariff-Related Elements of the U.S.-Korea",
         "Strategic Trade and Investment Deal': Korea Herald, koreaherald.com/article/10629298)."]),
    ev("2026-01", "withdraw",
       ["US withdrawal from the Paris Agreement takes effect 27 January 2026, one year after the",
        "notification of 27 January 2025 (Art. 28(2); UN spokesperson, ndtv.com, 28 January 2025). The",
        "only event after 2025."],
       state="USA", treaty="Paris"),
]

EVENTS_AF2025 = EVENTS + EVENTS_2021_2026

EVENT_FIELDS = {
    "withdraw": ("state", "treaty"), "announce": ("state", "treaty"), "join": ("state", "treaty"),
    "tariff": ("by", "against", "rate"), "orientation": ("state", "value"),
    "crisis": ("aggressor", "target", "level"), "shock": ("state", "power_factor", "gdp_factor"),
    "summit": ("states", "trust"), "common_threat": ("severity", "addressed_by"),
}

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def die(msg):
    print(f"make_western_community.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def sig4(x):
    """4 significant digits, plain decimal notation."""
    d = Decimal(str(x))
    if d == 0:
        return "0"
    exp = d.adjusted()           # power of ten of the leading digit
    out = q(d, 3 - exp)
    s = format(out, "f")
    assert "e" not in s.lower()
    return s


def clamp(x, lo=Decimal("0"), hi=Decimal("0.95")):
    return max(lo, min(hi, x))


def kv(key, value, comment=None, col=26):
    """`key = value` with an inline comment aligned at column `col`."""
    line = f"{key} = {value}"
    if comment:
        line = line.ljust(col - 1) + " # " + comment
    return line


def comments(lines, width=100):
    """Join comment fragments and re-wrap them as `# ...` lines of at most `width` characters."""
    text = " ".join(x.strip() for x in lines)
    return ["# " + x for x in textwrap.wrap(text, width - 2, break_on_hyphens=False, break_long_words=False)]


def tstr(s):
    return json.dumps(s)  # ASCII, double-quoted: a valid TOML basic string


def tval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return tstr(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(tval(x) for x in v) + "]"
    raise TypeError(type(v))


def open_csv(data, name):
    path = os.path.join(data, name)
    if not os.path.isfile(path):
        die(f"data file missing: {path}")
    if name.endswith(".gz"):
        return csv.DictReader(gzip.open(path, "rt", newline=""))
    return csv.DictReader(open(path, newline=""))


def na(v):
    return v is None or v.strip() == "" or v.strip().upper() == "NA"


# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

def load(data):
    ids = [s for s, _ in STATES]
    d = {}
    # ccodes (a state must be a system member in DATA_YEAR)
    ccode = {}
    for r in open_csv(data, "cow_states_v2016.csv"):
        if r["stateabb"] in ids and int(r["styear"]) <= DATA_YEAR <= int(r["endyear"]):
            ccode[r["stateabb"]] = int(r["ccode"])
    for s in ids:
        if s not in ccode:
            die(f"{s} not found as a COW state in {DATA_YEAR} in cow_states_v2016.csv")
    abb = {c: s for s, c in ccode.items()}
    d["ccode"], d["abb"] = ccode, abb

    def mine(r, k="ccode"):
        return abb.get(int(r[k]))

    cinc = {}
    for r in open_csv(data, "cow_nmc_v7.csv"):
        if int(r["year"]) == DATA_YEAR and mine(r) and not na(r["cinc"]):
            cinc[mine(r)] = r["cinc"]
    d["cinc"] = cinc

    major = set()
    for r in open_csv(data, "cow_majors_v2016.csv"):
        if mine(r) and int(r["styear"]) <= DATA_YEAR <= int(r["endyear"]):
            major.add(mine(r))
    d["major"] = major

    poly = {}
    for r in open_csv(data, "ccode_democracy.csv"):
        if int(r["year"]) == DATA_YEAR and mine(r) and not na(r["v2x_polyarchy"]):
            poly[mine(r)] = r["v2x_polyarchy"]
    d["poly"] = poly

    igo = {}
    for r in open_csv(data, "cow_igo_v3_state_year.csv"):
        if int(r["year"]) == TRADE_YEAR and mine(r) and not na(r["sum_igo_full"]):
            igo[mine(r)] = int(r["sum_igo_full"])
    d["igo"] = igo

    ntrade = {}
    for r in open_csv(data, "cow_trade_v4_national.csv"):
        if int(r["year"]) == TRADE_YEAR and mine(r) and not (na(r["imports"]) or na(r["exports"])):
            ntrade[mine(r)] = Decimal(r["imports"]) + Decimal(r["exports"])  # million USD
    d["ntrade"] = ntrade

    nato = set()
    for r in open_csv(data, os.path.join("derived", "nato_members_from_atop5.1.csv")):
        if int(r["year"]) == DATA_YEAR and mine(r):
            nato.add(mine(r))
    d["nato"] = nato

    atop = {}
    for r in open_csv(data, "atop5.1_directed_dyad_years.csv.gz"):
        if int(r["year"]) == DATA_YEAR and mine(r, "ccode1") and mine(r, "ccode2"):
            flags = tuple(k[5:] for k in ("atop_defense", "atop_offense", "atop_neutral",
                                          "atop_nonagg", "atop_consul") if r[k] == "1")
            atop[(mine(r, "ccode1"), mine(r, "ccode2"))] = flags
    d["atop"] = atop

    trade = {}
    for r in open_csv(data, "cow_trade_v4_dyadic_ndy.csv.gz"):
        if int(r["year"]) == TRADE_YEAR and mine(r, "ccode1") and mine(r, "ccode2"):
            trade[frozenset((mine(r, "ccode1"), mine(r, "ccode2")))] = r
    d["trade"] = trade

    cont = {}
    for r in open_csv(data, "cow_contdir_v3.2.csv"):
        a, b = mine(r, "ccode1"), mine(r, "ccode2")
        if a and b and int(r["stdate"][:4]) <= DATA_YEAR <= int(r["enddate"][:4]):
            t = int(r["conttype"])
            if 1 <= t <= 4:
                k = frozenset((a, b))
                cont[k] = min(t, cont.get(k, 9))
    d["cont"] = cont

    dist = {}
    for r in open_csv(data, "cshapes2_mindist_ndy_1946_2019.csv.gz"):
        if int(r["year"]) == DATA_YEAR and mine(r, "ccode1") and mine(r, "ccode2") \
                and not na(r["mindist"]):
            dist[frozenset((mine(r, "ccode1"), mine(r, "ccode2")))] = r["mindist"]
    d["dist"] = dist

    digo = {}
    for r in open_csv(data, "cow_igo_v3_ndy_1946_2014.csv.gz"):
        if int(r["year"]) == TRADE_YEAR and mine(r, "ccode1") and mine(r, "ccode2") \
                and not na(r["dyadigos"]):
            digo[frozenset((mine(r, "ccode1"), mine(r, "ccode2")))] = int(r["dyadigos"])
    d["digo"] = digo

    onsets = {}
    for r in open_csv(data, "cow_mid5_directed_dyad_years_nodup.csv"):
        a, b = mine(r, "ccode1"), mine(r, "ccode2")
        if a and b and int(r["year"]) < DATA_YEAR and r["cowmidonset"] == "1":
            onsets.setdefault(frozenset((a, b)), set()).add(int(r["year"]))
    d["onsets"] = onsets

    # institutions.csv: every row checked against the state system (same rules as comity import)
    abbs_of = {}
    for r in open_csv(data, "cow_states_v2016.csv"):
        abbs_of.setdefault(int(r["ccode"]), set()).add(r["stateabb"])
    if not os.path.isfile(INSTITUTIONS_CSV):
        die(f"institutions table missing: {INSTITUTIONS_CSV}")
    inst = []
    with open(INSTITUTIONS_CSV, newline="") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            c = int(r["ccode"])
            if c in abbs_of and r["state"] not in abbs_of[c]:
                die(f"{INSTITUTIONS_CSV} line {line}: ccode {c} is not {r['state']}")
            inst.append(dict(institution=r["institution"], kind=r["kind"], salience=r["salience"],
                             state=abb.get(c), joined=int(r["joined"]),
                             left=int(r["left"]) if r["left"].strip() else None, source=r["source"]))
    d["institutions"] = inst

    for name, table in (("cow_nmc_v7 cinc", cinc), ("v2x_polyarchy", poly),
                        ("COW IGO sum_igo_full", igo), ("COW national trade", ntrade)):
        for s in ids:
            if s not in table:
                die(f"{name} missing for {s}")
    return d


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------

def build(d):
    ids = [s for s, _ in STATES]
    dem = {s: q(d["poly"][s], 2) for s in ids}

    # multilateralism: linear rescale of IGO full memberships (2014) onto [0.3, 0.9]
    lo, hi = min(d["igo"].values()), max(d["igo"].values())
    multi = {s: q(Decimal("0.3") + Decimal("0.6") * Decimal(d["igo"][s] - lo) / Decimal(hi - lo), 2)
             for s in ids}
    # open trade: (imports+exports 2014, COW, million USD) / GDP 2014 (WB); log-rescaled onto [0.3, 0.9]
    ratio = {s: d["ntrade"][s] / (Decimal(GDP_2014[s]) * Decimal(1000000)) for s in ids}
    lr = {s: math.log(float(ratio[s])) for s in ids}
    llo, lhi = min(lr.values()), max(lr.values())
    opent = {s: q(Decimal("0.3") + Decimal("0.6") * Decimal(repr((lr[s] - llo) / (lhi - llo))), 2)
             for s in ids}
    climate = {s: CLIMATE_RATIFIED if s in PARIS_RATIFIED_2016 else CLIMATE_NOT for s in ids}
    for s in ids:
        assert s in PARIS_RATIFIED_2016 or s in PARIS_LATER, s

    states = []
    for s, name in STATES:
        states.append(dict(
            id=s, name=name, ccode=d["ccode"][s], cinc_raw=d["cinc"][s], power=sig4(d["cinc"][s]),
            gdp=Decimal(GDP_2016[s]), democracy=dem[s], poly_raw=d["poly"][s],
            orientation=Decimal(ORIENTATION[s]), major=s in d["major"],
            norms=[multi[s], dem[s], opent[s], climate[s]],
            igo=d["igo"][s], ratio=q(ratio[s], 3),
        ))

    # ATOP defence pledges (either direction) among the 16
    defence = {}
    for (a, b), flags in d["atop"].items():
        if "defense" in flags:
            defence.setdefault(frozenset((a, b)), set()).add((a, b))
    nato = [s for s in ids if s in d["nato"]]

    # Institutions: members among the 16 on 31 December DATA_YEAR (joined <= year < left).
    def member_in(m, year):
        return m["joined"] <= year and (m["left"] is None or year < m["left"])
    inst_order, inst_members, inst_kind, inst_salience = [], {}, {}, {}
    for m in d["institutions"]:
        i = m["institution"]
        if i not in inst_order:
            inst_order.append(i)
            inst_members[i], inst_kind[i], inst_salience[i] = [], m["kind"], Decimal(m["salience"])
        if m["state"] in ids and member_in(m, DATA_YEAR):
            inst_members[i].append(m["state"])
    for i in inst_order:
        inst_members[i].sort(key=ids.index)
    eu_members = inst_members["ec"]
    if eu_members != [s for s in ids if s in EU_2016]:
        die(f"institutions.csv gives the EU members {eu_members}, EU_2016 says {EU_2016}")
    assert inst_kind["ec"] == "community"
    # Membership changes among the 16 after DATA_YEAR (all variants end by 2035) that are events:
    scripted = {(e["fields"].get("state"), e["fields"].get("treaty"), int(e["at"][:4]), e["kind"])
                for e in EVENTS_AF2025 if e["kind"] in ("join", "withdraw")}

    treaties = [
        dict(id="NATO", kind="defense", members=nato, salience=Decimal("0.9"),
             comment=["North Atlantic Treaty, 4 April 1949. Members among the 16 in 2016 from",
                      "derived/nato_members_from_atop5.1.csv (ATOP v5.1, see data README)."]),
        dict(id="EU", kind="community", members=eu_members, salience=inst_salience["ec"],
             comment=["European Union (Treaty on European Union / Lisbon); members among the 16 in 2016",
                      "(scenarios/data/institutions.csv)."]),
        dict(id="TPP", kind="trade", members=[s for s in ids if s in TPP_SIGNATORIES],
             salience=Decimal("0.6"),
             comment=["Trans-Pacific Partnership, signed Auckland 4 February 2016; signatories among the",
                      "16. Never entered into force in this form (members = signatories)."]),
        dict(id="Paris", kind="regime", members=list(ids), salience=Decimal("0.7"),
             comment=["Paris Agreement (UNFCCC), all 16 signed 22 April 2016. Ratified by end-2016: "
                      + ", ".join(f"{s} {PARIS_RATIFIED_2016[s]}" for s in ids if s in PARIS_RATIFIED_2016) + ".",
                      "Later: " + ", ".join(f"{s} {PARIS_LATER[s]}" for s in ids if s in PARIS_LATER)
                      + " (UN Treaty Collection, ch. XXVII.7.d)."]),
    ]
    unknown = []
    for pair in sorted(defence, key=lambda p: sorted(ids.index(x) for x in p)):
        if pair <= d["nato"]:
            continue  # covered by NATO
        a, b = sorted(pair, key=ids.index)
        dirs = defence[pair]
        dirtext = "both directions" if len(dirs) == 2 else \
            "one-way pledge " + "->".join(next(iter(dirs))) + " only"
        if pair in BILATERAL_NAMES:
            tid, title = BILATERAL_NAMES[pair]
        else:
            tid, title = f"{a}-{b}", "UNEXPECTED ATOP defence pledge, treaty not identified"
            unknown.append(pair)
        extra = ""
        if pair == frozenset(("USA", "JPN")) and len(dirs) == 1:
            extra = " (Art. V covers only territories under Japanese administration)"
        treaties.append(dict(id=tid, kind="defense", members=[a, b], salience=Decimal("0.7"),
                             comment=[f"{title}. ATOP v5.1 atop_defense 2016: {dirtext}{extra}."]))

    for i in inst_order:
        if i == "ec" or len(inst_members[i]) < 2:
            continue  # the EU is above; an institution with fewer than two of the 16 ties no pair
        tid, name = INSTITUTION_NAMES.get(i, (i, i))
        later = []
        for m in d["institutions"]:
            if m["institution"] != i or m["state"] not in ids:
                continue
            for year, kind in ((m["joined"], "join"), (m["left"], "withdraw")):
                if year is not None and DATA_YEAR < year <= 2035 and (m["state"], tid, year, kind) not in scripted:
                    later.append(f"{m['state']} {'joins' if kind == 'join' else 'leaves'} {year} ({m['source']})")
        treaties.append(dict(
            id=tid, kind=inst_kind[i], members=inst_members[i], salience=inst_salience[i],
            salience_note="scenarios/data/institutions.csv; reasons in docs/import.md",
            comment=[f"{name}: members among the 16 on 31 December {DATA_YEAR}, from scenarios/data/institutions.csv",
                     "(a source per row there)."]
            + (["Not an event in these files (their event lists are unchanged): " + "; ".join(later) + "."]
               if later else [])))

    added = [t["id"] for t in treaties if t.get("salience_note")]
    if added != ["CoE", "OSCE", "OAS"]:
        die(f"institutions among the 16 are now {added}: update the SOURCES line of HEADER")

    communities = [
        dict(id="west", members=list(WEST),
             comment=["The 14 Western states (EU/NATO members among the 16 plus Japan, Australia, South Korea)."]),
        dict(id="nato", members=[s for s in WEST if s in d["nato"]],
             comment=["NATO members among the Western states (2016)."]),
    ]

    # Dyads: all pairs in state order
    dyads, missing_trade = [], []
    for a, b in itertools.combinations(ids, 2):
        k = frozenset((a, b))
        allied = 1 if k in defence else 0
        eu = 1 if (a in EU_2016 and b in EU_2016) else 0
        dmin = min(dem[a], dem[b])
        identity = q(clamp(Decimal("0.10") + Decimal("0.35") * allied + Decimal("0.25") * dmin
                           + Decimal("0.20") * eu), 2)
        trust = q(clamp(Decimal("0.20") + Decimal("0.35") * allied + Decimal("0.30") * dmin
                        + Decimal("0.10") * eu), 2)
        r = d["trade"].get(k)
        tcomment = f"bn USD, COW dyadic trade v4 {TRADE_YEAR}, flow1+flow2"
        total, used_smooth, miss = Decimal(0), False, 0
        for i in ("1", "2"):
            if r is not None and not na(r["flow" + i]):
                total += Decimal(r["flow" + i])
            elif r is not None and not na(r["smoothflow" + i]):
                total += Decimal(r["smoothflow" + i])
                used_smooth = True
            else:
                miss += 1
        if miss == 2:
            tcomment = f"MISSING in COW dyadic trade v4 {TRADE_YEAR}; written as 0"
            missing_trade.append((a, b))
        elif miss == 1:
            tcomment += " (one direction missing, counted as 0)"
            missing_trade.append((a, b))
        elif used_smooth:
            tcomment += " (smoothflow used where flow missing)"
        if k not in d["dist"]:
            die(f"CShapes mindist {DATA_YEAR} missing for {a}-{b}")
        # rivalry: each distinct MID onset year y < DATA_YEAR adds 0.5^((DATA_YEAR - y) / half-life)
        years = sorted(d["onsets"].get(k, ()))
        if years:
            stock = sum(0.5 ** ((DATA_YEAR - y) / float(RIVALRY_HALF_LIFE)) for y in years)
            rivalry = q(Decimal(repr(stock)), 4)
            rcomment = (f"{len(years)} MID onset year(s) " + (f"{years[0]}-{years[-1]}" if len(years) > 1
                        else str(years[0])) + f", halving every {RIVALRY_HALF_LIFE} years")
        else:
            rivalry, rcomment = 0, "no MID onset in COW MID v5 (to 1989)"
        if k in d["digo"]:
            igos, icomment = d["digo"][k], f"COW IGO v3 dyadigos {TRADE_YEAR}"
        else:
            igos, icomment = 0, f"no COW IGO v3 record for {TRADE_YEAR}; written as 0"
        dyads.append(dict(
            rivalry=rivalry, rcomment=rcomment, shared_igos=igos, icomment=icomment,
            states=[a, b], trust=trust, identity=identity, trade=q(total / 1000, 1),
            contiguous=k in d["cont"], conttype=d["cont"].get(k), distance=q(d["dist"][k], 1),
            proxy=f"allied={allied} dem={dmin} eu={eu}", tcomment=tcomment,
        ))

    # other ATOP pledges among the 16 (documented, not modelled as treaties)
    other = []
    seen = set()
    for (a, b), flags in sorted(d["atop"].items(), key=lambda x: (ids.index(x[0][0]), ids.index(x[0][1]))):
        k = frozenset((a, b))
        if k in seen:
            continue
        seen.add(k)
        fl = sorted(set(flags) | set(d["atop"].get((b, a), ())))
        if "defense" in fl:
            continue
        if "neutral" in fl or "offense" in fl:
            x, y = sorted(k, key=ids.index)
            other.append(f"{x}-{y} ({'+'.join(fl)})")
    return dict(states=states, treaties=treaties, communities=communities, dyads=dyads,
                unknown=unknown, missing_trade=missing_trade, other_atop=other,
                igo_range=(lo, hi))


# ---------------------------------------------------------------------------------------------
# Render
# ---------------------------------------------------------------------------------------------

# The scenarios are four files: the world (the base) and three files of events that extend it
# (`extends`, docs/scenario-format.md). The base holds the states, treaties, communities and dyads
# with the sources and rules of their values; each file of events holds its question, the sources
# and rules of its events, and the events.

SOURCES_WORLD = """\
# SOURCES (data values read from shared/data/ir unless stated; see its README.md)
#  * power: COW National Material Capabilities v7.0, cinc 2016, 4 significant digits. Singer,
#    Bremer & Stuckey 1972, "Capability Distribution, Uncertainty, and Major Power War, 1820-1965",
#    in Russett (ed.), Peace, War, and Numbers, 19-48; Singer 1987, International Interactions 14:115-32.
#  * major: COW Major Powers v2016 (Correlates of War Project 2017, "State System Membership List,
#    v2016"). ccode/id: COW State System Membership v2016.
#  * gdp: World Bank, World Development Indicators, NY.GDP.MKTP.CD, 2016, current trillion USD
#    (published figures, not in the data folder), 2 significant digits, at least 1 decimal.
#  * democracy: V-Dem v10 v2x_polyarchy 2016, 2 decimals (Coppedge et al. 2020, V-Dem Codebook v10;
#    via ccode_democracy.csv).
#  * trade (dyads): COW Dyadic Trade v4.0, 2014 (last year), flow1+flow2 in current million USD / 1000
#    -> bn USD, 1 decimal; smoothflow where flow is missing; 0 with a comment if both are missing.
#    Barbieri & Keshk 2016, COW Trade Data Set Codebook v4.0; Barbieri, Keshk & Pollins 2009,
#    "Trading Data", Conflict Management and Peace Science 26(5): 471-491.
#  * contiguous: COW Direct Contiguity v3.2, a record in force in 2016 with conttype 1..4 (land, or
#    <= 150 miles of water). Stinnett, Tir, Schafer, Diehl & Gochman 2002, CMPS 19(2): 58-66.
#  * distance: CShapes 2.0 minimum distance between borders, 2016 (1 Jan), km, 1 decimal. Schvitz
#    et al. 2022, "Mapping the International System, 1886-2017: The CShapes 2.0 Dataset", Journal of
#    Conflict Resolution 66(1): 144-161 (computed by peacesciencer: Miller 2022, CMPS).
#  * alliances: ATOP v5.1 directed dyad-years, atop_defense 2016. Leeds, Ritter, Mitchell & Long
#    2002, "Alliance Treaty Obligations and Provisions, 1815-1944", International Interactions 28:
#    237-60. NATO membership from derived/nato_members_from_atop5.1.csv (rule in the data README).
#  * IGOs: COW IGO v3.0 state-year sum_igo_full 2014; shared_igos (dyads) = non-directed dyadigos 2014
#    (0 without a record). Pevehouse, Nordstrom, McManus & Jamison 2020, Journal of Peace Research
#    57(3): 492-503.
#  * rivalry (dyads): COW MID v5.0 directed dyad-years (cowmidonset = 1, either direction), 1816-1989
#    in the data folder. Palmer et al. 2022, Conflict Management and Peace Science 39(4): 470-82.
#  * institutions: scenarios/data/institutions.csv (a source per row: founding and accession treaties,
#    official member lists): the EU, the Council of Europe (CoE), the OSCE and the OAS, with their
#    members among the 16 on 31 December 2016; kind and salience from that table (docs/import.md).
#  * national trade: COW National Trade v4.0, imports+exports 2014 (same citation as dyadic trade).
#
# RULES AND JUDGEMENTS
#  * orientation (0 nationalist .. 1 internationalist) is a MODELLING JUDGEMENT, not data: 0.75 for
#    every consolidated Western democracy (EU/NATO democracies, JPN, AUL, ROK and the USA); TUR
#    0.45, CHN 0.40, RUS 0.30. Events of the scenarios over this base move it (judgements stated
#    there).
#  * norms = [multilateralism, pacific settlement, open trade, climate cooperation], each in [0,1]:
#    - multilateralism = 0.3 + 0.6 * (IGO_full_2014 - min) / (max - min) over the 16 (min {igo_lo}, max {igo_hi});
#    - pacific settlement = democracy (polyarchy 2016, 2 decimals);
#    - open trade = 0.3 + 0.6 * (ln r - min ln r) / (max ln r - min ln r) over the 16, with
#      r = (COW imports+exports 2014) / (World Bank GDP 2014, current USD; the ratio uses 2014 GDP so
#      that numerator and denominator are the same year). Log scale because big economies trade
#      less relative to GDP; note COW's 2014 China totals are above customs figures;
#    - climate = 0.7 if the state had ratified/accepted the Paris Agreement by 31 Dec 2016, else 0.5.
#  * initial dyad trust and identity (proxies, symmetric at start, 2 decimals):
#      allied = 1 if ATOP v5.1 atop_defense = 1 in 2016 in either direction, else 0
#      eu     = 1 if both states are EU members in 2016, else 0
#      dem    = min of the two states' democracy values (as written below)
#      identity = clamp(0.10 + 0.35*allied + 0.25*dem + 0.20*eu, 0, 0.95)
#      trust    = clamp(0.20 + 0.35*allied + 0.30*dem + 0.10*eu, 0, 0.95)
#  * rivalry = sum over the pair's distinct MID onset years y < 2016 of 0.5^((2016 - y) / H), with
#    H = {half_life} years (the default rivalry_half_life of src/params.rs), 4 decimals, 0 without a
#    dispute. The MID data stop in 1989, so disputes of 1990-2015 are missing: a lower bound.
#  * Rounding: decimal round-half-up throughout.
# =============================================================================================
"""

HEAD_WORLD = """\
# =============================================================================================
# The Western world of 2016: the base of the western scenarios
# GENERATED FILE - do not edit by hand. Regenerate with:
#     python3 scenarios/sources/make_western_community.py [--data DIR]
# (it writes this base and the three scenarios over it; default DIR: ../shared/data/ir relative
# to the repository root). Same inputs -> same bytes.
#
# WHAT: 16 states - the 14 states of the Western security community (USA CAN UKG FRN GMY ITA NTH
# BEL SPN POL TUR JPN AUL ROK) plus China and Russia - with their treaties, the communities
# measured (west, nato) and all 120 dyads, initialised from real 2016 data; the calendar (2016-2030,
# yearly), the seed (42), 1000 runs and the pairs of interest. No events: the scenarios that extend
# this base (`extends`, docs/scenario-format.md) keep all of it and add them:
#     scenarios/western_community.toml                 the dated events of 2016-2020
#     scenarios/western_community_counterfactual.toml  its twin, without the US events
#     scenarios/america_first_2025.toml                to 2035, with the 2021-22 and 2025 events
# Run alone, it is the 2016 world left to itself:
#     comity run scenarios/western_2016/scenario.toml
#
"""

# The sources and rules of the events of 2016-2020 (western_community.toml); the variants below
# reuse them with the sentences that differ replaced (replace_once checks each one exists).
BODY = """\
# SOURCES: official documents cited on each event; tariff rates are ESTIMATES (see below).
#
# RULES AND JUDGEMENTS
#  * orientation: Events move UKG to 0.65 (June 2016 referendum) and the USA
#    to 0.30 (January 2017); both values are judgements (from the 0.75 of the base).
#  * tariff rate = effective ad-valorem rate on ALL bilateral trade = sum over covered goods of
#    (statutory rate x value of covered 2017 exports) / total 2017 goods exports of the exporter to
#    the imposing state. The covered values and totals are ESTIMATES from published 2017 figures
#    (US Census goods trade; governments' own statements of the trade covered); each event shows its
#    arithmetic. 3 decimals.
#  * Not modelled: US Section 301 tariffs on China (2018-), US-EU/UK/JPN steel quota deals (2022),
#    US re-entry to Paris (2021), Turkey's May/June 2019 cut of its retaliation.
#  * Rounding: decimal round-half-up throughout.
# =============================================================================================
"""

HEAD_WEST = """\
# =============================================================================================
# Western security community, 2016-2030
# GENERATED FILE - do not edit by hand. Regenerate with:
#     python3 scenarios/sources/make_western_community.py [--data DIR]
# (default DIR: ../shared/data/ir relative to the repository root). Same inputs -> same bytes.
#
# RUN (the teaching lab, docs/teaching.md section 2: the three lenses, 500 runs, seed 42):
#     comity run scenarios/western_community.toml --lens all --runs 500 --out output/lab/west
#     comity report output/lab/west
# (`comity run scenarios/western_community.toml` alone runs the default lens 1000 times into
# output/western_community, as in the README.)
#
# WHAT: 16 states - the 14 states of the Western security community (USA CAN UKG FRN GMY ITA NTH
# BEL SPN POL TUR JPN AUL ROK) plus China and Russia - initialised from real 2016 data, then
# driven by the dated events of 2016-2020: the UK EU referendum and Brexit, the US "America First"
# turn, US withdrawal from TPP and the Paris Agreement, and the 2018-19 Section 232 steel/aluminium
# tariffs and the partners' retaliation. After 2020 no scheduled events: the model runs free.
# THE WORLD is scenarios/western_2016/scenario.toml, which this file extends: the states, treaties,
# communities, dyads, calendar (2016-2030), seed and pairs of interest, with the sources and rules
# of every value. This file adds the events.
# QUESTION: does the Western (Deutschian, pluralistic) security community - mutual trust,
# collective identity, dependable expectations of peaceful change - survive a period in which its
# leading state turns nationalist and trades tariffs with its allies? Which dyads erode first, and
# is the community (and NATO) still a community in 2030?
#
"""

# Headline numbers of the paired comparison, measured with the comity binary named there (update by
# hand when the model changes: run the commands in the header and copy the rows).
TWIN_MEASURED = """\
# MEASURED with comity 0.1.0 (the constructivist lens, the default, calibrated as in
# docs/calibration.md; 500 runs each, seed 42), the commands above;
# B - A = effect of the 2017-2020 US events with its 95% CI, all Holm-significant (runs.csv rows
# paired run by run; the @2020 row is Welch on the yearly summaries):
{rows}
# Read: by 2030 the US events cost the West about 0.02 of mean trust and 15% of its dyads with
# dependable expectations of peaceful change, and add about 0.2 of a use-of-force dispute per run;
# in 2020 they cost 0.06 of mean trust.
"""
TWIN_ROWS = [
    "#   metric                                   A (twin)  B (west)   B - A    95% CI",
    "#   west.cohesion, 2030 (mean trust)           0.667     0.651    -0.017   [-0.017, -0.016]",
    "#   west.peaceful_change_share, 2030           0.613     0.519    -0.094   [-0.096, -0.092]",
    "#   west.disputes_force, total 2016-2030       0.77      0.96     +0.19    [+0.15, +0.23]",
    "#   west.cohesion@2020                         0.635     0.579    -0.056   [-0.057, -0.056]",
]

HEAD_TWIN = """\
# =============================================================================================
# Western security community, 2016-2030: COUNTERFACTUAL TWIN without the 2017-2020 US events
# GENERATED FILE - do not edit by hand. Regenerate with:
#     python3 scenarios/sources/make_western_community.py [--data DIR]
# (default DIR: ../shared/data/ir relative to the repository root). Same inputs -> same bytes.
#
# QUESTION: what did the US events of 2017-2020 do to the Western security community? This file
# extends scenarios/western_community.toml - the same world (scenarios/western_2016/: 16 states,
# 120 dyads, 10 treaties, 2 communities, seed 42, 1000 runs, 2016-2030) - and replaces its events
# (replace_events = true) by the non-US ones: it drops the January 2017 orientation turn, the TPP
# withdrawal (January 2017), the Paris announcement (June 2017) and withdrawal (November 2020), the
# 2018 Section 232 tariffs (and the Turkish doubling and 2019 cut), the partners' retaliation
# against the US and the 2019 US-Canada lifting. It KEEPS the non-US events: the UK referendum
# (orientation, June 2016), the Art. 50 notification (announce, March 2017) and Brexit (withdraw,
# January 2020). Only the [[event]] list differs.
#
# HOW TO USE: run both with the same seed, then compare them run by run. Run k of each file uses the
# same random numbers wherever the two runs' logic does not branch (common random numbers), so
# `comity compare` pairs the runs and B - A estimates the effect of the US events with little noise
# (docs/compare-and-report.md). All events have probability 1, so removing events changes no draw.
# These are the teaching lab's commands (docs/teaching.md section 3; seed 42, the file's own):
#     comity run scenarios/western_community.toml --lens all --runs 500 --out output/lab/west
#     comity run scenarios/western_community_counterfactual.toml --lens realist,constructivist \\
#         --runs 500 --out output/lab/twin
#     comity compare output/lab/twin output/lab/west --lens constructivist --at 2020
# (A = this twin, B = western_community.toml; --lens realist for the other lens; add --csv FILE for
# every row, or `comity report output/lab/west --compare output/lab/twin output/lab/west --lens
# constructivist --output output/lab/us_events.html` for the chart.) Look at west.* and nato.*
# (cohesion = mean trust, identity, peaceful_change_share, phase, disputes_force) at 2030
# (runs.csv) and at 2020 (--at).
#
{measured}#
"""

HEAD_AF = """\
# =============================================================================================
# America First, twice: the Western security community, 2016-2035
# GENERATED FILE - do not edit by hand. Regenerate with:
#     python3 scenarios/sources/make_western_community.py [--data DIR]
# (default DIR: ../shared/data/ir relative to the repository root). Same inputs -> same bytes.
#
# QUESTION: does the Western security community survive a SECOND, sharper nationalist turn of its
# leading state, after four years of re-engagement? This file extends
# scenarios/western_community.toml: the same 16 states, 2016 values, dyads, treaties, communities
# and seed (scenarios/western_2016/), run to 2035 with (1) the 2016-2020 events of that file,
# which come first; (2) the re-engagement of 2021-22: US orientation back up (January 2021),
# Paris rejoined (19 February 2021), the US-EU steel/aluminium truce (quotas from 1 January 2022)
# and the EU's suspension of its rebalancing duties, the US-Japan (April 2022) and US-UK (June
# 2022) arrangements, all modelled as lifting to 0 (Japan: lowering to 0.000); (3) the 2025 events:
# the US orientation turn (January 2025), the Paris withdrawal (announce January 2025, withdraw at
# its effective date, 27 January 2026), and the 2025 tariffs - IEEPA tariffs on Canada and China,
# Section 232 steel/aluminium restored to 25% (12 March) and raised to 50% (4 June), Section 232
# autos (3 April), the "reciprocal" tariffs (5 April; country rates from 7 August), the US-China
# escalation and the Geneva and November truces, the UK, EU, Japan and Korea deals - and the
# retaliation that took effect (Canada's and China's). After the Paris withdrawal no scheduled
# events: the model runs free from 2026 to 2035, with the end-2025 tariffs held fixed.
# Every event cites its source (title and where it was read); each date was checked against it.
#
# LEFT OUT, AND WHY
#  * WHO withdrawal (EO 14155, 20 January 2025): the WHO is not a treaty in this world, and adding
#    it would change the world: a salience-weighted shared institution for all 120 dyads from 2016
#    on (the 2016-2024 paths would no longer match western_community.toml), and in this model
#    leaving a `regime` lowers the leaver's CLIMATE norm, which is wrong for a health organisation.
#    Its signal is partly in the January 2025 orientation event.
#  * Mexico (IEEPA tariffs of 4 March 2025, USMCA exemption): not one of the 16 states.
#  * Section 301 tariffs on China (2018-); the later Section 232 tariffs (copper from 1 August
#    2025; lumber, furniture, trucks; dates not checked); the end of de minimis; the EU's 2025
#    countermeasures (adopted, suspended, never applied); the one-day country rates of 9 April
#    2025; the court cases on the IEEPA tariffs (they stayed in force pending appeal in 2025).
#    Russia was exempted from the reciprocal tariffs: its 2018 rates (both ways) stay.
#
# HOW TO RUN
#     comity validate scenarios/america_first_2025.toml
#     comity run scenarios/america_first_2025.toml --lens all --runs 500 --out output/lab/america_first
#     comity report output/lab/america_first
# WHAT TO LOOK AT: timeseries.csv, community `west` (and `nato`): cohesion (mean trust), identity,
# peaceful_change_share, phase and orientation by year - the dip after 2017, the partial recovery
# of 2021-24, the second drop in 2025, and whether the community is still ascendant (phase 2) or
# only nascent (phase 1) in 2035; disputes_force and no_force_yet among members; runs.csv for the
# 2035 distributions ("in how many runs is west.phase >= 2 in 2035?"). To set the second turn
# against the first, compare years both files cover (Welch on the yearly rows), with the teaching
# lab's run of the first file (docs/teaching.md section 2):
#     comity run scenarios/western_community.toml --lens all --runs 500 --out output/lab/west
#     comity compare output/lab/west output/lab/america_first --lens constructivist \\
#         --at 2020,2024,2025,2030 --at-only
# (--at-only: the two files' end values belong to different years, 2030 and 2035). Yearly steps:
# all events of a year act at the start of its tick, so the 2025 tick already trades at the
# end-2025 tariffs; the intra-year order matters only for the signals (each rate change is one
# defection or cooperation signal to the target, whatever its size).
# MEASURED with comity 0.1.0 (the constructivist lens, the default, calibrated as in
# docs/calibration.md; 500 runs, seed 42), the commands above, mean across runs of west.cohesion
# (mean trust) / west.peaceful_change_share, timeseries.csv:
#   2016 0.666 / 0.53   2020 0.579 / 0.36   2024 0.640 / 0.58   2025 0.583 / 0.47   2035 0.662 / 0.52
# (western_community.toml, same seed: 2024 0.617, 2030 0.651 / 0.52; the 2016-2020 runs are
# identical in both files.) Mean west.phase: 1 (nascent) from 2017 to 2021, back to ascendant in
# 2023-24 (1.98, 1.98), 1.00 again from 2025 to 2028 (1.01 in 2029), 1.80 by 2035
# (western_community.toml: 1.00 to 2024, 1.91 by 2027, 1.85 in 2030).
#
"""


def replace_once(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


BASE_ORIENT = ("Events move UKG to 0.65 (June 2016 referendum) and the USA\n"
               "#    to 0.30 (January 2017); both values are judgements (from the 0.75 of the base).")
BASE_TARIFF_END = "#    arithmetic. 3 decimals.\n"
BASE_NOT_MODELLED = ("#  * Not modelled: US Section 301 tariffs on China (2018-), US-EU/UK/JPN steel quota deals (2022),\n"
                     "#    US re-entry to Paris (2021), Turkey's May/June 2019 cut of its retaliation.\n")

AF_ORIENT = ("Events move UKG to 0.65 (June 2016 referendum) and the USA\n"
             "#    to 0.30 (January 2017), back up to 0.65 (January 2021) and down to 0.25 (January 2025); all\n"
             "#    four values are judgements (reasons on the events; the first two in western_community.toml).")
AF_TARIFF_EXTRA = """\
#  * 2025 tariff rates: same rule on 2024 trade (US Census totals as quoted by the sources on the
#    events; covered values are ESTIMATES, named where a source gives them). Each event sets the
#    partner's CUMULATIVE rate after the measure, adding the layers then in force (IEEPA "fentanyl",
#    IEEPA "reciprocal", Section 232 steel/aluminium, Section 232 autos); overlaps are ignored; "15%
#    all-in" deals count 15 points minus an ASSUMED average MFN duty of 2.5 points (Korea, MFN 0
#    under KORUS: 15); Canadian lists converted at 0.72 US$/C$; effective rates above 1 (US-China,
#    April 2025) are capped at 1.000, the format's maximum.
"""
AF_NOT_MODELLED = ("#  * Not modelled: see LEFT OUT above; also Turkey's May/June 2019 cut of its retaliation and the\n"
                   "#    US rejoining of the WHO (January 2021).\n")
TWIN_ORIENT = ("An event moves UKG to 0.65 (June 2016 referendum; a\n"
               "#    judgement). In this twin the USA keeps the 0.75 of the base throughout.")
TWIN_TARIFFS = ("#  * tariffs: none in this twin (the 2018 tariff estimates and their arithmetic are in\n"
                "#    scenarios/western_community.toml).\n")
TWIN_NOT_MODELLED = "#  * Removed here: every US event of 2017-2020 (list at the top of this file).\n"


def body_for(variant):
    body = BODY
    if variant == "western_community_counterfactual":
        body = replace_once(body, BASE_ORIENT, TWIN_ORIENT)
        start = body.index("#  * tariff rate = ")
        end = body.index(BASE_TARIFF_END) + len(BASE_TARIFF_END)
        body = body[:start] + TWIN_TARIFFS + body[end:]
        body = replace_once(body, BASE_NOT_MODELLED, TWIN_NOT_MODELLED)
    elif variant == "america_first_2025":
        body = replace_once(body, BASE_ORIENT, AF_ORIENT)
        body = replace_once(body, BASE_TARIFF_END, BASE_TARIFF_END + AF_TARIFF_EXTRA)
        body = replace_once(body, BASE_NOT_MODELLED, AF_NOT_MODELLED)
    return body


# The base: the world every variant shares, written to scenarios/western_2016/scenario.toml.
BASE = "western_2016"
BASE_FILE = os.path.join(BASE, "scenario.toml")
WORLD = dict(
    start=2016, end=2030, seed=42, runs=1000,
    name="The Western world of 2016, without events",
    description=(
        "16 states (the 14 of the Western security community, with China and Russia as outsiders), "
        "their treaties and dyads, initialised from 2016 COW/ATOP/V-Dem/CShapes data, run to 2030 "
        "with no scheduled events. The base of western_community.toml, its twin and "
        "america_first_2025.toml."))

# The scenarios over it: what each file extends, its [scenario] fields and its events. The events
# a file writes come after those it keeps of its base (america_first_2025: the 30 of 2016-2020).
VARIANTS = {
    "western_community": dict(
        extends=BASE, events=EVENTS, header={},
        name="Western security community, 2016-2030",
        description=(
            "Does the Western security community (14 states, with China and Russia as outsiders) survive "
            "the 2017-2020 US nationalist turn, TPP and Paris withdrawals, Brexit and the 2018-19 "
            "steel/aluminium tariff dispute? Initialised from 2016 COW/ATOP/V-Dem/CShapes data; runs to 2030.")),
    "western_community_counterfactual": dict(
        extends="western_community.toml", replace_events=True, events=EVENTS_COUNTERFACTUAL, header={},
        name="Western security community, 2016-2030: counterfactual without the 2017-2020 US events",
        description=(
            "Counterfactual twin of western_community.toml: the same 2016 world and seed, with Brexit but "
            "without the US orientation turn, TPP and Paris withdrawals and the 2018-19 tariffs. Run both "
            "with the same seed and compare them run by run (comity compare) to measure what the US "
            "events did.")),
    "america_first_2025": dict(
        extends="western_community.toml", events=EVENTS_2021_2026, header={"end": 2035},
        name="America First, twice: the Western security community, 2016-2035",
        description=(
            "The 2016 Western world of western_community.toml through the 2017-2020 US turn, the 2021-22 "
            "re-engagement (Paris rejoined, steel/aluminium truces) and the 2025 turn (Paris withdrawal, "
            "IEEPA, Section 232 and reciprocal tariffs, Canadian and Chinese retaliation); runs free from "
            "2026 to 2035. Does the community survive a second, sharper turn?")),
}
# Every file written, in the order written (a base before the files that extend it).
FILES = [BASE] + list(VARIANTS)


def path_of(name):
    """The file of a scenario, relative to scenarios/."""
    return BASE_FILE if name == BASE else name + ".toml"


def header_for(variant, b):
    fmt = dict(igo_lo=b["igo_range"][0], igo_hi=b["igo_range"][1], half_life=RIVALRY_HALF_LIFE)
    if variant == BASE:
        return HEAD_WORLD + SOURCES_WORLD.format(**fmt)
    head = {"western_community": HEAD_WEST, "america_first_2025": HEAD_AF}.get(variant) or \
        HEAD_TWIN.format(measured=TWIN_MEASURED.format(rows="\n".join(TWIN_ROWS)))
    return head + body_for(variant)


def render_events(events, title):
    L = ["", title]
    for e in events:
        L.append("")
        L += comments(e["comment"])
        L.append("[[event]]")
        L.append(f"at = {tstr(e['at'])}")
        L.append(f"kind = {tstr(e['kind'])}")
        for k, v in e["fields"].items():
            if isinstance(v, str) and k in ("value",):
                v = Decimal(v)
            L.append(f"{k} = {tval(v)}")
    return L


def render(b, variant):
    """The text of scenario `variant`: the base (the world) or a file of events over it."""
    if variant != BASE:
        v = VARIANTS[variant]
        L = [header_for(variant, b)]
        L.append("# The world, and whatever this file does not set, comes from the scenario it extends.")
        L.append(f"extends = {tstr(v['extends'])}")
        if v.get("replace_events"):
            L.append("# Its events are replaced by those below.")
            L.append("replace_events = true")
        L += ["", "[scenario]", "name = " + tstr(v["name"]), "description = " + tstr(v["description"])]
        L += [f"{k} = {x}" for k, x in v["header"].items()]
        if v["extends"] == BASE:
            title = "# ---- Events (ordered by date; same-date events apply in file order)"
        elif v.get("replace_events"):
            title = "# ---- Events (they replace those of the scenario extended; ordered by date)"
        else:
            title = ("# ---- Events after 2020 (those of 2016-2020 come from the scenario extended, before\n"
                     "# these; ordered by date, same-date events apply in file order)")
        L += render_events(v["events"], title)
        return "\n".join(L) + "\n"

    w = WORLD
    L = [header_for(BASE, b)]
    L.append("[scenario]")
    L.append("name = " + tstr(w["name"]))
    L.append("description = " + tstr(w["description"]))
    L += [f"start = {w['start']}", f"end = {w['end']}", 'step = "year"', f"seed = {w['seed']}",
          f"runs = {w['runs']}"]
    L.append("# Pairs of interest: their trust both ways, identity, trade, alliance and disputes go to pairs.csv.")
    L += ['pairs = ["USA-GMY", "USA-CAN", "USA-JPN", "USA-UKG"]', ""]

    L.append("# ---- States (2016). power: COW NMC v7 cinc; gdp: World Bank WDI NY.GDP.MKTP.CD 2016;")
    L.append("# democracy: V-Dem v10 v2x_polyarchy; orientation: judgement; major: COW majors v2016;")
    L.append("# norms: [multilateralism, pacific settlement, open trade, climate] (rules in header).")
    for s in b["states"]:
        L.append("")
        L.append("[[state]]")
        L.append(kv("id", tstr(s["id"])))
        L.append(kv("name", tstr(s["name"])))
        L.append(kv("ccode", s["ccode"], "COW State System Membership v2016"))
        L.append(kv("power", s["power"], f"COW NMC v7 cinc 2016 = {s['cinc_raw']}"))
        L.append(kv("gdp", tval(s["gdp"]), "trillion current USD, World Bank WDI NY.GDP.MKTP.CD 2016"))
        L.append(kv("democracy", tval(s["democracy"]), f"V-Dem v10 v2x_polyarchy 2016 = {s['poly_raw']}"))
        L.append(kv("orientation", tval(s["orientation"]), "modelling judgement (rule in header)"))
        L.append(kv("major", tval(s["major"]), "COW Major Powers v2016"))
        n = s["norms"]
        L.append(kv("norms", tval(n),
                    f"IGO_full 2014 = {s['igo']}; pacific = democracy; trade/GDP 2014 = {s['ratio']}; Paris "
                    + ("ratified 2016" if n[3] == CLIMATE_RATIFIED else "not ratified in 2016")))

    L.append("")
    L.append("# ---- Treaties")
    for t in b["treaties"]:
        L.append("")
        L += comments(t["comment"])
        L.append("[[treaty]]")
        L.append(f"id = {tstr(t['id'])}")
        L.append(f"kind = {tstr(t['kind'])}")
        L.append(f"members = {tval(t['members'])}")
        L.append(kv("salience", tval(t["salience"]), t.get("salience_note", "modelling judgement")))
    if b["other_atop"]:
        L.append("")
        L += comments(["Other ATOP v5.1 2016 pledges among the 16 with neutrality/offence (not modelled as",
                       "treaties): " + ", ".join(b["other_atop"]) + ". Non-aggression/consultation-only",
                       "pledges are also present for most pairs and are not modelled."])

    L.append("")
    L.append("# ---- Communities")
    for c in b["communities"]:
        L.append("")
        L += comments(c["comment"])
        L.append("[[community]]")
        L.append(f"id = {tstr(c['id'])}")
        L.append(f"members = {tval(c['members'])}")

    L.append("")
    L.append("# Fallbacks for any dyad not listed (all 120 are listed below).")
    L.append("[defaults]")
    L += ["trust = 0.3", "identity = 0.1", "trade = 0.0"]

    L.append("")
    L.append("# ---- Dyads (all 120 pairs). trust/identity: proxies (formula in header);")
    L.append("# trade: COW dyadic trade v4 2014, bn USD; contiguous: COW contdir v3.2 2016 type 1-4;")
    L.append("# distance: CShapes 2.0 mindist 2016, km; shared_igos: COW IGO v3 dyadigos 2014;")
    L.append("# rivalry: MID onsets before 2016 (the MID data stop in 1989), rule in header.")
    for dy in b["dyads"]:
        L.append("")
        L.append("[[dyad]]")
        L.append(kv("states", tval(dy["states"])))
        L.append(kv("trust", tval(dy["trust"]), "proxy: " + dy["proxy"]))
        L.append(kv("identity", tval(dy["identity"]), "proxy: " + dy["proxy"]))
        L.append(kv("trade", tval(dy["trade"]), dy["tcomment"]))
        ct = f"conttype {dy['conttype']}" if dy["contiguous"] else "no record with conttype 1-4"
        L.append(kv("contiguous", tval(dy["contiguous"]), f"COW contdir v3.2, 2016: {ct}"))
        L.append(kv("distance", tval(dy["distance"]), "km, CShapes 2.0 mindist 2016"))
        L.append(kv("shared_igos", tval(dy["shared_igos"]), dy["icomment"]))
        L.append(kv("rivalry", tval(dy["rivalry"]), dy["rcomment"]))
    return "\n".join(L) + "\n"


def compose(docs, name):
    """The scenario `name` as comity reads it: the parsed file over the scenario it extends (its
    [scenario] fields over the base's; its events after the base's, or instead of them)."""
    doc = dict(docs[name])
    extends = doc.pop("extends", None)
    if extends is None:
        return doc
    base = compose(docs, BASE if extends == BASE else extends[:-len(".toml")])
    out = dict(base)
    out["scenario"] = {**base["scenario"], **doc.get("scenario", {})}
    kept = [] if doc.pop("replace_events", False) else base.get("event", [])
    out["event"] = kept + doc.get("event", [])
    return out


# ---------------------------------------------------------------------------------------------
# Validate (on the parsed TOML, so we check what we wrote)
# ---------------------------------------------------------------------------------------------

def validate(doc):
    """Checks a composed scenario (see compose)."""
    errs = []

    def err(m):
        errs.append(m)

    def unit(x, what, lo=0.0, hi=1.0):
        if not isinstance(x, (int, float)) or isinstance(x, bool) or not (lo <= x <= hi):
            err(f"{what} = {x!r} not in [{lo},{hi}]")

    sc = doc["scenario"]
    if not (sc["start"] <= sc["end"]):
        err("start > end")
    sids = [s["id"] for s in doc["state"]]
    if len(set(sids)) != len(sids):
        err("duplicate state ids")
    if len(set(s["ccode"] for s in doc["state"])) != len(sids):
        err("duplicate ccodes")
    for s in doc["state"]:
        unit(s["power"], f"{s['id']}.power")
        if s["gdp"] <= 0:
            err(f"{s['id']}.gdp <= 0")
        unit(s["democracy"], f"{s['id']}.democracy")
        unit(s["orientation"], f"{s['id']}.orientation")
        if not isinstance(s["major"], bool):
            err(f"{s['id']}.major not bool")
        if len(s["norms"]) != 4:
            err(f"{s['id']}.norms length")
        for i, x in enumerate(s["norms"]):
            unit(x, f"{s['id']}.norms[{i}]")
    tids = [t["id"] for t in doc["treaty"]]
    if len(set(tids)) != len(tids):
        err("duplicate treaty ids")
    for t in doc["treaty"]:
        if t["kind"] not in ("defense", "trade", "regime", "community"):
            err(f"treaty {t['id']} kind {t['kind']}")
        unit(t["salience"], f"{t['id']}.salience")
        if len(set(t["members"])) != len(t["members"]) or not set(t["members"]) <= set(sids):
            err(f"treaty {t['id']} members")
    cids = [c["id"] for c in doc["community"]]
    if len(set(cids)) != len(cids):
        err("duplicate community ids")
    for c in doc["community"]:
        if len(set(c["members"])) != len(c["members"]) or not set(c["members"]) <= set(sids):
            err(f"community {c['id']} members")
    for k in ("trust", "identity"):
        unit(doc["defaults"][k], f"defaults.{k}")
    seen = set()
    for dy in doc["dyad"]:
        a, b = dy["states"]
        key = frozenset((a, b))
        if a == b or a not in sids or b not in sids:
            err(f"dyad {a}-{b} bad states")
        if key in seen:
            err(f"dyad {a}-{b} listed twice")
        seen.add(key)
        unit(dy["trust"], f"dyad {a}-{b} trust")
        unit(dy["identity"], f"dyad {a}-{b} identity")
        if dy["trade"] < 0 or dy["distance"] < 0:
            err(f"dyad {a}-{b} negative trade/distance")
        if not isinstance(dy["contiguous"], bool):
            err(f"dyad {a}-{b} contiguous not bool")
        if dy["contiguous"] and dy["distance"] > 300:
            err(f"dyad {a}-{b} contiguous but {dy['distance']} km apart")
    n = len(sids)
    if len(seen) != n * (n - 1) // 2:
        err(f"{len(seen)} dyads, expected {n * (n - 1) // 2}")
    prev = None
    members = {t["id"]: set(t["members"]) for t in doc["treaty"]}  # walked in event order
    for e in doc.get("event", []):
        at = e["at"]
        key = (at, 0) if isinstance(at, int) else (int(at[:4]), int(at[5:7]))
        if isinstance(at, str) and (len(at) != 7 or at[4] != "-" or not 1 <= key[1] <= 12):
            err(f"event date {at!r}")
        if prev is not None and key < prev:
            err(f"events out of order at {at}")
        prev = key
        if not sc["start"] <= key[0] <= sc["end"]:
            err(f"event {at} outside scenario")
        kind = e["kind"]
        if kind not in EVENT_FIELDS:
            err(f"event kind {kind}")
            continue
        for f in EVENT_FIELDS[kind]:
            if f not in e:
                err(f"event {at} {kind} lacks {f}")
        for f in ("state", "by", "aggressor", "target"):
            if f in e and e[f] not in sids:
                err(f"event {at} {f}={e[f]} unknown")
        for f in ("against", "states"):
            if f in e and not set(e[f]) <= set(sids):
                err(f"event {at} {f} unknown state")
        if "treaty" in e and e["treaty"] not in tids:
            err(f"event {at} treaty {e['treaty']} unknown")
        if "addressed_by" in e and e["addressed_by"] not in tids:
            err(f"event {at} addressed_by unknown")
        if kind in ("withdraw", "announce", "join") and e.get("treaty") in members:
            m = members[e["treaty"]]
            if kind == "join":
                if e["state"] in m:
                    err(f"event {at}: {e['state']} is already a member of {e['treaty']}")
                m.add(e["state"])
            elif e["state"] not in m:
                err(f"event {at}: {e['state']} is not a member of {e['treaty']}")
            elif kind == "withdraw":
                m.discard(e["state"])
        for f in ("rate", "value", "severity"):
            if f in e:
                unit(e[f], f"event {at} {f}")
        if "probability" in e and not (0 < e["probability"] <= 1):
            err(f"event {at} probability")
    if errs:
        die("generated TOML failed validation:\n  " + "\n  ".join(errs))
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help=f"data folder (default {DEFAULT_DATA})")
    ap.add_argument("--variant", default="all", choices=FILES + ["all"],
                    help="which file to write (default all: the base and the three scenarios over it)")
    ap.add_argument("--dir", default=os.path.normpath(os.path.join(HERE, "..")),
                    help="the scenarios folder to write into (default: this repository's scenarios/); "
                         "the files extend each other by relative path, so they stay together")
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        die(f"data folder not found: {a.data}\n"
            "  expected the peace-science data (README.md, cow_nmc_v7.csv, ...); pass --data DIR")
    b = build(load(a.data))
    texts = {name: render(b, name) for name in FILES}
    try:
        import tomllib
    except ImportError:  # Python < 3.11: skip the parse check
        tomllib = None
        print("warning: tomllib not available; output not re-parsed", file=sys.stderr)
    docs = {name: tomllib.loads(text) for name, text in texts.items()} if tomllib else None
    for name in (FILES if a.variant == "all" else [a.variant]):
        doc = validate(compose(docs, name)) if docs else None
        out = os.path.join(a.dir, path_of(name))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w", encoding="ascii", newline="\n") as f:
            f.write(texts[name])
        print(f"wrote {out}", file=sys.stderr)
        if doc is not None:
            print(f"  {len(doc['state'])} states, {len(doc['treaty'])} treaties, {len(doc['community'])} "
                  f"communities, {len(doc['dyad'])} dyads, {len(doc.get('event', []))} events", file=sys.stderr)
    for pair in b["unknown"]:
        print(f"  NOTE: unexpected ATOP defence pledge {'-'.join(sorted(pair))}: treaty added with a "
              "generic id; please identify it", file=sys.stderr)
    if b["other_atop"]:
        print("  ATOP neutrality/offence pledges (not modelled): " + ", ".join(b["other_atop"]),
              file=sys.stderr)
    if b["missing_trade"]:
        print("  dyads with missing trade: " + ", ".join("-".join(p) for p in b["missing_trade"]),
              file=sys.stderr)


if __name__ == "__main__":
    main()
