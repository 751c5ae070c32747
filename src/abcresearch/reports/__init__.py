"""Report content for each reader: stage 5 of the data path.

Owns what a report says: the area report (:mod:`~abcresearch.reports.area`), the province
overview (:mod:`~abcresearch.reports.province`) and the methods appendix
(:mod:`~abcresearch.reports.methods`), each a thin class with one method per section. A section
(:mod:`~abcresearch.reports.sections`, one module each; how to add one is said there) returns a
result object (:mod:`~abcresearch.reports.results`) that renders itself and carries its numbers.
The jobs behind a section each have a module: the data a report rests on
(:mod:`~abcresearch.reports.context`), estimation (:mod:`~abcresearch.reports.estimates`),
disclosure control for everything published (:mod:`~abcresearch.reports.disclosure`), words and
number formats (:mod:`~abcresearch.reports.formatting`), charts
(:mod:`~abcresearch.reports.charts`), and typesetting (:mod:`~abcresearch.reports.render`:
notebook -> Typst -> PDF, the nbconvert exporter, fonts). It may import everything below it
(core, ``survey``, ``store``, ``stats``, ``scoring``, ``analysis``), never ``batch`` or ``cli``.
"""
