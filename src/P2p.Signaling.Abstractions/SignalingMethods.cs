namespace P2p.Signaling.Abstractions;

/// <summary>The JSON-RPC method names of the signaling protocol.</summary>
public static class SignalingMethods
{
    /// <summary><c>init []</c> → user id (client → server).</summary>
    public const string Init = "init";

    /// <summary><c>create []</c> or <c>create [capability]</c> → group id (client → server).</summary>
    public const string Create = "create";

    /// <summary><c>join [groupId]</c> → <c>true</c> (client → server).</summary>
    public const string Join = "join";

    /// <summary><c>leave [groupId]</c> → <c>true</c> (client → server).</summary>
    public const string Leave = "leave";

    /// <summary><c>get_members [groupId]</c> → array of user ids (client → server).</summary>
    public const string GetMembers = "get_members";

    /// <summary><c>get_group [groupId]</c> → <c>{"id","owner","capability","members"}</c> (client → server).</summary>
    public const string GetGroup = "get_group";

    /// <summary>
    /// <c>relay [groupId, toUserId, data]</c> (client → server) and <c>relay [groupId, fromUserId, data]</c>
    /// (server → client); the result is the receiver's answer.
    /// </summary>
    public const string Relay = "relay";

    /// <summary>
    /// <c>get_ice_servers []</c> → array of <c>{"urls","username","credential"}</c> (client → server): the STUN/TURN
    /// servers to use, with time-limited TURN credentials. An extension of the seed; empty when the server has none configured.
    /// </summary>
    public const string GetIceServers = "get_ice_servers";

    /// <summary>
    /// <c>get_resume_token []</c> → <c>{"token","gracePeriodMs"}</c> (client → server, after <c>init</c>): an opaque,
    /// self-verifying token that lets a new connection take this session over with <see cref="Resume"/>. An extension of the seed.
    /// </summary>
    public const string GetResumeToken = "get_resume_token";

    /// <summary>
    /// <c>resume [token, groups]</c> → <c>{"id","groups"}</c> (client → server, the first call on a new connection instead
    /// of <c>init</c>): takes over the session the token names, keeping the user id and group memberships. An extension of the seed.
    /// </summary>
    public const string Resume = "resume";

    /// <summary><c>member_joined [groupId, userId]</c>: a notification (server → client).</summary>
    public const string MemberJoined = "member_joined";

    /// <summary><c>member_left [groupId, userId]</c>: a notification (server → client).</summary>
    public const string MemberLeft = "member_left";
}
