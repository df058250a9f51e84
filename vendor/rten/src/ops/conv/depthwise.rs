use std::mem::MaybeUninit;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use rten_base::unroll::unroll_loop;
use rten_tensor::prelude::*;
use rten_tensor::{AssumeInit, NdTensor, NdTensorView, NdTensorViewMut};
use smallvec::SmallVec;

use crate::buffer_pool::{AutoReturn, BufferPool};

/// Calculate the output coordinate range for which all input / output
/// coordinates are valid when updating a row of output using:
///
/// ```text
/// for out_x in min_out_x..max_out_x {
///   out_row[out_x] += in_row[out_x * stride + k_x * dilation - pad_left] * kernel_row[k_x]
/// }
/// ```
///
/// Where `in_row` is the un-padded input row of width `in_w` and `out_row` is
/// an output row of width `out_w`.
///
/// In other words, we want to find the minimum and maximum values of `out_x`
/// such that:
///
/// - out_x * stride + k_x * dilation - pad_left >= 0
/// - out_x * stride + k_x * dilation - pad_left <= in_w
/// - out_x >= 0
/// - out_x <= out_w
fn min_max_out_x_coords(
    k_x: usize,
    in_w: usize,
    pad_left: usize,
    stride: usize,
    dilation: usize,
    out_w: usize,
) -> (usize, usize) {
    let min_out_x = pad_left
        .saturating_sub(k_x * dilation)
        .div_ceil(stride)
        .min(out_w);
    let max_out_x = (in_w + pad_left)
        .saturating_sub(k_x * dilation)
        .div_ceil(stride)
        .min(out_w);
    (min_out_x, max_out_x)
}

/// Convolution parameters passed to the kernel which are constant across
/// all calls within a single depthwise conv operation.
struct ConvParams<'a> {
    kernel_h: usize,
    stride_h: usize,
    stride_w: usize,
    dilation_y: usize,
    pad_top: usize,
    in_h: usize,
    in_row_len: usize,
    in_row_stride: usize,

    /// Precomputed map of kernel X coordinate to input and output row
    /// range.
    col_range_for_kernel_x: &'a [(Range<usize>, Range<usize>)],
}

/// Trait for architecture and data-type specific kernels for depthwise
/// convolution.
trait DepthwiseConvKernel<X, W, Y> {
    /// Compute one output row of the depthwise convolution.
    ///
    /// `image_chan` and `kernel_chan` contain the input data and weights for
    /// the channel that corresponds to the output row.
    fn compute_row(
        &self,
        params: &ConvParams,
        out_row: &mut [MaybeUninit<Y>],
        out_y: usize,
        out_init: Y,
        image_chan: &[X],
        kernel_chan: NdTensorView<W, 2>,
        input_zero: X,
        kernel_zero: W,
    );

    /// Compute the `out_h` output rows of one channel (row `y` starts at
    /// `out_chan[y * out_row_stride]` and has `out_row_len` columns).
    ///
    /// cardcrm patch: the default computes each row with
    /// [`compute_row`](Self::compute_row), as upstream's caller did
    /// ([`compute_rows`]); a kernel can override it to share per-row setup
    /// between the rows of a channel.
    fn compute_channel(
        &self,
        params: &ConvParams,
        out_chan: &mut [MaybeUninit<Y>],
        out_row_stride: usize,
        out_row_len: usize,
        out_h: usize,
        out_init: Y,
        image_chan: &[X],
        kernel_chan: NdTensorView<W, 2>,
        input_zero: X,
        kernel_zero: W,
    ) where
        X: Copy,
        W: Copy,
        Y: Copy,
    {
        compute_rows(
            self,
            params,
            out_chan,
            out_row_stride,
            out_row_len,
            out_h,
            out_init,
            image_chan,
            kernel_chan,
            input_zero,
            kernel_zero,
        );
    }
}

/// The `out_h` rows of one channel, each by `kernel.compute_row` (upstream's
/// per-row loop): [`DepthwiseConvKernel::compute_channel`]'s default, and
/// the f32 kernel's fallback where it has no faster way.
fn compute_rows<X: Copy, W: Copy, Y: Copy, K: DepthwiseConvKernel<X, W, Y> + ?Sized>(
    kernel: &K,
    params: &ConvParams,
    out_chan: &mut [MaybeUninit<Y>],
    out_row_stride: usize,
    out_row_len: usize,
    out_h: usize,
    out_init: Y,
    image_chan: &[X],
    kernel_chan: NdTensorView<W, 2>,
    input_zero: X,
    kernel_zero: W,
) {
    for out_y in 0..out_h {
        let out_row = &mut out_chan[out_y * out_row_stride..][..out_row_len];
        kernel.compute_row(
            params,
            out_row,
            out_y,
            out_init,
            image_chan,
            kernel_chan,
            input_zero,
            kernel_zero,
        );
    }
}

/// How [`GenericDepthwiseConvKernel`] computes f32 rows when `stride_w == 1`.
///
/// cardcrm patch (see PATCHED.md): the generic row loop reads its input with a
/// run-time column stride, which the compiler does not vectorize. With a
/// column stride of 1 the input columns are contiguous, so they can be
/// processed as plain slices.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stride1Impl {
    /// Use the generic loop for all strides (upstream behavior).
    Generic,
    /// Per kernel tap, a contiguous `dest += src * w` over the row (zip of
    /// slices), which the compiler vectorizes for the baseline target.
    Portable,
    /// All kernel taps of a row in one pass, 8 output columns per AVX2
    /// register, accumulators kept in registers.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Stride1Impl {
    /// Pick the fastest implementation the CPU supports. CPU features are
    /// detected once per process.
    fn detect() -> Self {
        static DETECTED: std::sync::OnceLock<Stride1Impl> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx2") {
                return Stride1Impl::Avx2;
            }
            Stride1Impl::Portable
        })
    }
}

struct GenericDepthwiseConvKernel {
    /// Implementation of f32 rows with `stride_w == 1`. Not used by the
    /// integer kernel.
    stride1: Stride1Impl,
}

impl DepthwiseConvKernel<f32, f32, f32> for GenericDepthwiseConvKernel {
    fn compute_row(
        &self,
        params: &ConvParams,
        out_row: &mut [MaybeUninit<f32>],
        out_y: usize,
        out_init: f32,
        image_chan: &[f32],
        kernel_chan: NdTensorView<f32, 2>,
        _input_zero: f32,
        _kernel_zero: f32,
    ) {
        if params.stride_w == 1 {
            match self.stride1 {
                Stride1Impl::Generic => {}
                Stride1Impl::Portable => {
                    return compute_row_f32_stride1_zip(
                        params,
                        out_row,
                        out_y,
                        out_init,
                        image_chan,
                        kernel_chan,
                    );
                }
                #[cfg(target_arch = "x86_64")]
                Stride1Impl::Avx2 => {
                    return compute_row_f32_stride1_one_pass(
                        params,
                        out_row,
                        out_y,
                        out_init,
                        image_chan,
                        kernel_chan,
                    );
                }
            }
        }

        #[cfg(target_arch = "x86_64")]
        if params.stride_w > 1 && self.stride1 == Stride1Impl::Avx2 {
            return compute_row_f32_strided_one_pass(
                params,
                out_row,
                out_y,
                out_init,
                image_chan,
                kernel_chan,
            );
        }

        let kernel_view = kernel_chan.weakly_checked_view();

        // Initialize output row.
        for x in out_row.iter_mut() {
            x.write(out_init);
        }
        let out_row: &mut [f32] = unsafe { out_row.assume_init() };

        for k_y in 0..params.kernel_h {
            let in_y = out_y * params.stride_h + k_y * params.dilation_y;
            if in_y < params.pad_top || in_y >= params.in_h + params.pad_top {
                continue;
            }

            let in_row_y = in_y - params.pad_top;
            let in_row = &image_chan[in_row_y * params.in_row_stride..][..params.in_row_len];

            for (k_x, (in_range, out_range)) in params.col_range_for_kernel_x.iter().enumerate() {
                let dest = &mut out_row[out_range.clone()];
                let src = &in_row[in_range.clone()];
                let scale = kernel_view[[k_y, k_x]];

                let src_els = src.len().div_ceil(params.stride_w);
                debug_assert!(src_els == dest.len());

                unroll_loop!(0..src_els, i, 4, {
                    unsafe {
                        *dest.get_unchecked_mut(i) +=
                            *src.get_unchecked(i * params.stride_w) * scale;
                    }
                });
            }
        }
    }

    fn compute_channel(
        &self,
        params: &ConvParams,
        out_chan: &mut [MaybeUninit<f32>],
        out_row_stride: usize,
        out_row_len: usize,
        out_h: usize,
        out_init: f32,
        image_chan: &[f32],
        kernel_chan: NdTensorView<f32, 2>,
        input_zero: f32,
        kernel_zero: f32,
    ) {
        #[cfg(target_arch = "x86_64")]
        if params.stride_w == 1 && self.stride1 == Stride1Impl::Avx2 {
            return compute_channel_f32_stride1_one_pass(
                params,
                out_chan,
                out_row_stride,
                out_row_len,
                out_h,
                out_init,
                image_chan,
                kernel_chan,
            );
        }
        compute_rows(
            self,
            params,
            out_chan,
            out_row_stride,
            out_row_len,
            out_h,
            out_init,
            image_chan,
            kernel_chan,
            input_zero,
            kernel_zero,
        );
    }
}

/// Return the input row used by kernel row `k_y` for output row `out_y`, or
/// `None` if that kernel row falls in the vertical padding.
fn input_row<'a>(
    params: &ConvParams,
    image_chan: &'a [f32],
    out_y: usize,
    k_y: usize,
) -> Option<&'a [f32]> {
    let in_y = out_y * params.stride_h + k_y * params.dilation_y;
    if in_y < params.pad_top || in_y >= params.in_h + params.pad_top {
        return None;
    }
    let in_row_y = in_y - params.pad_top;
    Some(&image_chan[in_row_y * params.in_row_stride..][..params.in_row_len])
}

/// f32 row with `stride_w == 1`: same loop structure and summation order as
/// the generic kernel, but with contiguous source columns the update of each
/// kernel tap is a plain `dest += src * w` over two slices, which the compiler
/// vectorizes.
#[inline(always)]
fn compute_row_f32_stride1_zip(
    params: &ConvParams,
    out_row: &mut [MaybeUninit<f32>],
    out_y: usize,
    out_init: f32,
    image_chan: &[f32],
    kernel_chan: NdTensorView<f32, 2>,
) {
    debug_assert_eq!(params.stride_w, 1);
    let kernel_view = kernel_chan.weakly_checked_view();

    for x in out_row.iter_mut() {
        x.write(out_init);
    }
    let out_row: &mut [f32] = unsafe { out_row.assume_init() };

    for k_y in 0..params.kernel_h {
        let Some(in_row) = input_row(params, image_chan, out_y, k_y) else {
            continue;
        };
        for (k_x, (in_range, out_range)) in params.col_range_for_kernel_x.iter().enumerate() {
            let dest = &mut out_row[out_range.clone()];
            let src = &in_row[in_range.clone()];
            debug_assert_eq!(src.len(), dest.len());
            let scale = kernel_view[[k_y, k_x]];
            // Multiply, then add (no fused multiply-add), as in the generic loop.
            dest.iter_mut().zip(src).for_each(|(d, &s)| *d += s * scale);
        }
    }
}

/// Number of kernel taps (`kernel_h * kernel_w`) held inline when building a
/// row's tap list; larger kernels spill to the heap.
#[cfg(target_arch = "x86_64")]
const INLINE_TAPS: usize = 25;

/// One kernel tap for [`compute_row_f32_stride1_one_pass`]: output column `x`
/// of the row reads input `base.wrapping_add(x)` with weight `weight`, for `x`
/// in `out_start..out_end`.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Tap {
    base: *const f32,
    weight: f32,
    out_start: usize,
    out_end: usize,
}

/// f32 row with `stride_w == 1`, all kernel taps in one pass over the row.
///
/// Each output column is `out_init`, then `+ input * weight` for each kernel
/// tap in the generic kernel's order (kernel row, then kernel column),
/// skipping exactly the taps the generic kernel skips (padding). The columns
/// where every tap is in range are computed 8 at a time in AVX2 registers
/// (multiply, then add: no FMA), the few columns at the edges one by one, so
/// the output is bit-for-bit the generic kernel's.
#[cfg(target_arch = "x86_64")]
fn compute_row_f32_stride1_one_pass(
    params: &ConvParams,
    out_row: &mut [MaybeUninit<f32>],
    out_y: usize,
    out_init: f32,
    image_chan: &[f32],
    kernel_chan: NdTensorView<f32, 2>,
) {
    debug_assert_eq!(params.stride_w, 1);
    let out_w = out_row.len();
    let mut taps = SmallVec::new();
    let (lo, hi) = stride1_taps(params, image_chan, kernel_chan, out_y, out_w, &mut taps);

    // Safety: AVX2 is only selected when the CPU supports it (`Stride1Impl::detect`,
    // or a test that checks first). `taps` were built from this row's input rows and
    // column ranges, `lo..hi` is where all of them are in range, and `out_row` has
    // `out_w` elements.
    unsafe {
        one_pass_row_avx2(
            out_row.as_mut_ptr() as *mut f32,
            out_w,
            lo,
            hi,
            out_init,
            &taps,
            0,
        )
    };
}

/// Kernel taps of output row `out_y` for the stride-1 one-pass kernel, and
/// the columns `lo..hi` where all of them are in range (`out_w..out_w` if
/// there are none).
#[cfg(target_arch = "x86_64")]
fn stride1_taps(
    params: &ConvParams,
    image_chan: &[f32],
    kernel_chan: NdTensorView<f32, 2>,
    out_y: usize,
    out_w: usize,
    taps: &mut SmallVec<[Tap; INLINE_TAPS]>,
) -> (usize, usize) {
    let kernel_view = kernel_chan.weakly_checked_view();
    taps.clear();
    for k_y in 0..params.kernel_h {
        let Some(in_row) = input_row(params, image_chan, out_y, k_y) else {
            continue;
        };
        for (k_x, (in_range, out_range)) in params.col_range_for_kernel_x.iter().enumerate() {
            if out_range.is_empty() {
                continue;
            }
            debug_assert_eq!(in_range.len(), out_range.len());
            debug_assert!(in_range.end <= in_row.len());
            // Input column of output column `x` is `x + in_range.start - out_range.start`.
            let base = in_row
                .as_ptr()
                .wrapping_add(in_range.start)
                .wrapping_sub(out_range.start);
            taps.push(Tap {
                base,
                weight: kernel_view[[k_y, k_x]],
                out_start: out_range.start,
                out_end: out_range.end,
            });
        }
    }

    common_columns(taps, out_w)
}

/// The output columns `lo..hi` where every tap is in range (`out_w..out_w`
/// if there are none).
#[cfg(target_arch = "x86_64")]
fn common_columns(taps: &[Tap], out_w: usize) -> (usize, usize) {
    let lo = taps.iter().map(|t| t.out_start).max().unwrap_or(0);
    let hi = taps.iter().map(|t| t.out_end).min().unwrap_or(out_w);
    if lo < hi { (lo, hi) } else { (out_w, out_w) }
}

/// All rows of one channel with `stride_w == 1`, one pass per row.
///
/// The rows whose kernel rows are all inside the input (all but the few at
/// the top and bottom edges) have the same taps, `stride_h` input rows
/// further down for each next row: their tap list is built once, for the
/// first of them, and the others read it shifted. The edge rows build their
/// own, as [`compute_row_f32_stride1_one_pass`] does. Same taps as per row, so
/// the same bits.
#[cfg(target_arch = "x86_64")]
fn compute_channel_f32_stride1_one_pass(
    params: &ConvParams,
    out_chan: &mut [MaybeUninit<f32>],
    out_row_stride: usize,
    out_row_len: usize,
    out_h: usize,
    out_init: f32,
    image_chan: &[f32],
    kernel_chan: NdTensorView<f32, 2>,
) {
    debug_assert_eq!(params.stride_w, 1);
    let all_rows_inside = |out_y: usize| {
        (0..params.kernel_h).all(|k_y| input_row(params, image_chan, out_y, k_y).is_some())
    };
    // Tap lists live in two buffers reused for every row (session 12): returning a fresh
    // 25-tap list per edge row moved 800 bytes each time, 1 % of a PP-OCR card.
    let mut edge_taps: SmallVec<[Tap; INLINE_TAPS]> = SmallVec::new();
    let mut inside_taps: SmallVec<[Tap; INLINE_TAPS]> = SmallVec::new();
    // (first inside row, lo, hi); its taps are in `inside_taps`.
    let mut inside: Option<(usize, usize, usize)> = None;
    for out_y in 0..out_h {
        let out_row = &mut out_chan[out_y * out_row_stride..][..out_row_len];
        let (taps, lo, hi, shift) = if !all_rows_inside(out_y) {
            let (lo, hi) = stride1_taps(params, image_chan, kernel_chan, out_y, out_row_len, &mut edge_taps);
            (&edge_taps, lo, hi, 0)
        } else {
            let (y0, lo, hi) = *inside.get_or_insert_with(|| {
                let (lo, hi) =
                    stride1_taps(params, image_chan, kernel_chan, out_y, out_row_len, &mut inside_taps);
                (out_y, lo, hi)
            });
            // Row `out_y`'s input rows are `(out_y - y0) * stride_h` rows below row `y0`'s.
            (&inside_taps, lo, hi, (out_y - y0) * params.stride_h * params.in_row_stride)
        };
        // Safety: as in `compute_row_f32_stride1_one_pass`; for an inside row, with `shift`
        // each tap points exactly where the tap built for row `out_y` would (all its kernel
        // rows are inside the input, like row `y0`'s).
        unsafe {
            one_pass_row_avx2(
                out_row.as_mut_ptr() as *mut f32,
                out_row_len,
                lo,
                hi,
                out_init,
                taps,
                shift,
            )
        };
    }
}

/// f32 row with `stride_w > 1`, all kernel taps in one pass over the row.
///
/// The input rows this output row reads are first split by column phase
/// (for stride 2: the even columns, then the odd ones) into a per-thread
/// scratch buffer. Input column `x * stride + offset` of a kernel tap is then
/// column `x + offset.div_euclid(stride)` of phase `offset.rem_euclid(stride)`, so each
/// tap reads consecutive values and the stride-1 one-pass kernel
/// ([`one_pass_row_avx2`]) computes the row. Same taps, same order, same
/// skipped padding as the generic loop: the output is bit-for-bit the same.
#[cfg(target_arch = "x86_64")]
fn compute_row_f32_strided_one_pass(
    params: &ConvParams,
    out_row: &mut [MaybeUninit<f32>],
    out_y: usize,
    out_init: f32,
    image_chan: &[f32],
    kernel_chan: NdTensorView<f32, 2>,
) {
    use std::cell::RefCell;

    thread_local! {
        /// Column phases of the input rows of the current output row.
        static PHASES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    }

    let stride = params.stride_w;
    debug_assert!(stride > 1);
    let kernel_view = kernel_chan.weakly_checked_view();
    let out_w = out_row.len();
    let in_w = params.in_row_len;
    let phase_len = in_w.div_ceil(stride);
    let slot_len = stride * phase_len;
    let n_slots = params.kernel_h;

    PHASES.with_borrow_mut(|scratch| {
        if scratch.len() < n_slots * slot_len {
            scratch.resize(n_slots * slot_len, 0.);
        }
        // Slot `k_y`, phase `p`, index `i` holds `in_row[i * stride + p]`.
        for (k_y, slot) in scratch[..n_slots * slot_len]
            .chunks_exact_mut(slot_len)
            .enumerate()
        {
            if let Some(in_row) = input_row(params, image_chan, out_y, k_y) {
                // Safety: AVX2 was detected before this implementation was chosen.
                unsafe { split_phases_avx2(in_row, stride, phase_len, slot) };
            }
        }
        let phases = scratch.as_ptr();

        let mut taps: SmallVec<[Tap; INLINE_TAPS]> = SmallVec::new();
        for k_y in 0..params.kernel_h {
            let Some(in_row) = input_row(params, image_chan, out_y, k_y) else {
                continue;
            };
            for (k_x, (in_range, out_range)) in params.col_range_for_kernel_x.iter().enumerate() {
                if out_range.is_empty() {
                    continue;
                }
                debug_assert!(in_range.end <= in_row.len());
                debug_assert_eq!(in_range.len().div_ceil(stride), out_range.len());
                // Output column `out_range.start` reads input column `in_range.start`,
                // the next ones every `stride` columns: consecutive values of one phase.
                let start = k_y * slot_len
                    + (in_range.start % stride) * phase_len
                    + in_range.start / stride;
                let base = phases.wrapping_add(start).wrapping_sub(out_range.start);
                taps.push(Tap {
                    base,
                    weight: kernel_view[[k_y, k_x]],
                    out_start: out_range.start,
                    out_end: out_range.end,
                });
            }
        }

        let (lo, hi) = common_columns(&taps, out_w);

        // Safety: as in `compute_row_f32_stride1_one_pass`. A tap's reads for
        // `out_start..out_end` are the phase values of input columns
        // `in_range.start`, `+ stride`, … `in_range.end - 1`, all below `in_w`,
        // so within the phase (`phase_len` values) and the scratch buffer, which
        // is not touched again until `one_pass_row_avx2` returns.
        unsafe {
            one_pass_row_avx2(
                out_row.as_mut_ptr() as *mut f32,
                out_w,
                lo,
                hi,
                out_init,
                &taps,
                0,
            )
        };
    });
}

/// Split `row` by column phase: `slot[p * phase_len + i] = row[i * stride + p]`.
///
/// # Safety
///
/// The CPU must support AVX2 (only used so the compiler can vectorize the
/// copies).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn split_phases_avx2(row: &[f32], stride: usize, phase_len: usize, slot: &mut [f32]) {
    debug_assert!(slot.len() >= stride * phase_len);
    debug_assert!(row.len() <= stride * phase_len);
    if stride == 2 {
        let (even, odd) = slot.split_at_mut(phase_len);
        let pairs = row.chunks_exact(2);
        if let [last] = pairs.remainder() {
            even[row.len() / 2] = *last;
        }
        for ((e, o), pair) in even.iter_mut().zip(odd.iter_mut()).zip(pairs) {
            *e = pair[0];
            *o = pair[1];
        }
    } else {
        for (x, &v) in row.iter().enumerate() {
            slot[(x % stride) * phase_len + x / stride] = v;
        }
    }
}

/// Compute all `out_w` columns of an output row from its kernel taps, 8
/// columns per AVX2 register.
///
/// Columns `lo..hi`, where every tap is in range, are computed by blocks of 8
/// with plain loads, up to 4 blocks per pass over the taps so that the adds of
/// different blocks overlap (the last block ends at `hi` and may recompute a
/// few columns: a column's value does not depend on the others). The columns
/// outside `lo..hi` are covered by edge blocks, in which a tap that is out of
/// range for some lanes is loaded with a mask and its product added only in
/// the lanes where the generic kernel adds it (blend).
///
/// # Safety
///
/// The CPU must support AVX2. `out` must be valid for writes of `out_w` values.
/// For each tap and each column `x` in `tap.out_start..tap.out_end` (which
/// must be within `0..out_w`), `tap.base.wrapping_add(shift + x)` must be valid for
/// reads, and if `lo < hi` every tap's range must contain `lo..hi`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn one_pass_row_avx2(
    out: *mut f32,
    out_w: usize,
    lo: usize,
    hi: usize,
    init: f32,
    taps: &[Tap],
    shift: usize,
) {
    use std::arch::x86_64::{
        __m256, __m256i, _mm256_add_ps, _mm256_and_si256, _mm256_blendv_ps, _mm256_castsi256_ps,
        _mm256_cmpgt_epi32, _mm256_loadu_ps, _mm256_maskload_ps, _mm256_maskstore_ps,
        _mm256_mul_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setr_epi32, _mm256_storeu_ps,
    };

    const LANES: usize = 8;

    /// Blocks of columns `starts[j]..starts[j] + 8`, all taps in range.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn interior<const N: usize>(
        out: *mut f32,
        starts: [usize; N],
        init: f32,
        taps: &[Tap],
        shift: usize,
    ) {
        let mut acc = [_mm256_set1_ps(init); N];
        for tap in taps {
            let w = _mm256_set1_ps(tap.weight);
            for j in 0..N {
                let v = unsafe { _mm256_loadu_ps(tap.base.wrapping_add(shift + starts[j])) };
                acc[j] = _mm256_add_ps(acc[j], _mm256_mul_ps(v, w));
            }
        }
        for j in 0..N {
            unsafe { _mm256_storeu_ps(out.add(starts[j]), acc[j]) };
        }
    }

    /// Blocks of columns `starts[j]..starts[j] + 8` in which some taps are
    /// out of range; lanes at or past `out_w` are not stored.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn edge<const N: usize>(
        out: *mut f32,
        out_w: usize,
        starts: [usize; N],
        init: f32,
        taps: &[Tap],
        shift: usize,
    ) {
        let lane_idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let mut acc: [__m256; N] = [_mm256_set1_ps(init); N];
        for tap in taps {
            let w = _mm256_set1_ps(tap.weight);
            for j in 0..N {
                let x = starts[j];
                let p = tap.base.wrapping_add(shift + x);
                if tap.out_start <= x && x + LANES <= tap.out_end {
                    let v = unsafe { _mm256_loadu_ps(p) };
                    acc[j] = _mm256_add_ps(acc[j], _mm256_mul_ps(v, w));
                } else {
                    let m = lane_mask(
                        lane_idx,
                        tap.out_start as isize - x as isize,
                        tap.out_end as isize - x as isize,
                    );
                    // Masked-out lanes are not read.
                    let v = unsafe { _mm256_maskload_ps(p, m) };
                    let sum = _mm256_add_ps(acc[j], _mm256_mul_ps(v, w));
                    acc[j] = _mm256_blendv_ps(acc[j], sum, _mm256_castsi256_ps(m));
                }
            }
        }
        for j in 0..N {
            let x = starts[j];
            if x + LANES <= out_w {
                unsafe { _mm256_storeu_ps(out.add(x), acc[j]) };
            } else {
                let store = lane_mask(lane_idx, 0, out_w as isize - x as isize);
                unsafe { _mm256_maskstore_ps(out.add(x), store, acc[j]) };
            }
        }
    }

    /// Lanes `i` (`lane_idx` = 0, 1, … 7) with `lower <= i < upper`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn lane_mask(lane_idx: __m256i, lower: isize, upper: isize) -> __m256i {
        _mm256_and_si256(
            _mm256_cmpgt_epi32(lane_idx, _mm256_set1_epi32((lower - 1) as i32)),
            _mm256_cmpgt_epi32(_mm256_set1_epi32(upper as i32), lane_idx),
        )
    }

    if out_w < LANES {
        unsafe { edge(out, out_w, [0], init, taps, shift) };
        return;
    }

    // Edge blocks: everything outside `lo..hi`, or the whole row if that is
    // narrower than a block. `out_w >= 8`, so blocks can end at `out_w`.
    let mut edges: SmallVec<[usize; 4]> = SmallVec::new();
    if hi >= lo + LANES {
        let mut x = 0;
        while x < lo {
            edges.push(x);
            x += LANES;
        }
        let mut x = out_w - LANES;
        while x + LANES > hi {
            edges.push(x);
            if x < LANES {
                break;
            }
            x -= LANES;
        }
    } else {
        let mut x = 0;
        while x + LANES < out_w {
            edges.push(x);
            x += LANES;
        }
        edges.push(out_w - LANES);
    }
    let mut pairs = edges.chunks_exact(2);
    for pair in pairs.by_ref() {
        unsafe { edge(out, out_w, [pair[0], pair[1]], init, taps, shift) };
    }
    if let [x] = pairs.remainder() {
        unsafe { edge(out, out_w, [*x], init, taps, shift) };
    }

    if hi < lo + LANES {
        return;
    }
    let mut x = lo;
    while x + 4 * LANES <= hi {
        unsafe {
            interior(
                out,
                [x, x + LANES, x + 2 * LANES, x + 3 * LANES],
                init,
                taps,
                shift,
            )
        };
        x += 4 * LANES;
    }
    let last = hi - LANES;
    match (hi - x).div_ceil(LANES) {
        0 => {}
        1 => unsafe { interior(out, [last], init, taps, shift) },
        2 => unsafe { interior(out, [x, last], init, taps, shift) },
        3 => unsafe { interior(out, [x, x + LANES, last], init, taps, shift) },
        _ => unsafe { interior(out, [x, x + LANES, x + 2 * LANES, last], init, taps, shift) },
    }
}

impl DepthwiseConvKernel<i8, u8, i32> for GenericDepthwiseConvKernel {
    fn compute_row(
        &self,
        params: &ConvParams,
        out_row: &mut [MaybeUninit<i32>],
        out_y: usize,
        out_init: i32,
        image_chan: &[i8],
        kernel_chan: NdTensorView<u8, 2>,
        input_zero: i8,
        kernel_zero: u8,
    ) {
        let kernel_view = kernel_chan.weakly_checked_view();
        let input_zero = input_zero as i32;
        let kernel_zero = kernel_zero as i32;

        // Initialize output row.
        for x in out_row.iter_mut() {
            x.write(out_init);
        }
        let out_row: &mut [i32] = unsafe { out_row.assume_init() };

        for k_y in 0..params.kernel_h {
            let in_y = out_y * params.stride_h + k_y * params.dilation_y;
            if in_y < params.pad_top || in_y >= params.in_h + params.pad_top {
                continue;
            }

            let in_row_y = in_y - params.pad_top;
            let in_row = &image_chan[in_row_y * params.in_row_stride..][..params.in_row_len];

            for (k_x, (in_range, out_range)) in params.col_range_for_kernel_x.iter().enumerate() {
                let dest = &mut out_row[out_range.clone()];
                let src = &in_row[in_range.clone()];
                let scale = kernel_view[[k_y, k_x]] as i32 - kernel_zero;

                let src_els = src.len().div_ceil(params.stride_w);
                debug_assert!(src_els == dest.len());

                unroll_loop!(0..src_els, i, 4, {
                    unsafe {
                        *dest.get_unchecked_mut(i) +=
                            (*src.get_unchecked(i * params.stride_w) as i32 - input_zero) * scale;
                    }
                });
            }
        }
    }
}

/// Compute depthwise convolution for the block of channels from `input`
/// specified by `chan_range` into `output`.
///
/// Convolutions where the group count is equal to the input and output
/// channel count are referred to as _depthwise_. These use a different
/// implementation than general convolutions for efficiency.
///
/// `X`, `W` and `Y` are the input, weight and output data types respectively.
pub struct DepthwiseConvExecutor<X: Copy, W, Y: Copy + Default> {
    kernel: Box<dyn DepthwiseConvKernel<X, W, Y> + Sync>,
}

impl<X: Copy + Default + Sync, W: Copy + Default + Sync, Y: Copy + Default>
    DepthwiseConvExecutor<X, W, Y>
{
    /// Compute depthwise convolution for the block of channels from `input`
    /// specified by `chan_range` into `output`.
    ///
    /// `col_range_for_kernel_x` is a precomputed map of kernel X coordinate to
    /// `(in_range, out_range)` of column ranges that are valid for the input and
    /// output.
    ///
    /// When this function returns, all elements of `output` will have been
    /// initialized.
    fn depthwise_conv_2d_block(
        &self,
        mut output: NdTensorViewMut<MaybeUninit<Y>, 3>, // C, H, W
        chan_range: Range<usize>,
        input: NdTensorView<X, 3>,  // C, H, W
        kernel: NdTensorView<W, 4>, // C, _, Kh, Kw
        bias: Option<NdTensorView<Y, 1>>,
        padding: [usize; 4],
        strides: [usize; 2],
        dilations: [usize; 2],
        col_range_for_kernel_x: &[(Range<usize>, Range<usize>)],
        input_zero: Option<X>,
        kernel_zero: Option<&[W]>,
    ) {
        debug_assert_eq!(input.stride(2), 1, "last dim of input is not contiguous");
        debug_assert_eq!(output.stride(2), 1, "last dim of output is not contiguous");

        let [_, out_h, _out_w] = output.shape();
        let [_, _, k_h, _k_w] = kernel.shape();
        let [_, in_h, _in_w] = input.shape();
        let [stride_h, stride_w] = strides;
        let [pad_top, _pad_left, _pad_bottom, _pad_right] = padding;
        let [dilation_y, _dilation_x] = dilations;

        let conv_params = ConvParams {
            stride_h,
            stride_w,
            kernel_h: k_h,
            pad_top,
            dilation_y,
            in_h,
            in_row_stride: input.stride(1),
            in_row_len: input.size(2),
            col_range_for_kernel_x,
        };

        let input_zero = input_zero.unwrap_or_default();
        for c in chan_range.clone() {
            let kernel_view = kernel.slice([c, 0]);

            let mut out_chan = output.slice_mut([c - chan_range.start]);
            let out_row_stride = out_chan.stride(0);
            let out_row_len = out_chan.size(1);
            let out_chan_data = out_chan.data_mut().unwrap();

            let in_chan = input.slice([c]);
            let in_chan_data = in_chan.data().unwrap();

            let init_value = if let Some(bias) = bias {
                bias[c]
            } else {
                Y::default()
            };

            let kernel_zero = kernel_zero.map(|kz| kz[c]).unwrap_or_default();

            // Here and in the `compute_row` implementation we use manual
            // slicing of the input data rather than tensor `slice` methods
            // for efficiency.
            self.kernel.compute_channel(
                &conv_params,
                out_chan_data,
                out_row_stride,
                out_row_len,
                out_h,
                init_value,
                in_chan_data,
                kernel_view,
                input_zero,
                kernel_zero,
            );
        }
    }

    /// Compute a depthwise convolution of a 2D image.
    pub fn depthwise_conv_2d(
        &self,
        pool: &BufferPool,
        input: &NdTensorView<X, 4>,
        kernel: &NdTensorView<W, 4>,
        bias: Option<NdTensorView<Y, 1>>,
        padding: [usize; 4],
        strides: [usize; 2],
        dilations: [usize; 2],
        out_hw: [usize; 2],
        input_zero: Option<X>,
        kernel_zero: Option<&[W]>,
    ) -> NdTensor<Y, 4> {
        let [batch, _in_c, _in_h, in_w]: [usize; 4] = input.shape();
        let [out_c, _, _k_h, k_w]: [usize; 4] = kernel.shape();
        let [_pad_top, pad_left, _pad_bottom, _pad_right] = padding;
        let [_stride_h, stride_w] = strides;
        let [_dilation_y, dilation_x] = dilations;
        let [out_h, out_w] = out_hw;

        let mut output = NdTensor::uninit_in(pool, [batch, out_c, out_h, out_w]);

        // `conv_2d_depthwise_block` assumes contiguous last dimension.
        let input = input.to_contiguous_in(pool).auto_return(pool);

        // Map of kernel X position to `(in_range, out_range)` of column ranges that
        // are used in the inner loop.
        let col_range_for_kernel_x: SmallVec<[_; 7]> = (0..k_w)
            .map(|k_x| {
                let (min_out_x, max_out_x) =
                    min_max_out_x_coords(k_x, in_w, pad_left, stride_w, dilation_x, out_w);

                // If the output range is empty, the input range must be too. Exit
                // early in case `max_out_x` is zero.
                //
                // This can happen if all the input coordinates which this kernel
                // column would be multiplied with are part of the padding region.
                if min_out_x == max_out_x {
                    return (0..0, 0..0);
                }

                let min_in_x = min_out_x * stride_w + k_x * dilation_x - pad_left;
                let max_in_x = (max_out_x - 1) * stride_w + k_x * dilation_x - pad_left + 1;

                (min_in_x..max_in_x, min_out_x..max_out_x)
            })
            .collect();

        let n_init = AtomicUsize::new(0);
        for n in 0..batch {
            let mut out_chans = output.slice_mut(n);
            let input = input.slice(n);

            out_chans
                .axis_iter_mut(0)
                .into_par_iter()
                .enumerate()
                .for_each(|(out_chan, mut out_chans)| {
                    let mut out_chans = out_chans
                        .reshaped_mut([1, out_chans.size(0), out_chans.size(1)])
                        .unwrap();
                    self.depthwise_conv_2d_block(
                        out_chans.view_mut(),
                        out_chan..out_chan + 1,
                        input,
                        kernel.view(),
                        bias,
                        padding,
                        strides,
                        dilations,
                        &col_range_for_kernel_x,
                        input_zero,
                        kernel_zero,
                    );

                    n_init.fetch_add(out_chans.len(), Ordering::SeqCst);
                });
        }

        // Safety: We initialized all output rows
        assert!(n_init.load(Ordering::SeqCst) == output.len());
        unsafe { output.assume_init() }
    }
}

impl Default for DepthwiseConvExecutor<f32, f32, f32> {
    fn default() -> Self {
        DepthwiseConvExecutor {
            kernel: Box::new(GenericDepthwiseConvKernel {
                stride1: Stride1Impl::detect(),
            }),
        }
    }
}

impl Default for DepthwiseConvExecutor<i8, u8, i32> {
    fn default() -> Self {
        DepthwiseConvExecutor {
            kernel: Box::new(GenericDepthwiseConvKernel {
                stride1: Stride1Impl::Generic,
            }),
        }
    }
}

// nb. Tests for depthwise conv are implemented in the main `conv.rs` module.

// cardcrm patch: tests of the `stride_w == 1` f32 paths against the generic kernel.
#[cfg(test)]
mod stride1_tests {
    use std::mem::MaybeUninit;
    use std::time::Instant;

    use rten_tensor::prelude::*;
    use rten_tensor::rng::XorShiftRng;
    use rten_tensor::{NdTensor, NdTensorView};

    use super::{
        ConvParams, DepthwiseConvExecutor, DepthwiseConvKernel, GenericDepthwiseConvKernel,
        Stride1Impl,
    };
    use crate::buffer_pool::BufferPool;

    fn executor(stride1: Stride1Impl) -> DepthwiseConvExecutor<f32, f32, f32> {
        DepthwiseConvExecutor {
            kernel: Box::new(GenericDepthwiseConvKernel { stride1 }),
        }
    }

    /// The stride-1 implementations this CPU can run.
    fn fast_impls() -> Vec<Stride1Impl> {
        #[allow(unused_mut)]
        let mut impls = vec![Stride1Impl::Portable];
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            impls.push(Stride1Impl::Avx2);
        }
        impls
    }

    /// Random tensor with values in [-1, 1).
    fn rand<const N: usize>(shape: [usize; N], rng: &mut XorShiftRng) -> NdTensor<f32, N> {
        NdTensor::<f32, N>::rand(shape, rng).map(|x| x * 2. - 1.)
    }

    fn out_size(
        in_size: usize,
        k: usize,
        pad: [usize; 2],
        stride: usize,
        dilation: usize,
    ) -> usize {
        let span = dilation * (k - 1) + 1;
        if in_size + pad[0] + pad[1] < span {
            return 0;
        }
        (in_size + pad[0] + pad[1] - span) / stride + 1
    }

    fn run(
        exec: &DepthwiseConvExecutor<f32, f32, f32>,
        input: NdTensorView<f32, 4>,
        kernel: NdTensorView<f32, 4>,
        bias: Option<NdTensorView<f32, 1>>,
        padding: [usize; 4],
        strides: [usize; 2],
        dilations: [usize; 2],
    ) -> NdTensor<f32, 4> {
        let [_, _, in_h, in_w] = input.shape();
        let [_, _, k_h, k_w] = kernel.shape();
        let [pad_top, pad_left, pad_bottom, pad_right] = padding;
        let out_h = out_size(in_h, k_h, [pad_top, pad_bottom], strides[0], dilations[0]);
        let out_w = out_size(in_w, k_w, [pad_left, pad_right], strides[1], dilations[1]);
        let pool = BufferPool::new();
        exec.depthwise_conv_2d(
            &pool,
            &input,
            &kernel,
            bias,
            padding,
            strides,
            dilations,
            [out_h, out_w],
            None,
            None,
        )
    }

    /// The fast paths give bit-identical results to the generic kernel for
    /// many widths (narrower and wider than a register, odd tails), kernel
    /// sizes, paddings (including padding wider than the kernel, where some
    /// kernel columns never touch the input) and vertical strides.
    #[test]
    fn test_stride1_fast_paths_match_generic() {
        let mut rng = XorShiftRng::new(5678);
        let generic = executor(Stride1Impl::Generic);
        let mut n_cases = 0;

        for &(k_h, k_w) in &[(3, 3), (5, 5), (3, 5), (1, 3)] {
            for &in_w in &[
                1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 47, 64, 65, 100, 161,
            ] {
                for &in_h in &[1, 4, 9] {
                    for &(pad_left, pad_right) in &[(0, 0), (1, 1), (2, 2), (0, 2), (2, 1), (6, 6)]
                    {
                        for &(pad_top, pad_bottom) in &[(0, 0), (1, 1), (2, 0)] {
                            for &stride_h in &[1, 2] {
                                for &dilation in &[1, 2] {
                                    for with_bias in [false, true] {
                                        let chans = 3;
                                        let input = rand([1, chans, in_h, in_w], &mut rng);
                                        let kernel = rand([chans, 1, k_h, k_w], &mut rng);
                                        let bias = rand([chans], &mut rng);
                                        let bias = with_bias.then(|| bias.view());
                                        let padding = [pad_top, pad_left, pad_bottom, pad_right];
                                        let strides = [stride_h, 1];
                                        let dilations = [dilation, dilation];
                                        let expected = run(
                                            &generic,
                                            input.view(),
                                            kernel.view(),
                                            bias,
                                            padding,
                                            strides,
                                            dilations,
                                        );
                                        for imp in fast_impls() {
                                            let actual = run(
                                                &executor(imp),
                                                input.view(),
                                                kernel.view(),
                                                bias,
                                                padding,
                                                strides,
                                                dilations,
                                            );
                                            assert_eq!(actual.shape(), expected.shape());
                                            let same = actual
                                                .iter()
                                                .zip(expected.iter())
                                                .all(|(a, e)| a.to_bits() == e.to_bits());
                                            assert!(
                                                same,
                                                "{imp:?} differs: kernel {k_h}x{k_w} in {in_h}x{in_w} \
                                                 padding {padding:?} strides {strides:?} \
                                                 dilations {dilations:?} bias {with_bias}"
                                            );
                                            n_cases += 1;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(n_cases > 1000);
    }

    /// Column strides above 1: the AVX2 path (column phases, then the one-pass
    /// kernel) gives bit-identical results to the generic loop; the portable
    /// path leaves them to the generic loop.
    #[test]
    fn test_strided_fast_path_matches_generic() {
        let mut rng = XorShiftRng::new(91);
        let generic = executor(Stride1Impl::Generic);
        let mut n_cases = 0;

        for &(k_h, k_w) in &[(3, 3), (5, 5), (3, 5), (1, 3), (2, 2)] {
            for &in_w in &[1, 2, 3, 4, 5, 9, 15, 16, 17, 18, 33, 37, 64, 65, 128, 161] {
                for &in_h in &[1, 5, 10] {
                    for &(pad_left, pad_right) in &[(0, 0), (1, 1), (2, 2), (0, 1), (1, 0), (6, 6)]
                    {
                        for &pad_top in &[0, 1, 2] {
                            for &(stride_h, stride_w) in &[(2, 2), (1, 2), (2, 3), (1, 4)] {
                                for &dilation in &[1, 2] {
                                    for with_bias in [false, true] {
                                        let chans = 2;
                                        let input = rand([1, chans, in_h, in_w], &mut rng);
                                        let kernel = rand([chans, 1, k_h, k_w], &mut rng);
                                        let bias = rand([chans], &mut rng);
                                        let bias = with_bias.then(|| bias.view());
                                        let padding = [pad_top, pad_left, 1, pad_right];
                                        let strides = [stride_h, stride_w];
                                        let dilations = [dilation, dilation];
                                        let expected = run(
                                            &generic,
                                            input.view(),
                                            kernel.view(),
                                            bias,
                                            padding,
                                            strides,
                                            dilations,
                                        );
                                        for imp in fast_impls() {
                                            let actual = run(
                                                &executor(imp),
                                                input.view(),
                                                kernel.view(),
                                                bias,
                                                padding,
                                                strides,
                                                dilations,
                                            );
                                            assert_eq!(actual.shape(), expected.shape());
                                            let same = actual
                                                .iter()
                                                .zip(expected.iter())
                                                .all(|(a, e)| a.to_bits() == e.to_bits());
                                            assert!(
                                                same,
                                                "{imp:?} differs: kernel {k_h}x{k_w} in {in_h}x{in_w} \
                                                 padding {padding:?} strides {strides:?} \
                                                 dilations {dilations:?} bias {with_bias}"
                                            );
                                            n_cases += 1;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(n_cases > 1000);
    }

    /// The zip loop compiled with AVX2 enabled, for the timing comparison.
    #[cfg(target_arch = "x86_64")]
    struct ZipAvx2Kernel;

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn zip_avx2(
        params: &ConvParams,
        out_row: &mut [MaybeUninit<f32>],
        out_y: usize,
        out_init: f32,
        image_chan: &[f32],
        kernel_chan: NdTensorView<f32, 2>,
    ) {
        super::compute_row_f32_stride1_zip(
            params,
            out_row,
            out_y,
            out_init,
            image_chan,
            kernel_chan,
        )
    }

    #[cfg(target_arch = "x86_64")]
    impl DepthwiseConvKernel<f32, f32, f32> for ZipAvx2Kernel {
        fn compute_row(
            &self,
            params: &ConvParams,
            out_row: &mut [MaybeUninit<f32>],
            out_y: usize,
            out_init: f32,
            image_chan: &[f32],
            kernel_chan: NdTensorView<f32, 2>,
            _input_zero: f32,
            _kernel_zero: f32,
        ) {
            assert!(is_x86_feature_detected!("avx2"));
            unsafe { zip_avx2(params, out_row, out_y, out_init, image_chan, kernel_chan) }
        }
    }

    /// Timing of the implementations on depthwise layer shapes like the
    /// PP-OCR detector's and recognizer's. Run with
    /// `cargo test --release --lib bench_depthwise_stride1 -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn bench_depthwise_stride1() {
        let mut rng = XorShiftRng::new(1);
        // Stride-1 depthwise layers seen on one synthetic card (detector at
        // 512 px, recognizer on a line 70-140 columns wide after the stem).
        let shapes: &[([usize; 4], usize)] = &[
            ([1, 16, 160, 256], 3),
            ([1, 48, 80, 128], 3),
            ([1, 192, 20, 32], 5),
            ([1, 384, 10, 16], 5),
            ([1, 64, 24, 140], 3),
            ([1, 128, 12, 140], 3),
            ([1, 240, 12, 70], 5),
            ([1, 256, 5, 80], 5),
            ([1, 480, 6, 70], 5),
        ];
        let mut kernels: Vec<(&str, DepthwiseConvExecutor<f32, f32, f32>)> = vec![
            ("generic", executor(Stride1Impl::Generic)),
            ("zip (baseline target)", executor(Stride1Impl::Portable)),
        ];
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") {
            kernels.push((
                "zip (avx2)",
                DepthwiseConvExecutor {
                    kernel: Box::new(ZipAvx2Kernel),
                },
            ));
            kernels.push(("one pass (avx2)", executor(Stride1Impl::Avx2)));
        }
        for &(shape, k) in shapes {
            let input = rand(shape, &mut rng);
            let kernel = rand([shape[1], 1, k, k], &mut rng);
            let pad = k / 2;
            let iters = 20;
            let mut line = format!("{shape:?} k{k}:");
            for (name, exec) in &kernels {
                // Best of 5 rounds (the machine is shared).
                let ms = (0..5)
                    .map(|_| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            run(
                                exec,
                                input.view(),
                                kernel.view(),
                                None,
                                [pad; 4],
                                [1, 1],
                                [1, 1],
                            );
                        }
                        start.elapsed().as_secs_f64() * 1000. / iters as f64
                    })
                    .fold(f64::INFINITY, f64::min);
                line += &format!("  {name} {ms:.3} ms");
            }
            println!("{line}");
        }
    }

    /// Timing of the stride-2 layers of the PP-OCR detector (512 px side),
    /// generic loop against column phases + one pass. Run with
    /// `cargo test --release --lib bench_depthwise_stride2 -- --ignored --nocapture`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    #[ignore]
    fn bench_depthwise_stride2() {
        if !is_x86_feature_detected!("avx2") {
            return;
        }
        let mut rng = XorShiftRng::new(2);
        let shapes: &[([usize; 4], usize)] = &[
            ([1, 32, 160, 256], 3),
            ([1, 48, 80, 128], 3),
            ([1, 96, 40, 64], 3),
            ([1, 192, 20, 32], 5),
        ];
        let kernels = [
            ("generic", executor(Stride1Impl::Generic)),
            ("phases + one pass (avx2)", executor(Stride1Impl::Avx2)),
        ];
        for &(shape, k) in shapes {
            let input = rand(shape, &mut rng);
            let kernel = rand([shape[1], 1, k, k], &mut rng);
            let pad = k / 2;
            let iters = 20;
            let mut line = format!("{shape:?} k{k} stride 2:");
            for (name, exec) in &kernels {
                let ms = (0..5)
                    .map(|_| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            run(
                                exec,
                                input.view(),
                                kernel.view(),
                                None,
                                [pad; 4],
                                [2, 2],
                                [1, 1],
                            );
                        }
                        start.elapsed().as_secs_f64() * 1000. / iters as f64
                    })
                    .fold(f64::INFINITY, f64::min);
                line += &format!("  {name} {ms:.3} ms");
            }
            println!("{line}");
        }
    }
}
