using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Hearth.Sandbox.MicroVm.Firecracker;

/// <summary>
/// Firecracker's REST API on its Unix socket (<c>firecracker --api-sock PATH</c>): the pre-boot configuration
/// (machine, boot source, drives, network interfaces, vsock) and the actions. Every PUT answers 204 on success and
/// 400 (or another code) with an <c>Error</c> body, <c>{"fault_message": "..."}</c>, which becomes a
/// <see cref="FirecrackerApiException"/>.
/// </summary>
internal sealed class FirecrackerApiClient : IDisposable
{
    private readonly HttpClient _http;

    public FirecrackerApiClient(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The host name is not looked up: every connection goes to the socket.
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri("http://localhost/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public string SocketPath { get; }

    public Task PutMachineConfigAsync(MachineConfiguration body, CancellationToken cancellationToken) =>
        PutAsync("machine-config", body, FirecrackerJson.Default.MachineConfiguration, cancellationToken);

    public Task PutBootSourceAsync(BootSource body, CancellationToken cancellationToken) =>
        PutAsync("boot-source", body, FirecrackerJson.Default.BootSource, cancellationToken);

    public Task PutDriveAsync(Drive body, CancellationToken cancellationToken) =>
        PutAsync(
            "drives/" + Uri.EscapeDataString(body.DriveId),
            body,
            FirecrackerJson.Default.Drive,
            cancellationToken
        );

    public Task PutNetworkInterfaceAsync(NetworkInterface body, CancellationToken cancellationToken) =>
        PutAsync(
            "network-interfaces/" + Uri.EscapeDataString(body.IfaceId),
            body,
            FirecrackerJson.Default.NetworkInterface,
            cancellationToken
        );

    public Task PutVsockAsync(Vsock body, CancellationToken cancellationToken) =>
        PutAsync("vsock", body, FirecrackerJson.Default.Vsock, cancellationToken);

    public Task PutActionAsync(InstanceActionInfo body, CancellationToken cancellationToken) =>
        PutAsync("actions", body, FirecrackerJson.Default.InstanceActionInfo, cancellationToken);

    /// <summary>
    /// GET /: the instance's id, state ("Not started", "Running", "Paused") and Firecracker's version.
    /// </summary>
    public async Task<InstanceInfo> DescribeAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("", cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw await ErrorAsync("GET", "/", response, cancellationToken);
        return await response.Content.ReadFromJsonAsync(FirecrackerJson.Default.InstanceInfo, cancellationToken)
            ?? throw new FirecrackerApiException("GET", "/", response.StatusCode, "an empty instance description");
    }

    private async Task PutAsync<T>(string path, T body, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var content = JsonContent.Create(body, type);
        using var response = await _http.PutAsync(path, content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NoContent)
            throw await ErrorAsync("PUT", "/" + path, response, cancellationToken);
    }

    private static async Task<FirecrackerApiException> ErrorAsync(
        string method,
        string path,
        HttpResponseMessage response,
        CancellationToken cancellationToken
    )
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string? fault;
        try
        {
            fault = JsonSerializer.Deserialize(text, FirecrackerJson.Default.FirecrackerError)?.FaultMessage;
        }
        catch (JsonException)
        {
            fault = null;
        }
        return new FirecrackerApiException(
            method,
            path,
            response.StatusCode,
            fault ?? (text.Length > 0 ? text[..Math.Min(text.Length, 300)] : null)
        );
    }

    public void Dispose() => _http.Dispose();
}
