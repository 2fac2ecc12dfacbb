namespace TinyGpt.Text;

/// <summary>
/// Describes a WikiText archive: where it is downloaded from, its pinned sha256, and the folder
/// inside the zip that holds <c>wiki.{train,valid,test}.raw</c>.
/// </summary>
public sealed class WikiTextDataset
{
    /// <summary>The official base address of the WikiText archives.</summary>
    public static readonly Uri OfficialBaseUri = new("https://wikitext.smerity.com/");

    /// <summary>Creates a descriptor; tests and mirrors use it for archives other than the two built in.</summary>
    /// <param name="name">A name for the cache folder and messages, for example <c>wikitext-2-raw</c>.</param>
    /// <param name="archiveFileName">The zip's file name, appended to the base address.</param>
    /// <param name="archiveSha256">The zip's sha256, lower-case hex.</param>
    /// <param name="archiveSize">The zip's size in bytes, or null when not known.</param>
    /// <param name="memberFolder">The folder inside the zip that holds the <c>wiki.*.raw</c> files.</param>
    /// <param name="memberSha256">Known sha256 of each split's file, by split name; splits not listed are not checked.</param>
    public WikiTextDataset(
        string name,
        string archiveFileName,
        string archiveSha256,
        long? archiveSize,
        string memberFolder,
        IReadOnlyDictionary<string, string>? memberSha256 = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(archiveFileName);
        ArgumentException.ThrowIfNullOrWhiteSpace(memberFolder);
        if (!Sha256Hex.IsValid(archiveSha256))
        {
            throw new ArgumentException($"The archive sha256 must be 64 lower-case hex digits; got '{archiveSha256}'.", nameof(archiveSha256));
        }

        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (split, hash) in memberSha256 ?? new Dictionary<string, string>())
        {
            if (!SplitNames.All.Contains(split))
            {
                throw new ArgumentException($"Unknown split '{split}' in member hashes; use one of {string.Join(", ", SplitNames.All)}.", nameof(memberSha256));
            }

            if (!Sha256Hex.IsValid(hash))
            {
                throw new ArgumentException($"The sha256 of split '{split}' must be 64 lower-case hex digits; got '{hash}'.", nameof(memberSha256));
            }

            members[split] = hash;
        }

        Name = name;
        ArchiveFileName = archiveFileName;
        ArchiveSha256 = archiveSha256;
        ArchiveSize = archiveSize;
        MemberFolder = memberFolder;
        MemberSha256 = members;
    }

    /// <summary>WikiText-2 raw v1 (about 2 M training words), with the published hashes of the zip and its members.</summary>
    public static WikiTextDataset WikiText2Raw { get; } = new(
        "wikitext-2-raw",
        "wikitext-2-raw-v1.zip",
        "ef7edb566e3e2b2d31b29c1fdb0c89a4cc683597484c3dc2517919c615435a11",
        4_721_645,
        "wikitext-2-raw",
        new Dictionary<string, string>
        {
            [SplitNames.Train] = "6707892fa3788b5ab9ed78ab5ff37d9fe825f6011a2ad4fcd6a6d467f0e7da57",
            [SplitNames.Valid] = "4cd0f6876d07a413aa911261ff6d363c72d757d47f0fdd6015702014c89cb9c7",
            [SplitNames.Test] = "173c87a53759e0201f33e0ccf978e510c2042d7f2cb78229d9a50d79b9e7dd08",
        });

    /// <summary>WikiText-103 raw v1 (about 103 M training words); only the zip's hash is pinned.</summary>
    public static WikiTextDataset WikiText103Raw { get; } = new(
        "wikitext-103-raw",
        "wikitext-103-raw-v1.zip",
        "91c00ae287f0d699e18605c84afc9e45c192bc6b7797ff8837e5474655a33794",
        191_984_949,
        "wikitext-103-raw");

    /// <summary>The built-in datasets: WikiText-2 and WikiText-103 (raw).</summary>
    public static IReadOnlyList<WikiTextDataset> BuiltIn => [WikiText2Raw, WikiText103Raw];

    /// <summary>A name for the cache folder and messages.</summary>
    public string Name { get; }

    /// <summary>The short name users type: <see cref="Name"/> without <c>-raw</c> (<c>wikitext-2</c>).</summary>
    public string ShortName => Name.EndsWith("-raw", StringComparison.Ordinal) ? Name[..^4] : Name;

    /// <summary>The built-in dataset named <paramref name="name"/> (<c>wikitext-2</c>, <c>wikitext-103</c>, or their full names; case-insensitive).</summary>
    /// <exception cref="ArgumentException">No built-in dataset has that name.</exception>
    public static WikiTextDataset Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var wanted = name.Trim();
        return BuiltIn.FirstOrDefault(d => string.Equals(d.ShortName, wanted, StringComparison.OrdinalIgnoreCase) || string.Equals(d.Name, wanted, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown WikiText dataset '{name}'; use {string.Join(" or ", BuiltIn.Select(d => d.ShortName))}.", nameof(name));
    }

    /// <inheritdoc />
    public override string ToString() => ShortName;

    /// <summary>The zip's file name, appended to the base address.</summary>
    public string ArchiveFileName { get; }

    /// <summary>The zip's sha256, lower-case hex.</summary>
    public string ArchiveSha256 { get; }

    /// <summary>The zip's size in bytes, or null when not known.</summary>
    public long? ArchiveSize { get; }

    /// <summary>The folder inside the zip that holds the <c>wiki.*.raw</c> files.</summary>
    public string MemberFolder { get; }

    /// <summary>Known sha256 of each split's file, by split name.</summary>
    public IReadOnlyDictionary<string, string> MemberSha256 { get; }

    /// <summary>The download address of the zip under <paramref name="baseUri"/>.</summary>
    public Uri ArchiveUri(Uri? baseUri = null)
    {
        var root = baseUri ?? OfficialBaseUri;
        if (!root.AbsoluteUri.EndsWith('/'))
        {
            root = new Uri(root.AbsoluteUri + "/");
        }

        return new Uri(root, ArchiveFileName);
    }

    /// <summary>The file name of a split inside the member folder: <c>wiki.{split}.raw</c>.</summary>
    public static string SplitFileName(string split) => $"wiki.{split}.raw";
}
