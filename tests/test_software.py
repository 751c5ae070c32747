"""The software fingerprint: abcresearch's version and a hash of its code, for results on disk."""

from __future__ import annotations

import os

import abcresearch.software as software
from abcresearch import __version__


def test_fingerprint_changes_with_any_module_and_only_then(tmp_path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__pycache__").mkdir()
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 2\n")
    first = software.fingerprint_of(package)
    assert first.startswith(f"{__version__}+") and first == software.fingerprint_of(package)
    (package / "notes.txt").write_text("not code")  # other files and byte code do not count
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert software.fingerprint_of(package) == first
    b = package / "sub" / "b.py"
    b.write_text("y = 3\n")  # same size: the new modification time reads the file again
    st = b.stat()
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    changed = software.fingerprint_of(package)
    assert changed != first
    (package / "sub" / "c.py").write_text("")  # a new module
    assert software.fingerprint_of(package) not in (first, changed)
    # a process keeps the fingerprint of the code it loaded
    assert software.software_fingerprint() == software.fingerprint_of(software._PACKAGE)


def test_the_round_analysis_cache_key_follows_the_code(sample_store, monkeypatch) -> None:
    import abcresearch.analysis.round as round_mod

    key = round_mod.round_analysis(2549, sample_store).key
    assert round_mod.round_analysis(2549, sample_store).key == key
    monkeypatch.setattr(round_mod, "software_fingerprint", lambda: f"{__version__}+other")
    manifest = round_mod.data_mod.manifest(2549, sample_store)
    spec = round_mod.choose_design(round_mod.round_frame(2549, sample_store, manifest))
    assert round_mod._cache_key(manifest, round_mod.load_scheme(None), spec) != key


def test_reports_name_the_code_that_made_them() -> None:
    from abcresearch.reports.context import MethodsContext
    from abcresearch.reports.sections import methods

    label = software.software_label()
    version, _, code = label.partition("+")
    assert version == __version__ and len(code) == 8
    assert software.software_fingerprint().startswith(label)
    # the methods appendix's versions line (the reports' provenance lines take the same label)
    assert f"abcresearch {label}" in methods.cover(MethodsContext.load()).text
