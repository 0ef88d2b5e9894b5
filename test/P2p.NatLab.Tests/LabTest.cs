using NUnit.Framework.Interfaces;
using P2p.Testing;

namespace P2p.NatLab.Tests;

/// <summary>
/// A lab test: <see cref="Log"/> collects the stack's debug log for the test, and a failed test prints it together
/// with coturn's recent output (so a CI failure can be read without running it again).
/// </summary>
public abstract class LabTest
{
    /// <summary>This test's log: give it to every peer (<c>LoggerFactory</c>).</summary>
    protected TestLog Log { get; private set; } = null!;

    [SetUp]
    public void StartLog() => Log = new TestLog();

    [TearDown]
    public void PrintLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed)
        {
            TestContext.Out.WriteLine("--- the stack's log ---");
            TestContext.Out.WriteLine(Log.ToString());
            TestContext.Out.WriteLine("--- coturn ---");
            TestContext.Out.WriteLine(Lab.Coturn.RecentOutput);
        }

        Log.Dispose();
    }
}
