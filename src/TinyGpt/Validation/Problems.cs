namespace TinyGpt.Validation;

/// <summary>Collects the problems of an <see cref="IValidatable"/>.</summary>
internal sealed class Problems
{
    private readonly List<string> _list = [];

    /// <summary>Adds <paramref name="problem"/> unless <paramref name="ok"/>.</summary>
    public Problems Require(bool ok, string problem)
    {
        if (!ok)
        {
            _list.Add(problem);
        }

        return this;
    }

    /// <summary>Adds every problem of a nested value, each with <paramref name="prefix"/> in front.</summary>
    public Problems Include(IValidatable? nested, string prefix = "")
    {
        if (nested is not null)
        {
            _list.AddRange(nested.Validate().Select(p => prefix + p));
        }

        return this;
    }

    public IReadOnlyList<string> ToList() => _list;
}
