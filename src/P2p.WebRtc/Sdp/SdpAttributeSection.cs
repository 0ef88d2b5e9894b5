using System.Globalization;

namespace P2p.WebRtc.Sdp;

/// <summary>
/// The attributes of the session level or of one media section, in order. The ordered list is the
/// source of truth (so unknown attributes round-trip); the typed properties read and replace entries
/// in it. The ICE and DTLS attributes (RFC 8839 §5.4, RFC 8122, RFC 4145) may appear at either level.
/// </summary>
public abstract class SdpAttributeSection
{
    /// <summary>The attributes in order, known and unknown.</summary>
    public List<SdpAttribute> Attributes { get; } = [];

    /// <summary>Further lines kept as text (e.g. <c>b=</c>, <c>i=</c>), written back in RFC 8866 order.</summary>
    public List<SdpField> Fields { get; } = [];

    /// <summary>The <c>c=</c> line at this level, if any.</summary>
    public SdpConnection? Connection { get; set; }

    /// <summary><c>a=ice-ufrag</c> (RFC 8839 §5.4).</summary>
    public string? IceUfrag
    {
        get => GetValue("ice-ufrag");
        set => SetValue("ice-ufrag", value);
    }

    /// <summary><c>a=ice-pwd</c> (RFC 8839 §5.4).</summary>
    public string? IcePwd
    {
        get => GetValue("ice-pwd");
        set => SetValue("ice-pwd", value);
    }

    /// <summary><c>a=ice-options</c> tokens (RFC 8839 §5.6), e.g. <c>trickle</c>; empty when absent.</summary>
    public IReadOnlyList<string> IceOptions
    {
        get => GetValue("ice-options") is { } v ? v.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        set => SetValue("ice-options", value is null || value.Count == 0 ? null : string.Join(' ', value));
    }

    /// <summary>Whether <c>a=ice-lite</c> is present (RFC 8839 §5.3).</summary>
    public bool IceLite
    {
        get => Has("ice-lite");
        set => SetFlag("ice-lite", value);
    }

    /// <summary>The <c>a=fingerprint</c> values (RFC 8122 §5).</summary>
    public IReadOnlyList<SdpFingerprint> Fingerprints =>
        Attributes.Where(a => a.Name == "fingerprint" && a.Value is not null).Select(a => SdpFingerprint.Parse(a.Value!)).ToArray();

    /// <summary><c>a=setup</c> (RFC 4145 §4), if present.</summary>
    public SdpSetupRole? Setup
    {
        get => GetValue("setup") is { } v ? ParseSetup(v) : null;
        set => SetValue("setup", value is { } r ? SetupToString(r) : null);
    }

    /// <summary><c>a=tls-id</c> (RFC 8842 §5.2), if present.</summary>
    public string? TlsId
    {
        get => GetValue("tls-id");
        set => SetValue("tls-id", value);
    }

    /// <summary>Replaces all <c>a=fingerprint</c> lines (or adds them) with the given ones.</summary>
    /// <param name="fingerprints">The fingerprints.</param>
    public void SetFingerprints(IEnumerable<SdpFingerprint> fingerprints)
    {
        ArgumentNullException.ThrowIfNull(fingerprints);
        var at = Attributes.FindIndex(a => a.Name == "fingerprint");
        Attributes.RemoveAll(a => a.Name == "fingerprint");
        var items = fingerprints.Select(f => new SdpAttribute("fingerprint", f.ToString()));
        Attributes.InsertRange(at < 0 ? Attributes.Count : at, items);
    }

    /// <summary>The value of the first attribute with this name (<see langword="null"/> when absent or a property attribute).</summary>
    /// <param name="name">The attribute name.</param>
    /// <returns>The value or <see langword="null"/>.</returns>
    public string? GetValue(string name)
    {
        foreach (var a in Attributes)
        {
            if (a.Name == name)
            {
                return a.Value;
            }
        }

        return null;
    }

    /// <summary>Whether an attribute with this name is present.</summary>
    /// <param name="name">The attribute name.</param>
    /// <returns>True when present.</returns>
    public bool Has(string name) => Attributes.Exists(a => a.Name == name);

    /// <summary>Replaces the first attribute with this name (removing later duplicates), appends it, or removes it when <paramref name="value"/> is null.</summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="value">The value, or <see langword="null"/> to remove the attribute.</param>
    public void SetValue(string name, string? value)
    {
        var i = Attributes.FindIndex(a => a.Name == name);
        if (value is null)
        {
            Attributes.RemoveAll(a => a.Name == name);
            return;
        }

        if (i < 0)
        {
            Attributes.Add(new SdpAttribute(name, value));
            return;
        }

        Attributes[i] = new SdpAttribute(name, value);
        for (var j = Attributes.Count - 1; j > i; j--)
        {
            if (Attributes[j].Name == name)
            {
                Attributes.RemoveAt(j);
            }
        }
    }

    /// <summary>Adds or removes a property attribute (one without value).</summary>
    /// <param name="name">The attribute name.</param>
    /// <param name="present">Whether it should be present.</param>
    public void SetFlag(string name, bool present)
    {
        if (!present)
        {
            Attributes.RemoveAll(a => a.Name == name);
        }
        else if (!Has(name))
        {
            Attributes.Add(new SdpAttribute(name));
        }
    }

    /// <summary>Parses an <c>a=setup</c> value.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The role.</returns>
    /// <exception cref="SdpParseException">Unknown value.</exception>
    public static SdpSetupRole ParseSetup(string value) => value switch
    {
        "actpass" => SdpSetupRole.ActPass,
        "active" => SdpSetupRole.Active,
        "passive" => SdpSetupRole.Passive,
        "holdconn" => SdpSetupRole.HoldConn,
        _ => throw new SdpParseException(0, "a=setup:" + value, "expected actpass, active, passive or holdconn"),
    };

    /// <summary>Formats an <c>a=setup</c> value.</summary>
    /// <param name="role">The role.</param>
    /// <returns>The SDP keyword.</returns>
    public static string SetupToString(SdpSetupRole role) => role switch
    {
        SdpSetupRole.ActPass => "actpass",
        SdpSetupRole.Active => "active",
        SdpSetupRole.Passive => "passive",
        SdpSetupRole.HoldConn => "holdconn",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>Checks the value of a known attribute; unknown attributes are accepted as they are.</summary>
    /// <exception cref="SdpParseException">A known attribute has a malformed value.</exception>
    internal static void Validate(SdpAttribute a)
    {
        var line = "a=" + a;
        var v = a.Value;
        switch (a.Name)
        {
            case "candidate":
                _ = IceCandidate.ParseValue(v ?? throw new SdpParseException(0, line, "a candidate needs a value"), line);
                break;
            case "ice-ufrag" or "ice-pwd" or "mid" or "tls-id":
                if (v is null || !SdpSyntax.IsVisible(v))
                {
                    throw new SdpParseException(0, line, "expected a non-empty value without spaces");
                }

                break;
            case "fingerprint":
                _ = SdpFingerprint.Parse(v ?? throw new SdpParseException(0, line, "a fingerprint needs a value"));
                break;
            case "setup":
                _ = ParseSetup(v ?? throw new SdpParseException(0, line, "setup needs a value"));
                break;
            case "group":
                _ = SdpGroup.Parse(v ?? throw new SdpParseException(0, line, "group needs a value"));
                break;
            case "sctp-port":
                if (v is null || !SdpSyntax.TryParseUInt(v, 65535, out _))
                {
                    throw new SdpParseException(0, line, "expected a port number");
                }

                break;
            case "max-message-size":
                if (v is null || !SdpSyntax.TryParseULong(v, out _))
                {
                    throw new SdpParseException(0, line, "expected a number");
                }

                break;
        }
    }

    /// <summary>Parses a validated numeric attribute.</summary>
    internal static ulong? GetNumber(string? value) =>
        value is not null && ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}
