#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]

use candle_core::{Context, Device, Result, Storage, Tensor, WithDType};

use half::bf16;
use half::f16;
use rayon::prelude::*;
#[cfg(target_os = "macos")]
use rayon::ThreadPool;

#[cfg(target_os = "macos")]
use std::sync::LazyLock;
use std::{f32, iter::Sum};

use crate::attention::SdpaParams;

#[cfg(target_os = "macos")]
/// Elevate the thread QoS so macOS prefers running it on Performance (P) cores.
unsafe fn set_thread_affinity() {
    // USER_INTERACTIVE has the highest scheduling priority that user code
    // can request and is most likely to be scheduled on P‑cores.
    use libc::{pthread_set_qos_class_self_np, qos_class_t::QOS_CLASS_USER_INTERACTIVE};
    // The second argument is a relative priority within the QoS class (0 = default).
    pthread_set_qos_class_self_np(QOS_CLASS_USER_INTERACTIVE, 0);
}

/// Rayon pool used by the flash‑attention CPU kernels on macOS, with a per‑thread
/// start handler that applies our affinity hint exactly once.
#[cfg(target_os = "macos")]
static FLASH_ATTN_POOL: LazyLock<ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .start_handler(|_| unsafe {
            set_thread_affinity();
        })
        .build()
        .expect("Failed to build custom Rayon thread‑pool for flash‑attention")
});

/// Runs the attention's parallel work: on macOS in its own pool (whose threads ask for
/// performance cores), elsewhere in rayon's global pool. A second pool with a thread per core
/// beside the global one (where candle's matmuls run) makes the two fight for the cores: each
/// pool's idle threads spin and yield while the other works, ~30 % of a decode step in kernel
/// scheduling on a 2-core machine.
fn in_attn_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(target_os = "macos")]
    {
        FLASH_ATTN_POOL.install(work)
    }
    #[cfg(not(target_os = "macos"))]
    {
        work()
    }
}

/// Accumulator lanes of the dot product: eight independent partial sums, which the compiler
/// keeps in one SIMD register (a single running sum makes every add wait for the last).
const LANES: usize = 8;

/// Dot product of two `f32` rows of equal length (AVX2 + FMA when the build targets them).
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[inline(always)]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let chunks = n / LANES;
    // SAFETY: the `cfg` above guarantees AVX2 and FMA at compile time; every load reads eight
    // floats starting below `chunks * LANES <= n`, inside both slices.
    let mut sum = unsafe {
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        while i + 2 <= chunks {
            let o = i * LANES;
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(o)), _mm256_loadu_ps(pb.add(o)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(o + LANES)),
                _mm256_loadu_ps(pb.add(o + LANES)),
                acc1,
            );
            i += 2;
        }
        if i < chunks {
            let o = i * LANES;
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(o)), _mm256_loadu_ps(pb.add(o)), acc0);
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let s = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    };
    for j in chunks * LANES..n {
        sum += a[j] * b[j];
    }
    sum
}

/// Dot product of two `f32` rows of equal length.
#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
#[inline(always)]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut tail = 0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// `y += a * x` over two `f32` rows of equal length (fused multiply-adds when the build has FMA).
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[inline(always)]
fn axpy_f32(y: &mut [f32], a: f32, x: &[f32]) {
    use std::arch::x86_64::*;
    let n = y.len().min(x.len());
    let chunks = n / LANES;
    // SAFETY: AVX2 and FMA are guaranteed by the `cfg`; every access is below
    // `chunks * LANES <= n`, inside both slices.
    unsafe {
        let av = _mm256_set1_ps(a);
        let (py, px) = (y.as_mut_ptr(), x.as_ptr());
        for i in 0..chunks {
            let o = i * LANES;
            let r = _mm256_fmadd_ps(av, _mm256_loadu_ps(px.add(o)), _mm256_loadu_ps(py.add(o)));
            _mm256_storeu_ps(py.add(o), r);
        }
    }
    for j in chunks * LANES..n {
        y[j] += a * x[j];
    }
}

/// `y += a * x` over two `f32` rows of equal length.
#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
#[inline(always)]
fn axpy_f32(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `row[i] = exp(row[i] - max)` for every element; returns their sum. Below `exp(-87.3)`
/// (and for masked `-inf` scores) the weight is exactly 0.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
fn exp_sub_sum(row: &mut [f32], max: f32) -> f32 {
    use std::arch::x86_64::*;
    let chunks = row.len() / LANES;
    // SAFETY: AVX2 and FMA are guaranteed by the `cfg`; every access is below
    // `chunks * LANES <= row.len()`.
    let mut sum = unsafe {
        let p = row.as_mut_ptr();
        let mv = _mm256_set1_ps(max);
        let mut acc = _mm256_setzero_ps();
        for i in 0..chunks {
            let o = i * LANES;
            let e = exp256(_mm256_sub_ps(_mm256_loadu_ps(p.add(o)), mv));
            _mm256_storeu_ps(p.add(o), e);
            acc = _mm256_add_ps(acc, e);
        }
        let s = _mm_add_ps(_mm256_extractf128_ps(acc, 1), _mm256_castps256_ps128(acc));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    };
    for x in &mut row[chunks * LANES..] {
        *x = (*x - max).exp();
        sum += *x;
    }
    sum
}

/// Eight `exp(x)` for `x <= 0` (softmax arguments): range reduction by ln 2 and a degree-6
/// polynomial (relative error ~2e-7, like the usual SIMD expf); 0 below -87.3.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[inline(always)]
unsafe fn exp256(x: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let min = _mm256_set1_ps(-87.3);
    let zero_mask = _mm256_cmp_ps(x, min, _CMP_LT_OQ);
    let x = _mm256_max_ps(x, min);
    let n = _mm256_round_ps(
        _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)),
        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
    );
    // r = x - n ln2, with ln2 split in two for precision.
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_145_75), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428_606_8e-6), r);
    let mut p = _mm256_set1_ps(1.987_569_1e-4);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.398_199_9e-3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.333_452e-3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.166_579_6e-2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.166_666_66));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5));
    p = _mm256_fmadd_ps(
        p,
        _mm256_mul_ps(r, r),
        _mm256_add_ps(r, _mm256_set1_ps(1.0)),
    );
    // 2^n through the exponent bits.
    let pow2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
        _mm256_cvtps_epi32(n),
        _mm256_set1_epi32(127),
    )));
    _mm256_andnot_ps(zero_mask, _mm256_mul_ps(p, pow2))
}

/// `row[i] = exp(row[i] - max)` for every element; returns their sum.
#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
fn exp_sub_sum(row: &mut [f32], max: f32) -> f32 {
    let mut sum = 0f32;
    for x in row.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    sum
}

/// `len` rows of `width` floats, `stride` apart: one head's rows of a (B, S, H, D) tensor.
/// Borrowed when the tensor is already `f32` (no copy per layer and token: the KV cache of
/// an `f32` model is read in place), converted once otherwise.
enum HeadRows<'a> {
    Borrowed(&'a [f32], usize),
    Owned(Vec<f32>, usize),
}

impl HeadRows<'_> {
    fn new<'a, T: UpcastF32>(
        data: &'a [T],
        base: usize,
        row_stride: usize,
        len: usize,
        width: usize,
    ) -> HeadRows<'a> {
        if len == 0 {
            return HeadRows::Owned(Vec::new(), width);
        }
        if let Some(f) = T::as_f32_slice(data) {
            let end = base + (len - 1) * row_stride + width;
            return HeadRows::Borrowed(&f[base..end], row_stride);
        }
        let mut dst = vec![0f32; len * width];
        for (pos, out) in dst.chunks_exact_mut(width).enumerate() {
            let start = base + pos * row_stride;
            T::slice_to_f32(&data[start..start + width], out);
        }
        HeadRows::Owned(dst, width)
    }

    #[inline(always)]
    fn data(&self) -> &[f32] {
        match self {
            HeadRows::Borrowed(d, _) => d,
            HeadRows::Owned(d, _) => d,
        }
    }

    #[inline(always)]
    fn stride(&self) -> usize {
        match self {
            HeadRows::Borrowed(_, s) | HeadRows::Owned(_, s) => *s,
        }
    }

    #[inline(always)]
    fn row(&self, i: usize, width: usize) -> &[f32] {
        let start = i * self.stride();
        &self.data()[start..start + width]
    }
}

/// Query rows per task of the prefill kernel: the task reads (or converts) its keys and
/// values once for all of them.
const Q_BLOCK: usize = 32;
/// From this many query rows a task computes its scores and outputs as two small matrix
/// products (the `gemm` crate's blocked kernels); fewer rows (decode) use dot products.
const GEMM_MIN_ROWS: usize = 4;

/// `dst (m x n, row-major) = scale * a * b`: `a` is m x k with rows `a_rs` apart, `b` is
/// k x n with element (i, j) at `i * b_rs + j * b_cs` (so `b_rs = 1` reads a row-major
/// n x k matrix as its transpose).
fn matmul(
    dst: &mut [f32],
    (a, a_rs): (&[f32], usize),
    (b, b_rs, b_cs): (&[f32], usize, usize),
    (m, n, k): (usize, usize, usize),
    scale: f32,
) {
    assert!(dst.len() >= m * n);
    assert!(m == 0 || k == 0 || a.len() >= (m - 1) * a_rs + k);
    assert!(n == 0 || k == 0 || b.len() > (k - 1) * b_rs + (n - 1) * b_cs);
    // SAFETY: the asserts keep every element gemm reads or writes inside the slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            0.0,
            scale,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `s = cap * tanh(s)` over a row of scores, when a soft-cap is set.
fn softcap_row(row: &mut [f32], cap: f32) {
    if cap != 0.0 {
        for s in row.iter_mut() {
            *s = cap * s.tanh();
        }
    }
}

/// Adds the mask row, times the ALiBi `slope` (1 without ALiBi), to a row of scores.
fn add_mask_row(row: &mut [f32], mask: &[f32], slope: f32) {
    for (s, mv) in row.iter_mut().zip(mask) {
        *s += slope * mv;
    }
}

/// Softmax weights in place, not normalised: returns the row's maximum and the weights' sum,
/// or `None` (and zeros) for a row where nothing is attended, so it gives zeros, not NaN.
fn softmax_row(row: &mut [f32]) -> Option<(f32, f32)> {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        row.fill(0.0);
        return None;
    }
    Some((max, exp_sub_sum(row, max)))
}

#[inline]
fn clamp_index(idx: usize, dim: usize) -> usize {
    if dim == 0 {
        0
    } else if idx >= dim {
        dim - 1
    } else {
        idx
    }
}

#[inline]
fn mask_offset(
    dims: &[usize],
    b: usize,
    h: usize,
    b_i: usize,
    h_i: usize,
    q_pos: usize,
    kv_pos: usize,
) -> Option<usize> {
    if dims.is_empty() {
        return Some(0);
    }

    match dims.len() {
        1 => {
            let kv_dim = dims[0];
            if kv_dim == 0 {
                None
            } else {
                Some(clamp_index(kv_pos, kv_dim))
            }
        }
        2 => {
            let q_dim = dims[0];
            let kv_dim = dims[1];
            if q_dim == 0 || kv_dim == 0 {
                None
            } else {
                let q_idx = clamp_index(q_pos, q_dim);
                let kv_idx = clamp_index(kv_pos, kv_dim);
                Some(q_idx * kv_dim + kv_idx)
            }
        }
        3 => {
            let d0 = dims[0];
            let d1 = dims[1];
            let d2 = dims[2];
            if d0 == 0 || d1 == 0 || d2 == 0 {
                return None;
            }
            let q_idx = clamp_index(q_pos, d1);
            let kv_idx = clamp_index(kv_pos, d2);
            if d0 == b || d0 == 1 {
                let b_idx = if d0 == 1 { 0 } else { clamp_index(b_i, d0) };
                Some((b_idx * d1 + q_idx) * d2 + kv_idx)
            } else if d0 == h || d0 == 1 {
                let h_idx = if d0 == 1 { 0 } else { clamp_index(h_i, d0) };
                Some((h_idx * d1 + q_idx) * d2 + kv_idx)
            } else if d0 == b.saturating_mul(h) {
                let combined_idx = clamp_index(b_i * h + h_i, d0);
                Some((combined_idx * d1 + q_idx) * d2 + kv_idx)
            } else {
                Some(q_idx * d2 + kv_idx)
            }
        }
        4 => {
            let d0 = dims[0];
            let d1 = dims[1];
            let d2 = dims[2];
            let d3 = dims[3];
            if d0 == 0 || d1 == 0 || d2 == 0 || d3 == 0 {
                return None;
            }
            let b_idx = if d0 == 1 {
                0
            } else if d0 == b {
                clamp_index(b_i, d0)
            } else if d0 == b.saturating_mul(h) {
                clamp_index(b_i * h + h_i, d0)
            } else {
                clamp_index(b_i, d0)
            };
            let h_idx = if d1 == 1 {
                0
            } else if d1 == h {
                clamp_index(h_i, d1)
            } else if d1 == b {
                clamp_index(b_i, d1)
            } else {
                clamp_index(h_i, d1)
            };
            let q_idx = clamp_index(q_pos, d2);
            let kv_idx = clamp_index(kv_pos, d3);
            Some(((b_idx * d1 + h_idx) * d2 + q_idx) * d3 + kv_idx)
        }
        _ => {
            let q_dim = *dims.get(dims.len().saturating_sub(2))?;
            let kv_dim = *dims.last()?;
            if q_dim == 0 || kv_dim == 0 {
                return None;
            }
            let q_idx = clamp_index(q_pos, q_dim);
            let kv_idx = clamp_index(kv_pos, kv_dim);
            let mut prefix_dim = 1usize;
            for &dim in &dims[..dims.len() - 2] {
                if dim == 0 {
                    return None;
                }
                prefix_dim = prefix_dim.saturating_mul(dim);
            }
            let combined_idx = if prefix_dim == 0 {
                0
            } else {
                let idx_val = b_i * h + h_i;
                idx_val.min(prefix_dim - 1)
            };
            Some((combined_idx * q_dim + q_idx) * kv_dim + kv_idx)
        }
    }
}

struct MaskInfo<'a> {
    data: &'a [f32],
    dims: &'a [usize],
    b: usize,
    h: usize,
}

impl<'a> MaskInfo<'a> {
    #[inline]
    fn value(&self, b_i: usize, h_i: usize, q_pos: usize, kv_pos: usize) -> f32 {
        if let Some(idx) = mask_offset(self.dims, self.b, self.h, b_i, h_i, q_pos, kv_pos) {
            *self.data.get(idx).unwrap_or(&0.0)
        } else {
            0.0
        }
    }
}

pub(crate) trait DowncastF32 {
    fn cast(x: f32) -> Self;
}

impl DowncastF32 for f32 {
    fn cast(x: f32) -> Self {
        x
    }
}

impl DowncastF32 for f16 {
    fn cast(x: f32) -> Self {
        f16::from_f32(x)
    }
}

impl DowncastF32 for bf16 {
    fn cast(x: f32) -> Self {
        bf16::from_f32(x)
    }
}

/// Up‑cast helper: convert any supported element type to `f32` once so that the
/// hot kernels can run entirely in `f32` and only down‑cast when writing out.
pub trait UpcastF32: Sized + Copy {
    fn to_f32(self) -> f32;

    /// The same slice as `f32`, when `Self` is `f32` (the kernels then read it in place).
    #[inline]
    fn as_f32_slice(_src: &[Self]) -> Option<&[f32]> {
        None
    }

    /// Converts `src` into `dst` (equal lengths); the half types use `half`'s SIMD routines.
    #[inline]
    fn slice_to_f32(src: &[Self], dst: &mut [f32]) {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = s.to_f32();
        }
    }
}

impl UpcastF32 for f32 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }

    #[inline]
    fn as_f32_slice(src: &[Self]) -> Option<&[f32]> {
        Some(src)
    }

    #[inline]
    fn slice_to_f32(src: &[Self], dst: &mut [f32]) {
        dst.copy_from_slice(src);
    }
}

impl UpcastF32 for f16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self.to_f32()
    }

    #[inline]
    fn slice_to_f32(src: &[Self], dst: &mut [f32]) {
        use half::slice::HalfFloatSliceExt;
        src.convert_to_f32_slice(dst);
    }
}

impl UpcastF32 for bf16 {
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self.to_f32()
    }

    #[inline]
    fn slice_to_f32(src: &[Self], dst: &mut [f32]) {
        use half::slice::HalfFloatSliceExt;
        src.convert_to_f32_slice(dst);
    }
}

pub fn run_flash_attn_cpu<T>(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    sdpa_params: &SdpaParams,
) -> Result<Tensor>
where
    T: WithDType + Sum + num_traits::real::Real + DowncastF32 + UpcastF32 + Copy,
{
    // Inline CPU slice extraction for q, k, v, and optional mask
    let (q_guard, q_layout) = q.storage_and_layout();
    let q_data: &[T] = if let Storage::Cpu(cpu) = &*q_guard {
        let data = cpu.as_slice::<T>().context("Expected CPU storage for q")?;
        &data[q_layout.start_offset()..]
    } else {
        return Err(candle_core::Error::Msg("Expected CPU storage for q".into()));
    };
    let (k_guard, k_layout) = k.storage_and_layout();
    let k_data: &[T] = if let Storage::Cpu(cpu) = &*k_guard {
        let data = cpu.as_slice::<T>().context("Expected CPU storage for k")?;
        &data[k_layout.start_offset()..]
    } else {
        return Err(candle_core::Error::Msg("Expected CPU storage for k".into()));
    };
    let (v_guard, v_layout) = v.storage_and_layout();
    let v_data: &[T] = if let Storage::Cpu(cpu) = &*v_guard {
        let data = cpu.as_slice::<T>().context("Expected CPU storage for v")?;
        &data[v_layout.start_offset()..]
    } else {
        return Err(candle_core::Error::Msg("Expected CPU storage for v".into()));
    };
    // The mask as f32: read in place when it already is (and contiguous), converted otherwise.
    let mask_guard = mask.map(|m| (m.storage_and_layout(), m.is_contiguous()));
    let mut mask_owned: Option<Vec<f32>> = None;
    let mut mask_borrowed: Option<&[f32]> = None;
    let mut mask_dims: Option<Vec<usize>> = None;
    if let (Some(mask_tensor), Some(((guard, layout), contiguous))) = (mask, &mask_guard) {
        mask_dims = Some(mask_tensor.shape().dims().to_vec());
        if let Storage::Cpu(cpu) = &**guard {
            let data = cpu
                .as_slice::<T>()
                .context("Expected CPU storage for mask")?;
            let data = &data[layout.start_offset()..];
            match T::as_f32_slice(data) {
                Some(f) if *contiguous => mask_borrowed = Some(f),
                _ => mask_owned = Some(data.iter().map(|v| (*v).to_f32()).collect()),
            }
        } else {
            return Err(candle_core::Error::Msg(
                "Expected CPU storage for mask".into(),
            ));
        }
    }
    // q_guard, k_guard, v_guard, and m_guard (if any) are kept in scope to hold storage alive

    let q_stride = q.stride();
    let k_stride = k.stride();
    let v_stride = v.stride();

    let mask_dims_ref = mask_dims.as_deref();
    let mask_slice = mask_borrowed.or(mask_owned.as_deref());

    // One kernel for prefill and decode (q_len == 1): see `flash_attn_cpu`.
    flash_attn_cpu(
        q_data,
        k_data,
        v_data,
        mask_slice,
        mask_dims_ref,
        q.shape().dims(),
        k.shape().dims(),
        v.shape().dims(),
        q_stride,
        k_stride,
        v_stride,
        sdpa_params.softmax_scale,
        0.0,
        sdpa_params.softcap.unwrap_or(0.0),
    )
}

/// The mask row of one query as a slice over the key positions, when the mask stores it
/// contiguously (the causal masks do); `None` means "look each value up".
fn mask_row<'a>(
    mask: &MaskInfo<'a>,
    b_i: usize,
    h_i: usize,
    q_pos: usize,
    kv_len: usize,
) -> Option<&'a [f32]> {
    if kv_len == 0 || mask.dims.last() != Some(&kv_len) {
        return None;
    }
    let first = mask_offset(mask.dims, mask.b, mask.h, b_i, h_i, q_pos, 0)?;
    let last = mask_offset(mask.dims, mask.b, mask.h, b_i, h_i, q_pos, kv_len - 1)?;
    if last != first + kv_len - 1 {
        return None;
    }
    mask.data.get(first..=last)
}

/// One decode step (a single query row per head) of grouped-query attention: a task per KV
/// head and chunk of key positions computes the partial softmax of all the query heads that
/// share the KV head, so each key and value row is read once for the group instead of once
/// per query head; the chunks' partials are then merged.
struct GroupedDecode<'a, T> {
    q_data: &'a [T],
    k_data: &'a [T],
    v_data: &'a [T],
    qstride: &'a [usize],
    kstride: &'a [usize],
    vstride: &'a [usize],
    /// The (shared) mask row of the query, over the key positions.
    mask: Option<&'a [f32]>,
    /// Query heads per KV head.
    heads: usize,
    kv_heads: usize,
    /// Keys attended: the mask's causal end.
    end: usize,
    d: usize,
    dv: usize,
    score_scale: f32,
    logit_softcap: f32,
}

/// Keys per decode task: the KV range of a group is split into chunks of this many
/// positions so that both cores stay busy with few KV heads (flash-decoding).
const DECODE_CHUNK: usize = 256;

/// A chunk's partial softmax for each query head of its group: running maximum, sum of
/// weights and weighted sum of values (relative to that maximum).
struct Partial {
    max: Vec<f32>,
    sum: Vec<f32>,
    acc: Vec<f32>,
}

impl<T: UpcastF32 + DowncastF32 + Copy + Send + Sync> GroupedDecode<'_, T> {
    fn run(&self, b: usize) -> Vec<T> {
        let (heads, end, dv) = (self.heads, self.end, self.dv);
        let chunks = end.div_ceil(DECODE_CHUNK).max(1);
        let tasks = b * self.kv_heads * chunks;
        let partials: Vec<Partial> = in_attn_pool(|| {
            (0..tasks)
                .into_par_iter()
                .map(|task| {
                    let (bg, c) = (task / chunks, task % chunks);
                    let (b_i, g) = (bg / self.kv_heads, bg % self.kv_heads);
                    self.chunk(b_i, g, c * DECODE_CHUNK..((c + 1) * DECODE_CHUNK).min(end))
                })
                .collect()
        });
        let mut out = vec![T::cast(0.0); b * self.kv_heads * heads * dv];
        for (bg, group_out) in out.chunks_exact_mut(heads * dv).enumerate() {
            let parts = &partials[bg * chunks..(bg + 1) * chunks];
            for (r, out_row) in group_out.chunks_exact_mut(dv).enumerate() {
                let max = parts
                    .iter()
                    .map(|p| p.max[r])
                    .fold(f32::NEG_INFINITY, f32::max);
                if max == f32::NEG_INFINITY {
                    continue; // nothing attended: zeros
                }
                let mut sum = 0f32;
                let mut acc = vec![0f32; dv];
                for p in parts.iter().filter(|p| p.max[r] != f32::NEG_INFINITY) {
                    let w = (p.max[r] - max).exp();
                    sum += w * p.sum[r];
                    axpy_f32(&mut acc, w, &p.acc[r * dv..(r + 1) * dv]);
                }
                let inv_sum = if sum > 0.0 { 1.0 / sum } else { 0.0 };
                for (o, v) in out_row.iter_mut().zip(&acc) {
                    *o = T::cast(*v * inv_sum);
                }
            }
        }
        out
    }

    /// The partial softmax of every query head of group `g` over the keys `range`.
    fn chunk(&self, b_i: usize, g: usize, range: std::ops::Range<usize>) -> Partial {
        let (heads, d, dv) = (self.heads, self.d, self.dv);
        let (qs, ks, vs) = (self.qstride, self.kstride, self.vstride);
        let n = range.len();
        let keys = HeadRows::new(
            self.k_data,
            b_i * ks[0] + g * ks[2] + range.start * ks[1],
            ks[1],
            n,
            d,
        );
        let values = HeadRows::new(
            self.v_data,
            b_i * vs[0] + g * vs[2] + range.start * vs[1],
            vs[1],
            n,
            dv,
        );
        let queries = HeadRows::new(
            self.q_data,
            b_i * qs[0] + g * heads * qs[2],
            qs[2],
            heads,
            d,
        );
        let mut scores = vec![0f32; heads * n];
        for kv in 0..n {
            let k_row = keys.row(kv, d);
            for r in 0..heads {
                scores[r * n + kv] = dot_f32(queries.row(r, d), k_row) * self.score_scale;
            }
        }
        let mut part = Partial {
            max: vec![f32::NEG_INFINITY; heads],
            sum: vec![0f32; heads],
            acc: vec![0f32; heads * dv],
        };
        for (r, row) in scores.chunks_exact_mut(n.max(1)).enumerate().take(heads) {
            if n == 0 {
                break;
            }
            softcap_row(row, self.logit_softcap);
            if let Some(m) = self.mask {
                add_mask_row(row, &m[range.clone()], 1.0);
            }
            if let Some((max, sum)) = softmax_row(row) {
                part.max[r] = max;
                part.sum[r] = sum;
            }
        }
        for kv in 0..n {
            let v_row = values.row(kv, dv);
            for r in 0..heads {
                let p = scores[r * n + kv];
                if p != 0.0 {
                    axpy_f32(&mut part.acc[r * dv..(r + 1) * dv], p, v_row);
                }
            }
        }
        part
    }
}

/// Main CPU attention routine, prefill and decode alike. Shapes follow Candle convention:
/// q (B, S, H, D), k/v (B, KV, H_kv, D); output (B, H, S, D).
///
/// Work is split into tasks of one head and a block of up to [`Q_BLOCK`] query rows. A task
/// reads the keys and values its rows attend to in place when they are `f32` (converted once
/// for the half types), stopping at the causal end (the fully masked tail is skipped, not
/// scanned). With several rows (prefill) its scores and outputs are two small matrix products
/// on the `gemm` crate's blocked kernels; one row (decode) uses SIMD dot products. Softmax in
/// between uses a vectorised `exp`. The previous kernel ran a per-position online softmax on
/// scalar sums, converted every element from f16/bf16 inside the quadratic loop and looked
/// the mask up position by position.
#[allow(clippy::too_many_arguments)]
fn flash_attn_cpu<T>(
    q_data: &[T],
    k_data: &[T],
    v_data: &[T],
    mask_vec: Option<&[f32]>,
    mask_dims: Option<&[usize]>,
    qshape: &[usize],
    kshape: &[usize],
    vshape: &[usize],
    qstride: &[usize],
    kstride: &[usize],
    vstride: &[usize],
    scale: f32,
    max_bias: f32,
    logit_softcap: f32,
) -> Result<Tensor>
where
    T: WithDType + Copy + UpcastF32 + DowncastF32,
{
    let (b, q_len, h, d) = (qshape[0], qshape[1], qshape[2], qshape[3]);
    let kv_len = kshape[1];
    let k_h = kshape[2];
    let v_h = vshape[2];
    let rk2 = h / k_h;
    let rv2 = h / v_h;
    let dv = vshape[3];

    let n2 = 2_usize.pow((h as f32).log2().ceil() as u32);

    assert_eq!(qstride[3], 1, "q must have contiguous rows");
    assert_eq!(kstride[3], 1, "k must have contiguous rows");
    assert_eq!(vstride[3], 1, "v must have contiguous rows");

    let mask_info = match (mask_vec, mask_dims) {
        (Some(data), Some(dims)) => Some(MaskInfo { data, dims, b, h }),
        _ => None,
    };

    let score_scale = if logit_softcap != 0.0 {
        scale / logit_softcap
    } else {
        scale
    };

    // Where each query row's attended keys end: a causal row ends in masked positions,
    // which are skipped rather than scanned. Computed once per row when the mask is the same
    // for every head and batch entry (the usual causal mask), else per task.
    let shared_mask = mask_info
        .as_ref()
        .is_some_and(|m| m.dims.len() <= 2 || m.dims[..m.dims.len() - 2].iter().all(|&x| x == 1));
    let row_end = |mask_row: Option<&[f32]>, bias_at: &dyn Fn(usize) -> f32| -> usize {
        match mask_row {
            Some(row) => row
                .iter()
                .rposition(|&v| v != f32::NEG_INFINITY)
                .map_or(0, |p| p + 1),
            None => {
                let mut end = kv_len;
                while end > 0 && bias_at(end - 1) == f32::NEG_INFINITY {
                    end -= 1;
                }
                end
            }
        }
    };
    let shared_ends: Option<Vec<usize>> = match (&mask_info, shared_mask) {
        (Some(m), true) => Some(
            (0..q_len)
                .map(|q_pos| {
                    row_end(mask_row(m, 0, 0, q_pos, kv_len), &|kv| {
                        m.value(0, 0, q_pos, kv)
                    })
                })
                .collect(),
        ),
        _ => None,
    };

    // Decode with grouped-query attention: one task per KV head takes all the query heads
    // that share it, so each key and value row is read once for the group.
    let group_end = match (&mask_info, &shared_ends) {
        (None, _) => Some(kv_len),
        (Some(_), Some(e)) => e.first().copied(),
        (Some(_), None) => None,
    };
    let grouped = rk2 == rv2 && rk2 > 1 && k_h * rk2 == h && max_bias <= 0.0;
    if let (1, Some(end), true) = (q_len, group_end, grouped) {
        let mask0 = mask_info
            .as_ref()
            .and_then(|m| mask_row(m, 0, 0, 0, kv_len));
        if mask_info.is_none() || mask0.is_some() {
            let group = GroupedDecode {
                q_data,
                k_data,
                v_data,
                qstride,
                kstride,
                vstride,
                mask: mask0,
                heads: rk2,
                kv_heads: k_h,
                end,
                d,
                dv,
                score_scale,
                logit_softcap,
            };
            let out = group.run(b);
            return Tensor::from_vec(out, (b, h, q_len, dv), &Device::Cpu);
        }
    }

    let mut out = vec![T::cast(0.0); b * h * q_len * dv];
    // Tasks: one head of one batch entry and a block of its query rows (their outputs are
    // contiguous). Each reads (or converts) the keys and values its rows attend to, once.
    let block = Q_BLOCK.min(q_len.max(1));
    in_attn_pool(|| {
        out.par_chunks_mut(dv * q_len)
            .enumerate()
            .for_each(|(bh, head_out)| {
                let (b_i, h_i) = (bh / h, bh % h);
                head_out
                    .par_chunks_mut(dv * block)
                    .enumerate()
                    .for_each(|(blk, block_out)| {
                        let q0 = blk * block;
                        let rows = block_out.len() / dv;
                        let slope = if max_bias > 0.0 {
                            2.0f32.powf(-max_bias * ((h_i + 1) as f32) / n2 as f32)
                        } else {
                            1.0
                        };
                        // The mask's additive value per (query, key) position; -inf = masked.
                        let mask_rows: Vec<Option<&[f32]>> = (q0..q0 + rows)
                            .map(|q_pos| {
                                mask_info
                                    .as_ref()
                                    .and_then(|m| mask_row(m, b_i, h_i, q_pos, kv_len))
                            })
                            .collect();
                        let bias = |r: usize, kv_pos: usize| -> f32 {
                            match (mask_rows[r], &mask_info) {
                                (Some(row), _) => slope * row[kv_pos],
                                (None, Some(m)) => slope * m.value(b_i, h_i, q0 + r, kv_pos),
                                (None, None) => 0.0,
                            }
                        };
                        let ends: Vec<usize> = match (&shared_ends, &mask_info) {
                            (Some(e), _) => e[q0..q0 + rows].to_vec(),
                            (None, Some(_)) => (0..rows)
                                .map(|r| row_end(mask_rows[r], &|kv| bias(r, kv)))
                                .collect(),
                            (None, None) => vec![kv_len; rows],
                        };
                        let need = ends.iter().copied().max().unwrap_or(0);
                        let keys = HeadRows::new(
                            k_data,
                            b_i * kstride[0] + (h_i / rk2) * kstride[2],
                            kstride[1],
                            need,
                            d,
                        );
                        let values = HeadRows::new(
                            v_data,
                            b_i * vstride[0] + (h_i / rv2) * vstride[2],
                            vstride[1],
                            need,
                            dv,
                        );
                        let queries = HeadRows::new(
                            q_data,
                            b_i * qstride[0] + q0 * qstride[1] + h_i * qstride[2],
                            qstride[1],
                            rows,
                            d,
                        );
                        // Scores of every row against keys 0..need, scaled.
                        let mut scores = vec![0f32; rows * need];
                        if rows >= GEMM_MIN_ROWS {
                            matmul(
                                &mut scores,
                                (queries.data(), queries.stride()),
                                (keys.data(), 1, keys.stride()),
                                (rows, need, d),
                                score_scale,
                            );
                        } else {
                            for (r, row) in scores.chunks_exact_mut(need.max(1)).enumerate() {
                                let q_row = queries.row(r, d);
                                for (kv_pos, s) in row[..ends[r]].iter_mut().enumerate() {
                                    *s = dot_f32(q_row, keys.row(kv_pos, d)) * score_scale;
                                }
                            }
                        }
                        // Softcap, mask and softmax per row; positions past a row's end weigh 0.
                        let mut sums = vec![0f32; rows];
                        for r in 0..rows {
                            let row = &mut scores[r * need..(r + 1) * need];
                            let (live, dead) = row.split_at_mut(ends[r]);
                            dead.fill(0.0);
                            softcap_row(live, logit_softcap);
                            match (mask_rows[r], &mask_info) {
                                (Some(m), _) => add_mask_row(live, m, slope),
                                (None, Some(_)) => {
                                    for (kv_pos, s) in live.iter_mut().enumerate() {
                                        *s += bias(r, kv_pos);
                                    }
                                }
                                (None, None) => {}
                            }
                            sums[r] = softmax_row(live).map_or(0.0, |(_, sum)| sum);
                        }
                        // The weighted sums of the value rows.
                        let mut acc = vec![0f32; rows * dv];
                        if rows >= GEMM_MIN_ROWS {
                            matmul(
                                &mut acc,
                                (&scores, need),
                                (values.data(), values.stride(), 1),
                                (rows, dv, need),
                                1.0,
                            );
                        } else {
                            for r in 0..rows {
                                let acc_row = &mut acc[r * dv..(r + 1) * dv];
                                for (kv_pos, &p) in
                                    scores[r * need..r * need + ends[r]].iter().enumerate()
                                {
                                    if p != 0.0 {
                                        axpy_f32(acc_row, p, values.row(kv_pos, dv));
                                    }
                                }
                            }
                        }
                        for (r, out_row) in block_out.chunks_exact_mut(dv).enumerate() {
                            let inv_sum = if sums[r] > 0.0 { 1.0 / sums[r] } else { 0.0 };
                            for (o, v) in out_row.iter_mut().zip(&acc[r * dv..(r + 1) * dv]) {
                                *o = T::cast(*v * inv_sum);
                            }
                        }
                    });
            });
    });

    let out_shape = (b, h, q_len, dv);
    Tensor::from_vec(out, out_shape, &Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::SdpaParams;
    use candle_core::{Device, Tensor, D};
    use candle_nn::ops::softmax;

    use candle_core::Result as CandleResult;

    const EPS: f32 = 1e-4;

    #[test]
    fn test_flash_attn_cpu_single_q() -> CandleResult<()> {
        // Test for q_len == 1 (single Q)
        let b = 1;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, 1, h, d) filled with ones
        let q_vec = vec![1.0f32; b * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, 1, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, no softcap
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: None,
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, 1, d)
        assert_eq!(out.shape().dims(), &[b, h, 1, d]);

        // Naive attention
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, 1, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;
        let weights = softmax(&logits, D::Minus1)?;

        let attn_out = weights.matmul(&v_resh)?;

        let naive_out = attn_out.reshape(&[b, h, 1, d])?;

        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }

        Ok(())
    }

    #[test]
    fn test_flash_attn_cpu_full_q() -> CandleResult<()> {
        // Test for q_len > 1 (full Q)
        let b = 1;
        let q_len = 2;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, q_len, h, d) filled with ones
        let q_vec = vec![1.0f32; b * q_len * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, q_len, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, no softcap
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: None,
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, q_len, d)
        assert_eq!(out.shape().dims(), &[b, h, q_len, d]);

        // Naive attention
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, q_len, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;
        let weights = softmax(&logits, D::Minus1)?;

        let attn_out = weights.matmul(&v_resh)?;

        let naive_out = attn_out.reshape(&[b, h, q_len, d])?;

        // 7) Compare element‐by‐element
        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }

        Ok(())
    }

    #[test]
    fn test_flash_attn_cpu_single_q_softcap() -> CandleResult<()> {
        // Test for q_len == 1 (single Q) with softcap
        let b = 1;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, 1, h, d) filled with ones
        let q_vec = vec![1.0f32; b * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, 1, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, softcap = Some(0.5)
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: Some(0.5),
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;
        let sc = sdpa.softcap.unwrap();

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, 1, d)
        assert_eq!(out.shape().dims(), &[b, h, 1, d]);

        // Naive attention with softcap
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, 1, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;

        let logits = (logits / sc as f64)?;
        let logits = logits.tanh()?;
        let logits = (logits * sc as f64)?;

        let weights = softmax(&logits, D::Minus1)?;
        let attn_out = weights.matmul(&v_resh)?;
        let naive_out = attn_out.reshape(&[b, h, 1, d])?;

        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }
        Ok(())
    }

    #[test]
    fn test_flash_attn_cpu_full_q_softcap() -> CandleResult<()> {
        // Test for q_len > 1 (full Q) with softcap
        let b = 1;
        let q_len = 2;
        let h = 2;
        let d = 4;
        let kv_len = 2;

        // Create q with shape (b, q_len, h, d) filled with ones
        let q_vec = vec![1.0f32; b * q_len * h * d];
        let q = Tensor::from_vec(q_vec.clone(), (b, q_len, h, d), &Device::Cpu)?;

        // Create k and v with shape (b, kv_len, h, d) filled with ones
        let k_vec = vec![1.0f32; b * kv_len * h * d];
        let v_vec = vec![1.0f32; b * kv_len * h * d];
        let k = Tensor::from_vec(k_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;
        let v = Tensor::from_vec(v_vec.clone(), (b, kv_len, h, d), &Device::Cpu)?;

        // SDPA parameters: scale = 1.0, softcap = Some(0.5)
        let sdpa = SdpaParams {
            softmax_scale: 1.0,
            softcap: Some(0.5),
            n_kv_groups: 1,
            sliding_window: None,
            sinks: None,
        };
        let scale = sdpa.softmax_scale;
        let sc = sdpa.softcap.unwrap();

        // Run the flash attention CPU function
        let out = run_flash_attn_cpu::<f32>(&q, &k, &v, None, &sdpa)?;
        // Expect output shape (b, h, q_len, d)
        assert_eq!(out.shape().dims(), &[b, h, q_len, d]);

        // Naive attention with softcap
        let q_perm = q.clone().permute((0, 2, 1, 3))?;
        let k_perm = k.clone().permute((0, 2, 1, 3))?;
        let v_perm = v.clone().permute((0, 2, 1, 3))?;

        let q_resh = q_perm.reshape(&[b * h, q_len, d])?;
        let k_resh = k_perm.reshape(&[b * h, kv_len, d])?;
        let v_resh = v_perm.reshape(&[b * h, kv_len, d])?;

        let logits = (q_resh.matmul(&k_resh.transpose(1, 2)?)? * scale as f64)?;

        let logits = (logits / sc as f64)?;
        let logits = logits.tanh()?;
        let logits = (logits * sc as f64)?;

        let weights = softmax(&logits, D::Minus1)?;
        let attn_out = weights.matmul(&v_resh)?;
        let naive_out = attn_out.reshape(&[b, h, q_len, d])?;

        let flash_data = out.flatten_all()?.to_vec1::<f32>()?;
        let naive_data = naive_out.flatten_all()?.to_vec1::<f32>()?;
        for (f_val, n_val) in flash_data.iter().zip(naive_data.iter()) {
            assert!((f_val - n_val).abs() < EPS);
        }
        Ok(())
    }
}
