namespace TinyGpt.Validation;

/// <summary>Options and configurations that can say everything that is wrong with them at once.</summary>
public interface IValidatable
{
    /// <summary>Lists every problem, each starting with the name of the setting it is about; empty when all is well.</summary>
    IReadOnlyList<string> Validate();
}
