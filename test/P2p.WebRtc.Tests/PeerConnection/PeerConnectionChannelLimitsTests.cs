using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Tests.PeerConnection;

/// <summary>
/// Issue 19: channels the peer opens are only kept when someone can read them; otherwise each would hold up to
/// <see cref="RtcDataChannel.MaxHeldBytes"/> of the peer's messages for nobody.
/// </summary>
[CancelAfter(30_000)]
public sealed class PeerConnectionChannelLimitsTests
{
    [Test]
    public async Task A_channel_the_peer_opens_while_nothing_handles_DataChannel_is_refused(CancellationToken ct)
    {
        await using var pair = new PeerPair();
        var channel = pair.Offerer.CreateDataChannel("unheard");
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Closed += (_, _) => closed.TrySetResult();

        await pair.ConnectAsync();

        await closed.Task.WaitAsync(PeerPair.Timeout, ct);
        Assert.That(channel.ReadyState, Is.EqualTo(RtcDataChannelState.Closed));
    }

    [Test]
    public async Task A_channel_the_peer_opens_while_DataChannel_is_handled_stays_open(CancellationToken ct)
    {
        await using var pair = new PeerPair();
        var remote = PeerPair.NextRemoteChannelAsync(pair.Answerer);
        var channel = pair.Offerer.CreateDataChannel("heard");

        await pair.ConnectAsync();
        var theirs = await remote.WaitAsync(PeerPair.Timeout, ct);
        var inbox = PeerPair.Collect(theirs);
        await PeerPair.WaitOpenAsync(channel);
        channel.Send(new byte[] { 19 });

        Assert.That((await inbox.ReadAsync(ct).AsTask().WaitAsync(PeerPair.Timeout, ct)).Data.ToArray(), Is.EqualTo(new byte[] { 19 }));
        Assert.That(channel.ReadyState, Is.EqualTo(RtcDataChannelState.Open));
    }
}
