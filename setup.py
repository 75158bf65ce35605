# All metadata lives in pyproject.toml; this shim lets older tools (`python setup.py develop`) work too.
from setuptools import setup
setup()
