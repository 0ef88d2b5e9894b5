namespace P2p.Testing.NatLab;

/// <summary>The paths of the system tools the lab drives, looked up once; a missing one throws with the package to install.</summary>
public static class LabTools
{
    private static readonly Lazy<string> IpPath = new(() => LabCommand.Require("ip", "iproute2"));
    private static readonly Lazy<string> IptablesPath = new(() => LabCommand.Require("iptables", "iptables"));
    private static readonly Lazy<string> IptablesRestorePath = new(() => LabCommand.Require("iptables-restore", "iptables"));
    private static readonly Lazy<string> TurnserverPath = new(() => LabCommand.Require("turnserver", "coturn"));

    /// <summary>iproute2's <c>ip</c>.</summary>
    public static string Ip => IpPath.Value;

    /// <summary><c>iptables</c>.</summary>
    public static string Iptables => IptablesPath.Value;

    /// <summary><c>iptables-restore</c> (a whole rule set in one call).</summary>
    public static string IptablesRestore => IptablesRestorePath.Value;

    /// <summary>coturn's <c>turnserver</c>.</summary>
    public static string Turnserver => TurnserverPath.Value;
}
