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
    /// <summary>
    /// Runs the handler for a request whose <see cref="MeshGroup.RequestSlots"/> slot the caller took: on the calling thread
    /// until its first wait when <paramref name="inline"/>, otherwise on the thread pool. The group counts it as
    /// background work until it is done.
    /// </summary>
    public static void Dispatch(
        MeshGroup group, Member peer, uint requestId, ReadOnlyMemory<byte> request, IRequestAnswerer answerer, ILogger logger, bool inline, CancellationToken lifetime)
    {
        group.Work.Enter();
        if (inline)
        {
            _ = RunAsync(group, peer, requestId, request, answerer, logger, lifetime);
        }
        else
        {
            RequestWorkItem.Queue(group, peer, requestId, request, answerer, logger, lifetime);
        }
    }

    /// <summary>
    /// Handles a request; releases one of the group's <see cref="MeshGroup.RequestSlots"/> and leaves the group's counted
    /// background work when done (<see cref="Dispatch"/> took both). Never throws: every failure is logged.
    /// </summary>
    /// <param name="group">The group.</param>
    /// <param name="peer">Who sent the request.</param>
    /// <param name="requestId">The request's id.</param>
    /// <param name="request">The request's bytes.</param>
    /// <param name="answerer">Sends the answer (kind Reply or Error, the request's id, the payload).</param>
    /// <param name="logger">Where to log.</param>
    /// <param name="lifetime">Cancelled when the way back ends.</param>
    public static async Task RunAsync(
        MeshGroup group, Member peer, uint requestId, ReadOnlyMemory<byte> request, IRequestAnswerer answerer, ILogger logger, CancellationToken lifetime)
    {
        try
        {
            var handler = group.RequestHandler;
            if (group.IsClosing)
            {
                await SendErrorAsync(answerer, requestId, GroupErrorCode.Unavailable, $"Member {group.LocalId} is leaving the group.").ConfigureAwait(false);
                return;
            }

            if (handler is null)
            {
                logger.LogWarning("Refused a request from member {MemberId}: no request handler is set", peer.Id);
                await SendErrorAsync(answerer, requestId, GroupErrorCode.NoHandler, $"Member {group.LocalId} has no request handler.").ConfigureAwait(false);
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
                await SendErrorAsync(answerer, requestId, ex.Code, ex.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "The request handler failed for a request from member {MemberId}", peer.Id);
                await SendErrorAsync(answerer, requestId, GroupErrorCode.HandlerFailed, ex.Message).ConfigureAwait(false);
                return;
            }

            if (reply.Length > group.Options.MaxMessageSize)
            {
                logger.LogWarning("The reply to member {MemberId} ({Length} bytes) exceeds the message size limit", peer.Id, reply.Length);
                await SendErrorAsync(answerer, requestId, GroupErrorCode.TooLarge, $"The reply ({reply.Length} bytes) exceeds the limit of {group.Options.MaxMessageSize} bytes.").ConfigureAwait(false);
                return;
            }

            await answerer.AnswerAsync(FrameKind.Reply, requestId, reply).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or GroupException)
        {
            logger.LogDebug("Could not answer a request from member {MemberId}: {Reason}", peer.Id, ex.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Answering a request from member {MemberId} failed", peer.Id);
        }
        finally
        {
            group.RequestSlots.Release();
            group.Work.Exit();
        }
    }

    /// <summary>Sends an Error answer.</summary>
    public static Task SendErrorAsync(IRequestAnswerer answerer, uint requestId, GroupErrorCode code, string message) =>
        answerer.AnswerAsync(FrameKind.Error, requestId, ErrorPayload.Encode(code, message));
}
