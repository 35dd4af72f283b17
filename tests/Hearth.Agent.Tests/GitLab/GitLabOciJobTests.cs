using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Sandbox.Oci;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// A GitLab job on the oci driver, end to end: a real server, a real agent with the oci driver (runc, a user namespace,
/// a private bridge), a busybox image (no git in it) from a real registry on loopback, a real repository served by git
/// daemon, and the local fake of GitLab's runner API. The agent checks the job's commit out on its host and the
/// container gets the checkout as its working directory, as gitlab-runner's helper does; its artifacts are zipped from it.
/// </summary>
public sealed class GitLabOciJobTests : IAsyncLifetime
{
    private static readonly IdMapping Range = new(100000, 65536);
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private FakeGitLab _gitlab = null!;
    private GitDaemon _git = null!;
    private LocalRegistry _registry = null!;
    private AgentHarness _harness = null!;
    private string _work = null!;
    private OciNetworkOptions _network = null!;

    private string BusyboxRef => $"{_registry.Host}/gitlab/busybox:1";

    public async Task InitializeAsync()
    {
        _gitlab = await FakeGitLab.StartAsync();
        _git = await GitDaemon.StartAsync();
        _registry = await LocalRegistry.StartAsync();
        using (var pusher = new ImagePusher(_registry.BaseUri))
            await pusher.PushImageAsync("gitlab/busybox", "1", [TarBuilder.Busybox().Build()]);
        _work = Tools.TempDirectory("hearth-gitlab-oci");
        _network = new OciNetworkOptions
        {
            BridgeName = "hgl" + _tag,
            Subnet = $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 255)}.0/24",
            NftTable = "hearth_gitlab_" + _tag,
            StateDirectory = Path.Combine(_work, "network"),
            DnsServers = ["192.0.2.53"],
        };
        var images = new ImageStore(new ImageStoreOptions { RootDirectory = Path.Combine(_work, "images") },
            new RegistryClient(new HttpClient(), new RegistryClientOptions(), new AnonymousCredentials(), TimeProvider.System), TimeProvider.System);
        var oci = new OciDriver(new OciDriverOptions
        {
            StateRoot = Path.Combine(_work, "runc"), UserNamespace = Range, Network = _network,
        }, images, TimeProvider.System);
        _harness = await AgentHarness.StartAsync(configure: o => o with
        {
            GitLab = o.GitLab with
            {
                PollInterval = TimeSpan.FromMilliseconds(100),
                TraceInterval = TimeSpan.FromMilliseconds(200),
                RetryDelay = TimeSpan.FromMilliseconds(50),
            },
        });
        _harness.StartAgentHost(_harness.Options() with { AllowedDrivers = ["oci"] }, extraDrivers: [oci]);
        var added = await _harness.Admin.PostAsJsonAsync("api/v1/gitlab/runners",
            new GitLabRunnerBody("fake-oci", _gitlab.Url.ToString(), FakeGitLab.RunnerToken, ["linux"], "oci", BusyboxRef), HearthJson.Options);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _git.DisposeAsync();
        await _gitlab.DisposeAsync();
        await _registry.DisposeAsync();
        await TryAsync("ip", "link", "del", _network.BridgeName);
        await TryAsync("nft", "delete", "table", "ip", _network.NftTable);
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task A_job_in_an_image_without_git_runs_in_the_checkout_the_agent_made_at_its_sha()
    {
        const long id = 9001;
        var job = GitLabJobTests.JobJson(id, _git.Url, _git.FirstCommit,
            ["pwd", "echo \"dir=$CI_PROJECT_DIR\"", "cat version.txt", "command -v git || echo no-git", "echo built > out.txt", "cat out.txt"],
            ["echo \"after: $CI_JOB_STATUS\""]);
        job["image"] = new System.Text.Json.Nodes.JsonObject { ["name"] = BusyboxRef };
        job["artifacts"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = "out", ["paths"] = new System.Text.Json.Nodes.JsonArray("out.txt"), ["when"] = "on_success",
            ["artifact_type"] = "archive", ["artifact_format"] = "zip", ["expire_in"] = "2 days",
        });
        _gitlab.Enqueue(job);

        await AgentHarness.UntilAsync(() => Task.FromResult(_gitlab.JobOf(id)?.Final is not null), $"job {id} reported");
        var reported = _gitlab.JobOf(id)!;

        var trace = reported.TraceText;
        Assert.True(reported.Final!.State == "success", trace);
        Assert.Equal(0, reported.Final.ExitCode);
        Assert.Contains("$ pwd\n/workspace\n", trace);
        Assert.Contains("dir=/workspace\n", trace);
        // The older of the two commits: checked out at the job's SHA, not the branch's head.
        Assert.Contains("$ cat version.txt\none\n", trace);
        Assert.Contains("no-git\n", trace);
        Assert.Contains("built\n", trace);
        Assert.Contains("after: success", trace);
        Assert.DoesNotContain("job-token-9001-secret", trace);
        // What the container wrote in the checkout, zipped by the agent and uploaded with the job's token.
        var upload = Assert.Single(_gitlab.Uploads);
        Assert.Equal(("job-token-9001-secret", "out.zip", 201), (upload.JobToken, upload.FileName, upload.Status));
        Assert.Equal(new Dictionary<string, string> { ["out.txt"] = "built\n" }, GitLabJobTests.Unzip(upload.Bytes));
        var accepted = reported.Patches.Where(p => p.Status == 202).ToList();
        Assert.Equal(reported.Trace.ToArray(), accepted.SelectMany(p => p.Bytes).ToArray());
        Assert.Equal($"crc32:{System.IO.Hashing.Crc32.HashToUInt32(reported.Trace.ToArray()):x8}", reported.Final.Checksum);
        var runs = await _harness.Admin.GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options);
        var run = await _harness.WaitEndedAsync(Assert.Single(runs!.Runs, r => r.Kind == "ci_job").Id);
        Assert.Equal(string.Concat((await _harness.LinesAsync(run.Id)).Select(l => l + "\n")), trace);

        // Nothing of the task is left: no workspace, no scratch or state directory, no container, no mount.
        var task = Hearth.Core.Runs.TaskIds.ForCommand(run.Id);
        await AgentHarness.UntilAsync(() => Task.FromResult(!Leftovers(task).Any()), $"nothing of task {task} left");
        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), l => l.Contains(task, StringComparison.Ordinal));
        Assert.DoesNotContain(task, await Tools.RunAsync("runc", "--root", Path.Combine(_work, "runc"), "list", "-q"));
    }

    private IEnumerable<string> Leftovers(string task) =>
        new[] { _harness.ScratchRoot, _harness.StateDirectory }.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*", SearchOption.AllDirectories))
            .Where(e => Path.GetFileName(e).Contains(task, StringComparison.Ordinal));

    private static async Task TryAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
    }
}
