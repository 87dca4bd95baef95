"""Component compliance domain: the lab's compliance rule, text normalisation, the text
vectoriser helpers and the packaged MLflow model (raw text in, probability and label out).

Pipelines ``component_simulation``, ``component_data``, ``component_compliance`` and
``classify_components`` share this module; they never import each other.
"""
