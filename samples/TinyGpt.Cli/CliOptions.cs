using System.CommandLine;
using System.Text.RegularExpressions;
using TinyGpt.Generation;
using TinyGpt.Modeling;
using TinyGpt.Ngrams;
using TinyGpt.Text;
using TinyGpt.Tokenization;
using TinyGpt.Tokens;

namespace TinyGpt.Cli;

/// <summary>
/// The options whose values come from a fixed set: they accept only those values (checked while
/// parsing, case-insensitively) and offer them as completions; the CLI's names map to the library's types.
/// </summary>
internal static partial class CliOptions
{
    public static Option<string> Preset(string defaultValue = "tiny") => Choice("--preset", "Model size; auto chooses one for the --time-budget by timing training steps.", defaultValue, [.. Enum.GetNames<GptPreset>().Select(n => n.ToLowerInvariant()), Auto]);

    /// <summary>The <c>--preset</c> value that lets <see cref="Training.AutoPreset"/> choose.</summary>
    public const string Auto = "auto";

    public static Option<string> Dataset() => Choice("--dataset", "WikiText variant to download (or to check a --data-dir against).", WikiTextDataset.WikiText2Raw.ShortName, WikiTextDataset.BuiltIn.Select(d => d.ShortName));

    public static Option<string> Tokenizer() => Choice("--tokenizer", "bpe (train one on the training split) or gpt2 (the pretrained GPT-2 tokenizer).", "bpe", Enum.GetNames<TokenizerKind>().Where(n => n != nameof(TokenizerKind.Folder)).Select(n => n.ToLowerInvariant()));

    public static Option<string> BatchOrder() => Choice("--batch-order", "shuffled (epochs over fixed windows, each epoch shuffled) or random-offsets (windows starting anywhere).", "shuffled", ["shuffled", "random-offsets"]);

    public static Option<string> Method() => Choice("--method", "How to choose each token.", "top-k", ["greedy", "top-k", "top-p"]);

    public static Option<string> Split(string name, string description, string? defaultValue) =>
        defaultValue is null
            ? Choice(name, description, null, SplitNames.All)
            : Choice(name, description, defaultValue, SplitNames.All);

    /// <summary><c>--device</c>: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Option<string> Device()
    {
        var option = new Option<string>("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };
        option.CompletionSources.Add(["cpu", "cuda", "cuda:0"]);
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !DeviceName().IsMatch(value))
            {
                result.AddError($"'{value}' is not a device for --device: use cpu, cuda or cuda:N.");
            }
        });
        return option;
    }

    /// <summary>The preset named, or null for <see cref="Auto"/>.</summary>
    public static GptPreset? ToPreset(string value) => value.Equals(Auto, StringComparison.OrdinalIgnoreCase) ? null : Enum.Parse<GptPreset>(value, ignoreCase: true);

    public static BatchOrder ToBatchOrder(string value) => value.Equals("random-offsets", StringComparison.OrdinalIgnoreCase) ? Tokens.BatchOrder.RandomOffsets : Tokens.BatchOrder.ShuffledEpochs;

    public static TokenizerKind ToTokenizer(string value) => Enum.Parse<TokenizerKind>(value, ignoreCase: true);

    public static SamplingOptions ToSampling(string method, double temperature, int topK, double topP) => method.ToUpperInvariant() switch
    {
        "GREEDY" => SamplingOptions.Greedy,
        "TOP-P" => new SamplingOptions { Temperature = temperature, TopP = topP },
        _ => new SamplingOptions { Temperature = temperature, TopK = topK },
    };

    private static Option<string> Choice(string name, string description, string? defaultValue, IEnumerable<string> values)
    {
        var allowed = values.ToArray();
        var option = new Option<string>(name) { Description = description };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        option.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, allowed);
        return option;
    }

    [GeneratedRegex(@"^(cpu|cuda(:\d+)?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DeviceName();

    /// <summary>Refuses an n-gram order or mixture weight out of range, naming the flag.</summary>
    /// <exception cref="ArgumentException">The order or the weight is out of range.</exception>
    public static void CheckNgram(int order, double weight, int vocabSize)
    {
        var largest = KneserNeyModel.LargestOrder(vocabSize);
        if (order < 1 || order > largest)
        {
            throw new ArgumentException($"--ngram must be an order from 1 to {largest} (the largest whose n-grams fit 64-bit keys with this run's {vocabSize:N0} tokens); got {order}. 3 is a good start.");
        }

        if (weight is < 0 or > 1 || double.IsNaN(weight))
        {
            throw new ArgumentException($"--ngram-weight must be in [0, 1] (got {weight}).");
        }
    }
}
