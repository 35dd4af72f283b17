using System.Net;

namespace Hearth.Sandbox.MicroVm.Firecracker;

/// <summary>Firecracker refused a request: the status code and its <c>fault_message</c>.</summary>
internal sealed class FirecrackerApiException(string method, string path, HttpStatusCode status, string? faultMessage)
    : Exception($"Firecracker refused {method} {path} ({(int)status}): {faultMessage ?? "no fault_message"}")
{
    public HttpStatusCode Status { get; } = status;

    public string? FaultMessage { get; } = faultMessage;
}
