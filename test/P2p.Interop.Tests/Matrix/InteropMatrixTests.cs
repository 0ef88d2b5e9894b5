using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using P2p.Testing.Interop;
using P2p.Testing;

namespace P2p.Interop.Tests.Matrix;

/// <summary>
/// The interop matrix: P2p.WebRtc against six real foreign WebRTC stacks (each peer program started by
/// the test, test/interop-peers/), in both offer directions, running the whole scenario of
/// test/interop-peers/PROTOCOL.md: a text and a binary message, 16 MiB each way hash-checked with
/// back-pressure, an unordered and a partially reliable channel negotiated in-band, and a channel
/// close that the other side observes. Each stack also runs against itself for a same-run throughput
/// reference. A peer that is not installed fails its cells (./test.sh installs them all).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class InteropMatrixTests
{
    private const int Mib = 16;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly ConcurrentQueue<string> Rows = new();

    public static IEnumerable<TestCaseData> Cells()
    {
        foreach (var stack in ForeignStack.All)
        {
            yield return new TestCaseData(stack.Name, ScenarioRole.Offer).SetName($"P2p_offers_to_{stack.Name}");
            yield return new TestCaseData(stack.Name, ScenarioRole.Answer).SetName($"{stack.Name}_offers_to_P2p");
        }
    }

    public static IEnumerable<TestCaseData> References() =>
        ForeignStack.All.Select(s => new TestCaseData(s.Name).SetName($"{s.Name}_with_{s.Name}_as_reference"));

    [OneTimeTearDown]
    public void PrintTheMatrix()
    {
        TestContext.Progress.WriteLine("interop matrix (receive rate of each side, MB/s):");
        foreach (var row in Rows)
        {
            TestContext.Progress.WriteLine("  " + row);
        }
    }

    [TestCaseSource(nameof(Cells))]
    public async Task P2p_runs_the_whole_scenario_with_a_foreign_stack(string stackName, ScenarioRole p2pRole)
    {
        var stack = ForeignStack.Get(stackName);
        using var logging = NewLog();
        var result = await RunCellAsync(stack, p2pRole, logging);

        // A maxRetransmits=0 message may be lost (RFC 8831 §6.1), and on this 2-core machine under load every one of
        // the 100 sometimes is, between two foreign stacks too (firefox_with_firefox_as_reference has shown it): they
        // go out once, beside 16 MiB of bulk filling the windows. Everything else of that run must pass; the whole
        // scenario then runs once more, and P2p must get at least one through in that run.
        if (result.Ok && (result.OffererReport.Partial == 0 || result.AnswererReport.Partial == 0))
        {
            Record(result);
            AssertScenarioPassed(result, minimumPartial: 0, log: logging);
            TestContext.Progress.WriteLine($"{stackName}, P2p {p2pRole}: every maxRetransmits=0 message was lost in one direction; running the cell once more");
            result = await RunCellAsync(stack, p2pRole, logging);
        }

        Record(result);
        AssertScenarioPassed(result, log: logging);
    }

    private static async Task<PairingResult> RunCellAsync(ForeignStack stack, ScenarioRole p2pRole, ILoggerFactory logging)
    {
        var options = new ScenarioPeerOptions { Mib = Mib, Timeout = Timeout, LoggerFactory = logging };
        await using var ours = await ScenarioPeer.StartAsync(p2pRole, options);
        await using var theirs = ForeignPeerProcess.Start(stack, Other(p2pRole), Mib, Timeout, TestContext.Progress.WriteLine);
        return p2pRole == ScenarioRole.Offer
            ? await InteropPairing.RunAsync(ours, theirs, Timeout)
            : await InteropPairing.RunAsync(theirs, ours, Timeout);
    }

    [TestCaseSource(nameof(References))]
    public async Task A_foreign_stack_runs_the_scenario_with_itself(string stackName)
    {
        var stack = ForeignStack.Get(stackName);
        await using var offerer = ForeignPeerProcess.Start(stack, ScenarioRole.Offer, Mib, Timeout, TestContext.Progress.WriteLine);
        await using var answerer = ForeignPeerProcess.Start(stack, ScenarioRole.Answer, Mib, Timeout, TestContext.Progress.WriteLine);

        var result = await InteropPairing.RunAsync(offerer, answerer, Timeout);

        Record(result);

        // pion 3.1 marks every maxRetransmits=0 chunk abandoned when it first sends it (nSent >= 0) and follows it
        // with a FORWARD-TSN; between two pions that sometimes loses every `partial` message (docs/interop.md).
        // Only the reference run tolerates it: P2p, as sender or receiver, must still get at least one through.
        AssertScenarioPassed(result, minimumPartial: stack == ForeignStack.Pion ? 0 : 1);
    }

    [Test]
    public async Task P2p_runs_the_scenario_with_itself()
    {
        using var logging = NewLog();
        var options = new ScenarioPeerOptions { Mib = Mib, Timeout = Timeout, LoggerFactory = logging };
        await using var offerer = await ScenarioPeer.StartAsync(ScenarioRole.Offer, options);
        await using var answerer = await ScenarioPeer.StartAsync(ScenarioRole.Answer, options);

        var result = await InteropPairing.RunAsync(offerer, answerer, Timeout);

        Record(result);
        AssertScenarioPassed(result, log: logging);
    }

    /// <summary>
    /// P2p's log in a cell: kept at Debug and attached to a failure (so a rare failure in CI can be read), written
    /// to the test output as it comes at the level <c>P2P_INTEROP_LOG</c> names (Debug, Trace, …) when set.
    /// </summary>
    private static TestLog NewLog() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("P2P_INTEROP_LOG"), ignoreCase: true, out var level)
            ? TestLog.ToTestOutput(level)
            : new TestLog(LogLevel.Debug, echo: false);

    private static ScenarioRole Other(ScenarioRole role) => role == ScenarioRole.Offer ? ScenarioRole.Answer : ScenarioRole.Offer;

    private static void Record(PairingResult result)
    {
        var row = string.Create(
            CultureInfo.InvariantCulture,
            $"{result.OffererReport.Stack} {result.OffererReport.Version} (offer) <-> {result.AnswererReport.Stack} {result.AnswererReport.Version} (answer): "
            + $"offerer received {result.OffererReport.BulkMBps:0.0}, answerer received {result.AnswererReport.BulkMBps:0.0}{(result.Ok ? string.Empty : " FAILED")}");
        Rows.Enqueue(row);
        TestContext.Progress.WriteLine(row);
    }

    private static void AssertScenarioPassed(PairingResult result, int minimumPartial = 1, TestLog? log = null)
    {
        Assert.That(result.Ok, Is.True, result.Describe() + (log is null ? string.Empty : "\n--- P2p log (Debug) ---\n" + log));
        Assert.Multiple(() =>
        {
            AssertReport(result.OffererReport, "offer", result, minimumPartial);
            AssertReport(result.AnswererReport, "answer", result, minimumPartial);
        });
    }

    private static void AssertReport(ScenarioReport report, string role, PairingResult result, int minimumPartial)
    {
        var who = $"{report.Stack} ({role}): ";
        Assert.That(report.Role, Is.EqualTo(role), who + "role");
        Assert.That(report.Text, Is.True, who + "the text message arrived as a string, intact");
        Assert.That(report.Binary, Is.True, who + "the binary message arrived as binary, intact");
        Assert.That(report.HashOk, Is.True, who + "the bulk's SHA-256 matched");
        Assert.That(report.BulkBytes, Is.EqualTo((long)Mib << 20), who + "bulk bytes received");
        Assert.That(report.Unordered, Is.EqualTo(ScenarioPeer.SmallCount), who + "every message of the unordered (reliable) channel");
        Assert.That(report.Partial, Is.InRange(minimumPartial, ScenarioPeer.SmallCount), who + "messages of the maxRetransmits=0 channel");
        Assert.That(report.CloseObserved, Is.EqualTo(role == "offer" ? "partial" : "unordered"), who + "the peer's channel close was observed");
        if (role == "answer" && report.AcceptedOptionsKnown == false)
        {
            // node-datachannel cannot tell an accepted channel's options (PROTOCOL.md); what the peer put
            // in its DATA_CHANNEL_OPEN is checked on every other accepting stack.
            Assert.That(
                report.Accepted?.Select(c => c.Label),
                Is.EquivalentTo(new[] { "reliable", "unordered", "partial" }),
                who + "the channels negotiated in-band, by label\n" + result.Describe());
        }
        else if (role == "answer")
        {
            Assert.That(
                report.Accepted,
                Is.EquivalentTo(new[]
                {
                    new AcceptedChannel("reliable", true, null),
                    new AcceptedChannel("unordered", false, null),
                    new AcceptedChannel("partial", true, 0),
                }),
                who + "the channels negotiated in-band, with their options, as the accepting side sees them\n" + result.Describe());
        }
        else
        {
            Assert.That(report.Accepted, Is.Empty, who + "the offerer accepts no channel");
        }
    }
}
