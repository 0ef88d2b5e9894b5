using P2p.Core.Framing;

namespace P2p.Core.Messaging;

/// <summary>The way back for the answer to one received request: a direct link, or a relayed member's route.</summary>
internal interface IRequestAnswerer
{
    /// <summary>Sends the answer (kind Reply or Error) to request <paramref name="requestId"/>.</summary>
    /// <param name="kind"><see cref="FrameKind.Reply"/> or <see cref="FrameKind.Error"/>.</param>
    /// <param name="requestId">The request's id.</param>
    /// <param name="payload">The reply, or the encoded error.</param>
    /// <returns>Completes when the answer was handed to the transport.</returns>
    Task AnswerAsync(FrameKind kind, uint requestId, ReadOnlyMemory<byte> payload);
}
