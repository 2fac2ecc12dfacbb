using System.Drawing;

namespace TinyGpt.Reporting;

/// <summary>
/// An RGB raster with just enough drawing for charts: fills, rectangles, anti-aliased lines and
/// polylines of any thickness, filled circles and text in <see cref="BitmapFont"/>.
/// Continuous coordinates put the centre of pixel (i, j) at (i + 0.5, j + 0.5); y grows downwards.
/// Everything drawn is clipped to the canvas.
/// </summary>
internal sealed class RasterCanvas
{
    private readonly byte[] _pixels;
    private float[]? _coverage;

    /// <summary>Creates a canvas filled with <paramref name="background"/>.</summary>
    public RasterCanvas(int width, int height, Color background)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height * 3 > Array.MaxLength)
        {
            throw new ArgumentException($"A {width}x{height} canvas is too large.", nameof(width));
        }

        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        Clear(background);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Row-major RGB bytes, top row first.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>The colour of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public Color GetPixel(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        var i = ((y * Width) + x) * 3;
        return Color.FromArgb(_pixels[i], _pixels[i + 1], _pixels[i + 2]);
    }

    /// <summary>Paints every pixel with <paramref name="color"/>.</summary>
    public void Clear(Color color) => FillRectangle(0, 0, Width, Height, color);

    /// <summary>Paints pixel (<paramref name="x"/>, <paramref name="y"/>) if it lies on the canvas.</summary>
    public void SetPixel(int x, int y, Color color) => BlendPixel(x, y, color, 1f);

    /// <summary>
    /// Mixes <paramref name="color"/> into pixel (<paramref name="x"/>, <paramref name="y"/>) with weight
    /// <paramref name="alpha"/> (0 leaves it, 1 replaces it); off-canvas pixels are ignored.
    /// </summary>
    public void BlendPixel(int x, int y, Color color, float alpha)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || !(alpha > 0f))
        {
            return;
        }

        alpha = Math.Min(alpha, 1f);
        var i = ((y * Width) + x) * 3;
        _pixels[i] = Mix(_pixels[i], color.R, alpha);
        _pixels[i + 1] = Mix(_pixels[i + 1], color.G, alpha);
        _pixels[i + 2] = Mix(_pixels[i + 2], color.B, alpha);
    }

    /// <summary>Paints the pixels of an axis-aligned rectangle, clipped to the canvas.</summary>
    public void FillRectangle(int x, int y, int width, int height, Color color)
    {
        var x0 = Math.Max(0, x);
        var y0 = Math.Max(0, y);
        var x1 = (int)Math.Min(Width, (long)x + width);
        var y1 = (int)Math.Min(Height, (long)y + height);
        for (var row = y0; row < y1; row++)
        {
            for (var col = x0; col < x1; col++)
            {
                var i = ((row * Width) + col) * 3;
                _pixels[i] = color.R;
                _pixels[i + 1] = color.G;
                _pixels[i + 2] = color.B;
            }
        }
    }

    /// <summary>Paints the outline of a rectangle, <paramref name="thickness"/> pixels wide, inside its bounds.</summary>
    public void DrawRectangle(int x, int y, int width, int height, Color color, int thickness = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(thickness);
        FillRectangle(x, y, width, thickness, color);
        FillRectangle(x, y + height - thickness, width, thickness, color);
        FillRectangle(x, y, thickness, height, color);
        FillRectangle(x + width - thickness, y, thickness, height, color);
    }

    /// <summary>Draws an anti-aliased straight line with round ends.</summary>
    public void DrawLine(double x0, double y0, double x1, double y1, Color color, double thickness = 2, float opacity = 1f) =>
        DrawPolyline([new PointF((float)x0, (float)y0), new PointF((float)x1, (float)y1)], color, thickness, opacity);

    /// <summary>
    /// Draws connected anti-aliased segments with round joins. Coverage is combined per pixel before
    /// blending, so translucent lines do not darken where segments meet. Only pixels inside
    /// <paramref name="clip"/> (default: the whole canvas) are touched.
    /// </summary>
    public void DrawPolyline(IReadOnlyList<PointF> points, Color color, double thickness = 2, float opacity = 1f, Rectangle? clip = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (!(thickness > 0) || double.IsInfinity(thickness))
        {
            throw new ArgumentOutOfRangeException(nameof(thickness), thickness, "Line thickness must be positive and finite.");
        }

        if (points.Count == 0)
        {
            return;
        }

        var bounds = Rectangle.Intersect(clip ?? new Rectangle(0, 0, Width, Height), new Rectangle(0, 0, Width, Height));
        if (bounds.IsEmpty)
        {
            return;
        }

        var coverage = _coverage ??= new float[Width * Height];
        var half = thickness / 2;
        var reach = half + 0.5;
        int touchedLeft = int.MaxValue, touchedTop = int.MaxValue, touchedRight = int.MinValue, touchedBottom = int.MinValue;
        for (var s = 0; s < Math.Max(1, points.Count - 1); s++)
        {
            var a = points[s];
            var b = points[Math.Min(s + 1, points.Count - 1)];
            if (!float.IsFinite(a.X) || !float.IsFinite(a.Y) || !float.IsFinite(b.X) || !float.IsFinite(b.Y))
            {
                continue;
            }

            var left = Math.Max(bounds.Left, (int)Math.Floor(Math.Min(a.X, b.X) - reach));
            var right = Math.Min(bounds.Right - 1, (int)Math.Ceiling(Math.Max(a.X, b.X) + reach));
            var top = Math.Max(bounds.Top, (int)Math.Floor(Math.Min(a.Y, b.Y) - reach));
            var bottom = Math.Min(bounds.Bottom - 1, (int)Math.Ceiling(Math.Max(a.Y, b.Y) + reach));
            if (left > right || top > bottom)
            {
                continue;
            }

            double dx = b.X - a.X, dy = b.Y - a.Y;
            var lengthSquared = (dx * dx) + (dy * dy);
            for (var y = top; y <= bottom; y++)
            {
                for (var x = left; x <= right; x++)
                {
                    double px = x + 0.5 - a.X, py = y + 0.5 - a.Y;
                    var t = lengthSquared > 0 ? Math.Clamp(((px * dx) + (py * dy)) / lengthSquared, 0, 1) : 0;
                    double ex = px - (t * dx), ey = py - (t * dy);
                    var c = (float)Math.Clamp(reach - Math.Sqrt((ex * ex) + (ey * ey)), 0, 1);
                    if (thickness < 1)
                    {
                        c *= (float)thickness;
                    }

                    ref var cell = ref coverage[(y * Width) + x];
                    if (c > cell)
                    {
                        cell = c;
                    }
                }
            }

            touchedLeft = Math.Min(touchedLeft, left);
            touchedRight = Math.Max(touchedRight, right);
            touchedTop = Math.Min(touchedTop, top);
            touchedBottom = Math.Max(touchedBottom, bottom);
        }

        for (var y = touchedTop; y <= touchedBottom; y++)
        {
            for (var x = touchedLeft; x <= touchedRight; x++)
            {
                ref var cell = ref coverage[(y * Width) + x];
                if (cell > 0)
                {
                    BlendPixel(x, y, color, cell * opacity);
                    cell = 0;
                }
            }
        }
    }

    /// <summary>Fills an anti-aliased disc centred at (<paramref name="cx"/>, <paramref name="cy"/>).</summary>
    public void FillCircle(double cx, double cy, double radius, Color color, float opacity = 1f)
    {
        if (!(radius > 0) || !double.IsFinite(cx) || !double.IsFinite(cy) || double.IsInfinity(radius))
        {
            return;
        }

        var reach = radius + 0.5;
        var left = Math.Max(0, (int)Math.Floor(cx - reach));
        var right = Math.Min(Width - 1, (int)Math.Ceiling(cx + reach));
        var top = Math.Max(0, (int)Math.Floor(cy - reach));
        var bottom = Math.Min(Height - 1, (int)Math.Ceiling(cy + reach));
        for (var y = top; y <= bottom; y++)
        {
            for (var x = left; x <= right; x++)
            {
                double ex = x + 0.5 - cx, ey = y + 0.5 - cy;
                var c = Math.Clamp(reach - Math.Sqrt((ex * ex) + (ey * ey)), 0, 1);
                BlendPixel(x, y, color, (float)c * opacity);
            }
        }
    }

    /// <summary>Width in pixels of <paramref name="text"/> drawn at integer <paramref name="scale"/>.</summary>
    public static int MeasureText(string text, int scale = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        return BitmapFont.Measure(text) * scale;
    }

    /// <summary>
    /// Draws <paramref name="text"/> left to right with the top of its capitals at
    /// (<paramref name="x"/>, <paramref name="y"/>), each font pixel a
    /// <paramref name="scale"/> x <paramref name="scale"/> block; returns the width drawn.
    /// </summary>
    public int DrawText(int x, int y, string text, Color color, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        var pen = x;
        foreach (var c in text)
        {
            var glyph = BitmapFont.Get(c);
            for (var row = 0; row < BitmapFont.CellHeight; row++)
            {
                for (var col = glyph.Left; col < BitmapFont.CellWidth; col++)
                {
                    if (glyph.IsSet(row, col))
                    {
                        FillRectangle(pen + ((col - glyph.Left) * scale), y + (row * scale), scale, scale, color);
                    }
                }
            }

            pen += glyph.Advance * scale;
        }

        return MeasureText(text, scale);
    }

    /// <summary>
    /// Draws <paramref name="text"/> rotated a quarter turn anticlockwise (reading bottom to top),
    /// starting at the bottom with the top of its capitals on column <paramref name="x"/>;
    /// returns the length drawn.
    /// </summary>
    public int DrawTextUpwards(int x, int bottom, string text, Color color, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        var pen = bottom;
        foreach (var c in text)
        {
            var glyph = BitmapFont.Get(c);
            for (var row = 0; row < BitmapFont.CellHeight; row++)
            {
                for (var col = glyph.Left; col < BitmapFont.CellWidth; col++)
                {
                    if (glyph.IsSet(row, col))
                    {
                        FillRectangle(x + (row * scale), pen - ((col - glyph.Left + 1) * scale), scale, scale, color);
                    }
                }
            }

            pen -= glyph.Advance * scale;
        }

        return MeasureText(text, scale);
    }

    /// <summary>Encodes the canvas as an RGB PNG file image.</summary>
    public byte[] ToPng() => PngEncoder.Encode(Width, Height, _pixels, PngPixelFormat.Rgb);

    /// <summary>Writes the canvas to <paramref name="stream"/> as an RGB PNG file.</summary>
    public void WritePng(Stream stream) => PngEncoder.Write(stream, Width, Height, _pixels, PngPixelFormat.Rgb);

    private static byte Mix(byte under, byte over, float alpha) =>
        (byte)Math.Clamp((int)MathF.Round(under + ((over - under) * alpha)), 0, 255);
}
