//! The fingerprint that ties a partial output of a batch or sweep to the request that wrote it; reading a
//! partial back is [`sovra_report::partial`] (re-exported here).

use serde_json::Value as Json;

pub use sovra_report::partial::{Partial, PartialFormat, RUN_KEY, Refused};

use super::ShockRequest;
use crate::error::{Error, ErrorKind, Result};

/// The fingerprint of a run: FNV-1a (64 bit) over the request as JSON — without the scenarios to skip
/// and without where its TOML came from, so a resumed run has the fingerprint of the first — the output
/// format and sovra's version. Not a security measure: it tells runs apart.
pub fn fingerprint(q: &ShockRequest, format: PartialFormat) -> String {
    let mut v = serde_json::to_value(q).unwrap_or(Json::Null);
    if let Json::Object(m) = &mut v {
        m.remove("skip");
        for k in ["scenario", "batch"] {
            if let Some(Json::Object(t)) = m.get_mut(k) {
                t.remove("origin");
            }
        }
    }
    let text = format!("{v}\n{}\n{}", format.name(), env!("CARGO_PKG_VERSION"));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Reads a partial output back (see [`sovra_report::partial::read`]); a refusal is a usage error on the
/// request field `resume`.
pub fn read(
    bytes: &[u8],
    format: PartialFormat,
    fingerprint: &str,
    origin: &str,
) -> Result<Partial> {
    sovra_report::partial::read(bytes, format, fingerprint, origin)
        .map_err(|e| Error::new(ErrorKind::Usage, e.to_string()).at("resume"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_runs_apart_and_ignore_skip_and_origin() {
        let q: ShockRequest =
            serde_json::from_str(r#"{"sanctioning":"USA","target":"CHN","sweep":"tau=0.1,0.2"}"#)
                .unwrap();
        let a = fingerprint(&q, PartialFormat::Csv);
        assert_eq!(a.len(), 16);
        assert_ne!(a, fingerprint(&q, PartialFormat::JsonLines));
        let mut skipped = q.clone();
        skipped.skip = vec!["x".into()];
        assert_eq!(a, fingerprint(&skipped, PartialFormat::Csv));
        let mut other = q.clone();
        other.tau = Some(0.5.into());
        assert_ne!(a, fingerprint(&other, PartialFormat::Csv));
    }
}
