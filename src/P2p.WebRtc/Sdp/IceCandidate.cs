using System.Globalization;
using System.Net;
using System.Text;

namespace P2p.WebRtc.Sdp;

/// <summary>
/// One ICE candidate as carried in SDP or trickled on its own (RFC 8839 §5.1): the value of an
/// <c>a=candidate</c> line, e.g. <c>candidate:1060778898 1 udp 2122194687 127.0.0.1 38234 typ host generation 0</c>.
/// Extension pairs (<c>generation</c>, <c>network-id</c>, <c>ufrag</c>, ...) are kept in order and written back.
/// </summary>
public sealed class IceCandidate
{
    private IPAddress? _ip;
    private bool _ipParsed;

    /// <summary>Creates a candidate.</summary>
    /// <param name="foundation">The foundation (RFC 8445 §5.1.1.3), 1–32 visible characters.</param>
    /// <param name="component">The component id, 1–256 (1 for a BUNDLEd data channel).</param>
    /// <param name="transport">The transport, normally <c>udp</c>.</param>
    /// <param name="priority">The candidate priority (RFC 8445 §5.1.2).</param>
    /// <param name="address">The connection address: an IP literal or a host name (e.g. an mDNS <c>.local</c> name).</param>
    /// <param name="port">The port.</param>
    /// <param name="type">The candidate type.</param>
    public IceCandidate(string foundation, int component, string transport, uint priority, string address, int port, IceCandidateType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(foundation);
        ArgumentException.ThrowIfNullOrEmpty(transport);
        ArgumentException.ThrowIfNullOrEmpty(address);
        ArgumentOutOfRangeException.ThrowIfLessThan(component, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(component, 256);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        Foundation = foundation;
        Component = component;
        Transport = transport;
        Priority = priority;
        Address = address;
        Port = port;
        Type = type;
    }

    /// <summary>The foundation (RFC 8445 §5.1.1.3).</summary>
    public string Foundation { get; }

    /// <summary>The component id (1 = RTP/data).</summary>
    public int Component { get; }

    /// <summary>The transport as written (<c>udp</c>, <c>UDP</c>, <c>tcp</c>, ...).</summary>
    public string Transport { get; }

    /// <summary>True when <see cref="Transport"/> is UDP (case-insensitive).</summary>
    public bool IsUdp => Transport.Equals("udp", StringComparison.OrdinalIgnoreCase);

    /// <summary>The priority (RFC 8445 §5.1.2).</summary>
    public uint Priority { get; }

    /// <summary>The connection address as written: an IP literal or a host name.</summary>
    public string Address { get; }

    /// <summary>The address as an <see cref="System.Net.IPAddress"/>, or <see langword="null"/> when it is a host name.</summary>
    public IPAddress? IPAddress
    {
        get
        {
            if (!_ipParsed)
            {
                _ip = System.Net.IPAddress.TryParse(Address, out var ip) && !Address.Contains('%', StringComparison.Ordinal) ? ip : null;
                _ipParsed = true;
            }

            return _ip;
        }
    }

    /// <summary>The endpoint, or <see langword="null"/> when the address is a host name.</summary>
    public IPEndPoint? EndPoint => IPAddress is { } ip ? new IPEndPoint(ip, Port) : null;

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The candidate type.</summary>
    public IceCandidateType Type { get; }

    /// <summary>The related address (<c>raddr</c>), if any.</summary>
    public string? RelatedAddress { get; init; }

    /// <summary>The related port (<c>rport</c>), if any.</summary>
    public int? RelatedPort { get; init; }

    /// <summary>The TCP candidate type (<c>tcptype</c>, RFC 6544: active, passive, so), if any.</summary>
    public string? TcpType { get; init; }

    /// <summary>Further extension attributes as name/value pairs, in order (e.g. <c>generation 0</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extensions { get; init; } = [];

    /// <summary>The <c>ufrag</c> extension (the ICE username fragment of the candidate's generation), if present.</summary>
    public string? Ufrag => GetExtension("ufrag");

    /// <summary>The <c>generation</c> extension, if present and numeric.</summary>
    public int? Generation => int.TryParse(GetExtension("generation"), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null;

    /// <summary>Returns the value of the first extension with the given name, or <see langword="null"/>.</summary>
    /// <param name="name">The extension name.</param>
    public string? GetExtension(string name)
    {
        foreach (var (k, v) in Extensions)
        {
            if (k == name)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Parses <c>candidate:…</c> or <c>a=candidate:…</c>.</summary>
    /// <param name="text">The candidate line, with or without the <c>a=</c> prefix (and without line ending).</param>
    /// <returns>The candidate.</returns>
    /// <exception cref="SdpParseException">The text is not a valid candidate.</exception>
    public static IceCandidate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.TrimEnd('\r', '\n');
        if (s.StartsWith("a=", StringComparison.Ordinal))
        {
            s = s[2..];
        }

        if (!s.StartsWith("candidate:", StringComparison.OrdinalIgnoreCase))
        {
            throw new SdpParseException(0, text, "a candidate must start with \"candidate:\"");
        }

        return ParseValue(s["candidate:".Length..], text);
    }

    /// <summary>Tries to parse <c>candidate:…</c> or <c>a=candidate:…</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="candidate">The candidate, when the result is true.</param>
    /// <returns>Whether the text was a valid candidate.</returns>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IceCandidate? candidate)
    {
        candidate = null;
        if (text is null)
        {
            return false;
        }

        try
        {
            candidate = Parse(text);
            return true;
        }
        catch (SdpParseException)
        {
            return false;
        }
    }

    /// <summary>Parses the attribute value (the part after <c>candidate:</c>).</summary>
    internal static IceCandidate ParseValue(string value, string line)
    {
        var f = SdpSyntax.SplitFields(value) ?? throw new SdpParseException(0, line, "empty field (extra space)");
        if (f.Length < 8)
        {
            throw new SdpParseException(0, line, "a candidate needs foundation, component, transport, priority, address, port and typ");
        }

        if (!SdpSyntax.IsVisible(f[0]) || f[0].Length > 32)
        {
            throw new SdpParseException(0, line, "bad foundation");
        }

        if (!SdpSyntax.TryParseUInt(f[1], 256, out var component) || component == 0)
        {
            throw new SdpParseException(0, line, "bad component id");
        }

        if (!SdpSyntax.IsToken(f[2]))
        {
            throw new SdpParseException(0, line, "bad transport");
        }

        if (!SdpSyntax.TryParseUInt(f[3], uint.MaxValue, out var priority))
        {
            throw new SdpParseException(0, line, "bad priority");
        }

        if (!SdpSyntax.IsVisible(f[4]))
        {
            throw new SdpParseException(0, line, "bad connection address");
        }

        if (!SdpSyntax.TryParseUInt(f[5], 65535, out var port))
        {
            throw new SdpParseException(0, line, "bad port");
        }

        if (f[6] != "typ")
        {
            throw new SdpParseException(0, line, "expected \"typ\"");
        }

        var type = f[7] switch
        {
            "host" => IceCandidateType.Host,
            "srflx" => IceCandidateType.ServerReflexive,
            "prflx" => IceCandidateType.PeerReflexive,
            "relay" => IceCandidateType.Relayed,
            _ => throw new SdpParseException(0, line, $"unknown candidate type \"{f[7]}\""),
        };

        if ((f.Length - 8) % 2 != 0)
        {
            throw new SdpParseException(0, line, "an extension name without a value");
        }

        string? raddr = null;
        int? rport = null;
        string? tcptype = null;
        List<KeyValuePair<string, string>>? ext = null;
        for (var i = 8; i < f.Length; i += 2)
        {
            var name = f[i];
            var val = f[i + 1];
            switch (name)
            {
                case "raddr" when raddr is null:
                    raddr = val;
                    break;
                case "rport" when rport is null:
                    rport = SdpSyntax.TryParseUInt(val, 65535, out var rp) ? (int)rp : throw new SdpParseException(0, line, "bad rport");
                    break;
                case "tcptype" when tcptype is null:
                    tcptype = val;
                    break;
                default:
                    if (!SdpSyntax.IsVisible(name))
                    {
                        throw new SdpParseException(0, line, "bad extension name");
                    }

                    (ext ??= []).Add(new KeyValuePair<string, string>(name, val));
                    break;
            }
        }

        return new IceCandidate(f[0], (int)component, f[2], priority, f[4], (int)port, type)
        {
            RelatedAddress = raddr,
            RelatedPort = rport,
            TcpType = tcptype,
            Extensions = ext is null ? [] : ext.ToArray(),
        };
    }

    /// <summary>The SDP keyword of a candidate type.</summary>
    /// <param name="type">The type.</param>
    /// <returns><c>host</c>, <c>srflx</c>, <c>prflx</c> or <c>relay</c>.</returns>
    public static string TypeToString(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => "host",
        IceCandidateType.ServerReflexive => "srflx",
        IceCandidateType.PeerReflexive => "prflx",
        IceCandidateType.Relayed => "relay",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The attribute value, i.e. the text after <c>a=candidate:</c>.</summary>
    /// <returns>The value.</returns>
    public string ToAttributeValue()
    {
        var sb = new StringBuilder(128);
        sb.Append(Foundation).Append(' ')
            .Append(Component.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Transport).Append(' ')
            .Append(Priority.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(Address).Append(' ')
            .Append(Port.ToString(CultureInfo.InvariantCulture))
            .Append(" typ ").Append(TypeToString(Type));
        if (RelatedAddress is not null)
        {
            sb.Append(" raddr ").Append(RelatedAddress);
        }

        if (RelatedPort is { } rp)
        {
            sb.Append(" rport ").Append(rp.ToString(CultureInfo.InvariantCulture));
        }

        if (TcpType is not null)
        {
            sb.Append(" tcptype ").Append(TcpType);
        }

        foreach (var (k, v) in Extensions)
        {
            sb.Append(' ').Append(k).Append(' ').Append(v);
        }

        return sb.ToString();
    }

    /// <summary>
    /// The candidate as the browser's <c>RTCIceCandidate.candidate</c> string: <c>candidate:…</c>
    /// (no <c>a=</c> prefix, no line ending).
    /// </summary>
    public override string ToString() => "candidate:" + ToAttributeValue();
}
