using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2p.Core.Framing;
using P2p.Core.Messaging;
using P2p.Core.Diagnostics;

namespace P2p.Core.Routing;

/// <summary>Receiving what this member relays to this one: reassembly, at-most-once delivery, signature checks, acks.</summary>
internal sealed partial class RelayedPeer
{
    /// <summary>A Data fragment through the relay on <paramref name="link"/>.</summary>
    private Task OnData(LinkMessenger link, uint seq, uint offset, ReadOnlySpan<byte> signature, FrameHeader header, ReadOnlySpan<byte> fragment)
    {
        ReassemblyStatus status;
        ReadOnlyMemory<byte> message;
        bool duplicate;
        ECDsa? key;
        lock (_gate)
        {
            status = _inbox.Add(seq, offset, header, fragment, out message);
            duplicate = status is ReassemblyStatus.Complete or ReassemblyStatus.TooLarge && _inbox.WasDelivered(seq);
            key = _peerKey;
        }

        switch (status)
        {
            case ReassemblyStatus.Incomplete:
                return Task.CompletedTask;
            case ReassemblyStatus.Malformed:
                Logger.LogDebug("Dropped a relayed fragment of message {Seq} from member {MemberId} that fits no message", seq, Member.Id);
                return Task.CompletedTask;
        }

        if (duplicate)
        {
            Logger.LogDebug("Message {Seq} from member {MemberId} came again (after a relay change): acknowledged, not delivered again", seq, Member.Id);
            return SendAckAsync(link, seq);
        }

        if (status == ReassemblyStatus.Complete)
        {
            if (key is not null)
            {
                if (!RouteSignatures.VerifyData(key, signature, Group.Id, Member.Id, Group.LocalId, seq, header.Kind, header.MessageId, message.Span))
                {
                    Logger.LogWarning("Dropped relayed message {Seq} from member {MemberId}: its signature does not verify (altered by a relay?)", seq, Member.Id);
                    return _router.SendQuietlyAsync(link, RouteFrame.CreateUnreachable(false, Group.LocalId, Member.Id, seq, UnreachableReason.BadSignature));
                }
            }
            else if (Group.Options.Identity?.PeerIdentityRequired ?? false)
            {
                Logger.LogWarning("Dropped relayed message {Seq} from member {MemberId}: it proved no identity and this member requires one", seq, Member.Id);
                return _router.SendQuietlyAsync(link, RouteFrame.CreateUnreachable(false, Group.LocalId, Member.Id, seq, UnreachableReason.Refused));
            }
        }

        lock (_gate)
        {
            if (_inbox.WasDelivered(seq))
            {
                duplicate = true;
            }
            else
            {
                _inbox.MarkDelivered(seq);
            }
        }

        return duplicate ? SendAckAsync(link, seq) : AckAndDeliverAsync(link, seq, status, header, message);
    }

    private async Task AckAndDeliverAsync(LinkMessenger link, uint seq, ReassemblyStatus status, FrameHeader header, ReadOnlyMemory<byte> message)
    {
        await SendAckAsync(link, seq).ConfigureAwait(false);
        if (status == ReassemblyStatus.TooLarge)
        {
            Logger.LogWarning(
                "Dropped a relayed {Kind} of {Length} bytes from member {MemberId}: larger than the limit of {Limit} bytes",
                header.Kind, header.TotalLength, Member.Id, _inbox.MaxMessageSize);
            if (header.Kind == FrameKind.Request)
            {
                AnswerInBackground(header.MessageId, GroupErrorCode.TooLarge, $"The request ({header.TotalLength} bytes) exceeds the receiver's limit of {_inbox.MaxMessageSize} bytes.");
            }

            return;
        }

        CoreMetrics.MessageReceived(header.Kind, relayed: true, message.Length);
        var lifetime = _lifetime.Token;
        switch (header.Kind)
        {
            case FrameKind.Broadcast:
                if (!CapabilityRules.MayBroadcast(Group.Capability, Member.Id, Group.OwnerId))
                {
                    Logger.LogWarning("Dropped a relayed broadcast from member {MemberId}: the group's capability {Capability} forbids it", Member.Id, Group.Capability);
                    return;
                }

                await Group.EnqueueBroadcastAsync(Member, message, lifetime).ConfigureAwait(false);
                return;

            case FrameKind.Request:
                if (!CapabilityRules.MayUnicast(Group.Capability, Member.Id, Group.LocalId, Group.OwnerId))
                {
                    Logger.LogWarning("Refused a relayed request from member {MemberId}: the group's capability {Capability} forbids it", Member.Id, Group.Capability);
                    AnswerInBackground(header.MessageId, GroupErrorCode.Forbidden, $"The group's capability ({Group.Capability}) forbids unicast from {Member.Id} to {Group.LocalId}.");
                    return;
                }

                await Group.RequestSlots.WaitAsync(lifetime).ConfigureAwait(false);
                RequestInvoker.Dispatch(Group, Member, header.MessageId, message, new RouteAnswerer(this, lifetime), Logger, inline: false, lifetime);
                return;

            case FrameKind.Reply:
                if (_requests.TryRemove(header.MessageId, out var reply))
                {
                    reply.TrySetResult(message);
                }

                return;

            case FrameKind.Error:
                var (code, text) = ErrorPayload.Decode(message.Span);
                if (_requests.TryRemove(header.MessageId, out var failed))
                {
                    failed.TrySetException(new GroupException(code, $"Member {Member.Id} answered with an error ({code}): {text}", null, Member.Id));
                }

                return;
        }
    }

    private Task SendAckAsync(LinkMessenger link, uint seq)
    {
        var signature = Group.Options.Identity?.Key is { } key ? RouteSignatures.SignAck(key, Group.Id, Group.LocalId, Member.Id, seq) : [];
        return _router.SendQuietlyAsync(link, RouteFrame.Create(RouteFrameType.Ack, false, Group.LocalId, Member.Id, seq, signature));
    }

    private void AnswerInBackground(uint requestId, GroupErrorCode code, string text) =>
        Group.Work.Run(async () =>
        {
            try
            {
                await SendAsync(FrameKind.Error, requestId, ErrorPayload.Encode(code, text), _lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or GroupException)
            {
                Logger.LogDebug("Could not send a relayed error to member {MemberId}: {Reason}", Member.Id, ex.Message);
            }
        });

    /// <summary>Answers a relayed request through this relayed member's route, while <paramref name="lifetime"/> lasts.</summary>
    private sealed class RouteAnswerer(RelayedPeer peer, CancellationToken lifetime) : IRequestAnswerer
    {
        public Task AnswerAsync(FrameKind kind, uint requestId, ReadOnlyMemory<byte> payload) => peer.SendAsync(kind, requestId, payload, lifetime);
    }
}
