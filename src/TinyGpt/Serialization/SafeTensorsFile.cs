using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TinyGpt.Serialization;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data. It holds
/// data only, so loading a file can never run code from it. Files are written as a stream and read
/// through a memory map, so their size is limited by the disk, not by .NET's 2 GiB arrays.
/// </summary>
internal static class SafeTensorsFile
{
    /// <summary>
    /// Metadata key of a SHA-256 over the metadata, the tensor index and the data, so that a
    /// flipped byte anywhere in a file we wrote is detected on load. Files from other tools lack it.
    /// </summary>
    internal const string ChecksumKey = "tinygpt.sha256";
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>Most bytes copied between a tensor and a file in one piece (spans are indexed by int).</summary>
    private const int ChunkBytes = 1 << 30;

    /// <summary>Writes <paramref name="tensors"/> (any device, any layout) with <paramref name="metadata"/> to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var entries = new List<(string Name, Tensor Cpu, long Begin, long End)>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (name == MetadataKey || entries.Any(e => e.Name == name))
            {
                throw new ArgumentException($"Duplicate or reserved tensor name '{name}'.", nameof(tensors));
            }

            var cpu = tensor.detach().cpu().contiguous();
            var length = cpu.NumberOfElements * cpu.ElementSize;
            entries.Add((name, cpu, offset, offset + length));
            offset += length;
        }

        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>());
        meta.Remove(ChecksumKey);
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            AppendIndex(hash, meta, entries.Select(e => (e.Name, DtypeName(e.Cpu.dtype), e.Cpu.shape, e.Begin, e.End)));
            foreach (var entry in entries)
            {
                ForEachChunk(entry.Cpu, chunk => hash.AppendData(chunk));
            }

            meta[ChecksumKey] = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        var header = new JsonObject { [MetadataKey] = new JsonObject(meta.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))) };
        foreach (var (name, cpu, begin, end) in entries)
        {
            header[name] = new JsonObject
            {
                ["dtype"] = DtypeName(cpu.dtype),
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(begin, end),
            };
        }

        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (headerBytes.Length + 7) / 8 * 8; // the format aligns the data to 8 bytes
        AtomicFile.Write(path, stream =>
        {
            Span<byte> size = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)padded);
            stream.Write(size);
            stream.Write(headerBytes);
            for (var i = headerBytes.Length; i < padded; i++)
            {
                stream.WriteByte((byte)' ');
            }

            foreach (var entry in entries)
            {
                ForEachChunk(entry.Cpu, chunk => stream.Write(chunk));
            }
        });
    }

    /// <summary>Maps the file and reads its header; tensors are copied out on demand. Dispose the result to unmap the file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="verifyChecksum">Check the whole file against its checksum (files TinyGpt wrote carry one) before returning.</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, or not a safetensors file.</exception>
    public static SafeTensorsContent Open(string path, bool verifyChecksum = true)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No safetensors file at '{path}'.", path);
        }

        var length = new FileInfo(path).Length;
        if (length < 8)
        {
            throw new InvalidDataException($"'{path}' is not a safetensors file: it has only {length} bytes (truncated?).");
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            var content = Parse(new MappedBytes(view, length), path);
            if (verifyChecksum)
            {
                content.VerifyChecksum();
            }

            return content.Attach(map, view);
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the header: metadata and tensor index, no data, no checksum.</summary>
    public static SafeTensorsContent ReadHeader(string path)
    {
        using var content = Open(path, verifyChecksum: false);
        return content.WithoutData();
    }

    private static SafeTensorsContent Parse(MappedBytes bytes, string source)
    {
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Span(0, 8));
        if (headerLength > MaxHeaderBytes || (long)headerLength > bytes.Length - 8)
        {
            throw new InvalidDataException($"'{source}' is truncated or not a safetensors file: its header claims {headerLength} bytes but the file has {bytes.Length}.");
        }

        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.Span(8, (int)headerLength))?.AsObject()
                ?? throw new InvalidDataException($"'{source}' has an empty safetensors header.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{source}' has a corrupt safetensors header: {ex.Message}", ex);
        }

        var dataStart = 8 + (long)headerLength;
        var dataLength = bytes.Length - dataStart;
        var metadata = new Dictionary<string, string>();
        var entries = new Dictionary<string, SafeTensorsEntry>();
        foreach (var (name, node) in header)
        {
            try
            {
                if (name == MetadataKey)
                {
                    foreach (var (key, value) in node!.AsObject())
                    {
                        metadata[key] = value!.GetValue<string>();
                    }

                    continue;
                }

                var obj = node!.AsObject();
                var dtypeName = obj["dtype"]!.GetValue<string>();
                var shape = obj["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = obj["data_offsets"]!.AsArray();
                var (begin, end) = (offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
                var dtype = ParseDtype(dtypeName);
                var expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
                if (begin < 0 || end < begin || end > dataLength || end - begin != expected || shape.Any(d => d < 0))
                {
                    throw new InvalidDataException($"tensor '{name}' claims bytes [{begin}, {end}) for shape [{string.Join(", ", shape)}] but the data section has {dataLength} bytes");
                }

                entries[name] = new SafeTensorsEntry(name, dtype, dtypeName, shape, dataStart + begin, end - begin);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or NullReferenceException or JsonException or InvalidDataException)
            {
                throw new InvalidDataException($"'{source}' is truncated or corrupt: {ex.Message}.", ex);
            }
        }

        var ranges = entries.Values.Select(e => (e.Offset, End: e.Offset + e.Length)).Order().ToList();
        for (var i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].Offset < ranges[i - 1].End)
            {
                throw new InvalidDataException($"'{source}' is corrupt: two tensors overlap in the data section.");
            }
        }

        return new SafeTensorsContent(source, bytes, dataStart, entries, metadata);
    }

    /// <summary>The index and metadata part of the checksum, shared by writing and checking.</summary>
    internal static void AppendIndex(IncrementalHash hash, IReadOnlyDictionary<string, string> metadata, IEnumerable<(string Name, string Dtype, long[] Shape, long Begin, long End)> index)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in metadata.Where(m => m.Key != ChecksumKey).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        foreach (var (name, dtype, shape, begin, end) in index)
        {
            text.Append(name).Append('|').Append(dtype).Append('|').AppendJoin(',', shape).Append('|').Append(begin).Append(',').Append(end).Append('\n');
        }

        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Calls <paramref name="action"/> with the bytes of a contiguous CPU tensor, in pieces of at most 1 GiB.</summary>
    internal static void ForEachChunk(Tensor contiguous, SpanAction action)
    {
        var total = contiguous.NumberOfElements * contiguous.ElementSize;
        if (total == 0)
        {
            return;
        }

        if (total <= ChunkBytes)
        {
            action(contiguous.bytes);
            return;
        }

        using var scope = NewDisposeScope();
        var flat = contiguous.reshape(-1);
        var perChunk = ChunkBytes / contiguous.ElementSize;
        for (long start = 0; start < flat.NumberOfElements; start += perChunk)
        {
            using var piece = flat.narrow(0, start, Math.Min(perChunk, flat.NumberOfElements - start));
            action(piece.bytes);
        }
    }

    internal static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"dtype {dtype} is not supported in safetensors files"),
    };

    internal static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"dtype {dtype} cannot be written to a safetensors file"),
    };

    private static ScalarType ParseDtype(string name) => name switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"unknown dtype '{name}'"),
    };

    internal delegate void SpanAction(ReadOnlySpan<byte> bytes);
}
