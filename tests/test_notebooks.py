"""Every notebook runs top to bottom on the small profile, as `nbdev-test` runs it: nbdev's `test_nb`, `IN_TEST=1`, cells
flagged `#| slow` or `#| cuda` skipped. So does the notebook of the website's Results page, `docs/results.ipynb`.

A notebook runs as a copy under `_build/exec/`, laid out as nbs/ is (nbs/'s other files and folders are linked there, so
relative paths lead to the same places); when it passes, the copy, outputs and all, stays for the website's build."""
import os, shutil, time
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb  # (renamed: pytest would collect `test_nb`)
from conftest import ROOT, notebooks

NBS, EXEC = ROOT/'nbs', ROOT/'_build'/'exec'
CFG = get_config(ROOT)
NOTEBOOKS = notebooks() + [ROOT/'docs'/'results.ipynb']

def _rel(nb): return nb.relative_to(NBS) if nb.is_relative_to(NBS) else Path(nb.name)

def _link_others():
    "Link, in `EXEC`, each file and folder of nbs/ that holds no notebooks (results, images, ...)"
    EXEC.mkdir(parents=True, exist_ok=True)
    for p in NBS.iterdir():
        if p.suffix!='.ipynb' and not any(p.rglob('*.ipynb')) and not (EXEC/p.name).is_symlink():
            try: (EXEC/p.name).symlink_to(p, target_is_directory=p.is_dir())
            except FileExistsError: pass  # another worker was first

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: _rel(p).as_posix())
def test_notebook(nb):
    _link_others()
    dst = EXEC/_rel(nb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f'.{dst.stem}.{os.getpid()}.ipynb')
    shutil.copy(nb, tmp)
    t0 = time.time()
    try:
        ok, _ = run_nb(tmp, skip_flags=CFG.tst_flags.split(), basepath=ROOT, save=True, cell_timeout=CFG.cell_timeout or None)
        assert ok, f"{_rel(nb)} failed: the cell and its error are in the captured stderr"
        os.utime(tmp, (t0, t0))  # as old as the sources it ran
        os.replace(tmp, dst)
    finally: tmp.unlink(missing_ok=True)
