using System.Buffers.Binary;
using TinyGpt.Text;
using TinyGpt.Tokenization;

namespace TinyGpt.Tokens;

/// <summary>
/// Encodes a split once into a <see cref="TokenFile"/> and reuses it while neither the tokenizer nor
/// the text has changed.
/// </summary>
/// <remarks>
/// The text is encoded line by line, each line with its <c>\n</c>, and the ids are concatenated:
/// the file holds exactly <c>concat(Encode(line) for line in lines)</c>. Lines are encoded in
/// parallel in chunks (the tokenizer must be thread-safe) and written in order. No end-of-text id
/// is inserted. Reuse is decided by content: the cached header's tokenizer fingerprint and source
/// sha256 must equal the current ones; the file name plays no part.
/// </remarks>
public static class TokenFileBuilder
{
    // Lines per parallel chunk: large enough to keep all cores busy, small enough to bound memory.
    private const int LinesPerChunk = 16_384;

    /// <summary>A conventional cache path next to the tokenizer: <c>{tokenizerDirectory}/{corpus}.{split}.tokens</c>.</summary>
    public static string DefaultPath(string tokenizerDirectory, string corpusName, string splitName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(corpusName);
        ArgumentException.ThrowIfNullOrWhiteSpace(splitName);
        return Path.Combine(tokenizerDirectory, $"{corpusName}.{splitName}.tokens");
    }

    /// <summary>
    /// Opens the token file at <paramref name="path"/> when it was written by this tokenizer from this
    /// text, else encodes the split and writes it (to a temporary file, then renamed into place).
    /// </summary>
    /// <param name="split">The text to encode.</param>
    /// <param name="tokenizer">A thread-safe tokenizer.</param>
    /// <param name="path">The token file; see <see cref="DefaultPath"/>.</param>
    /// <param name="progress">Receives the number of tokens written so far while encoding.</param>
    /// <param name="cancellationToken">Cancels encoding; the old file, if any, is left as it was.</param>
    /// <exception cref="InvalidDataException">The tokenizer produced an id outside [0, VocabSize).</exception>
    public static TokenFile GetOrBuild(
        TextSplit split, ITextTokenizer tokenizer, string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var sourceSha256 = split.ComputeSha256();
        if (IsCurrent(full, tokenizer, sourceSha256))
        {
            return TokenFile.Open(full);
        }

        Build(split, tokenizer, full, sourceSha256, progress, cancellationToken);
        return TokenFile.Open(full);
    }

    /// <summary>True when the file exists and was written by a tokenizer with the same fingerprint and vocabulary from text with this sha256.</summary>
    internal static bool IsCurrent(string path, ITextTokenizer tokenizer, string sourceSha256)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var header = TokenFileHeader.TryRead(stream, out _, out _);
        return header is not null
            && header.TokenizerFingerprint == tokenizer.Fingerprint
            && header.VocabSize == tokenizer.VocabSize
            && header.SourceSha256 == sourceSha256
            && header.DataType == TokenFileHeader.DataTypeFor(tokenizer.VocabSize);
    }

    private static void Build(
        TextSplit split, ITextTokenizer tokenizer, string path, string sourceSha256, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var dataType = TokenFileHeader.DataTypeFor(tokenizer.VocabSize);
        var provisional = new TokenFileHeader(dataType, tokenizer.VocabSize, 0, sourceSha256, tokenizer.Fingerprint);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            long count = 0;
            using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                output.Write(provisional.ToBytes());
                var parallel = new ParallelOptions { CancellationToken = cancellationToken };
                foreach (var chunk in split.ReadLines().Chunk(LinesPerChunk))
                {
                    var encoded = new int[chunk.Length][];
                    Parallel.For(0, chunk.Length, parallel, i => encoded[i] = tokenizer.Encode(chunk[i]));
                    foreach (var ids in encoded)
                    {
                        Write(output, ids, dataType, tokenizer.VocabSize);
                        count += ids.Length;
                    }

                    progress?.Report(count);
                }

                // The count is known only at the end; the header's size does not depend on it.
                output.Position = 0;
                output.Write((provisional with { Count = count }).ToBytes());
                output.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static void Write(Stream output, int[] ids, TokenDataType dataType, int vocabSize)
    {
        var size = dataType == TokenDataType.UInt16 ? 2 : 4;
        var bytes = new byte[ids.Length * size];
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            if ((uint)id >= (uint)vocabSize)
            {
                throw new InvalidDataException($"The tokenizer produced id {id}, outside its vocabulary [0, {vocabSize}); the tokenizer is broken.");
            }

            if (size == 2)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)id);
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), id);
            }
        }

        output.Write(bytes);
    }
}
