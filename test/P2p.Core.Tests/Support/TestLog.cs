using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace P2p.Core.Tests.Support;

/// <summary>
/// Collects log entries for assertions (and echoes them to the test output when P2P_TEST_LOG=1).
/// </summary>
public sealed class TestLog : ILoggerProvider, ILoggerFactory
{
    private static readonly bool Echo = Environment.GetEnvironmentVariable("P2P_TEST_LOG") == "1";
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyCollection<(LogLevel Level, string Category, string Message)> Entries => [.. _entries];

    public bool Contains(LogLevel level, string fragment) =>
        _entries.Any(e => e.Level == level && e.Message.Contains(fragment, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(TestLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            log._entries.Enqueue((logLevel, category, message));
            if (Echo)
            {
                TestContext.Progress.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {message}{(exception is null ? "" : " | " + exception.Message)}");
            }
        }
    }
}
