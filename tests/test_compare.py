"`transfer-course compare` end to end: killed mid-grid and resumed, interrupted cleanly, and reproducible."
import json, signal, subprocess, time
import pytest
from conftest import BIN, run

TC = BIN/'transfer-course'
STRATS = ['frozen', 'cached_logreg', 'cached_linear', 'frozen_bn', 'scratch', 'full']

def _args(out, strategies=STRATS, *extra):
    return [str(TC), 'compare', '--strategies', *strategies, '--n-per-class', '10', '--epochs', '1', '--out', str(out), *extra]

def _wait_for_results(p, runs, n, timeout=300):
    t0 = time.time()
    while len(list(runs.glob('*.json'))) < n:
        assert p.poll() is None, f"compare ended early: {p.stderr.read()}"
        assert time.time()-t0 < timeout, "no results in time"
        time.sleep(0.1)

def test_killed_mid_grid_then_resumed(tmp_path):
    out,runs = tmp_path/'out',tmp_path/'out'/'runs'
    p = subprocess.Popen(_args(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_results(p, runs, 2)
    p.send_signal(signal.SIGKILL); p.wait()
    before = {f.name: f.read_bytes() for f in runs.glob('*.json')}
    assert 2 <= len(before) < len(STRATS)
    for data in before.values(): assert json.loads(data)['accuracy'] >= 0   # every stored result is complete
    r = run(*_args(out))
    assert r.returncode==0, r.stderr
    assert f"{len(STRATS)} runs ({len(before)} already finished)" in r.stderr
    assert r.stderr.count('(reused)')==len(before)
    for name,data in before.items(): assert (runs/name).read_bytes()==data, f"{name} was recomputed or overwritten"
    assert len(list(runs.glob('*.json')))==len(STRATS)
    assert all('accuracy' in json.loads(f.read_text()) for f in runs.glob('*.json'))
    assert (out/'report.md').exists() and (out/'results.csv').exists()

def test_ctrl_c_keeps_finished_results(tmp_path):
    out,runs = tmp_path/'out',tmp_path/'out'/'runs'
    # Ctrl-C as in a terminal, however these tests were started (a shell's background job inherits SIGINT ignored)
    p = subprocess.Popen(_args(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_results(p, runs, 1)
    p.send_signal(signal.SIGINT)
    _,err = p.communicate(timeout=120)
    n = len(list(runs.glob('*.json')))
    assert p.returncode==130, err
    assert err.strip().endswith(f"transfer-course: error: interrupted; {n} finished result(s) are kept in {runs}: run the same command to resume.")
    assert 'Traceback' not in err

def test_same_seed_twice_gives_identical_metrics(tmp_path):
    res = []
    for d in ('a', 'b'):
        r = run(*_args(tmp_path/d, ['frozen', 'cached_linear'], '--json', '--seeds', '3'))
        assert r.returncode==0, r.stderr
        res.append([{k:x[k] for k in ('strategy', 'accuracy', 'valid_loss')} for x in json.loads(r.stdout)['runs']])
        res[-1] += [json.loads(f.read_text())['history'] for f in sorted((tmp_path/d/'runs').glob('*.json'))]
    assert res[0]==res[1]
