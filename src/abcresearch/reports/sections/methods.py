"""Sections of the methods appendix.

title, the instrument's codebook, the scoring scheme and the statistical method. Everything shown is
read from ``params/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from abcresearch.reports.context import MethodsContext
from abcresearch.reports.formatting import scheme_version, with_aside
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder, check_subset
from abcresearch.scoring.scheme import ItemRule
from abcresearch.software import software_label
from abcresearch.survey.instrument import choices, codebook, load_form

__all__ = ["RoundDesign", "cover", "instrument", "round_design", "rule_in_words", "scoring_scheme",
           "statistics"]


def cover(report: MethodsContext) -> SectionResult:
    """Return the title block with the versions of the form, scheme, grade rules and software."""
    sch = report.scheme
    form = load_form("household")
    text = (f"# {report.t('methods.title')}\n\n"
            + report.t("methods.versions", form=form.form_id, form_version=form.version,
                       scheme=sch.scheme_id, scheme_version=sch.scheme_version,
                       grades=report.grades.scheme_id,
                       grades_version=report.grades.scheme_version, version=software_label()))
    out = SectionBuilder("cover", report.words)
    out.text(text)
    return out.result()


def _number(x: float) -> str:
    """Return a rule's bound as a reader writes it: 10,000,000 (not 1e+07), 0.5, 2."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,g}"


def rule_in_words(rule: ItemRule, t: Callable[..., str], lang: str) -> str:
    """Say an item's scoring rule in the report's language, choices named by their labels.

    The rules' own words (:meth:`~abcresearch.scoring.scheme.ItemRule.describe`) name choices by
    their codes ("none -> 0, primary -> 0.3"); a reader of the appendix knows them by the
    form's labels ("ไม่ได้เรียน = 0, ประถมศึกษา = 0.3"). A code the form's choice list lacks is
    written as it is.

    Parameters
    ----------
    rule : ItemRule
        One item's rule.
    t : callable
        The report's label function (``report.t``).
    lang : str
        The report's language (``th`` or ``en``).
    """
    from abcresearch.errors import ParamsError
    from abcresearch.reports.sections.common import names_list

    labels: dict[str, str] = {}
    if rule.list_name:
        try:
            table = choices(rule.list_name)
        except ParamsError:  # a list of another form: the codes then
            table = None
        if table is not None:
            labels = dict(zip(table["name"].astype(str), table[f"label_{lang}"].astype(str),
                              strict=True))

    def name(code: Any) -> str:
        return labels.get(str(code), str(code))

    def quoted(codes: Any) -> list[str]:  # labels may hold "และ", "/" or spaces
        return [t("methods.rule_text.quoted", choice=name(c)) for c in codes]

    o = rule.options
    if rule.kind in ("yes", "no"):
        # an unanswered item is missing, not 0: name the other answer that scores 0
        others = [c for c in labels if c != rule.kind]
        other = (quoted(others)[0] if len(others) == 1
                 else t("methods.rule_text.other_answer"))
        return t("methods.rule_text.answer", choice=quoted([rule.kind])[0], other=other)
    if rule.kind == "map":
        return t("methods.rule_text.choice_separator").join(
            t("methods.rule_text.choice", choice=name(k), score=f"{v:g}")
            for k, v in o["map"].items())
    if rule.kind in ("linear", "log_linear"):
        x = rule.item
        for key in ("per", "divide_by"):
            if o.get(key):
                x = t("methods.rule_text.per", x=x, by=o[key])
        # log_linear: the bounds are values of x; the score is linear in log(1 + x) between them
        text = t("methods.rule_text.line_log" if rule.kind == "log_linear"
                 else "methods.rule_text.line", x=x, lo=_number(o["lo"]), hi=_number(o["hi"]))
    elif rule.kind == "count_selected":  # the scheme's loader always lists the choices
        text = t("methods.rule_text.count", choices=names_list(t, quoted(o["choices"])),
                 cap=f"{o['cap']:g}")
    else:  # selected_any, not_selected: "any of a, b or c"
        key = "methods.rule_text.any" if rule.kind == "selected_any" else "methods.rule_text.none"
        return t(key, choices=names_list(t, quoted(o["choices"]), either=True))
    return t("methods.rule_text.reversed", text=text) if o.get("reverse") else text


def _rule(r: pd.Series, lang: str) -> str:
    """Return an item's range ("0–365") or its choices as the form words them ("ใช่ · ไม่ใช่")."""
    from abcresearch.errors import ParamsError

    if pd.notna(r["min"]):
        return f"{_number(r['min'])}–{_number(r['max'])}"
    if pd.notna(r["list_name"]) and r["list_name"]:  # a text or date item has neither
        try:
            table = choices(r["list_name"])
        except ParamsError:  # a list of another form: its name then
            return str(r["list_name"])
        return " · ".join(table[f"label_{lang}"].astype(str))
    return ""


#: XLSForm types the form fills in itself (when the interview started and ended): not questions.
_FORM_METADATA = ("start", "end", "today", "deviceid", "username", "audit")


def instrument(report: MethodsContext, *, capitals: Sequence[str] | None = None
               ) -> SectionResult:
    """Return the codebook: household items by capital, the other household items, the roster.

    The other items are the household's size (which rules divide by), the head's age and sex
    and the interview's date and consent; named and identifying items are left out.

    Parameters
    ----------
    report : MethodsContext
        The rules in force.
    capitals : sequence of str, optional
        Only the items of these capitals (default: every capital of the instrument).
    """
    from abcresearch.errors import ParamsError

    t = report.t
    cb = codebook("households")
    items = cb[cb["capital"].notna()]
    lab = f"label_{report.lang}"
    known = list(items["capital"].unique())
    if capitals is None:
        caps = list(report.scheme.capital_ids) if set(report.scheme.capital_ids) <= set(
            items["capital"]) else known
    else:
        caps = list(check_subset("capitals", capitals, known))
    def kind(types: pd.Series) -> list[str]:  # "select_one" read as a code: in words
        words = []
        for full in types.astype(str):
            base = full.split()[0] if full.split() else full
            try:
                words.append(t(f"methods.type.{base}"))
            except ParamsError:  # a type the labels do not name: as the form writes it
                words.append(full)
        return words

    out = SectionBuilder("instrument", report.words, {"capitals": capitals})
    out.heading("methods.instrument")
    for cap in caps:
        sub = items[items["capital"] == cap]
        if sub.empty:
            continue
        out.table(pd.DataFrame({
            t("methods.item"): sub["name"].to_numpy(),
            t("methods.question"): sub[lab].to_numpy(),
            t("methods.type"): kind(sub["type"]),
            t("methods.values"): [_rule(r, report.lang) for _, r in sub.iterrows()],
        }), report.capital_name(cap))
    # the household's other items (its size, which rules divide by; the head's age and sex;
    # the interview's date and consent), named and sensitive ones as the roster lists them
    other = cb[cb["capital"].isna() & (cb["personal"].isna() | (cb["personal"] == "sensitive"))
               & ~cb["type"].isin(_FORM_METADATA)]
    if not other.empty:
        out.table(pd.DataFrame({
            t("methods.item"): other["name"].to_numpy(),
            t("methods.question"): other[lab].to_numpy(),
            t("methods.type"): kind(other["type"]),
            t("methods.values"): [_rule(r, report.lang) for _, r in other.iterrows()],
        }), t("methods.household_other"))
    roster = codebook("members")
    roster = roster[roster["personal"].isna() | (roster["personal"] == "sensitive")]
    out.table(pd.DataFrame({t("methods.item"): roster["name"].to_numpy(),
                            t("methods.question"): roster[lab].to_numpy(),
                            t("methods.type"): kind(roster["type"])}),
              t("methods.roster"))
    out.text(t("methods.personal"))
    return out.result(estimates=items)


def scoring_scheme(report: MethodsContext) -> SectionResult:
    """Item rules and weights, level bands, the overall level and tracks, Alkire-Foster."""
    t = report.t
    sch = report.scheme
    out = SectionBuilder("scoring_scheme", report.words)
    out.heading("methods.scoring")
    rules = sch.rules_table(report.lang)
    rules["capital"] = [report.capital_name(c) for c in rules["capital"]]
    # the rule's kind and its words in the report's language, choices by their labels
    rules["rule"] = [t(f"methods.kind.{r.kind}") for r in sch.items]
    rules["description"] = [rule_in_words(r, t, report.lang) for r in sch.items]
    rules.columns = [t("col.capital"), t("methods.item"), t("methods.rule"),
                     t("methods.weight"), t("methods.not_relevant"), t("methods.description")]
    out.text(t("methods.scoring_text", share=sch.min_share_items) + " "
             + t("methods.scoring_tables",
                 scheme=with_aside(sch.title[report.lang], scheme_version(sch)))
             + " " + t("methods.not_relevant_note"))
    # one table per capital, as the instrument's: the rules' words get the width a capital
    # column repeated on every row took
    for name, rows in rules.groupby(t("col.capital"), sort=False):
        out.table(rows.drop(columns=t("col.capital")).reset_index(drop=True),
                  f"{name} ({scheme_version(sch)})", decimals=3)
    levels = pd.DataFrame({
        t("methods.level"): list(sch.level_labels),
        t("methods.meaning"): [sch.level_label(lv, report.lang) for lv in sch.level_labels]})
    out.table(levels, t("methods.levels"))
    caps = pd.DataFrame({
        t("col.capital"): [c.label(report.lang) for c in sch.capitals],
        t("methods.af_weight"): [c.af_weight for c in sch.capitals],
        # a cut-off is a score as the rules write it (40, not 40.000 beside the weights)
        t("methods.cutoff"): [_number(c.deprivation_cutoff) for c in sch.capitals]})
    out.table(caps, t("methods.af", k=f"{100 * sch.af_k:.0f}%"), decimals=3)
    out.text(t("methods.grades_text", rules=scheme_version(report.grades),
               grade_indicators=_indicators(report, "grade"),
               need_indicators=_indicators(report, "need")))
    return out.result(estimates=rules)


def _indicators(report: MethodsContext, rule_set: str) -> str:
    """Name the indicators one rule set of the grade rules tests, in order, as a list in words.

    Read from the rules in force (``params/grades.yaml``), so the sentence that says what sets the
    groups and the need class never drifts from them (it named the level-1 share and M0 as
    deciding the group after the rules had moved them to the need class).
    """
    from abcresearch.errors import ParamsError
    from abcresearch.reports.sections.common import names_list

    seen = dict.fromkeys(th["indicator"] for th in report.grades.thresholds()
                         if th["rule_set"] == rule_set)
    names = []
    for name in seen:
        # the running-text name where a table's label reads badly in a sentence
        # ("has a community master plan (1 = yes)"), else the table's label, else the name
        text = name
        for key in (f"appendix.ind_text.{name}", f"appendix.ind.{name}"):
            try:
                text = report.t(key)
            except ParamsError:  # no such label
                continue
            break
        names.append(text)
    return names_list(report.t, names)


def statistics(report: MethodsContext, round_design: RoundDesign | None = None
               ) -> SectionResult:
    """Return the statistical method in words (design, intervals, suppression, lonely PSUs).

    ``round_design``: the design of the round the appendix goes with
    (:func:`round_design`); a round that samples villages is described as the two-stage
    sample it is, with its counts and model estimates (it was described as a census of
    villages).
    """
    d = report.design_spec
    out = SectionBuilder("statistics", report.words)
    out.heading("methods.statistics")
    if round_design is not None and round_design.two_stage:
        from abcresearch.analysis.status import load_status_rules

        out.text(report.t("methods.statistics_text_two_stage", be=round_design.survey_round,
                          level=d.level, threshold=d.suppression_threshold,
                          min_villages=load_status_rules().min_sampled_villages))
    else:
        out.text(report.t("methods.statistics_text", level=d.level,
                          threshold=d.suppression_threshold, lonely=d.lonely_psu))
    return out.result(details={"design": "two_stage" if round_design is not None
                               and round_design.two_stage else "census"})


@dataclass(frozen=True)
class RoundDesign:
    """What the methods appendix says about the round it goes with."""

    survey_round: int
    two_stage: bool
    villages_sampled: int
    villages_total: int


def round_design(survey_round: int, store: Any = None) -> RoundDesign | None:
    """Return the design of a round of the store (None without the round or its store)."""
    from abcresearch.analysis.design import choose_design
    from abcresearch.analysis.round import round_frame
    from abcresearch.errors import DesignError, StoreError
    from abcresearch.paths import project_path

    try:
        frame = round_frame(int(survey_round), project_path(store))
        spec = choose_design(frame)
    except (StoreError, DesignError):
        return None
    sampled = total = 0
    if frame is not None and not frame.empty:
        total = int(frame["village_code"].nunique())
        flag = (pd.to_numeric(frame["sampled"], errors="coerce").fillna(0) == 1
                if "sampled" in frame.columns else None)
        sampled = int(flag.sum()) if flag is not None else total
    return RoundDesign(int(survey_round), spec.name == "two_stage", sampled, total)
