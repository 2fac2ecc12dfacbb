namespace TinyGpt.Tokenization;

/// <summary>Counts distinct pre-tokens of a corpus in parallel: each chunk gets its own dictionary, merged at the end.</summary>
internal static class PreTokenCounter
{
    // Large enough that per-chunk overhead is negligible, small enough to keep every core busy.
    private const int TargetChunkChars = 1 << 18;

    public static Dictionary<string, long> Count(IReadOnlyList<string> texts, int degreeOfParallelism)
    {
        var chunks = new List<(int Text, int Start, int Length)>();
        for (int t = 0; t < texts.Count; t++)
        {
            foreach (var (start, length) in Gpt2PreTokenizer.CutIntoChunks(texts[t], TargetChunkChars))
            {
                chunks.Add((t, start, length));
            }
        }

        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        var gate = new object();
        Parallel.ForEach(
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = degreeOfParallelism },
            () => new Dictionary<string, long>(StringComparer.Ordinal),
            (chunk, _, local) =>
            {
                CountChunk(texts[chunk.Text].AsSpan(chunk.Start, chunk.Length), local);
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    if (total.Count == 0)
                    {
                        foreach (var (word, count) in local)
                        {
                            total[word] = count;
                        }

                        return;
                    }

                    foreach (var (word, count) in local)
                    {
                        total[word] = total.GetValueOrDefault(word) + count;
                    }
                }
            });
        return total;
    }

    private static void CountChunk(ReadOnlySpan<char> text, Dictionary<string, long> counts)
    {
        // Looking up by span allocates a string only the first time a word is seen.
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        int pos = 0;
        while (pos < text.Length)
        {
            int length = Gpt2PreTokenizer.PieceLength(text, pos);
            ReadOnlySpan<char> piece = text.Slice(pos, length);
            lookup[piece] = lookup.TryGetValue(piece, out long count) ? count + 1 : 1;
            pos += length;
        }
    }
}
