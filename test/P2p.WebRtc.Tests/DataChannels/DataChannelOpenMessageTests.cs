using System.Text;
using FsCheck;
using FsCheck.Fluent;
using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.DataChannels;

#pragma warning disable NUnit1027 // FsCheck supplies the arguments of [Property] tests

public class DataChannelOpenMessageTests
{
    // RFC 8832 §5.1 layout, computed by hand: OPEN, reliable-unordered, priority 256, rexmit 0,
    // label "chat" (4), protocol "x" (1).
    private static readonly byte[] Vector =
    [
        0x03, 0x80, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x00,
        0x00, 0x04, 0x00, 0x01,
        (byte)'c', (byte)'h', (byte)'a', (byte)'t', (byte)'x',
    ];

    [Test]
    public void Writes_the_rfc_layout()
    {
        var open = new DataChannelOpenMessage(DataChannelType.ReliableUnordered, 256, 0, "chat", "x");
        var buffer = new byte[open.EncodedLength];
        Assert.That(open.Write(buffer), Is.EqualTo(Vector.Length));
        Assert.That(buffer, Is.EqualTo(Vector));
        Assert.That(open.Unordered, Is.True);
    }

    [Test]
    public void Parses_the_rfc_layout()
    {
        Assert.That(DataChannelOpenMessage.TryParse(Vector, out var open), Is.True);
        Assert.That(open, Is.EqualTo(new DataChannelOpenMessage(DataChannelType.ReliableUnordered, 256, 0, "chat", "x")));
    }

    [Test]
    public void Parses_partial_reliability_parameters()
    {
        var sent = new DataChannelOpenMessage(DataChannelType.PartialReliableTimed, 512, 1500, "timed", string.Empty);
        var buffer = new byte[sent.EncodedLength];
        sent.Write(buffer);
        Assert.That(DataChannelOpenMessage.TryParse(buffer, out var open), Is.True);
        Assert.That(open!.ReliabilityParameter, Is.EqualTo(1500));
        Assert.That(open.Unordered, Is.False);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(11)]
    [TestCase(12)] // header complete, label missing
    [TestCase(16)] // protocol byte missing
    public void Rejects_truncated_messages(int length) =>
        Assert.That(DataChannelOpenMessage.TryParse(Vector.AsSpan(0, length), out _), Is.False);

    [Test]
    public void Rejects_other_message_types_and_channel_types()
    {
        var ack = (byte[])Vector.Clone();
        ack[0] = (byte)DcepMessageType.Ack;
        Assert.That(DataChannelOpenMessage.TryParse(ack, out _), Is.False);
        var unknown = (byte[])Vector.Clone();
        unknown[1] = 0x7f;
        Assert.That(DataChannelOpenMessage.TryParse(unknown, out _), Is.False);
    }

    [Test]
    public void Rejects_a_label_length_that_lies()
    {
        var lying = (byte[])Vector.Clone();
        lying[8] = 0xff;
        Assert.That(DataChannelOpenMessage.TryParse(lying, out _), Is.False);
    }

    [Test]
    public void Rejects_invalid_utf_8()
    {
        var bad = (byte[])Vector.Clone();
        bad[12] = 0xff;
        Assert.That(DataChannelOpenMessage.TryParse(bad, out _), Is.False);
    }

    [Test]
    public void Refuses_to_write_into_a_too_small_buffer()
    {
        var open = new DataChannelOpenMessage(DataChannelType.Reliable, 256, 0, "label", "protocol");
        Assert.Throws<ArgumentException>(() => open.Write(new byte[open.EncodedLength - 1]));
    }

    [FsCheck.NUnit.Property]
    public Property Round_trips_any_message(NonNull<string> label, NonNull<string> protocol, ushort priority, uint reliability, bool unordered, byte kind)
    {
        var type = (DataChannelType)((kind % 3) | (unordered ? 0x80 : 0));
        // Lone surrogates cannot be encoded; compare against what UTF-8 can carry.
        var l = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(label.Get));
        var p = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(protocol.Get));
        var sent = new DataChannelOpenMessage(type, priority, reliability, l, p);
        var buffer = new byte[sent.EncodedLength];
        sent.Write(buffer);
        return (DataChannelOpenMessage.TryParse(buffer, out var parsed) && parsed == sent).ToProperty();
    }

    [FsCheck.NUnit.Property]
    public Property Never_throws_on_arbitrary_bytes(byte[] bytes) =>
        Prop.ToProperty(DataChannelOpenMessage.TryParse(bytes ?? [], out _) || true);
}
