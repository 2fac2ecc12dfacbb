using System.Text;

namespace TinyGpt.Tokenization;

/// <summary>
/// Learns BPE merges from counted words. Pair counts are updated incrementally from the words a merge
/// touches (found through a pair-to-words index), and the best pair comes from a max-heap with lazy
/// deletion, so no merge recounts the corpus.
/// </summary>
internal sealed class BpeMergeLearner
{
    // All words' symbols live in one array; word w occupies [wordStart[w], wordStart[w] + wordLength[w]).
    private readonly int[] _symbols;
    private readonly int[] _wordStart;
    private readonly int[] _wordLength;
    private readonly long[] _wordCount;
    private readonly int[] _wordStamp;

    private readonly Dictionary<long, int> _pairIndex = new();
    private long[] _pairCount = new long[1024];
    private int[] _pairLeft = new int[1024];
    private int[] _pairRight = new int[1024];
    private List<int>?[] _pairWords = new List<int>?[1024];
    private int[] _pairTouched = new int[1024];
    private int _pairTotal;

    private readonly PriorityQueue<int, HeapKey> _heap = new(HeapKeyComparer.Instance);
    private readonly List<int> _touched = [];
    private int _stamp;
    private bool[] _mergedAt = new bool[64];

    public BpeMergeLearner(IReadOnlyList<string> words, IReadOnlyList<long> counts, int[] byteIds)
    {
        _wordStart = new int[words.Count];
        _wordLength = new int[words.Count];
        _wordCount = new long[words.Count];
        _wordStamp = new int[words.Count];
        int totalBytes = 0;
        foreach (string word in words)
        {
            totalBytes += Encoding.UTF8.GetByteCount(word);
        }

        _symbols = new int[totalBytes];
        byte[] buffer = new byte[256];
        int offset = 0;
        for (int w = 0; w < words.Count; w++)
        {
            int byteCount = Encoding.UTF8.GetByteCount(words[w]);
            if (buffer.Length < byteCount)
            {
                buffer = new byte[byteCount * 2];
            }

            Encoding.UTF8.GetBytes(words[w], buffer);
            for (int i = 0; i < byteCount; i++)
            {
                _symbols[offset + i] = byteIds[buffer[i]];
            }

            _wordStart[w] = offset;
            _wordLength[w] = byteCount;
            _wordCount[w] = counts[w];
            offset += byteCount;
        }

        for (int w = 0; w < words.Count; w++)
        {
            int s = _wordStart[w];
            for (int k = 0; k + 1 < _wordLength[w]; k++)
            {
                Increment(_symbols[s + k], _symbols[s + k + 1], w, _wordCount[w]);
            }
        }

        for (int p = 0; p < _pairTotal; p++)
        {
            _heap.Enqueue(p, new HeapKey(_pairCount[p], _pairLeft[p], _pairRight[p]));
        }

        _touched.Clear();
    }

    /// <summary>
    /// Pops the most frequent pair (ties: smaller left id, then smaller right id) that is at least
    /// <paramref name="minFrequency"/> and accepted by <paramref name="accept"/>; false when none is left.
    /// </summary>
    public bool TryTakeBest(long minFrequency, Func<int, int, bool> accept, out int left, out int right)
    {
        while (_heap.TryDequeue(out int pair, out HeapKey key))
        {
            long current = _pairCount[pair];
            if (key.Count != current)
            {
                // Stale entry; every rise in a count was queued when it happened, so re-queue at the true count.
                if (current > 0)
                {
                    _heap.Enqueue(pair, key with { Count = current });
                }

                continue;
            }

            if (current < Math.Max(minFrequency, 1))
            {
                break;
            }

            if (!accept(_pairLeft[pair], _pairRight[pair]))
            {
                continue;
            }

            left = _pairLeft[pair];
            right = _pairRight[pair];
            return true;
        }

        left = right = -1;
        return false;
    }

    /// <summary>Replaces every occurrence of (left, right) with <paramref name="merged"/> and updates pair counts.</summary>
    public void Merge(int left, int right, int merged)
    {
        int pair = _pairIndex[Key(left, right)];
        List<int> words = _pairWords[pair]!;
        _stamp++;
        for (int i = 0; i < words.Count; i++)
        {
            int w = words[i];
            if (_wordStamp[w] == _stamp)
            {
                continue;
            }

            _wordStamp[w] = _stamp;
            MergeWord(w, left, right, merged, pair);
        }

        _pairCount[pair] = 0;
        _pairWords[pair] = null;
        foreach (int p in _touched)
        {
            if (_pairCount[p] > 0)
            {
                _heap.Enqueue(p, new HeapKey(_pairCount[p], _pairLeft[p], _pairRight[p]));
            }
        }

        _touched.Clear();
    }

    private void MergeWord(int w, int a, int b, int c, int mergedPair)
    {
        int s = _wordStart[w];
        int length = _wordLength[w];
        long count = _wordCount[w];
        if (_mergedAt.Length < length)
        {
            _mergedAt = new bool[length * 2];
        }

        int read = 0;
        int write = 0;
        bool lastMerged = false;
        bool any = false;
        while (read < length)
        {
            if (read + 1 < length && _symbols[s + read] == a && _symbols[s + read + 1] == b)
            {
                any = true;

                // The pair on the left was already removed as the right pair of the previous occurrence.
                if (read > 0 && !lastMerged)
                {
                    Decrement(_symbols[s + read - 1], a, count, mergedPair);
                }

                if (read + 2 < length)
                {
                    Decrement(b, _symbols[s + read + 2], count, mergedPair);
                }

                _mergedAt[write] = true;
                _symbols[s + write++] = c;
                read += 2;
                lastMerged = true;
            }
            else
            {
                _mergedAt[write] = false;
                _symbols[s + write++] = _symbols[s + read++];
                lastMerged = false;
            }
        }

        if (!any)
        {
            return;
        }

        // c may already exist elsewhere in the word (when its string was reached by another merge),
        // so only the positions merged just now create pairs.
        _wordLength[w] = write;
        for (int k = 0; k < write; k++)
        {
            if (!_mergedAt[k])
            {
                continue;
            }

            if (k > 0)
            {
                Increment(_symbols[s + k - 1], c, w, count);
            }

            // Two adjacent new c's form one pair, counted as the left pair of the second.
            if (k + 1 < write && !_mergedAt[k + 1])
            {
                Increment(c, _symbols[s + k + 1], w, count);
            }
        }
    }

    private void Decrement(int left, int right, long count, int mergedPair)
    {
        int pair = _pairIndex[Key(left, right)];
        if (pair != mergedPair)
        {
            _pairCount[pair] -= count;
        }
    }

    private void Increment(int left, int right, int word, long count)
    {
        long key = Key(left, right);
        if (!_pairIndex.TryGetValue(key, out int pair))
        {
            pair = _pairTotal++;
            if (pair == _pairCount.Length)
            {
                Grow();
            }

            _pairIndex[key] = pair;
            _pairLeft[pair] = left;
            _pairRight[pair] = right;
            _pairWords[pair] = [];
        }

        _pairCount[pair] += count;
        List<int> words = _pairWords[pair]!;
        if (words.Count == 0 || words[^1] != word)
        {
            words.Add(word);
        }

        if (_pairTouched[pair] != _stamp + 1)
        {
            _pairTouched[pair] = _stamp + 1;
            _touched.Add(pair);
        }
    }

    private void Grow()
    {
        int size = _pairCount.Length * 2;
        Array.Resize(ref _pairCount, size);
        Array.Resize(ref _pairLeft, size);
        Array.Resize(ref _pairRight, size);
        Array.Resize(ref _pairWords, size);
        Array.Resize(ref _pairTouched, size);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private readonly record struct HeapKey(long Count, int Left, int Right);

    private sealed class HeapKeyComparer : IComparer<HeapKey>
    {
        public static readonly HeapKeyComparer Instance = new();

        // PriorityQueue dequeues the smallest, so "smaller" means more frequent, then smaller ids.
        public int Compare(HeapKey x, HeapKey y)
        {
            int byCount = y.Count.CompareTo(x.Count);
            if (byCount != 0)
            {
                return byCount;
            }

            int byLeft = x.Left.CompareTo(y.Left);
            return byLeft != 0 ? byLeft : x.Right.CompareTo(y.Right);
        }
    }
}
