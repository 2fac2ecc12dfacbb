using System.IO.Compression;

namespace TinyGpt.Text;

/// <summary>Extracts a zip, refusing entries that would land outside the target folder ("zip slip").</summary>
internal static class SafeZipExtractor
{
    internal static void Extract(string zipPath, string targetFolder, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(targetFolder);
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(root);
        using var archive = ZipFile.OpenRead(zipPath);

        // Check every entry before writing anything, so an unsafe archive leaves no partial output.
        var targets = new List<(ZipArchiveEntry Entry, string Path)>();
        foreach (var entry in archive.Entries)
        {
            var name = entry.FullName;
            if (name.StartsWith('/') || name.StartsWith('\\') || Path.IsPathRooted(name) || name.Contains(':', StringComparison.Ordinal))
            {
                throw Unsafe(zipPath, name, "it is an absolute path");
            }

            var destination = Path.GetFullPath(Path.Combine(root, name));
            if (!destination.StartsWith(rootWithSeparator, StringComparison.Ordinal) && destination != root)
            {
                throw Unsafe(zipPath, name, "it would be written outside the extraction folder");
            }

            targets.Add((entry, destination));
        }

        foreach (var (entry, destination) in targets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
            {
                Directory.CreateDirectory(destination);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            entry.ExtractToFile(destination, overwrite: true);
        }
    }

    private static InvalidDataException Unsafe(string zipPath, string entry, string why) =>
        new($"The archive '{zipPath}' has an entry '{entry}' that was refused because {why}. Nothing was extracted; " +
            "delete the archive and obtain a good copy.");
}
