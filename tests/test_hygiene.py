"Notebook hygiene: small files, the lesson structure, known cell flags."
import ast, json, re
from pathlib import Path
import pytest
from conftest import ROOT, BIN, notebooks, run

MAX_BYTES = 100_000
FLAGS = {'hide', 'export', 'exports', 'exporti', 'default_exp', 'eval:', 'slow', 'cuda', 'echo:', 'output:', 'code-fold:', 'include:'}

def cells(nb): return json.loads(nb.read_text())['cells']
def src(c): return ''.join(c['source'])

@pytest.mark.parametrize('nb', notebooks(), ids=lambda p: p.name)
def test_notebook_small_and_flags_known(nb):
    assert nb.stat().st_size <= MAX_BYTES, f"{nb.name} is {nb.stat().st_size:,} bytes (limit {MAX_BYTES:,}): save long results as small files"
    for c in cells(nb):
        if c['cell_type']!='code': continue
        assert not c.get('outputs'), f"{nb.name} holds outputs: run nbdev-clean"
        for m in re.finditer(r'^#\|\s*(\S+)', src(c), flags=re.M):
            flag = m.group(1) if m.group(1).endswith(':') else m.group(1).split(':')[0]
            assert flag in FLAGS or flag+':' in FLAGS, f"{nb.name}: unknown cell flag #| {m.group(1)}"

@pytest.mark.parametrize('nb', notebooks('lessons'), ids=lambda p: p.name)
def test_lesson_structure(nb):
    cs = cells(nb)
    md = '\n'.join(src(c) for c in cs if c['cell_type']=='markdown')
    code = [src(c) for c in cs if c['cell_type']=='code']
    assert src(cs[0]).startswith('# '), "a lesson starts with its title"
    assert '**You will learn**' in src(cs[0]), "the first cell promises what the lesson teaches"
    assert code[0].startswith('from transfer_course.all import *'), "the first code cell imports the course"
    for h in ('## Try it', '## Summary', '## Questions'): assert h in md, f"missing {h}"
    assert not any(re.search(r'^#\|\s*(export|default_exp)', c, flags=re.M) for c in code), "lessons export nothing"
    checks = sum(1 for c in cs if c['cell_type']=='code' and '.check(answer' in src(c))
    assert checks >= 3, f"{nb.name}: {checks} self-checked exercises, want at least 3"

@pytest.mark.parametrize('nb', notebooks('api'), ids=lambda p: p.name)
def test_api_notebook_exports_a_module(nb):
    assert any(re.match(r'#\|\s*default_exp \w+', src(c)) for c in cells(nb)), f"{nb.name} has no #| default_exp"

def _imports_mixed(s):
    "True if nbdev's docs step would re-run this cell alone (it imports) while it also runs other code."
    if re.search(r'^#\|\s*(export|exports|exporti|exec_doc)\b', s, flags=re.M) or re.search(r'^#\|\s*eval:\s*false', s, flags=re.M|re.I): return False
    try: tree = ast.parse('\n'.join(l for l in s.splitlines() if not l.lstrip().startswith(('%', '!'))))
    except SyntaxError: return False
    imports = (ast.Import, ast.ImportFrom)
    return any(isinstance(n, imports) for n in ast.walk(tree)) and not all(isinstance(n, imports) for n in tree.body)

@pytest.mark.parametrize('nb', notebooks(), ids=lambda p: p.name)
def test_imports_in_cells_of_their_own(nb):
    "The docs build runs every cell that imports in a fresh kernel, without the cells before it: such a cell must only import."
    bad = [src(c).splitlines()[:2] for c in cells(nb) if c['cell_type']=='code' and _imports_mixed(src(c))]
    assert not bad, f"{nb.name}: cells that import and also run other code (move the import to a cell of its own): {bad}"

def _hidden_names():
    "tools/hidden_names.py, imported from its file"
    import importlib.util
    spec = importlib.util.spec_from_file_location('hidden_names', ROOT/'tools'/'hidden_names.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m

def test_no_hidden_cell_defines_what_a_visible_cell_uses(tmp_path):
    "A reader never sees a `#| hide` cell, so no visible cell may need a name that only such a cell defines."
    hn = _hidden_names()
    # The check fails where it should: `x` and `f` come from a hidden cell; `y`, defined again by a visible cell, does not.
    code = lambda s: dict(cell_type='code', source=s, metadata={}, outputs=[], execution_count=None)
    nb = dict(cells=[code('#| hide\nimport math as f\nx,y = 1,2'), dict(cell_type='markdown', source='Some text', metadata={}),
                     code('y = 3\nprint(y, [x for _ in range(2)])'), code('#| hide\nz = f.pi'), code('f(z)')], metadata={}, nbformat=4, nbformat_minor=5)
    f = tmp_path/'tiny.ipynb'; f.write_text(json.dumps(nb))
    assert hn.hidden_names(f)==[('x', 0, 2), ('f', 0, 4), ('z', 3, 4)]
    r = run(BIN/'python', ROOT/'tools'/'hidden_names.py', tmp_path)
    assert r.returncode==1 and "`x` is defined in hidden cell 0 and used in visible cell 2" in r.stdout, r.stdout
    # The course's notebooks
    found = hn.report([ROOT/'nbs'])
    assert not found, f"hidden cells define names that visible cells use (name, hidden cell, visible cell): {found}"
