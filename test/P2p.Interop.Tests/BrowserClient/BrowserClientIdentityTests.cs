using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// End-to-end identity (issue 16, part 2) in the browser client: pages with ECDSA P-256 keys prove them over each
/// connection (an Identity frame signed over both DTLS fingerprints, the group and both member ids), and the trust
/// policies (any verified, pinned, trust on first use) decide whom to connect to.
/// </summary>
[TestFixture]
[NonParallelizable]
public class BrowserClientIdentityTests : BrowserClientTestBase
{
    private const int IdentityRejected = 105; // GroupErrorCode.IdentityRejected, as in the .NET SDK
    private const string IdentityMissing = "missing";
    private const string IdentityMalformed = "malformed";
    private const string IdentityBadSignature = "badSignature";
    private const string IdentityRefused = "refused";

    /// <summary>Asserts an error is <c>IdentityRejected</c> (105) for <paramref name="reason"/> (an <c>IdentityFailureReason</c>).</summary>
    private static void AssertRejected(JsonElement error, string reason)
    {
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(IdentityRejected));
        Assert.That(error.GetProperty("reason").GetString(), Is.EqualTo(reason));
    }

    /// <summary>A page connected with <c>identity</c> options of the driver (<c>name</c>, <c>key</c>, <c>requirePeerIdentity</c>, <c>trust</c>).</summary>
    private async Task<BrowserClientPage> OpenWithIdentityAsync(string name, object? identity)
    {
        var page = await OpenAsync(name, connect: false);
        await page.ConnectAsync(Server.WebSocketUri, new { connectTimeout = 15_000, identity });
        return page;
    }

    private static object Key(string name, object? trust = null, bool? requirePeerIdentity = null) =>
        new { name, key = "generate", trust, requirePeerIdentity };

    private static (string? Name, string? KeyId)? IdentityOf(JsonElement identity) =>
        identity.ValueKind == JsonValueKind.Null ? null : (identity.GetProperty("name").GetString(), identity.GetProperty("keyId").GetString());

    private static async Task<string> GroupIdAsync(BrowserClientPage page, int capability = 15) =>
        (await page.CallAsync("create", capability)).GetProperty("id").GetString()!;

    [Test]
    public async Task Two_pages_with_identities_connect_and_each_sees_the_other_s_verified_name_and_key_id()
    {
        var alice = await OpenWithIdentityAsync("alice", Key("alice"));
        var bob = await OpenWithIdentityAsync("bob", Key("bob"));
        var aliceKey = await alice.CallAsync<string>("keyId");
        var bobKey = await bob.CallAsync<string>("keyId");
        Assert.That(aliceKey, Does.Match("^[0-9a-f]{64}$"));
        Assert.That(bobKey, Is.Not.EqualTo(aliceKey));

        await bob.CallAsync("join", await GroupIdAsync(alice));
        await alice.CallAsync("waitConnected", 1, WaitMs);
        await bob.CallAsync("waitConnected", 1, WaitMs);

        Assert.Multiple(async () =>
        {
            Assert.That(IdentityOf(await alice.CallAsync("identity", bob.Id)), Is.EqualTo(("bob", bobKey)));
            Assert.That(IdentityOf(await bob.CallAsync("identity", alice.Id)), Is.EqualTo(("alice", aliceKey)));
            Assert.That(IdentityOf(await alice.CallAsync("localIdentity")), Is.EqualTo(("alice", aliceKey)));

            // Required by default: the connected event already carries the verified identity.
            var connected = await alice.CallAsync("waitState", bob.Id, "connected", WaitMs);
            Assert.That(IdentityOf(connected.GetProperty("identity")), Is.EqualTo(("bob", bobKey)));
            var identified = await bob.CallAsync("waitEvent", "memberidentified", alice.Id, WaitMs);
            Assert.That(IdentityOf(identified.GetProperty("identity")), Is.EqualTo(("alice", aliceKey)));
        });

        // And messages flow both ways.
        Assert.That((await alice.CallAsync("unicastText", bob.Id, "hi bob", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:hi bob"));
        Assert.That((await bob.CallAsync("broadcastText", "hi all")).GetProperty("allDelivered").GetBoolean(), Is.True);
        Assert.That(Texts(await alice.CallAsync("waitReceived", 1, WaitMs)), Is.EqualTo(new[] { $"{bob.Id}:hi all" }));
        AssertNoPageErrors(alice, bob);
    }

    [Test]
    public async Task A_page_requiring_identity_refuses_a_page_without_a_key_and_delivers_nothing_from_it()
    {
        var alice = await OpenWithIdentityAsync("alice", Key("alice"));
        var anonymous = await OpenAsync("anonymous");
        await anonymous.CallAsync("join", await GroupIdAsync(alice));

        // The page without a key does not require one: it reports alice connected, and still verifies her identity.
        await anonymous.CallAsync("waitState", alice.Id, "connected", WaitMs);
        var identified = await anonymous.CallAsync("waitEvent", "memberidentified", alice.Id, WaitMs);
        Assert.That(IdentityOf(identified.GetProperty("identity")), Is.EqualTo(("alice", await alice.CallAsync<string>("keyId"))));

        // Its first frame is a broadcast, not an Identity frame: alice closes the link and says why.
        await anonymous.CallAsync("broadcastText", "hello, I am nobody");
        var failed = await alice.CallAsync("waitState", anonymous.Id, "failed", WaitMs);
        var error = failed.GetProperty("error");
        Assert.Multiple(() =>
        {
            AssertRejected(error, IdentityMissing);
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("sent no Identity frame").And.Contain("Broadcast").And.Contain("requires a verified identity"));
        });
        var events = (await alice.CallAsync("events")).EnumerateArray().Where(e => e.GetProperty("member").GetString() == anonymous.Id);
        Assert.That(events.Select(e => e.TryGetProperty("state", out var state) ? state.GetString() : null), Does.Not.Contain("connected"));
        Assert.That((await alice.CallAsync("received")).GetArrayLength(), Is.Zero, "nothing is delivered from a member without a verified identity");
        Assert.That(await alice.CallAsync<string[]>("logs"), Has.Some.Contains("sent no Identity frame"), "logged at warning");
        AssertNoPageErrors(alice, anonymous);
    }

    [Test]
    public async Task Without_requirePeerIdentity_a_page_with_a_key_accepts_a_page_without_one()
    {
        var alice = await OpenWithIdentityAsync("alice", Key("alice", requirePeerIdentity: false));
        var anonymous = await OpenAsync("anonymous");
        await anonymous.CallAsync("join", await GroupIdAsync(alice));
        await alice.CallAsync("waitConnected", 1, WaitMs);
        await anonymous.CallAsync("waitConnected", 1, WaitMs);

        Assert.That((await anonymous.CallAsync("broadcastText", "hello, I am nobody")).GetProperty("allDelivered").GetBoolean(), Is.True);
        Assert.That(Texts(await alice.CallAsync("waitReceived", 1, WaitMs)), Is.EqualTo(new[] { $"{anonymous.Id}:hello, I am nobody" }));
        Assert.That((await alice.CallAsync("unicastText", anonymous.Id, "who are you?", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:who are you?"));
        await anonymous.CallAsync("waitEvent", "memberidentified", alice.Id, WaitMs);
        Assert.Multiple(async () =>
        {
            Assert.That(IdentityOf(await alice.CallAsync("identity", anonymous.Id)), Is.Null);
            Assert.That(IdentityOf(await anonymous.CallAsync("identity", alice.Id)), Is.EqualTo(("alice", await alice.CallAsync<string>("keyId"))));
        });
        AssertNoPageErrors(alice, anonymous);
    }

    [Test]
    public async Task Pinned_keys_refuse_an_unknown_key_for_a_pinned_name_and_accept_the_pinned_one()
    {
        var bob = await OpenWithIdentityAsync("bob", Key("bob"));
        var impostor = await OpenWithIdentityAsync("impostor", Key("bob"));
        var bobKey = await bob.CallAsync<string>("keyId");
        var alice = await OpenWithIdentityAsync("alice", Key("alice", new { type = "pinned", pins = new Dictionary<string, string> { ["bob"] = bobKey } }));
        var groupId = await GroupIdAsync(alice);

        await impostor.CallAsync("join", groupId);
        var refused = (await alice.CallAsync("waitState", impostor.Id, "failed", WaitMs)).GetProperty("error");
        Assert.Multiple(() =>
        {
            AssertRejected(refused, IdentityRefused);
            Assert.That(refused.GetProperty("message").GetString(), Does.Contain("refused by the trust policy").And.Contain($"is not the one pinned for \"bob\" ({bobKey})"));
        });

        await bob.CallAsync("join", groupId);
        var connected = await alice.CallAsync("waitState", bob.Id, "connected", WaitMs);
        Assert.That(IdentityOf(connected.GetProperty("identity")), Is.EqualTo(("bob", bobKey)));
        Assert.That((await alice.CallAsync("unicastText", bob.Id, "hi bob", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:hi bob"));
        AssertNoPageErrors(alice, bob, impostor);
    }

    [Test]
    public async Task Trust_on_first_use_remembers_a_name_s_first_key_and_refuses_a_changed_one()
    {
        var alice = await OpenWithIdentityAsync("alice", Key("alice", new { type = "tofu" }));
        var bob = await OpenWithIdentityAsync("bob", Key("bob"));
        var bobKey = await bob.CallAsync<string>("keyId");
        var groupId = await GroupIdAsync(alice);

        await bob.CallAsync("join", groupId);
        await alice.CallAsync("waitState", bob.Id, "connected", WaitMs);
        var store = await alice.CallAsync("trustStore");
        Assert.That(store.GetProperty("bob").GetString(), Is.EqualTo(bobKey));
        await bob.CallAsync("leave");
        await alice.CallAsync("waitEvent", "memberleft", bob.Id, WaitMs);

        // Someone else calls itself bob, with another key.
        var newBob = await OpenWithIdentityAsync("new-bob", Key("bob"));
        var newKey = await newBob.CallAsync<string>("keyId");
        await newBob.CallAsync("join", groupId);
        var refused = (await alice.CallAsync("waitState", newBob.Id, "failed", WaitMs)).GetProperty("error");
        Assert.Multiple(async () =>
        {
            AssertRejected(refused, IdentityRefused);
            Assert.That(refused.GetProperty("message").GetString(), Does.Contain($"\"bob\" was first seen with key id {bobKey}, and now comes with {newKey}"));
            Assert.That((await alice.CallAsync("trustStore")).GetProperty("bob").GetString(), Is.EqualTo(bobKey), "the first key stays");
        });
        AssertNoPageErrors(alice, bob, newBob);
    }

    [Test]
    public async Task A_trust_callback_that_refuses_closes_the_link_with_its_reason()
    {
        var alice = await OpenWithIdentityAsync("alice", Key("alice", new { type = "refuse" }));
        var bob = await OpenWithIdentityAsync("bob", Key("bob"));
        await bob.CallAsync("join", await GroupIdAsync(alice));
        var refused = (await alice.CallAsync("waitState", bob.Id, "failed", WaitMs)).GetProperty("error");
        AssertRejected(refused, IdentityRefused);
        Assert.That(refused.GetProperty("message").GetString(), Does.Contain("refused by the trust policy: not today, bob"));
        AssertNoPageErrors(alice, bob);
    }

    [TestCase("trailing", IdentityMalformed, "1 trailing bytes")]
    [TestCase("version", IdentityMalformed, "version 2")]
    [TestCase("truncated", IdentityMalformed, "total length")]
    [TestCase("badKey", IdentityMalformed, "not an ECDSA P-256")]
    [TestCase("badSignature", IdentityBadSignature, "Bad identity signature")]
    public async Task A_malformed_or_forged_identity_frame_is_refused_and_the_next_connection_with_a_good_one_works(string rewrite, string code, string reason)
    {
        var alice = await OpenWithIdentityAsync("alice", Key("alice"));
        var bob = await OpenWithIdentityAsync("bob", Key("bob"));
        await bob.CallAsync("injectIdentityFrame", rewrite, 1);
        await bob.CallAsync("join", await GroupIdAsync(alice));

        var refused = (await alice.CallAsync("waitState", bob.Id, "failed", WaitMs)).GetProperty("error");
        AssertRejected(refused, code);
        Assert.That(refused.GetProperty("message").GetString(), Does.Contain(reason));

        // bob (the later joiner) offers again; its next Identity frame is intact.
        await alice.CallAsync("waitState", bob.Id, "connected", WaitMs);
        await bob.CallAsync("waitConnected", 1, WaitMs);
        Assert.That(IdentityOf(await alice.CallAsync("identity", bob.Id)), Is.EqualTo(("bob", await bob.CallAsync<string>("keyId"))));
        Assert.That((await bob.CallAsync("unicastText", alice.Id, "better now?", WaitMs)).GetProperty("reply").GetString(), Is.EqualTo("echo:better now?"));
        AssertNoPageErrors(alice, bob);
    }

    [Test]
    public async Task The_transcript_and_identity_frame_encoding_match_bytes_computed_independently()
    {
        var page = await OpenAsync("encoding", connect: false);
        var fields = new
        {
            groupId = "0123456789abcdef0123456789abcdef",
            name = "Zoë",
            signerId = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            peerId = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            signerFingerprint = "sha-256 AB:CD:EF",
            peerFingerprint = "sha-256 01:23:45",
        };
        var transcript = Convert.FromBase64String(await page.CallAsync<string>("identityTranscript", fields));
        Assert.That(Convert.ToHexStringLower(transcript), Is.EqualTo(
            "7032702d6964656e746974792d7631" + "0a" // p2p-identity-v1\n
            + "67726f75703a" + "3031323334353637383961626364656630313233343536373839616263646566" + "0a" // group:…\n
            + "6e616d653a" + "5a6fc3ab" + "0a" // name:Zoë\n (ë = c3 ab)
            + "7369676e65723a" + "6161616161616161616161616161616161616161616161616161616161616161" + "0a"
            + "706565723a" + "6262626262626262626262626262626262626262626262626262626262626262" + "0a"
            + "7369676e65722d66696e6765727072696e743a" + "7368612d3235362041423a43443a4546" + "0a"
            + "706565722d66696e6765727072696e743a" + "7368612d3235362030313a32333a3435")); // no trailing newline

        // The frame: header (version 1 | kind 5, final, id 0, total length), version 1, then three u16-BE-prefixed fields.
        var key = new byte[] { 0x30, 0x59, 0x01 };
        var signature = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        var frame = Convert.FromBase64String(await page.CallAsync<string>("identityFrame", "Zoë", Convert.ToBase64String(key), Convert.ToBase64String(signature)));
        var payloadLength = 1 + 2 + 4 + 2 + 3 + 2 + 64;
        Assert.That(Convert.ToHexStringLower(frame), Is.EqualTo(
            "15" + "01" + "00000000" + payloadLength.ToString("x8")
            + "01" + "0004" + "5a6fc3ab" + "0003" + "305901" + "0040" + Convert.ToHexStringLower(signature)));

        // Fingerprints: the first a=fingerprint line, algorithm lowercased, value uppercased.
        Assert.That(await page.CallAsync<string>("sdpFingerprint", "v=0\r\na=fingerprint:SHA-256 ab:cd:0f\r\na=fingerprint:sha-1 11:22\r\n"), Is.EqualTo("sha-256 AB:CD:0F"));
    }

    [Test]
    public async Task An_identity_signed_in_dotnet_verifies_in_the_page_and_one_signed_in_the_page_verifies_in_dotnet()
    {
        var page = await OpenAsync("crypto", connect: false);
        var fields = new
        {
            groupId = "g1",
            name = "dotnet",
            signerId = "s1",
            peerId = "p1",
            signerFingerprint = "sha-256 AA:BB",
            peerFingerprint = "sha-256 CC:DD",
        };
        var verifierFields = new { fields.groupId, fields.signerId, fields.peerId, fields.signerFingerprint, fields.peerFingerprint };
        var transcript = Encoding.UTF8.GetBytes(string.Join('\n',
            "p2p-identity-v1", $"group:{fields.groupId}", $"name:{fields.name}", $"signer:{fields.signerId}", $"peer:{fields.peerId}",
            $"signer-fingerprint:{fields.signerFingerprint}", $"peer-fingerprint:{fields.peerFingerprint}"));

        // .NET signs (SPKI, IEEE P1363), the page verifies and computes the same key id.
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = ecdsa.ExportSubjectPublicKeyInfo();
        var signature = ecdsa.SignData(transcript, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var payload = new List<byte> { 1 };
        foreach (var part in new[] { Encoding.UTF8.GetBytes(fields.name), spki, signature })
        {
            payload.Add((byte)(part.Length >> 8));
            payload.Add((byte)part.Length);
            payload.AddRange(part);
        }

        var payloadB64 = Convert.ToBase64String([.. payload]);
        var verified = await page.CallAsync("verifyIdentity", payloadB64, verifierFields);
        Assert.That(IdentityOf(verified), Is.EqualTo(("dotnet", Convert.ToHexStringLower(SHA256.HashData(spki)))), verified.GetRawText());

        // The same payload over another transcript (a swapped fingerprint) is a bad signature.
        var swapped = await page.CallAsync("verifyIdentity", payloadB64, verifierFields with { signerFingerprint = "sha-256 CC:DD", peerFingerprint = "sha-256 AA:BB" });
        AssertRejected(swapped.GetProperty("error"), IdentityBadSignature);

        // The page signs, .NET verifies.
        var signed = await page.CallAsync("signIdentity", fields);
        var pagePayload = Convert.FromBase64String(signed.GetProperty("payload").GetString()!);
        var pageSpki = Convert.FromBase64String(signed.GetProperty("spki").GetString()!);
        Assert.That(signed.GetProperty("keyId").GetString(), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(pageSpki))));
        var offset = 1;
        byte[] Next()
        {
            var length = (pagePayload[offset] << 8) | pagePayload[offset + 1];
            var bytes = pagePayload[(offset + 2)..(offset + 2 + length)];
            offset += 2 + length;
            return bytes;
        }

        Assert.That(pagePayload[0], Is.EqualTo(1));
        Assert.That(Encoding.UTF8.GetString(Next()), Is.EqualTo(fields.name));
        Assert.That(Next(), Is.EqualTo(pageSpki));
        var pageSignature = Next();
        Assert.That(offset, Is.EqualTo(pagePayload.Length));
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(pageSpki, out _);
        Assert.That(verifier.VerifyData(transcript, pageSignature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation), Is.True);
    }
    [Test]
    public async Task A_pkcs8_key_from_dotnet_imports_with_the_same_key_id_and_jwk_and_pkcs8_exports_round_trip()
    {
        var page = await OpenAsync("keys", connect: false);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var expected = Convert.ToHexStringLower(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo()));
        var result = await page.EvaluateAsync<JsonElement>(
            """
            async (pkcs8B64) => {
              const { P2pIdentity } = window.p2p;
              const bytes = Uint8Array.from(atob(pkcs8B64), (c) => c.charCodeAt(0));
              const imported = await P2pIdentity.fromPkcs8(bytes, { extractable: true });
              const viaJwk = await P2pIdentity.fromJwk(await imported.exportJwk());
              const viaPkcs8 = await P2pIdentity.fromPkcs8(await imported.exportPkcs8());
              let notExtractable = null;
              try { await viaJwk.exportJwk(); } catch (error) { notExtractable = error.name; }
              const generated = await P2pIdentity.generate();
              return { imported: imported.keyId, viaJwk: viaJwk.keyId, viaPkcs8: viaPkcs8.keyId, notExtractable, generated: generated.keyId, spkiLength: generated.spki.length };
            }
            """, Convert.ToBase64String(ecdsa.ExportPkcs8PrivateKey()));
        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("imported").GetString(), Is.EqualTo(expected));
            Assert.That(result.GetProperty("viaJwk").GetString(), Is.EqualTo(expected));
            Assert.That(result.GetProperty("viaPkcs8").GetString(), Is.EqualTo(expected));
            Assert.That(result.GetProperty("notExtractable").GetString(), Is.EqualTo("InvalidAccessError"), "imported without extractable: the private key stays in WebCrypto");
            Assert.That(result.GetProperty("generated").GetString(), Does.Match("^[0-9a-f]{64}$"));
            Assert.That(result.GetProperty("spkiLength").GetInt32(), Is.EqualTo(91), "P-256 SPKI DER");
        });
    }

    [Test]
    public async Task Trust_on_first_use_in_localStorage_remembers_a_name_across_policies_and_refuses_a_changed_key()
    {
        var page = await OpenAsync("storage", connect: false);
        var result = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const { TrustPolicy, LocalStorageTrustStore } = window.p2p;
              localStorage.clear();
              const claim = (keyId) => ({ name: "bob", keyId, memberId: "m", groupId: "g" });
              const first = TrustPolicy.trustOnFirstUse(new LocalStorageTrustStore("test:"));
              const accepted = await first(claim("1111"));
              // A new policy and store over the same storage, as after a reload.
              const later = TrustPolicy.trustOnFirstUse(new LocalStorageTrustStore("test:"));
              const again = await later(claim("1111"));
              let refused = null;
              try { await later(claim("2222")); } catch (error) { refused = error.message; }
              return { accepted, again, refused, stored: localStorage.getItem("test:bob") };
            }
            """);
        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("accepted").GetBoolean(), Is.True);
            Assert.That(result.GetProperty("again").GetBoolean(), Is.True);
            Assert.That(result.GetProperty("refused").GetString(), Is.EqualTo("\"bob\" was first seen with key id 1111, and now comes with 2222"));
            Assert.That(result.GetProperty("stored").GetString(), Is.EqualTo("1111"));
        });
    }
}
