using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Tests.Support;

/// <summary>An <see cref="ILogger"/> writing to NUnit's progress output, for debugging a test.</summary>
public sealed class ProgressLogger(string name, LogLevel minimum = LogLevel.Trace) : ILogger
{
    private static readonly long Start = Stopwatch.GetTimestamp();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var ms = Stopwatch.GetElapsedTime(Start).TotalMilliseconds;
        TestContext.Progress.WriteLine($"{ms,9:0.0} {name} {logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.Message)}");
    }
}
