"""A notebook's Thai PDF report: Typst source from the notebook, Typst's PDF, the text layer.

What the batch runner, ``abcresearch report`` and the nbconvert exporter
(:mod:`abcresearch.reports.render.exporter`) share. It imports neither nbconvert (half a second
of a cold command's start, needed only by ``jupyter nbconvert --to thai_pdf``) nor pandas nor
matplotlib.

No TeX, no browser, no system font: Typst comes from the ``typst`` package, the Thai font from
``fontpkg-noto-sans-thai``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from abcresearch.errors import AbcResearchWarning, ReportError
from abcresearch.reports.render import fonts
from abcresearch.reports.render.publishable import check_publishable
from abcresearch.reports.render.typst import TypstDocument, has_run, render_notebook

__all__ = ["PDF_TIMESTAMP", "check_executed", "compile_pdf", "lay_out", "notebook_to_pdf",
           "notebook_to_pdf_bytes", "notebook_to_typst", "quiet_mark_info", "retag_language",
           "typst_document", "typst_fonts", "warm_up"]

PDF_TIMESTAMP = 0
"""Creation time given to Typst (UNIX seconds) unless ``SOURCE_DATE_EPOCH`` is set.

The template also sets ``document(date: none)``, so the PDF carries no date at all and the same
notebook gives the same bytes.
"""

_compile_lock = threading.Lock()


@functools.cache
def typst_fonts() -> Any:
    """Return the typst font book: the Thai font package plus typst's embedded fonts.

    Built once per process (a batch worker calls it at start-up so that its first report does
    not pay for it).
    """
    import typst

    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=True, font_paths=fonts.font_paths()
    )


def _timestamp() -> int:
    from abcresearch.atomic import build_timestamp

    return build_timestamp() or PDF_TIMESTAMP


@contextlib.contextmanager
def _project(doc: TypstDocument) -> Iterator[str]:
    """Yield a temporary folder holding the document's files (Typst's project root)."""
    with tempfile.TemporaryDirectory(prefix="abcresearch-typst-") as build:
        for name, data in sorted(doc.files.items()):
            Path(build, name).write_bytes(data)
        yield build


def compile_pdf(doc: TypstDocument) -> bytes:
    """Compile a rendered document to PDF bytes.

    Parameters
    ----------
    doc : TypstDocument
        Output of :func:`abcresearch.reports.render.typst.render_notebook`.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ReportError
        If Typst fails; the message carries Typst's diagnostic and hints.
    """
    import typst

    with _project(doc) as build:
        compiler = typst.Compiler(root=build, font_paths=typst_fonts(), ignore_system_fonts=True)
        try:
            with _compile_lock:
                pdf, typst_warnings = compiler.compile_with_warnings(
                    doc.source.encode("utf-8"), format="pdf", timestamp=_timestamp()
                )
        except typst.TypstError as exc:
            hints = "; ".join(getattr(exc, "hints", []) or [])
            detail = getattr(exc, "diagnostic", "") or ""
            raise ReportError(
                f"Typst could not typeset the report: {getattr(exc, 'message', exc)}"
                + (f" ({detail})" if detail else "")
                + (f" Hints: {hints}" if hints else "")
            ) from exc
    for w in typst_warnings:
        warnings.warn(
            f"Typst: {getattr(w, 'message', w)}", AbcResearchWarning, stacklevel=2
        )
    if not isinstance(pdf, bytes):  # pragma: no cover - PDF is always one file
        raise ReportError("Typst returned no PDF")
    # Typst's text layer garbles Thai in pypdf/poppler and duplicates clusters in pdfium.
    from abcresearch.reports.render.textlayer import fix_text_layer

    pdf = quiet_mark_info(fix_text_layer(pdf))
    return retag_language(pdf, doc.break_lang, doc.lang) if doc.break_lang else pdf


def typst_svg(markup: str) -> str:
    """Return Typst content as SVG, on a page of its own size, in the reports' font.

    For the notebook's view of a chart drawn by Typst (:meth:`.results.Figure.from_typst`):
    JupyterLab shows this SVG; the PDF typesets the markup itself.

    Parameters
    ----------
    markup : str
        Typst content (markup, as inside ``[...]``).

    Returns
    -------
    str
        The SVG (glyphs as paths: no font needed to show it).

    Raises
    ------
    ReportError
        If Typst fails.
    """
    import typst

    from abcresearch.reports.render.fonts import TYPST_TEXT_FONTS
    from abcresearch.reports.render.typst import BREAK_LANG

    # under the language the reports are typeset under (BREAK_LANG), so that a chart's words
    # break into lines in JupyterLab as they do in the PDF
    lang = f', lang: "{BREAK_LANG}"' if BREAK_LANG else ""
    source = (f'#set page(width: auto, height: auto, margin: 4pt)\n'
              f'#set text(font: {TYPST_TEXT_FONTS}, size: 10.5pt{lang})\n{markup}\n')
    with tempfile.TemporaryDirectory(prefix="abcresearch-typst-") as build:
        compiler = typst.Compiler(root=build, font_paths=typst_fonts(), ignore_system_fonts=True)
        try:
            # not under the compile lock: Typst releases the GIL, and a chart is small
            svg = compiler.compile(source.encode("utf-8"), format="svg")
        except typst.TypstError as exc:
            raise ReportError(f"Typst could not draw a chart: {getattr(exc, 'message', exc)}"
                              ) from exc
    if isinstance(svg, list):  # pragma: no cover - one page always
        svg = svg[0]
    if not isinstance(svg, bytes):  # pragma: no cover - Typst gives an SVG or raises
        raise ReportError("Typst drew no chart")
    return svg.decode("utf-8")


TYPST_MEMO_COMPILES = 10
"""How many compiles the Typst binding keeps what a compile used for: after each compile it
drops what the last ten did not use (``comemo::evict(10)`` in typst-py)."""


def forget_compiles() -> None:
    """Let Typst drop what it keeps of the compiles so far (layouts, shaped text, font tables).

    The binding keeps what the last :data:`TYPST_MEMO_COMPILES` compiles used, and only a
    compile makes it drop the rest. A process that compiles nothing but reports' PDFs held ten
    reports' worth: a Dask worker (its notebooks run in kernels, so it makes the PDFs only)
    grew to 1.2-1.3 GB over 16 tambon reports, where Dask pauses a worker with a 1.5 GB limit
    for good (its memory is not Dask's to spill) and the batch waited for ever. Eleven compiles
    of an empty document make the binding drop them (0.06-0.07 s, about what the next
    compiles then save in walking the smaller memo: a later report reuses nothing of an
    earlier one's). A batch worker calls it after each report (:func:`abcresearch.batch.run.
    run_task`).
    """
    import typst

    with tempfile.TemporaryDirectory(prefix="abcresearch-typst-") as build:
        compiler = typst.Compiler(root=build, font_paths=typst_fonts(), ignore_system_fonts=True)
        for _ in range(TYPST_MEMO_COMPILES + 1):
            compiler.compile(b"", format="svg")


def lay_out(doc: TypstDocument) -> None:
    """Lay a rendered document out without writing its PDF.

    Typst memoises the layout of each part of a document rendered in parts (``parts=True``);
    a later :func:`compile_pdf` of a longer document with the same first parts lays out only
    the rest (:mod:`abcresearch.batch.pdf_process` does this while a report's notebook runs).

    Parameters
    ----------
    doc : TypstDocument
        Output of :func:`abcresearch.reports.render.typst.render_notebook`.

    Raises
    ------
    ReportError
        If Typst fails.
    """
    import typst

    with _project(doc) as build:
        compiler = typst.Compiler(doc.source.encode("utf-8"), root=build,
                                  font_paths=typst_fonts(), ignore_system_fonts=True)
        try:
            # not under the compile lock: a compile may run beside it (Typst releases the GIL
            # and its memo cache is shared between threads)
            compiler.query("<abc-layout-only>")  # a label no report has: the layout only
        except (typst.TypstError, RuntimeError) as exc:  # a query fails as a RuntimeError
            raise ReportError(f"Typst could not lay the report out: {exc}") from exc


#: The catalog's ``/MarkInfo`` entry Typst writes with its default value: poppler (pdftotext,
#: pdftoppm) takes a false ``/Suspects`` for a wrong type and prints "Syntax Error: Suspects
#: object is wrong type (boolean)" for every PDF.
_SUSPECTS_FALSE = b"/Suspects false"


def quiet_mark_info(pdf: bytes) -> bytes:
    """Return the PDF without the catalog's ``/Suspects false`` (the default value).

    Blanked in place (same length), so the cross-reference offsets stay right; the marked
    content and the structure tree are untouched.
    """
    if pdf.count(_SUSPECTS_FALSE) != 1:
        return pdf
    return pdf.replace(_SUSPECTS_FALSE, b" " * len(_SUSPECTS_FALSE))


def retag_language(pdf: bytes, typeset: str, lang: str) -> bytes:
    """Return a Typst PDF typeset under language ``typeset`` tagged with ``lang`` instead.

    Typst writes the document's language in two places: the catalog's ``/Lang`` and the XMP
    metadata's ``dc:language`` (both uncompressed); a marked-content span carries a language
    only where it differs from the document's. Both codes have two letters, so the bytes are
    replaced in place and the cross-reference offsets stay right.

    Parameters
    ----------
    pdf : bytes
        A PDF written by Typst (before or after the text-layer pass).
    typeset : str
        The language Typst typeset under (:data:`abcresearch.reports.render.typst.BREAK_LANG`).
    lang : str
        The language of the report's text.

    Returns
    -------
    bytes
        The PDF with its language tags set to ``lang``.
    """
    if len(typeset) != len(lang):
        raise ValueError(f"language codes of different lengths: {typeset!r}, {lang!r}")
    for template in ("/Lang({})", "<rdf:li>{}</rdf:li>"):
        pdf = pdf.replace(template.format(typeset).encode("ascii"),
                          template.format(lang).encode("ascii"))
    return pdf


def _as_notebook(nb_or_path: Any) -> tuple[Any, str | None]:
    if isinstance(nb_or_path, str | os.PathLike):
        import nbformat

        path = Path(nb_or_path)
        try:
            nb = nbformat.read(path, as_version=4)
        except (OSError, ValueError) as exc:
            raise ReportError(f"Cannot read notebook {path}: {exc}") from exc
        return nb, path.stem
    if isinstance(nb_or_path, Mapping):
        return nb_or_path, None
    raise ReportError(f"Expected a notebook or a path, got {type(nb_or_path).__name__}")


def check_executed(nb: Any, name: str | None = None) -> None:
    """Raise :class:`ReportError` if the notebook was never run (nothing to typeset).

    Parameters
    ----------
    nb : mapping
        The notebook.
    name : str, optional
        Its file name, for the message.
    """
    if not has_run(nb):
        from abcresearch.labels import label

        def said(lang: str) -> str:
            which = label("notebook.not_run.named", lang, name=name) if name else \
                label("notebook.not_run.this", lang)
            return label("notebook.not_run", lang, which=which)

        # in both languages: the exporter does not know its reader's
        raise ReportError(f"{said('en')} · {said('th')}")


def notebook_to_typst(nb: Any, build_dir: str | os.PathLike[str] | None = None) -> str:
    """Return the Typst source of a notebook's report.

    Parameters
    ----------
    nb : NotebookNode, mapping, str or path
        The notebook (or its file).
    build_dir : path, optional
        If given, the images the source refers to are written there, so that
        ``typst compile --root build_dir`` can typeset the source saved in that folder.

    Returns
    -------
    str
        Complete Typst source.
    """
    notebook, name = _as_notebook(nb)
    # under the report's own language: the PDF that `typst compile` makes of it is tagged right
    doc = render_notebook(notebook, fallback_title=name, own_lang=True)
    if build_dir is not None:
        Path(build_dir).mkdir(parents=True, exist_ok=True)
        for file_name, data in doc.files.items():
            Path(build_dir, file_name).write_bytes(data)
    return doc.source


def typst_document(nb: Any, parts: bool = False) -> TypstDocument:
    """Return the Typst document of a notebook's report (what :func:`compile_pdf` typesets).

    Parameters
    ----------
    nb : NotebookNode, mapping, str or path
        The (executed) notebook or its file.
    parts : bool
        Render the template and each cell in files of their own (the same PDF; see
        :func:`abcresearch.reports.render.typst.render_notebook`).

    Returns
    -------
    TypstDocument
        Its source and files; the notebook itself is not needed after this.

    Raises
    ------
    ReportError
        If the notebook was never run.
    PersonalDataError
        If a cell shows names, national IDs or phone numbers
        (:func:`~abcresearch.reports.render.publishable.check_publishable`).
    """
    notebook, name = _as_notebook(nb)
    check_executed(notebook, name)
    check_publishable(notebook, name)
    return render_notebook(notebook, fallback_title=name, parts=parts)


def notebook_to_pdf_bytes(nb: Any) -> bytes:
    """Return the PDF of a notebook's report.

    Parameters
    ----------
    nb : NotebookNode, mapping, str or path
        The (executed) notebook or its file.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ReportError
        If the notebook was never run, it shows personal data
        (:func:`~abcresearch.reports.render.publishable.check_publishable`), or Typst fails.
    """
    return compile_pdf(typst_document(nb))


@functools.cache
def warm_up() -> None:
    """Pay the one-off costs of a process's first PDF now, on a one-line Thai notebook.

    Imports Typst and the text-layer code, builds the font book, loads the Thai word list and
    runs Typst's first compile (its fonts and line-break data). ``abcresearch report`` calls it
    in a helper thread while it checks the report's inputs and runs its cells (about 1 s of the
    first report's PDF phase otherwise); a batch worker calls it at start-up. Once per
    process.
    """
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("", execution_count=1, outputs=[
        nbformat.v4.new_output("display_data", data={
            "text/markdown": "**ทุนชุมชน** และภูมิปัญญาท้องถิ่น ร้อยละ 12.5 (1,234 ครัวเรือน)"})]))
    notebook_to_pdf_bytes(nb)


def notebook_to_pdf(nb_or_path: Any, out_path: str | os.PathLike[str]) -> Path:
    """Write the PDF report of a notebook, atomically.

    Parameters
    ----------
    nb_or_path : NotebookNode, mapping, str or path
        The (executed) notebook or its file.
    out_path : path
        Destination PDF. Written to a temporary file in the same folder, then moved into place
        with :func:`os.replace`, so readers never see a half-written file.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    from abcresearch.atomic import atomic_write_bytes

    out = Path(out_path)
    atomic_write_bytes(out, notebook_to_pdf_bytes(nb_or_path))
    return out


# caches that batch.kernel_state.reset keeps between notebooks run in one process (see
# abcresearch.batch.inprocess): what they hold is derived from files and not changed
typst_fonts.cache_safe = True  # type: ignore[attr-defined]  # installed font files in, font book out
warm_up.cache_safe = True  # type: ignore[attr-defined]  # nothing kept
