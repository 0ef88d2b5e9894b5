namespace P2p.Fuzzing.Seeds;

/// <summary>
/// The generated seeds of every target (files <c>gen-*</c> in fuzz/corpus/&lt;target&gt;/): traffic of our own encoders
/// and state machines. Seeds captured from foreign peers (Chromium, Firefox, pion) are written by fuzz/capture.sh.
/// </summary>
internal static class SeedCorpus
{
    public static IEnumerable<Seed> For(string target) => target switch
    {
        "stun" => StunSeeds.All(),
        "ice-checks" => IceChecksSeeds.All(),
        "turn" => TurnSeeds.All(),
        "sdp" => SdpSeeds.All(),
        "candidate" => CandidateSeeds.All(),
        "dtls" => DtlsSeeds.All(),
        "sctp-chunks" => SctpSeeds.Chunks(),
        "sctp-association" => SctpSeeds.Association(),
        "dcep" => DcepSeeds.All(),
        "group-framing" => GroupFramingSeeds.All(),
        "signaling-client" => SignalingClientSeeds.All(),
        "signaling-server" => SignalingServerSeeds.All(),
        "backplane" => BackplaneSeeds.All(),
        "mdns" => MdnsSeeds.All(),
        _ => [],
    };

    /// <summary>Writes every target's generated seeds under <paramref name="corpus"/> (replacing earlier gen-* files); returns how many.</summary>
    public static int Write(string corpus)
    {
        var written = 0;
        foreach (var target in FuzzTargets.All)
        {
            var folder = Path.Combine(corpus, target.Name);
            Directory.CreateDirectory(folder);
            foreach (var old in Directory.GetFiles(folder, "gen-*"))
            {
                File.Delete(old);
            }

            foreach (var seed in For(target.Name))
            {
                File.WriteAllBytes(Path.Combine(folder, "gen-" + seed.Name), seed.Data);
                written++;
            }
        }

        return written;
    }
}
