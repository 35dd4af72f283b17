using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Tests;

/// <summary>
/// Which marked resources the reaper takes: its owner's, not live, by sandbox family; never a name without the shape of
/// an agent's sandbox id; other owners' only with --all and only when their agent is not running. (What it finds and
/// removes on a real host is OrphanReaperTests in Hearth.Sandbox.Oci.Tests.)
/// </summary>
public sealed class OrphanReaperAttributionTests : IDisposable
{
    private const string Live = "0123456789ab-1-a1-e1";
    private const string Orphan = "0123456789ab-1-a2-e2";
    private const string Foreign = "ba9876543210-s1.0-a1-e1";
    private readonly string _root = Directory.CreateTempSubdirectory("hearth-reaper-").FullName;

    private string Owner => Path.Combine(_root, "agent");

    private string OtherOwner => Path.Combine(_root, "other");

    [Theory]
    [InlineData("0123456789ab-1-a1-e1", "0123456789ab-1-a1-e1")]
    [InlineData("0123456789ab-1-a1-e1-git", "0123456789ab-1-a1-e1")]
    [InlineData("0123456789ab-1-a1-e1-ws", "0123456789ab-1-a1-e1")]
    [InlineData("0123456789ab-s1.0-a3-e12", "0123456789ab-s1.0-a3-e12")]
    [InlineData("t-0123456789", null)]
    [InlineData("0123456789ab-1-a1", null)]
    [InlineData("hearth-0123456789ab-1-a1-e1", null)]
    public void A_sandbox_family_is_its_id_without_suffixes_and_other_names_have_none(string id, string? family) =>
        Assert.Equal(family, SandboxMarks.FamilyOf(id));

    [Fact]
    public async Task Only_its_owners_resources_outside_live_families_are_taken_and_name_only_marks_follow_their_family()
    {
        var source = new Planted(
            new MarkedResource(ResourceKind.Directory, "d-live", Live, Owner),
            new MarkedResource(ResourceKind.Process, "p-live-git", Live + "-git", Owner),
            new MarkedResource(ResourceKind.Cgroup, "c-live", Live, null),
            new MarkedResource(ResourceKind.Directory, "d-orphan-ws", Orphan + "-ws", Owner),
            new MarkedResource(ResourceKind.Cgroup, "c-orphan", Orphan, null),
            new MarkedResource(ResourceKind.Process, "p-orphan", Orphan, Owner),
            new MarkedResource(ResourceKind.Directory, "d-foreign", Foreign, OtherOwner),
            new MarkedResource(ResourceKind.NetworkNamespace, "n-foreign", Foreign, null),
            new MarkedResource(ResourceKind.NetworkNamespace, "n-nobody", "aaaaaaaaaaaa-1-a1-e1", null),
            new MarkedResource(ResourceKind.Directory, "not-a-sandbox", "t-0123", Owner)
        );

        var report = await new OrphanReaper([source], Owner, new FixedLiveSandboxes([Live])).ReapAsync(
            dryRun: false,
            CancellationToken.None
        );

        Assert.Equal(["p-orphan", "c-orphan", "d-orphan-ws"], report.Resources.Select(r => r.Resource.Name));
        Assert.Equal(["p-orphan", "c-orphan", "d-orphan-ws"], source.Destroyed);
        Assert.All(report.Resources, r => Assert.Equal(ReapOutcome.Removed, r.Outcome));
    }

    [Fact]
    public async Task All_owners_adds_what_a_stopped_agent_or_nobody_left_but_never_a_running_agents()
    {
        var running = Path.Combine(_root, "running");
        using var held = SandboxOwner.TryClaim(running);
        Assert.NotNull(held);
        var source = new Planted(
            new MarkedResource(ResourceKind.Directory, "d-stopped", Foreign, OtherOwner),
            new MarkedResource(ResourceKind.NetworkNamespace, "n-stopped", Foreign, null),
            new MarkedResource(ResourceKind.Process, "p-running", Live, running),
            new MarkedResource(ResourceKind.Cgroup, "c-running", Live, null),
            new MarkedResource(ResourceKind.NetworkNamespace, "n-nobody", "aaaaaaaaaaaa-1-a1-e1", null)
        );

        var report = await new OrphanReaper([source], Owner, FixedLiveSandboxes.None, allOwners: true).ReapAsync(
            dryRun: true,
            CancellationToken.None
        );

        Assert.Equal(["n-stopped", "n-nobody", "d-stopped"], report.Resources.Select(r => r.Resource.Name));
        Assert.All(report.Resources, r => Assert.Equal(ReapOutcome.Found, r.Outcome));
        Assert.Empty(source.Destroyed);
    }

    [Fact]
    public async Task A_failure_is_reported_and_the_rest_is_still_removed()
    {
        var source = new Planted(
            new MarkedResource(ResourceKind.Process, "p", Orphan, Owner)
            {
                Destroy = _ => throw new IOException("still there"),
            },
            new MarkedResource(ResourceKind.Directory, "d", Orphan, Owner)
        );

        var report = await new OrphanReaper([source], Owner, FixedLiveSandboxes.None).ReapAsync(
            dryRun: false,
            CancellationToken.None
        );

        Assert.Equal(
            [(ReapOutcome.Failed, "still there"), (ReapOutcome.Removed, (string?)null)],
            report.Resources.Select(r => (r.Outcome, r.Error))
        );
        Assert.Equal(["d"], source.Destroyed);
    }

    [Fact]
    public void A_scratch_root_has_one_owner_at_a_time()
    {
        using (var first = SandboxOwner.TryClaim(Owner))
        {
            Assert.NotNull(first);
            Assert.Equal(Environment.ProcessId, SandboxOwner.Holder(Owner));
        }
        Assert.Null(SandboxOwner.Holder(Owner));
        using var again = SandboxOwner.TryClaim(Owner);
        Assert.NotNull(again);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Resources as a source reports them; removing one records its name.</summary>
    private sealed class Planted : IOrphanSource
    {
        private readonly List<MarkedResource> _resources;

        public Planted(params MarkedResource[] resources) =>
            _resources = resources
                .Select(r =>
                    r with
                    {
                        Destroy = async ct =>
                        {
                            await r.Destroy(ct);
                            Destroyed.Add(r.Name);
                        },
                    }
                )
                .ToList();

        public List<string> Destroyed { get; } = [];

        public Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
            IReadOnlyCollection<string> scratchRoots,
            CancellationToken cancellationToken
        ) => Task.FromResult<IReadOnlyList<MarkedResource>>(_resources);
    }
}
