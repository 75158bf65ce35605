"""The installed `transfer-course` command, end to end, in a subprocess as a user runs it. The CLI notebook runs the
same entry point in its own process; these add the installed script, more photos, files and errors, and `compare
--json` with a list of learning rates."""
import io, json, contextlib
from conftest import BIN, run

TC = BIN/'transfer-course'

def test_predict_samples_are_right():
    "All five sample photos, not only the coffee the notebook checks, get a right top class"
    r = run(TC, 'predict', '--samples', '--json', '--k', '5')
    assert r.returncode==0, r.stderr
    res = {p['image'].rsplit('/', 1)[-1]: [t['label'] for t in p['top']] for p in json.loads(r.stdout)}
    assert res['coffee.png'][0]=='espresso'
    assert res['chelsea.png'][0] in ('tiger cat', 'tabby, tabby cat', 'Egyptian cat')
    assert res['camera.png'][0]=='tripod'
    assert res['motorcycle_left.png'][0] in ('moped', 'motor scooter, scooter')
    assert {'missile', 'projectile, missile', 'space shuttle'} & set(res['rocket.jpg'])

def test_predict_text_output_and_backbone(tmp_path):
    "An image file the user saved, and another backbone"
    from PIL import Image
    import skimage.data
    f = tmp_path/'coffee.jpg'
    Image.fromarray(skimage.data.coffee()).save(f)
    r = run(TC, 'predict', f, '--backbone', 'efficientnet_lite1', '--k', '2')
    assert r.returncode==0, r.stderr
    assert 'ImageNet top-2 with efficientnet_lite1' in r.stdout and '1. espresso' in r.stdout

def test_bad_input_is_one_clear_line(tmp_path):
    "Each bad image argument (missing, empty, not an image, a folder) and a bad --k: one line, status 2, no traceback"
    (tmp_path/'notes.txt').write_text('hello')
    (tmp_path/'empty.jpg').touch()
    cases = [((tmp_path/'missing.jpg',), f"Image file '{tmp_path/'missing.jpg'}' does not exist."),
             ((tmp_path/'empty.jpg',), f"Image file '{tmp_path/'empty.jpg'}' is empty (0 bytes)."),
             ((tmp_path/'notes.txt',), f"Cannot read '{tmp_path/'notes.txt'}' as an image (UnidentifiedImageError): use a JPEG, PNG or other image file."),
             ((tmp_path,), f"'{tmp_path}' is a folder, not an image file."),
             (('--samples', '--k', '0'), "k must be between 1 and 1000, got 0."),
             ]
    from transfer_course.backbones import is_online
    if not is_online('torchvision'): cases.append((('--samples', '--backbone', 'resnet50'), "No pretrained weights for 'resnet50'"))
    # the first case as a user meets it, in a process of its own; the rest through the same entry point, in this one
    r = run(TC, 'predict', *cases[0][0])
    assert (r.returncode, r.stderr) == (2, f"transfer-course: error: {cases[0][1]}\n")
    from transfer_course.cli import main
    for args,msg in cases[1:]:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()): rc = main(['predict', *map(str, args)])
        assert rc==2, (args, err.getvalue())
        assert err.getvalue().startswith(f"transfer-course: error: {msg}"), (args, err.getvalue())
        assert 'Traceback' not in err.getvalue()

def test_listings():
    "`backbones --json`, `datasets` as text and `settings --json`, from the installed script"
    r = run(TC, 'backbones', '--json')
    rows = {b['name']: b for b in json.loads(r.stdout)}
    assert rows['efficientnet_lite0']['available_now'] and rows['efficientnet_lite0']['weights']=='shipped'
    r = run(TC, 'datasets')
    assert r.returncode==0 and 'lfw' in r.stdout and 'fashion_mnist' in r.stdout
    r = run(TC, 'settings', '--json')
    assert json.loads(r.stdout)['backbone']=='efficientnet_lite0'

def test_compare_json_has_intervals_groups_and_protocol(tmp_path):
    "`compare --json` with `--lr` as a list: its four parts, each strategy once at its chosen lr, one best, and the report opening alike"
    r = run(TC, 'compare', '--strategies', 'frozen', 'cached_logreg', '--n-per-class', '10', '--epochs', '1', '--size', '32',
            '--lr', '1e-3,1e-2', '--json', '--out', tmp_path)
    assert r.returncode==0, r.stderr
    res = json.loads(r.stdout)
    assert set(res)=={'protocol', 'summary', 'strategies', 'runs'}
    assert len(res['runs'])==3 and [s['label'] for s in res['strategies']].count('frozen')==1   # frozen at both lrs, cached_logreg (no lr) once; each strategy at its chosen lr
    assert all(s['n_images']>0 for s in res['strategies']) and sum(s['group']=='best' for s in res['strategies'])==1
    assert 'chosen per strategy on validation accuracy among 0.001, 0.01' in res['protocol']   # the notebook checks the text output
    assert res['summary'][0].startswith('10 training images per class: On ')
    assert (tmp_path/'report.md').read_text().splitlines()[2]=='**'+res['summary'][0]+'**'   # the report opens with the same

def test_compare_lr_defaults_to_one_rate():
    "Without --lr, compare uses the one rate 0.01 (the notebook checks what --lr makes of each form it takes)"
    from transfer_course.cli import _lr, _parser
    assert _lr(_parser().parse_args(['compare']).lr)==0.01
