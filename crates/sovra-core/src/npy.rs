//! Reads and writes numpy `.npy` arrays of `f64` (and 1-d unicode string arrays), the array format of the
//! native store and of the `.npz` archives some datasets ship in.
//!
//! Only what sovra needs: little-endian `<f8` in C or Fortran order (Fortran is transposed on read), and
//! `<Uk` string vectors. Every malformed header is an error that names the source, never a panic.

use std::io::{Read, Write};

use crate::error::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The dtype descriptor, e.g. `<f8` or `<U3`.
    pub descr: String,
    /// Whether the data are stored column-major.
    pub fortran_order: bool,
    /// The array's shape; `[]` for a scalar.
    pub shape: Vec<usize>,
}

impl Header {
    /// Number of elements the shape holds (1 for a scalar), or `None` on overflow.
    pub fn element_count(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }
}

/// A dense `f64` array read from `.npy`, always in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// Shape of the array.
    pub shape: Vec<usize>,
    /// Row-major data.
    pub data: Vec<f64>,
}

fn bad(source: &str, what: impl Into<String>) -> Error {
    Error::Format {
        file: source.to_string(),
        detail: what.into(),
    }
}

/// Reads and parses the header of an `.npy` stream.
pub fn read_header<R: Read>(r: &mut R, source: &str) -> Result<Header> {
    let mut pre = [0u8; 8];
    r.read_exact(&mut pre)
        .map_err(|e| bad(source, format!("not a .npy array (header: {e})")))?;
    if &pre[..6] != MAGIC {
        return Err(bad(source, "not a .npy array (bad magic bytes)"));
    }
    let hlen = match pre[6] {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b)
                .map_err(|e| bad(source, format!("truncated .npy header: {e}")))?;
            u16::from_le_bytes(b) as usize
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b)
                .map_err(|e| bad(source, format!("truncated .npy header: {e}")))?;
            u32::from_le_bytes(b) as usize
        }
        v => return Err(bad(source, format!("unsupported .npy version {v}"))),
    };
    if hlen > 1 << 20 {
        return Err(bad(
            source,
            format!(".npy header of {hlen} bytes is implausibly long"),
        ));
    }
    let mut h = vec![0u8; hlen];
    r.read_exact(&mut h)
        .map_err(|e| bad(source, format!("truncated .npy header: {e}")))?;
    let text = String::from_utf8(h).map_err(|_| bad(source, ".npy header is not text"))?;
    parse_header_dict(&text).ok_or_else(|| {
        bad(
            source,
            format!("cannot parse .npy header {:?}", text.trim()),
        )
    })
}

fn parse_header_dict(text: &str) -> Option<Header> {
    let descr = {
        let i = text.find("'descr'")?;
        let rest = &text[i + 7..];
        let q1 = rest.find('\'')?;
        let rest = &rest[q1 + 1..];
        let q2 = rest.find('\'')?;
        rest[..q2].to_string()
    };
    let fortran_order = {
        let i = text.find("'fortran_order'")?;
        let rest = text[i + 15..].trim_start_matches([':', ' ']);
        if rest.starts_with("True") {
            true
        } else if rest.starts_with("False") {
            false
        } else {
            return None;
        }
    };
    let shape = {
        let i = text.find("'shape'")?;
        let rest = &text[i + 7..];
        let o = rest.find('(')?;
        let c = rest.find(')')?;
        if c < o {
            return None;
        }
        rest[o + 1..c]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>().ok())
            .collect::<Option<Vec<_>>>()?
    };
    Some(Header {
        descr,
        fortran_order,
        shape,
    })
}

/// Reads an `f64` array (`<f8`, also accepting `<f4` and `<i8` which are widened) from an `.npy` stream.
pub fn read_f64<R: Read>(r: &mut R, source: &str) -> Result<NpyArray> {
    read_f64_sized(r, source, None)
}

/// As [`read_f64`], for a stream whose total size in bytes is known (a file, an archive member): a header
/// promising more data than that is rejected before anything is allocated, and the data are read in one go.
pub fn read_f64_sized<R: Read>(
    r: &mut R,
    source: &str,
    total_bytes: Option<u64>,
) -> Result<NpyArray> {
    let h = read_header(r, source)?;
    let n = h
        .element_count()
        .ok_or_else(|| bad(source, "array shape overflows"))?;
    let width = match h.descr.as_str() {
        "<f8" | "<i8" => 8,
        "<f4" | "<i4" => 4,
        d => {
            return Err(bad(
                source,
                format!("expected a float64 array, found dtype {d}"),
            ));
        }
    };
    let truncated = |got: usize| {
        bad(
            source,
            format!(
                "truncated data: expected {n} values of shape {:?}, the file ends after about {got}",
                h.shape
            ),
        )
    };
    if let Some(total) = total_bytes {
        let need = (n as u64).saturating_mul(width as u64);
        if need > total {
            return Err(truncated(0));
        }
    }
    // Without a known size, read in bounded chunks so that a lying header cannot make us allocate much more
    // than the stream holds.
    const CHUNK: usize = 1 << 22;
    let mut data: Vec<f64> = Vec::new();
    if h.descr == "<f8" && cfg!(target_endian = "little") && total_bytes.is_some() {
        data = vec![0.0; n];
        r.read_exact(bytemuck::cast_slice_mut(&mut data))
            .map_err(|_| truncated(0))?;
    } else if h.descr == "<f8" && cfg!(target_endian = "little") {
        while data.len() < n {
            let start = data.len();
            let take = (n - start).min(CHUNK);
            data.resize(start + take, 0.0);
            r.read_exact(bytemuck::cast_slice_mut(&mut data[start..]))
                .map_err(|_| truncated(start))?;
        }
    } else {
        let mut buf = vec![0u8; 1 << 16];
        let mut remaining = n
            .checked_mul(width)
            .ok_or_else(|| bad(source, "array size overflows"))?;
        while remaining > 0 {
            let take = remaining.min(buf.len());
            r.read_exact(&mut buf[..take])
                .map_err(|_| truncated(data.len()))?;
            let b = &buf[..take];
            match h.descr.as_str() {
                "<f8" => data.extend(
                    b.chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))),
                ),
                "<i8" => data.extend(
                    b.chunks_exact(8)
                        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f64),
                ),
                "<f4" => data.extend(
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4])) as f64),
                ),
                _ => data.extend(
                    b.chunks_exact(4)
                        .map(|c| i32::from_le_bytes(c.try_into().unwrap_or([0; 4])) as f64),
                ),
            }
            remaining -= take;
        }
    }
    // Data beyond what the dtype and shape describe: the header does not describe the file (a dtype edited
    // from <f8 to <f4 reads the first half as other numbers).
    let mut one = [0u8; 1];
    if matches!(r.read(&mut one), Ok(k) if k > 0) {
        return Err(bad(
            source,
            format!(
                "the file holds more data than its header describes (dtype {}, shape {:?}: {} bytes): the \
                 dtype or the shape does not match the data",
                h.descr,
                h.shape,
                n.saturating_mul(width)
            ),
        ));
    }
    if h.fortran_order && h.shape.len() == 2 {
        let (rows, cols) = (h.shape[0], h.shape[1]);
        let mut t = vec![0.0; n];
        for j in 0..cols {
            for i in 0..rows {
                t[i * cols + j] = data[j * rows + i];
            }
        }
        data = t;
    } else if h.fortran_order && h.shape.len() > 2 {
        return Err(bad(
            source,
            "Fortran-ordered arrays of more than 2 dimensions are not supported",
        ));
    }
    Ok(NpyArray {
        shape: h.shape,
        data,
    })
}

/// Reads a 1-d unicode string array (`<Uk`) from an `.npy` stream.
pub fn read_strings<R: Read>(r: &mut R, source: &str) -> Result<Vec<String>> {
    let h = read_header(r, source)?;
    let k: usize = h
        .descr
        .strip_prefix("<U")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            bad(
                source,
                format!("expected a unicode string array, found dtype {}", h.descr),
            )
        })?;
    if h.shape.len() > 1 {
        return Err(bad(
            source,
            format!("expected a 1-d string array, found shape {:?}", h.shape),
        ));
    }
    let n = h
        .element_count()
        .ok_or_else(|| bad(source, "array shape overflows"))?;
    if k == 0 || k > 4096 || n > 1 << 24 {
        return Err(bad(
            source,
            format!("implausible string array: {n} strings of up to {k} characters"),
        ));
    }
    let mut out = Vec::with_capacity(n);
    let mut buf = vec![0u8; 4 * k];
    for i in 0..n {
        r.read_exact(&mut buf).map_err(|_| {
            bad(
                source,
                format!("truncated string array at element {i} of {n}"),
            )
        })?;
        let s: String = buf
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
            .take_while(|&u| u != 0)
            .map(|u| {
                char::from_u32(u)
                    .ok_or_else(|| bad(source, format!("invalid character in string {i}")))
            })
            .collect::<Result<_>>()?;
        out.push(s);
    }
    Ok(out)
}

/// Writes a row-major `f64` array as `.npy` (version 1.0, `<f8`, C order).
pub fn write_f64<W: Write>(w: &mut W, shape: &[usize], data: &[f64]) -> std::io::Result<()> {
    let shape_txt = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // Pad so that magic + version + len + dict + '\n' is a multiple of 64.
    let total = MAGIC.len() + 2 + 2 + dict.len() + 1;
    dict.push_str(&" ".repeat((64 - total % 64) % 64));
    dict.push('\n');
    w.write_all(MAGIC)?;
    w.write_all(&[1, 0])?;
    w.write_all(&(dict.len() as u16).to_le_bytes())?;
    w.write_all(dict.as_bytes())?;
    let mut buf = Vec::with_capacity(1 << 16);
    for chunk in data.chunks(1 << 13) {
        buf.clear();
        for v in chunk {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_matrix() {
        let data: Vec<f64> = (0..12).map(|i| i as f64 * 0.5 - 1.0).collect();
        let mut bytes = Vec::new();
        write_f64(&mut bytes, &[3, 4], &data).unwrap();
        assert_eq!((bytes.len() - 12 * 8) % 64, 0);
        let a = read_f64(&mut bytes.as_slice(), "mem").unwrap();
        assert_eq!(a.shape, vec![3, 4]);
        assert_eq!(a.data, data);
    }

    #[test]
    fn truncated_data_is_an_error() {
        let mut bytes = Vec::new();
        write_f64(&mut bytes, &[5], &[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        bytes.truncate(bytes.len() - 3);
        let e = read_f64(&mut bytes.as_slice(), "x.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.npy") && e.contains("truncated"), "{e}");
    }

    #[test]
    fn bad_magic_and_dtype() {
        assert!(read_f64(&mut &b"garbage-garbage"[..], "g").is_err());
        let dict = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n";
        let mut hdr = b"\x93NUMPY\x01\x00".to_vec();
        hdr.extend((dict.len() as u16).to_le_bytes());
        hdr.extend(dict.as_bytes());
        let e = read_f64(&mut hdr.as_slice(), "o.npy")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dtype |O"), "{e}");
    }
}
