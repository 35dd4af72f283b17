// Times a full `oci` driver run of `true` (start, wait, dispose: overlay mount, bundle, runc run --keep,
// delete, unmount) against a bare `runc run` of the same runtime spec and image rootfs.
// USERNS: off (default), auto or BASE:SIZE, the agent's --oci-userns; with a range it also times unpacking the
// stored image for that range (what the first run in a new range pays).
// Usage: Hearth.Oci.Bench IMAGE_REF [ITERATIONS] [RUNTIME] [USERNS]
using System.Diagnostics;
using System.Text.Json.Nodes;
using Hearth.Sandbox;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Runtime;

var image = args[0];
var iterations = args.Length > 1 ? int.Parse(args[1]) : 30;
var runtime = args.Length > 2 ? args[2] : "runc";
var userns = UserNamespaceSelector.Select(args.Length > 3 ? args[3] : UserNamespaceSelector.Off);
var work = Directory.CreateTempSubdirectory("hearth-oci-bench").FullName;

// The bare run's bundle and rootfs are in here; a container's root in a user namespace must be able to walk to them.
if (userns is not null)
    File.SetUnixFileMode(work, (UnixFileMode)0b111_001_001);
try
{
    var store = new ImageStore(
        new ImageStoreOptions { RootDirectory = Path.Combine(work, "store") },
        new RegistryClient(
            new HttpClient(),
            new RegistryClientOptions(),
            new AnonymousCredentials(),
            TimeProvider.System
        ),
        TimeProvider.System
    );
    var state = Path.Combine(work, "state");
    var driver = new OciDriver(
        new OciDriverOptions
        {
            Runtime = runtime,
            StateRoot = state,
            UserNamespace = userns,
        },
        store,
        TimeProvider.System
    );
    var pullClock = Stopwatch.StartNew();
    var stored = await store.PullAsync(image, null, CancellationToken.None);
    var pullTime = pullClock.Elapsed.TotalMilliseconds;
    if (userns is not null)
    {
        var unpackClock = Stopwatch.StartNew();
        stored = await store.GetAsync(image, ImagePullPolicy.Never, userns, null, CancellationToken.None);
        Console.WriteLine(
            $"| pull + unpack (unshifted), then unpack for {userns} from stored blobs | 1 | {pullTime:F1} then {unpackClock.Elapsed.TotalMilliseconds:F1} | | |"
        );
    }
    var output = new NullOutput();
    var n = 0;
    SandboxSpec Spec(params string[] command) =>
        new()
        {
            SandboxId = $"bench-{n++}",
            Image = image,
            Command = command,
            ScratchRoot = Path.Combine(work, "scratch", n.ToString()),
        };

    async Task<double> DriverRunAsync()
    {
        var clock = Stopwatch.StartNew();
        await using (var sandbox = await driver.StartAsync(Spec("true"), output, CancellationToken.None))
        {
            var exit = await sandbox.WaitAsync(CancellationToken.None);
            if (exit.ExitCode != 0)
                throw new InvalidOperationException($"driver run exited {exit.ExitCode}");
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    // Capture the spec the driver writes, then point it at the image rootfs directly.
    JsonObject spec;
    var probe = Spec("sleep", "30");
    await using (var sandbox = await driver.StartAsync(probe, output, CancellationToken.None))
    {
        spec = JsonNode
            .Parse(
                await File.ReadAllTextAsync(Path.Combine(probe.ScratchRoot, probe.SandboxId, "bundle", "config.json"))
            )!
            .AsObject();
    }
    spec["process"]!["args"] = new JsonArray("true");
    spec["root"] = new JsonObject { ["path"] = stored.RootfsPath, ["readonly"] = true };
    var bundle = Path.Combine(work, "bare-bundle");
    Directory.CreateDirectory(bundle);

    async Task<double> BareRunAsync()
    {
        var id = $"bare-{n++}";
        spec["linux"]!["cgroupsPath"] = $"/hearth-bench/{id}";
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString());
        var clock = Stopwatch.StartNew();
        var start = new ProcessStartInfo(runtime)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in new[] { "--root", state, "run", "--bundle", bundle, id })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stdout;
        var error = await stderr;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"bare {runtime} run exited {process.ExitCode}: {error}");
        return clock.Elapsed.TotalMilliseconds;
    }

    for (var i = 0; i < 3; i++)
    {
        await DriverRunAsync();
        await BareRunAsync();
    }
    var driverTimes = new List<double>();
    var bareTimes = new List<double>();
    for (var i = 0; i < iterations; i++)
    {
        // Interleaved, so both see the same machine load.
        driverTimes.Add(await DriverRunAsync());
        bareTimes.Add(await BareRunAsync());
    }
    var mode = userns is null ? "" : $", userns {userns}";
    Console.WriteLine(
        $"| oci driver (`{runtime}`{mode}), `true` | {iterations} | {Median(driverTimes):F1} | {P95(driverTimes):F1} | {driverTimes.Average():F1} |"
    );
    Console.WriteLine(
        $"| bare `{runtime} run`, same spec and rootfs{mode} | {iterations} | {Median(bareTimes):F1} | {P95(bareTimes):F1} | {bareTimes.Average():F1} |"
    );
}
finally
{
    Directory.Delete(work, recursive: true);
}

static double Median(List<double> values) => Percentile(values, 0.5);

static double P95(List<double> values) => Percentile(values, 0.95);

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    var rank = p * (sorted.Count - 1);
    var low = (int)Math.Floor(rank);
    var high = (int)Math.Ceiling(rank);
    return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

internal sealed class NullOutput : ISandboxOutput
{
    public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
