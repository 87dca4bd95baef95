"""``python -m mlops_lab.serving --model battery-cycles --tracking-uri sqlite:///mlruns.db``."""

from mlops_lab.serving.cli import standalone

if __name__ == "__main__":
    standalone()
