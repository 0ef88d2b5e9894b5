using System.Text;
using Microsoft.Extensions.Logging;
using P2p.WebRtc.DataChannels;
using P2p.WebRtc.Dtls;
using P2p.WebRtc.Sctp;

namespace P2p.WebRtc;

// The SCTP association (RFC 8261: over the DTLS transport) and the data channels on it.
public sealed partial class RtcPeerConnection
{
    private static readonly TimeSpan SctpShutdownTimeout = TimeSpan.FromMilliseconds(500);
    private readonly List<RtcDataChannel> _unassignedChannels = [];
    private SctpTransport? _sctp;
    private DataChannelManager? _channels;
    private volatile bool _sctpConnected;
    private volatile bool _sctpClosed;

    /// <summary>
    /// The peer opened a data channel (DATA_CHANNEL_OPEN received); it is open when raised. A channel the peer opens while
    /// nothing handles this event is refused (its stream reset), as nobody could read it.
    /// </summary>
    public event EventHandler<RtcDataChannel>? DataChannel;

    /// <summary>The SCTP association's counters (retransmissions, congestion window, RTT, …), once it exists.</summary>
    public SctpMetrics? SctpMetrics => _sctp?.GetMetrics();

    /// <summary>
    /// Creates a data channel. Before the connection is up it waits in <see cref="RtcDataChannelState.Connecting"/>
    /// and opens when the SCTP association is established; the peer learns of it through DCEP
    /// (RFC 8832) unless <see cref="RtcDataChannelInit.Negotiated"/>, in which case the peer must create
    /// one with the same id.
    /// </summary>
    /// <param name="label">The channel's label (at most 65535 bytes of UTF-8).</param>
    /// <param name="init">Options; null for a reliable, ordered channel.</param>
    /// <returns>The channel.</returns>
    /// <exception cref="ArgumentException">Both partial-reliability limits are set, a limit is negative, a negotiated channel has no id, the id is taken, or the label or protocol is too long.</exception>
    /// <exception cref="InvalidOperationException">The connection is closed.</exception>
    public RtcDataChannel CreateDataChannel(string label, RtcDataChannelInit? init = null)
    {
        ArgumentNullException.ThrowIfNull(label);
        init ??= new RtcDataChannelInit();
        if (init.MaxRetransmits is not null && init.MaxPacketLifeTime is not null)
        {
            throw new ArgumentException("Set MaxRetransmits or MaxPacketLifeTime, not both.", nameof(init));
        }

        if (init.MaxRetransmits < 0 || init.MaxPacketLifeTime < TimeSpan.Zero)
        {
            throw new ArgumentException("Partial-reliability limits cannot be negative.", nameof(init));
        }

        if (init.Negotiated && init.Id is null)
        {
            throw new ArgumentException("A negotiated data channel needs an Id.", nameof(init));
        }

        if (Encoding.UTF8.GetByteCount(label) > ushort.MaxValue || Encoding.UTF8.GetByteCount(init.Protocol) > ushort.MaxValue)
        {
            throw new ArgumentException("A data channel label or protocol is limited to 65535 bytes of UTF-8.", nameof(label));
        }

        var channel = new RtcDataChannel(label, init, init.Id);
        DataChannelManager? manager;
        lock (_sync)
        {
            ThrowIfClosed();
            manager = _channels;
            if (manager is null)
            {
                if (init.Id is { } id && _unassignedChannels.Exists(c => c.Id == id))
                {
                    throw new ArgumentException($"Stream id {id} is already used by another data channel.", nameof(init));
                }

                _unassignedChannels.Add(channel);
            }
        }

        manager?.Add(channel);
        return channel;
    }

    private bool IsSctpConnected => _sctpConnected && !_sctpClosed;

    /// <summary>Creates the association next to the DTLS transport, so an early INIT from the peer is not lost.</summary>
    private void CreateSctpLocked(DtlsTransport dtls)
    {
        var defaults = new SctpOptions();
        var options = defaults with
        {
            LocalPort = (ushort)_configuration.SctpPort,
            RemotePort = (ushort)RemoteSctpPort,
            MaxPacketSize = dtls.MaxDatagramSize,
            MaxReceiveMessageSize = _configuration.MaxMessageSize,
            MaxMessageSize = (int)Math.Min(RemoteMaxMessageSize, defaults.MaxSendBufferSize),
        };
        var sctp = new SctpTransport(dtls, options, _loggerFactory.CreateLogger<SctpTransport>(), _configuration.TimeProvider);
        var manager = new DataChannelManager(sctp, _dtlsRole!.Value, RemoteMaxMessageSize, channel => DataChannel?.Invoke(this, channel), _loggerFactory.CreateLogger<DataChannelManager>())
        {
            AcceptsPeerChannels = () => DataChannel is not null,
        };
        sctp.Closed += (_, info) => OnSctpClosed(manager, info);
        foreach (var channel in _unassignedChannels)
        {
            manager.Add(channel); // not connected yet: only registers the channel and assigns its id
        }

        _unassignedChannels.Clear();
        _sctp = sctp;
        _channels = manager;
    }

    private async Task StartSctpAsync(DtlsTransport dtls, CancellationToken cancellationToken)
    {
        _ = dtls;
        // Both sides send INIT (RFC 8841 §6: either may initiate); the association settles the collision.
        await _sctp!.ConnectAsync(cancellationToken).ConfigureAwait(false);
        _sctpConnected = true;
        _logger.LogDebug("SCTP association established");
        _channels!.OnConnected();
    }

    private void OnSctpClosed(DataChannelManager manager, SctpCloseInfo info)
    {
        _sctpClosed = true;
        var orderly = info.Reason is SctpCloseReason.Shutdown or SctpCloseReason.LocalAbort or SctpCloseReason.PeerAbort or SctpCloseReason.TransportClosed;
        manager.OnClosed(orderly ? null : new SctpException(info));
        if (orderly)
        {
            _logger.LogDebug("SCTP association closed: {Reason} {Message}", info.Reason, info.Message);
            UpdateConnectionState();
        }
        else
        {
            Fail(new SctpException(info));
        }
    }

    private async ValueTask CloseSctpAsync()
    {
        var sctp = _sctp;
        if (sctp is null)
        {
            RtcDataChannel[] unassigned;
            lock (_sync)
            {
                unassigned = [.. _unassignedChannels];
                _unassignedChannels.Clear();
            }

            foreach (var channel in unassigned)
            {
                channel.OnClosed(null);
            }

            return;
        }

        _channels?.OnClosed(null);
        if (_sctpConnected && !_sctpClosed)
        {
            try
            {
                await sctp.CloseAsync(CancellationToken.None).WaitAsync(SctpShutdownTimeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or SctpException or ObjectDisposedException)
            {
                _logger.LogDebug("SCTP shutdown did not complete ({Message}); aborting", e.Message);
            }
        }

        await sctp.DisposeAsync().ConfigureAwait(false);
    }

    private void OnFailed(Exception error) => _channels?.OnClosed(error);
}
