namespace TinyGpt.Text;

/// <summary>
/// WikiText from a folder holding any of <c>wiki.train.raw</c>, <c>wiki.valid.raw</c> and
/// <c>wiki.test.raw</c>: a downloaded copy, or files supplied by hand for offline use.
/// </summary>
public sealed class WikiTextCorpus : ITextCorpus
{
    private readonly WikiTextDataset? _dataset;

    private WikiTextCorpus(string name, string folder, WikiTextDataset? dataset, IReadOnlyList<string> available)
    {
        Name = name;
        Folder = folder;
        _dataset = dataset;
        AvailableSplits = available;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The folder that holds the <c>wiki.*.raw</c> files.</summary>
    public string Folder { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> AvailableSplits { get; }

    /// <summary>
    /// Opens a folder of <c>wiki.{train,valid,test}.raw</c> files (any subset). Each file present whose
    /// hash <paramref name="dataset"/> knows is checked now, so a corrupt copy fails here rather than
    /// mid-training.
    /// </summary>
    /// <param name="folder">The folder holding the files.</param>
    /// <param name="dataset">Whose hashes to check against; WikiText-2 raw when null.</param>
    /// <param name="verifyChecksums">False to skip the check, for folders that hold other text in the same layout.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds none of the split files.</exception>
    /// <exception cref="InvalidDataException">A file does not match its known sha256.</exception>
    public static WikiTextCorpus FromFolder(string folder, WikiTextDataset? dataset = null, bool verifyChecksums = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        dataset ??= WikiTextDataset.WikiText2Raw;
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException(
                $"The WikiText folder '{full}' does not exist. Point the local data folder (CLI: --data-dir) at a folder holding " +
                $"wiki.train.raw, wiki.valid.raw and/or wiki.test.raw, unzipped from {dataset.ArchiveUri()}.");
        }

        var available = SplitNames.All.Where(s => File.Exists(Path.Combine(full, WikiTextDataset.SplitFileName(s)))).ToArray();
        if (available.Length == 0)
        {
            throw new FileNotFoundException(
                $"The folder '{full}' holds none of wiki.train.raw, wiki.valid.raw, wiki.test.raw. Unzip {dataset.ArchiveUri()} " +
                $"and point the local data folder (CLI: --data-dir) at its '{dataset.MemberFolder}' folder.");
        }

        if (verifyChecksums)
        {
            foreach (var split in available)
            {
                if (dataset.MemberSha256.TryGetValue(split, out var expected))
                {
                    var path = Path.Combine(full, WikiTextDataset.SplitFileName(split));
                    var actual = Sha256Hex.OfFile(path);
                    if (actual != expected)
                    {
                        throw new InvalidDataException(
                            $"'{path}' has sha256 {actual}, but {dataset.Name} expects {expected}. The file is corrupt or a different " +
                            $"version: replace it with the one from {dataset.ArchiveUri()}. If the folder holds another WikiText, pass its dataset " +
                            "(for example WikiTextDataset.WikiText103Raw); if it deliberately holds other text, open it without " +
                            "checksum verification (verifyChecksums: false).");
                    }
                }
            }
        }

        return new WikiTextCorpus(dataset.Name, full, verifyChecksums ? dataset : null, available);
    }

    /// <inheritdoc />
    public TextSplit GetSplit(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!SplitNames.All.Contains(name))
        {
            throw new ArgumentException($"Unknown split '{name}'; use one of {string.Join(", ", SplitNames.All)}.", nameof(name));
        }

        var path = Path.Combine(Folder, WikiTextDataset.SplitFileName(name));
        if (!AvailableSplits.Contains(name))
        {
            var source = _dataset is null ? "" : $" It is in {_dataset.ArchiveUri()} (folder '{_dataset.MemberFolder}').";
            throw new FileNotFoundException(
                $"The {name} split is not available: '{path}' does not exist.{source} Put the file there, or use a split this folder has " +
                $"({string.Join(", ", AvailableSplits)}).",
                path);
        }

        return TextSplit.FromFile(name, path);
    }
}
