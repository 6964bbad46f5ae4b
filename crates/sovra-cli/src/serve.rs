//! `sovra serve`: the flags, mapped onto `sovra_server::Config`; the server is in `sovra-server`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

/// Flags of `sovra serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on. The default serves this machine only; another address serves the
    /// network (set --token-file then).
    #[arg(long, default_value = sovra_server::DEFAULT_BIND, value_name = "ADDR:PORT")]
    pub bind: SocketAddr,
    /// Largest request body (bytes; K, M or G suffixes: 64K, 1M).
    #[arg(long, default_value = "1M", value_parser = parse_size, value_name = "BYTES")]
    pub max_body: usize,
    /// Longest a request may take, queueing included; its work is stopped after it (504).
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub timeout: u64,
    /// Analyses running at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<usize>,
    /// Analyses waiting for a slot; beyond them requests get 503 with Retry-After.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub queue: usize,
    /// Largest `top` (and `inputs`) a request may ask for.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_top: usize,
    /// Most parts a batch or sweep may stream.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_parts: usize,
    /// A file whose first line is a bearer token that every data request must carry
    /// (`Authorization: Bearer TOKEN`). Never the token itself on the command line.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// Runs the server until Ctrl-C.
pub fn serve_cmd(args: &ServeArgs) -> Result<()> {
    if args.timeout == 0 {
        bail!("--timeout must be at least 1 second");
    }
    if args.max_body == 0 {
        bail!("--max-body must be at least 1 byte");
    }
    let defaults = sovra_server::Limits::default();
    let max_concurrent = args.max_concurrent.unwrap_or(defaults.max_concurrent);
    if max_concurrent == 0 {
        bail!("--max-concurrent must be at least 1");
    }
    let mut config = sovra_server::Config::new(sovra_core::store::home());
    config.bind = args.bind;
    config.token_file = args.token_file.clone();
    config.limits = sovra_server::Limits {
        max_body: args.max_body,
        timeout: Duration::from_secs(args.timeout),
        max_concurrent,
        queue: args.queue,
        max_top: args.max_top,
        max_parts: args.max_parts,
    };
    sovra_server::serve(config)?;
    Ok(())
}

/// `1048576`, `64K`, `1M`, `2G` (powers of 1024).
fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let factor: usize = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("'{s}' is not a size: write bytes, or 64K, 1M, 2G")),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("'{s}' is not a size: write bytes, or 64K, 1M, 2G"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("2gib"), Ok(2 << 30));
        assert!(parse_size("1T").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("-1").is_err());
    }
}
