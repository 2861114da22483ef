"""The machine and software a run measured: CPU, versions, BLAS kernels, threads, environment.

Also the two things the harness changes about its own process: the thread count of every
BLAS/OpenMP pool (``limit_threads``) and, with ``--unset-openblas-coretype``, the
OpenBLAS environment (``reexec_without_coretype``: the whole run starts again without
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, so every framework runs under the same one).
"""

import importlib.metadata
import json
import os
import platform
import subprocess
import sys

OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REMOVED_MARKER = "LEANNET_BENCH_REMOVED_ENV"
ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO", "KMP_", "BLIS_", "VECLIB_", "NUMEXPR_",
                "TORCH_", "LEANNET_", "GOMP_")
PACKAGES = ("leannet", "numpy", "scipy", "torch", "scikit-learn", "threadpoolctl", "tqdm")
KERNEL_PROBE = ("import json, numpy, threadpoolctl; print(json.dumps("
                "[i.get('architecture') for i in threadpoolctl.threadpool_info()"
                " if i.get('internal_api') == 'openblas' and 'numpy' in i['filepath']]))")


def reexec_without_coretype(argv):
    """Replace this process by the same command without the OpenBLAS overrides (once)."""
    if REMOVED_MARKER in os.environ:
        return
    env = dict(os.environ)
    removed = {name: env.pop(name) for name in OPENBLAS_OVERRIDES if name in env}
    env[REMOVED_MARKER] = json.dumps(removed)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *argv], env)


def removed_environment():
    """{name: value} removed by ``--unset-openblas-coretype``, or None without it."""
    marker = os.environ.get(REMOVED_MARKER)
    return None if marker is None else json.loads(marker)


def limit_threads(threads):
    """Cap every BLAS and OpenMP pool loaded so far (threadpoolctl) and PyTorch's pool."""
    notes = []
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        notes.append("threadpoolctl is not installed: numpy's BLAS threads were not capped")
    else:
        threadpool_limits(limits=threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    return notes


def numpy_kernel(env=None):
    """The OpenBLAS kernel numpy picks under ``env`` (a fresh interpreter), or an error."""
    done = subprocess.run([sys.executable, "-c", KERNEL_PROBE], env=env, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        return f"unknown ({done.stderr.strip().splitlines()[-1:]})"
    kernels = json.loads(done.stdout)
    return ", ".join(map(str, kernels)) if kernels else "numpy does not use OpenBLAS"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def lscpu():
    """{field: value} from ``lscpu`` (model, sockets, caches, flags...), {} without it."""
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    pairs = (line.split(":", 1) for line in output.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def versions():
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def blas_pools():
    """threadpoolctl's view of every BLAS/OpenMP library loaded: kernel, version, threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads",
            "threading_layer", "filepath")
    return [{key: pool.get(key) for key in keys} for pool in threadpool_info()]


def torch_threads():
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    return {"num_threads": torch.get_num_threads(),
            "num_interop_threads": torch.get_num_interop_threads(),
            "mkl": torch.backends.mkl.is_available(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "config": torch.__config__.show()}


def leannet_revision():
    """The git commit of the leannet being measured, and the files of src/ changed since."""
    import leannet

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(leannet.__file__))))
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=30).stdout.strip()
        changed = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "src"],
                                 capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit or None, "uncommitted_in_src": changed.splitlines()}


def environment_variables():
    return {key: value for key, value in sorted(os.environ.items())
            if key.startswith(ENV_PREFIXES) and key != REMOVED_MARKER}


def kernels_report():
    """The numpy OpenBLAS kernel of this run; with the OpenBLAS overrides set or removed,
    also the kernel under the other environment, so both are on record."""
    report = {"this_run": numpy_kernel(), "removed_env": removed_environment()}
    removed = report["removed_env"]
    if removed:
        report["with_original_env"] = numpy_kernel({**os.environ, **removed})
    present = {name: os.environ[name] for name in OPENBLAS_OVERRIDES if name in os.environ}
    if present:
        clean = {k: v for k, v in os.environ.items() if k not in OPENBLAS_OVERRIDES}
        report["without_overrides"] = numpy_kernel(clean)
    return report


def collect(threads, environment):
    """Everything about the machine and software, as a JSON-safe dict; ``environment`` is
    ``environment_variables()`` as it was when the run started (libraries set some)."""
    cpu = lscpu()
    return {
        "cpu_model": cpu.get("Model name") or cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "lscpu": cpu,
        "platform": platform.platform(),
        "versions": versions(),
        "leannet_revision": leannet_revision(),
        "threads_requested": threads,
        "blas_pools": blas_pools(),
        "torch": torch_threads(),
        "numpy_openblas_kernel": kernels_report(),
        "environment": environment,
        "environment_at_end": environment_variables(),
        "python_executable": sys.executable,
    }
