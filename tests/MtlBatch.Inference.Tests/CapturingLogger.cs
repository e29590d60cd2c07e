using Microsoft.Extensions.Logging;

namespace MtlBatch.Inference.Tests;

/// <summary>Collects log entries so tests can check what the code reported.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    public List<(LogLevel Level, string Category, string Message)> Entries { get; } = [];
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Entries) owner.Entries.Add((logLevel, category, formatter(state, exception)));
        }
    }
}
