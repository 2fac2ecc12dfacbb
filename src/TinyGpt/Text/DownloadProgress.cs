namespace TinyGpt.Text;

/// <summary>How far a download has come.</summary>
/// <param name="FileName">The file being downloaded.</param>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="TotalBytes">The total size, or null when the server did not say.</param>
public readonly record struct DownloadProgress(string FileName, long BytesReceived, long? TotalBytes);
