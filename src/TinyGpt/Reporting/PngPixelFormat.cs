namespace TinyGpt.Reporting;

/// <summary>The 8-bit-per-channel pixel layouts <see cref="PngEncoder"/> writes; values are PNG colour types.</summary>
internal enum PngPixelFormat : byte
{
    /// <summary>Three bytes per pixel: red, green, blue.</summary>
    Rgb = 2,

    /// <summary>Four bytes per pixel: red, green, blue, alpha (not premultiplied).</summary>
    Rgba = 6,
}
