"""Evidence for keeping a trained model, with the installed `transfer-course` command as a user runs it, from a clean folder:
train -> predict --model -> evaluate -> export on a named dataset (lfw) and on an image folder; a run killed with SIGKILL
mid-training and resumed, beside an uninterrupted run with the same seed; the errors for damaged model folders.
Writes bench/results/model_evidence.md. Run: `.venv/bin/python bench/model_evidence.py` (small profile, a few minutes on a CPU)."""
import json, os, shutil, signal, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from transfer_course.core import md_table
TC = Path(sys.executable).parent/'transfer-course'
ENV = {**os.environ, 'IN_TEST': '1', 'OMP_NUM_THREADS': '1'}
out = []
REPORT = ROOT/'bench'/'results'/'model_evidence.md'
def flush(): REPORT.write_text('\n\n'.join(out) + '\n')   # after every command: a crash keeps what was measured

def sh(*args, show=True):
    "Run the command, record it and its output in the report"
    t0 = time.time()
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=ENV)
    cmd = ' '.join(str(a) for a in args).replace(str(TC), 'transfer-course')
    if show:
        out.append(f"```\n$ {cmd}    # {time.time()-t0:.0f} s, exit {r.returncode}\n{r.stdout.rstrip()}\n```")
        err = [l for l in r.stderr.splitlines() if l.startswith(('transfer-course: error', 'epoch ', 'Resuming'))]
        if err: out.append("stderr:\n```\n" + '\n'.join(err) + "\n```")
    flush()
    return r

def cli(*args):
    "The same command, through the same entry point, in this process (for the error messages: no start-up cost)"
    import contextlib, io
    from transfer_course.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()): rc = main([str(a) for a in args])
    out.append(f"```\n$ transfer-course {' '.join(map(str, args))}    # exit {rc}\n{err.getvalue().rstrip()}\n```")
    flush()

def files(d):
    out.append(f"Files in `{d.name}/`:\n\n" + md_table([dict(file=f.name, bytes=f.stat().st_size) for f in sorted(d.iterdir()) if f.is_file()]))

work = Path(tempfile.mkdtemp())
out.append(f"# Keeping a trained model: evidence\n\nMade by `bench/model_evidence.py` on {time.strftime('%Y-%m-%d')} (small profile, "
           f"one torch thread per process, a shared 2-core CPU).\n\n## 1. A named dataset: lfw\n")
d = work/'faces'
sh(TC, 'train', 'lfw', '--strategy', 'fine_tune', '--epochs', '3', '--augment', '--out', d)
sh(TC, 'predict', '--model', d, '--samples', '--k', '2')
sh(TC, 'evaluate', '--model', d)
sh(TC, 'export', '--model', d, '--format', 'onnx')
files(d)
card = json.loads((d/'card.json').read_text())
out.append("The card (history and versions shortened):\n\n```json\n" + json.dumps({**card, 'history': card['history'][-1:]}, indent=1)[:3000] + "\n```")

out.append("\n## 2. An image folder\n\n100 PNG files written from LFW crops into `photos/face/` and `photos/background/`.\n")
from PIL import Image
from skimage.data import lfw_subset
x = (lfw_subset()*255).round().astype('uint8')
root = work/'photos'
for i in range(100):
    c = 'face' if i<50 else 'background'; (root/c).mkdir(parents=True, exist_ok=True)
    Image.fromarray(x[i if i<50 else 50+i]).save(root/c/f'{i:03d}.png')
m = work/'photos-model'
sh(TC, 'train', root, '--strategy', 'frozen', '--epochs', '2', '--out', m)
sh(TC, 'predict', '--model', m, root/'face'/'000.png', root/'background'/'099.png', '--json')
sh(TC, 'evaluate', '--model', m, '--out', work)
files(m)

out.append("\n## 3. Killed with SIGKILL mid-training, then `--resume`\n")
args = [TC, 'train', 'mnist', '--strategy', 'fine_tune', '--epochs', '4', '--n-per-class', '20', '--seed', '7']
a,b = work/'killed',work/'whole'
p = subprocess.Popen([str(o) for o in args+['--out', a]], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ck = a/'checkpoint.safetensors'
while not ck.exists() and p.poll() is None: time.sleep(0.02)
time.sleep(1.0)   # into the next epoch
os.kill(p.pid, signal.SIGKILL); p.wait()
from transfer_course.model import read_checkpoint
done = read_checkpoint(ck)[1]['epoch']
out.append(f"`{' '.join(map(str, args[1:]))} --out killed` was killed (SIGKILL, exit {p.returncode}) during epoch {done+1}; the "
           f"folder then held: {', '.join(sorted(f.name for f in a.iterdir()))} (checkpoint after epoch {done}).")
sh(*args, '--out', a, '--resume')
sh(*args, '--out', b)
ra,rb = [json.loads((x/'card.json').read_text()) for x in (a,b)]
rows = md_table([{'epoch': h['epoch']+1, 'train loss (resumed)': h['train_loss'], 'train loss (whole)': g['train_loss'],
                  'valid loss (resumed)': h['valid_loss'], 'valid loss (whole)': g['valid_loss'],
                  'accuracy (resumed)': h['accuracy'], 'accuracy (whole)': g['accuracy']} for h,g in zip(ra['history'], rb['history'])], fmt='.6f')
out.append(f"Resumed after epoch {done}. Per epoch, the resumed run beside an uninterrupted run with the same seed:\n\n{rows}\n\n"
           f"Test accuracy: resumed {ra['test']['accuracy']:.4f} {[round(v, 4) for v in ra['test']['ci']]}, uninterrupted {rb['test']['accuracy']:.4f} "
           f"{[round(v, 4) for v in rb['test']['ci']]} ({ra['test']['n']} test images). Weights identical: "
           f"{ra['weights']['sha256']==rb['weights']['sha256']} (SHA-256 {ra['weights']['sha256'][:16]}… / {rb['weights']['sha256'][:16]}…).")

out.append("\n## 4. Damaged model folders: the exact errors\n")
def copy(name):
    c = work/name; shutil.copytree(d, c, ignore=shutil.ignore_patterns('*.onnx', '*.pt', '*.png')); return c
c = copy('altered'); f = c/'model.safetensors'; bb = bytearray(f.read_bytes()); bb[len(bb)//2] ^= 0xff; f.write_bytes(bytes(bb))
out.append("One byte of `model.safetensors` changed:"); cli('predict', '--model', c, '--samples')
c = copy('truncated'); f = c/'model.safetensors'; f.write_bytes(f.read_bytes()[:-4096])
out.append("`model.safetensors` cut short by 4 KiB:"); cli('predict', '--model', c, '--samples')
c = copy('classes'); k = json.loads((c/'card.json').read_text()); k['classes'].append('cat'); (c/'card.json').write_text(json.dumps(k))
out.append("A card whose classes do not match the weights (a third class added):"); cli('evaluate', '--model', c)
c = copy('backbone'); k = json.loads((c/'card.json').read_text()); k['backbone'] = 'efficientnet_lite2'; (c/'card.json').write_text(json.dumps(k))
out.append("A card naming another backbone:"); cli('predict', '--model', c, '--samples')
c = copy('missing'); (c/'model.safetensors').unlink()
out.append("The weights file missing:"); cli('export', '--model', c)
c = copy('nocard'); (c/'card.json').unlink()
out.append("The card missing:"); cli('predict', '--model', c, '--samples')
c = copy('newer'); k = json.loads((c/'card.json').read_text()); k['format_version'] = 2; (c/'card.json').write_text(json.dumps(k))
out.append("A card from a newer format version:"); cli('predict', '--model', c, '--samples')
flush()
shutil.rmtree(work, ignore_errors=True)
print('\n\n'.join(out))
