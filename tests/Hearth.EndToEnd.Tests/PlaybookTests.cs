namespace Hearth.EndToEnd.Tests;

/// <summary>
/// hearth playbook list|show|run from files in the user's playbook directory, with overrides; malformed files refused
/// with file:line.
/// </summary>
public abstract class PlaybookTests(ClusterFixture fixture)
{
    private HearthCluster Cluster => fixture.Cluster;

    private string Directory
    {
        get
        {
            var path = Path.Combine(Cluster.ClientEnv["XDG_CONFIG_HOME"], "hearth", "playbooks");
            System.IO.Directory.CreateDirectory(path);
            return path;
        }
    }

    [Fact]
    public async Task A_playbook_runs_its_commands_in_order_with_its_env_and_the_overrides_win()
    {
        await File.WriteAllTextAsync(
            Path.Combine(Directory, "greet.yaml"),
            """
            description: Say hello twice
            env:
              GREETING: hello
              WHO: world
            commands:
              - echo "$GREETING $WHO"
              - echo second
            """
        );
        var list = await Cluster.CliAsync("playbook", "list");
        Assert.Contains("greet", list.Stdout);
        Assert.Contains("Say hello twice", list.Stdout);
        var show = await Cluster.CliAsync("playbook", "show", "greet");
        Assert.Contains("echo second", show.Stdout);

        var run = await Cluster.CliAsync("playbook", "run", "greet", "--driver", "process");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal("hello world\nsecond\n", run.Stdout);

        var overridden = await Cluster.CliAsync(
            "playbook",
            "run",
            "greet",
            "--driver",
            "process",
            "--env",
            "WHO=hearth"
        );
        Assert.Equal("hello hearth\nsecond\n", overridden.Stdout);
    }

    [Fact]
    public async Task A_failing_command_stops_the_chain_and_its_code_is_the_exit_code()
    {
        await File.WriteAllTextAsync(
            Path.Combine(Directory, "stops.yml"),
            "commands:\n  - echo before\n  - exit 4\n  - echo never\n"
        );
        var run = await Cluster.CliAsync("playbook", "run", "stops", "--driver", "process");
        Assert.Equal(4, run.ExitCode);
        Assert.Equal("before\n", run.Stdout);
    }

    [Fact]
    public async Task A_playbook_lock_is_taken_and_its_token_reaches_the_command()
    {
        var name = "pb-" + Guid.NewGuid().ToString("N")[..6];
        await File.WriteAllTextAsync(
            Path.Combine(Directory, "locked.yaml"),
            $"lock: {name}\ncommands:\n  - echo token=$HEARTH_LOCK_TOKEN_{name.ToUpperInvariant().Replace('-', '_')}\n"
        );
        var run = await Cluster.CliAsync("playbook", "run", "locked", "--driver", "process");
        Assert.Equal("token=1\n", run.Stdout);
    }

    [Fact]
    public async Task Malformed_playbooks_are_refused_with_file_line_and_key()
    {
        var unknown = Path.Combine(Directory, "typo.yaml");
        await File.WriteAllTextAsync(unknown, "description: typo\ncomands:\n  - echo hi\n");
        var refused = await Cluster.CliAsync("playbook", "run", "typo");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"{unknown}:2: comands: unknown key", refused.Stderr);

        var empty = Path.Combine(Directory, "empty.yaml");
        await File.WriteAllTextAsync(empty, "description: nothing\ncommands: []\n");
        var emptyRefused = await Cluster.CliAsync("playbook", "show", "empty");
        Assert.Contains($"{empty}:2: commands: expected a non-empty list", emptyRefused.Stderr);

        var wrongShape = Path.Combine(Directory, "shape.yaml");
        await File.WriteAllTextAsync(wrongShape, "commands:\n  - true\nenv:\n  - A=1\n");
        Assert.Contains(
            $"{wrongShape}:4: env: expected a mapping",
            (await Cluster.CliAsync("playbook", "show", "shape")).Stderr
        );

        var missing = await Cluster.CliAsync("playbook", "run", "does-not-exist");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no playbook 'does-not-exist'", missing.Stderr);
        File.Delete(unknown);
        File.Delete(empty);
        File.Delete(wrongShape);
    }
}

public sealed class SqlitePlaybookTests(SqliteClusterFixture fixture)
    : PlaybookTests(fixture),
        IClassFixture<SqliteClusterFixture>;

public sealed class PostgresPlaybookTests(PostgresClusterFixture fixture)
    : PlaybookTests(fixture),
        IClassFixture<PostgresClusterFixture>;
