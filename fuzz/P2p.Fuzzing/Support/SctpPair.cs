using System.Buffers.Binary;
using P2p.WebRtc.Sctp;

namespace P2p.Fuzzing.Support;

/// <summary>
/// Two sans-I/O associations on a virtual clock, connected by handing each one's packets to the other: the SCTP
/// association target's starting state (deterministic: both take their tags and TSNs from seeded generators).
/// </summary>
internal sealed class SctpPair
{
    private readonly byte[] _buffer = new byte[2048];

    public SctpPair()
    {
        var options = new SctpOptions { MaxMessageSize = 65536, MaxReceiveMessageSize = 65536, ReceiveWindow = 256 * 1024 };
        Active = new SctpAssociation(options, null, new Random(1));
        Passive = new SctpAssociation(options, null, new Random(2));
    }

    public SctpAssociation Active { get; }

    public SctpAssociation Passive { get; }

    public TimeSpan Now { get; private set; }

    /// <summary>The verification tag the passive side expects (read from the active side's packets).</summary>
    public uint PassiveTag { get; private set; }

    /// <summary>Runs the four-way handshake; false if it did not complete (it always should).</summary>
    public bool Connect()
    {
        Active.Connect(Now);
        for (var i = 0; i < 16 && !(Active.State == SctpAssociationState.Established && Passive.State == SctpAssociationState.Established); i++)
        {
            Exchange();
        }

        Drain(Active);
        Drain(Passive);
        return Active.State == SctpAssociationState.Established && Passive.State == SctpAssociationState.Established;
    }

    /// <summary>Hands every pending packet across once in each direction.</summary>
    public void Exchange()
    {
        int n;
        while ((n = Active.BuildPacket(_buffer, Now)) > 0)
        {
            PassiveTag = BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(4));
            Passive.HandlePacket(_buffer.AsSpan(0, n), Now);
        }

        while ((n = Passive.BuildPacket(_buffer, Now)) > 0)
        {
            Active.HandlePacket(_buffer.AsSpan(0, n), Now);
        }
    }

    /// <summary>Builds and discards what <paramref name="association"/> has to send (bounded), and its events.</summary>
    public int Flush(SctpAssociation association)
    {
        var packets = 0;
        while (packets < 256 && association.BuildPacket(_buffer, Now) > 0)
        {
            packets++;
        }

        Drain(association);
        return packets;
    }

    /// <summary>Moves the clock and fires whatever timers are due.</summary>
    public void Advance(TimeSpan by, SctpAssociation association)
    {
        Now += by;
        if (association.NextTimeout is { } due && due <= Now)
        {
            association.HandleTimeout(Now);
        }
    }

    private static void Drain(SctpAssociation association)
    {
        while (association.TryDequeueEvent(out var e))
        {
            _ = e.Message.Payload.Length;
        }
    }
}
