"""The dashboard's logic without a browser: controls set as Python values, the methods the buttons call, and the state
and store checked afterwards. The widgets notebook shows a Run, a rerun, reopening and a Stop; these are what it leaves
out (`test_dashboard_browser.py` clicks it for real).

Runs are tiny (faces at 32 px, 10 per class) so that these take seconds."""
import html, threading, time
import pytest
from transfer_course.core import MissingError
from transfer_course.data import folder_source
import transfer_course.strategies as S
from transfer_course.store import ResultStore
from transfer_course.widgets import Dashboard, results_frame
from conftest import ROOT

@pytest.fixture(autouse=True)
def small(monkeypatch): monkeypatch.setenv('TRANSFER_COURSE_PROFILE', 'small')

def dashboard(path, strategies=('frozen',), epochs=1) -> Dashboard:
    d = Dashboard(path)
    d.dataset.value, d.size.value, d.n_per_class.value, d.device.value = 'lfw', 32, 10, 'cpu'
    d.strategies.value, d.epochs.value = strategies, epochs
    return d

def workers(): return [t for t in threading.enumerate() if t.name=='tc-dashboard-worker' and t.is_alive()]

def wait_epochs(d, n, timeout=120):
    t0 = time.time()
    while (d.live is None or len(d.live['history'])<n) and time.time()-t0<timeout: time.sleep(0.02)
    assert d.live is not None and len(d.live['history'])>=n, f"no {n} epochs within {timeout} s (outcome {d.outcome}: {d.error})"

def controls_enabled(d): return not d.run_btn.disabled and d.stop_btn.disabled and not any(w.disabled for w in
                                   (d.dataset, d.n_per_class, d.size, d.epochs, d.lr, d.seed, d.backbones, d.strategies, d.freeze_to, d.device))

def test_double_click_on_run_starts_one_worker(tmp_path):
    "A double click starts exactly one worker, which runs every selected strategy in order and then frees every control"
    d = dashboard(tmp_path/'runs', ('frozen', 'cached_logreg'))
    d.run_btn.click(); d.run_btn.click()          # what a double click sends: two clicks, the second while running
    assert d.n_started==1 and len(workers())==1
    assert all(w.disabled for w in d.c.values())   # every control, not only the strategies, while it runs
    assert d.wait(300)=='finished', d.error
    assert len(ResultStore(tmp_path/'runs'))==2 and workers()==[] and d.state=='idle' and controls_enabled(d)
    assert [r['strategy'] for r in d.batch]==['frozen', 'cached_logreg']

def test_stop_ends_the_run_at_its_next_batch_and_keeps_finished_results(tmp_path, monkeypatch):
    "Stop in the second run of a Run: the very next batch sees it, the finished run is kept, the stopped curve is shown"
    d = dashboard(tmp_path/'runs', ('cached_logreg', 'scratch', 'frozen'), epochs=40)
    checks,orig = [],S.check_stop   # every stop check the training loop makes after Stop
    def check_stop(stop):
        if stop is not None and stop.is_set(): checks.append('stop seen')
        return orig(stop)
    monkeypatch.setattr(S, 'check_stop', check_stop)
    d.run()
    wait_epochs(d, 2)                              # cached_logreg finished, scratch two epochs in
    assert d.live['cfg'].strategy=='scratch'
    key = d.live['cfg'].key
    d.stop_btn.click()
    assert d.state=='stopping' and 'at its next batch' in d.status.value
    assert d.wait(300)=='stopped', d.error
    assert checks==['stop seen']                   # the very next batch saw it, and no batch ran after it
    store = ResultStore(tmp_path/'runs')
    assert len(store)==1 and key not in store      # nothing of the stopped run, the finished one kept
    assert [r['strategy'] for r in store.records()]==['cached_logreg']
    assert d.state=='idle' and controls_enabled(d) and workers()==[]
    assert 'nothing of it was stored' in d.status.value
    assert d.stopped['strategy']=='scratch (stopped)' and 2<=len(d.stopped['history'])<40   # its curve, as far as it got
    # Run again: the finished run is reused, the stopped one and the one never started run now.
    d.epochs.value = 40; d.strategies.value = ('cached_logreg',)
    d.run(); assert d.wait(120)=='finished'
    assert d.batch[0]['reused'] and len(store)==1

def test_previous_runs_load_on_open(tmp_path):
    "Reopened, the table lists the stored runs newest first with measured throughput, whatever the selection"
    d = dashboard(tmp_path/'runs', ('frozen', 'cached_logreg'))
    d.run(); assert d.wait(300)=='finished'
    d2 = dashboard(tmp_path/'runs', ('frozen', 'cached_logreg'))
    df = results_frame(d2.records)
    assert df['strategy'].tolist()==['cached_logreg', 'frozen'] and (df['img/s']>0).all()   # newest first, measured
    d2.epochs.value = 7                            # another selection: nothing comparable, the table still lists all
    assert d2.comparable()==[] and d2.table.value.count('<tr')==3

def test_a_failing_run_is_reported_and_the_dashboard_recovers(tmp_path):
    "A dataset folder that does not exist: found before any run starts, said in the CLI's words, and nothing is left busy"
    d = dashboard(tmp_path/'runs')
    d.dataset.options = [*d.dataset.options, ('missing', str(tmp_path/'no_such_folder'))]
    d.dataset.value = str(tmp_path/'no_such_folder')
    assert d.run() is None and d.n_started==0      # found before any run starts
    with pytest.raises(MissingError) as e: folder_source(tmp_path/'no_such_folder')
    assert 'does not exist' in str(e.value)       # a UserError: its text as is (the CLI's line), no traceback
    assert d.status.value==f"<span style='color:#b00'>{html.escape(str(e.value))}</span>" and d.error is None
    assert d.state=='idle' and controls_enabled(d) and len(ResultStore(tmp_path/'runs'))==0

def test_no_backbone_starts_nothing(tmp_path):
    "No backbone selected: nothing starts, and the status says why (the notebook shows the same for strategies)"
    d = dashboard(tmp_path/'runs')
    d.backbones.value = ()
    assert d.run() is None and d.n_started==0 and 'Choose at least one backbone.' in d.status.value

def test_configs_follow_the_controls(tmp_path):
    "Every control reaches the run configurations: freeze_to, lr, seed, size, images per class, device; ensembles' members"
    d = dashboard(tmp_path/'runs', ('partial', 'frozen', 'ensemble'), epochs=4)
    d.freeze_to.value, d.lr.value, d.seed.value = -3, 1e-3, 7
    cfgs = {c.strategy:c for c in d.configs()}
    assert cfgs['partial'].opts=={'n': -3} and cfgs['frozen'].opts=={}
    assert {(c.n_epoch, c.lr, c.seed, c.size, c.n_per_class, c.device, c.precision, c.channels_last) for c in cfgs.values()}=={(4, 1e-3, 7, 32, 10, 'cpu', 'fp32', False)}
    assert len(cfgs['ensemble'].backbone)==3       # one backbone selected: the ensemble's default members
    d.backbones.value = ('efficientnet_lite0', 'efficientnet_lite1')
    assert [c.backbone for c in d.configs() if c.strategy=='ensemble']==[('efficientnet_lite0', 'efficientnet_lite1')]
    assert sum(c.strategy=='frozen' for c in d.configs())==2

def test_app_notebook_is_the_dashboard_alone():
    "The app notebook holds the dashboard and nothing else, and the Makefile serves it"
    import json
    nb = json.loads((ROOT/'nbs'/'apps'/'dashboard.ipynb').read_text())
    code = [''.join(c['source']) for c in nb['cells'] if c['cell_type']=='code']
    assert code==['from transfer_course.widgets import Dashboard', 'Dashboard()']
    assert 'nbs/apps/dashboard.ipynb' in (ROOT/'Makefile').read_text()

def test_intervals_and_groups_update_as_runs_finish(tmp_path):
    "After the first run, one strategy and nothing to compare it with; after the second, one best; another seed, none"
    d = dashboard(tmp_path/'runs', ('frozen', 'cached_logreg'))
    seen, on_run = [], d._on_run
    d._on_run = lambda *a: (on_run(*a), seen.append(d.intervals.value))   # what the intervals showed after each run
    d.run(); assert d.wait(300)=='finished', d.error
    assert len(seen)==2
    assert 'frozen' in seen[0] and 'cached_logreg' not in seen[0] and 'nothing to compare it with' in seen[0]
    assert 'test images' in seen[1], seen[1]
    assert seen[1].count('>best<')==1 and seen[1].count('>tied<')+seen[1].count('>worse<')==1
    d.seed.value = d.seed.value+1                  # no runs of this seed yet: no intervals
    assert d.intervals.value==''
