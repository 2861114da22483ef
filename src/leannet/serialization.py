"""Model files: one ``.npz`` archive of arrays plus a JSON document, never pickle.

    model.save("mnist.leannet")            # writes exactly that path, atomically
    model = leannet.load_model("mnist.leannet")

The archive (``np.savez``, uncompressed zip) holds

    __leannet__                  uint8: the UTF-8 bytes of the JSON document below
    weights/<layer>.<name>       every parameter and buffer, e.g. ``weights/dense_1.weight``
    optimizer/<param>/<slot>     the optimizer's per-parameter state, e.g. ``.../dense_1.weight/m``

and the JSON document

    {"format": "leannet-model", "format_version": 1, "writer": "leannet 0.1.0",
     "model": {"name", "input_shape", "dtype", "seed",
               "layers": [{"class_name": "Dense", "config": {...}}, ...]},
     "compile": {"loss": "cross_entropy", "optimizer": {optimizer.get_config()},
                 "metrics": ["accuracy"]} or null,
     "weights": ["dense_1.weight", ...],                 (the arrays under weights/)
     "optimizer": {"iterations": t, "slots": {"dense_1.weight": ["m", "v"], ...}} or null,
     "training": {...} or null}                          (checkpoints only, see checkpoint.py)

The model's random generator state is not part of a model file; a checkpoint (see
checkpoint.py) adds it in its ``training`` section.

Reading uses ``np.load(..., allow_pickle=False)`` and only JSON, so loading a file never runs
code from it. A file that is damaged, not ours, from a newer format version, or whose arrays
do not fit its architecture raises ``ModelFileError`` naming the file and the reason.
"""

import collections
import dataclasses
import io
import json
import os
import warnings

import numpy as np

from leannet import layers, losses, optim
from leannet import metrics as metrics_module
from leannet.atomic import atomic_write
from leannet.errors import ModelFileError

FORMAT_NAME = "leannet-model"
FORMAT_VERSION = 1
HEADER_KEY = "__leannet__"
WEIGHTS_PREFIX = "weights/"
OPTIMIZER_PREFIX = "optimizer/"
FLOAT_DTYPES = ("float16", "float32", "float64")
ZIP_MAGIC = b"PK\x03\x04"

ModelFile = collections.namedtuple("ModelFile", "path document arrays")


# ----- state dicts: arrays by name, in memory -----------------------------------------
def model_state_dict(model):
    """{"<layer>.<parameter or buffer>": copy of the array} for every saved array."""
    state = {}
    for layer in model.layers:
        for key, param in layer._parameters.items():
            state[f"{layer.name}.{key}"] = param.value.copy()
        for key, value in layer.buffers().items():
            state[f"{layer.name}.{key}"] = value.copy()
    return state


def _state_slots(model):
    """{"<layer>.<name>": (layer, local name, is_parameter)} for every saved array."""
    slots = {}
    for layer in model.layers:
        for key in layer._parameters:
            slots[f"{layer.name}.{key}"] = (layer, key, True)
        for key in layer.buffers():
            slots[f"{layer.name}.{key}"] = (layer, key, False)
    return slots


def _current_value(layer, key, is_parameter):
    return layer._parameters[key].value if is_parameter else layer.buffers()[key]


def load_model_state_dict(model, state, strict=True):
    """Copy arrays into the model by name (values are cast to the model's dtype).

    ``strict`` (default) requires exactly the model's names; otherwise names missing from
    ``state`` keep their values and unknown names are ignored. A shape mismatch always raises.
    """
    if not model.built:
        raise ValueError("load_state_dict: build the model (input_shape=...) first")
    slots = _state_slots(model)
    missing = [name for name in slots if name not in state]
    unexpected = [name for name in state if name not in slots]
    if strict and (missing or unexpected):
        raise ValueError(f"load_state_dict: missing arrays {missing}, unexpected arrays "
                         f"{unexpected}; pass strict=False to load the names that match")
    arrays = {name: np.asarray(state[name]) for name in slots if name in state}
    wrong = [f"{name}: got {arrays[name].shape}, expected {_current_value(*slots[name]).shape}"
             for name in arrays if arrays[name].shape != _current_value(*slots[name]).shape]
    if wrong:
        raise ValueError(f"load_state_dict: shape mismatch: {'; '.join(wrong)}")
    for name, value in arrays.items():
        layer, key, is_parameter = slots[name]
        if is_parameter:
            layer._parameters[key].value[...] = value
        else:
            layer.set_buffer(key, value)


def set_weights(model, weights):
    """Copy a list of arrays into ``model.parameters()``, in that order (``get_weights``)."""
    params = model.parameters()
    weights = list(weights)
    if len(weights) != len(params):
        raise ValueError(f"set_weights: the model has {len(params)} parameters, "
                         f"got {len(weights)} arrays")
    arrays = [np.asarray(w) for w in weights]
    for param, array in zip(params, arrays, strict=True):
        if array.shape != param.shape:
            raise ValueError(f"set_weights: parameter {param.name!r} has shape {param.shape}, "
                             f"got an array of shape {array.shape}")
    for param, array in zip(params, arrays, strict=True):
        param.value[...] = array


# ----- writing ------------------------------------------------------------------------
def save_model(model, path, include_optimizer=True):
    """Write ``model`` to exactly ``path``: architecture, weights, compile settings, and
    (``include_optimizer``) the optimizer's state. Atomic: a failed write keeps the old file."""
    write_model_file(model, path, include_optimizer=include_optimizer)


def write_model_file(model, path, include_optimizer=True, training=None):
    """The writer behind ``save_model`` and ``save_checkpoint`` (``training`` section)."""
    if not model.built:
        raise ValueError("save: the model is not built yet; give input_shape=... or train it")
    state = model_state_dict(model)
    arrays = {WEIGHTS_PREFIX + name: value for name, value in state.items()}
    document = _model_document(model, list(state))
    if include_optimizer and model.optimizer is not None:
        document["optimizer"] = _optimizer_document(model, arrays)
    document["training"] = training
    arrays[HEADER_KEY] = _encode_header(document)
    with atomic_write(path) as file:
        np.savez(file, **arrays)


def _model_document(model, weight_names):
    from leannet import __version__

    seed = model.seed
    seed = int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "writer": f"leannet {__version__}",
        "model": {
            "name": model.name,
            "input_shape": list(model.input_shape),
            "dtype": model.dtype.name,
            "seed": seed,
            "layers": [layer_spec(layer) for layer in model.layers],
        },
        "compile": _compile_document(model),
        "weights": weight_names,
        "optimizer": None,
    }


def layer_spec(layer):
    """{"class_name", "config"} of a layer, as JSON would give it back (tuples -> lists)."""
    spec = {"class_name": type(layer).__name__, "config": layer.get_config()}
    try:
        return json.loads(json.dumps(spec, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"layer {layer.name!r}: get_config() is not JSON-safe ({error})") from None


def _compile_document(model):
    """Loss name, optimizer config and metric names; None (with a warning) if not savable."""
    if model.loss is None or model.optimizer is None:
        return None
    loss_name = getattr(model.loss, "name", None)
    problem = None
    if loss_name not in losses.LOSSES or type(model.loss) is not losses.LOSSES[loss_name]:
        problem = f"the loss {model.loss!r} is not one of leannet's named losses"
    else:
        try:
            config = model.optimizer.get_config()
            optim.from_config(json.loads(json.dumps(config)))
        except (TypeError, ValueError, AttributeError) as error:
            problem = f"the optimizer cannot be rebuilt from its config ({error})"
    if problem:
        warnings.warn(f"save: {problem}; the file holds the model uncompiled", stacklevel=4)
        return None
    names = [name for name in model.metric_names if name in metrics_module.METRICS]
    if len(names) < len(model.metric_names):
        left_out = [name for name in model.metric_names if name not in names]
        warnings.warn(f"save: the metrics {left_out} are not leannet metric names; the file "
                      "leaves them out", stacklevel=4)
    return {"loss": loss_name, "optimizer": config, "metrics": names}


def _optimizer_document(model, arrays):
    """The optimizer's iterations and slot names; puts the slot arrays into ``arrays``."""
    state = model.optimizer.state_dict()
    own = {param.name for param in model.parameters()}
    slots = {}
    for param_name, param_slots in state["slots"].items():
        if param_name not in own:
            continue  # state of parameters from another model: not this file's business
        slots[param_name] = list(param_slots)
        for slot, value in param_slots.items():
            arrays[f"{OPTIMIZER_PREFIX}{param_name}/{slot}"] = value
    return {"iterations": int(state["iterations"]), "slots": slots}


def _encode_header(document):
    text = json.dumps(document)
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


# ----- reading: the container ---------------------------------------------------------
def read_model_file(path):
    """Read and check a model file's container and JSON document -> ModelFile.

    Raises ModelFileError (FileNotFoundError if there is no such file). Nothing is built.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        return parse_model_file(file.read(), path)


def parse_model_file(data, path="<bytes>"):
    """``read_model_file`` for the bytes of a file; ``path`` names it in error messages."""
    arrays = _read_archive(path, data)
    header = arrays.pop(HEADER_KEY, None)
    if header is None:
        raise ModelFileError(f"{path}: not a leannet model file (an .npz archive without "
                             f"the {HEADER_KEY!r} entry)")
    document = _decode_header(path, header)
    check_document(path, document, arrays)
    return ModelFile(path, document, arrays)


def read_header(path):
    """Only the JSON document of a model file (cheap: the arrays are not read)."""
    path = os.fspath(path)
    with open(path, "rb") as file:
        if file.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            raise ModelFileError(f"{path}: not a leannet model file (not an .npz archive)")
        file.seek(0)
        try:
            with np.load(file, allow_pickle=False) as archive:
                header = archive[HEADER_KEY] if HEADER_KEY in archive.files else None
        except Exception as error:  # any failure of a damaged archive
            raise ModelFileError(f"{path}: damaged or not a leannet model file "
                                 f"({type(error).__name__}: {error})") from error
    if header is None:
        raise ModelFileError(f"{path}: not a leannet model file (no {HEADER_KEY!r} entry)")
    return _decode_header(path, header)


def _read_archive(path, data):
    """Every entry of the .npz archive in ``data``, as arrays of plain numbers."""
    if not data.startswith(ZIP_MAGIC):
        raise ModelFileError(f"{path}: not a leannet model file (not an .npz archive)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {key: _read_entry(path, archive, key) for key in archive.files}
    except ModelFileError:
        raise
    except Exception as error:  # a damaged zip fails in many ways; all mean the same here
        raise ModelFileError(f"{path}: damaged or not a leannet model file "
                             f"({type(error).__name__}: {error})") from error
    return arrays


def _read_entry(path, archive, key):
    try:
        value = archive[key]
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ModelFileError(f"{path}: entry {key!r} holds pickled Python objects; model "
                                 "files never do, so it is refused unread") from error
        raise
    if not isinstance(value, np.ndarray):
        raise ModelFileError(f"{path}: entry {key!r} is not a NumPy array")
    if value.dtype.kind not in "biuf":
        raise ModelFileError(f"{path}: entry {key!r} has dtype {value.dtype}; model files "
                             "hold only numbers")
    return value


def _decode_header(path, header):
    if not isinstance(header, np.ndarray) or header.dtype != np.uint8 or header.ndim != 1:
        raise ModelFileError(f"{path}: the {HEADER_KEY!r} entry is not a 1-D uint8 array")
    try:
        document = json.loads(header.tobytes().decode("utf-8"))
    except Exception as error:  # UnicodeDecodeError, JSONDecodeError, RecursionError
        raise ModelFileError(f"{path}: the model description is not valid JSON "
                             f"({type(error).__name__}: {error})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        found = document.get("format") if isinstance(document, dict) else None
        raise ModelFileError(f"{path}: not a leannet model file (format {found!r}, "
                             f"expected {FORMAT_NAME!r})")
    version = document.get("format_version")
    if not is_integer(version) or version < 1:
        raise ModelFileError(f"{path}: format_version must be a positive integer, "
                             f"got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written in model format version {version} by a newer "
                             f"leannet; this one reads up to version {FORMAT_VERSION} - upgrade")
    return document


# ----- reading: the JSON document's shape ---------------------------------------------
def is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_type(path, value, kinds, where):
    """``value`` must be one of ``kinds`` (a bool never passes for a number)."""
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        shown = repr(value) if len(repr(value)) < 60 else repr(value)[:57] + "..."
        raise ModelFileError(f"{path}: {where} should be {wanted}, got {shown}")
    return value


def check_document(path, document, arrays):
    """Check every field's type, and that the arrays are exactly those the document lists.
    The optional sections (compile, optimizer, training) may be absent: they become null."""
    for section in ("compile", "optimizer", "training"):
        document.setdefault(section, None)
    _check_model_section(path, check_type(path, document.get("model"), (dict,), "model"))
    compile_section = check_type(path, document.get("compile"), (dict, type(None)), "compile")
    if compile_section is not None:
        check_type(path, compile_section.get("loss"), (str,), "compile.loss")
        check_type(path, compile_section.get("optimizer"), (dict,), "compile.optimizer")
        for name in check_type(path, compile_section.get("metrics"), (list,), "compile.metrics"):
            check_type(path, name, (str,), "compile.metrics[...]")
    expected = set()
    for name in check_type(path, document.get("weights"), (list,), "weights"):
        expected.add(WEIGHTS_PREFIX + check_type(path, name, (str,), "weights[...]"))
    optimizer = check_type(path, document.get("optimizer"), (dict, type(None)), "optimizer")
    if optimizer is not None:
        expected |= _check_optimizer_section(path, optimizer)
    check_type(path, document.get("training"), (dict, type(None)), "training")
    missing, unexpected = sorted(expected - set(arrays)), sorted(set(arrays) - expected)
    if missing:
        raise ModelFileError(f"{path}: arrays listed in the description are missing: "
                             f"{missing[:5]}")
    if unexpected:
        raise ModelFileError(f"{path}: arrays not listed in the description: {unexpected[:5]}")


def _check_model_section(path, model):
    check_type(path, model.get("name"), (str,), "model.name")
    for size in check_type(path, model.get("input_shape"), (list,), "model.input_shape"):
        if not is_integer(size) or size < 1:
            raise ModelFileError(f"{path}: model.input_shape holds {size!r}, not a size >= 1")
    if model.get("dtype") not in FLOAT_DTYPES:
        raise ModelFileError(f"{path}: model.dtype must be one of {FLOAT_DTYPES}, "
                             f"got {model.get('dtype')!r}")
    seed = check_type(path, model.get("seed"), (int, type(None)), "model.seed")
    if seed is not None and seed < 0:
        raise ModelFileError(f"{path}: model.seed must be >= 0, got {seed}")
    for spec in check_type(path, model.get("layers"), (list,), "model.layers"):
        check_type(path, spec, (dict,), "model.layers[...]")
        check_type(path, spec.get("class_name"), (str,), "model.layers[...].class_name")
        check_type(path, spec.get("config"), (dict,), "model.layers[...].config")


def _check_optimizer_section(path, optimizer):
    """Check the optimizer section; return the archive keys of its arrays."""
    iterations = check_type(path, optimizer.get("iterations"), (int,), "optimizer.iterations")
    if iterations < 0:
        raise ModelFileError(f"{path}: optimizer.iterations must be >= 0, got {iterations}")
    keys = set()
    for param_name, slots in check_type(path, optimizer.get("slots"), (dict,),
                                      "optimizer.slots").items():
        for slot in check_type(path, slots, (list,), f"optimizer.slots[{param_name!r}]"):
            check_type(path, slot, (str,), f"optimizer.slots[{param_name!r}][...]")
            keys.add(f"{OPTIMIZER_PREFIX}{param_name}/{slot}")
    return keys


# ----- reading: rebuilding the model --------------------------------------------------
def load_model(path):
    """Rebuild the model saved in ``path``: architecture, weights, and (when the file holds
    them) compile settings and optimizer state, ready to predict or to train on."""
    return model_from_file(read_model_file(path))


def model_from_file(model_file):
    """The model described by a ModelFile (from ``read_model_file``/``parse_model_file``)."""
    model = build_model(model_file)
    model.load_state_dict(checked_weights(model_file, model))
    compile_section = model_file.document["compile"]
    if compile_section is not None:
        try:
            model.compile(loss=compile_section["loss"], metrics=compile_section["metrics"],
                          optimizer=optim.from_config(compile_section["optimizer"]))
        except Exception as error:  # bad values from the file reach constructors
            raise ModelFileError(f"{model_file.path}: cannot restore the compile settings "
                                 f"({type(error).__name__}: {error})") from error
        state = checked_optimizer_state(model_file, model)
        if state is not None:
            model.optimizer.load_state_dict(state)
    return model


def build_model(model_file):
    """A Sequential built from the file's architecture (its weights not loaded yet)."""
    from leannet.model import Sequential  # model.py imports this module

    spec = model_file.document["model"]
    try:
        layer_list = [layers.from_config(layer) for layer in spec["layers"]]
        return Sequential(layer_list, input_shape=spec["input_shape"], seed=spec["seed"],
                          dtype=spec["dtype"], name=spec["name"])
    except Exception as error:  # bad values from the file reach layer constructors
        raise ModelFileError(f"{model_file.path}: cannot rebuild the architecture "
                             f"({type(error).__name__}: {error})") from error


def file_weights(model_file):
    """{"<layer>.<name>": array} as stored in the file."""
    return {name: model_file.arrays[WEIGHTS_PREFIX + name]
            for name in model_file.document["weights"]}


def checked_weights(model_file, model):
    """The file's weights, once checked to be exactly the model's names, shapes and dtypes."""
    weights = file_weights(model_file)
    slots = _state_slots(model)
    problems = [f"{name} belongs to no layer" for name in weights if name not in slots]
    for name, slot in slots.items():
        current = _current_value(*slot)
        if name not in weights:
            problems.append(f"{name} is missing")
        elif (weights[name].shape, weights[name].dtype) != (current.shape, current.dtype):
            problems.append(f"{name} is {weights[name].dtype}{list(weights[name].shape)}, "
                            f"the architecture needs {current.dtype}{list(current.shape)}")
    if problems:
        raise ModelFileError(f"{model_file.path}: the arrays do not fit the architecture: "
                             + "; ".join(problems[:6]))
    return weights


def checked_optimizer_state(model_file, model):
    """The file's optimizer state in ``Optimizer.load_state_dict`` form, checked against
    ``model.optimizer``'s slots; None when the file holds none."""
    section = model_file.document["optimizer"]
    if section is None:
        return None
    params = {param.name: param for param in model.parameters()}
    optimizer_name = type(model.optimizer).__name__
    slots = {}
    for param_name, slot_names in section["slots"].items():
        if param_name not in params:
            raise ModelFileError(f"{model_file.path}: optimizer state for {param_name!r}, "
                                 "which is not a parameter of the model")
        expected = model.optimizer.new_slots(params[param_name])
        if sorted(slot_names) != sorted(expected):
            raise ModelFileError(f"{model_file.path}: the optimizer state of {param_name!r} "
                                 f"has slots {slot_names}; {optimizer_name} keeps "
                                 f"{list(expected)} (was it saved with another optimizer?)")
        slots[param_name] = {}
        for slot in slot_names:
            array = model_file.arrays[f"{OPTIMIZER_PREFIX}{param_name}/{slot}"]
            if (array.shape, array.dtype) != (expected[slot].shape, expected[slot].dtype):
                raise ModelFileError(f"{model_file.path}: optimizer slot {param_name}/{slot} "
                                     f"is {array.dtype}{list(array.shape)}, expected "
                                     f"{expected[slot].dtype}{list(expected[slot].shape)}")
            slots[param_name][slot] = array
    return {"iterations": section["iterations"], "slots": slots}


# ----- partial loading: transfer learning ---------------------------------------------
@dataclasses.dataclass
class WeightsReport:
    """What ``load_weights`` did: array names loaded, skipped (with the reason), and
    arrays of the file that no layer of the model asked for."""

    loaded: list = dataclasses.field(default_factory=list)
    skipped: dict = dataclasses.field(default_factory=dict)
    unused: list = dataclasses.field(default_factory=list)

    def __str__(self):
        lines = [f"loaded {len(self.loaded)} arrays: {', '.join(self.loaded) or '-'}"]
        lines += [f"skipped {name}: {reason}" for name, reason in self.skipped.items()]
        if self.unused:
            lines.append(f"unused from the file: {', '.join(self.unused)}")
        return "\n".join(lines)


def load_weights(model, path, skip_mismatch=False):
    """Copy weights from a model file into ``model`` by name (``<layer>.<array>``).

    A layer loads all its arrays or none. A layer whose arrays are missing from the file or
    have another shape makes this raise ModelFileError (nothing is changed), unless
    ``skip_mismatch``: then that layer keeps its weights and the report says why.
    Arrays of another float dtype are cast to the model's. Returns a WeightsReport.
    """
    if not model.built:
        raise ValueError("load_weights: build the model (input_shape=...) first")
    model_file = read_model_file(path)
    weights = file_weights(model_file)
    report, to_load = WeightsReport(), {}
    shapes = model_state_dict_shapes(model)
    for layer in model.layers:
        names = [f"{layer.name}.{key}" for key in [*layer._parameters, *layer.buffers()]]
        problems = _layer_mismatches(names, shapes, weights)
        for name in names:
            if problems:
                report.skipped[name] = problems.get(name) or (
                    f"layer {layer.name!r} skipped as a whole ({'; '.join(problems.values())})")
            else:
                report.loaded.append(name)
                to_load[name] = weights[name]
    report.unused = [name for name in weights if name not in report.loaded
                     and name not in report.skipped]
    if report.skipped and not skip_mismatch:
        raise ModelFileError(f"{model_file.path}: weights do not fit the model: "
                             + "; ".join(f"{k}: {v}" for k, v in report.skipped.items())
                             + ". Pass skip_mismatch=True to load the layers that fit")
    load_model_state_dict(model, to_load, strict=False)
    return report


def _layer_mismatches(names, current, weights):
    problems = {}
    for name in names:
        if name not in weights:
            problems[name] = "missing from the file"
        elif weights[name].shape != current[name]:
            problems[name] = (f"shape mismatch: file {weights[name].shape}, "
                              f"model {current[name]}")
    return problems


def model_state_dict_shapes(model):
    """{"<layer>.<name>": shape} without copying any array."""
    return {name: _current_value(*slot).shape for name, slot in _state_slots(model).items()}
