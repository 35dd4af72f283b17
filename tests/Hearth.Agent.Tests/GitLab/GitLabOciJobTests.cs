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
/// container gets the checkout as its working directory, as gitlab-runner's helper does; its artifacts are zipped from
/// it.
/// </summary>
public sealed class GitLabOciJobTests : IAsyncLifetime
{
    private static readonly IdMapping Range = new(100000, 65536);
    private ImageJobRig _image = null!;
    private GitLabRig _rig = null!;

    public async Task InitializeAsync()
    {
        _image = await ImageJobRig.StartAsync("gitlab/busybox", "gitlab-oci", "hgl");
        var oci = new OciDriver(
            new OciDriverOptions
            {
                StateRoot = Path.Combine(_image.Work, "runc"),
                UserNamespace = Range,
                Network = _image.Network,
            },
            _image.NewImageStore(),
            TimeProvider.System
        );
        _rig = await GitLabRig.StartAsync(TimeSpan.FromMilliseconds(100));
        _rig.Harness.StartAgentHost(_rig.Harness.Options() with { AllowedDrivers = ["oci"] }, extraDrivers: [oci]);
        await _rig.AddRunnerAsync("fake-oci", "oci", _image.BusyboxRef);
    }

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _image.DisposeAsync();
    }

    [Fact]
    public async Task A_job_in_an_image_without_git_runs_in_the_checkout_the_agent_made_at_its_sha()
    {
        const long id = 9001;
        var job = GitLabJobTests.JobJson(
            id,
            _rig.Git.Url,
            _rig.Git.FirstCommit,
            [
                "pwd",
                "echo \"dir=$CI_PROJECT_DIR\"",
                "cat version.txt",
                "command -v git || echo no-git",
                "echo built > out.txt",
                "cat out.txt",
            ],
            ["echo \"after: $CI_JOB_STATUS\""]
        );
        job["image"] = new System.Text.Json.Nodes.JsonObject { ["name"] = _image.BusyboxRef };
        job["artifacts"] = new System.Text.Json.Nodes.JsonArray(
            new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = "out",
                ["paths"] = new System.Text.Json.Nodes.JsonArray("out.txt"),
                ["when"] = "on_success",
                ["artifact_type"] = "archive",
                ["artifact_format"] = "zip",
                ["expire_in"] = "2 days",
            }
        );
        _rig.GitLab.Enqueue(job);

        await AgentHarness.UntilAsync(
            () => Task.FromResult(_rig.GitLab.JobOf(id)?.Final is not null),
            $"job {id} reported"
        );
        var reported = _rig.GitLab.JobOf(id)!;

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
        var upload = Assert.Single(_rig.GitLab.Uploads);
        Assert.Equal(("job-token-9001-secret", "out.zip", 201), (upload.JobToken, upload.FileName, upload.Status));
        Assert.Equal(new Dictionary<string, string> { ["out.txt"] = "built\n" }, GitLabJobTests.Unzip(upload.Bytes));
        var accepted = reported.Patches.Where(p => p.Status == 202).ToList();
        Assert.Equal(reported.Trace.ToArray(), accepted.SelectMany(p => p.Bytes).ToArray());
        Assert.Equal(
            $"crc32:{System.IO.Hashing.Crc32.HashToUInt32(reported.Trace.ToArray()):x8}",
            reported.Final.Checksum
        );
        var runs = await _rig.Harness.Admin.GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options);
        var run = await _rig.Harness.WaitEndedAsync(Assert.Single(runs!.Runs, r => r.Kind == "ci_job").Id);
        Assert.Equal(string.Concat((await _rig.Harness.LinesAsync(run.Id)).Select(l => l + "\n")), trace);

        // Nothing of the task is left: no workspace, no scratch or state directory, no container, no mount.
        var task = Hearth.Core.Runs.TaskIds.ForCommand(run.Id);
        await AgentHarness.UntilAsync(() => Task.FromResult(!Leftovers(task).Any()), $"nothing of task {task} left");
        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), l =>
            l.Contains(task, StringComparison.Ordinal)
        );
        Assert.DoesNotContain(
            task,
            await Tools.RunAsync("runc", "--root", Path.Combine(_image.Work, "runc"), "list", "-q")
        );
    }

    private IEnumerable<string> Leftovers(string task) =>
        new[] { _rig.Harness.ScratchRoot, _rig.Harness.StateDirectory }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*", SearchOption.AllDirectories))
            .Where(e => Path.GetFileName(e).Contains(task, StringComparison.Ordinal));
}
