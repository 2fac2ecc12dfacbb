using System.Text;

namespace TinyGpt.Tokenization;

/// <summary>
/// Trains a byte-level BPE vocabulary the way GPT-2 / Hugging Face <c>ByteLevelBPETokenizer</c> do:
/// GPT-2 regex pre-tokenization, the 256 byte symbols as the base alphabet, then merges of the most
/// frequent adjacent pair. Ids: special tokens first, then the byte symbols (ordered by their
/// byte-level character), then one id per merge in the order learned. The same input and options
/// always give the same vocabulary; ties between equally frequent pairs go to the smaller ids.
/// </summary>
public sealed class BpeTrainer
{
    private readonly BpeTrainerOptions _options;

    /// <summary>Creates a trainer; <paramref name="options"/> null means the defaults.</summary>
    public BpeTrainer(BpeTrainerOptions? options = null)
    {
        _options = (options ?? new BpeTrainerOptions()).ValidatedCopy();
    }

    /// <summary>Trains on UTF-8 text files; each file is one text.</summary>
    public BpeVocabulary TrainFromFiles(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var texts = new List<string>();
        foreach (string path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Training file '{path}' does not exist; pass existing UTF-8 text files.", path);
            }

            texts.Add(File.ReadAllText(path, Encoding.UTF8));
        }

        return Train(texts);
    }

    /// <summary>Trains on texts; pre-tokens never span two texts.</summary>
    public BpeVocabulary Train(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var list = texts as IReadOnlyList<string> ?? texts.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentException($"Text {i} is null; pass only non-null strings.", nameof(texts));
            }
        }

        Dictionary<string, long> wordCounts = PreTokenCounter.Count(list, _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount);
        return Learn(wordCounts);
    }

    private BpeVocabulary Learn(Dictionary<string, long> wordCounts)
    {
        var tokens = new List<string>(_options.VocabSize);
        tokens.AddRange(_options.SpecialTokens);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            ids[tokens[i]] = i;
        }

        var byteIds = new int[256];
        foreach (byte b in ByteLevelAlphabet.BytesInCharOrder)
        {
            byteIds[b] = tokens.Count;
            ids[ByteLevelAlphabet.ByteToChar[b].ToString()] = tokens.Count;
            tokens.Add(ByteLevelAlphabet.ByteToChar[b].ToString());
        }

        var words = new List<string>(wordCounts.Count);
        var counts = new List<long>(wordCounts.Count);
        foreach (var (word, count) in wordCounts)
        {
            words.Add(word);
            counts.Add(count);
        }

        var learner = new BpeMergeLearner(words, counts, byteIds);
        var specials = new HashSet<string>(_options.SpecialTokens, StringComparer.Ordinal);
        var merges = new List<BpeMerge>(_options.VocabSize - tokens.Count);

        // A merge that would spell a special token is skipped: its id would otherwise be produced
        // from ordinary text, and vocab.json cannot hold one string twice.
        bool Accept(int left, int right) => !specials.Contains(tokens[left] + tokens[right]);

        while (tokens.Count < _options.VocabSize && learner.TryTakeBest(_options.MinFrequency, Accept, out int left, out int right))
        {
            // Like Hugging Face, a merge that spells an existing token (reached by another split) reuses its id.
            string text = tokens[left] + tokens[right];
            if (!ids.TryGetValue(text, out int merged))
            {
                merged = tokens.Count;
                ids[text] = merged;
                tokens.Add(text);
            }

            merges.Add(new BpeMerge(tokens[left], tokens[right]));
            learner.Merge(left, right, merged);
        }

        return new BpeVocabulary(tokens, merges);
    }
}
