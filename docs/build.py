#!/usr/bin/env python
"""Build the course's website into `_docs/`, offline, without Quarto.

1. Executed notebooks: the notebook tests (tests/test_notebooks.py, nbdev's `test_nb` on the small profile) leave each
   notebook they pass, run, in `_build/exec/`; those missing or older than their notebook or the library are run again
   here, by running their tests. The Results page is a notebook too, `docs/results.ipynb`, and runs the same way.
2. nbdev's processing, with `show_doc` rendered as MyST by `docs/myst_showdoc.py`; nbdev's doc links then point to the
   notebook that documents each name.
3. Jupyter Book 1 (Sphinx) builds a page per notebook, named as its file (`api/02_backbones.ipynb` becomes
   `api/02_backbones.html`), so MyST resolves the links between them; every warning is an error, a broken link with them.

    python docs/build.py [--out DIR]
"""
import argparse, os, posixpath, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS, NBS, BUILD = ROOT/'docs', ROOT/'nbs', ROOT/'_build'
EXEC, SITE = BUILD/'exec', BUILD/'site'  # EXEC: written by tests/test_notebooks.py, in nbs/'s layout
RESULTS = DOCS/'results.ipynb'
N_WORKERS = 2
sys.path.insert(0, str(DOCS))  # myst_showdoc, for nbdev's renderer and MyST's slugs

def cfg():
    "nbdev's configuration of this project (pyproject.toml)"
    from nbdev.config import get_config
    return get_config(ROOT)

def log(*a): print(*a, flush=True)

def notebooks():
    "The site's notebooks (relative to nbs/) in reading order: `index`, other top-level ones, `lessons/`, `api/`, others"
    from nbdev.doclinks import nbglob
    files = [Path(f).relative_to(NBS) for f in nbglob(NBS, as_path=True)]  # skips names starting with _ or . (drafts)
    rank = {'': 1, 'lessons': 2, 'api': 3}
    def key(p):
        top = p.parts[0] if len(p.parts) > 1 else ''
        return (0 if p.as_posix()=='index.ipynb' else rank.get(top, 4), top, p.as_posix())
    return sorted(files, key=key)

def source(rel):
    "The notebook behind page `rel`: nbs/`rel`, or the Results notebook"
    return RESULTS if rel==Path(RESULTS.name) else NBS/rel

# ---------------------------------------------------------------------------------------------------------------------
# 1. Executed notebooks

def _inputs_mtime():
    "When what every notebook's outputs depend on last changed: the library, settings.ini, nbs/'s other files"
    files = [*(ROOT/cfg().lib_path).glob('*.py'), ROOT/'settings.ini', *(f for f in NBS.rglob('*') if f.suffix!='.ipynb')]
    return max(f.stat().st_mtime for f in files if f.is_file())

def stale(rels):
    "The notebooks of `rels` that have no executed copy newer than them and the library"
    t = _inputs_mtime()
    return [r for r in rels if not (EXEC/r).exists() or (EXEC/r).stat().st_mtime < max(t, source(r).stat().st_mtime)]

def execute(rels):
    "Run the notebook tests of `rels`, `N_WORKERS` at a time; they leave the executed notebooks in `EXEC`"
    if not rels: return log('docs: every notebook was executed already (by the notebook tests)')
    log(f'docs: executing {len(rels)} notebooks through their tests (small profile)')
    ids = [f'tests/test_notebooks.py::test_notebook[{r.as_posix()}]' for r in rels]
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-n', str(min(N_WORKERS, len(ids))), *ids],
                       cwd=ROOT, env={**os.environ, 'OMP_NUM_THREADS': '1'})
    if r.returncode: sys.exit('docs: a notebook failed (above); the site was not updated.')

# ---------------------------------------------------------------------------------------------------------------------
# 2. nbdev's processing

def process(rel):
    "Executed notebook `rel` through nbdev's processors, less front matter (titles stay the notebook's own) and the warning"
    from fastcore.nbio import read_nb
    from fastcore.xtras import working_directory
    from nbdev.processors import FilterDefaults, insert_warning, add_fold
    from nbdev.frontmatter import FrontmatterProc
    class Procs(FilterDefaults):
        def base_procs(self): return [p for p in super().base_procs() if p not in (FrontmatterProc, insert_warning, add_fold)]
    nb = read_nb(EXEC/rel)
    proc = Procs().nb_proc(nb)
    with working_directory(source(rel).parent): proc.process()  # import, export and show_doc cells run again, here
    return proc.nb

def process_all(rels):
    "{notebook: processed notebook}; nbdev's `renderer` is `MystRenderer`, set in an nbdev user config of the build's own"
    xdg = BUILD/'xdg'
    (xdg/'nbdev').mkdir(parents=True, exist_ok=True)
    (xdg/'nbdev'/'config.toml').write_text('renderer = "myst_showdoc.MystRenderer"\n')
    old = os.environ.get('XDG_CONFIG_HOME')
    os.environ.update(XDG_CONFIG_HOME=str(xdg), IN_TEST='1')
    try:
        log(f'docs: processing {len(rels)} notebooks with nbdev (show_doc, doc links)')
        return {r: process(r) for r in rels}
    finally:
        if old is None: del os.environ['XDG_CONFIG_HOME']
        else: os.environ['XDG_CONFIG_HOME'] = old

# ---------------------------------------------------------------------------------------------------------------------
# 3. Pages for Jupyter Book 1

_re_dir = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')
_re_anchor = re.compile(r'<a id="([^"]+)" class="nbdev-anchor">')
_re_bar = re.compile(r'^\s*(\S[^|]*:\s*)?\|[█\-]*\|\s*\d+(\.\d+)?% \[')
WIDGET = 'application/vnd.jupyter.widget-view+json'
WIDGET_NOTE = '<p class="widget-note">An interactive widget: run this notebook in JupyterLab to use it.</p>'

def split_directives(src):
    "Quarto `#| key: value` lines at the top of a code cell, and the rest of its source"
    lines, d = src.splitlines(), {}
    while lines and (m := _re_dir.match(lines[0])): d[m[1]] = m[2].strip('"\''); lines.pop(0)
    return d, '\n'.join(lines)

def _md(o): return ''.join(o) if isinstance(o, list) else o

class Pages:
    "Processed notebooks as Jupyter Book pages; nbdev's doc links go to the notebook whose `show_doc` made the anchor"
    def __init__(self, procs, c):
        from nbdev.config import nbpath2html
        self.by_html = {nbpath2html(r).as_posix(): r.as_posix() for r in procs}  # nbdev's page names → notebooks
        self.anchors = {r.as_posix(): {a for c in nb.cells for o in c.get('outputs', []) for a in _re_anchor.findall(_md(o.get('data', {}).get('text/markdown', '')))}
                        for r,nb in procs.items()}
        base = '/'.join(s for s in (c.get('doc_host', '').rstrip('/'), c.get('doc_baseurl', '').strip('/')) if s)
        self.re_doclink = re.compile(rf'\[([^\]]*)\]\({re.escape(base)}/([^)#\s]+)#([^)\s]+)\)')

    def links(self, md, rel):
        "nbdev's doc links in markdown `md` of notebook `rel` as links to the notebook documenting the name, else plain text"
        def sub(m):
            nb = self.by_html.get(m[2])
            if nb is None or m[3] not in self.anchors[nb]: return m[1]
            return f'[{m[1]}]({posixpath.relpath(nb, posixpath.dirname(rel.as_posix()) or ".")}#{m[3]})'
        return self.re_doclink.sub(sub, md)

    def page(self, nb, rel, flags=()):
        "The page (a notebook) for processed notebook `nb` (`rel`): what a static page can show, MyST for Jupyter Book"
        import nbformat
        cells = []
        for c in nb.cells:
            src = ''.join(c.get('source') or '')
            if c.cell_type=='raw':  # YAML front matter: its title (and description) as the page's title
                if (fm := front_matter(src)) and fm.get('title'):
                    cells.append(nbformat.v4.new_markdown_cell(f"# {fm['title']}" + (f"\n\n> {fm['description']}" if fm.get('description') else '')))
                continue
            if c.cell_type=='markdown':
                cells.append(nbformat.v4.new_markdown_cell(self.links(src, rel))); continue
            d, code = split_directives(src)
            outs = [o for o in map(clean_output, c.get('outputs', [])) if o]
            for o in outs:
                if 'text/markdown' in o.get('data', {}): o['data']['text/markdown'] = self.links(_md(o['data']['text/markdown']), rel)
            if d.get('output')=='asis':  # show_doc, or a page's own markdown: its output is the page's text
                cells += [nbformat.v4.new_markdown_cell(o['data']['text/markdown']) for o in outs if 'text/markdown' in o.get('data', {})]
                continue
            if d.get('include')=='false': continue
            tags = [t for k,v,t in (('echo', 'false', 'remove-input'), ('output', 'false', 'remove-output'), ('code-fold', 'true', 'hide-input'))
                    if d.get(k)==v] + (['not-run'] if set(getattr(c, 'directives_', {})) & set(flags) else [])
            cell = nbformat.v4.new_code_cell(code, outputs=[nbformat.from_dict(o) for o in outs], execution_count=c.get('execution_count'))
            if tags: cell.metadata['tags'] = tags
            cells.append(cell)
        out = nbformat.v4.new_notebook(cells=cells, metadata={'kernelspec': nb.metadata.get('kernelspec', {}), 'language_info': {'name': 'python'}})
        nbformat.validate(out)
        return nbformat.writes(out)

def front_matter(src):
    "YAML front matter (`---` lines around YAML) as a dict, else None"
    import yaml
    m = re.match(r'^\s*---\s*\n(.*?)\n---\s*$', src, flags=re.S)
    try: return (yaml.safe_load(m[1]) or {}) if m else None
    except yaml.YAMLError: return None

def terminal(text):
    "Stream text as a terminal shows it: carriage returns overwrite the line; progress bars that finished are gone"
    lines = []
    for line in text.split('\n'):
        buf = ''
        for seg in line.split('\r'): buf = seg + buf[len(seg):]
        if not _re_bar.match(buf): lines.append(buf.rstrip())
    return re.sub(r'\n{3,}', '\n\n', '\n'.join(lines))

def clean_output(o):
    "An output as a static page can show it: terminal-like streams, a note instead of a widget (no kernel there)"
    o = {k: v for k,v in dict(o).items() if k!='transient'}
    if o.get('output_type')=='stream':
        o['text'] = terminal(_md(o['text']))
        return o if o['text'].strip() else None
    if WIDGET in o.get('data', {}): return {'output_type': 'display_data', 'data': {'text/html': WIDGET_NOTE}, 'metadata': {}}
    return o

# ---------------------------------------------------------------------------------------------------------------------
# The site's sources, and Sphinx

def site_config(c):
    "Jupyter Book's `_config.yml`: docs/_config.yml, with the title, author and repository from pyproject.toml"
    import yaml
    conf = yaml.safe_load((DOCS/'_config.yml').read_text())
    conf.update(title=c.title, author=c.author)
    conf['repository'] = dict(url=c.git_url, branch=c.branch, path_to_book='nbs')
    conf.setdefault('html', {})['baseurl'] = c.doc_url
    return yaml.safe_dump(conf, sort_keys=False)

def toc(rels):
    "Jupyter Book's `_toc.yml`: home, then a part per folder (Lessons, Library, ...), then Results"
    import yaml
    names, parts = {'': 'Course', 'lessons': 'Lessons', 'api': 'Library'}, {}
    for r in rels[1:-1]: parts.setdefault(r.parts[0] if len(r.parts) > 1 else '', []).append({'file': r.with_suffix('').as_posix()})
    parts = [{'caption': names.get(k, k.replace('_', ' ').capitalize()), 'chapters': v} for k,v in parts.items()]
    parts.append({'caption': 'Experiments', 'chapters': [{'file': rels[-1].with_suffix('').as_posix()}]})
    return yaml.safe_dump({'format': 'jb-book', 'root': 'index', 'parts': parts}, sort_keys=False)

def write_site(pages, rels, c):
    "The site's sources in `SITE`: pages, the images nbs/ holds (same places), config, table of contents, static files"
    if SITE.exists(): shutil.rmtree(SITE)
    shutil.copytree(NBS, SITE, ignore=lambda d, names: [n for n in names if n.endswith('.ipynb') or n.startswith(('.', '_'))])
    for r,text in pages.items(): (SITE/r).write_text(text, encoding='utf-8')
    (SITE/'_config.yml').write_text(site_config(c)); (SITE/'_toc.yml').write_text(toc(rels))
    shutil.copytree(DOCS/'_static', SITE/'_static')

def sphinx(site, out, work=BUILD):
    "Jupyter Book 1 (Sphinx) from `site` into `out`, through folder `work`; exits if Sphinx warns (a broken link, say)"
    from jupyter_book.sphinx import build_sphinx
    html = work/'html'  # (myst-nb writes beside its output folder: keep that inside `work`)
    status = build_sphinx(site, html, noconfig=True, path_config=site/'_config.yml', doctreedir=work/'doctrees',
                          confoverrides={'latex_individualpages': False}, quiet=True, keep_going=True, warningiserror=True)
    if status: sys.exit('docs: Sphinx reported the warnings above (a broken link or reference, say); the site was not updated.')
    (html/'.nojekyll').touch()
    add_mathjax(html)
    if out.exists(): shutil.rmtree(out)
    shutil.copytree(html, out)

def add_mathjax(out):
    "Copy MathJax into the site if a page has math (Sphinx then loads `_static/mathjax/`, set in docs/_config.yml)"
    dest = out/'_static'/'mathjax'
    if dest.exists() or not any('_static/mathjax/' in f.read_text(encoding='utf-8', errors='replace') for f in out.rglob('*.html')): return
    import jupyter_server_mathjax
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent/'static', dest, ignore=lambda d, names: [n for n in names if n=='localization'])

def redirects(rels, out):
    "nbdev's names for the pages (`api/backbones.html`, in its doc links and llms.txt) as redirects to them, anchor kept"
    from nbdev.config import nbpath2html
    for r in rels:
        old, new = out/nbpath2html(r), r.with_suffix('.html').name
        if old.name==new or old.exists(): continue  # the same page, or a page of its own
        old.parent.mkdir(parents=True, exist_ok=True)
        old.write_text(f'<!DOCTYPE html><meta charset="utf-8"><title>{new}</title><meta http-equiv="refresh" content="0; url={new}">'
                       f'<script>location.replace("{new}" + location.hash)</script><a href="{new}">{new}</a>\n')

def build(out=None):
    "The whole site into `out` (default: nbdev's doc_path, `_docs/`)"
    t0, c = time.time(), cfg()
    out = Path(out or c.doc_path)
    rels = notebooks() + [Path(RESULTS.name)]
    if rels[0]!=Path('index.ipynb'): sys.exit(f'docs: {NBS}/index.ipynb (the home page) is missing.')
    if RESULTS.name in {r.as_posix() for r in rels[:-1]}: sys.exit(f'docs: nbs/{RESULTS.name} would take the Results page\'s place.')
    execute(stale(rels))
    procs = process_all(rels)
    p = Pages(procs, c)
    flags = c.tst_flags.split() if isinstance(c.tst_flags, str) else list(c.tst_flags or [])
    write_site({r: p.page(nb, r, flags) for r,nb in procs.items()}, rels, c)
    log(f'docs: building HTML with Jupyter Book into {out}/')
    sphinx(SITE, out)
    redirects(rels, out)
    log(f'docs: built {len(rels)} pages into {out}/ in {time.time()-t0:.0f} s')

if __name__=='__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--out', type=Path, help="where the site goes (default: nbdev's doc_path, _docs/)")
    build(ap.parse_args().out)
