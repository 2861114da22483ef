"""Model files: .npz arrays plus a JSON config, never pickle. (Being written: issue 4.)"""


def model_state_dict(model):
    state = {}
    for layer in model.layers:
        for key, param in layer._parameters.items():
            state[f"{layer.name}.{key}"] = param.value.copy()
        for key, value in layer.buffers().items():
            state[f"{layer.name}.{key}"] = value.copy()
    return state


def load_model_state_dict(model, state, strict=True):
    raise NotImplementedError("issue 4")


def set_weights(model, weights):
    raise NotImplementedError("issue 4")


def save_model(model, path, include_optimizer=True):
    raise NotImplementedError("issue 4")


def load_weights(model, path, skip_mismatch=False):
    raise NotImplementedError("issue 4")
