"""The stand-alone methods appendix.

Design and weights, score bands, the overall-level rule, the A/B/C grade rules with their
reasons, the organisation-strength formula, the programme's four capitals against the seven
analysed, and the review status of every default.

Everything shown is read from ``params/`` (``scoring*.yaml``, ``grades.yaml``, ``design.yaml``,
``publication.yaml``, ``programme_capitals.yaml``); the words are in
``params/labels/appendix.yaml``. Each function takes a
:class:`~abcresearch.reports.context.MethodsContext` and returns a section result, like
:mod:`abcresearch.reports.sections.methods`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.reports.context import MethodsContext
from abcresearch.reports.render.display import format_number
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.levels import level_condition_text

__all__ = ["ProgrammeCapitals", "capital_mapping", "defaults_status", "design_and_weights",
           "grade_rules", "load_programme_capitals", "org_strength", "overall_level",
           "round_sensitivity", "score_bands", "sensitivity"]

_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


@dataclass(frozen=True)
class ProgrammeCapitals:
    """The programme's four capitals and the capitals analysed for each.

    Read from ``params/programme_capitals.yaml``.
    """

    programme: tuple[Mapping[str, Any], ...]
    added: tuple[str, ...]
    verified: bool
    source: str


def _parse_programme_capitals(raw: Mapping[str, Any], path: Path) -> ProgrammeCapitals:
    from abcresearch.params import Problems, language_text

    pr = Problems(path)
    items = raw.get("programme")
    if not isinstance(items, list) or not items:
        pr.add("programme", "must be a non-empty list")
        items = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            pr.add(f"programme[{i}]", "must be a mapping")
            continue
        for key in ("label", "why"):
            if not isinstance(item.get(key), Mapping) or not all(
                    isinstance(item[key].get(lang), str) for lang in ("th", "en")):
                pr.add(f"programme[{i}].{key}", "must give th and en text")
        caps = item.get("capitals")
        if not isinstance(caps, list) or not caps:
            pr.add(f"programme[{i}].capitals", "must be a non-empty list of capital ids")
    added = raw.get("added") or []
    if not isinstance(added, list):
        pr.add("added", "must be a list of capital ids")
        added = []
    if not isinstance(raw.get("verified"), bool):
        pr.add("verified", "must be true or false")
    pr.raise_if_any()
    return ProgrammeCapitals(tuple(items), tuple(map(str, added)), bool(raw["verified"]),
                             language_text(raw.get("source")))


def load_programme_capitals(path: str | Path | None = None) -> ProgrammeCapitals:
    """Load ``params/programme_capitals.yaml`` (or ``path``)."""
    from abcresearch.params import load

    return load(path or "programme_capitals", _parse_programme_capitals)


def design_and_weights(report: MethodsContext, round_design: Any = None) -> SectionResult:
    """Return the design, the weights and the disclosure rule in words.

    ``round_design``: the round's design (:func:`abcresearch.reports.sections.methods.
    round_design`); a round that samples villages gets its two-stage weights and counts.
    """
    from abcresearch.reports.disclosure import publication_rules

    d = report.design_spec
    out = SectionBuilder("design_and_weights", report.words)
    out.heading("appendix.design")
    base = publication_rules().weighted_count_base
    if round_design is not None and round_design.two_stage:
        out.text(report.t("appendix.design_text_two_stage", be=round_design.survey_round,
                          sampled=f"{round_design.villages_sampled:,}",
                          total=f"{round_design.villages_total:,}", base=base,
                          level=100 * d.level, threshold=d.suppression_threshold))
    else:
        out.text(report.t("appendix.design_text", base=base, level=100 * d.level,
                          threshold=d.suppression_threshold))
    return out.result()


def score_bands(report: MethodsContext) -> SectionResult:
    """Return the score band of each level and what the level means.

    One table row per level and set of capitals sharing its bands.
    """
    t, sch = report.t, report.scheme
    out = SectionBuilder("score_bands", report.words)
    out.heading("appendix.bands")
    groups: dict[tuple[tuple[int, float, float], ...], list[str]] = {}
    for cap in sch.capitals:
        key = tuple((int(b[0]), float(b[1]), float(b[2])) for b in cap.bands)
        groups.setdefault(key, []).append(cap.label(report.lang))
    rows = []
    for bands, caps in groups.items():
        for level, lo, hi in bands:
            row = {t("appendix.col.level"): str(level), t("appendix.col.from"): f"{lo:g}",
                   t("appendix.col.to"): f"{hi:g}",
                   t("appendix.col.meaning"): sch.level_label(level, report.lang)}
            if len(groups) > 1:
                row = {t("col.capital"): ", ".join(caps), **row}
            rows.append(row)
    out.table(pd.DataFrame(rows), t("appendix.bands"), t("appendix.bands_note"))
    return out.result()


def overall_level(report: MethodsContext) -> SectionResult:
    """Return the overall-level rule, one line per rule in the order they are tried."""
    t, sch = report.t, report.scheme
    out = SectionBuilder("overall_level", report.words)
    out.heading("appendix.overall")
    rules = sch.overall.get("rules", [])
    lines: list[str] = []
    for rule in rules:
        if rule.get("otherwise"):
            cond = t("appendix.rule.otherwise")
        else:
            joiner = t("appendix.and") if "all" in rule else t("appendix.or")
            cond = joiner.join(level_condition_text(t, c, report.capital_name)
                               for c in rule.get("all", rule.get("any", [])))
        lines.append(f"{len(lines) + 1}. " + t("appendix.rule.line", level=rule["level"],
                                                 conditions=cond))
    out.text(t("appendix.overall_text", min=sch.overall.get("min_capitals_scored"))
             + "\n\n" + "\n".join(lines))
    return out.result()


def _indicator(t: Any, report: MethodsContext, name: str) -> str:
    if name.startswith("mean_") and name != "mean_score":
        return report.capital_name(name.removeprefix("mean_"))
    key = f"appendix.ind.{name}"
    text = t(key)
    return name if text == key else text


def grade_rules(report: MethodsContext) -> SectionResult:
    """Return the A/B/C rules in the order they are tried, with the reason for each."""
    t, gr, lang = report.t, report.grades, report.lang
    out = SectionBuilder("grade_rules", report.words)
    out.heading("appendix.grades")
    out.text(t("appendix.grades_text"))
    rows = []
    for rule in gr.rules:
        why = rule.get("why") or {}
        rows.append({t("appendix.col.group"): gr.grade_labels[rule["grade"]][lang],
                     t("appendix.col.conditions"): _conditions(report, rule),
                     t("appendix.col.why"): why.get(lang, "")})
    out.table(pd.DataFrame(rows), t("appendix.grades"))
    # the need class beside the group, and the support bands both order: the reports name
    # them ("ความจำเป็นสูง", "ลำดับ 1") and the appendix says what they are
    if gr.need_rules and gr.need_labels:
        out.heading("appendix.need")
        out.text((gr.need_why or {}).get(lang, ""))
        out.table(pd.DataFrame({
            t("appendix.col.need"): [gr.need_labels[r["grade"]][lang] for r in gr.need_rules],
            t("appendix.col.conditions"): [t("appendix.need_otherwise") if r.get("otherwise")
                                           else _conditions(report, r) for r in gr.need_rules]}),
            t("appendix.need_rules"))
        if gr.need_order and gr.grade_order:
            out.text((gr.priority_why or {}).get(lang, ""))
            out.table(pd.DataFrame({
                t("appendix.col.band"): list(range(1, len(gr.bands) + 1)),
                t("appendix.col.need"): [gr.need_labels[n][lang] for n, _ in gr.bands],
                t("appendix.col.group"): [gr.grade_labels[g][lang] for _, g in gr.bands]}),
                t("appendix.support_bands"))
    return out.result()


def _conditions(report: MethodsContext, rule: Mapping[str, Any]) -> str:
    """Say a grade or need rule's conditions in words ("ขั้น... < 2 หรือ ...")."""
    t = report.t
    if rule.get("otherwise"):
        return str(t("appendix.otherwise"))
    joiner = t("appendix.and") if "all" in rule else t("appendix.or")
    return str(joiner.join(f"{_indicator(t, report, c['indicator'])} "
                           f"{_OPS.get(c['op'], c['op'])} {float(c['value']):g}"
                           for c in rule.get("all", rule.get("any", []))))


def org_strength(report: MethodsContext) -> SectionResult:
    """Return the organisation-strength formula and its components."""
    t = report.t
    comps = report.grades.org_components
    out = SectionBuilder("org_strength", report.words)
    out.heading("appendix.org")
    out.text(t("appendix.org_text"))
    out.table(pd.DataFrame({
        t("appendix.col.component"): [t(f"appendix.org.{c}") for c in comps],
        t("appendix.col.weight"): [f"{float(v['weight']):g}" for v in comps.values()],
        t("appendix.col.full"): [f"{float(v['full']):g}" for v in comps.values()]}),
        t("appendix.org"), t("appendix.org_pooled"))
    return out.result()


def capital_mapping(report: MethodsContext) -> SectionResult:
    """Return the programme's four named capitals against the seven analysed."""
    t, lang = report.t, report.lang
    pc = load_programme_capitals()
    out = SectionBuilder("capital_mapping", report.words)
    out.heading("appendix.mapping")
    out.table(pd.DataFrame({
        t("appendix.col.programme"): [p["label"][lang] for p in pc.programme],
        t("appendix.col.capitals"): [", ".join(report.capital_name(c) for c in p["capitals"])
                                     for p in pc.programme],
        t("appendix.col.why"): [p["why"][lang] for p in pc.programme]}),
        t("appendix.mapping"),
        t("appendix.mapping_added", capitals=", ".join(report.capital_name(c)
                                                       for c in pc.added)))
    return out.result()


def defaults_status(report: MethodsContext) -> SectionResult:
    """Return every rules file in ``params/`` with its source and whether it was reviewed."""
    from abcresearch.errors import ParamsError
    from abcresearch.params import language_text, read_yaml
    from abcresearch.paths import params_dir

    t = report.t
    rows = []
    for path in sorted(params_dir().glob("*.yaml")):
        try:  # read once per version of the file, with libyaml's parser (0.4 s before)
            raw = read_yaml(path)
        except ParamsError:
            continue
        if not isinstance(raw, Mapping) or "verified" not in raw:
            continue
        rows.append({t("appendix.col.file"): path.name,
                     t("appendix.col.source"): language_text(raw.get("source"), report.lang),
                     t("appendix.col.verified"): t("appendix.yes") if raw["verified"] is True
                     else t("appendix.no")})
    out = SectionBuilder("defaults_status", report.words)
    out.heading("appendix.defaults")
    out.text(t("appendix.defaults_text"))
    out.table(pd.DataFrame(rows), t("appendix.defaults"))
    return out.result()


def round_sensitivity(survey_round: int, store: str | Path | None = None,
                      shift: float = 0.10, scheme: Any = None) -> pd.DataFrame:
    """Compute the sensitivity of a round's grades from the store.

    Every threshold moved by ``shift`` of its value, and the Alkire-Foster k at the nearest
    other rules (:func:`abcresearch.scoring.sensitivity.grade_sensitivity`), under the round's
    design (chosen from its frame as for the reports) and the given scoring scheme (default the
    default scheme). A relative ``store`` resolves against the project. The table is kept
    beside the round's analysis cache once that is built
    (:func:`abcresearch.analysis.round.round_cached_table`), so a round's batches make it once.

    Returns
    -------
    pandas.DataFrame
        :data:`abcresearch.scoring.sensitivity.COLUMNS`.
    """
    from abcresearch.analysis.design import choose_design
    from abcresearch.analysis.round import round_cached_table, round_frame, score_round
    from abcresearch.paths import project_path
    from abcresearch.scoring.scheme_file import load_scheme
    from abcresearch.scoring.sensitivity import COLUMNS, grade_sensitivity
    from abcresearch.store import read as data

    root = project_path(store)
    sch = scheme if scheme is not None else load_scheme()

    def compute() -> pd.DataFrame:
        hh = data.load(survey_round, store=root, table="households")
        vil = data.load(survey_round, store=root, table="villages")
        hh = hh[hh["weight"].notna()]
        derived, hs = score_round(hh, vil, sch)
        spec = choose_design(round_frame(survey_round, root))
        return grade_sensitivity(spec.build(derived), hs, vil, shift=shift, level=spec.level)

    # the same for every batch of the round's rules: made once, kept with the round's analysis
    return round_cached_table(survey_round, "sensitivity", compute, root, sch,
                              inputs=("grade_sensitivity", float(shift), "k: nearest rules"),
                              columns=COLUMNS)


def sensitivity_unavailable(report: MethodsContext, survey_round: int, reason: str
                            ) -> SectionResult:
    """Return the sensitivity heading with one sentence on why the table is missing.

    Parameters
    ----------
    report : MethodsContext
        The appendix.
    survey_round : int
        Buddhist-era year of the round asked for.
    reason : str
        The store's one-sentence error.
    """
    out = SectionBuilder("sensitivity", report.words)
    out.heading("appendix.sensitivity")
    out.text(report.t("appendix.sensitivity_unavailable", be=survey_round, reason=reason))
    return out.result()


def sensitivity(report: MethodsContext, table: pd.DataFrame, survey_round: int,
                shift: float = 0.10) -> SectionResult:
    """Return the sensitivity table: how many areas change group, need class or band.

    Parameters
    ----------
    report : MethodsContext
        The appendix.
    table : pandas.DataFrame
        :func:`round_sensitivity` (or :func:`~abcresearch.scoring.sensitivity.
        grade_sensitivity`) of the round.
    survey_round : int
        Buddhist-era year of the round.
    shift : float
        The relative move of the thresholds in ``table``.
    """
    t = report.t
    out = SectionBuilder("sensitivity", report.words)
    out.heading("appendix.sensitivity")
    weights = list(report.scheme.af_weights.values())
    k_rows = table[table["parameter"] == "af_k"]

    def cutoff(k: float) -> str:
        # with equal weights a cut-off is a number of capitals ("2 of 7"), which is what the
        # rule means; 25, 33 and 40% were printed as three rules, and 33 and 40% are one
        text = f"k = {format_number(k, 0, scale=100)}%"
        if len(set(round(w, 9) for w in weights)) == 1:
            # the fewest capitals whose weights reach k (k = 1/3 of 7 is 3, not round()'s 2)
            n = math.ceil(k * len(weights) - 1e-9)
            text += " " + t("appendix.k_capitals", n=n, of=len(weights))
        return text

    used = float(k_rows["value"].iloc[0]) if len(k_rows) else float(report.scheme.af_k)
    shown = sorted(set(k_rows["new_value"].astype(float)))
    out.text(t("appendix.sensitivity_text", shift=100 * shift, be=survey_round,
               used=cutoff(used), ks=t("appendix.and").join(cutoff(k) for k in shown)))
    rows = []
    for _, r in table.iterrows():
        if r["parameter"] == "af_k":
            moved = cutoff(float(r["new_value"]))
        else:
            moved = (f"{_indicator(t, report, str(r['indicator']))} "
                     f"{_OPS.get(str(r['op']), str(r['op']))} {float(r['value']):g} → "
                     f"{float(r['new_value']):g}")
        rows.append({t("appendix.col.area_level"): t(f"appendix.level.{r['level']}"),
                     t("appendix.col.moved"): moved,
                     t("appendix.col.areas"): int(r["n_areas"]),
                     t("appendix.col.grades_changed"): int(r["grades_changed"]),
                     t("appendix.col.need_changed"): int(r["need_changed"]),
                     t("appendix.col.bands_changed"): int(r["bands_changed"])})
    out.table(pd.DataFrame(rows), t("appendix.sensitivity"))
    return out.result(estimates=table)
