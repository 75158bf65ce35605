"""The dashboard's run state without widgets or training: `RunController` with a fake runner. The widgets notebook shows
each change once (start, refusal, stop, the ways a run ends, callbacks); here are the details it leaves out, a run that
ends exactly between Stop's check and its change, and thousands of random start/stop/end sequences from several
threads, none of which may leave it stuck.

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

# ---- each change on its own, beyond what the widgets notebook shows (start, refusal, stop, errors and callbacks are there)

def test_the_worker_is_a_named_thread_gone_when_wait_returns():
    "The run happens in a thread of its own, named as asked, and `wait` returns only once that thread has ended"
    c = controller(name='tc-test-worker')
    job = Job()
    assert c.start(job)
    assert c.thread.name=='tc-test-worker' and c.thread is not threading.current_thread() and c.thread.is_alive()
    job.release.set()
    assert c.wait(30)=='finished' and not c.thread.is_alive()

def test_a_refused_job_never_runs_and_the_refusal_says_why():
    "A start while running is refused with its reason, the refused job is never run, and a later start counts"
    c = controller()
    assert c.start(Job())
    second = Job(released=True)
    assert not c.start(second) and c.reason=='A run is still running.' and c.n_started==1
    c.stop(); assert c.wait(30)=='stopped'
    assert not second.started
    assert c.start(second) and c.reason=='' and c.wait(30)=='finished' and c.n_started==2

def test_a_controller_never_started():
    "Before any run: Stop does nothing and tells no one, and `wait` returns `None` at once"
    c = controller()
    assert not c.stop() and c.state=='idle' and c.events==[] and c.wait(0) is None and c.outcome is None
    c.start(Job(released=True)); assert c.wait(30)=='finished'
    assert not c.stop() and (c.outcome, c.message) == ('finished', 'Finished finish.')   # a no-op Stop keeps how the last run ended

def test_a_stopped_run_sets_the_runners_event_and_has_no_details():
    "Stop sets the very event the runner was given; a stopped run, like a finished one, carries no traceback"
    c = controller()
    job = Job(); c.start(job)
    ev = c.stop_ev
    assert c.stop() and ev.is_set()
    assert c.wait(30)=='stopped' and c.details is None and c.events[-1]==('stopped', 'Stopped by request.', None)

def test_a_bugs_traceback_reaches_the_view_and_is_cleared_by_the_next_run():
    "The view is told the traceback (naming the runner), and the next run starts without it"
    c = controller()
    c.start(Job('fail', released=True))
    assert c.wait(30)=='failed' and 'in fake_runner' in c.details
    assert c.events[-1]==('failed', 'ZeroDivisionError: division by zero', c.details)
    c.start(Job(released=True)); assert c.wait(30)=='finished' and c.details is None

def test_the_base_user_error_is_shown_exactly():
    "`UserError` itself, not only its subclasses (which the notebook shows), ends the run with its text as is"
    err = UserError('Settings file settings.ini, line 3: no [DEFAULT] section.')
    def runner(job, stop): raise err
    seen = []
    c = RunController(runner, on_change=lambda *a: seen.append(a))
    c.start(None)
    assert c.wait(30)=='failed' and (c.message, c.details) == (str(err), None) and seen[-1]==('failed', str(err), None)

def test_exceptions_beyond_exception_still_end_the_run():
    "A `BaseException` that is no `Exception` (here `KeyboardInterrupt` in the worker) still ends the run as failed"
    def runner(job, stop): raise KeyboardInterrupt
    c = RunController(runner)
    c.start(None)
    assert c.wait(30)=='failed' and c.message=='KeyboardInterrupt: ' and c.state=='idle'

def test_callbacks_run_with_the_lock_free():
    "During every callback the controller's lock is free (the notebook shows that calling it back does not deadlock)"
    c = None
    free = []
    def on_change(state, msg, details):
        free.append(c._lock.acquire(timeout=5))   # a lock held for this callback would never come free
        if free[-1]: c._lock.release()
    c = RunController(fake_runner, on_change=on_change)
    c.start(Job()); c.stop()
    assert c.wait(30)=='stopped' and free==[True]*3

def test_wait_returns_after_a_slow_view_was_told():
    "`wait` waits for the view too: a view that takes its time has been told the end when `wait` returns"
    told = threading.Event()
    def slow_view(state, msg, details):
        if state!='running': time.sleep(0.05); told.set()
    c = RunController(fake_runner, on_change=slow_view)
    job = Job(); c.start(job)
    job.release.set()
    assert c.wait(30)=='finished' and told.is_set()

def test_a_failing_view_is_reported_on_stderr(capsys):
    "A view that raises has its traceback printed to stderr (the notebook checks it is kept and the state stays right)"
    def view(state, msg, details): raise ValueError('a bug in the view')
    c = RunController(fake_runner, on_change=view)
    assert c.start(Job(released=True)) and c.wait(30)=='finished'
    assert 'ValueError: a bug in the view' in capsys.readouterr().err

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
            if j.started: j.returned.wait(10)
        t = self.thread
        if t is not None and not self._lock.locked(): t.join(10)

def probe(**kw):
    c = controller(Probe, **kw); c.jobs,c.n_probed = [],0
    return c

def test_a_run_ending_between_stops_check_and_change_leaves_it_idle():
    "The run ends while Stop holds the state it read: the controller still comes back to idle and starts again"
    c = probe(); c.between = 1.0
    job = Job(); c.start(job)
    while not job.started: time.sleep(0.001)
    c.stop()                                         # the job returns while stop holds the state it read
    assert c.n_probed==1 and job.returned.is_set()
    assert c.wait(30) is not None and c.state=='idle'
    assert c.start(Job(released=True)) and c.wait(30)=='finished'

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

def stress(make=probe, n_seq=5000, n_pairs=2, n_ops=4, between=0.3, timeout=10.0, seed=0):
    "Run `n_seq` random sequences, each by two threads on one controller, `n_pairs` pairs at once; the failures, the probes"
    failures,probed,per_pair = [],[],n_seq//n_pairs
    def pair(k):
        c = make(); c.between = between
        rngs,starts,bar = [random.Random(seed*1000+2*k+i) for i in (0, 1)],[],threading.Barrier(2)
        def actor(i):
            seen = 0                               # the events before this sequence (actor 0 keeps count)
            try:
                for s in range(per_pair):
                    bar.wait()
                    _act(c, rngs[i], n_ops, starts)
                    bar.wait()
                    if i==0:
                        why = _check(c, starts, seen, timeout)
                        if why: failures.append((k, s, why)); bar.abort(); break   # stuck: the other thread stops too
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
    "5000 random sequences of starts, stops and ends from two threads at once, 30% of Stops probed: none leaves it stuck"
    failures,n_between = stress(n_seq=5000)
    assert failures==[], f"a sequence left it stuck or wrong (pair, sequence, why): {failures}"
    assert n_between>=500                            # runs ended between Stop's check and change (30% of Stops on a run)
    assert not any(t.name=='tc-worker' and t.is_alive() for t in threading.enumerate())
