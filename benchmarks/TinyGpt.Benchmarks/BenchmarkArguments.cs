using System.Globalization;

namespace TinyGpt.Benchmarks;

/// <summary>Reads <c>--name value</c> pairs.</summary>
internal sealed class BenchmarkArguments(string[] args)
{
    public string? Get(string name)
    {
        var i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => Get(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public bool Has(string name) => Array.IndexOf(args, "--" + name) >= 0;
}
