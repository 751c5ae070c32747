"""Static index page of a round's reports: ``reports/<round>/index.html``.

One self-contained HTML file (inline CSS and JavaScript, no server, no CDN) that opens from disk:
every area with its grade and key figures (households, M0, share of households at level 1, read
from ``<code>.summary.json``, see :mod:`abcresearch.batch.summary`), the amphoe of a tambon or
village, links to its PDF and tables workbook (or to its error log when it failed), links to the
province overview PDF(s) and the methods appendix with their workbooks, columns sortable by
clicking their header, and a Thai/English toggle.

Rounds: the page links the index pages of the other rounds under the same reports folder (same
scoring scheme), and writing it adds this round to theirs (between the ``<!--abc-rounds-->``
markers). When the round's figures leave out damaged tambons (:mod:`abcresearch.batch.incomplete`)
a warning names them above the table.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


def _text(key: str, **fields: Any) -> tuple[str, str]:
    from abcresearch.labels import label

    return label(key, "th", **fields), label(key, "en", **fields)


def _both(key: str, **fields: Any) -> str:
    th, en = _text(key, **fields)
    return (f'<span class="th">{html.escape(th)}</span>'
            f'<span class="en">{html.escape(en)}</span>')


def _num(value: Any, kind: str) -> tuple[str, str]:
    """Return (display text, sort key) of a figure."""
    if value is None or value == "":
        return "–", ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return html.escape(str(value)), html.escape(str(value))
    from abcresearch.reports.disclosure import publication_rules

    digits = publication_rules().digits  # the summary holds values as printed: no more digits
    if kind == "int":
        return f"{number:,.0f}", repr(number)
    if kind == "share":
        return f"{100 * number:.{digits['percent']}f}%", repr(number)
    return f"{number:.{digits['index']}f}", repr(number)


def _area_names(code: str) -> tuple[str, str]:
    try:
        from abcresearch.survey.areas import get_area

        area = get_area(code)
        return area.label("th"), area.label("en")
    except Exception:
        return code, code


def _row_names(code: str, summary: Mapping[str, Any]) -> tuple[str, str]:
    """Return the Thai and English names of an index row.

    A village is named as its report names it, its number and its own name from the village
    form ("หมู่ที่ 3 บ้านนาม่วง", kept in its summary), and its tambon: a village batch's rows
    read "หมู่ที่ 3" a dozen times otherwise (a fresh user's walk-through).
    """
    th_name, en_name = _area_names(code)
    if len(code) != 8:
        return th_name, en_name
    from abcresearch.labels import label

    th_name = str(summary.get("name_th") or th_name)
    en_name = str(summary.get("name_en") or en_name)
    tambon_th, tambon_en = _area_names(code[:6])
    return (label("index.village_in", "th", village=th_name, tambon=tambon_th),
            label("index.village_in", "en", village=en_name, tambon=tambon_en))


def _amphoe_names(code: str) -> tuple[str, str] | None:
    """Return the Thai and English names of a tambon's or village's amphoe (None above)."""
    if len(code) < 6:
        return None
    return _area_names(code[:4])


def _workbook_link(pdf: Path, round_dir: Path) -> str:
    """Return `` · Tables (Excel)``, linking the tables workbook beside a PDF, or ""."""
    workbook = pdf.with_suffix(".xlsx")
    if not workbook.is_file():
        return ""
    return (f' · <a href="{html.escape(_rel(workbook, round_dir))}">'
            f'{_both("index.workbook")}</a>')


def _font_face() -> str:
    """Return the CSS rule embedding the reports' Thai font.

    The page opens from disk on any machine without Thai boxes: it named system fonts, and a
    machine without them showed tofu.
    """
    import base64

    from abcresearch.reports.render.fonts import font_files

    try:
        data = base64.b64encode(font_files()[0].read_bytes()).decode("ascii")
    except Exception:  # noqa: BLE001 - no font package: the page names system fonts only
        return ""
    return ('@font-face{font-family:"Noto Sans Thai";font-weight:100 900;'
            f'src:url(data:font/ttf;base64,{data}) format("truetype")}}')


_CSS = """
body{font-family:"Noto Sans Thai","Sarabun","Tahoma",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em} .muted{color:#666;font-size:.9em}
table{border-collapse:collapse;margin-top:1em;min-width:60%}
th,td{border-bottom:1px solid #ddd;padding:.35em .7em;text-align:left}
th{cursor:pointer;background:#f4f4f4;user-select:none;position:sticky;top:0}
th.sorted-asc::after{content:" ▲"} th.sorted-desc::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums} td.links{white-space:nowrap}
tr.failed td{background:#fff0f0} .banner{background:#fde68a;padding:.4em .8em;display:inline-block}
.warning{background:#fee2e2;border-left:4px solid #b91c1c;padding:.5em .8em;max-width:60em}
nav.rounds a,nav.rounds b{margin-right:.8em}
span.model{color:#555;font-style:italic;font-size:.9em} #model-note{max-width:60em}
body.lang-th .en{display:none} body.lang-en .th{display:none}
button{margin-left:1em;font-family:inherit}
"""

_JS = """
function setLang(l){document.body.className='lang-'+l;
try{localStorage.setItem('abcLang',l)}catch(e){}}
(function(){var l='th';try{l=localStorage.getItem('abcLang')||'th'}catch(e){}setLang(l);})();
document.querySelectorAll('th[data-type]').forEach(function(th,col){
  th.addEventListener('click',function(){
    var tbody=th.closest('table').tBodies[0],rows=Array.from(tbody.rows);
    var asc=!th.classList.contains('sorted-asc');
    th.closest('tr').querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc')});
    th.classList.add(asc?'sorted-asc':'sorted-desc');
    var num=th.dataset.type==='num';
    rows.sort(function(a,b){
      var k=document.body.className==='lang-th'?'sortTh':'sort';
      var x=a.cells[col].dataset[k]||a.cells[col].dataset.sort,
          y=b.cells[col].dataset[k]||b.cells[col].dataset.sort;
      if(num){x=x===''?Infinity:parseFloat(x);y=y===''?Infinity:parseFloat(y);
        return asc?(x-y):(y-x);}
      return asc?x.localeCompare(y,'th'):y.localeCompare(x,'th');});
    rows.forEach(function(r){tbody.appendChild(r)});
  });
});
"""


def _rel(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


ROUNDS_START = "<!--abc-rounds-->"
ROUNDS_END = "<!--/abc-rounds-->"
_ROUNDS_RE = re.compile(re.escape(ROUNDS_START) + ".*?" + re.escape(ROUNDS_END), re.DOTALL)


def _layout(round_dir: Path) -> tuple[Path, str, int | None]:
    """Return (reports folder, scheme sub-folder or "", round) of a round's index folder."""
    round_dir = Path(round_dir)
    if round_dir.name.isdigit():
        return round_dir.parent, "", int(round_dir.name)
    if round_dir.parent.name.isdigit():
        return round_dir.parent.parent, round_dir.name, int(round_dir.parent.name)
    return round_dir.parent, "", None


def round_pages(round_dir: Path) -> dict[int, Path]:
    """Return the index page of every round under the same reports folder (and scheme).

    Parameters
    ----------
    round_dir : pathlib.Path
        ``<out>/<round>`` or ``<out>/<round>/<scheme>``.

    Returns
    -------
    dict of int to pathlib.Path
        Round to its ``index.html`` (this round's included, written or not).
    """
    base, sub, this = _layout(round_dir)
    pages: dict[int, Path] = {}
    if base.is_dir():
        for folder in base.iterdir():
            page = folder / sub / "index.html" if sub else folder / "index.html"
            if folder.name.isdigit() and page.is_file():
                pages[int(folder.name)] = page
    if this is not None:
        pages[this] = Path(round_dir) / "index.html"
    return dict(sorted(pages.items()))


def rounds_nav(round_dir: Path, pages: dict[int, Path]) -> str:
    """Return the links to the other rounds' index pages, between the round markers."""
    _, _, this = _layout(round_dir)
    if len(pages) < 2:
        return ROUNDS_START + ROUNDS_END
    items = []
    for r, page in pages.items():
        if r == this:
            items.append(f"<b>{r}</b>")
        else:
            href = Path(os.path.relpath(page, Path(round_dir))).as_posix()
            items.append(f'<a href="{html.escape(href, quote=True)}">{r}</a>')
    return (f'{ROUNDS_START}<nav class="rounds">{_both("index.rounds")}: {" ".join(items)}'
            f"</nav>{ROUNDS_END}")


def _model_figures(summary: dict[str, Any]) -> dict[str, Any]:
    """Return the model estimates of a model-based report's summary, on the index's scale.

    The summary holds them as printed (``estimate`` times ``scale``, rounded), under
    ``model_estimates``; the index shows shares as fractions, like the other rows.
    """
    figures: dict[str, Any] = {}
    for row in summary.get("model_estimates") or []:
        if row.get("estimate") is None:  # hidden in the report: hidden here
            continue
        try:
            figures[str(row["measure"])] = float(row["estimate"]) / float(row.get("scale", 1.0))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
    return figures


def _rules_line(outcomes: Sequence[Any]) -> str:
    """Which rules the listed reports were made under (from their summaries), in one line.

    Reports of another scoring scheme (``--scheme``) or of edited rules read different
    numbers with the same look; the index of each says which. More than one (reports kept
    from an earlier run of other rules) is a warning.
    """
    by_fp: dict[str, tuple[str, str, bool, str]] = {}
    for o in outcomes:  # one entry per rules fingerprint (an older summary lacks some keys)
        s = o.summary or {}
        if not s.get("scheme"):
            continue
        fp = str(s.get("rules_fingerprint"))
        known = by_fp.get(fp)
        if known is None or (not known[1] and s.get("grade_rules")):
            by_fp[fp] = (str(s.get("scheme")), str(s.get("grade_rules") or ""),
                         bool(s.get("grade_rules_draft")), fp)
    used = sorted(by_fp.values())
    if not used:
        return ""
    text = " · ".join(
        f"{_both('index.scheme')} {html.escape(scheme)}"
        + (f" · {_both('index.grade_rules')} {html.escape(grades)}" if grades else "")
        + (f" ({_both('cover.grade_draft')})" if draft else "")
        + f" · {_both('index.rules_fingerprint')} {html.escape(fp)}"
        for scheme, grades, draft, fp in used)
    css = "warning" if len(used) > 1 else "muted"
    return f'<p class="{css}" id="rules">{_both("index.rules")}: {text}</p>'


def _model_note() -> str:
    from abcresearch.analysis.status import load_status_rules

    n = load_status_rules().min_sampled_villages
    return f'<p class="muted" id="model-note">{_both("index.model_note", n=n)}</p>'


def _left_out_warning(left_out: Sequence[str]) -> str:
    if not left_out:
        return ""
    from abcresearch.batch.incomplete import area_list
    from abcresearch.labels import label

    texts = {lang: label("index.left_out", lang, areas=area_list(left_out, lang))
             for lang in ("th", "en")}
    parts = "".join(f'<span class="{lang}">{html.escape(text)}</span>'
                    for lang, text in texts.items())
    return f'<p class="warning" id="left-out">⚠ {parts}</p>'


def _coverage(outcomes: Sequence[Any], round_areas: Mapping[str, Collection[str]]) -> str:
    """One line per level: how many of the round's areas with data have a report here.

    An index of one amphoe's batch lists 16 tambons; without this line a reader cannot tell
    whether the province's other tambons have no data or no report yet.
    """
    from abcresearch.labels import label

    lines = []
    for level in ("amphoe", "tambon", "village"):
        areas = set(round_areas.get(level) or ())
        if not areas:
            continue
        made = {o.area_code for o in outcomes if o.level == level and o.paths.pdf.is_file()}
        n = len(made & areas)
        key = "index.coverage_all" if n == len(areas) else "index.coverage"
        fields = {"n": f"{n:,}", "total": f"{len(areas):,}", "missing": f"{len(areas) - n:,}"}
        texts = {lang: label(key, lang, level=label(f"level.{level}", lang),
                             unit=label(f"index.unit.{level}", lang), **fields)
                 for lang in ("th", "en")}
        lines.append("".join(f'<span class="{lang}">{html.escape(text)}</span>'
                             for lang, text in texts.items()))
    if not lines:
        return ""
    return f'<p class="muted" id="coverage">{"<br>".join(lines)}</p>'


def render_index(round_dir: Path, survey_round: int, outcomes: Sequence[Any],
                 province_pdfs: Iterable[Path] = (), synthetic: bool = False,
                 left_out: Sequence[str] = (), rounds: str = "",
                 round_areas: Mapping[str, Collection[str]] | None = None) -> str:
    """Return the HTML of the index page.

    Parameters
    ----------
    round_dir : pathlib.Path
        ``reports/<round>``; links are relative to it.
    survey_round : int
    outcomes : sequence of ReportOutcome
        One per area, in display order.
    province_pdfs : iterable of pathlib.Path
        Province overview PDFs to link.
    synthetic : bool
        Show the synthetic-data banner.
    left_out : sequence of str
        Tambons left out of the round's figures: a warning names them.
    rounds : str
        Links to the other rounds (:func:`rounds_nav`).
    round_areas : mapping of str to collection of str, optional
        Per level (``"tambon"``, ``"village"``, ``"amphoe"``), the codes of the round's areas
        with data: a line says how many of them have a report here.
    """
    rows = []
    models = 0
    # an amphoe column where the rows are tambons or villages: an officer finds their own
    with_amphoe = any(len(o.area_code) >= 6 for o in outcomes)
    for o in outcomes:
        summary = o.summary or {}
        model = summary.get("estimate_basis") == "model"
        models += model
        th_name, en_name = _row_names(o.area_code, summary)
        tag = f' <span class="model">* {_both("index.model_tag")}</span>' if model else ""
        cells = [
            (f'<span class="th">{html.escape(th_name)}</span>'
             f'<span class="en">{html.escape(en_name)}</span>{tag}', html.escape(en_name), ""),
            (html.escape(o.area_code), o.area_code, ""),
        ]
        sort_th = [th_name]
        if with_amphoe:
            amphoe = _amphoe_names(o.area_code)
            if amphoe is None:
                cells.insert(1, ("–", "", ""))
                sort_th.append("")
            else:
                cells.insert(1, (f'<span class="th">{html.escape(amphoe[0])}</span>'
                                 f'<span class="en">{html.escape(amphoe[1])}</span>',
                                 html.escape(amphoe[1]), ""))
                sort_th.append(amphoe[0])
        grade = summary.get("grade")
        shown_grade = html.escape(str(grade)) if grade is not None else "–"
        if grade is not None and summary.get("grade_status") == "near_threshold":
            shown_grade += f' <span class="model">({_both("grade_status.near_threshold")})</span>'
        cells.append((shown_grade, html.escape(str(grade or "")), ""))
        # a model row shows the model's figures only (a direct one of its few villages, for
        # a measure the model does not estimate, would read as a model estimate)
        figures = ({**summary, "m0": None, "share_level1": None, **_model_figures(summary)}
                   if model else summary)
        for key, kind in (("households", "int"), ("m0", "float"), ("share_level1", "share")):
            shown, sort = _num(figures.get(key), kind)
            if model and key != "households" and shown != "–":
                shown = f'<span class="model">{shown}*</span>'
            cells.append((shown, sort, "num"))
        if o.paths.pdf.is_file():
            link = (f'<a href="{html.escape(_rel(o.paths.pdf, round_dir))}">PDF</a>'
                    + _workbook_link(o.paths.pdf, round_dir))
            if o.status == "failed" and o.paths.error.is_file():  # a failed rerun kept it
                link += (f' · <a href="{html.escape(_rel(o.paths.error, round_dir))}">'
                         f'{_both("index.failed")}: {_both("index.error_log")}</a>')
            cells.append((link, "0", "links"))
        elif o.paths.error.is_file():
            link = (f'<a href="{html.escape(_rel(o.paths.error, round_dir))}">'
                    f'{_both("index.failed")}: {_both("index.error_log")}</a>')
            cells.append((link, "1", "links"))
        else:
            cells.append(("–", "2", ""))
        # names sort in the language shown (Thai names in Thai order, not by the English)
        th_sorts = [f' data-sort-th="{html.escape(name, quote=True)}"' for name in sort_th]
        tds = "".join(f'<td class="{cls}" data-sort="{html.escape(sort, quote=True)}"'
                      f'{th_sorts[i] if i < len(th_sorts) else ""}>{shown}</td>'
                      for i, (shown, sort, cls) in enumerate(cells))
        css = ' class="failed"' if o.status == "failed" else ""
        rows.append(f"<tr{css}>{tds}</tr>")
    headers = [("index.area", "text"), *([("index.amphoe", "text")] if with_amphoe else []),
               ("index.code", "text"), ("grade", "text"),
               ("index.households_surveyed", "num"), ("index.m0", "num"),
               ("index.share_level1", "num"),
               ("index.report", "text")]
    head = "".join(f'<th data-type="{t}">{_both(k)}</th>' for k, t in headers)
    province = "".join(
        f'<li><a href="{html.escape(_rel(p, round_dir))}">{_both("index.province")} '
        f'{html.escape(p.stem)}</a>{_workbook_link(p, round_dir)}</li>' for p in province_pdfs)
    if (round_dir / "methods.pdf").is_file():
        province += (f'<li><a href="methods.pdf">{_both("index.methods")}</a>'
                     f'{_workbook_link(round_dir / "methods.pdf", round_dir)}</li>')
    failed = sum(o.status == "failed" for o in outcomes)
    banner = f'<p class="banner">{_both("synthetic.banner")}</p>' if synthetic else ""
    title_th, title_en = _text("index.title")
    return f"""<!DOCTYPE html>
<html lang="th"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title_th)} · {html.escape(title_en)} {survey_round}</title>
<style>{_font_face()}{_CSS}</style></head>
<body class="lang-th">
<h1>{_both("index.title")} · {_both("round")} {survey_round}
<button type="button" onclick="setLang('th')">ไทย</button><button type="button"
onclick="setLang('en')">English</button></h1>
{rounds}
{banner}
{_left_out_warning(left_out)}
{_rules_line(outcomes)}
<p class="muted">{_both("index.reports", n=len(outcomes))} · {failed}
{_both("index.failed")} ·
{_both("index.sort_hint")}</p>
{_coverage(outcomes, round_areas or {})}
<ul>{province}</ul>
<table id="areas"><thead><tr>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
{_model_note() if models else ""}
<p class="muted" id="dash-note">{_both("index.dash_note")}</p>
<script>{_JS}</script>
</body></html>
"""


def write_index(round_dir: Path, survey_round: int, outcomes: Sequence[Any],
                lang: str = "th", synthetic: bool | None = None,
                left_out: Sequence[str] | None = None,
                round_areas: Mapping[str, Collection[str]] | None = None) -> Path:
    """Write ``<round_dir>/index.html`` atomically and return its path.

    Parameters
    ----------
    round_dir : pathlib.Path
        ``reports/<round>``.
    survey_round : int
    outcomes : sequence of ReportOutcome
        Areas to list (skipped ones included).
    lang : {"th", "en"}
        Initial language (the page remembers the reader's choice).
    synthetic : bool, optional
        Show the synthetic-data banner; default: any summary says ``synthetic``.
    left_out : sequence of str, optional
        Tambons left out of the round's figures; default: those the summaries name.
    round_areas : mapping of str to collection of str, optional
        The round's areas with data per level (:func:`render_index`); without it the page does
        not say how many have no report.
    """
    from abcresearch.atomic import atomic_write_bytes

    round_dir = Path(round_dir)
    provinces = sorted((round_dir / "province").glob("[0-9][0-9].pdf"))
    if synthetic is None:
        synthetic = any((o.summary or {}).get("synthetic") for o in outcomes)
    if left_out is None:
        from abcresearch.batch.incomplete import LEFT_OUT_KEY

        left_out = sorted({str(t) for o in outcomes
                           for t in (o.summary or {}).get(LEFT_OUT_KEY) or []})
    pages = round_pages(round_dir)
    page = render_index(round_dir, survey_round, outcomes, provinces, bool(synthetic),
                        left_out, rounds_nav(round_dir, pages), round_areas)
    page = page.replace('<body class="lang-th">', f'<body class="lang-{lang}">')
    path = round_dir / "index.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    for other in pages.values():  # the other rounds' pages link this one from now on
        if other != path:
            _relink(other, pages)
    return path


def _relink(page: Path, pages: dict[int, Path]) -> None:
    """Rewrite the round links of another round's index page (pages without markers: kept)."""
    from abcresearch.atomic import atomic_write_bytes

    try:
        text = page.read_text(encoding="utf-8")
    except OSError:
        return
    if ROUNDS_START not in text:
        return
    nav = rounds_nav(page.parent, pages)
    new = _ROUNDS_RE.sub(lambda m: nav, text, count=1)
    if new != text:
        atomic_write_bytes(page, new.encode("utf-8"))


def index_rows(outcomes: Sequence[Any]) -> str:
    """Return the index data as JSON (code, status, summary) — handy for tests and tools."""
    return json.dumps([{"area_code": o.area_code, "status": o.status, "summary": o.summary}
                       for o in outcomes], ensure_ascii=False)
