namespace P2p.Benchmarks.Soak;

/// <summary>
/// The loss rule. A copy is one broadcast for one receiver; it counts once the sender's group accepted it
/// (<c>BroadcastResult.Delivered</c>). An accepted copy that never arrived is <see cref="Lost"/> when the receiver
/// provably could have got it:
/// <list type="bullet">
/// <item>sender and receiver both stayed in the group to the end of the run (and the settling time after it), or</item>
/// <item>the receiver got a later broadcast of the same sender: the channel between them is reliable and ordered, so
/// a hole before a copy that arrived is a loss even when one of them departed afterwards.</item>
/// </list>
/// The other unreceived copies — the tail after the last copy that arrived, when the sender or the receiver left or
/// crashed — were still on their way (in the sender's buffers, on the wire, or behind a crashed member's cut link) when
/// a member departed; they are counted as <see cref="InFlightAtDeparture"/>, not as lost. Of those,
/// <see cref="UnsentByLeavers"/> are copies a member accepted before it left gracefully that never reached a member
/// who stayed (what leaving does with messages still in its buffers).
/// </summary>
internal readonly record struct SoakLoss(long Accepted, long Received, long Lost, long InFlightAtDeparture, long UnsentByLeavers)
{
    public static SoakLoss Of(IReadOnlyList<SoakMember> all)
    {
        var byId = all.Where(m => m.Id.Length > 0).ToDictionary(m => m.Id);
        long accepted = 0, received = 0, lost = 0, departed = 0, unsent = 0;
        foreach (var sender in all)
        {
            foreach (var (receiverId, copies) in sender.Accepted)
            {
                var receiver = byId[receiverId];
                var arrived = receiver.ReceivedFrom(sender.Id);
                var count = copies.Count;
                var got = copies.OverlapUpTo(arrived, long.MaxValue);
                accepted += count;
                received += got;
                if (sender.IsPresent && receiver.IsPresent)
                {
                    lost += count - got;
                    continue;
                }

                // Holes below the last copy that arrived are lost; the tail was in flight when one of them departed.
                var last = arrived.Max;
                var holes = copies.CountUpTo(last - 1) - copies.OverlapUpTo(arrived, last - 1);
                lost += holes;
                departed += count - got - holes;
                if (sender.Departure == Departure.Left && receiver.IsPresent)
                {
                    unsent += count - got - holes;
                }
            }
        }

        return new SoakLoss(accepted, received, lost, departed, unsent);
    }
}
