using TinyGpt.Modeling;

namespace TinyGpt.Training;

/// <summary>One preset <see cref="AutoPreset"/> timed: the seconds of a step and the passes over the training tokens the budget would fit.</summary>
/// <param name="Preset">The preset timed.</param>
/// <param name="StepSeconds">Seconds of one optimizer step, measured.</param>
/// <param name="Epochs">Passes over the training tokens that fit the budget's training share.</param>
public sealed record AutoPresetCandidate(GptPreset Preset, double StepSeconds, double Epochs);
