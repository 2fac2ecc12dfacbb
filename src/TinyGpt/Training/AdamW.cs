using TinyGpt.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TinyGpt.Training;

/// <summary>
/// AdamW with decoupled weight decay and two parameter groups: matrices decay, while biases,
/// LayerNorm weights and embeddings do not. Its state (step count and both moments of every
/// parameter) is plain tensors, so checkpoints can hold it exactly.
/// </summary>
internal sealed class AdamW : IDisposable
{
    private readonly (string Name, Tensor Parameter, bool Decay)[] _parameters;
    private readonly Tensor[] _firstMoments;
    private readonly Tensor[] _secondMoments;

    public AdamW(IEnumerable<(string Name, Tensor Parameter)> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.95, double epsilon = 1e-8)
    {
        _parameters = parameters.Select(p => (p.Name, p.Parameter, IsDecayed(p.Name, p.Parameter))).ToArray();
        (WeightDecay, Beta1, Beta2, Epsilon) = (weightDecay, beta1, beta2, epsilon);
        using var noGrad = no_grad();
        _firstMoments = _parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
        _secondMoments = _parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
    }

    public double WeightDecay { get; }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Epsilon { get; }

    /// <summary>Number of updates applied so far (for bias correction).</summary>
    public long StepCount { get; set; }

    public IEnumerable<string> DecayedParameterNames => _parameters.Where(p => p.Decay).Select(p => p.Name);

    public IEnumerable<string> UndecayedParameterNames => _parameters.Where(p => !p.Decay).Select(p => p.Name);

    /// <summary>
    /// No decay for anything that is not a weight matrix of a linear layer: biases and LayerNorm
    /// gains (1-D) and the token and position embeddings (decaying them hurts rare tokens).
    /// </summary>
    public static bool IsDecayed(string name, Tensor parameter) =>
        parameter.dim() >= 2 && !name.StartsWith("wte.", StringComparison.Ordinal) && !name.StartsWith("wpe.", StringComparison.Ordinal);

    public void ZeroGrad()
    {
        // Each .grad read makes a new wrapper: the scope owns it until zero_ has returned.
        using var scope = NewDisposeScope();
        foreach (var (_, parameter, _) in _parameters)
        {
            parameter.grad?.zero_();
        }
    }

    public void Step(double learningRate)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        StepCount++;
        var correction1 = 1 - Math.Pow(Beta1, StepCount);
        var correction2 = 1 - Math.Pow(Beta2, StepCount);
        var stepSize = learningRate / correction1;
        // Owned scalars (see OwnedScalars): they outlive every native call below.
        using var keep = (1 - (learningRate * WeightDecay)).ToScalar();
        // lerp_ has no Scalar overload: a 0-d weight of the parameters' dtype and device computes the same.
        using var firstWeight = torch.tensor(1 - Beta1, dtype: _parameters[0].Parameter.dtype, device: _parameters[0].Parameter.device);
        using var beta2 = Beta2.ToScalar();
        using var secondWeight = (1 - Beta2).ToScalar();
        using var sqrtCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var negativeStep = (-stepSize).ToScalar();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var (_, parameter, decay) = _parameters[i];
            var grad = parameter.grad;
            if (grad is null)
            {
                continue;
            }

            if (decay && WeightDecay > 0)
            {
                parameter.mul_(keep);
            }

            _firstMoments[i].lerp_(grad, firstWeight);
            _secondMoments[i].mul_(beta2).addcmul_(grad, grad, secondWeight);
            var denominator = _secondMoments[i].sqrt().div_(sqrtCorrection2).add_(epsilon, OwnedScalars.One);
            parameter.addcdiv_(_firstMoments[i], denominator, negativeStep);
        }
    }

    /// <summary>The state tensors by name, for checkpoints.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> State() =>
        [.. _parameters.SelectMany((p, i) => new KeyValuePair<string, Tensor>[]
        {
            new($"optimizer.exp_avg.{p.Name}", _firstMoments[i]),
            new($"optimizer.exp_avg_sq.{p.Name}", _secondMoments[i]),
        })];

    public void Dispose()
    {
        foreach (var t in _firstMoments.Concat(_secondMoments))
        {
            t.Dispose();
        }
    }
}
