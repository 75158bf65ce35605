"""Keeping a trained model, end to end, with the installed `transfer-course` command as a user runs it: train -> predict ->
evaluate -> export on a named dataset and on an image folder; a run killed with SIGKILL and resumed; the errors for
damaged model folders. The model notebook does the same steps in its own process (no augmentation, a training stopped
by an event rather than killed, error texts checked in part); these add the installed script in processes of its own."""
import contextlib, io, json, os, shutil, signal, subprocess, time
import pytest
from conftest import BIN, run

TC = BIN/'transfer-course'
ENV = dict(IN_TEST='1', OMP_NUM_THREADS='1')   # the small profile, one thread per process

def cli(*args) -> tuple:
    "`(status, stdout, stderr)` of `transfer-course *args`, in this process"
    from transfer_course.cli import main
    out,err = io.StringIO(),io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): rc = main([str(a) for a in args])
    return rc,out.getvalue(),err.getvalue()

def card(d): return json.loads((d/'card.json').read_text())

@pytest.fixture(scope='module')
def faces(tmp_path_factory):
    "A model trained on lfw by the command, with augmentation"
    d = tmp_path_factory.mktemp('m')/'faces'
    r = run(TC, 'train', 'lfw', '--strategy', 'fine_tune', '--epochs', '2', '--augment', '--out', d, env=ENV)
    assert r.returncode==0, r.stderr
    assert 'epoch 2/2: train loss' in r.stderr and 'test accuracy' in r.stdout and 'model.safetensors' in r.stdout, (r.stdout, r.stderr)
    return d

def test_train_predict_evaluate_export(faces):
    "Through the installed script, with --augment: the card records it, probabilities sum to 1, evaluate's plots are written"
    assert sorted(p.name for p in faces.iterdir())==['card.json', 'model.safetensors']
    c = card(faces)
    assert c['settings']['augment'] is True and c['classes']==['face', 'not_face'] and len(c['history'])==2
    assert c['test']['n']==40 and c['test']['ci'][0] <= c['test']['accuracy'] <= c['test']['ci'][1]
    r = run(TC, 'predict', '--model', faces, '--samples', '--k', '2', '--json', env=ENV)
    assert r.returncode==0, r.stderr
    res = json.loads(r.stdout)
    assert len(res)==5 and all({t['label'] for t in p['top']}=={'face', 'not_face'} for p in res)
    assert all(abs(sum(t['prob'] for t in p['top'])-1) < 1e-3 for p in res)
    r = run(TC, 'evaluate', '--model', faces, '--json', env=ENV)
    assert r.returncode==0, r.stderr
    ev = json.loads(r.stdout)
    assert ev['accuracy']==c['test']['accuracy'] and ev['n']==40   # the same test images as at the end of training
    assert all(os.path.getsize(f) > 1000 for f in ev['files'].values())
    r = run(TC, 'export', '--model', faces, '--format', 'onnx', '--json', env=ENV)
    assert r.returncode==0, r.stderr
    assert json.loads(r.stdout)['max_abs_diff'] < 1e-4

def test_image_folder(tmp_path):
    "Training on an image folder (the notebook only evaluates on one): classes from the sub-folders, the folder's identity kept"
    from PIL import Image
    from skimage.data import lfw_subset
    x = (lfw_subset()*255).round().astype('uint8')
    root = tmp_path/'photos'
    for i in range(100):
        c = 'face' if i<50 else 'background'
        (root/c).mkdir(parents=True, exist_ok=True)
        Image.fromarray(x[i if i<50 else 50+i]).save(root/c/f'{i:03d}.png')
    d = tmp_path/'model'
    r = run(TC, 'train', root, '--strategy', 'frozen', '--epochs', '1', '--out', d, env=ENV)
    assert r.returncode==0, r.stderr
    c = card(d)
    assert c['classes']==['background', 'face'] and c['data']['identity'].startswith(f'folder {root.resolve()} #')
    r = run(TC, 'predict', '--model', d, root/'face'/'000.png', root/'background'/'099.png', env=ENV)
    assert r.returncode==0 and 'Top-2 of 2 classes' in r.stdout and '000.png' in r.stdout, r.stderr
    rc,txt,err = cli('evaluate', '--model', d, '--out', tmp_path)
    assert rc==0 and f"the {c['data']['n_test']} test images of photos" in txt, err
    assert (tmp_path/'confusion_matrix.png').exists() and (tmp_path/'top_losses.png').exists()

def test_kill_and_resume(tmp_path):
    "A run killed with SIGKILL mid-training goes on from its last finished epoch, and ends as a run never stopped"
    args = [TC, 'train', 'mnist', '--strategy', 'fine_tune', '--epochs', '3', '--n-per-class', '20', '--seed', '1']
    a,b = tmp_path/'a',tmp_path/'b'
    p = subprocess.Popen([str(o) for o in args+['--out', a]], env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not (a/'checkpoint.safetensors').exists() and p.poll() is None and time.time()-t0 < 600: time.sleep(0.02)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    assert not (a/'card.json').exists(), "the run finished before it could be killed"
    from transfer_course.model import read_checkpoint
    done = read_checkpoint(a/'checkpoint.safetensors')[1]['epoch']
    assert 1 <= done < 3
    r = run(*args, '--out', a, env=ENV)
    assert r.returncode==2 and 'add --resume' in r.stderr
    r = run(*args, '--out', a, '--resume', env=ENV)
    assert r.returncode==0, r.stderr
    assert f"epochs 1-{done} of 3 are done" in r.stderr and f"epoch {done+1}/3" in r.stderr and 'epoch 1/3' not in r.stderr
    assert sorted(p.name for p in a.iterdir())==['card.json', 'model.safetensors']
    r = run(*args, '--out', b, env=ENV)
    assert r.returncode==0, r.stderr
    ra,rb = card(a),card(b)
    for x,y in zip(ra['history'], rb['history']): assert x['valid_loss']==pytest.approx(y['valid_loss'], abs=1e-4), (ra['history'], rb['history'])
    assert ra['test']['accuracy']==rb['test']['accuracy']

def test_damaged_folders(faces, tmp_path):
    "Each damaged folder gives the whole error line the user sees, sizes and hashes included; a folder without its card too"
    from transfer_course.model import _sha256
    def copy(name):
        c = tmp_path/name; shutil.copytree(faces, c); return c
    c = copy('altered'); f = c/'model.safetensors'
    b = bytearray(f.read_bytes()); b[len(b)//2] ^= 0xff; f.write_bytes(bytes(b))
    n,h,h0 = f.stat().st_size,_sha256(f),card(c)['weights']['sha256']
    want = (f"transfer-course: error: {f} does not match its card: {n:,} bytes with SHA-256 {h[:12]}…, where the card says {n:,} "
            f"bytes with SHA-256 {h0[:12]}… The file was changed or cut short after training: copy the model folder again.\n")
    r = run(TC, 'predict', '--model', c, '--samples', env=ENV)
    assert (r.returncode, r.stderr)==(2, want)
    c = copy('classes'); k = card(c); k['classes'].append('cat'); (c/'card.json').write_text(json.dumps(k))
    assert cli('predict', '--model', c, '--samples')[2]==(f"transfer-course: error: {c/'model.safetensors'} does not fit its card: the "
        "weights classify into 2 classes, the card lists 3 (face, not_face, cat). The card and the weights come from different models: "
        "copy the model folder again.\n")
    c = copy('missing'); (c/'model.safetensors').unlink()
    assert cli('evaluate', '--model', c)[2]==(f"transfer-course: error: {c/'model.safetensors'} is missing: a model folder needs its "
                                               "weights beside card.json; copy the whole folder.\n")
    c = copy('nocard'); (c/'card.json').unlink()
    assert cli('export', '--model', c)[2]==(f"transfer-course: error: {c} holds no card.json: it is not a model folder, or the card "
                                             "was lost: copy the whole folder that `transfer-course train` wrote.\n")
    c = copy('newer'); k = card(c); k['format_version'] = 99; (c/'card.json').write_text(json.dumps(k))
    import transfer_course
    assert cli('predict', '--model', c, '--samples')[2]==(f"transfer-course: error: {c/'card.json'} is in model format 99, newer than "
        f"this transfer-course ({transfer_course.__version__}) reads (format 1 and older): upgrade transfer-course to load it.\n")
