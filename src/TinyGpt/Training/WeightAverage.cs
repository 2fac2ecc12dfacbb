using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// An exponential moving average of the parameters (Polyak averaging): after every optimizer step
/// <c>average += (1 - d) * (parameter - average)</c>. Evaluations score the average and the final
/// model is the average; the training weights go on unchanged underneath.
/// </summary>
/// <remarks>
/// The decay of update <c>t</c> is <c>min(decay, (1 + t) / (10 + t))</c>, so the first updates
/// forget the random initialisation quickly instead of carrying it for 1 / (1 - decay) steps.
/// </remarks>
internal sealed class WeightAverage : IDisposable
{
    /// <summary>Prefix of the average's tensors in a checkpoint.</summary>
    public const string StatePrefix = "average.";

    private readonly (string Name, Tensor Parameter)[] _parameters;
    private readonly Tensor[] _averages;
    private readonly Tensor[] _saved;

    public WeightAverage(IEnumerable<(string Name, Tensor Parameter)> parameters, double decay)
    {
        if (decay is <= 0 or >= 1 || double.IsNaN(decay))
        {
            throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay of a weight average must be in (0, 1).");
        }

        Decay = decay;
        _parameters = [.. parameters];
        using var noGrad = no_grad();
        _averages = [.. _parameters.Select(p => p.Parameter.detach().clone().DetachFromDisposeScope())];
        _saved = [.. _parameters.Select(p => empty_like(p.Parameter).DetachFromDisposeScope())];
    }

    /// <summary>The longest-run decay per update.</summary>
    public double Decay { get; }

    /// <summary>Updates folded in so far (restored from checkpoints with the state).</summary>
    public long UpdateCount { get; set; }

    /// <summary>The decay the next update uses.</summary>
    public double NextDecay => Math.Min(Decay, (1.0 + UpdateCount) / (10.0 + UpdateCount));

    /// <summary>Starts the average again from the parameters as they are now.</summary>
    public void Reset()
    {
        using var noGrad = no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            _averages[i].copy_(_parameters[i].Parameter);
        }

        UpdateCount = 0;
    }

    /// <summary>Folds the parameters as they are now into the average.</summary>
    public void Update()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var decay = NextDecay;
        // Owned scalars (see OwnedScalars): they outlive every native call below.
        using var keep = decay.ToScalar();
        using var share = (1 - decay).ToScalar();
        for (var i = 0; i < _parameters.Length; i++)
        {
            _averages[i].mul_(keep).add_(_parameters[i].Parameter, share);
        }

        UpdateCount++;
    }

    /// <summary>Puts the average into the parameters until the returned scope is disposed, which puts the training weights back.</summary>
    public IDisposable Apply()
    {
        using var noGrad = no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            _saved[i].copy_(_parameters[i].Parameter);
            _parameters[i].Parameter.copy_(_averages[i]);
        }

        return new Restore(this);
    }

    /// <summary>Puts the average into the parameters for good (the end of training).</summary>
    public void CopyIntoParameters()
    {
        using var noGrad = no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            _parameters[i].Parameter.copy_(_averages[i]);
        }
    }

    /// <summary>The average's tensors by name, for checkpoints.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> State() =>
        [.. _parameters.Select((p, i) => new KeyValuePair<string, Tensor>(StatePrefix + p.Name, _averages[i]))];

    public void Dispose()
    {
        foreach (var t in _averages.Concat(_saved))
        {
            t.Dispose();
        }
    }

    private sealed class Restore(WeightAverage owner) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done)
            {
                return;
            }

            _done = true;
            using var noGrad = no_grad();
            for (var i = 0; i < owner._parameters.Length; i++)
            {
                owner._parameters[i].Parameter.copy_(owner._saved[i]);
            }
        }
    }
}
