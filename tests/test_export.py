"The exported package is exactly what the notebooks say, and the notebooks are clean."
import shutil, filecmp
from conftest import ROOT, BIN, run

def _copy(tmp_path):
    for d in ('nbs', 'transfer_course'): shutil.copytree(ROOT/d, tmp_path/d, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints'))
    for f in ('pyproject.toml', 'settings.ini', 'README.md'): shutil.copy(ROOT/f, tmp_path/f)
    return tmp_path

def test_export_leaves_modules_unchanged(tmp_path):
    t = _copy(tmp_path)
    r = run(BIN/'nbdev-export', cwd=t)
    assert r.returncode==0, r.stderr
    cmp = filecmp.dircmp(ROOT/'transfer_course', t/'transfer_course', ignore=['__pycache__'])
    assert not (cmp.diff_files or cmp.left_only or cmp.right_only), \
        f"run nbdev-export and commit: differ {cmp.diff_files}, only in repo {cmp.left_only}, only after export {cmp.right_only}"

def test_notebooks_are_clean(tmp_path):
    t = _copy(tmp_path)
    r = run(BIN/'nbdev-clean', cwd=t)
    assert r.returncode==0, r.stderr
    changed = [str(p.relative_to(t)) for p in (t/'nbs').rglob('*.ipynb') if p.read_bytes()!=(ROOT/p.relative_to(t)).read_bytes()]
    assert not changed, f"run nbdev-clean and commit: {changed}"
