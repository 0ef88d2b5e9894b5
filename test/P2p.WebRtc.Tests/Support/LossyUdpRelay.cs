using System.Net;
using System.Net.Sockets;
using P2p.WebRtc.Testing.Transports;

namespace P2p.WebRtc.Tests.Support;

/// <summary>
/// A UDP relay on 127.0.0.1 between two peers, like a TURN relay: each peer is told the relay's
/// address instead of the other's (<see cref="RewriteForA"/>, <see cref="RewriteForB"/>), and the relay
/// forwards every datagram with seeded loss, duplication and reordering. It can also inject garbage,
/// truncated and replayed datagrams towards either peer.
/// </summary>
public sealed class LossyUdpRelay : IDisposable
{
    private readonly Socket _facingA;
    private readonly Socket _facingB;
    private readonly Random _random;
    private readonly Lock _sync = new();
    private readonly Thread[] _threads;
    private readonly List<byte[]> _seenTowardsA = [];
    private IPEndPoint? _a;
    private IPEndPoint? _b;
    private byte[]? _heldForA;
    private byte[]? _heldForB;
    private volatile bool _stopped;

    public LossyUdpRelay(LinkImpairment impairment)
    {
        Impairment = impairment;
        _random = new Random(impairment.Seed);
        _facingA = Bind();
        _facingB = Bind();
        _threads = [Pump(_facingA, fromA: true), Pump(_facingB, fromA: false)];
    }

    public LinkImpairment Impairment { get; set; }

    public long Forwarded { get; private set; }

    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    public long Reordered { get; private set; }

    /// <summary>Rewrites one of B's candidate lines for A: B's address becomes the relay's A-facing one.</summary>
    public RtcIceCandidateInit? RewriteForA(RtcIceCandidateInit? fromB) => Rewrite(fromB, towardsA: true);

    /// <summary>Rewrites one of A's candidate lines for B.</summary>
    public RtcIceCandidateInit? RewriteForB(RtcIceCandidateInit? fromA) => Rewrite(fromA, towardsA: false);

    /// <summary>Sends datagrams to A as if they came from B: random bytes, truncated and replayed copies of what B sent.</summary>
    public int InjectTowardsA(int count)
    {
        byte[][] seen;
        lock (_sync)
        {
            seen = [.. _seenTowardsA];
        }

        var a = _a ?? throw new InvalidOperationException("A's address is not known yet.");
        var injected = 0;
        for (var i = 0; i < count; i++)
        {
            byte[] datagram;
            lock (_sync)
            {
                var earlier = seen.Length > 0 ? seen[_random.Next(seen.Length)] : null;
                datagram = (i % 3, earlier) switch
                {
                    (0, _) or (_, null) => RandomBytes(1 + _random.Next(1400), firstByte: i % 2 == 0 ? (byte)23 : null), // garbage (half of it looks like a DTLS record)
                    (1, _) => earlier[..Math.Max(1, earlier.Length / 2)], // truncated
                    _ => earlier, // replayed as is
                };
            }

            _facingA.SendTo(datagram, a);
            injected++;
        }

        return injected;
    }

    public void Dispose()
    {
        _stopped = true;
        _facingA.Dispose();
        _facingB.Dispose();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private static Socket Bind()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 4 << 20,
        };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private RtcIceCandidateInit? Rewrite(RtcIceCandidateInit? candidate, bool towardsA)
    {
        if (candidate is null || candidate.IsEndOfCandidates)
        {
            return candidate;
        }

        var fields = candidate.Candidate.Split(' ');
        var real = new IPEndPoint(IPAddress.Parse(fields[4]), int.Parse(fields[5], System.Globalization.CultureInfo.InvariantCulture));
        lock (_sync)
        {
            if (towardsA)
            {
                _b = real; // A's traffic to the relay goes on to B's real address
            }
            else
            {
                _a = real;
            }
        }

        var relay = (IPEndPoint)(towardsA ? _facingA : _facingB).LocalEndPoint!;
        fields[4] = relay.Address.ToString();
        fields[5] = relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return candidate with { Candidate = string.Join(' ', fields) };
    }

    private Thread Pump(Socket socket, bool fromA)
    {
        var thread = new Thread(() =>
        {
            var buffer = new byte[65536];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            while (!_stopped)
            {
                int length;
                try
                {
                    length = socket.ReceiveFrom(buffer, ref from);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    if (_stopped)
                    {
                        return;
                    }

                    continue;
                }

                Forward(buffer.AsSpan(0, length).ToArray(), fromA);
            }
        })
        {
            IsBackground = true,
            Name = fromA ? "relay from A" : "relay from B",
        };
        thread.Start();
        return thread;
    }

    private void Forward(byte[] datagram, bool fromA)
    {
        var output = fromA ? _facingB : _facingA;
        List<byte[]> send = [];
        lock (_sync)
        {
            var target = fromA ? _b : _a;
            if (target is null)
            {
                return;
            }

            if (!fromA && datagram.Length > 0 && datagram[0] is >= 20 and <= 63 && _seenTowardsA.Count < 256)
            {
                _seenTowardsA.Add(datagram);
            }

            var impairment = Impairment;
            if (_random.NextDouble() < impairment.Loss)
            {
                Dropped++;
                return;
            }

            ref var held = ref fromA ? ref _heldForB : ref _heldForA;
            if (held is null && _random.NextDouble() < impairment.Reorder)
            {
                held = datagram;
                Reordered++;
                return;
            }

            send.Add(datagram);
            if (_random.NextDouble() < impairment.Duplicate)
            {
                send.Add(datagram);
                Duplicated++;
            }

            if (held is not null)
            {
                send.Add(held);
                held = null;
            }

            Forwarded += send.Count;
            foreach (var d in send)
            {
                try
                {
                    output.SendTo(d, target);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // stopping
                }
            }
        }
    }

    private byte[] RandomBytes(int length, byte? firstByte)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        if (firstByte is { } b)
        {
            bytes[0] = b;
        }

        return bytes;
    }
}
