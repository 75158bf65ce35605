"""The comparison dashboard in a real browser: JupyterLab 4 on 127.0.0.1 (with a token), Debian's Chromium driven by
Playwright. It opens the dashboard notebook, runs it, picks strategies and clicks Run on the small profile, waits for
the result rows and the charts, then clicks Stop during a second, long run.

Everything JupyterLab writes (its settings, workspaces, runtime files, a copy of the notebook) and the results store
live in a temporary folder: the user's JupyterLab and the repository's notebooks and results are left alone. The
picture of the finished comparison is saved, with one after Stop, to `_build/screens/`; with `UPDATE_PICTURES=1` it also
replaces `nbs/images/dashboard.png`, the picture the website's Results page shows. A second test serves the same notebook as `make app` does, with Voila."""
import contextlib, json, os, secrets, shutil, socket, subprocess, time, urllib.request
from pathlib import Path
import pytest
from conftest import ROOT, BIN
from browser import chromium

pytestmark = pytest.mark.browser
APP_NB = ROOT/'nbs'/'apps'/'dashboard.ipynb'
PICTURE, SCREENS = ROOT/'nbs'/'images'/'dashboard.png', ROOT/'_build'/'screens'
MAX_PICTURE = 200_000
T = 150_000  # ms: generous, a cold start (server, kernel, torch and fastai imports) can be slow on a busy machine

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def wait_http(url, proc, timeout=120):
    t0 = time.time()
    while time.time()-t0 < timeout:
        if proc.poll() is not None: raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status==200: return
        except OSError: time.sleep(0.5)
    raise TimeoutError(f"the server did not answer {url} within {timeout} s")

def course_env(tmp_path) -> dict:
    "Environment for a server whose kernels use a results store in `tmp_path`, one torch thread each, offline"
    (tmp_path/'settings.ini').write_text(f"[DEFAULT]\ncourse = transfer-course\nprofile = small\n"
                                         f"data_path = {ROOT/'data'}\nresults_path = {tmp_path/'results'}\n")
    return {**os.environ, 'TRANSFER_COURSE_SETTINGS': str(tmp_path/'settings.ini'), 'OMP_NUM_THREADS': '1',
            'HF_HUB_OFFLINE': '1', 'JUPYTER_RUNTIME_DIR': str(tmp_path/'runtime')}

@contextlib.contextmanager
def server(args, env, url, log):
    "Run a server command until the block ends; wait first for `url` to answer"
    with open(log, 'w') as fh:
        proc = subprocess.Popen([str(a) for a in args], env=env, stdout=fh, stderr=subprocess.STDOUT)
        try:
            wait_http(url, proc)
            yield proc
        finally:
            proc.terminate()
            try: proc.wait(30)
            except subprocess.TimeoutExpired: proc.kill(); proc.wait()

@pytest.fixture
def lab(tmp_path):
    "JupyterLab 4 serving a copy of the dashboard notebook from `tmp_path`; yields (base URL, token)"
    if shutil.which('jupyter', path=str(BIN)) is None: pytest.skip("JupyterLab is not installed in this environment")
    cfg = tmp_path/'jupyter'
    (cfg/'labconfig').mkdir(parents=True)
    # The news toast ("Would you like to receive official Jupyter news?") would cover the page: disabled, here only.
    (cfg/'labconfig'/'page_config.json').write_text(json.dumps(
        {'disabledExtensions': {'@jupyterlab/apputils-extension:announcements': True}}))
    (tmp_path/'work').mkdir(); shutil.copy(APP_NB, tmp_path/'work'/'dashboard.ipynb')
    port,token = free_port(),secrets.token_hex(16)
    env = {**course_env(tmp_path), 'JUPYTER_CONFIG_DIR': str(cfg), 'JUPYTERLAB_SETTINGS_DIR': str(tmp_path/'lab-settings'),
           'JUPYTERLAB_WORKSPACES_DIR': str(tmp_path/'lab-workspaces')}
    args = [BIN/'jupyter', 'lab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
            '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={tmp_path/"work"}',
            '--LabApp.expose_app_in_browser=True'] + (['--allow-root'] if os.getuid()==0 else [])
    with server(args, env, f'http://127.0.0.1:{port}/api/status?token={token}', tmp_path/'lab.log'):
        yield f'http://127.0.0.1:{port}', token

def n_rows(page): return page.locator('.tc-table tr').count()

def save_picture(png:bytes, path:Path):
    "Save a screenshot, as a 256-colour PNG if that is what keeps it under the size limit"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    if path.stat().st_size > MAX_PICTURE:
        from PIL import Image
        Image.open(path).convert('RGB').quantize(colors=256).save(path, optimize=True)

def test_dashboard_runs_and_stops_in_jupyterlab(lab):
    url,token = lab
    with chromium() as b:
        page = b.new_page(viewport={'width': 1240, 'height': 1500})
        page.goto(f'{url}/lab/tree/dashboard.ipynb?token={token}', timeout=T)
        page.wait_for_function("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                               " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
                               " return k && k.status === 'idle'; }", timeout=T)
        page.evaluate("window.jupyterapp.shell.collapseLeft()")   # the file browser: the dashboard gets the width
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        dash = page.locator('.tc-dashboard')
        dash.wait_for(timeout=T)

        # First Run: four strategies, chosen in the strategies list, on the small profile's faces.
        page.locator('.tc-strategies select').select_option(['frozen', 'cached_logreg', 'fine_tune', 'scratch'])
        page.locator('button.tc-run').click()
        page.wait_for_function("() => document.querySelector('button.tc-stop') && !document.querySelector('button.tc-stop').disabled",
                               timeout=30_000)
        assert page.locator('button.tc-run').is_disabled()
        page.wait_for_function("() => document.querySelectorAll('.tc-table tr').length >= 5", timeout=T)
        page.wait_for_function("() => /Finished/.test(document.querySelector('.tc-status').textContent)", timeout=T)
        page.wait_for_timeout(500)   # the widgets' last updates
        assert page.locator('button.tc-run').is_enabled() and page.locator('.tc-strategies select').is_enabled()
        table = page.locator('.tc-table').inner_text()
        assert all(s in table for s in ('frozen', 'cached_logreg', 'fine_tune', 'scratch')), table
        for cls in ('tc-chart', 'tc-curves', 'tc-trainable'):   # the charts are pictures that loaded
            assert page.locator(f'.{cls}').evaluate("img => img.complete && img.naturalWidth > 300"), cls
        shot = dash.screenshot()
        save_picture(shot, SCREENS/'dashboard.png')
        assert (SCREENS/'dashboard.png').stat().st_size < MAX_PICTURE
        if os.environ.get('UPDATE_PICTURES'): save_picture(shot, PICTURE)

        # Second Run: training from scratch for 50 epochs; Stop once it is under way.
        rows = n_rows(page)
        page.locator('.tc-strategies select').select_option(['scratch'])
        page.locator('.tc-epochs input').fill('50'); page.locator('.tc-epochs input').press('Tab')
        page.locator('button.tc-run').click()
        page.wait_for_function("() => /epoch [1-9]\\d*\\//.test(document.body.textContent)", timeout=T)
        page.locator('button.tc-stop').click()
        page.wait_for_function("() => /Stopped/.test(document.querySelector('.tc-status').textContent)", timeout=60_000)
        page.wait_for_timeout(500)
        assert 'nothing of it was stored' in page.locator('.tc-status').inner_text()
        assert page.locator('button.tc-run').is_enabled() and page.locator('button.tc-stop').is_disabled()
        assert n_rows(page)==rows                                # nothing of the stopped run, every earlier result
        save_picture(dash.screenshot(), SCREENS/'dashboard_stopped.png')

def test_make_app_serves_the_dashboard_alone_with_voila(tmp_path):
    "What `make app` runs: Voila serves the dashboard notebook as a page of widgets, no code; Run works there too"
    if shutil.which('voila', path=str(BIN)) is None: pytest.skip("Voila is not installed in this environment")
    port = free_port()
    args = [BIN/'voila', APP_NB, '--no-browser', f'--port={port}', '--Voila.ip=127.0.0.1', '--Voila.port_retries=0']
    with server(args, course_env(tmp_path), f'http://127.0.0.1:{port}/', tmp_path/'voila.log'), chromium() as b:
        page = b.new_page(viewport={'width': 1100, 'height': 1200})
        page.goto(f'http://127.0.0.1:{port}/', timeout=T)
        page.locator('.tc-dashboard').wait_for(timeout=T)
        assert 'from transfer_course' not in page.locator('body').inner_text()   # an app: widgets, not code
        page.locator('.tc-strategies select').select_option(['cached_logreg'])
        page.locator('.tc-n-per-class input').fill('10'); page.locator('.tc-n-per-class input').press('Tab')
        page.locator('button.tc-run').click()
        page.wait_for_function("() => /Finished 1 run/.test(document.querySelector('.tc-status').textContent)", timeout=T)
        assert 'cached_logreg' in page.locator('.tc-table').inner_text()
        SCREENS.mkdir(parents=True, exist_ok=True); page.screenshot(path=SCREENS/'dashboard_voila.png')
