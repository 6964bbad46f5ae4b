"""sovra from Python: where an economy depends on foreign supply, what an embargo would do, who could supply
instead, which projects cut the dependence most — sovra's Rust engine in-process, on the same requests and
reports as the CLI and the HTTP API.

>>> import sovra
>>> eu = sovra.load("icio2022")                    # fetched once into the sovra store, then kept loaded
>>> r = eu.depend("EU27", "CHN", top=10, min_output=1000)
>>> r.summary["value_added_from_them"]                           # doctest: +SKIP
0.0154...
>>> df = r.to_pandas()                              # the sectors table, one column per machine key

A pymrio user: ``sovra.Dataset.from_pymrio(io)`` takes an ``IOSystem`` as it is (Z, Y, x and the extensions'
F, F_Y) and adds what pymrio does not compute: dependence through third countries, shocks, key sectors,
projects. Every call releases the GIL, shows progress on long work, and stops on Ctrl-C.
"""

from __future__ import annotations

import json as _json
import os as _os
import warnings as _warnings
from pathlib import Path as _Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from ._sovra import (  # noqa: F401  (re-exported)
    BadDataError,
    BusyError,
    CancelledError,
    ComputeError,
    Engine,
    ExternalError,
    NotFoundError,
    Report,
    ReportStream,
    SovraError,
    UsageError,
    __version__,
)

__all__ = [
    "Dataset",
    "UntrustworthyWarning",
    "Engine",
    "Report",
    "ReportStream",
    "TradeStore",
    "SovraError",
    "UsageError",
    "NotFoundError",
    "BadDataError",
    "ComputeError",
    "ExternalError",
    "CancelledError",
    "BusyError",
    "blocs",
    "bridge",
    "complexity",
    "datasets",
    "engine",
    "fetch",
    "load",
    "__version__",
]

Progress = Union[None, bool, Callable[[str, int, int], Any]]
"""``None``: a progress line on stderr for calls over a second; ``True``: always; ``False``: never; a
callable: called with ``(stage, done, total)`` instead."""

TomlSource = Union[str, "_os.PathLike[str]"]
"""A TOML file (a path that exists) or TOML text."""

_ENGINE: Optional[Engine] = None


class UntrustworthyWarning(UserWarning):
    """A shock was computed but did not converge or failed its stability check: the report is returned,
    flagged ``summary["trustworthy"] == False`` (the CLI exits with code 3 for it)."""


def _checked(r: Report) -> Report:
    if r.summary.get("trustworthy") is False:
        why = next((n for n in r.notes if "trustworthy" in n), "see the report's notes")
        _warnings.warn(f"{r.title}: computed but not trustworthy: {why}", UntrustworthyWarning, stacklevel=3)
    return r


def engine() -> Engine:
    """The engine every call uses unless given another: on the sovra store (``$SOVRA_HOME``, else
    ``~/.local/share/sovra``), created on first use and kept, with the tables it has loaded."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


def _request(**fields: Any) -> str:
    """The JSON of a request: fields left at None take the engine's defaults."""
    return _json.dumps({k: v for k, v in fields.items() if v is not None})


def _toml(arg: str, value: Optional[TomlSource]) -> Optional[dict]:
    """A TOML argument as the engine takes it: the text, and where it came from (for error messages)."""
    if value is None:
        return None
    if isinstance(value, _os.PathLike) or (
        isinstance(value, str) and "\n" not in value and "=" not in value
    ):
        path = _Path(value)
        if not path.is_file():
            raise UsageError(f"{arg}: {path} is not a file (give a TOML file or TOML text)")
        return {"toml": path.read_text(encoding="utf-8"), "origin": str(path)}
    if not isinstance(value, str):
        raise UsageError(f"{arg}: expected a path to a TOML file or TOML text, got {type(value).__name__}")
    return {"toml": value, "origin": arg}


def _blocs(value: Optional[TomlSource]) -> Optional[dict]:
    return _toml("blocs", value)


def datasets(*, engine: Optional[Engine] = None) -> Report:
    """The datasets in the sovra store (name, title, years, regions, sectors).

    >>> sovra.datasets().to_pandas()[["name", "regions", "sectors"]]   # doctest: +SKIP
    """
    return (engine or globals()["engine"]()).run("datasets", "{}", False)


def fetch(name: str = "icio2022", *, force: bool = False, progress: Progress = None,
          engine: Optional[Engine] = None) -> str:
    """Fetches a dataset into the store once (``icio2022``: the OECD ICIO 2025 release, year 2022, through
    pip; ``classifications``: HS and sector names); returns what happened.

    >>> sovra.fetch("icio2022")                        # doctest: +SKIP
    'icio2022 is already in /root/.local/share/sovra/icio2022'
    """
    return (engine or globals()["engine"]()).fetch(name, force, progress)


def load(name: str = "icio2022", year: Optional[int] = None, *, progress: Progress = None,
         engine: Optional[Engine] = None) -> "Dataset":
    """A dataset of the store, loaded now and kept (the default dataset is fetched on first use).

    ``year`` picks a year of a series (e.g. the WIOD 2013 series); the latest when omitted.

    >>> icio = sovra.load()                            # doctest: +SKIP
    >>> icio.info().summary["regions"]                 # doctest: +SKIP
    80
    """
    e = engine or globals()["engine"]()
    ds = Dataset(name, year=year, engine=e)
    ds._labels = e.load(name, year, progress)
    return ds


def blocs(as_of: Optional[str] = None, *, blocs: Optional[TomlSource] = None,
          engine: Optional[Engine] = None) -> Report:
    """The blocs sovra knows (EU27, EAEU, BRICS, G7, …) and their members on a date (YYYY-MM-DD)."""
    return (engine or globals()["engine"]()).run(
        "blocs_list", _request(as_of=as_of, blocs=_blocs(blocs)), False)


def bridge(codes: Union[str, Sequence[str]], *, engine: Optional[Engine] = None) -> Report:
    """Where HS product codes (HS6, HS4, chapters, sections) land on the ICIO sectors, with the weights
    product-level shock legs use (table ``landing``)."""
    codes = [codes] if isinstance(codes, str) else [str(c) for c in codes]
    return (engine or globals()["engine"]()).run("bridge_show", _request(codes=codes), False)


def complexity(exports: Any, *, year: Optional[int] = None, rca_threshold: float = 1.0,
               convention: str = "stata", by: str = "country", top: Optional[int] = None,
               fitness: bool = False, columns: Optional[dict] = None, progress: Progress = None,
               engine: Optional[Engine] = None) -> Report:
    """Economic complexity (RCA, diversity, ubiquity, ECI, PCI, COI; fitness on request) of exports given
    as a pandas DataFrame in long form: one row per year, exporter and product with its value.

    ``columns`` maps other column names onto ``year``, ``exporter``, ``product``, ``value``
    (e.g. ``{"t": "year", "i": "exporter", "k": "product", "v": "value"}`` for BACI).
    ``convention``: ``"stata"`` (Stata ecomplexity) or ``"py-ecomplexity"``; ``by``: ``"country"`` or
    ``"product"``.

    >>> df = pandas.DataFrame({"year": 2020, "exporter": ["A", "A", "B"], "product": ["x", "y", "x"],
    ...                        "value": [1.0, 2.0, 3.0]})
    >>> sovra.complexity(df, convention="py-ecomplexity").to_pandas()   # doctest: +SKIP
    """
    want = ["year", "exporter", "product", "value"]
    if not hasattr(exports, "columns") or not hasattr(exports, "to_csv"):
        raise UsageError(f"exports: expected a pandas DataFrame with columns {', '.join(want)}, "
                         f"got {type(exports).__name__}")
    df = exports.rename(columns=columns) if columns else exports
    missing = [c for c in want if c not in df.columns]
    if missing:
        raise UsageError(f"exports: no column {', '.join(missing)} (columns: {', '.join(map(str, df.columns))}; "
                         "map yours with columns={...})")
    text = df[want].to_csv(index=False, float_format="%.17g")
    req = _request(year=year, rca_threshold=rca_threshold, convention=convention, by=by, top=top,
                   fitness=fitness)
    return (engine or globals()["engine"]()).complexity_text(text, "the DataFrame exports", req, progress)


def _as_f64(arg: str, a: Any, ndim: int):
    """An argument as a float64 numpy array: C-contiguous float64 input is passed as it is (no copy); other
    floats and layouts are converted (one copy); anything else is an error naming the argument."""
    import numpy as np

    if hasattr(a, "to_numpy") and not isinstance(a, np.ndarray):
        a = a.to_numpy()
    arr = np.asarray(a)
    if arr.dtype.kind != "f":
        raise UsageError(f"{arg}: expected an array of floats, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise UsageError(f"{arg}: expected a {ndim}-d array, got {arr.ndim}-d of shape {arr.shape}")
    if arr.dtype != np.float64 or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    return arr


class Dataset:
    """An MRIO table sovra can analyse: one of the store (``sovra.load``), or given in memory
    (``from_pymrio``, ``from_arrays``). Each method is one request to the engine and returns a ``Report``;
    arguments are the request's fields (the CLI's flags with ``_`` for ``-``), and an unknown one raises
    ``UsageError`` naming it."""

    def __init__(self, name: str, *, year: Optional[int] = None, engine: Optional[Engine] = None) -> None:
        self.name = name
        self.year = year
        self.engine = engine or globals()["engine"]()
        self._info: Optional[Report] = None
        self._labels: Optional[dict] = None

    def _label_info(self) -> dict:
        if self._labels is None:
            self._labels = self.engine.load(self.name, self.year, False)
        return self._labels

    @property
    def regions(self) -> list:
        """The region codes, in the table's order."""
        return list(self._label_info()["regions"])

    @property
    def sectors(self) -> list:
        """The sector codes, in the table's order."""
        return list(self._label_info()["sectors"])

    @property
    def stressors(self) -> list:
        """The stressors (``footprint``'s choices besides ``"value added"``)."""
        return list(self._label_info()["stressors"])

    def __repr__(self) -> str:
        info = self._label_info()
        return (f"<sovra.Dataset {self.name}{'' if self.year is None else f' ({self.year})'}: "
                f"{len(info['regions'])} regions × {len(info['sectors'])} sectors>")

    # ---- building datasets -------------------------------------------------------------------------

    @classmethod
    def from_arrays(cls, Z: Any, Y: Any, regions: Sequence[str], sectors: Sequence[str], *,
                    final_demand: Optional[Sequence[tuple]] = None, x: Any = None, F: Any = None,
                    F_Y: Any = None, stressors: Optional[Sequence[str]] = None,
                    stressor_units: Optional[Sequence[str]] = None, units: str = "",
                    name: str = "arrays", title: str = "", year: Optional[int] = None,
                    region_names: Optional[Sequence[str]] = None,
                    sector_names: Optional[Sequence[str]] = None,
                    engine: Optional[Engine] = None) -> "Dataset":
        """A table from numpy arrays, in region-major node order (node = region × sector):
        ``Z`` n×n intermediate flows (row sells to column), ``Y`` n×k final demand, ``x`` gross output
        (checked against Z1 + Y1 when given, else computed), ``F`` m×n and ``F_Y`` m×k stressors.

        ``final_demand`` labels Y's columns as (region, category) pairs; by default one column per region
        (``[(r, "final demand") for r in regions]``) when Y has as many columns as regions.

        C-contiguous float64 arrays are read in place — no copy (``Dataset.shares_memory()`` says so); do not
        write to them while the dataset is in use. Other float arrays are converted once. The table is
        checked as the CLI checks an import: finite values, non-negative output, balanced.

        >>> ds = sovra.Dataset.from_arrays(Z, Y, ["A", "B"], ["agr", "man"])   # doctest: +SKIP
        >>> ds.multipliers().to_pandas()                                        # doctest: +SKIP
        """
        e = engine or globals()["engine"]()
        regions = [str(r) for r in regions]
        sectors = [str(s) for s in sectors]
        Zc = _as_f64("Z", Z, 2)
        Yc = _as_f64("Y", Y, 2)
        if final_demand is None:
            if Yc.shape[1] == len(regions):
                final_demand = [(r, "final demand") for r in regions]
            elif Yc.shape[1] == 1:
                final_demand = [("all", "final demand")]
            else:
                raise UsageError(f"final_demand: Y has {Yc.shape[1]} columns: label them as (region, category) "
                                 "pairs")
        fd = [(str(r), str(c)) for r, c in final_demand]
        xc = None if x is None else _as_f64("x", x, 1)
        Fc = None if F is None else _as_f64("F", F, 2)
        FYc = None if F_Y is None else _as_f64("F_Y", F_Y, 2)
        if Fc is not None and stressors is None:
            stressors = [f"stressor {i + 1}" for i in range(Fc.shape[0])]
        if FYc is not None and Fc is None:
            raise UsageError("F_Y: given without F")
        e.add_table(name, Zc, Yc, regions, sectors, [r for r, _ in fd], [c for _, c in fd], x=xc, f=Fc,
                    f_y=FYc, stressors=None if stressors is None else [str(s) for s in stressors],
                    stressor_units=None if stressor_units is None else [str(u) for u in stressor_units],
                    region_names=None if region_names is None else [str(r) for r in region_names],
                    sector_names=None if sector_names is None else [str(s) for s in sector_names],
                    units=units, title=title or f"table given in memory ({name})", source="numpy arrays",
                    year=year)
        return cls(name, engine=e)

    @classmethod
    def from_pymrio(cls, io: Any, *, name: str = "pymrio", year: Optional[int] = None,
                    engine: Optional[Engine] = None) -> "Dataset":
        """A pymrio ``IOSystem`` as it is, after ``calc_all()`` or not: Z, Y (x when present, checked
        against Z1 + Y1), and every extension's F and F_Y as stressors ``"<extension>/<row>"`` with their
        units — the names ``sovra data import --format pymrio`` gives a ``save_all`` directory.

        >>> io = pymrio.load_test()
        >>> ds = sovra.Dataset.from_pymrio(io)
        >>> ds.footprint("emissions/emission_type1").to_pandas()   # doctest: +SKIP
        """
        import numpy as np

        if getattr(io, "Z", None) is None:
            raise UsageError("io: the pymrio system has no Z (sovra needs Z and Y; "
                             "call io.calc_system() or load the full system)")
        if getattr(io, "Y", None) is None:
            raise UsageError("io: the pymrio system has no Y")
        Z = io.Z
        idx = Z.index
        if getattr(idx, "nlevels", 1) != 2:
            raise UsageError(f"io: Z's index must have two levels (region, sector), found {idx.nlevels}")
        regions = list(dict.fromkeys(idx.get_level_values(0)))
        sectors = list(dict.fromkeys(idx.get_level_values(1)))
        import pandas as pd

        order = pd.MultiIndex.from_product([regions, sectors])
        if len(order) != len(idx) or not idx.equals(order):
            Z = Z.reindex(index=order, columns=order)
        elif not Z.columns.equals(order):
            Z = Z.reindex(columns=order)
        Y = io.Y.reindex(index=order)
        fd = [tuple(map(str, c)) if isinstance(c, tuple) else (str(c), "final demand") for c in Y.columns]
        x = None
        if getattr(io, "x", None) is not None:
            x = np.asarray(io.x.reindex(index=order).to_numpy(dtype=float)).reshape(-1)
        stressors, units, F_rows, FY_rows = [], [], [], []
        exts = sorted(io.get_extensions()) if hasattr(io, "get_extensions") else []
        for ext_name in exts:
            ext = getattr(io, ext_name)
            F = getattr(ext, "F", None)
            if F is None:
                continue
            F = F.reindex(columns=order, fill_value=0.0)
            FY = getattr(ext, "F_Y", None)
            unit = getattr(ext, "unit", None)
            for row in F.index:
                label = "/".join(map(str, row)) if isinstance(row, tuple) else str(row)
                stressors.append(f"{ext_name}/{label}")
                u = ""
                if unit is not None and row in unit.index:
                    u = str(unit.loc[row].iloc[0])
                units.append(u)
                F_rows.append(F.loc[row].to_numpy(dtype=float).reshape(-1))
                if FY is not None and row in FY.index:
                    fy = FY.loc[row].reindex(Y.columns, fill_value=0.0)
                    FY_rows.append(fy.to_numpy(dtype=float).reshape(-1))
                else:
                    FY_rows.append(np.zeros(len(Y.columns)))
        F_all = np.vstack(F_rows) if F_rows else None
        FY_all = np.vstack(FY_rows) if FY_rows else None
        unit = getattr(io, "unit", None)
        units_text = ""
        if unit is not None and len(unit) > 0:
            units_text = str(unit.iloc[0, 0])
        meta = getattr(io, "meta", None)
        title = f"pymrio system '{getattr(meta, 'name', name)}'" if meta is not None else "pymrio system"
        return cls.from_arrays(Z.to_numpy(dtype=float), Y.to_numpy(dtype=float), regions, sectors,
                               final_demand=fd, x=x, F=F_all, F_Y=FY_all, stressors=stressors or None,
                               stressor_units=units or None, units=units_text, name=name, title=title,
                               year=year, engine=engine)

    def shares_memory(self) -> bool:
        """Whether the Z of a table given in memory is read in place from a numpy array: the caller's own
        when it was C-contiguous float64, else the one C-order copy ``from_arrays`` made (no further copy)."""
        return self.engine.shares_memory(self.name)

    # ---- requests ----------------------------------------------------------------------------------

    def _run(self, kind: str, progress: Progress = None, **fields: Any) -> Report:
        fields.setdefault("data", self.name)
        if self.year is not None:
            fields.setdefault("year", self.year)
        return _checked(self.engine.run(kind, _request(**fields), progress))

    def info(self) -> Report:
        """Labels, totals and checks of the table (regions, sectors, balance)."""
        if self._info is None:
            self._info = self._run("info", False)
        return self._info

    def multipliers(self, *, top: Optional[int] = None, region: Optional[str] = None,
                    solver: Optional[str] = None, progress: Progress = None) -> Report:
        """Output and value-added multipliers per node (column sums of L and ν L), as pymrio's."""
        return self._run("multipliers", progress, top=top, region=region, solver=solver)

    def linkages(self, *, top: Optional[int] = None, region: Optional[str] = None,
                 key_only: Optional[bool] = None, solver: Optional[str] = None,
                 progress: Progress = None) -> Report:
        """Rasmussen backward and forward linkages, and the key sectors they single out."""
        return self._run("linkages", progress, top=top, region=region, key_only=key_only, solver=solver)

    def footprint(self, stressor: str, *, by: Optional[str] = None, solver: Optional[str] = None,
                  progress: Progress = None) -> Report:
        """A stressor's consumption- and production-based accounts (pymrio's D_cba, D_pba, D_imp, D_exp),
        per region (``by="region"``) or per node (``by="node"``)."""
        return self._run("footprint", progress, stressor=stressor, by=by, solver=solver)

    def depend(self, us: str, them: str, *, top: Optional[int] = None, sector: Optional[str] = None,
               sort: Optional[str] = None, by: Optional[str] = None, min_output: Optional[float] = None,
               each: Optional[bool] = None, as_of: Optional[str] = None,
               blocs: Optional[TomlSource] = None, solver: Optional[str] = None,
               products: Optional[Sequence[str]] = None, progress: Progress = None) -> Report:
        """How much ``us`` (a country, bloc or expression such as ``"EU27-DEU"``) depends on ``them``:
        value added from them through all rounds and through third countries, direct inputs, supplier
        concentration, sales to them — per sector (``by="sector"``, the default) or by origin
        (``by="origin"``). The CLI's ``sovra depend US --on THEM``. ``products=["8541", "8542"]`` counts
        only their value added in those HS products (table ``product_shares``).

        >>> r = sovra.load().depend("EU27", "CHN", top=10, min_output=1000)   # doctest: +SKIP
        >>> r.summary["value_added_from_them"]                                              # doctest: +SKIP
        """
        return self._run("depend", progress, us=us, them=them, top=top, sector=sector, sort=sort, by=by,
                         min_output=min_output, each=each, as_of=as_of, blocs=_blocs(blocs), solver=solver,
                         products=None if products is None else [str(p) for p in products])

    def keys(self, us: str, them: str, *, top: Optional[int] = None, inputs: Optional[int] = None,
             as_of: Optional[str] = None, blocs: Optional[TomlSource] = None,
             solver: Optional[str] = None, progress: Progress = None) -> Report:
        """Technological keys: the inputs from ``them`` that most of ``us``'s output hangs on."""
        return self._run("keys", progress, us=us, them=them, top=top, inputs=inputs, as_of=as_of,
                         blocs=_blocs(blocs), solver=solver)

    def tiva(self, country: Optional[str] = None, *, solver: Optional[str] = None,
             progress: Progress = None) -> Report:
        """OECD TiVA indicators: domestic and foreign value added in exports, per country."""
        return self._run("tiva", progress, country=country, solver=solver)

    def blocs(self, name: str, *, as_of: Optional[str] = None,
              blocs: Optional[TomlSource] = None) -> Report:
        """A bloc or expression resolved on a date, against this dataset's regions."""
        return self.engine.run("blocs_show", _request(name=name, as_of=as_of, blocs=_blocs(blocs),
                                                      data=self.name), False)

    def shock(self, sanctioning: Optional[str] = None, target: Optional[str] = None, *,
              instrument: Optional[str] = None, sectors: Optional[Sequence[str]] = None,
              products: Optional[Sequence[str]] = None,
              scenario: Optional[TomlSource] = None, model: Optional[str] = None,
              tau: Union[float, str, None] = None, delta: Union[float, str, None] = None,
              rho: Union[float, str, None] = None, rho_out: Union[float, str, None] = None,
              draws: Optional[int] = None, seed: Optional[int] = None,
              top: Optional[int] = None, detail: Optional[str] = None,
              as_of: Optional[str] = None, blocs: Optional[TomlSource] = None,
              progress: Progress = None) -> Report:
        """What an embargo, export ban or import ban does to output: one leg (``sanctioning`` against
        ``target``) or a scenario file; the rerouting model (sanction-simulator's) or hypothetical
        extraction (``model="extraction"``: supply side for export bans, demand side for import bans;
        ``"extraction-demand"``, ``"extraction-supply"``, ``"extraction-both"``).

        With ``draws=N``, parameters may be distributions (``tau="uniform:0.1:0.6"``,
        ``"triangular:LO:MODE:HI"``, ``"normal:MEAN:SD"``): a seeded Monte Carlo whose report gives per
        country the 5th, 50th and 95th percentiles of the loss and of γ (tables ``countries``, ``world``,
        ``draws``).

        ``products=["8541", "8542"]`` (HS6/HS4/HS2 codes or sections) severs the named products' share of each
        block instead of whole sectors (table ``blocks``; see :func:`bridge`).

        >>> sovra.load().shock("G7", "RUS", instrument="export-ban").summary   # doctest: +SKIP
        >>> sovra.load().shock("USA", "CHN", draws=200, tau="uniform:0.1:0.6").to_pandas("countries")  # doctest: +SKIP
        """
        return self._run("shock", progress, sanctioning=sanctioning, target=target, instrument=instrument,
                         sectors=None if sectors is None else list(sectors),
                         products=None if products is None else [str(p) for p in products],
                         scenario=_toml("scenario", scenario),
                         model=model, tau=tau, delta=delta, rho=rho, rho_out=rho_out, draws=draws, seed=seed,
                         top=top, detail=detail, as_of=as_of, blocs=_blocs(blocs))

    def sweep(self, sanctioning: Optional[str] = None, target: Optional[str] = None, *,
              sweep: Optional[str] = None, batch: Optional[TomlSource] = None,
              scenario: Optional[TomlSource] = None, instrument: Optional[str] = None,
              model: Optional[str] = None, top: Optional[int] = None, skip: Optional[Sequence[str]] = None,
              max_scenarios: Optional[int] = None, as_of: Optional[str] = None,
              blocs: Optional[TomlSource] = None, progress: Progress = None) -> ReportStream:
        """A batch of scenarios or a parameter sweep (``sweep="tau=0.1:0.8:0.1,delta=0.05,0.1"``), streamed:
        iterate to get each scenario's report as soon as it is done (in order); ``.result`` then holds the
        run's summary. Breaking out of the loop or Ctrl-C stops the work.

        >>> for r in sovra.load().sweep("G7", "RUS", sweep="tau=0.1:0.5:0.1"):   # doctest: +SKIP
        ...     print(r.parameters["tau"], r.summary["world_output_loss"])
        """
        fields = dict(sanctioning=sanctioning, target=target, sweep=sweep, batch=_toml("batch", batch),
                      scenario=_toml("scenario", scenario), instrument=instrument, model=model, top=top,
                      skip=None if skip is None else list(skip), max_scenarios=max_scenarios, as_of=as_of,
                      blocs=_blocs(blocs), data=self.name)
        if self.year is not None:
            fields["year"] = self.year
        return self.engine.stream("shock", _request(**fields), progress)

    def alliances(self, us: str, against: str, candidates: str, *, top: Optional[int] = None,
                  size: Optional[int] = None, shock: Optional[bool] = None, as_of: Optional[str] = None,
                  blocs: Optional[TomlSource] = None, progress: Progress = None) -> Report:
        """Which candidate partners could replace what ``us`` buys from ``against``, and the embargo with
        and without the alliance."""
        return self._run("alliances", progress, us=us, against=against, candidates=candidates, top=top,
                         size=size, shock=shock, as_of=as_of, blocs=_blocs(blocs))

    def projects(self, projects: TomlSource, *, us: Optional[str] = None, against: Optional[str] = None,
                 scenario: Optional[TomlSource] = None, as_of: Optional[str] = None,
                 blocs: Optional[TomlSource] = None, solver: Optional[str] = None,
                 progress: Progress = None) -> Report:
        """Import-substitution projects (a TOML file or text), each on its own through the supply chain:
        the dependence each cuts, per dollar."""
        return self._run("projects_evaluate", progress, projects=_toml("projects", projects), us=us,
                         against=against, scenario=_toml("scenario", scenario), as_of=as_of,
                         blocs=_blocs(blocs), solver=solver)

    def select_projects(self, projects: TomlSource, *, budget: Optional[float] = None,
                        budget_by: Optional[dict] = None, objective: Optional[str] = None,
                        weights: Optional[dict] = None, must: Optional[Sequence[str]] = None,
                        never: Optional[Sequence[str]] = None, frontier: Optional[str] = None,
                        us: Optional[str] = None, against: Optional[str] = None,
                        scenario: Optional[TomlSource] = None, time_limit: Optional[float] = None,
                        milp_solver: Optional[str] = None, as_of: Optional[str] = None,
                        blocs: Optional[TomlSource] = None, solver: Optional[str] = None,
                        progress: Progress = None) -> Report:
        """The portfolio of projects that cuts dependence most under the budgets (a MILP), re-evaluated
        jointly."""
        return self._run("projects_select", progress, projects=_toml("projects", projects), budget=budget,
                         budget_by=budget_by, objective=objective, weights=weights,
                         must=None if must is None else list(must),
                         never=None if never is None else list(never), frontier=frontier, us=us,
                         against=against, scenario=_toml("scenario", scenario), time_limit=time_limit,
                         milp_solver=milp_solver, as_of=as_of, blocs=_blocs(blocs), solver=solver)

    def monitor(self, us: str, them: str, *, years: Optional[str] = None,
                by: Optional[Sequence[str]] = None, sector: Optional[str] = None,
                kpis: Optional[Sequence[str]] = None, window: Optional[int] = None,
                each: Optional[bool] = None, programme: Optional[TomlSource] = None,
                as_of: Optional[str] = None, blocs: Optional[TomlSource] = None,
                solver: Optional[str] = None, progress: Progress = None) -> Report:
        """The indicators of every year of a series (``years="2000:2011"``), their trends, and a
        programme's targets with a status (on track, at risk, off track)."""
        fields = dict(us=us, them=them, years=years, by=None if by is None else list(by), sector=sector,
                      kpis=None if kpis is None else list(kpis), window=window, each=each,
                      programme=_toml("programme", programme), as_of=as_of, blocs=_blocs(blocs),
                      solver=solver, data=self.name)
        return self.engine.run("monitor", _request(**fields), progress)

    def decompose(self, us: str, them: str, start: int, end: int, *, by_sector: Optional[bool] = None,
                  chain: Optional[bool] = None, each: Optional[bool] = None, as_of: Optional[str] = None,
                  blocs: Optional[TomlSource] = None, solver: Optional[str] = None,
                  progress: Progress = None) -> Report:
        """Why their value added in our final demand changed between two years (structural
        decomposition: technology, trade structure, final demand)."""
        fields = {"us": us, "them": them, "from": start, "to": end, "by_sector": by_sector, "chain": chain,
                  "each": each, "as_of": as_of, "blocs": _blocs(blocs), "solver": solver, "data": self.name}
        return self.engine.run("decompose", _request(**fields), progress)

    def complexity(self, *, rca_threshold: Optional[float] = None, convention: Optional[str] = None,
                   by: Optional[str] = None, top: Optional[int] = None, fitness: Optional[bool] = None,
                   progress: Progress = None) -> Report:
        """Economic complexity of the table's sector exports (regions as countries, sectors as products)."""
        return self._run("complexity", progress, rca_threshold=rca_threshold, convention=convention, by=by,
                         top=top, fitness=fitness)


class TradeStore:
    """Product-level (HS6) trade: the store's trade data (``sovra trade import``), or another trade store
    directory. Methods are the CLI's ``sovra trade …`` commands."""

    def __init__(self, path: Optional[Union[str, "_os.PathLike[str]"]] = None, *,
                 engine: Optional[Engine] = None) -> None:
        self.engine = engine or globals()["engine"]()
        self.path = None if path is None else str(_Path(path))
        if self.path is not None and not _Path(self.path).is_dir():
            raise NotFoundError(f"path: {self.path} is not a trade store directory")

    def __repr__(self) -> str:
        return f"<sovra.TradeStore {self.path or 'of the sovra store'}>"

    def _run(self, kind: str, progress: Progress, **fields: Any) -> Report:
        fields["store"] = self.path
        return self.engine.run(kind, _request(**fields), progress)

    def depend(self, importer: str, on: Optional[str] = None, *, all: Optional[bool] = None,
               year: Optional[int] = None, years: Optional[str] = None, each: Optional[bool] = None,
               top: Optional[int] = None, hhi_imports: Optional[float] = None,
               hhi_world: Optional[float] = None, ratio: Optional[float] = None,
               as_of: Optional[str] = None, convert: Optional[str] = None,
               blocs: Optional[TomlSource] = None, progress: Progress = None) -> Report:
        """The products ``importer`` depends on (the GeoDep screen: concentrated imports, concentrated world
        supply, little own production), and how much of them comes from ``on`` (a country, bloc or
        expression; extra blocs from ``blocs``, TOML)."""
        return self._run("trade_depend", progress, importer=importer, on=on, all=all, year=year, years=years,
                         each=each, top=top, hhi_imports=hhi_imports, hhi_world=hhi_world, ratio=ratio,
                         as_of=as_of, convert=convert, blocs=_blocs(blocs))

    def monitor(self, importer: str, on: Optional[str] = None, *, years: Optional[str] = None,
                programme: Optional[TomlSource] = None, top: Optional[int] = None,
                as_of: Optional[str] = None, blocs: Optional[TomlSource] = None,
                progress: Progress = None) -> Report:
        """The dependent-product screen year by year: what entered and left the list, and product-group
        targets of a programme."""
        return self._run("trade_monitor", progress, importer=importer, on=on, years=years,
                         programme=_toml("programme", programme), top=top, as_of=as_of, blocs=_blocs(blocs))

    def suppliers(self, importer: str, product: Optional[str] = None, *,
                  all_dependent: Optional[bool] = None, partners: Optional[str] = None,
                  top: Optional[int] = None, year: Optional[int] = None, as_of: Optional[str] = None,
                  convert: Optional[str] = None, blocs: Optional[TomlSource] = None,
                  progress: Progress = None) -> Report:
        """Who could supply ``product`` (HS6) to ``importer`` instead: exporters with their world share and
        what ``importer`` already buys from them."""
        return self._run("trade_suppliers", progress, importer=importer, product=product,
                         all_dependent=all_dependent, partners=partners, top=top, year=year, as_of=as_of,
                         convert=convert, blocs=_blocs(blocs))

    def opportunities(self, country: str, *, top: Optional[int] = None,
                      products: Optional[Sequence[str]] = None, year: Optional[int] = None,
                      as_of: Optional[str] = None, convert: Optional[str] = None,
                      blocs: Optional[TomlSource] = None, progress: Progress = None) -> Report:
        """Import-substitution opportunities: products ``country`` imports and could make (relatedness to
        what it exports competitively, complexity, import value)."""
        return self._run("opportunities", progress, country=country, top=top,
                         products=None if products is None else list(products), year=year, as_of=as_of,
                         convert=convert, blocs=_blocs(blocs))

    def complexity(self, *, year: Optional[int] = None, rca_threshold: Optional[float] = None,
                   convention: Optional[str] = None, by: Optional[str] = None, top: Optional[int] = None,
                   fitness: Optional[bool] = None, progress: Progress = None) -> Report:
        """Economic complexity of the store's exports."""
        fields = dict(year=year, rca_threshold=rca_threshold, convention=convention, by=by, top=top,
                      fitness=fitness)
        if self.path is None:
            fields["trade"] = True
        else:
            fields["store"] = self.path
        return self.engine.run("complexity", _request(**fields), progress)

