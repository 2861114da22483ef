"""``leannet predict MODEL FILE...``: the class of each image and its probability.

A FILE is a 28x28 grey PNG (needs Pillow: ``pip install 'leannet[image]'``) or a ``.npy``
array of one image (28, 28) or several (N, 28, 28) / (N, 784), with pixels 0..255 or
floats in [0, 1]. MNIST digits are light on a dark background; for a dark drawing on a
light background pass ``--invert``.
"""

from leannet import image
from leannet.commands.datasets import class_name
from leannet.commands.errors import CommandError, one_line
from leannet.commands.modelfile import check_classifier, open_model, predict_classes
from leannet.commands.options import description
from leannet.commands.runfiles import run_dataset


def register(subparsers):
    parser = subparsers.add_parser("predict", help="classify PNG images or .npy arrays",
                                   description=description(__doc__))
    parser.add_argument("model", metavar="MODEL", help="a .leannet file or a run directory")
    parser.add_argument("files", metavar="FILE", nargs="+", help="a .png or .npy file")
    parser.add_argument("--invert", action="store_true",
                        help="use 1 - pixel (for dark strokes on a light background)")
    parser.set_defaults(run=run)


def run(args):
    path, model = open_model(args.model)
    check_classifier(model, path)
    dataset = run_dataset(path)
    for file in args.files:
        images = read(file)
        if args.invert:
            images = 255 - images if images.dtype.kind in "iu" else 1.0 - images
        classes, probabilities = predict_classes(model, images)
        for index, (label, probability) in enumerate(zip(classes, probabilities, strict=True)):
            where = file if len(classes) == 1 else f"{file}[{index}]"
            print(f"{where}: {class_name(dataset, int(label))} (p={probability:.3f})")
    return 0


def read(file):
    """(N, 28, 28) pixels of ``file``; its problems become one-line errors."""
    try:
        return image.read_images(file)
    except ImportError as error:  # Pillow missing: read_png names the extra
        raise CommandError(str(error)) from None
    except image.ImageError as error:
        raise CommandError(one_line(error)) from None
