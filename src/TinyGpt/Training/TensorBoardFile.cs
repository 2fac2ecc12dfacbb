using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Google.Protobuf;
using Tensorboard;

namespace TinyGpt.Training;

/// <summary>
/// Writes TensorBoard event files (<c>events.out.tfevents.*</c>) into a folder, so that
/// <c>tensorboard --logdir RUN/tensorboard</c> shows the run: training loss, learning rate, gradient
/// norm, tokens per second and MFU at every logged step, evaluation loss and perplexities, and the
/// sample texts. Each training session (a start or a resume) writes its own file; a resumed session
/// begins with a <c>SessionLog.START</c> at its first step, which tells TensorBoard to drop what an
/// earlier session logged after that step, so the charts show one run.
/// </summary>
/// <remarks>
/// The records are TensorBoard's: TorchSharp's protobuf <c>Event</c> messages, each framed by its
/// length and masked CRC-32C checksums. TorchSharp's own <c>SummaryWriter</c> is not used because it
/// stores wall time as <see cref="DateTime.Ticks"/> (or 0) where TensorBoard expects Unix seconds, which
/// breaks TensorBoard's wall-time and relative-time axes. Each record is appended and flushed at once,
/// so a crash loses nothing written before it.
/// </remarks>
public sealed class TensorBoardFile : ITrainingObserver
{
    private readonly Func<DateTimeOffset> _clock;
    private string? _file;

    /// <summary>Writes event files into <paramref name="folder"/> (created when training starts).</summary>
    /// <param name="folder">The log folder, by convention <c>RUN/tensorboard</c>.</param>
    /// <param name="clock">The wall clock; null uses <see cref="DateTimeOffset.UtcNow"/>.</param>
    public TensorBoardFile(string folder, Func<DateTimeOffset>? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Path.GetFullPath(folder);
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>The log folder.</summary>
    public string Folder { get; }

    /// <summary>The event file of the current session; null before training starts.</summary>
    public string? FilePath => _file;

    /// <inheritdoc />
    public void OnTrainingStarted(TrainingStarted started)
    {
        ArgumentNullException.ThrowIfNull(started);
        Directory.CreateDirectory(Folder);
        var now = _clock();
        _file = Path.Combine(Folder, string.Create(CultureInfo.InvariantCulture, $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Dns.GetHostName()}.{Environment.ProcessId}.{Guid.NewGuid():N}"));
        Append(new Event { WallTime = Seconds(now), FileVersion = "brain.Event:2" });
        if (started.StartStep > 0)
        {
            Append(new Event { WallTime = Seconds(now), Step = started.StartStep + 1, SessionLog = new SessionLog { Status = SessionLog.Types.SessionStatus.Start } });
        }
    }

    /// <inheritdoc />
    public void OnStep(TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var values = new List<(string, double)>
        {
            ("train/loss", progress.Loss),
            ("train/learning_rate", progress.LearningRate),
            ("train/grad_norm", progress.GradientNorm),
            ("train/tokens_per_second", progress.TokensPerSecond),
            ("train/tokens_seen", progress.TokensSeen),
        };
        if (progress.Mfu is { } mfu)
        {
            values.Add(("train/mfu", mfu));
        }

        Scalars(progress.Step, values);
    }

    /// <inheritdoc />
    public void OnEvaluation(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        // A partial evaluation is an estimate on a sample of the split: kept apart, never mixed in.
        var prefix = report.Partial ? "eval_estimate" : "eval";
        var values = new List<(string, double)> { ($"{prefix}/loss", report.Result.Loss), ($"{prefix}/token_perplexity", report.Result.TokenPerplexity) };
        if (report.Result.WordPerplexity is { } words)
        {
            values.Add(($"{prefix}/word_perplexity", words));
        }

        if (report.Result.BitsPerByte is { } bits)
        {
            values.Add(($"{prefix}/bits_per_byte", bits));
        }

        Scalars(report.Step, values);
    }

    /// <inheritdoc />
    public void OnSample(int step, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // TensorBoard's text plugin reads a string tensor marked with the plugin's name.
        var tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto() };
        tensor.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
        tensor.StringVal.Add(ByteString.CopyFromUtf8(text));
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value
        {
            Tag = "samples/text",
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text" } },
            Tensor = tensor,
        });
        Append(new Event { WallTime = Seconds(_clock()), Step = step, Summary = summary });
    }

    private void Scalars(int step, IEnumerable<(string Tag, double Value)> values)
    {
        var summary = new Summary();
        foreach (var (tag, value) in values)
        {
            summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        }

        Append(new Event { WallTime = Seconds(_clock()), Step = step, Summary = summary });
    }

    private static double Seconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    // One TFRecord: length (u64 LE), masked CRC-32C of the length, the message, masked CRC-32C of it.
    private void Append(Event record)
    {
        var file = _file ?? throw new InvalidOperationException("TensorBoard writing starts with OnTrainingStarted.");
        var data = record.ToByteArray();
        var frame = new byte[8 + 4 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, (ulong)data.LongLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), Masked(TorchSharp.Utils.CRC32C.process(data.LongLength)));
        data.CopyTo(frame, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(12 + data.Length), Masked(TorchSharp.Utils.CRC32C.process(data)));
        using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read);
        stream.Write(frame);
        stream.Flush(flushToDisk: false);
    }

    // TFRecord's mask: rotate right by 15 bits and add a constant, so that CRCs of CRCs stay strong.
    private static uint Masked(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
