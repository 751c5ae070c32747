"""Report content for each reader: stage 5 of the data path.

Owns what a report says: the area report (:mod:`~abcresearch.reports.area`), the province
overview (:mod:`~abcresearch.reports.province`), the methods appendix
(:mod:`~abcresearch.reports.methods`), the shared section plumbing
(:mod:`~abcresearch.reports.sections`), disclosure control for everything published
(:mod:`~abcresearch.reports.disclosure`), and how it is typeset (:mod:`~abcresearch.reports.render`:
notebook -> Typst -> PDF, the nbconvert exporter, fonts). It may import everything below it
(core, ``survey``, ``store``, ``stats``, ``scoring``, ``analysis``), never ``batch`` or ``cli``.
"""
