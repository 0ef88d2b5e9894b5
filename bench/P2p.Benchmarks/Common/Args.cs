using System.Globalization;

namespace P2p.Benchmarks.Common;

/// <summary>Minimal "--name value" argument reading for scenarios.</summary>
public sealed class Args(string[] args)
{
    /// <summary>The integer after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public int Int(string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>The string after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string? String(string name, string? fallback = null)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    /// <summary>True when the flag is present.</summary>
    public bool Flag(string name) => args.Contains(name);
}
