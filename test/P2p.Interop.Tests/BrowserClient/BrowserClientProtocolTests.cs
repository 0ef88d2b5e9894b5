using System.Text.Json;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// The browser client against a hand-driven member (literal JSON-RPC): the offer rule, retries with
/// back-off, glare (-32030) and refused relays, as docs/protocol.md "Group message framing" specifies.
/// </summary>
[TestFixture]
[NonParallelizable]
public class BrowserClientProtocolTests : BrowserClientTestBase
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Test]
    public async Task The_newcomer_offers_to_an_earlier_member_and_retries_with_back_off_while_it_stays_a_failed_member()
    {
        await using var earlier = await RawSignalingClient.ConnectAsync(Server.WebSocketUri);
        var groupId = (await earlier.CallAsync("create", 15)).GetString()!;
        var page = await OpenAsync("newcomer");
        await page.CallAsync("join", groupId);

        // The offer, as the browser's own JSON shape; the earlier member refuses it three times.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var relay = await earlier.NextRelayAsync("offer", Wait);
            var p = relay.GetProperty("params");
            Assert.That(p[0].GetString(), Is.EqualTo(groupId));
            Assert.That(p[1].GetString(), Is.EqualTo(page.Id), "the server fills in the sender");
            Assert.That(p[2].GetProperty("sdp").GetString(), Does.Contain("webrtc-datachannel").And.Contain("a=max-message-size:"));
            await earlier.RespondErrorAsync(relay, -32011, $"not today ({attempt})");
        }

        var member = (await page.CallAsync("info")).GetProperty("members").EnumerateArray().Single();
        Assert.That(member.GetProperty("id").GetString(), Is.EqualTo(earlier.UserId));
        Assert.That(member.GetProperty("isOwner").GetBoolean(), Is.True);
        var states = (await page.CallAsync("events")).EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() == "memberstatechanged")
            .Select(e => e.GetProperty("state").GetString()).ToArray();
        Assert.That(states, Does.Contain("failed"), "a refused offer fails the attempt");
        Assert.That(states.Count(s => s == "connecting"), Is.GreaterThanOrEqualTo(2), "and a retry starts connecting again");

        // member_left removes the member (and with it its retries).
        await earlier.CallAsync("leave", groupId);
        await page.CallAsync("waitEvent", "memberleft", earlier.UserId, WaitMs);
        Assert.That(MemberIds(await page.CallAsync("info")), Is.Empty);
        AssertNoPageErrors(page);
    }

    [Test]
    public async Task Glare_the_lower_user_id_keeps_its_offer_the_higher_answers_it()
    {
        // The page will offer to two earlier members; one has a lower user id than the page, one a higher.
        var page = await OpenAsync("glare");
        var clients = new List<RawSignalingClient>();
        RawSignalingClient? lower = null, higher = null;
        try
        {
            while (lower is null || higher is null)
            {
                var client = await RawSignalingClient.ConnectAsync(Server.WebSocketUri);
                clients.Add(client);
                if (string.CompareOrdinal(client.UserId, page.Id) < 0)
                {
                    lower ??= client;
                }
                else
                {
                    higher ??= client;
                }
            }

            var groupId = (await lower.CallAsync("create", 15)).GetString()!;
            await higher.CallAsync("join", groupId);
            await page.CallAsync("join", groupId);
            var offerToLower = await lower.NextRelayAsync("offer", Wait);
            var offerToHigher = await higher.NextRelayAsync("offer", Wait);

            // Both earlier members break the rule and offer to the page while its own offers are pending.
            // (Any valid offer SDP will do: they send back the page's own.)
            var sdp = offerToLower.GetProperty("params")[2].GetProperty("sdp").GetString();
            var offer = new { type = "offer", sdp };

            var refused = Assert.ThrowsAsync<RawRpcException>(() => higher.CallAsync("relay", groupId, page.Id, offer));
            Assert.That(refused!.Code, Is.EqualTo(-32030), "the page has the lower id: it keeps its offer");
            Assert.That(refused.Message, Does.StartWith("glare:"));

            var answer = await lower.CallAsync("relay", groupId, page.Id, offer);
            Assert.That(answer.GetProperty("type").GetString(), Is.EqualTo("answer"), "the page has the higher id: it answers");
            Assert.That(answer.GetProperty("sdp").GetString(), Does.Contain("a=setup:active").Or.Contain("a=setup:passive"));

            var links = await page.CallAsync("links");
            Assert.That(links.GetProperty(lower.UserId).GetProperty("role").GetString(), Is.EqualTo("answerer"));
            Assert.That(links.GetProperty(higher.UserId).GetProperty("role").GetString(), Is.EqualTo("offerer"));
            await lower.RespondAsync(offerToLower, null);
            await higher.RespondErrorAsync(offerToHigher, -32011, "test over");
            AssertNoPageErrors(page);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task Relays_that_are_not_offers_or_candidates_are_refused_with_invalid_params_candidates_are_answered_with_null()
    {
        await using var earlier = await RawSignalingClient.ConnectAsync(Server.WebSocketUri);
        var groupId = (await earlier.CallAsync("create", 15)).GetString()!;
        var page = await OpenAsync("relays");
        await page.CallAsync("join", groupId);
        var pendingOffer = await earlier.NextRelayAsync("offer", Wait);

        object[] bad =
        [
            new { type = "bogus" },
            new { sdp = "v=0" },
            new { type = "offer" },
            new { type = "candidate", candidate = 5 },
            new { type = "candidate", candidate = "", sdpMLineIndex = -1 },
            "just a string",
        ];
        foreach (var data in bad)
        {
            var error = Assert.ThrowsAsync<RawRpcException>(() => earlier.CallAsync("relay", groupId, page.Id, data));
            Assert.That(error!.Code, Is.EqualTo(-32602), JsonSerializer.Serialize(data));
        }

        // A candidate for the pending attempt (no remote description yet: buffered) is answered with null.
        var result = await earlier.CallAsync("relay", groupId, page.Id, new { type = "candidate", candidate = "candidate:1 1 udp 2122260223 127.0.0.1 9 typ host", sdpMid = "0", sdpMLineIndex = 0 });
        Assert.That(result.ValueKind, Is.EqualTo(JsonValueKind.Null));
        await earlier.RespondErrorAsync(pendingOffer, -32011, "test over");
        AssertNoPageErrors(page);
    }
}
