"""Type stubs of sovra's native module (crates/sovra-py)."""

from os import PathLike
from typing import Any, Callable, Iterator, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

Progress = Union[None, bool, Callable[[str, int, int], Any]]

class SovraError(Exception):
    """Every error sovra raises."""

    kind: str
    """usage, not_found, bad_data, compute, external, cancelled or busy."""
    field: Optional[str]
    """The argument (request field) at fault, when one is."""
    nearest: Optional[str]
    """The nearest valid value, when an unknown name was given."""
    choices: list[str]
    """The valid values, when few enough to list."""

class UsageError(SovraError): ...
class NotFoundError(SovraError): ...
class BadDataError(SovraError): ...
class ComputeError(SovraError): ...
class ExternalError(SovraError): ...
class CancelledError(SovraError): ...
class BusyError(SovraError): ...

class Report:
    """The answer to a request."""

    @property
    def kind(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> dict[str, Any]:
        """The headline figures, key → value."""
    @property
    def figures(self) -> list[dict[str, Any]]:
        """The headline figures with label, unit, kind and decimals."""
    @property
    def provenance(self) -> dict[str, Any]: ...
    @property
    def parameters(self) -> dict[str, Any]: ...
    @property
    def notes(self) -> list[str]: ...
    @property
    def diagnostics(self) -> list[dict[str, Any]]: ...
    @property
    def tables(self) -> dict[str, str]:
        """Table key → title, in the report's order."""
    def columns(self, table: Optional[str] = None) -> dict[str, dict[str, Any]]: ...
    def to_dict(self, table: Optional[str] = None) -> dict[str, Union[npt.NDArray[Any], list[Any]]]: ...
    def to_pandas(self, table: Optional[str] = None) -> Any:
        """A table (the first by default) as a pandas DataFrame."""
    def to_arrow(self, table: Optional[str] = None) -> Any:
        """A table as an Arrow table object with ``__arrow_c_stream__`` (pyarrow.table(t), polars.from_arrow(t))."""
    def to_json(self) -> str: ...
    def to_csv(self, table: Optional[str] = None) -> str: ...
    def to_html(self) -> str: ...
    def _repr_html_(self) -> str: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...

class ReportStream(Iterator[Report]):
    """The reports of a batch or sweep, in order, as they are done."""

    def __iter__(self) -> ReportStream: ...
    def __next__(self) -> Report: ...
    @property
    def result(self) -> Optional[Report]:
        """The run's summary report, once the stream is exhausted."""
    def close(self) -> None: ...

class Engine:
    """sovra's engine on a store; keeps loaded tables and factorisations between calls."""

    def __init__(self, home: Optional[Union[str, PathLike[str]]] = None) -> None: ...
    @property
    def home(self) -> str: ...
    def load(self, name: str, year: Optional[int] = None, progress: Progress = None) -> dict[str, Any]:
        """Loads a dataset and keeps it; its region and sector codes, final-demand columns, stressors, years."""
    def run(self, kind: str, request: str, progress: Progress = None) -> Report:
        """Answers a request of ``kind`` given as the JSON of its fields (the HTTP API's body)."""
    def stream(self, kind: str, request: str, progress: Progress = None) -> ReportStream: ...
    def add_table(
        self,
        name: str,
        z: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        regions: Sequence[str],
        sectors: Sequence[str],
        fd_regions: Sequence[str],
        fd_categories: Sequence[str],
        *,
        x: Optional[npt.NDArray[np.float64]] = None,
        f: Optional[npt.NDArray[np.float64]] = None,
        f_y: Optional[npt.NDArray[np.float64]] = None,
        stressors: Optional[Sequence[str]] = None,
        stressor_units: Optional[Sequence[str]] = None,
        region_names: Optional[Sequence[str]] = None,
        sector_names: Optional[Sequence[str]] = None,
        units: str = "",
        title: str = "",
        source: str = "",
        year: Optional[int] = None,
    ) -> None: ...
    def shares_memory(self, name: str) -> bool: ...
    def remove_table(self, name: str) -> bool: ...
    def in_memory(self) -> list[str]: ...
    def fetch(self, name: str, force: bool = False, progress: Progress = None) -> str: ...
    def complexity_text(self, text: str, source: str, request: str, progress: Progress = None) -> Report: ...
