namespace TinyGpt.Modeling;

/// <summary>The nonlinearity of the MLP in every block.</summary>
public enum GptActivation
{
    /// <summary>GELU with the tanh approximation, as GPT-2 (Hugging Face <c>gelu_new</c>, <c>gelu_pytorch_tanh</c>, <c>gelu_fast</c>).</summary>
    GeluTanh,

    /// <summary>Exact GELU, x Φ(x) (Hugging Face <c>gelu</c>).</summary>
    Gelu,

    /// <summary>max(0, x) (Hugging Face <c>relu</c>).</summary>
    Relu,

    /// <summary>x σ(x) (Hugging Face <c>silu</c>, <c>swish</c>).</summary>
    Silu,
}
