using System.Drawing;
using TinyGpt.Reporting;

namespace TinyGpt.Tests.Reporting;

public sealed class LossCurveChartTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "tinygpt-chart-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static List<(double Tokens, double Loss)> Decaying(int count, double tokensPerPoint, double floor, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(1, count)
            .Select(i => (i * tokensPerPoint, floor + (6 * Math.Exp(-i / (count / 6.0))) + ((random.NextDouble() - 0.5) * 0.2)))
            .ToList();
    }

    private static int CountColour(PngTestDecoder png, Color colour, int fromX, int toX, int fromY = 0)
    {
        var count = 0;
        for (var y = fromY; y < png.Height; y++)
        {
            for (var x = fromX; x < toX; x++)
            {
                if (png.GetRgb(x, y) == (colour.R, colour.G, colour.B))
                {
                    count++;
                }
            }
        }

        return count;
    }

    [Fact]
    public void Writes_a_valid_png_of_the_requested_size_with_both_curves()
    {
        var path = Path.Combine(_folder, "run", "loss.png");
        LossCurveChart.WritePng(path, Decaying(400, 2048, 3, 1), Decaying(8, 102400, 3.2, 2), "test run", 640, 400);

        var png = PngTestDecoder.Decode(File.ReadAllBytes(path));
        png.Width.Should().Be(640);
        png.Height.Should().Be(400);
        // The legend sits at the top right: the left half holds only the curves.
        CountColour(png, LossCurveChart.TrainColor, 0, 320).Should().BeGreaterThan(100);
        CountColour(png, LossCurveChart.ValidationColor, 0, 320).Should().BeGreaterThan(20);
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().Equal(path);
    }

    [Fact]
    public void Without_validation_there_is_no_validation_colour_and_the_file_is_replaced()
    {
        var path = Path.Combine(_folder, "loss.png");
        Directory.CreateDirectory(_folder);
        File.WriteAllText(path, "old");
        LossCurveChart.WritePng(path, Decaying(50, 1000, 2, 3), [], width: 300, height: 200);

        var png = PngTestDecoder.Decode(File.ReadAllBytes(path));
        (png.Width, png.Height).Should().Be((300, 200));
        CountColour(png, LossCurveChart.TrainColor, 0, 150).Should().BeGreaterThan(20);
        CountColour(png, LossCurveChart.ValidationColor, 0, 300).Should().Be(0);
    }

    [Fact]
    public void Non_finite_points_are_skipped_and_a_single_train_point_is_drawn()
    {
        var path = Path.Combine(_folder, "one.png");
        LossCurveChart.WritePng(
            path,
            [(double.NaN, 3), (1000, double.PositiveInfinity), (2000, 4.5)],
            [(double.NegativeInfinity, 1), (3000, double.NaN)],
            width: 400,
            height: 300);

        var png = PngTestDecoder.Decode(File.ReadAllBytes(path));
        // The lone point sits mid-plot, well below the legend.
        CountColour(png, LossCurveChart.TrainColor, 0, 400, fromY: 100).Should().BeGreaterThan(10);
        CountColour(png, LossCurveChart.ValidationColor, 0, 400).Should().Be(0);
    }

    [Fact]
    public void Bad_input_is_rejected()
    {
        var path = Path.Combine(_folder, "bad.png");
        List<(double, double)> good = [(1, 2), (2, 1)];
        var act = () => LossCurveChart.WritePng(path, [], []);
        act.Should().Throw<ArgumentException>().WithParameterName("train").WithMessage("*empty*");
        act = () => LossCurveChart.WritePng(path, [(double.NaN, 1), (1, double.NaN)], []);
        act.Should().Throw<ArgumentException>().WithParameterName("train").WithMessage("*finite*");
        act = () => LossCurveChart.WritePng(path, null!, []);
        act.Should().Throw<ArgumentNullException>();
        act = () => LossCurveChart.WritePng(path, good, null!);
        act.Should().Throw<ArgumentNullException>();
        act = () => LossCurveChart.WritePng(" ", good, []);
        act.Should().Throw<ArgumentException>();
        act = () => LossCurveChart.WritePng(path, good, [], width: 10);
        act.Should().Throw<ArgumentOutOfRangeException>();
        act = () => LossCurveChart.WritePng(path, good, [], height: 100_000);
        act.Should().Throw<ArgumentOutOfRangeException>();
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void Smoothing_follows_the_trend_without_lag_and_keeps_the_tokens()
    {
        var noisy = Enumerable.Range(0, 500).Select(i => (Tokens: (double)i, Loss: 10 - (i * 0.01) + (i % 2 == 0 ? 0.5 : -0.5))).ToList();
        var smooth = LossCurveChart.MovingAverage(noisy);
        smooth.Select(p => p.Tokens).Should().Equal(noisy.Select(p => p.Tokens));
        for (var i = 50; i < 450; i++)
        {
            smooth[i].Loss.Should().BeApproximately(10 - (i * 0.01), 0.1);
        }
    }
}
