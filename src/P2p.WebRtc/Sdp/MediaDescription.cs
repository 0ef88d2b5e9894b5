using System.Globalization;

namespace P2p.WebRtc.Sdp;

/// <summary>
/// One media section (RFC 8866 §5.14): the <c>m=</c> line and what follows it up to the next
/// <c>m=</c>. Data channels use <c>m=application &lt;port&gt; UDP/DTLS/SCTP webrtc-datachannel</c>
/// (RFC 8841 §4); audio and video sections are kept as they are (unsupported here) so that an
/// answerer can reject them with port 0 (<see cref="CreateRejected"/>).
/// </summary>
/// <remarks>
/// Older endpoints (aiortc ≤ 1.4, browsers before 2018) still write the legacy dialect of
/// draft-ietf-mmusic-sctp-sdp-05: <c>m=application 9 DTLS/SCTP 5000</c>, whose format is the SCTP
/// port, mapped by <c>a=sctpmap:5000 webrtc-datachannel 65535</c>. <see cref="IsDataChannel"/>
/// accepts both; <see cref="IsLegacyDataChannel"/> tells which one a section uses, so that an answer
/// can be written in the dialect of its offer (<see cref="CreateLegacyDataChannel"/>).
/// </remarks>
public sealed class MediaDescription : SdpAttributeSection
{
    /// <summary>The protocol of a data channel section over UDP (RFC 8841 §4.1).</summary>
    public const string DtlsSctpUdpProtocol = "UDP/DTLS/SCTP";

    /// <summary>The protocol of a data channel section over TCP (RFC 8841 §4.1).</summary>
    public const string DtlsSctpTcpProtocol = "TCP/DTLS/SCTP";

    /// <summary>The format of a data channel section (RFC 8841 §4.2).</summary>
    public const string DataChannelFormat = "webrtc-datachannel";

    /// <summary>The protocol of a legacy data channel section (draft-ietf-mmusic-sctp-sdp-05 §4).</summary>
    public const string LegacyDtlsSctpProtocol = "DTLS/SCTP";

    /// <summary>The number of streams our legacy <c>a=sctpmap</c> line announces (the SCTP maximum).</summary>
    public const int LegacySctpStreams = 65535;

    /// <summary>Creates a media section.</summary>
    /// <param name="media">The media type: <c>application</c>, <c>audio</c>, <c>video</c>, ...</param>
    /// <param name="port">The port (9 when trickling, 0 to reject).</param>
    /// <param name="protocol">The protocol, e.g. <c>UDP/DTLS/SCTP</c>.</param>
    /// <param name="formats">The formats; at least one.</param>
    public MediaDescription(string media, int port, string protocol, IEnumerable<string> formats)
    {
        ArgumentException.ThrowIfNullOrEmpty(media);
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        ArgumentNullException.ThrowIfNull(formats);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        Media = media;
        Port = port;
        Protocol = protocol;
        Formats = [.. formats];
    }

    /// <summary>Creates a data channel section: <c>m=application 9 UDP/DTLS/SCTP webrtc-datachannel</c>.</summary>
    /// <returns>The section with <c>c=IN IP4 0.0.0.0</c> and no attributes yet.</returns>
    public static MediaDescription CreateDataChannel() =>
        new("application", 9, DtlsSctpUdpProtocol, [DataChannelFormat]) { Connection = SdpConnection.Unspecified };

    /// <summary>
    /// Creates a data channel section in the legacy dialect: <c>m=application 9 DTLS/SCTP &lt;port&gt;</c>
    /// with <c>a=sctpmap:&lt;port&gt; webrtc-datachannel 65535</c> (draft-ietf-mmusic-sctp-sdp-05),
    /// for answering an offer written that way.
    /// </summary>
    /// <param name="sctpPort">The SCTP port (the format and the sctpmap number).</param>
    /// <returns>The section with <c>c=IN IP4 0.0.0.0</c> and the sctpmap line.</returns>
    public static MediaDescription CreateLegacyDataChannel(int sctpPort)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sctpPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sctpPort, 65535);
        var port = sctpPort.ToString(CultureInfo.InvariantCulture);
        var media = new MediaDescription("application", 9, LegacyDtlsSctpProtocol, [port]) { Connection = SdpConnection.Unspecified };
        media.Attributes.Add(new SdpAttribute("sctpmap", string.Create(CultureInfo.InvariantCulture, $"{port} {DataChannelFormat} {LegacySctpStreams}")));
        return media;
    }

    /// <summary>The media type, e.g. <c>application</c>.</summary>
    public string Media { get; set; }

    /// <summary>The port; 0 means the section is rejected or disabled.</summary>
    public int Port { get; set; }

    /// <summary>The number of ports (<c>port/count</c>), if given.</summary>
    public int? PortCount { get; set; }

    /// <summary>The transport protocol, e.g. <c>UDP/DTLS/SCTP</c>.</summary>
    public string Protocol { get; set; }

    /// <summary>The media formats, e.g. <c>webrtc-datachannel</c>.</summary>
    public List<string> Formats { get; }

    /// <summary>True when the port is 0 (rejected/disabled section, RFC 8866 §5.14, RFC 3264 §6).</summary>
    public bool IsRejected => Port == 0;

    /// <summary>True for an SCTP-over-DTLS data channel section, in the RFC 8841 dialect or the legacy one (<see cref="IsLegacyDataChannel"/>).</summary>
    public bool IsDataChannel =>
        IsLegacyDataChannel
        || (Media == "application"
            && (Protocol.Equals(DtlsSctpUdpProtocol, StringComparison.OrdinalIgnoreCase) || Protocol.Equals(DtlsSctpTcpProtocol, StringComparison.OrdinalIgnoreCase))
            && Formats.Contains(DataChannelFormat));

    /// <summary>
    /// True for a data channel section in the legacy dialect: protocol <c>DTLS/SCTP</c> and an
    /// <c>a=sctpmap</c> that maps one of its formats to <c>webrtc-datachannel</c>.
    /// </summary>
    public bool IsLegacyDataChannel =>
        Media == "application"
        && Protocol.Equals(LegacyDtlsSctpProtocol, StringComparison.OrdinalIgnoreCase)
        && SctpMapPort is not null;

    /// <summary>
    /// The SCTP port of the legacy dialect: the number of the <c>a=sctpmap:&lt;port&gt; webrtc-datachannel …</c>
    /// line whose port is one of this section's formats; null when there is none.
    /// </summary>
    public int? SctpMapPort
    {
        get
        {
            foreach (var attribute in Attributes)
            {
                if (attribute.Name != "sctpmap" || attribute.Value is not { } value)
                {
                    continue;
                }

                var fields = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && fields[1] == DataChannelFormat && Formats.Contains(fields[0])
                    && SdpSyntax.TryParseUInt(fields[0], 65535, out var port) && port > 0)
                {
                    return (int)port;
                }
            }

            return null;
        }
    }

    /// <summary>The peer's SCTP port for this data channel section: <c>a=sctp-port</c>, else the legacy <c>a=sctpmap</c> port, else 5000 (RFC 8841 §5.1).</summary>
    public int DataChannelSctpPort => SctpPort ?? SctpMapPort ?? 5000;

    /// <summary><c>a=mid</c> (RFC 5888 §4).</summary>
    public string? Mid
    {
        get => GetValue("mid");
        set => SetValue("mid", value);
    }

    /// <summary><c>a=sctp-port</c> (RFC 8841 §5), if present.</summary>
    public int? SctpPort
    {
        get => GetNumber(GetValue("sctp-port")) is { } n ? (int)n : null;
        set => SetValue("sctp-port", value?.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary><c>a=max-message-size</c> (RFC 8841 §6); 0 means no limit. Absent means 64 KiB (RFC 8841 §6.1).</summary>
    public ulong? MaxMessageSize
    {
        get => GetNumber(GetValue("max-message-size"));
        set => SetValue("max-message-size", value?.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The <c>a=candidate</c> lines, parsed (RFC 8839 §5.1).</summary>
    public IReadOnlyList<IceCandidate> Candidates =>
        Attributes.Where(a => a.Name == "candidate" && a.Value is not null).Select(a => IceCandidate.ParseValue(a.Value!, "a=" + a)).ToArray();

    /// <summary>Whether <c>a=end-of-candidates</c> is present (RFC 8840 §8.2).</summary>
    public bool EndOfCandidates
    {
        get => Has("end-of-candidates");
        set => SetFlag("end-of-candidates", value);
    }

    /// <summary>Adds an <c>a=candidate</c> line after the last existing one (or first, when none).</summary>
    /// <param name="candidate">The candidate.</param>
    public void AddCandidate(IceCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var last = Attributes.FindLastIndex(a => a.Name == "candidate");
        Attributes.Insert(last + 1, new SdpAttribute("candidate", candidate.ToAttributeValue()));
    }

    /// <summary>
    /// A copy for an answer that rejects this section (RFC 3264 §6, RFC 8843 §7.3.3): same media,
    /// protocol and formats, port 0, only <c>a=mid</c> kept.
    /// </summary>
    /// <returns>The rejected section.</returns>
    public MediaDescription CreateRejected()
    {
        var m = new MediaDescription(Media, 0, Protocol, Formats) { Connection = Connection };
        if (Mid is { } mid)
        {
            m.Mid = mid;
        }

        return m;
    }

    /// <summary>Formats the value after <c>m=</c>.</summary>
    /// <returns>E.g. <c>application 9 UDP/DTLS/SCTP webrtc-datachannel</c>.</returns>
    public string FormatMediaLine()
    {
        var port = PortCount is { } c ? string.Create(CultureInfo.InvariantCulture, $"{Port}/{c}") : Port.ToString(CultureInfo.InvariantCulture);
        return $"{Media} {port} {Protocol} {string.Join(' ', Formats)}";
    }

    /// <summary>Parses the value after <c>m=</c>.</summary>
    internal static MediaDescription ParseMediaLine(string value)
    {
        var line = "m=" + value;
        var f = SdpSyntax.SplitFields(value);
        if (f is null || f.Length < 4)
        {
            throw new SdpParseException(0, line, "expected \"<media> <port> <proto> <fmt> …\"");
        }

        if (!SdpSyntax.IsToken(f[0]) || !SdpSyntax.IsVisible(f[2]))
        {
            throw new SdpParseException(0, line, "bad media type or protocol");
        }

        var portText = f[1];
        int? count = null;
        var slash = portText.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!SdpSyntax.TryParseUInt(portText[(slash + 1)..], 65535, out var c))
            {
                throw new SdpParseException(0, line, "bad port count");
            }

            count = (int)c;
            portText = portText[..slash];
        }

        if (!SdpSyntax.TryParseUInt(portText, 65535, out var port))
        {
            throw new SdpParseException(0, line, "bad port");
        }

        foreach (var fmt in f.AsSpan(3))
        {
            if (!SdpSyntax.IsVisible(fmt))
            {
                throw new SdpParseException(0, line, "bad format");
            }
        }

        return new MediaDescription(f[0], (int)port, f[2], f[3..]) { PortCount = count };
    }
}
