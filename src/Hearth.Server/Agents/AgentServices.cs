using Hearth.Server.Agents.Assignments;
using Hearth.Server.Secrets;
using Hearth.Store.Locks;

namespace Hearth.Server.Agents;

/// <summary>The agent protocol's services, and the order of the steps that complete an assignment.</summary>
public static class AgentServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton(sp => new AssignmentPipeline(
            [
                new SecretsStep(sp.GetRequiredService<SecretService>()),
                new GitCredentialsStep(sp.GetRequiredService<SecretService>()),
                new ServiceFilesStep(
                    sp.GetRequiredService<Services.ServiceSecretFiles>(),
                    sp.GetRequiredService<SecretService>(),
                    sp.GetRequiredService<Store.Access.IAccessStore>()
                ),
                new LockTokensStep(sp.GetRequiredService<ILockStore>()),
                // After the git credentials step: a CI job's checkout takes its job token.
                new GitLab.GitLabJobStep(
                    sp.GetRequiredService<Store.GitLab.IGitLabStore>(),
                    sp.GetRequiredService<GitLab.GitLabVault>()
                ),
                // Last: it keeps what the steps before it resolved, to mask the task's output with.
                new KeepMasksStep(sp.GetRequiredService<LogMasks>()),
            ],
            sp.GetRequiredService<Store.IRunStore>(),
            sp.GetRequiredService<Background.Signals>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AssignmentPipeline>>()
        ));
        services.AddSingleton<AgentProtocol>();
    }
}
