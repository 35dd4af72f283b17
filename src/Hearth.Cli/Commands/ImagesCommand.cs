using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Cli.Images;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Cli.Commands;

/// <summary>`hearth images pull|list|rm`: the OCI image store of this host (the one its agent runs images from).</summary>
public static class ImagesCommand
{
    public static Command Create()
    {
        var store = new Option<string?>("--store") { Description = "Image store directory (default: $HEARTH_IMAGES_DIR or $XDG_DATA_HOME/hearth/images)", Recursive = true };

        var pullRef = new Argument<string>("image") { Description = "Image reference, e.g. 127.0.0.1:5000/tools:1 or name@sha256:…" };
        var pull = new Command("pull", "Pull an image from its registry (progress on stderr)") { pullRef };
        pull.SetAction(async (result, ct) =>
        {
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var images = LocalImages.Open(result.GetValue(store) ?? LocalImages.DefaultRoot(), http);
            var reporter = new PullReporter();
            var image = await Guard(() => images.PullAsync(result.GetValue(pullRef)!, reporter, ct));
            reporter.Finish();
            if (result.GetValue(CommonOptions.Output) == OutputFormat.Json) Output.Json(View(image));
            else Console.Out.WriteLine(image.ManifestDigest.ToString());
            return 0;
        });

        var list = new Command("list", "List images in the store");
        list.Aliases.Add("ls");
        list.SetAction(async (result, ct) =>
        {
            using var http = new HttpClient();
            var images = await LocalImages.Open(result.GetValue(store) ?? LocalImages.DefaultRoot(), http).ListAsync(ct);
            if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
            {
                Output.Json(images.Select(View).ToList());
                return 0;
            }
            Output.Table(["REFERENCE", "DIGEST", "SIZE", "PULLED"], images.Select(i => (IReadOnlyList<string>)
            [
                i.References.Count > 0 ? string.Join(", ", i.References) : "<none>", i.ManifestDigest.ToString()[..19],
                $"{i.Size / 1024.0 / 1024.0:0.0} MB", i.PulledAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm"),
            ]));
            return 0;
        });

        var rmRef = new Argument<string>("image") { Description = "Image reference or digest" };
        var rm = new Command("rm", "Remove an image's name, then collect what no name or running sandbox uses") { rmRef };
        rm.SetAction(async (result, ct) =>
        {
            using var http = new HttpClient();
            var images = LocalImages.Open(result.GetValue(store) ?? LocalImages.DefaultRoot(), http);
            var removed = await images.RemoveAsync(result.GetValue(rmRef)!, ct);
            if (removed == 0) throw new CliException($"no image named '{result.GetValue(rmRef)}'");
            var gc = await images.CollectGarbageAsync(ct);
            Console.Error.WriteLine($"removed {removed} name(s); reclaimed {gc.ReclaimedBytes / 1024.0 / 1024.0:0.0} MB ({gc.RemovedImages.Count} image(s), {gc.RemovedBlobs} blob(s))");
            return 0;
        });

        return new Command("images", "OCI images on this host") { store, pull, list, rm };
    }

    private static object View(StoredImage image) => new
    {
        digest = image.ManifestDigest.ToString(),
        config_digest = image.ConfigDigest.ToString(),
        references = image.References,
        size = image.Size,
        pulled_at = image.PulledAt,
    };

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is RegistryException or UnsafeLayerException or HttpRequestException or FormatException or ArgumentException)
        {
            throw new CliException(e.Message);
        }
    }

    /// <summary>docker pull-style lines on stderr: one per layer as it changes phase, totals at the end.</summary>
    private sealed class PullReporter : IProgress<PullProgress>
    {
        private readonly Lock _gate = new();
        private PullProgress? _last;

        public void Report(PullProgress value)
        {
            lock (_gate)
            {
                _last = value;
                if (value.Phase == PullPhase.Downloading) return;
                var layer = value.Layer is null ? "" : value.Layer.Replace("sha256:", "")[..12] + ": ";
                Console.Error.WriteLine(value.Phase switch
                {
                    PullPhase.Resolved => $"resolved: {value.LayerCount} layer(s), {value.TotalSize / 1024.0 / 1024.0:0.0} MB",
                    PullPhase.AlreadyExists => $"{layer}already exists",
                    PullPhase.Waiting => $"{layer}waiting for another pull",
                    PullPhase.Downloaded => $"{layer}downloaded {value.LayerBytes / 1024.0 / 1024.0:0.0} MB ({value.LayersDone}/{value.LayerCount})",
                    PullPhase.Extracting => $"{layer}extracting",
                    _ => "complete",
                });
            }
        }

        public void Finish()
        {
            lock (_gate)
            {
                if (_last is { } last) Console.Error.WriteLine($"pulled {last.TotalBytes / 1024.0 / 1024.0:0.0} MB in {last.LayerCount} layer(s)");
            }
        }
    }
}
