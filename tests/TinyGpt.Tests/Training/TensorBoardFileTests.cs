using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using TinyGpt.Modeling;
using TinyGpt.Tests.Data;
using TinyGpt.Tests.Hosting;
using TinyGpt.Training;

namespace TinyGpt.Tests.Training;

/// <summary>
/// The event files are read back by a reader written here from TensorBoard's record format alone:
/// TFRecord framing with masked CRC-32C (computed bit by bit, not by the writer's library) and the
/// protobuf wire format of <c>Event</c>/<c>Summary</c> decoded by hand, field number by field number.
/// </summary>
[Collection(TrainingCollection.Name)]
public class TensorBoardFileTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void A_run_folder_trainer_writes_the_logged_losses_as_valid_tensorboard_records()
    {
        var folder = Path.Combine(run.RunDirectory, "tensorboard");
        var file = Directory.GetFiles(folder, "events.out.tfevents.*").Should().ContainSingle().Subject;

        var events = TensorBoardReader.Read(file);

        events[0].FileVersion.Should().Be("brain.Event:2");
        events[0].WallTime.Should().BeApproximately(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, "wall time is Unix seconds, as TensorBoard expects");
        var losses = events.Where(e => e.Scalars.ContainsKey("train/loss")).Select(e => (e.Step, Loss: e.Scalars["train/loss"])).ToList();
        var logged = File.ReadLines(Path.Combine(run.RunDirectory, "metrics.jsonl"))
            .Select(line => JsonNode.Parse(line)!.AsObject())
            .Where(r => r["type"]!.GetValue<string>() == "train")
            .Select(r => (Step: (long)r["step"]!.GetValue<int>(), Loss: (float)r["loss"]!.GetValue<double>()))
            .ToList();
        losses.Should().Equal(logged, "TensorBoard shows the same steps and losses as metrics.jsonl");
        events.Where(e => e.Scalars.Count > 0 && e.Scalars.ContainsKey("train/loss"))
            .Should().OnlyContain(e => e.Scalars.ContainsKey("train/learning_rate") && e.Scalars.ContainsKey("train/grad_norm") && e.Scalars.ContainsKey("train/tokens_per_second"));
        events.Should().Contain(e => e.Scalars.ContainsKey("eval/loss"), "the final evaluation is logged");
    }

    [Fact]
    public void A_resumed_session_starts_a_new_file_with_a_session_start_and_samples_are_text()
    {
        using var folder = new TempDirectory();
        var clock = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_250);
        var first = new TensorBoardFile(folder.Path, () => clock);
        first.OnTrainingStarted(new TrainingStarted(0, 20, new GptParameterCount(10, 4, 6), 8, 256, null));
        first.OnStep(new TrainingProgress(10, 20, 3.5, 1e-3, 1234, 2560, TimeSpan.Zero, TimeSpan.Zero, null) { GradientNorm = 0.75, Mfu = 0.125 });
        first.OnEvaluation(new EvaluationReport(10, 2560, EvaluationResult.FromTotals(40, 10, bytes: 50, words: 8), Partial: true));
        first.OnSample(10, "the quick \u00e9l\u00e8ve");

        var second = new TensorBoardFile(folder.Path, () => clock);
        second.OnTrainingStarted(new TrainingStarted(10, 20, new GptParameterCount(10, 4, 6), 8, 256, "step-10"));

        var a = TensorBoardReader.Read(first.FilePath!);
        a.Should().HaveCount(4);
        a[0].WallTime.Should().Be(1_780_000_000.25);
        a[1].Step.Should().Be(10);
        a[1].Scalars.Should().BeEquivalentTo(new Dictionary<string, float>
        {
            ["train/loss"] = 3.5f,
            ["train/learning_rate"] = 1e-3f,
            ["train/grad_norm"] = 0.75f,
            ["train/tokens_per_second"] = 1234,
            ["train/tokens_seen"] = 2560,
            ["train/mfu"] = 0.125f,
        });
        a[2].Scalars.Keys.Should().BeEquivalentTo("eval_estimate/loss", "eval_estimate/token_perplexity", "eval_estimate/word_perplexity", "eval_estimate/bits_per_byte");
        a[2].Scalars["eval_estimate/loss"].Should().Be(4f);
        a[3].Texts.Should().Equal(new Dictionary<string, string> { ["samples/text"] = "the quick \u00e9l\u00e8ve" });
        a[3].TextPlugin.Should().Be("text");

        second.FilePath.Should().NotBe(first.FilePath);
        var b = TensorBoardReader.Read(second.FilePath!);
        b.Should().HaveCount(2);
        b[1].SessionStatus.Should().Be(1, "SessionLog.START tells TensorBoard to drop what the first session logged after step 10");
        b[1].Step.Should().Be(11);
    }

    [Fact]
    public void A_flipped_bit_is_caught_by_the_readers_checksum()
    {
        using var folder = new TempDirectory();
        var writer = new TensorBoardFile(folder.Path);
        writer.OnTrainingStarted(new TrainingStarted(0, 20, new GptParameterCount(10, 4, 6), 8, 256, null));
        var bytes = File.ReadAllBytes(writer.FilePath!);
        bytes[14] ^= 0x10;
        File.WriteAllBytes(writer.FilePath!, bytes);
        FluentActions.Invoking(() => TensorBoardReader.Read(writer.FilePath!)).Should().Throw<InvalidDataException>().WithMessage("*CRC*");
    }

    [Fact]
    public async Task Turning_it_off_writes_no_event_files()
    {
        using var folder = new TempDirectory();
        var directory = Path.Combine(folder.Path, "run");
        using (var pipeline = TrainedRunFixture.Builder(directory).WithTraining(t => (t.MaxSteps, t.TensorBoard) = (2, false)).Build())
        {
            await pipeline.TrainAsync();
        }

        Directory.Exists(Path.Combine(directory, "tensorboard")).Should().BeFalse();
        File.Exists(Path.Combine(directory, "metrics.jsonl")).Should().BeTrue();
    }

    private sealed record TensorBoardEvent(double WallTime, long Step, string? FileVersion, Dictionary<string, float> Scalars, Dictionary<string, string> Texts, string? TextPlugin, int? SessionStatus);

    private static class TensorBoardReader
    {
        public static List<TensorBoardEvent> Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var events = new List<TensorBoardEvent>();
            for (var at = 0; at < bytes.Length;)
            {
                var length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)));
                Check(bytes.AsSpan(at, 8), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
                var data = bytes.AsSpan(at + 12, length);
                Check(data, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)));
                events.Add(ParseEvent(data.ToArray()));
                at += 12 + length + 4;
            }

            return events;
        }

        private static void Check(ReadOnlySpan<byte> data, uint stored)
        {
            var crc = Crc32C(data);
            var masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
            if (masked != stored)
            {
                throw new InvalidDataException($"CRC mismatch: stored {stored:x8}, computed {masked:x8}.");
            }
        }

        // CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, bit by bit.
        private static uint Crc32C(ReadOnlySpan<byte> data)
        {
            var crc = 0xFFFFFFFFu;
            foreach (var b in data)
            {
                crc ^= b;
                for (var bit = 0; bit < 8; bit++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
                }
            }

            return ~crc;
        }

        // Event: 1 wall_time (double), 2 step (varint), 3 file_version (string), 5 summary, 7 session_log.
        private static TensorBoardEvent ParseEvent(byte[] data)
        {
            double wall = 0;
            long step = 0;
            string? version = null;
            int? status = null;
            var scalars = new Dictionary<string, float>();
            var texts = new Dictionary<string, string>();
            string? plugin = null;
            foreach (var (field, value) in Fields(data))
            {
                switch (field)
                {
                    case 1: wall = BitConverter.Int64BitsToDouble((long)value.Fixed); break;
                    case 2: step = (long)value.Varint; break;
                    case 3: version = Encoding.UTF8.GetString(value.Bytes!); break;
                    case 5:
                        // Summary: 1 value (repeated). Value: 1 tag, 2 simple_value (float), 8 tensor, 9 metadata.
                        foreach (var (_, item) in Fields(value.Bytes!))
                        {
                            string? tag = null;
                            float? simple = null;
                            string? text = null;
                            foreach (var (f, v) in Fields(item.Bytes!))
                            {
                                switch (f)
                                {
                                    case 1: tag = Encoding.UTF8.GetString(v.Bytes!); break;
                                    case 2: simple = BitConverter.Int32BitsToSingle((int)v.Fixed); break;
                                    case 8: text = Fields(v.Bytes!).Where(t => t.Field == 8).Select(t => Encoding.UTF8.GetString(t.Value.Bytes!)).Single(); break; // TensorProto.string_val
                                    case 9: plugin = Fields(v.Bytes!).Where(m => m.Field == 1).Select(m => Encoding.UTF8.GetString(Fields(m.Value.Bytes!).Single(p => p.Field == 1).Value.Bytes!)).Single(); break; // metadata.plugin_data.plugin_name
                                    default: break;
                                }
                            }

                            if (simple is { } s)
                            {
                                scalars[tag!] = s;
                            }

                            if (text is not null)
                            {
                                texts[tag!] = text;
                            }
                        }

                        break;
                    case 7: status = (int)Fields(value.Bytes!).Single(f => f.Field == 1).Value.Varint; break; // SessionLog.status
                    default: break;
                }
            }

            return new TensorBoardEvent(wall, step, version, scalars, texts, plugin, status);
        }

        private readonly record struct WireValue(ulong Varint, ulong Fixed, byte[]? Bytes);

        private static List<(int Field, WireValue Value)> Fields(byte[] data)
        {
            var fields = new List<(int, WireValue)>();
            var at = 0;
            while (at < data.Length)
            {
                var key = Varint(data, ref at);
                var field = (int)(key >> 3);
                switch (key & 7)
                {
                    case 0: fields.Add((field, new WireValue(Varint(data, ref at), 0, null))); break;
                    case 1: fields.Add((field, new WireValue(0, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)), null))); at += 8; break;
                    case 2:
                        var length = (int)Varint(data, ref at);
                        fields.Add((field, new WireValue(0, 0, data[at..(at + length)])));
                        at += length;
                        break;
                    case 5: fields.Add((field, new WireValue(0, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)), null))); at += 4; break;
                    default: throw new InvalidDataException($"Unexpected wire type {key & 7}.");
                }
            }

            return fields;
        }

        private static ulong Varint(byte[] data, ref int at)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = data[at++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }
    }
}
