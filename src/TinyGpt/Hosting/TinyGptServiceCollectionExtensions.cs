using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TinyGpt.Chat;
using TinyGpt.Generation;
using TinyGpt.Hosting;
using TinyGpt.Runs;

// In the container's own namespace, like every AddXxx of Microsoft.Extensions, so that it shows up
// wherever IServiceCollection does.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers TinyGpt generation and its <see cref="IChatClient"/> in a dependency-injection container.</summary>
public static class TinyGptServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="TextGenerator"/> loaded from <see cref="TinyGptOptions.RunDirectory"/>,
    /// logging through the container's <see cref="ILoggerFactory"/> when there is one, and an
    /// <see cref="IChatClient"/> (<see cref="TinyGptChatClient"/>) over it through
    /// <see cref="ChatClientBuilderServiceCollectionExtensions.AddChatClient(IServiceCollection, Func{IServiceProvider, IChatClient}, ServiceLifetime)"/>.
    /// The generator is thread-safe: concurrent requests are decoded together in one batch (continuous batching, see <see cref="TokenGenerator"/>).
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Sets the options; may be null when they are configured elsewhere.</param>
    /// <returns>The chat client's builder, for middleware: <c>.UseLogging().UseOpenTelemetry()</c>.</returns>
    /// <remarks>
    /// Invalid options fail when a host starts (<c>ValidateOnStart</c>), or at the first resolution
    /// without a host, with an <see cref="OptionsValidationException"/> listing every problem. With
    /// <see cref="TinyGptOptions.LoadOnStart"/> (the default) a host loads the model while it starts,
    /// so that a missing or broken run folder stops the application at once and the first request
    /// does not wait for the load.
    /// </remarks>
    public static ChatClientBuilder AddTinyGpt(this IServiceCollection services, Action<TinyGptOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<TinyGptOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(services, options);
    }

    /// <summary>
    /// As <see cref="AddTinyGpt(IServiceCollection, Action{TinyGptOptions}?)"/>, with the options bound
    /// from <paramref name="configuration"/>, typically <c>builder.Configuration.GetSection("TinyGpt")</c>
    /// (<see cref="TinyGptOptions.SectionName"/>).
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The configuration section holding <see cref="TinyGptOptions"/>'s properties.</param>
    /// <returns>The chat client's builder, for middleware.</returns>
    public static ChatClientBuilder AddTinyGpt(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, services.AddOptions<TinyGptOptions>().Bind(configuration));
    }

    private static ChatClientBuilder AddCore(IServiceCollection services, OptionsBuilder<TinyGptOptions> options)
    {
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TinyGptOptions>, TinyGptOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TinyGptWarmUp>());
        services.TryAddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<TinyGptOptions>>().Value;
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("TinyGpt") ?? NullLogger.Instance;
            using var run = RunFolder.Open(settings.RunDirectory!);
            return run.LoadGenerator(settings.Device, logger);
        });
        return services.AddChatClient(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<TinyGptOptions>>().Value;
            return new TinyGptChatClient(provider.GetRequiredService<TextGenerator>(), settings.ModelIdOrDefault);
        });
    }

    private sealed class TinyGptOptionsValidator : IValidateOptions<TinyGptOptions>
    {
        public ValidateOptionsResult Validate(string? name, TinyGptOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }

    // Loads the model while the host starts (LoadOnStart), off the host's thread.
    private sealed class TinyGptWarmUp(IServiceProvider services, IOptions<TinyGptOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            options.Value.LoadOnStart ? Task.Run(() => services.GetRequiredService<TextGenerator>(), cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
