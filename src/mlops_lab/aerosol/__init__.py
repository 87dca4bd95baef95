"""Aerosol (new-particle-formation) domain: day labels, DMPS export format, preprocessing.

The modules here are pure functions shared by the ``aerosol_data`` pipeline, the
``classify_days`` inference pipeline and the registered MLflow model, so inference applies
exactly the transformations used to build the training data:

- :mod:`~mlops_lab.aerosol.labels`: parse the SMEAR II event-classification file and map
  the 5 classes onto the 4- and 3-class schemes;
- :mod:`~mlops_lab.aerosol.grid`: SmartSMEAR channel names and diameter grids;
- :mod:`~mlops_lab.aerosol.schemas`: pandera schemas of the raw files;
- :mod:`~mlops_lab.aerosol.preprocessing`: export -> size distribution on the model grid ->
  cleaned complete days -> scaled day tensors;
- :mod:`~mlops_lab.aerosol.features`: hand-made features for the non-deep baseline;
- :mod:`~mlops_lab.aerosol.plots`: surface plots of days.
"""
