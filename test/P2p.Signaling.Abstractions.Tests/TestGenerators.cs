using FsCheck;
using FsCheck.Fluent;

namespace P2p.Signaling.Abstractions.Tests;

/// <summary>Generators of valid text (no lone surrogates) including JSON's special characters.</summary>
internal static class TestGenerators
{
    private static readonly Gen<char> Char = Gen.OneOf(
        Gen.Elements('"', '\\', '/', '\n', '\r', '\t', '\0', '\u001f', '<', '>', '&', '\'', '+', 'é', '€', '中'),
        Gen.Choose(0x20, 0x7e).Select(i => (char)i),
        Gen.Choose(0, 0xd7ff).Select(i => (char)i));

    public static readonly Gen<string> Text = Gen.ArrayOf(Char).Select(chars => new string(chars));

    public static readonly Gen<string> HexId = Gen.ArrayOf(Gen.Elements("0123456789abcdef".ToCharArray()), 32).Select(c => new string(c));
}
