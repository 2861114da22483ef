"""The guide cannot drift from the code: every snippet in docs/guide prints what its page
says it prints, and every page points at functions that exist.

A snippet is a fenced ```python block followed immediately by a fenced ```text block that
holds exactly its stdout. The blocks of one page run in order, in one namespace, in a fresh
interpreter (working directory: a temporary folder), with BLAS limited to one thread so
that the printed numbers do not depend on the machine's load.

After an intentional change to the code, rewrite a page's text blocks with what its
snippets now print, then read the diff before committing it:

    python tests/test_guide.py docs/guide/04-backpropagation.md
"""

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide"
PAGES = sorted(GUIDE.glob("[0-9][0-9]-*.md"))

FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.S | re.M)
POINTER = re.compile(r"`(src/leannet/[\w/]+\.py): ([A-Za-z_][\w.]*)`")
FORMULA = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PAGE_TIMEOUT_S = 120

# Runs in the child interpreter: reads a JSON list of code blocks on stdin, runs them in
# one namespace, writes one JSON record per block (stdout, error, seconds) on stdout.
RUNNER = r"""
import contextlib, io, json, sys, time, traceback
blocks = json.load(sys.stdin)
real_stdout, namespace, records = sys.stdout, {"__name__": "__guide__"}, []
for number, code in enumerate(blocks, 1):
    captured, error, start = io.StringIO(), None, time.perf_counter()
    with contextlib.redirect_stdout(captured):
        try:
            exec(compile(code, f"<snippet {number}>", "exec"), namespace)
        except BaseException:
            error = traceback.format_exc()
    records.append({"stdout": captured.getvalue(), "error": error,
                    "seconds": time.perf_counter() - start})
    if error:
        break
real_stdout.write(json.dumps(records))
"""


def fences(text):
    """Every fenced block as (language, body, start, end) in page order."""
    return [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]


def snippets(text):
    """(code, expected stdout, span of the text block) for each python block; a python
    block not followed (after blank lines only) by a text block is an error."""
    blocks, found = fences(text), []
    for index, (language, body, _, end) in enumerate(blocks):
        if language != "python":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is None or following[0] != "text" or text[end:following[2]].strip():
            line = text[:end].count("\n") + 1
            raise ValueError(f"the python block ending on line {line} is not followed "
                             "immediately by a ```text block with its output")
        found.append((body, following[1], (following[2], following[3])))
    return found


def prose(text):
    """The page without its fenced blocks (formulas and pointers are looked for here)."""
    return FENCE.sub("", text)


def run_blocks(blocks, cwd):
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, "1"), "PYTHONHASHSEED": "0"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(blocks),
                            capture_output=True, text=True, cwd=cwd, env=env,
                            timeout=PAGE_TIMEOUT_S)
    if result.returncode != 0:
        raise RuntimeError(f"the snippet runner failed:\n{result.stderr}")
    return json.loads(result.stdout)


def normalise(output):
    return "\n".join(line.rstrip() for line in output.strip("\n").splitlines())


def page_id(page):
    return page.name


def test_the_guide_has_its_pages_and_a_table_of_contents():
    assert len(PAGES) >= 12, [p.name for p in PAGES]
    numbers = [int(p.name[:2]) for p in PAGES]
    assert numbers == list(range(1, len(PAGES) + 1)), "pages must be numbered 01, 02, ..."
    contents = (GUIDE / "README.md").read_text()
    linked = re.findall(r"\]\(([^)#]+\.md)\)", contents)
    assert linked == [p.name for p in PAGES], "docs/guide/README.md must link every page, in order"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_page_has_a_snippet_a_formula_and_pointers_that_exist(page):
    text = page.read_text()
    assert snippets(text), f"{page.name}: no ```python snippet with a ```text output block"
    assert FORMULA.search(prose(text)), f"{page.name}: no $...$ formula"
    pointers = POINTER.findall(prose(text))
    assert pointers, f"{page.name}: no `src/leannet/<file>.py: <name>` pointer"
    for path, name in pointers:
        source = ROOT / path
        assert source.is_file(), f"{page.name}: {path} does not exist"
        assert defines(ast.parse(source.read_text()), name.split(".")), (
            f"{page.name}: {path} defines no {name}"
        )


def defines(node, parts):
    """True when the module (or class) ``node`` defines the dotted name ``parts``."""
    for child in node.body:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [child.name]
        elif isinstance(child, ast.Assign):
            names = [t.id for t in child.targets if isinstance(t, ast.Name)]
        elif isinstance(child, ast.AnnAssign) and isinstance(child.target, ast.Name):
            names = [child.target.id]
        else:
            continue
        if parts[0] in names:
            if len(parts) == 1:
                return True
            if isinstance(child, ast.ClassDef) and defines(child, parts[1:]):
                return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_page_snippets_print_what_the_page_shows(page, tmp_path):
    found = snippets(page.read_text())
    records = run_blocks([code for code, _, _ in found], tmp_path)
    # the runner stops at the first snippet that raises: records may be shorter
    for number, ((code, expected, _), record) in enumerate(zip(found, records, strict=False), 1):
        assert record["error"] is None, (
            f"{page.name}, snippet {number} raised:\n{record['error']}\ncode:\n{code}"
        )
        assert normalise(record["stdout"]) == normalise(expected), (
            f"{page.name}, snippet {number} printed something else.\ncode:\n{code}"
        )
    assert len(records) == len(found)


def rewrite_outputs(page):
    """Replace each text block of ``page`` with what its snippet prints now."""
    text = page.read_text()
    found = snippets(text)
    with tempfile.TemporaryDirectory() as folder:
        records = run_blocks([code for code, _, _ in found], folder)
    failed = [record["error"] for record in records if record["error"]]
    if failed:
        sys.exit(f"{page}: a snippet raised:\n{failed[0]}")
    for (_, _, (start, end)), record in reversed(list(zip(found, records, strict=True))):
        output = normalise(record["stdout"])
        text = text[:start] + f"```text\n{output}\n```" + text[end:]
    page.write_text(text)
    for number, record in enumerate(records, 1):
        print(f"{page.name} snippet {number}: {record['seconds']:.2f} s")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        rewrite_outputs(Path(argument).resolve())
