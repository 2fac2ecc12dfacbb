using System.Buffers.Binary;
using System.IO.Compression;

namespace TinyGpt.Reporting;

/// <summary>
/// A minimal PNG writer: 8-bit RGB or RGBA, no interlacing, filter type 0 (None) on every row,
/// the image data compressed with zlib into one IDAT chunk, then IEND.
/// </summary>
internal static class PngEncoder
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Bytes per pixel of <paramref name="format"/>.</summary>
    public static int Channels(PngPixelFormat format) => format switch
    {
        PngPixelFormat.Rgb => 3,
        PngPixelFormat.Rgba => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Only RGB and RGBA are supported."),
    };

    /// <summary>Encodes row-major, top-to-bottom pixels into a PNG file image.</summary>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> pixels, PngPixelFormat format)
    {
        using var stream = new MemoryStream();
        Write(stream, width, height, pixels, format);
        return stream.ToArray();
    }

    /// <summary>Writes row-major, top-to-bottom pixels to <paramref name="stream"/> as a PNG file.</summary>
    public static void Write(Stream stream, int width, int height, ReadOnlySpan<byte> pixels, PngPixelFormat format)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var channels = Channels(format);
        var stride = (long)width * channels;
        if (stride + 1 > int.MaxValue || (stride + 1) * height > int.MaxValue)
        {
            throw new ArgumentException($"A {width}x{height} image is too large for this encoder.", nameof(width));
        }

        if (pixels.Length != stride * height)
        {
            throw new ArgumentException(
                $"Expected {stride * height} bytes for a {width}x{height} {format} image, got {pixels.Length}.",
                nameof(pixels));
        }

        stream.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bit depth
        header[9] = (byte)format;
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method: adaptive (per-row filter byte)
        header[12] = 0; // no interlace
        WriteChunk(stream, "IHDR"u8, header);

        WriteChunk(stream, "IDAT"u8, Compress(pixels, (int)stride, height));
        WriteChunk(stream, "IEND"u8, []);
    }

    private static byte[] Compress(ReadOnlySpan<byte> pixels, int stride, int height)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            ReadOnlySpan<byte> filterNone = [0];
            for (var y = 0; y < height; y++)
            {
                zlib.Write(filterNone);
                zlib.Write(pixels.Slice(y * stride, stride));
            }
        }

        return compressed.ToArray();
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        stream.Write(type);
        stream.Write(data);
        var crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, type), data));
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }
}
