using Hearth.Compose.Model;
using Hearth.Compose.Yaml;

namespace Hearth.Compose.Loading;

/// <summary>
/// The checks Compose makes on the whole project after merging: image or build, references to declared
/// networks, volumes, secrets, configs and services, exclusive keys, and dependency cycles.
/// Returns the project with dependencies on disabled optional services dropped.
/// </summary>
internal sealed class ConsistencyChecker(YMapping tree, List<ComposeError> errors)
{
    public ComposeProject Check(ComposeProject project)
    {
        var services = project.Services;
        foreach (var service in project.Services.Values)
        {
            var path = KeyPath.Child("services", service.Name);
            var node = Node("services", service.Name);
            if (service.Image is null && service.Build is null)
                Error(node, path, $"service \"{service.Name}\" has neither an image nor a build context specified");
            if (service.NetworkMode is not null && Node("services", service.Name, "networks") is not null)
                Error(node, path, $"service {service.Name} declares mutually exclusive `network_mode` and `networks`");
            foreach (var network in service.Networks.Keys.Where(n => !project.Networks.ContainsKey(n)))
                Error(
                    Node("services", service.Name, "networks"),
                    KeyPath.Child(path, "networks"),
                    $"service \"{service.Name}\" refers to undefined network {network}: invalid compose project"
                );
            foreach (
                var volume in service.Volumes.Where(v =>
                    v.Type == "volume" && v.Source is not null && !project.Volumes.ContainsKey(v.Source)
                )
            )
                Error(
                    Node("services", service.Name, "volumes"),
                    KeyPath.Child(path, "volumes"),
                    $"service \"{service.Name}\" refers to undefined volume {volume.Source}: invalid compose project"
                );
            foreach (var secret in service.Secrets.Where(s => !project.Secrets.ContainsKey(s.Source)))
                Error(
                    Node("services", service.Name, "secrets"),
                    KeyPath.Child(path, "secrets"),
                    $"service \"{service.Name}\" refers to undefined secret {secret.Source}: invalid compose project"
                );
            foreach (var config in service.Configs.Where(c => !project.Configs.ContainsKey(c.Source)))
                Error(
                    Node("services", service.Name, "configs"),
                    KeyPath.Child(path, "configs"),
                    $"service \"{service.Name}\" refers to undefined config {config.Source}: invalid compose project"
                );
            services = services.SetItem(service.Name, CheckDependencies(project, service, path));
        }
        var result = project with { Services = services };
        foreach (var message in DependencyCycles.Find(result))
            Error(
                Node("services", message.Service, "depends_on"),
                KeyPath.Child(KeyPath.Child("services", message.Service), "depends_on"),
                message.Text
            );
        return result;
    }

    private ComposeService CheckDependencies(ComposeProject project, ComposeService service, string path)
    {
        var dependsOn = service.DependsOn;
        foreach (var (name, dependency) in service.DependsOn)
        {
            if (project.Services.ContainsKey(name))
                continue;
            var at = Node("services", service.Name, "depends_on");
            if (project.DisabledServices.TryGetValue(name, out var disabled))
            {
                if (!dependency.Required)
                {
                    dependsOn = dependsOn.Remove(name);
                    continue;
                }
                Error(
                    at,
                    KeyPath.Child(path, "depends_on"),
                    $"service \"{name}\" is required by \"{service.Name}\" but is disabled; enable it with a profile: {string.Join(", ", disabled.Profiles)}"
                );
            }
            else
            {
                Error(
                    at,
                    KeyPath.Child(path, "depends_on"),
                    $"service \"{service.Name}\" depends on undefined service \"{name}\": invalid compose project"
                );
            }
        }
        return service with { DependsOn = dependsOn };
    }

    private YNode? Node(params string[] keys)
    {
        YNode? node = tree;
        foreach (var key in keys)
            node = (node as YMapping)?[key];
        return node;
    }

    private void Error(YNode? at, string path, string message) =>
        errors.Add(ComposeError.At((at ?? tree).Mark, path, message));
}
