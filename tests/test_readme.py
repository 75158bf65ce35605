"The README and the course's home page (`nbs/index.ipynb`) say the same: the first two commands, the lesson map, the modules."
import json, posixpath, re
from conftest import ROOT

def _md_of_index(): return '\n\n'.join(''.join(c['source']) for c in json.loads((ROOT/'nbs'/'index.ipynb').read_text())['cells'] if c['cell_type']=='markdown')

def commands(md):
    "The commands of the first shell code block in markdown `md`, without their comments"
    m = re.search(r'^```(?:sh|bash|shell|console)?\s*\n(.*?)^```', md, flags=re.M|re.S)
    assert m, "no code block with commands found"
    return [l.split('#')[0].strip() for l in m[1].splitlines() if l.split('#')[0].strip()]

def table(md, first_col, base):
    "Rows (lists of cells) of the markdown table whose header starts with `first_col`; links resolved against `base`"
    lines = md.splitlines()
    for i,l in enumerate(lines):
        cells = [c.strip() for c in l.strip().strip('|').split('|')]
        if l.lstrip().startswith('|') and cells[0]==first_col:
            rows = []
            for r in lines[i+2:]:
                if not r.lstrip().startswith('|'): break
                rows.append([_resolve(c.strip(), base) for c in r.strip().strip('|').split('|')])
            return rows
    raise AssertionError(f"no table with a first column '{first_col}'")

def _resolve(cell, base):
    "A table cell with its relative links written from the repository's root"
    return re.sub(r'\]\(([^)#\s]+)', lambda m: '](' + (m[1] if re.match(r'\w+:', m[1]) else posixpath.normpath(posixpath.join(base, m[1]))), cell)

README, INDEX = (ROOT/'README.md').read_text(), _md_of_index()

def test_first_two_commands():
    assert commands(README)[:2]==['make demo', 'make test'], f"README's first commands are {commands(README)[:2]}"
    assert commands(INDEX)[:2]==commands(README)[:2], f"index.ipynb starts with {commands(INDEX)[:2]}, README with {commands(README)[:2]}"

def test_lesson_map_agrees():
    readme, index = table(README, '#', '.'), table(INDEX, '#', 'nbs')
    assert readme, "README's lesson map is empty"
    assert readme==index, f"lesson maps differ:\nREADME:     {readme}\nindex.ipynb: {index}"

def test_lesson_links_exist():
    for row in table(README, '#', '.'):
        for link in re.findall(r'\]\(([^)#\s]+)', ' '.join(row)):
            assert (ROOT/link).exists(), f"README's lesson map links to {link}, which does not exist"

def test_module_table_agrees():
    readme, index = table(README, 'Module', '.'), table(INDEX, 'Module', 'nbs')
    assert readme, "README's module table is empty"
    assert readme==index, f"module tables differ:\nREADME:     {readme}\nindex.ipynb: {index}"

def test_table_reader():
    md = "x\n\n| # | Lesson |\n|---|---|\n| 1 | [A](lessons/01_a.ipynb) |\n| 2 | [B](https://b.org/x) |\n\nafter"
    assert table(md, '#', 'nbs')==[['1', '[A](nbs/lessons/01_a.ipynb)'], ['2', '[B](https://b.org/x)']]
    assert commands("t\n```sh\nmake demo   # a\n\nmake test\n```\n```sh\nother\n```")==['make demo', 'make test']
