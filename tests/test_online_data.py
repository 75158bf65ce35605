"The online datasets' real loader (fastai's `untar_data`), against archives served from 127.0.0.1."
import io, tarfile, threading, functools, warnings
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
import numpy as np, pytest
from PIL import Image

@pytest.fixture
def settings(tmp_path, monkeypatch):
    "A settings file whose data_path is a fresh folder"
    f = tmp_path/'settings.ini'
    f.write_text(f"[DEFAULT]\ncourse = transfer-course\ndata_path = {tmp_path/'data'}\n")
    monkeypatch.setenv('TRANSFER_COURSE_SETTINGS', str(f))
    return tmp_path

@pytest.fixture
def server(tmp_path):
    "An HTTP server on 127.0.0.1 serving `tmp_path/'www'`"
    www = tmp_path/'www'; www.mkdir()
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args): pass

def _png(seed):
    rng = np.random.default_rng(seed)
    b = io.BytesIO(); Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(b, 'JPEG'); return b.getvalue()

def _tgz(path, files:dict):
    with tarfile.open(path, 'w:gz') as t:
        for name,data in files.items():
            ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))

def test_pets_download_and_load(settings, server):
    from transfer_course.data import pets_source, get_dls
    www,url = server
    files = {f'oxford-iiit-pet/images/{breed}_{i}.jpg': _png(i) for breed in ('Bengal', 'pug', 'great_pyrenees') for i in range(1, 6)}
    files['oxford-iiit-pet/images/readme.mat'] = b'not an image'
    _tgz(www/'oxford-iiit-pet.tgz', files)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        src = pets_source(f'{url}/oxford-iiit-pet.tgz')
    assert src.classes==['Bengal', 'great_pyrenees', 'pug']
    assert len(src)==15 and len(src.skipped)==1 and 'not an image file' in str(w[-1].message)
    assert (settings/'data'/'oxford-iiit-pet'/'images').is_dir()
    dls = get_dls(src, size=16, n_per_class=3, seed=0)
    assert dls.one_batch()[0].shape[1:]==(3, 16, 16)
    assert dls.info['n_train']==9

def test_imagenette_layout_keeps_its_split(settings, server):
    from transfer_course.data import imagenette_source, split_source
    www,url = server
    files = {f'imagenette2-160/{part}/{c}/{i}.JPEG': _png(i) for part,n in (('train', 4), ('val', 2)) for c in ('n01440764', 'n02102040') for i in range(n)}
    _tgz(www/'imagenette2-160.tgz', files)
    src = imagenette_source(f'{url}/imagenette2-160.tgz')
    assert len(src)==12 and src.is_valid.sum()==4
    tr,va = split_source(src)
    assert src.is_valid[va].all() and not src.is_valid[tr].any()

def test_download_failure_is_clear(settings):
    from transfer_course.data import pets_source; from transfer_course.core import MissingError
    with pytest.raises(MissingError) as e: pets_source('http://127.0.0.1:9/oxford-iiit-pet.tgz')
    assert str(e.value).startswith("Cannot download pets from http://127.0.0.1:9/oxford-iiit-pet.tgz (")
    assert str(e.value).endswith("It needs a network connection; datasets that work offline: lfw, mnist, fashion_mnist, emoji, emoji_outline.")
