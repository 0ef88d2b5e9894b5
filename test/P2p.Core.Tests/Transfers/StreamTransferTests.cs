using System.Collections.Concurrent;
using System.Security.Cryptography;
using P2p.Core.Tests.Support;
using P2p.Core.Transfers;

namespace P2p.Core.Tests.Transfers;

/// <summary>Streams and large buffers with progress and back-pressure (docs/concepts.md, "Large payloads").</summary>
[CancelAfter(60_000)]
public sealed class StreamTransferTests
{
    [TestCase(5 * 1024 * 1024 + 123, TestName = "A_stream_arrives_whole_in_order_with_progress_to_the_end")]
    [TestCase(4 * 64 * 1024, TestName = "A_stream_of_an_exact_number_of_chunks_arrives_whole")]
    [TestCase(0, TestName = "An_empty_stream_arrives_empty")]
    public async Task A_stream_arrives(int size)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var sink = new MemoryStream();
        var done = new TaskCompletionSource<(IncomingStream, Exception?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = new StreamReceiver((_, _) => ValueTask.FromResult<Stream>(sink), (incoming, error) =>
        {
            done.TrySetResult((incoming, error));
            return ValueTask.CompletedTask;
        });
        await using var mesh = await TestMesh.StartAsync();
        var (sender, target) = await PairAsync(mesh, receiver);
        var reports = new ConcurrentQueue<StreamTransferProgress>();

        var sent = await sender.Group.SendStreamAsync(
            target.Id, new MemoryStream(data), new StreamTransferOptions { ChunkSize = 64 * 1024, Name = "data.bin" }, new SyncProgress(reports.Enqueue));

        var (incoming, error) = await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(sent, Is.EqualTo(size));
        Assert.That(error, Is.Null);
        Assert.That(incoming, Is.EqualTo(new IncomingStream(target.Group.GetMember(sender.Id)!, incoming.TransferId, "data.bin", size)));
        Assert.That(sink.ToArray(), Is.EqualTo(data));
        Assert.That(reports.Select(r => r.BytesConfirmed).Max(), Is.EqualTo(size));
        Assert.That(reports.All(r => r.TotalBytes == size));
        Assert.That(receiver.OpenTransfers, Is.Zero);
    }

    [Test]
    public async Task A_slow_receiver_holds_the_sender_back_to_its_window()
    {
        const int chunk = 16 * 1024;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new GatedStream(release.Task);
        var receiver = new StreamReceiver((_, _) => ValueTask.FromResult<Stream>(sink));
        await using var mesh = await TestMesh.StartAsync();
        var (sender, target) = await PairAsync(mesh, receiver);
        var source = new CountingStream(RandomNumberGenerator.GetBytes(100 * chunk));

        var transfer = sender.Group.SendStreamAsync(target.Id, source, new StreamTransferOptions { ChunkSize = chunk, ChunksInFlight = 3 });
        await sink.FirstWrite.WaitAsync(TimeSpan.FromSeconds(10));
        await source.ReachedAsync(3 * chunk).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(source.BytesRead, Is.LessThanOrEqualTo(4 * chunk), "the sender reads no further than its window while the receiver is stuck");
        Assert.That(transfer.IsCompleted, Is.False);
        release.SetResult();
        Assert.That(await transfer.WaitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(100 * chunk));
    }

    [Test]
    public async Task A_receiver_that_cannot_write_fails_the_sender_and_is_told()
    {
        var done = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = new StreamReceiver((_, _) => ValueTask.FromResult<Stream>(new FailingStream()), (_, error) =>
        {
            done.TrySetResult(error);
            return ValueTask.CompletedTask;
        });
        await using var mesh = await TestMesh.StartAsync();
        var (sender, target) = await PairAsync(mesh, receiver);

        var error = Assert.ThrowsAsync<GroupException>(() => sender.Group.SendStreamAsync(target.Id, new MemoryStream(new byte[1 << 20]), new StreamTransferOptions { ChunkSize = 64 * 1024 }));

        Assert.That(error!.Code, Is.EqualTo(GroupErrorCode.HandlerFailed));
        Assert.That(error.Message, Does.Contain("disk full"));
        Assert.That(await done.Task.WaitAsync(TimeSpan.FromSeconds(10)), Is.TypeOf<IOException>());
        Assert.That(receiver.OpenTransfers, Is.Zero);
    }

    [Test]
    public async Task Other_requests_go_to_the_application_handler()
    {
        var receiver = new StreamReceiver((_, _) => ValueTask.FromResult<Stream>(new MemoryStream()));
        await using var mesh = await TestMesh.StartAsync();
        var (sender, target) = await PairAsync(mesh, receiver, (_, data, _) => ValueTask.FromResult(data));

        var reply = await sender.Group.UnicastAsync(target.Id, "plain"u8.ToArray());

        Assert.That(reply.ToArray(), Is.EqualTo("plain"u8.ToArray()));
    }

    [Test]
    public void Settings_out_of_range_are_refused_before_anything_is_sent()
    {
        var group = new Moq.Mock<IGroup>(Moq.MockBehavior.Strict).Object;
        Assert.That(() => group.SendStreamAsync("m", new MemoryStream(), new StreamTransferOptions { ChunkSize = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => group.SendStreamAsync("m", new MemoryStream(), new StreamTransferOptions { ChunksInFlight = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => group.SendStreamAsync("m", new MemoryStream(), new StreamTransferOptions { Name = new string('x', 2000) }), Throws.ArgumentException);
    }

    private static async Task<(TestMember Sender, TestMember Target)> PairAsync(TestMesh mesh, StreamReceiver receiver, GroupRequestHandler? next = null)
    {
        var target = await mesh.CreateAsync(configure: o => o.RequestHandler = receiver.Wrap(next));
        var sender = await mesh.JoinAsync(target.Group.Id);
        await TestMesh.WaitForFullMeshAsync([target, sender]);
        return (sender, target);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<StreamTransferProgress> report) : IProgress<StreamTransferProgress>
    {
        public void Report(StreamTransferProgress value) => report(value);
    }

    /// <summary>A sink whose writes wait until released.</summary>
    private sealed class GatedStream(Task released) : MemoryStream
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstWrite => _first.Task;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _first.TrySetResult();
            await released.WaitAsync(cancellationToken);
            await base.WriteAsync(buffer, cancellationToken);
        }
    }

    /// <summary>A sink that cannot be written.</summary>
    private sealed class FailingStream : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException(new IOException("disk full"));
    }

    /// <summary>A source that counts what was read from it and tells when a count is reached.</summary>
    private sealed class CountingStream(byte[] data) : MemoryStream(data)
    {
        private readonly Lock _gate = new();
        private readonly List<(long Count, TaskCompletionSource Reached)> _waiters = [];

        public long BytesRead { get; private set; }

        public Task ReachedAsync(long count)
        {
            lock (_gate)
            {
                if (BytesRead >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            lock (_gate)
            {
                BytesRead += read;
                foreach (var waiter in _waiters.Where(w => BytesRead >= w.Count).ToList())
                {
                    waiter.Reached.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }

            return read;
        }
    }
}
