using Microsoft.Extensions.Logging;

namespace MtlBatch.Cli;

/// <summary>Console logging for the CLI: structured messages to stderr so stdout stays for results.</summary>
public static class CliLogging
{
    public static ILoggerFactory Create(bool verbose = false) => LoggerFactory.Create(b => b
        .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
        .AddFilter("Microsoft", LogLevel.Warning));
}
