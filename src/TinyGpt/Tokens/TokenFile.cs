using System.IO.MemoryMappedFiles;

namespace TinyGpt.Tokens;

/// <summary>
/// A cached, encoded split: token ids in a compact binary file (see <c>docs/data.md</c>), read through
/// a memory map so that large corpora need no copy in memory. Create one with
/// <see cref="TokenFileBuilder.GetOrBuild"/>; dispose it to unmap the file.
/// </summary>
public sealed class TokenFile : ITokenSequence, IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly int _dataOffset;

    private TokenFile(string path, TokenFileHeader header, int dataOffset, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        Header = header;
        _dataOffset = dataOffset;
        _map = map;
        _view = view;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public long Count => Header.Count;

    /// <summary>How the ids are stored: <see cref="TokenDataType.UInt16"/> when the vocabulary has at most 65,536 ids.</summary>
    public TokenDataType DataType => Header.DataType;

    /// <summary>The vocabulary size of the tokenizer that wrote the file.</summary>
    public int VocabSize => Header.VocabSize;

    /// <summary>The fingerprint of the tokenizer that wrote the file.</summary>
    public string TokenizerFingerprint => Header.TokenizerFingerprint;

    /// <summary>The sha256 of the text the ids were encoded from.</summary>
    public string SourceSha256 => Header.SourceSha256;

    internal TokenFileHeader Header { get; }

    /// <summary>Opens a token file read-only and maps it into memory.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a token file this library reads; delete it to have it rebuilt.</exception>
    public static TokenFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        TokenFileHeader header;
        int headerSize;
        using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            header = TokenFileHeader.TryRead(stream, out headerSize, out var problem)
                ?? throw new InvalidDataException($"'{full}' cannot be read as a token file: {problem}. Delete it to have it rebuilt.");
        }

        var map = MemoryMappedFile.CreateFromFile(full, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new TokenFile(full, header, headerSize, map, view);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <summary>The token at <paramref name="index"/>.</summary>
    public int this[long index]
    {
        get
        {
            TokenRange.Check(index, 1, Count);
            return DataType == TokenDataType.UInt16
                ? _view.ReadUInt16(_dataOffset + (index * 2))
                : _view.ReadInt32(_dataOffset + (index * 4));
        }
    }

    /// <inheritdoc />
    public void CopyTo(long start, Span<long> destination)
    {
        TokenRange.Check(start, destination.Length, Count);
        var handle = _view.SafeMemoryMappedViewHandle;
        const int Chunk = 4096;
        if (DataType == TokenDataType.UInt16)
        {
            Span<ushort> buffer = stackalloc ushort[Chunk];
            for (var done = 0; done < destination.Length; done += Chunk)
            {
                var part = buffer[..Math.Min(Chunk, destination.Length - done)];
                handle.ReadSpan((ulong)(_dataOffset + ((start + done) * 2)), part);
                for (var i = 0; i < part.Length; i++)
                {
                    destination[done + i] = part[i];
                }
            }
        }
        else
        {
            Span<int> buffer = stackalloc int[Chunk];
            for (var done = 0; done < destination.Length; done += Chunk)
            {
                var part = buffer[..Math.Min(Chunk, destination.Length - done)];
                handle.ReadSpan((ulong)(_dataOffset + ((start + done) * 4)), part);
                for (var i = 0; i < part.Length; i++)
                {
                    destination[done + i] = part[i];
                }
            }
        }
    }

    /// <summary>Reads all ids into an array (for small files and tests).</summary>
    public int[] ToArray()
    {
        var values = new long[Count];
        CopyTo(0, values);
        return Array.ConvertAll(values, v => (int)v);
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
    }
}
