"""Province overview: every amphoe and tambon side by side, rankings and the A/B/C grade map.

Used by ``notebooks/province_overview.ipynb``. Like :class:`~abcresearch.reports.area.AreaReport`,
each section displays its output and keeps its numbers in ``self.results``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
from abcresearch.errors import AreaError, InputError
from abcresearch.reports.disclosure import marker, suppress_by_base
from abcresearch.reports.sections import RoundReportMixin
from abcresearch.survey.areas import Area, amphoes, get_area, tambons

#: Colours of the grades (A strong ... C weakest), also used by the index page.
GRADE_COLOURS = {"A": "#2e7d32", "B": "#f9a825", "C": "#c62828"}
_NO_DATA = "#e0e0e0"


@dataclass
class ProvinceReport(RoundReportMixin):
    """The province overview of one round."""

    province: Area
    survey_round: int
    lang: str
    analysis: RoundAnalysis = field(repr=False)
    design_spec: DesignSpec = field(repr=False)
    boundary_file: Path | None = None
    outputs: list[Any] = field(default_factory=list, repr=False)
    results: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, province_code: str, survey_round: int, store: str | Path | None = None,
             lang: str = "th", boundary_file: str | Path | None = None,
             scheme: str | None = None) -> ProvinceReport:
        """Check the parameters and load the round's analysis.

        Parameters
        ----------
        province_code : str
            Two-digit province code.
        survey_round : int
            Buddhist-era year.
        store : path, optional
            The analysis store.
        lang : {"th", "en"}
            Report language.
        boundary_file : path, optional
            GeoJSON of tambon boundaries (a property holding the 6-digit tambon code) for a
            real map; without it the grade map is a tile map of tambon grouped by amphoe.
        scheme : str, optional
            Scoring scheme.
        """
        area = get_area(str(province_code))
        if area.level != "province":
            raise AreaError(f"{province_code!r} is not a province code (2 digits)")
        boundary = Path(boundary_file) if boundary_file else None
        if boundary is not None and not boundary.exists():
            raise InputError(f"boundary file {boundary} does not exist")
        rep = cls(province=area, survey_round=int(survey_round), lang=lang,
                  analysis=round_analysis(int(survey_round), Path(store) if store else None,
                                          scheme),
                  design_spec=design_spec(), boundary_file=boundary)
        rep.t("grade")  # validates lang
        return rep

    # ------------------------------------------------------------------ data
    def grade_label(self, grade: str) -> str:
        """Label of a grade from ``params/grades.yaml`` in the report's language."""
        from abcresearch.scoring.grades import load_grade_rules

        return str(load_grade_rules().grade_labels[grade][self.lang])

    @property
    def tambon_table(self) -> pd.DataFrame:
        """Tambon grades joined with official names, in priority order."""
        t = self.analysis.tambons.copy()
        t = t[t["tambon_code"].str.startswith(self.province.code)]
        names = tambons(self.province.code).set_index("code")
        amph = amphoes(self.province.code).set_index("code")
        t["amphoe_code"] = t["tambon_code"].str.slice(0, 4)
        t["tambon_name"] = t["tambon_code"].map(names[f"name_{self.lang}"])
        t["amphoe_name"] = t["amphoe_code"].map(amph[f"name_{self.lang}"])
        return t.sort_values("priority_rank").reset_index(drop=True)

    # ------------------------------------------------------------------ sections
    def cover(self) -> None:
        """Display the cover: province, round, counts, grade counts, synthetic banner."""
        p = self.province
        hh = self.analysis.households
        hh = hh[hh["province_code"] == p.code]
        t = self.tambon_table
        counts = t["grade"].value_counts()
        be = self.survey_round
        lines = [
            f"**{self.t('level.province')}**",
            f"{self.t('round')} {self.t('round.years', be=be, ce=be - 543)}",
            self.t("cover.surveyed", villages=f"{hh['village_code'].nunique():,}",
                   households=f"{len(hh):,}"),
            f"**{self.t('cover.grade_counts', a=int(counts.get('A', 0)), b=int(counts.get('B', 0)), c=int(counts.get('C', 0)))}**",  # noqa: E501
        ]
        if self.analysis.synthetic:
            lines.append(f"**{self.t('synthetic.banner')}**")
        sch = self.analysis.scheme
        lines.append(self.t("cover.provenance", fingerprint=self.analysis.key.split("-")[-1][:12],
                            scheme=f"{sch.scheme_id} v{sch.scheme_version}",
                            version=__version__))
        self._cover_block(p.name_th, p.name_en, lines)

    def grade_map(self) -> None:
        """Display the A/B/C map: a boundary map when a GeoJSON is given, else a tile map."""
        self._heading("section.grade_map")
        t = self.tambon_table
        grade = dict(zip(t["tambon_code"], t["grade"], strict=True))
        if self.boundary_file is not None:
            fig = self._boundary_map(grade)
        else:
            fig = self._tile_map(grade)
        self._figure(fig)
        self._text(self.t("map.note"))
        self.results["grade_map"] = grade

    def _legend(self, ax: Any) -> None:
        from matplotlib.patches import Patch

        handles = [Patch(color=c, label=self.grade_label(g)) for g, c in GRADE_COLOURS.items()]
        handles.append(Patch(color=_NO_DATA, label=self.t("map.no_data")))
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4,
                  frameon=False, fontsize=8)

    def _tile_map(self, grade: dict[str, str]) -> Any:
        import matplotlib.pyplot as plt

        from abcresearch.reports.render.fonts import use_thai_font

        use_thai_font()
        amph = amphoes(self.province.code)
        tam = tambons(self.province.code)
        width = int(tam.groupby("parent").size().max())
        fig, ax = plt.subplots(figsize=(7.2, 0.3 * len(amph) + 0.9))
        for i, a in enumerate(amph.itertuples()):
            y = len(amph) - 1 - i
            codes = tam[tam["parent"] == a.code]["code"].tolist()
            for j, code in enumerate(codes):
                colour = GRADE_COLOURS.get(grade.get(code, ""), _NO_DATA)
                ax.add_patch(plt.Rectangle((j, y + 0.08), 0.88, 0.84, color=colour))
                ax.text(j + 0.44, y + 0.5, code[-2:], ha="center", va="center", fontsize=5.5,
                        color="white" if code in grade else "#616161")
        ax.set_xlim(0, width)
        ax.set_ylim(0, len(amph))
        ax.set_yticks(np.arange(len(amph))[::-1] + 0.5,
                      list(amph[f"name_{self.lang}"]), fontsize=7)
        ax.set_xticks([])
        ax.spines[["top", "right", "bottom", "left"]].set_visible(False)
        ax.tick_params(left=False)
        self._legend(ax)
        fig.tight_layout()
        return fig

    def _boundary_map(self, grade: dict[str, str]) -> Any:
        import matplotlib.pyplot as plt
        from matplotlib.patches import Polygon

        from abcresearch.reports.render.fonts import use_thai_font

        use_thai_font()
        try:
            gj = json.loads(self.boundary_file.read_text(encoding="utf-8"))  # type: ignore[union-attr]
        except (OSError, ValueError) as exc:
            raise InputError(f"boundary file {self.boundary_file}: not readable GeoJSON "
                             f"({exc})") from exc
        fig, ax = plt.subplots(figsize=(7.2, 7.2))
        found = 0
        for feat in gj.get("features", []):
            props = feat.get("properties") or {}
            code = next((str(v) for v in props.values()
                         if isinstance(v, (str, int)) and len(str(v)) == 6
                         and str(v).startswith(self.province.code)), None)
            geom = feat.get("geometry") or {}
            polys = geom.get("coordinates", [])
            if geom.get("type") == "Polygon":
                polys = [polys]
            elif geom.get("type") != "MultiPolygon":
                continue
            colour = GRADE_COLOURS.get(grade.get(code or "", ""), _NO_DATA)
            for poly in polys:
                ax.add_patch(Polygon(np.asarray(poly[0])[:, :2], closed=True, facecolor=colour,
                                     edgecolor="white", lw=0.4))
            found += code is not None
        if not found:
            raise InputError(f"boundary file {self.boundary_file}: no feature has a 6-digit "
                             f"tambon code of province {self.province.code} in its properties")
        ax.autoscale_view()
        ax.set_aspect("equal")
        ax.axis("off")
        self._legend(ax)
        fig.tight_layout()
        return fig

    def amphoe_table(self) -> None:
        """Display every amphoe: households, share at level 1, M0 and its tambon grades."""
        self._heading("section.amphoe_table")
        hh = self.analysis.households
        hh = hh[hh["province_code"] == self.province.code].reset_index(drop=True)
        d = area_design(hh, self.design_spec)
        l1 = d.ciprop("level1", by="amphoe_code", na_rm=True, level=self.design_spec.level)
        from abcresearch.scoring.alkire_foster import alkire_foster

        sch = self.analysis.scheme
        af = alkire_foster(d, [f"dep_{c}" for c in sch.capital_ids], k=sch.af_k,
                           weights={f"dep_{c}": w for c, w in sch.af_weights.items()},
                           by="amphoe_code", na_rm=True, level=self.design_spec.level)
        t = self.tambon_table
        grades = pd.crosstab(t["amphoe_code"], t["grade"]).reindex(columns=["A", "B", "C"],
                                                                  fill_value=0)
        amph = amphoes(self.province.code).set_index("code")
        n = hh.groupby("amphoe_code").size()
        rows = []
        for code in n.index:
            r = l1.loc[code] if code in l1.index else None
            rows.append({
                self.t("col.amphoe"): amph.loc[code, f"name_{self.lang}"],
                self.t("col.households"): int(n[code]),
                self.t("col.share_level1"): 100 * r["estimate"] if r is not None else np.nan,
                "M0": af.M0["estimate"].get(code, np.nan),
                "A": int(grades.loc[code, "A"]) if code in grades.index else 0,
                "B": int(grades.loc[code, "B"]) if code in grades.index else 0,
                "C": int(grades.loc[code, "C"]) if code in grades.index else 0,
            })
        table = pd.DataFrame(rows)
        share_col = self.t("col.share_level1")
        table[share_col] = suppress_by_base(table[share_col], table[self.t("col.households")],
                                            self.design_spec.suppression_threshold)
        self._table(table, self.t("amphoe.caption"), self.t("cap.profile.notes"), decimals=1)
        means = self.analysis.means
        prof = means[means["level"] == "amphoe"].pivot(index="code", columns="capital",
                                                       values="estimate").reindex(n.index)
        caps = pd.DataFrame({self.t("col.amphoe"): table[self.t("col.amphoe")].to_numpy()})
        for cap in self.analysis.scheme.capital_ids:
            caps[self.analysis.scheme.capital(cap).label(self.lang)] = prof[cap].to_numpy()
        self._table(caps, self.t("amphoe.capitals_caption"), self.t("cap.profile.notes"),
                    decimals=1)
        self.results["amphoe_table"] = table

    def tambon_ranking(self) -> None:
        """Display all tambons in priority order with their grade and reason."""
        self._heading("section.tambon_ranking")
        t = self.tambon_table
        thr = self.design_spec.suppression_threshold
        n = t["n_households"].to_numpy()
        small = (n > 0) & (n < thr)
        shown = pd.DataFrame({
            self.t("col.priority"): t["priority_rank"].astype("Int64").to_numpy(),
            self.t("col.tambon"): t["tambon_name"].to_numpy(),
            self.t("col.amphoe"): t["amphoe_name"].to_numpy(),
            self.t("col.households"): np.where(small, marker(thr), n).astype(object),
            self.t("col.share_level1"): (100 * suppress_by_base(t["share_level1"], n, thr))
            .to_numpy(),
            "M0": t["m0"].mask(small).to_numpy(),
            self.t("col.grade"): t["grade"].where(~small, marker(thr)).to_numpy(),
        })
        self._table(shown, self.t("ranking.caption"), decimals=2)
        self.results["tambon_ranking"] = shown

    def rules_vs_typology(self) -> None:
        """Display the data-driven typology next to the rule-based grades."""
        self._heading("section.typology")
        typ = self.analysis.typology
        t = self.tambon_table
        if typ.empty or "cluster" not in t:
            self._text(self.t("typology.none"))
            self.results["rules_vs_typology"] = None
            return
        k = int(typ["chosen_k"].iloc[0])
        sil = json.loads(typ["silhouette_by_k"].iloc[0])
        self._text(self.t("typology.text", k=k, silhouette=float(typ["silhouette"].iloc[0]),
                          candidates=", ".join(f"k={kk}: {v:.2f}" for kk, v in sil.items())))
        cross = pd.crosstab(t["grade"], t["cluster"].astype("Int64"))
        cross.index = [self.grade_label(g) for g in cross.index]
        cross.columns = [f"{self.t('typology.cluster')} {c}" for c in cross.columns]
        self._table(cross.reset_index(names=self.t("col.grade")), self.t("typology.crosstab"))
        caps = self.analysis.scheme.capital_ids
        centres = typ.set_index("cluster")[[f"mean_{c}" for c in caps]]
        centres.columns = [self.analysis.scheme.capital(c).label(self.lang) for c in caps]
        centres.insert(0, self.t("typology.n"), typ.set_index("cluster")["n_areas"])
        centres.index = [f"{self.t('typology.cluster')} {c}" for c in centres.index]
        self._table(centres.reset_index(names=self.t("typology.cluster")),
                    self.t("typology.centres"), decimals=1)
        self.results["rules_vs_typology"] = cross
