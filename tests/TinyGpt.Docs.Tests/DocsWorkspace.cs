namespace TinyGpt.Docs.Tests;

/// <summary>
/// A temporary folder that plays the reader's current directory, so snippets with relative paths
/// (<c>runs/demo</c>, <c>a.txt</c>, <c>wiki.train.raw</c>) run as written. <see cref="Enter"/> makes it
/// the process's current directory until the returned scope ends; the tests of this assembly run
/// one at a time (see <c>TestAssembly.cs</c>), so that is safe.
/// </summary>
public sealed class DocsWorkspace : IDisposable
{
    /// <summary>The folder.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tinygpt-docs-" + Guid.NewGuid().ToString("N"));

    /// <summary>Creates the folder.</summary>
    public DocsWorkspace() => Directory.CreateDirectory(Path);

    /// <summary>A path inside the folder.</summary>
    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>Writes a file inside the folder, creating its parent folders.</summary>
    public string Write(string relative, string text)
    {
        var path = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Makes <paramref name="relative"/> (the folder itself by default) the current directory until the scope is disposed.</summary>
    public IDisposable Enter(string relative = ".") => new CurrentDirectoryScope(File(relative));

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }

    private sealed class CurrentDirectoryScope : IDisposable
    {
        private readonly string _previous = Environment.CurrentDirectory;

        public CurrentDirectoryScope(string directory) => Environment.CurrentDirectory = directory;

        public void Dispose() => Environment.CurrentDirectory = _previous;
    }
}
