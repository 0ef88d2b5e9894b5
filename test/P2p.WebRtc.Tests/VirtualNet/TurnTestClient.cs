using System.Buffers.Binary;
using System.Net;
using System.Text;
using P2p.WebRtc.Stun;
using P2p.WebRtc.Testing.Network;

namespace P2p.WebRtc.Tests.VirtualNet;

/// <summary>Adds attributes to a hand-built STUN message.</summary>
public delegate void StunAttributes(ref StunMessageWriter writer);

/// <summary>
/// A hand-driven TURN client for testing <see cref="VirtualTurnServer"/>: builds STUN requests attribute by attribute
/// on a virtual socket, adds USERNAME/REALM/NONCE/MESSAGE-INTEGRITY once a 401 or 438 taught it the realm and nonce,
/// and advances the network until the answer arrives. Peers' data (Data indications, ChannelData) is collected.
/// </summary>
public sealed class TurnTestClient : IDisposable
{
    private readonly List<(byte[] Data, IPEndPoint From)> _received = [];

    public TurnTestClient(VirtualHost host, IPEndPoint server, string username, string password)
    {
        Net = host.Network;
        Server = server;
        Username = username;
        Password = password;
        Socket = host.BindSocket(host.Address, 0);
        Socket.Start((datagram, remote) =>
        {
            lock (_received)
            {
                _received.Add((datagram.ToArray(), (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(remote)));
            }
        });
    }

    public VirtualNetwork Net { get; }

    public VirtualSocket Socket { get; }

    public IPEndPoint Server { get; }

    public string Username { get; set; }

    public string Password { get; set; }

    public string? Realm { get; private set; }

    public string? Nonce { get; set; }

    public byte[]? Key => Realm is null ? null : StunCredentials.LongTermKey(Username, Realm, Password);

    /// <summary>Data from peers: Data indications (with the peer) and ChannelData (with the channel number), as text.</summary>
    public IReadOnlyList<(string Text, IPEndPoint? Peer, ushort Channel)> PeerData
    {
        get
        {
            var data = new List<(string, IPEndPoint?, ushort)>();
            foreach (var (bytes, _) in Snapshot())
            {
                if ((bytes[0] & 0xC0) == 0x40)
                {
                    var length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2));
                    data.Add((Encoding.UTF8.GetString(bytes, 4, length), null, BinaryPrimitives.ReadUInt16BigEndian(bytes)));
                }
                else if (StunMessage.TryParse(bytes, out var m) == StunParseResult.Success && m.Method == StunMethod.Data
                    && m.Class == StunMessageClass.Indication && m.TryGetXorAddress(StunAttributeType.XorPeerAddress, out var peer)
                    && m.TryGetAttribute(StunAttributeType.Data, out var payload))
                {
                    data.Add((Encoding.UTF8.GetString(payload), peer, 0));
                }
            }

            return data;
        }
    }

    /// <summary>Sends a request (signed once a realm and nonce are known, unless told not to) and waits up to 2 s of virtual time for its answer.</summary>
    public TurnReply? Request(StunMethod method, StunAttributes? attributes = null, bool authenticate = true, StunTransactionId? transactionId = null)
    {
        var id = transactionId ?? StunTransactionId.NewRandom();
        var buffer = new byte[2048];
        var w = new StunMessageWriter(buffer, method, StunMessageClass.Request, id);
        attributes?.Invoke(ref w);
        if (authenticate && Realm is not null && Nonce is not null)
        {
            w.AddString(StunAttributeType.Username, Username);
            w.AddString(StunAttributeType.Realm, Realm);
            w.AddString(StunAttributeType.Nonce, Nonce);
            w.AddMessageIntegrity(Key);
        }

        w.AddFingerprint();
        Socket.Send(w.Written, Server);
        TurnReply? reply = null;
        Net.AdvanceUntil(() => (reply = FindReply(id)) is not null, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(1));
        if (reply is { ErrorCode: StunErrorCodes.Unauthenticated or StunErrorCodes.StaleNonce, Nonce: not null })
        {
            Realm = reply.Realm;
            Nonce = reply.Nonce;
        }

        return reply;
    }

    /// <summary>Sends a request, and once more if the answer is 401 or 438 with a nonce (the long-term credential dance).</summary>
    public TurnReply? RequestWithRetry(StunMethod method, StunAttributes? attributes = null)
    {
        var reply = Request(method, attributes);
        return reply is { ErrorCode: StunErrorCodes.Unauthenticated or StunErrorCodes.StaleNonce } ? Request(method, attributes) : reply;
    }

    public TurnReply? Allocate(uint? lifetime = null) => RequestWithRetry(StunMethod.Allocate, (ref StunMessageWriter w) =>
    {
        w.AddUInt32(StunAttributeType.RequestedTransport, 17u << 24);
        if (lifetime is { } l)
        {
            w.AddUInt32(StunAttributeType.Lifetime, l);
        }
    });

    public TurnReply? Refresh(uint? lifetime = null) => RequestWithRetry(StunMethod.Refresh, (ref StunMessageWriter w) =>
    {
        if (lifetime is { } l)
        {
            w.AddUInt32(StunAttributeType.Lifetime, l);
        }
    });

    public TurnReply? CreatePermission(params IPEndPoint[] peers) => RequestWithRetry(StunMethod.CreatePermission, (ref StunMessageWriter w) =>
    {
        foreach (var peer in peers)
        {
            w.AddXorAddress(peer, StunAttributeType.XorPeerAddress);
        }
    });

    public TurnReply? ChannelBind(ushort channel, IPEndPoint peer) => RequestWithRetry(StunMethod.ChannelBind, (ref StunMessageWriter w) =>
    {
        w.AddUInt32(StunAttributeType.ChannelNumber, (uint)channel << 16);
        w.AddXorAddress(peer, StunAttributeType.XorPeerAddress);
    });

    public void SendIndication(IPEndPoint peer, string text)
    {
        var buffer = new byte[2048];
        var w = new StunMessageWriter(buffer, StunMethod.Send, StunMessageClass.Indication, StunTransactionId.NewRandom());
        w.AddXorAddress(peer, StunAttributeType.XorPeerAddress);
        w.AddAttribute(StunAttributeType.Data, Encoding.UTF8.GetBytes(text));
        w.AddFingerprint();
        Socket.Send(w.Written, Server);
    }

    public void SendChannelData(ushort channel, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var datagram = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(datagram, channel);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)payload.Length);
        payload.CopyTo(datagram, 4);
        Socket.Send(datagram, Server);
    }

    public void Dispose() => Socket.Dispose();

    private (byte[] Data, IPEndPoint From)[] Snapshot()
    {
        lock (_received)
        {
            return [.. _received];
        }
    }

    private TurnReply? FindReply(StunTransactionId id)
    {
        foreach (var (bytes, _) in Snapshot())
        {
            if (TurnReply.Parse(bytes, Key) is { } reply && reply.TransactionId == id && reply.Class != StunMessageClass.Indication)
            {
                return reply;
            }
        }

        return null;
    }
}
