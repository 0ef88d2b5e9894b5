using System.Text.Json.Serialization;

namespace P2p.Core.Identity;

/// <summary>
/// The JSON shape of <see cref="JsonFileTrustStore"/>'s file (an object of name → key id), generated at build time so
/// the store needs no reflection (trimming and native AOT).
/// </summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TrustStoreJsonContext : JsonSerializerContext;
