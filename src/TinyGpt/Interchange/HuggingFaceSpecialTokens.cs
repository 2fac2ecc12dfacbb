using System.Text.Json.Nodes;
using TinyGpt.Tokenization;

namespace TinyGpt.Interchange;

/// <summary>
/// The special tokens Hugging Face tools look for (<c>bos_token</c>, <c>eos_token</c>, <c>unk_token</c>,
/// <c>pad_token</c>), taken from a TinyGpt tokenizer: its end-of-text token ends generation, and
/// <c>&lt;s&gt;</c> starts it when the tokenizer has one.
/// </summary>
internal sealed record HuggingFaceSpecialTokens(string Bos, int BosId, string Eos, int EosId, string? Unknown, string? Padding)
{
    public static HuggingFaceSpecialTokens? Of(ITextTokenizer? tokenizer)
    {
        if (tokenizer?.EndOfTextId is not { } eosId)
        {
            return null;
        }

        var byId = tokenizer.SpecialTokens.ToDictionary(kv => kv.Value, kv => kv.Key);
        var eos = byId[eosId];
        var (bos, bosId) = tokenizer.SpecialTokens.TryGetValue("<s>", out var start) ? ("<s>", start) : (eos, eosId);
        var unknown = tokenizer.SpecialTokens.ContainsKey("<unk>") ? "<unk>" : tokenizer is Gpt2TextTokenizer ? eos : null;
        var padding = tokenizer.SpecialTokens.ContainsKey("<pad>") ? "<pad>" : null;
        return new HuggingFaceSpecialTokens(bos, bosId, eos, eosId, unknown, padding);
    }

    /// <summary><c>special_tokens_map.json</c>.</summary>
    public JsonObject ToSpecialTokensMap()
    {
        var json = new JsonObject { ["bos_token"] = Bos, ["eos_token"] = Eos };
        if (Unknown is not null)
        {
            json["unk_token"] = Unknown;
        }

        if (Padding is not null)
        {
            json["pad_token"] = Padding;
        }

        return json;
    }

    /// <summary><c>tokenizer_config.json</c> for <c>GPT2Tokenizer</c> / <c>GPT2TokenizerFast</c> (byte-level BPE, no prefix space).</summary>
    public JsonObject ToTokenizerConfig(ITextTokenizer tokenizer, int contextLength)
    {
        var added = new JsonObject();
        foreach (var (token, id) in tokenizer.SpecialTokens.OrderBy(kv => kv.Value))
        {
            added[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = token,
                ["lstrip"] = false,
                ["normalized"] = false,
                ["rstrip"] = false,
                ["single_word"] = false,
                ["special"] = true,
            };
        }

        var json = ToSpecialTokensMap();
        json["tokenizer_class"] = "GPT2Tokenizer";
        json["model_max_length"] = contextLength;
        json["add_prefix_space"] = false;
        json["add_bos_token"] = false;
        json["errors"] = "replace";
        json["clean_up_tokenization_spaces"] = false;
        json["added_tokens_decoder"] = added;
        return json;
    }

    /// <summary><c>generation_config.json</c>: where generation starts and stops.</summary>
    public JsonObject ToGenerationConfig() => new()
    {
        ["_from_model_config"] = true,
        ["bos_token_id"] = BosId,
        ["eos_token_id"] = EosId,
    };
}
