using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TinyGpt.Modeling;

namespace TinyGpt.Benchmarks;

/// <summary>
/// Runs <c>benchmarks/pytorch/train_steps.py</c> (the same model and training step in PyTorch) in a
/// Python that has torch. Debian's torch 1.13 multiplies through OpenBLAS: it gets the same thread
/// count as torch, and its kernels are named from the CPU's flags, since its own detection picks
/// slow ones on some CPUs and AVX-512 kernels crash on a CPU without them.
/// </summary>
internal sealed class PyTorchRunner
{
    private readonly string _python;
    private readonly string _script;
    private readonly int _threads;
    private readonly string _coreType;

    private PyTorchRunner(string python, string script, int threads, string coreType, string version)
    {
        (_python, _script, _threads, _coreType) = (python, script, threads, coreType);
        Description = $"torch {version} ({python}), {threads} torch and {threads} OpenBLAS threads, OPENBLAS_CORETYPE={coreType}";
    }

    public string Description { get; }

    /// <summary>The runner, or null when <paramref name="python"/> is missing or has no torch.</summary>
    public static PyTorchRunner? Find(string python, int threads)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "pytorch", "train_steps.py");
        if (!File.Exists(python) || !File.Exists(script))
        {
            return null;
        }

        var coreType = File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" avx512f", StringComparison.Ordinal) ? "SkylakeX" : "Haswell";
        var version = Run(python, ["-c", "import torch; print(torch.__version__)"], threads, coreType)?.Trim();
        return string.IsNullOrEmpty(version) ? null : new PyTorchRunner(python, script, threads, coreType, version);
    }

    /// <summary>Tokens/s of the PyTorch step; <paramref name="reuseFreedMemory"/> runs it with glibc's heap set as <see cref="TinyGpt.Torch.NativeHeap.GlibcTunables"/> sets it, for a like-for-like comparison.</summary>
    public double TokensPerSecond(GptConfig config, int batch, int context, int steps, bool reuseFreedMemory)
    {
        var output = Run(_python, [_script, "--vocab", Text(config.VocabSize), "--width", Text(config.EmbeddingSize), "--layers", Text(config.LayerCount), "--heads", Text(config.HeadCount), "--context", Text(context), "--batch", Text(batch), "--steps", Text(steps), "--threads", Text(_threads)], _threads, _coreType, reuseFreedMemory)
            ?? throw new InvalidOperationException("The PyTorch run failed; see its output above.");
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        return json.RootElement.GetProperty("tokens_per_second").GetDouble();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Run(string python, string[] arguments, int threads, string coreType, bool reuseFreedMemory = false)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OPENBLAS_NUM_THREADS"] = Text(threads);
        start.Environment["OPENBLAS_CORETYPE"] = coreType;
        if (reuseFreedMemory)
        {
            start.Environment["GLIBC_TUNABLES"] = TinyGpt.Torch.NativeHeap.GlibcTunables;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : null;
    }
}
