"""Shared plumbing of report content classes: labels, display, and a record of what was shown.

A content class (``AreaReport``, ``ProvinceReport``, ``MethodsReport``) mixes this in. Each of
its section methods displays markdown, tables (typeset as real tables in the PDF) and SVG figures
through these helpers, and keeps the numbers in ``self.results`` so tests can check them without a
kernel. Outside IPython nothing is displayed.
"""

from __future__ import annotations

from typing import Any

from abcresearch.labels import label


def in_ipython() -> bool:
    """Return True when running inside an IPython kernel or shell."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    return get_ipython() is not None


class SectionsMixin:
    """Helpers for report sections; the host class sets ``lang``, ``outputs`` and ``results``."""

    lang: str
    outputs: list[Any]
    results: dict[str, Any]

    def t(self, key: str, **fields: Any) -> str:
        """Return a label in the report's language (``params/labels.yaml``).

        Labels may also use ``{threshold}`` (smallest publishable count) and ``{level}`` (the
        confidence level) from ``params/design.yaml``.
        """
        spec = getattr(self, "design_spec", None)
        if spec is not None:
            fields = {"threshold": spec.suppression_threshold, "level": spec.level, **fields}
        return label(key, self.lang, **fields)

    def _show(self, obj: Any) -> Any:
        self.outputs.append(obj)
        if in_ipython():
            from IPython.display import display

            display(obj)
        return obj

    def _heading(self, key: str) -> None:
        from IPython.display import Markdown

        self._show(Markdown(f"## {self.t(key)}"))

    def _text(self, text: str) -> None:
        from IPython.display import Markdown

        self._show(Markdown(text))

    def _table(self, df: Any, caption: str, notes: str | None = None, **kw: Any) -> Any:
        from abcresearch.reports.render.display import show_table, table_spec

        self.outputs.append(table_spec(df, caption, notes, **kw))
        if in_ipython():
            show_table(df, caption=caption, notes=notes, **kw)
        return df

    def _figure(self, fig: Any) -> None:
        from abcresearch.reports.render.display import figure, figure_svg

        if in_ipython():
            self.outputs.append("<figure>")
            figure(fig)
            return
        self.outputs.append(figure_svg(fig))
        import matplotlib.pyplot as plt

        plt.close(fig)

    def _typst(self, markup: str, markdown: str) -> None:
        from abcresearch.reports.render.display import show_typst

        self.outputs.append(markdown)
        if in_ipython():
            show_typst(markup, markdown)


class RoundReportMixin(SectionsMixin):
    """Sections shared by reports on one round's analysis (area and province reports).

    The host sets ``analysis`` (a :class:`~abcresearch.analysis.round.RoundAnalysis`) and
    ``survey_round`` besides what :class:`SectionsMixin` needs.
    """

    analysis: Any
    survey_round: int

    def _cover_block(self, name_th: str, name_en: str, lines: list[str]) -> None:
        """Display a cover: the names large, then ``lines`` (Markdown; ``**bold**`` lines
        bold), the synthetic-data banner in red when the round is synthetic."""
        from abcresearch.reports.render.typst import escape_markup as esc

        md = "\n\n".join([f"# {name_th} · {name_en}", *lines])
        body = ["#block(width: 100%, inset: (y: 1em))[",
                f"  #text(size: 22pt, weight: \"bold\")[{esc(name_th)}] \\",
                f"  #text(size: 14pt)[{esc(name_en)}]", "]"]
        banner = self.t("synthetic.banner")
        for line in lines:
            text = line.replace("**", "")
            if self.analysis.synthetic and text == banner:
                body.append("#block(fill: rgb(\"#c62828\"), inset: 8pt, radius: 3pt)"
                            f"[#text(fill: white, weight: \"bold\")[{esc(text)}]]")
            elif line.startswith("**"):
                body.append(f"#text(size: 13pt, weight: \"bold\")[{esc(text)}]")
            else:
                body.append(f"#text(size: 11pt)[{esc(text)}]")
            body.append("")
        self._typst("\n".join(body), md)
        self.results["cover"] = md

    def methods_note(self) -> None:
        """Display the short methods note."""
        self._heading("section.methods")
        sch = self.analysis.scheme
        text = self.t("methods.text", be=self.survey_round,
                      scheme=f"{sch.scheme_id} v{sch.scheme_version}")
        self._text(text)
        self.results["methods_note"] = text
