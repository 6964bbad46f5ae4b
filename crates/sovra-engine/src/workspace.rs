//! The workspace: what is costly to rebuild, kept between requests — loaded tables (`Arc`), their Leontief
//! systems with the LU factorisation and preconditioners built on first use, the bloc registry, and the years
//! of the trade store last read. A second request on the same dataset reuses all of it; a dataset replaced
//! on disk is reloaded (its `meta.json` is checked on every use), as are trade years re-imported (the
//! store's manifest is compared).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};
use sovra_analysis::dependency;
use sovra_analysis::shock::Network;
use sovra_core::blocs::Registry;
use sovra_core::{LeontiefSystem, Method, Mrio, fetch, store};
use sovra_lake::query::LoadReport;
use sovra_lake::store::{Manifest, Store};
use sovra_trade::screen::Bilateral;

use crate::error::{Error, ErrorKind, Result};
use crate::progress::Progress;

/// The linear solver a request asks for.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// By estimated cost.
    #[default]
    Auto,
    /// LU factorisation (kept for later requests).
    Lu,
    /// GMRES with a block-Jacobi preconditioner.
    Iterative,
}

impl Solver {
    fn method(self) -> Method {
        match self {
            Solver::Auto => Method::Auto,
            Solver::Lu => Method::Lu,
            Solver::Iterative => Method::Iterative,
        }
    }
}

/// A dataset loaded once, with the solvers built on it.
pub struct Loaded {
    /// The table.
    pub table: Arc<Mrio>,
    /// The years the dataset holds (several for a series; empty when not from the store or not recorded).
    pub years: Vec<i32>,
    /// When `meta.json` was last modified (to notice a replacement).
    modified: Option<SystemTime>,
    /// Seconds the load took.
    pub load_seconds: f64,
    /// Solves a factorisation is expected to serve ([`LeontiefSystem::reuse`]).
    reuse: usize,
    systems: Mutex<HashMap<Solver, Arc<LeontiefSystem>>>,
    /// What depends on them only, per solver and them, most recent last (at most [`KEPT_THEM`]).
    on_them: Mutex<Vec<(Solver, Arc<dependency::OnThem>)>>,
    /// The shock models' network, built on first use.
    network: Mutex<Option<Arc<Network>>>,
}

/// How many "them" a loaded dataset keeps their part of a dependency analysis for.
const KEPT_THEM: usize = 8;

impl Loaded {
    /// Wraps a table that is not in a store (an uploaded or generated one).
    pub fn from_table(table: Mrio) -> Self {
        Loaded {
            years: table.provenance.year.into_iter().collect(),
            table: Arc::new(table),
            modified: None,
            load_seconds: 0.0,
            reuse: 1,
            systems: Mutex::new(HashMap::new()),
            on_them: Mutex::new(Vec::new()),
            network: Mutex::new(None),
        }
    }

    /// The Leontief system of the table for a solver choice, built once; its factorisation is kept inside
    /// it once a solve needs one.
    pub fn system(&self, solver: Solver) -> Result<Arc<LeontiefSystem>> {
        let mut systems = self
            .systems
            .lock()
            .map_err(|_| Error::new(ErrorKind::Compute, "solver cache poisoned"))?;
        if let Some(s) = systems.get(&solver) {
            return Ok(s.clone());
        }
        let mut sys = LeontiefSystem::from_table(&self.table).map_err(|e| {
            let mut err = Error::from(e);
            err.message = format!("dataset {}: {}", self.table.provenance.name, err.message);
            err
        })?;
        sys.method = solver.method();
        sys.reuse = self.reuse;
        let sys = Arc::new(sys);
        systems.insert(solver, sys.clone());
        Ok(sys)
    }

    /// What a dependency analysis needs of `them` only, computed once per solver and them and kept
    /// ([`dependency::on_them`]); says whether it was kept from an earlier request.
    pub fn on_them(
        &self,
        solver: Solver,
        sys: &LeontiefSystem,
        them: &[usize],
    ) -> Result<(Arc<dependency::OnThem>, bool)> {
        let hit = |kept: &Vec<(Solver, Arc<dependency::OnThem>)>| {
            kept.iter()
                .position(|(s, o)| *s == solver && o.them() == them)
        };
        if let Ok(mut kept) = self.on_them.lock()
            && let Some(k) = hit(&kept)
        {
            let e = kept.remove(k);
            let o = e.1.clone();
            kept.push(e);
            return Ok((o, true));
        }
        let o = Arc::new(dependency::on_them(&self.table, sys, them)?);
        if let Ok(mut kept) = self.on_them.lock() {
            if let Some(k) = hit(&kept) {
                kept.remove(k);
            }
            kept.push((solver, o.clone()));
            if kept.len() > KEPT_THEM {
                kept.remove(0);
            }
        }
        Ok((o, false))
    }

    /// The network the shock models run on, built once (cost shares, the `f32` mirror of `Z`, the domestic
    /// blocks) and shared by every later shock on this dataset.
    pub fn network(&self) -> Result<Arc<Network>> {
        let mut kept = self
            .network
            .lock()
            .map_err(|_| Error::new(ErrorKind::Compute, "network cache poisoned"))?;
        if let Some(n) = kept.as_ref() {
            return Ok(n.clone());
        }
        let n = Arc::new(Network::new(self.table.clone())?);
        *kept = Some(n.clone());
        Ok(n)
    }

    /// Whether the shock network is already built (for timings).
    pub fn has_network(&self) -> bool {
        self.network.lock().map(|n| n.is_some()).unwrap_or(false)
    }

    /// Whether the system for this solver is already built (for timings and tests).
    pub fn has_system(&self, solver: Solver) -> bool {
        self.systems
            .lock()
            .map(|s| s.contains_key(&solver))
            .unwrap_or(false)
    }
}

/// Where the engine finds its data and what it keeps between requests.
pub struct Workspace {
    home: PathBuf,
    /// Fetch the default dataset on first use (the CLI does; a server started read-only does not).
    pub fetch_default: bool,
    /// Solves a factorisation is expected to serve: 1 for a one-shot command (GMRES is cheaper for a few
    /// right-hand sides); a server sets more, so that `auto` factors once and answers every later request
    /// with triangular sweeps.
    pub reuse: usize,
    /// The trade store, when not `$home/trade` (tests; a deployment keeping trade apart).
    pub trade_dir: Option<PathBuf>,
    /// What the trade store's DataFusion plans may hold in memory before they spill to disk, in bytes.
    pub trade_memory_limit: usize,
    /// Load the trade store's years into memory and compute in Rust (the path before plans; kept cached
    /// between requests), instead of running DataFusion plans on the store.
    pub trade_in_memory: bool,
    /// Run the trade store's plans on the Apache Ballista scheduler at this `df://HOST:PORT` (feature
    /// `cluster`); every executor must see the store at the same path.
    pub trade_cluster: Option<String>,
    /// The longest a query on the cluster may take.
    pub trade_cluster_timeout: std::time::Duration,
    datasets: Mutex<HashMap<String, Arc<Loaded>>>,
    /// Tables given in memory rather than read from the store (Python's `Dataset.from_arrays` and
    /// `from_pymrio`), by name; a name here hides the store's dataset of that name.
    in_memory: Mutex<HashMap<String, Arc<Loaded>>>,
    registries: Mutex<HashMap<String, Arc<Registry>>>,
    trade: Mutex<Option<TradeYears>>,
}

/// The years of a trade store last loaded, with what identifies them.
struct TradeYears {
    dir: PathBuf,
    years: Vec<i32>,
    manifest: Manifest,
    flows: Arc<Bilateral>,
    report: LoadReport,
}

/// The name of the default dataset.
pub const DEFAULT_DATASET: &str = "icio2022";

impl Workspace {
    /// A workspace on the store at `home`.
    pub fn new(home: impl Into<PathBuf>) -> Self {
        Workspace {
            home: home.into(),
            fetch_default: true,
            reuse: 1,
            trade_dir: None,
            trade_memory_limit: sovra_lake::import::ImportOptions::default().memory_limit,
            trade_in_memory: false,
            trade_cluster: None,
            trade_cluster_timeout: std::time::Duration::from_secs(600),
            datasets: Mutex::new(HashMap::new()),
            in_memory: Mutex::new(HashMap::new()),
            registries: Mutex::new(HashMap::new()),
            trade: Mutex::new(None),
        }
    }

    /// A workspace on the user's store (`$SOVRA_HOME`, else `$XDG_DATA_HOME/sovra`, else
    /// `~/.local/share/sovra`).
    pub fn from_env() -> Self {
        Workspace::new(store::home())
    }

    /// The store directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// A dataset by name, loaded once and kept; the default dataset is fetched on first use when
    /// [`Workspace::fetch_default`] is set. Names are confined to the store: `../x`, absolute paths and
    /// names with separators are refused.
    pub fn dataset(&self, name: &str, progress: &dyn Progress) -> Result<Arc<Loaded>> {
        self.dataset_year(name, None, progress)
    }

    /// [`Workspace::dataset`] for one year of a dataset: `None` is the latest year of a series (or the one
    /// table of a single-year dataset). A year the dataset does not hold is a usage error naming it and the
    /// years there are. Each year is loaded once and kept.
    pub fn dataset_year(
        &self,
        name: &str,
        year: Option<i32>,
        progress: &dyn Progress,
    ) -> Result<Arc<Loaded>> {
        if !store::valid_name(name) {
            return Err(Error::usage(
                "data",
                format!(
                    "'{name}' is not a dataset name (letters, digits, '-', '_', '.'; see `sovra data list`)"
                ),
            ));
        }
        if let Some(l) = self.in_memory_table(name) {
            return match year {
                Some(y) if !l.years.is_empty() && !l.years.contains(&y) => Err(Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "the table {name} given in memory is of {}, not {y}",
                        store::year_list(&l.years)
                    ),
                )
                .at("year")),
                _ => Ok(l),
            };
        }
        let meta = store::dataset_dir(&self.home, name).join("meta.json");
        let modified = std::fs::metadata(&meta).and_then(|m| m.modified()).ok();
        let key = match year {
            None => name.to_string(),
            Some(y) => format!("{name}@{y}"),
        };
        {
            let cache = self
                .datasets
                .lock()
                .map_err(|_| Error::new(ErrorKind::Compute, "dataset cache poisoned"))?;
            if let Some(l) = cache.get(&key)
                && modified.is_some()
                && l.modified == modified
            {
                return Ok(l.clone());
            }
        }
        if modified.is_none() && name == DEFAULT_DATASET && self.fetch_default {
            progress.note(&format!(
                "icio2022 is not in {} yet: fetching it (once) with pip …",
                self.home.display()
            ));
            let mut stage = |s: &str| progress.stage(s);
            fetch::fetch_icio2022(&self.home, false, &mut stage)?;
        }
        progress.stage(&match year {
            None => format!("loading {name}"),
            Some(y) => format!("loading {name}, year {y}"),
        });
        let started = Instant::now();
        let table = store::open_year(&self.home, name, year).map_err(|e| match e {
            // The only request error of a read past the name check: a year the dataset does not hold.
            sovra_core::Error::Request(m) => Error::new(ErrorKind::NotFound, m).at("year"),
            e => Error::from(e).at("data"),
        })?;
        let modified = std::fs::metadata(&meta).and_then(|m| m.modified()).ok();
        let years = store::meta(&self.home, name)
            .map(|m| m.years())
            .unwrap_or_else(|_| table.provenance.year.into_iter().collect());
        let loaded = Arc::new(Loaded {
            years,
            table: Arc::new(table),
            modified,
            load_seconds: started.elapsed().as_secs_f64(),
            reuse: self.reuse,
            systems: Mutex::new(HashMap::new()),
            on_them: Mutex::new(Vec::new()),
            network: Mutex::new(None),
        });
        self.datasets
            .lock()
            .map_err(|_| Error::new(ErrorKind::Compute, "dataset cache poisoned"))?
            .insert(key, loaded.clone());
        Ok(loaded)
    }

    /// Puts a table given in memory under a name every request can then use as its `data` (it hides a store
    /// dataset of the same name, and replaces an earlier table of that name). The name follows the store's
    /// rules (letters, digits, `-`, `_`, `.`).
    pub fn add_table(&self, name: &str, table: sovra_core::Mrio) -> Result<Arc<Loaded>> {
        if !store::valid_name(name) {
            return Err(Error::usage(
                "name",
                format!("'{name}' is not a dataset name (letters, digits, '-', '_', '.')"),
            ));
        }
        let loaded = Arc::new(Loaded::from_table(table));
        self.in_memory
            .lock()
            .map_err(|_| Error::new(ErrorKind::Compute, "dataset cache poisoned"))?
            .insert(name.to_string(), loaded.clone());
        Ok(loaded)
    }

    /// Forgets a table given in memory; whether there was one.
    pub fn remove_table(&self, name: &str) -> bool {
        self.in_memory
            .lock()
            .map(|mut m| m.remove(name).is_some())
            .unwrap_or(false)
    }

    /// The names of the tables given in memory, sorted.
    pub fn in_memory_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .in_memory
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    fn in_memory_table(&self, name: &str) -> Option<Arc<Loaded>> {
        self.in_memory.lock().ok()?.get(name).cloned()
    }

    /// Whether a dataset is loaded already (for timings and tests).
    pub fn is_loaded(&self, name: &str) -> bool {
        self.datasets
            .lock()
            .map(|c| c.contains_key(name))
            .unwrap_or(false)
    }

    /// The trade store of this workspace, `HOME/trade` (`$SOVRA_HOME/trade`): where `sovra trade import` writes
    /// by default and the one every trade request reads unless it names another (which only the CLI may).
    pub fn trade_store(&self) -> PathBuf {
        self.trade_dir
            .clone()
            .unwrap_or_else(|| self.home.join("trade"))
    }

    /// How a report names a trade store: the store's own is "the store's trade data" (no path: a server's
    /// reports do not show where its files live); another one by its path.
    pub fn trade_store_name(&self, dir: &Path) -> String {
        if dir == self.trade_store() {
            "the store's trade data".into()
        } else {
            format!("trade store {}", dir.display())
        }
    }

    /// Where `sovra data fetch classifications` keeps HS product names and revision weights.
    pub fn classifications(&self) -> PathBuf {
        fetch::classifications_dir(&self.home)
    }

    /// Years of a trade store in memory (only their partitions are read). The set loaded last is kept while
    /// the store's manifest is unchanged, so a second request on the same years does not read them again.
    pub fn trade_years(
        &self,
        store: &Store,
        years: &[i32],
        progress: &dyn Progress,
    ) -> Result<(Arc<Bilateral>, LoadReport)> {
        let poisoned = || Error::new(ErrorKind::Compute, "trade cache poisoned");
        if let Some(kept) = self.trade.lock().map_err(|_| poisoned())?.as_ref()
            && kept.dir == store.dir
            && kept.years == years
            && kept.manifest == store.manifest
        {
            return Ok((kept.flows.clone(), kept.report.clone()));
        }
        progress.stage("reading the trade store");
        let (flows, report) = sovra_lake::query::load(store, years, self.trade_memory_limit)?;
        let flows = Arc::new(flows);
        *self.trade.lock().map_err(|_| poisoned())? = Some(TradeYears {
            dir: store.dir.clone(),
            years: years.to_vec(),
            manifest: store.manifest.clone(),
            flows: flows.clone(),
            report: report.clone(),
        });
        Ok((flows, report))
    }

    /// The asked `years` of a trade store as DataFusion plans ([`sovra_lake::plans::StoreFlows`]) under the
    /// workspace's memory limit, and the rows their files hold.
    pub fn trade_plans(
        &self,
        store: &Store,
        years: &[i32],
        progress: &dyn Progress,
    ) -> Result<(Arc<dyn sovra_trade::flows::Flows>, u64)> {
        let flows = match &self.trade_cluster {
            None => {
                progress.stage("planning queries on the trade store");
                sovra_lake::plans::StoreFlows::open(store, years, self.trade_memory_limit)?
            }
            Some(url) => {
                progress.stage(&format!("connecting to the cluster at {url}"));
                let session = self.cluster_session(url)?;
                sovra_lake::plans::StoreFlows::with_session(
                    store,
                    years,
                    session,
                    self.trade_memory_limit,
                )?
            }
        };
        let rows = flows.rows;
        Ok((Arc::new(flows), rows))
    }

    #[cfg(feature = "cluster")]
    fn cluster_session(&self, url: &str) -> Result<sovra_lake::query::Session> {
        sovra_lake::cluster::connect(url, self.trade_cluster_timeout)
            .map_err(|e| Error::new(ErrorKind::External, e.to_string()).at("cluster"))
    }

    #[cfg(not(feature = "cluster"))]
    fn cluster_session(&self, url: &str) -> Result<sovra_lake::query::Session> {
        Err(Error::usage(
            "cluster",
            format!(
                "--cluster {url}: this sovra was built without cluster mode; build it with `cargo build --release \
                 -p sovra-cli --features cluster` (docs/cluster.md)"
            ),
        ))
    }

    /// The bloc registry: built-in blocs, `$SOVRA_HOME/blocs.toml` when present, and extra blocs given as
    /// TOML text with the name of where they came from (a file the CLI read, or a request field).
    pub fn registry(&self, extra: Option<&Blocs>) -> Result<Arc<Registry>> {
        let home_file = self.home.join("blocs.toml");
        let home_text = std::fs::read_to_string(&home_file).ok();
        let key = format!(
            "{}\u{0}{}",
            home_text.as_deref().unwrap_or(""),
            extra.map(|b| b.toml.as_str()).unwrap_or("")
        );
        if let Some(r) = self
            .registries
            .lock()
            .map_err(|_| Error::new(ErrorKind::Compute, "registry cache poisoned"))?
            .get(&key)
        {
            return Ok(r.clone());
        }
        let mut reg = Registry::builtin();
        if let Some(text) = &home_text {
            reg.add_toml(text, &home_file)?;
        }
        if let Some(b) = extra {
            reg.add_toml(&b.toml, Path::new(&b.origin))
                .map_err(|e| Error::from(e).at("blocs"))?;
        }
        let reg = Arc::new(reg);
        self.registries
            .lock()
            .map_err(|_| Error::new(ErrorKind::Compute, "registry cache poisoned"))?
            .insert(key, reg.clone());
        Ok(reg)
    }
}

/// Extra blocs: TOML text (`[bloc.NAME] members = ["AAA", …]`) and where it came from.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocs {
    /// The TOML text.
    pub toml: String,
    /// Where it came from (a file name, or "request"), for error messages.
    #[serde(default = "request_origin")]
    pub origin: String,
}

fn request_origin() -> String {
    "request field blocs".into()
}

impl Blocs {
    /// Reads a blocs file (the CLI's `--blocs FILE`).
    pub fn from_file(path: &Path) -> Result<Blocs> {
        let toml = sovra_core::read::read_text(path).map_err(|e| {
            let kind = if e.is_not_found() {
                ErrorKind::NotFound
            } else {
                ErrorKind::Usage
            };
            Error::new(kind, format!("--blocs {}: {e}", path.display())).at("blocs")
        })?;
        Ok(Blocs {
            toml,
            origin: path.display().to_string(),
        })
    }
}
