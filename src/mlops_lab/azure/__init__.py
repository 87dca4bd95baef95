"""Azure ML integration: `kedro azureml submit`, compiling every pipeline, local emulation."""
