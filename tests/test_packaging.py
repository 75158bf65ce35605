"The library works on its own: installed, imported from any folder, with or without a settings.ini."
import json, zipfile
from conftest import ROOT, BIN, run

PY = BIN/'python'
SHOW = "import json; from transfer_course.core import get_settings; s = get_settings(); print(json.dumps(dict(src=str(s.source), results=str(s.results_path), size=s.size)))"

def test_builtin_defaults_outside_the_repo(tmp_path):
    r = run(PY, '-c', SHOW, cwd=tmp_path, env={'TRANSFER_COURSE_SETTINGS': '', 'TRANSFER_COURSE_PROFILE': 'small'})
    assert r.returncode==0, r.stderr
    d = json.loads(r.stdout)
    assert d['src']=='None' and d['results'].endswith('.transfer_course/results') and d['size']==64

def test_settings_named_by_environment(tmp_path):
    f = tmp_path/'my.ini'
    f.write_text('[DEFAULT]\ncourse = transfer-course\nsmall_size = 48\nresults_path = out\n')
    r = run(PY, '-c', SHOW, cwd=tmp_path, env={'TRANSFER_COURSE_SETTINGS': str(f), 'TRANSFER_COURSE_PROFILE': 'small'})
    d = json.loads(r.stdout)
    assert d['src']==str(f) and d['results']==str(tmp_path/'out') and d['size']==48

def test_repo_settings_found_from_a_subfolder():
    r = run(PY, '-c', SHOW, cwd=ROOT/'nbs'/'lessons', env={'TRANSFER_COURSE_SETTINGS': ''})
    assert json.loads(r.stdout)['src']==str(ROOT/'settings.ini')

def test_wheel_has_the_modules_and_the_command(tmp_path):
    r = run(PY, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', tmp_path, ROOT, timeout=300)
    assert r.returncode==0, r.stderr
    whl, = tmp_path.glob('transfer_course-*.whl')
    names = zipfile.ZipFile(whl).namelist()
    for m in ('core', 'data', 'backbones', 'cli', 'all'): assert f'transfer_course/{m}.py' in names
    ep = next(n for n in names if n.endswith('entry_points.txt'))
    assert 'transfer-course = transfer_course.cli:main' in zipfile.ZipFile(whl).read(ep).decode()
