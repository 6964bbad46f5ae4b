//! What the screens, suppliers, opportunities and complexity ask of bilateral trade, whoever holds it: rows
//! in memory ([`Bilateral`], which computes the sums itself) or a trade store that answers each question
//! with a DataFusion plan and returns only the sums (`sovra_lake::plans`).
//!
//! Every method answers in the index spaces of [`Flows::countries`] and [`Flows::products`], so a report is
//! written the same way from either.

use crate::complexity::{Exports, Guest};
use crate::screen::{self, Bilateral, Screened, Supplier, Thresholds};
use crate::{Result, opportunities};

/// A source of bilateral trade for the product-level analyses.
pub trait Flows: Send + Sync {
    /// Country codes (indices of every method's countries).
    fn countries(&self) -> &[String];
    /// Product codes (indices of every method's products).
    fn products(&self) -> &[String];
    /// The years held, sorted.
    fn years(&self) -> Vec<i32>;
    /// [`screen::screen`]: the dependency screen of one importer (a country or a bloc's members).
    fn screen(&self, importer: &[usize], bloc: &[usize], th: &Thresholds) -> Result<Vec<Screened>>;
    /// [`screen::screen_each`]: the screen of every country as importer.
    fn screen_each(&self, th: &Thresholds) -> Result<Vec<Vec<Screened>>>;
    /// [`screen::suppliers`] of each of `products` in `year`, in that order.
    fn suppliers(
        &self,
        importer: &[usize],
        partners: &[usize],
        year: i32,
        products: &[usize],
    ) -> Result<Vec<Vec<Supplier>>>;
    /// [`screen::exports_of_year`]: exports by exporter × product.
    fn exports_of_year(&self, year: i32) -> Result<Exports>;
    /// [`opportunities::bloc_exports`]: a bloc's exports to outside it and its internal flows, by product.
    fn bloc_exports(&self, members: &[usize], year: i32) -> Result<Guest>;
    /// [`opportunities::lead_exporters`]: per product, the member with the largest exports to outside.
    fn lead_exporters(&self, members: &[usize], year: i32) -> Result<Vec<Option<usize>>>;
}

impl Flows for Bilateral {
    fn countries(&self) -> &[String] {
        &self.countries
    }
    fn products(&self) -> &[String] {
        &self.products
    }
    fn years(&self) -> Vec<i32> {
        screen::years_of(self)
    }
    fn screen(&self, importer: &[usize], bloc: &[usize], th: &Thresholds) -> Result<Vec<Screened>> {
        Ok(screen::screen(self, importer, bloc, th))
    }
    fn screen_each(&self, th: &Thresholds) -> Result<Vec<Vec<Screened>>> {
        Ok(screen::screen_each(self, th))
    }
    fn suppliers(
        &self,
        importer: &[usize],
        partners: &[usize],
        year: i32,
        products: &[usize],
    ) -> Result<Vec<Vec<Supplier>>> {
        Ok(products
            .iter()
            .map(|&p| screen::suppliers(self, importer, partners, year, p))
            .collect())
    }
    fn exports_of_year(&self, year: i32) -> Result<Exports> {
        Ok(screen::exports_of_year(self, year))
    }
    fn bloc_exports(&self, members: &[usize], year: i32) -> Result<Guest> {
        Ok(opportunities::bloc_exports(self, members, year))
    }
    fn lead_exporters(&self, members: &[usize], year: i32) -> Result<Vec<Option<usize>>> {
        Ok(opportunities::lead_exporters(self, members, year))
    }
}
