using System.Security.Cryptography;
using System.Text;

namespace TinyGpt.Text;

/// <summary>Lower-case hexadecimal sha256 of files, streams and text.</summary>
internal static class Sha256Hex
{
    internal static string OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    internal static async Task<string> OfFileAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    internal static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    internal static bool IsValid(string? hex) =>
        hex is { Length: 64 } && hex.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
