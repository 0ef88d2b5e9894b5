using P2p.Core.Identity;

namespace P2p.Core.Tests.Identity;

[TestFixture]
public sealed class JsonFileTrustStoreTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("p2p-trust-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task A_name_never_seen_has_no_key_and_no_file_is_created()
    {
        var store = new JsonFileTrustStore(Path.Combine(_directory, "trust.json"));

        Assert.That(await store.GetAsync("alice", CancellationToken.None), Is.Null);
        Assert.That(File.Exists(store.Path), Is.False);
    }

    [Test]
    public async Task The_first_key_of_a_name_is_kept_across_instances_and_a_later_one_does_not_replace_it()
    {
        var path = Path.Combine(_directory, "trust.json");
        Assert.That(await new JsonFileTrustStore(path).GetOrAddAsync("alice", "key-1", CancellationToken.None), Is.EqualTo("key-1"));
        Assert.That(await new JsonFileTrustStore(path).GetOrAddAsync("bob", "key-2", CancellationToken.None), Is.EqualTo("key-2"));

        var reopened = new JsonFileTrustStore(path);
        Assert.That(await reopened.GetOrAddAsync("alice", "key-3", CancellationToken.None), Is.EqualTo("key-1"));
        Assert.That(await reopened.GetAsync("bob", CancellationToken.None), Is.EqualTo("key-2"));
        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("""{"alice":"key-1","bob":"key-2"}"""));
    }
}
