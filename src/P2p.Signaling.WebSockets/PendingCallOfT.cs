using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.WebSockets;

/// <summary>A call waiting for a result of type <typeparamref name="T"/>.</summary>
internal sealed class PendingCall<T>(string method, ResultDecoder<T> decoder, long deadline) : PendingCall(method, deadline)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override void Complete(ReadOnlySpan<byte> result)
    {
        T value;
        try
        {
            value = decoder(result);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: JsonElement.GetString of a string that is no text (invalid UTF-8, a lone surrogate).
            _completion.TrySetException(new SignalingException(
                SignalingErrorCode.InvalidResponse,
                $"The answer to '{Method}' does not have the expected shape: {ex.Message}",
                null,
                ex));
            return;
        }

        _completion.TrySetResult(value);
    }

    public override void Fail(Exception exception) => _completion.TrySetException(exception);
}
