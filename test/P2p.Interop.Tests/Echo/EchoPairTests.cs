using System.Text.Json;
using System.Text.Json.Nodes;
using P2p.Testing.NatLab;

namespace P2p.Interop.Tests.Echo;

/// <summary>
/// Two WebRtcEcho processes, an offerer and the default answerer, whose stdout lines the test forwards
/// to each other's stdin: the offerer's data comes back intact, both exit 0.
/// </summary>
[TestFixture]
[NonParallelizable]
public class EchoPairTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Test]
    [CancelAfter(30_000)]
    public async Task Trickle_offerer_echoes_four_mi_b_and_both_exit_zero()
    {
        var (offerLines, answerLines, _, _) = await RunPairAsync(["--offer", "--loopback", "--mib", "4"], ["--loopback"]);

        AssertResult(offerLines[^1], 4 << 20);
        using (var offer = JsonDocument.Parse(offerLines[0]))
        {
            Assert.That(offer.RootElement.GetProperty("type").GetString(), Is.EqualTo("offer"), "the description comes first");
            Assert.That(offer.RootElement.GetProperty("sdp").GetString(), Does.Not.Contain("a=candidate:"), "trickle: no candidates in the SDP");
        }

        foreach (var lines in new[] { offerLines, answerLines })
        {
            var candidates = lines.Select(l => JsonNode.Parse(l)!).Where(n => (string?)n["type"] == "candidate").ToList();
            var lineTexts = candidates.Select(c => (string)c["candidate"]!).Where(c => c.Length > 0).ToList();
            Assert.That(lineTexts, Is.Not.Empty.And.All.Contains(" udp ").And.All.Contains(" 127.0.0.1 "), "--loopback: 127.0.0.1 host candidates only");
            Assert.That((string?)candidates[^1]["candidate"], Is.Empty, "end-of-candidates comes last");
            Assert.That((string?)candidates[^1]["sdpMid"], Is.EqualTo("0"));
        }

        using var answer = JsonDocument.Parse(answerLines[0]);
        Assert.That(answer.RootElement.GetProperty("type").GetString(), Is.EqualTo("answer"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Relay_only_pair_echoes_through_a_turn_server_configured_on_the_command_line()
    {
        await using var coturn = await CoturnProcess.StartAsync(CoturnOptions.Loopback());
        string[] relay = ["--loopback", "--relay-only", "--ice-server", coturn.TurnUdpUrl, "--username", coturn.Options.Username, "--credential", coturn.Options.Password];

        var (offerLines, answerLines, _, _) = await RunPairAsync(["--offer", "--mib", "1", .. relay], relay);

        AssertResult(offerLines[^1], 1 << 20);
        foreach (var lines in new[] { offerLines, answerLines })
        {
            var candidates = lines.Select(l => JsonNode.Parse(l)!).Where(n => (string?)n["type"] == "candidate")
                .Select(c => (string)c["candidate"]!).Where(c => c.Length > 0).ToList();
            Assert.That(candidates, Is.Not.Empty.And.All.Contains(" typ relay raddr 0.0.0.0 rport 0"), "--relay-only: relayed candidates only, no host address");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task No_trickle_each_side_prints_one_description_with_its_candidates()
    {
        var (offerLines, answerLines, _, _) = await RunPairAsync(["--offer", "--loopback", "--no-trickle", "--mib", "4"], ["--loopback", "--no-trickle"]);

        Assert.That(offerLines, Has.Count.EqualTo(2), "the offer and the result line");
        Assert.That(answerLines, Has.Count.EqualTo(1), "the answer only");
        AssertResult(offerLines[1], 4 << 20);
        foreach (var (line, type) in new[] { (offerLines[0], "offer"), (answerLines[0], "answer") })
        {
            using var description = JsonDocument.Parse(line);
            Assert.That(description.RootElement.GetProperty("type").GetString(), Is.EqualTo(type));
            var sdp = description.RootElement.GetProperty("sdp").GetString()!;
            Assert.That(sdp, Does.Match(@"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host"));
            Assert.That(sdp, Does.Contain("a=end-of-candidates\r\n"));
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Garbage_lines_are_reported_on_stderr_and_the_echo_still_works()
    {
        string[] garbage =
        [
            "this is not json",
            """{"type":"candidate","candidate":"nonsense"}""",
            """{"type":"bogus"}""",
            """{"type":"candidate","candidate":"candidate:1 1 udp 2122317823 127.0.0.1 9 typ host","sdpMid":"7","sdpMLineIndex":0}""",
            "",
        ];
        var (offerLines, _, offererStderr, answererStderr) = await RunPairAsync(["--offer", "--loopback", "--mib", "1"], ["--loopback"], garbage);

        AssertResult(offerLines[^1], 1 << 20);
        foreach (var stderr in new[] { offererStderr, answererStderr })
        {
            Assert.That(stderr, Does.Contain("input line 1 ignored: not JSON"));
            Assert.That(stderr, Does.Contain("input line 2 ignored: bad candidate"));
            Assert.That(stderr, Does.Contain("input line 3 ignored: unknown type \"bogus\""));
            Assert.That(stderr, Does.Contain("input line 4 ignored: bad candidate").And.Contain("'7'"));
            Assert.That(stderr, Does.Not.Contain("input line 5"), "a blank line is no error");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Messages_larger_than_the_peers_maximum_are_a_usage_error()
    {
        await using var answerer = EchoProcess.Start("answerer", "--loopback", "--timeout", "10");
        await using var offerer = EchoProcess.Start("offerer", "--offer", "--loopback", "--msg-kib", "512", "--timeout", "10");
        var toAnswerer = EchoProcess.PipeAsync(offerer, answerer);
        _ = EchoProcess.PipeAsync(answerer, offerer);

        Assert.That(await offerer.WaitForExitAsync(Timeout), Is.EqualTo(2));
        Assert.That(offerer.Stderr, Does.Contain("--msg-kib 512 (524288 bytes) exceeds the peer's maximum message size of 262144 bytes"));
        using var result = JsonDocument.Parse((await toAnswerer)[^1]);
        Assert.That(result.RootElement.GetProperty("type").GetString(), Is.EqualTo("result"));
        Assert.That(result.RootElement.GetProperty("ok").GetBoolean(), Is.False);
        Assert.That(result.RootElement.GetProperty("exitCode").GetInt32(), Is.EqualTo(2));
    }

    /// <summary>Runs an offerer and an answerer piped to each other; both must exit 0. Returns their stdout lines and stderr.</summary>
    private static async Task<(List<string> OfferLines, List<string> AnswerLines, string OffererStderr, string AnswererStderr)> RunPairAsync(
        string[] offererArgs, string[] answererArgs, string[]? firstLines = null)
    {
        await using var answerer = EchoProcess.Start("answerer", [.. answererArgs, "--timeout", "20"]);
        await using var offerer = EchoProcess.Start("offerer", [.. offererArgs, "--timeout", "20"]);
        if (firstLines is not null)
        {
            await answerer.WriteLinesAsync(firstLines);
            await offerer.WriteLinesAsync(firstLines);
        }

        var toAnswerer = EchoProcess.PipeAsync(offerer, answerer);
        var toOfferer = EchoProcess.PipeAsync(answerer, offerer);

        Assert.That(await offerer.WaitForExitAsync(Timeout), Is.Zero, () => $"offerer failed:\n{offerer.Stderr}");
        Assert.That(await answerer.WaitForExitAsync(Timeout), Is.Zero, () => $"answerer did not exit 0 after the offerer closed:\n{answerer.Stderr}");
        Assert.That(answerer.Stderr, Does.Contain("the peer closed the connection"));
        return (await toAnswerer, await toOfferer, offerer.Stderr, answerer.Stderr);
    }

    private static void AssertResult(string line, long bytes)
    {
        using var result = JsonDocument.Parse(line);
        var root = result.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("type").GetString(), Is.EqualTo("result"));
            Assert.That(root.GetProperty("ok").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("bytes").GetInt64(), Is.EqualTo(bytes));
            Assert.That(root.GetProperty("messages").GetInt64(), Is.EqualTo(bytes / (64 << 10)));
            Assert.That(root.GetProperty("seconds").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("mbPerSecond").GetDouble(), Is.GreaterThan(0));
            Assert.That(root.TryGetProperty("error", out _), Is.False);
        });
    }
}
