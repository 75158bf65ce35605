"""Each strategy's freeze state, pinned: trainable parameters and learning rate of every parameter group, in every fit.

For a timm backbone split by fastai's default into 2 groups (body, head), the same backbone split by stage into 5
groups (the course's `lite_splitter`), and a torchvision ResNet-18 (fastai's 3 groups). `probe_recipe` runs each
recipe for one batch per fit (base lr 0.01, 4 epochs); the learning rate shown is the one the first batch of each fit
gets, which under fastai's one-cycle schedule is the group's peak rate divided by `div` (25; `fine_tune`'s second fit
uses 5). Changing what a recipe freezes, or the rates it gives, must change this file."""
import pytest
from fastai.vision.all import default_split
from transfer_course.data import get_dls
from transfer_course.strategies import (strategy_learner, probe_recipe, train_scratch, train_frozen, train_frozen_bn, train_partial,
                                        train_keras_partial, train_full, train_discriminative, train_fine_tune, train_gradual)

SIZES = {'lite0_2groups': [3371008, 1317888], 'lite0_stages': [15792, 238192, 2099424, 1017600, 1317888], 'resnet18': [683072, 10493440, 528384]}

# (strategy learner, kwargs) per backbone setting
SETUPS = dict(lite0_2groups=('efficientnet_lite0', dict(splitter=default_split)), lite0_stages=('efficientnet_lite0', {}),
              resnet18=('resnet18', dict(pretrained=False)))
RECIPES = dict(scratch=(train_scratch, dict(pretrained=False)), frozen=(train_frozen, {}), frozen_bn=(train_frozen_bn, dict(train_bn=False)),
               partial=(train_partial, {}), keras_partial=(train_keras_partial, {}), full=(train_full, {}),
               discriminative=(train_discriminative, {}), fine_tune=(train_fine_tune, {}), gradual=(train_gradual, {}))

# per fit, per group: (trainable parameters, learning rate at the fit's first batch)
EXPECTED = {
    'lite0_2groups/scratch': [[(3371008, 0.0004), (1317888, 0.0004)]],
    'lite0_2groups/frozen': [[(42016, 0.0004), (1317888, 0.0004)]],
    'lite0_2groups/frozen_bn': [[(0, 0.0004), (1317888, 0.0004)]],
    'lite0_2groups/partial': [[(3371008, 4e-06), (1317888, 0.0004)]],
    'lite0_2groups/keras_partial': [[(2224896, 4e-05), (1317888, 4e-05)]],
    'lite0_2groups/full': [[(3371008, 4e-05), (1317888, 4e-05)]],
    'lite0_2groups/discriminative': [[(3371008, 4e-06), (1317888, 0.0004)]],
    'lite0_2groups/fine_tune': [[(42016, 4e-05), (1317888, 0.0004)], [(3371008, 1e-05), (1317888, 0.001)]],
    'lite0_2groups/gradual': [[(42016, 0.0004), (1317888, 0.0004)], [(3371008, 4e-06), (1317888, 0.0002)]],
    'lite0_stages/scratch': [[(15792, 0.0004), (238192, 0.0004), (2099424, 0.0004), (1017600, 0.0004), (1317888, 0.0004)]],
    'lite0_stages/frozen': [[(1216, 0.0004), (6976, 0.0004), (26016, 0.0004), (7808, 0.0004), (1317888, 0.0004)]],
    'lite0_stages/frozen_bn': [[(0, 0.0004), (0, 0.0004), (0, 0.0004), (0, 0.0004), (1317888, 0.0004)]],
    'lite0_stages/partial': [[(1216, 4e-06), (6976, 1.26e-05), (26016, 4e-05), (1017600, 0.000126), (1317888, 0.0004)]],
    'lite0_stages/keras_partial': [[(0, 4e-05), (0, 4e-05), (1207296, 4e-05), (1017600, 4e-05), (1317888, 4e-05)]],
    'lite0_stages/full': [[(15792, 4e-05), (238192, 4e-05), (2099424, 4e-05), (1017600, 4e-05), (1317888, 4e-05)]],
    'lite0_stages/discriminative': [[(15792, 4e-06), (238192, 1.26e-05), (2099424, 4e-05), (1017600, 0.000126), (1317888, 0.0004)]],
    'lite0_stages/fine_tune': [[(1216, 4e-05), (6976, 4e-05), (26016, 4e-05), (7808, 4e-05), (1317888, 0.0004)], [(15792, 1e-05), (238192, 3.16e-05), (2099424, 0.0001), (1017600, 0.000316), (1317888, 0.001)]],
    'lite0_stages/gradual': [[(1216, 0.0004), (6976, 0.0004), (26016, 0.0004), (7808, 0.0004), (1317888, 0.0004)], [(1216, 4e-06), (6976, 1.06e-05), (26016, 2.83e-05), (1017600, 7.52e-05), (1317888, 0.0002)], [(1216, 4e-06), (238192, 1.06e-05), (2099424, 2.83e-05), (1017600, 7.52e-05), (1317888, 0.0002)], [(15792, 4e-06), (238192, 1.06e-05), (2099424, 2.83e-05), (1017600, 7.52e-05), (1317888, 0.0002)]],
    'resnet18/scratch': [[(683072, 0.0004), (10493440, 0.0004), (528384, 0.0004)]],
    'resnet18/frozen': [[(1920, 0.0004), (7680, 0.0004), (528384, 0.0004)]],
    'resnet18/frozen_bn': [[(0, 0.0004), (0, 0.0004), (528384, 0.0004)]],
    'resnet18/partial': [[(1920, 4e-06), (10493440, 4e-05), (528384, 0.0004)]],
    'resnet18/keras_partial': [[(0, 4e-05), (8393728, 4e-05), (528384, 4e-05)]],
    'resnet18/full': [[(683072, 4e-05), (10493440, 4e-05), (528384, 4e-05)]],
    'resnet18/discriminative': [[(683072, 4e-06), (10493440, 4e-05), (528384, 0.0004)]],
    'resnet18/fine_tune': [[(1920, 4e-05), (7680, 4e-05), (528384, 0.0004)], [(683072, 1e-05), (10493440, 0.0001), (528384, 0.001)]],
    'resnet18/gradual': [[(1920, 0.0004), (7680, 0.0004), (528384, 0.0004)], [(1920, 4e-06), (10493440, 2.83e-05), (528384, 0.0002)], [(683072, 4e-06), (10493440, 2.83e-05), (528384, 0.0002)]],
}

@pytest.fixture(scope='module')
def dls_for():
    "`DataLoaders` for a backbone, built once per backbone (its learners add its normalisation to them)"
    made = {}
    def get(backbone):
        if backbone not in made: made[backbone] = get_dls('lfw', n_per_class=20, seed=0)
        return made[backbone]
    return get

@pytest.mark.parametrize('case', list(EXPECTED))
def test_freeze_state(case, dls_for):
    setup,strategy = case.split('/')
    backbone,kw = SETUPS[setup]
    recipe,lkw = RECIPES[strategy]
    learn = strategy_learner(dls_for(backbone), backbone, **{**kw, **lkw})
    t = probe_recipe(recipe, learn, n_epoch=4, lr=1e-2)
    for fit,rows in enumerate(EXPECTED[case]):
        got = t[t.fit==fit]
        assert got.n_params.tolist()==SIZES[setup], f"{case}: groups changed"
        assert got.n_trainable.tolist()==[n for n,_ in rows], f"{case} fit {fit}: trainable parameters per group"
        assert got.lr.tolist()==pytest.approx([lr for _,lr in rows], rel=1e-2), f"{case} fit {fit}: learning rate per group"
    assert t.fit.nunique()==len(EXPECTED[case]), f"{case}: number of fits"
