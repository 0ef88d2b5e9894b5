using System.Buffers;
using System.Collections.Concurrent;
using P2p.WebRtc.Net;

namespace P2p.Benchmarks.Sctp;

/// <summary>
/// A fast in-process datagram link for benchmarks: each direction has a lock-free queue of pooled
/// buffers and a dedicated delivery thread (like a socket's receive thread) that sleeps only when
/// the queue is empty. No loss, no reordering.
/// </summary>
internal sealed class BenchMemoryLink : IAsyncDisposable
{
    public BenchMemoryLink(int maxDatagramSize = 1200)
    {
        A = new Endpoint(maxDatagramSize, "link-a");
        B = new Endpoint(maxDatagramSize, "link-b");
        A.Peer = B;
        B.Peer = A;
    }

    public Endpoint A { get; }

    public Endpoint B { get; }

    public async ValueTask DisposeAsync()
    {
        await A.CloseAsync();
        await B.CloseAsync();
    }

    internal sealed class Endpoint : IDatagramTransport
    {
        private readonly ConcurrentQueue<(byte[] Buffer, int Length)> _inbox = new();
        private readonly SemaphoreSlim _signal = new(0);
        private readonly Thread _thread;
        private volatile DatagramReceivedHandler? _handler;
        private int _sleeping;
        private volatile bool _closed;

        public Endpoint(int maxDatagramSize, string name)
        {
            MaxDatagramSize = maxDatagramSize;
            _thread = new Thread(Loop) { IsBackground = true, Name = name };
            _thread.Start();
        }

        public event EventHandler<DatagramTransportClosedEventArgs>? Closed;

        public Endpoint? Peer { get; set; }

        public int MaxDatagramSize { get; }

        public bool IsClosed => _closed;

        public void Send(ReadOnlySpan<byte> datagram)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var buffer = ArrayPool<byte>.Shared.Rent(datagram.Length);
            datagram.CopyTo(buffer);
            Peer!.Enqueue(buffer, datagram.Length);
        }

        public void SetReceiveHandler(DatagramReceivedHandler? handler) => _handler = handler;

        public Task CloseAsync()
        {
            if (!_closed)
            {
                _closed = true;
                _signal.Release();
                _thread.Join();
                Closed?.Invoke(this, new DatagramTransportClosedEventArgs(null));
            }

            return Task.CompletedTask;
        }

        private void Enqueue(byte[] buffer, int length)
        {
            _inbox.Enqueue((buffer, length));
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _signal.Release();
            }
        }

        private void Loop()
        {
            while (!_closed)
            {
                if (_inbox.TryDequeue(out var item))
                {
                    _handler?.Invoke(item.Buffer.AsSpan(0, item.Length));
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                    continue;
                }

                Volatile.Write(ref _sleeping, 1);
                if (!_inbox.IsEmpty)
                {
                    Volatile.Write(ref _sleeping, 0);
                    continue;
                }

                _signal.Wait();
            }
        }
    }
}
