"""A hands-on course, and its small library, on transfer learning and fine-tuning of deep networks with fastai

Modules:

- `transfer_course.backbones`: The pretrained models the course uses: real ImageNet weights that load offline, any timm or torchvision model online, how each splits into body, head and parameter groups, and ImageNet predictions.
- `transfer_course.cli`: `transfer-course`: list backbones and datasets, classify photos with a pretrained network, and (see `transfer_course.experiments`) compare transfer strategies.
- `transfer_course.data`: Real datasets as fastai `DataLoaders`: three that need no network (LFW faces, MNIST, Fashion-MNIST), two that are downloaded (Oxford-IIIT Pets, Imagenette), and any folder of images; with a fixed validation set, a chosen number of training images per class, and clear messages for bad input.
- `transfer_course.emoji`: A colour image dataset of drawn objects that needs no network: emoji from Debian's fonts, in twelve classes of faces, people, animals, plants, food, places, vehicles and things, labelled by Unicode's emoji groups; in colour (Noto Color Emoji) and as black outlines (Symbola), the same classes in another style.
- `transfer_course.experiments`: Run one strategy on one configuration and measure it honestly; compare a grid of them; keep every finished result in a store that a rerun resumes from.
- `transfer_course.model`: Train one strategy and keep the result: a model folder with safetensors weights and a JSON card, checkpoints after every epoch that a stopped run resumes from, safe loading, predictions on new images, an evaluation with intervals, a confusion matrix and the top losses, and export to ONNX or TorchScript.
- `transfer_course.reporting`: Tables and plots of experiment results, with the interval of every accuracy: which strategies are best, tied or worse, accuracy against training time or any budget, learning curves, accuracy against the number of training images, parameter groups, confusion matrices, and a short markdown report.
- `transfer_course.scaling`: How fast a learner trains and predicts, in images per second, fed by its real `DataLoader` or by one batch already on the device (the ceiling); mixed precision on any device; the floating-point work of one image.
- `transfer_course.shift`: Shifted copies of real datasets (corrupted inputs, remapped labels, a planted cue), a second real digits dataset, evaluation of a trained learner on any of them, and fine-tuning of chosen parameter groups only.
- `transfer_course.stats`: Telling real differences between strategies from noise: intervals for an accuracy, over seeds and images; paired tests of two strategies on the same images; which strategies are best, tied with the best, or worse; and a sentence that says so.
- `transfer_course.strategies`: Each transfer technique as one small, explicit recipe over a fastai `Learner`: what is frozen, what trains, at which learning rate. From scratch, feature extraction (three ways), partial and full fine-tuning, gradual unfreezing, and ensembles of several pretrained backbones.
- `transfer_course.text`: Transfer beyond images: real English definitions from WordNet (or your own texts) in fixed splits, a BERT-family encoder that loads offline, a fastai `Learner` whose parameter groups are the encoder's layers, and the course's strategies and baselines on text, each run returning a result record with per-item outcomes for the statistics module.
- `transfer_course.widgets`: The comparison dashboard: pick a dataset, a size, backbones and strategies, press Run, and watch them train side by side, with their accuracy, training time and compute, on the GPU when there is one."""

__version__ = "0.1.0"
