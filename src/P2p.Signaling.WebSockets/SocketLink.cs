using System.Net.WebSockets;
using P2p.Signaling.WebSockets.Protocol;

namespace P2p.Signaling.WebSockets;

/// <summary>
/// One WebSocket of a <see cref="WebSocketSignalingChannel"/> with its sender. A channel that reconnects
/// goes through several links; only the current one carries calls.
/// </summary>
internal sealed class SocketLink
{
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="socket">The link's WebSocket.</param>
    /// <param name="tap">The socket's connection stream when the sender may write framed messages to it directly; <see langword="null"/> to send through the socket.</param>
    /// <param name="onSendFailed">Called once if a send fails.</param>
    public SocketLink(WebSocket socket, ConnectionTap? tap, Action<SocketLink, Exception> onSendFailed)
    {
        Socket = socket;
        Sender = new FrameSender(socket, ex => onSendFailed(this, ex), tap);
    }

    public WebSocket Socket { get; }

    public FrameSender Sender { get; }

    /// <summary>Completes when the link's receive loop has finished (and, after a close from the server, answered it).</summary>
    public Task Ended => _ended.Task;

    /// <summary>The receive loop, once started.</summary>
    public Task ReceiveLoop { get; set; } = Task.CompletedTask;

    public void MarkEnded() => _ended.TrySetResult();
}
