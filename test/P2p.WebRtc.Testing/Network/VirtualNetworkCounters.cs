namespace P2p.WebRtc.Testing.Network;

/// <summary>Datagram counters of a <see cref="VirtualNetwork"/>, for assertions. Thread-safe; they only grow (see <see cref="Reset"/>).</summary>
public sealed class VirtualNetworkCounters
{
    private readonly long[] _dropped = new long[Enum.GetValues<DatagramDropReason>().Length];
    private long _sent;
    private long _delivered;
    private long _duplicated;
    private long _triggerAt = long.MaxValue;
    private Action? _trigger;

    /// <summary>Datagrams given to a socket's <c>Send</c> (refused ones excluded).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Datagrams handed to a receiving socket's handler (duplicates included).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Extra copies made by links' duplication.</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Datagrams dropped, for every reason.</summary>
    public long TotalDropped
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _dropped.Length; i++)
            {
                total += Interlocked.Read(ref _dropped[i]);
            }

            return total;
        }
    }

    /// <summary>Datagrams dropped for <paramref name="reason"/>.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The count.</returns>
    public long Dropped(DatagramDropReason reason) => Interlocked.Read(ref _dropped[(int)reason]);

    /// <summary>Sets every counter to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _sent, 0);
        Interlocked.Exchange(ref _delivered, 0);
        Interlocked.Exchange(ref _duplicated, 0);
        for (var i = 0; i < _dropped.Length; i++)
        {
            Interlocked.Exchange(ref _dropped[i], 0);
        }
    }

    /// <summary>A one-line summary: sent, delivered, duplicated and the non-zero drop counts.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        var drops = Enum.GetValues<DatagramDropReason>().Where(r => Dropped(r) > 0).Select(r => $"{r} {Dropped(r)}");
        return $"sent {Sent}, delivered {Delivered}, duplicated {Duplicated}, dropped {TotalDropped} [{string.Join(", ", drops)}]";
    }

    internal void CountSent() => Interlocked.Increment(ref _sent);

    /// <summary>
    /// Runs <paramref name="action"/> once, on the delivering thread, right after the datagram that makes
    /// <see cref="Delivered"/> reach <paramref name="delivered"/> is handed over, before any later datagram is: for a test
    /// that must act at an exact point of a transfer, which polling the counter cannot promise on a busy machine.
    /// One trigger at a time; a new one replaces the old.
    /// </summary>
    /// <param name="delivered">The value of <see cref="Delivered"/> to act at (already reached: at the next delivery).</param>
    /// <param name="action">What to do (it must not wait for the network).</param>
    public void WhenDelivered(long delivered, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        Volatile.Write(ref _trigger, action);
        Interlocked.Exchange(ref _triggerAt, delivered);
    }

    internal void CountDelivered()
    {
        if (Interlocked.Increment(ref _delivered) >= Interlocked.Read(ref _triggerAt)
            && Interlocked.Exchange(ref _triggerAt, long.MaxValue) != long.MaxValue)
        {
            Interlocked.Exchange(ref _trigger, null)?.Invoke();
        }
    }

    internal void CountDuplicated() => Interlocked.Increment(ref _duplicated);

    internal void CountDropped(DatagramDropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);
}
