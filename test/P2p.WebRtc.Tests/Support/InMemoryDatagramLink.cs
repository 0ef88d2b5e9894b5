using System.Threading.Channels;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Tests.Support;

/// <summary>Impairments applied by an <see cref="InMemoryDatagramLink"/> to each direction.</summary>
public sealed record LinkImpairment(double Loss = 0, double Duplicate = 0, double Reorder = 0, int Seed = 1)
{
    public static LinkImpairment None { get; } = new();
}

/// <summary>
/// Two connected in-process <see cref="IDatagramTransport"/> endpoints. Each direction delivers on
/// its own background loop (like a socket's receive thread), optionally dropping, duplicating and
/// reordering datagrams with a seeded random source so failures reproduce.
/// </summary>
public sealed class InMemoryDatagramLink : IAsyncDisposable
{
    public InMemoryDatagramLink(LinkImpairment? impairment = null, int maxDatagramSize = 1200)
    {
        var imp = impairment ?? LinkImpairment.None;
        A = new Endpoint(maxDatagramSize, imp, imp.Seed);
        B = new Endpoint(maxDatagramSize, imp, imp.Seed + 7919);
        A.Peer = B;
        B.Peer = A;
    }

    public Endpoint A { get; }

    public Endpoint B { get; }

    public async ValueTask DisposeAsync()
    {
        await A.CloseAsync().ConfigureAwait(false);
        await B.CloseAsync().ConfigureAwait(false);
    }

    public sealed class Endpoint : IDatagramTransport
    {
        private readonly Channel<byte[]> _inbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        private readonly LinkImpairment _impairment;
        private readonly Random _random;
        private readonly Lock _sendLock = new();
        private readonly Task _loop;
        private byte[]? _held;
        private volatile DatagramReceivedHandler? _handler;
        private int _closed;

        internal Endpoint(int maxDatagramSize, LinkImpairment impairment, int seed)
        {
            MaxDatagramSize = maxDatagramSize;
            _impairment = impairment;
            _random = new Random(seed);
            _loop = Task.Run(ReceiveLoopAsync);
        }

        internal Endpoint? Peer { get; set; }

        public int MaxDatagramSize { get; }

        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        private long _sent;
        private long _dropped;

        /// <summary>Datagrams handed to <see cref="Send"/>.</summary>
        public long Sent => Interlocked.Read(ref _sent);

        /// <summary>Datagrams this endpoint's impairment dropped.</summary>
        public long Dropped => Interlocked.Read(ref _dropped);

        public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

        public void Send(ReadOnlySpan<byte> datagram)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (datagram.Length > MaxDatagramSize)
            {
                throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
            }

            Interlocked.Increment(ref _sent);
            var peer = Peer!;
            var copy = datagram.ToArray();
            lock (_sendLock)
            {
                if (_random.NextDouble() < _impairment.Loss)
                {
                    Interlocked.Increment(ref _dropped);
                    return;
                }

                if (_held is null && _random.NextDouble() < _impairment.Reorder)
                {
                    _held = copy; // delivered after the next datagram
                    return;
                }

                peer.Enqueue(copy);
                if (_random.NextDouble() < _impairment.Duplicate)
                {
                    peer.Enqueue(copy);
                }

                if (_held is not null)
                {
                    peer.Enqueue(_held);
                    _held = null;
                }
            }
        }

        public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

        /// <summary>Injects a datagram as if the peer had sent it (for garbage/replay tests).</summary>
        public void Inject(ReadOnlySpan<byte> datagram) => Enqueue(datagram.ToArray());

        private void Enqueue(byte[] datagram) => _inbox.Writer.TryWrite(datagram);

        private async Task ReceiveLoopAsync()
        {
            await foreach (var datagram in _inbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (IsClosed)
                {
                    break;
                }

                _handler?.Invoke(datagram);
            }
        }

        internal async Task CloseAsync()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            _inbox.Writer.TryComplete();
            await _loop.ConfigureAwait(false);
            Closed?.Invoke(this, new DatagramTransportClosedEventArgs(null));
        }
    }
}
