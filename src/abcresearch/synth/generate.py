"""Synthetic province generator: what a KoboToolbox export of the instrument would look like.

``abcresearch synth --province 80 --round 2549 --seed N --out DIR`` calls :func:`synthesize`, which
writes a household file, a roster (``member``) file linked by Kobo's ``_index``/``_parent_index``
and a village file, as Kobo "XML values and headers" exports (CSV by default, XLSX on request),
plus ``SYNTHETIC.txt`` and the ground truth under ``_truth/``.

The jobs live in their own modules: the village frame (:mod:`~abcresearch.synth.frame`), random
streams and links (:mod:`~abcresearch.synth.draws`), the population model
(:mod:`~abcresearch.synth.population`), Kobo formatting (:mod:`~abcresearch.synth.kobo`),
injected errors (:mod:`~abcresearch.synth.errors`) and the writers
(:mod:`~abcresearch.synth.writers`). Same arguments, byte-identical files; no wall-clock time is
used.

Speed (``benchmarks/bench_synth.py``, 2 shared cores): the full province census (1,551 villages,
231,029 households, 774,662 members for seed 1) takes about 20 s of CPU for CSV with a peak of
about 1.4 GB resident memory; ``truth=True`` adds about 17 s of CPU (every one of the province's
about 420,000 households generated and scored, amphoe by amphoe) and no memory beyond that peak.
XLSX goes through openpyxl write-only mode at about 3 s per 1,000 households: about 1 minute for
Mueang amphoe (21,000 households), 10-12 minutes for the full province, so use it for subsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from abcresearch.errors import InputError
from abcresearch.survey import instrument
from abcresearch.synth import errors, kobo, sampling, writers
from abcresearch.synth.auxiliary import bmn_table
from abcresearch.synth.frame import village_frame
from abcresearch.synth.population import CAPITALS, Population, generate
from abcresearch.synth.truth import area_truth

__all__ = ["GENERATOR_VERSION", "SynthResult", "synthesize", "village_frame"]

#: Version of the generator; written into SYNTHETIC.txt. Bump when outputs change.
GENERATOR_VERSION = "1.1"


@dataclass
class SynthResult:
    """What :func:`synthesize` wrote.

    Attributes
    ----------
    out : Path
        Output folder.
    province, survey_round, seed, fmt :
        The arguments used.
    n_villages, n_tambons, n_amphoes, n_households, n_members, n_errors : int
        Counts written (``n_errors``: injected data-entry errors, see ``_truth``).
    files : list of Path
        Every file written.
    selection : str
        How the villages were chosen (see :mod:`abcresearch.synth.sampling`).
    """

    out: Path
    province: str
    survey_round: int
    seed: int
    fmt: str
    n_villages: int
    n_tambons: int
    n_amphoes: int
    n_households: int
    n_members: int
    n_errors: int = 0
    files: list[Path] = field(default_factory=list)
    selection: str = ""

    def summary(self) -> str:
        """Return a short multi-line description of the export."""
        lines = [
            f"SYNTHETIC data written to {self.out} ({self.fmt})",
            f"  province {self.province}, round {self.survey_round}, seed {self.seed}",
            f"  {self.n_amphoes} amphoe, {self.n_tambons} tambon, {self.n_villages} villages",
            f"  {self.n_households} households, {self.n_members} household members",
        ]
        if self.selection:
            lines.append(f"  village selection: {self.selection}")
        if self.n_errors:
            lines.append(f"  {self.n_errors} injected data-entry errors "
                         "(_truth/injected_errors.csv)")
        return "\n".join(lines)


def _check_arguments(fmt: str, households_per_village: int, error_rate: float,
                     survey_round: int) -> None:
    if fmt not in ("csv", "xlsx"):
        raise InputError(f"format {fmt!r} is not csv or xlsx")
    if households_per_village < 1:
        raise InputError("households per village must be at least 1")
    if households_per_village > 999:
        raise InputError("households per village must be at most 999")
    if not 0.0 <= error_rate <= 0.5:
        raise InputError(f"error rate {error_rate} must be between 0 and 0.5")
    if not 2400 <= int(survey_round) <= 2700:
        raise InputError(f"round {survey_round} does not look like a Buddhist-era year")


def _effects_tables(pop: Population) -> dict[str, pd.DataFrame]:
    """Ground truth of the latent structure: tambon and village effects."""
    frame = pop.frame
    teff, veff = pop.tambon_latent, pop.village_latent
    vtab = pd.DataFrame({"village_code": frame["village_code"], "tambon_code": frame["tambon_code"],
                         "amphoe_code": frame["amphoe_code"], "effect": veff[:, 0],
                         "total_effect": teff[:, 0] + veff[:, 0]})
    for k, c in enumerate(CAPITALS):
        vtab[f"effect_{c}"] = veff[:, k + 1]
    d = pop.draws
    vtab["drift"] = pop.drift
    vtab["missing_multiplier"] = pop.missing_multiplier
    vtab["vil_households"] = d.n_total.astype("int64")
    vtab["households_sampled"] = d.n_sampled
    vtab["weight"] = d.n_total / d.n_sampled
    return {"tambon_effects.csv": pop.tambon_effects.copy(), "village_effects.csv": vtab}


def _note(pop: Population, n_members: int, households_per_village: int, fmt: str,
          error_rate: float, sel: sampling.Selection) -> str:
    frame = pop.frame
    hform = instrument.load_form("household")
    vform = instrument.load_form("village")
    return "\n".join([
        "SYNTHETIC DATA - ข้อมูลสังเคราะห์ ไม่ใช่ข้อมูลจริง",
        "",
        "These files are synthetic. They were generated by `abcresearch synth` and describe no "
        "real",
        "households or people; names, phone numbers and national ID numbers are made up.",
        "",
        f"generator: abcresearch synth {GENERATOR_VERSION}",
        f"province: {frame['amphoe_code'].iloc[0][:2]}",
        f"round: {pop.survey_round} (BE) = {pop.survey_round - 543} (CE)",
        f"seed: {pop.seed}",
        f"amphoe: {frame['amphoe_code'].nunique()}, tambon: {frame['tambon_code'].nunique()}, "
        f"villages: {len(frame)}",
        f"households: {pop.n_households}, members: {n_members}",
        f"village selection: {sel.describe()}",
        f"households per village (max): {households_per_village}",
        f"format: {fmt}",
        f"error rate: {error_rate} (data-entry errors injected on purpose; see _truth/)",
        "item non-response: built in (blank answers to capital items, 2.5-4 % of the money",
        "  questions and 0.3 % of the others, more in some villages); ingest names each blank",
        "  as an item_missing warning and scores it as not answered",
        f"instrument versions: household {hform.version}, village {vform.version}",
        "",
        "frame.csv is the round's sampling frame, bmn.csv the auxiliary village data (BMN-style",
        "shares of the year before the round); both are described in docs/INPUTS.md.",
        "_truth/ holds the latent effects, the allocation of the village sample and (when asked)",
        "the true values of every area over all its households: ground truth for tests and",
        "benchmarks; ingest ignores it.",
        "",
    ])


def synthesize(province: str = "80", survey_round: int = 2549, seed: int = 1,
               out: Path | str = Path("synthetic"), amphoe: Sequence[str] | str | None = None,
               villages: int | Sequence[str] | None = None, households_per_village: int = 150,
               fmt: str = "csv", error_rate: float = 0.0, *, wave: int | None = None,
               resurvey: int = 0, wave_sizes: Sequence[int] | None = None,
               truth: bool = False) -> SynthResult:
    """Write a synthetic KoboToolbox export of the instrument for a province, with its frame.

    Besides the three forms, the export folder gets ``frame.csv`` (every village of the province:
    households, stratum, wave, sampled, selection probability, re-survey), ``bmn.csv`` (จปฐ.-style
    shares of every village of the province for the year before the round,
    :mod:`abcresearch.synth.auxiliary`), both as in ``docs/INPUTS.md``, ``SYNTHETIC.txt`` and
    ``_truth/`` (ignored by ingest).

    Parameters
    ----------
    province : str
        Two-digit province code (default ``"80"``, Nakhon Si Thammarat).
    survey_round : int
        Round as a Buddhist-era year (2549 = 2006 CE); interview dates fall in that year.
    seed : int
        Random seed; same arguments give byte-identical files. The village frame does not depend
        on it; households, effects, answers and the village selection do.
    out : Path
        Output folder (created).
    amphoe : str or list of str, optional
        Restrict the survey to these amphoe codes (the frame still lists the province).
    villages : int or list of str, optional
        ``None``: every village (of the chosen amphoe), or the villages of ``wave``; an int N: a
        one-off sample of N villages stratified by amphoe; a list: these 8-digit village codes.
    households_per_village : int
        Households sampled per village (capped by the households in the village): the first
        ``households_per_village`` of the village's households, which are in random order.
    fmt : {"csv", "xlsx"}
        Export format. CSV: ``household.csv``, ``member.csv``, ``village.csv`` (Kobo style: ``;``,
        all fields quoted, UTF-8, CRLF). XLSX: ``household.xlsx`` (sheets ``abc_household`` and
        ``member``) and ``village.xlsx`` (sheet ``abc_village``); slow for the full province
        (several minutes), meant for subsets.
    error_rate : float
        Share of rows (per file) given realistic data-entry errors; listed in
        ``_truth/injected_errors.csv`` (``file, row, column, kind, original, value, valid``; ``row``
        is the 1-based data row = ``_index``; ``valid`` marks valid-but-unusual entries such as
        Thai digits).
    wave : int, optional
        Rollout wave of this round (1 = the first year): the wave's new villages, drawn by amphoe
        as :mod:`abcresearch.synth.sampling` states (by default 400, 600, then the 551 that remain
        of the province's 1,551). Use the same ``seed`` for every round of a rollout.
    resurvey : int
        With ``wave`` 2 or later: villages of earlier waves surveyed again (stratified by amphoe);
        about 85 % of their households are the households of the earlier visit.
    wave_sizes : sequence of int, optional
        New villages per wave, instead of the programme's.
    truth : bool
        Also generate every household of every village of the province (or of ``amphoe``), score
        them and write the finite-population values of every village, tambon, amphoe and the
        province to ``_truth/areas.csv`` (:func:`abcresearch.synth.truth.area_truth`). Off by
        default: for the full province it takes about as long again as the export, within the
        export's peak memory.

    Returns
    -------
    SynthResult
        Counts and files written.

    Raises
    ------
    AreaError
        Unknown province, amphoe or village codes.
    InputError
        Invalid numeric arguments, format or selection.
    """
    province = str(province)
    _check_arguments(fmt, households_per_village, error_rate, survey_round)
    survey_round = int(survey_round)
    out = Path(out)
    sel = sampling.select(village_frame(province), survey_round, seed, amphoe=amphoe,
                          villages=villages, wave=wave, resurvey=resurvey, wave_sizes=wave_sizes)
    frame = sel.sampled
    # everything that can fail or take long comes before the first file is written
    bmn = bmn_table(seed, survey_round, province)
    areas = area_truth(province, survey_round, seed, amphoe=amphoe) if truth else None

    pop = generate(frame, seed, survey_round, households_per_village)
    ht = kobo.household_table(pop)
    mt = kobo.member_table(pop, ht)
    vt = kobo.village_table(pop)
    tables = {"household": ht, "member": mt, "village": vt}
    injected = errors.inject(tables, error_rate, seed, survey_round) if error_rate > 0 else []
    del mt.cols["_pid_all"]

    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if fmt == "csv":
        for name, t in tables.items():
            writers.write_kobo_csv(out / f"{name}.csv", t)
            files.append(out / f"{name}.csv")
    else:
        writers.write_xlsx(out / "household.xlsx",
                           [(instrument.load_form("household").form_id, ht), ("member", mt)])
        writers.write_xlsx(out / "village.xlsx", [(instrument.load_form("village").form_id, vt)])
        files += [out / "household.xlsx", out / "village.xlsx"]
    n_members = mt.n
    del tables, ht, mt, vt
    writers.write_csv(out / "frame.csv", sel.frame_csv())
    writers.write_csv(out / "bmn.csv", bmn)
    files += [out / "frame.csv", out / "bmn.csv"]
    tables_truth = _effects_tables(pop)
    tables_truth["allocation.csv"] = sel.allocation
    if areas is not None:
        tables_truth["areas.csv"] = areas
    if error_rate > 0:
        tables_truth["injected_errors.csv"] = pd.DataFrame(injected, columns=errors.ERROR_COLUMNS)
    for name, df in tables_truth.items():
        writers.write_csv(out / "_truth" / name, df)
        files.append(out / "_truth" / name)
    writers.atomic_write_bytes(out / "SYNTHETIC.txt", _note(
        pop, n_members, households_per_village, fmt, error_rate, sel).encode("utf-8"))
    files.append(out / "SYNTHETIC.txt")
    return SynthResult(out=out, province=province, survey_round=survey_round, seed=seed, fmt=fmt,
                       n_villages=len(frame), n_tambons=frame["tambon_code"].nunique(),
                       n_amphoes=frame["amphoe_code"].nunique(), n_households=pop.n_households,
                       n_members=n_members, n_errors=len(injected), files=files,
                       selection=sel.describe())
