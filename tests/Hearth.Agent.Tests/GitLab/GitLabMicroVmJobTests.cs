using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Sandbox.MicroVm;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// A GitLab job on the microvm driver under software emulation, end to end, in one VM boot: a signed Job Hook for a job
/// tagged <c>firecracker-2cpu-512mb</c> makes the server hand the agent a prewarm hint, the agent boots a VM of that
/// size into its (otherwise empty) warm pool, and the job, taken from the fake GitLab, runs in that VM: the agent
/// checks the commit out on its host (git daemon on loopback), downloads a dependency's artifacts into the checkout,
/// the workspace disk carries it into the VM (a busybox image without git), and what the job left there comes back for
/// the artifacts zip and the cache.
/// </summary>
public sealed class GitLabMicroVmJobTests : IAsyncLifetime
{
    private const string HookToken = "vm-hook-token";
    private ImageJobRig _image = null!;
    private GitLabRig _rig = null!;
    private MicroVmDriver _driver = null!;
    private AgentHost _agent = null!;

    public async Task InitializeAsync()
    {
        _image = await ImageJobRig.StartAsync("gitlab/vm-busybox", "gitlab-vm", "hgv");
        _rig = await GitLabRig.StartAsync(TimeSpan.FromMilliseconds(200), HookToken);
        // No configured pool: the only pooled VM there can be is the one the hook's hint asks for.
        _driver = new MicroVmDriver(
            new MicroVmDriverOptions
            {
                CacheDirectory = Path.Combine(_image.Work, "vm-cache"),
                PoolScratchRoot = _rig.Harness.ScratchRoot,
                Network = _image.Network,
                MaxPrewarmed = 1,
            },
            _image.NewImageStore(),
            TimeProvider.System
        );
        _agent = _rig
            .Harness.StartAgentHost(
                _rig.Harness.Options() with
                {
                    AllowedDrivers = ["microvm"],
                },
                extraDrivers: [_driver]
            )
            .Host;
        await _rig.AddRunnerAsync("fake-vm", "microvm", _image.BusyboxRef);
    }

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _image.DisposeAsync();
    }

    [Fact]
    public async Task A_hooked_job_runs_in_the_vm_the_hook_prewarmed_on_the_hosts_checkout_and_its_artifacts_and_cache_come_back()
    {
        const long id = 9101;
        const long dependency = 9100;
        var clock = Stopwatch.StartNew();
        var boots = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is "hearth_vm_boot_seconds" or "hearth_agent_prewarm_hints_total")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>(
            (instrument, _, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag.Key == "start")
                        lock (boots)
                            boots.Add((string)tag.Value!);
            }
        );
        listener.Start();

        // The hook: a forged one starts nothing; the signed one offers the hint, and the agent warms a VM of its size.
        var size = new VmSizeClass(2, 512L << 20);
        Assert.Equal(HttpStatusCode.Unauthorized, (await HookAsync("forged", id)).StatusCode);
        var hooked = await HookAsync(HookToken, id);
        Assert.Equal(HttpStatusCode.Accepted, hooked.StatusCode);
        Assert.Contains("pre-warming a 2cpu-512mb microVM", await hooked.Content.ReadAsStringAsync());
        await AgentHarness.UntilAsync(
            () =>
                Task.FromResult(
                    _driver.PooledCount(size, _image.BusyboxRef, network: true) == 1 || _driver.PoolError is not null
                ),
            "the hinted VM booted into the pool",
            TimeSpan.FromMinutes(4)
        );
        Assert.Null(_driver.PoolError);
        var warmedAt = clock.Elapsed;

        _rig.GitLab.AddArtifacts(dependency, "dependency-token-vm", Zip(("dep/lib.txt", "from-dependency\n")));
        var job = GitLabJobTests.JobJson(
            id,
            _rig.Git.Url,
            _rig.Git.FirstCommit,
            [
                "pwd",
                "echo \"dir=$CI_PROJECT_DIR\"",
                "cat version.txt",
                "command -v git || echo no-git",
                "cat dep/lib.txt",
                "cat .cache/c.txt 2>/dev/null || echo no-cache",
                "mkdir -p out .cache",
                "echo built-in-vm > out/result.txt",
                "echo cached > .cache/c.txt",
                "nproc",
            ],
            ["echo \"after: $CI_JOB_STATUS\""],
            GitLabJobTests.Var("CI_JOB_TAGS", "[\"firecracker-2cpu-512mb\"]")
        );
        job["image"] = new JsonObject { ["name"] = _image.BusyboxRef };
        job["dependencies"] = new JsonArray(
            new JsonObject
            {
                ["id"] = dependency,
                ["token"] = "dependency-token-vm",
                ["name"] = "build",
                ["artifacts_file"] = new JsonObject { ["filename"] = "artifacts.zip", ["size"] = 100 },
            }
        );
        job["artifacts"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "result",
                ["paths"] = new JsonArray("out/"),
                ["when"] = "on_success",
                ["artifact_type"] = "archive",
                ["artifact_format"] = "zip",
                ["expire_in"] = "2 days",
            }
        );
        job["cache"] = new JsonArray(
            new JsonObject
            {
                ["key"] = "vm-deps",
                ["untracked"] = false,
                ["policy"] = "pull-push",
                ["paths"] = new JsonArray(".cache/"),
                ["when"] = "on_success",
            }
        );
        _rig.GitLab.Enqueue(job);

        await AgentHarness.UntilAsync(
            () => Task.FromResult(_rig.GitLab.JobOf(id)?.Final is not null),
            $"job {id} reported",
            TimeSpan.FromMinutes(4)
        );
        var jobTime = clock.Elapsed - warmedAt;
        var reported = _rig.GitLab.JobOf(id)!;
        var trace = reported.TraceText;
        Assert.True(reported.Final!.State == "success", trace);
        Assert.Equal(0, reported.Final.ExitCode);
        // (The script writes no stderr: a stderr line may be shipped between stdout lines written before it.) The older
        // of the two commits, checked out by the agent on its host (the image has no git), with the dependency's
        // artifacts in it, as the VM's working directory.
        foreach (
            var expected in new[]
            {
                "$ pwd\n/workspace\n",
                "dir=/workspace\n",
                "$ cat version.txt\none\n",
                "no-git\n",
                "$ cat dep/lib.txt\nfrom-dependency\n",
                "no-cache\n",
                "$ nproc\n2\n",
                "after: success",
            }
        )
            Assert.True(trace.Contains(expected, StringComparison.Ordinal), $"'{expected}' not in the trace:\n{trace}");
        Assert.DoesNotContain($"job-token-{id}-secret", trace);

        // What the job wrote in the VM, read back and zipped by the agent.
        var upload = Assert.Single(_rig.GitLab.Uploads);
        Assert.Equal(($"job-token-{id}-secret", "result.zip", 201), (upload.JobToken, upload.FileName, upload.Status));
        Assert.Equal(
            new Dictionary<string, string> { ["out/result.txt"] = "built-in-vm\n" },
            GitLabJobTests.Unzip(upload.Bytes)
        );
        var cache = Assert.Single(
            Directory.EnumerateFiles(
                Path.Combine(_rig.Harness.Journal.Directory, "gitlab-cache"),
                "*.zip",
                SearchOption.AllDirectories
            )
        );
        Assert.Equal(
            new Dictionary<string, string> { [".cache/c.txt"] = "cached\n" },
            GitLabJobTests.Unzip(await File.ReadAllBytesAsync(cache))
        );

        // Trace patches contiguous from 0 with the job's bytes; the final state's checksum is theirs; the run's log is
        // the trace.
        var accepted = reported.Patches.Where(p => p.Status == 202).ToList();
        Assert.Equal(0, accepted[0].Start);
        for (var i = 1; i < accepted.Count; i++)
            Assert.Equal(accepted[i - 1].End + 1, accepted[i].Start);
        Assert.Equal(reported.Trace.ToArray(), accepted.SelectMany(p => p.Bytes).ToArray());
        Assert.Equal(
            $"crc32:{System.IO.Hashing.Crc32.HashToUInt32(reported.Trace.ToArray()):x8}",
            reported.Final.Checksum
        );
        Assert.Equal(reported.Trace.Length, reported.Final.Bytesize);
        var runs = await _rig.Harness.Admin.GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options);
        var run = await _rig.Harness.WaitEndedAsync(Assert.Single(runs!.Runs, r => r.Kind == "ci_job").Id);
        Assert.Equal(string.Concat((await _rig.Harness.LinesAsync(run.Id)).Select(l => l + "\n")), trace);

        // The job's VM was the one the hook warmed: one start, warm, and the pool it came from is empty again.
        listener.RecordObservableInstruments();
        lock (boots)
            Assert.Equal(["warm"], boots);
        Assert.Equal(0, _driver.PooledCount(size, _image.BusyboxRef, network: true));

        // Nothing left: no VM directory (disk copies, sockets), workspace, record, QEMU, or tap on the bridge.
        var task = Hearth.Core.Runs.TaskIds.ForCommand(run.Id);
        await AgentHarness.UntilAsync(() => Task.FromResult(!Leftovers().Any()), "nothing of the VM or the task left");
        Assert.DoesNotContain(task, await Tools.RunAsync("ps", "-eo", "args"));
        Assert.Equal(
            "",
            (await Tools.RunAsync("ip", "-o", "link", "show", "master", _image.Network.BridgeName)).Trim()
        );
        Console.WriteLine(
            $"microvm GitLab job: VM warmed by the hook in {warmedAt.TotalSeconds:F1} s, job {jobTime.TotalSeconds:F1} s"
        );

        IEnumerable<string> Leftovers() =>
            new[] { _rig.Harness.ScratchRoot, _rig.Harness.Journal.Directory }
                .Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*", SearchOption.TopDirectoryOnly))
                .Where(e =>
                    !e.EndsWith("gitlab-cache", StringComparison.Ordinal) && !Path.GetFileName(e).StartsWith('.')
                );
    }

    private async Task<HttpResponseMessage> HookAsync(string token, long id)
    {
        using var http = new HttpClient { BaseAddress = _rig.Harness.Server.Url };
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/gitlab/hook")
        {
            Content = new StringContent(
                new JsonObject
                {
                    ["object_kind"] = "build",
                    ["build_id"] = id,
                    ["build_status"] = "pending",
                    ["build_name"] = "test",
                    ["project_id"] = 1,
                    ["tags"] = new JsonArray("firecracker-2cpu-512mb"),
                }.ToJsonString(),
                Encoding.UTF8,
                "application/json"
            ),
        };
        request.Headers.Add("X-Gitlab-Event", "Job Hook");
        request.Headers.Add("X-Gitlab-Token", token);
        return await http.SendAsync(request);
    }

    private static byte[] Zip(params (string Name, string Text)[] files)
    {
        using var buffer = new MemoryStream();
        using (
            var zip = new System.IO.Compression.ZipArchive(
                buffer,
                System.IO.Compression.ZipArchiveMode.Create,
                leaveOpen: true
            )
        )
            foreach (var (name, text) in files)
                using (var entry = new StreamWriter(zip.CreateEntry(name).Open()))
                    entry.Write(text);
        return buffer.ToArray();
    }
}
