"""pymrio's test system through `Dataset.from_pymrio` matches pymrio's own `calc_all()` at relative 1e-9:
output multipliers (column sums of L) and, per stressor, the regional accounts D_cba, D_pba, D_imp, D_exp and
the node accounts — the conformance the Rust suite checks on pymrio's dumps, now from Python."""

import numpy as np
import pytest

import sovra

pymrio = pytest.importorskip("pymrio", reason="pymrio is installed by scripts/test; pip install pymrio")

RTOL = 1e-9


@pytest.fixture(scope="module")
def systems():
    raw = pymrio.load_test()
    ds_raw = sovra.Dataset.from_pymrio(raw, name="pymrio_raw")  # before calc_all: Z, Y and F only
    ref = pymrio.load_test()
    ref.calc_all()
    ds_calc = sovra.Dataset.from_pymrio(ref, name="pymrio_calc")  # after calc_all: x is checked too
    return ref, ds_raw, ds_calc


def close(ours, theirs, what):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    scale = np.maximum(np.abs(theirs), 1e-300)
    err = np.max(np.abs(ours - theirs) / np.where(np.abs(theirs) > 0, scale, 1.0))
    assert err <= RTOL, f"{what}: max relative difference {err:.3e} > {RTOL}"


@pytest.mark.parametrize("which", ["raw", "calc"])
def test_output_multipliers_match_pymrio(systems, which):
    ref, ds_raw, ds_calc = systems
    ds = ds_raw if which == "raw" else ds_calc
    df = ds.multipliers().to_pandas()
    assert len(df) == 48
    theirs = ref.L.sum(axis=0)
    got = df.set_index(["region", "sector"])["output_multiplier"]
    close(got.reindex(theirs.index).to_numpy(), theirs.to_numpy(), f"output multipliers ({which})")


def stressor_rows(ref):
    for ext_name in sorted(ref.get_extensions()):
        ext = getattr(ref, ext_name)
        for row in ext.F.index:
            label = "/".join(map(str, row)) if isinstance(row, tuple) else str(row)
            yield ext_name, ext, row, f"{ext_name}/{label}"


def test_regional_footprints_match_pymrio(systems):
    ref, ds, _ = systems
    checked = 0
    for ext_name, ext, row, name in stressor_rows(ref):
        df = ds.footprint(name).to_pandas().set_index("region")
        for acc in ["D_cba", "D_pba", "D_imp", "D_exp"]:
            theirs = getattr(ext, f"{acc}_reg").loc[row]
            ours = df[acc.lower()].reindex(theirs.index)
            close(ours.to_numpy(), theirs.to_numpy(), f"{name} {acc}_reg")
            checked += 1
    assert checked == 4 * 3, checked  # 2 emission rows + 1 factor input, 4 accounts each


def test_node_footprints_match_pymrio(systems):
    ref, ds, _ = systems
    for ext_name, ext, row, name in stressor_rows(ref):
        df = ds.footprint(name, by="node").to_pandas().set_index(["region", "sector"])
        for acc in ["D_cba", "D_pba"]:
            theirs = getattr(ext, acc).loc[row]
            ours = df[acc.lower()].reindex(theirs.index)
            close(ours.to_numpy(), theirs.to_numpy(), f"{name} {acc} by node")


def test_stressor_names_and_units_follow_the_cli_import(systems):
    _, ds, _ = systems
    assert ds.info().summary["stressors"] == 3
    with pytest.raises(sovra.UsageError) as e:
        ds.footprint("nope")
    assert e.value.field == "stressor"
    assert "emissions/emission_type1/air" in str(e.value) and "factor_inputs/Value Added" in str(e.value)
    r = ds.footprint("emissions/emission_type1/air")
    assert r.figures[0]["unit"] == "kg" or any(f.get("unit") == "kg" for f in r.figures), r.figures


def test_a_system_without_z_is_refused():
    io = pymrio.load_test()
    io.Z = None
    with pytest.raises(sovra.UsageError, match="no Z"):
        sovra.Dataset.from_pymrio(io, name="noz")


def test_from_pymrio_equals_the_cli_on_the_saved_system(tmp_path, sovra_bin):
    """The same system saved with pymrio's save_all and imported by the CLI gives the same dependence tables
    (and region codes in pymrio's lower case resolve)."""
    import os

    from conftest import assert_frame_equals_csv, read_cli_csv, run_cli

    io = pymrio.load_test()
    io.save_all(str(tmp_path / "saved"))
    env = dict(os.environ, SOVRA_HOME=str(tmp_path / "home"))
    run_cli(sovra_bin, ["data", "import", "--format", "pymrio", str(tmp_path / "saved"), "--name", "testmrio"], env=env)
    ds = sovra.Dataset.from_pymrio(pymrio.load_test(), name="testmrio_mem")
    for method, args in [
        (lambda: ds.depend("reg1", "reg2+reg5"), ["depend", "reg1", "--on", "reg2+reg5", "--data", "testmrio"]),
        (lambda: ds.keys("reg1", "reg2"), ["keys", "reg1", "--on", "reg2", "--data", "testmrio"]),
        (lambda: ds.shock("reg2", "reg1", instrument="export-ban", as_of="2024-01-01"),
         ["shock", "reg2", "--on", "reg1", "--instrument", "export-ban", "--as-of", "2024-01-01", "--data", "testmrio"]),
    ]:
        r = method()
        table = "nodes" if args[0] == "shock" else None
        text = run_cli(sovra_bin, args + ["--format", "csv"], env=env)
        assert_frame_equals_csv(r.to_pandas(table), read_cli_csv(text), what=" ".join(args))
