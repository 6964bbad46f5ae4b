"""Shared fixtures of the Python suite: the `sovra` CLI binary (for the same-request comparisons), the store,
and the default dataset (icio2022), which `scripts/test` fetches first; without it those tests skip with a
notice, unless SOVRA_REQUIRE_ICIO is set (as scripts/test does), when they fail."""

import csv
import io
import math
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import sovra

REPO = Path(__file__).resolve().parents[2]


def _binary():
    if os.environ.get("SOVRA_BIN"):
        return Path(os.environ["SOVRA_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "sovra"


@pytest.fixture(scope="session")
def sovra_bin():
    b = _binary()
    if not b.is_file():
        pytest.fail(f"the sovra binary {b} is missing: build it with `cargo build --release --bin sovra` "
                    "(or set SOVRA_BIN)")
    return b


@pytest.fixture(scope="session")
def icio(sovra_bin):
    """The default dataset, loaded once for the session (skips with a notice when it is not in the store)."""
    names = sovra.datasets().to_pandas()["name"].tolist()
    if "icio2022" not in names:
        msg = f"NOTICE: icio2022 is not in the store {sovra.engine().home}: run `sovra data fetch` (scripts/test does)"
        if os.environ.get("SOVRA_REQUIRE_ICIO"):
            pytest.fail(msg)
        pytest.skip(msg)
    return sovra.load("icio2022", progress=False)


def run_cli(sovra_bin, args, env=None):
    """The CLI's output for `args` (which end in --format csv), as its text."""
    p = subprocess.run([str(sovra_bin), *args], capture_output=True, text=True, env=env)
    assert p.returncode == 0, f"sovra {' '.join(args)} failed: {p.stderr}"
    return p.stdout


def read_cli_csv(text):
    """The CSV table of `--format csv` (the `# ` lines before the header are the report's metadata)."""
    lines = [l for l in text.splitlines() if not l.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    header, body = rows[0], rows[1:]
    return {k: [r[i] for r in body] for i, k in enumerate(header)}


def assert_frame_equals_csv(df, table, rtol=1e-9, what=""):
    """Every column of the DataFrame equals the CLI's CSV column of the same key: numbers to `rtol`
    (missing = NaN = empty field), text exactly (missing = empty field)."""
    assert list(df.columns) == list(table.keys()), f"{what}: columns {list(df.columns)} vs {list(table.keys())}"
    n = len(df)
    for key, cells in table.items():
        assert len(cells) == n, f"{what}: {key} has {len(cells)} CSV rows, the DataFrame {n}"
        col = df[key]
        if col.dtype.kind in "fi":
            ours = col.to_numpy(dtype=float)
            theirs = np.array([float(c) if c != "" else math.nan for c in cells])
            both_nan = np.isnan(ours) & np.isnan(theirs)
            close = np.isclose(ours, theirs, rtol=rtol, atol=0.0) | both_nan
            assert close.all(), (f"{what}: column {key} differs at rows {np.flatnonzero(~close)[:5]}: "
                                 f"{ours[~close][:5]} vs {theirs[~close][:5]}")
        elif col.dtype.kind == "b":
            assert [str(v).lower() for v in col] == [c.lower() for c in cells], f"{what}: column {key}"
        else:
            ours = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in col]
            assert ours == cells, f"{what}: column {key} differs"
