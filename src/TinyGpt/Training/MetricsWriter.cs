using System.Text.Json;

namespace TinyGpt.Training;

/// <summary>Appends one JSON object per line to the run's metrics file, flushed after each line so a crash loses nothing written.</summary>
internal sealed class MetricsWriter : IDisposable
{
    private readonly StreamWriter _writer;

    public MetricsWriter(string path, bool append)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(path, append);
    }

    public void Write(IReadOnlyDictionary<string, object?> record)
    {
        _writer.WriteLine(JsonSerializer.Serialize(record.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value)));
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();
}
