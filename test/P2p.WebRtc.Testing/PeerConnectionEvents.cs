using System.Threading.Channels;
using P2p.WebRtc.DataChannels;

namespace P2p.WebRtc.Testing;

/// <summary>Awaitable views of an <see cref="RtcPeerConnection"/>'s and an <see cref="RtcDataChannel"/>'s events, for tests.</summary>
public static class PeerConnectionEvents
{
    /// <summary>Completes when the connection reaches <paramref name="wanted"/>; fails when it fails or closes first.</summary>
    /// <param name="pc">The connection.</param>
    /// <param name="wanted">The state to wait for.</param>
    /// <returns>The wait (no timeout of its own).</returns>
    public static Task StateAsync(RtcPeerConnection pc, RtcPeerConnectionState wanted)
    {
        ArgumentNullException.ThrowIfNull(pc);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pc.ConnectionStateChanged += (_, state) =>
        {
            if (state == wanted)
            {
                done.TrySetResult();
            }
            else if (state is RtcPeerConnectionState.Failed or RtcPeerConnectionState.Closed)
            {
                done.TrySetException(new InvalidOperationException($"the connection went {state} while waiting for {wanted}: {pc.Error?.Message}"));
            }
        };
        if (pc.ConnectionState == wanted)
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    /// <summary>Completes when the channel is open; fails when it closes first.</summary>
    /// <param name="channel">The channel.</param>
    /// <returns>The wait (no timeout of its own).</returns>
    public static Task OpenAsync(RtcDataChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Opened += (_, _) => open.TrySetResult();
        channel.Closed += (_, _) => open.TrySetException(new InvalidOperationException($"{channel} closed before opening"));
        if (channel.ReadyState == RtcDataChannelState.Open)
        {
            open.TrySetResult();
        }

        return open.Task;
    }

    /// <summary>Every message the channel receives from now on, in arrival order.</summary>
    /// <param name="channel">The channel.</param>
    /// <returns>The messages.</returns>
    public static ChannelReader<RtcDataChannelMessageEventArgs> Collect(RtcDataChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var queue = Channel.CreateUnbounded<RtcDataChannelMessageEventArgs>();
        channel.MessageReceived += (_, e) => queue.Writer.TryWrite(e);
        return queue.Reader;
    }
}
