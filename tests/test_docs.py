"""The course's website: `docs/build.py` builds it offline into `_docs/`; a learner reads it in a browser.

The build's own rules (pages from processed notebooks, `show_doc` as MyST, doc links, the Results notebook, Sphinx failing
on a broken link) are tested on small made-up inputs; the `browser` tests build the real site (reusing the notebooks the
notebook tests executed), serve it on 127.0.0.1 and read it in headless Chromium."""
import importlib.util, json, re, shutil, sys
from pathlib import Path
import nbformat, pytest
from fastcore.basics import AttrDict
from fastcore.nbio import dict2nb
from nbdev.test import test_nb as run_nb
from conftest import ROOT, BIN, run
from browser import chromium, serve

spec = importlib.util.spec_from_file_location('docs_build', ROOT/'docs'/'build.py')
B = importlib.util.module_from_spec(spec); spec.loader.exec_module(B)
from myst_showdoc import MystRenderer, slug, def_lines  # (docs/, on the path through docs/build.py)

SCREENS = ROOT/'_build'/'screens'
CFG = AttrDict(doc_host='https://transfer-course.github.io', doc_baseurl='/transfer-course')
DOC = 'https://transfer-course.github.io/transfer-course/'

def nb_of(*cells):
    "A processed notebook of `cells` (nbformat cells; a cell's `directives_` as nbdev's processing leaves them)"
    return dict2nb(json.loads(json.dumps(dict(cells=list(cells), metadata={'kernelspec': {'name': 'python3', 'display_name': 'python3'}},
                                              nbformat=4, nbformat_minor=5))))

def showdoc_cell(md): return nbformat.v4.new_code_cell('#| output: asis\n#| echo: false\nshow_doc(f)',
    outputs=[nbformat.v4.new_output('execute_result', data={'text/markdown': md, 'text/plain': 'f'}, execution_count=1)])

def pages(**nbs):
    "`Pages` over processed notebooks {notebook path, with __ for / and no suffix: notebook}"
    return B.Pages({Path(k.replace('__', '/')+'.ipynb'): v for k,v in nbs.items()}, CFG)

def page(p, nb, rel): return nbformat.reads(p.page(nb, Path(rel), ('slow', 'cuda')), 4).cells

# ---------------------------------------------------------------------------------------------------------------------
# Pages

def test_front_matter_becomes_title():
    nb = nb_of(nbformat.v4.new_raw_cell('---\ndescription: Settings and seeds\ntitle: Core\n---'), nbformat.v4.new_raw_cell('.. rst only'),
               nbformat.v4.new_markdown_cell('## Settings'))
    assert [c.source for c in page(pages(), nb, 'api/00_core.ipynb')]==['# Core\n\n> Settings and seeds', '## Settings']

def test_show_doc_renders_as_myst():
    from transfer_course.core import get_settings
    from transfer_course.backbones import Backbone
    md = MystRenderer(get_settings)._repr_markdown_()
    assert md.startswith('<a id="get_settings" class="nbdev-anchor"></a>\n\n### get_settings\n\n::::{container} showdoc\n')
    assert md.endswith('::::') and '```python\ndef get_settings(' in md
    url = re.search(r'<a class="source-link" href="(\S+)">source</a>', md)[1]
    assert url.startswith('https://github.com/transfer-course/transfer-course/blob/main/transfer_course/core.py#L')
    line = int(url.split('#L')[1])  # the line where it is defined, in the module nbdev exported
    assert (ROOT/'transfer_course'/'core.py').read_text().splitlines()[line-1].startswith('def get_settings(')
    lines = (ROOT/'transfer_course'/'backbones.py').read_text().splitlines()
    assert lines[def_lines('transfer_course/backbones.py')['Backbone.offline']-1].strip().startswith('def offline(')
    assert slug('Backbone.offline')=='backbone.offline' and slug('Try it: `lr_find`')=='try-it-lr_find'

def test_doc_links_go_to_the_documenting_notebook():
    api = nb_of(showdoc_cell('<a id="get_backbone" class="nbdev-anchor"></a>\n\n### get_backbone'))
    p = pages(api__02_backbones=api, lessons__01_pretrained=nb_of())
    md = f'Use [`get_backbone`]({DOC}api/backbones.html#get_backbone), not [`_private`]({DOC}api/backbones.html#_private); [fastai](https://docs.fast.ai/x.html#y).'
    assert p.links(md, Path('lessons/01_pretrained.ipynb'))==\
        'Use [`get_backbone`](../api/02_backbones.ipynb#get_backbone), not `_private`; [fastai](https://docs.fast.ai/x.html#y).'
    assert p.links(f'[`get_backbone`]({DOC}api/backbones.html#get_backbone)', Path('index.ipynb'))=='[`get_backbone`](api/02_backbones.ipynb#get_backbone)'
    (c,) = page(p, api, 'api/02_backbones.ipynb')  # a show_doc output is the page's own markdown
    assert c.cell_type=='markdown' and c.source.endswith('### get_backbone')

def test_outputs_as_a_static_page_shows_them():
    outs = [nbformat.v4.new_output('stream', name='stdout', text='█\repoch  loss\n0  0.9\n|████| 100.00% [2/2 00:01<00:00]\n'),
            nbformat.v4.new_output('display_data', data={'application/vnd.jupyter.widget-view+json': {'model_id': 'x'}, 'text/plain': 'Button()'})]
    cell = nbformat.v4.new_code_cell('learn.fit(1)', outputs=outs)
    cell.metadata = {'execution': {'iopub.execute_input': '2026-01-01', 'total': 0.5}}
    nb = nb_of(cell)
    nb.cells[0]['directives_'] = {'slow': []}
    (c,) = page(pages(), nb, 'lessons/01_pretrained.ipynb')
    assert c.outputs[0].text=='epoch  loss\n0  0.9\n'
    assert c.outputs[1].data=={'text/html': B.WIDGET_NOTE}
    assert 'execution' not in c.metadata and c.metadata.tags==['not-run']

def test_cell_options():
    cs = page(pages(), nb_of(nbformat.v4.new_code_cell('#| echo: false\nplot()'), nbformat.v4.new_code_cell('#| include: false\nx = 1'),
                             nbformat.v4.new_code_cell('#| code-fold: true\n#| code-summary: "Source"\ny = 2')), 'index.ipynb')
    assert [(c.source, c.metadata.get('tags')) for c in cs]==[('plot()', ['remove-input']), ('y = 2', ['hide-input'])]

def test_nbdev_page_names_redirect(tmp_path):
    "nbdev's doc links and nbs/llms.txt name pages as nbdev names them: those addresses lead to the pages, anchors kept"
    B.redirects([Path('index.ipynb'), Path('api/02_backbones.ipynb')], tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob('*.html')]==['api/backbones.html']
    assert 'location.replace("02_backbones.html" + location.hash)' in (tmp_path/'api'/'backbones.html').read_text()

def test_reading_order():
    nbs = B.notebooks()
    assert nbs[0]==Path('index.ipynb')
    tops = [p.parts[0] for p in nbs[1:]]
    assert tops==sorted(tops, key=lambda t: ('lessons', 'api').index(t) if t in ('lessons', 'api') else 2)
    assert [p for p in nbs if p.parts[0]=='lessons']==sorted(p for p in nbs if p.parts[0]=='lessons')

def _results(folder):
    "The markdown the Results notebook shows, run in `folder` as nbdev-test runs it"
    shutil.copy(B.RESULTS, folder/'results.ipynb')
    ok, _ = run_nb(folder/'results.ipynb', basepath=ROOT, save=True)
    assert ok
    (c,) = [c for c in json.loads((folder/'results.ipynb').read_text())['cells'] if c.get('outputs')]
    return ''.join(c['outputs'][0]['data']['text/markdown'])

def test_results_notebook(tmp_path):
    (tmp_path/'results').mkdir()
    s = _results(tmp_path)
    assert 'No comparison results have been recorded yet' in s and '|' not in s
    (tmp_path/'results'/'strategy_comparison.csv').write_text('strategy,accuracy,seconds\nfrozen body,0.95,12.5\nfrom scratch,0.5,\n')
    (tmp_path/'results'/'runs.json').write_text(json.dumps([{'run': 1, 'acc': 0.9}, {'run': 2, 'acc': 0.8, 'note': 'a|b'}]))
    (tmp_path/'results'/'nested.json').write_text(json.dumps({'a': {'b': 1}}))
    s = _results(tmp_path)
    assert 'No comparison results' not in s and 'No picture of the dashboard yet' in s
    assert '## Strategy comparison' in s and re.search(r'\| strategy +\| +accuracy \| +seconds \|\n\|[-:|]+\|\n', s)
    assert re.search(r'\| frozen body +\| +0.95 +\| +12.5 +\|', s) and re.search(r'\| from scratch +\| +0.5 +\| +\|', s)
    assert re.search(r'a\\\|b', s) and '"b": 1' in s
    (tmp_path/'results'/'seeds.json').write_text(json.dumps(dict(seeds=[1, 7], records=[{'seed': 1, 'acc': 0.75, 'outcomes': {'test': [1, 0]}}])))
    s = _results(tmp_path)
    assert '- `seeds`: [1, 7]' in s and re.search(r'\| +seed \| +acc \|\n\|[-:|]+\|\n\| +1 \| +0.75 \|', s)   # records as a table
    assert 'not shown here: `outcomes`' in s and '"test"' not in s                                   # per-image outcomes left out
    (tmp_path/'results'/'bits.csv').write_text('arm,correct\nLP,' + '01'*150 + '\n')
    assert '010101010101010101010101… (300 characters)' in _results(tmp_path)                      # long cells cut short
    (tmp_path/'images').mkdir(); (tmp_path/'images'/'dashboard.png').write_bytes(b'png')
    assert ':::{image} images/dashboard.png\n:alt: The results dashboard\n:class: dashboard\n:::' in _results(tmp_path)

def test_broken_link_fails_the_build(tmp_path):
    "Sphinx checks every link between pages, and fails the build on one to a page or anchor that does not exist"
    site = tmp_path/'site'; site.mkdir()
    def build(link):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f'# Home\n\nSee [it]({link}).')]), site/'index.ipynb')
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MystRenderer(slug)._repr_markdown_())]), site/'other.ipynb')
        (site/'_config.yml').write_text(B.site_config(B.cfg()))
        (site/'_toc.yml').write_text('format: jb-book\nroot: index\nchapters:\n- file: other\n')
        if not (site/'_static').exists(): shutil.copytree(ROOT/'docs'/'_static', site/'_static')
        B.sphinx(site, tmp_path/'out', work=tmp_path/'work')
    build('other.ipynb#slug')
    assert 'href="other.html#slug"' in (tmp_path/'out'/'index.html').read_text()
    for bad in ('other.ipynb#nowhere', 'missing.ipynb'):
        with pytest.raises(SystemExit, match='Sphinx reported the warnings'): build(bad)

# ---------------------------------------------------------------------------------------------------------------------
# The real site, in Chromium

def _title(nb):
    "The first `# ` heading of notebook `nb`"
    for c in json.loads((ROOT/'nbs'/nb).read_text())['cells']:
        if c['cell_type']=='markdown' and (m := re.search(r'^# (.+)$', ''.join(c['source']), flags=re.M)): return m[1].strip()

def _h2s(nb):
    "The `## ` headings of notebook `nb`, as plain text"
    res = []
    for c in json.loads((ROOT/'nbs'/nb).read_text())['cells']:
        if c['cell_type']=='markdown':
            src = re.sub(r'```.*?```', '', ''.join(c['source']), flags=re.S)
            res += [re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', m).replace('`', '').replace('*', '').strip()
                    for m in re.findall(r'^## (.+)$', src, flags=re.M)]
    return res

@pytest.fixture(scope='module')
def site():
    r = run(BIN/'python', ROOT/'docs'/'build.py', timeout=3000)
    assert r.returncode==0, f"docs/build.py failed:\n{r.stdout[-4000:]}\n{r.stderr[-8000:]}"
    return ROOT/'_docs'

@pytest.fixture(scope='module')
def browser(site):
    "(context, base URL, requests made): a Chromium context on the served site; requests elsewhere are recorded and refused"
    with serve(site) as url, chromium() as b:
        ctx = b.new_context(viewport={'width': 1280, 'height': 900})
        reqs, refused, failed = [], [], []
        ctx.on('request', lambda r: reqs.append(r.url))
        ctx.on('response', lambda r: failed.append(f'{r.url}: HTTP {r.status}') if r.status >= 400 else None)
        ctx.route(lambda u: u.startswith(('http:', 'https:', 'ws:', 'wss:')) and not u.startswith(url),
                  lambda route: (refused.append(route.request.url), route.abort()))
        yield ctx, url, reqs, refused
        ctx.close()
        assert not failed, f"resources the pages could not load: {failed}"

def _other_hosts(reqs, url):
    return sorted({r for r in reqs if r.startswith(('http:', 'https:', 'ws:', 'wss:')) and not r.startswith(url)})

def _open(ctx, url):
    p = ctx.new_page()
    resp = p.goto(url)
    assert resp is not None and resp.ok, f"{url}: HTTP {resp.status if resp else 'no response'}"
    p.wait_for_load_state('networkidle')
    return p

def _text(p, sel): return [re.sub(r'\s*#\s*$', '', t).strip() for t in p.locator(sel).all_inner_texts()]

def _page(ctx, url, nb):
    "Open notebook `nb`'s page; its title and sections are the notebook's own"
    p = _open(ctx, url+nb.with_suffix('.html').as_posix())
    assert _text(p, 'article h1')==[_title(nb)]
    assert _text(p, 'article h2')==_h2s(nb)
    return p

def _images_loaded(p):
    "(number of images on the page, those that did not load)"
    imgs = p.evaluate("Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0])")
    return len(imgs), [s for s,ok in imgs if not ok]

def _shot(p, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENS/f'{name}.png'), full_page=True)

def _finish(p, name, reqs, url):
    "Keep a screenshot of the page; check that nothing was fetched from another host"
    _shot(p, name)
    assert not _other_hosts(reqs, url)

def _hrefs(p, sel): return p.evaluate(f"Array.from(document.querySelectorAll('{sel}')).map(a => a.getAttribute('href'))")

@pytest.mark.browser
def test_home_page(browser):
    ctx, url, reqs, _ = browser
    p = _page(ctx, url, Path('index.ipynb'))
    lessons = [n for n in B.notebooks() if n.parts[0]=='lessons']
    hrefs = _hrefs(p, 'article a[href]')
    for n in lessons[:1]: assert n.with_suffix('.html').as_posix() in hrefs, f"the home page does not link to {n}"
    nav = _text(p, 'nav.bd-docs-nav a')  # the sidebar: every lesson in reading order, then the library, then Results
    assert nav[:1+len(lessons)]==[_title('index.ipynb')] + [_title(n) for n in lessons] and nav[-1]=='Results'
    _finish(p, 'home', reqs, url)

@pytest.mark.browser
def test_lesson_page_has_its_outputs(browser):
    ctx, url, reqs, _ = browser
    p = _page(ctx, url, next(n for n in B.notebooks() if n.parts[0]=='lessons'))
    assert p.locator('div.cell_output table').count() >= 1, "no table among the lesson's outputs"
    assert p.locator('div.cell_output img').count() >= 1, "no plot among the lesson's outputs"
    n, broken = _images_loaded(p)
    assert not broken, f"images that did not load: {broken}"
    links = _hrefs(p, 'article a.reference.internal[href*="api/"]')
    assert any(re.match(r'\.\./api/\w+\.html#\w', h) for h in links), f"no doc link from the lesson to the library: {links}"
    _finish(p, 'lesson', reqs, url)

@pytest.mark.browser
def test_api_page_documents_the_module(browser):
    ctx, url, reqs, _ = browser
    p = _page(ctx, url, next(n for n in B.notebooks() if n.parts[0]=='api'))
    boxes = p.locator('div.showdoc')
    assert boxes.count() >= 1, "no show_doc output on the API page"
    names = p.evaluate("Array.from(document.querySelectorAll('div.showdoc')).map(d => d.previousElementSibling.textContent.replace(/#$/, '').trim())")
    for i,name in enumerate(names):
        box = boxes.nth(i)
        sig = box.locator('pre').first.inner_text()
        assert re.search(rf'\b(def|class) {re.escape(name.split(".")[-1])}\b', sig), f"no signature for {name}: {sig}"
        assert re.match(r'https://github\.com/.+/blob/.+/transfer_course/\w+\.py#L\d+$', box.locator('a.source-link').get_attribute('href'))
        assert p.locator(f'[id="{name.lower()}"]').count() >= 1, f"no nbdev anchor for {name}"
    _finish(p, 'api', reqs, url)

@pytest.mark.browser
def test_results_page(browser):
    "The Results page: a table per results file, the dashboard's picture"
    ctx, url, reqs, _ = browser
    p = _open(ctx, url+'results.html')
    assert _text(p, 'article h1')==['Results']
    res = ROOT/'nbs'/'results'
    tables = sorted(f for f in res.glob('*.csv') if not f.name.startswith(('.', '_'))) if res.is_dir() else []
    if tables: assert p.locator('article table').count() >= len(tables)
    if (ROOT/'nbs'/'images'/'dashboard.png').exists():
        assert p.locator('img.dashboard').count()==1 and not _images_loaded(p)[1]
    if not tables and not (res.is_dir() and any(res.glob('*.json'))):
        assert 'No comparison results have been recorded yet' in p.inner_text('article')
    _shot(p, 'results')

@pytest.mark.browser
def test_search_finds_a_lesson(browser):
    ctx, url, reqs, _ = browser
    nb = next(n for n in B.notebooks() if n.parts[0]=='lessons')
    word = re.findall(r'[A-Za-z]{6,}', _title(nb))[0]
    p = _open(ctx, url+f'search.html?q={word}')
    p.wait_for_selector('ul.search li', timeout=20_000)
    hrefs = p.evaluate("Array.from(document.querySelectorAll('ul.search li a')).map(a => a.getAttribute('href'))")
    assert any(h.startswith(nb.with_suffix('.html').as_posix()) for h in hrefs), f"searching '{word}' does not find {nb}: {hrefs}"

@pytest.mark.browser
def test_every_internal_link_resolves(browser):
    "Follow every link from the home page that stays on the site: every page loads, every anchor exists"
    ctx, url, reqs, refused = browser
    p = ctx.new_page()
    todo, ids, links, files = [url+'index.html'], {}, [], set()
    while todo:
        u = todo.pop()
        if u in ids: continue
        resp = p.goto(u)
        assert resp is not None and resp.ok, f"{u}: HTTP {resp.status if resp else 'no response'} (linked from {[s for s,t,_ in links if t==u][:3]})"
        ids[u] = set(p.evaluate("Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.name)"))
        for href in p.evaluate("Array.from(document.querySelectorAll('a[href], link[href]')).map(a => a.href)"):
            if not href.startswith(url): continue
            target, _, frag = href.partition('#')
            target = target.split('?')[0]
            if target.endswith('/'): target += 'index.html'
            links.append((u, target, frag))
            if target.endswith('.html'): todo.append(target)
            else: files.add(target)
    for f in sorted(files):
        r = ctx.request.get(f)
        assert r.ok, f"{f}: HTTP {r.status} (linked from {[s for s,t,_ in links if t==f][:3]})"
    broken = sorted({f'{s} -> {t}#{a}' for s,t,a in links if a and t in ids and a not in ids[t]})
    assert not broken, f"{len(broken)} links to anchors that do not exist:\n" + '\n'.join(broken[:50])
    assert len(ids) >= len(B.notebooks()) + 1
    (SCREENS/'links.txt').parent.mkdir(parents=True, exist_ok=True)
    (SCREENS/'links.txt').write_text(f'{len(ids)} pages, {len(links)} internal links ({len({(t,a) for _,t,a in links})} distinct), '
                                     f'{len(files)} other files\n')
    print(f'\n{len(ids)} pages and {len(links)} internal links checked')
    assert not refused and not _other_hosts(reqs, url), f"requests to other hosts: {_other_hosts(reqs, url)}"
