"""`show_doc` for the course's website: MyST markdown that Jupyter Book 1 renders, and the slugs its links resolve to.

`docs/build.py` names `MystRenderer` as nbdev's `renderer` (in an nbdev user config of its own, so notebooks opened in
JupyterLab keep nbdev's renderer), and `slug` as MyST's `heading_slug_func` (docs/_config.yml)."""
import ast, functools, re
from fastcore.docments import MarkdownRenderer
from nbdev.config import get_config
from nbdev.doclinks import NbdevLookup

def slug(title:str) -> str:
    "A heading's anchor as nbdev writes it in doc links: lower case, dots kept (`Backbone.offline` → `backbone.offline`)"
    return re.sub(r'[^\w\-. ]', '', title.strip().lower()).replace(' ', '-')

@functools.lru_cache(None)
def def_lines(py:str) -> dict:
    "{name: line} of the functions, classes, methods and `@patch`ed methods defined in the library's file `py`"
    d = {}
    for t in ast.parse((get_config().config_path/py).read_text(encoding='utf-8')).body:
        if not isinstance(t, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): continue
        ann = t.args.args[0].annotation if not isinstance(t, ast.ClassDef) and t.args.args else None
        patched = any(getattr(x, 'id', None)=='patch' for x in t.decorator_list) and isinstance(ann, ast.Name)
        d[f'{ann.id}.{t.name}' if patched else t.name] = t.lineno
        if isinstance(t, ast.ClassDef): d.update({f'{t.name}.{m.name}': m.lineno for m in t.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))})
    return d

def source_url(names, qualname:str):
    "GitHub URL of the definition of `qualname`, to its line, if nbdev's index knows it by one of `names`"
    res = next((r for n in names if isinstance(r := NbdevLookup()[n], tuple)), None)
    if res is None: return None
    line = def_lines(res[1]).get(qualname)
    return res[2] + (f'#L{line}' if line else '')

class MystRenderer(MarkdownRenderer):
    "nbdev's anchor, a heading, then a box (`div.showdoc`): source link, signature with its documented parameters, docstring"
    def _repr_markdown_(self):
        src = source_url((self.fn, self.nm), getattr(self.sym, '__qualname__', self.nm))
        link = f'<a class="source-link" href="{src}">source</a>\n\n' if src else ''
        return (f'<a id="{self.nm.lower()}" class="nbdev-anchor"></a>\n\n{"#"*self.title_level} {self.nm}\n\n'
                f'::::{{container}} showdoc\n{link}{super()._repr_markdown_()}\n::::')
