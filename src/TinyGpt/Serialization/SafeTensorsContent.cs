using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace TinyGpt.Serialization;

/// <summary>An opened safetensors file: its metadata, its tensor index, and (until disposed) its mapped data.</summary>
internal sealed class SafeTensorsContent : IDisposable
{
    private readonly string _source;
    private readonly long _dataStart;
    private MappedBytes? _bytes;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;

    internal SafeTensorsContent(string source, MappedBytes? bytes, long dataStart, IReadOnlyDictionary<string, SafeTensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        _source = source;
        _bytes = bytes;
        _dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IReadOnlyDictionary<string, SafeTensorsEntry> Entries { get; }

    /// <summary>Creates a new CPU tensor holding a copy of the named tensor's data, in the file's dtype.</summary>
    public Tensor Load(string name)
    {
        var entry = Find(name);
        var bytes = _bytes ?? throw new InvalidOperationException($"Only the header of '{_source}' was read.");
        using var scope = NewDisposeScope();
        var tensor = empty(entry.Shape, entry.Dtype);
        long copied = 0;
        if (entry.Length > 0)
        {
            // Copy piece by piece: a span holds at most 2 GiB.
            using var flat = tensor.reshape(-1);
            var perChunk = Math.Max(1, (1 << 30) / SafeTensorsFile.ElementSize(entry.Dtype));
            for (long start = 0; start < flat.NumberOfElements; start += perChunk)
            {
                using var piece = flat.narrow(0, start, Math.Min(perChunk, flat.NumberOfElements - start));
                var length = (int)(piece.NumberOfElements * piece.ElementSize);
                bytes.Span(entry.Offset + copied, length).CopyTo(piece.bytes);
                copied += length;
            }
        }

        return tensor.MoveToOuterDisposeScope();
    }

    /// <summary>Copies the named tensor into <paramref name="destination"/>, checking the shape and converting the dtype.</summary>
    public void CopyInto(string name, Tensor destination)
    {
        var entry = Find(name);
        if (!entry.Shape.SequenceEqual(destination.shape))
        {
            throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] in '{_source}' but [{string.Join(", ", destination.shape)}] in the model: the file was saved from a model of another configuration.");
        }

        using var source = Load(name);
        using var noGrad = no_grad();
        destination.copy_(source);
    }

    /// <summary>Checks the file's data against the checksum TinyGpt wrote into it; files of other tools have none and pass.</summary>
    /// <exception cref="InvalidDataException">The file was damaged or partly overwritten.</exception>
    public void VerifyChecksum()
    {
        if (!Metadata.TryGetValue(SafeTensorsFile.ChecksumKey, out var expected) || _bytes is not { } bytes)
        {
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var index = Entries.Values.OrderBy(e => e.Offset).Select(e => (e.Name, e.DtypeName, e.Shape, e.Offset - _dataStart, e.Offset - _dataStart + e.Length));
        SafeTensorsFile.AppendIndex(hash, Metadata, index);
        for (var offset = _dataStart; offset < bytes.Length; offset += 1 << 30)
        {
            hash.AppendData(bytes.Span(offset, (int)Math.Min(1 << 30, bytes.Length - offset)));
        }

        if (!string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), expected, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{_source}' is corrupt: its checksum does not match its content (a damaged or partly overwritten file).");
        }
    }

    public void Dispose()
    {
        _bytes?.Release();
        _bytes = null;
        _view?.Dispose();
        _map?.Dispose();
    }

    internal SafeTensorsContent Attach(MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        (_map, _view) = (map, view);
        return this;
    }

    internal SafeTensorsContent WithoutData() => new(_source, null, _dataStart, Entries, Metadata);

    private SafeTensorsEntry Find(string name) =>
        Entries.TryGetValue(name, out var entry) ? entry : throw new InvalidDataException($"'{_source}' has no tensor named '{name}'.");
}
