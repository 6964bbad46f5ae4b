"""The README's Python example prints what the README says it prints."""

import contextlib
import io
import re

from conftest import REPO


def test_readme_python_example(icio):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    m = re.search(r"```python\n(.*?)```\n\n```text\n(.*?)```", section, re.S)
    assert m, "the README's Python section has a ```python block followed by its ```text output"
    code, expected = m.group(1), m.group(2)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (Python)", "exec"), {})
    assert out.getvalue() == expected
