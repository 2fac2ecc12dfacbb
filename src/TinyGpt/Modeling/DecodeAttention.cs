using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// output is bitwise the same decoded alone or in a batch. The vector arithmetic is
/// <see cref="TensorPrimitives"/>'.
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
    public static Tensor Step(Tensor qkv, Tensor keys, Tensor values, ReadOnlySpan<int> lengths, int heads, double scale, int threads = 1)
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
        var job = new Job(Pointer(fused), Pointer(keys), Pointer(values), Pointer(output), heads, headSize, context, (float)scale);
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

    private readonly struct Job(float* qkv, float* keys, float* values, float* output, int heads, int headSize, int context, float scale)
    {
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
                Attend(new ReadOnlySpan<float>(projection, _headSize), keys, values, weights.AsSpan(0, seen), new Span<float>(_output + ((long)row * Width) + (head * _headSize), _headSize));
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
