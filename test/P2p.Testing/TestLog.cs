using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace P2p.Testing;

/// <summary>
/// The tests' logger: collects entries for assertions (<see cref="Entries"/>, <see cref="Contains"/>) and for a
/// failure message (<see cref="ToString"/>), and writes each line to the running test's output as it comes when
/// asked to (<see cref="ToTestOutput"/>, or <c>P2P_TEST_LOG=1</c> in the environment). Lines are stamped with
/// milliseconds since the log was created. Scopes are kept per async flow, as the real logger factory keeps them
/// (<see cref="Entry.Scopes"/>).
/// </summary>
public sealed class TestLog : ILoggerProvider, ILoggerFactory
{
    /// <summary>At most this many entries are kept (the oldest go first).</summary>
    public const int MaxEntries = 100_000;

    private static readonly bool EchoFromEnvironment = Environment.GetEnvironmentVariable("P2P_TEST_LOG") == "1";
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly bool _echo;
    private readonly LoggerExternalScopeProvider _scopes = new();

    /// <summary>A log that keeps entries of <paramref name="minimum"/> and above.</summary>
    /// <param name="minimum">The lowest level kept.</param>
    /// <param name="echo">Also write each line to the test output; by default when <c>P2P_TEST_LOG=1</c>.</param>
    public TestLog(LogLevel minimum = LogLevel.Debug, bool? echo = null)
    {
        Minimum = minimum;
        _echo = echo ?? EchoFromEnvironment;
    }

    /// <summary>The lowest level kept.</summary>
    public LogLevel Minimum { get; }

    /// <summary>The entries so far, oldest first.</summary>
    public IReadOnlyCollection<Entry> Entries => [.. _entries];

    /// <summary>A log whose lines also go to the running test's output as they come.</summary>
    /// <param name="minimum">The lowest level written.</param>
    public static TestLog ToTestOutput(LogLevel minimum = LogLevel.Debug) => new(minimum, echo: true);

    /// <summary>True when an entry of exactly <paramref name="level"/> contains <paramref name="fragment"/>.</summary>
    public bool Contains(LogLevel level, string fragment) =>
        _entries.Any(e => e.Level == level && e.Message.Contains(fragment, StringComparison.Ordinal));

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName, Minimum);

    /// <summary>A logger for <paramref name="categoryName"/> that keeps <paramref name="minimum"/> and above.</summary>
    public ILogger CreateLogger(string categoryName, LogLevel minimum) => new Logger(this, categoryName, minimum);

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Every line kept, one per line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, _entries.Select(e => e.ToString()));

    private void Add(Entry entry)
    {
        _entries.Enqueue(entry);
        while (_entries.Count > MaxEntries && _entries.TryDequeue(out _))
        {
        }

        if (_echo)
        {
            TestContext.Progress.WriteLine(entry.ToString());
        }
    }

    /// <summary>One log line.</summary>
    /// <param name="Milliseconds">When, in milliseconds since the log was created.</param>
    /// <param name="Level">The level.</param>
    /// <param name="Category">The logger's category (its full name).</param>
    /// <param name="Message">The formatted message.</param>
    /// <param name="Exception">The exception logged with it, if any.</param>
    public sealed record Entry(double Milliseconds, LogLevel Level, string Category, string Message, Exception? Exception)
    {
        /// <summary>The logging scopes the line was written in, outermost first.</summary>
        public IReadOnlyList<string> Scopes { get; init; } = [];

        /// <summary>The line as printed: time, level, the category's last segment, message, exception.</summary>
        public override string ToString()
        {
            var shortCategory = Category[(Category.LastIndexOf('.') + 1)..];
            var line = FormattableString.Invariant($"{Milliseconds,9:F1} {Level.ToString()[..4]} {shortCategory}: {Message}");
            return Exception is null ? line : line + Environment.NewLine + Exception;
        }
    }

    private sealed class Logger(TestLog log, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => log._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var scopes = new List<string>();
                log._scopes.ForEachScope(static (scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
                log.Add(new Entry(Stopwatch.GetElapsedTime(log._start).TotalMilliseconds, logLevel, category, formatter(state, exception), exception) { Scopes = scopes });
            }
        }
    }
}
