"""The package's contract beyond the numbers: tables from numpy read in place, errors as exceptions whose
class follows the engine's error kind and whose message names the argument, reports as pandas, Arrow, JSON and
HTML, progress, and Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import sovra
from conftest import REPO


def small_table(n_regions=3, n_sectors=4, seed=1, order="C"):
    rng = np.random.default_rng(seed)
    n = n_regions * n_sectors
    Z = rng.uniform(0.0, 10.0, (n, n))
    Y = rng.uniform(50.0, 100.0, (n, n_regions))
    regions = [f"R{i}" for i in range(n_regions)]
    sectors = [f"s{j}" for j in range(n_sectors)]
    return np.asarray(Z, order=order), np.asarray(Y, order=order), regions, sectors


def test_from_arrays_matches_the_textbook_leontief_inverse():
    Z, Y, regions, sectors = small_table()
    ds = sovra.Dataset.from_arrays(Z, Y, regions, sectors, name="tiny")
    x = Z.sum(1) + Y.sum(1)
    A = Z / x
    L = np.linalg.inv(np.eye(len(x)) - A)
    df = ds.multipliers().to_pandas().set_index(["region", "sector"])
    nodes = [(r, s) for r in regions for s in sectors]
    got = df["output_multiplier"].reindex(nodes).to_numpy()
    np.testing.assert_allclose(got, L.sum(0), rtol=1e-12)
    np.testing.assert_allclose(df["gross_output"].reindex(nodes).to_numpy(), x, rtol=1e-14)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="resident memory is read from /proc (Linux)")
def test_c_contiguous_float64_is_read_in_place_and_fortran_order_is_copied_once():
    # 40 regions × 100 sectors: Z is 4000 × 4000 float64 = 128 MB.
    nr, ns = 40, 100
    n = nr * ns
    Z = np.empty((n, n))
    Z.fill(0.01)  # every page resident before the measurement
    Y = np.full((n, nr), 1.0)
    regions = [f"R{i:02d}" for i in range(nr)]
    sectors = [f"S{j:03d}" for j in range(ns)]
    before = rss_bytes()
    ds = sovra.Dataset.from_arrays(Z, Y, regions, sectors, name="big_c")
    grown_c = rss_bytes() - before
    assert ds.shares_memory()
    assert grown_c < 0.25 * Z.nbytes, f"C order: resident memory grew {grown_c / 1e6:.1f} MB for a {Z.nbytes / 1e6:.0f} MB Z"
    sovra.engine().remove_table("big_c")
    del ds

    Zf = np.asfortranarray(Z)
    del Z
    before = rss_bytes()
    ds = sovra.Dataset.from_arrays(Zf, Y, regions, sectors, name="big_f")
    grown_f = rss_bytes() - before
    # the measurement can tell the two apart: Fortran order costs one C-order copy
    assert grown_f > 0.9 * Zf.nbytes, f"F order: grew only {grown_f / 1e6:.1f} MB"
    sovra.engine().remove_table("big_f")


def test_a_write_after_loading_does_not_reach_the_callers_array():
    Z, Y, regions, sectors = small_table()
    keep = Z.copy()
    ds = sovra.Dataset.from_arrays(Z, Y, regions, sectors, name="cow")
    ds.multipliers()
    np.testing.assert_array_equal(Z, keep)


@pytest.mark.parametrize(
    "mutate,cls,field,needle",
    [
        (lambda Z, Y: (Z[:-1], Y), sovra.UsageError, "Z", "shape"),
        (lambda Z, Y: (Z, Y[:-1]), sovra.UsageError, "Y", "shape"),
        (lambda Z, Y: (Z.astype(np.int64), Y), sovra.UsageError, None, "Z: expected an array of floats"),
        (lambda Z, Y: (np.array([["a"]]), Y), sovra.UsageError, None, "Z: expected an array of floats"),
        (lambda Z, Y: (Z.ravel(), Y), sovra.UsageError, None, "Z: expected a 2-d array"),
        (lambda Z, Y: (np.where(np.eye(len(Z)) > 0, np.nan, Z), Y), sovra.BadDataError, "Z", "not a finite number"),
        (lambda Z, Y: (Z, np.where(Y > 0, np.inf, Y)), sovra.BadDataError, "Y", "not a finite number"),
        (lambda Z, Y: (Z, -1000.0 * Y), sovra.BadDataError, None, "output"),
    ],
    ids=["Z-shape", "Y-shape", "Z-int", "Z-str", "Z-1d", "Z-nan", "Y-inf", "negative-output"],
)
def test_bad_arrays_raise_naming_the_argument(mutate, cls, field, needle):
    Z, Y, regions, sectors = small_table()
    Z2, Y2 = mutate(Z, Y)
    with pytest.raises(cls) as e:
        sovra.Dataset.from_arrays(Z2, Y2, regions, sectors, name="bad")
    assert needle in str(e.value), str(e.value)
    if field is not None:
        assert e.value.field == field, (e.value.field, str(e.value))
    assert isinstance(e.value, sovra.SovraError)


def test_bad_labels_raise_naming_the_argument():
    Z, Y, regions, sectors = small_table()
    with pytest.raises(sovra.UsageError, match="regions: 'R0' appears twice"):
        sovra.Dataset.from_arrays(Z, Y, ["R0", "R0", "R2"], sectors, name="bad")
    with pytest.raises(sovra.UsageError, match="name"):
        sovra.Dataset.from_arrays(Z, Y, regions, sectors, name="../escape")


def test_unknown_names_and_fields_raise_with_choices():
    Z, Y, regions, sectors = small_table()
    ds = sovra.Dataset.from_arrays(Z, Y, regions, sectors, name="errs")
    with pytest.raises(sovra.UsageError) as e:
        ds.depend("R0", "R9")
    assert e.value.field == "them" and e.value.kind == "usage", (e.value.field, str(e.value))
    with pytest.raises(sovra.UsageError) as e:
        ds._run("depend", False, us="R0", them="R1", colour="red")
    assert e.value.field == "colour" and "colour" in str(e.value)
    with pytest.raises(sovra.NotFoundError) as e:
        sovra.load("no-such-dataset")
    assert e.value.field == "data" and e.value.kind == "not_found"
    with pytest.raises(sovra.UsageError) as e:
        ds.depend("R0", "R1").to_pandas("no_such_table")
    assert e.value.field == "table" and "sectors" in e.value.choices
    with pytest.raises(sovra.UsageError, match="exports"):
        sovra.complexity([1, 2, 3])


def test_report_api():
    Z, Y, regions, sectors = small_table()
    ds = sovra.Dataset.from_arrays(Z, Y, regions, sectors, name="api", units="USD million")
    r = ds.depend("R0", "R1")
    assert r.kind == "depend"
    assert "R0" in r.title and "R1" in r.title
    assert 0.0 < r.summary["value_added_from_them"] < 1.0
    assert r.provenance["dataset"] == "api" and r.provenance["units"] == "USD million"
    assert list(r.tables)[0] == "sectors"
    df = r.to_pandas()
    assert list(df.columns) == list(r.columns())
    assert df.attrs["columns"]["value_added_from_them"]["kind"] == "share"
    assert len(df) == 4  # R0's sectors
    d = json.loads(r.to_json())
    assert d["kind"] == "depend" and d["summary"][0]["key"]
    html = r._repr_html_()
    assert "<table" in html and "value_added_from_them" not in html.split("<thead>")[0]
    assert r.to_html().lstrip().lower().startswith("<!doctype html>")
    assert "sectors (4 rows)" in repr(r)
    t = r.to_arrow()
    assert hasattr(t, "__arrow_c_stream__")
    pa = pytest.importorskip("pyarrow", reason="pyarrow is optional; the Arrow PyCapsule export is checked with it")
    at = pa.table(t)
    assert at.num_rows == 4 and at.schema.field("value_added_from_them").metadata[b"kind"] == b"share"
    assert pa.table(r).num_rows == 4


def test_progress_callback_sees_the_stages():
    Z, Y, regions, sectors = small_table()
    ds = sovra.Dataset.from_arrays(Z, Y, regions, sectors, name="prog")
    seen = []
    stream = ds.sweep("R0", "R1", sweep="tau=0.1:0.9:0.1", progress=lambda s, d, t: seen.append((s, d, t)))
    n = sum(1 for _ in stream)
    assert n == 9
    assert stream.result is not None and stream.result.kind == "shock"


CTRL_C = textwrap.dedent(
    """
    import signal, sys, sovra, numpy as np
    # Python's own Ctrl-C handler, whatever the parent left (a shell's background job inherits SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = np.random.default_rng(3)
    nr, ns = 12, 40
    n = nr * ns
    Z = rng.uniform(0, 1, (n, n)); Y = rng.uniform(5, 10, (n, nr))
    ds = sovra.Dataset.from_arrays(Z, Y, [f"R{i}" for i in range(nr)], [f"s{j}" for j in range(ns)], name="cc")
    started = []
    def cb(stage, done, total):
        if not started:
            started.append(1); print("started", flush=True)
    try:
        ds.engine.run("shock", '{"data": "cc", "sanctioning": "R0", "target": "R1", '
                      '"sweep": "tau=0.01:0.99:0.0005,delta=0.05,0.1,0.15"}', cb)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


def test_ctrl_c_stops_a_long_call(tmp_path):
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C)
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    assert line == "started", (line, p.stderr.read() if p.poll() is not None else "")
    time.sleep(0.3)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("the call did not stop within 20 s of Ctrl-C")
    stopped = time.monotonic() - sent
    assert p.returncode == 3, (p.returncode, out, err)
    assert "interrupted" in out
    assert stopped < 5.0, f"took {stopped:.1f} s to stop"


def test_the_type_stubs_describe_the_native_module():
    """Every class and method of `_sovra.pyi` exists in the module, and every public one of the module is in
    the stub."""
    import ast
    from pathlib import Path

    import sovra._sovra as native

    stub = ast.parse((Path(sovra.__file__).parent / "_sovra.pyi").read_text())
    classes = {n.name: n for n in stub.body if isinstance(n, ast.ClassDef)}
    for name, node in classes.items():
        cls = getattr(native, name)
        for f in node.body:
            if isinstance(f, ast.FunctionDef) and not f.name.startswith("__"):
                assert hasattr(cls, f.name), f"{name}.{f.name} is in the stub but not in the module"
    for name in ("Engine", "Report", "ReportStream"):
        stubbed = {f.name for f in classes[name].body if isinstance(f, ast.FunctionDef)}
        public = {m for m in dir(getattr(native, name)) if not m.startswith("__")}
        assert public <= stubbed, f"{name}: not in the stub: {sorted(public - stubbed)}"
    for name in dir(native):
        if not name.startswith("_") and isinstance(getattr(native, name), type):
            assert name in classes, f"{name} is not in the stub"
