namespace TinyGpt.Text;

/// <summary>
/// Where downloaded corpora are kept: an explicit folder, else the <c>TINYGPT_CACHE</c> environment
/// variable, else <c>~/.cache/tinygpt</c>.
/// </summary>
public static class DataCacheDirectory
{
    /// <summary>The environment variable that overrides the default cache folder.</summary>
    public const string EnvironmentVariable = "TINYGPT_CACHE";

    /// <summary>The default cache folder, <c>~/.cache/tinygpt</c>.</summary>
    public static string Default =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "tinygpt");

    /// <summary>Returns <paramref name="explicitDirectory"/> when given, else the environment variable, else <see cref="Default"/>; always a full path.</summary>
    public static string Resolve(string? explicitDirectory = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return Path.GetFullPath(explicitDirectory);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return Path.GetFullPath(string.IsNullOrWhiteSpace(fromEnvironment) ? Default : fromEnvironment);
    }
}
