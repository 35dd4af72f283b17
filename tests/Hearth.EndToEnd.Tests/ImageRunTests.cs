using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// `hearth run --image` end to end: a real docker-registry on loopback, an image built from busybox-static and pushed
/// by umoci + skopeo (third-party tools) and by Hearth's test pusher, pulled by the agent, run under its `auto` runtime
/// (crun here).
/// </summary>
public abstract class ImageRunTests : IAsyncLifetime
{
    protected abstract StoreKind Store { get; }

    private LocalRegistry _registry = null!;
    private HearthCluster _cluster = null!;
    private string _work = null!;

    private string UmociRef => $"{_registry.Host}/e2e/umoci:1";

    private string BusyboxRef => $"{_registry.Host}/e2e/busybox:1";

    public async Task InitializeAsync()
    {
        _registry = await LocalRegistry.StartAsync();
        _work = Tools.TempDirectory("hearth-e2e-oci");
        var rootfs = TarBuilder.Busybox().Build();
        using (var pusher = new ImagePusher(_registry.BaseUri))
            await pusher.PushImageAsync(
                "e2e/busybox",
                "1",
                [rootfs],
                new JsonObject { ["Cmd"] = new JsonArray("/bin/sh", "-c", "echo default-cmd") }
            );
        var tar = Path.Combine(_work, "rootfs.tar");
        await File.WriteAllBytesAsync(tar, rootfs);
        var layout = Path.Combine(_work, "layout");
        await Tools.RunAsync("umoci", "init", "--layout", layout);
        await Tools.RunAsync("umoci", "new", "--image", layout + ":bb");
        await Tools.RunAsync("umoci", "raw", "add-layer", "--image", layout + ":bb", tar);
        await Tools.RunAsync(
            "umoci",
            "config",
            "--image",
            layout + ":bb",
            "--config.cmd",
            "/bin/echo",
            "--config.cmd",
            "from-umoci"
        );
        await Tools.RunAsync(
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            $"oci:{layout}:bb",
            $"docker://{UmociRef}"
        );
        _cluster = await HearthCluster.StartAsync(store: Store);
        await _cluster.StartAgentAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _registry.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Runs_a_command_and_the_image_default_in_an_image_pushed_by_skopeo()
    {
        var hi = await _cluster.CliAsync("run", "--image", UmociRef, "--", "echo", "hi");
        Assert.Equal(0, hi.ExitCode);
        Assert.Equal("hi\n", hi.Stdout);

        var defaults = await _cluster.CliAsync("run", "--image", UmociRef);
        Assert.Equal(0, defaults.ExitCode);
        Assert.Equal("from-umoci\n", defaults.Stdout);

        var code = await _cluster.CliAsync("run", "--image", BusyboxRef, "--", "sh", "-c", "exit 9");
        Assert.Equal(9, code.ExitCode);
    }

    [Fact]
    public async Task The_container_sees_its_image_not_the_host_and_limits_hold()
    {
        var marker = Path.Combine("/root", $"hearth-e2e-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(marker, "host");
        try
        {
            var look = await _cluster.CliAsync(
                "run",
                "--image",
                BusyboxRef,
                "--",
                "sh",
                "-c",
                $"cat {marker} || echo hidden; ls /usr/bin | head -1"
            );
            Assert.Contains("hidden", look.Stdout);
            Assert.DoesNotContain("host", look.Stdout);
        }
        finally
        {
            File.Delete(marker);
        }

        var oom = await _cluster.CliAsync(
            "run",
            "--image",
            BusyboxRef,
            "--memory",
            "32M",
            "--",
            "sh",
            "-c",
            "dd if=/dev/zero of=/dev/null bs=200M count=1"
        );
        Assert.Equal(137, oom.ExitCode);
        var status = JsonDocument
            .Parse((await _cluster.CliAsync("status", AdHocRunTests.RunId(oom.Stderr), "-o", "json")).Stdout)
            .RootElement;
        Assert.Contains("OOM", status.GetProperty("reason").GetString());

        // The pids limit, not anything else, stops the loop: its 12th process cannot be forked, and the shell ends with
        // its error status (2) after saying so.
        var bomb = await _cluster.CliAsync(
            "run",
            "--image",
            BusyboxRef,
            "--pids",
            "12",
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo all-spawned"
        );
        Assert.Equal(2, bomb.ExitCode);
        Assert.Contains("can't fork", bomb.Stderr);
        Assert.DoesNotContain("all-spawned", bomb.Stdout);
    }

    [Fact]
    public async Task The_agent_runs_containers_in_a_user_namespace_by_default_and_refuses_a_bad_range()
    {
        var mapped = await _cluster.CliAsync(
            "run",
            "--image",
            BusyboxRef,
            "--",
            "sh",
            "-c",
            "id -u; cat /proc/self/uid_map; touch /etc/mine && echo wrote"
        );
        Assert.True(mapped.ExitCode == 0, mapped.Stderr);
        Assert.Equal(
            ["0", "0 100000 65536", "wrote"],
            mapped
                .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        );

        foreach (var bad in new[] { "on", "100000", "0:65536" })
        {
            var refused = await CliProcess.RunAsync(
                ["agent", "--server", "http://127.0.0.1:9", "--oci-userns", bad],
                new Dictionary<string, string> { ["HEARTH_AGENT_TOKEN"] = "unused" }
            );
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains($"--oci-userns '{bad}': expected auto, off or BASE:SIZE", refused.Stderr);
        }
    }

    [Fact]
    public async Task A_published_port_reaches_a_server_in_the_container()
    {
        var port = Tools.FreePort();
        var started = await _cluster.CliAsync(
            "run",
            "-d",
            "--image",
            BusyboxRef,
            "--publish",
            $"127.0.0.1:{port}:8080",
            "--",
            "sh",
            "-c",
            "mkdir -p /www && echo hello-from-container > /www/index.html && exec httpd -f -p 8080 -h /www"
        );
        Assert.Equal(0, started.ExitCode);
        var id = started.Stdout.Trim();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            string? body = null;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (body is null && DateTime.UtcNow < until)
            {
                try
                {
                    body = await http.GetStringAsync($"http://127.0.0.1:{port}/");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(200);
                }
            }
            Assert.Equal("hello-from-container\n", body);
        }
        finally
        {
            await _cluster.CliAsync("kill", id);
        }

        var bad = await _cluster.CliAsync("run", "--image", BusyboxRef, "--publish", "99999:80", "--", "true");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--publish '99999:80'", bad.Stderr);
    }

    [Fact]
    public async Task A_registered_image_gives_its_runs_its_memory_limit_and_can_be_the_default()
    {
        var register = await _cluster.CliAsync("images", "register", BusyboxRef, "--memory", "32M", "--default");
        Assert.True(register.ExitCode == 0, register.Stderr);
        var listed = JsonDocument
            .Parse((await _cluster.CliAsync("images", "registered", "-o", "json")).Stdout)
            .RootElement;
        Assert.Equal(32L << 20, listed.GetProperty("images")[0].GetProperty("memory_bytes").GetInt64());

        // No --image and no --memory: the default image, with its registered limit.
        var oom = await _cluster.CliAsync("run", "--", "sh", "-c", "dd if=/dev/zero of=/dev/null bs=200M count=1");
        Assert.NotEqual(0, oom.ExitCode);
        var status = JsonDocument
            .Parse((await _cluster.CliAsync("status", AdHocRunTests.RunId(oom.Stderr), "-o", "json")).Stdout)
            .RootElement;
        Assert.Contains("OOM", status.GetProperty("reason").GetString());

        Assert.Equal(0, (await _cluster.CliAsync("images", "unregister", BusyboxRef)).ExitCode);
        var host = await _cluster.CliAsync("run", "--", "sh", "-c", "test -d /usr/lib && echo host-sandbox");
        Assert.Equal("host-sandbox\n", host.Stdout);
    }

    [Fact]
    public async Task A_run_shows_its_image_pull_in_its_log_and_a_stored_image_gives_no_pull_line()
    {
        var pulled = await _cluster.CliAsync("run", "--image", BusyboxRef, "--pull", "always", "--", "echo", "ran");
        Assert.True(pulled.ExitCode == 0, pulled.Stderr);
        Assert.Equal("ran\n", pulled.Stdout);
        Assert.Contains($"hearth: pulling {BusyboxRef}: resolved: 1 layer(s)", pulled.Stderr);
        Assert.Matches(
            $@"hearth: pulling {System.Text.RegularExpressions.Regex.Escape(BusyboxRef)}: pulled \d+\.\d MB in 1 layer\(s\)",
            pulled.Stderr
        );
        var logs = await _cluster.CliAsync("logs", AdHocRunTests.RunId(pulled.Stderr));
        Assert.Contains($"hearth: pulling {BusyboxRef}: resolved", logs.Stderr);

        var stored = await _cluster.CliAsync("run", "--image", BusyboxRef, "--", "true");
        Assert.True(stored.ExitCode == 0, stored.Stderr);
        Assert.DoesNotContain("hearth: pulling", stored.Stderr);
    }

    [Fact]
    public async Task A_stored_tag_is_used_as_stored_unless_the_run_asks_to_pull()
    {
        using var pusher = new ImagePusher(_registry.BaseUri);
        var tag = $"{_registry.Host}/e2e/moving:1";
        await pusher.PushImageAsync("e2e/moving", "1", [TarBuilder.Busybox().File("version", "one\n").Build()]);
        Assert.Equal("one\n", (await _cluster.CliAsync("run", "--image", tag, "--", "cat", "/version")).Stdout);

        await pusher.PushImageAsync("e2e/moving", "1", [TarBuilder.Busybox().File("version", "two\n").Build()]);
        Assert.Equal("one\n", (await _cluster.CliAsync("run", "--image", tag, "--", "cat", "/version")).Stdout);
        Assert.Equal(
            "two\n",
            (await _cluster.CliAsync("run", "--image", tag, "--pull", "always", "--", "cat", "/version")).Stdout
        );
        Assert.Equal(
            "two\n",
            (await _cluster.CliAsync("run", "--image", tag, "--pull", "never", "--", "cat", "/version")).Stdout
        );

        var never = await _cluster.CliAsync(
            "run",
            "--image",
            $"{_registry.Host}/e2e/absent:1",
            "--pull",
            "never",
            "--",
            "true"
        );
        Assert.Equal(125, never.ExitCode);
        Assert.Contains("pull policy is never", never.Stderr);
        var bad = await _cluster.CliAsync("run", "--image", tag, "--pull", "sometimes", "--", "true");
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public async Task Images_pull_list_and_rm_work_on_a_store()
    {
        var store = Path.Combine(_work, "cli-store");
        var pull = await _cluster.CliAsync("images", "pull", "--store", store, BusyboxRef);
        Assert.Equal(0, pull.ExitCode);
        Assert.StartsWith("sha256:", pull.Stdout);
        Assert.Contains("pulled", pull.Stderr);

        var list = await _cluster.CliAsync("images", "list", "--store", store, "-o", "json");
        var images = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("images").EnumerateArray().ToList();
        Assert.Contains(images, i =>
            i.GetProperty("references").EnumerateArray().Any(r => r.GetString() == BusyboxRef)
        );

        var rm = await _cluster.CliAsync("images", "rm", "--store", store, BusyboxRef);
        Assert.Equal(0, rm.ExitCode);
        var after = await _cluster.CliAsync("images", "list", "--store", store, "-o", "json");
        Assert.Empty(JsonDocument.Parse(after.Stdout).RootElement.GetProperty("images").EnumerateArray());

        var missing = await _cluster.CliAsync("images", "pull", "--store", store, $"{_registry.Host}/e2e/nothing:1");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("hearth: ", missing.Stderr);
    }
}

public sealed class SqliteImageRunTests : ImageRunTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class PostgresImageRunTests : ImageRunTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
