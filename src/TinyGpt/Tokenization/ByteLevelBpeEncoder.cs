using System.Collections.Concurrent;
using System.Text;

namespace TinyGpt.Tokenization;

/// <summary>
/// Encodes text with a byte-level BPE vocabulary: GPT-2 pre-tokenization, UTF-8 bytes, then merges by
/// priority. Results are cached per pre-token, so repeated words cost one dictionary lookup. Thread-safe.
/// </summary>
internal sealed class ByteLevelBpeEncoder
{
    // Short pieces are merged by rescanning (cheap at this size); longer ones use a heap so a huge
    // run of one character cannot make encoding quadratic.
    private const int RescanLimit = 512;
    private const int MaxCachedPieceLength = 64;
    private const int MaxCacheEntries = 1 << 20;
    private const int ParallelChunkChars = 1 << 18;

    private readonly int[] _byteIds = new int[256];
    private readonly Dictionary<long, Merge> _merges;
    private readonly byte[][] _tokenBytes;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private int _cachedCount;

    public ByteLevelBpeEncoder(BpeVocabulary vocabulary)
    {
        IReadOnlyList<string> tokens = vocabulary.Tokens;
        for (int b = 0; b < 256; b++)
        {
            _byteIds[b] = vocabulary.GetId(ByteLevelAlphabet.ByteToChar[b].ToString())!.Value;
        }

        _merges = new Dictionary<long, Merge>(vocabulary.Merges.Count);
        for (int rank = 0; rank < vocabulary.Merges.Count; rank++)
        {
            BpeMerge merge = vocabulary.Merges[rank];
            long key = Key(vocabulary.GetId(merge.Left)!.Value, vocabulary.GetId(merge.Right)!.Value);

            // A repeated merge line never fires after the first, as Hugging Face also keeps the first.
            _merges.TryAdd(key, new Merge(rank, vocabulary.GetId(merge.Merged)!.Value));
        }

        _tokenBytes = new byte[tokens.Count][];
        for (int id = 0; id < tokens.Count; id++)
        {
            _tokenBytes[id] = vocabulary.SpecialTokens.ContainsKey(tokens[id])
                ? Encoding.UTF8.GetBytes(tokens[id])
                : ByteLevelAlphabet.TryToBytes(tokens[id])!;
        }
    }

    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length < 2 * ParallelChunkChars || Environment.ProcessorCount == 1)
        {
            return [.. EncodeSequential(text)];
        }

        // Big texts (whole data splits) are cut where no pre-token spans the cut, so the chunks encode
        // independently on every core and concatenate to exactly the sequential result.
        List<(int Start, int Length)> chunks = Gpt2PreTokenizer.CutIntoChunks(text, ParallelChunkChars);

        var parts = new List<int>[chunks.Count];
        Parallel.For(0, chunks.Count, i => parts[i] = EncodeSequential(text.AsSpan(chunks[i].Start, chunks[i].Length)));
        int[] ids = new int[parts.Sum(p => p.Count)];
        int offset = 0;
        foreach (List<int> part in parts)
        {
            part.CopyTo(ids, offset);
            offset += part.Count;
        }

        return ids;
    }

    internal List<int> EncodeSequential(ReadOnlySpan<char> span)
    {
        var ids = new List<int>((span.Length / 3) + 4);
        var cache = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        int pos = 0;
        while (pos < span.Length)
        {
            int length = Gpt2PreTokenizer.PieceLength(span, pos);
            ReadOnlySpan<char> piece = span.Slice(pos, length);
            pos += length;
            if (cache.TryGetValue(piece, out int[]? cached))
            {
                ids.AddRange(cached);
                continue;
            }

            int[] pieceIds = EncodePiece(piece);
            // Own counter: ConcurrentDictionary.Count takes every lock, which costs more than encoding a word.
            if (length <= MaxCachedPieceLength && Volatile.Read(ref _cachedCount) < MaxCacheEntries && cache.TryAdd(piece, pieceIds))
            {
                Interlocked.Increment(ref _cachedCount);
            }

            ids.AddRange(pieceIds);
        }

        return ids;
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        int total = 0;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_tokenBytes.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the vocabulary [0, {_tokenBytes.Length}); decode only ids this tokenizer produced.");
            }

            total += _tokenBytes[id].Length;
        }

        byte[] bytes = new byte[total];
        int offset = 0;
        foreach (int id in ids)
        {
            _tokenBytes[id].CopyTo(bytes, offset);
            offset += _tokenBytes[id].Length;
        }

        return Encoding.UTF8.GetString(bytes);
    }

    internal int[] EncodePiece(ReadOnlySpan<char> piece)
    {
        int byteCount = Encoding.UTF8.GetByteCount(piece);
        Span<byte> bytes = byteCount <= 256 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(piece, bytes);
        int[] symbols = new int[byteCount];
        for (int i = 0; i < byteCount; i++)
        {
            symbols[i] = _byteIds[bytes[i]];
        }

        int length = byteCount <= RescanLimit ? MergeByRescan(symbols) : MergeByHeap(symbols);
        return length == symbols.Length ? symbols : symbols[..length];
    }

    // Repeatedly applies the best-ranked merge to all its occurrences, left to right. ranks[i] caches the
    // rank of the pair at (i, i + 1) so a pass is a scan of ints; only pairs next to a merge are looked up.
    private int MergeByRescan(int[] symbols)
    {
        int length = symbols.Length;
        Span<int> ranks = stackalloc int[Math.Max(length, 1)];
        for (int i = 0; i < length; i++)
        {
            ranks[i] = i + 1 < length ? RankOf(symbols[i], symbols[i + 1]) : int.MaxValue;
        }

        while (length > 1)
        {
            int best = int.MaxValue;
            int at = -1;
            for (int i = 0; i + 1 < length; i++)
            {
                if (ranks[i] < best)
                {
                    best = ranks[i];
                    at = i;
                }
            }

            if (at < 0)
            {
                break;
            }

            int merged = _merges[Key(symbols[at], symbols[at + 1])].Id;
            int write = 0;
            bool previousMerged = false;
            for (int read = 0; read < length; write++)
            {
                // Equal rank means the same pair, so this finds every occurrence without a lookup.
                bool merge = read + 1 < length && ranks[read] == best;
                symbols[write] = merge ? merged : symbols[read];
                ranks[write] = merge ? int.MaxValue : ranks[read];
                if (write > 0 && (merge || previousMerged))
                {
                    ranks[write - 1] = RankOf(symbols[write - 1], symbols[write]);
                }

                previousMerged = merge;
                read += merge ? 2 : 1;
            }

            length = write;
        }

        return length;
    }

    private int RankOf(int left, int right) => _merges.TryGetValue(Key(left, right), out Merge merge) ? merge.Rank : int.MaxValue;

    // The same result as MergeByRescan on a linked list of symbols, with a heap of (rank, position).
    private int MergeByHeap(int[] symbols)
    {
        int n = symbols.Length;
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1;
            prev[i] = i - 1;
        }

        var alive = new bool[n];
        Array.Fill(alive, true);
        var heap = new PriorityQueue<(int Position, int Right, int Id), (int Rank, int Position)>();
        void Offer(int position)
        {
            int right = next[position];
            if (right < n && _merges.TryGetValue(Key(symbols[position], symbols[right]), out Merge merge))
            {
                heap.Enqueue((position, symbols[right], merge.Id), (merge.Rank, position));
            }
        }

        for (int i = 0; i + 1 < n; i++)
        {
            Offer(i);
        }

        // Like MergeByRescan, one rank is applied to all its occurrences (left to right) before the pairs
        // it creates are offered, even if one of those has a lower rank (possible when a merge reuses an id).
        var created = new List<int>();
        int batchRank = -1;
        while (true)
        {
            bool more = heap.TryPeek(out _, out var top);
            if (created.Count > 0 && (!more || top.Rank != batchRank))
            {
                foreach (int position in created)
                {
                    if (alive[position])
                    {
                        Offer(position);
                    }
                }

                created.Clear();
                continue;
            }

            if (!more)
            {
                break;
            }

            var (entry, priority) = (heap.Dequeue(), top);
            int at = entry.Position;
            int right = next[at];

            // Skip entries made stale by an earlier merge at or next to this position.
            if (!alive[at] || right >= n || symbols[right] != entry.Right
                || !_merges.TryGetValue(Key(symbols[at], symbols[right]), out Merge merge) || merge.Rank != priority.Rank)
            {
                continue;
            }

            batchRank = merge.Rank;
            symbols[at] = merge.Id;
            alive[right] = false;
            next[at] = next[right];
            if (next[right] < n)
            {
                prev[next[right]] = at;
            }

            created.Add(at);
            if (prev[at] >= 0)
            {
                created.Add(prev[at]);
            }
        }

        int write = 0;
        for (int i = 0; i < n; i = next[i])
        {
            symbols[write++] = symbols[i];
        }

        return write;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private readonly record struct Merge(int Rank, int Id);
}
