"Every notebook runs top to bottom, on the small profile, in a fresh process of its own (as `nbdev-test` runs it)."
import pytest
from conftest import ROOT, BIN, notebooks, run

@pytest.mark.parametrize('nb', notebooks(), ids=lambda p: str(p.relative_to(ROOT/'nbs')))
def test_notebook(nb):
    r = run(BIN/'nbdev-test', nb, '--n-workers', '0', env={'IN_TEST': '1'}, timeout=900)
    assert r.returncode==0 and 'Success.' in r.stdout, f"{nb.name} failed:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
