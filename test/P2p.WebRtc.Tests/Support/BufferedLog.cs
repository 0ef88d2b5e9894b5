using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace P2p.WebRtc.Tests.Support;

/// <summary>Collects log lines from several loggers in memory; a test prints them only when it fails.</summary>
public sealed class BufferedLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly long _start = Stopwatch.GetTimestamp();

    public ILogger CreateLogger(string name, LogLevel minimum = LogLevel.Trace) => new Logger(this, name, minimum);

    public override string ToString() => string.Join(Environment.NewLine, _lines);

    private sealed class Logger(BufferedLog log, string name, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var ms = Stopwatch.GetElapsedTime(log._start).TotalMilliseconds;
                log._lines.Enqueue($"{ms,8:0.0} {name} {logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.Message)}");
            }
        }
    }
}
