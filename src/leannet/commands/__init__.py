"""The commands of ``leannet ...``, one module each; ``leannet.cli`` parses and dispatches.

Each module has ``register(subparsers)``, which adds its sub-command and sets ``run`` (a
function of the parsed arguments) as the handler. Expected failures raise
``CommandError`` (one line for the user, exit code 1) or ``UsageError`` (exit code 2).
"""
