import os, sys, subprocess
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def notebooks(sub=''):
    "The course's notebooks under nbs/`sub`, skipping drafts (names starting with _ or .)"
    base = ROOT/'nbs'
    return sorted(p for p in (base/sub).rglob('*.ipynb')
                  if not any(part.startswith(('_', '.')) for part in p.relative_to(base).parts))

def run(*args, env=None, cwd=ROOT, timeout=600, **kw):
    "Run a command, returning the completed process (text output captured)"
    e = {**os.environ, **(env or {})}
    return subprocess.run([str(a) for a in args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout, **kw)

@pytest.fixture
def root(): return ROOT
