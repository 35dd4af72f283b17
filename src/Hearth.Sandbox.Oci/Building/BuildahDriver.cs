using System.Diagnostics;
using System.Net;
using System.Text;
using Hearth.Core.Builds;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.References;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci.Building;

/// <summary>
/// Builds an image with buildah and pushes it to its registry: the task of a compose service's <c>build:</c>
/// (<see cref="SandboxSpec.Build"/>). The context is unpacked into the sandbox's own directory, then one host process
/// (through the process driver: its own session, output, stop and signals) runs <c>buildah bud</c> and <c>buildah
/// push</c>; RUN steps are isolated by buildah (<see cref="BuildahDriverOptions.Isolation"/>) and, on the <c>bridge</c>
/// network, run in a network namespace made for the build on <paramref name="bridge"/> (the oci driver's), so they
/// reach what a container reaches and never the agent's loopback. buildah itself (pulls, pushes) keeps the agent's
/// network. An image already at its registry under the build's tag (a content digest) is not built again. Needs root.
/// </summary>
public sealed class BuildahDriver(
    BuildahDriverOptions options,
    RegistryClient registry,
    ProcessDriver host,
    BridgeNetwork? bridge = null
) : ISandboxDriver
{
    public const string BuildDirectoryKey = "build_dir";

    public string Name => Builders.Driver;

    /// <summary>
    /// Namespaces: RUN steps see the image being built, never the host; buildah itself is the agent's.
    /// </summary>
    public DriverCapabilities Capabilities =>
        new(
            FilesystemIsolation.Namespaces,
            [options.Network],
            Ports: false,
            Signals: true,
            Exec: false,
            Recover: false,
            Limits: host.Capabilities.Limits
        );

    public DriverFingerprint Fingerprint()
    {
        if (!Environment.IsPrivilegedProcess)
            return DriverFingerprint.Unhealthy("buildah builds as root here; the agent is not root");
        if (options.Network == "bridge" && (bridge is null || !BridgeNetwork.ToolsAvailable()))
            return DriverFingerprint.Unhealthy(
                "builds run on the oci driver's bridge, which needs ip(8) and nft(8) (apt-get install iproute2 nftables)"
            );
        try
        {
            using var process = Process.Start(
                new ProcessStartInfo(options.Buildah, "--version")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                }
            )!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                return DriverFingerprint.Unhealthy($"`{options.Buildah} --version` exited {process.ExitCode}");
            // "buildah version 1.28.2 (image-spec …)"
            var version = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(2).FirstOrDefault() ?? "unknown";
            return new DriverFingerprint(
                true,
                null,
                new Dictionary<string, string>
                {
                    ["driver.buildah.version"] = version,
                    ["driver.buildah.isolation"] = options.Isolation,
                }
            );
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return DriverFingerprint.Unhealthy($"{options.Buildah} is not installed (apt-get install buildah)");
        }
    }

    public async Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken)
    {
        var build = spec.Build
            ?? throw new SandboxStartException("the buildah driver builds images only: this task has no build");
        if (!ImageReference.TryParse(build.Image, out var destination, out var bad))
            throw new SandboxStartException($"build: image '{build.Image}': {bad}");
        var directory = Path.Combine(spec.ScratchRoot, spec.SandboxId + ".build");
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ContainerNetwork? network = null;
        try
        {
            string[] command;
            if (await ExistsAsync(destination, cancellationToken))
            {
                spec.Status?.Report(
                    $"{build.Image} is at its registry already (its context has not changed): not built again"
                );
                command = ["true"];
            }
            else
            {
                byte[] archive;
                try
                {
                    archive = Convert.FromBase64String(build.Context);
                }
                catch (FormatException)
                {
                    throw new SandboxStartException("build context: not base64");
                }
                BuildContext.Unpack(archive, Path.Combine(directory, "context"));
                await File.WriteAllTextAsync(
                    Path.Combine(directory, "Dockerfile"),
                    build.Dockerfile,
                    cancellationToken
                );
                await File.WriteAllTextAsync(
                    Path.Combine(directory, "registries.conf"),
                    RegistriesConf(destination, build.Dockerfile),
                    cancellationToken
                );
                if (options.Network == "bridge")
                {
                    network = await (
                        bridge ?? throw new SandboxStartException("builds need the oci driver's bridge here")
                    ).AttachAsync(spec.SandboxId, [], cancellationToken);
                }
                var script = Path.Combine(directory, "build.sh");
                await File.WriteAllTextAsync(script, Script(build, directory, network), cancellationToken);
                spec.Status?.Report(
                    $"building {build.Image} with buildah ({options.Isolation} isolation, {options.StorageDriver} storage)"
                );
                command = ["/bin/sh", script];
            }
            var environment = new Dictionary<string, string>(spec.Environment, StringComparer.Ordinal)
            {
                ["CONTAINERS_REGISTRIES_CONF"] = Path.Combine(directory, "registries.conf"),
            };
            var inner = await host.StartAsync(
                spec with
                {
                    Command = command,
                    Environment = environment,
                    WorkspaceDirectory = directory,
                    Build = null,
                },
                output,
                cancellationToken
            );
            return new BuildSandbox(inner, directory, network);
        }
        catch (NetworkSetupException e)
        {
            TryDelete(directory);
            throw new SandboxStartException($"build network: {e.Message}", e);
        }
        catch
        {
            if (network is not null)
                await network.DisposeAsync();
            TryDelete(directory);
            throw;
        }
    }

    public Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    ) => throw new SandboxRecoveryException("a build does not survive its agent: it is built again");

    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        await host.DestroyAsync(handle with { Driver = host.Name }, cancellationToken);
        if (handle.Optional(BuildDirectoryKey) is { } directory)
            TryDelete(directory);
    }

    private async Task<bool> ExistsAsync(ImageReference image, CancellationToken cancellationToken)
    {
        try
        {
            await registry.ResolveAsync(image, Platform.Current, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException)
        {
            // Not there (or the registry cannot say): build; the push will tell what is wrong with the registry.
            return false;
        }
    }

    private string Script(ImageBuildSpec build, string directory, ContainerNetwork? network)
    {
        var global = new[]
        {
            options.Buildah,
            "--root",
            options.StorageRoot,
            "--runroot",
            options.RunRoot,
            "--storage-driver",
            options.StorageDriver,
        };
        var bud = new List<string>(global)
        {
            "bud",
            "--isolation",
            options.Isolation,
            "--network",
            network is null ? options.Network : "ns:" + network.NamespacePath,
            "-f",
            Path.Combine(directory, "Dockerfile"),
            "-t",
            build.Image,
        };
        // The host's resolv.conf may name a loopback resolver, which the build's namespace cannot reach: containers'
        // servers.
        if (network is not null && bridge!.NameServers() is { Count: > 0 } servers)
            bud.AddRange(["--dns", string.Join(',', servers)]);
        if (options.Isolation == "oci")
            bud.AddRange(["--runtime", options.Runtime]);
        foreach (var (name, value) in build.Args.OrderBy(a => a.Key, StringComparer.Ordinal))
            bud.AddRange(["--build-arg", $"{name}={value}"]);
        if (build.Target is { } target)
            bud.AddRange(["--target", target]);
        bud.Add(Path.Combine(directory, "context"));
        var push = new List<string>(global) { "push", build.Image, "docker://" + build.Image };
        var text = new StringBuilder("set -e\n");
        var cached = string.Join(' ', bud.Select(Quote))
            .Replace(" 'bud' ", " 'bud' '--layers' ", StringComparison.Ordinal);
        var log = Quote(Path.Combine(directory, "bud.log"));
        var failed = Quote(Path.Combine(directory, "bud.failed"));
        // With the layer cache (each step an image in the store, reused while its inputs are the same); buildah 1.28
        // cannot commit a step after an ARG on a base image without history: that build goes again without the cache.
        text.Append("{ ")
            .Append(cached)
            .Append(" 2>&1 || echo $? > ")
            .Append(failed)
            .Append("; } | tee ")
            .Append(log)
            .Append('\n');
        text.Append("if [ -e ").Append(failed).Append(" ]; then\n");
        text.Append("  grep -q 'non-empty layers, but we have' ")
            .Append(log)
            .Append(" || exit \"$(cat ")
            .Append(failed)
            .Append(")\"\n");
        text.Append(
            "  echo 'hearth: the layer cache of buildah cannot build on this base image (it has no history): building without it'\n"
        );
        text.Append("  ").Append(string.Join(' ', bud.Select(Quote))).Append('\n');
        text.Append("fi\n");
        text.Append("echo \"hearth: pushing ").Append(build.Image).Append("\"\n");
        text.Append(string.Join(' ', push.Select(Quote))).Append('\n');
        return text.ToString();
    }

    /// <summary>Single-quoted for sh: nothing inside is expanded.</summary>
    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// buildah's registries for this build: short names from Docker Hub (as Docker does), and plain HTTP for loopback
    /// registries (the destination's, and those the Dockerfile's FROM lines name), as Hearth's own registry client
    /// does.
    /// </summary>
    public static string RegistriesConf(ImageReference destination, string dockerfile)
    {
        var hosts = new SortedSet<string>(StringComparer.Ordinal);
        if (IsLoopback(destination.Registry))
            hosts.Add(destination.Registry);
        foreach (var line in dockerfile.Split('\n'))
        {
            var words = line.Trim().Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || !words[0].Equals("FROM", StringComparison.OrdinalIgnoreCase))
                continue;
            var image = words.Skip(1).FirstOrDefault(w => !w.StartsWith("--", StringComparison.Ordinal));
            if (image is not null && ImageReference.TryParse(image, out var from, out _) && IsLoopback(from.Registry))
                hosts.Add(from.Registry);
        }
        var text = new StringBuilder(
            "unqualified-search-registries = [\"docker.io\"]\nshort-name-mode = \"permissive\"\n"
        );
        foreach (var host in hosts)
            text.Append("\n[[registry]]\nlocation = \"").Append(host).Append("\"\ninsecure = true\n");
        return text.ToString();
    }

    private static bool IsLoopback(string registry)
    {
        var host = registry.StartsWith('[') ? registry[..(registry.IndexOf(']') + 1)] : registry.Split(':')[0];
        return host is "localhost" or "[::1]"
            || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the scratch root's own clean-up.
        }
    }

    /// <summary>The build's process, named as the buildah driver's (so a restarted agent hands it back here).</summary>
    private sealed class BuildSandbox(ISandbox inner, string directory, ContainerNetwork? network) : ISandbox
    {
        public SandboxHandle Handle { get; } =
            inner.Handle with
            {
                Driver = Builders.Driver,
                State = new Dictionary<string, string>(inner.Handle.State) { [BuildDirectoryKey] = directory },
            };

        public int Pid => inner.Pid;

        public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => inner.WaitAsync(cancellationToken);

        public Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken) =>
            inner.StopAsync(signal, grace, cancellationToken);

        public Task SignalAsync(int signal, CancellationToken cancellationToken) =>
            inner.SignalAsync(signal, cancellationToken);

        public Task<SandboxStatus> InspectAsync(CancellationToken cancellationToken) =>
            inner.InspectAsync(cancellationToken);

        public Task<SandboxExit> ExecAsync(
            IReadOnlyList<string> command,
            ISandboxOutput output,
            CancellationToken cancellationToken
        ) => throw new SandboxCapabilityException("the buildah driver has no exec");

        public ValueTask<int> ReadOutputAsync(
            OutputStream stream,
            long offset,
            Memory<byte> buffer,
            CancellationToken cancellationToken
        ) => inner.ReadOutputAsync(stream, offset, buffer, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            if (network is not null)
                await network.DisposeAsync();
            TryDelete(directory);
        }
    }
}
