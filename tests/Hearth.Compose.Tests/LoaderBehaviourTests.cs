using Hearth.Compose.Model;

namespace Hearth.Compose.Tests;

public class LoaderBehaviourTests
{
    [Fact]
    public void Port_short_syntax_expands_ranges_and_keeps_host_ip()
    {
        var ports = FixtureTests
            .Load("compose-go/full-example.yml", resolveEnvFiles: false)
            .Project!.Services["foo"]
            .Ports;
        Assert.Contains(new ServicePort(8080, "9090", null, "tcp", "ingress", null, null), ports);
        Assert.Contains(new ServicePort(8081, "9091", null, "tcp", "ingress", null, null), ports);
        Assert.Contains(new ServicePort(5010, "5010", "127.0.0.1", "tcp", "ingress", null, null), ports);
        Assert.Equal(5, ports.Count(p => p.Target is >= 3001 and <= 3005 && p.Published is null));
    }

    [Fact]
    public void Dotenv_process_environment_and_env_file_combine_with_the_right_precedence()
    {
        var project = InMemory.Project(
            """
            services:
              app:
                image: "alpine:${TAG}"
                env_file: app.env
                environment:
                  FROM_SERVICE: yes-${WHO}
                  FROM_FILE: overridden
                  PASSED_THROUGH:
            """,
            new()
            {
                ["/project/.env"] = "TAG=3.19\nWHO=dotenv\n",
                ["/project/app.env"] = "FROM_FILE=file\nONLY_FILE=${WHO}\n",
            },
            env: new() { ["WHO"] = "process", ["PASSED_THROUGH"] = "p" }
        );
        var app = project.Services["app"];
        Assert.Equal("alpine:3.19", app.Image);
        Assert.Equal("yes-process", app.Environment["FROM_SERVICE"]);
        Assert.Equal("overridden", app.Environment["FROM_FILE"]);
        Assert.Equal("process", app.Environment["ONLY_FILE"]);
        Assert.Equal("p", app.Environment["PASSED_THROUGH"]);
    }

    [Fact]
    public void Extends_across_files_merges_and_resolves_paths_from_the_base_file()
    {
        var project = FixtureTests.Load("docker-compose/TestPublishWithExtends/compose.yaml").Project!;
        Assert.Equal("bar", project.Services["test"].Image);

        var local = InMemory.Project(
            """
            services:
              base: {image: base, environment: [A=1, B=2], ports: ["80"]}
              child:
                extends: base
                environment: {B: three}
              grandchild:
                extends: {file: other/more.yaml, service: remote}
            """,
            new() { ["/project/other/more.yaml"] = "services:\n  remote:\n    build: ./ctx\n" }
        );
        Assert.Equal("base", local.Services["child"].Image);
        Assert.Equal("1", local.Services["child"].Environment["A"]);
        Assert.Equal("three", local.Services["child"].Environment["B"]);
        Assert.Equal("/project/other/ctx", local.Services["grandchild"].Build!.Context);
    }

    [Fact]
    public void Extends_cycle_and_unknown_base_are_refused()
    {
        var cycle = InMemory.Load("services:\n  a: {image: x, extends: b}\n  b: {image: y, extends: a}\n");
        Assert.Contains(cycle.Errors, e => e.Message.Contains("extends cycle detected"));
        var unknown = InMemory.Load("services:\n  a: {image: x, extends: nope}\n");
        Assert.Equal("services.a.extends", Assert.Single(unknown.Errors).Path);
    }

    [Fact]
    public void Include_brings_in_services_and_keeps_local_definitions()
    {
        var project = InMemory.Project(
            """
            include:
              - lib/db.yaml
            services:
              web: {image: web, depends_on: [db]}
            """,
            new() { ["/project/lib/db.yaml"] = "services:\n  db: {image: postgres}\nvolumes:\n  data: {}\n" }
        );
        Assert.Equal("postgres", project.Services["db"].Image);
        Assert.True(project.Volumes.ContainsKey("data"));
    }

    [Fact]
    public void Profiles_enable_services()
    {
        const string file = "services:\n  a: {image: a}\n  b: {image: b, profiles: [debug]}\n";
        Assert.Equal(["a"], InMemory.Project(file).Services.Keys);
        Assert.Equal(["a", "b"], InMemory.Project(file, profiles: ["debug"]).Services.Keys);
        Assert.Equal(["a", "b"], InMemory.Project(file, env: new() { ["COMPOSE_PROFILES"] = "x,debug" }).Services.Keys);
    }

    [Fact]
    public void Later_files_override_earlier_ones()
    {
        var result = ComposeLoader.Load(
            new ComposeLoadOptions
            {
                Files = ["a.yaml", "b.yaml"],
                WorkingDirectory = "/p",
                FileSystem = new Loading.InMemoryComposeFileSystem(
                    new Dictionary<string, string>
                    {
                        ["/p/a.yaml"] = "services:\n  web: {image: one, command: a b, labels: [x=1], ports: ['80']}\n",
                        ["/p/b.yaml"] =
                            "services:\n  web: {image: two, command: [c], labels: {y: '2'}, ports: ['81']}\n",
                    }
                ),
            }
        );
        var web = result.Project!.Services["web"];
        Assert.Equal("two", web.Image);
        Assert.Equal(["c"], web.Command!.Value.ToArray());
        Assert.Equal(2, web.Labels.Count);
        Assert.Equal(2, web.Ports.Length);
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_are_resolved()
    {
        var project = InMemory.Project(
            """
            x-common: &common
              image: busybox
              environment: {A: "1"}
            services:
              one:
                <<: *common
                command: ["true"]
              two:
                <<: *common
                image: alpine
            """
        );
        Assert.Equal("busybox", project.Services["one"].Image);
        Assert.Equal("alpine", project.Services["two"].Image);
        Assert.Equal("1", project.Services["two"].Environment["A"]);
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: x\n    ports: ['80:80', 'nope']\n", "services.web.ports[1]", 4, 22)]
    [InlineData("services:\n  web:\n    image: x\n    restart: sometimes\n", "services.web.restart", 4, 14)]
    [InlineData("services:\n  web:\n    image: x\n    networks: [missing]\n", "services.web.networks", 4, 15)]
    [InlineData("services:\n  web:\n    image: ${X:?set X}\n", "services.web.image", 3, 12)]
    [InlineData(
        "services:\n  web:\n    image: x\n    healthcheck: {interval: often}\n",
        "services.web.healthcheck.interval",
        4,
        29
    )]
    [InlineData(
        "services:\n  web:\n    image: x\n    x-hearth: {constraints: [zone]}\n",
        "services.web.x-hearth.constraints",
        4,
        29
    )]
    public void Errors_name_file_line_column_and_key_path(string compose, string path, int line, int column)
    {
        var error = Assert.Single(InMemory.Load(compose).Errors);
        Assert.Equal("/project/compose.yaml", error.File);
        Assert.Equal(path, error.Path);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void Hearth_extension_is_bound()
    {
        var hearth = InMemory
            .Project(
                """
                services:
                  web:
                    image: x
                    x-hearth:
                      constraints: ["zone==eu", "arch!=arm64"]
                      scale: {min: 1, max: 4}
                      max_per_agent: 1
                """
            )
            .Services["web"]
            .Hearth!;
        Assert.Equal(["zone==eu", "arch!=arm64"], hearth.Constraints.ToArray());
        Assert.Equal((1L, 4L, 1L), (hearth.MinReplicas!.Value, hearth.MaxReplicas!.Value, hearth.MaxPerAgent!.Value));
        Assert.True(
            PlacementConstraint.TryParse("zone==eu", out var c)
                && c.Matches(new Dictionary<string, string> { ["zone"] = "eu" })
        );
    }

    [Fact]
    public void Alias_bomb_is_refused()
    {
        var bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
        for (var i = 1; i < 9; i++)
            bomb +=
                $"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(",", Enumerable.Repeat("*" + (char)('a' + i - 1), 10))}]\n";
        var error = Assert.Single(InMemory.Load(bomb).Errors);
        Assert.Contains("too many nodes", error.Message);
    }
}
