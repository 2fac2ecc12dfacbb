namespace TinyGpt.Generation;

/// <summary>Cuts streamed text at the first of some stop sequences, holding back only what could still begin one.</summary>
internal sealed class StopStringFilter
{
    private readonly string[] _stops;
    private readonly int _holdBack;
    private string _buffer = string.Empty;

    public StopStringFilter(IEnumerable<string>? stops)
    {
        _stops = stops?.Where(s => !string.IsNullOrEmpty(s)).ToArray() ?? [];
        _holdBack = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length) - 1;
    }

    /// <summary>True once a stop sequence was seen; nothing after it is emitted.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds a piece and returns the text that is now safe to emit (possibly empty).</summary>
    public string Push(string piece)
    {
        if (Stopped)
        {
            return string.Empty;
        }

        _buffer += piece;
        var cut = -1;
        foreach (var stop in _stops)
        {
            var index = _buffer.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (cut < 0 || index < cut))
            {
                cut = index;
            }
        }

        string ready;
        if (cut >= 0)
        {
            Stopped = true;
            ready = _buffer[..cut];
            _buffer = string.Empty;
            return ready;
        }

        var safe = Math.Max(0, _buffer.Length - _holdBack);
        ready = _buffer[..safe];
        _buffer = _buffer[safe..];
        return ready;
    }

    /// <summary>The text held back, at the end of generation.</summary>
    public string Flush()
    {
        var rest = Stopped ? string.Empty : _buffer;
        _buffer = string.Empty;
        return rest;
    }
}
