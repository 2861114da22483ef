"""The text table of ``model.summary()``, in the manner of Keras."""


def format_summary(model):
    rows = [("Layer (type)", "Output Shape", "Param #", "Trainable")]
    for layer in model.layers:
        shape = "?" if layer.output_shape is None else _shape(layer.output_shape)
        count = layer.count_parameters()
        trainable = "-" if count == 0 else ("yes" if layer.trainable else "frozen")
        rows.append((f"{layer.name} ({type(layer).__name__})", shape, f"{count:,}", trainable))
    widths = [max(len(row[i]) for row in rows) + 2 for i in range(4)]
    rule = "=" * sum(widths)

    def line(row):
        return "".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()

    params = model.parameters()
    trainable = sum(p.size for p in params if p.trainable)
    total = sum(p.size for p in params)
    input_shape = "?" if model.input_shape is None else _shape(model.input_shape)
    lines = [f'Model: "{model.name}"   input: {input_shape}', rule, line(rows[0]), rule]
    lines += [line(row) for row in rows[1:]]
    lines += [rule, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(lines)


def _shape(shape):
    return "(None, " + ", ".join(str(d) for d in shape) + ")"
