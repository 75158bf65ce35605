"The `threads` setting reaches torch: the command sets its CPU threads from it before any work; 0 keeps torch's own choice."
import sys
from conftest import run

_prog = ("import torch; from transfer_course.cli import main; n0 = torch.get_num_threads(); main(['settings']); "
         "print('THREADS', n0, torch.get_num_threads())")

def _threads(tmp_path, n) -> list:
    "torch's threads before and after the command runs, with the setting `threads = n`"
    f = tmp_path/'settings.ini'
    f.write_text(f"[DEFAULT]\ncourse = transfer-course\nthreads = {n}\n")
    r = run(sys.executable, '-c', _prog, env={'TRANSFER_COURSE_SETTINGS': str(f), 'OMP_NUM_THREADS': '2'})
    assert r.returncode==0, r.stderr
    return [int(x) for x in r.stdout.split('THREADS')[-1].split()]

def test_threads_setting_sets_torch_threads(tmp_path):
    assert _threads(tmp_path, 1)==[2, 1]
    assert _threads(tmp_path, 3)==[2, 3]
    assert _threads(tmp_path, 0)==[2, 2]   # 0: torch decides (here from OMP_NUM_THREADS)
