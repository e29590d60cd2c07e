using System.CommandLine;
using Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtlBatch.Pipeline;

namespace MtlBatch.Cli.Commands;

/// <summary>
/// What the commands that drive the storage pipeline (worker, submit, status, results, events, reprocess) share: the
/// storage options, one configuration (CLI defaults &lt; environment variables &lt; flags), the pipeline's own service
/// registration, start-up validation and the mapping of failures to <see cref="ExitCodes"/>.
/// </summary>
internal static class PipelineCommandSupport
{
    public static Option<string?> StorageOption() =>
        new("--storage") { Description = "Storage connection string, e.g. UseDevelopmentStorage=true (default: Storage__ConnectionString or AzureWebJobsStorage from the environment)." };

    public static Option<string?> NamePrefixOption() =>
        new("--name-prefix") { Description = "Prefix for container, queue and table names (the worker's --name-prefix)." };

    public static Option<string?> ModelOption() => new("--model") { Description = "ONNX model whose version names jobs (default: models/mtl-small.onnx)." };

    public static Option<string?> ModelVersionOption(string description) => new("--model-version") { Description = description };

    /// <summary>Flags that map to settings; each is read only when the command has it.</summary>
    public static Dictionary<string, string?> Settings(ParseResult parse, Option<string?> storage, Option<string?> namePrefix,
        Option<string?>? model = null, Option<string?>? modelVersion = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var settings = new Dictionary<string, string?>();
        if (parse.GetValue(storage) is { } cs) settings["Storage:ConnectionString"] = cs;
        if (parse.GetValue(namePrefix) is { } n) settings["Storage:NamePrefix"] = n;
        if (model is not null && parse.GetValue(model) is { } m) settings["Analysis:ModelPath"] = m;
        if (modelVersion is not null && parse.GetValue(modelVersion) is { } v) settings["Pipeline:ModelVersion"] = v;
        return settings;
    }

    /// <summary>
    /// Defaults of the CLI (<paramref name="defaults"/>, e.g. the worker's HTTP port) under the environment variables
    /// (Storage__ConnectionString, Pipeline__ModelVersion, ...) under the command-line flags (<paramref name="settings"/>).
    /// </summary>
    public static ServiceProvider BuildServices(IDictionary<string, string?> settings, ILoggerFactory logging, IDictionary<string, string?>? defaults = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(defaults ?? new Dictionary<string, string?>())
            .AddEnvironmentVariables()
            .AddInMemoryCollection(settings)
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton(logging);
        services.AddMtlBatchPipeline(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Builds the services, validates every setting, runs <paramref name="body"/> and maps what went wrong to an exit code:
    /// invalid configuration (or no storage configured) -> 2 with one line per problem; storage that cannot be reached or
    /// refuses a request -> 1; otherwise what <paramref name="body"/> returns.
    /// </summary>
    public static async Task<int> RunAsync(string command, ParseResult parse, IDictionary<string, string?> settings,
        Func<ServiceProvider, ILoggerFactory, Task<int>> body, IDictionary<string, string?>? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        var error = parse.InvocationConfiguration.Error;
        using var logging = CliLogging.Create();
        await using var services = BuildServices(settings, logging, defaults);
        try
        {
            PipelineOptionsValidation.ValidateAll(services);
            try
            {
                _ = services.GetRequiredService<PipelineStorage>();
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or UriFormatException)
            {
                await error.WriteLineAsync($"mtlbatch {command}: invalid configuration:" + Environment.NewLine + $"Storage: {FirstLine(ex.Message)}").ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            return await body(services, logging).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync($"mtlbatch {command}: invalid configuration:" + Environment.NewLine + PipelineOptionsValidation.Describe(ex)).ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }
        catch (StorageNotConfiguredException ex)
        {
            await error.WriteLineAsync($"mtlbatch {command}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }
        catch (WorkerStartupException ex)
        {
            await error.WriteLineAsync($"mtlbatch {command}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException { InnerException: RequestFailedException or HttpRequestException })
        {
            await error.WriteLineAsync($"mtlbatch {command}: storage request failed: {FirstLine(ex.Message)}").ConfigureAwait(false);
            return ExitCodes.Failures;
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
