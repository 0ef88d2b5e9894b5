using Microsoft.Extensions.Logging;
using P2p.Core.Framing;
using P2p.Core.Mesh;

namespace P2p.Core.Messaging;

/// <summary>
/// Runs the group's request handler for one received request and sends its answer (a Reply, or an Error with the code
/// the handler or the checks chose), over whatever carried the request: a direct link or a relay.
/// </summary>
internal static class RequestInvoker
{
    /// <summary>Handles a request; releases one of the group's <see cref="MeshGroup.RequestSlots"/> when done (the caller took it).</summary>
    /// <param name="group">The group.</param>
    /// <param name="peer">Who sent the request.</param>
    /// <param name="requestId">The request's id.</param>
    /// <param name="request">The request's bytes.</param>
    /// <param name="send">Sends the answer (kind Reply or Error, the request's id, the payload).</param>
    /// <param name="logger">Where to log.</param>
    /// <param name="lifetime">Cancelled when the way back ends.</param>
    public static async Task RunAsync(
        MeshGroup group, Member peer, uint requestId, ReadOnlyMemory<byte> request, Func<FrameKind, uint, ReadOnlyMemory<byte>, Task> send, ILogger logger, CancellationToken lifetime)
    {
        try
        {
            var handler = group.RequestHandler;
            if (group.IsClosing)
            {
                await SendErrorAsync(send, requestId, GroupErrorCode.Unavailable, $"Member {group.LocalId} is leaving the group.").ConfigureAwait(false);
                return;
            }

            if (handler is null)
            {
                logger.LogWarning("Refused a request from member {MemberId}: no request handler is set", peer.Id);
                await SendErrorAsync(send, requestId, GroupErrorCode.NoHandler, $"Member {group.LocalId} has no request handler.").ConfigureAwait(false);
                return;
            }

            ReadOnlyMemory<byte> reply;
            try
            {
                reply = await handler(peer, request, lifetime).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
            {
                return; // the way back ended: nobody can be answered
            }
            catch (GroupException ex) when ((int)ex.Code is > 0 and < 100)
            {
                await SendErrorAsync(send, requestId, ex.Code, ex.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "The request handler failed for a request from member {MemberId}", peer.Id);
                await SendErrorAsync(send, requestId, GroupErrorCode.HandlerFailed, ex.Message).ConfigureAwait(false);
                return;
            }

            if (reply.Length > group.Options.MaxMessageSize)
            {
                logger.LogWarning("The reply to member {MemberId} ({Length} bytes) exceeds the message size limit", peer.Id, reply.Length);
                await SendErrorAsync(send, requestId, GroupErrorCode.TooLarge, $"The reply ({reply.Length} bytes) exceeds the limit of {group.Options.MaxMessageSize} bytes.").ConfigureAwait(false);
                return;
            }

            await send(FrameKind.Reply, requestId, reply).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or GroupException)
        {
            logger.LogDebug("Could not answer a request from member {MemberId}: {Reason}", peer.Id, ex.Message);
        }
        finally
        {
            group.RequestSlots.Release();
        }
    }

    /// <summary>Sends an Error answer.</summary>
    public static Task SendErrorAsync(Func<FrameKind, uint, ReadOnlyMemory<byte>, Task> send, uint requestId, GroupErrorCode code, string message) =>
        send(FrameKind.Error, requestId, ErrorPayload.Encode(code, message));
}
