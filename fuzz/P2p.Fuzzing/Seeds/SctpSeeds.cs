using P2p.Fuzzing.Support;
using P2p.WebRtc.Sctp;

namespace P2p.Fuzzing.Seeds;

/// <summary>
/// SCTP traffic of our own association talking to itself (<see cref="SctpPair"/>, the association target's set-up,
/// deterministic): the handshake, data of every kind, SACKs, a partially reliable message given up (FORWARD TSN),
/// a heartbeat, a stream reset (RE-CONFIG) and the shutdown. The active side's packets are what the target's
/// passive association would receive.
/// </summary>
internal static class SctpSeeds
{
    public static IEnumerable<Seed> Chunks() => Record().All.Select((p, i) => new Seed($"packet-{i:D2}", p));

    public static IEnumerable<Seed> Association()
    {
        var traffic = Record();
        yield return new("handshake", [0, .. FuzzInput.Join(traffic.Handshake)]);
        yield return new("established", [1, .. FuzzInput.Join(traffic.Established)]);
        yield return new("established-reset", [1 | 8, .. FuzzInput.Join(traffic.Established)]);
    }

    private static Traffic Record()
    {
        var traffic = new Traffic();
        var pair = new SctpPair();
        var buffer = new byte[2048];
        var a = pair.Active;
        var b = pair.Passive;
        var now = TimeSpan.Zero;
        var established = false;

        void Pump()
        {
            for (var round = 0; round < 32; round++)
            {
                var moved = false;
                int n;
                while ((n = a.BuildPacket(buffer, now)) > 0)
                {
                    var packet = buffer.AsSpan(0, n).ToArray();
                    (established ? traffic.Established : traffic.Handshake).Add(packet);
                    traffic.All.Add(packet);
                    b.HandlePacket(packet, now);
                    moved = true;
                }

                while ((n = b.BuildPacket(buffer, now)) > 0)
                {
                    var packet = buffer.AsSpan(0, n).ToArray();
                    traffic.All.Add(packet);
                    a.HandlePacket(packet, now);
                    moved = true;
                }

                while (a.TryDequeueEvent(out _) | b.TryDequeueEvent(out _))
                {
                }

                if (!moved)
                {
                    return;
                }
            }
        }

        void Wait(TimeSpan by)
        {
            now += by;
            if (a.NextTimeout is { } da && da <= now)
            {
                a.HandleTimeout(now);
            }

            if (b.NextTimeout is { } db && db <= now)
            {
                b.HandleTimeout(now);
            }

            Pump();
        }

        a.Connect(now);
        Pump();
        established = true;

        // The target's set-up: the passive side sends, unacknowledged; the active side here receives it and SACKs.
        b.Send(1, 51, new byte[3000], default, now);
        b.Send(2, 53, new byte[100], new SctpSendOptions { Unordered = true, MaxRetransmits = 0 }, now);
        Pump();
        a.Send(1, 51, "hello"u8, default, now);
        a.Send(3, 53, new byte[5000], new SctpSendOptions { Unordered = true }, now);
        a.Send(5, 50, [3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x41], default, now);
        Pump();
        Wait(TimeSpan.FromMilliseconds(300));
        a.Send(7, 53, new byte[800], new SctpSendOptions { MaxRetransmits = 0 }, now);
        a.BuildPacket(buffer, now); // lost: the message is given up and skipped with FORWARD TSN
        Wait(TimeSpan.FromSeconds(2));
        Wait(TimeSpan.FromSeconds(31));
        a.ResetStreams([1, 3]);
        Pump();
        Wait(TimeSpan.FromMilliseconds(300));
        a.Shutdown(now);
        Pump();
        Wait(TimeSpan.FromSeconds(1));
        return traffic;
    }

    private sealed class Traffic
    {
        public List<byte[]> Handshake { get; } = [];

        public List<byte[]> Established { get; } = [];

        public List<byte[]> All { get; } = [];
    }
}
