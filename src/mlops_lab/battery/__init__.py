"""Battery domain: column names, schemas, the lab's regularisation rules, forecasting
features, candidates, metrics and the rolling-origin splitter.

Pipelines (``battery_simulation``, ``battery_data``, ``battery_forecasting``,
``battery_batch_scoring``) import from here; they never import each other.
"""
