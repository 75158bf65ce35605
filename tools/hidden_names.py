"""Names that a hidden notebook cell defines and a later visible cell uses.

A reader of the website never sees a `#| hide` cell, so a visible cell that needs a name only such a cell defines
(a variable, a function, a class, an import) cannot be followed or rerun from what the page shows. This finds them:
cells are read in order; each top-level binding (assignment, `def`, `class`, `import`, `for`/`with` target) records
which cell made the name last; a visible cell's use of a name whose last maker is a hidden cell is a case. A visible
cell that binds the name again first ends the case. Star imports are resolved by importing the module (its `__all__`,
else its public names); a name a visible cell already defined is not taken over by a hidden star import.

    python tools/hidden_names.py [NOTEBOOK_OR_FOLDER ...]   # default: nbs/; exit status 1 if any case is found
"""
from __future__ import annotations
import ast, importlib, json, re, sys
from pathlib import Path

_hide = re.compile(r'^#\|\s*(hide\s*$|include:\s*false)', re.M | re.I)

def is_hidden(src:str) -> bool:
    "Whether a code cell's source is left out of the website (`#| hide` or `#| include: false`)"
    return bool(_hide.search(src))

def _parse(src:str):
    "The cell's syntax tree, without IPython's `%` and `!` lines; None if it is not Python"
    try: return ast.parse('\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!'))))
    except SyntaxError: return None

def _star_names(mod:str) -> set:
    "The names `from mod import *` binds (empty if `mod` cannot be imported)"
    try: m = importlib.import_module(mod)
    except Exception: return set()
    return set(getattr(m, '__all__', None) or [n for n in vars(m) if not n.startswith('_')])

def _targets(node) -> set:
    "Names bound by an assignment target"
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}

class _Top(ast.NodeVisitor):
    "Module-level bindings of a statement: not those inside functions, classes, lambdas or comprehensions"
    def __init__(self): self.names,self.stars = set(),[]
    def visit_FunctionDef(self, n): self.names.add(n.name)
    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef
    def visit_Lambda(self, n): pass
    def visit_ListComp(self, n): pass
    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp
    def visit_Import(self, n): self.names |= {(a.asname or a.name).split('.')[0] for a in n.names}
    def visit_ImportFrom(self, n):
        for a in n.names:
            if a.name=='*': self.stars.append(n.module)
            else: self.names.add(a.asname or a.name)
    def visit_Name(self, n):
        if isinstance(n.ctx, ast.Store): self.names.add(n.id)
    def visit_NamedExpr(self, n): self.names |= _targets(n.target); self.visit(n.value)

_scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

def _nested(node) -> set:
    "Names bound inside the functions, lambdas, classes and comprehensions within `node`: their locals"
    out = set()
    for s in ast.walk(node):
        if not isinstance(s, _scopes): continue
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)): out.add(n.id)
            elif isinstance(n, ast.arg): out.add(n.arg)
            elif isinstance(n, ast.ExceptHandler) and n.name: out.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)): out |= {(a.asname or a.name).split('.')[0] for a in n.names}
    return out

def _loads(node) -> set: return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}

def _uses(stmt) -> set:
    "Names a top-level statement reads, leaving out the locals of its inner scopes and, but for assignments, what it binds itself"
    used = _loads(stmt) - _nested(stmt)
    if isinstance(stmt, ast.AugAssign): return used | _targets(stmt.target)
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)): return used
    top = _Top(); top.visit(stmt)
    return used - top.names

def code_cells(nb) -> list:
    "`(index, source)` of the code cells of notebook `nb` (a path or the parsed JSON)"
    if not isinstance(nb, dict): nb = json.loads(Path(nb).read_text(encoding='utf8'))
    return [(i, ''.join(c['source'])) for i,c in enumerate(nb['cells']) if c['cell_type']=='code']

def hidden_names(nb) -> list:
    "`(name, hidden cell, visible cell)` for each name a hidden cell of `nb` defines and a later visible cell uses"
    maker,found = {},[]   # name -> (cell index, hidden?)
    for i,src in code_cells(nb):
        tree = _parse(src)
        if tree is None: continue
        hidden = is_hidden(src)
        for stmt in tree.body:
            if not hidden:
                for name in sorted(_uses(stmt)):
                    m = maker.get(name)
                    if m and m[1] and (name, m[0], i) not in found: found.append((name, m[0], i))
            top = _Top(); top.visit(stmt)
            for mod in top.stars:
                for name in _star_names(mod):
                    if not (hidden and name in maker and not maker[name][1]): maker[name] = (i, hidden)
            for name in top.names: maker[name] = (i, hidden)
    return found

def notebooks(paths) -> list:
    "The notebooks named by `paths` (files, or folders searched for `*.ipynb`), drafts and checkpoints left out"
    out = []
    for p in map(Path, paths):
        nbs = [p] if p.suffix=='.ipynb' else sorted(p.rglob('*.ipynb'))
        out += [f for f in nbs if not any(part.startswith(('_', '.')) for part in f.relative_to(p if p.is_dir() else p.parent).parts)]
    return out

def report(paths) -> dict:
    "`{notebook: cases}` for the notebooks under `paths` that have any"
    return {str(f): c for f in notebooks(paths) if (c := hidden_names(f))}

if __name__=='__main__':
    res = report(sys.argv[1:] or [Path(__file__).resolve().parents[1]/'nbs'])
    for f,cases in res.items():
        for name,h,v in cases: print(f"{f}: `{name}` is defined in hidden cell {h} and used in visible cell {v}")
    print(f"{sum(map(len, res.values()))} case(s) in {len(res)} notebook(s)")
    sys.exit(1 if res else 0)
