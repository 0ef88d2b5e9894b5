using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using P2p.Signaling.Abstractions;

namespace P2p.Signaling.WebSockets;

/// <summary>The groups the channel believes it is in (from create, join, leave, get_group and resume), claimed in <c>resume</c>.</summary>
public sealed partial class WebSocketSignalingChannel
{
    private readonly ConcurrentDictionary<string, TrackedGroup> _groups = new(StringComparer.Ordinal);

    private void TrackCreated(string groupId, int? capability) => _groups[groupId] = new TrackedGroup(_userId, capability);

    private void TrackJoined(string groupId) => _groups.TryAdd(groupId, new TrackedGroup(null, null));

    private void TrackLeft(string groupId) => _groups.TryRemove(groupId, out _);

    private void TrackDescribed(GroupInfo group)
    {
        if (_userId is { } me && group.Members.Contains(me))
        {
            _groups[group.Id] = new TrackedGroup(group.Owner, group.Capability);
        }
    }

    /// <summary>After a resume: the groups the server says this member is in.</summary>
    private void TrackResumed(IReadOnlyList<string> groups)
    {
        foreach (var groupId in _groups.Keys)
        {
            if (!groups.Contains(groupId, StringComparer.Ordinal))
            {
                _groups.TryRemove(groupId, out _);
            }
        }

        foreach (var groupId in groups)
        {
            TrackJoined(groupId);
        }
    }

    /// <summary>The <c>groups</c> parameter of <c>resume</c>: <c>[{"id","owner","capability"}, ...]</c> (unknowns as null).</summary>
    private JsonElement TrackedGroupsJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (id, group) in _groups)
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, id);
                if (group.Owner is { } owner)
                {
                    writer.WriteString("owner"u8, owner);
                }
                else
                {
                    writer.WriteNull("owner"u8);
                }

                if (group.Capability is { } capability)
                {
                    writer.WriteNumber("capability"u8, capability);
                }
                else
                {
                    writer.WriteNull("capability"u8);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return JsonElement.Parse(buffer.WrittenSpan);
    }
}
