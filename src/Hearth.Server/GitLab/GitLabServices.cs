using Hearth.Server.Configuration;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>The GitLab runner bridge's services: its store, client, vault, poller and reporter.</summary>
public static class GitLabServices
{
    public static void Add(IServiceCollection services, ServerOptions options, IGitLabStore store)
    {
        services.AddSingleton(store);
        GitLabHttp.Add(services, options.GitLab);
        services.AddSingleton<GitLabMetrics>();
        services.AddSingleton<GitLabClient>();
        services.AddSingleton<GitLabVault>();
        services.AddSingleton<GitLabSignals>();
        services.AddSingleton<GitLabRunners>();
        services.AddSingleton<GitLabReporter>();
        services.AddSingleton<GitLabPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<GitLabReporter>());
        services.AddHostedService(sp => sp.GetRequiredService<GitLabPoller>());
    }
}
