//! The native module of the `sovra` Python package (`sovra._sovra`): the engine's requests from Python and
//! its reports back, nothing computed here. An [`Engine`] is a [`Workspace`] (the store, the loaded tables
//! and their factorisations); a request is the JSON the HTTP server takes, built by the Python layer from
//! keyword arguments; every call runs on the engine's own thread with the GIL released
//! ([`progress::run_blocking`]). Tables given as numpy arrays are read in place when C-contiguous float64
//! ([`NumpyValues`]).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use sovra_core::{
    BalanceTolerance, Code, Dense, FdColumn, Labels, Mrio, Parts, Provenance, SharedValues,
    Stressor,
};
use sovra_engine::{Error, ErrorKind, Progress, Request, Workspace};

mod errors;
mod progress;
mod report;

use progress::{Display, Shared, Show};
use report::PyReport;

/// A numpy array lent to a matrix: the array is kept alive, and its C-contiguous buffer is read in place.
struct NumpyValues {
    _array: Py<PyArray2<f64>>,
    ptr: *const f64,
    len: usize,
}

// SAFETY: the buffer belongs to a numpy array this struct keeps alive (a reference is held, so it is not
// freed, and an array another object references cannot be resized). sovra only reads it (a write copies, see
// `sovra_core::Values`); that Python code does not write to the array while sovra uses it is the documented
// contract of `Dataset.from_arrays`, as for every zero-copy numpy consumer.
unsafe impl Send for NumpyValues {}
unsafe impl Sync for NumpyValues {}

impl SharedValues for NumpyValues {
    fn values(&self) -> &[f64] {
        // SAFETY: see the Send/Sync note; `ptr` and `len` describe the array's contiguous data.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// A 2-d float64 array as a matrix of `rows × cols`: lent without a copy when C-contiguous, copied otherwise.
fn matrix(arg: &str, a: &Bound<'_, PyAny>, rows: usize, cols: usize) -> PyResult<Dense> {
    let arr = a.cast::<PyArray2<f64>>().map_err(|_| {
        errors::usage(
            arg,
            format!("{arg} must be a 2-d numpy array of float64 (the Python layer converts other floats)"),
        )
    })?;
    let shape = arr.shape();
    if shape != [rows, cols] {
        return Err(errors::usage(
            arg,
            format!(
                "{arg} has shape {}×{}, expected {rows}×{cols}",
                shape[0], shape[1]
            ),
        ));
    }
    if arr.is_c_contiguous() {
        let ro = arr.readonly();
        let slice = ro
            .as_slice()
            .map_err(|e| errors::usage(arg, e.to_string()))?;
        let owner = NumpyValues {
            ptr: slice.as_ptr(),
            len: slice.len(),
            _array: arr.clone().unbind(),
        };
        Dense::from_shared(rows, cols, Arc::new(owner))
            .map_err(|e| errors::usage(arg, e.to_string()))
    } else {
        let data: Vec<f64> = arr.readonly().as_array().iter().copied().collect();
        Dense::from_vec(rows, cols, data).map_err(|e| errors::usage(arg, e.to_string()))
    }
}

fn vector(arg: &str, a: &Bound<'_, PyAny>, n: usize) -> PyResult<Vec<f64>> {
    let arr = a
        .cast::<PyArray1<f64>>()
        .map_err(|_| errors::usage(arg, format!("{arg} must be a 1-d numpy array of float64")))?;
    if arr.len() != n {
        return Err(errors::usage(
            arg,
            format!("{arg} has {} values, expected {n}", arr.len()),
        ));
    }
    Ok(arr.readonly().as_array().iter().copied().collect())
}

/// Which argument a table check blames: the matrix named in the message ("name (Z), row …").
fn blame(e: sovra_core::Error) -> Error {
    let msg = e.to_string();
    let field = [
        "(F_Y)",
        "(Z)",
        "(Y)",
        "(F)",
        "gross output x",
        "value added",
    ]
    .iter()
    .find(|m| msg.contains(*m))
    .map(|m| match *m {
        "gross output x" => "x".to_string(),
        "value added" => "x".to_string(),
        m => m.trim_matches(['(', ')']).to_string(),
    });
    let mut err = Error::from(e);
    err.field = field.or(err.field);
    err
}

/// sovra's engine on a store: answers requests, keeps loaded tables and their factorisations between calls.
#[pyclass(module = "sovra", name = "Engine", frozen)]
struct Engine {
    ws: Arc<Workspace>,
}

fn parse_request(kind: &str, request: &str) -> PyResult<Request> {
    Request::from_body(kind, request.as_bytes()).map_err(errors::to_py)
}

#[pymethods]
impl Engine {
    /// An engine on the store at `home` (default: `$SOVRA_HOME`, else `~/.local/share/sovra`, as the CLI).
    #[new]
    #[pyo3(signature = (home=None))]
    fn new(home: Option<std::path::PathBuf>) -> Self {
        let ws = match home {
            Some(h) => Workspace::new(h),
            None => Workspace::from_env(),
        };
        Engine { ws: Arc::new(ws) }
    }

    /// The store directory.
    #[getter]
    fn home(&self) -> std::path::PathBuf {
        self.ws.home().to_path_buf()
    }

    /// Loads a dataset of the store (or checks a table given in memory) and keeps it for the requests that
    /// follow: its regions and sectors (codes), final-demand columns, stressors and years.
    #[pyo3(signature = (name, year=None, progress=None))]
    fn load<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        year: Option<i32>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let show = Show::from_arg(progress)?;
        let ws = &*self.ws;
        let loaded = progress::run_blocking(py, show, |p| ws.dataset_year(name, year, p))?
            .map_err(errors::to_py)?;
        let l = &loaded.table.labels;
        let d = pyo3::types::PyDict::new(py);
        d.set_item("name", name)?;
        d.set_item(
            "regions",
            l.regions
                .iter()
                .map(|c| c.code.as_str())
                .collect::<Vec<_>>(),
        )?;
        d.set_item(
            "sectors",
            l.sectors
                .iter()
                .map(|c| c.code.as_str())
                .collect::<Vec<_>>(),
        )?;
        d.set_item("final_demand", l.final_demand.len())?;
        d.set_item(
            "stressors",
            l.stressors
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
        )?;
        d.set_item("years", loaded.years.clone())?;
        d.set_item("title", loaded.table.provenance.title.as_str())?;
        Ok(d)
    }

    /// Answers a request of `kind` (a JSON object of its fields, as the HTTP API's body) with its report.
    #[pyo3(signature = (kind, request, progress=None))]
    fn run(
        &self,
        py: Python<'_>,
        kind: &str,
        request: &str,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyReport> {
        let req = parse_request(kind, request)?;
        let show = Show::from_arg(progress)?;
        let ws = &*self.ws;
        let out = progress::run_blocking(py, show, |p| sovra_engine::run(ws, &req, p))?;
        out.map(PyReport::new).map_err(errors::to_py)
    }

    /// Starts a request whose parts stream (a batch or a sweep of shocks): an iterator of the parts' reports
    /// in order; `.result` holds the run's summary report once the iterator is exhausted.
    #[pyo3(signature = (kind, request, progress=None))]
    fn stream(
        &self,
        kind: &str,
        request: &str,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ReportStream> {
        let req = parse_request(kind, request)?;
        let show = Show::from_arg(progress)?;
        let (tx, rx): (SyncSender<Part>, Receiver<Part>) = std::sync::mpsc::sync_channel(4);
        let shared = Arc::new(Shared::default());
        let ws = self.ws.clone();
        let sh = shared.clone();
        let worker = std::thread::spawn(move || {
            let done_tx = tx.clone();
            let mut sink = |r: sovra_report::Report| {
                tx.send(Part::Report(r)).map_err(|_| {
                    Error::new(ErrorKind::Cancelled, "the Python iterator was dropped")
                })
            };
            let out = sovra_engine::run_stream(&ws, &req, &mut sink, &*sh);
            let _ = done_tx.send(Part::Done(out));
        });
        Ok(ReportStream {
            state: std::sync::Mutex::new(StreamState {
                rx: Some(std::sync::Mutex::new(rx)),
                display: Display::new(show),
                worker: Some(worker),
                result: None,
            }),
            shared,
        })
    }

    /// Puts a table given as numpy arrays under `name`, for every request's `data`. C-contiguous float64
    /// arrays are read in place (not copied): do not write to them while the dataset is in use.
    #[pyo3(signature = (name, z, y, regions, sectors, fd_regions, fd_categories, *, x=None, f=None, f_y=None,
        stressors=None, stressor_units=None, region_names=None, sector_names=None, units=String::new(),
        title=String::new(), source=String::new(), year=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_table(
        &self,
        py: Python<'_>,
        name: &str,
        z: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        regions: Vec<String>,
        sectors: Vec<String>,
        fd_regions: Vec<String>,
        fd_categories: Vec<String>,
        x: Option<&Bound<'_, PyAny>>,
        f: Option<&Bound<'_, PyAny>>,
        f_y: Option<&Bound<'_, PyAny>>,
        stressors: Option<Vec<String>>,
        stressor_units: Option<Vec<String>>,
        region_names: Option<Vec<String>>,
        sector_names: Option<Vec<String>>,
        units: String,
        title: String,
        source: String,
        year: Option<i32>,
    ) -> PyResult<()> {
        let (nr, ns) = (regions.len(), sectors.len());
        if nr == 0 {
            return Err(errors::usage("regions", "regions: at least one region"));
        }
        if ns == 0 {
            return Err(errors::usage("sectors", "sectors: at least one sector"));
        }
        let unique = |arg: &str, v: &[String]| -> PyResult<()> {
            let mut seen = std::collections::HashSet::new();
            for s in v {
                if !seen.insert(s) {
                    return Err(errors::usage(arg, format!("{arg}: '{s}' appears twice")));
                }
            }
            Ok(())
        };
        unique("regions", &regions)?;
        unique("sectors", &sectors)?;
        if fd_regions.len() != fd_categories.len() {
            return Err(errors::usage(
                "final_demand",
                "final_demand: as many regions as categories",
            ));
        }
        let n = nr * ns;
        let k = fd_regions.len();
        let stressors = stressors.unwrap_or_default();
        let m = stressors.len();
        let units_of = stressor_units.unwrap_or_else(|| vec![String::new(); m]);
        if units_of.len() != m {
            return Err(errors::usage(
                "stressor_units",
                "stressor_units: one per stressor",
            ));
        }
        let zm = matrix("Z", z, n, n)?;
        let ym = matrix("Y", y, n, k)?;
        let xv = x.map(|a| vector("x", a, n)).transpose()?;
        let fm = f.map(|a| matrix("F", a, m, n)).transpose()?;
        let fym = f_y.map(|a| matrix("F_Y", a, m, k)).transpose()?;
        let names =
            |codes: &[String], names: Option<Vec<String>>, arg: &str| -> PyResult<Vec<Code>> {
                match names {
                    None => Ok(codes.iter().map(Code::bare).collect()),
                    Some(nm) if nm.len() == codes.len() => Ok(codes
                        .iter()
                        .zip(nm)
                        .map(|(c, n)| Code {
                            code: c.clone(),
                            name: n,
                        })
                        .collect()),
                    Some(_) => Err(errors::usage(arg, format!("{arg}: one name per code"))),
                }
            };
        let labels = Labels {
            regions: names(&regions, region_names, "region_names")?,
            sectors: names(&sectors, sector_names, "sector_names")?,
            final_demand: fd_regions
                .into_iter()
                .zip(fd_categories)
                .map(|(region, category)| FdColumn { region, category })
                .collect(),
            stressors: stressors
                .into_iter()
                .zip(units_of)
                .map(|(name, unit)| Stressor { name, unit })
                .collect(),
        };
        let provenance = Provenance {
            name: name.to_string(),
            title,
            source,
            year,
            units,
            source_sha256: None,
            written_by: format!("sovra {} (Python)", env!("CARGO_PKG_VERSION")),
            notes: "given in memory; x = Z1 + Y1 unless given; v = x - Z'1".into(),
        };
        let ws = self.ws.clone();
        let name = name.to_string();
        let out = progress::run_blocking(py, Show::Never, move |_| {
            let t = Mrio::from_parts(
                Parts {
                    labels,
                    z: zm,
                    y: ym,
                    x: xv,
                    v: None,
                    f: fm,
                    f_y: fym,
                    provenance,
                },
                BalanceTolerance::default(),
            )
            .map_err(blame)?;
            ws.add_table(&name, t).map(|_| ())
        })?;
        out.map_err(errors::to_py)
    }

    /// Whether the `Z` of a table given in memory is still numpy's memory (read in place, not copied).
    fn shares_memory(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        let loaded = self
            .ws
            .dataset(name, &sovra_engine::Quiet)
            .map_err(errors::to_py)?;
        let _ = py;
        Ok(loaded.table.z.data.is_shared())
    }

    /// Forgets a table given in memory; whether there was one.
    fn remove_table(&self, name: &str) -> bool {
        self.ws.remove_table(name)
    }

    /// The names of the tables given in memory.
    fn in_memory(&self) -> Vec<String> {
        self.ws.in_memory_names()
    }

    /// Fetches a dataset into the store (`icio2022`, or `classifications`); says what happened.
    #[pyo3(signature = (name, force=false, progress=None))]
    fn fetch(
        &self,
        py: Python<'_>,
        name: &str,
        force: bool,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let show = Show::from_arg(progress)?;
        let home = self.ws.home().to_path_buf();
        let name = name.to_string();
        let out = progress::run_blocking(py, show, move |p| {
            let mut stage = |s: &str| p.stage(s);
            let r = match name.as_str() {
                "icio2022" => sovra_core::fetch::fetch_icio2022(&home, force, &mut stage),
                "classifications" => {
                    sovra_core::fetch::fetch_classifications(&home, force, &mut stage)
                }
                other => {
                    return Err(Error {
                        kind: ErrorKind::NotFound,
                        message: format!(
                            "name: sovra fetches 'icio2022' or 'classifications', not '{other}'"
                        ),
                        field: Some("name".into()),
                        nearest: None,
                        choices: vec!["icio2022".into(), "classifications".into()],
                    });
                }
            };
            r.map_err(Error::from).map(|o| match o {
                sovra_core::fetch::Fetched::AlreadyPresent(p) => {
                    format!("{name} is already in {}", p.display())
                }
                sovra_core::fetch::Fetched::Converted(p) => {
                    format!("{name} written to {}", p.display())
                }
            })
        })?;
        out.map_err(errors::to_py)
    }

    /// Economic complexity of exports given as the text of a long CSV `year,exporter,product,value`
    /// (`source` names them in errors and the title).
    #[pyo3(signature = (text, source, request, progress=None))]
    fn complexity_text(
        &self,
        py: Python<'_>,
        text: String,
        source: String,
        request: &str,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyReport> {
        let req = match parse_request("complexity", request)? {
            Request::Complexity(q) => q,
            _ => return Err(errors::usage("request", "a complexity request")),
        };
        let show = Show::from_arg(progress)?;
        let ws = &*self.ws;
        let out = progress::run_blocking(py, show, |p| {
            sovra_engine::complexity::complexity_of_text(ws, &req, &text, &source, p)
        })?;
        out.map(PyReport::new).map_err(errors::to_py)
    }
}

enum Part {
    Report(sovra_report::Report),
    Done(sovra_engine::Result<sovra_report::Report>),
}

struct StreamState {
    rx: Option<std::sync::Mutex<Receiver<Part>>>,
    display: Display,
    worker: Option<std::thread::JoinHandle<()>>,
    result: Option<Py<PyReport>>,
}

/// The reports of a batch or sweep as they are done, in order. Stops the work when dropped or on Ctrl-C.
#[pyclass(module = "sovra", name = "ReportStream", frozen)]
struct ReportStream {
    state: std::sync::Mutex<StreamState>,
    shared: Arc<Shared>,
}

impl ReportStream {
    fn stop(&self, st: &mut StreamState) {
        self.shared.cancel();
        st.rx = None;
        if let Some(w) = st.worker.take() {
            let _ = w.join();
        }
    }
}

#[pymethods]
impl ReportStream {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyReport>> {
        let mut st = self.state.lock().map_err(|_| {
            pyo3::exceptions::PyRuntimeError::new_err("sovra: stream state poisoned")
        })?;
        let st = &mut *st;
        let Some(rx) = st.rx.as_ref() else {
            return Ok(None);
        };
        let part = progress::wait(py, rx, &self.shared, &mut st.display);
        let part = match part {
            Ok(p) => p,
            Err(e) => {
                let _ = st.display.finish(py);
                self.stop(st);
                return Err(e);
            }
        };
        match part {
            Part::Report(r) => Ok(Some(PyReport::new(r))),
            Part::Done(out) => {
                let _ = st.display.finish(py);
                st.rx = None;
                if let Some(w) = st.worker.take() {
                    let _ = py.detach(|| w.join());
                }
                let summary = out.map_err(errors::to_py)?;
                st.result = Some(Py::new(py, PyReport::new(summary))?);
                Ok(None)
            }
        }
    }

    /// The run's summary report, once every part has been read (None before).
    #[getter]
    fn result(&self, py: Python<'_>) -> Option<Py<PyReport>> {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.result.as_ref().map(|r| r.clone_ref(py)))
    }

    /// Stops the work (the parts not yet read are dropped).
    fn close(&self, py: Python<'_>) {
        let worker = match self.state.lock() {
            Ok(mut st) => {
                self.shared.cancel();
                st.rx = None;
                st.worker.take()
            }
            Err(_) => None,
        };
        if let Some(w) = worker {
            let _ = py.detach(|| w.join());
        }
    }
}

impl Drop for ReportStream {
    fn drop(&mut self) {
        if let Ok(mut st) = self.state.lock() {
            self.shared.cancel();
            st.rx = None;
            if let Some(w) = st.worker.take() {
                let _ = w.join();
            }
        }
    }
}

/// sovra's engine, for the Python package `sovra` (see `sovra/__init__.py` for the API people use).
#[pymodule]
fn _sovra(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Engine>()?;
    m.add_class::<PyReport>()?;
    m.add_class::<ReportStream>()?;
    errors::register(m)?;
    Ok(())
}
