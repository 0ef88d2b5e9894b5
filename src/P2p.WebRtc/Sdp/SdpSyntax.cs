using System.Globalization;

namespace P2p.WebRtc.Sdp;

/// <summary>Small lexical helpers shared by the SDP parsers (RFC 8866 §9 grammar).</summary>
internal static class SdpSyntax
{
    /// <summary>RFC 8866 §9: token-char = ALPHA / DIGIT and !#$%&amp;'*+-.^_`{|}~.</summary>
    public static bool IsTokenChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9')
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '{' or '|' or '}' or '~';

    public static bool IsToken(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!IsTokenChar(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A non-empty run of visible ASCII characters (no whitespace).</summary>
    public static bool IsVisible(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (c is <= ' ' or >= (char)0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits on single spaces; rejects empty fields (double spaces, leading/trailing space).</summary>
    public static string[]? SplitFields(string s)
    {
        var parts = s.Split(' ');
        foreach (var p in parts)
        {
            if (p.Length == 0)
            {
                return null;
            }
        }

        return parts;
    }

    public static bool TryParseUInt(string s, uint max, out uint value)
    {
        value = 0;
        if (s.Length is 0 or > 10)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max;
    }

    public static bool TryParseULong(string s, out ulong value)
    {
        value = 0;
        if (s.Length is 0 or > 20)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
