using System.Collections;

namespace P2p.Core.Mesh;

/// <summary>The logging scope of group work: <c>GroupId</c> and, for work about one member, <c>MemberId</c>.</summary>
internal sealed class LogScope(string groupId, string? memberId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => memberId is null ? 1 : 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("GroupId", groupId),
        1 when memberId is not null => new("MemberId", memberId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => memberId is null ? $"group {groupId}" : $"group {groupId} member {memberId}";
}
