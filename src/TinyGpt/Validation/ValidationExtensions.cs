namespace TinyGpt.Validation;

/// <summary>Turns <see cref="IValidatable.Validate"/> into an exception.</summary>
public static class ValidationExtensions
{
    /// <summary>Returns <paramref name="value"/> when it is valid.</summary>
    /// <exception cref="ArgumentException">It is not: the message lists every problem, and <see cref="ArgumentException.ParamName"/> is the first bad setting.</exception>
    public static T EnsureValid<T>(this T value)
        where T : IValidatable
    {
        ArgumentNullException.ThrowIfNull(value);
        var problems = value.Validate();
        if (problems.Count == 0)
        {
            return value;
        }

        throw new ArgumentException($"Invalid {typeof(T).Name}: {string.Join(" ", problems)}", problems[0].Split(' ', 2)[0]);
    }
}
