"""The report of a tambon no sampled village reached (issue 13, item 5).

The store is the scaled-down rollout of ``test_analysis_smallarea.py`` (wave 1 of amphoe Pak
Phanang, 8012, 20 households per village, seed 3): tambons 801205 and 801209 have no sampled
village and a synthetic (model-only) estimate; 801201 has sampled villages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_analysis_smallarea import ROUND, rollout_store  # noqa: F401  (module fixture)

from abcresearch.analysis.smallarea import round_small_area
from abcresearch.analysis.status import SUMMARY_KEYS
from abcresearch.labels import label
from abcresearch.survey import pseudonyms as privacy

MODEL_TAMBON = "801205"


@pytest.fixture(scope="module")
def model_report(rollout_store, tmp_path_factory):  # noqa: F811
    """The model-based report of 801205 made by the runner, as a batch run makes it."""
    from abcresearch.batch.runner import run_report

    out = tmp_path_factory.mktemp("model_reports")
    return run_report(MODEL_TAMBON, ROUND, store=rollout_store, lang="th", out=out)


def _text(path) -> str:
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 comes with the dev extra")
    pdf = pdfium.PdfDocument(str(path))
    return re.sub(r"\s", "", "".join(pdf[i].get_textpage().get_text_range()
                                     for i in range(len(pdf))))


def test_runner_uses_the_model_notebook_for_a_tambon_without_households(
        rollout_store, model_report) -> None:  # noqa: F811
    from abcresearch.reports.model_tambon import NOTEBOOK, model_only

    assert model_report.status == "ok", model_report.error
    nb = json.loads(model_report.paths.ipynb.read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["input_path"].endswith(f"notebooks/{NOTEBOOK}")
    assert model_only(MODEL_TAMBON, ROUND, rollout_store)
    assert not model_only("801201", ROUND, rollout_store)  # sampled: the area report
    assert not model_only("801501", ROUND, rollout_store)  # outside the model's universe


def test_pdf_says_model_based_with_rmse(rollout_store, model_report) -> None:  # noqa: F811
    text = _text(model_report.paths.pdf)
    squash = lambda s: re.sub(r"\s", "", s)  # noqa: E731
    assert squash(label("basis.model", "th")) in text
    assert squash(label("grade_status.provisional_ungraded", "th")) in text  # no group
    assert squash("สำรวจ 0 จาก 5 หมู่บ้าน") in text
    assert "RMSE" in text
    rows = round_small_area(ROUND, rollout_store).area(MODEL_TAMBON).set_index("measure")
    assert (rows["kind"] == "synthetic").all()
    est, rmse = rows.at["share_level1", "estimate"], rows.at["share_level1", "rmse"]
    assert f"{100 * est:.1f}" in text and f"{100 * rmse:.1f}" in text
    assert squash(label("synthetic.banner", "th")) in text


def test_summary_json_keys(model_report) -> None:
    s = json.loads(model_report.paths.summary.read_text(encoding="utf-8"))
    assert set(SUMMARY_KEYS) <= set(s)
    assert s["area_code"] == MODEL_TAMBON and s["level"] == "tambon"
    assert s["estimate_basis"] == "model" and s["grade"] is None
    assert s["grade_status"] == "provisional"
    assert s["coverage"]["villages_surveyed"] == 0 and s["coverage"]["villages_total"] == 5
    assert s["households_estimated"] is None and s["synthetic"] is True
    m = {e["measure"]: e for e in s["model_estimates"]}
    assert m["share_level1"]["kind"] == "synthetic"
    assert m["share_level1"]["ci_low"] < m["share_level1"]["estimate"] < \
        m["share_level1"]["ci_high"]


def test_no_personal_data_in_what_the_report_writes(rollout_store, model_report) -> None:  # noqa: F811,E501
    export = rollout_store.parent / "export"
    hh = pd.read_csv(export / "household.csv", dtype=str, sep=";")
    members = pd.read_csv(export / "member.csv", dtype=str, sep=";")
    names = ["hh/head_name", "member/m_name"]
    values = [v for df in (hh, members) for c in names if c in df for v in df[c].dropna()]
    pid_cols = ["hh/head_pid", "hh/phone", "member/m_pid"]
    ids = {v for df in (hh, members) for c in pid_cols if c in df for v in df[c].dropna()}
    assert values and ids  # the export has names, IDs and phones to look for
    p = model_report.paths
    for text in (_text(p.pdf), p.ipynb.read_text(encoding="utf-8"),
                 p.summary.read_text(encoding="utf-8")):
        privacy.assert_no_personal_data(text, names=values)
        assert not any(i in text for i in ids)


def test_cli_reports_a_model_tambon_and_refuses_one_with_neither(
        rollout_store, monkeypatch, tmp_path, capsys) -> None:  # noqa: F811
    from abcresearch import cli
    from abcresearch.batch import runner

    seen = {}

    def fake_run_report(area, survey_round, **kw):  # the runner is tested above
        seen["area"] = area
        return runner.ReportOutcome(area, survey_round, "tambon", "ok",
                                    runner.ReportPaths.for_area(area, survey_round, tmp_path))

    monkeypatch.setattr(runner, "run_report", fake_run_report)
    code = cli.main(["report", "--area", MODEL_TAMBON, "--round", str(ROUND), "--store",
                     str(rollout_store), "--out", str(tmp_path)])
    assert code == 0 and seen["area"] == MODEL_TAMBON
    capsys.readouterr()
    code = cli.main(["report", "--area", "801501", "--round", str(ROUND), "--store",
                     str(rollout_store)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no model estimate" in err[0]
    # a notebook of one's own for a tambon with model estimates only: said as it is (it said
    # "no model estimate", beside an index and a report showing them)
    code = cli.main(["report", "--area", MODEL_TAMBON, "--round", str(ROUND), "--store",
                     str(rollout_store), "--notebook", str(tmp_path / "mine.ipynb")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "only model-based estimates" in err[0]
    assert "without --notebook" in err[0]
    # a copy of the model-based notebook is the researcher's own model report: it runs
    from abcresearch.paths import project_root

    mine = tmp_path / "1.1-my-model.ipynb"
    mine.write_bytes((project_root() / "notebooks" / "model_tambon.ipynb").read_bytes())
    code = cli.main(["report", "--area", MODEL_TAMBON, "--round", str(ROUND), "--store",
                     str(rollout_store), "--notebook", str(mine), "--out", str(tmp_path)])
    assert code == 0 and seen["area"] == MODEL_TAMBON


@pytest.mark.parametrize("lang", ["th", "en"])
def test_a_tambon_whose_sampled_villages_sent_no_form_is_not_called_unsampled(
        rollout_store, monkeypatch, lang) -> None:  # noqa: F811
    """A household file cut short left 621 sampled villages without data, and their tambons'
    reports said that none of their villages was in the sample."""
    from abcresearch.reports.model_tambon import ModelTambonReport
    from abcresearch.reports.sections import smallarea as section

    report = ModelTambonReport.load(MODEL_TAMBON, ROUND, store=rollout_store, lang=lang)
    # its cover's title says what it is: model estimates, not a survey's results
    assert label("model_tambon.cover.title", lang) in report.cover().text
    assert label("cover.title", lang) not in report.cover().text
    assert section.frame_villages(report)[1] == 0  # truly not sampled: said so
    not_sampled = label("model_tambon.why.not_sampled", lang, be=ROUND)
    assert not_sampled in report.methods_note().text
    assert "{" not in report.methods_note().text
    monkeypatch.setattr(section, "frame_villages", lambda _report: (5, 2))
    methods = report.methods_note().text
    assert label("model_tambon.why.no_data", lang, be=ROUND, sampled=2) in methods
    assert not_sampled not in methods
    plain = report.small_area().text
    no_data = label("smallarea.plain.synthetic_no_data", lang, sampled=2, villages_total=5,
                    villages=0, households="0")
    assert no_data.replace("**", "") in plain.replace("**", "")


# ------------------------------------------------------------- the batch plans them (index)
def test_model_only_tambons_are_the_ones_model_only_names(rollout_store) -> None:  # noqa: F811
    from abcresearch.reports.model_tambon import model_only, model_only_tambons
    from abcresearch.store import load

    found = model_only_tambons(ROUND, rollout_store)
    frame = load(ROUND, store=rollout_store, table="frame")
    expected = sorted(t for t in frame["tambon_code"].unique()
                      if model_only(t, ROUND, rollout_store))
    assert found == expected and MODEL_TAMBON in found and "801201" not in found
    assert model_only_tambons(ROUND, rollout_store, within="8012") == found
    assert model_only_tambons(ROUND, rollout_store, within="8015") == []


def test_batch_plans_a_model_tambon_with_the_model_notebook(rollout_store, tmp_path) -> None:  # noqa: F811,E501
    """The batch left out tambons with no sampled village, without a word on the index."""
    from abcresearch.batch.run import available_areas, plan_batch
    from abcresearch.reports.model_tambon import NOTEBOOK

    plan = plan_batch(ROUND, "tambon", "8012", store=rollout_store, out=tmp_path)
    assert MODEL_TAMBON not in available_areas(ROUND, "tambon", "8012", rollout_store)
    assert MODEL_TAMBON in plan.codes and MODEL_TAMBON in plan.model_only
    tasks = {t.area_code: t for t in plan.tasks}
    assert tasks[MODEL_TAMBON].notebook.endswith(NOTEBOOK)
    assert "compare_round" not in tasks[MODEL_TAMBON].parameters
    assert tasks["801201"].notebook.endswith("area_report.ipynb")
    # a notebook of one's own is for areas with households: model tambons are not planned
    own = tmp_path / "mine.ipynb"
    own.write_bytes((Path(tasks["801201"].notebook)).read_bytes())
    mine = plan_batch(ROUND, "tambon", "8012", store=rollout_store, out=tmp_path, notebook=own)
    assert MODEL_TAMBON not in mine.codes and mine.model_only == ()


def test_index_shows_model_estimates_marked(rollout_store, model_report, tmp_path) -> None:  # noqa: F811,E501
    from abcresearch.batch.index_page import render_index
    from abcresearch.batch.runner import ReportOutcome, ReportPaths
    from abcresearch.reports.area import AreaReport

    model_summary = json.loads(model_report.paths.summary.read_text(encoding="utf-8"))
    one_village = AreaReport.load("801215", ROUND, store=rollout_store).summary()
    assert one_village["estimate_basis"] == "model"
    printed = {e["measure"]: e for e in one_village["model_estimates"]}
    rows = round_small_area(ROUND, rollout_store).area("801215").set_index("measure")
    assert printed["m0"]["estimate"] == round(float(rows.at["m0", "estimate"]), 3)
    direct = AreaReport.load("801201", ROUND, store=rollout_store).summary()
    assert direct["estimate_basis"] == "direct" and "model_estimates" not in direct
    outcomes = [ReportOutcome(code, ROUND, "tambon", "ok",
                              ReportPaths.for_area(code, ROUND, tmp_path), summary=s)
                for code, s in (("801201", direct), ("801215", one_village),
                                (MODEL_TAMBON, model_summary))]
    page = render_index(tmp_path / str(ROUND), ROUND, outcomes)
    body = {m.group(1): m.group(0) for m in re.finditer(r"<tr>.*?(80\d{4}).*?</tr>", page)}
    m0 = {e["measure"]: e["estimate"] for e in model_summary["model_estimates"]}["m0"]
    assert f"{m0:.3f}*" in body[MODEL_TAMBON]
    assert f"{printed['m0']['estimate']:.3f}*" in body["801215"]  # the model's, not its village's
    assert "*" not in re.sub(r"<[^>]+>", "", body["801201"])
    assert label("index.model_tag", "th") in body[MODEL_TAMBON]
    assert label("index.model_note", "en", n=2) in page.replace("&#x27;", "'")
    assert 'id="model-note"' not in render_index(tmp_path / str(ROUND), ROUND, outcomes[:1])
    # a model figure its report hides is hidden here too (estimate None in the summary)
    hidden = {**one_village, "model_estimates": [
        {**e, "estimate": None} if e["measure"] == "m0" else e
        for e in one_village["model_estimates"]]}
    row = render_index(tmp_path / str(ROUND), ROUND, [ReportOutcome(
        "801215", ROUND, "tambon", "ok", ReportPaths.for_area("801215", ROUND, tmp_path),
        summary=hidden)])
    cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', row)
    assert cells[1] == "–" and "*" in cells[2]  # M0 hidden, level-1 share shown


def test_a_model_need_near_its_threshold_says_so(rollout_store) -> None:  # noqa: F811
    """800108 read "high need: 42 (threshold 40)" with a 95% interval of 21.6-62.5 and no
    "near a threshold", which a direct tambon's figure that close gets. The flag follows
    the rules' own test (values inside the intervals that would change the need class)."""
    import pandas as pd

    from abcresearch.reports.model_tambon import ModelTambonReport
    from abcresearch.scoring.readiness import near_threshold

    report = ModelTambonReport.load(MODEL_TAMBON, ROUND, store=rollout_store)
    sec = report.small_area()
    rows = report.rows.set_index("measure")
    ind = pd.DataFrame({f"{m}{b}": [float(rows.at[m, k])] for m in ("share_level1", "m0")
                        for b, k in (("", "estimate"), ("_ci_low", "ci_low"),
                                     ("_ci_high", "ci_high"))})
    near = bool(near_threshold(ind)["need_near_threshold"].iloc[0])
    assert sec.details["need"]["near_threshold"] is near
    assert (label("smallarea.need_near", "th") in sec.text) is near
    # pinned cases of the rules' test: M0 alone deciding high need is not near
    pinned = pd.DataFrame({"share_level1": [0.42, 0.42], "share_level1_ci_low": [0.216, 0.216],
                           "share_level1_ci_high": [0.625, 0.625], "m0": [0.45, 0.394],
                           "m0_ci_low": [0.40, 0.26], "m0_ci_high": [0.50, 0.529]})
    assert near_threshold(pinned)["need_near_threshold"].tolist() == [False, True]


def test_a_sampled_tambon_is_sent_to_the_area_report_without_a_store_hint(
        rollout_store) -> None:  # noqa: F811
    """This notebook's defaults on the demo store (every village surveyed) said to run
    ``make demo``, which the user had just done (a walk-through): the area is wrong, not the
    store."""
    from abcresearch.errors import AreaError
    from abcresearch.reports.model_tambon import ModelTambonReport
    from abcresearch.reports.render.display import error_lines

    with pytest.raises(AreaError, match=r"has households in round .*area_report\.ipynb") as err:
        ModelTambonReport.load("801201", ROUND, store=rollout_store)
    assert len(error_lines(err.value, "th")) == 1  # the sentence alone, no store hint
