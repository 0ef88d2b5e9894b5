using System.Text.Json;

namespace P2p.Signaling.WebSockets.Protocol;

/// <summary>Maps method names to <see cref="JsonRpcMethod"/>.</summary>
internal static class JsonRpcMethods
{
    /// <summary>Maps the reader's current string token (escapes allowed) to a method.</summary>
    public static JsonRpcMethod Recognise(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("relay"u8))
        {
            return JsonRpcMethod.Relay;
        }

        if (reader.ValueTextEquals("init"u8))
        {
            return JsonRpcMethod.Init;
        }

        if (reader.ValueTextEquals("create"u8))
        {
            return JsonRpcMethod.Create;
        }

        if (reader.ValueTextEquals("join"u8))
        {
            return JsonRpcMethod.Join;
        }

        if (reader.ValueTextEquals("leave"u8))
        {
            return JsonRpcMethod.Leave;
        }

        if (reader.ValueTextEquals("get_members"u8))
        {
            return JsonRpcMethod.GetMembers;
        }

        if (reader.ValueTextEquals("get_group"u8))
        {
            return JsonRpcMethod.GetGroup;
        }

        if (reader.ValueTextEquals("get_ice_servers"u8))
        {
            return JsonRpcMethod.GetIceServers;
        }

        if (reader.ValueTextEquals("get_resume_token"u8))
        {
            return JsonRpcMethod.GetResumeToken;
        }

        if (reader.ValueTextEquals("resume"u8))
        {
            return JsonRpcMethod.Resume;
        }

        if (reader.ValueTextEquals("member_joined"u8))
        {
            return JsonRpcMethod.MemberJoined;
        }

        return reader.ValueTextEquals("member_left"u8) ? JsonRpcMethod.MemberLeft : JsonRpcMethod.Unknown;
    }
}
