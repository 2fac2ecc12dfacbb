using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TinyGpt.Serialization;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw little-endian data. It holds
/// data only, so loading a file can never run code from it.
/// </summary>
internal static class SafeTensorsFile
{
    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Metadata key of a SHA-256 over the metadata, the tensor index and the data, so that a
    /// flipped byte anywhere in a file we wrote is detected on load. Files from other tools lack it.
    /// </summary>
    internal const string ChecksumKey = "tinygpt.sha256";
    private const long MaxHeaderBytes = 100L << 20;

    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<(string Name, Tensor Cpu)>();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in tensors)
        {
            entries.Add((name, tensor.detach().cpu().contiguous()));
        }

        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata)
            {
                meta[key] = value;
            }

            header[MetadataKey] = meta;
        }

        long offset = 0;
        foreach (var (name, cpu) in entries)
        {
            if (name == MetadataKey || header.ContainsKey(name))
            {
                throw new ArgumentException($"Duplicate or reserved tensor name '{name}'.", nameof(tensors));
            }

            var length = cpu.NumberOfElements * cpu.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = DtypeName(cpu.dtype),
                ["shape"] = new JsonArray(cpu.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        var index = entries.Select(e => (e.Name, DtypeName(e.Cpu.dtype), e.Cpu.shape, ((JsonArray)header[e.Name]!["data_offsets"]!).Select(o => o!.GetValue<long>()).ToArray())).ToList();
        var checksum = Checksum(metadata ?? new Dictionary<string, string>(), index, entries.Select(e => e.Cpu));
        var metaNode = header[MetadataKey] as JsonObject ?? new JsonObject();
        metaNode[ChecksumKey] = checksum;
        header.Remove(MetadataKey);
        var ordered = new JsonObject { [MetadataKey] = metaNode };
        foreach (var (name, node) in header.ToList())
        {
            header.Remove(name);
            ordered[name] = node;
        }

        header = ordered;
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

            foreach (var (_, cpu) in entries)
            {
                if (cpu.NumberOfElements > 0)
                {
                    stream.Write(cpu.bytes);
                }
            }
        });
    }

    public static SafeTensorsContent Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No safetensors file at '{path}'.", path);
        }

        var bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    public static SafeTensorsContent Parse(byte[] bytes, string source)
    {
        if (bytes.Length < 8)
        {
            throw new InvalidDataException($"'{source}' is not a safetensors file: it has only {bytes.Length} bytes (truncated?).");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > bytes.Length - 8)
        {
            throw new InvalidDataException($"'{source}' is truncated or not a safetensors file: its header claims {headerLength} bytes but the file has {bytes.Length}.");
        }

        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))?.AsObject()
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
        var ranges = new List<(long Begin, long End)>();
        foreach (var (name, node) in header)
        {
            if (name == MetadataKey)
            {
                foreach (var (key, value) in node!.AsObject())
                {
                    metadata[key] = value!.GetValue<string>();
                }

                continue;
            }

            try
            {
                var obj = node!.AsObject();
                var dtype = ParseDtype(obj["dtype"]!.GetValue<string>());
                var shape = obj["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = obj["data_offsets"]!.AsArray();
                var (begin, end) = (offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
                var expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
                if (begin < 0 || end < begin || end > dataLength || end - begin != expected || shape.Any(d => d < 0))
                {
                    throw new InvalidDataException($"tensor '{name}' claims bytes [{begin}, {end}) for shape [{string.Join(", ", shape)}] but the data section has {dataLength} bytes");
                }

                ranges.Add((begin, end));
                entries[name] = new SafeTensorsEntry(name, dtype, shape, dataStart + begin, end - begin);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or NullReferenceException or JsonException or InvalidDataException)
            {
                throw new InvalidDataException($"'{source}' is truncated or corrupt: {ex.Message}.", ex);
            }
        }

        ranges.Sort();
        for (var i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].Begin < ranges[i - 1].End)
            {
                throw new InvalidDataException($"'{source}' is corrupt: two tensors overlap in the data section.");
            }
        }

        if (metadata.TryGetValue(ChecksumKey, out var expectedChecksum))
        {
            var index = entries.Values.OrderBy(e => e.Offset).Select(e => (e.Name, DtypeName(e.Dtype), e.Shape, new[] { e.Offset - dataStart, e.Offset - dataStart + e.Length })).ToList();
            var rest = metadata.Where(m => m.Key != ChecksumKey).ToDictionary(m => m.Key, m => m.Value);
            var actual = Checksum(rest, index, bytes.AsMemory((int)dataStart));
            if (!string.Equals(actual, expectedChecksum, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"'{source}' is corrupt: its checksum does not match its content (a damaged or partly overwritten file).");
            }
        }

        return new SafeTensorsContent(bytes, entries, metadata);
    }

    internal static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"dtype {dtype} is not supported in safetensors files"),
    };

    private static string DtypeName(ScalarType dtype) => dtype switch
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

    private static string Checksum(IReadOnlyDictionary<string, string> metadata, List<(string Name, string Dtype, long[] Shape, long[] Offsets)> index, IEnumerable<Tensor> data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendIndex(hash, metadata, index);
        foreach (var tensor in data)
        {
            if (tensor.NumberOfElements > 0)
            {
                hash.AppendData(tensor.bytes);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Checksum(IReadOnlyDictionary<string, string> metadata, List<(string Name, string Dtype, long[] Shape, long[] Offsets)> index, ReadOnlyMemory<byte> data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendIndex(hash, metadata, index);
        hash.AppendData(data.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendIndex(IncrementalHash hash, IReadOnlyDictionary<string, string> metadata, List<(string Name, string Dtype, long[] Shape, long[] Offsets)> index)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in metadata.Where(m => m.Key != ChecksumKey).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        foreach (var (name, dtype, shape, offsets) in index)
        {
            text.Append(name).Append('|').Append(dtype).Append('|').AppendJoin(',', shape).Append('|').AppendJoin(',', offsets).Append('\n');
        }

        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
    }
}
