"""Offline stand-in for the get-pip.py bootstrap script ansible-test downloads.

ansible-test creates a venv without pip for each sanity test, then runs the cached script as
`python get_pip_X.py --disable-pip-version-check pip==X [--no-setuptools] [--no-wheel] ...`.
Its download host is unreachable here; this does the same with ensurepip and PyPI.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args])
