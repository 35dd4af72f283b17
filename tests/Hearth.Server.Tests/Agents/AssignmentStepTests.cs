using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Agents.Assignments;
using Hearth.Server.Secrets;
using Hearth.Store.Locks;

namespace Hearth.Server.Tests.Agents;

/// <summary>Each step that completes an assignment, alone, over a real store and real secrets.</summary>
public sealed class AssignmentStepTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private SecretsStep Secrets => new(_server.Service<SecretService>());

    [Fact]
    public async Task Secrets_puts_each_named_secret_under_its_variable()
    {
        await Granted.CreateSecretAsync(_server, "db", "s3cret-db", "DB_PASSWORD");
        await Granted.CreateSecretAsync(_server, "api", "s3cret-api", "API_TOKEN");
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"], Secrets = ["db", "api"] });

        var outcome = await Secrets.ApplyAsync(
            new AssignmentDraft(await Granted.ClaimAsync(_server)),
            CancellationToken.None
        );

        Assert.Equal(
            new Dictionary<string, string> { ["DB_PASSWORD"] = "s3cret-db", ["API_TOKEN"] = "s3cret-api" },
            outcome.Draft!.SecretEnv
        );
        Assert.Equal(["s3cret-db", "s3cret-api"], outcome.Draft.SecretValues);
    }

    [Fact]
    public async Task Secrets_leaves_a_task_without_secrets_as_it_is()
    {
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var draft = new AssignmentDraft(await Granted.ClaimAsync(_server));

        var outcome = await Secrets.ApplyAsync(draft, CancellationToken.None);

        Assert.Same(draft, outcome.Draft);
    }

    [Fact]
    public async Task Secrets_fails_on_a_secret_deleted_since_the_run_was_accepted()
    {
        await Granted.CreateSecretAsync(_server, "db", "s3cret-db", "DB_PASSWORD");
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"], Secrets = ["db"] });
        await _server.Client(_server.AdminKey).DeleteAsync("api/v1/secrets/db");

        var outcome = await Secrets.ApplyAsync(
            new AssignmentDraft(await Granted.ClaimAsync(_server)),
            CancellationToken.None
        );

        Assert.Equal("secret 'db' no longer exists", outcome.Failure);
    }

    [Fact]
    public async Task Git_credentials_carry_the_secret_for_the_checkout_only()
    {
        await Granted.CreateSecretAsync(_server, "forge", "user:t0ken", "FORGE");
        await Granted.CreateRunAsync(
            _server,
            new CreateRunBody
            {
                Command = ["make"],
                GitRepo = "https://git.example.com/team/app",
                GitSecret = "forge",
            }
        );
        var step = new GitCredentialsStep(_server.Service<SecretService>());

        var outcome = await step.ApplyAsync(
            new AssignmentDraft(await Granted.ClaimAsync(_server)),
            CancellationToken.None
        );

        Assert.Equal("user:t0ken", outcome.Draft!.GitCredentials);
        Assert.Empty(outcome.Draft.SecretEnv);
        Assert.Equal(["user:t0ken"], outcome.Draft.SecretValues);
    }

    [Fact]
    public async Task Git_credentials_fail_when_their_secret_is_gone_and_a_repository_without_one_passes()
    {
        await Granted.CreateSecretAsync(_server, "forge", "user:t0ken", "FORGE");
        await Granted.CreateRunAsync(
            _server,
            new CreateRunBody
            {
                Command = ["make"],
                GitRepo = "https://git.example.com/team/app",
                GitSecret = "forge",
            }
        );
        await Granted.CreateRunAsync(
            _server,
            new CreateRunBody { Command = ["make"], GitRepo = "https://git.example.com/team/public" }
        );
        await _server.Client(_server.AdminKey).DeleteAsync("api/v1/secrets/forge");
        var step = new GitCredentialsStep(_server.Service<SecretService>());

        var failed = await step.ApplyAsync(
            new AssignmentDraft(await Granted.ClaimAsync(_server)),
            CancellationToken.None
        );
        var open = new AssignmentDraft(await Granted.ClaimAsync(_server));
        var passed = await step.ApplyAsync(open, CancellationToken.None);

        Assert.Equal("secret 'forge' no longer exists", failed.Failure);
        Assert.Same(open, passed.Draft);
    }

    [Fact]
    public async Task Lock_tokens_are_the_tokens_of_the_locks_the_task_holds()
    {
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"], Lock = "deploy" });
        var step = new LockTokensStep(_server.Service<ILockStore>());

        var outcome = await step.ApplyAsync(
            new AssignmentDraft(await Granted.ClaimAsync(_server)),
            CancellationToken.None
        );

        Assert.Equal(new Dictionary<string, long> { ["deploy"] = 1 }, outcome.Draft!.LockTokens);
    }

    [Fact]
    public async Task Lock_tokens_fail_a_task_whose_lock_was_released_by_force()
    {
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"], Lock = "deploy" });
        var released = await _server
            .Client(_server.AdminKey)
            .PostAsJsonAsync("api/v1/locks/deploy/release", new ReleaseLockBody(true), HearthJson.Options);
        Assert.True(released.IsSuccessStatusCode, await released.Content.ReadAsStringAsync());
        var step = new LockTokensStep(_server.Service<ILockStore>());

        var outcome = await step.ApplyAsync(
            new AssignmentDraft(await Granted.ClaimAsync(_server)),
            CancellationToken.None
        );

        Assert.Equal("the task no longer holds lock 'deploy' (released by force?)", outcome.Failure);
    }

    [Fact]
    public async Task Masks_keeps_the_values_with_the_task_and_drops_a_lease_that_is_no_longer_current()
    {
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var lease = await Granted.ClaimAsync(_server);
        var step = new KeepMasksStep(_server.Service<LogMasks>());
        var draft = new AssignmentDraft(lease)
        {
            SecretEnv = new Dictionary<string, string> { ["TOKEN"] = "kept-value" },
        };

        var stale = await step.ApplyAsync(
            draft with
            {
                Lease = lease with { Epoch = lease.Epoch - 1 },
            },
            CancellationToken.None
        );
        Assert.True(stale.Dropped);
        Assert.Null(await _server.Server.Store.GetSecretMaskAsync(lease.TaskId, CancellationToken.None));

        var kept = await step.ApplyAsync(draft, CancellationToken.None);
        Assert.Same(draft, kept.Draft);
        Assert.NotNull(await _server.Server.Store.GetSecretMaskAsync(lease.TaskId, CancellationToken.None));
        var masked = await _server
            .Service<LogMasks>()
            .MaskTextAsync(lease.TaskId, "token=kept-value", CancellationToken.None);
        Assert.Equal("token=***", masked);
    }
}
