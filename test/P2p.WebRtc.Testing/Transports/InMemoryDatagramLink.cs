using System.Threading.Channels;
using P2p.WebRtc.Net;

namespace P2p.WebRtc.Testing.Transports;

/// <summary>
/// Two connected in-process <see cref="IDatagramTransport"/> endpoints. By default each direction delivers on
/// its own background loop (like a socket's receive thread), optionally dropping, duplicating and reordering
/// datagrams with a seeded random source so failures reproduce. Inline (<see cref="Inline"/>), a send runs the
/// peer's receive handler on the sender's thread without a copy: the benchmarks measure one layer alone so.
/// </summary>
public sealed class InMemoryDatagramLink : IAsyncDisposable
{
    /// <summary>A link whose directions deliver on background loops, with <paramref name="impairment"/>.</summary>
    /// <param name="impairment">What each direction does to datagrams; none when null.</param>
    /// <param name="maxDatagramSize">The largest datagram either end sends.</param>
    public InMemoryDatagramLink(LinkImpairment? impairment = null, int maxDatagramSize = 1200)
        : this(impairment ?? LinkImpairment.None, maxDatagramSize, inline: false)
    {
    }

    private InMemoryDatagramLink(LinkImpairment impairment, int maxDatagramSize, bool inline)
    {
        A = new Endpoint(maxDatagramSize, impairment, impairment.Seed, inline);
        B = new Endpoint(maxDatagramSize, impairment, impairment.Seed + 7919, inline);
        A.Peer = B;
        B.Peer = A;
    }

    /// <summary>One end.</summary>
    public Endpoint A { get; }

    /// <summary>The other end.</summary>
    public Endpoint B { get; }

    /// <summary>A lossless link where a send runs the peer's receive handler at once, on the sender's thread, without copying.</summary>
    /// <param name="maxDatagramSize">The largest datagram either end sends.</param>
    public static InMemoryDatagramLink Inline(int maxDatagramSize) => new(LinkImpairment.None, maxDatagramSize, inline: true);

    /// <summary>Closes both ends (their loops finish first).</summary>
    public async ValueTask DisposeAsync()
    {
        await A.CloseAsync().ConfigureAwait(false);
        await B.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>One end of the link.</summary>
    public sealed class Endpoint : IDatagramTransport
    {
        private readonly Channel<byte[]> _inbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        private readonly LinkImpairment _impairment;
        private readonly Random _random;
        private readonly Lock _sendLock = new();
        private readonly Task _loop;
        private readonly bool _inline;
        private byte[]? _held;
        private volatile DatagramReceivedHandler? _handler;
        private int _closed;

        internal Endpoint(int maxDatagramSize, LinkImpairment impairment, int seed, bool inline)
        {
            MaxDatagramSize = maxDatagramSize;
            _impairment = impairment;
            _random = new Random(seed);
            _inline = inline;
            _loop = inline ? Task.CompletedTask : Task.Run(ReceiveLoopAsync);
        }

        internal Endpoint? Peer { get; set; }

        /// <inheritdoc />
        public int MaxDatagramSize { get; }

        /// <inheritdoc />
        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        private long _sent;
        private long _dropped;

        /// <summary>Datagrams handed to <see cref="Send"/>.</summary>
        public long Sent => Interlocked.Read(ref _sent);

        /// <summary>Datagrams this endpoint's impairment dropped.</summary>
        public long Dropped => Interlocked.Read(ref _dropped);

        /// <inheritdoc />
        public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

        /// <inheritdoc />
        public void Send(ReadOnlySpan<byte> datagram)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (datagram.Length > MaxDatagramSize)
            {
                throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
            }

            Interlocked.Increment(ref _sent);
            var peer = Peer!;
            if (_inline)
            {
                if (!peer.IsClosed)
                {
                    peer._handler?.Invoke(datagram);
                }

                return;
            }

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

        /// <inheritdoc />
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
