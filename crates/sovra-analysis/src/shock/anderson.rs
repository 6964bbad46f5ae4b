//! Safeguarded Anderson acceleration (type II, Walker & Ni 2011) for a fixed point `w = g(w)`: the next
//! iterate mixes the last `m` map values so that the linearised residual is smallest.

/// The mixing state.
pub(crate) struct Anderson {
    m: usize,
    dw: std::collections::VecDeque<Vec<f64>>,
    df: std::collections::VecDeque<Vec<f64>>,
    prev: Option<(Vec<f64>, Vec<f64>)>,
}

impl Anderson {
    /// At most `m` secant pairs.
    pub(crate) fn new(m: usize) -> Self {
        Anderson {
            m,
            dw: Default::default(),
            df: Default::default(),
            prev: None,
        }
    }

    /// Forgets the history (the next step is a plain step).
    pub(crate) fn reset(&mut self) {
        self.dw.clear();
        self.df.clear();
        self.prev = None;
    }

    /// The next iterate from the current one `w` and its map value `g`.
    pub(crate) fn step(&mut self, w: &[f64], g: &[f64]) -> Vec<f64> {
        let f: Vec<f64> = g.iter().zip(w).map(|(a, b)| a - b).collect();
        if let Some((pw, pf)) = self.prev.take() {
            if self.dw.len() == self.m {
                self.dw.pop_front();
                self.df.pop_front();
            }
            self.dw
                .push_back(w.iter().zip(&pw).map(|(a, b)| a - b).collect());
            self.df
                .push_back(f.iter().zip(&pf).map(|(a, b)| a - b).collect());
        }
        self.prev = Some((w.to_vec(), f.clone()));
        let k = self.df.len();
        if k == 0 {
            return g.to_vec();
        }
        // Normal equations (ΔFᵀΔF + ridge) γ = ΔFᵀ f.
        let mut gm = vec![0.0; k * k];
        let mut rhs = vec![0.0; k];
        for a in 0..k {
            rhs[a] = super::kernels::dot(&self.df[a], &f);
            for b in 0..=a {
                let v = super::kernels::dot(&self.df[a], &self.df[b]);
                gm[a * k + b] = v;
                gm[b * k + a] = v;
            }
        }
        let big = (0..k)
            .map(|a| gm[a * k + a])
            .fold(0.0, f64::max)
            .max(1e-300);
        for a in 0..k {
            gm[a * k + a] += 1e-12 * big;
        }
        let Some(gamma) = solve_small(gm, rhs, k) else {
            self.reset();
            return g.to_vec();
        };
        let mut out = g.to_vec();
        for (a, ga) in gamma.iter().enumerate() {
            for ((o, dw), df) in out.iter_mut().zip(&self.dw[a]).zip(&self.df[a]) {
                *o -= ga * (dw + df);
            }
        }
        if out.iter().all(|v| v.is_finite()) {
            out
        } else {
            self.reset();
            g.to_vec()
        }
    }
}

/// Gaussian elimination with partial pivoting on a small dense system; `None` when singular.
fn solve_small(mut a: Vec<f64>, mut b: Vec<f64>, k: usize) -> Option<Vec<f64>> {
    for col in 0..k {
        let piv =
            (col..k).max_by(|&x, &y| a[x * k + col].abs().total_cmp(&a[y * k + col].abs()))?;
        if a[piv * k + col].abs() < 1e-300 {
            return None;
        }
        if piv != col {
            for j in 0..k {
                a.swap(piv * k + j, col * k + j);
            }
            b.swap(piv, col);
        }
        for row in col + 1..k {
            let fct = a[row * k + col] / a[col * k + col];
            for j in col..k {
                a[row * k + j] -= fct * a[col * k + j];
            }
            b[row] -= fct * b[col];
        }
    }
    let mut x = vec![0.0; k];
    for row in (0..k).rev() {
        let s: f64 = (row + 1..k).map(|j| a[row * k + j] * x[j]).sum();
        x[row] = (b[row] - s) / a[row * k + row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}
