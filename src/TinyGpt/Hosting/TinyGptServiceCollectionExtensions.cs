using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TinyGpt.Chat;
using TinyGpt.Generation;
using TinyGpt.Runs;

namespace TinyGpt.Hosting;

/// <summary>Registers TinyGpt generation in a dependency-injection container.</summary>
public static class TinyGptServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="TextGenerator"/> loaded from <see cref="TinyGptOptions.RunDirectory"/>
    /// the first time it is resolved (not at registration), logging through the container's
    /// <see cref="ILoggerFactory"/> when there is one, and an <see cref="IChatClient"/>
    /// (<see cref="TinyGptChatClient"/>) over it. The generator is thread-safe: concurrent requests
    /// take turns, one whole generation at a time.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Sets the options; may be null when they are configured elsewhere, for example with <c>services.Configure&lt;TinyGptOptions&gt;(configuration.GetSection("TinyGpt"))</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>Invalid options fail when the generator is first resolved, with an <see cref="OptionsValidationException"/> listing every problem.</remarks>
    public static IServiceCollection AddTinyGpt(this IServiceCollection services, Action<TinyGptOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<TinyGptOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TinyGptOptions>, TinyGptOptionsValidator>());
        services.TryAddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<TinyGptOptions>>().Value;
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("TinyGpt") ?? NullLogger.Instance;
            using var run = RunFolder.Open(settings.RunDirectory!);
            return run.LoadGenerator(settings.Device, logger);
        });
        services.TryAddSingleton<IChatClient>(provider => new TinyGptChatClient(provider.GetRequiredService<TextGenerator>()));
        return services;
    }

    private sealed class TinyGptOptionsValidator : IValidateOptions<TinyGptOptions>
    {
        public ValidateOptionsResult Validate(string? name, TinyGptOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
