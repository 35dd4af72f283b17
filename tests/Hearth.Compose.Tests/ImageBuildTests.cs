using Hearth.Compose.Deployment;
using Hearth.Core.Placement;
using Hearth.Core.Services;

namespace Hearth.Compose.Tests;

/// <summary>
/// `build:` services as `hearth up` prepares them: the context packed the same way every time, the image tagged by what
/// makes it, the project's registry, and what cannot be built refused naming the service and key.
/// </summary>
public sealed class ImageBuildTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-build-tests").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private ComposeLoadResult LoadCompose(string compose)
    {
        var file = Write("compose.yaml", compose);
        var result = ComposeLoader.Load(
            new ComposeLoadOptions { Files = [file], Environment = new Dictionary<string, string>() }
        );
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result;
    }

    [Fact]
    public void A_context_packs_to_the_same_digest_whatever_its_times_and_changes_with_its_content()
    {
        Write("app/Dockerfile", "FROM busybox\n");
        Write("app/src/main.sh", "echo hi\n");
        var first = ContextArchive.Pack(Path.Combine(_dir, "app"));
        File.SetLastWriteTimeUtc(
            Path.Combine(_dir, "app/src/main.sh"),
            new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc)
        );
        var touched = ContextArchive.Pack(Path.Combine(_dir, "app"));
        Assert.Equal(first.Digest, touched.Digest);
        Assert.Equal(first.Compressed, touched.Compressed);
        Assert.Equal(2, first.Files);
        // No time in the archive but the epoch as every mtime: ustar entries carry no access or change time (a PAX
        // header's would be the time of packing, and the tag would change from one `up` to the next).
        Assert.All(Archived(first), e =>
            Assert.Equal((System.Formats.Tar.TarEntryFormat.Ustar, DateTimeOffset.UnixEpoch), e)
        );

        Write("app/src/main.sh", "echo ho\n");
        Assert.NotEqual(first.Digest, ContextArchive.Pack(Path.Combine(_dir, "app")).Digest);
    }

    [Fact]
    public void Dockerignore_leaves_files_out_and_a_negated_line_takes_one_back()
    {
        Write("app/.dockerignore", "# build output\nnode_modules\n**/*.log\n!keep.log\n");
        Write("app/Dockerfile", "FROM busybox\n");
        Write("app/node_modules/x/index.js", "x");
        Write("app/logs/a.log", "a");
        Write("app/keep.log", "k");
        Write("app/main.sh", "m");
        var packed = ContextArchive.Pack(Path.Combine(_dir, "app"));
        var names = Entries(packed);
        Assert.Contains("keep.log", names);
        Assert.Contains("main.sh", names);
        Assert.Contains("Dockerfile", names);
        Assert.DoesNotContain(names, n => n.StartsWith("node_modules", StringComparison.Ordinal));
        Assert.DoesNotContain("logs/a.log", names);
    }

    private static List<(System.Formats.Tar.TarEntryFormat, DateTimeOffset)> Archived(ContextArchive archive)
    {
        using var gzip = new System.IO.Compression.GZipStream(
            new MemoryStream(archive.Compressed),
            System.IO.Compression.CompressionMode.Decompress
        );
        using var reader = new System.Formats.Tar.TarReader(gzip);
        var entries = new List<(System.Formats.Tar.TarEntryFormat, DateTimeOffset)>();
        while (reader.GetNextEntry() is { } entry)
            entries.Add((entry.Format, entry.ModificationTime));
        return entries;
    }

    private static List<string> Entries(ContextArchive archive)
    {
        using var gzip = new System.IO.Compression.GZipStream(
            new MemoryStream(archive.Compressed),
            System.IO.Compression.CompressionMode.Decompress
        );
        using var reader = new System.Formats.Tar.TarReader(gzip);
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry)
            names.Add(entry.Name.TrimEnd('/'));
        return names;
    }

    [Fact]
    public void A_build_service_gets_an_image_in_the_project_registry_tagged_by_its_content_and_the_flag_wins()
    {
        Write("web/Dockerfile", "FROM 127.0.0.1:5000/busybox:1\nCOPY . /srv\n");
        Write("web/index.html", "hello");
        var loaded = LoadCompose(
            """
            name: shop
            x-hearth:
              registry: 127.0.0.1:5000/team
            services:
              web:
                build:
                  context: ./web
                  args: { MODE: prod }
              cache: { image: redis }
            """
        );
        var (builds, errors) = ImageBuilds.Plan(loaded.Project!, ImageBuilds.RegistryOf(loaded.Project!, null));
        Assert.Empty(errors);
        var web = Assert.Single(builds);
        Assert.Matches("^127\\.0\\.0\\.1:5000/team/shop/web:c[0-9a-f]{32}$", web.Image);
        Assert.Equal("FROM 127.0.0.1:5000/busybox:1\nCOPY . /srv\n", web.Dockerfile);
        Assert.Equal("prod", web.Args["MODE"]);

        // The same files give the same tag; another argument, another tag.
        Assert.Equal(web.Image, ImageBuilds.Plan(loaded.Project!, "127.0.0.1:5000/team").Builds.Single().Image);
        var other = ImageBuilds.Tag(
            web.Context,
            web.Dockerfile,
            new Dictionary<string, string> { ["MODE"] = "dev" },
            null
        );
        Assert.NotEqual(web.Image.Split(':')[^1], other);
        Assert.Equal("localhost:5001", ImageBuilds.RegistryOf(loaded.Project!, "localhost:5001/"));

        var (spec, specErrors) = ProjectSpecBuilder.Build(
            loaded.Project!,
            _ => null,
            _ => null,
            "compose.yaml",
            builds.ToDictionary(b => b.Service, b => b.Image)
        );
        Assert.Empty(specErrors);
        Assert.Equal(web.Image, spec!.Services.Single(s => s.Name == "web").Image);
        Assert.Equal("redis", spec.Services.Single(s => s.Name == "cache").Image);
    }

    [Fact]
    public void Inline_dockerfiles_and_dockerfiles_elsewhere_are_read()
    {
        Write("ctx/a.txt", "a");
        Write("files/Build.df", "FROM busybox\nCOPY a.txt /\n");
        var loaded = LoadCompose(
            """
            services:
              one: { build: { context: ./ctx, dockerfile: ../files/Build.df } }
              two: { build: { context: ./ctx, dockerfile_inline: "FROM busybox\n" } }
            """
        );
        var builds = ImageBuilds.Plan(loaded.Project!, "reg.example").Builds.ToDictionary(b => b.Service);
        Assert.Equal("FROM busybox\nCOPY a.txt /\n", builds["one"].Dockerfile);
        Assert.Equal("FROM busybox\n", builds["two"].Dockerfile);
        Assert.NotEqual(builds["one"].Image.Split(':')[^1], builds["two"].Image.Split(':')[^1]);
    }

    [Fact]
    public void What_cannot_be_built_is_refused_naming_the_service_and_key()
    {
        Write("ok/Dockerfile", "FROM busybox\n");
        Write("nodf/readme", "x");
        var loaded = LoadCompose(
            """
            services:
              remote: { build: "https://github.com/example/app.git#main" }
              missing: { build: ./not-here }
              nodockerfile: { build: ./nodf }
              ssh: { build: { context: ./ok, ssh: [default] } }
            """
        );
        var (_, errors) = ImageBuilds.Plan(loaded.Project!, "reg.example");
        var byPath = errors.ToDictionary(e => e.Path, e => e.Message);
        Assert.Equal(
            [
                "services.missing.build.context",
                "services.nodockerfile.build.dockerfile",
                "services.remote.build.context",
                "services.ssh.build.ssh",
            ],
            byPath.Keys.Order(StringComparer.Ordinal)
        );
        Assert.Contains("no such directory", byPath["services.missing.build.context"]);
        Assert.Contains("only a local directory", byPath["services.remote.build.context"]);

        var (_, noRegistry) = ImageBuilds.Plan(LoadCompose("services:\n  app: { build: ./ok }\n").Project!, null);
        Assert.Equal("services.app.build", Assert.Single(noRegistry).Path);
        Assert.Contains("--registry", noRegistry[0].Message);
    }

    /// <summary>Every valid fixture with a build: service.</summary>
    public static TheoryData<string> WithBuild =>
        Fixtures.Theory(
            Fixtures
                .ValidFiles()
                .Where(f => !Fixtures.SchemaOnly.Contains(Fixtures.Relative(f)))
                .Where(f =>
                    FixtureTests.Load(Fixtures.Relative(f), resolveEnvFiles: false) is { Success: true } r
                    && r.Project!.Services.Values.Any(s => s.Build is not null)
                )
        );

    [Fact]
    public void Fixtures_with_builds_are_found()
    {
        Assert.True(WithBuild.Count >= 5, $"{WithBuild.Count} fixtures with build:");
    }

    [Theory]
    [MemberData(nameof(WithBuild))]
    public void A_fixture_with_builds_reaches_the_first_plan_or_is_refused_naming_a_build_key(string file)
    {
        var loaded = FixtureTests.Load(file, resolveEnvFiles: false);
        var (builds, errors) = ImageBuilds.Plan(loaded.Project!, "127.0.0.1:5000");
        // The fixtures came without their build contexts: a refusal must name a service's build key and say why.
        Assert.All(errors, e => Assert.Matches("^services\\.[^.]+\\.build(\\.[a-z_]+)?$", e.Path));
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
        if (errors.Count > 0)
            return;
        var directory = Path.GetDirectoryName(Path.Combine(Fixtures.ComposeDirectory, file))!;
        var (spec, specErrors) = ProjectSpecBuilder.Build(
            loaded.Project!,
            path =>
                File.Exists(Path.Combine(directory, path))
                    ? File.ReadAllText(Path.Combine(directory, path))
                    : "(not copied)",
            _ => "from-env",
            file,
            builds.ToDictionary(b => b.Service, b => b.Image)
        );
        Assert.True(specErrors.Count == 0, string.Join("\n", specErrors));
        var now = DateTimeOffset.UnixEpoch;
        var labels = new Dictionary<string, string> { ["driver.oci"] = "true" };
        var agent = new AgentSnapshot(
            "a",
            "a",
            AgentStatus.Online,
            labels,
            AgentSnapshot.DriversFromLabels(labels),
            64,
            0,
            now
        );
        var plan = ServiceReconciler.Plan(new ServiceSnapshot(spec!, false, [], [agent], now));
        foreach (var service in spec!.Services)
        {
            foreach (var index in Enumerable.Range(1, service.Replicas))
                Assert.Contains(plan.Actions, a => a.Name == $"{service.Name}-{index}");
        }
    }
}
