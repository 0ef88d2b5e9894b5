using System.Text.Json;
using P2p.Core.Mesh;

namespace P2p.Core.Tests.Mesh;

/// <summary>Reading another member's relayed offer, answer or candidate: anything malformed is refused, never thrown.</summary>
public class RelayMessagesTests
{
    // Found by fuzzing (fuzz/findings/signaling-client): JsonElement.GetString throws InvalidOperationException for an
    // escaped lone surrogate, so a member could make the relay handler fail with an exception instead of a refusal.
    [TestCase("""{"type":"candidate","candidate":"\ud800"}""")]
    [TestCase("""{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"\udc00"}""")]
    [TestCase("""{"type":"\ud800","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}""")]
    public void A_candidate_with_text_that_is_no_string_is_malformed(string json)
    {
        var data = JsonElement.Parse(json);
        Assert.That(RelayMessages.TryParseCandidate(data, out _), Is.False);
    }

    [TestCase("""{"type":"offer","sdp":"v=0\ud800"}""")]
    [TestCase("""{"type":"off\udfffer","sdp":"v=0"}""")]
    public void An_offer_with_text_that_is_no_string_is_malformed(string json)
    {
        var data = JsonElement.Parse(json);
        Assert.That(RelayMessages.TryParseDescription(data, "offer", out _), Is.False);
    }

    // Found by fuzzing (fuzz/findings/signaling-client/crash-94b8b3eda03a): a member *name* with an escaped lone surrogate
    // made JsonElement.TryGetProperty throw while it compared the other names.
    [TestCase("""{"ty\ud800pe":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}""")]
    [TestCase("""{"type":"candidate","\udc00":1,"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}""")]
    public void A_relayed_object_with_a_member_name_that_is_no_string_is_malformed(string json)
    {
        var data = JsonElement.Parse(json);
        Assert.That(RelayMessages.TypeOf(data), Is.Null.Or.EqualTo("candidate"));
        Assert.That(RelayMessages.TryParseCandidate(data, out _), Is.False);
        Assert.That(RelayMessages.TryParseDescription(data, "offer", out _), Is.False);
        Assert.That(RelayMessages.IsIceRestart(data), Is.False);
    }

    [Test]
    public void A_well_formed_candidate_is_read()
    {
        var data = JsonElement.Parse("""{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}""");
        Assert.That(RelayMessages.TryParseCandidate(data, out var candidate), Is.True);
        Assert.That((candidate.Candidate, candidate.SdpMid, candidate.SdpMLineIndex), Is.EqualTo(("candidate:1 1 udp 1 127.0.0.1 9 typ host", "0", (int?)0)));
    }
}
