using Microsoft.Extensions.Logging;

namespace P2p.Transport.WebRtc.Tests.Recovery;

/// <summary>What the recovery tests share: logging to the test output, a generous bound for waits, a median.</summary>
public abstract class RecoveryTestBase
{
    /// <summary>The bound of every wait: far above what the SDK promises, so a miss shows as an assertion on the times.</summary>
    protected static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>Where the members log (Information and above, to the test's output).</summary>
    protected ILoggerFactory Logging { get; private set; } = null!;

    [OneTimeSetUp]
    public void StartLogging() => Logging = P2p.Testing.TestLog.ToTestOutput(LogLevel.Information);

    [OneTimeTearDown]
    public void StopLogging() => Logging.Dispose();

    /// <summary>The median of measured times.</summary>
    protected static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
