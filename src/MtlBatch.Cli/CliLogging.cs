using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace MtlBatch.Cli;

/// <summary>Console logging for the CLI: structured messages to stderr so stdout stays for results.</summary>
public static class CliLogging
{
    public static ILoggerFactory Create(bool verbose = false) => LoggerFactory.Create(b => b
        .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.ColorBehavior = UseColour(Console.IsErrorRedirected, Environment.GetEnvironmentVariable("NO_COLOR"), Environment.GetEnvironmentVariable("TERM"))
                ? LoggerColorBehavior.Enabled
                : LoggerColorBehavior.Disabled;
        })
        .AddFilter("Microsoft", LogLevel.Warning));

    /// <summary>
    /// Colour only on a terminal: never into files or pipes (the logger's Default looks at stdout, but the logs go to stderr),
    /// never with <c>NO_COLOR</c> set (https://no-color.org) or <c>TERM=dumb</c>.
    /// </summary>
    public static bool UseColour(bool stderrRedirected, string? noColor, string? term) =>
        !stderrRedirected && string.IsNullOrEmpty(noColor) && !string.Equals(term, "dumb", StringComparison.Ordinal);
}
