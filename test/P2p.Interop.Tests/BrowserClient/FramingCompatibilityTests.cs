using System.Text;
using P2p.Core.Framing;

namespace P2p.Interop.Tests.BrowserClient;

/// <summary>
/// The module's framing against P2p.Core's (src/P2p.Core/Framing), byte for byte: frames written by one side
/// are read by the other, and both reassemblers make the same of the same frame sequence.
/// </summary>
[TestFixture]
[NonParallelizable]
public class FramingCompatibilityTests : BrowserClientTestBase
{
    private BrowserClientPage _page = null!;

    [OneTimeSetUp]
    public async Task OpenPageAsync() => _page = await OpenAsync("framing", connect: false);

    [OneTimeTearDown]
    public Task ClosePageAsync() => ClosePagesCoreAsync();

    protected override bool KeepPagesBetweenTests => true;

    [TestCase(FrameKind.Broadcast, 1u, 0, 64)]
    [TestCase(FrameKind.Request, 2u, 1, 11)]
    [TestCase(FrameKind.Reply, 0xFFFFFFFFu, 53, 11)]
    [TestCase(FrameKind.Error, 7u, 54, 64)]
    [TestCase(FrameKind.Broadcast, 123456u, 65526, 65536)]
    [TestCase(FrameKind.Broadcast, 9u, 65527, 65536)]
    [TestCase(FrameKind.Request, 10u, 300_000, 16384)]
    public async Task The_module_writes_the_frames_P2p_core_writes_and_P2p_core_reassembles_them(FrameKind kind, uint id, int length, int frameSize)
    {
        var message = new byte[length];
        new Random(length).NextBytes(message);

        var ours = await _page.CallAsync<string[]>("encodeFrames", (int)kind, (long)id, Convert.ToBase64String(message), frameSize);

        var expected = new List<string>();
        var buffer = new byte[frameSize];
        for (var i = 0; i < MessageFragmenter.FrameCount(length, frameSize); i++)
        {
            var written = MessageFragmenter.WriteFrame(kind, id, message, i, frameSize, buffer);
            expected.Add(Convert.ToBase64String(buffer, 0, written));
        }

        Assert.That(ours, Is.EqualTo(expected), "frames differ");
        var reassembler = new MessageReassembler(16 << 20);
        ReadOnlyMemory<byte> result = default;
        for (var i = 0; i < ours.Length; i++)
        {
            var status = reassembler.Add(Convert.FromBase64String(ours[i]), out var header, out result);
            Assert.That(status, Is.EqualTo(i == ours.Length - 1 ? ReassemblyStatus.Complete : ReassemblyStatus.Incomplete));
            Assert.That(header, Is.EqualTo(new FrameHeader(kind, i == ours.Length - 1, id, (uint)length)));
        }

        Assert.That(result.ToArray(), Is.EqualTo(message));
    }

    [Test]
    public async Task Both_reassemblers_make_the_same_of_interleaved_abandoned_oversized_and_malformed_frames()
    {
        const int frameSize = 32;
        var random = new Random(42);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        List<byte[]> Frames(FrameKind kind, uint id, byte[] message)
        {
            var frames = new List<byte[]>();
            for (var i = 0; i < MessageFragmenter.FrameCount(message.Length, frameSize); i++)
            {
                var buffer = new byte[frameSize];
                frames.Add(buffer[..MessageFragmenter.WriteFrame(kind, id, message, i, frameSize, buffer)]);
            }

            return frames;
        }

        // A request and a reply with the same id, interleaved: (kind, id) keeps them apart.
        var request = Frames(FrameKind.Request, 5, Bytes(100));
        var reply = Frames(FrameKind.Reply, 5, Bytes(70));
        var sequence = new List<byte[]>();
        for (var i = 0; i < Math.Max(request.Count, reply.Count); i++)
        {
            if (i < request.Count)
            {
                sequence.Add(request[i]);
            }

            if (i < reply.Count)
            {
                sequence.Add(reply[i]);
            }
        }

        // An abandoned broadcast: two fragments, then a final empty fragment.
        var abandoned = Frames(FrameKind.Broadcast, 6, Bytes(200));
        sequence.Add(abandoned[0]);
        sequence.Add(abandoned[1]);
        var cut = new byte[FrameHeader.Size];
        new FrameHeader(FrameKind.Broadcast, true, 6, 200).Write(cut);
        sequence.Add(cut);

        // Over the receiver's limit (1000 bytes here): dropped fragment by fragment, then the next message is fine.
        sequence.AddRange(Frames(FrameKind.Request, 7, Bytes(1200)));
        sequence.AddRange(Frames(FrameKind.Broadcast, 8, Bytes(10)));

        // Malformed: another version, unknown kind, unknown flag, short frame, length mismatch.
        var single = Frames(FrameKind.Broadcast, 9, Bytes(5))[0];
        var version2 = (byte[])single.Clone();
        version2[0] = 0x21;
        var kind5 = (byte[])single.Clone();
        kind5[0] = 0x15;
        var flag2 = (byte[])single.Clone();
        flag2[1] = 0x03;
        var mismatch = (byte[])single.Clone();
        mismatch[9] = 6;
        sequence.AddRange([version2, kind5, flag2, single[..9], mismatch, single]);

        // At most 16 messages partly received at once: the 17th first fragment is dropped.
        for (uint id = 100; id < 117; id++)
        {
            sequence.Add(Frames(FrameKind.Broadcast, id, Bytes(40))[0]);
        }

        var dotnet = new MessageReassembler(1000);
        var expected = sequence.Select(frame =>
        {
            var status = dotnet.Add(frame, out _, out var message);
            return (Status: StatusName(status), Message: status == ReassemblyStatus.Complete ? Convert.ToBase64String(message.Span) : null);
        }).ToList();

        var ours = await _page.CallAsync("reassemble", sequence.Select(Convert.ToBase64String).ToArray(), 1000);
        var actual = ours.EnumerateArray().Select(r => (Status: r.GetProperty("status").GetString()!, Message: r.GetProperty("message").GetString())).ToList();

        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(expected.Count(e => e.Status == "complete"), Is.EqualTo(4), "request, reply, the small broadcast and the valid single frame");
        Assert.That(expected.Count(e => e.Status == "too-large"), Is.GreaterThan(1));
        Assert.That(expected.Count(e => e.Status == "malformed"), Is.EqualTo(6), "the cut-short broadcast and five bad frames");
        Assert.That(expected[^1].Status, Is.EqualTo("too-many-partial-messages"));
    }

    [Test]
    public async Task Error_payloads_are_a_code_and_a_UTF8_message_cut_at_a_character_boundary_within_1024_bytes()
    {
        var encoded = Convert.FromBase64String(await _page.CallAsync<string>("encodeError", 2, "no coffee ☕"));
        Assert.That(encoded, Is.EqualTo(new byte[] { 0, 2 }.Concat(Encoding.UTF8.GetBytes("no coffee ☕"))));

        // "a" then 600 two-byte characters: 1201 bytes; the cut at 1024 would split a character, so 1023 bytes stay.
        var longText = "a" + new string('é', 600);
        var cut = Convert.FromBase64String(await _page.CallAsync<string>("encodeError", 4, longText));
        Assert.That(cut, Is.EqualTo(new byte[] { 0, 4 }.Concat(Encoding.UTF8.GetBytes("a" + new string('é', 511)))));

        var decoded = await _page.CallAsync("decodeError", Convert.ToBase64String([0, 3, .. Encoding.UTF8.GetBytes("forbidden ✋")]));
        Assert.That(decoded.GetProperty("code").GetInt32(), Is.EqualTo(3));
        Assert.That(decoded.GetProperty("message").GetString(), Is.EqualTo("forbidden ✋"));
        var unreadable = await _page.CallAsync("decodeError", Convert.ToBase64String(new byte[] { 7 }));
        Assert.That(unreadable.GetProperty("code").GetInt32(), Is.EqualTo(2));
        AssertNoPageErrors(_page);
    }

    private static string StatusName(ReassemblyStatus status) => status switch
    {
        ReassemblyStatus.Incomplete => "incomplete",
        ReassemblyStatus.Complete => "complete",
        ReassemblyStatus.Malformed => "malformed",
        ReassemblyStatus.TooLarge => "too-large",
        ReassemblyStatus.TooManyPartialMessages => "too-many-partial-messages",
        _ => status.ToString(),
    };
}
