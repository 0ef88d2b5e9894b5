using System.Collections.Concurrent;
using System.Diagnostics;
using P2p.WebRtc;
using P2p.WebRtc.DataChannels;

namespace P2p.Benchmarks.Report;

/// <summary>A P2p.WebRtc <see cref="RtcPeerConnection"/> in this process as a link end.</summary>
internal sealed class DotNetEnd(RtcPeerConnection connection) : IBenchEnd
{
    private readonly ConcurrentDictionary<int, RtcDataChannel> _channels = new();
    private TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<int, PooledCounter> _pooledCounters = new();
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _pooledReplies = new();
    private byte[]? _bulkMessage;

    public RtcPeerConnection Connection { get; } = connection;

    public string Kind => ".NET";

    public RtcDataChannel Channel(int id) => _channels[id];

    public Task CreateChannelAsync(int id)
    {
        _channels[id] = Connection.CreateDataChannel(ChromiumEnd.Label(id), new RtcDataChannelInit { Negotiated = true, Id = (ushort)id });
        return Task.CompletedTask;
    }

    public Task WaitOpenAsync(int id) => OpenedAsync(_channels[id]).WaitAsync(TimeSpan.FromSeconds(30));

    public async Task SendBulkAsync(int id, long total, int size)
    {
        var channel = _channels[id];
        var message = BulkMessage(size);

        // RtcDataChannel's defaults are the browser benchmark's: pause above 4 MiB, resume at 1 MiB.
        for (long sent = 0; sent < total; sent += size)
        {
            await channel.SendAsync(message);
        }
    }

    /// <summary>The bulk message of this size, made once (so that a transfer's allocations are the stack's own).</summary>
    private byte[] BulkMessage(int size)
    {
        if (_bulkMessage?.Length != size)
        {
            var message = new byte[size];
            for (var i = 0; i < size; i++)
            {
                message[i] = (byte)((i * 31) + 7);
            }

            _bulkMessage = message;
        }

        return _bulkMessage;
    }

    public Task ArmCountAsync(int id, long total)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _received = done;
        long got = 0;
        _channels[id].MessageReceived += (_, e) =>
        {
            if ((got += e.Data.Length) >= total)
            {
                done.TrySetResult();
            }
        };
        return Task.CompletedTask;
    }

    public Task ReceivedAsync() => _received.Task.WaitAsync(TimeSpan.FromMinutes(5));

    /// <summary>
    /// <see cref="ArmCountAsync"/> through the pooled receive API: each message's lease is disposed at once. The channel
    /// may be armed again for another transfer (one handler, subscribed on the first call).
    /// </summary>
    public Task ArmCountPooledAsync(int id, long total)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _received = done;
        var counter = _pooledCounters.GetOrAdd(id, _ => new PooledCounter());
        counter.Arm(total, done);
        if (counter.Subscribe())
        {
            _channels[id].PooledMessageReceived += counter.OnMessage;
        }

        return Task.CompletedTask;
    }

    /// <summary><see cref="EchoAsync"/> through the pooled receive API.</summary>
    public Task EchoPooledAsync(int id)
    {
        var channel = _channels[id];
        channel.PooledMessageReceived += (c, m) =>
        {
            c.Send(m.Data.Span);
            m.Dispose();
        };
        return Task.CompletedTask;
    }

    /// <summary>
    /// <paramref name="count"/> blocking round trips through the pooled receive API, timing none of them (so that the
    /// only allocations are the stack's own).
    /// </summary>
    public Task PingPongPooledAsync(int id, int count, int size)
    {
        var channel = _channels[id];
        var reply = _pooledReplies.GetOrAdd(id, _ =>
        {
            var replies = new SemaphoreSlim(0);
            channel.PooledMessageReceived += (_, m) =>
            {
                m.Dispose();
                replies.Release();
            };
            return replies;
        });
        var message = new byte[size];
        return Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; i < count; i++)
                {
                    channel.Send(message);
                    if (!reply.Wait(TimeSpan.FromSeconds(10)))
                    {
                        throw new TimeoutException($"no echo for ping {i}");
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    public Task EchoAsync(int id)
    {
        var channel = _channels[id];
        channel.MessageReceived += (_, e) => channel.Send(e.Data.Span);
        return Task.CompletedTask;
    }

    public Task<double[]> PingPongAsync(int id, int count, int size, int warmup)
    {
        var channel = _channels[id];
        var reply = new SemaphoreSlim(0);
        channel.MessageReceived += (_, _) => reply.Release();
        var message = new byte[size];
        return BlockingRoundTrips(count, warmup, () => channel.Send(message), reply);
    }

    /// <summary>
    /// Runs <paramref name="send"/> and waits for <paramref name="reply"/>, <paramref name="count"/> +
    /// <paramref name="warmup"/> times on a dedicated thread (a blocking wait: an await would add a
    /// thread-pool hop to every sample). Round-trip times in microseconds, warm-up excluded.
    /// </summary>
    public static Task<double[]> BlockingRoundTrips(int count, int warmup, Action send, SemaphoreSlim? reply)
    {
        var rtts = new double[count];
        return Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; i < count + warmup; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    send();
                    if (reply is not null && !reply.Wait(TimeSpan.FromSeconds(10)))
                    {
                        throw new TimeoutException($"no echo for ping {i}");
                    }

                    if (i >= warmup)
                    {
                        rtts[i - warmup] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    }
                }

                return rtts;
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    public Task CloseChannelAsync(int id)
    {
        if (_channels.TryRemove(id, out var channel))
        {
            channel.Close();
        }

        return Task.CompletedTask;
    }

    public static Task OpenedAsync(RtcDataChannel channel)
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Opened += (_, _) => open.TrySetResult();
        if (channel.ReadyState == RtcDataChannelState.Open)
        {
            open.TrySetResult();
        }

        return open.Task;
    }

    /// <summary>Counts the bytes received on one channel through the pooled API towards the armed total.</summary>
    private sealed class PooledCounter
    {
        private long _got;
        private long _total;
        private TaskCompletionSource? _done;
        private bool _subscribed;

        public void Arm(long total, TaskCompletionSource done)
        {
            Volatile.Write(ref _done, null);
            _got = 0;
            _total = total;
            Volatile.Write(ref _done, done);
        }

        /// <summary>True on the first call.</summary>
        public bool Subscribe() => !_subscribed && (_subscribed = true);

        public void OnMessage(RtcDataChannel channel, RtcDataChannelMessageLease message)
        {
            _got += message.Data.Length;
            message.Dispose();
            if (_got >= _total)
            {
                Volatile.Read(ref _done)?.TrySetResult();
            }
        }
    }
}
