using TinyGpt.Torch;
using TinyGpt.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TinyGpt.Modeling;

/// <summary>
/// A GPT-2 style decoder-only transformer: token and learned position embeddings, a stack of
/// pre-LayerNorm blocks with causal self-attention and a 4x GELU MLP, a final LayerNorm and a
/// language-model head tied to the token embedding. Parameter names follow GPT-2
/// (<c>wte</c>, <c>wpe</c>, <c>h.N.attn.c_attn</c>, ...).
/// </summary>
public sealed class GptModel : nn.Module
{
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly ModuleList<TransformerBlock> h;
    private readonly LayerNorm ln_f;
    private readonly Linear? lm_head;

    /// <summary>Creates a model with GPT-2 initialisation drawn from <paramref name="seed"/>.</summary>
    /// <param name="config">The model's shape; validated.</param>
    /// <param name="seed">Seed of the initial weights; the same seed gives the same weights.</param>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public GptModel(GptConfig config, long seed = 1337)
        : base(nameof(GptModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.EnsureValid();
        wte = nn.Embedding(config.VocabSize, config.EmbeddingSize);
        wpe = nn.Embedding(config.ContextLength, config.EmbeddingSize);
        h = nn.ModuleList(Enumerable.Range(0, config.LayerCount).Select(layer => new TransformerBlock(config, layer)).ToArray());
        ln_f = nn.LayerNorm(config.EmbeddingSize, config.LayerNormEpsilon, bias: config.Bias);
        if (!config.TieEmbeddings)
        {
            lm_head = nn.Linear(config.EmbeddingSize, config.VocabSize, hasBias: false);
        }

        RegisterComponents();
        Initialize(seed);
    }

    /// <summary>The model's shape.</summary>
    public GptConfig Config { get; }

    /// <summary>The device the parameters live on.</summary>
    public Device Device
    {
        get
        {
            // The embedding's weight getter makes a new tensor wrapper each time: give it an owner.
            using var scope = NewDisposeScope();
            return wte.weight!.device;
        }
    }

    /// <summary>The parameters' element type.</summary>
    internal ScalarType DType
    {
        get
        {
            using var scope = NewDisposeScope();
            return wte.weight!.dtype;
        }
    }

    /// <summary>
    /// Runs the model over <paramref name="tokens"/> ([batch, time], int64) and returns logits.
    /// </summary>
    /// <param name="tokens">Token ids, shape [batch, time].</param>
    /// <param name="cache">
    /// When given, the tokens continue the sequence held in the cache: their positions start at
    /// <see cref="KvCache.Length"/>, they attend to every cached position, and their keys and values
    /// are added to the cache. When null, the tokens are a whole sequence starting at position 0.
    /// </param>
    /// <param name="lastPositionOnly">Return logits for the last position only ([batch, 1, vocab]); decoding needs nothing else, and the LM head is the most expensive matmul for small models.</param>
    /// <returns>Logits of shape [batch, time, vocab], or [batch, 1, vocab] with <paramref name="lastPositionOnly"/>.</returns>
    /// <exception cref="ArgumentException">The tokens would run past <see cref="GptConfig.ContextLength"/>, or their shape or ids are wrong.</exception>
    public Tensor forward(Tensor tokens, KvCache? cache = null, bool lastPositionOnly = false)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.dim() != 2)
        {
            throw new ArgumentException($"Expected token ids of shape [batch, time]; got shape [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        }

        var (batch, time) = (tokens.shape[0], tokens.shape[1]);
        if (time < 1)
        {
            throw new ArgumentException("Expected at least one token.", nameof(tokens));
        }

        if (cache is null && time > Config.ContextLength)
        {
            throw new ArgumentException(
                $"The sequence would reach position {time} but the model's context length is {Config.ContextLength}. " +
                "Shorten the input, or let the generator keep only the last tokens.",
                nameof(tokens));
        }

        if (cache is not null && cache.BatchSize != batch)
        {
            throw new ArgumentException($"The KV cache was made for batch size {cache.BatchSize}, but the tokens have batch size {batch}.", nameof(cache));
        }

        ((IKeyValueCache?)cache)?.EnsureRoom(time, Config.ContextLength);
        return Forward(tokens, cache, lastPositionOnly);
    }

    /// <summary>
    /// Adds <paramref name="tokens"/> ([1, time]) to a one-row <paramref name="cache"/> without
    /// computing logits: a prompt's tokens before its last only fill the cache, and the LM head
    /// would be the largest product of the prefill.
    /// </summary>
    internal void Prefill(Tensor tokens, KvCache cache)
    {
        ((IKeyValueCache)cache).EnsureRoom(tokens.shape[1], Config.ContextLength);
        using var scope = NewDisposeScope();
        Blocks(tokens, cache);
    }

    /// <summary>
    /// One decoding step for every live row of <paramref name="cache"/>: <paramref name="tokens"/>
    /// ([rows, 1]) sit each at its own row's position. Returns the logits, [rows, 1, vocab].
    /// </summary>
    internal Tensor DecodeStep(Tensor tokens, BatchedKvCache cache)
    {
        IKeyValueCache keyValues = cache;
        keyValues.EnsureRoom(1, Config.ContextLength);
        return Forward(tokens, cache, lastPositionOnly: true);
    }

    private Tensor Forward(Tensor tokens, IKeyValueCache? cache, bool lastPositionOnly)
    {
        var time = tokens.shape[1];
        using var scope = NewDisposeScope();
        var x = Blocks(tokens, cache);
        if (lastPositionOnly && time > 1)
        {
            x = x.narrow(1, time - 1, 1);
        }

        x = ln_f.forward(x);
        var logits = cache?.DecodeWeights is { } decode ? decode.ApplyHead(x)
            : lm_head is null ? nn.functional.linear(x, wte.weight!) : lm_head.forward(x);
        return logits.MoveToOuterDisposeScope();
    }

    // The embeddings and every block, in the caller's dispose scope; the cache advances past the tokens.
    private Tensor Blocks(Tensor tokens, IKeyValueCache? cache)
    {
        var time = tokens.shape[1];
        using var positions = cache?.Positions(time, tokens.device) ?? OwnedScalars.Arange(0, time, tokens.device);
        var x = wte.forward(tokens).add(wpe.forward(positions), OwnedScalars.One);
        if (training && Config.EmbeddingDropoutRate > 0)
        {
            x = nn.functional.dropout(x, Config.EmbeddingDropoutRate, training: true);
        }

        for (var layer = 0; layer < h.Count; layer++)
        {
            x = h[layer].forward(x, cache, layer);
        }

        cache?.Advance((int)time);
        return x;
    }

    /// <summary>Counts parameters; a tied embedding counts once.</summary>
    public GptParameterCount CountParameters()
    {
        using var scope = NewDisposeScope();
        var total = parameters().Sum(p => p.numel());
        var embedding = wte.weight!.numel() + wpe.weight!.numel();
        return new GptParameterCount(total, embedding, total - embedding);
    }

    /// <summary>
    /// Model FLOPs for one token of training (forward and backward) at sequence length
    /// <paramref name="sequenceLength"/>: 6 per weight multiply-add (the LM head included) plus
    /// the attention scores and weighted sum. Used for MFU.
    /// </summary>
    public double TrainingFlopsPerToken(int sequenceLength)
    {
        var c = Config;
        var count = CountParameters();
        double matmulWeights = count.NonEmbedding + ((double)c.VocabSize * c.EmbeddingSize);
        return (6.0 * matmulWeights) + (12.0 * c.LayerCount * c.EmbeddingSize * sequenceLength);
    }

    /// <summary>The parameters by GPT-2 name, for optimizers, checkpoints and gradient all-reduce.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        named_parameters().Select(p => (p.name, p.parameter)).ToList();

    /// <summary>Creates a KV cache that fits this model, on its device.</summary>
    /// <param name="batchSize">Number of sequences decoded together.</param>
    public KvCache CreateCache(int batchSize = 1) => CreateCache(batchSize, decodeLayout: false);

    /// <summary>
    /// A cache for generation; with <paramref name="decodeLayout"/> it also holds packed or
    /// transposed copies of the weights that token-at-a-time steps multiply faster (<see cref="DecodeWeights"/>).
    /// Only for inference: the copies do not follow later changes to the weights.
    /// </summary>
    internal KvCache CreateCache(int batchSize, bool decodeLayout)
    {
        using var scope = NewDisposeScope();
        return new(Config, batchSize, Device, wte.weight!.dtype)
        {
            DecodeWeights = decodeLayout ? CreateDecodeWeights() : null,
        };
    }

    /// <summary>A cache for up to <paramref name="capacity"/> sequences of different lengths decoded together; with <paramref name="decodeLayout"/>, as <see cref="CreateCache(int, bool)"/>.</summary>
    internal BatchedKvCache CreateBatchedCache(int capacity, bool decodeLayout)
    {
        using var scope = NewDisposeScope();
        return new(Config, capacity, Device, wte.weight!.dtype, decodeLayout ? CreateDecodeWeights() : null);
    }

    private DecodeWeights CreateDecodeWeights()
    {
        using var scope = NewDisposeScope();
        var linears = modules().OfType<Linear>().Where(l => !ReferenceEquals(l, lm_head));
        return new DecodeWeights(linears, () => lm_head is null ? wte.weight! : lm_head.weight!);
    }

    private void Initialize(long seed)
    {
        // GPT-2 initialisation: N(0, 0.02) for weights and embeddings, zero biases, and the
        // projections that add into the residual stream scaled by 1/sqrt(2 * layers), so the
        // residual stream's variance does not grow with depth.
        using var generator = new Generator(unchecked((ulong)seed), device("cpu"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var residualStd = 0.02 / Math.Sqrt(2.0 * Config.LayerCount);
        var residual = new HashSet<Linear>(h.SelectMany(block => block.ResidualProjections), ReferenceEqualityComparer.Instance);
        foreach (var module in modules())
        {
            switch (module)
            {
                case Linear linear:
                    Normal(linear.weight!, residual.Contains(linear) ? residualStd : 0.02, generator);
                    if (linear.bias is not null)
                    {
                        nn.init.zeros_(linear.bias);
                    }

                    break;
                case Embedding embedding:
                    Normal(embedding.weight!, 0.02, generator);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight!);
                    if (norm.bias is not null)
                    {
                        nn.init.zeros_(norm.bias);
                    }

                    break;
            }
        }
    }

    // nn.init.normal_ in TorchSharp 0.107 ignores its generator argument, while randn honours it.
    private static void Normal(Tensor weight, double std, Generator generator)
    {
        using var values = randn(weight.shape, dtype: weight.dtype, generator: generator);
        using var scale = std.ToScalar();
        using var scaled = values.mul_(scale);
        weight.copy_(scaled);
    }
}
