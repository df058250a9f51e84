//! Direct f32 convolution without im2col (cardcrm patch, see `PATCHED.md`, change 4).
//!
//! For a convolution with one group, unit strides and dilations and a kernel larger than 1×1,
//! rten builds an im2col matrix (`in_c × k_h × k_w` rows, one column per output pixel) and packs
//! all of it for the GEMM kernel. When there are few output channels, each packed value is used
//! only a few times, so the packing costs more than the arithmetic: the PP-OCR detector's two
//! 3×3 convolutions from 96 to 24 channels at a quarter of the input's size took about half of a
//! detector run. This kernel instead reads the input in place: it copies the input once into a
//! zero-padded buffer, and for every block of 6 output channels × 8 or 16 output columns of one
//! output row it keeps the sums in AVX2 registers and adds, for each input channel and kernel
//! tap, one broadcast weight times 8 consecutive input values (FMA).
//!
//! The sums are added in another order than the GEMM's (bias first, then the taps in
//! `(in channel, kernel row, kernel column)` order, fused multiply-adds), so results differ from
//! the im2col path in the last bits; `tests::direct_conv_matches_im2col` bounds the difference.
//! `RTEN_DIRECT_CONV=0` in the environment turns the kernel off (for comparisons).

use rayon::prelude::*;
use rten_tensor::prelude::*;
use rten_tensor::{NdTensor, NdTensorView};

use crate::buffer_pool::{AutoReturn, BufferPool};

/// Output channels per register block.
const CB: usize = 6;
/// Most output channels a convolution may have to go to [`direct_conv_f32`] (see [`applies`]).
pub const MAX_OUT_CHANNELS: usize = 48;
/// Largest stride (each axis) [`direct_conv_f32`] takes.
pub const MAX_STRIDE: usize = 4;
/// f32 lanes per AVX2 register.
const LANES: usize = 8;

/// Whether the direct kernel runs on this CPU (x86-64 with AVX2 and FMA), checked once per
/// process, unless `RTEN_DIRECT_CONV=0`.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            std::env::var("RTEN_DIRECT_CONV").map_or(true, |v| v != "0")
                && is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether a convolution of this shape goes to [`direct_conv_f32`].
///
/// Only for convolutions with at most [`MAX_OUT_CHANNELS`] output channels: with more, each
/// packed im2col value is used often enough that rten's GEMM is as fast or faster (the PP-OCR
/// recogniser's 1×3 convolutions to 60 channels: 5 % slower here).
pub fn applies(
    out_channels: usize,
    groups: usize,
    kernel_hw: [usize; 2],
    strides: [usize; 2],
    dilations: [usize; 2],
) -> bool {
    out_channels <= MAX_OUT_CHANNELS
        && groups == 1
        && kernel_hw[0] * kernel_hw[1] > 1
        && strides.iter().all(|&s| (1..=MAX_STRIDE).contains(&s))
        && dilations == [1, 1]
        && available()
}

/// Raw pointer that may cross to the worker threads; every task writes disjoint output rows.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

/// Convolution of `input` (NCHW) with `kernel` (OCHW, one group), dilations 1, `strides`
/// `[y, x]` up to [`MAX_STRIDE`]. `padding` is `[top, left, bottom, right]` and `out_hw` the
/// output size that `calc_output_size_and_padding` gave for them.
///
/// # Panics
///
/// When [`available`] is false, or the shapes disagree (the caller checked them).
pub fn direct_conv_f32(
    pool: &BufferPool,
    input: NdTensorView<f32, 4>,
    kernel: NdTensorView<f32, 4>,
    bias: Option<NdTensorView<f32, 1>>,
    padding: [usize; 4],
    strides: [usize; 2],
    out_hw: [usize; 2],
) -> NdTensor<f32, 4> {
    assert!(available());
    let [sy, sx] = strides;
    assert!((1..=MAX_STRIDE).contains(&sy) && (1..=MAX_STRIDE).contains(&sx));
    let [batch, in_c, in_h, in_w] = input.shape();
    let [out_c, k_in_c, k_h, k_w] = kernel.shape();
    assert_eq!(in_c, k_in_c);
    let [pad_top, pad_left, _, _] = padding;
    let [out_h, out_w] = out_hw;

    let mut output = NdTensor::uninit_in(pool, [batch, out_c, out_h, out_w]);
    if output.is_empty() {
        // Safety: there is nothing to initialise.
        return unsafe { output.assume_init() };
    }

    // Zero-padded input, each padded row split by column phase (for stride `sx`: columns
    // 0, sx, 2sx, … first, then 1, sx + 1, …), so that the input values one kernel tap needs
    // for consecutive output columns are consecutive. Layout [n][c][row][phase][pw]; every
    // block of LANES output columns reads whole vectors.
    let out_vecs = out_w.div_ceil(LANES);
    let pw = out_vecs * LANES + (k_w - 1) / sx;
    let ph = ((out_h - 1) * sy + k_h).max(in_h + pad_top);
    let row_stride = sx * pw;
    let plane = ph * row_stride;
    let mut padded = NdTensor::<f32, 1>::zeros_in(pool, [batch * in_c * plane]).auto_return(pool);
    {
        let dst = padded.data_mut().unwrap();
        for n in 0..batch {
            for c in 0..in_c {
                let base = (n * in_c + c) * plane;
                for y in 0..in_h {
                    let row = input.slice([n, c, y]);
                    let start = base + (y + pad_top) * row_stride;
                    let d = &mut dst[start..start + row_stride];
                    let contiguous;
                    let s = match row.data() {
                        Some(s) => s,
                        None => {
                            contiguous = row.to_vec();
                            &contiguous[..]
                        }
                    };
                    if sx == 1 {
                        d[pad_left..pad_left + in_w].copy_from_slice(s);
                    } else {
                        for phase in 0..sx {
                            // Input column x lands in padded column x + pad_left: phase
                            // (x + pad_left) % sx, index (x + pad_left) / sx. Columns no
                            // output reads (right of the last window) are dropped.
                            let x0 = (phase + sx - pad_left % sx) % sx;
                            let first = (x0 + pad_left) / sx;
                            let d = &mut d[phase * pw + first..(phase + 1) * pw];
                            for (d, v) in d.iter_mut().zip(s[x0.min(in_w)..].iter().step_by(sx)) {
                                *d = *v;
                            }
                        }
                    }
                }
            }
        }
    }
    // Offset of each kernel tap (ky, kx) from an output row's first input row.
    let tap_offsets: Vec<usize> = (0..k_h)
        .flat_map(|ky| (0..k_w).map(move |kx| ky * row_stride + (kx % sx) * pw + kx / sx))
        .collect();

    // Weights per block of CB output channels: [in_c][k_h][k_w][CB], zero for missing channels.
    let blocks = out_c.div_ceil(CB);
    let taps = in_c * k_h * k_w;
    let mut weights = vec![0f32; blocks * taps * CB];
    for co in 0..out_c {
        let (blk, lane) = (co / CB, co % CB);
        for ci in 0..in_c {
            for ky in 0..k_h {
                for kx in 0..k_w {
                    let t = (ci * k_h + ky) * k_w + kx;
                    weights[(blk * taps + t) * CB + lane] = kernel[[co, ci, ky, kx]];
                }
            }
        }
    }
    let mut biases = vec![0f32; blocks * CB];
    if let Some(b) = bias.as_ref() {
        for (co, v) in b.iter().enumerate() {
            biases[co] = *v;
        }
    }

    let out_ptr = OutPtr(output.data_mut().unwrap().as_mut_ptr() as *mut f32);
    let src = padded.data().unwrap();
    let geom = Geometry { in_c, taps: &tap_offsets, plane, out_h, out_w };
    (0..batch * out_h).into_par_iter().for_each(|ny| {
        let (n, y) = (ny / out_h, ny % out_h);
        let row_src = &src[n * in_c * plane + y * sy * row_stride..];
        for blk in 0..blocks {
            let w = &weights[blk * taps * CB..(blk + 1) * taps * CB];
            let b = &biases[blk * CB..(blk + 1) * CB];
            let valid_c = (out_c - blk * CB).min(CB);
            // Output (n, blk * CB, y, 0).
            let out_off = ((n * out_c + blk * CB) * out_h + y) * out_w;
            let mut v = 0;
            // Safety: AVX2 and FMA are available (`available`); the padded rows are long
            // enough for every vector read (a phase row holds pw ≥ out_vecs * LANES + (k_w - 1) / sx
            // values, and ph ≥ (out_h - 1) * sy + k_h rows); output rows of different `ny` are
            // disjoint.
            unsafe {
                while v + 2 <= out_vecs {
                    block::<2>(&geom, row_src, v * LANES, w, b, valid_c, out_ptr, out_off);
                    v += 2;
                }
                while v < out_vecs {
                    block::<1>(&geom, row_src, v * LANES, w, b, valid_c, out_ptr, out_off);
                    v += 1;
                }
            }
        }
    });

    // Safety: every output element was written by exactly one `block` call: each (n, y) row,
    // each block of channels (the `valid_c` real ones), each column below out_w.
    unsafe { output.assume_init() }
}

struct Geometry<'a> {
    in_c: usize,
    /// Offset of each kernel tap from the first input row of an output row, in tap order.
    taps: &'a [usize],
    /// Floats per padded input plane.
    plane: usize,
    out_h: usize,
    out_w: usize,
}

/// Sums for CB output channels × XV vectors of LANES output columns starting at column `x0` of
/// one output row. `src` starts at the padded input's (channel 0, row y) for this batch item.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn block<const XV: usize>(
    g: &Geometry<'_>,
    src: &[f32],
    x0: usize,
    w: &[f32],
    bias: &[f32],
    valid_c: usize,
    out: OutPtr,
    out_off: usize,
) {
    use std::arch::x86_64::*;

    debug_assert!(w.len() == g.in_c * g.taps.len() * CB && bias.len() == CB);
    debug_assert!(src.len() >= (g.in_c - 1) * g.plane + g.taps.iter().max().unwrap() + x0 + XV * LANES);
    // Safety: the caller guarantees AVX2 + FMA and the buffer bounds checked above.
    unsafe {
        let mut acc = [[_mm256_setzero_ps(); XV]; CB];
        for c in 0..CB {
            let b = _mm256_set1_ps(bias[c]);
            for v in 0..XV {
                acc[c][v] = b;
            }
        }
        let sp = src.as_ptr().add(x0);
        let mut wp = w.as_ptr();
        for ci in 0..g.in_c {
            let plane = sp.add(ci * g.plane);
            for &off in g.taps {
                let p = plane.add(off);
                let mut x = [_mm256_setzero_ps(); XV];
                for v in 0..XV {
                    x[v] = _mm256_loadu_ps(p.add(v * LANES));
                }
                for c in 0..CB {
                    let wv = _mm256_broadcast_ss(&*wp.add(c));
                    for v in 0..XV {
                        acc[c][v] = _mm256_fmadd_ps(wv, x[v], acc[c][v]);
                    }
                }
                wp = wp.add(CB);
            }
        }
        let plane_out = g.out_h * g.out_w;
        for c in 0..valid_c {
            let dst = out.0.add(out_off + c * plane_out);
            for v in 0..XV {
                let col = x0 + v * LANES;
                if col + LANES <= g.out_w {
                    _mm256_storeu_ps(dst.add(col), acc[c][v]);
                } else if col < g.out_w {
                    let mut tmp = [0f32; LANES];
                    _mm256_storeu_ps(tmp.as_mut_ptr(), acc[c][v]);
                    std::ptr::copy_nonoverlapping(tmp.as_ptr(), dst.add(col), g.out_w - col);
                }
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[allow(clippy::too_many_arguments)]
unsafe fn block<const XV: usize>(
    _g: &Geometry<'_>,
    _src: &[f32],
    _x0: usize,
    _w: &[f32],
    _bias: &[f32],
    _valid_c: usize,
    _out: OutPtr,
    _out_off: usize,
) {
    unreachable!("direct convolution needs x86-64 with AVX2 and FMA");
}
