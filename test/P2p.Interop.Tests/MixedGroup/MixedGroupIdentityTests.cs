using System.Text;
using System.Text.Json;
using P2p.Core;
using P2p.Core.Identity;

namespace P2p.Interop.Tests.BrowserClient.MixedGroup;

/// <summary>
/// End-to-end identity between a .NET member (P2p.Core, .NET's ECDsa) and a Chromium page (p2p.js, WebCrypto): each
/// proves its key over both DTLS fingerprints and the other verifies it, through the real signaling server.
/// </summary>
[TestFixture]
[NonParallelizable]
public class MixedGroupIdentityTests : BrowserClientTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static (string? Name, string? KeyId)? IdentityOf(JsonElement identity) =>
        identity.ValueKind == JsonValueKind.Null ? null : (identity.GetProperty("name").GetString(), identity.GetProperty("keyId").GetString());

    [Test]
    [CancelAfter(120_000)]
    public async Task A_dot_net_member_and_a_page_prove_their_keys_to_each_other_and_talk(CancellationToken ct)
    {
        using var key = IdentityKey.Create();
        var seenByDotNet = new List<IdentityTrustContext>();
        var identity = new IdentityOptions
        {
            Key = key,
            Name = "dotnet",
            TrustPolicy = IdentityTrustPolicies.FromCallback((context, _) =>
            {
                lock (seenByDotNet)
                {
                    seenByDotNet.Add(context);
                }

                return ValueTask.FromResult(context.Name == "page");
            }),
        };
        await using var member = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, identity);

        // The page pins the .NET member's key under its name: only that key is accepted as "dotnet".
        var page = await OpenAsync("identity-page", connect: false);
        await page.ConnectAsync(Server.WebSocketUri, new
        {
            connectTimeout = 15_000,
            identity = new { name = "page", key = "generate", trust = new { type = "pinned", pins = new Dictionary<string, string> { ["dotnet"] = key.KeyId } } },
        });
        await page.CallAsync("join", member.Group.Id);
        await member.Group.WhenAllConnectedAsync(ct).WaitAsync(Timeout, ct);
        await page.CallAsync("waitConnected", 1, WaitMs);

        var pageKey = await page.CallAsync<string>("keyId");
        var peer = member.Group.Members.Single();
        Assert.That(peer.Identity, Is.Not.Null, "the .NET member verified the page's WebCrypto signature");
        Assert.That((peer.Identity!.Name, peer.Identity.KeyId), Is.EqualTo(("page", pageKey)));
        Assert.That(IdentityOf(await page.CallAsync("identity", member.Id)), Is.EqualTo(("dotnet", key.KeyId)), "the page verified .NET's signature and its pin matched");
        lock (seenByDotNet)
        {
            Assert.That(seenByDotNet.Select(c => (c.Name, c.KeyId, c.MemberId)), Is.EqualTo(new[] { ("page", pageKey, page.Id) }));
        }

        var reply = await member.Group.UnicastAsync(page.Id, Encoding.UTF8.GetBytes("hi page"), ct);
        Assert.That(Encoding.UTF8.GetString(reply.Span), Is.EqualTo("echo:hi page"));
        var fromPage = await page.CallAsync("unicastText", member.Id, "hi dotnet", WaitMs);
        Assert.That(fromPage.GetProperty("reply").GetString(), Is.EqualTo("dotnet got: hi dotnet"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_page_pinning_another_key_refuses_the_dot_net_member_and_a_dot_net_member_requiring_identity_refuses_a_page_without_one(CancellationToken ct)
    {
        using var key = IdentityKey.Create();
        using var other = IdentityKey.Create();
        await using var member = await DotNetMember.CreateAsync(Server.WebSocketUri, groupId: null, ct, new IdentityOptions { Key = key, Name = "dotnet" });

        // A page that pinned another key for "dotnet" refuses the member (an impostor, as far as it knows).
        var pinned = await OpenAsync("pinning-page", connect: false);
        await pinned.ConnectAsync(Server.WebSocketUri, new
        {
            connectTimeout = 15_000,
            identity = new { name = "pinning", key = "generate", trust = new { type = "pinned", pins = new Dictionary<string, string> { ["dotnet"] = other.KeyId } } },
        });
        await pinned.CallAsync("join", member.Group.Id);
        var failed = await pinned.CallAsync("waitState", member.Id, "failed", WaitMs);
        TestContext.Out.WriteLine("page: " + failed.GetRawText());
        Assert.That(failed.GetProperty("error").GetProperty("message").GetString(), Does.Contain("dotnet"));

        // A page without a key, at a .NET member that requires identity (the default with a key): refused, nothing delivered.
        var anonymous = await OpenAsync("anonymous-page");
        await anonymous.CallAsync("join", member.Group.Id);
        var refused = new TaskCompletionSource<PeerStateChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        member.Group.MemberStateChanged += (_, e) =>
        {
            if (e.Peer.Id == anonymous.Id && e.Error is IdentityException)
            {
                refused.TrySetResult(e);
            }
        };
        var refusal = await refused.Task.WaitAsync(Timeout, ct);
        TestContext.Out.WriteLine(".NET: " + refusal.Error?.Message);
        Assert.That(refusal.Error, Is.InstanceOf<IdentityException>().With.Property(nameof(IdentityException.Reason)).EqualTo(IdentityFailureReason.Missing));
        Assert.That(refusal.State, Is.Not.EqualTo(PeerState.Connected));
        Assert.That(member.Texts(), Is.Empty, "nothing delivered from a member without a verified identity");
    }
}
