namespace TinyGpt.Distributed.Tests.Training;

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tinygpt-ddp-").FullName;

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; a leftover temp folder does not fail a test.
        }
    }
}
