using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TinyGpt.Modeling;

/// <summary>
/// One decoding step's attention, on the CPU in fp32, for a few rows of different lengths: writes
/// each row's new key and value into its cache slot and attends its query over its own positions,
/// straight from the fused query/key/value projection into the merged-heads output. Written by hand
/// because libtorch spends such a step on a dozen small operators per layer (the split, transposes,
/// the scatter and mask for rows of different lengths, SDPA, the merge back), each costing more
/// than the arithmetic it does for one token (performance.md, "Decoding: attention by hand").
/// </summary>
/// <remarks>
/// Each (row, head) is computed alone, in the same order whatever rows are beside it, so a row's
/// output is bitwise the same decoded alone or in a batch. With AVX-512 and a head size that is a
/// multiple of 16 (every preset and GPT-2), the scores and the weighted sum keep their running sums
/// in registers; otherwise the arithmetic is <see cref="TensorPrimitives"/>', one call per position.
/// </remarks>
internal static unsafe class DecodeAttention
{
    // Keys and values read per thread below which a second thread costs more than it saves.
    private const long MinReadsPerThread = 1L << 17;

    /// <summary>Whether a cache storage tensor of this kind can be read here.</summary>
    public static bool Supports(Tensor storage) =>
        storage.device_type == DeviceType.CPU && storage.dtype == ScalarType.Float32 && storage.is_contiguous();

    /// <summary>
    /// Attention of one new token per row. <paramref name="qkv"/> is the fused projection
    /// [rows, 1, 3 x width] (queries, keys, values, each heads x head size); <paramref name="keys"/>
    /// and <paramref name="values"/> are the cache storage [capacity, heads, context, head size], in
    /// which row r holds <paramref name="lengths"/>[r] positions and gets its new key and value at
    /// that index. Scores are q . k x <paramref name="scale"/>. Returns [rows, 1, width], computed on up
    /// to <paramref name="threads"/> threads.
    /// </summary>
    public static Tensor Step(Tensor qkv, Tensor keys, Tensor values, ReadOnlySpan<int> lengths, int heads, double scale, int threads = 1) =>
        Step(qkv, keys, values, lengths, heads, scale, threads, registers: true);

    /// <summary>Whether the register kernel serves heads of <paramref name="headSize"/> on this CPU.</summary>
    public static bool UsesRegisters(int headSize) => Vector512.IsHardwareAccelerated && headSize % Vector512<float>.Count == 0;

    /// <summary>As <see cref="Step(Tensor, Tensor, Tensor, ReadOnlySpan{int}, int, double, int)"/>; <paramref name="registers"/> false takes the portable kernel (tests and the benchmark compare the two).</summary>
    internal static Tensor Step(Tensor qkv, Tensor keys, Tensor values, ReadOnlySpan<int> lengths, int heads, double scale, int threads, bool registers)
    {
        var rows = lengths.Length;
        var width = checked((int)(qkv.shape[^1] / 3));
        var headSize = width / heads;
        var context = checked((int)keys.shape[2]);
        if (qkv.shape[0] != rows || qkv.NumberOfElements != (long)rows * 3 * width || keys.shape[0] < rows || keys.shape[1] != heads || keys.shape[3] != headSize)
        {
            throw new ArgumentException($"A fused projection of shape [{string.Join(", ", qkv.shape)}] does not fit {rows} rows of a cache of shape [{string.Join(", ", keys.shape)}].", nameof(qkv));
        }

        using var fused = qkv.is_contiguous() ? qkv.alias() : qkv.contiguous();
        var output = empty([rows, 1, width], ScalarType.Float32, qkv.device);
        var longest = 0;
        long reads = 0;
        foreach (var length in lengths)
        {
            if (length >= context)
            {
                throw new ArgumentException($"A row holds {length} of {context} positions and cannot take one more.", nameof(lengths));
            }

            longest = Math.Max(longest, length);
            reads += (length + 1L) * heads * headSize;
        }

        // Each (row, head) reads its own keys and values; past about a hundred thousand of them per
        // step (several rows, or a long context) a second core reads them faster than one.
        var job = new Job(Pointer(fused), Pointer(keys), Pointer(values), Pointer(output), heads, headSize, context, (float)scale, registers && UsesRegisters(headSize));
        var items = rows * heads;
        var blocks = (int)Math.Clamp(reads / MinReadsPerThread, 1, Math.Min(threads, items));
        if (blocks == 1)
        {
            job.Run(lengths, 0, items, new float[longest + 1]);
        }
        else
        {
            var lengthsCopy = lengths.ToArray();
            var perBlock = (items + blocks - 1) / blocks;
            Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = blocks }, block =>
                job.Run(lengthsCopy, block * perBlock, Math.Min(items, (block + 1) * perBlock), new float[longest + 1]));
        }

        return output;
    }

    private readonly struct Job(float* qkv, float* keys, float* values, float* output, int heads, int headSize, int context, float scale, bool registers)
    {
        private readonly bool _registers = registers;
        private readonly float* _qkv = qkv;
        private readonly float* _keys = keys;
        private readonly float* _values = values;
        private readonly float* _output = output;
        private readonly int _heads = heads;
        private readonly int _headSize = headSize;
        private readonly int _context = context;
        private readonly float _scale = scale;

        private int Width => _heads * _headSize;

        /// <summary>The (row, head) pairs [<paramref name="start"/>, <paramref name="end"/>), row-major.</summary>
        public void Run(ReadOnlySpan<int> lengths, int start, int end, float[] weights)
        {
            for (var item = start; item < end; item++)
            {
                var (row, head) = Math.DivRem(item, _heads);
                var seen = lengths[row] + 1;
                var projection = _qkv + ((long)row * 3 * Width) + (head * _headSize);
                var slot = ((((long)row * _heads) + head) * _context) * _headSize;
                var keys = new Span<float>(_keys + slot, seen * _headSize);
                var values = new Span<float>(_values + slot, seen * _headSize);
                new ReadOnlySpan<float>(projection + Width, _headSize).CopyTo(keys[^_headSize..]);
                new ReadOnlySpan<float>(projection + (2 * Width), _headSize).CopyTo(values[^_headSize..]);
                var output = _output + ((long)row * Width) + (head * _headSize);
                if (_registers)
                {
                    AttendInRegisters(projection, _keys + slot, _values + slot, weights.AsSpan(0, seen), output);
                }
                else
                {
                    Attend(new ReadOnlySpan<float>(projection, _headSize), keys, values, weights.AsSpan(0, seen), new Span<float>(output, _headSize));
                }
            }
        }

        // As Attend, for head sizes that are a multiple of 16: the running sums of a score (two
        // halves) and of up to 64 outputs stay in registers across the positions, where a call per
        // position stores and reloads them (1.2-1.5x less attention time per step, performance.md).
        private void AttendInRegisters(float* query, float* keys, float* values, Span<float> weights, float* output)
        {
            const int Lanes = 16;
            var vectors = _headSize / Lanes;
            for (var j = 0; j < weights.Length; j++)
            {
                var key = keys + ((long)j * _headSize);
                Vector512<float> even = default, odd = default;
                var v = 0;
                for (; v + 2 <= vectors; v += 2)
                {
                    even = Vector512.FusedMultiplyAdd(Vector512.Load(query + (v * Lanes)), Vector512.Load(key + (v * Lanes)), even);
                    odd = Vector512.FusedMultiplyAdd(Vector512.Load(query + ((v + 1) * Lanes)), Vector512.Load(key + ((v + 1) * Lanes)), odd);
                }

                if (v < vectors)
                {
                    even = Vector512.FusedMultiplyAdd(Vector512.Load(query + (v * Lanes)), Vector512.Load(key + (v * Lanes)), even);
                }

                weights[j] = Vector512.Sum(even + odd) * _scale;
            }

            // The normalisation is applied once to the sum instead of to every weight.
            TensorPrimitives.Subtract(weights, TensorPrimitives.Max(weights), weights);
            TensorPrimitives.Exp(weights, weights);
            var scale = Vector512.Create(1 / TensorPrimitives.Sum(weights));
            var start = 0;
            for (; start + 4 <= vectors; start += 4)
            {
                Vector512<float> a = default, b = default, c = default, d = default;
                var value = values + (start * Lanes);
                for (var j = 0; j < weights.Length; j++, value += _headSize)
                {
                    var weight = Vector512.Create(weights[j]);
                    a = Vector512.FusedMultiplyAdd(Vector512.Load(value), weight, a);
                    b = Vector512.FusedMultiplyAdd(Vector512.Load(value + Lanes), weight, b);
                    c = Vector512.FusedMultiplyAdd(Vector512.Load(value + (2 * Lanes)), weight, c);
                    d = Vector512.FusedMultiplyAdd(Vector512.Load(value + (3 * Lanes)), weight, d);
                }

                var target = output + (start * Lanes);
                (a * scale).Store(target);
                (b * scale).Store(target + Lanes);
                (c * scale).Store(target + (2 * Lanes));
                (d * scale).Store(target + (3 * Lanes));
            }

            for (; start < vectors; start++)
            {
                Vector512<float> a = default;
                var value = values + (start * Lanes);
                for (var j = 0; j < weights.Length; j++, value += _headSize)
                {
                    a = Vector512.FusedMultiplyAdd(Vector512.Load(value), Vector512.Create(weights[j]), a);
                }

                (a * scale).Store(output + (start * Lanes));
            }
        }

        // softmax(q . k_j x scale) over the positions j, then the weighted sum of the values.
        private void Attend(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> weights, Span<float> output)
        {
            for (var j = 0; j < weights.Length; j++)
            {
                weights[j] = TensorPrimitives.Dot(query, keys.Slice(j * _headSize, _headSize)) * _scale;
            }

            // TensorPrimitives.SoftMax does not subtract the maximum; large scores would overflow exp.
            TensorPrimitives.Subtract(weights, TensorPrimitives.Max(weights), weights);
            TensorPrimitives.Exp(weights, weights);
            TensorPrimitives.Divide(weights, TensorPrimitives.Sum(weights), weights);
            output.Clear();
            for (var j = 0; j < weights.Length; j++)
            {
                TensorPrimitives.MultiplyAdd(values.Slice(j * _headSize, _headSize), weights[j], output, output);
            }
        }
    }

    private static float* Pointer(Tensor tensor) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
}
