//! `sovra-core`: the multi-regional input-output table (labels, `Z Y x v F`), its readers and native store,
//! validation, and the Leontief solver every analysis stands on.
//!
//! Notation follows Miller & Blair and pymrio: `Z` intermediate flows, `Y` final demand, `x` gross output,
//! `v` value added, `A = Z x̂⁻¹`, `L = (I − A)⁻¹`, `B = x̂⁻¹ Z`, `G = (I − B)⁻¹`, `F` stressors,
//! `S = F x̂⁻¹`, `M = S L`. Nodes are (region, sector) pairs in region-major order.

pub mod blocs;
pub mod bridge;
pub mod error;
pub mod fetch;
pub mod labels;
pub mod lock;
pub mod npy;
pub mod read;
pub mod solve;
pub mod sparse;
pub mod store;
pub mod synth;
pub mod table;

pub use error::{Error, Result};
pub use faer;
pub use labels::{Code, FdColumn, Labels, Stressor};
pub use solve::{LeontiefSystem, Method, Side, SolveReport};
pub use table::{BalanceTolerance, Dense, Mrio, Parts, Provenance, SharedValues, Values};

/// The version of sovra that writes stores and outputs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
