using System.Text;

namespace P2p.WebRtc.Sdp;

/// <summary>
/// A session description (RFC 8866) as browsers exchange it for data-only sessions (RFC 8829,
/// RFC 8839, RFC 8841). <see cref="Parse"/> accepts LF or CRLF line endings and keeps every line it
/// does not interpret; <see cref="ToString"/> writes CRLF and the RFC 8866 §5 line order.
/// </summary>
public sealed class SessionDescription : SdpAttributeSection
{
    /// <summary>The largest text <see cref="Parse"/> accepts (1 MiB): a guard against absurd input.</summary>
    public const int MaxLength = 1 << 20;

    /// <summary>Creates a session description with the given origin.</summary>
    /// <param name="origin">The <c>o=</c> line.</param>
    public SessionDescription(SdpOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        Origin = origin;
    }

    /// <summary>The <c>o=</c> line (RFC 8866 §5.2).</summary>
    public SdpOrigin Origin { get; set; }

    /// <summary>The <c>s=</c> line (RFC 8866 §5.3); browsers write <c>-</c>.</summary>
    public string SessionName { get; set; } = "-";

    /// <summary>The <c>t=</c> line (RFC 8866 §5.9); <c>0 0</c> for an unbounded session.</summary>
    public string Timing { get; set; } = "0 0";

    /// <summary>The media sections in order (their index is the <c>sdpMLineIndex</c>).</summary>
    public List<MediaDescription> Media { get; } = [];

    /// <summary>The <c>a=group</c> attributes (RFC 5888), e.g. BUNDLE (RFC 9143).</summary>
    public IReadOnlyList<SdpGroup> Groups =>
        Attributes.Where(a => a.Name == "group" && a.Value is not null).Select(a => SdpGroup.Parse(a.Value!)).ToArray();

    /// <summary>The BUNDLE group, if any.</summary>
    public SdpGroup? BundleGroup => Groups.FirstOrDefault(g => g.Semantics == "BUNDLE");

    /// <summary>The ICE username fragment that applies to a media section: its own, else the session's (RFC 8839 §5.4).</summary>
    /// <param name="media">The section.</param>
    /// <returns>The ufrag, or <see langword="null"/>.</returns>
    public string? GetIceUfrag(MediaDescription media) => media?.IceUfrag ?? IceUfrag;

    /// <summary>The ICE password that applies to a media section: its own, else the session's (RFC 8839 §5.4).</summary>
    /// <param name="media">The section.</param>
    /// <returns>The password, or <see langword="null"/>.</returns>
    public string? GetIcePwd(MediaDescription media) => media?.IcePwd ?? IcePwd;

    /// <summary>The fingerprints that apply to a media section: its own, else the session's (RFC 8122 §5).</summary>
    /// <param name="media">The section.</param>
    /// <returns>The fingerprints, possibly empty.</returns>
    public IReadOnlyList<SdpFingerprint> GetFingerprints(MediaDescription media)
    {
        var own = media?.Fingerprints ?? [];
        return own.Count > 0 ? own : Fingerprints;
    }

    /// <summary>The <c>a=setup</c> value that applies to a media section: its own, else the session's.</summary>
    /// <param name="media">The section.</param>
    /// <returns>The role, or <see langword="null"/>.</returns>
    public SdpSetupRole? GetSetup(MediaDescription media) => media?.Setup ?? Setup;

    /// <summary>The ICE options that apply to a media section: its own, else the session's.</summary>
    /// <param name="media">The section.</param>
    /// <returns>The option tokens.</returns>
    public IReadOnlyList<string> GetIceOptions(MediaDescription media)
    {
        var own = media?.IceOptions ?? [];
        return own.Count > 0 ? own : IceOptions;
    }

    /// <summary>Parses a session description.</summary>
    /// <param name="text">The SDP text (CRLF or LF line endings).</param>
    /// <returns>The description.</returns>
    /// <exception cref="SdpParseException">The text is malformed; the exception names the line.</exception>
    public static SessionDescription Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new SdpParseException(0, string.Empty, $"SDP longer than {MaxLength} characters");
        }

        SessionDescription? sd = null;
        bool haveVersion = false, haveName = false, haveTiming = false;
        MediaDescription? media = null;
        var lineNumber = 0;
        var start = 0;
        while (start <= text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }

            var line = text[start..end];
            start = end + 1;
            lineNumber++;
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }

            if (line.Length == 0)
            {
                continue; // blank lines (usually the final line ending) carry nothing
            }

            try
            {
                if (line.Length < 2 || line[1] != '=' || line[0] is < 'a' or > 'z')
                {
                    throw new SdpParseException(0, line, "expected \"<type>=<value>\"");
                }

                if (line.AsSpan().ContainsAny('\0', '\r'))
                {
                    throw new SdpParseException(0, line, "control character in line");
                }

                var type = line[0];
                var value = line[2..];
                if (!haveVersion)
                {
                    if (type != 'v' || value != "0")
                    {
                        throw new SdpParseException(0, line, "an SDP must start with \"v=0\"");
                    }

                    haveVersion = true;
                    continue;
                }

                if (sd is null)
                {
                    if (type != 'o')
                    {
                        throw new SdpParseException(0, line, "expected \"o=\" after \"v=\"");
                    }

                    sd = new SessionDescription(SdpOrigin.Parse(value));
                    continue;
                }

                if (!haveName)
                {
                    if (type != 's')
                    {
                        throw new SdpParseException(0, line, "expected \"s=\" after \"o=\"");
                    }

                    sd.SessionName = value;
                    haveName = true;
                    continue;
                }

                SdpAttributeSection section = (SdpAttributeSection?)media ?? sd;
                switch (type)
                {
                    case 'v' or 'o' or 's':
                        throw new SdpParseException(0, line, $"duplicate \"{type}=\" line");
                    case 't' when media is null && !haveTiming:
                        sd.Timing = value;
                        haveTiming = true;
                        break;
                    case 'm':
                        if (!haveTiming)
                        {
                            throw new SdpParseException(0, line, "missing \"t=\" line before the first media section");
                        }

                        media = MediaDescription.ParseMediaLine(value);
                        sd.Media.Add(media);
                        break;
                    case 'c':
                        if (section.Connection is not null)
                        {
                            throw new SdpParseException(0, line, "duplicate \"c=\" line");
                        }

                        section.Connection = SdpConnection.Parse(value);
                        break;
                    case 'a':
                        var attribute = SdpAttribute.Parse(value);
                        Validate(attribute);
                        section.Attributes.Add(attribute);
                        break;
                    default:
                        section.Fields.Add(new SdpField(type, value));
                        break;
                }
            }
            catch (SdpParseException e)
            {
                throw e.WithLine(lineNumber, line);
            }
        }

        if (sd is null || !haveName)
        {
            throw new SdpParseException(lineNumber, string.Empty, "incomplete SDP: \"v=\", \"o=\" and \"s=\" are required");
        }

        if (!haveTiming)
        {
            throw new SdpParseException(lineNumber, string.Empty, "incomplete SDP: a \"t=\" line is required");
        }

        return sd;
    }

    /// <summary>Tries to parse a session description.</summary>
    /// <param name="text">The SDP text.</param>
    /// <param name="description">The description, when the result is true.</param>
    /// <returns>Whether the text was valid.</returns>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SessionDescription? description)
    {
        description = null;
        if (text is null)
        {
            return false;
        }

        try
        {
            description = Parse(text);
            return true;
        }
        catch (SdpParseException)
        {
            return false;
        }
    }

    /// <summary>Writes the description with CRLF line endings in RFC 8866 §5 order.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(1024);
        Line(sb, 'v', "0");
        Line(sb, 'o', Origin.ToString());
        Line(sb, 's', SessionName);
        WriteFields(sb, Fields, "iuep");
        if (Connection is not null)
        {
            Line(sb, 'c', Connection.ToString());
        }

        WriteFields(sb, Fields, "b");
        Line(sb, 't', Timing);
        WriteFields(sb, Fields, "rzk");
        WriteOthers(sb, Fields, "iuepbrzk");
        WriteAttributes(sb, Attributes);
        foreach (var m in Media)
        {
            Line(sb, 'm', m.FormatMediaLine());
            WriteFields(sb, m.Fields, "i");
            if (m.Connection is not null)
            {
                Line(sb, 'c', m.Connection.ToString());
            }

            WriteFields(sb, m.Fields, "bk");
            WriteOthers(sb, m.Fields, "ibk");
            WriteAttributes(sb, m.Attributes);
        }

        return sb.ToString();
    }

    private static void Line(StringBuilder sb, char type, string value) => sb.Append(type).Append('=').Append(value).Append("\r\n");

    private static void WriteFields(StringBuilder sb, List<SdpField> fields, string types)
    {
        foreach (var t in types)
        {
            foreach (var f in fields)
            {
                if (f.Type == t)
                {
                    Line(sb, f.Type, f.Value);
                }
            }
        }
    }

    private static void WriteOthers(StringBuilder sb, List<SdpField> fields, string known)
    {
        foreach (var f in fields)
        {
            if (!known.Contains(f.Type, StringComparison.Ordinal))
            {
                Line(sb, f.Type, f.Value);
            }
        }
    }

    private static void WriteAttributes(StringBuilder sb, List<SdpAttribute> attributes)
    {
        foreach (var a in attributes)
        {
            Line(sb, 'a', a.ToString());
        }
    }
}
