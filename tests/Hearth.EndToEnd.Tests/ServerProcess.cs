namespace Hearth.EndToEnd.Tests;

/// <summary>One `hearth server` of a cluster, on a fixed loopback port so that a restart keeps its URL.</summary>
public sealed class ServerProcess(int port, RunningProcess process)
{
    public int Port { get; } = port;
    public string Url => $"http://127.0.0.1:{Port}";
    public RunningProcess Process { get; internal set; } = process;
    public bool IsUp => !Process.Process.HasExited;
}
