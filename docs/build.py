#!/usr/bin/env python
"""Build the course's website into `_docs/`, offline, without Quarto.

1. execute every notebook on the small profile, as `nbdev-test` runs it (`IN_TEST=1`, cells flagged `#| slow` or
   `#| cuda` skipped, a fresh process each, two at a time), caching the result under `_build/exec/`, keyed by the
   notebook, the library's sources, `settings.ini` and the saved results in `nbs/results/`;
2. process them with nbdev's own notebook processors (`show_doc` signatures, docstrings and source links, doc links
   for backticked names, hidden and exported cells removed), cached under `_build/proc/`;
3. convert them for Jupyter Book 1 (pages named as nbdev names them: `api/00_core.ipynb` becomes `api/core.html`),
   add the Results page, and build static HTML with Sphinx into `_docs/`;
4. check the site: every internal link and anchor resolves, and no page loads anything from another host.

    python docs/build.py                  # all of the above (what `make docs` runs)
    python docs/build.py execute NB...    # step 1 only, for these notebooks (always re-executed); exit 1 if one fails
    python docs/build.py check            # step 4 only, on the site already in _docs/

Users with Quarto can still build nbdev's own site with `nbdev-docs`; this script leaves nbdev's files alone.
"""
import argparse, contextlib, hashlib, html.parser, json, os, posixpath, re, shutil, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, unquote

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT/'docs'
BUILD = ROOT/'_build'
EXEC, PROC, SITE = BUILD/'exec', BUILD/'proc', BUILD/'site'
# Bump when a change here changes what execution or processing produce, so cached results are redone.
EXEC_VERSION, PROC_VERSION = '1', '1'
N_WORKERS = 2
RESULTS_PAGE = 'results'

def cfg():
    "nbdev's configuration of this project (read from pyproject.toml)"
    from nbdev.config import get_config
    return get_config(ROOT)

def log(*a): print(*a, flush=True)

# ---------------------------------------------------------------------------------------------------------------------
# Which notebooks, and their pages

def notebooks(nbs=None):
    "The notebooks to publish, in reading order: `index`, other top-level notebooks, `lessons/`, `api/`, other folders"
    from nbdev.doclinks import nbglob
    nbs = Path(nbs or cfg().nbs_path)
    files = [Path(f).relative_to(nbs) for f in nbglob(nbs, as_path=True)]  # skips names starting with _ or . (drafts)
    rank = {'': 1, 'lessons': 2, 'api': 3}
    def key(p):
        top = p.parts[0] if len(p.parts) > 1 else ''
        return (0 if p.as_posix()=='index.ipynb' else rank.get(top, 4), top, p.as_posix())
    return sorted(files, key=key)

def page_of(rel):
    "The site page (no suffix) for notebook `rel` (relative to nbs/), named as nbdev names it: no number prefix, lower case"
    from nbdev.config import nbpath2html
    return nbpath2html(Path(rel)).with_suffix('').as_posix()

def page_map(nbs_rel):
    "{notebook: page}, refusing two notebooks that would become the same page"
    res, seen = {}, {RESULTS_PAGE: 'the Results page'}
    for rel in nbs_rel:
        p = page_of(rel)
        if p in seen: sys.exit(f"docs: {seen[p]} and {rel} would both become the page {p}.html: rename one of them.")
        seen[p] = str(rel); res[Path(rel)] = p
    return res

# ---------------------------------------------------------------------------------------------------------------------
# 1. Execution

def _sha(*parts):
    h = hashlib.sha256()
    for p in parts: h.update(p if isinstance(p, bytes) else str(p).encode()); h.update(b'\0')
    return h.hexdigest()

def lib_key():
    "A hash of what all notebooks' outputs depend on: the library's sources, `settings.ini`, saved results (nbs/results/)"
    c = cfg()
    res = Path(c.nbs_path)/'results'
    files = sorted(Path(c.lib_path).glob('*.py')) + [ROOT/'settings.ini'] + sorted(f for f in res.rglob('*') if f.is_file())
    return _sha(*[x for f in files if f.exists() for x in (f.relative_to(ROOT).as_posix(), f.read_bytes())])

def exec_key(rel, nbs, lk=None):
    return _sha('exec', EXEC_VERSION, Path(rel).as_posix(), (Path(nbs)/rel).read_bytes(), lk or lib_key())

def _cached(path, key):
    k = path.with_name(path.name+'.key')
    return path.exists() and k.exists() and k.read_text()==key

def _store(path, key, write):
    "Write `path` through `write(tmp)`, then its key, atomically (parallel builds and tests may race)"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    write(tmp)
    os.replace(tmp, path)
    ktmp = path.with_name(f'.{path.name}.key.{os.getpid()}.tmp')
    ktmp.write_text(key); os.replace(ktmp, path.with_name(path.name+'.key'))

def exec_env():
    "The environment notebooks run in: the small profile (IN_TEST), one torch thread each"
    return {**os.environ, 'IN_TEST': '1', 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}

def run_notebook(nb, force=False, timeout=None):
    "Execute notebook `nb` in a fresh process into the cache unless cached (or `force`); return (ok, seconds, error text)"
    nb = Path(nb).resolve()
    c = cfg(); nbs = Path(c.nbs_path)
    rel = nb.relative_to(nbs)
    key = exec_key(rel, nbs)
    if not force and _cached(EXEC/rel, key): return True, 0., ''
    t0 = time.time()
    try:
        r = subprocess.run([sys.executable, __file__, '_exec', str(nb), key], env=exec_env(), cwd=ROOT,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired: return False, time.time()-t0, f'{rel} did not finish within {timeout} s'
    if r.returncode==0: return True, time.time()-t0, ''
    err = (r.stderr.strip() or r.stdout.strip())[-8000:]
    return False, time.time()-t0, f'{rel} failed (exit {r.returncode}):\n{err}'

def _exec_child(nb, key):
    "In a fresh process: run `nb` with nbdev's own `test_nb` (as `nbdev-test` does), and cache the notebook it ran"
    import nbdev.test as nt
    from fastcore.nbio import read_nb, write_nb
    c = cfg(); nb = Path(nb)
    ran = {}
    nt.write_nb = lambda o, fn: ran.setdefault('nb', o)  # `save=True` writes back to the notebook; keep it instead
    flags = c.tst_flags.split() if isinstance(c.tst_flags, str) else list(c.tst_flags or [])
    os.chdir(c.nbs_path)
    ok, _ = nt.test_nb(nb, skip_flags=flags, basepath=c.config_path, save=True, cell_timeout=c.cell_timeout or None)
    if not ok: sys.exit(1)
    o = ran.get('nb') or read_nb(nb)  # (a notebook whose front matter says `skip_exec` is shown as it is)
    for cell in o.cells:
        for k in [k for k in cell if k.endswith('_')]: del cell[k]  # processing attributes, not notebook fields
    _store(EXEC/nb.relative_to(c.nbs_path), key, lambda t: write_nb(o, t))

def execute(nbs_rel, force=False, n_workers=N_WORKERS):
    "Execute `nbs_rel` (relative to nbs/) into the cache, `n_workers` at a time; returns the failures' errors"
    nbs = Path(cfg().nbs_path)
    lk = lib_key()
    todo = [r for r in nbs_rel if force or not _cached(EXEC/r, exec_key(r, nbs, lk))]
    if not todo: return log(f'docs: all {len(nbs_rel)} notebooks already executed (cache: {EXEC.relative_to(ROOT)}/)') or []
    log(f'docs: executing {len(todo)} of {len(nbs_rel)} notebooks (small profile, {n_workers} at a time)')
    def one(r):
        ok, secs, err = run_notebook(nbs/r, force=force)
        log(f'  {"ok" if ok else "FAILED"}  {r}  {secs:.0f} s')
        return err
    with ThreadPoolExecutor(n_workers) as ex: return [e for e in ex.map(one, todo) if e]

# ---------------------------------------------------------------------------------------------------------------------
# 2. nbdev processing

def proc_key(rel, nbs, lk):
    import inspect, nbdev
    return _sha('proc', PROC_VERSION, nbdev.__version__, inspect.getsource(_proc_child), exec_key(rel, nbs, lk))

def process(nbs_rel):
    "Process the executed notebooks with nbdev's processors, in one fresh process, unless cached"
    nbs = Path(cfg().nbs_path); lk = lib_key()
    todo = [r for r in nbs_rel if not _cached(PROC/r, proc_key(r, nbs, lk))]
    if not todo: return
    log(f'docs: processing {len(todo)} notebooks with nbdev (show_doc, doc links)')
    args = [x for r in todo for x in (r.as_posix(), proc_key(r, nbs, lk))]
    r = subprocess.run([sys.executable, __file__, '_proc', *args], env=exec_env(), cwd=ROOT)
    if r.returncode: sys.exit('docs: nbdev processing failed (above); the site was not updated.')

def _proc_child(pairs):
    "In a fresh process: nbdev's processors over each executed notebook, as `nbdev-proc-nbs` runs them"
    import nbdev.doclinks as dl
    from nbdev.processors import FilterDefaults, insert_warning
    from nbdev.frontmatter import FrontmatterProc
    from fastcore.nbio import read_nb, write_nb
    c = cfg()
    # nbdev links backticked names of the libraries in `strip_libs` (default: the project's name, here `transfer-course`,
    # which is not the package's import name): default to the package, so `get_settings` links to its page.
    strip = c.get('strip_libs') or Path(c.lib_path).name
    _lookup = dl._build_lookup_table
    dl._build_lookup_table = lambda strip_libs=None, incl_libs=None, skip_mods=None: _lookup(strip_libs or strip, incl_libs, skip_mods)
    flags = set(c.tst_flags.split() if isinstance(c.tst_flags, str) else c.tst_flags or [])

    class no_eval_skipped:
        "Cells the small profile skips (`#| slow`, `#| cuda`) are not run again for `show_doc` either"
        def __init__(self, nb): pass
        def __call__(self, cell):
            if cell.cell_type=='code' and (skip := flags & set(cell.directives_)):
                cell.directives_['eval'] = 'false'
                cell.metadata['skipped_by'] = sorted(skip)  # the page says so

    class keep_title_cell(FrontmatterProc):
        "nbdev's front matter, but a markdown title cell stays on the page whole (nbdev keeps its title and one line)"
        def _update(self, f, cell):
            if cell.cell_type=='raw': return super()._update(f, cell)
            s = cell.get('source')
            if s and (d := f(s)): self.fm.update(d); self.md_title = True
        def end(self):
            self.nb.frontmatter_ = self.fm
            if getattr(self, 'md_title', False) or not self.fm.get('title'): return
            desc = self.fm.get('description')
            self.nb.cells.insert(0, dl.mk_cell(f"# {self.fm['title']}" + (f"\n\n> {desc}" if desc else ''), 'markdown'))

    class Procs(FilterDefaults):
        def base_procs(self):
            res = [keep_title_cell if p is FrontmatterProc else p for p in super().base_procs() if p is not insert_warning]
            return [no_eval_skipped] + res + [fix_source_lines]

    def fix_source_lines(cell):
        "nbdev 3.3 writes `#LNone` into `show_doc` source links: put the definition's line there"
        for o in cell.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md is None: continue
            md = ''.join(md) if isinstance(md, list) else md
            m = re.search(r'^#+ (\S+)', md, flags=re.M)
            def line(x):
                n = dl._get_exps(x[2]).get(m[1]) if m else None
                return x[1] + (f'#L{n}' if n else '')
            o['data']['text/markdown'] = re.sub(r'(\(https?://\S+?/blob/\S+?/(\S+?\.py))#LNone', line, md)

    nbs = Path(c.nbs_path)
    os.chdir(c.config_path)
    it, failed = iter(pairs), []
    for rel, key in zip(it, it):
        nb = read_nb(EXEC/rel)
        nb.path_ = str(nbs/rel)
        try: Procs()(nb)
        except Exception as e:
            failed.append(rel)
            print(f"docs: nbdev could not process {rel}:\n{e}\n(To render show_doc, nbdev runs again every cell with an "
                  "import, an export or a show_doc, in a fresh kernel: keep imports in cells of their own.)\n", file=sys.stderr)
            continue
        for cell in nb.cells:
            for k in [k for k in cell if k.endswith('_')]: del cell[k]
        _store(PROC/rel, key, lambda t: write_nb(nb, t))
        log(f'  processed {rel}')
    if failed: sys.exit(1)

# ---------------------------------------------------------------------------------------------------------------------
# 3. Conversion for Jupyter Book 1

_re_dir = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')
_re_fence = re.compile(r'^\s*(```|~~~)')

def split_directives(src):
    "Quarto `#| key: value` lines at the top of a code cell, and the rest of its source"
    lines, d = src.splitlines(), {}
    while lines and (m := _re_dir.match(lines[0])): d[m[1]] = m[2].strip('"\''); lines.pop(0)
    return d, '\n'.join(lines)

def _outside_fences(md, f):
    "Apply `f` to each run of lines of markdown `md` that is not inside a code fence"
    out, buf, fence = [], [], None
    for l in md.splitlines():
        m = _re_fence.match(l)
        if fence is None and m: out += f(buf); buf = []; fence = m[1]; out.append(l); continue
        if fence is not None:
            out.append(l)
            if l.strip().startswith(fence) and l.strip().strip(fence[0])=='': fence = None
            continue
        buf.append(l)
    return '\n'.join(out + f(buf))

def _no_rules(lines):
    "Thematic breaks (`---` after a blank line) become HTML rules: docutils refuses them at a section's start or end"
    res = []
    for i,l in enumerate(lines):
        if re.fullmatch(r' {0,3}([-*_])( *\1){2,} *', l) and (i==0 or not lines[i-1].strip()): res.append('<hr class="rule">')
        else: res.append(l)
    return res

_re_attr_link = re.compile(r'\[([^\]]*)\]\(([^)\s]+)\)\{([^}]*)\}')
_re_link = re.compile(r'(!?)\[((?:[^\]\\]|\\.)*)\]\(<?([^)\s>]+)>?((?:\s+"[^"]*")?)\)')

class Converter:
    "Turns nbdev-processed notebooks into pages that Jupyter Book 1 (myst-nb) renders"
    def __init__(self, pages, nbs, c):
        self.pages, self.nbs, self.anchors = pages, Path(nbs), {}
        self.doc_base = (c.get('doc_host', '').rstrip('/') + '/' + c.get('doc_baseurl', '').strip('/')).rstrip('/') + '/'
        self.git = c.get('git_url', '').rstrip('/'); self.branch = c.get('branch', 'main')
        self.page_of_nb = {k.as_posix(): v for k,v in pages.items()}

    def index(self, procs):
        "Note the anchors each page's `show_doc` output will have, from {notebook: processed notebook}"
        self.anchors = {}
        for rel,nb in procs.items():
            a = self.anchors.setdefault(self.pages[rel]+'.html', set())
            for c in nb['cells']:
                if c['cell_type']=='code' and split_directives(''.join(c['source']))[0].get('output')=='asis':
                    for o in c.get('outputs', []):
                        md = o.get('data', {}).get('text/markdown', '')
                        a |= {m.lower() for m in re.findall(r'^#+ (\S+)\s*$', ''.join(md) if isinstance(md, list) else md, flags=re.M)}

    def link(self, target, rel):
        "Where a link in notebook `rel` to `target` should point on the site (None: leave it)"
        u = urlsplit(target)
        frag = f'#{u.fragment}' if u.fragment else ''
        here = posixpath.dirname(self.pages[rel])
        if target.startswith(self.doc_base) and self.doc_base!='/':  # nbdev's doc links: this site's own pages
            path = target[len(self.doc_base):].split('#')[0] or 'index.html'
            if u.fragment and u.fragment not in self.anchors.get(path, ()): return ''  # not documented (private, say)
            return posixpath.relpath(path, here or '.') + frag
        if u.scheme or u.netloc or target.startswith(('#', '/')) or not u.path: return None
        dest = posixpath.normpath(posixpath.join(rel.parent.as_posix(), unquote(u.path)))
        if dest.endswith('.ipynb') and dest in self.page_of_nb:
            return posixpath.relpath(self.page_of_nb[dest]+'.html', here or '.') + frag
        src = (self.nbs/dest).resolve()
        if src.exists() and not src.is_relative_to(self.nbs.resolve()) and src.is_relative_to(ROOT) and self.git:
            return f'{self.git}/blob/{self.branch}/{src.relative_to(ROOT).as_posix()}'  # a repository file: on GitHub
        return None

    def markdown(self, md, rel):
        "Markdown fixed for MyST: no Quarto link attributes, thematic breaks, site-relative links, nbdev anchors"
        def fix(lines):
            s = '\n'.join(lines)
            s = _re_attr_link.sub(lambda m: f'<a class="reference external" href="{m[2]}">{_md_inline(m[1])}</a>', s)
            def lnk(m):
                new = self.link(m[3], rel)
                if new is None: return m[0]
                if new=='': return m[2]
                if m[1]: return m[0]  # images keep their relative paths (their files are copied alongside)
                return f'<a class="reference internal" href="{new}">{_md_inline(m[2])}</a>' if not new.startswith('http') else f'[{m[2]}]({new}{m[4]})'
            s = _re_link.sub(lnk, s)
            return _no_rules(s.splitlines())
        return _outside_fences(md, fix).strip()

    def showdoc(self, md, rel):
        "A `show_doc` output as a heading (nbdev's anchor beside it), then a box: source link, signature, docstring"
        md = re.sub(r'^\s*---\s*\n', '', md)
        src = re.search(r'^\[source\]\(([^)\s]+)\)(\{[^}]*\})?\s*$', md, flags=re.M)
        if src: md = md[:src.start()] + md[src.end():]
        h = re.search(r'^(#+) (\S+)\s*$', md, flags=re.M)
        if not h: return self.markdown(md, rel)
        body = md[h.end():].strip()
        box = (f'<a class="source-link" href="{src[1]}">source</a>\n\n' if src else '') + self.markdown(body, rel)
        return (f'<a id="{h[2].lower()}" class="nbdev-anchor"></a>\n\n{self.markdown(md[:h.start()], rel)}\n\n'
                f'{h[1]} {h[2]}\n\n::::{{container}} showdoc\n{box}\n::::').replace('\n\n\n\n', '\n\n')

    def convert(self, nb, rel):
        "The page for processed notebook `nb` (nbs/`rel`)"
        import nbformat
        cells = []
        for c in nb['cells']:
            src = ''.join(c.get('source', ''))
            if c['cell_type']=='raw':
                fm = _front_matter(src)
                if fm is None: continue  # raw cells are for other output formats
                if fm.get('title'):
                    desc = fm.get('description')
                    cells.append(nbformat.v4.new_markdown_cell(f"# {fm['title']}" + (f"\n\n> {desc}" if desc else '')))
                continue
            if c['cell_type']=='markdown':
                if src.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
                m = nbformat.v4.new_markdown_cell(self.markdown(src, rel))
                if c.get('attachments'): m['attachments'] = c['attachments']
                cells.append(m)
                continue
            d, code = split_directives(src)
            outs = [nbformat.from_dict(o) for o in (_clean_output(o) for o in c.get('outputs', [])) if o]
            if d.get('output')=='asis':  # show_doc: its markdown output is the page's text
                md = '\n\n'.join(''.join(o['data']['text/markdown']) if isinstance(o['data']['text/markdown'], list)
                                 else o['data']['text/markdown'] for o in outs if 'text/markdown' in o.get('data', {}))
                if md.strip(): cells.append(nbformat.v4.new_markdown_cell(self.showdoc(md, rel)))
                continue
            tags = []
            if d.get('include')=='false': continue
            if d.get('echo')=='false': tags.append('remove-input')
            if d.get('output')=='false': tags.append('remove-output')
            if d.get('code-fold')=='true': tags.append('hide-input')
            if c.get('metadata', {}).get('skipped_by'): tags.append('not-run')
            cell = nbformat.v4.new_code_cell(code, outputs=outs, execution_count=c.get('execution_count'))
            for o in outs:
                if 'text/markdown' in o.get('data', {}):
                    md = o['data']['text/markdown']
                    o['data']['text/markdown'] = self.markdown(''.join(md) if isinstance(md, list) else md, rel)
            if tags: cell.metadata['tags'] = tags
            cells.append(cell)
        out = nbformat.v4.new_notebook(cells=cells, metadata={'kernelspec': nb['metadata'].get('kernelspec', {}),
                                                             'language_info': {'name': 'python'}})
        nbformat.validate(out)
        return nbformat.writes(out)

def _md_inline(s):
    "Link text as HTML: inline code, emphasis"
    import html as h
    s = h.escape(s, quote=False)
    s = re.sub(r'`([^`]+)`', r'<code class="docutils literal notranslate"><span class="pre">\1</span></code>', s)
    return re.sub(r'\*([^*]+)\*', r'<em>\1</em>', s)

def _front_matter(src):
    import yaml
    m = re.match(r'^\s*---\s*\n(.*?)\n---\s*$', src, flags=re.S)
    if not m: return None
    try: return yaml.safe_load(m[1]) or {}
    except yaml.YAMLError: return None

_re_bar = re.compile(r'^\s*(\S[^|]*:\s*)?\|[█\-]*\|\s*\d+(\.\d+)?% \[')

def _terminal(text):
    "Stream text as a terminal shows it: carriage returns overwrite the line; progress bars that finished are gone"
    lines = []
    for line in text.split('\n'):
        buf = ''
        for seg in line.split('\r'): buf = seg + buf[len(seg):]
        if not _re_bar.match(buf): lines.append(buf.rstrip())
    return re.sub(r'\n{3,}', '\n\n', '\n'.join(lines))

_WIDGET = 'application/vnd.jupyter.widget-view+json'
WIDGET_NOTE = '<p class="widget-note">An interactive widget: run this notebook in JupyterLab to use it.</p>'

def _clean_output(o):
    "An output as a static page can show it: a note instead of a widget (no kernel there), terminal-like streams"
    o = dict(o)
    if o.get('output_type')=='stream':
        o['text'] = _terminal(''.join(o['text']) if isinstance(o['text'], list) else o['text'])
        return o if o['text'].strip() else None
    if _WIDGET in o.get('data', {}):
        return {'output_type': 'display_data', 'data': {'text/html': WIDGET_NOTE}, 'metadata': {}}
    return o

# ---------------------------------------------------------------------------------------------------------------------
# The Results page

MAX_ROWS = 200

def _pipe_table(rows, cols):
    "A markdown table"
    def cell(v):
        if v is None or (isinstance(v, float) and v!=v): return ''
        if isinstance(v, float): v = f'{v:.4g}'
        return str(v).replace('|', '\\|').replace('\n', ' ')
    lines = ['| ' + ' | '.join(cell(c) for c in cols) + ' |', '|' + '---|'*len(cols)]
    lines += ['| ' + ' | '.join(cell(r.get(c)) for c in cols) + ' |' for r in rows]
    return '\n'.join(lines)

def _records(data):
    "JSON as table rows, if it is a list of flat records (or a dict holding one); else None"
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists)==1: data = lists[0]
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        if all(not isinstance(v, (dict, list)) for r in data for v in r.values()): return data
    return None

def _changed(f):
    "When `f` last changed: its last commit's date, else its modification date"
    r = subprocess.run(['git', 'log', '-1', '--format=%cs', '--', str(f)], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() or time.strftime('%Y-%m-%d', time.localtime(f.stat().st_mtime)) + ' (not committed)'

def results_page(nbs, site):
    "Markdown for the Results page: every table in nbs/results/, and the dashboard's picture, or a plain note if none"
    import csv
    res, img = nbs/'results', nbs/'images'/'dashboard.png'
    files = sorted(f for f in res.glob('*') if f.suffix.lower() in ('.csv', '.json') and not f.name.startswith(('.', '_'))) if res.is_dir() else []
    md = ['# Results', '',
          'The latest comparison results of the course\'s transfer strategies, as the experiments recorded them in '
          '`nbs/results/`, and a picture of the dashboard that shows them.', '']
    if not files and not img.exists():
        md += ['```{note}', 'No comparison results have been recorded yet: `nbs/results/` holds no CSV or JSON files, '
               'and there is no dashboard picture (`nbs/images/dashboard.png`). This page shows them once they are '
               'committed.', '```', '']
    for f in files:
        md += [f'## {f.stem.replace("_", " ").replace("-", " ").capitalize()}', '',
               f'From `nbs/results/{f.name}`, last changed {_changed(f)}.', '']
        try:
            if f.suffix.lower()=='.csv':
                with open(f, newline='', encoding='utf-8') as fh: rows = list(csv.DictReader(fh))
                cols = list(rows[0].keys()) if rows else []
                data = rows
            else:
                data = _records(json.loads(f.read_text(encoding='utf-8')))
                cols = list(dict.fromkeys(k for r in data for k in r)) if data else []
        except (ValueError, UnicodeDecodeError, csv.Error) as e:
            md += [f'*This file could not be read ({type(e).__name__}: {e}).*', '']; continue
        if data is None:  # JSON of another shape: show it as it is
            md += ['```json', json.dumps(json.loads(f.read_text(encoding='utf-8')), indent=1)[:20000], '```', '']
        elif not cols: md += ['*This file holds no rows.*', '']
        else:
            md += [_pipe_table(data[:MAX_ROWS], cols), '']
            if len(data) > MAX_ROWS: md += [f'*The first {MAX_ROWS} of {len(data)} rows.*', '']
    if files and not img.exists():
        md += ['## Dashboard', '', 'No picture of the dashboard yet (`nbs/images/dashboard.png`).', '']
    if img.exists():
        (site/'images').mkdir(parents=True, exist_ok=True)
        shutil.copy2(img, site/'images'/'dashboard.png')
        md += ['## Dashboard', '', f'The dashboard, as of {_changed(img)}:', '',
               '```{image} images/dashboard.png', ':alt: The results dashboard', ':class: dashboard', '```', '']
    return '\n'.join(md)

# ---------------------------------------------------------------------------------------------------------------------
# Site source and Sphinx

ASSETS = ('.png', '.jpg', '.jpeg', '.gif', '.svg', '.webp')

def _write(path, text):
    "Write `text` only if it changed, so Sphinx rebuilds only what changed"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding='utf-8')!=text: path.write_text(text, encoding='utf-8')

def project_meta():
    import tomllib
    return tomllib.loads((ROOT/'pyproject.toml').read_text())['project']

def site_config(c):
    "Jupyter Book's `_config.yml`: docs/_config.yml, with the project's title, description and repository filled in"
    import yaml
    conf = yaml.safe_load((DOCS/'_config.yml').read_text())
    meta = project_meta()
    conf['title'] = c.get('title') or meta['name']
    conf['author'] = ', '.join(a['name'] for a in meta.get('authors', []))
    conf.setdefault('repository', {})['url'] = c.get('git_url') or meta.get('urls', {}).get('Repository', '')
    conf['repository']['branch'] = c.get('branch', 'main')
    conf['repository']['path_to_book'] = Path(c.nbs_path).relative_to(ROOT).as_posix()
    conf.setdefault('html', {})['baseurl'] = meta.get('urls', {}).get('Documentation', '')
    return yaml.safe_dump(conf, sort_keys=False)

def toc(pages, nbs_rel):
    "Jupyter Book's `_toc.yml`: home, then a part per folder (Lessons, Library, ...), then Results"
    import yaml
    names = {'': 'Course', 'lessons': 'Lessons', 'api': 'Library'}
    parts = {}
    for rel in nbs_rel:
        if rel.as_posix()=='index.ipynb': continue
        top = rel.parts[0] if len(rel.parts) > 1 else ''
        parts.setdefault(top, []).append({'file': pages[rel]})
    parts = [{'caption': names.get(k, k.replace('_', ' ').capitalize()), 'chapters': v} for k,v in parts.items()]
    parts.append({'caption': 'Experiments', 'chapters': [{'file': RESULTS_PAGE}]})
    return yaml.safe_dump({'format': 'jb-book', 'root': pages[Path('index.ipynb')], 'parts': parts}, sort_keys=False)

def assemble(nbs_rel):
    "Write the site's sources under _build/site/: converted pages, Results, assets, config; remove stale ones"
    from fastcore.nbio import read_nb
    c = cfg(); nbs = Path(c.nbs_path)
    if Path('index.ipynb') not in nbs_rel: sys.exit(f'docs: {nbs}/index.ipynb (the home page) is missing.')
    pages = page_map(nbs_rel)
    conv = Converter(pages, nbs, c)
    procs = {rel: json.loads((PROC/rel).read_text(encoding='utf-8')) for rel in nbs_rel}
    conv.index(procs)
    keep = set()
    for rel in nbs_rel:
        out = SITE/(pages[rel]+'.ipynb')
        _write(out, conv.convert(procs[rel], rel)); keep.add(out)
    for f in nbs.rglob('*'):  # images the notebooks show, at the same place relative to their pages
        r = f.relative_to(nbs)
        if f.suffix.lower() in ASSETS and f.is_file() and not any(p.startswith(('.', '_')) for p in r.parts):
            (SITE/r).parent.mkdir(parents=True, exist_ok=True)
            if not (SITE/r).exists() or (SITE/r).read_bytes()!=f.read_bytes(): shutil.copy2(f, SITE/r)
            keep.add(SITE/r)
    _write(SITE/f'{RESULTS_PAGE}.md', results_page(nbs, SITE)); keep.add(SITE/f'{RESULTS_PAGE}.md')
    if (SITE/'images'/'dashboard.png').exists(): keep.add(SITE/'images'/'dashboard.png')
    _write(SITE/'_config.yml', site_config(c)); _write(SITE/'_toc.yml', toc(pages, nbs_rel))
    keep |= {SITE/'_config.yml', SITE/'_toc.yml'}
    if (SITE/'_static').exists(): shutil.rmtree(SITE/'_static')
    shutil.copytree(DOCS/'_static', SITE/'_static')
    for f in list(SITE.rglob('*')):
        if f.is_file() and f not in keep and '_static' not in f.relative_to(SITE).parts: f.unlink()
    return pages

def sphinx(out):
    "Jupyter Book 1 (Sphinx) from _build/site/ into _build/html/, then mirrored into `out`; exit on errors or warnings"
    from jupyter_book.sphinx import build_sphinx
    html = BUILD/'html'  # (myst-nb writes beside its output folder: keep that inside _build/)
    log(f'docs: building HTML with Jupyter Book into {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/')
    status = build_sphinx(SITE, html, noconfig=True, path_config=SITE/'_config.yml', doctreedir=BUILD/'doctrees',
                          confoverrides={'latex_individualpages': False}, quiet=True, keep_going=True, warningiserror=True)
    if status: sys.exit(f'docs: Jupyter Book reported errors or warnings (above); the site was not updated.')
    (html/'.nojekyll').touch()
    add_mathjax(html)
    _mirror(html, out)

def _mirror(src, dst):
    "Make folder `dst` a copy of `src`, copying only what changed"
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(dst.rglob('*'), reverse=True):
        s = src/f.relative_to(dst)
        if f.is_dir() and not s.is_dir(): shutil.rmtree(f)
        elif not f.is_dir() and not s.is_file(): f.unlink()
    for s in src.rglob('*'):
        d = dst/s.relative_to(src)
        if s.is_dir(): d.mkdir(exist_ok=True)
        elif not d.exists() or d.stat().st_size!=s.stat().st_size or d.stat().st_mtime<s.stat().st_mtime: shutil.copy2(s, d)

def add_mathjax(out):
    "Copy MathJax into the site if a page has math (Sphinx then loads `_static/mathjax/`, set in docs/_config.yml)"
    dest = out/'_static'/'mathjax'
    if dest.exists() or not any('_static/mathjax/' in f.read_text(encoding='utf-8', errors='replace') for f in out.rglob('*.html')): return
    try: import jupyter_server_mathjax
    except ImportError: sys.exit('docs: a page has math, and MathJax is missing: pip install jupyter-server-mathjax')
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent/'static', dest,
                    ignore=lambda d, names: [n for n in names if n=='localization'])

# ---------------------------------------------------------------------------------------------------------------------
# 4. Checks: links and anchors, and nothing loaded from elsewhere

class _Page(html.parser.HTMLParser):
    "The ids, links and loaded resources of one HTML page"
    LOADS = {('script', 'src'), ('img', 'src'), ('iframe', 'src'), ('source', 'src'), ('video', 'src'), ('audio', 'src'),
             ('embed', 'src'), ('object', 'data'), ('input', 'src'), ('img', 'srcset'), ('source', 'srcset')}
    def __init__(self):
        super().__init__(); self.ids, self.links, self.loads = set(), [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ('id', 'name') if tag=='a' else ('id',):
            if a.get(k): self.ids.add(a[k])
        if tag in ('a', 'area') and a.get('href') is not None: self.links.append(a['href'])
        if tag=='link' and a.get('href'):
            rel = (a.get('rel') or '').lower()
            (self.loads if rel.split() and set(rel.split()) & {'stylesheet', 'icon', 'preload', 'modulepreload',
             'manifest', 'prefetch', 'apple-touch-icon', 'shortcut'} else self.links).append(a['href'])
        for t,k in self.LOADS:
            if tag==t and a.get(k): self.loads += [s.strip().split()[0] for s in a[k].split(',') if s.strip()] if k=='srcset' else [a[k]]

def _external(u): s = urlsplit(u); return bool(s.netloc) or s.scheme not in ('', 'data', 'blob', 'javascript', 'mailto')

def check_site(out):
    "Problems with the site in `out`: broken internal links or anchors, resources from other hosts. Returns (problems, stats)"
    pages, probs = {}, []
    for f in sorted(out.rglob('*.html')):
        if f.relative_to(out).parts[0] in ('_static', '_sources'): continue  # theme templates, not pages
        p = _Page(); p.feed(f.read_text(encoding='utf-8', errors='replace')); pages[f] = p
    css_ext = re.compile(r'''(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)''')
    for f in out.rglob('*.css'):
        for m in css_ext.finditer(f.read_text(encoding='utf-8', errors='replace')):
            probs.append(f'{f.relative_to(out)} loads {m[1]} from another host')
    n_links = 0
    for f,p in pages.items():
        where = f.relative_to(out).as_posix()
        for u in p.loads:
            if _external(u): probs.append(f'{where} loads {u} from another host')
        for u in p.links + [x for x in p.loads if not _external(x)]:
            s = urlsplit(u)
            if _external(u) or s.scheme in ('mailto', 'javascript', 'data'): continue
            n_links += 1
            target = f if not s.path else (f.parent/unquote(s.path)).resolve()
            if s.path.endswith('/') or target.is_dir(): target = target/'index.html'
            if not target.exists(): probs.append(f'{where} links to {u}: no such file'); continue
            if s.fragment and target.suffix=='.html':
                tp = pages.get(target)
                if tp is not None and unquote(s.fragment) not in tp.ids:
                    probs.append(f'{where} links to {u}: no element with id "{unquote(s.fragment)}"')
    return probs, dict(pages=len(pages), links=n_links)

# ---------------------------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _lock():
    "One build at a time (tests may build from two processes)"
    import fcntl
    BUILD.mkdir(exist_ok=True)
    with open(BUILD/'.lock', 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try: yield
        finally: fcntl.flock(f, fcntl.LOCK_UN)

def build(out=None):
    "The whole site into `out` (default: nbdev's doc_path, `_docs/`)"
    t0 = time.time()
    c = cfg(); out = Path(out or c.doc_path)
    with _lock():
        nbs_rel = notebooks(c.nbs_path)
        if errs := execute(nbs_rel): sys.exit('docs: notebook execution failed; the site was not updated.\n\n' + '\n\n'.join(errs))
        process(nbs_rel)
        pages = assemble(nbs_rel)
        sphinx(out)
        probs, st = check_site(out)
    if probs: sys.exit(f'docs: the site has {len(probs)} problem(s):\n  ' + '\n  '.join(probs[:100]))
    log(f'docs: built {len(pages)} notebooks + Results ({st["pages"]} HTML pages, {st["links"]} internal links checked) '
        f'into {out} in {time.time()-t0:.0f} s')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd')
    b = sub.add_parser('build', help='build the site (the default)'); b.add_argument('--out', type=Path)
    e = sub.add_parser('execute', help='execute notebooks into the cache, as nbdev-test runs them')
    e.add_argument('nbs', nargs='+', type=Path); e.add_argument('--cached', action='store_true', help='reuse cached results')
    k = sub.add_parser('check', help="check the built site's links and resources"); k.add_argument('--out', type=Path)
    x = sub.add_parser('_exec'); x.add_argument('nb'); x.add_argument('key')
    p = sub.add_parser('_proc'); p.add_argument('pairs', nargs='+')
    a = ap.parse_args(argv)
    if a.cmd=='_exec': return _exec_child(a.nb, a.key)
    if a.cmd=='_proc': return _proc_child(a.pairs)
    if a.cmd=='execute':
        nbs = Path(cfg().nbs_path).resolve()
        rels = []
        for f in a.nbs:
            f = f.resolve()
            if not f.is_file() or not f.is_relative_to(nbs): sys.exit(f'docs: {f} is not a notebook under {nbs}')
            rels.append(f.relative_to(nbs))
        if errs := execute(rels, force=not a.cached): sys.exit('\n\n'.join(errs))
        return
    if a.cmd=='check':
        out = a.out or Path(cfg().doc_path)
        probs, st = check_site(out)
        if probs: sys.exit(f'docs: {len(probs)} problem(s) in {out}:\n  ' + '\n  '.join(probs))
        return log(f'docs: {st["pages"]} pages, {st["links"]} internal links: all resolve; nothing loaded from elsewhere')
    return build(getattr(a, 'out', None))

if __name__=='__main__': main()
