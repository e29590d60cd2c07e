using Microsoft.Extensions.Configuration;

namespace MtlBatch.Cli;

/// <summary>
/// Settings the CLI reads from environment variables, with the same section names the worker and the Functions app
/// use, so one set of limits works everywhere: <c>Limits__MaxDurationSeconds=7200</c>, <c>Limits__MaxArchiveEntries=5000</c>,
/// <c>Archives__TempFolder=/scratch</c>, <c>AudioDecoder__ProbeTimeout=00:00:30</c>.
/// </summary>
public static class CliConfiguration
{
    /// <summary>A new <typeparamref name="T"/> with defaults, overridden by the environment variables of <paramref name="section"/>.</summary>
    public static T Bind<T>(string section) where T : new()
    {
        var options = new T();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(section).Bind(options);
        return options;
    }
}
