using TinyGpt.Runs;
using TinyGpt.Serialization;
using TinyGpt.Text;

namespace TinyGpt.Hosting;

/// <summary>
/// What a <see cref="GptBuilder"/> trains on: WikiText (downloaded once, or from a local folder),
/// your own text files, or text held in memory.
/// </summary>
public sealed class CorpusSource
{
    private readonly Action<RunPreparationOptions, string> _apply;
    private readonly Func<IEnumerable<string>> _validate;

    private CorpusSource(string description, Action<RunPreparationOptions, string> apply, Func<IEnumerable<string>> validate)
    {
        Description = description;
        _apply = apply;
        _validate = validate;
    }

    /// <summary>A short description for logs, such as <c>wikitext-2 (download)</c>.</summary>
    public string Description { get; }

    /// <summary>WikiText, downloaded once and cached.</summary>
    /// <param name="dataset"><see cref="WikiTextDataset.WikiText2Raw"/> (the default) or <see cref="WikiTextDataset.WikiText103Raw"/>.</param>
    /// <param name="cacheDirectory">Where downloads are cached; null uses <c>TINYGPT_CACHE</c> or <c>~/.cache/tinygpt</c>.</param>
    /// <param name="downloadBaseUri">Where to download from; null uses the official host.</param>
    public static CorpusSource WikiText(WikiTextDataset? dataset = null, string? cacheDirectory = null, Uri? downloadBaseUri = null)
    {
        var chosen = dataset ?? WikiTextDataset.WikiText2Raw;
        return new($"{chosen} (download)", (options, _) =>
        {
            options.Dataset = chosen;
            options.CacheDirectory = cacheDirectory;
            options.DownloadBaseUri = downloadBaseUri;
        }, () => []);
    }

    /// <summary>WikiText from a local folder holding <c>wiki.{train,valid,test}.raw</c>.</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="dataset">Which dataset's checksums to verify: <see cref="WikiTextDataset.WikiText2Raw"/> (the default) or <see cref="WikiTextDataset.WikiText103Raw"/>.</param>
    public static CorpusSource WikiTextFolder(string folder, WikiTextDataset? dataset = null)
    {
        var chosen = dataset ?? WikiTextDataset.WikiText2Raw;
        return new($"{chosen} ({folder})", (options, _) =>
        {
            options.Dataset = chosen;
            options.DataDirectory = folder;
        }, () =>
            string.IsNullOrWhiteSpace(folder) ? ["The WikiText folder is empty; give the folder holding wiki.train.raw."]
            : Directory.Exists(folder) ? [] : [$"The WikiText folder '{folder}' does not exist."]);
    }

    /// <summary>Your own UTF-8 text files; the last lines become the validation split.</summary>
    /// <param name="files">The files, in order.</param>
    /// <param name="validationFraction">Share of the lines held out for validation, in (0, 0.5].</param>
    public static CorpusSource TextFiles(IReadOnlyList<string> files, double validationFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(files);
        var copy = files.ToArray();
        return new($"{copy.Length} text file(s)", (options, _) =>
        {
            options.TextFiles = copy;
            options.ValidationFraction = validationFraction;
        }, () => ValidateFraction(validationFraction).Concat(
            copy.Length == 0 ? ["Give at least one text file."]
            : copy.Where(f => !File.Exists(f)).Select(f => $"The text file '{f}' does not exist.")));
    }

    /// <summary>Text held in memory; it is written to <c>corpus/text.txt</c> in the run folder when the run is prepared.</summary>
    /// <param name="text">The text; lines end with <c>\n</c>.</param>
    /// <param name="validationFraction">Share of the lines held out for validation, in (0, 0.5].</param>
    public static CorpusSource Text(string text, double validationFraction = 0.1)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new("in-memory text", (options, runDirectory) =>
        {
            var path = Path.Combine(runDirectory, "corpus", "text.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!File.Exists(path) || File.ReadAllText(path) != text)
            {
                AtomicFile.WriteAllText(path, text);
            }

            options.TextFiles = [path];
            options.ValidationFraction = validationFraction;
        }, () => ValidateFraction(validationFraction).Concat(
            string.IsNullOrWhiteSpace(text) ? ["The corpus text is empty."]
            : text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 2 ? ["The corpus text needs at least two lines: one to train on and one to validate on."]
            : []));
    }

    internal IEnumerable<string> Validate() => _validate();

    internal void ApplyTo(RunPreparationOptions options) => _apply(options, options.RunDirectory);

    private static IEnumerable<string> ValidateFraction(double fraction) =>
        fraction is > 0 and <= 0.5 ? [] : [$"The validation fraction must be in (0, 0.5] (got {fraction}): training evaluates on the held-out lines."];
}
