using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace P2p.Interop.Tests.Support;

/// <summary>Writes log lines to the running test's output, stamped with milliseconds since creation.</summary>
public sealed class NUnitLoggerProvider(LogLevel minimum = LogLevel.Debug) : ILoggerProvider
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private LogLevel Minimum { get; } = minimum;

    public static ILoggerFactory CreateFactory(LogLevel minimum = LogLevel.Debug) =>
        LoggerFactory.Create(b => b.SetMinimumLevel(minimum).AddProvider(new NUnitLoggerProvider(minimum)));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(NUnitLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{owner._clock.Elapsed.TotalMilliseconds,9:F1} {logLevel.ToString()[..4]} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }

            TestContext.Progress.WriteLine(line);
        }
    }
}
