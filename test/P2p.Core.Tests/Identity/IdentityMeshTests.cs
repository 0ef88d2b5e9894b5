using P2p.Core.Identity;
using P2p.Core.Tests.Support;

namespace P2p.Core.Tests.Identity;

/// <summary>Identity over the real signaling server and the in-memory transport (whose SDPs carry fingerprints).</summary>
[CancelAfter(30_000)]
public class IdentityMeshTests
{
    [Test]
    public async Task Three_members_with_keys_form_a_mesh_and_each_sees_the_others_names_and_key_ids()
    {
        await using var mesh = await TestMesh.StartAsync();
        var keys = Enumerable.Range(0, 3).Select(_ => IdentityKey.Create()).ToArray();
        try
        {
            var index = 0;
            var members = await mesh.FormAsync(3, configure: o =>
            {
                var i = Interlocked.Increment(ref index) - 1;
                o.Identity = new IdentityOptions { Key = keys[i], Name = $"member{i}", TrustPolicy = IdentityTrustPolicies.TrustOnFirstUse(new InMemoryTrustStore()) };
            });

            var expected = Enumerable.Range(0, 3).ToDictionary(i => $"member{i}", i => keys[i].KeyId);
            foreach (var member in members)
            {
                Assert.That(member.Group.Members.Select(p => (p.Identity!.Name, p.Identity.KeyId)), Is.EquivalentTo(
                    expected.Where(e => e.Key != member.Group.LocalMember.Identity!.Name).Select(e => (e.Key, e.Value))));
            }
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    [Test]
    public async Task A_member_without_a_key_is_refused_by_a_requiring_member_and_accepted_by_a_relaxed_one()
    {
        await using var mesh = await TestMesh.StartAsync();
        using var key = IdentityKey.Create();
        var owner = await mesh.CreateAsync(configure: o => o.Identity = new IdentityOptions { Key = key, Name = "owner" });
        var plain = await mesh.JoinAsync(owner.Group.Id);
        await owner.Changes.UntilAsync(() => owner.Group.GetMember(plain.Id)?.LastError is IdentityException { Reason: IdentityFailureReason.Missing }, "the owner to refuse the member without a key");

        using var relaxedKey = IdentityKey.Create();
        var relaxed = await mesh.JoinAsync(owner.Group.Id, o => o.Identity = new IdentityOptions { Key = relaxedKey, RequirePeerIdentity = false });
        await relaxed.Changes.UntilAsync(() => relaxed.Group.GetMember(plain.Id)?.State == PeerState.Connected, "the relaxed member to accept the member without a key");
        Assert.That(relaxed.Group.GetMember(plain.Id)!.Identity, Is.Null);
        await owner.Changes.UntilAsync(() => owner.Group.GetMember(relaxed.Id)?.State == PeerState.Connected, "the owner to accept the relaxed member");

        // A relaxed side reports the member connected at once; the owner's proof, its first frame, precedes this broadcast.
        await owner.Group.UnicastAsync(relaxed.Id, new byte[] { 1 });
        Assert.That(relaxed.Group.GetMember(owner.Id)!.Identity?.Name, Is.EqualTo("owner"));
    }
}
