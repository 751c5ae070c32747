"""The survey instrument and what is read from the field: stage 1 of the data path.

Owns the official area codes (:mod:`~abcresearch.survey.areas`), the XLSForm instrument and its
codebook (:mod:`~abcresearch.survey.instrument`), reading Kobo / ODK exports into text sheets
(:mod:`~abcresearch.survey.readers`), the validation rules applied to them
(:mod:`~abcresearch.survey.validate`) and keyed pseudonyms for national IDs
(:mod:`~abcresearch.survey.pseudonyms`). It may import only the core modules
(:mod:`abcresearch.errors`, :mod:`abcresearch.paths`, :mod:`abcresearch.labels`,
:mod:`abcresearch.atomic`); nothing here writes the store.
"""
