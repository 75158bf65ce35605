#!/usr/bin/env python
"""Run every lesson under seeds other than the default and with 1 and 2 CPU threads: the lessons' checks must hold.

Each run is `nbdev-test` on one lesson (small profile, `IN_TEST=1`) in a fresh process, with a temporary copy of
`settings.ini` in which only `seed` and `threads` differ, named by `TRANSFER_COURSE_SETTINGS`, and `OMP_NUM_THREADS`
set to the same number of threads. Runs go two at a time, or one at a time when each uses two threads (`--workers`
threads in all), with `OMP_WAIT_POLICY=PASSIVE` (idle OpenMP threads sleep instead of spinning: on a machine shared
with other work, spinning threads made 2-thread runs three times slower; results do not change). Prints one row per
lesson, one column per (seed, threads): pass or FAIL and the seconds it took; the output of a failed run is kept under
`_build/check_claims/`. Exits 1 if any run failed.

    python tools/check_claims.py                          # seeds 1 7 123, threads 1 and 2, every lesson
    python tools/check_claims.py --seeds 5 --threads 1 nbs/lessons/05_unfreezing_shift.ipynb
"""
import argparse, itertools, os, re, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOGS = ROOT/'_build'/'check_claims'

def settings_file(folder:Path, seed:int, threads:int) -> Path:
    "A copy of the repository's settings.ini in `folder`, with only `seed` and `threads` changed"
    txt = (ROOT/'settings.ini').read_text()
    for k,v in (('seed', seed), ('threads', threads)):
        txt,n = re.subn(rf'(?m)^{k}\s*=.*$', f'{k} = {v}', txt)
        if n!=1: sys.exit(f"settings.ini: expected one `{k} =` line, found {n}")
    f = folder/f'seed{seed}_threads{threads}'/'settings.ini'
    f.parent.mkdir(parents=True)
    f.write_text(txt)   # relative paths in it (data, results) now point into the temporary folder
    return f

def run_one(nb:Path, seed:int, threads:int, settings:Path, timeout:int) -> tuple:
    "Run lesson `nb` with `settings`: (passed, seconds)"
    env = {'OMP_WAIT_POLICY': 'PASSIVE', **os.environ,
           'TRANSFER_COURSE_SETTINGS': str(settings), 'OMP_NUM_THREADS': str(threads),
           'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))}
    t0 = time.perf_counter()
    try:
        r = subprocess.run([str(BIN/'nbdev-test'), str(nb)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        ok,out = r.returncode==0,r.stdout+r.stderr
    except subprocess.TimeoutExpired as e:
        text = lambda o: o.decode(errors='replace') if isinstance(o, bytes) else (o or '')
        ok,out = False,f"timed out after {timeout} s\n{text(e.stdout)}{text(e.stderr)}"
    secs = time.perf_counter()-t0
    log = LOGS/f'{nb.stem}_seed{seed}_threads{threads}.log'
    if ok: log.unlink(missing_ok=True)
    else: log.write_text(out)
    print(f"{'pass' if ok else 'FAIL'} {nb.name} seed={seed} threads={threads} {secs:.0f} s"
          + ('' if ok else f"  (log: {log.relative_to(ROOT)})"), flush=True)
    return ok,secs

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('lessons', nargs='*', type=Path, help='lesson notebooks (default: nbs/lessons/*.ipynb)')
    p.add_argument('--seeds', nargs='+', type=int, default=[1, 7, 123])
    p.add_argument('--threads', nargs='+', type=int, default=[1, 2])
    p.add_argument('--workers', type=int, default=2, help='threads at a time (runs of one thread each)')
    p.add_argument('--timeout', type=int, default=1800, help='seconds allowed per lesson run')
    a = p.parse_args(argv)
    lessons = [n.resolve() for n in a.lessons] or sorted((ROOT/'nbs'/'lessons').glob('[!_.]*.ipynb'))
    cols = list(itertools.product(a.seeds, a.threads))
    LOGS.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix='check_claims_') as tmp:
        sets = {c: settings_file(Path(tmp), *c) for c in cols}
        res = {}
        for t in a.threads:                     # one pool per thread count: at most `workers` threads at a time
            jobs = [(nb, c) for c in cols if c[1]==t for nb in lessons]
            with ThreadPoolExecutor(max(1, a.workers//t)) as ex:
                res.update(zip(jobs, ex.map(lambda j: run_one(j[0], *j[1], sets[j[1]], a.timeout), jobs)))
    head = ['lesson'] + [f'seed {s}, {t} thr' for s,t in cols]
    rows = [[nb.stem] + [f"{'pass' if res[nb,c][0] else 'FAIL'} {res[nb,c][1]:4.0f}s" for c in cols] for nb in lessons]
    w = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print('\n' + '\n'.join(' | '.join(x.ljust(n) for x,n in zip(r, w)) for r in [head, *rows]))
    n_fail = sum(not ok for ok,_ in res.values())
    print(f"\n{len(res)-n_fail} of {len(res)} runs passed in {(time.perf_counter()-t0)/60:.1f} min "
          f"(seeds {' '.join(map(str, a.seeds))}; threads {' '.join(map(str, a.threads))}; {a.workers} threads at a time).")
    return 1 if n_fail else 0

if __name__=='__main__': sys.exit(main())
