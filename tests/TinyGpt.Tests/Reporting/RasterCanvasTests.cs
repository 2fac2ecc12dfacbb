using System.Drawing;
using TinyGpt.Reporting;

namespace TinyGpt.Tests.Reporting;

public class RasterCanvasTests
{
    private static readonly Color Red = Color.FromArgb(255, 0, 0);

    private static bool Same(Color a, Color b) => a.R == b.R && a.G == b.G && a.B == b.B;

    [Fact]
    public void Rectangles_are_filled_and_clipped_to_the_canvas()
    {
        var canvas = new RasterCanvas(10, 10, Color.White);
        canvas.FillRectangle(8, 8, 5, 5, Red);
        Same(canvas.GetPixel(9, 9), Red).Should().BeTrue();
        Same(canvas.GetPixel(7, 9), Color.White).Should().BeTrue();
        canvas.DrawRectangle(0, 0, 5, 5, Red);
        Same(canvas.GetPixel(0, 4), Red).Should().BeTrue();
        Same(canvas.GetPixel(2, 2), Color.White).Should().BeTrue();
    }

    [Fact]
    public void A_two_pixel_line_is_solid_at_its_centre_soft_at_its_edge_and_absent_beyond()
    {
        var canvas = new RasterCanvas(40, 20, Color.White);
        canvas.DrawLine(5, 10, 35, 10, Red, thickness: 2);
        Same(canvas.GetPixel(20, 9), Red).Should().BeTrue();
        Same(canvas.GetPixel(20, 10), Red).Should().BeTrue();
        Same(canvas.GetPixel(20, 12), Color.White).Should().BeTrue();
        Same(canvas.GetPixel(20, 7), Color.White).Should().BeTrue();
        Same(canvas.GetPixel(38, 10), Color.White).Should().BeTrue();

        canvas.DrawLine(5.5, 2, 35.5, 18, Red, thickness: 2);
        var partial = Enumerable.Range(0, 20).Select(y => canvas.GetPixel(20, y)).Count(c => c.G is > 0 and < 255);
        partial.Should().BeGreaterThan(0, "a diagonal line is anti-aliased");
    }

    [Fact]
    public void A_translucent_polyline_is_not_darker_where_segments_meet()
    {
        var canvas = new RasterCanvas(60, 20, Color.White);
        canvas.DrawPolyline([new PointF(5, 10.5f), new PointF(30, 10.5f), new PointF(55, 10.5f)], Red, thickness: 3, opacity: 0.5f);
        canvas.GetPixel(30, 10).Should().Be(canvas.GetPixel(15, 10));
        canvas.GetPixel(15, 10).G.Should().BeInRange(120, 135);
    }

    [Fact]
    public void Polylines_stay_inside_their_clip()
    {
        var canvas = new RasterCanvas(40, 40, Color.White);
        canvas.DrawPolyline([new PointF(0, 20), new PointF(40, 20)], Red, clip: new Rectangle(10, 0, 10, 40));
        Same(canvas.GetPixel(15, 19), Red).Should().BeTrue();
        Same(canvas.GetPixel(5, 19), Color.White).Should().BeTrue();
        Same(canvas.GetPixel(25, 19), Color.White).Should().BeTrue();
    }

    [Fact]
    public void Text_inks_pixels_within_its_measured_box()
    {
        var canvas = new RasterCanvas(120, 30, Color.White);
        var width = canvas.DrawText(2, 3, "M 1.5 loss", Red, scale: 2);
        width.Should().Be(RasterCanvas.MeasureText("M 1.5 loss", 2));
        var inked = new List<Point>();
        for (var y = 0; y < 30; y++)
        {
            for (var x = 0; x < 120; x++)
            {
                if (Same(canvas.GetPixel(x, y), Red))
                {
                    inked.Add(new Point(x, y));
                }
            }
        }

        inked.Should().NotBeEmpty();
        inked.Min(p => p.X).Should().Be(2);
        inked.Max(p => p.X).Should().Be(2 + width - 1);
        inked.Min(p => p.Y).Should().Be(3);
        inked.Max(p => p.Y).Should().BeLessThan(3 + (BitmapFont.CapHeight * 2));
    }

    [Fact]
    public void Upward_text_occupies_a_column()
    {
        var canvas = new RasterCanvas(20, 60, Color.White);
        var length = canvas.DrawTextUpwards(5, 50, "loss", Red);
        var inked = Enumerable.Range(0, 60).SelectMany(y => Enumerable.Range(0, 20).Select(x => (x, y)))
            .Where(p => Same(canvas.GetPixel(p.x, p.y), Red)).ToList();
        inked.Min(p => p.y).Should().Be(50 - length);
        inked.Max(p => p.y).Should().Be(49);
        inked.Min(p => p.x).Should().BeGreaterThanOrEqualTo(5);
        inked.Max(p => p.x).Should().BeLessThan(5 + BitmapFont.CapHeight);
    }

    [Fact]
    public void The_font_covers_ascii_and_has_descenders()
    {
        for (var c = ' '; c <= '~'; c++)
        {
            BitmapFont.Covers(c).Should().BeTrue($"'{c}' is printable ASCII");
        }

        BitmapFont.Get('g').IsSet(8, 1).Should().BeTrue();
        BitmapFont.Get('\u00e9').Should().BeSameAs(BitmapFont.Get('?'));
        BitmapFont.Measure("").Should().Be(0);
        BitmapFont.Measure("00").Should().Be((2 * BitmapFont.CellWidth) + BitmapFont.Spacing);
        BitmapFont.Measure("i").Should().BeLessThan(BitmapFont.CellWidth);
    }

    [Fact]
    public void Canvas_encodes_to_a_png_with_its_pixels()
    {
        var canvas = new RasterCanvas(9, 4, Color.FromArgb(1, 2, 3));
        canvas.SetPixel(8, 3, Red);
        var png = PngTestDecoder.Decode(canvas.ToPng());
        png.GetRgb(0, 0).Should().Be(((byte)1, (byte)2, (byte)3));
        png.GetRgb(8, 3).Should().Be(((byte)255, (byte)0, (byte)0));
    }
}
