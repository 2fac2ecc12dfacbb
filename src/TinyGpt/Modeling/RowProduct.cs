using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// y = x W^T + b for one or a few rows x (a decoding step), reading a packed copy of the weights
/// once and splitting the output columns across cores. Written by hand because a decoding step is
/// bound by reading the weights, and libtorch read them at 14-16 GB/s for one row here where this
/// packed stream reads 22-31 GB/s (performance.md, "Decoding: the row product").
/// </summary>
/// <remarks>
/// The packed copy stores the weights in groups of 32 output columns, [out / 32, in, 32], so a
/// group is one contiguous stream and each vector load feeds 8 outputs (16 with AVX-512). Every
/// output is one chain of fused multiply-adds over the inputs in order, whatever the number of
/// rows, threads or the vector width, so a row's result does not depend on the rows beside it
/// (batched decoding equals decoding alone), on the thread count, or on the CPU having AVX-512.
/// </remarks>
internal static unsafe class RowProduct
{
    /// <summary>
    /// The most rows multiplied here; more go to libtorch. With AVX-512 the eight-row kernels keep
    /// a group's weights in cache for every row and outran libtorch's own product on prompts too
    /// (2026-12-07: 2.3-4x from 16 to 512 rows on the seed preset's products, performance.md); with 256-bit
    /// vectors only decoding steps of up to 16 rows were measured faster here.
    /// </summary>
    public static int MaxRows { get; } = Vector512.IsHardwareAccelerated ? 512 : 16;

    // Output columns per group: four vectors of 8, the most sums one row keeps in registers while
    // reading one contiguous stream of weights.
    private const int GroupWidth = 32;

    // Below this much work per thread, handing half to another core costs more than it saves
    // (the tiny preset's 128-wide layers decoded slower on two threads than on one).
    private const long MinMultiplyAddsPerThread = 1L << 18;

    // Chunks of output groups per thread in a parallel product (see Multiply).
    private const int ChunksPerThread = 8;

    /// <summary>Whether a weight of this kind can be packed for <see cref="Multiply(Tensor, Tensor, long, Tensor?, int)"/>.</summary>
    public static bool Supports(Tensor weight) =>
        weight.device_type == DeviceType.CPU
        && weight.dtype == ScalarType.Float32
        && weight.dim() == 2
        && Vector256.IsHardwareAccelerated;

    /// <summary>The packed copy of <paramref name="weight"/> [out, in]: [ceil(out / 32), in, 32], zero columns at the end.</summary>
    public static Tensor Pack(Tensor weight)
    {
        using var scope = NewDisposeScope();
        var outer = weight.shape[0];
        var padded = (outer + GroupWidth - 1) / GroupWidth * GroupWidth;
        using var detached = weight.detach();
        using var full = padded == outer ? detached.alias() : nn.functional.pad(detached, [0, 0, 0, padded - outer]);
        using var panels = full.view(padded / GroupWidth, GroupWidth, weight.shape[1]);
        return panels.transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="input"/> [rows, in] times the weight packed in <paramref name="packed"/>
    /// (<see cref="Pack"/>) transposed, plus <paramref name="bias"/> [out] when given: [rows, out],
    /// on up to <paramref name="threads"/> threads.
    /// </summary>
    public static Tensor Multiply(Tensor input, Tensor packed, long outer, Tensor? bias, int threads) =>
        Multiply(input, packed, outer, bias, threads, wide: true);

    /// <summary><see cref="Multiply(Tensor, Tensor, long, Tensor?, int)"/>, with <paramref name="wide"/> false keeping to the 256-bit kernels even where the CPU has AVX-512 (tests compare the two).</summary>
    internal static Tensor Multiply(Tensor input, Tensor packed, long outer, Tensor? bias, int threads, bool wide)
    {
        var rows = checked((int)input.shape[0]);
        var inner = checked((int)input.shape[1]);
        if (packed.shape[1] != inner || rows < 1 || rows > MaxRows)
        {
            throw new ArgumentException($"{rows} rows of {inner} columns do not fit a packed weight of {packed.shape[1]} inputs.", nameof(input));
        }

        using var x = input.is_contiguous() ? input.alias() : input.contiguous();
        using var b = bias?.contiguous();
        var output = empty([rows, outer], ScalarType.Float32, input.device);
        var job = new Job(Pointer(packed), Pointer(x), b is null ? null : Pointer(b), Pointer(output), rows, inner, checked((int)outer), wide && rows > 1 && Vector512.IsHardwareAccelerated);

        var groups = checked((int)packed.shape[0]);
        var blocks = (int)Math.Clamp(packed.NumberOfElements * rows / MinMultiplyAddsPerThread, 1, Math.Min(threads, groups));
        if (blocks == 1)
        {
            job.Run(0, groups);
        }
        else
        {
            // More chunks than threads, taken as each thread comes free: the calling thread starts
            // at once while a pool thread may take tens of microseconds to wake, so with one fixed
            // half each the caller waited for the late one (a third of a batched step in a sampled trace, 2026-12-07).
            var chunks = Math.Min(groups, blocks * ChunksPerThread);
            var perChunk = (groups + chunks - 1) / chunks;
            chunks = (groups + perChunk - 1) / perChunk;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = blocks }, chunk =>
                job.Run(chunk * perChunk, Math.Min(groups, (chunk + 1) * perChunk)));
        }

        return output;
    }

    private static float* Pointer(Tensor tensor) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));

    private readonly struct Job(float* packed, float* input, float* bias, float* output, int rows, int inner, int outer, bool wide)
    {
        private readonly float* _packed = packed;
        private readonly float* _input = input;
        private readonly float* _bias = bias;
        private readonly float* _output = output;
        private readonly int _rows = rows;
        private readonly int _inner = inner;
        private readonly int _outer = outer;
        private readonly bool _wide = wide;

        private long GroupFloats => (long)_inner * GroupWidth;

        /// <summary>Panel groups [<paramref name="start"/>, <paramref name="end"/>) for every row.</summary>
        public void Run(int start, int end)
        {
            if (_wide)
            {
                RunWide(start, end);
                return;
            }

            for (var group = start; group < end; group++)
            {
                var row = 0;
                for (; row + 2 <= _rows; row += 2)
                {
                    TwoRows(row, group);
                }

                if (row < _rows)
                {
                    OneRow(row, group);
                }
            }
        }

        // One row against a group's 32 columns: four independent sums over one contiguous stream.
        private void OneRow(int row, int group)
        {
            var x = _input + ((long)row * _inner);
            var w = _packed + (group * GroupFloats);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (var k = 0; k < _inner; k++, w += GroupWidth)
            {
                var xk = Vector256.Create(x[k]);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(w), xk, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + 8), xk, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(w + 16), xk, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(w + 24), xk, s3);
            }

            var column = group * GroupWidth;
            Store(row, column, s0);
            Store(row, column + 8, s1);
            Store(row, column + 16, s2);
            Store(row, column + 24, s3);
        }

        // Two rows against a group's 32 columns: each weight load serves both rows, and the eight
        // sums are independent. The same order of additions as OneRow, so results match it exactly.
        private void TwoRows(int row, int group)
        {
            var x0 = _input + ((long)row * _inner);
            var x1 = x0 + _inner;
            var w = _packed + (group * GroupFloats);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (var k = 0; k < _inner; k++, w += GroupWidth)
            {
                var v0 = Vector256.Load(w);
                var v1 = Vector256.Load(w + 8);
                var v2 = Vector256.Load(w + 16);
                var v3 = Vector256.Load(w + 24);
                var x0k = Vector256.Create(x0[k]);
                a0 = Vector256.FusedMultiplyAdd(v0, x0k, a0);
                a1 = Vector256.FusedMultiplyAdd(v1, x0k, a1);
                a2 = Vector256.FusedMultiplyAdd(v2, x0k, a2);
                a3 = Vector256.FusedMultiplyAdd(v3, x0k, a3);
                var x1k = Vector256.Create(x1[k]);
                b0 = Vector256.FusedMultiplyAdd(v0, x1k, b0);
                b1 = Vector256.FusedMultiplyAdd(v1, x1k, b1);
                b2 = Vector256.FusedMultiplyAdd(v2, x1k, b2);
                b3 = Vector256.FusedMultiplyAdd(v3, x1k, b3);
            }

            var column = group * GroupWidth;
            Store(row, column, a0);
            Store(row, column + 8, a1);
            Store(row, column + 16, a2);
            Store(row, column + 24, a3);
            Store(row + 1, column, b0);
            Store(row + 1, column + 8, b1);
            Store(row + 1, column + 16, b2);
            Store(row + 1, column + 24, b3);
        }

        // With 512-bit vectors a group is two vectors per row, and up to eight rows share each pair
        // of weight loads: sixteen independent sums, half of the 32 registers. On a CPU whose
        // AVX-512 units are full width this doubles the multiply-adds per instruction, which is
        // what limits a step of several rows once the weights are in cache (2026-12-07: one seed
        // step's products 1.4x faster at 8 rows and 1.5x at 12 than the 256-bit kernel,
        // performance.md). One row alone stays on the 256-bit kernel: it is bound by reading the
        // weights, and a 512-bit one-row variant bought nothing in the model benchmark.
        private void RunWide(int start, int end)
        {
            for (var group = start; group < end; group++)
            {
                // Rows in blocks of eight; a last block of 2 to 7 rows runs the four- or eight-row
                // kernel with its missing rows repeating its last one (their sums are not stored),
                // because multiply-adds are cheaper here than streaming the group once more.
                for (var row = 0; row < _rows; row += 8)
                {
                    var count = Math.Min(8, _rows - row);
                    if (count > 4)
                    {
                        EightRows(row, count, group);
                    }
                    else if (count > 1)
                    {
                        FourRows(row, count, group);
                    }
                    else
                    {
                        OneRow(row, group); // one row reads each weight once either way
                    }
                }
            }
        }

        private void FourRows(int row, int count, int group)
        {
            float* x0 = Input(row, count, 0), x1 = Input(row, count, 1), x2 = Input(row, count, 2), x3 = Input(row, count, 3);
            var w = _packed + (group * GroupFloats);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
            for (var k = 0; k < _inner; k++, w += GroupWidth)
            {
                var v0 = Vector512.Load(w);
                var v1 = Vector512.Load(w + 16);
                var xk = Vector512.Create(x0[k]);
                a0 = Vector512.FusedMultiplyAdd(v0, xk, a0);
                a1 = Vector512.FusedMultiplyAdd(v1, xk, a1);
                xk = Vector512.Create(x1[k]);
                b0 = Vector512.FusedMultiplyAdd(v0, xk, b0);
                b1 = Vector512.FusedMultiplyAdd(v1, xk, b1);
                xk = Vector512.Create(x2[k]);
                c0 = Vector512.FusedMultiplyAdd(v0, xk, c0);
                c1 = Vector512.FusedMultiplyAdd(v1, xk, c1);
                xk = Vector512.Create(x3[k]);
                d0 = Vector512.FusedMultiplyAdd(v0, xk, d0);
                d1 = Vector512.FusedMultiplyAdd(v1, xk, d1);
            }

            var column = group * GroupWidth;
            Store(row, column, a0, a1);
            StoreIf(1 < count, row + 1, column, b0, b1);
            StoreIf(2 < count, row + 2, column, c0, c1);
            StoreIf(3 < count, row + 3, column, d0, d1);
        }

        private void EightRows(int row, int count, int group)
        {
            float* x0 = Input(row, count, 0), x1 = Input(row, count, 1), x2 = Input(row, count, 2), x3 = Input(row, count, 3);
            float* x4 = Input(row, count, 4), x5 = Input(row, count, 5), x6 = Input(row, count, 6), x7 = Input(row, count, 7);
            var w = _packed + (group * GroupFloats);
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
            Vector512<float> e0 = default, e1 = default, f0 = default, f1 = default, g0 = default, g1 = default, h0 = default, h1 = default;
            for (var k = 0; k < _inner; k++, w += GroupWidth)
            {
                var v0 = Vector512.Load(w);
                var v1 = Vector512.Load(w + 16);
                var xk = Vector512.Create(x0[k]);
                a0 = Vector512.FusedMultiplyAdd(v0, xk, a0);
                a1 = Vector512.FusedMultiplyAdd(v1, xk, a1);
                xk = Vector512.Create(x1[k]);
                b0 = Vector512.FusedMultiplyAdd(v0, xk, b0);
                b1 = Vector512.FusedMultiplyAdd(v1, xk, b1);
                xk = Vector512.Create(x2[k]);
                c0 = Vector512.FusedMultiplyAdd(v0, xk, c0);
                c1 = Vector512.FusedMultiplyAdd(v1, xk, c1);
                xk = Vector512.Create(x3[k]);
                d0 = Vector512.FusedMultiplyAdd(v0, xk, d0);
                d1 = Vector512.FusedMultiplyAdd(v1, xk, d1);
                xk = Vector512.Create(x4[k]);
                e0 = Vector512.FusedMultiplyAdd(v0, xk, e0);
                e1 = Vector512.FusedMultiplyAdd(v1, xk, e1);
                xk = Vector512.Create(x5[k]);
                f0 = Vector512.FusedMultiplyAdd(v0, xk, f0);
                f1 = Vector512.FusedMultiplyAdd(v1, xk, f1);
                xk = Vector512.Create(x6[k]);
                g0 = Vector512.FusedMultiplyAdd(v0, xk, g0);
                g1 = Vector512.FusedMultiplyAdd(v1, xk, g1);
                xk = Vector512.Create(x7[k]);
                h0 = Vector512.FusedMultiplyAdd(v0, xk, h0);
                h1 = Vector512.FusedMultiplyAdd(v1, xk, h1);
            }

            var column = group * GroupWidth;
            Store(row, column, a0, a1);
            StoreIf(1 < count, row + 1, column, b0, b1);
            StoreIf(2 < count, row + 2, column, c0, c1);
            StoreIf(3 < count, row + 3, column, d0, d1);
            StoreIf(4 < count, row + 4, column, e0, e1);
            StoreIf(5 < count, row + 5, column, f0, f1);
            StoreIf(6 < count, row + 6, column, g0, g1);
            StoreIf(7 < count, row + 7, column, h0, h1);
        }

        // Row i of a block of count rows from row; past the block's end, its last row again.
        private float* Input(int row, int count, int i) => _input + ((long)(row + Math.Min(i, count - 1)) * _inner);

        private void StoreIf(bool inBlock, int row, int column, Vector512<float> low, Vector512<float> high)
        {
            if (inBlock)
            {
                Store(row, column, low, high);
            }
        }

        // A group's 32 sums as two 512-bit halves: through the 8-wide store, so padding columns and
        // the bias are handled in one place.
        private void Store(int row, int column, Vector512<float> low, Vector512<float> high)
        {
            Store(row, column, low.GetLower());
            Store(row, column + 8, low.GetUpper());
            Store(row, column + 16, high.GetLower());
            Store(row, column + 24, high.GetUpper());
        }

        // Writes 8 sums, plus the bias, to the row's output from column on; the padding columns
        // past the weight's last row are dropped.
        private void Store(int row, int column, Vector256<float> sums)
        {
            if (column >= _outer)
            {
                return;
            }

            var y = _output + ((long)row * _outer) + column;
            if (column + 8 <= _outer)
            {
                (_bias is null ? sums : sums + Vector256.Load(_bias + column)).Store(y);
                return;
            }

            for (var j = 0; column + j < _outer; j++)
            {
                y[j] = sums[j] + (_bias is null ? 0f : _bias[column + j]);
            }
        }
    }
}
