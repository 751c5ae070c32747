"""A synthetic province in the shape of real exports, for the demo, tests and benchmarks.

Owns the village frame, the generator of households, members and village forms, their
Kobo-style formatting, injected errors and the writers. It may import the core modules,
``survey`` (areas, instrument) and ``scoring`` (the scheme's item order), never ``store``,
``ingest`` or ``reports``: what it writes is read back through ``ingest`` like any export.
"""

from __future__ import annotations

from abcresearch.synth.generate import SynthResult, synthesize, village_frame

__all__ = ["SynthResult", "synthesize", "village_frame"]
