using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace TinyGpt.Cli.Tests;

/// <summary>
/// Reads an 8-bit RGB or RGBA PNG into pixels with only the PNG specification: chunks, zlib
/// inflate, and the five row filters (none, sub, up, average, Paeth). Enough to check what a chart
/// drew, independently of the library that drew it.
/// </summary>
internal sealed class PngPixels
{
    private readonly byte[] _pixels;
    private readonly int _channels;

    private PngPixels(int width, int height, int channels, byte[] pixels) => (Width, Height, _channels, _pixels) = (width, height, channels, pixels);

    public int Width { get; }

    public int Height { get; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            var at = ((y * Width) + x) * _channels;
            return (_pixels[at], _pixels[at + 1], _pixels[at + 2]);
        }
    }

    /// <summary>Pixels within <paramref name="tolerance"/> of a colour in every channel (anti-aliasing blends edges).</summary>
    public int Count((byte R, byte G, byte B) colour, int tolerance = 8)
    {
        var count = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var (r, g, b) = this[x, y];
                if (Math.Abs(r - colour.R) <= tolerance && Math.Abs(g - colour.G) <= tolerance && Math.Abs(b - colour.B) <= tolerance)
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Near-black pixels in the middle half of the rows [<paramref name="fromY"/>, <paramref name="toY"/>),
    /// leaving out rows that are mostly dark (a frame line), so what is counted is text.
    /// </summary>
    public int CountText(int fromY, int toY)
    {
        var count = 0;
        for (var y = fromY; y < Math.Min(toY, Height); y++)
        {
            var row = 0;
            for (var x = Width / 4; x < 3 * Width / 4; x++)
            {
                var (r, g, b) = this[x, y];
                row += r < 96 && g < 96 && b < 96 ? 1 : 0;
            }

            count += row < Width / 4 ? row : 0;
        }

        return count;
    }

    public static PngPixels Read(string path)
    {
        var file = File.ReadAllBytes(path);
        file.AsSpan(0, 8).SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }).Should().BeTrue("a PNG starts with its signature");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var at = 8; at < file.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            var type = Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                data[8].Should().Be(8, "8 bits per channel");
                channels = data[9] switch { 2 => 3, 6 => 4, var other => throw new InvalidDataException($"colour type {other}") };
                data[12].Should().Be(0, "not interlaced");
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            at += 12 + length;
        }

        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        var rows = raw.ToArray();
        var stride = width * channels;
        var pixels = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            var filter = rows[y * (stride + 1)];
            for (var i = 0; i < stride; i++)
            {
                var value = rows[(y * (stride + 1)) + 1 + i];
                int left = i >= channels ? pixels[(y * stride) + i - channels] : 0;
                int up = y > 0 ? pixels[((y - 1) * stride) + i] : 0;
                int upLeft = y > 0 && i >= channels ? pixels[((y - 1) * stride) + i - channels] : 0;
                pixels[(y * stride) + i] = (byte)(filter switch
                {
                    0 => value,
                    1 => value + left,
                    2 => value + up,
                    3 => value + ((left + up) / 2),
                    4 => value + Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }
        }

        return new PngPixels(width, height, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
