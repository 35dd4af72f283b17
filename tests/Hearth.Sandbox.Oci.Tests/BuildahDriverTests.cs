using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Hearth.Core.Builds;
using Hearth.Sandbox.Oci.Building;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.References;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// The buildah driver for real: buildah builds a Dockerfile FROM a busybox image in a loopback registry (COPY from the
/// context, a RUN step in an OCI container) and pushes the result there; the same build again is not built; a failing
/// RUN fails the task and pushes nothing; RUN steps run on a bridge of the test's own (<see cref="NetworkFixture"/>)
/// and reach an upstream namespace through it, never the host's loopback. Needs root and buildah (test.sh installs it).
/// </summary>
public sealed class BuildahDriverTests(RegistryFixture registry, NetworkFixture network)
    : IClassFixture<RegistryFixture>,
        IClassFixture<NetworkFixture>,
        IDisposable
{
    private readonly string _work = Tools.TempDirectory("hearth-buildah");
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // buildah's overlay store may still be settling; the temp directory is the machine's to clean.
        }
    }

    private RegistryClient Client() =>
        new(_http, new RegistryClientOptions(), new AnonymousCredentials(), TimeProvider.System);

    private BuildahDriver Driver() =>
        new(
            new BuildahDriverOptions
            {
                StorageRoot = Path.Combine(_work, "storage"),
                RunRoot = Path.Combine(_work, "run"),
            },
            Client(),
            new ProcessDriver(),
            new BridgeNetwork(network.Options, TimeProvider.System)
        );

    private static string Context(params (string Name, string Text)[] files)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, text) in files)
                writer.WriteEntry(
                    new PaxTarEntry(TarEntryType.RegularFile, name)
                    {
                        DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                    }
                );
        }
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(tar.ToArray());
        return Convert.ToBase64String(gz.ToArray());
    }

    private SandboxSpec Spec(string id, ImageBuildSpec build, List<string> status) =>
        new()
        {
            SandboxId = id,
            Command = [],
            ScratchRoot = Path.Combine(_work, "scratch"),
            Build = build,
            Status = new SyncProgress<string>(status.Add),
        };

    [Fact]
    public async Task Builds_from_a_registry_image_pushes_the_result_and_does_not_build_the_same_tag_again()
    {
        var driver = Driver();
        Assert.True(driver.Fingerprint().Healthy, driver.Fingerprint().Reason);
        var image = $"{registry.Registry.Host}/built/web:c1";
        var build = new ImageBuildSpec(
            image,
            $"""
            FROM {registry.BusyboxRef}
            ARG GREETING
            COPY hello.txt /hello.txt
            RUN echo "$GREETING from RUN" > /built.txt
            CMD ["cat", "/built.txt"]
            """,
            Context(("hello.txt", "hello from the context\n")),
            new Dictionary<string, string> { ["GREETING"] = "hi" },
            null
        );

        var status = new List<string>();
        var output = new CollectingOutput();
        await using (
            var sandbox = await driver.StartAsync(Spec("build-1", build, status), output, CancellationToken.None)
        )
        {
            var exit = await sandbox.WaitAsync(CancellationToken.None);
            Assert.True(exit.ExitCode == 0, string.Join("\n", output.Lines.Select(l => l.Line)));
            Assert.Equal("buildah", sandbox.Handle.Driver);
        }
        Assert.Contains(output.Lines, l => l.Line.Contains("hearth: pushing " + image, StringComparison.Ordinal));
        // The test's busybox has no history and the COPY follows an ARG: buildah 1.28's layer cache cannot, so it
        // builds without.
        Assert.Contains(output.Lines, l =>
            l.Line.Contains(
                "cannot build on this base image (it has no history): building without it",
                StringComparison.Ordinal
            )
        );
        Assert.False(Directory.Exists(Path.Combine(_work, "scratch", "build-1.build")));

        // What was pushed runs as built: pulled by Hearth's own image store, the RUN step's file and the COPY are
        // there.
        var store = new ImageStore(
            new ImageStoreOptions { RootDirectory = Path.Combine(_work, "images") },
            Client(),
            TimeProvider.System
        );
        var pulled = await store.PullAsync(image, null, CancellationToken.None);
        Assert.Equal("hi from RUN\n", await File.ReadAllTextAsync(Path.Combine(pulled.RootfsPath, "built.txt")));
        Assert.Equal(
            "hello from the context\n",
            await File.ReadAllTextAsync(Path.Combine(pulled.RootfsPath, "hello.txt"))
        );
        Assert.Equal(["cat", "/built.txt"], pulled.Config.Config?.Cmd);

        status.Clear();
        var again = new CollectingOutput();
        var started = DateTimeOffset.UtcNow;
        await using (
            var sandbox = await driver.StartAsync(Spec("build-2", build, status), again, CancellationToken.None)
        )
            Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None)).ExitCode);
        Assert.Contains(status, s => s.Contains("not built again", StringComparison.Ordinal));
        Assert.DoesNotContain(again.Lines, l => l.Line.Contains("STEP", StringComparison.Ordinal));
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Run_steps_reach_an_upstream_through_the_bridge_but_not_the_agents_loopback_nor_its_addresses()
    {
        using var loopback = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        loopback.Start();
        var port = ((System.Net.IPEndPoint)loopback.LocalEndpoint).Port;
        var accepted = loopback.AcceptSocketAsync();
        // Listeners on the host's own addresses: the bridge's gateway and the host's end of the upstream link.
        var bridge = new BridgeNetwork(network.Options, TimeProvider.System);
        await bridge.EnsureAsync(CancellationToken.None);
        using var onGateway = new System.Net.Sockets.TcpListener(bridge.Gateway, 0);
        onGateway.Start();
        var gatewayPort = ((System.Net.IPEndPoint)onGateway.LocalEndpoint).Port;
        var gatewayAccepted = onGateway.AcceptSocketAsync();
        using var onHost = new System.Net.Sockets.TcpListener(
            System.Net.IPAddress.Parse(network.UpstreamHostAddress),
            0
        );
        onHost.Start();
        var hostPort = ((System.Net.IPEndPoint)onHost.LocalEndpoint).Port;
        var hostAccepted = onHost.AcceptSocketAsync();
        string Probe(string address, int to) =>
            $"if busybox nc -w 5 {address} {to} </dev/null; then echo reached; else echo refused; fi";
        var image = $"{registry.Registry.Host}/built/net:c1";
        // busybox 1.35's wget crashes with -T: no timeout (nothing listens on the namespace's own 127.0.0.1: refused at
        // once).
        var upstream = $"http://{network.UpstreamServerAddress}:{NetworkFixture.UpstreamPort}/cgi-bin/whoami";
        // umoci's image has a history (Hearth's test pusher's has none), which buildah's layer cache needs.
        var build = new ImageBuildSpec(
            image,
            $"""
            FROM {registry.UmociRef}
            RUN busybox wget -q -O /upstream.txt {upstream}
            RUN if busybox wget -q -O /dev/null http://127.0.0.1:{port}/; then echo reached > /host.txt; else echo unreachable > /host.txt; fi
            RUN ({Probe(bridge.Gateway.ToString(), gatewayPort)}; {Probe(
                network.UpstreamHostAddress,
                hostPort
            )}) > /addresses.txt
            """,
            Context(("a", "a")),
            new Dictionary<string, string>(),
            null
        );
        var id = network.NewId();
        var output = new CollectingOutput();
        await using (var sandbox = await Driver().StartAsync(Spec(id, build, []), output, CancellationToken.None))
        {
            Assert.True(File.Exists(BridgeNetwork.NamespacePath("hearth-" + id)), "the build's network namespace");
            var exit = await sandbox.WaitAsync(CancellationToken.None);
            Assert.True(exit.ExitCode == 0, string.Join("\n", output.Lines.Select(l => l.Line)));
        }
        Assert.False(File.Exists(BridgeNetwork.NamespacePath("hearth-" + id)));
        Assert.DoesNotContain(output.Lines, l => l.Line.Contains("building without it", StringComparison.Ordinal));

        var store = new ImageStore(
            new ImageStoreOptions { RootDirectory = Path.Combine(_work, "images") },
            Client(),
            TimeProvider.System
        );
        var pulled = await store.PullAsync(image, null, CancellationToken.None);
        // The upstream saw the host's address on its link: the build's traffic left through the bridge's masquerade.
        Assert.Equal(
            network.UpstreamHostAddress,
            (await File.ReadAllTextAsync(Path.Combine(pulled.RootfsPath, "upstream.txt"))).Trim()
        );
        Assert.Equal("unreachable", (await File.ReadAllTextAsync(Path.Combine(pulled.RootfsPath, "host.txt"))).Trim());
        Assert.False(accepted.IsCompleted);
        Assert.Equal(
            ["refused", "refused"],
            (await File.ReadAllLinesAsync(Path.Combine(pulled.RootfsPath, "addresses.txt"))).Select(l => l.Trim())
        );
        Assert.False(gatewayAccepted.IsCompleted || hostAccepted.IsCompleted);

        // The same Dockerfile and context under another tag: every step comes from the layer cache, nothing runs again.
        var again = new CollectingOutput();
        await using (
            var sandbox = await Driver()
                .StartAsync(
                    Spec(network.NewId(), build with { Image = image[..^2] + "c2" }, []),
                    again,
                    CancellationToken.None
                )
        )
            Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None)).ExitCode);
        Assert.Equal(3, again.Lines.Count(l => l.Line.Contains("Using cache", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_failing_run_step_fails_the_task_and_pushes_nothing()
    {
        var image = $"{registry.Registry.Host}/built/broken:c1";
        var build = new ImageBuildSpec(
            image,
            $"FROM {registry.BusyboxRef}\nRUN exit 3\n",
            Context(("a", "a")),
            new Dictionary<string, string>(),
            null
        );
        var output = new CollectingOutput();
        await using var sandbox = await Driver()
            .StartAsync(Spec("broken-1", build, []), output, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None);
        Assert.NotEqual(0, exit.ExitCode);
        Assert.Contains(output.Lines, l =>
            l.Line.Contains("exit 3", StringComparison.Ordinal)
            || l.Line.Contains("exit status 3", StringComparison.Ordinal)
        );
        await Assert.ThrowsAsync<RegistryException>(() =>
            Client().ResolveAsync(ImageReference.Parse(image), Platform.Current, CancellationToken.None)
        );
    }

    [Fact]
    public async Task A_task_without_a_build_is_refused()
    {
        var e = await Assert.ThrowsAsync<SandboxStartException>(() =>
            Driver()
                .StartAsync(
                    new SandboxSpec
                    {
                        SandboxId = "cmd-1",
                        Command = ["true"],
                        ScratchRoot = Path.Combine(_work, "scratch"),
                    },
                    new CollectingOutput(),
                    CancellationToken.None
                )
        );
        Assert.Contains("builds images only", e.Message);
    }

    [Fact]
    public void A_context_with_a_link_or_a_path_outside_is_refused_and_nothing_is_written_through_it()
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "etc") { LinkName = "/etc" });
        var link = Assert.Throws<SandboxStartException>(() =>
            BuildContext.Unpack(Gzip(tar.ToArray()), Path.Combine(_work, "ctx-1"))
        );
        Assert.Contains("only directories and regular files", link.Message);
        Assert.False(File.Exists(Path.Combine(_work, "ctx-1", "etc")));

        using var tar2 = new MemoryStream();
        using (var writer = new TarWriter(tar2, TarEntryFormat.Pax, leaveOpen: true))
            writer.WriteEntry(
                new PaxTarEntry(TarEntryType.RegularFile, "../escape") { DataStream = new MemoryStream([1]) }
            );
        Assert.Contains(
            "not a relative path",
            Assert
                .Throws<SandboxStartException>(() =>
                    BuildContext.Unpack(Gzip(tar2.ToArray()), Path.Combine(_work, "ctx-2"))
                )
                .Message
        );
        Assert.False(File.Exists(Path.Combine(_work, "escape")));
    }

    [Fact]
    public void Loopback_registries_of_the_destination_and_the_from_lines_are_plain_http_others_are_not()
    {
        var conf = BuildahDriver.RegistriesConf(
            ImageReference.Parse("127.0.0.1:5000/p/web:c1"),
            "FROM --platform=linux/amd64 localhost:5001/base:1 AS base\nfrom docker.io/library/debian:12\nFROM base\n"
        );
        Assert.Contains("location = \"127.0.0.1:5000\"\ninsecure = true", conf);
        Assert.Contains("location = \"localhost:5001\"\ninsecure = true", conf);
        Assert.DoesNotContain("docker.io\"\ninsecure", conf);
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(bytes);
        return gz.ToArray();
    }
}
