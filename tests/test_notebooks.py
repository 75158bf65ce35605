"""Every notebook runs top to bottom, on the small profile, in a fresh process of its own (as `nbdev-test` runs it).

Each runs through the website's executor (`docs/build.py execute`): nbdev's own `test_nb` with `IN_TEST=1`, cells flagged
`#| slow` or `#| cuda` skipped, one torch thread; the executed notebook is kept under `_build/exec/` for the website."""
import pytest
from conftest import ROOT, BIN, notebooks, run

@pytest.mark.parametrize('nb', notebooks(), ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_notebook(nb):
    r = run(BIN/'python', ROOT/'docs'/'build.py', 'execute', nb, timeout=900)
    assert r.returncode==0, f"{nb.name} failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
