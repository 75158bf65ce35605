"""The dashboard's run state without widgets or training: `RunController` with a fake runner, each change on its own,
then thousands of random start/stop/end sequences from several threads, none of which may leave it stuck.

The fake runner ends when its job is released (or on its own after a few thread switches), sees the stop flag within a
millisecond, and can end by finishing, by a bug or by a `UserError`; `Probe` can make it end exactly between Stop's
check of the state and its change, the moment that once left the dashboard at 'stopping' for good."""
import random, re, sys, threading, time
import pytest
from transfer_course.core import UserError, DataError, InputError
from transfer_course.strategies import RunStopped
from transfer_course.widgets import RunController

class Job:
    "A fake run: ends when `release`d (at once if made `released`, after `spin` thread switches) as `end` says"
    def __init__(self, end='finish', released=False, spin=0):
        self.end,self.spin,self.started = end,spin,False
        self.release,self.returned = threading.Event(),threading.Event()
        if released: self.release.set()

NO_IMAGES = "No images in 'pics': put them in one sub-folder per class."

def fake_runner(job, stop):
    "Run `job`: wait for its release, seeing `stop` within a millisecond, then end as it says"
    job.started = True
    try:
        for _ in range(job.spin): time.sleep(0)
        while not job.release.wait(0.0002):
            if stop.is_set(): raise RunStopped('Stopped by request.')
        if job.end=='fail': return 1/0
        if job.end=='user': raise DataError(NO_IMAGES)
        return f'Finished {job.end}.'
    finally: job.returned.set()

def controller(cls=RunController, **kw):
    "A controller on `fake_runner` that records what its view is told in `.events`"
    events = []
    c = cls(fake_runner, on_change=lambda state, msg, details: events.append((state, msg, details)), **kw)
    c.events = events
    return c

def states(c, since=0): return [e[0] for e in c.events[since:]]

# ---- each change on its own

def test_start_runs_the_job_in_a_worker_and_ends_finished():
    c = controller(name='tc-test-worker')
    job = Job()
    assert c.start(job) and c.state=='running' and c.busy and c.n_started==1
    assert c.thread.name=='tc-test-worker' and c.thread is not threading.current_thread()
    job.release.set()
    assert c.wait(5)=='finished' and c.state=='idle' and not c.busy
    assert (c.message, c.details) == ('Finished finish.', None)
    assert c.events==[('running', '', None), ('finished', 'Finished finish.', None)]
    assert not c.thread.is_alive()                  # wait() returns once the worker is gone

def test_start_while_running_or_stopping_is_refused():
    c = controller()
    first = Job()
    assert c.start(first)
    second = Job(released=True)
    assert not c.start(second) and c.reason=='A run is still running.' and c.n_started==1
    assert c.stop() and c.state=='stopping'
    assert not c.start(second) and c.reason=='A run is still stopping.'
    assert c.wait(5)=='stopped'
    assert not second.started                       # a refused job never runs
    assert states(c)==['running', 'stopping', 'stopped']
    assert c.start(second) and c.reason=='' and c.wait(5)=='finished' and c.n_started==2

def test_stop_while_idle_is_a_no_op():
    c = controller()
    assert not c.stop() and c.state=='idle' and c.events==[] and c.wait(0) is None
    c.start(Job(released=True)); assert c.wait(5)=='finished'
    n = len(c.events)
    assert not c.stop() and not c.stop()
    assert (c.state, c.outcome, c.message, len(c.events)) == ('idle', 'finished', 'Finished finish.', n)

def test_stop_during_a_run_ends_it_stopped():
    c = controller()
    job = Job()
    c.start(job)
    assert c.stop() and c.state=='stopping' and c.stop_ev.is_set()
    assert not c.stop()                             # a second Stop changes nothing
    assert c.wait(5)=='stopped' and c.state=='idle'
    assert (c.message, c.details) == ('Stopped by request.', None)
    assert states(c)==['running', 'stopping', 'stopped']

def test_a_run_that_ends_without_seeing_stop_finished():
    c = controller()
    job = Job()
    c.start(job)
    job.release.set(); job.returned.wait(5)         # its work is done; the end is on its way
    c.stop()
    assert c.wait(5)=='finished' and c.state=='idle' and c.start(Job(released=True)) and c.wait(5)=='finished'

def test_a_runner_exception_fails_with_its_type_and_message():
    c = controller()
    c.start(Job('fail', released=True))
    assert c.wait(5)=='failed' and c.state=='idle'
    assert c.message=='ZeroDivisionError: division by zero'
    assert c.details.startswith('Traceback') and 'in fake_runner' in c.details and 'return 1/0' in c.details
    assert c.events[-1]==('failed', 'ZeroDivisionError: division by zero', c.details)
    c.start(Job(released=True)); assert c.wait(5)=='finished' and c.details is None   # the next run starts afresh

@pytest.mark.parametrize('err', [DataError(NO_IMAGES), InputError('--seeds: expected whole numbers, got 1.5.'),
                                 UserError('Settings file settings.ini, line 3: no [DEFAULT] section.')])
def test_a_user_error_is_shown_exactly(err):
    def runner(job, stop): raise err
    seen = []
    c = RunController(runner, on_change=lambda *a: seen.append(a))
    c.start(None)
    assert c.wait(5)=='failed'
    assert (c.message, c.details) == (str(err), None)   # its text as is: no type name, no traceback
    assert seen[-1]==('failed', str(err), None)

def test_exceptions_beyond_exception_still_end_the_run():
    def runner(job, stop): raise KeyboardInterrupt
    c = RunController(runner)
    c.start(None)
    assert c.wait(5)=='failed' and c.message=='KeyboardInterrupt: ' and c.state=='idle'

def test_callbacks_run_outside_the_lock_and_in_order():
    c = None
    free,log = [],[]
    def on_change(state, msg, details):
        free.append(c._lock.acquire(timeout=1))   # a lock held for this callback would never come free
        if free[-1]: c._lock.release()
        log.append(state)
        if state=='running': log.append(c.stop())    # calling the controller from its callback: no deadlock
    c = RunController(fake_runner, on_change=on_change)
    c.start(Job())
    assert c.wait(5)=='stopped'
    assert all(free) and log==['running', True, 'stopping', 'stopped']

def test_wait_returns_after_the_view_was_told():
    told = threading.Event()
    def slow_view(state, msg, details):
        if state!='running': time.sleep(0.05); told.set()
    c = RunController(fake_runner, on_change=slow_view)
    job = Job(); c.start(job)
    assert c.wait(0.01) is None                      # still on
    job.release.set()
    assert c.wait(5)=='finished' and told.is_set()

def test_a_failing_view_does_not_break_the_state(capsys):
    def view(state, msg, details): raise ValueError('a bug in the view')
    c = RunController(fake_runner, on_change=view)
    for _ in range(2):
        assert c.start(Job(released=True)) and c.wait(5)=='finished' and c.state=='idle'
    assert 'ValueError: a bug in the view' in c.callback_error and 'a bug in the view' in capsys.readouterr().err

# ---- ending exactly between Stop's check and its change

_probe = threading.local()

class Probe(RunController):
    "A controller whose `stop` ends the running job right after reading the state, `between` of the times"
    between = 0.0
    def start(self, job):
        self.jobs.append(job); return super().start(job)
    def stop(self):
        _probe.ctl = self if random.random()<self.between else None
        try: return super().stop()
        finally: _probe.ctl = None
    @property
    def state(self):
        v = self._state                                # what the check sees ...
        if getattr(_probe, 'ctl', None) is self and v=='running': _probe.ctl = None; self._end_now()   # ... then the run ends
        return v
    @state.setter
    def state(self, v): self._state = v
    def _end_now(self):
        "Release every job and wait for the started ones to return; and, unless this thread holds the lock, for the end"
        self.n_probed += 1
        for j in self.jobs: j.release.set()
        for j in self.jobs:
            if j.started: j.returned.wait(1)
        t = self.thread
        if t is not None and not self._lock.locked(): t.join(1)

def probe(**kw):
    c = controller(Probe, **kw); c.jobs,c.n_probed = [],0
    return c

def test_a_run_ending_between_stops_check_and_change_leaves_it_idle():
    c = probe(); c.between = 1.0
    job = Job(); c.start(job)
    while not job.started: time.sleep(0.001)
    c.stop()                                         # the job returns while stop holds the state it read
    assert c.n_probed==1 and job.returned.is_set()
    assert c.wait(1) is not None and c.state=='idle'
    assert c.start(Job(released=True)) and c.wait(1)=='finished'

# ---- thousands of random sequences, from several threads

GRAMMAR = re.compile(r'(running (stopping )?(finished|stopped|failed) )*')

def _random_job(rng):
    return Job(rng.choice(['finish', 'finish', 'fail', 'user']), released=rng.random()<0.4, spin=rng.randrange(8))

def _act(c, rng, n_ops, starts):
    "`n_ops` random steps on `c`: start a job, stop, end the started jobs, or let other threads run"
    for _ in range(n_ops):
        op = rng.random()
        if op<0.35: starts.append(c.start(_random_job(rng)))
        elif op<0.65: c.stop()
        elif op<0.85:
            for j in list(c.jobs): j.release.set()
        else: time.sleep(0)

def _check(c, starts, seen, timeout):
    "Why `c` is wrong after a sequence (or None): every job ends, it comes back to idle, and a new start succeeds"
    for j in list(c.jobs): j.release.set()
    out = c.wait(timeout)
    if out is None or c.state!='idle': return f"not idle and told within {timeout} s: stuck at {c.state!r} (events {states(c, seen)})"
    job = Job(released=True)
    ok = c.start(job); starts.append(ok)
    if not ok: return f"refused a start when idle: {c.reason}"
    if c.wait(timeout)!='finished': return f"a released job did not finish: {c.state}, {c.outcome}"
    ev = ' '.join(states(c, seen)) + ' '
    if not GRAMMAR.fullmatch(ev): return f"told the view out of order: {ev}"
    if c.n_started!=sum(starts): return f"{c.n_started} starts counted, {sum(starts)} accepted"
    c.jobs.clear()

def stress(make=probe, n_seq=5000, n_pairs=2, n_ops=4, between=0.3, timeout=1.0, seed=0):
    "Run `n_seq` random sequences, each by two threads on one controller, `n_pairs` pairs at once; the failures, the probes"
    failures,probed,per_pair = [],[],n_seq//n_pairs
    def pair(k):
        c = make(); c.between = between
        rngs,starts,bar = [random.Random(seed*1000+2*k+i) for i in (0, 1)],[],threading.Barrier(2)
        def actor(i):
            nonlocal c
            seen = 0                               # the events before this sequence (actor 0 keeps count)
            try:
                for s in range(per_pair):
                    bar.wait()
                    _act(c, rngs[i], n_ops, starts)
                    bar.wait()
                    if i==0:
                        why = _check(c, starts, seen, timeout)
                        if why: failures.append((k, s, why)); c = make(); c.between = between; starts.clear()
                        seen = len(c.events)
            except threading.BrokenBarrierError: pass
            except BaseException as e: failures.append((k, -1, repr(e))); bar.abort()
            if i==0: probed.append(c.n_probed)
        ts = [threading.Thread(target=actor, args=(i,), name=f'tc-stress-{k}-{i}') for i in (0, 1)]
        for t in ts: t.start()
        for t in ts: t.join()
    old = sys.getswitchinterval(); sys.setswitchinterval(1e-5)   # switch threads far more often than usual
    try:
        pairs = [threading.Thread(target=pair, args=(k,)) for k in range(n_pairs)]
        for p in pairs: p.start()
        for p in pairs: p.join()
    finally: sys.setswitchinterval(old)
    return failures,sum(probed)

def test_thousands_of_random_sequences_never_leave_it_stuck():
    failures,n_between = stress(n_seq=5000)
    assert failures==[], f"{len(failures)} of 5000 sequences failed, e.g. {failures[:3]}"
    assert n_between>=500                            # runs ended between Stop's check and change (30% of Stops on a run)
    assert not any(t.name=='tc-worker' and t.is_alive() for t in threading.enumerate())
