//! The trade analyses' sums as DataFusion plans over a store: the screen of one importer and of every
//! importer (imports by importer × product × exporter, world exports by product × exporter, the HHI and
//! share sums), suppliers, exports for complexity, a bloc's exports and lead exporters. DataFusion runs each
//! plan on the store's Parquet files under the session's memory limit, spilling to disk; Rust keeps only
//! what is small after aggregation (sums per year × product, or per importer × product) and finishes the
//! screen with the same code as rows in memory ([`sovra_trade::screen::screen_sums`] and its kin).
//!
//! [`StoreFlows`] implements [`Flows`], so every analysis runs unchanged on either source; the two give the
//! same results up to the order of floating-point sums (`crates/sovra-engine/tests/trade_plans.rs` holds the reports to 1e-9).
//! Country and product indices are the codes' sorted order.
//!
//! A plan reads only the files the manifest lists for the asked years (checked first, as [`crate::query`]
//! does), so a partition being written or left by a killed import is never read.

use std::collections::{BTreeMap, HashMap};

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type};
use datafusion::common::JoinType;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::{Expr, when};
use datafusion::prelude::{ParquetReadOptions, col, lit};
use sovra_trade::complexity::{Exports, Guest};
use sovra_trade::flows::Flows;
use sovra_trade::screen::{
    self, EachSums, ImporterSums, Screened, Supplier, SupplySums, Thresholds,
};

use crate::query::Session;
use crate::store::{Store, file_schema};
use crate::{Error, Result};

/// A trade store's years, answered by DataFusion plans (see the module doc).
pub struct StoreFlows {
    session: Session,
    base: DataFrame,
    /// Each year's files alone (a plan of one year reads only them).
    by_year: BTreeMap<i32, DataFrame>,
    years: Vec<i32>,
    countries: Vec<String>,
    products: Vec<String>,
    country_ix: HashMap<String, u32>,
    product_ix: HashMap<String, u32>,
    memory_limit: usize,
    /// Rows in the asked years' files (from their footers).
    pub rows: u64,
}

impl StoreFlows {
    /// The asked `years` of a store (those it holds), in a session whose operators hold at most
    /// `memory_limit` bytes before they spill to disk. Reads the codes (two small aggregations).
    pub fn open(store: &Store, years: &[i32], memory_limit: usize) -> Result<StoreFlows> {
        Self::with_session(store, years, Session::new(memory_limit)?, memory_limit)
    }

    /// As [`StoreFlows::open`], on a given session (a local one, or one connected to a cluster).
    pub fn with_session(
        store: &Store,
        years: &[i32],
        session: Session,
        memory_limit: usize,
    ) -> Result<StoreFlows> {
        let held = store.years();
        let years: Vec<i32> = years.iter().copied().filter(|y| held.contains(y)).collect();
        let schema = file_schema();
        let mut base: Option<DataFrame> = None;
        let mut by_year = BTreeMap::new();
        let mut rows = 0u64;
        for &y in &years {
            let files = store.year_files(y)?;
            rows += store.manifest.years.get(&y).map_or(0, |e| e.rows);
            let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            let df = session
                .block_on(
                    session
                        .ctx()
                        .read_parquet(files, ParquetReadOptions::default().schema(&schema)),
                )?
                .select(vec![
                    lit(y).alias("year"),
                    col("exporter"),
                    col("importer"),
                    col("product"),
                    col("value"),
                ])?;
            by_year.insert(y, df.clone());
            base = Some(match base {
                None => df,
                Some(b) => b.union(df)?,
            });
        }
        let base = match base {
            Some(b) => b,
            None => session.ctx().read_empty()?.select(vec![
                lit(0i32).alias("year"),
                lit("").alias("exporter"),
                lit("").alias("importer"),
                lit("").alias("product"),
                lit(0.0f64).alias("value"),
            ])?,
        };
        let mut me = StoreFlows {
            session,
            base,
            by_year,
            years,
            countries: Vec::new(),
            products: Vec::new(),
            country_ix: HashMap::new(),
            product_ix: HashMap::new(),
            memory_limit,
            rows,
        };
        if !me.years.is_empty() {
            let exporters = me
                .base
                .clone()
                .select(vec![col("exporter").alias("code")])?;
            let importers = me
                .base
                .clone()
                .select(vec![col("importer").alias("code")])?;
            let countries = exporters.union(importers)?.distinct()?;
            me.countries = me.strings(countries, 0)?;
            let products = me.base.clone().select(vec![col("product")])?.distinct()?;
            me.products = me.strings(products, 0)?;
        }
        me.countries.sort_unstable();
        me.products.sort_unstable();
        me.country_ix = me.countries.iter().cloned().zip(0..).collect();
        me.product_ix = me.products.iter().cloned().zip(0..).collect();
        Ok(me)
    }

    /// Runs a plan; an exhausted memory pool says what to do.
    fn run(&self, df: DataFrame) -> Result<Vec<RecordBatch>> {
        self.session.collect(df).map_err(|e| {
            let text = e.to_string();
            if let Some(url) = self.session.cluster() {
                let hint = if text.contains("No such file") || text.contains("not found") {
                    "the executors could not read the store's files: every executor must see the store at the \
                     same path as this machine (a shared filesystem; docs/cluster.md)"
                } else if text.contains("no answer within") {
                    "raise --cluster-timeout, or check that the executors are alive (docs/cluster.md)"
                } else {
                    "check the scheduler's and executors' logs (docs/cluster.md); nothing of the query was used"
                };
                return Error::Invalid(format!("the cluster at {url} failed the query: {text} — {hint}"));
            }
            if text.contains("Resources exhausted") {
                Error::Invalid(format!(
                    "the query needs more memory than the memory limit ({:.1} GB) allows and could not spill \
                     to disk: raise --memory-limit, or ask for fewer years ({text})",
                    self.memory_limit as f64 / 1e9
                ))
            } else {
                Error::from(e)
            }
        })
    }

    fn strings(&self, df: DataFrame, c: usize) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for b in self.run(df)? {
            let a = b.column(c).as_string::<i32>();
            out.extend((0..b.num_rows()).map(|i| a.value(i).to_string()));
        }
        Ok(out)
    }

    fn codes(&self, idx: &[usize]) -> Vec<Expr> {
        idx.iter()
            .filter_map(|&i| self.countries.get(i))
            .map(|c| lit(c.as_str()))
            .collect()
    }

    fn country(&self, code: &str) -> Result<u32> {
        self.country_ix.get(code).copied().ok_or_else(|| {
            Error::Invalid(format!("country {code} appeared in a plan's result only"))
        })
    }

    fn product(&self, code: &str) -> Result<u32> {
        self.product_ix.get(code).copied().ok_or_else(|| {
            Error::Invalid(format!("product {code} appeared in a plan's result only"))
        })
    }

    /// Flows between two different countries with a positive value (what the screen counts).
    fn positive(&self) -> Result<DataFrame> {
        Ok(self.base.clone().filter(
            col("exporter")
                .not_eq(col("importer"))
                .and(col("value").gt(lit(0.0))),
        )?)
    }

    /// Flows between two different countries in `year` (reading that year's files only).
    fn of_year(&self, year: i32) -> Result<DataFrame> {
        let df = match self.by_year.get(&year) {
            Some(df) => df.clone(),
            None => self.base.clone().filter(col("year").eq(lit(year)))?,
        };
        Ok(df.filter(col("exporter").not_eq(col("importer")))?)
    }

    fn importer_sums(&self, importer: &[usize]) -> Result<BTreeMap<(i32, u32), ImporterSums>> {
        let set = self.codes(importer);
        let f = self.positive()?;
        let mut sums: BTreeMap<(i32, u32), ImporterSums> = BTreeMap::new();
        if set.is_empty() {
            return Ok(sums);
        }
        let from = f
            .clone()
            .filter(
                col("importer")
                    .in_list(set.clone(), false)
                    .and(col("exporter").in_list(set.clone(), true)),
            )?
            .aggregate(
                vec![col("year"), col("product"), col("exporter")],
                vec![sum(col("value")).alias("m")],
            )?;
        for b in self.run(from)? {
            let (y, p, e, m) = (
                b.column(0).as_primitive::<Int32Type>(),
                b.column(1).as_string::<i32>(),
                b.column(2).as_string::<i32>(),
                b.column(3).as_primitive::<Float64Type>(),
            );
            for i in 0..b.num_rows() {
                let k = (y.value(i), self.product(p.value(i))?);
                sums.entry(k)
                    .or_default()
                    .from
                    .insert(self.country(e.value(i))?, m.value(i));
            }
        }
        let exports = f
            .clone()
            .filter(
                col("exporter")
                    .in_list(set.clone(), false)
                    .and(col("importer").in_list(set, true)),
            )?
            .aggregate(
                vec![col("year"), col("product")],
                vec![sum(col("value")).alias("x")],
            )?;
        for (k, x) in self.by_year_product(exports)? {
            if let Some(s) = sums.get_mut(&k) {
                s.exports = x;
            }
        }
        for (k, h) in self.by_year_product(world_hhi(f)?)? {
            if let Some(s) = sums.get_mut(&k) {
                s.hhi_world = h;
            }
        }
        Ok(sums)
    }

    /// The rows of a plan with the columns year, product and a value, keyed by `(year, product)`.
    fn by_year_product(&self, df: DataFrame) -> Result<Vec<((i32, u32), f64)>> {
        let mut out = Vec::new();
        for b in self.run(df)? {
            let (y, p, v) = (
                b.column(0).as_primitive::<Int32Type>(),
                b.column(1).as_string::<i32>(),
                b.column(2).as_primitive::<Float64Type>(),
            );
            for i in 0..b.num_rows() {
                out.push(((y.value(i), self.product(p.value(i))?), v.value(i)));
            }
        }
        Ok(out)
    }

    fn each_sums(&self) -> Result<Vec<EachSums>> {
        let f = self.positive()?;
        // A store holds each (year, exporter, importer, product) once (its import checks), so what an
        // importer buys from one exporter is the row's value: no aggregation by exporter first.
        let stats = f.clone().aggregate(
            vec![col("year"), col("importer"), col("product")],
            vec![
                sum(col("value")).alias("s_imports"),
                sum(col("value") * col("value")).alias("s_m2"),
                max(col("value")).alias("s_top"),
            ],
        )?;
        // The top supplier: of the rows whose value is the largest, the first exporter by code (the order of
        // the in-memory screen). A join back on the maximum and a plain `min`: on 32 M rows an aggregate ordered
        // by value (`first_value … ORDER BY`) took 1.3× as long under the default 2 GB pool with 2.3× the peak
        // memory, and 11× as long under an 8 GB pool.
        let rows = f.clone().select(vec![
            col("year").alias("t_year"),
            col("importer").alias("t_importer"),
            col("product").alias("t_product"),
            col("value").alias("t_value"),
            col("exporter").alias("t_exporter"),
        ])?;
        let m = stats
            .join(
                rows,
                JoinType::Inner,
                &["year", "importer", "product", "s_top"],
                &["t_year", "t_importer", "t_product", "t_value"],
                None,
            )?
            .aggregate(
                vec![col("year"), col("importer"), col("product")],
                vec![
                    max(col("s_imports")).alias("imports"),
                    max(col("s_m2")).alias("m2"),
                    max(col("s_top")).alias("top_m"),
                    min(col("t_exporter")).alias("top_e"),
                ],
            )?
            .select(vec![
                col("year"),
                col("importer"),
                col("product"),
                col("imports"),
                col("m2"),
                col("top_m"),
                col("top_e"),
            ])?;
        // Exports by (year, exporter, product): both a country's own exports of a product and, summed over
        // exporters, the world's HHI of it. One aggregation read once; the rest is small and done here
        // (instead of a second aggregation and two joins in the plan).
        let x = f.aggregate(
            vec![col("year"), col("exporter"), col("product")],
            vec![sum(col("value")).alias("x")],
        )?;
        let mut exports: HashMap<(i32, u32, u32), f64> = HashMap::new();
        let mut world: HashMap<(i32, u32), (f64, f64)> = HashMap::new();
        for b in self.run(x)? {
            let y = b.column(0).as_primitive::<Int32Type>();
            let (e, p) = (
                b.column(1).as_string::<i32>(),
                b.column(2).as_string::<i32>(),
            );
            let v = b.column(3).as_primitive::<Float64Type>();
            for i in 0..b.num_rows() {
                let (year, product, value) = (y.value(i), self.product(p.value(i))?, v.value(i));
                exports.insert((year, self.country(e.value(i))?, product), value);
                let w = world.entry((year, product)).or_default();
                w.0 += value;
                w.1 += value * value;
            }
        }
        let mut out = Vec::new();
        for b in self.run(m)? {
            let y = b.column(0).as_primitive::<Int32Type>();
            let (j, p, e) = (
                b.column(1).as_string::<i32>(),
                b.column(2).as_string::<i32>(),
                b.column(6).as_string::<i32>(),
            );
            let f64s = |c: usize| b.column(c).as_primitive::<Float64Type>();
            let (imports, m2, top_m) = (f64s(3), f64s(4), f64s(5));
            for i in 0..b.num_rows() {
                let (year, importer, product) = (
                    y.value(i),
                    self.country(j.value(i))?,
                    self.product(p.value(i))?,
                );
                let total = imports.value(i);
                out.push(EachSums {
                    year,
                    importer,
                    product,
                    imports: total,
                    hhi_imports: m2.value(i) / (total * total),
                    top: (self.country(e.value(i))? as usize, top_m.value(i)),
                    exports: exports
                        .get(&(year, importer, product))
                        .copied()
                        .unwrap_or(0.0),
                    hhi_world: world
                        .get(&(year, product))
                        .map_or(0.0, |&(w1, w2)| w2 / (w1 * w1)),
                });
            }
        }
        out.sort_unstable_by_key(|s| (s.importer, s.year, s.product));
        Ok(out)
    }

    /// Sums over `(product, exporter)` as a map, from a plan with those two columns and a value.
    fn by_product_exporter(&self, df: DataFrame) -> Result<Vec<((u32, u32), f64)>> {
        let mut out = Vec::new();
        for b in self.run(df)? {
            let (p, e, v) = (
                b.column(0).as_string::<i32>(),
                b.column(1).as_string::<i32>(),
                b.column(2).as_primitive::<Float64Type>(),
            );
            for i in 0..b.num_rows() {
                out.push((
                    (self.product(p.value(i))?, self.country(e.value(i))?),
                    v.value(i),
                ));
            }
        }
        Ok(out)
    }
}

/// `HHI_W` per (year, product) of positive flows `f`: `Σ_e w_e² / (Σ_e w_e)²`.
fn world_hhi(f: DataFrame) -> Result<DataFrame> {
    Ok(f.aggregate(
        vec![col("year"), col("product"), col("exporter")],
        vec![sum(col("value")).alias("w")],
    )?
    .aggregate(
        vec![col("year"), col("product")],
        vec![
            sum(col("w")).alias("w1"),
            sum(col("w") * col("w")).alias("w2"),
        ],
    )?
    .select(vec![
        col("year"),
        col("product"),
        (col("w2") / (col("w1") * col("w1"))).alias("hhi_w"),
    ])?)
}

fn trade_err(e: Error) -> sovra_trade::Error {
    match e {
        Error::Trade(t) => t,
        other => sovra_trade::Error::Source(other.to_string()),
    }
}

impl Flows for StoreFlows {
    fn countries(&self) -> &[String] {
        &self.countries
    }

    fn products(&self) -> &[String] {
        &self.products
    }

    fn years(&self) -> Vec<i32> {
        self.years.clone()
    }

    fn screen(
        &self,
        importer: &[usize],
        bloc: &[usize],
        th: &Thresholds,
    ) -> sovra_trade::Result<Vec<Screened>> {
        let sums = self.importer_sums(importer).map_err(trade_err)?;
        Ok(screen::screen_sums(
            sums,
            self.countries.len(),
            bloc,
            &self.years,
            th,
        ))
    }

    fn screen_each(&self, th: &Thresholds) -> sovra_trade::Result<Vec<Vec<Screened>>> {
        let sums = self.each_sums().map_err(trade_err)?;
        Ok(screen::screen_each_sums(
            sums,
            self.countries.len(),
            &self.years,
            th,
        ))
    }

    fn suppliers(
        &self,
        importer: &[usize],
        partners: &[usize],
        year: i32,
        products: &[usize],
    ) -> sovra_trade::Result<Vec<Vec<Supplier>>> {
        let go = || -> Result<Vec<Vec<Supplier>>> {
            let nc = self.countries.len();
            let g = self.of_year(year)?;
            let mut total = vec![0.0; nc];
            let totals = g
                .clone()
                .aggregate(vec![col("exporter")], vec![sum(col("value")).alias("v")])?;
            for b in self.run(totals)? {
                let (e, v) = (
                    b.column(0).as_string::<i32>(),
                    b.column(1).as_primitive::<Float64Type>(),
                );
                for i in 0..b.num_rows() {
                    total[self.country(e.value(i))? as usize] += v.value(i);
                }
            }
            let world_all: f64 = total.iter().sum();
            let wanted: Vec<Expr> = products
                .iter()
                .filter_map(|&p| self.products.get(p))
                .map(|p| lit(p.as_str()))
                .collect();
            let mut per: HashMap<u32, SupplySums> = HashMap::new();
            if !wanted.is_empty() {
                let set = self.codes(importer);
                let to_i = if set.is_empty() {
                    lit(0.0)
                } else {
                    when(col("importer").in_list(set, false), col("value")).otherwise(lit(0.0))?
                };
                let plan = g.filter(col("product").in_list(wanted, false))?.aggregate(
                    vec![col("product"), col("exporter")],
                    vec![sum(col("value")).alias("w"), sum(to_i).alias("to_i")],
                )?;
                for b in self.run(plan)? {
                    let (p, e) = (
                        b.column(0).as_string::<i32>(),
                        b.column(1).as_string::<i32>(),
                    );
                    let (w, t) = (
                        b.column(2).as_primitive::<Float64Type>(),
                        b.column(3).as_primitive::<Float64Type>(),
                    );
                    for i in 0..b.num_rows() {
                        let s =
                            per.entry(self.product(p.value(i))?)
                                .or_insert_with(|| SupplySums {
                                    total: Vec::new(),
                                    world_all,
                                    product: vec![0.0; nc],
                                    to_importer: vec![0.0; nc],
                                });
                        let e = self.country(e.value(i))? as usize;
                        s.product[e] += w.value(i);
                        s.to_importer[e] += t.value(i);
                    }
                }
            }
            Ok(products
                .iter()
                .map(|&p| match per.remove(&(p as u32)) {
                    Some(mut s) => {
                        s.total = total.clone();
                        screen::suppliers_sums(&s, importer, partners)
                    }
                    None => Vec::new(),
                })
                .collect())
        };
        go().map_err(trade_err)
    }

    fn exports_of_year(&self, year: i32) -> sovra_trade::Result<Exports> {
        let go = || -> Result<Exports> {
            let (nc, np) = (self.countries.len(), self.products.len());
            let mut values = vec![0.0; nc * np];
            let plan = self.of_year(year)?.aggregate(
                vec![col("product"), col("exporter")],
                vec![sum(col("value")).alias("v")],
            )?;
            for ((p, e), v) in self.by_product_exporter(plan)? {
                values[e as usize * np + p as usize] += v;
            }
            Ok(Exports {
                countries: self.countries.clone(),
                products: self.products.clone(),
                values,
            })
        };
        go().map_err(trade_err)
    }

    fn bloc_exports(&self, members: &[usize], year: i32) -> sovra_trade::Result<Guest> {
        let go = || -> Result<Guest> {
            let np = self.products.len();
            let (mut exports, mut internal) = (vec![0.0; np], vec![0.0; np]);
            let set = self.codes(members);
            if set.is_empty() {
                return Ok(Guest { exports, internal });
            }
            let inside = col("importer").in_list(set.clone(), false);
            let plan = self
                .of_year(year)?
                .filter(col("exporter").in_list(set, false))?
                .aggregate(
                    vec![col("product")],
                    vec![
                        sum(when(inside.clone(), lit(0.0)).otherwise(col("value"))?).alias("out"),
                        sum(when(inside, col("value")).otherwise(lit(0.0))?).alias("in"),
                    ],
                )?;
            for b in self.run(plan)? {
                let p = b.column(0).as_string::<i32>();
                let (o, n) = (
                    b.column(1).as_primitive::<Float64Type>(),
                    b.column(2).as_primitive::<Float64Type>(),
                );
                for i in 0..b.num_rows() {
                    let p = self.product(p.value(i))? as usize;
                    exports[p] += o.value(i);
                    internal[p] += n.value(i);
                }
            }
            Ok(Guest { exports, internal })
        };
        go().map_err(trade_err)
    }

    fn lead_exporters(
        &self,
        members: &[usize],
        year: i32,
    ) -> sovra_trade::Result<Vec<Option<usize>>> {
        let go = || -> Result<Vec<Option<usize>>> {
            let set = self.codes(members);
            if set.is_empty() {
                return Ok(vec![None; self.products.len()]);
            }
            let plan = self
                .of_year(year)?
                .filter(
                    col("value")
                        .gt(lit(0.0))
                        .and(col("exporter").in_list(set.clone(), false))
                        .and(col("importer").in_list(set, true)),
                )?
                .aggregate(
                    vec![col("product"), col("exporter")],
                    vec![sum(col("value")).alias("v")],
                )?;
            Ok(sovra_trade::opportunities::lead_of(
                self.by_product_exporter(plan)?,
                self.products.len(),
            ))
        };
        go().map_err(trade_err)
    }
}
