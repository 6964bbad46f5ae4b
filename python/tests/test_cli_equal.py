"""Every method's DataFrame equals the CLI's CSV for the same request: the Python package translates
arguments into the engine's requests and its reports into pandas, and computes nothing of its own."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import sovra
from conftest import REPO, assert_frame_equals_csv, read_cli_csv, run_cli

pd = pytest.importorskip("pandas")

EXAMPLES = REPO / "examples"


def same(sovra_bin, report, args, table=None, cli_table=True):
    """The report's table (the first by default) against the CLI's CSV of the same request (with `--table`
    unless the command writes a fixed table, as `shock` does its `nodes`)."""
    cli = list(args) + ["--format", "csv"] + (["--table", table] if table and cli_table else [])
    text = run_cli(sovra_bin, cli)
    assert_frame_equals_csv(report.to_pandas(table), read_cli_csv(text), what=" ".join(args))


ICIO_CASES = [
    ("multipliers", lambda d: d.multipliers(top=10), ["multipliers", "icio2022", "--top", "10"], None),
    ("linkages", lambda d: d.linkages(region="USA", top=15), ["linkages", "icio2022", "--region", "USA", "--top", "15"], None),
    ("blocs_show", lambda d: d.blocs("BRICS", as_of="2024-06-30"),
     ["blocs", "show", "BRICS", "--as-of", "2024-06-30", "--data", "icio2022"], None),
    ("depend", lambda d: d.depend("EU27", "CHN", top=10, min_output=1000),
     ["depend", "EU27", "--on", "CHN", "--top", "10", "--min-output", "1000"], None),
    ("depend_by_origin", lambda d: d.depend("EU27", "CHN", by="origin"),
     ["depend", "EU27", "--on", "CHN", "--by", "origin"], None),
    ("depend_products", lambda d: d.depend("DEU", "CHN", products=["8541", "8542"], top=10),
     ["depend", "DEU", "--on", "CHN", "--products", "8541,8542", "--top", "10"], None),
    ("keys", lambda d: d.keys("DEU", "CHN", top=5), ["keys", "DEU", "--on", "CHN", "--top", "5"], None),
    ("tiva", lambda d: d.tiva("DEU"), ["tiva", "--country", "DEU"], None),
    ("complexity", lambda d: d.complexity(top=15), ["complexity", "--top", "15"], None),
    ("alliances", lambda d: d.alliances("EU27", "CHN", "USA+JPN+KOR+IND", size=2),
     ["alliances", "EU27", "--against", "CHN", "--candidates", "USA+JPN+KOR+IND", "--size", "2",
      "--allow-unstable"], None),
    ("shock_draws", lambda d: d.shock("USA", "CHN", draws=8, tau="uniform:0.1:0.6", rho="triangular:-4:-1:-0.5", seed=3),
     ["shock", "USA", "--on", "CHN", "--draws", "8", "--tau", "uniform:0.1:0.6", "--rho", "triangular:-4:-1:-0.5",
      "--seed", "3"], None),
]


@pytest.mark.filterwarnings("ignore::sovra.UntrustworthyWarning")  # alliances: checked below
@pytest.mark.parametrize("name,call,args,table", ICIO_CASES, ids=[c[0] for c in ICIO_CASES])
def test_icio_method_equals_cli_csv(icio, sovra_bin, name, call, args, table):
    same(sovra_bin, call(icio), args, table)


def test_shock_equals_cli_csv(icio, sovra_bin):
    # the CLI's CSV of one scenario is its node table
    same(sovra_bin, icio.shock("USA", "CHN", top=8), ["shock", "USA", "--on", "CHN", "--top", "8"], "nodes",
         cli_table=False)


def test_product_legs_equal_cli_csv(icio, sovra_bin):
    r = icio.shock("USA", "CHN", instrument="export-ban", products=["8541", "8542"], model="extraction")
    assert len(r.to_pandas("blocks")) > 0
    same(sovra_bin, r, ["shock", "USA", "--on", "CHN", "--instrument", "export-ban", "--products", "8541,8542",
                        "--model", "extraction"], "nodes", cli_table=False)


def test_bridge_equals_cli_csv(sovra_bin):
    same(sovra_bin, sovra.bridge(["854231", "8486"]), ["bridge", "show", "854231", "8486"])


def test_projects_equal_cli_csv(icio, sovra_bin):
    f = EXAMPLES / "union-state-projects.toml"
    r = icio.projects(f)
    same(sovra_bin, r, ["projects", "evaluate", str(f)])
    r = icio.select_projects(f, budget=1500, budget_by={"RUS": 1000, "BLR": 500})
    same(sovra_bin, r, ["projects", "select", str(f), "--budget", "1500", "--budget-by", "RUS=1000,BLR=500"])


def test_sweep_streams_each_scenario_then_the_summary(icio, sovra_bin):
    stream = icio.sweep("USA", "CHN", sweep="tau=0.1:0.3:0.1", top=5)
    parts = list(stream)
    assert len(parts) == 3, [p.title for p in parts]
    assert [round(p.parameters["tau"], 3) for p in parts] == [0.1, 0.2, 0.3]
    assert stream.result is not None and stream.result.summary["scenarios"] == 3, stream.result.summary
    # the CLI streams the same parts as JSON lines
    lines = run_cli(sovra_bin, ["shock", "USA", "--on", "CHN", "--sweep", "tau=0.1:0.3:0.1", "--top", "5",
                                "--format", "json"]).splitlines()
    assert len(lines) == 3
    for part, line in zip(parts, lines):
        cli = json.loads(line)
        ours = json.loads(part.to_json())
        assert [f["key"] for f in ours["summary"]] == [f["key"] for f in cli["summary"]]
        for a, b in zip(ours["summary"], cli["summary"]):
            if isinstance(b["value"], float):
                assert a["value"] == pytest.approx(b["value"], rel=1e-9), a["key"]
            else:
                assert a["value"] == b["value"], a["key"]
    # each part is the one-scenario report of its parameters
    one = icio.shock("USA", "CHN", tau=0.2, top=5)
    assert parts[1].to_csv("nodes") == one.to_csv("nodes")


def test_complexity_of_a_dataframe_equals_cli_input(tmp_path, sovra_bin):
    rows = []
    for year in (2020, 2021):
        for i, c in enumerate(["AAA", "BBB", "CCC", "DDD", "EEE"]):
            for j, p in enumerate(["010101", "020202", "030303", "040404", "050505", "060606"]):
                v = float((i + 1) * (j + 2) % 7 + (year - 2019) * (i == j)) * 1000.0
                rows.append((year, c, p, v))
    df = pd.DataFrame(rows, columns=["year", "exporter", "product", "value"])
    f = tmp_path / "exports.csv"
    df.to_csv(f, index=False)
    r = sovra.complexity(df, convention="py-ecomplexity")
    same(sovra_bin, r, ["complexity", "--input", str(f), "--convention", "py-ecomplexity"])
    # the same with other column names, mapped
    r2 = sovra.complexity(df.rename(columns={"year": "t", "exporter": "i", "product": "k", "value": "v"}),
                          convention="py-ecomplexity", columns={"t": "year", "i": "exporter", "k": "product", "v": "value"})
    assert r2.to_csv() == r.to_csv()


@pytest.fixture(scope="module")
def trade_store(sovra_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("trade")
    raw = work / "synth2022.csv"
    run_cli(sovra_bin, ["trade", "synth", "--countries", "25", "--products", "300", "--year", "2022",
                        "--seed", "7", "--out", str(raw)])
    env = dict(os.environ, SOVRA_HOME=str(work / "home"))
    p = subprocess.run([str(sovra_bin), "trade", "import", str(raw), "--store", str(work / "store")],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    return work / "store"


def test_trade_store_methods_equal_cli_csv(trade_store, sovra_bin):
    ts = sovra.TradeStore(trade_store)
    s = str(trade_store)
    same(sovra_bin, ts.depend("C001", each=True), ["trade", "depend", "C001", "--each", "--input", s])
    same(sovra_bin, ts.depend("C001", "C002"), ["trade", "depend", "C001", "--on", "C002", "--input", s])
    same(sovra_bin, ts.opportunities("C005", top=15), ["opportunities", "C005", "--top", "15", "--input", s])
    dep = ts.depend("C001").to_pandas()
    if len(dep):
        product = str(dep["product"].iloc[0]) if "product" in dep else str(dep.iloc[0, 1])
        same(sovra_bin, ts.suppliers("C001", product),
             ["trade", "suppliers", "C001", "--product", product, "--input", s])
    same(sovra_bin, ts.complexity(top=10), ["complexity", "--input", s, "--top", "10"])


def wiod(sovra_bin):
    names = sovra.datasets().to_pandas()["name"].tolist()
    if "wiod2013" not in names:
        msg = "NOTICE: wiod2013 is not in the store (scripts/test imports it from ../shared): monitor and decompose skipped"
        if os.environ.get("SOVRA_REQUIRE_SHARED"):
            pytest.fail(msg)
        pytest.skip(msg)
    return sovra.Dataset("wiod2013")


def test_monitor_and_decompose_equal_cli_csv(sovra_bin):
    w = wiod(sovra_bin)
    prog = EXAMPLES / "rus-programme.toml"
    r = w.monitor("RUS", "EU27", programme=prog, kpis=["import_penetration"])
    args = ["monitor", "RUS", "--on", "EU27", "--data", "wiod2013", "--programme", str(prog), "--kpis", "import_penetration"]
    same(sovra_bin, r, args)
    same(sovra_bin, r, args, "targets")
    r = w.decompose("RUS", "CHN", 1995, 2011, by_sector=True)
    same(sovra_bin, r, ["decompose", "RUS", "--on", "CHN", "--data", "wiod2013", "--from", "1995", "--to", "2011",
                        "--by", "sector"])


def test_an_untrustworthy_result_warns(icio):
    with pytest.warns(sovra.UntrustworthyWarning, match="not trustworthy"):
        r = icio.alliances("EU27", "CHN", "USA+JPN+KOR+IND", size=2)
    assert r.summary["trustworthy"] is False
