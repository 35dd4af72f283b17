namespace Hearth.Sandbox;

/// <summary>
/// Publishes a sandbox port on the host: connections to <paramref name="HostIp"/>:<paramref name="HostPort"/>
/// reach <paramref name="ContainerPort"/> inside the sandbox. <c>0.0.0.0</c> means every host address.
/// Only drivers that give sandboxes their own network (oci) honour it; the others ignore it.
/// </summary>
public sealed record PortMapping(string HostIp, int HostPort, int ContainerPort, string Protocol = "tcp")
{
    public override string ToString() => $"{HostIp}:{HostPort}->{ContainerPort}/{Protocol}";
}
