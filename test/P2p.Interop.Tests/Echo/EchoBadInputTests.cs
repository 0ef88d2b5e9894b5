namespace P2p.Interop.Tests.Echo;

/// <summary>WebRtcEcho's documented exit codes for bad command lines and bad essential signaling input.</summary>
/// <remarks>Each case is its own short process and binds nothing that another needs: they may run in parallel.</remarks>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public class EchoBadInputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private const string NoDataSection = "v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n";

    [TestCase("""{"type":"offer","sdp":"this is not sdp"}""", "input line 1: the offer could not be applied: Malformed SDP")]
    [TestCase("{\"type\":\"offer\",\"sdp\":\"" + NoDataSection + "\"}", "input line 1: the offer could not be applied: The remote description has no data channel section")]
    [TestCase("""{"type":"offer"}""", "input line 1: malformed offer: the offer has no \"sdp\" string")]
    [TestCase("""{"type":"offer","sdp":42}""", "input line 1: malformed offer: the offer has no \"sdp\" string")]
    [TestCase("""{"type":"pranswer","sdp":"v=0"}""", "input line 1: malformed offer: a \"pranswer\" description is not supported")]
    [TestCase("""{"type":"answer","sdp":"v=0"}""", "input line 1: expected an offer, got an answer")]
    [CancelAfter(20_000)]
    public async Task Answer_mode_a_malformed_offer_exits_four(string line, string reason)
    {
        await using var echo = EchoProcess.Start("answerer", "--loopback", "--timeout", "10");
        await echo.WriteLinesAsync("garbage first: not essential, reported and skipped", line);

        Assert.That(await echo.WaitForExitAsync(Timeout), Is.EqualTo(4), () => echo.Stderr);
        Assert.That(echo.Stderr, Does.Contain("input line 1 ignored: not JSON"));
        Assert.That(echo.Stderr, Does.Contain("WebRtcEcho: error (exit 4): " + reason.Replace("line 1", "line 2", StringComparison.Ordinal)));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Offer_mode_an_offer_instead_of_the_answer_exits_four_with_a_result_line()
    {
        await using var echo = EchoProcess.Start("offerer", "--offer", "--loopback", "--timeout", "10");
        await echo.WriteLinesAsync("""{"type":"offer","sdp":"v=0"}""");

        Assert.That(await echo.WaitForExitAsync(Timeout), Is.EqualTo(4), () => echo.Stderr);
        Assert.That(echo.Stderr, Does.Contain("expected an answer, got an offer"));
        var lines = new List<string>();
        await foreach (var line in echo.StdoutLines.ReadAllAsync())
        {
            lines.Add(line);
        }

        Assert.That(lines[0], Does.StartWith("""{"type":"offer","sdp":"v=0\r\n"""));
        Assert.That(lines[^1], Does.StartWith("""{"type":"result","ok":false,"exitCode":4,"error":"input line 1: expected an answer"""));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Stdin_closed_before_the_offer_exits_four()
    {
        await using var echo = EchoProcess.Start("answerer", "--loopback", "--timeout", "10");
        await echo.CloseStdinAsync();

        Assert.That(await echo.WaitForExitAsync(Timeout), Is.EqualTo(4), () => echo.Stderr);
        Assert.That(echo.Stderr, Does.Contain("stdin closed before the offer arrived"));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task No_offer_within_the_timeout_exits_three()
    {
        await using var echo = EchoProcess.Start("answerer", "--loopback", "--timeout", "1");

        Assert.That(await echo.WaitForExitAsync(Timeout), Is.EqualTo(3), () => echo.Stderr);
        Assert.That(echo.Stderr, Does.Contain("error (exit 3): timed out after 1 s waiting for the offer"));
    }

    [TestCase("--bogus", "unknown argument '--bogus'")]
    [TestCase("--mib 4", "--mib and --msg-kib apply only with --offer")]
    [TestCase("--offer --msg-kib 0", "--msg-kib must be a whole number from 1")]
    [TestCase("--offer --mib -1", "--mib must be a whole number from 0")]
    [TestCase("--timeout soon", "--timeout must be a number of seconds")]
    [TestCase("--stun http://127.0.0.1", "unknown scheme 'http:'")]
    [TestCase("--ice-server turn:127.0.0.1", "it needs a username and a credential")]
    [TestCase("--username u", "--username must follow an --ice-server")]
    [TestCase("--relay-only --ice-server stun:127.0.0.1", "--relay-only needs a TURN server")]
    [TestCase("--loopback=yes", "--loopback takes no value")]
    [CancelAfter(20_000)]
    public async Task Bad_command_lines_exit_two(string args, string reason)
    {
        await using var echo = EchoProcess.Start("usage", args.Split(' '));

        Assert.That(await echo.WaitForExitAsync(Timeout), Is.EqualTo(2), () => echo.Stderr);
        Assert.That(echo.Stderr, Does.Contain(reason).And.Contain("usage: WebRtcEcho"));
        Assert.That(await echo.StdoutLines.ReadAllAsync().CountAsync(), Is.Zero, "nothing on stdout");
    }
}
