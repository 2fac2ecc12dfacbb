using TinyGpt.Torch;
using static TorchSharp.torch;

namespace TinyGpt.Tests.Interchange;

/// <summary>
/// GPT-2's forward pass written out from Hugging Face's <c>modeling_gpt2.py</c> semantics with plain
/// float64 tensor algebra on the weights <see cref="HuggingFaceCheckpointWriter"/> wrote: no TinyGpt
/// model code, so it checks what the importer and the model compute, not how.
/// </summary>
internal static class ReferenceGpt2Forward
{
    public static Tensor Logits(HuggingFaceCheckpointWriter w, long[] tokens)
    {
        Tensor W(string name)
        {
            var (data, shape) = w.Weights[name];
            return tensor(data.Select(v => (double)v).ToArray(), shape, ScalarType.Float64);
        }

        // Methods with owned scalars only (this project bans TorchSharp's operators, see OwnedScalars).
        static Tensor C(double value) => tensor(value, ScalarType.Float64);
        static Tensor Add(Tensor a, Tensor b) => a.add(b, OwnedScalars.One);
        static Tensor Sub(Tensor a, Tensor b) => a.sub(b);

        Tensor Norm(Tensor x, string prefix)
        {
            var centred = Sub(x, x.mean([-1], keepdim: true));
            var variance = centred.square().mean([-1], keepdim: true);
            return Add(centred.div(Add(variance, C(w.Epsilon)).sqrt()).mul(W(prefix + ".weight")), W(prefix + ".bias"));
        }

        Tensor Activate(Tensor x) => w.Activation switch
        {
            // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
            "gelu_new" => C(0.5).mul(x).mul(Add(C(1), Add(x, C(0.044715).mul(x).mul(x).mul(x)).mul(C(Math.Sqrt(2 / Math.PI))).tanh())),
            // 0.5 x (1 + erf(x / sqrt 2))
            "gelu" => C(0.5).mul(x).mul(Add(C(1), x.div(C(Math.Sqrt(2))).erf())),
            "relu" => x.relu(),
            "silu" => x.mul(x.sigmoid()),
            _ => throw new ArgumentException(w.Activation),
        };

        var t = tokens.Length;
        var d = w.Width / w.Heads;
        var x = Add(W("wte.weight").index_select(0, tensor(tokens)), W("wpe.weight")[..t]);
        var causal = ones(t, t, dtype: ScalarType.Bool).tril();
        for (var layer = 0; layer < w.Layers; layer++)
        {
            var h = $"h.{layer}.";
            var qkv = Add(Norm(x, h + "ln_1").matmul(W(h + "attn.c_attn.weight")), W(h + "attn.c_attn.bias"));
            var q = qkv[.., ..w.Width].reshape(t, w.Heads, d).transpose(0, 1);
            var k = qkv[.., w.Width..(2 * w.Width)].reshape(t, w.Heads, d).transpose(0, 1);
            var v = qkv[.., (2 * w.Width)..].reshape(t, w.Heads, d).transpose(0, 1);
            var scores = q.matmul(k.transpose(1, 2));
            if (w.ScaleAttentionWeights)
            {
                scores = scores.div(C(Math.Sqrt(d)));
            }

            if (w.ScaleByInverseLayer)
            {
                scores = scores.div(C(layer + 1));
            }

            scores = where(causal, scores, C(double.NegativeInfinity));
            var attended = scores.softmax(-1).matmul(v).transpose(0, 1).reshape(t, w.Width);
            x = Add(x, Add(attended.matmul(W(h + "attn.c_proj.weight")), W(h + "attn.c_proj.bias")));
            var hidden = Activate(Add(Norm(x, h + "ln_2").matmul(W(h + "mlp.c_fc.weight")), W(h + "mlp.c_fc.bias")));
            x = Add(x, Add(hidden.matmul(W(h + "mlp.c_proj.weight")), W(h + "mlp.c_proj.bias")));
        }

        x = Norm(x, "ln_f");
        var head = w.Tied ? W("wte.weight") : W("lm_head.weight");
        return x.matmul(head.t());
    }
}
