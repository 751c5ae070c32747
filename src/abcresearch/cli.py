"""Command line: ``abcresearch synth | ingest | report | batch | serve``.

Every user error (an :class:`~abcresearch.errors.AbcResearchError`, a wrong option, an
over-long argument, a path of the wrong kind, an area or a ``--within`` with no data in the
round) becomes one clear sentence on stderr and exit code 2; no traceback. These checks run
before any report work starts (the store is read through :mod:`abcresearch.store`). Values
echoed in messages are cut to a readable length. Heavy modules are imported only by the
subcommand that needs them, so ``abcresearch --help`` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

from abcresearch import __version__
from abcresearch.errors import AbcResearchError, InputError, StoreError

#: Longest command-line argument accepted (a path can be up to 4,096 bytes on Linux).
MAX_ARGUMENT_CHARS = 4096
#: Characters of a value echoed back in a message.
ECHO_CHARS = 40

#: subcommand name -> (function that adds its arguments, function that runs it)
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {}


Run = Callable[[argparse.Namespace], int]


def command(name: str, add_args: Callable[[argparse.ArgumentParser], None]
            ) -> Callable[[Run], Run]:
    """Register a subcommand (decorator on its run function)."""

    def deco(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = (add_args, run)
        return run

    return deco


def command_of(argv: Sequence[str]) -> str:
    """Return the subcommand named in ``argv`` (``""`` if none)."""
    return next((a for a in argv if a in COMMANDS), "")


def cut(text: object, n: int = ECHO_CHARS) -> str:
    """Return ``text`` cut to ``n`` characters for echoing (``…`` and its length when cut)."""
    text = str(text)
    if len(text) <= n:
        return text
    return f"{text[:n]}… ({len(text):,} characters)"


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one sentence on stderr (values cut), exit status 2."""

    _argv: Sequence[str] = ()

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> None:  # type: ignore[override]
        import re

        long_quoted = r"'([^']{" + str(ECHO_CHARS + 1) + r",})'"
        message = re.sub(long_quoted, lambda m: f"'{cut(m.group(1))}'", message)
        if message.startswith("the following arguments are required"):
            message += self._unknown_options()
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def _unknown_options(self) -> str:
        """Return ``"; --rond is not an option (--round?)"`` for each unknown option given.

        argparse reports a misspelt required option only as the required one missing (a fresh
        user's walk-through).
        """
        import difflib

        known = [o for o in self._option_string_actions if o.startswith("--")]
        # argparse takes an option's unambiguous prefix ("--are" for --area) and "--" ends them
        given = [a.split("=", 1)[0] for a in self._argv if a.startswith("--") and a != "--"]
        unknown = [o for o in given
                   if o not in known and sum(k.startswith(o) for k in known) != 1]
        said = []
        for option in unknown:
            close = difflib.get_close_matches(option, known, n=1)
            said.append(f"{cut(option)} is not an option" + (f" ({close[0]}?)" if close else ""))
        return "; " + "; ".join(said) if said else ""


def _check_paths(args: argparse.Namespace) -> None:
    """``--store`` and ``--out`` must be folders (or not exist yet)."""
    for opt in ("store", "out"):
        path = getattr(args, opt, None)
        if path is not None and Path(path).exists() and not Path(path).is_dir():
            what = "analysis store" if opt == "store" else "output folder"
            raise InputError(f"--{opt} {cut(path, 80)} is a file, but the {what} must be a "
                             "folder")


def _check_long_arguments(argv: Sequence[str], command: str) -> None:
    for i, arg in enumerate(argv):
        if len(arg) > MAX_ARGUMENT_CHARS:
            prev = argv[i - 1] if i and argv[i - 1].startswith("--") else None
            what = f"the value of {prev}" if prev else f"argument {i + 1}"
            raise InputError(f"{what} is {len(arg):,} characters long (it starts "
                             f"{cut(arg)!r}); at most {MAX_ARGUMENT_CHARS:,} are accepted")


def _areas_with_data(survey_round: int, store: Path | str | None) -> str:
    """Name the amphoe with data in the round, for error sentences ("amphoe 8001, 8015")."""
    from abcresearch.store import tambons_with_data

    amphoes = sorted({t[:4] for t in tambons_with_data(survey_round, store)})
    return (f"amphoe {', '.join(amphoes[:8])}{', ...' if len(amphoes) > 8 else ''}; "
            "'abcresearch areas' lists their codes" if amphoes else "none")


def _check_area_has_data(area_code: str, survey_round: int, store: Path | None) -> None:
    """Refuse an official area with no households in the round: one sentence, before any work."""
    from abcresearch.store import has_data
    from abcresearch.survey.areas import get_area

    area = get_area(str(area_code).strip())  # AreaError for a malformed or unknown code
    if not has_data(survey_round, area.code, store):
        raise StoreError(f"{area.level} {area.code} ({area.name_th}) has no households in round "
                         f"{survey_round} of the store (areas with data: "
                         f"{_areas_with_data(survey_round, store)})")


def _check_within(within: str | None, survey_round: int, store: Path | None,
                  level: str | None = None) -> None:
    """``--within`` must name an official area above ``level`` with data in the round."""
    if not within:
        return
    from abcresearch.batch.run import WITHIN_LEVELS
    from abcresearch.store import tambons_with_data
    from abcresearch.survey.areas import get_area

    area = get_area(str(within).strip())
    allowed = WITHIN_LEVELS.get(level or "", ())
    if allowed and area.level not in allowed:  # 0 areas and exit 0 otherwise
        raise InputError(f"--within {area.code} is a code of level {area.level}: a batch of "
                         f"{level} reports takes a {' or '.join(allowed)} code")
    if not any(t.startswith(area.code[:6]) for t in tambons_with_data(survey_round, store)):
        raise StoreError(f"--within {area.code} ({area.name_th}) matches no area with data in "
                         f"round {survey_round} of the store (areas with data: "
                         f"{_areas_with_data(survey_round, store)})")


def _codes(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def _synth_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--province", default="80", help="two-digit province code (default 80)")
    p.add_argument("--round", dest="survey_round", type=int, required=True,
                   help="survey round as a Buddhist-era year, e.g. 2549")
    p.add_argument("--seed", type=int, default=1,
                   help="random seed (same seed, same files; keep it for every round of a rollout)")
    p.add_argument("--out", type=Path, required=True, help="folder to write the export into")
    p.add_argument("--amphoe", help="only these amphoe codes (comma-separated)")
    p.add_argument("--villages",
                   help="a number N (a one-off sample of N villages, stratified by amphoe) or "
                        "comma-separated village codes (default: every village, a census)")
    p.add_argument("--wave", type=int, default=None,
                   help="rollout wave of this round (1 = first year): the wave's new villages, "
                        "drawn by amphoe (400, 600, then the 551 that remain)")
    p.add_argument("--resurvey", type=int, default=0,
                   help="with --wave 2 or later: villages of earlier waves surveyed again "
                        "(about 85%% of their households are the same)")
    p.add_argument("--wave-sizes", dest="wave_sizes",
                   help="new villages per wave, comma-separated (default 400,600,600 of the "
                        "province, the last wave taking the villages left: 551 of its 1,551; "
                        "scaled to --amphoe)")
    p.add_argument("--households", type=int, default=150,
                   help="households sampled per village (default 150)")
    p.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], default="csv")
    p.add_argument("--errors", type=float, default=0.0,
                   help="share of rows given realistic data-entry errors (default 0)")
    p.add_argument("--truth", action="store_true",
                   help="also generate every household and write the true value of every area "
                        "to _truth/areas.csv (slower)")


@command("synth", _synth_args)
def _run_synth(args: argparse.Namespace) -> int:
    """Write a synthetic export of a province, with its village frame (frame.csv)."""
    from abcresearch.errors import InputError
    from abcresearch.synth.generate import synthesize

    villages: int | list[str] | None = None
    if args.villages:
        villages = int(args.villages) if args.villages.isdigit() else _codes(args.villages)
    sizes: list[int] | None = None
    if args.wave_sizes:
        parts = _codes(args.wave_sizes) or []
        if not all(x.isdigit() for x in parts):
            raise InputError(f"--wave-sizes must be whole numbers separated by commas, "
                             f"found {args.wave_sizes!r}")
        sizes = [int(x) for x in parts]
    result = synthesize(province=args.province, survey_round=args.survey_round, seed=args.seed,
                        out=args.out, amphoe=_codes(args.amphoe), villages=villages,
                        households_per_village=args.households, fmt=args.fmt,
                        error_rate=args.errors, wave=args.wave, resurvey=args.resurvey,
                        wave_sizes=sizes, truth=args.truth)
    print(result.summary())
    return 0


def _ingest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("directory", type=Path, help="folder holding the export files")
    p.add_argument("--round", dest="survey_round", type=int, required=True,
                   help="survey round as a Buddhist-era year, e.g. 2549")
    p.add_argument("--store", type=Path, default=None, help="analysis store (default data/store)")
    p.add_argument("--wait", action="store_true",
                   help="if another ingest is writing the store, wait for it (default: stop)")
    p.add_argument("--new-key", action="store_true",
                   help="accept a pseudonym key that differs from the store's other rounds; "
                        "the rounds are then marked as not linkable")
    p.add_argument("--accept-cut-short", action="store_true",
                   help="store the rows read from an export that looks cut short (default: "
                        "refuse it, so that no sampled village looks unsurveyed)")


class Terminated(KeyboardInterrupt):
    """SIGTERM during an ingest: unwound as Ctrl-C is (its partial version folder removed)."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated


@command("ingest", _ingest_args)
def _run_ingest(args: argparse.Namespace) -> int:
    """Validate, pseudonymise and store a survey export (one round)."""
    import signal
    import threading

    from abcresearch.ingest.pipeline import ingest

    # a SIGTERM (a scheduler's stop, `kill`) ends the ingest as Ctrl-C does, said in a sentence,
    # instead of leaving silently with its unfinished version folder for the next ingest to find
    main_thread = threading.current_thread() is threading.main_thread()
    previous = (signal.signal(signal.SIGTERM, _raise_terminated)
                if main_thread and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else None)
    try:
        result = ingest(args.directory, survey_round=args.survey_round, store=args.store,
                        wait=args.wait, new_key=args.new_key,
                        accept_cut_short=args.accept_cut_short)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print(result.summary(notes=False))  # each warning once, on stderr
    for note in result.notes:
        print(f"abcresearch ingest: warning: {note}", file=sys.stderr)
    return 0


def _areas_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--round", dest="survey_round", type=int, default=None,
                   help="survey round as a Buddhist-era year (default: the store's latest)")
    p.add_argument("--level", choices=["amphoe", "tambon", "village"], default=None,
                   help="which areas (default: the level below --within, or amphoe)")
    p.add_argument("--within", help="only areas in this province, amphoe or tambon code")
    p.add_argument("--store", type=Path, default=None, help="analysis store (default data/store)")
    p.add_argument("--csv", action="store_true",
                   help="print CSV (code, Thai and English name, counts) instead of a table")


@command("areas", _areas_args)
def _run_areas(args: argparse.Namespace) -> int:
    """List the areas a round holds, with villages and households surveyed (their codes)."""
    from functools import partial

    from abcresearch.labels import label, village_name
    from abcresearch.store import rounds, surveyed, village_names
    from abcresearch.store.layout import store_path
    from abcresearch.survey.areas import LEVELS, get_area

    order = list(LEVELS.values())  # from the province down
    present = rounds(args.store)
    if not present:
        raise StoreError(f"the store {store_path(args.store)} holds no round yet; run "
                         "'abcresearch ingest' first")
    survey_round = args.survey_round if args.survey_round is not None else present[-1]
    within = get_area(str(args.within).strip()) if args.within else None
    above = order.index(within.level) if within is not None else 0
    level = args.level or order[min(above + 1, len(order) - 1)]  # the level below --within
    if within is not None and order.index(level) <= above and level != "village":
        below = f" to list its {_plural(order[above + 1])}" if above + 1 < len(order) else ""
        raise InputError(f"--within {within.code} is a code of level {within.level}: there are "
                         f"no {level} areas inside it (leave --level out{below})")
    table = surveyed(survey_round, level, within.code if within else None, args.store)
    if table.empty:
        if within is not None and within.level == "village":  # a mistyped village code
            _refuse_unknown_village(within, survey_round, args.store)
        where = f"--within {within.code} ({within.name_th})" if within else "the round"
        raise StoreError(f"{where} has no households in round {survey_round} of the store "
                         f"(areas with data: {_areas_with_data(survey_round, args.store)})")
    # a village's number and its own name from the village form, as its reports name it
    own: dict[str, str] = {}
    if level == "village":
        for area in [within.code] if within else sorted({c[:2] for c in table.index}):
            own.update(village_names(survey_round, area, args.store))
    names = {lang: [village_name(partial(label, lang=lang), get_area(c).name_th if lang == "th"
                                 else get_area(c).name_en, own.get(c)) for c in table.index]
             for lang in ("th", "en")}
    rows = table.assign(name_th=names["th"], name_en=names["en"])
    if args.csv:
        cols = ["name_th", "name_en", "households"] + (
            [] if level == "village" else [c for c in ("villages", "frame_villages")
                                           if c in rows])
        from abcresearch.atomic import neutralise_frame

        # village names are typed in the field: none is read as a formula by a spreadsheet
        neutralise_frame(rows[cols].rename_axis(f"{level}_code")).to_csv(sys.stdout)
        return 0
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    where = f" in {within.level} {within.code} ({within.name_th})" if within else ""
    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    console.print(f"Round {survey_round}: village {within.code} ({within.name_th})"
                  if within is not None and within.level == "village" else
                  f"Round {survey_round}: {len(rows):,} "
                  f"{_plural(level) if len(rows) != 1 else level} with households{where}",
                  soft_wrap=True)
    out = Table(box=box.SIMPLE_HEAD)
    out.add_column("code")
    out.add_column("name")
    if level != "village":  # a village's English label repeats its Thai name
        out.add_column("")
        out.add_column("villages surveyed", justify="right")
    out.add_column("households surveyed", justify="right")
    for code, row in rows.iterrows():
        cells: list[str | Text] = [str(code), Text(row["name_th"])]  # "[...]": no markup
        if level != "village":
            cells.append(Text(row["name_en"]))
            of = (f" of {int(row['frame_villages']):,}" if "frame_villages" in rows else "")
            cells.append(f"{int(row['villages']):,}{of}")
        cells.append(f"{int(row['households']):,}")
        out.add_row(*cells)
    console.print(out)
    others = [r for r in present if r != survey_round]
    example = str(rows.index[0])
    hints = [f"A report: abcresearch report --area {example} --round {survey_round}"]
    if within is None or within.level != "village":
        hints.append(f"All of them: abcresearch batch --round {survey_round} --level {level}"
                     + (f" --within {within.code}" if within is not None else ""))
    if others:
        hints.append(f"Other rounds in the store: {', '.join(map(str, others))}")
    console.print("\n".join(hints), soft_wrap=True)
    return 0


def _plural(level: str) -> str:
    """Return a level's name for several areas ("tambons", "villages"; "amphoe" stays)."""
    return level if level == "amphoe" else f"{level}s"


def _batch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--round", dest="survey_round", type=int, required=True,
                   help="survey round as a Buddhist-era year, e.g. 2549")
    p.add_argument("--level", choices=["village", "tambon", "amphoe"], required=True,
                   help="which reports: one per village, tambon or amphoe")
    p.add_argument("--within", help="only areas in this province or amphoe code (for "
                                    "village reports also a tambon code)")
    p.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    p.add_argument("--scheduler", help="run on this Dask scheduler (tcp://HOST:PORT)")
    p.add_argument("--store", type=Path, default=None, help="analysis store (default data/store)")
    p.add_argument("--out", type=Path, default=None,
                   help="reports folder (default reports/; for a --store other than data/store "
                        "reports/stores/<store folder>/)")
    p.add_argument("--lang", choices=["th", "en"], default="th",
                   help="report language (English reports and their index go to "
                        "reports/<round>/en/)")
    p.add_argument("--force", action="store_true", help="rerun reports whose inputs are unchanged")
    p.add_argument("--scheme", default=None,
                   help="scoring scheme: a name in params/ (e.g. scoring_slf5) or a YAML file; "
                        "a non-default scheme writes to reports/<round>/<scheme>/")
    p.add_argument("--compare-round", dest="compare_round", type=int, default=None,
                   help="earlier round for the change sections (default: for each area the "
                        "latest earlier round with its data)")
    _notebook_arg(p)


def _notebook_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notebook", type=Path, default=None,
                   help="a report notebook of your own (a copy of notebooks/area_report.ipynb "
                        "keeping its parameters cell); its reports go to "
                        "reports/custom/<notebook name>/ (under reports/stores/<store folder>/ "
                        "for another --store) unless --out is given, never over the shipped "
                        "reports")


def _reports_out(args: argparse.Namespace) -> Path | None:
    """Return the reports folder: ``--out``, or else a folder of its own where needed.

    A notebook of one's own reports into ``reports/custom/<notebook>/``, a store other than the
    default one into ``reports/stores/<store folder>/``, so neither writes over the default
    store's reports.
    """
    if args.out is not None:
        return cast(Path, args.out)
    from abcresearch.paths import store_reports_dir

    base = store_reports_dir(args.store)
    if args.notebook is not None:
        return base / "custom" / Path(args.notebook).stem
    return base


@command("batch", _batch_args)
def _run_batch(args: argparse.Namespace) -> int:
    """Run the report of every area of a level (warm workers or a Dask cluster)."""
    from abcresearch.batch.run import run_batch, start_worker_server

    if not args.scheduler:
        # the workers' fork server imports their libraries (about 1 s) on another core while
        # this process imports the analysis, checks --within and plans: started first, before
        # those imports (0.4 s), a district batch's workers took their first report 0.5 s sooner
        start_worker_server()
    with _saying_when_analysed("batch"):
        _check_within(args.within, args.survey_round, args.store, args.level)
        result = run_batch(args.survey_round, args.level, within=args.within,
                           workers=args.workers, scheduler=args.scheduler, store=args.store,
                           out=_reports_out(args), lang=args.lang, force=args.force,
                           progress=True, scheme=args.scheme,
                           compare_round=args.compare_round, notebook=args.notebook)
    print(result.summary())
    return result.exit_code


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--area", required=True,
                   help="village (8 digits), tambon (6), amphoe (4) or province (2) code")
    p.add_argument("--round", dest="survey_round", type=int, required=True,
                   help="survey round as a Buddhist-era year, e.g. 2549")
    p.add_argument("--store", type=Path, default=None, help="analysis store (default data/store)")
    p.add_argument("--lang", choices=["th", "en"], default="th",
                   help="report language (an English report goes to reports/<round>/en/)")
    p.add_argument("--out", type=Path, default=None,
                   help="reports folder (default reports/; for a --store other than data/store "
                        "reports/stores/<store folder>/)")
    p.add_argument("--scheme", default=None,
                   help="scoring scheme: a name in params/ (e.g. scoring_slf5) or a YAML file; "
                        "a non-default scheme writes to reports/<round>/<scheme>/")
    _notebook_arg(p)


def _warm_pdf() -> None:
    """Pay the first PDF's one-off costs (Typst, fonts, Thai word list) in a helper thread."""
    try:
        from abcresearch.reports.render.pdf import warm_up

        warm_up()
    except Exception:  # noqa: BLE001 - the report's own PDF step reports any real problem
        pass


@contextlib.contextmanager
def _saying_when_analysed(command: str) -> Iterator[None]:
    """While a command runs, say on stderr, once, when a round's analysis is built.

    Said as the build starts (:data:`abcresearch.analysis.round.BUILD_NOTICES`), so a command
    refused by its checks says one sentence, and one reading the cache says nothing; written
    to the command's own stderr, not into the notebook whose cell builds it. Removed when the
    command ends (a test's or a server's next command has a stream of its own).
    """
    from abcresearch.analysis import round as round_mod

    said: set[int] = set()
    stream = sys.stderr  # the command's: a notebook run in this process has its own

    def notice(survey_round: int) -> None:
        if survey_round in said:
            return
        said.add(survey_round)
        print(f"abcresearch {command}: round {survey_round} of this store is analysed first "
              "(every area's scores, levels, grades and what may be published; about half a "
              "minute for a province, once: later reports reuse it)", file=stream, flush=True)

    round_mod.BUILD_NOTICES.append(notice)
    try:
        yield
    finally:
        round_mod.BUILD_NOTICES.remove(notice)


def _refuse_unknown_village(area: Any, survey_round: int, store: Path | None) -> None:
    """Refuse a village code the round's frame does not hold, listing its tambon's villages.

    Villages are not in the official lists, so any two digits after a tambon's code make a
    well-formed village code; "หมู่ที่ 99" of a tambon of 16 villages is a mistyped code, and
    the one sentence says which codes the tambon has (a fresh user's walk-through got the
    province's amphoe instead).
    """
    from abcresearch.store import load
    from abcresearch.survey.areas import code_ranges, get_area

    tambon = get_area(area.code[:6])
    try:
        villages = sorted(set(load(survey_round, area=tambon.code, store=store, table="frame",
                                   columns=["village_code"])["village_code"].astype(str)))
    except StoreError:  # a round without a frame: the villages with households
        try:
            villages = sorted(set(load(survey_round, area=tambon.code, store=store,
                                       columns=["village_code"])["village_code"].astype(str)))
        except StoreError:
            return  # the tambon has none either: the general sentence says so
    if not villages:
        return
    raise StoreError(f"village {area.code} is not a village of tambon {tambon.code} "
                     f"({tambon.name_th}) in round {survey_round} (its villages: "
                     f"{code_ranges(villages)}; 'abcresearch areas --within {tambon.code}' "
                     "lists those with households)")


@command("report", _report_args)
def _run_report(args: argparse.Namespace) -> int:
    """Make one area's PDF report and its executed notebook."""
    import threading
    import time

    started = time.perf_counter()

    from abcresearch.batch import inprocess, kernels
    from abcresearch.batch.parameters import resolve_scheme
    from abcresearch.survey.areas import get_area

    area = get_area(str(args.area).strip())  # AreaError for a malformed or unknown code
    resolve_scheme(args.scheme)  # ParamsError before any kernel starts or data is read

    # the notebook runs in this process (abcresearch.batch.inprocess), as in a batch worker:
    # cheaper than a kernel of its own, even counting the kernel's start overlapped with the
    # checks below (benchmarks/bench_cli_report.py); its PDF is typeset by the helper process
    # entry() started (abcresearch.batch.pdf_process), else here, with the first PDF's
    # one-off costs (Typst's fonts, the Thai word list) paid meanwhile in a helper thread
    from abcresearch.batch import pdf_process

    if not _SERVER_PROCESS and pdf_process.active() is None:
        threading.Thread(target=_warm_pdf, name="abcresearch-pdf-warm-up", daemon=True).start()
    from abcresearch.analysis.round import store_area_status
    from abcresearch.analysis.status import EstimateBasis
    from abcresearch.batch.runner import run_report
    from abcresearch.reports.model_tambon import model_only

    try:
        modelled = model_only(area.code, args.survey_round, args.store, args.scheme)
        own = Path(args.notebook) if args.notebook is not None else None
        own_model_notebook = own is not None and own.is_file() and "ModelTambonReport" in \
            own.read_text(encoding="utf-8", errors="replace")  # a copy of model_tambon.ipynb
        if modelled and own is not None and not own_model_notebook:
            # an area notebook of one's own needs households (a copy of the model notebook not)
            raise StoreError(f"tambon {area.code} ({area.name_th}) has no surveyed households "
                             f"in round {args.survey_round}, only model-based estimates, which "
                             f"an area report notebook cannot show: run abcresearch report "
                             f"without --notebook for its model-based report, or give a copy of "
                             f"notebooks/model_tambon.ipynb")
        model = modelled and (own is None or own_model_notebook)
        status = store_area_status(args.survey_round, area.code, args.store,
                                   model_areas=[area.code] if model else None)
        if status.basis is EstimateBasis.NONE:  # the status model's not_surveyed: one sentence
            have = _areas_with_data(args.survey_round, args.store)
            total = status.coverage.villages_total
            if area.level == "village" and not total:
                _refuse_unknown_village(area, args.survey_round, args.store)
            of = ("it is not in the round" if not total else "the village was not surveyed"
                  if area.level == "village" else
                  f"none of its {total:,} villages in the round's frame was surveyed")
            raise StoreError(f"{area.level} {area.code} ({area.name_th}) is not surveyed in "
                             f"round {args.survey_round}: {of}, so it has no households in round "
                             f"{args.survey_round} of the store and no model estimate (areas "
                             f"with data: {have})")
        if not model:  # a tambon with a model estimate only gets notebooks/model_tambon.ipynb
            _check_area_has_data(args.area, args.survey_round, args.store)
        if not _SERVER_PROCESS:
            # only what the report notebook imports (a server: all); nothing inside someone's
            # IPython session or in a thread, where the engine runs the notebook in a warm kernel
            inprocess.NOTEBOOKS.start(imports=kernels.REPORT_IMPORTS)
        outcome = run_report(args.area, args.survey_round, store=args.store, lang=args.lang,
                             out=_reports_out(args), scheme=args.scheme,
                             engine=inprocess.ENGINE_NAME, notebook=args.notebook)
        if outcome.status == "failed":
            print(f"abcresearch report: {outcome.area_code} failed: {outcome.error} "
                  f"(details: {outcome.paths.error})", file=sys.stderr)
            return 1
        # the whole wait (imports and checks included), not only the notebook and its PDF
        # what the command wrote for a reader: the PDF, the notebook and the tables workbook
        workbook = outcome.paths.pdf.with_suffix(".xlsx")
        print(f"{outcome.paths.pdf}\n{outcome.paths.ipynb}\n"
              + (f"{workbook}\n" if workbook.is_file() else "")
              + f"({time.perf_counter() - started:.1f} s)", flush=True)
        return 0
    finally:
        kernels.POOL.release()  # stopped, unless a report server keeps it for the next report


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--idle-minutes", dest="idle_minutes", type=float, default=30.0,
                   help="stop after this many minutes without a report (default 30)")


def _serve_one(argv: Sequence[str], cwd: str) -> tuple[int, str, str]:
    """Run one command for the report server, its output captured."""
    import contextlib
    import io

    command_name = command_of(argv)
    if command_name not in SERVED_COMMANDS:
        return 2, "", (f"abcresearch serve: only {', '.join(sorted(SERVED_COMMANDS))} is made "
                       f"by the report server, not {cut(command_name or argv)!s}\n")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@command("serve", _serve_args)
def _run_serve(args: argparse.Namespace) -> int:
    """Keep a warm process for abcresearch report (run it in a terminal; Ctrl-C stops it)."""
    from abcresearch import server

    if not args.idle_minutes > 0:
        raise InputError(f"--idle-minutes must be above 0, got {args.idle_minutes:g}")
    return server.serve(_serve_one, idle_minutes=args.idle_minutes, warm=_warm_server)


_SERVER_PROCESS = False
"""Whether this process is a report server (``abcresearch serve``): its reports run their
notebooks in this process, already warm (every library imported, one report rehearsed), where
a command of its own first imports what the report notebook needs."""


def _warm_server() -> None:
    """Import the report's libraries in the server's process and pay the first report's costs."""
    global _SERVER_PROCESS
    from abcresearch.batch import kernels
    from abcresearch.batch.inprocess import NOTEBOOKS
    from abcresearch.batch.runner import run_report  # noqa: F401 - the command's imports, now
    from abcresearch.reports.render.pdf import warm_up

    _SERVER_PROCESS = True
    kernels.POOL.keep_warm = True  # should a report run in a kernel after all, keep it warm
    NOTEBOOKS.start()
    warm_up()
    _rehearse()


def _rehearse() -> None:
    """Make one report of the default store into a temporary folder, then remove it.

    The kernel's first use of each library (fonts, the first chart, the first parquet read)
    then falls before the server listens, not on the first report a user waits for (about 2 s).
    Without a store, or if it fails, nothing is said: the first real report reports problems.
    """
    import tempfile

    try:
        from abcresearch.batch.run import available_areas
        from abcresearch.store.read import rounds

        store_rounds = rounds()
        areas = available_areas(store_rounds[-1], "tambon") if store_rounds else []
        if not areas:
            return
        with tempfile.TemporaryDirectory(prefix="abcresearch-serve-warm-") as out:
            code, _, _ = _serve_one(["report", "--area", areas[0], "--round",
                                     str(store_rounds[-1]), "--out", out], os.getcwd())
    except Exception:  # noqa: BLE001 - a warm-up only
        return
    if code == 130:  # Ctrl-C during the warm-up: the report command caught it; stop the server
        raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every registered subcommand."""
    parser = _Parser(
        prog="abcresearch",
        description="Area-based community capital research: synth, ingest, report, batch.")
    parser.add_argument("--version", action="version", version=f"abcresearch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (add_args, run) in COMMANDS.items():
        p = sub.add_parser(name, help=(run.__doc__ or "").strip().split("\n")[0] or None)
        add_args(p)
        p.set_defaults(_run=run, _parser=p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command_name = command_of(argv)
    prog = f"abcresearch {command_name}".strip()
    try:
        _check_long_arguments(argv, command_name)
    except InputError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command's own parser: "see abcresearch report --help"
            args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    try:
        _check_paths(args)
        if args.command in NOTICE_COMMANDS:
            with _saying_when_analysed(args.command):
                return int(args._run(args) or 0)
        return int(args._run(args) or 0)
    except AbcResearchError as exc:
        print(f"abcresearch {args.command}: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"abcresearch {args.command}: terminated (SIGTERM); the store holds its round as "
              "it was or this ingest whole, never a part of it", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"abcresearch {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # whoever read the output stopped reading (`| head`): not a failure of the command
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


NOTICE_COMMANDS = frozenset({"report"})
"""Commands that say on stderr when they build a round's analysis (``batch`` says it too, from
its own function: it starts its workers' fork server before the analysis is imported)."""

SERVED_COMMANDS = frozenset({"report"})
"""Commands the console script hands to a running report server (``abcresearch serve``)."""

PDF_HELPER_COMMANDS = frozenset({"report"})
"""Commands whose console script typesets the PDF in a helper process (not when a report
server makes the report, nor when :func:`main` is called from Python)."""

QUICK_EXIT_COMMANDS = frozenset({"report", "batch"})
"""Commands after which the console script leaves without Python's interpreter teardown."""

EXIT_HANDLER_COMMANDS = frozenset({"batch"})
"""Quick-exit commands whose exit handlers (:mod:`atexit`) run before they leave: a batch's
logging, its multiprocessing and Dask clean-up and the finalizers of any temporary folder,
exactly as Python's own exit would run them. ``report`` leaves after flushing its logging only
(it stops its helper and its kernel itself)."""


def entry() -> NoReturn:
    """Console script ``abcresearch`` (and ``python -m abcresearch``): run :func:`main`, exit.

    After ``abcresearch report`` the process has printed its result, written every file
    atomically and stopped any kernel it used; what remains is Python's teardown of the
    libraries a report loads (about 0.8 s on two cores, the prompt's last wait). So that
    command flushes its output and logging and leaves with :func:`os._exit`. So does
    ``abcresearch batch``, whose workers have stopped by then (their fork server ends as the
    command leaves), after running its exit handlers (:data:`EXIT_HANDLER_COMMANDS`): the
    teardown took 0.2-0.5 s of a district's batch. Either exits the usual way while a thread
    other than a daemon one still runs. Other commands exit normally.

    ``abcresearch report`` made here (no report server) has its PDF typeset by a helper
    process (:mod:`abcresearch.batch.pdf_process`), started first and stopped and
    reaped before the exit; :func:`main` called from Python typesets in its own process.
    """
    argv = sys.argv[1:]
    command_name = command_of(argv)
    reply = None
    if command_name in SERVED_COMMANDS and not {"-h", "--help"} & set(argv):
        from abcresearch import server

        try:
            reply = server.request(argv)
        except KeyboardInterrupt:
            print(f"abcresearch {command_name}: interrupted (the report server finishes the "
                  "report it had started)", file=sys.stderr)
            sys.exit(130)
    if reply is not None:  # made by the report server of this setup
        sys.stdout.write(reply.stdout)
        sys.stderr.write(reply.stderr)
        code = reply.code
        if code == 0:
            print(f"abcresearch {command_name}: made by the report server (pid {reply.pid})",
                  file=sys.stderr)
    elif command_name in PDF_HELPER_COMMANDS and not {"-h", "--help"} & set(argv):
        # the PDF typeset in a helper process, which pays its one-off costs on the other core
        # while the command checks the area and runs the notebook
        from abcresearch.batch import pdf_process

        pdf_process.start()
        code = 1
        try:
            code = main(argv)
        finally:
            # after an interrupted or failed command the helper may be typesetting: killed
            pdf_process.stop(wait=code == 0)
    else:
        code = main(argv)
    if command_name in QUICK_EXIT_COMMANDS and _only_daemon_threads():
        if command_name in EXIT_HANDLER_COMMANDS and not _run_exit_handlers():
            sys.exit(code)  # pragma: no cover - no way to run them first: the usual exit
        import logging

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # closed or broken pipe: nothing more to say
                pass
        os._exit(code)
    sys.exit(code)


def _only_daemon_threads() -> bool:
    """Whether no thread but daemon ones runs beside the main thread.

    Python's exit waits for every other thread; a command that left one running (a library's
    writer, say) exits the usual way, so that it ends its work.
    """
    import threading

    main_thread = threading.main_thread()
    return all(t is main_thread or t.daemon or not t.is_alive() for t in threading.enumerate())


def _run_exit_handlers() -> bool:
    """Run the functions registered with :mod:`atexit` now, as Python's exit would.

    ``atexit._run_exitfuncs`` is the interpreter's own step (CPython and PyPy; it clears the
    list as it runs it). Returns False where it is missing: the caller then exits the usual
    way. What the quick exit then skips is the interpreter's teardown of the libraries alone
    (0.2-0.5 s after a district's batch).
    """
    import atexit

    run = getattr(atexit, "_run_exitfuncs", None)
    if run is None:  # pragma: no cover - CPython and PyPy have it
        return False
    run()
    return True


if __name__ == "__main__":  # pragma: no cover
    entry()
