using System.Net.WebSockets;
using System.Text;

namespace P2p.Fuzzing.Support;

/// <summary>An open WebSocket whose sends complete at once and are remembered (the last one as text); it never receives.</summary>
internal sealed class RecordingWebSocket : WebSocket
{
    private WebSocketState _state = WebSocketState.Open;

    public string LastSent { get; private set; } = "";

    public int Sent { get; private set; }

    public override WebSocketCloseStatus? CloseStatus => null;

    public override string? CloseStatusDescription => null;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    public override void Abort() => _state = WebSocketState.Aborted;

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        _state = WebSocketState.Closed;
        return Task.CompletedTask;
    }

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        _state = WebSocketState.CloseSent;
        return Task.CompletedTask;
    }

    public override void Dispose() => _state = WebSocketState.Closed;

    public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
        Task.FromException<WebSocketReceiveResult>(new WebSocketException("The fuzz socket never receives."));

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        Record(buffer);
        return Task.CompletedTask;
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        Record(buffer.Span);
        return ValueTask.CompletedTask;
    }

    private void Record(ReadOnlySpan<byte> frame)
    {
        Sent++;
        LastSent = Encoding.UTF8.GetString(frame);
    }
}
