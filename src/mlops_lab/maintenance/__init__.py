"""Car maintenance domain: the raw file's schema and the feature derivation shared by the
data pipeline and, later, the model's scoring and fairness assessment.

The owner's ``gender`` is a sensitive attribute: it is kept apart (``SENSITIVE_COLUMNS``)
for fairness assessment and is never a model feature.
"""
