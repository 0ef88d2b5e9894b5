using P2p.Core.Framing;
using P2p.Core.Routing;

namespace P2p.Core.Tests.Routing;

/// <summary>Reassembly by offset and at-most-once delivery of relayed messages.</summary>
public sealed class RelayedInboxTests
{
    private static readonly FrameHeader First = new(FrameKind.Broadcast, false, 1, 6);
    private static readonly FrameHeader Last = First with { Final = true };

    [Test]
    public void Fragments_in_order_make_the_message()
    {
        var inbox = new RelayedInbox(100);

        Assert.That(inbox.Add(1, 0, First, [1, 2, 3], out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        Assert.That(inbox.Add(1, 3, Last, [4, 5, 6], out var message), Is.EqualTo(ReassemblyStatus.Complete));
        Assert.That(message.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void A_message_sent_again_from_the_start_replaces_the_partial_one()
    {
        var inbox = new RelayedInbox(100);
        inbox.Add(1, 0, First, [1, 2, 3], out _);

        Assert.That(inbox.Add(1, 0, First, [1, 2, 3], out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        Assert.That(inbox.Add(1, 3, Last, [4, 5, 6], out var message), Is.EqualTo(ReassemblyStatus.Complete));
        Assert.That(message.Length, Is.EqualTo(6));
    }

    [Test]
    public void Fragments_that_fit_no_message_are_dropped()
    {
        var inbox = new RelayedInbox(100);
        Assert.That(inbox.Add(1, 3, Last, [4, 5, 6], out _), Is.EqualTo(ReassemblyStatus.Malformed), "no start");
        inbox.Add(1, 0, First, [1, 2, 3], out _);
        Assert.That(inbox.Add(2, 3, Last, [4, 5, 6], out _), Is.EqualTo(ReassemblyStatus.Malformed), "another seq");
        Assert.That(inbox.Add(1, 2, Last, [4, 5, 6], out _), Is.EqualTo(ReassemblyStatus.Malformed), "a gap or overlap");
        Assert.That(inbox.Add(1, 3, First, [4, 5, 6], out _), Is.EqualTo(ReassemblyStatus.Malformed), "complete without the final flag");
    }

    [Test]
    public void A_message_over_the_limit_completes_without_being_kept()
    {
        var inbox = new RelayedInbox(5);
        Assert.That(inbox.Add(1, 0, First, [1, 2, 3], out _), Is.EqualTo(ReassemblyStatus.Incomplete));
        Assert.That(inbox.Add(1, 3, Last, [4, 5, 6], out var message), Is.EqualTo(ReassemblyStatus.TooLarge));
        Assert.That(message.IsEmpty);
    }

    [Test]
    public void Each_seq_is_delivered_at_most_once_in_any_order()
    {
        var inbox = new RelayedInbox(100);
        foreach (var seq in new uint[] { 2, 1, 5, 3 })
        {
            Assert.That(inbox.WasDelivered(seq), Is.False);
            inbox.MarkDelivered(seq);
        }

        Assert.That(new uint[] { 1, 2, 3, 5 }.All(inbox.WasDelivered));
        Assert.That(inbox.WasDelivered(4), Is.False);
        Assert.That(inbox.WasDelivered(6), Is.False);
    }

    [Test]
    public void Memory_of_delivered_seqs_is_bounded()
    {
        var inbox = new RelayedInbox(100);
        for (uint seq = 2; seq < 2 + RelayedInbox.MaxRemembered + 10; seq++)
        {
            inbox.MarkDelivered(seq); // seq 1 never arrives
        }

        Assert.That(inbox.WasDelivered(2 + RelayedInbox.MaxRemembered + 5), Is.True);
        Assert.That(inbox.WasDelivered(1), Is.True, "an old gap is given up");
    }
}
