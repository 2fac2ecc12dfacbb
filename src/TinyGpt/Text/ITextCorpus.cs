namespace TinyGpt.Text;

/// <summary>
/// A body of text with named splits (<see cref="SplitNames"/>): WikiText from a download or a local
/// folder, or the user's own files.
/// </summary>
public interface ITextCorpus
{
    /// <summary>A short name for the corpus, used in cache file names and logs (for example <c>wikitext-2-raw</c>).</summary>
    string Name { get; }

    /// <summary>The splits this corpus holds; a split not listed here is not available.</summary>
    IReadOnlyList<string> AvailableSplits { get; }

    /// <summary>Returns a split by name.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="SplitNames"/>.</exception>
    /// <exception cref="FileNotFoundException">The corpus does not hold that split; the message says how to supply it.</exception>
    TextSplit GetSplit(string name);
}
