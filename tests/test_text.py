"The text comparison's script end to end: a tiny run writes its table, and a rerun reuses every stored run."
import pandas as pd
from conftest import ROOT, BIN, run

def test_text_compare_script_writes_and_resumes(tmp_path):
    args = [BIN/'python', ROOT/'bench'/'text_compare.py', '--n-per-class', '3', '4', '--epochs', '1', '1', '--seeds', '0', '1',
            '--strategies', 'tfidf', 'cached_logreg', 'frozen', '--n-valid', '2', '--n-test', '3', '--max-length', '16',
            '--store', tmp_path/'runs', '--out', tmp_path/'t.csv']
    env = dict(OMP_NUM_THREADS='1', PYTHONPATH=str(ROOT))
    r = run(*args, env=env)
    assert r.returncode==0, r.stderr[-3000:]
    t = pd.read_csv(tmp_path/'t.csv')
    assert sorted(t.n_per_class.unique())==[3, 4] and set(t.strategy)=={'tfidf', 'cached_logreg', 'frozen'}
    assert (t.n_seeds==2).all() and (t.n_images==24).all() and t.group.isin(['best', 'tied', 'worse']).all()
    assert ((t.lo <= t.accuracy) & (t.accuracy <= t.hi)).all()
    assert len(list((tmp_path/'runs').glob('*.json')))==12
    again = run(*args, env=env)
    assert again.returncode==0 and again.stdout.count('(reused)')==12, again.stdout[-2000:]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path/'t.csv'), t)
    bad = run(*args[:5], '--epochs', '1', env=env)
    assert bad.returncode!=0 and '--epochs needs one value per --n-per-class size' in bad.stderr
