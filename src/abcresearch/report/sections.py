"""Shared plumbing of report content classes: labels, display, and a record of what was shown.

A content class (``AreaReport``, ``ProvinceReport``, ``MethodsReport``) mixes this in. Each of
its section methods displays markdown, tables (typeset as real tables in the PDF) and SVG figures
through these helpers, and keeps the numbers in ``self.results`` so tests can check them without a
kernel. Outside IPython nothing is displayed.
"""

from __future__ import annotations

from typing import Any

from ..labels import label


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
        from .display import show_table, table_spec

        self.outputs.append(table_spec(df, caption, notes, **kw))
        if in_ipython():
            show_table(df, caption=caption, notes=notes, **kw)
        return df

    def _figure(self, fig: Any) -> None:
        from .display import figure, figure_svg

        if in_ipython():
            self.outputs.append("<figure>")
            figure(fig)
            return
        self.outputs.append(figure_svg(fig))
        import matplotlib.pyplot as plt

        plt.close(fig)

    def _typst(self, markup: str, markdown: str) -> None:
        from .display import show_typst

        self.outputs.append(markdown)
        if in_ipython():
            show_typst(markup, markdown)
