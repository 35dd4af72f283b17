using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Cli.Images;
using Hearth.Core.Api;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Cli.Commands;

/// <summary>
/// `hearth images pull|list|rm`: the OCI image store of this host (the one its agent runs images from).
/// </summary>
public static class ImagesCommand
{
    public static Command Create()
    {
        var store = new Option<string?>("--store")
        {
            Description = "Image store directory (default: $HEARTH_IMAGES_DIR or $XDG_DATA_HOME/hearth/images)",
            Recursive = true,
        };

        var pullRef = new Argument<string>("image")
        {
            Description = "Image reference, e.g. 127.0.0.1:5000/tools:1 or name@sha256:…",
        };
        // Unpacked for the range this host's agent runs containers in (the same default), so its first run need not
        // unpack again.
        var userns = OciUserNamespaceOption.Create();
        var pull = new Command("pull", "Pull an image from its registry (progress on stderr)") { pullRef, userns };
        pull.SetAction(
            async (result, ct) =>
            {
                var ids = OciUserNamespaceOption.Resolve(result.GetValue(userns)!);
                using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                var images = LocalImages.Open(result.GetValue(store) ?? LocalImages.DefaultRoot(), http);
                var reporter = new PullReporter();
                var image = await Guard(() => images.PullAsync(result.GetValue(pullRef)!, ids, reporter, ct));
                reporter.Finish();
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(LocalImageView.From(image));
                else
                    Console.Out.WriteLine(image.ManifestDigest.ToString());
                return 0;
            }
        );

        var list = new Command("list", "List images in the store");
        list.Aliases.Add("ls");
        list.SetAction(
            async (result, ct) =>
            {
                using var http = new HttpClient();
                var images = await LocalImages
                    .Open(result.GetValue(store) ?? LocalImages.DefaultRoot(), http)
                    .ListAsync(ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(new LocalImageListView(images.Select(LocalImageView.From).ToList()));
                    return 0;
                }
                Output.Table(
                    ["REFERENCE", "DIGEST", "SIZE", "PULLED"],
                    images.Select(i =>
                        (IReadOnlyList<string>)
                            [
                                i.References.Count > 0 ? string.Join(", ", i.References) : "<none>",
                                i.ManifestDigest.ToString()[..19],
                                $"{i.Size / 1024.0 / 1024.0:0.0} MB",
                                i.PulledAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm"),
                            ]
                    )
                );
                return 0;
            }
        );

        var rmRef = new Argument<string>("image") { Description = "Image reference or digest" };
        var rm = new Command("rm", "Remove an image's name, then collect what no name or running sandbox uses")
        {
            rmRef,
        };
        rm.SetAction(
            async (result, ct) =>
            {
                var reference = result.GetValue(rmRef)!;
                if (
                    !reference.StartsWith("sha256:", StringComparison.Ordinal)
                    && Core.Names.Names.ImageReference.Problem(reference) is { } problem
                )
                    throw new CliException($"image: {problem}", 2);
                using var http = new HttpClient();
                var images = LocalImages.Open(result.GetValue(store) ?? LocalImages.DefaultRoot(), http);
                var removed = await Guard(() => images.RemoveAsync(reference, ct));
                if (removed == 0)
                    throw new CliException($"no image named '{result.GetValue(rmRef)}'");
                var gc = await images.CollectGarbageAsync(ct);
                Console.Error.WriteLine(
                    $"removed {removed} name(s); reclaimed {gc.ReclaimedBytes / 1024.0 / 1024.0:0.0} MB ({gc.RemovedImages.Count} image(s), {gc.RemovedBlobs} blob(s))"
                );
                return 0;
            }
        );

        return new Command(
            "images",
            "OCI images: this host's store (pull, list, rm) and the server's registered images (register, registered, unregister)"
        )
        {
            store,
            pull,
            list,
            rm,
            Register(),
            Registered(),
            Unregister(),
        };
    }

    private static Command Register()
    {
        var image = new Argument<string>("image") { Description = "Image reference" };
        var cpus = new Option<double?>("--cpu", "--cpus")
        {
            Description = "CPU cores a run in this image gets unless it asks",
        };
        var memory = new Option<string?>("--memory", "-m")
        {
            Description = "Memory a run in this image gets unless it asks (e.g. 512M)",
        };
        var isDefault = new Option<bool>("--default")
        {
            Description = "Runs that name no image (and no host driver) run in this one",
        };
        var command = new Command(
            "register",
            "Register an image with the CPU and memory its runs get (runvoy's images register)"
        )
        {
            image,
            cpus,
            memory,
            isDefault,
        };
        command.SetAction(
            async (result, ct) =>
            {
                long? bytes = null;
                if (result.GetValue(memory) is { } text)
                    bytes = Core.ByteSizes.TryParse(text, out var b)
                        ? b
                        : throw new CliException($"--memory '{text}': expected a size such as 512M or 1G", 2);
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<RegisteredImageView>(
                    HttpMethod.Post,
                    "api/v1/images",
                    new RegisterImageBody(
                        result.GetValue(image),
                        result.GetValue(cpus),
                        bytes,
                        result.GetValue(isDefault)
                    ),
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    Console.Error.WriteLine($"hearth: registered {view.Image}{(view.Default ? " (default)" : "")}");
                return 0;
            }
        );
        return command;
    }

    private static Command Registered()
    {
        var command = new Command("registered", "List the server's registered images");
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<RegisteredImageListView>(
                    HttpMethod.Get,
                    "api/v1/images",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["IMAGE", "CPUS", "MEMORY", "DEFAULT", "REGISTERED BY"],
                    list.Images.Select(i =>
                        (IReadOnlyList<string>)
                            [
                                i.Image,
                                i.Cpus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                                i.MemoryBytes is { } m ? $"{m / 1024 / 1024}M" : "-",
                                i.Default ? "yes" : "",
                                i.RegisteredBy,
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Unregister()
    {
        var image = new Argument<string>("image") { Description = "Image reference" };
        var command = new Command("unregister", "Remove an image's registration (the image itself stays on agents)")
        {
            image,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                await client.SendJsonAsync<System.Text.Json.JsonElement>(
                    HttpMethod.Delete,
                    $"api/v1/images/{result.GetValue(image)}",
                    null,
                    ct
                );
                Console.Error.WriteLine($"hearth: unregistered {result.GetValue(image)}");
                return 0;
            }
        );
        return command;
    }

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e)
            when (e
                    is RegistryException
                        or UnsafeLayerException
                        or HttpRequestException
                        or FormatException
                        or ArgumentException
                        or InvalidOperationException
            )
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
                if (PullLines.Describe(value) is { } line)
                    Console.Error.WriteLine(line);
            }
        }

        public void Finish()
        {
            lock (_gate)
            {
                if (_last is { } last)
                    Console.Error.WriteLine(PullLines.Summary(last));
            }
        }
    }
}
