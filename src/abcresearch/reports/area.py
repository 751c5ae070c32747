"""The content of a per-area report: one method per section, each displaying its own output.

A report notebook stays thin::

    report = AreaReport.load(area_code, survey_round, store=store, lang=lang)
    report.cover()
    report.key_findings()
    ...

Every number comes from the round's cached analysis (:mod:`abcresearch.analysis.round`) and the design
declared in ``params/design.yaml``; every word comes from ``params/labels.yaml`` or the scheme's
own labels, in Thai or English. Tables go through disclosure control (:mod:`abcresearch.reports.disclosure`):
no published cell describes fewer than 5 households, and no personal data is ever loaded (the
store holds none).

The section methods display their output (for papermill / JupyterLab) and return None, so a
notebook cell shows only the typeset output; the numbers behind each section are kept in
``report.results[<section>]`` for tests and for researchers who want them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch import __version__
from abcresearch.analysis.round import (
    DesignSpec,
    RoundAnalysis,
    area_design,
    design_spec,
    round_analysis,
)
from abcresearch.errors import AbcResearchWarning, StoreError
from abcresearch.labels import label
from abcresearch.reports.disclosure import (
    SUPPRESSED,
    marker,
    share_mask,
    suppress_by_base,
    suppress_counts,
)
from abcresearch.reports.sections import RoundReportMixin, in_ipython
from abcresearch.store import read as data_mod
from abcresearch.survey.areas import Area, get_area

#: Child level of each area level (what the "villages" section lists).
_CHILD = {"province": "amphoe_code", "amphoe": "tambon_code", "tambon": "village_code",
          "village": "village_code"}
_CODE_COL = {"province": "province_code", "amphoe": "amphoe_code", "tambon": "tambon_code",
             "village": "village_code"}


def _fmt_ci(est: float, low: float, high: float, digits: int = 1, scale: float = 1.0,
            hidden: str = SUPPRESSED) -> str:
    if any(pd.isna(v) for v in (est, low, high)):
        return hidden if pd.isna(est) else "–"
    return (f"{est * scale:,.{digits}f} ({low * scale:,.{digits}f}–"
            f"{high * scale:,.{digits}f})")


@dataclass
class AreaReport(RoundReportMixin):
    """One area's report content for one round.

    Build it with :meth:`load`. Attributes are the inputs; the analysis is cached per round.
    """

    area: Area
    survey_round: int
    lang: str
    analysis: RoundAnalysis = field(repr=False)
    design_spec: DesignSpec = field(repr=False)
    store: Path | None = None
    outputs: list[Any] = field(default_factory=list, repr=False)
    results: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, area_code: str, survey_round: int, store: str | Path | None = None,
             lang: str = "th", scheme: str | None = None) -> AreaReport:
        """Check the parameters and load the round's analysis.

        Parameters
        ----------
        area_code : str
            Village (8 digits), tambon (6), amphoe (4) or province (2) code.
        survey_round : int
            Buddhist-era year of the round.
        store : path, optional
            The analysis store (default ``data/store``).
        lang : {"th", "en"}
            Report language.
        scheme : str, optional
            Scoring scheme (default ``params/scoring.yaml``).

        Raises
        ------
        AreaError
            Unknown area code.
        StoreError
            Round never ingested, or no households of the area in it.
        """
        label("grade", lang)  # validates lang
        store_path = Path(store) if store else None
        area = data_mod.named_area(str(area_code), int(survey_round), store_path)
        analysis = round_analysis(int(survey_round), store_path, scheme)
        report = cls(area=area, survey_round=int(survey_round), lang=lang, analysis=analysis,
                     design_spec=design_spec(), store=store_path)
        if report.households.empty:
            raise StoreError(f"area {area.code} ({area.name_en}) has no households in round "
                             f"{survey_round}")
        return report

    # ------------------------------------------------------------------ helpers
    @property
    def level(self) -> str:
        """Area level: province, amphoe, tambon or village."""
        return self.area.level

    @cached_property
    def households(self) -> pd.DataFrame:
        """Scored households of the area."""
        return self.analysis.area_households(self.area.code).reset_index(drop=True)

    @cached_property
    def design(self):  # noqa: ANN201 - SurveyDesign
        """The survey design of the area's households."""
        return area_design(self.households, self.design_spec)

    @property
    def capitals(self) -> tuple[str, ...]:
        """Capital ids of the scheme."""
        return self.analysis.scheme.capital_ids

    def capital_label(self, cap: str) -> str:
        """Return a capital's label in the report's language."""
        return self.analysis.scheme.capital(cap).label(self.lang)

    @property
    def threshold(self) -> int:
        """Smallest publishable household count."""
        return self.design_spec.suppression_threshold

    @property
    def marker(self) -> str:
        """Text shown in place of a small cell (``<5`` under the default threshold)."""
        return marker(self.threshold)

    def area_name(self, area: Area | None = None) -> str:
        """Return an area's name with its level, in the report's language."""
        return (area or self.area).label(self.lang)

    @cached_property
    def village_forms(self) -> pd.DataFrame:
        """The village-form rows of the area."""
        return data_mod.load(self.survey_round, area=self.area.code, store=self.store,
                             table="villages")

    def _child_name(self, code: str) -> str:
        try:
            name = self.area_name(get_area(code))
        except Exception:  # an unknown code is shown as is
            return code
        if len(code) == 8:
            forms = self.village_forms.set_index("village_code")["village_name"]
            if code in forms.index and isinstance(forms[code], str) and forms[code].strip():
                # village names are Thai proper nouns with no official romanisation
                vname = forms[code].strip()
                name = f"{name} {vname}" if self.lang == "th" else f"{name} ({vname})"
        return name

    # ------------------------------------------------------------------ grade lookups
    @cached_property
    def grade_row(self) -> pd.Series | None:
        """This area's grade row (villages and tambons are graded; others are not)."""
        if self.level == "village":
            t = self.analysis.villages.set_index("village_code")
        elif self.level == "tambon":
            t = self.analysis.tambons.set_index("tambon_code")
        else:
            return None
        return t.loc[self.area.code] if self.area.code in t.index else None

    @cached_property
    def children(self) -> pd.DataFrame:
        """Grade rows of the areas within (villages of a tambon, tambons of an amphoe)."""
        if self.level in ("tambon", "village"):
            t = self.analysis.villages
            t = t[t["village_code"].str.startswith(self.area.code)].copy()
            t["code"] = t["village_code"]
        else:
            t = self.analysis.tambons
            t = t[t["tambon_code"].str.startswith(self.area.code)].copy()
            t["code"] = t["tambon_code"]
        return t.sort_values("priority_rank").reset_index(drop=True)

    def _grade_text(self) -> str:
        row = self.grade_row
        if not self.publishable:
            return self.t("cover.grade", grade=self.marker)
        if row is None or pd.isna(row.get("grade")):
            counts = self.children["grade"].value_counts()
            return self.t("cover.grade_counts", a=int(counts.get("A", 0)),
                          b=int(counts.get("B", 0)), c=int(counts.get("C", 0)))
        return self.t("cover.grade", grade=row[f"grade_label_{self.lang}"])

    # ------------------------------------------------------------------ sections
    def cover(self) -> None:
        """Display the cover block: names, round, counts, grade, synthetic banner, provenance."""
        be = self.survey_round
        a = self.area
        parent = ""
        if a.parent:
            parent = self.t("cover.in", parent=self.area_name(get_area(a.parent)))
        n_vil = self.households["village_code"].nunique()
        n_hh = len(self.households)
        fingerprint = self.fingerprint()
        scheme = f"{self.analysis.scheme.scheme_id} v{self.analysis.scheme.scheme_version}"
        lines = [
            f"**{self.t('level.' + a.level)}** {parent}",
            f"{self.t('round')} {self.t('round.years', be=be, ce=be - 543)}",
            self.t("cover.surveyed", villages=f"{n_vil:,}", households=f"{n_hh:,}"),
            f"**{self._grade_text()}**",
        ]
        if self.analysis.synthetic:
            lines.append(f"**{self.t('synthetic.banner')}**")
        lines.append(self.t("cover.provenance", fingerprint=fingerprint, scheme=scheme,
                            version=__version__))
        self._cover_block(a.name_th, a.name_en, lines)

    def fingerprint(self) -> str:
        """Short hash of the store partitions that hold this area's data."""
        import hashlib
        fp = self.analysis.manifest.get("fingerprints", {})
        tambons = set(self.households["tambon_code"])
        parts = sorted(f"{table}/{tambon}={digest}" for table, per in fp.items()
                       if isinstance(per, dict)
                       for tambon, digest in per.items() if tambon in tambons)
        return hashlib.sha256("".join(parts).encode()).hexdigest()[:12] if parts else "–"

    def key_findings(self) -> None:
        """Display plain-language findings generated from the estimates."""
        self._heading("section.findings")
        out: list[str] = []
        row = self.grade_row
        if row is not None and not pd.isna(row.get("grade")) and self.publishable:
            reason = row.get(f"reason_{self.lang}") or ""
            out.append(self.t("find.grade", area=self.area_name(),
                              grade=row[f"grade_label_{self.lang}"], reason=reason))
        prof = self.profile_table()
        ok = prof.dropna(subset=["estimate"])
        if not ok.empty:
            best, worst = ok["estimate"].idxmax(), ok["estimate"].idxmin()
            out.append(self.t("find.strongest", capital=self.capital_label(best),
                              score=ok.loc[best, "estimate"], weak=self.capital_label(worst),
                              weak_score=ok.loc[worst, "estimate"]))
            below = ok[ok["ci_high"] < ok["province"]]
            if not below.empty and self.level != "province":
                cap = (below["province"] - below["estimate"]).idxmax()
                out.append(self.t("find.below_province", capital=self.capital_label(cap),
                                  score=ok.loc[cap, "estimate"],
                                  province=ok.loc[cap, "province"]))
            above = ok[ok["ci_low"] > ok["province"]]
            if not above.empty and self.level != "province":
                cap = (above["estimate"] - above["province"]).idxmax()
                out.append(self.t("find.above_province", capital=self.capital_label(cap),
                                  score=ok.loc[cap, "estimate"],
                                  province=ok.loc[cap, "province"]))
        l1 = self.design.ciprop("level1", na_rm=True, level=self.design_spec.level)
        if self.level1_publishable:
            r = l1.iloc[0]
            out.append(self.t("find.level1", share=100 * r["estimate"], low=100 * r["ci_low"],
                              high=100 * r["ci_high"]))
        af = self.af_result
        contrib = af.contribution["estimate"]
        if not contrib.empty and af.H["estimate"].iloc[0] > 0:
            top = str(contrib.idxmax()).removeprefix("dep_")
            out.append(self.t("find.m0", h=100 * af.H["estimate"].iloc[0],
                              a=100 * af.A["estimate"].iloc[0], capital=self.capital_label(top)))
        pov = self.poverty
        if pov is not None and not pd.isna(pov["estimate"]):
            out.append(self.t("find.poverty", share=100 * pov["estimate"], line=pov["line"]))
        if self.level in ("tambon", "amphoe"):
            first = self.children[self.children["grade"] == "C"].head(3)
            names = ", ".join(self._child_name(c) for c in first["code"]) or self.t("find.none")
            out.append(self.t("find.priority", areas=names))
        self._text(f"*{self.t('intro.findings')}*\n\n" + "\n".join(f"- {s}" for s in out))
        self.results["key_findings"] = out

    def profile_table(self) -> pd.DataFrame:
        """Capital means of the area with CIs, and the amphoe and province means."""
        rows = []
        means = self.analysis.means
        amphoe = self.area.code[:4] if self.level != "province" else None
        for cap in self.capitals:
            m = self.design.mean(cap, na_rm=True, level=self.design_spec.level).iloc[0]
            prov = means[(means["level"] == "province") & (means["capital"] == cap)]
            amp = means[(means["level"] == "amphoe") & (means["capital"] == cap)
                        & (means["code"] == amphoe)]
            rows.append({"capital": cap, "estimate": m["estimate"], "se": m["se"],
                         "ci_low": m["ci_low"], "ci_high": m["ci_high"], "n": m["n"],
                         "amphoe": amp["estimate"].iloc[0] if len(amp) else np.nan,
                         "province": prov["estimate"].iloc[0] if len(prov) else np.nan})
        out = pd.DataFrame(rows).set_index("capital")
        cols = ["estimate", "se", "ci_low", "ci_high"]
        out[cols] = suppress_by_base(out[cols], out["n"], self.threshold)
        return out

    def capital_profile(self) -> None:
        """Display the capital profile chart and table (area vs amphoe vs province)."""
        self._heading("section.profile")
        prof = self.profile_table()
        self._figure(self._profile_chart(prof))
        shown = pd.DataFrame({
            self.t("col.capital"): [self.capital_label(c) for c in prof.index],
            self.t("col.area"): [_fmt_ci(r.estimate, r.ci_low, r.ci_high)
                                 for r in prof.itertuples()],
            self.t("col.amphoe"): prof["amphoe"].to_numpy(),
            self.t("col.province"): prof["province"].to_numpy(),
        })
        self._table(shown, self.t("cap.profile.caption"), self.t("cap.profile.notes"),
                    decimals=1)
        self.results["capital_profile"] = prof

    def _profile_chart(self, prof: pd.DataFrame) -> Any:
        import matplotlib.pyplot as plt

        from abcresearch.reports.render.fonts import use_thai_font

        use_thai_font()
        fig, ax = plt.subplots(figsize=(7.2, 3.6))
        y = np.arange(len(prof))[::-1]
        names = [self.capital_label(c) for c in prof.index]
        err = np.vstack([prof["estimate"] - prof["ci_low"], prof["ci_high"] - prof["estimate"]])
        ax.barh(y, prof["estimate"], xerr=err, color="#2e7d32", alpha=0.85, height=0.55,
                label=self.t("col.area"), error_kw={"capsize": 3, "lw": 1})
        if self.level not in ("province", "amphoe"):
            ax.scatter(prof["amphoe"], y, marker="D", color="#f9a825", zorder=3, s=28,
                       label=self.t("col.amphoe"))
        if self.level != "province":
            ax.scatter(prof["province"], y, marker="|", color="#1a237e", zorder=4, s=260,
                       linewidths=2.5, label=self.t("col.province"))
        ax.set_yticks(y, names)
        ax.set_xlim(0, 100)
        ax.set_xlabel(self.t("chart.score"))
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return fig

    def levels_and_tracks(self) -> None:
        """Display households by overall level and track, by village (or tambon)."""
        self._heading("section.levels")
        self._text(self.t("intro.levels"))
        hh = self.households
        child = _CHILD[self.level]
        lv = hh["overall_level"].fillna(0).astype(int)
        counts = pd.crosstab(hh[child], lv).reindex(columns=[1, 2, 3, 0], fill_value=0)
        counts.columns = [self.t("col.level1"), self.t("col.level2"), self.t("col.level3"),
                          self.t("col.level_missing")]
        counts = counts.loc[:, (counts.sum() > 0) | (counts.columns != counts.columns[-1])]
        shown, mask = suppress_counts(counts, self.threshold)
        names = [self._child_name(c) for c in counts.index]
        shown.insert(0, self.t(f"col.{'tambon' if child == 'tambon_code' else 'village'}"), names)
        total = counts.sum(axis=1)
        share = (counts.iloc[:, 0] / total.where(total > 0)).mask(
            share_mask(counts.iloc[:, 0], total, self.threshold) | mask.iloc[:, 0].to_numpy())
        shown[self.t("col.share_level1")] = (100 * share).round(1).to_numpy()
        self._figure(self._levels_chart(counts, names, mask))
        self._table(shown.reset_index(drop=True), self.t("levels.caption"),
                    self.t("suppressed.note"), decimals=1)
        # capital levels: share of households at each level, area-wide, design-based
        rows = []
        for cap in self.capitals:
            p = self.design.proportion(f"level_{cap}", na_rm=True, level=self.design_spec.level)
            est = p["estimate"]
            est.index = [int(float(i)) for i in est.index]
            lv_cap = hh[f"level_{cap}"].dropna()
            cnt = np.array([(lv_cap == k).sum() for k in (1, 2, 3)])
            hide = share_mask(cnt, np.full(3, len(lv_cap)), self.threshold)
            rows.append([self.capital_label(cap)] + [
                np.nan if hide[i] else 100 * est.get(k, 0.0) for i, k in enumerate((1, 2, 3))])
        cap_tab = pd.DataFrame(rows, columns=[self.t("col.capital"), self.t("col.level1"),
                                              self.t("col.level2"), self.t("col.level3")])
        self._table(cap_tab, self.t("levels.capital_caption"), decimals=1)
        tracks = hh["track"].value_counts()
        sch = self.analysis.scheme
        tr = pd.DataFrame({self.t("col.track"): [sch.track_label(t["id"], self.lang)
                                                 for t in sch.tracks],
                           self.t("col.households"): [int(tracks.get(t["id"], 0))
                                                      for t in sch.tracks]})
        shown_tr, _ = suppress_counts(tr[[self.t("col.households")]], self.threshold)
        tr[self.t("col.households")] = shown_tr[self.t("col.households")]
        self._table(tr, self.t("tracks.caption"), self.t("suppressed.note"))
        self.results["levels_and_tracks"] = counts

    def _levels_chart(self, counts: pd.DataFrame, names: list[str], mask: pd.DataFrame) -> Any:
        import matplotlib.pyplot as plt

        from abcresearch.reports.render.fonts import use_thai_font

        use_thai_font()
        total = counts.sum(axis=1).replace(0, np.nan)
        share = counts.div(total, axis=0).mask(mask) * 100
        n = len(share)
        fig, ax = plt.subplots(figsize=(7.2, max(2.0, 0.32 * n + 1.0)))
        left = np.zeros(n)
        colors = ["#c62828", "#f9a825", "#2e7d32", "#9e9e9e"]
        y = np.arange(n)[::-1]
        for j, col in enumerate(share.columns):
            vals = share[col].fillna(0).to_numpy()
            ax.barh(y, vals, left=left, color=colors[j % 4], label=col, height=0.7)
            left += vals
        ax.set_yticks(y, names, fontsize=8)
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
        ax.legend(ncol=4, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return fig

    @cached_property
    def af_result(self):  # noqa: ANN201 - AlkireFosterResult
        """Alkire-Foster measures of the area over the capitals."""
        from abcresearch.scoring.alkire_foster import alkire_foster

        sch = self.analysis.scheme
        ind = [f"dep_{c}" for c in self.capitals]
        weights = {f"dep_{c}": w for c, w in sch.af_weights.items()}
        return alkire_foster(self.design, ind, k=sch.af_k, weights=weights, na_rm=True,
                             level=self.design_spec.level)

    def deprivation(self) -> None:
        """Display H, A and M0 with CIs and each capital's contribution."""
        self._heading("section.deprivation")
        k = self.analysis.scheme.af_k
        self._text(self.t("intro.deprivation", k=k))
        af = self.af_result
        hhd = af.household
        poor = (hhd["poor"].dropna().astype(bool) if hhd is not None
                else pd.Series(dtype=bool))
        n_poor, n_base = float(poor.sum()), float(len(poor))
        # H is a share of households (numerator rule); A is a mean over the poor households only
        ok_m = {"H": not share_mask(np.array([n_poor]), np.array([n_base]), self.threshold)[0],
                "A": n_poor >= self.threshold, "M0": self.publishable}
        rows = []
        for m in ("H", "A", "M0"):
            r = getattr(af, m).iloc[0]
            ok = ok_m[m] and self.publishable
            rows.append({self.t("col.measure"): self.t(f"m.{m}"),
                         self.t("col.estimate"): r["estimate"] if ok else np.nan,
                         self.t("col.se"): r["se"] if ok else np.nan,
                         self.t("col.ci"): _fmt_ci(r["estimate"], r["ci_low"], r["ci_high"],
                                                   3, hidden=self.marker) if ok else self.marker})
        table = pd.DataFrame(rows)
        self._table(table, self.t("af.caption", k=k), decimals=3)
        contrib = af.contribution["estimate"].rename(lambda s: str(s).removeprefix("dep_"))
        cens = af.censored_headcount["estimate"].rename(lambda s: str(s).removeprefix("dep_"))
        # censored headcounts: households poor and deprived in the capital (numerator rule);
        # contributions rest on the poor households
        if hhd is not None:
            poor_mask = hhd["poor"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            for cap in contrib.index:
                dep = self.households[f"dep_{cap}"].to_numpy()
                cnt = float(np.nansum(dep[poor_mask] == 1))
                if share_mask(np.array([cnt]), np.array([n_base]), self.threshold)[0]:
                    cens[cap] = np.nan
        if n_poor < self.threshold:
            contrib[:] = np.nan
        ct = pd.DataFrame({
            self.t("col.capital"): [self.capital_label(c) for c in contrib.index],
            self.t("col.censored"): (100 * cens.reindex(contrib.index)).to_numpy(),
            self.t("col.contribution"): (100 * contrib).to_numpy(),
        })
        self._figure(self._contrib_chart(contrib))
        self._table(ct, self.t("af.contrib_caption"), decimals=1)
        self.results["deprivation"] = table

    def _contrib_chart(self, contrib: pd.Series) -> Any:
        import matplotlib.pyplot as plt

        from abcresearch.reports.render.fonts import use_thai_font

        use_thai_font()
        fig, ax = plt.subplots(figsize=(7.2, 2.8))
        c = contrib.fillna(0).sort_values()
        ax.barh([self.capital_label(i) for i in c.index], 100 * c.to_numpy(), color="#6a1b9a")
        ax.set_xlabel(self.t("chart.share_m0"))
        ax.spines[["top", "right"]].set_visible(False)
        return fig

    def villages(self) -> None:
        """Display the areas within (villages or tambons) with grade, reason and priority."""
        self._heading("section.villages")
        t = self.children
        if self.level == "village":
            t = t[t["code"] == self.area.code]
        child_col = "col.tambon" if self.level == "amphoe" else "col.village"
        n = t["n_households"].to_numpy()
        small = (n > 0) & (n < self.threshold)
        child = _CHILD[self.level]
        hh = self.households
        l1 = hh[hh["overall_level"].notna()].groupby(child)["level1"].agg(["sum", "count"])
        l1 = l1.reindex(t["code"]).fillna(0)
        share = t["share_level1"].mask(share_mask(l1["sum"], l1["count"], self.threshold))
        # a row resting on fewer households than the threshold publishes nothing but its name
        names = [self._child_name(c) for c in t["code"]]
        grade_label = t[f"grade_label_{self.lang}"].where(~small, self.marker)
        shown = pd.DataFrame({
            self.t("col.priority"): t["priority_rank"].astype("Int64").to_numpy(),
            self.t(child_col): names,
            self.t("col.households"): np.where(small, self.marker, n).astype(object),
            self.t("col.share_level1"): (100 * share).mask(small).to_numpy(),
            "M0": t["m0"].mask(small).to_numpy(),
            self.t("col.grade"): grade_label.to_numpy(),
        })
        self._table(shown, self.t("villages.caption"), decimals=1)
        # the reason for each grade, in words, as a list a forum can read aloud
        reasons = [f"- **{name}** ({g}): {r}" for name, g, r, hide in
                   zip(names, grade_label, t[f"reason_{self.lang}"], small, strict=True)
                   if not hide and isinstance(r, str) and r]
        if reasons:
            self._text(f"**{self.t('col.reason')}**\n\n" + "\n".join(reasons))
        self.results["villages"] = shown

    def organisations(self) -> None:
        """Display groups, funds, master plans and process steps from the village form."""
        self._heading("section.organisations")
        vil = self.village_forms
        from abcresearch.survey.instrument import choices

        steps = choices("process_step", form="village").set_index("name")[f"label_{self.lang}"]
        plan_year = vil["vil_master_plan_year"].astype("Float64")
        shown = pd.DataFrame({
            self.t("col.village"): [self._child_name(c) for c in vil["village_code"]],
            self.t("col.households"): vil["vil_households"].astype("Int64"),
            self.t("col.groups"): vil["vil_groups"].astype("Int64"),
            self.t("col.welfare"): vil["vil_welfare_members"].astype("Int64"),
            self.t("col.welfare_money"): vil["vil_welfare_money"].astype(float),
            self.t("col.village_fund"): vil["vil_village_fund_money"].astype(float),
            self.t("col.master_plan"): plan_year.astype("Int64").astype(object)
            .where(plan_year.notna(), "–"),
            self.t("col.step"): [steps.get(str(s), str(s)) for s in vil["vil_process_step"]],
            self.t("col.forums"): vil["vil_forums_year"].astype("Int64"),
        }).sort_values(self.t("col.village")).reset_index(drop=True)
        if self.level == "amphoe":
            num = ["vil_households", "vil_groups", "vil_welfare_members", "vil_welfare_money",
                   "vil_village_fund_money"]
            agg = vil[num].astype(float).groupby(vil["village_code"].str.slice(0, 6).to_numpy(),
                                                 sort=True).sum()
            agg.columns = [self.t("col.households"), self.t("col.groups"), self.t("col.welfare"),
                           self.t("col.welfare_money"), self.t("col.village_fund")]
            agg.insert(0, self.t("col.tambon"), [self._child_name(c) for c in agg.index])
            shown = agg.reset_index(drop=True)
        self._table(shown, self.t("org.caption"), decimals=0)
        self.results["organisations"] = shown

    @cached_property
    def poverty(self) -> dict[str, Any] | None:
        """Income headcount below the BMN line of the round's year (with the line used)."""
        from abcresearch.stats.poverty import headcount, poverty_line

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AbcResearchWarning)
            try:
                line = poverty_line(self.survey_round)
            except Exception:
                return None
            if line.value is None:
                return None
            r = headcount(self.design, "fin_income_year", "hh_size", self.survey_round,
                          level=self.design_spec.level).iloc[0]
        x = self.households["income_pc"].dropna()
        hidden = share_mask(np.array([(x < line.value).sum()]), np.array([len(x)]),
                            self.threshold)[0]
        est = {k: np.nan if hidden else r[k] for k in ("estimate", "se", "ci_low", "ci_high")}
        return {**est, "line": line.value, "verified": line.verified, "warned": bool(caught)}

    def income(self) -> None:
        """Display the income distribution, Gini and the income poverty headcount."""
        self._heading("section.income")
        from abcresearch.stats.inequality import gini, lorenz

        d = self.design
        lvl = self.design_spec.level
        mean = d.mean("fin_income_year", na_rm=True, level=lvl).iloc[0]
        med = d.quantile("income_pc", 0.5, na_rm=True, level=lvl).iloc[0]
        g = gini(d, "income_pc", na_rm=True, level=lvl).iloc[0]
        rows = [
            (self.t("m.income_mean"), mean["estimate"], mean["se"],
             _fmt_ci(mean["estimate"], mean["ci_low"], mean["ci_high"], 0)),
            (self.t("m.income_pc_median"), med["estimate"], med["se"],
             _fmt_ci(med["estimate"], med["ci_low"], med["ci_high"], 0)),
            (self.t("m.gini"), g["estimate"], g["se"],
             _fmt_ci(g["estimate"], g["ci_low"], g["ci_high"], 3)),
        ]
        pov = self.poverty
        notes = [self.t("cap.profile.notes")]
        if pov is not None:
            rows.append((self.t("m.poverty") + f" ({pov['line']:,.0f})", 100 * pov["estimate"],
                         100 * pov["se"], _fmt_ci(pov["estimate"], pov["ci_low"],
                                                  pov["ci_high"], 1, 100)))
            if not pov["verified"]:
                notes.append(self.t("line.unverified"))
        table = pd.DataFrame(rows, columns=[self.t("col.measure"), self.t("col.estimate"),
                                            self.t("col.se"), self.t("col.ci")])
        if len(self.households) < self.threshold:
            table.iloc[:, 1:] = self.marker
        self._figure(self._income_chart(lorenz(d, "income_pc", p=np.linspace(0, 1, 21))))
        self._table(table, self.t("income.caption"), " ".join(notes), decimals=2)
        self.results["income"] = table

    def _income_chart(self, lor: pd.DataFrame) -> Any:
        import matplotlib.pyplot as plt

        from abcresearch.reports.render.fonts import use_thai_font

        use_thai_font()
        hh = self.households
        x = hh["income_pc"].to_numpy(dtype=float)
        w = hh["weight"].to_numpy(dtype=float)
        ok = np.isfinite(x) & (x > 0)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.2, 2.9))
        if ok.sum() >= self.threshold:
            bins = np.logspace(np.log10(max(x[ok].min(), 1000)), np.log10(x[ok].max()), 30)
            # bars describing fewer than `threshold` households are not drawn (disclosure)
            n_bin, _ = np.histogram(x[ok], bins=bins)
            w_bin, _ = np.histogram(x[ok], bins=bins, weights=w[ok])
            w_bin[(n_bin > 0) & (n_bin < self.threshold)] = 0.0
            ax1.bar(bins[:-1], w_bin, width=np.diff(bins), align="edge", color="#00838f")
            ax1.set_xscale("log")
            ax2.plot(lor["pop_share"], lor["income_share"], color="#00838f")
        from matplotlib.ticker import NullLocator

        ax1.xaxis.set_minor_locator(NullLocator())
        ax1.set_xlabel(self.t("chart.income_pc"))
        ax1.set_ylabel(self.t("col.households"))
        if self.poverty is not None:
            ax1.axvline(self.poverty["line"], color="#c62828", lw=1.5)
        ax2.plot([0, 1], [0, 1], color="#9e9e9e", lw=0.8, ls="--")
        ax2.set_xlabel(self.t("chart.lorenz_x"))
        ax2.set_ylabel(self.t("chart.lorenz_y"))
        for ax in (ax1, ax2):
            ax.spines[["top", "right"]].set_visible(False)
        fig.subplots_adjust(wspace=0.3)
        return fig

    def data_quality(self) -> None:
        """Display counts, completeness and rejected rows."""
        self._heading("section.quality")
        hh = self.households
        vil = self.village_forms
        try:
            n_mem = len(data_mod.load(self.survey_round, area=self.area.code, store=self.store,
                                      table="members", columns=["submission_uuid"]))
        except StoreError:
            n_mem = 0
        stored = len(data_mod.load(self.survey_round, area=self.area.code, store=self.store,
                                   columns=["submission_uuid"]))
        found = data_mod.issues(self.survey_round, self.store)
        errors = found[found["severity"] == "error"]
        mine = errors[(errors["table"] == "households")
                      & errors["tambon_code"].fillna("").str.startswith(self.area.code[:6])]
        rejected = int(mine[["table", "file", "row"]].drop_duplicates().shape[0])
        rejected_all = int(errors[["table", "file", "row"]].drop_duplicates().shape[0])
        counts = pd.DataFrame({
            self.t("col.measure"): [self.t("m.households_form"), self.t("m.households_surveyed"),
                                    self.t("m.households_unweighted"), self.t("m.members"),
                                    self.t("m.rejected_area"), self.t("m.rejected")],
            self.t("col.value"): [int(vil["vil_households"].sum()), len(hh), stored - len(hh),
                                  n_mem, rejected, rejected_all],
        })
        self._table(counts, self.t("quality.caption"))
        miss = pd.DataFrame({
            self.t("col.capital"): [self.capital_label(c) for c in self.capitals],
            self.t("col.missing"): [100 * hh[c].isna().mean() for c in self.capitals],
        })
        self._table(miss, self.t("quality.missing_caption"), decimals=1)
        self.results["data_quality"] = counts

    @property
    def publishable(self) -> bool:
        """Whether the area has enough households for any figure to be published."""
        return len(self.households) >= self.threshold

    @property
    def level1_publishable(self) -> bool:
        """Whether the area's share of level-1 households may be published (numerator rule)."""
        l1 = self.households["level1"].dropna()
        return not share_mask(np.array([l1.sum()]), np.array([len(l1)]), self.threshold)[0]

    def summary(self) -> dict[str, Any]:
        """Key figures for the batch index page (suppressed figures are None)."""
        row = self.grade_row
        l1 = self.households["level1"]
        w = self.households["weight"]
        ok = l1.notna()
        pub = self.publishable
        return {
            "area_code": self.area.code, "level": self.level,
            "name_th": self.area.name_th, "name_en": self.area.name_en,
            "grade": None if row is None or pd.isna(row.get("grade")) or not pub
            else str(row["grade"]),
            "households": int(len(self.households)) if pub else None,
            "villages": int(self.households["village_code"].nunique()),
            "m0": float(self.af_result.M0["estimate"].iloc[0]) if pub else None,
            "share_level1": float((l1[ok] * w[ok]).sum() / w[ok].sum())
            if ok.any() and self.level1_publishable else None,
            "synthetic": self.analysis.synthetic,
        }

    def write_summary(self) -> None:
        """Publish :meth:`summary` for the batch index (no visible output)."""
        s = self.summary()
        if in_ipython():
            from abcresearch.batch.runner import write_summary

            write_summary(s)
        self.results["summary"] = s
