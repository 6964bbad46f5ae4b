//! Labels of an MRIO table: regions, sectors, final-demand columns and stressors, and the one canonical node
//! order sovra uses everywhere: region-major (`node = region_index × n_sectors + sector_index`).

use serde::{Deserialize, Serialize};

/// A coded entity (region or sector) with a human name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// Short code (ISO3 for countries, the source's code for sectors).
    pub code: String,
    /// Human-readable name.
    pub name: String,
}

impl Code {
    /// A code whose name is the code itself.
    pub fn bare(code: impl Into<String>) -> Self {
        let code = code.into();
        Code {
            name: code.clone(),
            code,
        }
    }
}

/// Region code used for final demand that is not split by destination.
pub const WORLD: &str = "WLD";

/// One column of final demand `Y`: the destination region and the category (HFCE, GFCF, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdColumn {
    /// Destination region code, or [`WORLD`] when the table does not split final demand by destination.
    pub region: String,
    /// Final-demand category.
    pub category: String,
}

/// A stressor (satellite-account row of `F`) with its unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stressor {
    /// Name, unique within the table (e.g. `emissions/emission_type1/air`).
    pub name: String,
    /// Unit of the values.
    pub unit: String,
}

/// All labels of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    /// Regions in node order.
    pub regions: Vec<Code>,
    /// Sectors in node order within each region.
    pub sectors: Vec<Code>,
    /// Final-demand columns of `Y`.
    pub final_demand: Vec<FdColumn>,
    /// Stressor rows of `F` (empty when the table carries none).
    pub stressors: Vec<Stressor>,
}

impl Labels {
    /// Number of nodes (regions × sectors).
    pub fn n_nodes(&self) -> usize {
        self.regions.len() * self.sectors.len()
    }

    /// Region and sector index of a node.
    pub fn node(&self, i: usize) -> (usize, usize) {
        let ns = self.sectors.len().max(1);
        (i / ns, i % ns)
    }

    /// `REGION/SECTOR` label of a node, as used in error messages and outputs.
    pub fn node_label(&self, i: usize) -> String {
        let (r, s) = self.node(i);
        match (self.regions.get(r), self.sectors.get(s)) {
            (Some(r), Some(s)) => format!("{}/{}", r.code, s.code),
            _ => format!("node {i}"),
        }
    }

    /// Labels of several nodes, joined; long lists are cut with a count of the rest.
    pub fn node_list(&self, nodes: &[usize], max: usize) -> String {
        let mut out: Vec<String> = nodes
            .iter()
            .take(max)
            .map(|&i| self.node_label(i))
            .collect();
        if nodes.len() > max {
            out.push(format!("… and {} more", nodes.len() - max));
        }
        out.join(", ")
    }

    /// Index of a region code.
    pub fn region_index(&self, code: &str) -> Option<usize> {
        self.regions
            .iter()
            .position(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// Index of a sector code (exact or case-insensitive), or an error listing the codes of `dataset` with
    /// the nearest one suggested.
    pub fn sector_index(&self, code: &str, dataset: &str) -> crate::Result<usize> {
        if let Some(i) = self
            .sectors
            .iter()
            .position(|s| s.code.eq_ignore_ascii_case(code))
        {
            return Ok(i);
        }
        let codes: Vec<&str> = self.sectors.iter().map(|s| s.code.as_str()).collect();
        Err(crate::Error::Unknown {
            kind: "sector",
            name: code.to_string(),
            suggestion: crate::blocs::nearest(code, codes.iter().copied()),
            valid: format!(
                "the {} sectors of {dataset}: {}",
                codes.len(),
                codes.join(" ")
            ),
        })
    }

    /// Index of a stressor by name (exact, then case-insensitive).
    pub fn stressor_index(&self, name: &str) -> Option<usize> {
        self.stressors
            .iter()
            .position(|s| s.name == name)
            .or_else(|| {
                self.stressors
                    .iter()
                    .position(|s| s.name.eq_ignore_ascii_case(name))
            })
    }

    /// For each column of `Y`, the index of its destination region, or `None` if final demand is not split
    /// by destination (some column belongs to no region of the table).
    pub fn fd_destinations(&self) -> Option<Vec<usize>> {
        self.final_demand
            .iter()
            .map(|c| self.region_index(&c.region))
            .collect()
    }

    /// Distinct final-demand categories in first-seen order.
    pub fn fd_categories(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.final_demand {
            if !out.contains(&c.category) {
                out.push(c.category.clone());
            }
        }
        out
    }
}
