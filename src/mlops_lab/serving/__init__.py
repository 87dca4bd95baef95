"""Real-time scoring of any registered model over HTTP (``kedro serve``).

:mod:`~mlops_lab.serving.payload` checks a request against the model's MLflow signature,
:mod:`~mlops_lab.serving.app` is the endpoint (health, schema, scoring),
:mod:`~mlops_lab.serving.cli` starts it (``kedro serve`` in the project,
``python -m mlops_lab.serving`` anywhere) and :mod:`~mlops_lab.serving.score` is the same
scoring path behind Azure ML's inference server (``init()`` / ``run()``).
"""
