using System.IO.Hashing;
using TinyGpt.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// Copies of a model's matrices laid out for generation, made once when a generation starts and
/// freed with its <see cref="KvCache"/>. A token-at-a-time step is a matrix-vector product per
/// layer, bound by reading the weights. On the CPU in fp32 the copies are packed for
/// <see cref="RowProduct"/>, which streams them on every core (2026-12-02: 1.6x <c>addmm</c> for one
/// row, 2.5x for 8, performance.md); elsewhere they are transposed ([in, out], contiguous) for
/// <c>addmm</c>, which ran faster than <c>linear</c> on the [out, in] weights.
/// A decoding loop that outlives one busy period keeps them and calls <see cref="Refresh"/> when
/// the next one starts, so weights changed in between (training, loading) are always seen.
/// </summary>
internal sealed class DecodeWeights : IDisposable
{
    private readonly Dictionary<Linear, Matrix> _matrices = new(ReferenceEqualityComparer.Instance);
    private readonly Matrix _head;
    private readonly Matrix[] _all;
    private readonly int _threads;

    /// <summary>Copies of <paramref name="linears"/> and of the output projection, which <paramref name="outputEmbedding"/> gives (read again at each <see cref="Refresh"/>).</summary>
    public DecodeWeights(IEnumerable<Linear> linears, Func<Tensor> outputEmbedding)
    {
        using var noGrad = no_grad();
        _threads = get_num_threads();
        foreach (var linear in linears)
        {
            _matrices[linear] = new Matrix(() => linear.weight!, () => linear.bias);
        }

        _head = new Matrix(outputEmbedding, () => null);
        _all = [.. _matrices.Values, _head];
        if (_matrices.Values.Sum(m => m.Copy.NumberOfElements) + _head.Copy.NumberOfElements < MinParallelElements)
        {
            _threads = 1;
        }
    }

    // Below this many weights a token's products take a few tenths of a millisecond on one core,
    // and waking a second core for them costs more than it saves: the tiny preset (2.5 M weights
    // with a 16k vocabulary) decoded at 2,370 tokens/s with its LM head on one core against 1,573
    // with it split across two; the seed preset (21 M) at 476 on two cores against 361 on one
    // (2026-12-07, performance.md).
    private const long MinParallelElements = 4_000_000;

    /// <summary>The output projection's decode copy (packed or transposed); for tests of its lifetime.</summary>
    public Tensor Head => _head.Copy;

    /// <summary><paramref name="linear"/> applied to <paramref name="input"/> [..., in] through its decode copy.</summary>
    public Tensor Apply(Linear linear, Tensor input) => _matrices[linear].Multiply(input, _threads);

    /// <summary>The logits of <paramref name="input"/> [..., width] through the output projection.</summary>
    public Tensor ApplyHead(Tensor input) => _head.Multiply(input, _threads);

    /// <summary>
    /// Packs again the copies whose weights changed since they were packed, and returns how many
    /// did. On the CPU a change is found by hashing the weights in place: reading them costs a few
    /// milliseconds, where packing every copy again into fresh memory took 20-160 ms here (page
    /// faults), and libtorch's tensor version counter is not exposed by TorchSharp. Other devices
    /// pack every copy again.
    /// </summary>
    public int Refresh()
    {
        using var noGrad = no_grad();
        var stale = new bool[_all.Length];
        Parallel.For(0, _all.Length, new ParallelOptions { MaxDegreeOfParallelism = _threads }, i =>
        {
            _all[i].TakeWeightsAgain();
            stale[i] = _all[i].Changed();
        });
        var repacked = 0;
        for (var i = 0; i < _all.Length; i++)
        {
            if (stale[i])
            {
                _all[i].Repack();
                repacked++;
            }
        }

        return repacked;
    }

    public void Dispose()
    {
        foreach (var matrix in _all)
        {
            matrix.Dispose();
        }
    }

    private sealed class Matrix : IDisposable
    {
        private readonly Func<Tensor> _weightSource;
        private readonly Func<Tensor?> _biasSource;

        // Views of the model's own weights (the same storage), so in-place changes show here;
        // taken again at each refresh, in case a parameter was replaced by a new tensor.
        private Tensor _weight;
        private Tensor? _bias;
        private bool _packed;
        private ulong? _fingerprint;

        public Matrix(Func<Tensor> weight, Func<Tensor?> bias)
        {
            (_weightSource, _biasSource) = (weight, bias);
            (_weight, _bias) = TakeSources();
            _packed = RowProduct.Supports(_weight);
            Copy = Pack();
            _fingerprint = Fingerprint();
        }

        /// <summary>The packed copy (<see cref="RowProduct.Pack"/>) or the transposed one.</summary>
        public Tensor Copy { get; private set; }

        /// <summary>Takes the module's weight and bias again, in case a parameter was replaced by a new tensor since.</summary>
        public void TakeWeightsAgain()
        {
            _weight.Dispose();
            _bias?.Dispose();
            (_weight, _bias) = TakeSources();
        }

        /// <summary>Whether the weights differ from those packed (always, where they cannot be hashed in place).</summary>
        public bool Changed() =>
            _fingerprint is not { } packed
                || _weight.device_type != Copy.device_type
                || _weight.dtype != Copy.dtype
                || Fingerprint() != packed;

        public void Repack()
        {
            var old = Copy;
            _packed = RowProduct.Supports(_weight);
            Copy = Pack();
            old.Dispose();
            _fingerprint = Fingerprint();
        }

        private (Tensor Weight, Tensor? Bias) TakeSources()
        {
            // The module's getters make a new wrapper at each call: the scope owns those.
            using var scope = NewDisposeScope();
            return (_weightSource().detach().DetachFromDisposeScope(), _biasSource()?.detach().DetachFromDisposeScope());
        }

        private Tensor Pack()
        {
            using var scope = NewDisposeScope();
            return (_packed ? RowProduct.Pack(_weight) : _weight.t().contiguous()).DetachFromDisposeScope();
        }

        // The weights and bias hashed where they lie; null off the CPU or for a strided view.
        private ulong? Fingerprint()
        {
            if (_weight.device_type != DeviceType.CPU || !_weight.is_contiguous() || _bias is { } b && !b.is_contiguous())
            {
                return null;
            }

            var hash = new XxHash3();
            hash.Append(_weight.bytes);
            if (_bias is not null)
            {
                hash.Append(_bias.bytes);
            }

            return hash.GetCurrentHashAsUInt64();
        }

        // Rows up to RowProduct.MaxRows (decoding steps, and with AVX-512 prompts too) go through
        // the packed copy; more through W x^T on the [out, in] weights, which libtorch does better
        // than addmm on the transposed copy (2.1x at 8 rows on the LM head, performance.md).
        public Tensor Multiply(Tensor input, int threads)
        {
            using var scope = NewDisposeScope();
            var outer = _weight.shape[0];
            long[] shape = [.. input.shape[..^1], outer];
            using var rows = input.reshape(-1, input.shape[^1]);
            Tensor product;
            if (_packed && rows.shape[0] >= 1 && rows.shape[0] <= RowProduct.MaxRows)
            {
                product = RowProduct.Multiply(rows, Copy, outer, _bias, threads);
            }
            else if (!_packed && rows.shape[0] == 1)
            {
                product = _bias is null ? rows.matmul(Copy) : _bias.addmm(rows, Copy);
            }
            else
            {
                using var columns = _weight.matmul(rows.t());
                product = _bias is null ? columns.t().contiguous() : columns.t().add(_bias, OwnedScalars.One);
            }

            return product.view(shape).MoveToOuterDisposeScope();
        }

        public void Dispose()
        {
            _weight.Dispose();
            _bias?.Dispose();
            Copy.Dispose();
        }
    }
}
